"""Ranking of units: 1 = best.

Plain functions (not a registry) used by the pipeline for final ranks and by the
uncertainty analysis for rank intervals. They work along the units axis of arrays
with any leading batch axes.

Ties: scores that are equal in exact arithmetic often differ in the last bits after
aggregation (``(50 + 100 + 37.5) / 3`` and ``(37.5 + 75 + 75) / 3`` computed with
weights 1/3 need not round alike), so values closer than ``rtol`` times the largest
absolute score of the column are treated as tied (:func:`snap_ties`).
"""

from __future__ import annotations

import numpy as np

from openindex.errors import MethodError
from openindex.methods.stats import nan_max

__all__ = ["snap_ties", "rank_desc", "rank_within_groups"]


def _tie_groups(xa: np.ndarray, rtol: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sort the last axis best first; return (order, sorted values, start of each tie group)."""
    n = xa.shape[-1]
    order = np.argsort(np.where(np.isnan(xa), np.inf, -xa), axis=-1, kind="stable")  # best first, NaN last
    s = np.take_along_axis(xa, order, axis=-1)
    tol = rtol * np.nan_to_num(nan_max(np.abs(xa), axis=-1, keepdims=True))
    gap = s[..., :-1] - s[..., 1:]
    new = np.concatenate([np.ones(xa.shape[:-1] + (1,), dtype=bool), ~(gap <= tol)], axis=-1)
    pos = np.broadcast_to(np.arange(n), xa.shape)
    start = np.maximum.accumulate(np.where(new, pos, 0), axis=-1)
    return order, s, start


def snap_ties(x: np.ndarray, axis: int = -2, *, rtol: float = 1e-9) -> np.ndarray:
    """Make scores that are equal up to rounding noise exactly equal.

    Parameters
    ----------
    x : ndarray, shape (..., n_units, n_nodes) by default
        Scores; NaN = missing.
    axis : int, default -2
        The units axis.
    rtol : float, default 1e-9
        Relative tolerance: scores differing by at most ``rtol * max|x|`` over the present
        units of the column are tied.

    Returns
    -------
    ndarray, same shape as ``x``
        A copy in which every member of a tie group takes the group's largest value; NaN
        stays NaN. Comparing the result with ``>`` and ``==`` then gives the intended ties.

    Notes
    -----
    Tie groups are found on the scores sorted best first: a score joins the group of the
    next better one when the gap between them is at most tol = rtol * max|x|, so a chain of
    near-equal scores forms one group (this only matters for gaps of rounding-noise size).

    Examples
    --------
    >>> w = 1 / 3
    >>> a, b = 50 * w + 100 * w + 37.5 * w, 37.5 * w + 75 * w + 75 * w  # both 62.5 by hand
    >>> bool(np.all(snap_ties(np.array([[a], [b]])) == max(a, b)))
    True
    """
    xa = np.moveaxis(np.asarray(x, dtype=np.float64), axis, -1)
    if xa.shape[-1] == 0:
        return np.moveaxis(xa.copy(), -1, axis)
    order, s, start = _tie_groups(xa, rtol)
    out = np.empty(xa.shape)
    np.put_along_axis(out, order, np.take_along_axis(s, start, axis=-1), axis=-1)
    return np.moveaxis(out, -1, axis)


def rank_desc(x: np.ndarray, axis: int = -2, *, rtol: float = 1e-9) -> np.ndarray:
    """Rank units from best (1 = highest score) to worst.

    Parameters
    ----------
    x : ndarray, shape (..., n_units, n_nodes) by default
        Scores; NaN = missing.
    axis : int, default -2
        The units axis.
    rtol : float, default 1e-9
        Relative tie tolerance (see :func:`snap_ties`); ``rtol = 0`` gives exact ties.

    Returns
    -------
    ndarray of float, same shape as ``x``
        r_i = 1 + #{k present : x_k > x_i} after :func:`snap_ties`; tied units share the
        minimum rank ("competition" ranking 1, 2, 2, 4); NaN where ``x`` is missing.

    Examples
    --------
    >>> rank_desc(np.array([[3.0], [5.0], [3.0], [np.nan]]))[:, 0].tolist()
    [2.0, 1.0, 2.0, nan]
    """
    xa = np.moveaxis(np.asarray(x, dtype=np.float64), axis, -1)
    if xa.shape[-1] == 0:
        return np.moveaxis(xa.copy(), -1, axis)
    order, _, start = _tie_groups(xa, rtol)
    out = np.empty(xa.shape)
    np.put_along_axis(out, order, start + 1.0, axis=-1)
    out[np.isnan(xa)] = np.nan
    return np.moveaxis(out, -1, axis)


def rank_within_groups(
    x: np.ndarray, groups: np.ndarray, axis: int = -2, *, rtol: float = 1e-9
) -> np.ndarray:
    """Rank units from best (1) to worst within each group.

    Parameters
    ----------
    x : ndarray, shape (..., n_units, n_nodes) by default
        Scores; NaN = missing.
    groups : ndarray of int, shape (n_units,)
        Group code of every unit; -1 = no group.
    axis : int, default -2
        The units axis.
    rtol : float, default 1e-9
        Relative tie tolerance, as in :func:`rank_desc` (relative to the group's largest score).

    Returns
    -------
    ndarray of float, same shape as ``x``
        The :func:`rank_desc` rank among the units of the same group; NaN for units with
        no group (-1) and where ``x`` is missing.

    Examples
    --------
    >>> rank_within_groups(np.array([[1.0], [2.0], [3.0], [4.0]]), np.array([0, 1, 0, -1]))[:, 0].tolist()
    [2.0, 1.0, 1.0, nan]
    """
    xa = np.moveaxis(np.asarray(x, dtype=np.float64), axis, -1)
    g = np.asarray(groups)
    if g.shape != (xa.shape[-1],):
        raise MethodError(
            f"groups must have shape ({xa.shape[-1]},), one code per unit. Got {g.shape} instead."
        )
    out = np.full(xa.shape, np.nan)
    for code in np.unique(g[g >= 0]):
        idx = np.nonzero(g == code)[0]
        out[..., idx] = rank_desc(xa[..., idx], axis=-1, rtol=rtol)
    return np.moveaxis(out, -1, axis)
