"""The whole audit at once: :func:`run_audit` -> :class:`Audit` (every table and the flags)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from openindex.analysis.audit.flags import SEVERITIES, audit_flags, namespace_rows
from openindex.analysis.audit.rules import AuditRules
from openindex.analysis.audit.tables import (
    check_stage,
    correlations,
    coverage,
    cronbach,
    importance,
    outliers,
    pca,
    pca_summary,
)

if TYPE_CHECKING:
    from openindex.engine.result import Result

__all__ = ["Audit", "run_audit"]


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
        for row in namespace_rows(self.flags.head(top)):
            lines.append(f"  [{row.severity}] {row.message}")
        if len(self.flags) > top:
            lines.append(f"  ... and {len(self.flags) - top} more (flags.csv)")
        return "\n".join(lines)


def run_audit(result: Result, *, stage: str = "normalised", rules: AuditRules | None = None) -> Audit:
    """Run the whole statistical audit of a built index.

    Parameters
    ----------
    result : Result
        From :func:`openindex.engine.build.build`.
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
    >>> from openindex.engine import build                                      # doctest: +SKIP
    >>> report = run_audit(build(fw, ds))                                     # doctest: +SKIP
    >>> report.flags.head()                                                 # doctest: +SKIP
    """
    check_stage(stage)
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
