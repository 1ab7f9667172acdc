"""The whole audit at once: :func:`run_audit` -> :class:`Audit` (every table and the flags)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from openindex.analysis.audit.external import SizeControl, external_correlations
from openindex.analysis.audit.flags import SEVERITIES, audit_flags
from openindex.analysis.audit.rules import AuditRules
from openindex.analysis.audit.tables import (
    check_stage,
    correlations,
    coverage,
    cronbach,
    importance,
    item_rest,
    outliers,
    pca,
    pca_summary,
)

if TYPE_CHECKING:
    from openindex.engine.result import Result

__all__ = ["Audit", "run_audit"]


@dataclass(frozen=True)
class Audit:
    """Every table of an audit (see :func:`run_audit`).

    ``external`` (the table of :func:`external_correlations`) and ``size`` (its size
    control) are set only when outside variables were given.
    """

    result: Result = field(repr=False)
    stage: str
    rules: AuditRules
    coverage_indicators: pd.DataFrame
    coverage_units: pd.DataFrame
    outliers: pd.DataFrame
    correlations: pd.DataFrame
    item_rest: pd.DataFrame
    cronbach: pd.DataFrame
    pca: pd.DataFrame
    pca_summary: pd.DataFrame
    importance: pd.DataFrame
    flags: pd.DataFrame
    external: pd.DataFrame | None = None
    size: SizeControl | None = None

    def tables(self) -> dict[str, pd.DataFrame]:
        """File stem -> table, as ``openindex audit`` writes them (``external`` only with outside variables)."""
        out = {"correlations": self.correlations, "item_rest": self.item_rest, "cronbach": self.cronbach,
               "pca": self.pca, "importance": self.importance, "flags": self.flags, "outliers": self.outliers,
               "coverage": self.coverage_indicators, "unit_coverage": self.coverage_units}
        if self.external is not None:
            out["external"] = self.external
        return out

    def counts(self) -> dict[str, int]:
        """Number of flags per severity (every severity present, most serious first)."""
        return {s: int((self.flags["severity"] == s).sum()) for s in SEVERITIES}

    def summary(self, top: int = 5, messages: Sequence[str] | None = None) -> str:
        """A few lines for the console: counts by severity and the top findings.

        ``messages`` are the sentences of the findings, one per row of ``flags``
        (:func:`openindex.report.render.audit_text.finding_messages`); without them each
        finding is shown by its code and the components concerned.
        """
        c = self.counts()
        lines = [f"{len(self.flags)} findings: " + ", ".join(f"{n} {s}" for s, n in c.items())]
        if messages is None:
            messages = [f"{f}: {c}" + (f" in {n}" if n and n != c else "")
                        for f, c, n in zip(self.flags["finding"], self.flags["code"], self.flags["node"], strict=True)]
        for severity, message in list(zip(self.flags["severity"], messages, strict=True))[:top]:
            lines.append(f"  [{severity}] {message}")
        if len(self.flags) > top:
            lines.append(f"  ... and {len(self.flags) - top} more (flags.csv)")
        return "\n".join(lines)


def run_audit(result: Result, *, stage: str = "normalised", rules: AuditRules | None = None,
              external: pd.DataFrame | None = None, population: str = "population") -> Audit:
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
    external : DataFrame, optional
        Outside variables (index: unit codes; one numeric column per variable), as
        :func:`openindex.data.external.load_external` reads them: adds the table of
        :func:`external_correlations` and the size finding.
    population : str
        The population attribute partialled out of the correlations with ``external``.

    Returns
    -------
    Audit
        Coverage, outliers, correlations, corrected item-total correlations, Cronbach's
        alpha, PCA, importance, outside variables and flags.

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
    rest = item_rest(result, stage=stage)
    alpha = cronbach(result, stage=stage, use=rules.cov_use)
    comp = pca(result, stage=stage, use=rules.pca_use)
    summ = pca_summary(comp, max_components=rules.max_components, min_first_share=rules.min_first_share)
    imp = importance(result, stage=stage)
    ext, size = (external_correlations(result, external, stage=stage, population=population, level=rules.conf_level)
                 if external is not None else (None, None))
    flags = audit_flags(result.framework, correlations=corr, cronbach=alpha, pca_summary=summ, importance=imp,
                        outliers=out, coverage=cov, item_rest=rest, external=ext,
                        size=size.variable if size is not None and size.status == "used" else "", rules=rules)
    return Audit(result=result, stage=stage, rules=rules, coverage_indicators=cov[0], coverage_units=cov[1],
                 outliers=out, correlations=corr, item_rest=rest, cronbach=alpha, pca=comp, pca_summary=summ,
                 importance=imp, flags=flags, external=ext, size=size)
