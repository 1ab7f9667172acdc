"""HTML assembly of the comparison report: :class:`~openindex.report.data.ReportData` -> one HTML page.

Every component is a small function returning an HTML fragment, so that each can be
snapshot-tested on its own. Escaping rules, applied everywhere:

* every text that comes from data or from the framework (city names, indicator
  names, sources, group labels, notices) goes through :func:`esc`
  (``html.escape`` with quotes), in text and in attributes alike;
* the data of the interactive parts is embedded once as JSON in
  ``<script type="application/json">`` with ``<``, ``>`` and ``&`` written as
  ``\\u003c``, ``\\u003e``, ``\\u0026`` (:func:`json_for_html`), and the page's script
  inserts data only through ``textContent`` and plotly (never ``innerHTML``);
* texts inside figures are escaped by the figure functions (plotly reads a few tags).

The page is self-contained: plotly.js is embedded once, CSS and JS are inline, and a
Content-Security-Policy forbids every network request (``default-src 'none'``).

One module per concept: :mod:`.base` (escaping, number formatting, table and figure
helpers, UI strings), :mod:`.overview`, :mod:`.profile` (incl. :func:`profile_page`),
:mod:`.compare`, :mod:`.editions`, :mod:`.audit` (incl. :func:`audit_page`), :mod:`.audit_text` (the
audit's findings in words),
:mod:`.robustness` (what an uncertainty run computed), :mod:`.methodology`, :mod:`.page` (the assembly,
:func:`render_report`) and
:mod:`.selfassess` (the self-assessment and what-if pages, :func:`profile_html`).
"""

from openindex.report.render.audit import (
    audit_body,
    audit_figures,
    audit_flags_table,
    audit_nodes_table,
    audit_page,
    audit_section,
)
from openindex.report.render.audit_text import AuditView, audit_view, finding_messages, finding_texts, flags_frame
from openindex.report.render.base import CSP, PLOTLY_CONFIG, Fmt, chart_block, esc, json_for_html, notice_banner
from openindex.report.render.compare import compare_section
from openindex.report.render.editions import editions_section
from openindex.report.render.methodology import methodology_section
from openindex.report.render.overview import overview_section, ranking_table
from openindex.report.render.page import render_report
from openindex.report.render.profile import (
           area_table,
           change_table,
           indicator_table,
           learn_table,
           profile,
           profile_page,
           standing_lists,
)
from openindex.report.render.robustness import robustness_figures, robustness_section, robustness_shown
from openindex.report.render.selfassess import completeness_section, method_note, profile_html, whatif_section

__all__ = ["esc", "json_for_html", "Fmt", "render_report", "notice_banner", "ranking_table", "chart_block",
           "area_table", "indicator_table", "standing_lists", "change_table", "learn_table", "profile", "profile_page",
           "compare_section", "editions_section", "methodology_section", "overview_section", "audit_section",
           "audit_flags_table", "audit_nodes_table", "audit_page", "audit_body", "audit_figures", "AuditView",
           "audit_view", "finding_texts", "finding_messages", "flags_frame", "PLOTLY_CONFIG", "CSP",
           "completeness_section", "method_note", "profile_html", "whatif_section", "robustness_section",
           "robustness_figures", "robustness_shown"]
