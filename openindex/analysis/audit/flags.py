"""The findings of an audit: one table of finding codes and their parameters, most serious first.

The audit states *what* it found (a code, the nodes concerned, the numbers); the report
layer says it in words, in the report's language
(:mod:`openindex.report.render.audit_text`), so that ``flags.csv``, ``audit.html`` and the
report's audit tab read the same.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import pandas as pd

from openindex.analysis.audit.rules import AuditRules

if TYPE_CHECKING:
    from openindex.model.framework import Framework

__all__ = ["SEVERITIES", "FINDINGS", "FLAG_COLUMNS", "severity_of", "audit_flags"]

#: severities, most serious first
SEVERITIES: tuple[str, ...] = ("high", "medium", "low")
#: finding -> severity, in the order findings are listed within a severity (see :func:`audit_flags` for the
#: one exception: a finding resting on a correlation that is not significant is "low")
FINDINGS: Mapping[str, str] = {
    "negative_alpha": "high",
    "negative_correlation": "high",
    "negative_item_rest": "high",
    "redundancy": "medium",
    "multidimensional": "medium",
    "importance_weight": "medium",
    "size_correlation": "medium",
    "low_alpha": "low",
    "low_item_rest": "low",
    "insignificant_correlation": "low",
    "weak_first_component": "low",
    "outlier_after_treatment": "low",
    "low_coverage": "low",
}
FLAG_COLUMNS = ["severity", "finding", "node", "code", "value", "threshold", "params"]


def namespace_rows(frame: pd.DataFrame) -> list[Any]:
    """Rows as namespaces (attribute access, typed ``Any``: cell types vary by column)."""
    return [SimpleNamespace(**{str(k): v for k, v in r.items()}) for r in frame.to_dict("records")]


def severity_of(finding: str, params: Mapping[str, Any], p_value: float) -> str:
    """The severity of a finding: ``FINDINGS[finding]``, but ``"low"`` when it rests on a correlation that is
    not significant (``params`` holds a p-value ``>= p_value``)."""
    p = params.get("p")
    if p is not None and p == p and p >= p_value:
        return SEVERITIES[-1]
    return FINDINGS[finding]


def _plain(value: Any) -> Any:
    """A table cell as a plain Python value (numpy scalars unwrapped)."""
    return value.item() if hasattr(value, "item") else value


def audit_flags(framework: Framework, *, correlations: pd.DataFrame, cronbach: pd.DataFrame,
                pca_summary: pd.DataFrame, importance: pd.DataFrame, outliers: pd.DataFrame,
                coverage: tuple[pd.DataFrame, pd.DataFrame] | None = None, item_rest: pd.DataFrame | None = None,
                external: pd.DataFrame | None = None, size: str = "",
                rules: AuditRules | None = None) -> pd.DataFrame:
    """The findings of an audit, most serious first: codes and parameters, no sentences.

    Findings and their severities (``FINDINGS``), with the rules of :class:`AuditRules`
    (``r`` below uses ``rules.method``):

    ========================== ======== =================================================
    finding                    severity rule
    ========================== ======== =================================================
    negative_alpha             high     Cronbach's alpha < 0
    negative_correlation       high     r(child, parent) < 0 with p < p_value
    negative_item_rest         high     r(child, mean of the other children) < 0 with p < p_value
    redundancy                 medium   |r(a, b)| > redundancy, a and b children of one node
    multidimensional           medium   more than ``max_components`` eigenvalues > 1
    importance_weight          medium   S_share / weight outside ``importance_range``
    size_correlation           medium   |r(index, log population)| > max_size_r (with ``external``)
    low_alpha                  low      0 <= alpha < min_alpha
    low_item_rest              low      r(child, mean of the others) < min_item_rest, not negative_item_rest
    insignificant_correlation  low      r(child, parent) with p >= p_value, whatever its sign
    weak_first_component       low      not multidimensional, share_1 < min_first_share
    outlier_after_treatment    low      |skew| > skew and kurtosis > kurtosis after treatment
    low_coverage               low      share of present values < min_coverage
    ========================== ======== =================================================

    **Significance.** A finding that rests on a correlation which is not significant
    (``p >= rules.p_value``) is ``"low"`` whatever its finding (:func:`severity_of`): a
    correlation indistinguishable from zero is weak evidence of anything. So a negative but
    not significant correlation with the parent is ``insignificant_correlation`` (low), and
    a redundant pair or a size correlation measured on too few units to be significant is
    low.

    Rows are ordered by severity, then by finding in the order above, then the most
    extreme value first.

    Parameters
    ----------
    framework : Framework
        For the parents of the codes.
    correlations, cronbach, pca_summary, importance, outliers : DataFrame
        The tables of :func:`correlations`, :func:`cronbach`, :func:`pca_summary`,
        :func:`importance` and :func:`outliers`.
    coverage : (DataFrame, DataFrame), optional
        The tables of :func:`coverage`; without them, no coverage finding.
    item_rest : DataFrame, optional
        The table of :func:`item_rest`; without it, no item-rest finding.
    external : DataFrame, optional
        The table of :func:`external_correlations`; with ``size`` (the name of its size
        variable, ``"log(population)"``), the size finding of the index.
    rules : AuditRules, optional
        The thresholds (default ``AuditRules()``).

    Returns
    -------
    DataFrame
        ``severity, finding, node, code, value, threshold, params``: ``node`` the aggregate
        concerned, ``code`` the child, pair (``"a & b"``), indicator or unit, ``value`` the
        number the rule tested, ``threshold`` the rule's bound (as text), ``params`` a dict
        of the numbers a sentence about the finding needs (for correlations ``method, r,
        p, n``). The sentences are written by the report layer, in its language
        (:func:`openindex.report.render.audit_text.finding_texts`).
    """
    rules = rules or AuditRules()
    fw = framework
    flags: list[tuple[float, dict[str, Any]]] = []

    def add(finding: str, node: str, code: str, value: float, threshold: float | str, order: float,
            **params: Any) -> None:
        params = {k: _plain(v) for k, v in params.items()}
        flags.append((order, {"severity": severity_of(finding, params, rules.p_value), "finding": finding,
                              "node": node, "code": code, "value": _plain(value), "threshold": threshold,
                              "params": params}))

    for row in namespace_rows(cronbach):
        if row.alpha < 0:
            add("negative_alpha", row.node, row.node, row.alpha, 0.0, row.alpha, k=row.k, n=row.n)
        elif row.alpha < rules.min_alpha:
            add("low_alpha", row.node, row.node, row.alpha, rules.min_alpha, row.alpha, k=row.k, n=row.n)

    method = rules.method
    corr = correlations[correlations["method"] == method]
    parent_rows = corr[[fw.parent.get(x) == y for x, y in zip(corr["x"], corr["y"], strict=True)]]
    for row in namespace_rows(parent_rows):
        stats = {"method": method, "r": row.r, "p": row.p, "n": row.n}
        if row.r < 0 and row.p < rules.p_value:
            add("negative_correlation", row.y, row.x, row.r, 0.0, row.r, **stats)
        elif row.p >= rules.p_value:
            add("insignificant_correlation", row.y, row.x, row.p, rules.p_value, -row.p, **stats)

    if item_rest is not None:
        for row in namespace_rows(item_rest[item_rest["method"] == method]):
            stats = {"method": method, "r": row.r, "p": row.p, "n": row.n}
            if row.r < 0 and row.p < rules.p_value:
                add("negative_item_rest", row.node, row.child, row.r, 0.0, row.r, **stats)
            elif row.r < rules.min_item_rest:
                add("low_item_rest", row.node, row.child, row.r, rules.min_item_rest, row.r, **stats)

    siblings = corr[[fw.parent.get(x) is not None and fw.parent.get(x) == fw.parent.get(y)
                     for x, y in zip(corr["x"], corr["y"], strict=True)]]
    for row in namespace_rows(siblings[siblings["r"].abs() > rules.redundancy]):
        node = fw.parent[row.x]
        assert node is not None
        add("redundancy", node, f"{row.x} & {row.y}", row.r, rules.redundancy, -abs(row.r),
            method=method, r=row.r, p=row.p, n=row.n)

    for row in namespace_rows(pca_summary):
        if row.multidimensional:
            add("multidimensional", row.node, row.node, row.n_above_1, rules.max_components, -row.eigenvalue_2,
                k=row.k, n=row.n, eigenvalue_1=row.eigenvalue_1, eigenvalue_2=row.eigenvalue_2, share_1=row.share_1)
        elif row.weak_first:
            add("weak_first_component", row.node, row.node, row.share_1, rules.min_first_share, row.share_1,
                k=row.k, n=row.n, eigenvalue_1=row.eigenvalue_1)

    lo, hi = rules.importance_range
    for row in namespace_rows(importance):
        if row.ratio_S == row.ratio_S and not lo <= row.ratio_S <= hi:
            add("importance_weight", row.node, row.child, row.ratio_S, f"[{lo:g}, {hi:g}]",
                -abs(math.log(max(row.ratio_S, 1e-12))),
                weight=row.weight, S=row.S, S_share=row.S_share, r2_share=row.r2_share)

    if external is not None and size:
        mine = external[(external["node"] == fw.root) & (external["variable"] == size)
                        & (external["method"] == method)]
        for row in namespace_rows(mine[mine["r"].abs() > rules.max_size_r]):
            add("size_correlation", row.node, row.node, row.r, rules.max_size_r, -abs(row.r), method=method,
                r=row.r, p=row.p, n=row.n, ci_low=row.ci_low, ci_high=row.ci_high, variable=size)

    for row in namespace_rows(outliers[outliers["outlier_after"]]):
        parent = fw.parent[row.indicator] or ""
        add("outlier_after_treatment", parent, row.indicator, row.skew_after, f"|skew| > {rules.skew:g}, "
            f"kurtosis > {rules.kurtosis:g}", -abs(row.skew_after), skew=row.skew_after,
            kurtosis=row.kurtosis_after)

    if coverage is not None:
        ind_cov, unit_cov = coverage
        for row in namespace_rows(ind_cov[ind_cov["coverage"] < rules.min_coverage]):
            add("low_coverage", fw.parent.get(row.indicator) or "", row.indicator, row.coverage,
                rules.min_coverage, row.coverage, kind="indicator", edition=row.edition, n_present=row.n_present,
                n_total=row.n_units)
        for row in namespace_rows(unit_cov[unit_cov["coverage"] < rules.min_coverage]):
            add("low_coverage", "", row.unit, row.coverage, rules.min_coverage, row.coverage, kind="unit",
                name=row.name, edition=row.edition, n_present=row.n_present, n_total=row.n_indicators)

    rank_f = {f: i for i, f in enumerate(FINDINGS)}
    rank_s = {s: i for i, s in enumerate(SEVERITIES)}
    flags.sort(key=lambda t: (rank_s[t[1]["severity"]], rank_f[t[1]["finding"]], t[0]))
    frame = pd.DataFrame([f for _, f in flags], columns=FLAG_COLUMNS)
    frame["threshold"] = frame["threshold"].astype(str)
    return frame
