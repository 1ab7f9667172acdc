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

Most methods score each unit from its own children only. The *relative* methods
(:data:`RELATIVE`: ``copeland``, ``bod``) score a unit against the other units of the same
call, so a unit cannot be scored alone against a network held fixed.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from openindex.errors import DegenerateInputError, MethodError
from openindex.methods.registry import Registry

__all__ = ["AGGREGATORS", "RELATIVE", "arithmetic", "geometric", "harmonic", "power_mean", "median", "minimum",
           "mpi", "ampi", "copeland", "bod"]

AGGREGATORS = Registry("aggregate")

#: aggregation methods whose score of a unit depends on the other units aggregated with it
RELATIVE: frozenset[str] = frozenset({"copeland", "bod"})


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
            hint="Fix: --set build.normalise.params.low=1 (minmax, goalposts, distance_to_target and "
            "questionnaire points then score from 1, not 0; zscore needs build.normalise.params.mean=100), or "
            "--set build.aggregate.method=arithmetic.",
            cases=zip(units, cols, strict=True),
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


@AGGREGATORS.register("minimum")
def minimum(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """The weakest present child (non-compensatory: no strength makes up for a weakness).

    Parameters
    ----------
    x : ndarray, shape (..., n_units, n_child)
    w : ndarray, shape (..., n_parent, n_child)
        Only which children belong to each node matters (w > 0); see Notes.

    Returns
    -------
    ndarray, shape (..., n_units, n_parent)

    Notes
    -----
    Formula: y_up = min { x_uc : w_pc > 0, x_uc present }.
    The minimum has no weights: a child of weight 0 is left out, and the sizes of the
    positive weights do not change the result (the score of a node is that of its
    weakest child whatever the weights). It is the limit of the power mean as p -> -inf.

    References
    ----------
    OECD/JRC (2008), *Handbook on Constructing Composite Indicators*, section 6.3
    (non-compensatory aggregation); Bullen (2003), *Handbook of Means and Their
    Inequalities* (the power mean's limit).
    """
    xa, wa = _prepare(x, w)
    use = (wa > 0)[..., None, :, :] & ~np.isnan(xa)[..., :, None, :]  # (..., n_units, n_parent, n_child)
    low = np.min(np.where(use, xa[..., :, None, :], np.inf), axis=-1)
    out: np.ndarray = np.where(use.any(axis=-1), low, np.nan)
    return out


def _moments(xa: np.ndarray, wa: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted mean and variance of each unit's present children, per node.

    Returns ``(mean, var)``, each of shape (..., n_units, n_parent), with
    mean = sum_c w x / sum_c w and var = sum_c w (x - mean)^2 / sum_c w over the present
    children of positive weight (NaN where there is none).
    """
    batch = np.broadcast_shapes(xa.shape[:-2], wa.shape[:-2])
    n_units, n_parent = xa.shape[-2], wa.shape[-2]
    mean = np.full(batch + (n_units, n_parent), np.nan)
    var = np.full(batch + (n_units, n_parent), np.nan)
    for p in range(n_parent):
        wp = wa[..., p, :]
        cols = np.nonzero((wp > 0).reshape(-1, wp.shape[-1]).any(axis=0))[0]
        if cols.size == 0:
            continue
        xs = xa[..., cols]  # (..., n_units, k)
        ws = np.where(np.isnan(xs), 0.0, wp[..., None, cols])
        xz = np.where(np.isnan(xs), 0.0, xs)
        tot = ws.sum(axis=-1)
        with np.errstate(invalid="ignore", divide="ignore"):
            m = np.where(tot > 0, (ws * xz).sum(axis=-1) / np.where(tot > 0, tot, 1.0), np.nan)
            v = (ws * (xz - m[..., None]) ** 2).sum(axis=-1) / np.where(tot > 0, tot, 1.0)
        mean[..., p] = m
        var[..., p] = np.where(tot > 0, v, np.nan)
    return mean, var


def _mp_index(xa: np.ndarray, wa: np.ndarray, penalty: str, method: str) -> np.ndarray:
    """M -/+ S * cv = M -/+ S^2 / M per unit and node (the Mazziotta-Pareto penalty)."""
    if penalty not in ("subtract", "add"):
        raise MethodError(f"The 'penalty' parameter of aggregate method '{method}' must be one of 'subtract', "
                          f"'add'. Got {penalty!r} instead.")
    mean, var = _moments(xa, wa)
    bad: np.ndarray = (mean <= 0) & (var > 0)
    if bad.any():
        hit = np.asarray(bad.reshape(-1, *bad.shape[-2:]).any(axis=0))  # (n_units, n_parent)
        members = np.asarray((wa > 0).reshape(-1, *wa.shape[-2:]).any(axis=0))  # (n_parent, n_child)
        kids = members[hit.any(axis=0)].any(axis=0)
        raise DegenerateInputError(
            "the mean of the children is zero or negative, so the coefficient of variation (the penalty) "
            "is undefined",
            columns=np.nonzero(kids)[0],
            units=np.nonzero(hit.any(axis=1))[0],
            hint="Normalise onto positive scores: zscore with mean 100 and sd 10 for mpi, goalposts or "
            "minmax for ampi.",
        )
    sign = -1.0 if penalty == "subtract" else 1.0
    with np.errstate(invalid="ignore", divide="ignore"):
        pen = np.where(var > 0, var / np.where(mean > 0, mean, 1.0), 0.0)
    out: np.ndarray = mean + sign * pen
    return out


@AGGREGATORS.register("mpi")
def mpi(x: np.ndarray, w: np.ndarray, *, penalty: Literal["subtract", "add"] = "subtract") -> np.ndarray:
    """Mazziotta-Pareto index: the mean penalised by the imbalance of the children.

    Parameters
    ----------
    x : ndarray, shape (..., n_units, n_child)
        Standardised scores (MPI proper: z = 100 + 10 (x - mean) / sd, i.e. normalise
        with ``zscore`` and params ``{mean: 100, sd: 10}``); their weighted mean must be
        positive wherever they differ.
    w : ndarray, shape (..., n_parent, n_child)
        Weights of the weighted mean and standard deviation.
    penalty : {"subtract", "add"}, default "subtract"
        "subtract": MPI- = M - S cv, for an index where higher is better (openindex
        orients every indicator so, hence the default); "add": MPI+ = M + S cv, for a
        "negative" index (poverty, deprivation) where higher is worse.

    Returns
    -------
    ndarray, shape (..., n_units, n_parent)

    Raises
    ------
    DegenerateInputError
        A unit's children differ but their weighted mean is zero or negative (``units``;
        ``columns``: the children of the nodes concerned).

    Notes
    -----
    Formula, over the present children of positive weight of unit u in node p, weights
    w renormalised over them:
    M = sum_c w_c x_c / sum_c w_c, S = sqrt( sum_c w_c (x_c - M)^2 / sum_c w_c ),
    cv = S / M, and y = M - S cv = M - S^2 / M ("subtract"), y = M + S^2 / M ("add").
    S = 0 (one child, or equal children) gives y = M. Equal weights give the original
    MPI, whose S divides by the number of children m (a population standard deviation);
    Compind's ``ci_mpi`` divides by m - 1 instead (``var`` in R), so its penalty is
    larger by m / (m - 1). Unequal weights enter as the weighted mean and the weighted
    standard deviation, as in Mazziotta & Pareto (2022). Note that openindex's
    ``zscore`` standardises with the sample sd (ddof = 1) where MPI uses the population
    sd; the z-scores differ by the factor sqrt((n - 1) / n) around 100.

    References
    ----------
    De Muro, Mazziotta & Pareto (2011), "Composite indices of development and poverty: an
    application to MDGs", *Social Indicators Research* 104(1), 1-18; Mazziotta & Pareto
    (2016), "On a generalized non-compensatory composite index for measuring
    socio-economic phenomena", *Social Indicators Research* 127(3), 983-1003; Mazziotta &
    Pareto (2022), "Weighting in composite indices construction: the case of the
    Mazziotta-Pareto Index", *Rivista Italiana di Economia Demografia e Statistica*;
    Compind ``ci_mpi()``.
    """
    xa, wa = _prepare(x, w)
    return _mp_index(xa, wa, penalty, "mpi")


@AGGREGATORS.register("ampi")
def ampi(x: np.ndarray, w: np.ndarray, *, penalty: Literal["subtract", "add"] = "subtract",
         low: float = 0.0, high: float = 100.0) -> np.ndarray:
    """Adjusted Mazziotta-Pareto index: the MPI penalty on goalpost scores, comparable over time.

    Parameters
    ----------
    x : ndarray, shape (..., n_units, n_child)
        Scores on fixed goalposts, ``low`` at the lower goalpost and ``high`` at the
        upper one (normalise with ``goalposts``, the goalposts of each indicator set to
        reference -/+ delta, without truncation, so that 100 in AMPI terms is the
        reference value).
    w : ndarray, shape (..., n_parent, n_child)
        Weights of the weighted mean and standard deviation.
    penalty : {"subtract", "add"}, default "subtract"
        As in ``mpi``: "subtract" for an index where higher is better.
    low, high : float, default 0.0 and 100.0
        The scores of the lower and the upper goalpost in ``x`` (and in the result).

    Returns
    -------
    ndarray, shape (..., n_units, n_parent)
        AMPI on the scale of the children: y = low + (AMPI - 70) (high - low) / 60, so
        that with ``low: 70, high: 130`` (goalposts normalised onto [70, 130]) it is the
        published AMPI, and with the defaults a unit at the reference on every child
        scores 50.

    Raises
    ------
    MethodError
        ``high`` is not above ``low``.
    DegenerateInputError
        A unit's rescaled children have a weighted mean of zero or less (values far
        below the lower goalpost).

    Notes
    -----
    Formula: each child is rescaled onto AMPI's [70, 130],
    r_c = 70 + 60 (x_c - low) / (high - low), (with goalposts Min = ref - delta and
    Max = ref + delta this is r = (x_raw - Min) / (Max - Min) * 60 + 70); then, over the
    present children of positive weight, M_r and S_r are the weighted mean and
    standard deviation (as in ``mpi``), AMPI = M_r - S_r^2 / M_r ("subtract") or
    M_r + S_r^2 / M_r ("add"), and y = low + (AMPI - 70) (high - low) / 60. Rescaling
    back keeps a constant input constant and lets a parent level aggregate the result
    with the same parameters.

    References
    ----------
    Mazziotta & Pareto (2016), "On a generalized non-compensatory composite index for
    measuring socio-economic phenomena", *Social Indicators Research* 127(3), 983-1003;
    Mazziotta & Pareto (2018), "Measuring well-being over time: the adjusted
    Mazziotta-Pareto index versus other non-compensatory indices", *Social Indicators
    Research* 136(3), 967-976; Compind ``ci_ampi()``.
    """
    if not (np.isfinite(low) and np.isfinite(high) and high > low):
        raise MethodError("The 'high' parameter of aggregate method 'ampi' must be a number above 'low'. "
                          f"Got low={low!r}, high={high!r} instead.")
    xa, wa = _prepare(x, w)
    r = 70.0 + 60.0 * (xa - low) / (high - low)
    a = _mp_index(r, wa, penalty, "ampi")
    out: np.ndarray = low + (a - 70.0) * (high - low) / 60.0
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


@AGGREGATORS.register("bod")
def bod(x: np.ndarray, w: np.ndarray, *, min_share: float = 0.0, max_share: float = 1.0,
        high: float = 100.0) -> np.ndarray:
    """Benefit of the doubt: each unit's score with its own most favourable weights (DEA).

    Parameters
    ----------
    x : ndarray, shape (..., n_units, n_child)
        Non-negative scores, higher is better.
    w : ndarray, shape (..., n_parent, n_child)
        Only which children belong to each node matters (w > 0): BoD replaces the
        nominal weights by each unit's own optimal weights (see Notes).
    min_share, max_share : float, default 0.0 and 1.0
        Bounds on the share of each child in the unit's own score,
        s_c = v_c x_uc / sum_k v_k x_uk (the "importance weights" of Compind's
        ``ci_bod_constr``, ``low_w`` and ``up_w``); the defaults leave them free.
    high : float, default 100.0
        Score of a unit on the frontier (efficiency 1); a unit's score is ``high`` times
        its efficiency in [0, 1].

    Returns
    -------
    ndarray, shape (..., n_units, n_parent)

    Raises
    ------
    MethodError
        Bounds outside 0 <= min_share <= max_share <= 1, or ``high`` not positive.
    DegenerateInputError
        A present child with positive weight is negative, or a unit has too few present
        children for the bounds (k * max_share < 1 or k * min_share > 1 for its k
        present children).

    Notes
    -----
    Linear programme, for unit u and node p, over the unit's present children C of
    positive weight (Cherchye et al. 2007, eq. 2): maximise CI_u = sum_{c in C} v_c x_uc
    subject to sum_{c in C} v_c x_jc <= 1 for every unit j of the call (u included; a
    child missing for j counts 0 for j), v_c >= 0, and, when given,
    min_share * CI_u <= v_c x_uc <= max_share * CI_u. The score is y_up = high * CI_u:
    the unit's weighted sum with the weights that favour it most, divided by the best
    weighted sum of any unit with those same weights, so the best-practice units score
    ``high`` and the others less. The result does not change when a child is rescaled
    (units invariance). It is relative: a unit's score depends on the other units of
    the call (as ``copeland``), so it cannot score a unit alone against a network.
    Nominal weights: their values do not enter (each unit gets its own); bound the
    shares to keep the weights near a judgement. With min_share > 0 a unit scoring 0 on
    a child scores 0. Solved with ``scipy.optimize.linprog`` (HiGHS dual simplex): the
    programmes of the units of a node with the same present children are solved as one
    block-diagonal programme, keeping only the constraints of units no other unit
    matches or exceeds on every child (the others are implied); weights varying along
    the batch axis with the same members reuse the solutions.

    References
    ----------
    Cherchye, Moesen, Rogge & Van Puyenbroeck (2007), "An introduction to 'benefit of the
    doubt' composite indicators", *Social Indicators Research* 82, 111-145; OECD/JRC
    (2008), *Handbook on Constructing Composite Indicators*, section 6.2 (benefit of the
    doubt approach); Compind ``ci_bod()`` and ``ci_bod_constr()``.
    """
    if not (0.0 <= min_share <= max_share <= 1.0):
        raise MethodError("The 'min_share' and 'max_share' parameters of aggregate method 'bod' must satisfy "
                          f"0 <= min_share <= max_share <= 1. Got min_share={min_share!r}, "
                          f"max_share={max_share!r} instead.")
    if not (np.isfinite(high) and high > 0):
        raise MethodError(f"The 'high' parameter of aggregate method 'bod' must be a positive number. "
                          f"Got {high!r} instead.")
    xa, wa = _prepare(x, w)
    _require(xa, wa, ~np.isnan(xa) & (xa < 0), "benefit of the doubt of a negative value")
    batch = np.broadcast_shapes(xa.shape[:-2], wa.shape[:-2])
    n_units, n_parent = xa.shape[-2], wa.shape[-2]
    out = np.full(batch + (n_units, n_parent), np.nan)
    xb = np.broadcast_to(xa, batch + xa.shape[-2:])
    wb = np.broadcast_to(wa, batch + wa.shape[-2:])
    x_batch = xa.shape[:-2]
    solved: dict[tuple[tuple[int, ...], tuple[int, ...]], np.ndarray] = {}
    for idx in np.ndindex(*batch):
        # the batch index of x itself (its own axes, broadcast from the right): the cache key of its data
        x_idx = tuple(i if s > 1 else 0 for i, s in zip(idx[len(batch) - len(x_batch):], x_batch, strict=True))
        for p in range(n_parent):
            cols = tuple(int(c) for c in np.nonzero(wb[idx][p] > 0)[0])
            if not cols:
                continue
            key = (x_idx, cols)
            if key not in solved:
                solved[key] = _bod_node(xb[idx][:, list(cols)], cols, min_share, max_share)
            out[idx + (slice(None), p)] = high * solved[key]
    return out


def _bod_node(y: np.ndarray, cols: tuple[int, ...], min_share: float, max_share: float) -> np.ndarray:
    """Efficiency in [0, 1] of every unit of one node (NaN without a present child); ``y`` (n_units, k)."""
    n_units = y.shape[0]
    present = ~np.isnan(y)
    yz = np.where(present, y, 0.0)
    ci = np.full(n_units, np.nan)
    short = present.sum(axis=1)
    infeasible = (short > 0) & ((short * min_share > 1.0 + 1e-12) | (short * max_share < 1.0 - 1e-12))
    if infeasible.any():
        raise DegenerateInputError(
            f"benefit of the doubt with each child's share bounded to [{min_share:g}, {max_share:g}]: the "
            "bounds cannot hold for a unit with k present children unless k * min_share <= 1 <= k * max_share",
            columns=cols,
            units=np.nonzero(infeasible)[0],
            hint="Widen the bounds (for this node: build.aggregate.overrides), or impute the missing values.",
        )
    scoring = present.any(axis=1) & (yz > 0).any(axis=1)
    ci[present.any(axis=1) & ~scoring] = 0.0  # every present child 0: every weighted sum is 0
    # units with the same present children share their constraints: one block-diagonal programme per pattern
    patterns: dict[tuple[bool, ...], list[int]] = {}
    for u in np.nonzero(scoring)[0]:
        patterns.setdefault(tuple(bool(b) for b in present[u]), []).append(int(u))
    # scipy is imported when `bod` runs, not with the registry: `openindex methods` and `validate` stay light
    # (the one lazy third-party import, listed in tests/test_architecture.py LAZY_THIRD_PARTY)
    import scipy.optimize
    import scipy.sparse

    for pattern, units in patterns.items():
        use = np.array(pattern)
        frontier = _undominated(yz[:, use])  # a dominated unit's constraint is implied by its dominator's
        ys = y[np.ix_(np.array(units), use)]  # (g, k)
        blocks = [_bod_constraints(frontier, yu, min_share, max_share) for yu in ys]
        a_ub = scipy.sparse.block_diag([b[0] for b in blocks], format="csr")
        b_ub = np.concatenate([b[1] for b in blocks])
        res = scipy.optimize.linprog(-ys.ravel(), A_ub=a_ub, b_ub=b_ub, bounds=(0, None), method="highs-ds")
        if res.status != 0:
            raise MethodError(f"benefit of the doubt: the linear programme failed ({res.message})")
        v = np.asarray(res.x).reshape(ys.shape)
        ci[units] = np.clip((v * ys).sum(axis=1), 0.0, 1.0)
    return ci



def _undominated(y: np.ndarray) -> np.ndarray:
    """The rows of ``y`` (n, k) that no other row matches or exceeds on every column (one of equal rows kept)."""
    ge = (y[:, None, :] >= y[None, :, :]).all(axis=-1)  # ge[a, b]: row a >= row b everywhere
    order = np.arange(len(y))
    beaten = (ge & ~ge.T) | (ge & ge.T & (order[:, None] < order[None, :]))  # strictly, or an earlier equal row
    np.fill_diagonal(beaten, False)
    return y[~beaten.any(axis=0)]


def _bod_constraints(frontier: np.ndarray, yu: np.ndarray, min_share: float,
                     max_share: float) -> tuple[np.ndarray, np.ndarray]:
    """``A v <= b`` of one unit's programme: the frontier units' weighted sums <= 1, and the share bounds."""
    k = yu.size
    rows, rhs = [frontier], [np.ones(len(frontier))]
    if max_share < 1.0:  # v_c y_uc - max_share * sum_k v_k y_uk <= 0
        rows.append(np.diag(yu) - max_share * np.tile(yu, (k, 1)))
        rhs.append(np.zeros(k))
    if min_share > 0.0:  # min_share * sum_k v_k y_uk - v_c y_uc <= 0
        rows.append(min_share * np.tile(yu, (k, 1)) - np.diag(yu))
        rhs.append(np.zeros(k))
    return np.vstack(rows), np.concatenate(rhs)
