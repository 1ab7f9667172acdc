"""openindex: composite indicators for benchmarking cities on openness and intercultural integration.

The public API::

    import openindex as oi
    fw = oi.read_framework("indicators/opencities.yaml")
    ds = oi.read_dataset("datasets/demo_network.csv", fw)
"""

from __future__ import annotations

__version__ = "0.1.0"

from .audit import (
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
from .dataset import Dataset
from .errors import DataError, FrameworkError, InputError, MethodError, OpenIndexError, Problem
from .framework import Framework, parse_framework, with_settings
from .io import read_framework, read_table
from .spec import UncertaintySpec
from .uncertainty import (
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
from .validate import load_dataset, read_dataset

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
