"""Statistical audit of a built index: data quality, coherence, redundancy, importance.

The analyses of a JRC statistical audit (OECD/JRC Handbook 2008, Part 1 §4 and
Part 2 §6; Saisana, Saltelli & Tarantola 2005; the GII audits), run on every node
of any framework:

- **data quality**: coverage per indicator and per unit (per edition); outliers by
  the JRC rule ``|skewness| > 2 and kurtosis > 3.5``, before and after treatment;
- **correlations**, Pearson and Spearman, pairwise-complete, with p-values: every
  component against each of its ancestors (indicator vs area, vs theme, vs index;
  node vs parent...) and every pair of children within every node;
- **corrected item-total correlations**: every component against the mean of the
  other components of its node (free of the part-whole overlap of the above);
- **Cronbach's alpha** of every aggregate node over its children;
- **PCA** within every node: eigenvalues, share of the first component, Kaiser count;
- **importance versus weight**: squared correlation and first-order correlation ratio
  (Paruolo, Saisana & Saltelli 2013) of each child with its parent, next to its weight;
- **outside variables** (with ``external``): the index and every node against
  variables measured outside the index, with Fisher-z confidence intervals and partial
  correlations controlling for log population (OECD/JRC 2008, step 9);
- **flags**: the findings, most serious first, as codes and parameters (the report
  layer writes them as sentences, in the report's language).

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
:class:`~openindex.engine.result.Result`; nothing reads or writes files. The package, one
concept per module: :mod:`.stats` (pure statistics over arrays), :mod:`.rules` (the
thresholds, :class:`AuditRules`), :mod:`.tables` (the per-node tables of a result),
:mod:`.external` (outside variables and the size control), :mod:`.flags` (the findings)
and :mod:`.run` (:func:`run_audit`).
Everything public is importable from here.

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

from openindex.analysis.audit.external import SizeControl, external_correlations, size_control, size_variable
from openindex.analysis.audit.flags import FINDINGS, SEVERITIES, audit_flags, severity_of
from openindex.analysis.audit.rules import AuditRules
from openindex.analysis.audit.run import Audit, run_audit
from openindex.analysis.audit.stats import (
    corr_test,
    correlation_ratio,
    cronbach_alpha,
    fisher_ci,
    item_rest_corr,
    pairwise_cov,
    partial_corr,
    pca_eigen,
)
from openindex.analysis.audit.tables import (
    AUDIT_STAGES,
    correlation_matrix,
    correlations,
    coverage,
    cronbach,
    importance,
    item_rest,
    outliers,
    pca,
    pca_summary,
)

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
    "correlation_matrix",
    "item_rest",
    "cronbach",
    "pca",
    "pca_summary",
    "importance",
    "audit_flags",
    "severity_of",
    "external_correlations",
    "size_control",
    "size_variable",
    "SizeControl",
    "corr_test",
    "fisher_ci",
    "partial_corr",
    "item_rest_corr",
    "pairwise_cov",
    "cronbach_alpha",
    "pca_eigen",
    "correlation_ratio",
]
