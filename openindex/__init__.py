"""openindex: composite indicators for benchmarking cities on openness and intercultural integration.

The public API::

    import openindex as oi
    fw = oi.read_framework("indicators/opencities.yaml")
    ds = oi.read_dataset("datasets/demo_network.csv", fw)
"""

from __future__ import annotations

from openindex.analysis.audit import (
    Audit,
    AuditRules,
    audit_flags,
    corr_test,
    correlation_ratio,
    cronbach_alpha,
    pairwise_cov,
    pca_eigen,
    run_audit,
)
from openindex.analysis.uncertainty import (
    Design,
    Replications,
    UncertaintyResult,
    evaluate,
    rank_intervals,
    rank_summary,
    remove_one,
    replication_framework,
    run_uncertainty,
    sample_design,
    sobol_index,
)
from openindex.data.dataset import Dataset
from openindex.data.validate import load_dataset, read_dataset
from openindex.errors import DataError, FrameworkError, InputError, MethodError, OpenIndexError, Problem
from openindex.io import read_framework, read_table
from openindex.model.framework import Framework, parse_framework, with_settings
from openindex.model.spec import UncertaintySpec
from openindex.version import __version__

__all__ = [
    "__version__",
    "Audit",
    "AuditRules",
    "Dataset",
    "DataError",
    "Framework",
    "FrameworkError",
    "InputError",
    "MethodError",
    "OpenIndexError",
    "Problem",
    "Design",
    "Replications",
    "UncertaintyResult",
    "UncertaintySpec",
    "evaluate",
    "rank_intervals",
    "rank_summary",
    "remove_one",
    "replication_framework",
    "run_uncertainty",
    "sample_design",
    "sobol_index",
    "audit_flags",
    "corr_test",
    "correlation_ratio",
    "cronbach_alpha",
    "load_dataset",
    "pairwise_cov",
    "pca_eigen",
    "parse_framework",
    "read_dataset",
    "read_framework",
    "read_table",
    "run_audit",
    "with_settings",
]
