"""The tables of an audit over a built index: coverage, outliers, correlations, corrected item-total
correlations, alpha, PCA, importance.

Each table applies a statistic of :mod:`.stats` to every node of the framework (top-down)
at one stage of the result.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from openindex.analysis.audit.stats import (
    check_choice,
    corr_test,
    correlation_ratio,
    cronbach_alpha,
    item_rest_corr,
    pca_eigen,
)
from openindex.engine.result import STAGES
from openindex.errors import MethodError
from openindex.methods.stats import skew_kurt

if TYPE_CHECKING:
    from openindex.data.dataset import Dataset
    from openindex.engine.result import Result

__all__ = ["AUDIT_STAGES", "CORR_COLUMNS", "ITEM_REST_COLUMNS", "coverage", "outliers", "correlations",
           "correlation_matrix", "item_rest", "cronbach", "pca", "pca_summary", "importance", "audit_values"]

#: stages an audit can run at: an indicator stage, or only the aggregated scores
AUDIT_STAGES: tuple[str, ...] = (*STAGES, "aggregated")
CORR_COLUMNS = ["stage", "level", "x", "y", "method", "r", "p", "n"]
ITEM_REST_COLUMNS = ["stage", "level", "node", "child", "method", "r", "p", "n"]


# --------------------------------------------------------------------------------------
# Views of a result
# --------------------------------------------------------------------------------------


def check_stage(stage: str) -> None:
    """Raise :class:`~openindex.errors.MethodError` unless ``stage`` is one of ``AUDIT_STAGES``."""
    check_choice("stage", stage, AUDIT_STAGES, "audit")


def audit_values(result: Result, stage: str) -> dict[str, np.ndarray]:
    """Code -> values per unit: indicators at ``stage`` (oriented; none at ``"aggregated"``), aggregates' scores."""
    check_stage(stage)
    fw = result.framework
    out: dict[str, np.ndarray] = {}
    if stage != "aggregated":
        x = np.asarray(result.stages[stage], dtype=float)
        if stage != "normalised":  # normalised values are oriented already
            x = x * fw.directions
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
    (:func:`openindex.methods.stats.skew_kurt`, identical to scipy's ``bias=False``). An
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
        check_choice("methods", m, ("pearson", "spearman"), "correlations")
    values = audit_values(result, stage)
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


def correlation_matrix(frame: pd.DataFrame, node: str, *, method: str = "pearson"
                       ) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """The correlation matrix of a node's children, with the node itself last, from :func:`correlations`.

    The children of ``node`` are the ``x`` one level below ``node`` among the rows with
    ``y == node`` (children without data are not in the table).

    Parameters
    ----------
    frame : DataFrame
        The table of :func:`correlations` (``stage, level, x, y, method, r, p, n``).
    node : str
        Code of an aggregate node.
    method : {"pearson", "spearman"}

    Returns
    -------
    codes : list of str, length k
        The children in framework order, then ``node``.
    r, p : ndarray, shape (k, k)
        Symmetric; diagonal r = 1 and p NaN; NaN where the table has no value.
    n : ndarray of float, shape (k, k)
        Pair counts; NaN on the diagonal.

    Raises
    ------
    MethodError
        When the table holds no correlation with ``node`` for ``method``.
    """
    rows = frame[frame["method"] == method]
    to_node = rows[rows["y"] == node]
    if to_node.empty:
        raise MethodError(f"no {method} correlations with '{node}' in the table; nodes with correlations: "
                          f"{', '.join(pd.unique(rows['y']).tolist()) or 'none'}")
    # the node's level is that of its rows as x; the root is never an x
    as_x = rows.loc[rows["x"] == node, "level"]
    level = int(as_x.iloc[0]) if len(as_x) else int(rows["level"].max()) + 1
    codes = [*to_node.loc[to_node["level"] == level - 1, "x"].tolist(), node]
    pos = {c: i for i, c in enumerate(codes)}
    k = len(codes)
    r, p, n = np.full((k, k), np.nan), np.full((k, k), np.nan), np.full((k, k), np.nan)
    np.fill_diagonal(r, 1.0)
    inside = rows[rows["x"].isin(pos) & rows["y"].isin(pos)]
    for x, y, rv, pv, nv in zip(inside["x"], inside["y"], inside["r"], inside["p"], inside["n"], strict=True):
        i, j = pos[x], pos[y]
        r[i, j] = r[j, i] = rv
        p[i, j] = p[j, i] = pv
        n[i, j] = n[j, i] = nv
    return codes, r, p, n


def item_rest(result: Result, *, stage: str = "normalised",
              methods: Sequence[str] = ("pearson", "spearman")) -> pd.DataFrame:
    """Corrected item-total correlations: every component against the mean of the other components of its node.

    For child ``i`` of node ``y`` with ``k >= 2`` children having data, the correlation of
    ``x_i`` with the mean of the other children's present values per unit
    (:func:`~openindex.analysis.audit.stats.item_rest_corr`). Unlike ``r(x_i, y)`` of
    :func:`correlations` it does not contain ``x_i`` itself: a component that the part-whole
    overlap makes look aligned with its node shows here how it relates to the rest.

    Parameters
    ----------
    result : Result
        A built index.
    stage : str
        The stage of the indicator values (see :func:`correlations`).
    methods : sequence of {"pearson", "spearman"}

    Returns
    -------
    DataFrame
        ``stage, level, node, child, method, r, p, n``: nodes top-down, children in
        framework order, one row per method; ``level`` and ``stage`` are the child's (as in
        :func:`correlations`). Nodes with a single child with data have no rows.
    """
    for m in methods:
        check_choice("methods", m, ("pearson", "spearman"), "item_rest")
    fw = result.framework
    rows = []
    for node, kids, x in _nodes(result, audit_values(result, stage)):
        if len(kids) < 2:
            continue
        level = fw.level_of(node) - 1
        label = "aggregated" if level > 1 else stage
        tests = {m: item_rest_corr(x, m) for m in methods}
        for j, child in enumerate(kids):
            for m in methods:
                r, p, n = tests[m][j]
                rows.append((label, level, node, child, m, r, p, n))
    return pd.DataFrame(rows, columns=ITEM_REST_COLUMNS)


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
    for node, _, x in _nodes(result, audit_values(result, stage)):
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
    for node, kids, x in _nodes(result, audit_values(result, stage)):
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
    values = audit_values(result, stage)
    parts = []
    within = result.weight_table().set_index("code")["normalised"]  # each node's weight within its parent
    for node, kids, x in _nodes(result, values):
        weight = np.array([within[c] for c in kids])
        weight = weight / weight.sum() if weight.sum() > 0 else np.full(len(kids), np.nan)
        y = values[node]
        tests = [corr_test(x[:, j], y) for j in range(len(kids))]
        r = np.array([t[0] for t in tests])
        s = np.array([ratio(x[:, j], y) for j in range(len(kids))])
        with np.errstate(invalid="ignore", divide="ignore"):
            r2 = r**2 / np.nansum(r**2)
            ss = s / np.nansum(s)
            parts.append(pd.DataFrame({
                "node": node, "child": kids, "level": [fw.level_of(c) for c in kids], "n": [t[2] for t in tests],
                "weight": weight,
                "r": r, "r2_share": r2, "S": s, "S_share": ss,
                "ratio_r2": np.where(weight > 0, r2 / weight, np.nan),
                "ratio_S": np.where(weight > 0, ss / weight, np.nan)}))
    cols = ["node", "child", "level", "n", "weight", "r", "r2_share", "S", "S_share", "ratio_r2", "ratio_S"]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols)
