"""The statistical audit: the report's audit tab and the standalone audit page (``audit.html``), one rendering.

Both show the same body (:func:`audit_body`): the findings, the internal consistency of
every node, the correlations within every node with the corrected item-total
correlations, importance versus weight, the links to outside variables (when given) and
the outliers, in the same words (:mod:`.audit_text`), tables and figures
(:func:`audit_figures`). The tab puts it in a view of the report; :func:`audit_page` puts
it in a page of its own, with the report's template, style sheet and script.
"""

from __future__ import annotations

from string import Template
from typing import TYPE_CHECKING

from plotly.offline import get_plotlyjs

from openindex.analysis.audit import correlation_matrix
from openindex.i18n import framework_name
from openindex.io import read_resource
from openindex.report.data import correlation_nodes
from openindex.report.figures import correlation_heatmap, importance_chart
from openindex.report.render.audit_text import AuditView, audit_view, finding_texts, p_value, view_of
from openindex.report.render.base import (
    CSP,
    PLOTLY_CONFIG,
    chart_block,
    esc,
    frame_records,
    frame_rows,
    html_table,
    json_for_html,
    notice_banner,
    td_cell,
    th_cell,
)
from openindex.report.tables import tree_order
from openindex.version import __version__

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from openindex.analysis.audit import Audit
    from openindex.report.data import ReportData

__all__ = ["audit_flags_table", "audit_nodes_table", "audit_body", "audit_section", "audit_figures", "audit_page"]


def _sev(v: AuditView, severity: str) -> str:
    return f'<span class="sev sev-{esc(severity)}">{v.t("audit_sev_" + severity)}</span>'


def _tags(v: AuditView, findings: tuple[str, ...], by: str) -> dict[tuple[str, str], list[str]]:
    """``(node, component) -> finding tags`` for the flags of ``findings`` (``by``: the component column)."""
    tags: dict[tuple[str, str], list[str]] = {}
    for r in frame_records(v.audit.flags):
        if r["finding"] in findings:
            tags.setdefault((str(r["node"]), str(r[by])), []).append(
                f'<span class="tag sev-{esc(r["severity"])}">{v.t("audit_f_" + r["finding"])}</span>')
    return tags


def audit_flags_table(data: ReportData | AuditView) -> str:
    """The findings of the audit, most serious first: severity, finding, component, what it means."""
    v = view_of(data)
    audit = v.audit
    if not len(audit.flags):
        return f'<p class="ok">{v.t("audit_no_finding")}</p>'
    head = [th_cell(v.t("audit_severity")), th_cell(v.t("audit_finding")), th_cell(v.t("node")),
            th_cell(v.t("audit_meaning"))]
    rows = [f'<tr><td>{_sev(v, r["severity"])}</td><td>{v.t("audit_f_" + r["finding"])}</td>'
            f'<th scope="row">{esc(component)}</th><td class="msg">{esc(text)}</td></tr>'
            for r, (component, text) in zip(frame_records(audit.flags), finding_texts(v), strict=True)]
    return html_table(head, rows, cls="compact flags-table", caption=v.t("audit_flags_caption"), tid="audit-flags")


def audit_nodes_table(data: ReportData | AuditView) -> str:
    """Cronbach's alpha and the principal components of every aggregate node, top-down, with their flags."""
    v = view_of(data)
    f = v.fmt
    audit = v.audit
    pca = {r["node"]: r for r in frame_records(audit.pca_summary)}
    tags = _tags(v, ("negative_alpha", "low_alpha", "multidimensional", "weak_first_component"), "code")
    head = [th_cell(v.t("node")), th_cell(v.t("audit_k"), num=True), th_cell(v.t("audit_n"), num=True),
            th_cell(v.t("audit_alpha"), num=True), th_cell(v.t("audit_share_1"), num=True),
            th_cell(v.t("audit_above_1"), num=True), th_cell(v.t("audit_findings"))]
    alpha = {str(r["node"]): r for r in frame_records(audit.cronbach)}
    fw = v.framework
    rows = []
    for node, depth in tree_order(fw):
        if fw.level_of(node) < 2 or node not in alpha:
            continue
        r, p = alpha[node], pca.get(node)
        rows.append(f'<tr class="depth-{depth}"><th scope="row"><span class="indent">{v.node(node)}</span></th>'
                    f"{td_cell(f.num(r['k'], 0), num=True)}{td_cell(f.num(r['n'], 0), num=True)}"
                    f"{td_cell(f.num(r['alpha'], 2), num=True)}"
                    f"{td_cell(f.pct(p['share_1']) if p else f.na, num=True)}"
                    f"{td_cell(f.num(p['n_above_1'], 0) if p else f.na, num=True)}"
                    f"<td>{' '.join(tags.get((node, node), []))}</td></tr>")
    return html_table(head, rows, cls="compact tree", caption=v.t("audit_nodes_caption"), tid="audit-nodes")


def _correlation_table(v: AuditView, node: str) -> str:
    """The correlation matrix of a node's components and the node (the data table of its heatmap)."""
    audit = v.audit
    codes, r, _, _ = correlation_matrix(audit.correlations, node, method=audit.rules.method)
    head = [th_cell(v.t("node"))] + [th_cell(v.node(x), num=True) for x in codes]
    rows = [f'<tr><th scope="row">{v.node(x)}</th>' + "".join(td_cell(v.fmt.num(val, 2), num=True) for val in r[i])
            + "</tr>" for i, x in enumerate(codes)]
    return html_table(head, rows, cls="compact corr-table")


def _item_rest_table(v: AuditView, node: str) -> str:
    """Each component of ``node`` against the node and against the mean of the other components."""
    audit = v.audit
    f = v.fmt
    method = audit.rules.method
    rest = audit.item_rest[(audit.item_rest["node"] == node) & (audit.item_rest["method"] == method)]
    if not len(rest):
        return ""
    corr = audit.correlations
    parent = corr[(corr["y"] == node) & (corr["method"] == method)].set_index("x")["r"]
    tags = _tags(v, ("negative_item_rest", "low_item_rest"), "code")
    head = [th_cell(v.t("node")), th_cell(v.t("audit_r_parent", node=v.name(node)), num=True),
            th_cell(v.t("audit_r_rest"), num=True), th_cell(v.t("audit_p"), num=True),
            th_cell(v.t("audit_n"), num=True), th_cell(v.t("audit_findings"))]
    rows = [f'<tr><th scope="row">{v.node(r.child)}</th>{td_cell(f.num(parent.get(r.child), 2), num=True)}'
            f"{td_cell(f.num(r.r, 2), num=True)}{td_cell(p_value(v, r.p), num=True)}"
            f"{td_cell(f.num(r.n, 0), num=True)}<td>{' '.join(tags.get((node, r.child), []))}</td></tr>"
            for r in frame_rows(rest)]
    return ('<div class="table-wrap">'
            + html_table(head, rows, cls="compact item-rest-table",
                         caption=v.t("audit_item_rest_caption", node=v.name(node)))
            + "</div>")


def _importance_table(v: AuditView) -> str:
    """Nominal weight and the two importance shares of every component in its node (the chart's data table)."""
    f = v.fmt
    head = [th_cell(v.t("node")), th_cell(v.t("weight_normalised"), num=True), th_cell(v.t("audit_r2_share"), num=True),
            th_cell(v.t("audit_S_share"), num=True), th_cell(v.t("audit_ratio"), num=True)]
    bodies = []
    for node, part in v.audit.importance.groupby("node", sort=False):
        rows = [f'<tr class="group"><th scope="rowgroup" colspan="5">{v.node(str(node))}</th></tr>']
        rows += [f'<tr><th scope="row">{v.node(r.child)}</th>{td_cell(f.pct(r.weight, 1), num=True)}'
                 f"{td_cell(f.pct(r.r2_share, 1), num=True)}{td_cell(f.pct(r.S_share, 1), num=True)}"
                 f"{td_cell(f.num(r.ratio_S, 2), num=True)}</tr>" for r in frame_rows(part)]
        bodies.append("<tbody>" + "".join(rows) + "</tbody>")
    return (f'<table class="compact importance-table"><thead><tr>{"".join(head)}</tr></thead>'
            f'{"".join(bodies)}</table>')


def _correlation_panels(v: AuditView) -> str:
    """A node selector and, per aggregate node, its heatmap, data tables and findings (one shown at a time)."""
    audit = v.audit
    fw = v.framework
    flags = frame_records(audit.flags)
    texts = finding_texts(v)
    alpha = {r["node"]: r for r in frame_records(audit.cronbach)}
    groups: dict[int, list[str]] = {}
    panels = []
    for i, node in enumerate(correlation_nodes(audit)):
        mine = [(r, t) for r, t in zip(flags, texts, strict=True) if r["node"] == node]
        label = v.name(node) + (f" ({v.text('audit_n_findings', n=len(mine))})" if mine else "")
        groups.setdefault(fw.level_of(node), []).append(f'<option value="audit-node-{i}">{esc(label)}</option>')
        items = "".join(f"<li>{_sev(v, r['severity'])} {esc(t)}</li>" for r, (_, t) in mine)
        panels.append(
            f'<div class="audit-panel" id="audit-node-{i}"{" hidden" if i else ""}>'
            + chart_block(f"audit-corr-{i}", v.t("audit_corr_caption", node=v.name(node),
                                                  alpha=v.fmt.num(alpha[node]["alpha"], 2)),
                          v.t("audit_corr_summary", node=v.name(node), k=alpha[node]["k"]),
                          _correlation_table(v, node), table_label=v.text("data_table"))
            + _item_rest_table(v, node)
            + (f'<ul class="node-findings">{items}</ul>' if items else f'<p class="none">{v.t("audit_node_ok")}</p>')
            + "</div>")
    options = "".join(f'<optgroup label="{esc(v.level_names[level - 1])}">{"".join(opts)}</optgroup>'
                      for level, opts in sorted(groups.items(), reverse=True))
    return (f'<div class="controls no-print"><label for="audit-node">{v.t("audit_choose_node")}</label> '
            f'<select id="audit-node" data-panels="audit-panel">{options}</select></div>' + "".join(panels))


def _external_section(v: AuditView, h: int) -> str:
    """The links to outside variables: every aggregate against each variable, plain and with size held constant."""
    audit = v.audit
    table, size = audit.external, audit.size
    if table is None or size is None:
        return ""
    f, rules = v.fmt, audit.rules
    rows_of = table[(table["method"] == rules.method) & (table["level"] >= 2)]
    variables = list(dict.fromkeys(rows_of["variable"]))
    size_label = v.text("audit_log_population") if size.attribute == "population" else size.variable
    shown = [x for x in variables if x != size.variable]
    parts = [f"<h{h}>{v.t('audit_external_title')}</h{h}>",
             '<p class="rule">' + v.t("audit_rule_external", variables=", ".join(shown), level=f.pct(rules.conf_level),
                                      method=v.text("audit_" + rules.method), size=f.num(rules.max_size_r, 2))
             + "</p>"]
    if size.status != "used":
        parts.append(f'<p class="none">{v.t("audit_size_" + size.status)}</p>')
    head = [th_cell(v.t("node")), th_cell(v.t("audit_ext_r"), num=True),
            th_cell(v.t("audit_ext_ci", level=f.pct(rules.conf_level)), num=True), th_cell(v.t("audit_p"), num=True),
            th_cell(v.t("audit_ext_partial"), num=True),
            th_cell(v.t("audit_ext_ci", level=f.pct(rules.conf_level)), num=True), th_cell(v.t("audit_p"), num=True),
            th_cell(v.t("audit_n"), num=True)]
    tree = tree_order(v.framework)
    depth, order = dict(tree), {code: i for i, (code, _) in enumerate(tree)}
    bodies = []
    for variable in variables:
        label = size_label if variable == size.variable else variable
        part = rows_of[rows_of["variable"] == variable]
        rows = [f'<tr class="group"><th scope="rowgroup" colspan="8">{esc(label)}</th></tr>']
        for r in sorted(frame_rows(part), key=lambda r: order[r.node]):
            ci = f"{f.num(r.ci_low, 2)} {v.t('audit_to')} {f.num(r.ci_high, 2)}" if r.ci_low == r.ci_low else f.na
            pci = (f"{f.num(r.partial_ci_low, 2)} {v.t('audit_to')} {f.num(r.partial_ci_high, 2)}"
                   if r.partial_ci_low == r.partial_ci_low else f.na)
            rows.append(f'<tr class="depth-{depth[r.node]}"><th scope="row"><span class="indent">{v.node(r.node)}'
                        f"</span></th>{td_cell(f.num(r.r, 2), num=True)}{td_cell(ci, num=True)}"
                        f"{td_cell(p_value(v, r.p), num=True)}{td_cell(f.num(r.partial_r, 2), num=True)}"
                        f"{td_cell(pci, num=True)}{td_cell(p_value(v, r.partial_p), num=True)}"
                        f"{td_cell(f.num(r.n, 0), num=True)}</tr>")
        bodies.append("<tbody>" + "".join(rows) + "</tbody>")
    parts.append(f'<div class="table-wrap"><table id="audit-external" class="compact tree external-table">'
                 f'<caption>{v.t("audit_external_caption")}</caption><thead><tr>{"".join(head)}</tr></thead>'
                 f'{"".join(bodies)}</table></div>')
    return "".join(parts)


def _outliers_section(v: AuditView, h: int) -> str:
    """Indicators with outliers before or after treatment, with the rule."""
    rules, f = v.audit.rules, v.fmt
    out = v.audit.outliers
    flagged = out[out["outlier_before"] | out["outlier_after"]]
    parts = [f"<h{h}>{v.t('audit_outliers_title')}</h{h}>",
             '<p class="rule">' + v.t("audit_rule_outliers", skew=f.num(rules.skew, 1),
                                      kurtosis=f.num(rules.kurtosis, 1)) + "</p>"]
    if not len(flagged):
        parts.append(f'<p class="none">{v.t("audit_no_outliers")}</p>')
        return "".join(parts)
    head = [th_cell(v.t("node")), th_cell(v.t("audit_skew_before"), num=True),
            th_cell(v.t("audit_kurtosis_before"), num=True), th_cell(v.t("audit_skew_after"), num=True),
            th_cell(v.t("audit_kurtosis_after"), num=True)]
    rows = [f'<tr><th scope="row">{v.node(r.indicator)}</th>{td_cell(f.num(r.skew_before, 2), num=True)}'
            f"{td_cell(f.num(r.kurtosis_before, 2), num=True)}{td_cell(f.num(r.skew_after, 2), num=True)}"
            f"{td_cell(f.num(r.kurtosis_after, 2), num=True)}</tr>" for r in frame_rows(flagged)]
    parts.append('<div class="table-wrap">' + html_table(head, rows, cls="compact outliers-table") + "</div>")
    return "".join(parts)


def audit_body(data: ReportData | AuditView, *, h: int = 3) -> str:
    """Everything the audit shows, with headings of level ``h``: the same for the tab and the page."""
    v = view_of(data)
    f = v.fmt
    audit = v.audit
    rules = audit.rules
    counts = v.t("audit_counts", n=len(audit.flags), **audit.counts())
    method = v.text("audit_pearson" if rules.method == "pearson" else "audit_spearman")
    intro = v.t("audit_intro", edition=audit.result.edition)
    if audit.stage == "aggregated":
        intro += " " + v.t("audit_stage_aggregated")
    elif audit.stage != "normalised":
        intro += " " + v.t("audit_stage_other", stage=audit.stage)
    parts = [f"<p>{intro}</p>",
             f"<h{h}>{v.t('audit_findings')}</h{h}>", f'<p class="counts">{counts}</p>',
             f'<div class="table-wrap">{audit_flags_table(v)}</div>',
             f"<h{h}>{v.t('audit_nodes_title')}</h{h}>",
             f'<div class="table-wrap">{audit_nodes_table(v)}</div>',
             '<p class="rule">' + v.t("audit_rule_alpha", alpha=f.num(rules.min_alpha, 2),
                                      share=f.pct(rules.min_first_share)) + "</p>",
             f"<h{h}>{v.t('audit_corr_title')}</h{h}>",
             '<p class="rule">' + v.t("audit_rule_corr", method=method, p=f.num(rules.p_value, 2),
                                      redundancy=f.num(rules.redundancy, 2),
                                      item_rest=f.num(rules.min_item_rest, 2)) + "</p>",
             _correlation_panels(v)]
    if len(audit.importance):
        lo, hi = rules.importance_range
        parts += [f"<h{h}>{v.t('audit_importance_title')}</h{h}>",
                  '<p class="rule">' + v.t("audit_rule_importance", low=f.num(lo, 1), high=f.num(hi, 1)) + "</p>",
                  chart_block("audit-importance", v.t("audit_importance_caption"), v.t("audit_importance_summary"),
                              _importance_table(v), table_label=v.text("data_table"))]
    parts += [_external_section(v, h), _outliers_section(v, h)]
    return "".join(parts)


def audit_section(data: ReportData) -> str:
    """The audit tab of the report: :func:`audit_body` in a view of the page (or why the audit could not run)."""
    head = ('<section id="audit" class="view" aria-labelledby="audit-h" hidden>'
            f'<h2 id="audit-h">{esc(data.text("nav_audit"))}</h2>')
    if data.audit is None:
        return (head + f'<p class="none">{esc(data.text("audit_unavailable"))}: {esc(data.audit_error)}</p>'
                "</section>")
    return head + audit_body(data) + "</section>"


def audit_figures(data: ReportData | AuditView) -> dict[str, go.Figure]:
    """The figures of the audit: ``audit-importance`` and one heatmap ``audit-corr-<i>`` per node."""
    v = view_of(data)
    audit, text = v.audit, v.text
    figs: dict[str, go.Figure] = {}
    if len(audit.importance):
        figs["audit-importance"] = importance_chart(
            audit.importance, names=v.labels, separators=v.separators, by_name=True,
            text={"title": "", "weight": text("weight_normalised"), "r2_share": text("audit_r2_share"),
                  "S_share": text("audit_S_share"), "ratio": text("audit_ratio"),
                  "axis_x": text("audit_share_axis"), "axis_y": ""})
    for i, node in enumerate(correlation_nodes(audit)):
        figs[f"audit-corr-{i}"] = correlation_heatmap(
            audit.correlations, node, method=audit.rules.method, names=v.labels, separators=v.separators,
            by_name=True, text={"title": "", "axis": ""})
    return figs


def audit_page(audit: Audit, *, notice: str = "", title: str = "", lang: str = "en") -> str:
    """The audit as one self-contained HTML page: the report's audit tab on a page of its own.

    The body is :func:`audit_body` (the tab's findings, tables, figures and words, in
    ``lang``), in the report's page template with its style sheet and script (charts drawn
    from embedded data, the node selector, no network request: the report's
    Content-Security-Policy).

    Parameters
    ----------
    audit : Audit
        From :func:`openindex.analysis.audit.run_audit`.
    notice : str
        A data notice shown at the top (e.g. "Synthetic demonstration data").
    title : str
        Page title; default "Statistical audit: <index name>" in ``lang``.
    lang : str
        Language of the texts (one of :data:`openindex.i18n.LANGUAGES`). Default ``"en"``.

    Returns
    -------
    str
        The HTML document (deterministic for identical input).
    """
    v = audit_view(audit, lang)
    result = audit.result
    title = title or v.text("audit_page_title", name=framework_name(result.framework, lang))
    body = "".join([
        f'<header class="masthead"><h1>{esc(title)}</h1>'
        f'<p class="subtitle">{v.t("subtitle", n=len(result.units), edition=result.edition)}</p>',
        notice_banner(notice, v.text("notice")), "</header>",
        '<main id="main" tabindex="-1"><section id="audit-page">', audit_body(v, h=2), "</section></main>",
        f'<footer class="foot"><p>{v.t("footer", version=__version__)}</p></footer>'])
    script = {"lang": lang, "config": PLOTLY_CONFIG, "strings": {}, "colours": [],
              "figures": {k: fig.to_plotly_json() for k, fig in audit_figures(v).items()}}
    page = Template(read_resource("openindex.report", "templates/page.html"))
    return page.substitute(
        lang=esc(lang), title=esc(title), csp=esc(CSP), version=esc(__version__),
        css=read_resource("openindex.report", "templates/report.css"), body=body, data=json_for_html(script),
        plotly=get_plotlyjs(), js=read_resource("openindex.report", "templates/report.js"))
