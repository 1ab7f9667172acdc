"""Aggregation: combine children into their parent nodes.

Registry family ``"aggregate"``. Every method takes the children's scores ``x`` of shape
``(..., n_units, n_child)`` and weights ``w`` of shape ``(..., n_parent, n_child)``
(non-negative; 0 = not a member of that parent; batch axes broadcast) and returns the
parents' scores, shape ``(..., n_units, n_parent)``.

Missing data: a missing child is dropped and the weights of the present children are
rescaled to sum to 1 (available-case aggregation). A unit with no present child of
positive weight in a node gets a missing value for that node.

The means are computed with matrix products, so a Monte Carlo run stacking thousands of
replications on the leading axes costs one call.
"""

from __future__ import annotations

import numpy as np

from openindex.errors import DegenerateInputError, MethodError
from openindex.methods.registry import Registry

__all__ = ["AGGREGATORS", "arithmetic", "geometric", "harmonic", "power_mean", "median", "copeland"]

AGGREGATORS = Registry("aggregate")


def _prepare(x: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    xa = np.asarray(x, dtype=np.float64)
    wa = np.asarray(w, dtype=np.float64)
    if xa.ndim < 2 or wa.ndim < 2 or xa.shape[-1] != wa.shape[-1]:
        raise MethodError(
            "Aggregation needs x of shape (..., n_units, n_child) and w of shape (..., n_parent, n_child). "
            f"Got x {xa.shape} and w {wa.shape} instead."
        )
    if np.isnan(wa).any() or (wa < 0).any():
        raise MethodError("Aggregation weights must be non-negative numbers (0 = not a member).")
    return xa, wa


def _wt(w: np.ndarray) -> np.ndarray:
    return np.swapaxes(w, -1, -2)


def _weighted_mean(v: np.ndarray, present: np.ndarray, w: np.ndarray) -> np.ndarray:
    """sum_c w_pc v_uc / sum_c w_pc [present_uc], NaN where the denominator is 0."""
    num = np.where(present, v, 0.0) @ _wt(w)
    den = present.astype(np.float64) @ _wt(w)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def _require(x: np.ndarray, w: np.ndarray, bad: np.ndarray, what: str) -> None:
    """Raise if a ``bad`` present cell belongs to a child with positive weight somewhere."""
    used = (w > 0).reshape(-1, w.shape[-1]).any(axis=0)  # (n_child,)
    hit = (bad & used).reshape(-1, *x.shape[-2:]).any(axis=0)  # (n_units, n_child)
    if hit.any():
        units, cols = np.nonzero(hit)
        raise DegenerateInputError(
            what,
            columns=np.unique(cols),
            units=np.unique(units),
            hint="Use a normalisation whose scores are positive (e.g. minmax with low > 0, or goalposts), "
            "or the arithmetic mean.",
        )


@AGGREGATORS.register("arithmetic")
def arithmetic(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted arithmetic mean (fully compensatory).

    Parameters
    ----------
    x : ndarray, shape (..., n_units, n_child)
    w : ndarray, shape (..., n_parent, n_child)

    Returns
    -------
    ndarray, shape (..., n_units, n_parent)

    Notes
    -----
    Formula: y_up = sum_c w_pc x_uc / sum_c w_pc, sums over the present children of u.
    Computed as (nan_to_num(x) @ w^T) / (present @ w^T).

    References
    ----------
    OECD/JRC (2008), *Handbook on Constructing Composite Indicators*, section 1.8;
    COINr ``a_amean()``.
    """
    xa, wa = _prepare(x, w)
    return _weighted_mean(xa, ~np.isnan(xa), wa)


@AGGREGATORS.register("geometric")
def geometric(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted geometric mean (partially compensatory).

    Parameters
    ----------
    x : ndarray, shape (..., n_units, n_child)
        Positive scores.
    w : ndarray, shape (..., n_parent, n_child)

    Returns
    -------
    ndarray, shape (..., n_units, n_parent)

    Raises
    ------
    DegenerateInputError
        A present child with positive weight is zero or negative (``columns``: children,
        ``units``: units). Zeros are not clamped: a geometric mean with a zero is zero
        whatever the other children, which is rarely intended.

    Notes
    -----
    Formula: y_up = exp( sum_c w_pc log x_uc / sum_c w_pc ), sums over present children.

    References
    ----------
    OECD/JRC (2008), *Handbook on Constructing Composite Indicators*, section 1.8 and 6.3;
    COINr ``a_gmean()``.
    """
    xa, wa = _prepare(x, w)
    present = ~np.isnan(xa)
    _require(xa, wa, present & (xa <= 0), "geometric mean of a zero or negative value")
    with np.errstate(invalid="ignore", divide="ignore"):
        logs = np.log(np.where(present & (xa > 0), xa, 1.0))
    mean: np.ndarray = np.exp(_weighted_mean(logs, present, wa))
    return mean


@AGGREGATORS.register("harmonic")
def harmonic(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted harmonic mean (least compensatory of the three Pythagorean means).

    Parameters
    ----------
    x : ndarray, shape (..., n_units, n_child)
        Positive scores.
    w : ndarray, shape (..., n_parent, n_child)

    Returns
    -------
    ndarray, shape (..., n_units, n_parent)

    Raises
    ------
    DegenerateInputError
        A present child with positive weight is zero or negative.

    Notes
    -----
    Formula: y_up = sum_c w_pc / sum_c (w_pc / x_uc), sums over present children.

    References
    ----------
    OECD/JRC (2008), *Handbook on Constructing Composite Indicators*, section 1.8;
    COINr ``a_hmean()``.
    """
    xa, wa = _prepare(x, w)
    present = ~np.isnan(xa)
    _require(xa, wa, present & (xa <= 0), "harmonic mean of a zero or negative value")
    with np.errstate(invalid="ignore", divide="ignore"):
        inv = np.where(present & (xa > 0), 1.0 / np.where(xa > 0, xa, 1.0), 0.0)
    return 1.0 / _weighted_mean(inv, present, wa)


@AGGREGATORS.register("power_mean")
def power_mean(x: np.ndarray, w: np.ndarray, *, p: float = 1.0) -> np.ndarray:
    """Weighted power (generalised) mean of order ``p``.

    Parameters
    ----------
    x : ndarray, shape (..., n_units, n_child)
    w : ndarray, shape (..., n_parent, n_child)
    p : float, default 1.0
        Order: 1 arithmetic, 0 geometric, -1 harmonic; larger p is more compensatory.

    Returns
    -------
    ndarray, shape (..., n_units, n_parent)

    Raises
    ------
    DegenerateInputError
        p <= 0 and a present child with positive weight is zero or negative, or p > 0,
        p != 1 and such a child is negative (x^p is not real).

    Notes
    -----
    Formula: y_up = ( sum_c w_pc x_uc^p / sum_c w_pc )^(1/p) for p != 0, and the
    weighted geometric mean for p = 0 (its limit). p = 1 accepts any real values.

    References
    ----------
    OECD/JRC (2008), *Handbook on Constructing Composite Indicators*, section 1.8;
    Bullen (2003), *Handbook of Means and Their Inequalities*; COINr ``a_genmean()``.
    """
    if not np.isfinite(p):
        raise MethodError(f"The 'p' parameter of aggregate method 'power_mean' must be finite. Got {p!r}.")
    if p == 0:
        return geometric(x, w)
    if p == 1:
        return arithmetic(x, w)
    xa, wa = _prepare(x, w)
    present = ~np.isnan(xa)
    if p < 0:
        _require(xa, wa, present & (xa <= 0), f"power mean of order {p} of a zero or negative value")
    else:
        _require(xa, wa, present & (xa < 0), f"power mean of order {p} of a negative value")
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        powered = np.where(present, np.where(xa > 0, xa, 1.0) ** p, 0.0)
        powered = np.where(present & (xa == 0), 0.0, powered)
        return _weighted_mean(powered, present, wa) ** (1.0 / p)


def _weighted_median_sorted(v: np.ndarray, wt: np.ndarray) -> np.ndarray:
    """Weighted median along the last axis of values sorted ascending (NaN last, weight 0)."""
    tot = wt.sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        cum = np.cumsum(wt, axis=-1) / np.where(tot > 0, tot, 1.0)
    half = 0.5 - 1e-12
    k = np.argmax(cum >= half, axis=-1)[..., None]  # first value reaching half the weight
    lower = np.take_along_axis(v, k, axis=-1)[..., 0]
    exact = np.abs(np.take_along_axis(cum, k, axis=-1)[..., 0] - 0.5) <= 1e-12
    # upper: next value carrying positive weight after position k
    pos = np.arange(v.shape[-1])
    after = (pos > k) & (wt > 0)
    has_next = after.any(axis=-1)
    k2 = np.argmax(after, axis=-1)[..., None]
    upper = np.take_along_axis(v, k2, axis=-1)[..., 0]
    res = np.where(exact & has_next, 0.5 * (lower + upper), lower)
    return np.where(tot[..., 0] > 0, res, np.nan)


@AGGREGATORS.register("median")
def median(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted median of the present children.

    Parameters
    ----------
    x : ndarray, shape (..., n_units, n_child)
    w : ndarray, shape (..., n_parent, n_child)

    Returns
    -------
    ndarray, shape (..., n_units, n_parent)

    Notes
    -----
    Rule: sort the present children of positive weight by value, with weights rescaled
    to sum to 1 and cumulative weights F_1 <= ... <= F_k = 1. The median is the first
    value with F_i >= 1/2; when F_i = 1/2 exactly (within 1e-12) it is the mean of that
    value and the next one, so equal weights give the ordinary median
    (median(1, 2, 3, 4) = 2.5). Robust to one extreme child; not strictly monotone.

    References
    ----------
    OECD/JRC (2008), *Handbook on Constructing Composite Indicators*, section 1.8;
    COINr ``a_wmedian()`` (the weighted median of the ``matrixStats`` package).
    """
    xa, wa = _prepare(x, w)
    batch = np.broadcast_shapes(xa.shape[:-2], wa.shape[:-2])
    n_units, n_parent = xa.shape[-2], wa.shape[-2]
    out = np.full(batch + (n_units, n_parent), np.nan)
    for p in range(n_parent):
        wp = wa[..., p, :]  # (..., n_child)
        cols = np.nonzero((wp > 0).reshape(-1, wp.shape[-1]).any(axis=0))[0]
        if cols.size == 0:
            continue
        xs = xa[..., cols]  # (..., n_units, k)
        ws = np.broadcast_to(wp[..., None, cols], np.broadcast_shapes(xs.shape, wp[..., None, cols].shape))
        xs = np.broadcast_to(xs, ws.shape)
        ws = np.where(np.isnan(xs), 0.0, ws)
        order = np.argsort(np.where(ws > 0, xs, np.inf), axis=-1, kind="stable")
        v = np.take_along_axis(xs, order, axis=-1)
        wt = np.take_along_axis(ws, order, axis=-1)
        out[..., p] = _weighted_median_sorted(v, wt)
    return out


@AGGREGATORS.register("copeland")
def copeland(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Copeland score: pairwise weighted majority between units within each node.

    Parameters
    ----------
    x : ndarray, shape (..., n_units, n_child)
    w : ndarray, shape (..., n_parent, n_child)

    Returns
    -------
    ndarray, shape (..., n_units, n_parent)
        Integer-valued scores in [-(n - 1), n - 1]; NaN for a unit with no present child
        in the node.

    Notes
    -----
    Rule, for node p and units u, v: compare them on every child c with w_pc > 0 present
    for both (a child missing for either is ignored for that pair). u beats v when
    W(u > v) = sum_c w_pc [x_uc > x_vc] exceeds W(v > u) (ties and equal values count for
    neither; differences below 1e-12 of the node's total weight are ties). Score of u:
    y_up = #{v : u beats v} - #{v : v beats u}. The scores are ordinal and non-compensatory:
    they do not preserve the scale of the children (a constant input gives 0, not the
    constant), and they depend on the other units.

    References
    ----------
    OECD/JRC (2008), *Handbook on Constructing Composite Indicators*, section 6.4
    (non-compensatory multi-criteria approach); Munda & Nardo (2009), "Noncompensatory/
    nonlinear composite indicators for ranking countries", *Applied Economics* 41(12);
    Copeland (1951).
    """
    xa, wa = _prepare(x, w)
    batch = np.broadcast_shapes(xa.shape[:-2], wa.shape[:-2])
    n_units, n_parent = xa.shape[-2], wa.shape[-2]
    out = np.full(batch + (n_units, n_parent), np.nan)
    present = ~np.isnan(xa)
    for p in range(n_parent):
        wp = wa[..., p, :]  # (..., n_child)
        cols = np.nonzero((wp > 0).reshape(-1, wp.shape[-1]).any(axis=0))[0]
        if cols.size == 0:
            continue
        net = np.zeros(batch + (n_units, n_units))
        diff = np.empty(xa.shape[:-2] + (n_units, n_units))
        for c in cols:
            xc = xa[..., :, c]  # (..., n_units)
            with np.errstate(invalid="ignore"):
                np.subtract(xc[..., :, None], xc[..., None, :], out=diff)
                np.sign(diff, out=diff)
            diff[np.isnan(diff)] = 0.0  # a child missing for either unit is ignored
            net += wp[..., c, None, None] * diff
        tol = 1e-12 * wp[..., cols].sum(axis=-1)[..., None, None]
        score = np.sum(np.where(net > tol, 1.0, np.where(net < -tol, -1.0, 0.0)), axis=-1)
        has = (present[..., cols] & (wp[..., None, cols] > 0)).any(axis=-1)
        out[..., p] = np.where(has, score, np.nan)
    return out
