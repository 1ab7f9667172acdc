"""Statistical audit of a built index: data quality, coherence, redundancy, importance.

The analyses of a JRC statistical audit (OECD/JRC Handbook 2008, Part 1 §4 and
Part 2 §6; Saisana, Saltelli & Tarantola 2005; the GII audits), run on every node
of any framework:

- **data quality**: coverage per indicator and per unit (per edition); outliers by
  the JRC rule ``|skewness| > 2 and kurtosis > 3.5``, before and after treatment;
- **correlations**, Pearson and Spearman, pairwise-complete, with p-values: every
  component against each of its ancestors (indicator vs area, vs theme, vs index;
  node vs parent...) and every pair of children within every node;
- **Cronbach's alpha** of every aggregate node over its children;
- **PCA** within every node: eigenvalues, share of the first component, Kaiser count;
- **importance versus weight**: squared correlation and first-order correlation ratio
  (Paruolo, Saisana & Saltelli 2013) of each child with its parent, next to its weight;
- **flags**: the findings, most serious first, each with a plain sentence.

Conventions
-----------
Components are the children of a node: indicators (level 1) or aggregates. The
indicator values are those of one *stage* of the result (``"normalised"`` by default,
oriented so that higher is better); aggregates are the aggregated scores. With
``stage="aggregated"`` the indicators are left out and only aggregates are audited
(nodes whose children are indicators are then skipped). Children without any value
in the edition (excluded indicators) are left out of every within-node analysis.
Correlations of a component with its own parent are part-whole correlations: the
component is inside the parent, which inflates ``r``, most for nodes with few children.

Everything here is a pure function over arrays, frames or a
:class:`~openindex.result.Result`; nothing reads or writes files.

References
----------
Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
    Psychometrika 16(3): 297-334.
OECD/JRC (2008). Handbook on Constructing Composite Indicators: Methodology and
    User Guide. OECD Publishing, Paris.
Saisana, M., Saltelli, A. & Tarantola, S. (2005). Uncertainty and sensitivity analysis
    techniques as tools for the quality assessment of composite indicators. JRSS A
    168(2): 307-323.
Paruolo, P., Saisana, M. & Saltelli, A. (2013). Ratings and rankings: voodoo or
    science? JRSS A 176(3): 609-634.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
import scipy.stats

from ._stats import skew_kurt
from .errors import MethodError
from .result import STAGES

if TYPE_CHECKING:
    from .dataset import Dataset
    from .framework import Framework
    from .result import Result

__all__ = [
    "AUDIT_STAGES",
    "SEVERITIES",
    "FINDINGS",
    "AuditRules",
    "Audit",
    "run_audit",
    "coverage",
    "outliers",
    "correlations",
    "cronbach",
    "pca",
    "pca_summary",
    "importance",
    "audit_flags",
    "corr_test",
    "pairwise_cov",
    "cronbach_alpha",
    "pca_eigen",
    "correlation_ratio",
]

#: stages an audit can run at: an indicator stage, or only the aggregated scores
AUDIT_STAGES: tuple[str, ...] = (*STAGES, "aggregated")
#: severities, most serious first
SEVERITIES: tuple[str, ...] = ("high", "medium", "low")
#: finding -> severity, in the order findings are listed within a severity
FINDINGS: Mapping[str, str] = {
    "negative_alpha": "high",
    "negative_correlation": "high",
    "redundancy": "medium",
    "multidimensional": "medium",
    "importance_weight": "medium",
    "low_alpha": "low",
    "insignificant_correlation": "low",
    "weak_first_component": "low",
    "outlier_after_treatment": "low",
    "low_coverage": "low",
}
CORR_COLUMNS = ["stage", "level", "x", "y", "method", "r", "p", "n"]
FLAG_COLUMNS = ["severity", "finding", "node", "code", "value", "threshold", "message"]


# --------------------------------------------------------------------------------------
# Rules (thresholds), stated once
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditRules:
    """The thresholds of the audit's flags (JRC rules of thumb unless said otherwise).

    Attributes
    ----------
    method : {"pearson", "spearman"}
        Correlation used for the correlation flags. Default ``"pearson"``.
    p_value : float
        A correlation with the parent is *insignificant* when its p-value is
        ``>= p_value`` (two-sided test of r = 0). Default 0.05.
    redundancy : float
        Two children of one node are *redundant* when ``|r| > redundancy``. Default 0.92.
    min_alpha : float
        Cronbach's alpha below this (and >= 0) is *low*; the usual reading is that
        alpha > 0.7 is acceptable (Nunnally 1978; OECD/JRC 2008). Default 0.7.
    max_components : int
        A node is *multidimensional* when more than ``max_components`` eigenvalues of
        its correlation matrix exceed 1 (Kaiser criterion). Default 1.
    min_first_share : float
        A node that is not multidimensional but whose first principal component
        explains less than this share of the variance has a *weak first component*.
        Default 0.5.
    importance_range : (float, float)
        Importance disagrees with weight when the ratio ``S_share / weight`` (the
        normalised correlation ratio over the normalised nominal weight) falls outside
        ``[lo, hi]``. Default (0.5, 2): the child drives its parent less than half or
        more than twice as much as its weight says.
    skew, kurtosis : float
        Outlier rule: ``|G1| > skew`` and ``G2 > kurtosis`` (G2 excess kurtosis).
        Defaults 2 and 3.5 (COINr ``check_SkewKurt``; GII audits).
    min_coverage : float
        An indicator (in an edition) or a unit with a smaller share of present values
        is flagged. Default 0.65 (a rule of thumb; GII applies thresholds of this order).
    cov_use : {"pairwise", "complete"}
        Covariances of Cronbach's alpha: pairwise-complete (default) or complete cases.
    pca_use : {"complete", "pairwise"}
        Correlation matrix of the PCA: complete cases (default; always positive
        semi-definite) or pairwise-complete.
    """

    method: Literal["pearson", "spearman"] = "pearson"
    p_value: float = 0.05
    redundancy: float = 0.92
    min_alpha: float = 0.7
    max_components: int = 1
    min_first_share: float = 0.5
    importance_range: tuple[float, float] = (0.5, 2.0)
    skew: float = 2.0
    kurtosis: float = 3.5
    min_coverage: float = 0.65
    cov_use: Literal["pairwise", "complete"] = "pairwise"
    pca_use: Literal["complete", "pairwise"] = "complete"

    def __post_init__(self) -> None:
        _choice("method", self.method, ("pearson", "spearman"))
        _choice("cov_use", self.cov_use, ("pairwise", "complete"))
        _choice("pca_use", self.pca_use, ("complete", "pairwise"))
        for name, lo, hi in (("p_value", 0, 1), ("redundancy", 0, 1), ("min_first_share", 0, 1),
                             ("min_coverage", 0, 1)):
            v = getattr(self, name)
            if not lo <= v <= hi:
                raise MethodError(f"The '{name}' parameter of AuditRules must be in [{lo}, {hi}]. Got {v!r} instead.")
        low, high = self.importance_range
        if not 0 < low <= 1 <= high:
            raise MethodError("The 'importance_range' parameter of AuditRules must be (lo, hi) with "
                              f"0 < lo <= 1 <= hi. Got {self.importance_range!r} instead.")


def _choice(name: str, value: Any, options: Sequence[str], owner: str = "AuditRules") -> None:
    if value not in options:
        raise MethodError(f"The '{name}' parameter of {owner} must be one of "
                          f"{', '.join(repr(o) for o in options)}. Got {value!r} instead.")


# --------------------------------------------------------------------------------------
# Statistics over arrays
# --------------------------------------------------------------------------------------


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
    _choice("method", method, ("pearson", "spearman"), "corr_test")
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
    _choice("use", use, ("pairwise", "complete"), "cronbach_alpha")
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
    _choice("use", use, ("complete", "pairwise"), "pca_eigen")
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


# --------------------------------------------------------------------------------------
# Views of a result
# --------------------------------------------------------------------------------------


def _check_stage(stage: str) -> None:
    _choice("stage", stage, AUDIT_STAGES, "audit")


def _values(result: Result, stage: str) -> dict[str, np.ndarray]:
    """Code -> values per unit: indicators at ``stage`` (oriented), aggregates' scores."""
    _check_stage(stage)
    fw = result.framework
    out: dict[str, np.ndarray] = {}
    if stage != "aggregated":
        x = np.asarray(result.stages[stage], dtype=float)
        if stage != "normalised":  # normalised values are oriented already
            x = x * np.array([fw.indicators[c].direction for c in fw.indicator_codes], dtype=float)
        for j, code in enumerate(fw.indicator_codes):
            out[code] = x[:, j]
    for level in range(2, fw.n_levels + 1):
        for j, code in enumerate(fw.levels[level - 1]):
            out[code] = result.scores[level - 1][:, j]
    return out


def _nodes(result: Result, values: Mapping[str, np.ndarray]) -> list[tuple[str, list[str], np.ndarray]]:
    """Aggregate nodes, top-down, with their children having data and the children matrix."""
    fw = result.framework
    out = []
    for level in range(fw.n_levels, 1, -1):
        for node in fw.levels[level - 1]:
            kids = [c for c in fw.children(node) if c in values and not np.isnan(values[c]).all()]
            if kids:
                out.append((node, kids, np.column_stack([values[c] for c in kids])))
    return out


def _ancestors(result: Result, code: str) -> list[str]:
    out, node = [], result.framework.parent[code]
    while node is not None:
        out.append(node)
        node = result.framework.parent[node]
    return out


# --------------------------------------------------------------------------------------
# Tables over a result
# --------------------------------------------------------------------------------------


def coverage(dataset: Dataset) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Share of present values per indicator and per unit, in every edition.

    Parameters
    ----------
    dataset : Dataset
        The data as given (all editions, all units; e.g. ``result.input_dataset``).

    Returns
    -------
    indicators : DataFrame
        ``edition, indicator, n_units, n_present, coverage`` (coverage = n_present / n_units).
    units : DataFrame
        ``edition, unit, name, n_indicators, n_present, coverage``.
    """
    present = ~np.isnan(dataset.values)
    editions = dataset.units["edition"].to_numpy()
    ind_parts, unit_parts = [], []
    for e in dataset.editions:
        rows = editions == e
        p = present[rows]
        n_units, n_ind = p.shape
        ind_parts.append(pd.DataFrame({
            "edition": e, "indicator": list(dataset.indicators), "n_units": n_units,
            "n_present": p.sum(axis=0), "coverage": p.mean(axis=0) if n_units else np.nan}))
        unit_parts.append(pd.DataFrame({
            "edition": e, "unit": dataset.units.loc[rows, "unit"].to_list(),
            "name": dataset.units.loc[rows, "name"].to_list(), "n_indicators": n_ind,
            "n_present": p.sum(axis=1), "coverage": p.mean(axis=1) if n_ind else np.nan}))
    return pd.concat(ind_parts, ignore_index=True), pd.concat(unit_parts, ignore_index=True)


def outliers(result: Result, *, skew: float = 2.0, kurtosis: float = 3.5) -> pd.DataFrame:
    """Skewness, kurtosis and the JRC outlier rule per indicator, before and after treatment.

    ``G1`` and ``G2`` are the bias-corrected sample skewness and excess kurtosis
    (:func:`openindex._stats.skew_kurt`, identical to scipy's ``bias=False``). An
    indicator has outliers when ``|G1| > skew`` and ``G2 > kurtosis`` (OECD/JRC 2008;
    COINr ``check_SkewKurt``). "Before" is the ``imputed`` stage, "after" the ``treated``.

    Returns
    -------
    DataFrame
        ``indicator, skew_before, kurtosis_before, outlier_before, skew_after,
        kurtosis_after, outlier_after`` (skewness of the values as measured, not oriented).
    """
    s0, k0 = skew_kurt(np.asarray(result.stages["imputed"], dtype=float))
    s1, k1 = skew_kurt(np.asarray(result.stages["treated"], dtype=float))
    with np.errstate(invalid="ignore"):
        return pd.DataFrame({
            "indicator": list(result.framework.indicator_codes),
            "skew_before": s0, "kurtosis_before": k0, "outlier_before": (np.abs(s0) > skew) & (k0 > kurtosis),
            "skew_after": s1, "kurtosis_after": k1, "outlier_after": (np.abs(s1) > skew) & (k1 > kurtosis),
        })


def correlations(result: Result, *, stage: str = "normalised",
                 methods: Sequence[str] = ("pearson", "spearman")) -> pd.DataFrame:
    """Correlations down the hierarchy, pairwise-complete, with p-values (:func:`corr_test`).

    Rows, each once per method:

    1. every component against each of its ancestors (an indicator against its area,
       its theme and the index; an area against its theme and the index...), in
       framework order, lowest level first;
    2. within every node (top-down), every pair of its children ``x, y`` in framework order.

    Parameters
    ----------
    result : Result
        A built index.
    stage : str
        The stage of the indicator values (one of ``AUDIT_STAGES``); ``"aggregated"``
        leaves the indicators out.
    methods : sequence of {"pearson", "spearman"}

    Returns
    -------
    DataFrame
        ``stage, level, x, y, method, r, p, n``: ``stage`` is the stage of ``x``'s values
        (the indicator stage, or ``"aggregated"``); ``level`` the level of ``x``
        (1 = indicators); ``r, p`` NaN when ``n < 3`` or a vector is constant.
    """
    for m in methods:
        _choice("methods", m, ("pearson", "spearman"), "correlations")
    values = _values(result, stage)
    fw = result.framework
    pairs: list[tuple[str, str]] = []
    for level in range(1, fw.n_levels):
        for code in fw.levels[level - 1]:
            if code in values:
                pairs += [(code, a) for a in _ancestors(result, code)]
    for _, kids, _ in _nodes(result, values):
        pairs += [(a, b) for i, a in enumerate(kids) for b in kids[i + 1:]]
    rows = []
    for x, y in pairs:
        level = fw.level_of(x)
        label = "aggregated" if level > 1 else stage
        for m in methods:
            r, p, n = corr_test(values[x], values[y], m)
            rows.append((label, level, x, y, m, r, p, n))
    return pd.DataFrame(rows, columns=CORR_COLUMNS)


def cronbach(result: Result, *, stage: str = "normalised", use: str = "pairwise") -> pd.DataFrame:
    """Cronbach's alpha of every aggregate node over its children (:func:`cronbach_alpha`).

    Returns
    -------
    DataFrame
        ``node, alpha, k, n`` top-down; ``n`` is the number of complete cases
        (``use="complete"``) or the smallest pairwise count (``use="pairwise"``, default;
        covariances with ddof = 1). Nodes with one child have alpha NaN.
    """
    rows = []
    for node, _, x in _nodes(result, _values(result, stage)):
        a, k, n = cronbach_alpha(x, use=use)
        rows.append((node, a, k, n))
    return pd.DataFrame(rows, columns=["node", "alpha", "k", "n"])


def pca(result: Result, *, stage: str = "normalised", use: str = "complete") -> pd.DataFrame:
    """PCA of the standardised children of every aggregate node (:func:`pca_eigen`).

    Constant children are left out (their correlations are undefined).

    Returns
    -------
    DataFrame
        Long table ``node, k, n, component, eigenvalue, share, cumulative, child, loading``:
        one row per node, component (1 = first) and child. ``share = eigenvalue / k``;
        ``n`` counts complete cases (``use="complete"``, default) or the smallest pair count.
    """
    rows = []
    for node, kids, x in _nodes(result, _values(result, stage)):
        keep = [j for j in range(x.shape[1]) if np.nanmax(x[:, j]) > np.nanmin(x[:, j])]
        if len(keep) < 2:
            continue
        lam, load, n = pca_eigen(x[:, keep], use=use)
        k = len(keep)
        cum = np.cumsum(lam) / k
        for c in range(k):
            for i, j in enumerate(keep):
                rows.append((node, k, n, c + 1, lam[c], lam[c] / k, cum[c], kids[j], load[i, c]))
    return pd.DataFrame(rows, columns=["node", "k", "n", "component", "eigenvalue", "share", "cumulative",
                                       "child", "loading"])


def pca_summary(frame: pd.DataFrame, *, max_components: int = 1, min_first_share: float = 0.5) -> pd.DataFrame:
    """One row per node from :func:`pca`'s table, with the dimensionality verdict.

    Returns
    -------
    DataFrame
        ``node, k, n, eigenvalue_1, eigenvalue_2, share_1, n_above_1, multidimensional,
        weak_first``: ``n_above_1`` counts eigenvalues > 1 (Kaiser); ``multidimensional``
        is ``n_above_1 > max_components``; ``weak_first`` is ``share_1 < min_first_share``
        for a node that is not multidimensional.
    """
    cols = ["node", "k", "n", "eigenvalue_1", "eigenvalue_2", "share_1", "n_above_1", "multidimensional",
            "weak_first"]
    rows = []
    for node, g in frame.groupby("node", sort=False):
        lam = g.drop_duplicates("component").sort_values("component")["eigenvalue"].to_numpy()
        above = int(np.sum(lam > 1))
        multi = above > max_components
        share = float(lam[0] / len(lam))
        rows.append((node, len(lam), int(g["n"].iloc[0]), lam[0], lam[1] if len(lam) > 1 else np.nan, share,
                     above, bool(multi), bool(not multi and share < min_first_share)))
    return pd.DataFrame(rows, columns=cols)


def importance(result: Result, *, stage: str = "normalised",
               ratio: Callable[..., float] = correlation_ratio) -> pd.DataFrame:
    """Nominal weight versus effective importance of every child in its parent.

    For child ``i`` of node ``y`` (both per unit, pairwise-complete):

    - ``weight``: its normalised nominal weight, renormalised to sum to 1 over the
      children with data;
    - ``r``: Pearson correlation with the parent; ``r2_share = r_i^2 / sum_j r_j^2``;
    - ``S``: the correlation ratio ``Var(E[y | x_i]) / Var(y)`` (:func:`correlation_ratio`),
      ``S_share = S_i / sum_j S_j`` (Paruolo, Saisana & Saltelli 2013);
    - ``ratio_r2 = r2_share / weight`` and ``ratio_S = S_share / weight`` (1 = the
      child drives its parent exactly as much as its weight says).

    Both measures are blind to the sign of the relation: a child that pulls against
    its parent can still "explain" much of it (see the correlation flags for the sign).
    Parent scores contain the child, so both measures include a part-whole share.

    Parameters
    ----------
    result : Result
        A built index.
    stage : str
        Stage of the indicator values (see :func:`correlations`).
    ratio : callable
        ``ratio(x, y) -> S``; default :func:`correlation_ratio`.

    Returns
    -------
    DataFrame
        ``node, child, level, n, weight, r, r2_share, S, S_share, ratio_r2, ratio_S``
        (``level`` of the child), nodes top-down, children in framework order.
    """
    fw = result.framework
    values = _values(result, stage)
    parts = []
    for node, kids, x in _nodes(result, values):
        level = fw.level_of(node)
        w = result.weights[level - 2]
        below = fw.levels[level - 2]
        weight = np.array([w[:, below.index(c)].sum() for c in kids])
        weight = weight / weight.sum() if weight.sum() > 0 else np.full(len(kids), np.nan)
        y = values[node]
        tests = [corr_test(x[:, j], y) for j in range(len(kids))]
        r = np.array([t[0] for t in tests])
        s = np.array([ratio(x[:, j], y) for j in range(len(kids))])
        with np.errstate(invalid="ignore", divide="ignore"):
            r2 = r**2 / np.nansum(r**2)
            ss = s / np.nansum(s)
            parts.append(pd.DataFrame({
                "node": node, "child": kids, "level": level - 1, "n": [t[2] for t in tests], "weight": weight,
                "r": r, "r2_share": r2, "S": s, "S_share": ss,
                "ratio_r2": np.where(weight > 0, r2 / weight, np.nan),
                "ratio_S": np.where(weight > 0, ss / weight, np.nan)}))
    cols = ["node", "child", "level", "n", "weight", "r", "r2_share", "S", "S_share", "ratio_r2", "ratio_S"]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols)


# --------------------------------------------------------------------------------------
# Flags
# --------------------------------------------------------------------------------------


def _rows(frame: pd.DataFrame) -> list[Any]:
    """Rows as namespaces (attribute access, typed ``Any``: cell types vary by column)."""
    return [SimpleNamespace(**{str(k): v for k, v in r.items()}) for r in frame.to_dict("records")]


def _num(v: float, digits: int = 2) -> str:
    return "NaN" if v != v else f"{v:.{digits}f}"


def _p(p: float) -> str:
    return "NaN" if p != p else ("< 0.001" if p < 0.001 else f"= {p:.3f}")


def audit_flags(framework: Framework, *, correlations: pd.DataFrame, cronbach: pd.DataFrame,
                pca_summary: pd.DataFrame, importance: pd.DataFrame, outliers: pd.DataFrame,
                coverage: tuple[pd.DataFrame, pd.DataFrame] | None = None,
                rules: AuditRules | None = None) -> pd.DataFrame:
    """The findings of an audit as a readable table, most serious first.

    Findings and severities (``FINDINGS``), with the rules of :class:`AuditRules`:

    ========================== ======== =================================================
    finding                    severity rule
    ========================== ======== =================================================
    negative_alpha             high     Cronbach's alpha < 0
    negative_correlation       high     r(child, parent) < 0 with p < p_value (medium when p >= p_value)
    redundancy                 medium   |r(a, b)| > redundancy, a and b children of one node
    multidimensional           medium   more than ``max_components`` eigenvalues > 1
    importance_weight          medium   S_share / weight outside ``importance_range``
    low_alpha                  low      0 <= alpha < min_alpha
    insignificant_correlation  low      0 <= r(child, parent) with p >= p_value
    weak_first_component       low      not multidimensional, share_1 < min_first_share
    outlier_after_treatment    low      |skew| > skew and kurtosis > kurtosis after treatment
    low_coverage               low      share of present values < min_coverage
    ========================== ======== =================================================

    Rows are ordered by severity, then by finding in the order above, then the most
    extreme value first. Correlation findings use ``rules.method``.

    Parameters
    ----------
    framework : Framework
        For the names and levels of the codes.
    correlations, cronbach, pca_summary, importance, outliers : DataFrame
        The tables of :func:`correlations`, :func:`cronbach`, :func:`pca_summary`,
        :func:`importance` and :func:`outliers`.
    coverage : (DataFrame, DataFrame), optional
        The tables of :func:`coverage`; without them, no coverage finding.
    rules : AuditRules, optional
        The thresholds (default ``AuditRules()``).

    Returns
    -------
    DataFrame
        ``severity, finding, node, code, value, threshold, message``: ``node`` the
        aggregate concerned, ``code`` the child, pair (``"a & b"``) or indicator, ``value``
        the number the rule tested, ``message`` a plain sentence.
    """
    rules = rules or AuditRules()
    fw = framework

    def name(code: str) -> str:
        return f"{code} ({fw.node(code).name})" if fw.node(code).name != code else code

    def level_word(code: str) -> str:
        return fw.level_names[fw.level_of(code) - 1].lower()

    flags: list[tuple[float, dict[str, Any]]] = []

    def add(finding: str, node: str, code: str, value: float, threshold: float | str, order: float,
            message: str, severity: str | None = None) -> None:
        flags.append((order, {"severity": severity or FINDINGS[finding], "finding": finding, "node": node,
                              "code": code, "value": value, "threshold": threshold, "message": message}))

    for row in _rows(cronbach):
        if row.alpha < 0:
            add("negative_alpha", row.node, row.node, row.alpha, 0.0, row.alpha,
                f"Cronbach's alpha of {name(row.node)} is {_num(row.alpha)}, below zero: its {row.k} components "
                "move in opposite directions on average, so their sum measures nothing consistent. Check the "
                "direction (higher is better?) of each component and whether they belong together.")
        elif row.alpha < rules.min_alpha:
            add("low_alpha", row.node, row.node, row.alpha, rules.min_alpha, row.alpha,
                f"Cronbach's alpha of {name(row.node)} is {_num(row.alpha)} (below {rules.min_alpha:g}): its "
                f"{row.k} components agree only weakly with each other.")

    corr = correlations[correlations["method"] == rules.method]
    parent_rows = corr[[fw.parent.get(x) == y for x, y in zip(corr["x"], corr["y"], strict=True)]]
    symbol = "r" if rules.method == "pearson" else "rho"
    for row in _rows(parent_rows):
        stats = f"{rules.method.title()} {symbol} = {_num(row.r)}, p {_p(row.p)}, n = {row.n}"
        if row.r < 0 and row.p < rules.p_value:
            add("negative_correlation", row.y, row.x, row.r, 0.0, row.r,
                f"{name(row.x)} is negatively correlated with its {level_word(row.y)} {name(row.y)} ({stats}): "
                f"units that do better on it tend to score lower on {row.y}. Check its direction, or whether "
                f"it belongs in {row.y}.")
        elif row.r < 0:
            add("negative_correlation", row.y, row.x, row.r, 0.0, row.r,
                f"{name(row.x)} is slightly negatively correlated with its {level_word(row.y)} {name(row.y)} "
                f"({stats}; not significant at {rules.p_value:g}): it pulls a little against the rest of "
                f"{row.y} instead of with it.", severity="medium")
        elif row.p >= rules.p_value:
            add("insignificant_correlation", row.y, row.x, row.p, rules.p_value, -row.p,
                f"{name(row.x)} is not significantly correlated with its {level_word(row.y)} {name(row.y)} "
                f"({stats}; p >= {rules.p_value:g}): it shares little with the rest of {row.y}.")

    siblings = corr[[fw.parent.get(x) is not None and fw.parent.get(x) == fw.parent.get(y)
                     for x, y in zip(corr["x"], corr["y"], strict=True)]]
    for row in _rows(siblings[siblings["r"].abs() > rules.redundancy]):
        node = fw.parent[row.x]
        assert node is not None
        add("redundancy", node, f"{row.x} & {row.y}", row.r, rules.redundancy, -abs(row.r),
            f"{name(row.x)} and {name(row.y)} in {name(node)} are almost the same measure "
            f"({rules.method.title()} {symbol} = {_num(row.r)}, n = {row.n}): together they count one thing twice. "
            "Consider dropping one, or merging them.")

    for row in _rows(pca_summary):
        if row.multidimensional:
            add("multidimensional", row.node, row.node, row.n_above_1, rules.max_components, -row.eigenvalue_2,
                f"{name(row.node)} has {row.n_above_1} principal components with eigenvalue above 1 "
                f"(eigenvalues {_num(row.eigenvalue_1)} and {_num(row.eigenvalue_2)}; the first explains "
                f"{row.share_1:.0%} of the variance of its {row.k} components): they measure more than one "
                "thing. Consider splitting it, or check its components.")
        elif row.weak_first:
            add("weak_first_component", row.node, row.node, row.share_1, rules.min_first_share, row.share_1,
                f"The first principal component of {name(row.node)} explains only {row.share_1:.0%} of the "
                f"variance of its {row.k} components (eigenvalue {_num(row.eigenvalue_1)}): their common "
                "dimension is weak.")

    lo, hi = rules.importance_range
    for row in _rows(importance):
        if row.ratio_S == row.ratio_S and not lo <= row.ratio_S <= hi:
            more = "more" if row.ratio_S > 1 else "less"
            add("importance_weight", row.node, row.child, row.ratio_S, f"[{lo:g}, {hi:g}]",
                -abs(math.log(max(row.ratio_S, 1e-12))),
                f"{name(row.child)} carries {row.weight:.0%} of the weight of {name(row.node)} but accounts for "
                f"{row.S_share:.0%} of what its components explain of it (correlation ratio S = {_num(row.S)}; "
                f"by squared correlation {row.r2_share:.0%}): it drives {row.node} {row.ratio_S:.1f} times "
                f"its weight, {more} than intended.")

    for row in _rows(outliers[outliers["outlier_after"]]):
        parent = fw.parent[row.indicator] or ""
        add("outlier_after_treatment", parent, row.indicator, row.skew_after, f"|skew| > {rules.skew:g}, "
            f"kurtosis > {rules.kurtosis:g}", -abs(row.skew_after),
            f"{name(row.indicator)} still has outliers after treatment (skewness {_num(row.skew_after)}, "
            f"kurtosis {_num(row.kurtosis_after)}): a few units dominate its spread. Consider winsorising "
            "more points or a log transform.")

    if coverage is not None:
        ind_cov, unit_cov = coverage
        for row in _rows(ind_cov[ind_cov["coverage"] < rules.min_coverage]):
            add("low_coverage", fw.parent.get(row.indicator) or "", row.indicator, row.coverage,
                rules.min_coverage, row.coverage,
                f"{name(row.indicator)} has data for {row.coverage:.0%} of units in edition {row.edition} "
                f"({row.n_present} of {row.n_units}; below {rules.min_coverage:.0%}).")
        for row in _rows(unit_cov[unit_cov["coverage"] < rules.min_coverage]):
            add("low_coverage", "", row.unit, row.coverage, rules.min_coverage, row.coverage,
                f"Unit {row.unit} ({row.name}) has data for {row.coverage:.0%} of the indicators in edition "
                f"{row.edition} ({row.n_present} of {row.n_indicators}; below {rules.min_coverage:.0%}).")

    rank_f = {f: i for i, f in enumerate(FINDINGS)}
    rank_s = {s: i for i, s in enumerate(SEVERITIES)}
    flags.sort(key=lambda t: (rank_s[t[1]["severity"]], rank_f[t[1]["finding"]], t[0]))
    frame = pd.DataFrame([f for _, f in flags], columns=FLAG_COLUMNS)
    frame["threshold"] = frame["threshold"].astype(str)
    return frame


# --------------------------------------------------------------------------------------
# The whole audit
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Audit:
    """Every table of an audit (see :func:`run_audit`)."""

    result: Result = field(repr=False)
    stage: str
    rules: AuditRules
    coverage_indicators: pd.DataFrame
    coverage_units: pd.DataFrame
    outliers: pd.DataFrame
    correlations: pd.DataFrame
    cronbach: pd.DataFrame
    pca: pd.DataFrame
    pca_summary: pd.DataFrame
    importance: pd.DataFrame
    flags: pd.DataFrame

    def tables(self) -> dict[str, pd.DataFrame]:
        """File stem -> table, as ``openindex audit`` writes them."""
        return {"correlations": self.correlations, "cronbach": self.cronbach, "pca": self.pca,
                "importance": self.importance, "flags": self.flags, "outliers": self.outliers,
                "coverage": self.coverage_indicators, "unit_coverage": self.coverage_units}

    def counts(self) -> dict[str, int]:
        """Number of flags per severity (every severity present, most serious first)."""
        return {s: int((self.flags["severity"] == s).sum()) for s in SEVERITIES}

    def summary(self, top: int = 5) -> str:
        """A few lines for the console: counts by severity and the top findings."""
        c = self.counts()
        lines = [f"{len(self.flags)} findings: " + ", ".join(f"{n} {s}" for s, n in c.items())]
        for row in _rows(self.flags.head(top)):
            lines.append(f"  [{row.severity}] {row.message}")
        if len(self.flags) > top:
            lines.append(f"  ... and {len(self.flags) - top} more (flags.csv)")
        return "\n".join(lines)


def run_audit(result: Result, *, stage: str = "normalised", rules: AuditRules | None = None) -> Audit:
    """Run the whole statistical audit of a built index.

    Parameters
    ----------
    result : Result
        From :func:`openindex.pipeline.build`.
    stage : str
        Indicator stage the analyses use (``"normalised"`` by default, any of
        ``AUDIT_STAGES``); ``"aggregated"`` audits the aggregates only.
    rules : AuditRules, optional
        Thresholds of the flags and the missing-data options (defaults: JRC rules).

    Returns
    -------
    Audit
        Coverage, outliers, correlations, Cronbach's alpha, PCA, importance and flags.

    Examples
    --------
    >>> from openindex.pipeline import build                                # doctest: +SKIP
    >>> report = run_audit(build(fw, ds))                                     # doctest: +SKIP
    >>> report.flags.head()                                                 # doctest: +SKIP
    """
    _check_stage(stage)
    rules = rules or AuditRules()
    data = result.input_dataset if result.input_dataset is not None else result.dataset
    cov = coverage(data)
    out = outliers(result, skew=rules.skew, kurtosis=rules.kurtosis)
    corr = correlations(result, stage=stage)
    alpha = cronbach(result, stage=stage, use=rules.cov_use)
    comp = pca(result, stage=stage, use=rules.pca_use)
    summ = pca_summary(comp, max_components=rules.max_components, min_first_share=rules.min_first_share)
    imp = importance(result, stage=stage)
    flags = audit_flags(result.framework, correlations=corr, cronbach=alpha, pca_summary=summ, importance=imp,
                        outliers=out, coverage=cov, rules=rules)
    return Audit(result=result, stage=stage, rules=rules, coverage_indicators=cov[0], coverage_units=cov[1],
                 outliers=out, correlations=corr, cronbach=alpha, pca=comp, pca_summary=summ, importance=imp,
                 flags=flags)
