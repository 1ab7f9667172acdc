"""Small NaN-aware statistics shared by the method families (private).

Every helper works down ``axis`` (default ``-2``, the units axis) of a float64
array with any number of leading batch axes, treats NaN as missing, and never
emits numpy's "mean of empty slice" warnings: a statistic over no present value
is NaN.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from openindex.errors import MethodError

__all__ = [
    "as_data",
    "nan_count",
    "nan_mean",
    "nan_sd",
    "nan_median",
    "nan_min",
    "nan_max",
    "skew_kurt",
    "ranks",
    "check_reference",
]


def as_data(x: Any, *, min_ndim: int = 2, name: str = "x") -> np.ndarray:
    """Return ``x`` as a new float64 array with at least ``min_ndim`` axes.

    The result is always a copy, so methods may write into it freely without
    mutating the caller's array.
    """
    arr = np.array(x, dtype=np.float64, copy=True)
    if arr.ndim < min_ndim:
        raise MethodError(
            f"The '{name}' argument must have at least {min_ndim} axes (..., n_units, n_ind). "
            f"Got shape {arr.shape} instead."
        )
    return arr


def nan_count(x: np.ndarray, axis: int = -2, keepdims: bool = False) -> np.ndarray:
    """Number of present (non-NaN) values along ``axis``."""
    count: np.ndarray = np.sum(~np.isnan(x), axis=axis, keepdims=keepdims)
    return count


def nan_mean(x: np.ndarray, axis: int = -2, keepdims: bool = False) -> np.ndarray:
    """Mean of present values; NaN where none is present."""
    n = nan_count(x, axis, keepdims)
    s = np.sum(np.where(np.isnan(x), 0.0, x), axis=axis, keepdims=keepdims)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, s / np.maximum(n, 1), np.nan)


def nan_sd(x: np.ndarray, axis: int = -2, ddof: int = 1, keepdims: bool = False) -> np.ndarray:
    """Standard deviation of present values with ``ddof``; NaN when ``n <= ddof``."""
    n = nan_count(x, axis, True)
    m = nan_mean(x, axis, True)
    ss = np.sum(np.where(np.isnan(x), 0.0, (x - m) ** 2), axis=axis, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        sd = np.where(n > ddof, np.sqrt(ss / np.maximum(n - ddof, 1)), np.nan)
    return sd if keepdims else np.squeeze(sd, axis=axis)


def nan_median(x: np.ndarray, axis: int = -2, keepdims: bool = False) -> np.ndarray:
    """Median of present values (mean of the two middle ones for an even count); NaN if none."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        median: np.ndarray = np.nanmedian(x, axis=axis, keepdims=keepdims)
    return median


def nan_min(x: np.ndarray, axis: int = -2, keepdims: bool = False) -> np.ndarray:
    """Minimum of present values; NaN if none."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        low: np.ndarray = np.nanmin(x, axis=axis, keepdims=keepdims)
    return low


def nan_max(x: np.ndarray, axis: int = -2, keepdims: bool = False) -> np.ndarray:
    """Maximum of present values; NaN if none."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        high: np.ndarray = np.nanmax(x, axis=axis, keepdims=keepdims)
    return high


def skew_kurt(x: np.ndarray, axis: int = -2) -> tuple[np.ndarray, np.ndarray]:
    """Bias-corrected sample skewness ``G1`` and excess kurtosis ``G2`` of present values.

    With ``m_k`` the k-th central moment (divisor n), ``g1 = m3 / m2**1.5`` and
    ``g2 = m4 / m2**2 - 3``::

        G1 = sqrt(n (n - 1)) / (n - 2) * g1                      (n >= 3)
        G2 = (n - 1) / ((n - 2) (n - 3)) * ((n + 1) g2 + 6)      (n >= 4)

    identical to ``scipy.stats.skew(bias=False)`` and
    ``scipy.stats.kurtosis(fisher=True, bias=False)``. NaN when n is too small
    or the values are constant (``m2 == 0``).
    """
    n = nan_count(x, axis, True).astype(np.float64)
    m = nan_mean(x, axis, True)
    d = np.where(np.isnan(x), 0.0, x - m)
    with np.errstate(invalid="ignore", divide="ignore"):
        nn = np.maximum(n, 1.0)
        m2 = np.sum(d**2, axis=axis, keepdims=True) / nn
        m3 = np.sum(d**3, axis=axis, keepdims=True) / nn
        m4 = np.sum(d**4, axis=axis, keepdims=True) / nn
        # relative tolerance: a column whose spread is rounding noise is constant
        scale = np.maximum(nan_max(np.abs(x), axis, True), 1e-300)
        const = ~(m2 > (1e-14 * scale) ** 2)
        g1 = m3 / m2**1.5
        g2 = m4 / m2**2 - 3.0
        G1 = np.sqrt(n * (n - 1.0)) / (n - 2.0) * g1
        G2 = (n - 1.0) / ((n - 2.0) * (n - 3.0)) * ((n + 1.0) * g2 + 6.0)
    G1 = np.where((n >= 3) & ~const, G1, np.nan)
    G2 = np.where((n >= 4) & ~const, G2, np.nan)
    return np.squeeze(G1, axis=axis), np.squeeze(G2, axis=axis)


#: tie rules of :func:`ranks` (those of ``scipy.stats.rankdata``)
_RANK_METHODS = ("average", "min", "max", "dense", "ordinal")


def ranks(x: np.ndarray, method: str = "min", axis: int = -2) -> np.ndarray:
    """Ascending ranks along ``axis`` (1 = lowest) of present values; NaN stays NaN.

    The values are sorted (stably) along ``axis``; equal values form a tie group
    occupying sorted positions ``a..b`` (1-based). ``method`` is the tie rule, as in
    ``scipy.stats.rankdata(..., nan_policy="omit")``:

    - ``"min"``: every member gets ``a``; ``"max"``: ``b``; ``"average"``: ``(a + b) / 2``;
    - ``"dense"``: the number of distinct values <= the value;
    - ``"ordinal"``: the sorted position itself (ties broken by order of appearance).

    Missing values (NaN) are left out of the ranking and stay NaN. The result is float64
    with the shape of ``x``.
    """
    x = np.asarray(x, dtype=np.float64)
    if method not in _RANK_METHODS:
        raise MethodError(f"The 'method' parameter of ranks must be one of {', '.join(_RANK_METHODS)}. "
                          f"Got {method!r} instead.")
    if x.shape[axis] == 0:
        return np.array(x, dtype=np.float64, copy=True)
    v = np.moveaxis(x, axis, -1)
    n = v.shape[-1]
    rows = np.ascontiguousarray(v).reshape(-1, n)  # one row per ranking
    # flat positions of each row's values in ascending order (stable: ties keep their order; NaN last)
    order = (np.argsort(rows, axis=-1, kind="stable") + (np.arange(rows.shape[0]) * n)[:, None]).ravel()
    s = rows.ravel()[order]
    start = np.ones(s.size, dtype=bool)  # the first member of a tie group; every row starts one
    start[1:] = s[1:] != s[:-1]
    start[::n] = True
    if method == "ordinal":
        r = np.tile(np.arange(1.0, n + 1.0), rows.shape[0])
    else:
        group = np.cumsum(start) - 1  # tie group of each sorted value, numbered across rows
        if method == "dense":
            r = (group - np.repeat(group[::n], n) + 1).astype(np.float64)
        else:
            first = np.flatnonzero(start)  # flat position of each group's first and last member
            last = np.append(first[1:], s.size) - 1
            low, high = (first % n + 1.0)[group], (last % n + 1.0)[group]
            r = {"min": low, "max": high, "average": (low + high) / 2.0}[method]
    out = np.empty(s.size, dtype=np.float64)
    out[order] = r
    out = out.reshape(v.shape)
    out[np.isnan(v)] = np.nan
    return np.moveaxis(out, -1, axis)


def check_reference(reference: Any, x: np.ndarray, family: str, method: str) -> np.ndarray:
    """The context ``reference`` as float64, checked against the data ``x``.

    ``reference`` holds the reference units' values of the same columns, shape
    (..., n_ref, n_ind), with batch axes that broadcast against those of ``x``
    (see "Scoring against a reference" in :mod:`openindex.methods.normalise`).

    Raises
    ------
    MethodError
        Wrong number of columns or batch axes that do not broadcast.
    """
    ref = np.asarray(reference, dtype=np.float64)
    if ref.ndim < 2 or ref.shape[-1] != x.shape[-1]:
        raise MethodError(f"The 'reference' of {family} method '{method}' must have shape (..., n_ref, "
                          f"{x.shape[-1]}). Got {ref.shape} instead.")
    try:
        np.broadcast_shapes(ref.shape[:-2], x.shape[:-2])
    except ValueError:
        raise MethodError(f"The batch axes of the 'reference' of {family} method '{method}' {ref.shape[:-2]} do "
                          f"not broadcast against those of the data {x.shape[:-2]}.") from None
    return ref
