"""Pure statistics of the audit over arrays: correlation tests and their confidence intervals, partial and
corrected item-total correlations, pairwise covariances, Cronbach's alpha, PCA and the correlation ratio.

Every function takes plain arrays (NaN is missing) and knows nothing of frameworks or
results; :mod:`.tables` applies them to every node of an index.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.stats

from openindex.errors import MethodError

__all__ = ["corr_test", "fisher_ci", "partial_corr", "item_rest_corr", "pairwise_cov", "cronbach_alpha", "pca_eigen",
           "correlation_ratio"]

#: variance factor of Fisher's z of Spearman's rho (Fieller, Hartley & Pearson 1957); Pearson's is 1
SPEARMAN_Z_VARIANCE = 1.06


def check_choice(name: str, value: Any, options: Sequence[str], owner: str = "AuditRules") -> None:
    """Raise :class:`~openindex.errors.MethodError` unless ``value`` is one of ``options``."""
    if value not in options:
        raise MethodError(f"The '{name}' parameter of {owner} must be one of "
                          f"{', '.join(repr(o) for o in options)}. Got {value!r} instead.")


def corr_test(x: Any, y: Any, method: str = "pearson") -> tuple[float, float, int]:
    """Correlation of two vectors on their pairwise-complete observations, with its p-value.

    Parameters
    ----------
    x, y : array_like, shape (n,)
        Values; NaN is missing. Only the positions where both are present are used.
    method : {"pearson", "spearman"}
        Pearson's r (``scipy.stats.pearsonr``) or Spearman's rho (``scipy.stats.spearmanr``:
        Pearson's r of the average ranks within the complete pairs).

    Returns
    -------
    r : float
        The correlation; NaN when ``n < 3`` or either vector is constant on the pairs.
    p : float
        Two-sided p-value of ``r = 0`` (scipy's: exact beta distribution for Pearson,
        ``t = r sqrt((n - 2) / (1 - r^2))`` with n - 2 degrees of freedom for Spearman);
        NaN when ``r`` is.
    n : int
        Number of complete pairs.

    Examples
    --------
    >>> corr_test([1, 2, 3, np.nan], [2, 4, 7, 1])[2]
    3
    """
    check_choice("method", method, ("pearson", "spearman"), "corr_test")
    xa, ya = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    ok = ~np.isnan(xa) & ~np.isnan(ya)
    n = int(ok.sum())
    if n < 3:
        return math.nan, math.nan, n
    xs, ys = xa[ok], ya[ok]
    if np.ptp(xs) == 0 or np.ptp(ys) == 0:
        return math.nan, math.nan, n
    test = scipy.stats.pearsonr if method == "pearson" else scipy.stats.spearmanr
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = test(xs, ys)
    return float(res.statistic), float(res.pvalue), n


def fisher_ci(r: float, n: int, *, level: float = 0.95, method: str = "pearson",
              controls: int = 0) -> tuple[float, float]:
    """Confidence interval of a correlation by Fisher's z transformation.

    ::

        z = atanh(r),   se = sqrt(c / (n - 3 - controls)),   CI = tanh(z -/+ q se)

    with ``q = Phi^-1((1 + level) / 2)`` (1.96 for 95%), ``c = 1`` for Pearson's r and
    ``c = 1.06`` for Spearman's rho (Fieller, Hartley & Pearson 1957), and ``controls``
    the number of variables partialled out (0 for a plain correlation, 1 for a partial
    correlation controlling for one variable).

    Parameters
    ----------
    r : float
        The correlation, in [-1, 1].
    n : int
        Number of complete observations it was computed on.
    level : float
        Confidence level, in (0, 1). Default 0.95.
    method : {"pearson", "spearman"}
    controls : int
        Variables partialled out. Default 0.

    Returns
    -------
    (low, high) : (float, float)
        NaN when ``r`` is NaN or ``n - 3 - controls < 1``; ``(r, r)`` when ``|r| = 1``.

    References
    ----------
    Fisher, R. A. (1921). On the "probable error" of a coefficient of correlation deduced
        from a small sample. Metron 1: 3-32.
    Fieller, E. C., Hartley, H. O. & Pearson, E. S. (1957). Tests for rank correlation
        coefficients. I. Biometrika 44(3/4): 470-481.

    Examples
    --------
    >>> low, high = fisher_ci(0.5, 28)      # z = 0.5493, se = 1/5: tanh(0.5493 -/+ 0.3920)
    >>> round(low, 4), round(high, 4)
    (0.156, 0.7358)
    """
    check_choice("method", method, ("pearson", "spearman"), "fisher_ci")
    df = n - 3 - controls
    if r != r or df < 1:
        return math.nan, math.nan
    if abs(r) >= 1.0:
        return float(r), float(r)
    c = 1.0 if method == "pearson" else SPEARMAN_Z_VARIANCE
    q = float(scipy.stats.norm.ppf((1.0 + level) / 2.0))
    z, se = math.atanh(r), math.sqrt(c / df)
    return math.tanh(z - q * se), math.tanh(z + q * se)


def partial_corr(x: Any, y: Any, z: Any, method: str = "pearson") -> tuple[float, float, int]:
    """Partial correlation of ``x`` and ``y`` controlling for ``z``, on complete triples, with its p-value.

    ::

        r_xy.z = (r_xy - r_xz r_yz) / sqrt((1 - r_xz^2) (1 - r_yz^2))

    the correlation of the residuals of ``x`` and ``y`` after a least-squares line on
    ``z``. Spearman's version applies the formula to the ranks (average ranks within the
    complete triples). The p-value is two-sided, from ``t = r sqrt((n - 3) / (1 - r^2))``
    with ``n - 3`` degrees of freedom.

    Parameters
    ----------
    x, y, z : array_like, shape (n,)
        Values; NaN is missing. Only the positions where all three are present are used.
    method : {"pearson", "spearman"}

    Returns
    -------
    r : float
        NaN when fewer than 4 complete triples, a vector is constant on them, or ``x`` or
        ``y`` is a linear function of ``z`` (nothing is left to correlate).
    p : float
        NaN when ``r`` is.
    n : int
        Number of complete triples.

    Examples
    --------
    ``r_xy = 0.5, r_xz = r_yz = 0.5``: ``(0.5 - 0.25) / 0.75 = 1/3``.
    """
    check_choice("method", method, ("pearson", "spearman"), "partial_corr")
    a = np.column_stack([np.asarray(v, dtype=float) for v in (x, y, z)])
    a = a[~np.isnan(a).any(axis=1)]
    n = len(a)
    if n < 4 or (np.ptp(a, axis=0) == 0).any():
        return math.nan, math.nan, n
    if method == "spearman":
        a = np.column_stack([scipy.stats.rankdata(a[:, j]) for j in range(3)])
    r = np.corrcoef(a, rowvar=False)
    rxy, rxz, ryz = r[0, 1], r[0, 2], r[1, 2]
    den = (1.0 - rxz**2) * (1.0 - ryz**2)
    if not den > 1e-12:
        return math.nan, math.nan, n
    rp = float(min(max((rxy - rxz * ryz) / math.sqrt(den), -1.0), 1.0))
    df = n - 3
    if abs(rp) == 1.0:
        return rp, 0.0, n
    t = rp * math.sqrt(df / (1.0 - rp**2))
    return rp, float(2.0 * scipy.stats.t.sf(abs(t), df)), n


def item_rest_corr(x: Any, method: str = "pearson") -> list[tuple[float, float, int]]:
    """Corrected item-total correlations: each column against the mean of the *other* columns.

    For column ``j`` the rest score of unit ``u`` is the mean of its present values in the
    other columns, ``rest_uj = mean_{i != j, x_ui present} x_ui`` (missing when none is
    present), and the statistic is ``corr_test(x[:, j], rest_j)``. Without missing values
    the rest mean is the rest sum over ``k - 1``, so this is the classical corrected
    item-total correlation (Nunnally & Bernstein 1994): unlike the correlation of a
    component with its parent, it does not contain the component itself, so it is not
    inflated by the part-whole overlap.

    Parameters
    ----------
    x : array_like, shape (n_units, k)
        Components (columns); NaN is missing. ``k >= 2``.
    method : {"pearson", "spearman"}

    Returns
    -------
    list of (r, p, n)
        One :func:`corr_test` result per column.

    Examples
    --------
    Column 1 ``[1, 2, 3, 4]`` against the mean of the others ``[1.5, 1.5, 3.5, 4]``:
    ``sxy = 4.75, sxx = 5, syy = 5.1875``, ``r = 4.75 / sqrt(25.9375)``.

    >>> round(item_rest_corr([[1, 2, 1], [2, 1, 2], [3, 4, 3], [4, 3, 5]])[0][0], 4)
    0.9327
    """
    xa = np.asarray(x, dtype=float)
    k = xa.shape[1]
    if k < 2:
        raise MethodError(f"item_rest_corr needs at least 2 columns. Got {k} instead.")
    present = ~np.isnan(xa)
    filled = np.where(present, xa, 0.0)
    total, count = filled.sum(axis=1), present.sum(axis=1)
    out = []
    for j in range(k):
        n_rest = count - present[:, j]
        with np.errstate(invalid="ignore", divide="ignore"):
            rest = np.where(n_rest > 0, (total - filled[:, j]) / n_rest, np.nan)
        out.append(corr_test(xa[:, j], rest, method))
    return out


def _pairwise_moments(x: np.ndarray, ddof: int = 1) -> tuple[np.ndarray, ...]:
    """Pairwise-complete counts, covariances and the two variances on each pair's rows."""
    x = np.asarray(x, dtype=float)
    present = ~np.isnan(x)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        shift = np.nanmean(x, axis=0)  # covariances are shift-invariant; centring avoids cancellation
    x0 = np.where(present, x - np.nan_to_num(shift), 0.0)
    m = present.astype(float)
    n = m.T @ m                      # n[i, j]: rows where i and j are both present
    s = x0.T @ m                     # s[i, j]: sum of x_i over those rows
    sxy = x0.T @ x0                  # sum of x_i x_j over those rows
    sxx = (x0**2).T @ m              # sum of x_i^2 over those rows
    with np.errstate(invalid="ignore", divide="ignore"):
        d = np.where(n > ddof, n - ddof, np.nan)
        cov = (sxy - s * s.T / n) / d
        var_i = (sxx - s**2 / n) / d      # variance of x_i on the rows of pair (i, j)
    return n, cov, var_i, var_i.T


def pairwise_cov(x: Any, ddof: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Covariance matrix on pairwise-complete observations.

    For each pair ``(i, j)``, with ``P`` the rows where both columns are present and
    ``n_ij = |P|``::

        C[i, j] = sum_{u in P} (x_ui - mean_P(x_i)) (x_uj - mean_P(x_j)) / (n_ij - ddof)

    (means taken over ``P``, as R's ``cov(use = "pairwise.complete.obs")``). The
    diagonal is the variance of each column over its present values.

    Parameters
    ----------
    x : array_like, shape (n_units, k)
        Data; NaN is missing.
    ddof : int
        Delta degrees of freedom; default 1 (the unbiased sample covariance).

    Returns
    -------
    C : ndarray, shape (k, k)
        Covariances; NaN where ``n_ij <= ddof``.
    n : ndarray of int, shape (k, k)
        Pair counts ``n_ij``.
    """
    n, cov, _, _ = _pairwise_moments(np.asarray(x, dtype=float).reshape(len(x), -1), ddof)
    return cov, n.astype(int)


def _complete_rows(x: np.ndarray) -> np.ndarray:
    return x[~np.isnan(x).any(axis=1)]


def cronbach_alpha(x: Any, *, use: str = "pairwise", ddof: int = 1) -> tuple[float, int, int]:
    """Cronbach's alpha of the columns of ``x``.

    ::

        alpha = k / (k - 1) * (1 - trace(C) / sum(C))

    with ``C`` the k x k covariance matrix of the columns (Cronbach 1951; OECD/JRC
    2008, Part 1 §4.1). ``sum(C)`` is the variance of the unweighted sum of the
    columns, so alpha is the share of that variance due to covariance, rescaled.
    Alpha is negative when the columns covary negatively on average.

    Parameters
    ----------
    x : array_like, shape (n_units, k)
        Data; NaN is missing.
    use : {"pairwise", "complete"}
        ``"pairwise"`` (default): ``C`` from :func:`pairwise_cov` (each entry on the rows
        where both columns are present; may be indefinite). ``"complete"``: ``C`` from the
        rows where every column is present.
    ddof : int
        Delta degrees of freedom of the covariances; default 1. (Alpha does not depend
        on it when every entry has the same n.)

    Returns
    -------
    alpha : float
        NaN when ``k < 2``, ``n <= ddof`` or ``sum(C) == 0``.
    k : int
        Number of columns.
    n : int
        ``"complete"``: the number of complete rows; ``"pairwise"``: the smallest pair count.
    """
    check_choice("use", use, ("pairwise", "complete"), "cronbach_alpha")
    xa = np.asarray(x, dtype=float)
    k = xa.shape[1]
    if use == "complete":
        xa = _complete_rows(xa)
    cov, counts = pairwise_cov(xa, ddof)
    n = int(counts.min()) if k else 0
    if k < 2 or n <= ddof or np.isnan(cov).any():
        return math.nan, k, n
    total = float(cov.sum())
    if total == 0:
        return math.nan, k, n
    return k / (k - 1) * (1.0 - float(np.trace(cov)) / total), k, n


def pca_eigen(x: Any, *, use: str = "complete") -> tuple[np.ndarray, np.ndarray, int]:
    """Principal components of the standardised columns of ``x``.

    The eigen-decomposition ``R = V diag(lambda) V'`` of the Pearson correlation matrix
    ``R`` (the covariance matrix of the standardised columns). Eigenvalues sum to k;
    ``lambda_1 / k`` is the share of variance of the first component. Loadings are the
    correlations of the columns with the components: ``L = V diag(sqrt(lambda))``, the
    sign of each component chosen so that its loadings sum to a non-negative number.

    Parameters
    ----------
    x : array_like, shape (n_units, k)
        Data; NaN is missing.
    use : {"complete", "pairwise"}
        ``"complete"`` (default): ``R`` from the rows where every column is present
        (positive semi-definite). ``"pairwise"``: each ``R[i, j]`` on the rows where both
        are present (may have negative eigenvalues).

    Returns
    -------
    eigenvalues : ndarray, shape (k,)
        Descending; NaN when ``R`` cannot be formed (fewer than 3 rows, a constant column).
    loadings : ndarray, shape (k, k)
        ``loadings[i, c]``: loading of column ``i`` on component ``c``; negative
        eigenvalues (pairwise) give loading NaN.
    n : int
        Complete rows, or the smallest pair count.
    """
    check_choice("use", use, ("complete", "pairwise"), "pca_eigen")
    xa = np.asarray(x, dtype=float)
    k = xa.shape[1]
    if use == "complete":
        xa = _complete_rows(xa)
    counts, cov, vi, vj = _pairwise_moments(xa)
    n = int(counts.min()) if k else 0
    with np.errstate(invalid="ignore", divide="ignore"):
        r = cov / np.sqrt(vi * vj)
    if k == 0 or n < 3 or not np.isfinite(r).all():
        return np.full(k, np.nan), np.full((k, k), np.nan), n
    r = (r + r.T) / 2
    np.fill_diagonal(r, 1.0)
    lam, vec = np.linalg.eigh(r)
    lam, vec = lam[::-1], vec[:, ::-1]
    sign = np.where(vec.sum(axis=0) < 0, -1.0, 1.0)
    with np.errstate(invalid="ignore"):
        loadings = vec * sign * np.sqrt(np.where(lam >= 0, lam, np.nan))
    return lam, loadings, n


def correlation_ratio(x: Any, y: Any, *, adjust: bool = True, max_levels: int = 5,
                      bandwidths: Sequence[float] | None = None) -> float:
    """First-order correlation ratio ``S = Var(E[y | x]) / Var(y)`` (Pearson's eta squared).

    The "main effect" of ``x`` on ``y`` (Paruolo, Saisana & Saltelli 2013): the share of
    the variance of ``y`` explained by the best function of ``x`` alone, linear or not
    (for a linear relation it is the squared Pearson r). ``E[y | x]`` is estimated on
    the pairwise-complete observations by a smoother ``m = L y``:

    - if ``x`` takes at most ``max_levels`` distinct values, ``m`` is the mean of ``y``
      at each value (``L`` projects on the groups; ``nu = tr(L)`` = number of groups);
    - otherwise ``m`` is a local-linear regression with a Gaussian kernel,
      ``m(x0) = a`` where ``(a, b)`` minimise ``sum_u K((x_u - x0) / h) (y_u - a - b (x_u - x0))^2``
      with ``K(t) = exp(-t^2 / 2)``, on ``x`` rescaled to [0, 1]. The bandwidth ``h``
      minimises the leave-one-out cross-validation error
      ``sum_u ((y_u - m(x_u)) / (1 - L_uu))^2`` over ``bandwidths`` (default 24 values
      from 0.05 to 3, geometric). A large ``h`` gives the straight-line fit, so a linear
      relation is fitted exactly and a pure-noise relation tends to the line.

    With ``RSS = sum (y - m)^2``, ``TSS = sum (y - mean(y))^2`` and ``nu = tr(L)`` the
    effective degrees of freedom of the smoother::

        adjust=True  (default):  S = 1 - (RSS / (n - nu)) / (TSS / (n - 1))
        adjust=False (plug-in):  S = var(m) / var(y)

    The adjusted estimate corrects the optimism of a flexible fit the way adjusted R^2
    does (for group means it is epsilon squared; Kelley 1935), which matters at the
    sample sizes of city networks (n of 30-60): the plug-in estimate of pure noise is
    about ``nu / n``. Both are clipped to [0, 1]; NaN when fewer than 3 pairs or ``y``
    is constant on them; 0 when ``x`` is constant.

    Parameters
    ----------
    x, y : array_like, shape (n,)
        Input and output; NaN is missing.
    adjust : bool
        Degrees-of-freedom adjustment (default True).
    max_levels : int
        Up to this many distinct ``x`` values, use group means. Default 5.
    bandwidths : sequence of float, optional
        Candidate bandwidths on the [0, 1] scale of ``x``.

    Returns
    -------
    float
        ``S`` in [0, 1].

    Examples
    --------
    Two groups, means 2 and 6 around 4: ``var(m) / var(y) = 16 / 20``.

    >>> correlation_ratio([0, 0, 1, 1], [1, 3, 5, 7], adjust=False)
    0.8
    """
    xa, ya = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    ok = ~np.isnan(xa) & ~np.isnan(ya)
    xs, ys = xa[ok], ya[ok]
    n = len(xs)
    if n < 3 or np.ptp(ys) == 0:
        return math.nan
    if np.ptp(xs) == 0:
        return 0.0
    levels, inverse = np.unique(xs, return_inverse=True)
    if len(levels) <= max_levels:
        fit = (np.bincount(inverse, weights=ys) / np.bincount(inverse))[inverse]
        nu = float(len(levels))
    else:
        fit, nu = _local_linear_cv(xs, ys, bandwidths)
    tss = float(np.sum((ys - ys.mean()) ** 2))
    if adjust:
        rss = float(np.sum((ys - fit) ** 2))
        s = 1.0 - (rss / (n - nu)) / (tss / (n - 1)) if n - nu > 0 else math.nan
    else:
        s = float(np.sum((fit - fit.mean()) ** 2)) / tss
    return s if s != s else min(max(s, 0.0), 1.0)


def _local_linear_cv(x: np.ndarray, y: np.ndarray, bandwidths: Sequence[float] | None
                     ) -> tuple[np.ndarray, float]:
    """Local-linear fit at each x and ``tr(L)``, bandwidth by leave-one-out CV (see correlation_ratio)."""
    grid = np.geomspace(0.05, 3.0, 24) if bandwidths is None else np.asarray(bandwidths, dtype=float)
    u = (x - x.min()) / np.ptp(x)
    d = u[None, :] - u[:, None]          # d[i, j] = x_j - x_i: data j around evaluation point i
    best: tuple[float, np.ndarray, float] | None = None
    for h in grid:
        k = np.exp(-0.5 * (d / h) ** 2)
        s0, s1, s2 = k.sum(1), (k * d).sum(1), (k * d * d).sum(1)
        t0, t1 = k @ y, (k * d) @ y
        den = s0 * s2 - s1 * s1
        linear = den > 1e-10 * s0 * s2   # else too few neighbours for a slope: local mean
        with np.errstate(invalid="ignore", divide="ignore"):
            fit = np.where(linear, (s2 * t0 - s1 * t1) / den, t0 / s0)
            lev = np.where(linear, s2 / den, 1.0 / s0)   # L_ii, as K(0) = 1
            score = float(np.mean(((y - fit) / (1.0 - lev)) ** 2)) if np.all(lev < 1 - 1e-8) else math.inf
        if best is None or score < best[0]:
            best = (score, fit, float(lev.sum()))
    assert best is not None
    return best[1], best[2]
