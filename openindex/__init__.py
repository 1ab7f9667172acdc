"""openindex: composite indicators for benchmarking cities on openness and intercultural integration.

The public API::

    import openindex as oi
    fw = oi.read_framework("indicators/opencities.yaml")
    ds = oi.read_dataset("datasets/demo_network.csv", fw)
    result = oi.build(fw, ds)

Every name is imported on first use (PEP 562), so ``import openindex`` and the command
line's ``--help`` stay fast: pandas, scipy and plotly load only when a name that needs
them is used. ``_EXPORTS`` maps each public name to the module defining it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from openindex.lazy import lazy_exports
from openindex.version import __version__

if TYPE_CHECKING:
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
    from openindex.engine import BuildPlan, Result, build, plan, rebuild, score_against
    from openindex.errors import DataError, FrameworkError, InputError, MethodError, OpenIndexError, Problem
    from openindex.io import read_framework, read_table
    from openindex.model.framework import Framework, parse_framework, with_settings
    from openindex.model.spec import BuildSpec, UncertaintySpec
    from openindex.report.build import build_report, write_report

#: public name -> module that defines it (imported on first access)
_EXPORTS: dict[str, str] = {
    # errors
    "DataError": "openindex.errors",
    "FrameworkError": "openindex.errors",
    "InputError": "openindex.errors",
    "MethodError": "openindex.errors",
    "OpenIndexError": "openindex.errors",
    "Problem": "openindex.errors",
    # model: the framework and the build choices
    "Framework": "openindex.model.framework",
    "parse_framework": "openindex.model.framework",
    "with_settings": "openindex.model.framework",
    "BuildSpec": "openindex.model.spec",
    "UncertaintySpec": "openindex.model.spec",
    # files
    "read_framework": "openindex.io",
    "read_table": "openindex.io",
    # data
    "Dataset": "openindex.data.dataset",
    "load_dataset": "openindex.data.validate",
    "read_dataset": "openindex.data.validate",
    # engine
    "build": "openindex.engine",
    "score_against": "openindex.engine",
    "Result": "openindex.engine",
    "rebuild": "openindex.engine",
    "plan": "openindex.engine",
    "BuildPlan": "openindex.engine",
    # analysis: audit
    "Audit": "openindex.analysis.audit",
    "AuditRules": "openindex.analysis.audit",
    "audit_flags": "openindex.analysis.audit",
    "corr_test": "openindex.analysis.audit",
    "correlation_ratio": "openindex.analysis.audit",
    "cronbach_alpha": "openindex.analysis.audit",
    "pairwise_cov": "openindex.analysis.audit",
    "pca_eigen": "openindex.analysis.audit",
    "run_audit": "openindex.analysis.audit",
    # analysis: uncertainty
    "Design": "openindex.analysis.uncertainty",
    "Replications": "openindex.analysis.uncertainty",
    "UncertaintyResult": "openindex.analysis.uncertainty",
    "evaluate": "openindex.analysis.uncertainty",
    "rank_intervals": "openindex.analysis.uncertainty",
    "rank_summary": "openindex.analysis.uncertainty",
    "remove_one": "openindex.analysis.uncertainty",
    "replication_framework": "openindex.analysis.uncertainty",
    "run_uncertainty": "openindex.analysis.uncertainty",
    "sample_design": "openindex.analysis.uncertainty",
    "sobol_index": "openindex.analysis.uncertainty",
    # report
    "build_report": "openindex.report.build",
    "write_report": "openindex.report.build",
}

__all__ = [  # "__version__" and the names of _EXPORTS (tests/test_init.py checks they agree)
    "__version__", "DataError", "FrameworkError", "InputError", "MethodError", "OpenIndexError", "Problem",
    "Framework", "parse_framework", "with_settings", "BuildSpec", "UncertaintySpec", "read_framework", "read_table",
    "Dataset", "load_dataset", "read_dataset", "build", "score_against", "Result", "rebuild", "plan", "BuildPlan",
    "Audit", "AuditRules", "audit_flags", "corr_test", "correlation_ratio", "cronbach_alpha", "pairwise_cov",
    "pca_eigen", "run_audit", "Design", "Replications", "UncertaintyResult", "evaluate", "rank_intervals",
    "rank_summary", "remove_one", "replication_framework", "run_uncertainty", "sample_design", "sobol_index",
    "build_report", "write_report",
]


__getattr__, __dir__ = lazy_exports("openindex", _EXPORTS, globals())
