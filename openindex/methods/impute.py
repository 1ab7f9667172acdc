"""Imputation of missing data.

Registry family ``"impute"``. Every method takes data ``x`` of shape
``(..., n_units, n_ind)`` (NaN = missing) and returns a new array of the same shape in
which present values are unchanged and (some) missing cells are filled. Methods work
down the units axis (-2), column by column; leading batch axes are independent
replications. A column with no present value at all is left missing by every method
(there is nothing to impute from), except ``carry_forward`` which may fill it from the
previous edition.

Imputing against a reference (self-assessment): the methods that learn from the other
units (``mean``, ``median``, ``group_mean``, ``group_median``, ``regression``) take an
optional context ``reference`` of shape ``(..., n_ref, n_ind)``: the reference units'
values, from which every statistic (means, medians, group statistics, regression fits)
is taken instead of from ``x``. Each unit of ``x`` is then imputed on its own:
``f(x, reference=r)[i]`` depends on ``x[i]`` and ``r`` only, and ``f(x, reference=x)``
equals ``f(x)``.
"""

from __future__ import annotations

import numpy as np

from openindex.errors import MethodError
from openindex.methods.registry import Registry
from openindex.methods.stats import as_data, check_reference, nan_mean, nan_median, nan_sd

__all__ = [
    "IMPUTERS",
    "none",
    "mean",
    "median",
    "group_mean",
    "group_median",
    "regression",
    "carry_forward",
]

IMPUTERS = Registry("impute")


def _fill(x: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Put ``values`` (broadcast to ``x``) into the missing cells of ``x``."""
    return np.where(np.isnan(x), values, x)


def _reference(reference: np.ndarray | None, x: np.ndarray, method: str) -> np.ndarray:
    """The context ``reference`` checked against ``x``, or ``x`` itself when there is none."""
    return x if reference is None else check_reference(reference, x, "impute", method)


@IMPUTERS.register("none")
def none(x: np.ndarray) -> np.ndarray:
    """Leave missing values missing.

    Parameters
    ----------
    x : ndarray, shape (..., n_units, n_ind)

    Returns
    -------
    ndarray, shape (..., n_units, n_ind)
        A copy of ``x``.

    Notes
    -----
    Formula: y = x. The aggregation step then drops missing children and rescales the
    remaining weights ("available-case" aggregation), which amounts to imputing a missing
    indicator with the weighted mean of its present siblings.

    References
    ----------
    OECD/JRC (2008), *Handbook on Constructing Composite Indicators*, section 1.4 (case deletion).
    """
    return as_data(x)


@IMPUTERS.register("mean", needs=("reference",))
def mean(x: np.ndarray, *, reference: np.ndarray | None = None) -> np.ndarray:
    """Fill each missing value with the mean of its indicator over the present units.

    Parameters
    ----------
    x : ndarray, shape (..., n_units, n_ind)
    reference : ndarray, shape (..., n_ref, n_ind), optional (context)
        Units whose means fill the gaps (default ``x``); see the module docstring.

    Returns
    -------
    ndarray, shape (..., n_units, n_ind)

    Notes
    -----
    Formula: y_ij = x_ij if present, else (1 / n_j) * sum over present units k of x_kj.
    A column with no present value stays missing.

    References
    ----------
    OECD/JRC (2008), *Handbook on Constructing Composite Indicators*, section 1.4
    (unconditional mean imputation); COINr ``i_mean()``.
    """
    out = as_data(x)
    return _fill(out, nan_mean(_reference(reference, out, "mean"), axis=-2, keepdims=True))


@IMPUTERS.register("median", needs=("reference",))
def median(x: np.ndarray, *, reference: np.ndarray | None = None) -> np.ndarray:
    """Fill each missing value with the median of its indicator over the present units.

    Parameters
    ----------
    x : ndarray, shape (..., n_units, n_ind)
    reference : ndarray, shape (..., n_ref, n_ind), optional (context)
        Units whose medians fill the gaps (default ``x``); see the module docstring.

    Returns
    -------
    ndarray, shape (..., n_units, n_ind)

    Notes
    -----
    Formula: y_ij = x_ij if present, else median_k(x_kj) over present units k (the mean of
    the two middle values for an even count). A column with no present value stays missing.

    References
    ----------
    OECD/JRC (2008), *Handbook on Constructing Composite Indicators*, section 1.4
    (unconditional median imputation); COINr ``i_median()``.
    """
    out = as_data(x)
    return _fill(out, nan_median(_reference(reference, out, "median"), axis=-2, keepdims=True))


def _check_groups(groups: np.ndarray, n_units: int) -> np.ndarray:
    g = np.asarray(groups)
    if g.shape != (n_units,) or (g.size and not np.issubdtype(g.dtype, np.integer)):
        raise MethodError(
            f"The 'groups' of a group imputation must be {n_units} integer codes (one per unit, -1 = none). "
            f"Got an array of shape {g.shape} and dtype {g.dtype} instead."
        )
    return g.astype(np.int64)


def _group_impute(x: np.ndarray, groups: np.ndarray, stat: str, reference: np.ndarray | None = None,
                  reference_groups: np.ndarray | None = None) -> np.ndarray:
    out = as_data(x)
    g = _check_groups(groups, out.shape[-2])
    method = f"group_{stat}"
    ref = _reference(reference, out, method)
    if reference is None:
        rg = g
    elif reference_groups is None:
        raise MethodError(f"impute method '{method}' with a 'reference' needs 'reference_groups': the group code "
                          "of every reference unit, coded like 'groups'.")
    else:
        rg = _check_groups(reference_groups, ref.shape[-2])
    func = nan_mean if stat == "mean" else nan_median
    overall = func(ref, axis=-2, keepdims=True)  # (..., 1, n_ind)
    shape = np.broadcast_shapes(out.shape[:-2], ref.shape[:-2]) + out.shape[-2:]
    fill = np.broadcast_to(overall, shape).copy()
    for code in np.unique(g[g >= 0]):
        rows = g == code
        stat_g = func(ref[..., rg == code, :], axis=-2, keepdims=True)
        stat_g = np.where(np.isnan(stat_g), overall, stat_g)  # empty group -> overall
        fill[..., rows, :] = stat_g
    return _fill(out, fill)


@IMPUTERS.register("group_mean", needs=("groups", "reference", "reference_groups"))
def group_mean(x: np.ndarray, *, groups: np.ndarray, group: str = "", reference: np.ndarray | None = None,
               reference_groups: np.ndarray | None = None) -> np.ndarray:
    """Fill each missing value with the mean of its indicator within the unit's group.

    Parameters
    ----------
    x : ndarray, shape (..., n_units, n_ind)
    groups : ndarray of int, shape (n_units,) (context)
        Group code of every unit, 0..G-1; -1 = the unit belongs to no group.
    group : str, default ""
        Name of the unit attribute defining the groups (for example ``"region"``). The
        pipeline turns it into ``groups``; this function does not read it.
    reference : ndarray, shape (..., n_ref, n_ind), optional (context)
        Units whose group means fill the gaps (default ``x``); see the module docstring.
    reference_groups : ndarray of int, shape (n_ref,), optional (context)
        Group codes of the reference units, coded like ``groups``; needed with ``reference``.

    Returns
    -------
    ndarray, shape (..., n_units, n_ind)

    Notes
    -----
    Formula: y_ij = x_ij if present, else the mean of x_kj over the present units k with
    groups[k] == groups[i].

    Fallbacks: when the unit's group has no present value of indicator j, or the unit
    has no group (-1), the overall column mean over all present units is used. A column
    with no present value stays missing.

    References
    ----------
    OECD/JRC (2008), *Handbook on Constructing Composite Indicators*, section 1.4;
    COINr ``Impute(impute_by = "column", group_level = ...)``.
    """
    return _group_impute(x, groups, "mean", reference, reference_groups)


@IMPUTERS.register("group_median", needs=("groups", "reference", "reference_groups"))
def group_median(x: np.ndarray, *, groups: np.ndarray, group: str = "", reference: np.ndarray | None = None,
                 reference_groups: np.ndarray | None = None) -> np.ndarray:
    """Fill each missing value with the median of its indicator within the unit's group.

    Parameters
    ----------
    x : ndarray, shape (..., n_units, n_ind)
    groups : ndarray of int, shape (n_units,) (context)
        Group code of every unit, 0..G-1; -1 = the unit belongs to no group.
    group : str, default ""
        Name of the unit attribute defining the groups; resolved by the pipeline, not read here.
    reference : ndarray, shape (..., n_ref, n_ind), optional (context)
        Units whose group medians fill the gaps (default ``x``); see the module docstring.
    reference_groups : ndarray of int, shape (n_ref,), optional (context)
        Group codes of the reference units, coded like ``groups``; needed with ``reference``.

    Returns
    -------
    ndarray, shape (..., n_units, n_ind)

    Notes
    -----
    Formula: y_ij = x_ij if present, else median of x_kj over the present units k with
    groups[k] == groups[i] (mean of the two middle values for an even count).

    Fallbacks: an empty group (no present value of j) or a unit without a group (-1)
    takes the overall column median. A column with no present value stays missing.

    References
    ----------
    OECD/JRC (2008), *Handbook on Constructing Composite Indicators*, section 1.4;
    COINr ``Impute(f_i = "i_median_grp")``.
    """
    return _group_impute(x, groups, "median", reference, reference_groups)


def _regression_2d(x: np.ndarray, max_iter: int, tol: float, alpha: float,
                   extra: np.ndarray | None = None) -> np.ndarray:
    """Regression imputation of ``x``; with ``extra`` (passenger rows), impute those instead.

    Passenger rows never enter a fit or the convergence test: in every round each of their
    missing cells is predicted with the coefficients fitted on ``x`` (standardised with the
    statistics of ``x``), exactly as a row of ``x`` with the same values would be. The
    passengers' completed rows are returned.
    """
    out = x.copy()
    miss = np.isnan(x)
    n_obs = (~miss).sum(axis=0)
    usable = n_obs > 0  # columns with no present value stay missing and are not predictors
    mu = nan_mean(x, axis=0)
    out[:, usable] = np.where(miss[:, usable], mu[usable], x[:, usable])
    e_miss = np.zeros((0, x.shape[1]), dtype=bool) if extra is None else np.isnan(extra) & usable
    e_out = None if extra is None else np.where(e_miss, mu, extra)
    targets = [j for j in range(x.shape[1]) if usable[j] and (miss[:, j].any() or e_miss[:, j].any())
               and n_obs[j] >= 2]
    if not targets:
        return out if e_out is None else e_out
    scale = nan_sd(x, axis=0, ddof=0)
    scale = np.where(np.isfinite(scale) & (scale > 0), scale, 1.0)
    for _ in range(max_iter):
        change = 0.0
        for j in targets:
            pred = [k for k in range(x.shape[1]) if k != j and usable[k]]
            if not pred:
                continue
            z = out[:, pred]
            sd = z.std(axis=0)
            keep = sd > 0
            if not keep.any():
                continue
            centre = z[:, keep].mean(axis=0)
            z = (z[:, keep] - centre) / sd[keep]
            obs = ~miss[:, j]
            zo = z[obs]
            zbar = zo.mean(axis=0)
            zc = zo - zbar
            y = x[obs, j]
            ybar = y.mean()
            m = zo.shape[0]
            gram = zc.T @ zc / m + alpha * np.eye(zc.shape[1])
            beta = np.linalg.lstsq(gram, zc.T @ (y - ybar) / m, rcond=None)[0]  # min-norm if singular
            if miss[:, j].any():
                new = ybar + (z[miss[:, j]] - zbar) @ beta
                change = max(change, float(np.max(np.abs(new - out[miss[:, j], j]))) / scale[j])
                out[miss[:, j], j] = new
            if e_out is not None and e_miss[:, j].any():
                ze = (e_out[np.ix_(e_miss[:, j], np.asarray(pred))][:, keep] - centre) / sd[keep]
                e_out[e_miss[:, j], j] = ybar + (ze - zbar) @ beta
        if change < tol:
            break
    return out if e_out is None else e_out


@IMPUTERS.register("regression", needs=("reference",))
def regression(x: np.ndarray, *, max_iter: int = 50, tol: float = 1e-6, alpha: float = 1e-3,
               reference: np.ndarray | None = None) -> np.ndarray:
    """Iterative ridge-regression imputation (deterministic chained equations).

    Parameters
    ----------
    x : ndarray, shape (..., n_units, n_ind)
    reference : ndarray, shape (..., n_ref, n_ind), optional (context)
        Units the regressions are fitted on (default ``x``); see Notes.
    max_iter : int, default 50
        Maximum number of rounds over the incomplete columns.
    tol : float, default 1e-6
        Convergence tolerance on the largest change of an imputed value in one round,
        measured in standard deviations of its column's present values.
    alpha : float, default 1e-3
        Ridge penalty on the standardised coefficients (keeps collinear or tiny
        samples solvable).

    Returns
    -------
    ndarray, shape (..., n_units, n_ind)

    Notes
    -----
    Algorithm, for every batch element separately:

    1. Fill every missing cell with its column mean.
    2. For round = 1..max_iter, for each incomplete column j in column order (with at
       least 2 present values): standardise the other columns of the current completed
       matrix (z = (x - mean) / sd over all units, ddof 0; constant predictors dropped),
       fit on the m rows where j is present the ridge regression
       beta = (Zc' Zc / m + alpha I)^-1 Zc' (y - ybar) / m, with Zc the predictors centred
       on those rows, and replace the missing cells of j by ybar + (z - zbar) beta
       (Gauss-Seidel: later columns see the updated values).
    3. Stop when the largest change of an imputed cell in a round, divided by the sd of
       its column's present values, is below ``tol``.

    Conventions: with ``alpha = 0`` and collinear predictors the minimum-norm
    coefficients are used. A column with no present value stays missing and is not used as a
    predictor; a column with one present value is filled with that value; with a single
    indicator the result is mean imputation. No randomness: the result is deterministic.

    With a reference, steps 1-3 run on the reference alone (its means, fits and stopping
    round); the units of ``x`` ride along: their missing cells start at the reference's
    column means and, in every round, are predicted with that round's coefficients from
    their own current values, standardised with the reference's statistics. A unit equal to
    a reference unit is imputed as that unit.

    References
    ----------
    OECD/JRC (2008), *Handbook on Constructing Composite Indicators*, section 1.4
    (regression imputation); van Buuren & Groothuis-Oudshoorn (2011), "mice: Multivariate
    Imputation by Chained Equations in R", *J. Stat. Softw.* 45(3).
    """
    out = as_data(x)
    if max_iter < 1 or tol <= 0 or alpha < 0:
        raise MethodError(
            "The parameters of impute method 'regression' must satisfy max_iter >= 1, tol > 0, alpha >= 0. "
            f"Got max_iter={max_iter}, tol={tol}, alpha={alpha} instead."
        )
    if reference is not None:
        ref = _reference(reference, out, "regression")
        batch = np.broadcast_shapes(out.shape[:-2], ref.shape[:-2])
        xs = np.broadcast_to(out, batch + out.shape[-2:]).reshape(-1, *out.shape[-2:])
        rs = np.broadcast_to(ref, batch + ref.shape[-2:]).reshape(-1, *ref.shape[-2:])
        res = np.stack([_regression_2d(r, max_iter, tol, alpha, extra=a) for a, r in zip(xs, rs, strict=True)])
        return res.reshape(batch + out.shape[-2:])
    flat = out.reshape(-1, *out.shape[-2:])
    res = np.stack([_regression_2d(a, max_iter, tol, alpha) for a in flat]) if flat.size else flat
    return res.reshape(out.shape)


@IMPUTERS.register("carry_forward", needs=("previous",))
def carry_forward(x: np.ndarray, *, previous: np.ndarray) -> np.ndarray:
    """Fill a missing value with the same unit's value from the previous edition.

    Parameters
    ----------
    x : ndarray, shape (..., n_units, n_ind)
    previous : ndarray, shape (n_units, n_ind) (context)
        The same units' values in the previous edition, aligned with ``x``; NaN where
        the unit or the indicator was absent.

    Returns
    -------
    ndarray, shape (..., n_units, n_ind)

    Notes
    -----
    Formula: y_ij = x_ij if present, else previous_ij (which may itself be missing, and
    then y_ij stays missing). Values are carried as they are, with no trend adjustment.

    References
    ----------
    OECD/JRC (2008), *Handbook on Constructing Composite Indicators*, section 1.4
    ("last observation carried forward"); COINr ``Impute(impute_by = ...)`` with time series.
    """
    out = as_data(x)
    try:
        prev = np.broadcast_to(np.asarray(previous, dtype=np.float64), out.shape)
    except ValueError:
        raise MethodError(
            f"The 'previous' edition data must have shape {out.shape[-2:]}. Got {np.shape(previous)} instead."
        ) from None
    return _fill(out, prev)
