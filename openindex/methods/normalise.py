"""Normalisation: bring indicators to a common scale.

Registry family ``"normalise"``. Every method takes data ``x`` of shape
``(..., n_units, n_ind)`` and works down the units axis (-2), column by column;
leading batch axes are independent replications. Missing values stay missing and
are ignored by the column statistics.

Direction: ``x`` arrives already multiplied by each indicator's direction (+1/-1),
so higher is always better, and context values arrive direction-adjusted too (for a
-1 indicator the pipeline passes goalposts ``[-hi, -lo]``, target ``-target`` and points
scale ``[-hi, -lo]``). Methods on a ratio scale (``index_to_mean``,
``distance_to_frontier``) need a positive reference value and therefore raise on the
negated values of a lower-is-better indicator: use an interval-scale method for those.

Values declared in raw units (goalposts, targets, points scales) arrive on the scale of
``x``: the engine maps them through the outlier treatment each indicator received (the
same log transform, or the same Winsorisation cap; see
:func:`openindex.engine.stages.treated_values`), so a unit whose raw value equals a
goalpost or the target scores what that goalpost or target stands for. Such a context may
then carry leading batch axes (one value per replication), broadcast with those of ``x``.

Output range: ``minmax``, ``goalposts``, ``distance_to_target`` and ``points`` take
``low`` and ``high`` (default 0 and 100), the scores of the worst and the best value;
``low > 0`` keeps every score positive, as a geometric or harmonic mean needs.

A column with no present value gives an all-missing column (no error).

Ties (``rank``, ``percentile``, ``borda``): values equal up to rounding noise are tied,
i.e. values closer than 1e-9 times the largest absolute value of the column (see
:func:`openindex.methods.rank.snap_ties`; 0.3 / 3 * 1000 and 0.1 * 1000 must tie).

Scoring against a reference (self-assessment): every method whose result depends on
the other units takes an optional context ``reference`` of shape ``(..., n_ref, n_ind)``
(the reference units' values, oriented like ``x``) and then takes every statistic (min,
max, mean, sd, ranks, the leader) from the reference instead of from ``x``. The units of
``x`` are then scored one by one against fixed bounds: ``f(x, reference=r)[i]`` depends
on ``x[i]`` and ``r`` only, ``f(x, reference=x)`` equals ``f(x)``, and a unit equal to a
reference unit gets that unit's score. Values beyond the reference's range are not
clipped (min-max can then give less than ``low`` or more than ``high``).
"""

from __future__ import annotations

import numpy as np

from openindex.errors import DegenerateInputError, MethodError
from openindex.methods.rank import snap_ties
from openindex.methods.registry import Registry
from openindex.methods.stats import as_data, check_reference, nan_count, nan_max, nan_mean, nan_min, nan_sd, ranks

__all__ = [
    "NORMALISERS",
    "minmax",
    "zscore",
    "rank",
    "percentile",
    "goalposts",
    "distance_to_target",
    "distance_to_frontier",
    "index_to_mean",
    "borda",
    "points",
]

NORMALISERS = Registry("normalise")


def _bad_columns(mask: np.ndarray) -> np.ndarray:
    """Indices along the last axis where ``mask`` (shape (..., n_ind)) is true in any batch element."""
    return np.nonzero(mask.reshape(-1, mask.shape[-1]).any(axis=0))[0]


def _raise_constant(x: np.ndarray, spread: np.ndarray, what: str) -> None:
    """Raise for columns with present values but no spread (constant or single-valued)."""
    bad = (nan_count(x) > 0) & ~(spread > 0)
    if bad.any():
        raise DegenerateInputError(
            f"{what} of a constant (or single-valued) indicator",
            columns=_bad_columns(bad),
            units=(),
            hint="Drop the indicator, give it weight 0, or normalise it with goalposts.",
        )


def _reference(reference: np.ndarray | None, x: np.ndarray, method: str) -> np.ndarray:
    """The context ``reference`` checked against ``x``, or ``x`` itself when there is none."""
    return x if reference is None else check_reference(reference, x, "normalise", method)


def _tie_counts(x: np.ndarray, ref: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For every value of ``x``: reference values strictly below it, equal to it, and present.

    Ties are found with :func:`openindex.methods.rank.snap_ties` on the reference and ``x`` stacked
    along the units axis (so a value equal to a reference value up to rounding noise ties).
    Returns ``below``, ``equal`` (shape of ``x``) and ``n`` (..., 1, n_ind).
    """
    batch = np.broadcast_shapes(ref.shape[:-2], x.shape[:-2])
    rb = np.broadcast_to(ref, batch + ref.shape[-2:])
    xb = np.broadcast_to(x, batch + x.shape[-2:])
    snapped = snap_ties(np.concatenate([rb, xb], axis=-2))
    sr, sx = snapped[..., : rb.shape[-2], :], snapped[..., rb.shape[-2]:, :]
    below = np.zeros(xb.shape)
    equal = np.zeros(xb.shape)
    for j in range(x.shape[-1]):  # one column at a time: (..., n_x, n_ref) comparisons
        a, b = sx[..., :, None, j], sr[..., None, :, j]
        below[..., j] = (b < a).sum(axis=-1)
        equal[..., j] = (b == a).sum(axis=-1)
    return below, equal, nan_count(rb, keepdims=True)


def _per_indicator(value: np.ndarray, n_ind: int, width: int, name: str, method: str) -> np.ndarray:
    """A per-indicator context as floats, shape (..., n_ind) or (..., n_ind, width) (leading batch axes allowed)."""
    arr = np.asarray(value, dtype=np.float64)
    want = (n_ind,) if width == 1 else (n_ind, width)
    if arr.shape[arr.ndim - len(want):] != want:
        raise MethodError(
            f"The '{name}' of normalise method '{method}' must have shape {want}. Got {arr.shape} instead."
        )
    return arr


def _interval(value: np.ndarray, n_ind: int, name: str, method: str, what: str,
              hint: str) -> tuple[np.ndarray, np.ndarray]:
    """Bounds lo, hi (..., 1, n_ind) of the per-indicator interval context ``name``; raise where hi <= lo."""
    arr = _per_indicator(value, n_ind, 2, name, method)
    lo, hi = arr[..., None, :, 0], arr[..., None, :, 1]
    bad = ~np.isnan(lo) & ~np.isnan(hi) & ~(hi > lo)
    if bad.any():
        raise DegenerateInputError(f"{what} with hi <= lo", columns=_bad_columns(bad), hint=hint)
    return lo, hi


@NORMALISERS.register("minmax", needs=("reference",))
def minmax(x: np.ndarray, *, low: float = 0.0, high: float = 100.0,
           reference: np.ndarray | None = None) -> np.ndarray:
    """Min-max scaling of each indicator onto [low, high].

    Parameters
    ----------
    x : ndarray, shape (..., n_units, n_ind)
        Direction-adjusted data (higher is better).
    low, high : float, default 0.0 and 100.0
        Score of the worst and of the best unit.
    reference : ndarray, shape (..., n_ref, n_ind), optional (context)
        Units whose min and max are the bounds (default ``x``); see the module docstring.

    Returns
    -------
    ndarray, shape (..., n_units, n_ind)

    Raises
    ------
    DegenerateInputError
        A column is constant or has a single present value (``columns`` = those columns).

    Notes
    -----
    Formula: y = low + (x - min) / (max - min) * (high - low), min and max over present units
    (of ``reference`` when given: a value beyond its range scores below ``low`` or above ``high``).

    References
    ----------
    OECD/JRC (2008), *Handbook on Constructing Composite Indicators*, section 1.6, Table 3;
    COINr ``n_minmax()``.
    """
    out = as_data(x)
    src = _reference(reference, out, "minmax")
    lo = nan_min(src, keepdims=True)
    spread = nan_max(src, keepdims=True) - lo
    _raise_constant(src, spread[..., 0, :], "min-max")
    with np.errstate(invalid="ignore", divide="ignore"):
        y: np.ndarray = low + (out - lo) / spread * (high - low)
    return y


@NORMALISERS.register("zscore", needs=("reference",))
def zscore(x: np.ndarray, *, mean: float = 0.0, sd: float = 1.0,
           reference: np.ndarray | None = None) -> np.ndarray:
    """Standardise each indicator to the given mean and standard deviation.

    Parameters
    ----------
    x : ndarray, shape (..., n_units, n_ind)
    mean : float, default 0.0
        Mean of the result.
    sd : float, default 1.0
        Standard deviation of the result (ddof = 1).
    reference : ndarray, shape (..., n_ref, n_ind), optional (context)
        Units whose mean and sd are used (default ``x``); see the module docstring.

    Returns
    -------
    ndarray, shape (..., n_units, n_ind)

    Raises
    ------
    DegenerateInputError
        A column is constant or has a single present value.

    Notes
    -----
    Formula: y = mean + sd * (x - xbar) / s, with xbar the mean and s the *sample*
    standard deviation (ddof = 1) over the present units.

    References
    ----------
    OECD/JRC (2008), *Handbook on Constructing Composite Indicators*, section 1.6, Table 3;
    COINr ``n_zscore()`` (which also uses the sample sd).
    """
    out = as_data(x)
    src = _reference(reference, out, "zscore")
    m = nan_mean(src, keepdims=True)
    s = nan_sd(src, ddof=1, keepdims=True)
    _raise_constant(src, s[..., 0, :], "z-score")
    with np.errstate(invalid="ignore", divide="ignore"):
        y: np.ndarray = mean + sd * (out - m) / s
    return y


@NORMALISERS.register("rank", needs=("reference",))
def rank(x: np.ndarray, *, reference: np.ndarray | None = None) -> np.ndarray:
    """Rank each indicator: 1 = lowest (worst) value.

    Parameters
    ----------
    x : ndarray, shape (..., n_units, n_ind)
    reference : ndarray, shape (..., n_ref, n_ind), optional (context)
        Units to rank against (default ``x``): y_i = 1 + #{k in reference : x_k < x_i}.

    Returns
    -------
    ndarray, shape (..., n_units, n_ind)
        Float ranks 1..n over the present units; NaN where ``x`` is missing.

    Notes
    -----
    Formula: y_i = 1 + #{k present : x_k < x_i}. Ties take the minimum rank
    ("competition" ranking 1, 2, 2, 4); values equal up to rounding noise tie (module
    docstring). A constant column gives 1 everywhere.

    References
    ----------
    OECD/JRC (2008), *Handbook on Constructing Composite Indicators*, section 1.6, Table 3
    (ranking); COINr ``n_rank()``.
    """
    out = as_data(x)
    if reference is None:
        return ranks(snap_ties(out), "min")
    below, _, n = _tie_counts(out, _reference(reference, out, "rank"))
    return np.where(np.isnan(out) | (n == 0), np.nan, 1.0 + below)


@NORMALISERS.register("percentile", needs=("reference",))
def percentile(x: np.ndarray, *, reference: np.ndarray | None = None) -> np.ndarray:
    """Percentile rank of each unit within its indicator, on 0..100.

    Parameters
    ----------
    x : ndarray, shape (..., n_units, n_ind)
    reference : ndarray, shape (..., n_ref, n_ind), optional (context)
        Units to place each value among (default ``x``); see Notes.

    Returns
    -------
    ndarray, shape (..., n_units, n_ind)

    Notes
    -----
    Formula, with n present units, B_i = #{k : x_k < x_i} and E_i = #{k != i : x_k = x_i}:
    y_i = 100 * (B_i + E_i / 2) / (n - 1) = 100 * (r_i - 1) / (n - 1), where r_i is the
    average rank (ties share the mean of their ranks; values equal up to rounding noise
    tie). The lowest unit scores 0 and the highest 100 when untied; tied units score the same.

    Conventions: a single present value, or a constant column, scores 50 (the limit of
    the formula with every unit tied).

    With a reference of n present values, B and E are counted in the reference (E now
    includes a reference value equal to x_i): y_i = 100 * (B_i + E_i / 2 - 1 / 2) / (n - 1).
    A value equal to a reference value scores as that unit; a value strictly between two
    reference values scores halfway between their scores; below the reference minimum it
    scores -50 / (n - 1), above its maximum 100 + 50 / (n - 1).

    References
    ----------
    OECD/JRC (2008), *Handbook on Constructing Composite Indicators*, section 1.6, Table 3
    (percentiles); Hazen plotting position on average ranks.
    """
    out = as_data(x)
    if reference is None:
        r = ranks(snap_ties(out), "average")
        n = nan_count(out, keepdims=True)
    else:
        below, equal, n = _tie_counts(out, _reference(reference, out, "percentile"))
        r = np.where(np.isnan(out) | (n == 0), np.nan, below + (equal + 1.0) / 2.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 1, 100.0 * (r - 1.0) / (n - 1.0), np.where(np.isnan(r), np.nan, 50.0))


@NORMALISERS.register("goalposts", needs=("goalposts",))
def goalposts(x: np.ndarray, *, goalposts: np.ndarray, low: float = 0.0, high: float = 100.0,
              trunc: bool = True) -> np.ndarray:
    """Rescale between fixed goalposts (a worst and a best value declared per indicator) onto [low, high].

    Parameters
    ----------
    x : ndarray, shape (..., n_units, n_ind)
    goalposts : ndarray, shape (..., n_ind, 2) (context)
        Direction-adjusted [lo, hi] of every indicator, on the scale of ``x`` (the engine
        maps goalposts declared in raw units through the indicator's outlier treatment);
        a row of NaN means the indicator has no goalposts and its column comes out missing.
        Leading batch axes broadcast with those of ``x``.
    low, high : float, default 0.0 and 100.0
        Score at the lower and at the upper goalpost (``low > 0`` keeps every score
        positive, for a geometric mean).
    trunc : bool, default True
        Clip the result to [low, high] (values beyond the goalposts score ``low`` or ``high``).

    Returns
    -------
    ndarray, shape (..., n_units, n_ind)

    Raises
    ------
    DegenerateInputError
        hi <= lo for a column (``columns`` = those columns).

    Notes
    -----
    Formula: y = low + (x - lo) / (hi - lo) * (high - low), then y = min(max(y, low), high)
    when trunc. Unlike min-max, the scores do not depend on the other units, so they are
    comparable across editions.

    Goalposts are declared in raw units. After a log transform (``treat: log``, or
    ``winsorise`` falling back to it) the engine applies the same transform to them, so a
    unit at the upper goalpost still scores ``high``; a goalpost where that transform is
    undefined (at or below min - 0.01 (max - min) of the data) is refused. After
    Winsorisation a goalpost beyond the cap is capped like the data.

    References
    ----------
    OECD/JRC (2008), *Handbook on Constructing Composite Indicators*, section 1.6;
    COINr ``n_goalposts()``; UNDP Human Development Report technical notes.
    """
    out = as_data(x)
    lo, hi = _interval(goalposts, out.shape[-1], "goalposts", "goalposts", "goalposts",
                       "Declare goalposts [worst, best] with worst < best on the indicator's own scale.")
    with np.errstate(invalid="ignore", divide="ignore"):
        y: np.ndarray = low + (out - lo) / (hi - lo) * (high - low)
    if trunc:
        y = np.clip(y, min(low, high), max(low, high))
    return y


@NORMALISERS.register("distance_to_target", needs=("target", "reference"))
def distance_to_target(x: np.ndarray, *, target: np.ndarray, low: float = 0.0, high: float = 100.0,
                       cap: bool = False, reference: np.ndarray | None = None) -> np.ndarray:
    """Distance to a target: progress from the worst unit towards the target, onto [low, high].

    Parameters
    ----------
    x : ndarray, shape (..., n_units, n_ind)
    target : ndarray, shape (..., n_ind) (context)
        Direction-adjusted target of every indicator, on the scale of ``x`` (the engine
        maps a target declared in raw units through the indicator's outlier treatment);
        NaN gives a missing column. Leading batch axes broadcast with those of ``x``.
    low, high : float, default 0.0 and 100.0
        Score of the worst unit and of a unit exactly on target.
    cap : bool, default False
        Cap the score at ``high`` (units beyond the target get no extra credit).
    reference : ndarray, shape (..., n_ref, n_ind), optional (context)
        Units whose minimum is the worst value (default ``x``); see the module docstring.

    Returns
    -------
    ndarray, shape (..., n_units, n_ind)

    Raises
    ------
    DegenerateInputError
        The target is not above the worst (minimum) present value of a column.

    Notes
    -----
    Formula: y = low + (high - low) * (x - min) / (target - min), min over present units;
    y = min(y, high) when cap. The worst unit scores ``low`` and a unit exactly on target
    ``high``. With the defaults this is 100 times COINr's bare ratio, so that it mixes with
    the 0..100 min-max default. For a lower-is-better indicator (negated data and target)
    it equals low + (high - low) * (max - x) / (max - target) on the raw scale.

    The target is declared in raw units; after an outlier treatment it is mapped like
    the data (see :func:`goalposts`), so a unit on target still scores ``high``.

    References
    ----------
    OECD/JRC (2008), *Handbook on Constructing Composite Indicators*, section 1.6, Table 3
    (distance to a reference); COINr ``n_dist2targ()``.
    """
    out = as_data(x)
    t = _per_indicator(target, out.shape[-1], 1, "target", "distance_to_target")[..., None, :]
    lo = nan_min(_reference(reference, out, "distance_to_target"), keepdims=True)
    bad = ~np.isnan(t) & ~np.isnan(lo) & ~(t > lo)
    if bad.any():
        raise DegenerateInputError(
            "target not above the worst value of the indicator",
            columns=_bad_columns(bad),
            hint="Set a target better than every unit's worst value, or use goalposts.",
        )
    with np.errstate(invalid="ignore", divide="ignore"):
        y: np.ndarray = low + (high - low) * (out - lo) / (t - lo)
    return np.minimum(y, high) if cap else y


def _ratio_to_reference(x: np.ndarray, direction: np.ndarray, reference: str, method: str,
                        units: np.ndarray | None = None) -> np.ndarray:
    """100 * x / ref for higher-is-better columns, 100 * ref / x for lower-is-better ones, on raw values.

    ``x`` arrives oriented (x * direction); the raw values are x * direction again. The
    reference is taken over present units of the raw column (of ``units``, the context
    ``reference``, when given): the best value ("leader": max for +1, min for -1) or the
    mean. Raw values must be positive where the formula divides by them (-1 columns) and
    the reference must be positive.
    """
    out = as_data(x)
    d = _per_indicator(direction, out.shape[-1], 1, "direction", method)
    raw = out * d
    src = _reference(units, out, method) * d
    if reference == "leader":
        ref = np.where(d > 0, nan_max(src, keepdims=True), nan_min(src, keepdims=True))
    else:
        ref = nan_mean(src, keepdims=True)
    bad = ~np.isnan(ref[..., 0, :]) & ~(ref[..., 0, :] > 0)
    lower = np.broadcast_to(d < 0, raw.shape)
    bad = bad | (lower & ~np.isnan(raw) & ~(raw > 0)).any(axis=-2)
    if bad.any():
        raise DegenerateInputError(
            f"{method} is a ratio to the {'best value' if reference == 'leader' else 'mean'} and needs positive "
            "values (strictly positive raw values for lower-is-better indicators)",
            columns=_bad_columns(bad),
            hint="Use minmax or goalposts for indicators that can be zero or negative.",
        )
    with np.errstate(invalid="ignore", divide="ignore"):
        y: np.ndarray = np.where(d > 0, 100.0 * raw / ref, 100.0 * ref / raw)
    return y


@NORMALISERS.register("distance_to_frontier", needs=("direction", "reference"))
def distance_to_frontier(x: np.ndarray, *, direction: np.ndarray,
                         reference: np.ndarray | None = None) -> np.ndarray:
    """Percentage of the leader: each value as a percentage of the best present value.

    Parameters
    ----------
    x : ndarray, shape (..., n_units, n_ind)
        Oriented values (x * direction).
    direction : ndarray, shape (n_ind,) (context)
        +1 (higher is better) or -1 (lower is better) per column.
    reference : ndarray, shape (..., n_ref, n_ind), optional (context)
        Oriented values of the units among which the leader is found (default ``x``).

    Returns
    -------
    ndarray, shape (..., n_units, n_ind)

    Raises
    ------
    DegenerateInputError
        The best value of a column is not positive, or a lower-is-better column has a
        zero or negative value (a ratio is then meaningless).

    Notes
    -----
    Formula, on raw values v: y = 100 * v / max(v) for a higher-is-better indicator and
    y = 100 * min(v) / v for a lower-is-better one (the leader is the lowest value).
    The leader scores 100; others lie in (0, 100]. A ratio-scale method: it assumes a
    meaningful zero. (The World Bank's "distance to frontier", an interval-scale
    rescaling between worst and best, is ``minmax``.)

    References
    ----------
    OECD/JRC (2008), *Handbook on Constructing Composite Indicators*, section 1.6, Table 3
    ("distance to a reference", the reference being the group leader).
    """
    return _ratio_to_reference(x, direction, "leader", "distance_to_frontier", reference)


@NORMALISERS.register("index_to_mean", needs=("direction", "reference"))
def index_to_mean(x: np.ndarray, *, direction: np.ndarray, reference: np.ndarray | None = None) -> np.ndarray:
    """Index each value to the mean of its indicator (mean = 100).

    Parameters
    ----------
    x : ndarray, shape (..., n_units, n_ind)
        Oriented values (x * direction).
    direction : ndarray, shape (n_ind,) (context)
        +1 (higher is better) or -1 (lower is better) per column.
    reference : ndarray, shape (..., n_ref, n_ind), optional (context)
        Oriented values of the units whose mean is the reference (default ``x``).

    Returns
    -------
    ndarray, shape (..., n_units, n_ind)

    Raises
    ------
    DegenerateInputError
        The mean of a column is not positive, or a lower-is-better column has a zero or
        negative value.

    Notes
    -----
    Formula, on raw values v with mean m over present units: y = 100 * v / m for a
    higher-is-better indicator and y = 100 * m / v for a lower-is-better one, so that a
    unit at the mean scores 100 and better units score more in both cases. A ratio-scale
    method: it assumes a meaningful zero (OPENCities-style "index against the average").

    References
    ----------
    OECD/JRC (2008), *Handbook on Constructing Composite Indicators*, section 1.6, Table 3
    (distance to a reference, the reference being the average).
    """
    return _ratio_to_reference(x, direction, "mean", "index_to_mean", reference)


@NORMALISERS.register("borda", needs=("reference",))
def borda(x: np.ndarray, *, reference: np.ndarray | None = None) -> np.ndarray:
    """Borda score: the number of units a unit beats, ties counting half.

    Parameters
    ----------
    x : ndarray, shape (..., n_units, n_ind)
    reference : ndarray, shape (..., n_ref, n_ind), optional (context)
        Units to count against (default ``x``); see Notes.

    Returns
    -------
    ndarray, shape (..., n_units, n_ind)
        Scores in [0, n - 1] over the n present units; NaN where ``x`` is missing.

    Notes
    -----
    Formula: y_i = #{k present : x_k < x_i} + 0.5 * #{k present, k != i : x_k = x_i}
    = r_i - 1, r_i the average rank (values equal up to rounding noise tie). The scores
    of a column sum to n (n - 1) / 2; a constant column gives (n - 1) / 2 everywhere;
    missing units are not counted.

    With a reference, B and E are counted in it (E includes a reference value equal to
    x_i, which stands for the unit itself): y_i = B_i + (E_i - 1) / 2, so a value equal to
    a reference value scores as that unit and one tied with none scores B_i - 1/2.

    References
    ----------
    OECD/JRC (2008), *Handbook on Constructing Composite Indicators*, section 1.6 and
    6.4 (Borda); Munda & Nardo (2009), *Applied Economics* 41(12).
    """
    out = as_data(x)
    if reference is None:
        return ranks(snap_ties(out), "average") - 1.0
    below, equal, n = _tie_counts(out, _reference(reference, out, "borda"))
    return np.where(np.isnan(out) | (n == 0), np.nan, below + (equal + 1.0) / 2.0) - 1.0


@NORMALISERS.register("points", needs=("scale",))
def points(x: np.ndarray, *, scale: np.ndarray, low: float = 0.0, high: float = 100.0) -> np.ndarray:
    """Rescale questionnaire points from their declared scale onto [low, high].

    Parameters
    ----------
    x : ndarray, shape (..., n_units, n_ind)
        Points as answered (direction-adjusted).
    scale : ndarray, shape (..., n_ind, 2) (context)
        Declared [lo, hi] of each item's points scale (direction-adjusted); a NaN row
        gives a missing column. Leading batch axes broadcast with those of ``x``.
    low, high : float, default 0.0 and 100.0
        Score at the bottom and at the top of the scale (``low > 0`` keeps the weakest
        answer above 0, for a geometric mean).

    Returns
    -------
    ndarray, shape (..., n_units, n_ind)

    Raises
    ------
    DegenerateInputError
        hi <= lo for a column.

    Notes
    -----
    Formula: y = low + (x - lo) / (hi - lo) * (high - low). Values outside the declared
    scale are not clipped (data validation reports them).

    References
    ----------
    Council of Europe, *Intercultural Cities Index* methodology (points per answer rescaled
    to 0..100); OECD/JRC (2008), *Handbook*, section 1.6 (categorical scales).
    """
    out = as_data(x)
    lo, hi = _interval(scale, out.shape[-1], "scale", "points", "points scale",
                       "Declare the points scale as [lowest, highest] with lowest < highest.")
    with np.errstate(invalid="ignore", divide="ignore"):
        y: np.ndarray = low + (out - lo) / (hi - lo) * (high - low)
    return y
