"""The comparison report and the audit page: the public report API.

Building is separate from rendering: :mod:`.tables` turns results into tidy frames,
:mod:`.figures` frames into plotly figures, :mod:`.build` assembles both into a
:class:`ReportData` (:mod:`.data`), and :mod:`.render` (the one place for HTML assembly, escaping
included) turns it into one self-contained page. Typical use::

    from openindex.report import ReportOptions, build_report, write_report
    data = build_report(framework, dataset, options=ReportOptions(lang="fr"))
    write_report(data, "reports/demo")          # report.html (with its audit tab), results.xlsx

    from openindex.analysis.audit import run_audit
    from openindex.report import audit_page
    html = audit_page(run_audit(result))        # the standalone audit.html of `openindex audit`
"""

from __future__ import annotations

from openindex.i18n import LANGUAGES
from openindex.report.build import (
    build_editions,
    build_report,
    read_intervals,
    read_uncertainty,
    report_data,
    write_report,
)
from openindex.report.data import ReportData, ReportOptions, UncertaintyRun
from openindex.report.figures import (
    compare_bars,
    correlation_heatmap,
    coverage_bars,
    importance_chart,
    profile_bars,
    rank_interval_chart,
    remove_one_scatter,
    score_heatmap,
    slope_chart,
    sobol_chart,
    theme_dots,
    weights_sunburst,
)
from openindex.report.render import audit_page, audit_view, finding_messages, flags_frame, render_report

__all__ = [
    "LANGUAGES",
    "ReportData",
    "ReportOptions",
    "UncertaintyRun",
    "audit_page",
    "audit_view",
    "finding_messages",
    "flags_frame",
    "build_editions",
    "build_report",
    "compare_bars",
    "correlation_heatmap",
    "coverage_bars",
    "importance_chart",
    "profile_bars",
    "read_intervals",
    "read_uncertainty",
    "rank_interval_chart",
    "remove_one_scatter",
    "sobol_chart",
    "render_report",
    "report_data",
    "score_heatmap",
    "slope_chart",
    "theme_dots",
    "weights_sunburst",
    "write_report",
]
