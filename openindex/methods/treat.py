"""Outlier treatment: Winsorisation and log transformation.

Registry family ``"treat"``. Every method takes data ``x`` of shape
``(..., n_units, n_ind)`` and returns a :class:`Treated` tuple ``(x, how, points)``:

- ``x`` the treated data, same shape; missing values stay missing;
- ``how`` int array ``(..., n_ind)``: 0 untreated, 1 winsorised, 2 log-transformed;
- ``points`` int array ``(..., n_ind)``: the number of distinct units whose value was
  changed by Winsorisation (0 when untreated), or -1 for a log-transformed column.

Methods work column by column down the units axis; leading batch axes are
independent replications.

Treating against a reference (self-assessment): ``winsorise`` and ``log`` take an
optional context ``reference`` of shape ``(..., n_ref, n_ind)`` (the reference units'
values). The treatment is then decided on the reference and applied to ``x`` unit by
unit: Winsorisation clamps ``x`` into the range ``[lo, hi]`` that Winsorising the
reference produced; the log transform uses the reference's minimum and range. So
``f(x, reference=x)`` equals ``f(x)``, and ``f(x, reference=r)[i]`` depends on ``x[i]``
and ``r`` only. ``how`` is then the reference's treatment and ``points`` counts the units
of ``x`` whose value changed (-1 for a log-transformed column).

Values in raw units that a later step compares with the treated data (goalposts,
targets, points scales) follow the same treatment: :func:`map_values`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from openindex.errors import MethodError
from openindex.methods.registry import Registry
from openindex.methods.stats import as_data, check_reference, nan_max, nan_min, skew_kurt

__all__ = ["TREATMENTS", "Treated", "UNTREATED", "WINSORISED", "LOGGED", "none", "winsorise", "log", "map_values"]

TREATMENTS = Registry("treat")

UNTREATED, WINSORISED, LOGGED = 0, 1, 2


class Treated(NamedTuple):
    """Result of an outlier treatment (see the module docstring for the fields)."""

    x: np.ndarray
    how: np.ndarray
    points: np.ndarray


def _empty_flags(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    shape = x.shape[:-2] + x.shape[-1:]
    return np.zeros(shape, dtype=np.int64), np.zeros(shape, dtype=np.int64)


def _log_ct(v: np.ndarray, ref: np.ndarray | None = None) -> np.ndarray | None:
    """log(v - min + 0.01 * range) of a 1-D array of present values; None if constant.

    With ``ref`` (present reference values), min and range are the reference's, and values
    below its minimum are raised to it first (the log is undefined below min - 0.01 range).
    """
    src = v if ref is None else ref
    lo, hi = float(src.min()), float(src.max())
    if not hi > lo:
        return None
    return np.log((v if ref is None else np.maximum(v, lo)) - lo + 0.01 * (hi - lo))


def _reference(reference: np.ndarray | None, x: np.ndarray, method: str) -> np.ndarray | None:
    """The context ``reference`` broadcast to the batch axes of ``x`` (flattened), or None."""
    if reference is None:
        return None
    ref = check_reference(reference, x, "treat", method)
    try:
        ref = np.broadcast_to(ref, x.shape[:-2] + ref.shape[-2:])
    except ValueError:
        raise MethodError(f"The batch axes of the 'reference' of treat method '{method}' {ref.shape[:-2]} must "
                          f"broadcast to those of the data {x.shape[:-2]}.") from None
    return ref.reshape(-1, *ref.shape[-2:])


def _passes(v: np.ndarray, skew: float, kurtosis: float) -> tuple[bool, float]:
    skew_v, kurt_v = skew_kurt(v, axis=0)
    g1, g2 = float(skew_v), float(kurt_v)
    if np.isnan(g1) or np.isnan(g2):  # constant: nothing is an outlier
        return True, 0.0
    return bool(abs(g1) < skew or g2 < kurtosis), g1


def _winsorise_1d(
    v: np.ndarray, skew: float, kurtosis: float, max_points: int
) -> tuple[np.ndarray, int, int]:
    """Apply the JRC rule to the present values ``v``; return (values, how, points)."""
    ok, g1 = _passes(v, skew, kurtosis)
    if ok:
        return v, UNTREATED, 0
    w = v.copy()
    changed = np.zeros(v.shape, dtype=bool)
    while not ok and changed.sum() < max_points:
        if g1 >= 0:
            ext = w.max()
            idx = w == ext
            w[idx] = w[~idx].max()
        else:
            ext = w.min()
            idx = w == ext
            w[idx] = w[~idx].min()
        changed |= idx
        ok, g1 = _passes(w, skew, kurtosis)
    if ok:
        return w, WINSORISED, int(changed.sum())
    logged = _log_ct(v)
    assert logged is not None  # a constant column always passes
    return logged, LOGGED, -1


@TREATMENTS.register("none")
def none(x: np.ndarray) -> Treated:
    """Leave the data untreated.

    Parameters
    ----------
    x : ndarray, shape (..., n_units, n_ind)

    Returns
    -------
    Treated
        ``x`` a copy of the input; ``how`` and ``points`` all 0, shape (..., n_ind).

    Notes
    -----
    Formula: y = x.

    References
    ----------
    OECD/JRC (2008), *Handbook on Constructing Composite Indicators*, section 1.5.
    """
    out = as_data(x)
    how, points = _empty_flags(out)
    return Treated(out, how, points)


@TREATMENTS.register("winsorise", needs=("reference",))
def winsorise(x: np.ndarray, *, skew: float = 2.0, kurtosis: float = 3.5, max_points: int = 5,
              reference: np.ndarray | None = None) -> Treated:
    """Winsorise outliers one step at a time until skewness and kurtosis are acceptable (JRC rule).

    Parameters
    ----------
    x : ndarray, shape (..., n_units, n_ind)
    skew : float, default 2.0
        Threshold on the absolute skewness.
    kurtosis : float, default 3.5
        Threshold on the excess kurtosis.
    max_points : int, default 5
        Largest number of distinct units that may be Winsorised in one indicator.
    reference : ndarray, shape (..., n_ref, n_ind), optional (context)
        Units on which the rule is decided (default ``x``); see Notes.

    Returns
    -------
    Treated
        ``x`` treated data; ``how`` (..., n_ind): 0 untreated, 1 winsorised, 2 log;
        ``points`` (..., n_ind): distinct units changed, or -1 for log.

    Notes
    -----
    Test, over the n present values of an indicator: it *passes* when
    |G1| < skew OR G2 < kurtosis, with the bias-corrected sample skewness
    G1 = sqrt(n (n - 1)) / (n - 2) * g1 and excess kurtosis
    G2 = (n - 1) / ((n - 2) (n - 3)) * ((n + 1) g2 + 6) (``scipy.stats.skew(bias=False)``,
    ``scipy.stats.kurtosis(fisher=True, bias=False)``).

    Algorithm, per column:

    1. If the test passes, the column is untreated.
    2. Otherwise clamp on the side of the skew (G1 >= 0: the high side, else the low side):
       every value tied at the current extreme is set to the next distinct value
       (for the high side, the largest value below the maximum). Re-test.
    3. Repeat step 2 while the test fails and fewer than ``max_points`` distinct units
       have been changed so far. A unit moved twice counts once; a step that moves
       several tied values may take the count past ``max_points``.
    4. If the test passes, keep the clamped values (how = 1, points = units changed).
       Otherwise discard the clamping and apply y = log(x - min + 0.01 (max - min)) to the
       original values of the column (how = 2, points = -1).

    Conventions: a column with fewer than 4 present values (no G2) is untreated; a
    constant column (no skewness) passes; missing values are ignored and stay missing.
    The log fallback is the textbook one for positive skew; it is applied whatever the
    sign of the skew, as in COINr.

    With a reference, steps 1-4 run on the reference's column; then a winsorised column
    clamps x into [lo, hi], the smallest and largest values of the winsorised reference
    (the clamped values of step 2 are exactly x clipped to those bounds), and a
    log-transformed column applies y = log(max(x, min) - min + 0.01 (max - min)) with the
    reference's min and max.

    References
    ----------
    OECD/JRC (2008), *Handbook on Constructing Composite Indicators*, section 1.5;
    Becker et al. (2024), COINr ``Treat()`` with ``winsorise()`` and ``log_CT()``;
    Joanes & Gill (1998), "Comparing measures of sample skewness and kurtosis",
    *The Statistician* 47(1).
    """
    if max_points < 0:
        raise MethodError(
            f"The 'max_points' parameter of treat method 'winsorise' must be >= 0. Got {max_points}."
        )
    out = as_data(x)
    ref = _reference(reference, out, "winsorise")
    how, points = _empty_flags(out)
    flat = out.reshape(-1, *out.shape[-2:])
    how_f, pts_f = how.reshape(-1, out.shape[-1]), points.reshape(-1, out.shape[-1])
    for b in range(flat.shape[0]):
        for j in range(flat.shape[2]):
            col = flat[b, :, j]
            present = ~np.isnan(col)
            if ref is None:
                if present.sum() < 4:
                    continue
                vals, h, p = _winsorise_1d(col[present], skew, kurtosis, max_points)
                col[present] = vals
                how_f[b, j], pts_f[b, j] = h, p
                continue
            rcol = ref[b, :, j]
            rvals = rcol[~np.isnan(rcol)]
            if rvals.size < 4:
                continue
            wvals, h, _ = _winsorise_1d(rvals, skew, kurtosis, max_points)
            if h == WINSORISED:
                clipped = np.clip(col[present], wvals.min(), wvals.max())
                p = int((clipped != col[present]).sum())
                col[present] = clipped
            elif h == LOGGED:
                logged = _log_ct(col[present], rvals)
                assert logged is not None  # a constant reference always passes
                col[present], p = logged, -1
            else:
                p = 0
            how_f[b, j], pts_f[b, j] = h, p
    return Treated(flat.reshape(out.shape), how_f.reshape(how.shape), pts_f.reshape(points.shape))


def map_values(values: np.ndarray, before: np.ndarray, after: np.ndarray, how: np.ndarray) -> np.ndarray:
    """Map values in an indicator's raw units (goalposts, targets) through the treatment its data received.

    Parameters
    ----------
    values : ndarray, shape (..., n_ind)
        Values in raw units, one per indicator; leading axes broadcast with the batch axes.
    before : ndarray, shape (..., n_units, n_ind)
        The values the treatment was decided on (the data, or the ``reference``).
    after : ndarray, shape (..., n_units, n_ind)
        The same values treated.
    how : int ndarray, shape (..., n_ind)
        The treatment of every indicator (:data:`UNTREATED`, :data:`WINSORISED`, :data:`LOGGED`).

    Returns
    -------
    ndarray
        ``values`` on the scale of the treated data (broadcast shape); NaN where the
        treatment has no value for them (below the domain of the log).

    Notes
    -----
    With min and max over the present values of ``before``:

    - untreated: v;
    - log-transformed: log(v - min + 0.01 (max - min)), the function applied to the data;
      NaN where v - min + 0.01 (max - min) <= 0 (v at or below min - 0.01 (max - min)),
      where it is undefined;
    - winsorised: v capped at the bound of each side Winsorisation moved, min(v, max')
      when max' = max(after) < max and max(v, min') when min' = min(after) > min. A side
      where no value was moved is left as it is, because Winsorisation did not change it.

    So a unit whose raw value equals v gets exactly the treated value of v, and a score
    that compares treated data with v (goalposts, distance to a target) is the one the
    raw value would get on the treated scale.
    """
    v = np.asarray(values, dtype=np.float64)
    b, a = as_data(before), as_data(after)
    lo, hi = nan_min(b), nan_max(b)
    top, bottom = nan_max(a), nan_min(a)
    with np.errstate(invalid="ignore", divide="ignore"):
        shifted = v - lo + 0.01 * (hi - lo)
        logged = np.where(shifted > 0, np.log(np.where(shifted > 0, shifted, 1.0)), np.nan)
    capped = np.where(top < hi, np.minimum(v, top), v)
    capped = np.where(bottom > lo, np.maximum(capped, bottom), capped)
    out: np.ndarray = np.where(how == LOGGED, logged, np.where(how == WINSORISED, capped, v))
    return out


@TREATMENTS.register("log", needs=("reference",))
def log(x: np.ndarray, *, reference: np.ndarray | None = None) -> Treated:
    """Log-transform every indicator: log(x - min + 0.01 * range).

    Parameters
    ----------
    x : ndarray, shape (..., n_units, n_ind)
    reference : ndarray, shape (..., n_ref, n_ind), optional (context)
        Units whose min and range are used (default ``x``); values of ``x`` below the
        reference's minimum are raised to it first.

    Returns
    -------
    Treated
        ``x`` transformed data; ``how`` 2 for transformed columns, 0 otherwise;
        ``points`` -1 for transformed columns, 0 otherwise.

    Notes
    -----
    Formula, per column over its present values: y = log(x - min + 0.01 (max - min)).
    The minimum maps to log(0.01 range); the transform is increasing, so ranks are kept.

    Conventions: a constant column (including a single present value) or a column with
    no present value is left unchanged with how = 0. Missing values stay missing.

    References
    ----------
    OECD/JRC (2008), *Handbook on Constructing Composite Indicators*, section 1.5;
    Becker et al. (2024), COINr ``log_CT()``.
    """
    out = as_data(x)
    ref = _reference(reference, out, "log")
    how, points = _empty_flags(out)
    flat = out.reshape(-1, *out.shape[-2:])
    how_f, pts_f = how.reshape(-1, out.shape[-1]), points.reshape(-1, out.shape[-1])
    for b in range(flat.shape[0]):
        for j in range(flat.shape[2]):
            col = flat[b, :, j]
            present = ~np.isnan(col)
            rvals = None if ref is None else ref[b, :, j][~np.isnan(ref[b, :, j])]
            if (rvals is None and not present.any()) or (rvals is not None and not rvals.size):
                continue
            logged = _log_ct(col[present], rvals) if rvals is None or present.any() else None
            if logged is not None:
                col[present] = logged
            if logged is not None or (rvals is not None and rvals.max() > rvals.min()):
                how_f[b, j], pts_f[b, j] = LOGGED, -1
    return Treated(flat.reshape(out.shape), how_f.reshape(how.shape), pts_f.reshape(points.shape))
