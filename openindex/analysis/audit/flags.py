"""The findings of an audit and their wording: one readable table, most serious first."""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import pandas as pd

from openindex.analysis.audit.rules import AuditRules

if TYPE_CHECKING:
    from openindex.model.framework import Framework

__all__ = ["SEVERITIES", "FINDINGS", "FLAG_COLUMNS", "audit_flags"]

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
FLAG_COLUMNS = ["severity", "finding", "node", "code", "value", "threshold", "message"]


def namespace_rows(frame: pd.DataFrame) -> list[Any]:
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

    for row in namespace_rows(cronbach):
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
    for row in namespace_rows(parent_rows):
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
    for row in namespace_rows(siblings[siblings["r"].abs() > rules.redundancy]):
        node = fw.parent[row.x]
        assert node is not None
        add("redundancy", node, f"{row.x} & {row.y}", row.r, rules.redundancy, -abs(row.r),
            f"{name(row.x)} and {name(row.y)} in {name(node)} are almost the same measure "
            f"({rules.method.title()} {symbol} = {_num(row.r)}, n = {row.n}): together they count one thing twice. "
            "Consider dropping one, or merging them.")

    for row in namespace_rows(pca_summary):
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
    for row in namespace_rows(importance):
        if row.ratio_S == row.ratio_S and not lo <= row.ratio_S <= hi:
            more = "more" if row.ratio_S > 1 else "less"
            add("importance_weight", row.node, row.child, row.ratio_S, f"[{lo:g}, {hi:g}]",
                -abs(math.log(max(row.ratio_S, 1e-12))),
                f"{name(row.child)} carries {row.weight:.0%} of the weight of {name(row.node)} but accounts for "
                f"{row.S_share:.0%} of what its components explain of it (correlation ratio S = {_num(row.S)}; "
                f"by squared correlation {row.r2_share:.0%}): it drives {row.node} {row.ratio_S:.1f} times "
                f"its weight, {more} than intended.")

    for row in namespace_rows(outliers[outliers["outlier_after"]]):
        parent = fw.parent[row.indicator] or ""
        add("outlier_after_treatment", parent, row.indicator, row.skew_after, f"|skew| > {rules.skew:g}, "
            f"kurtosis > {rules.kurtosis:g}", -abs(row.skew_after),
            f"{name(row.indicator)} still has outliers after treatment (skewness {_num(row.skew_after)}, "
            f"kurtosis {_num(row.kurtosis_after)}): a few units dominate its spread. Consider winsorising "
            "more points or a log transform.")

    if coverage is not None:
        ind_cov, unit_cov = coverage
        for row in namespace_rows(ind_cov[ind_cov["coverage"] < rules.min_coverage]):
            add("low_coverage", fw.parent.get(row.indicator) or "", row.indicator, row.coverage,
                rules.min_coverage, row.coverage,
                f"{name(row.indicator)} has data for {row.coverage:.0%} of units in edition {row.edition} "
                f"({row.n_present} of {row.n_units}; below {rules.min_coverage:.0%}).")
        for row in namespace_rows(unit_cov[unit_cov["coverage"] < rules.min_coverage]):
            add("low_coverage", "", row.unit, row.coverage, rules.min_coverage, row.coverage,
                f"Unit {row.unit} ({row.name}) has data for {row.coverage:.0%} of the indicators in edition "
                f"{row.edition} ({row.n_present} of {row.n_indicators}; below {rules.min_coverage:.0%}).")

    rank_f = {f: i for i, f in enumerate(FINDINGS)}
    rank_s = {s: i for i, s in enumerate(SEVERITIES)}
    flags.sort(key=lambda t: (rank_s[t[1]["severity"]], rank_f[t[1]["finding"]], t[0]))
    frame = pd.DataFrame([f for _, f in flags], columns=FLAG_COLUMNS)
    frame["threshold"] = frame["threshold"].astype(str)
    return frame
