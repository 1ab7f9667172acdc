"""The statistical audit: the report's audit tab and the standalone audit page (``audit.html``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from typing import TYPE_CHECKING, Any

import pandas as pd
import plotly.io as pio
from plotly.offline import get_plotlyjs

from openindex.analysis.audit import correlation_matrix
from openindex.report.data import audit_nodes
from openindex.report.figures import correlation_heatmap, importance_chart
from openindex.report.render.base import (
    RenderContext,
    chart_block,
    esc,
    frame_records,
    frame_rows,
    html_table,
    td_cell,
    th_cell,
    tree_nodes,
)

if TYPE_CHECKING:
    from openindex.analysis.audit import Audit
    from openindex.report.data import ReportData


def _sev(c: RenderContext, severity: str) -> str:
    return f'<span class="sev sev-{esc(severity)}">{c.t("audit_sev_" + severity)}</span>'


def _finding_texts(data: ReportData) -> list[tuple[str, str]]:
    """Each flag of the audit as (component, sentence) in the report's language (escaped HTML).

    The sentences are the UI strings ``audit_m_<finding>`` filled in from the flag and
    the audit's tables, so that they read in every language (``flags.csv`` keeps the
    audit's own English wording).
    """
    c = RenderContext(data)
    f = c.fmt
    audit = data.audit
    assert audit is not None
    rules = audit.rules
    symbol = "r" if rules.method == "pearson" else "\u03c1"
    imp = {(r["node"], r["child"]): r for r in frame_records(audit.importance)}
    out_rows = {r["indicator"]: r for r in frame_records(audit.outliers)}
    units = {r["unit"]: r["name"] for r in frame_records(audit.coverage_units)}
    editions: dict[tuple[str, str, float], list[Any]] = {}
    for kind, frame, col in (("indicator", audit.coverage_indicators, "indicator"),
                             ("unit", audit.coverage_units, "unit")):
        low = frame[frame["coverage"] < rules.min_coverage]
        for code, share, e in zip(low[col], low["coverage"], low["edition"], strict=True):
            editions.setdefault((kind, str(code), float(share)), []).append(e)
    used: dict[tuple[str, str, float], int] = {}

    def name(code: str) -> str:
        return data.labels.get(code, code)

    out = []
    for r in frame_records(audit.flags):
        finding, node, code, v = str(r["finding"]), str(r["node"]), str(r["code"]), float(r["value"])
        key = "audit_m_" + finding
        values: dict[str, Any] = {"node": name(node), "code": name(code)}
        component = name(code)
        if finding in ("negative_alpha", "low_alpha"):
            values.update(value=f.num(v, 2), threshold=f.num(rules.min_alpha, 2))
        elif finding == "negative_correlation":
            values.update(value=f"{symbol} = {f.num(v, 2)}")
        elif finding == "insignificant_correlation":
            values.update(value=f"p = {f.num(v, 3)}", threshold=f.num(rules.p_value, 2))
        elif finding == "redundancy":
            a, b = code.split(" & ", 1)
            component = f"{name(a)} & {name(b)}"
            values.update(a=name(a), b=name(b), value=f"{symbol} = {f.num(v, 2)}")
        elif finding == "multidimensional":
            values.update(value=f.num(v, 0))
        elif finding == "weak_first_component":
            values.update(value=f.pct(v), threshold=f.pct(rules.min_first_share))
        elif finding == "importance_weight":
            row = imp.get((node, code), {})
            values.update(value=f.num(v, 2), weight=f.pct(row.get("weight")), share=f.pct(row.get("S_share")))
        elif finding == "outlier_after_treatment":
            row = out_rows.get(code, {})
            values.update(value=f.num(v, 2), kurtosis=f.num(row.get("kurtosis_after"), 2))
        elif finding == "low_coverage":
            kind = "indicator" if code in data.framework.indicators else "unit"
            if kind == "unit":
                key, component = "audit_m_low_coverage_unit", str(units.get(code, code))
                values["code"] = component
            found = editions.get((kind, code, v), [""])
            n = used.get((kind, code, v), 0)
            used[(kind, code, v)] = n + 1
            values.update(value=f.pct(v), threshold=f.pct(rules.min_coverage), edition=found[min(n, len(found) - 1)])
        out.append((esc(component), c.t(key, **values)))
    return out


def audit_flags_table(data: ReportData) -> str:
    """The findings of the audit, most serious first: severity, finding, component, what it means."""
    c = RenderContext(data)
    audit = data.audit
    assert audit is not None
    if not len(audit.flags):
        return f'<p class="ok">{c.t("audit_no_finding")}</p>'
    head = [th_cell(c.t("audit_severity")), th_cell(c.t("audit_finding")), th_cell(c.t("node")),
            th_cell(c.t("audit_meaning"))]
    rows = [f'<tr><td>{_sev(c, r["severity"])}</td><td>{c.t("audit_f_" + r["finding"])}</td>'
            f'<th scope="row">{component}</th><td class="msg">{text}</td></tr>'
            for r, (component, text) in zip(frame_records(audit.flags), _finding_texts(data), strict=True)]
    return html_table(head, rows, cls="compact flags-table", caption=c.t("audit_flags_caption"), tid="audit-flags")


def audit_nodes_table(data: ReportData) -> str:
    """Cronbach's alpha and the principal components of every aggregate node, top-down, with their flags."""
    c = RenderContext(data)
    f = c.fmt
    audit = data.audit
    assert audit is not None
    pca = {r["node"]: r for r in frame_records(audit.pca_summary)}
    node_findings = ("negative_alpha", "low_alpha", "multidimensional", "weak_first_component")
    tags: dict[str, list[str]] = {}
    for r in frame_records(audit.flags):
        if r["finding"] in node_findings and r["code"] == r["node"]:
            tags.setdefault(str(r["node"]), []).append(
                f'<span class="tag sev-{esc(r["severity"])}">{c.t("audit_f_" + r["finding"])}</span>')
    head = [th_cell(c.t("node")), th_cell(c.t("audit_k"), num=True), th_cell(c.t("audit_n"), num=True),
            th_cell(c.t("audit_alpha"), num=True), th_cell(c.t("audit_share_1"), num=True),
            th_cell(c.t("audit_above_1"), num=True), th_cell(c.t("audit_findings"))]
    alpha = {str(r["node"]): r for r in frame_records(audit.cronbach)}
    rows = []
    for node, depth in tree_nodes(data, min_level=2):
        if node not in alpha:
            continue
        r, p = alpha[node], pca.get(node)
        rows.append(f'<tr class="depth-{depth}"><th scope="row"><span class="indent">{c.node(node)}</span></th>'
                    f"{td_cell(f.num(r['k'], 0), num=True)}{td_cell(f.num(r['n'], 0), num=True)}"
                    f"{td_cell(f.num(r['alpha'], 2), num=True)}"
                    f"{td_cell(f.pct(p['share_1']) if p else f.na, num=True)}"
                    f"{td_cell(f.num(p['n_above_1'], 0) if p else f.na, num=True)}"
                    f"<td>{' '.join(tags.get(node, []))}</td></tr>")
    return html_table(head, rows, cls="compact tree", caption=c.t("audit_nodes_caption"), tid="audit-nodes")


def _correlation_table(data: ReportData, node: str) -> str:
    """The correlation matrix of a node's components and the node (the data table of its heatmap)."""
    c = RenderContext(data)
    audit = data.audit
    assert audit is not None
    codes, r, _, _ = correlation_matrix(audit.correlations, node, method=audit.rules.method)
    head = [th_cell(c.t("node"))] + [th_cell(c.node(x), num=True) for x in codes]
    rows = [f'<tr><th scope="row">{c.node(x)}</th>' + "".join(td_cell(c.fmt.num(v, 2), num=True) for v in r[i])
            + "</tr>" for i, x in enumerate(codes)]
    return html_table(head, rows, cls="compact corr-table")


def _importance_table(data: ReportData) -> str:
    """Nominal weight and the two importance shares of every component in its node (the chart's data table)."""
    c = RenderContext(data)
    f = c.fmt
    audit = data.audit
    assert audit is not None
    head = [th_cell(c.t("node")), th_cell(c.t("weight_normalised"), num=True), th_cell(c.t("audit_r2_share"), num=True),
            th_cell(c.t("audit_S_share"), num=True), th_cell(c.t("audit_ratio"), num=True)]
    bodies = []
    for node, part in audit.importance.groupby("node", sort=False):
        rows = [f'<tr class="group"><th scope="rowgroup" colspan="5">{c.node(str(node))}</th></tr>']
        rows += [f'<tr><th scope="row">{c.node(r.child)}</th>{td_cell(f.pct(r.weight, 1), num=True)}'
                 f"{td_cell(f.pct(r.r2_share, 1), num=True)}{td_cell(f.pct(r.S_share, 1), num=True)}"
                 f"{td_cell(f.num(r.ratio_S, 2), num=True)}</tr>" for r in frame_rows(part)]
        bodies.append("<tbody>" + "".join(rows) + "</tbody>")
    return (f'<table class="compact importance-table"><thead><tr>{"".join(head)}</tr></thead>'
            f'{"".join(bodies)}</table>')


def _correlation_panels(data: ReportData) -> str:
    """A node selector and, per aggregate node, its heatmap, data table and findings (one shown at a time)."""
    c = RenderContext(data)
    audit = data.audit
    assert audit is not None
    fw = data.framework
    nodes = audit_nodes(data)
    flags = frame_records(audit.flags)
    texts = _finding_texts(data)
    alpha = {r["node"]: r for r in frame_records(audit.cronbach)}
    groups: dict[int, list[str]] = {}
    panels = []
    for i, node in enumerate(nodes):
        mine = [(r, t) for r, t in zip(flags, texts, strict=True) if r["node"] == node]
        label = data.labels.get(node, node) + (f" ({data.text('audit_n_findings', n=len(mine))})" if mine else "")
        groups.setdefault(fw.level_of(node), []).append(f'<option value="audit-node-{i}">{esc(label)}</option>')
        items = "".join(f"<li>{_sev(c, r['severity'])} {t}</li>" for r, (_, t) in mine)
        panels.append(
            f'<div class="audit-panel" id="audit-node-{i}"{" hidden" if i else ""}>'
            + chart_block(f"audit-corr-{i}", c.t("audit_corr_caption", node=data.labels.get(node, node),
                                                  alpha=c.fmt.num(alpha[node]["alpha"], 2)),
                          c.t("audit_corr_summary", node=data.labels.get(node, node), k=alpha[node]["k"]),
                          _correlation_table(data, node), table_label=data.text("data_table"))
            + (f'<ul class="node-findings">{items}</ul>' if items else f'<p class="none">{c.t("audit_node_ok")}</p>')
            + "</div>")
    options = "".join(f'<optgroup label="{esc(data.level_names[level - 1])}">{"".join(opts)}</optgroup>'
                      for level, opts in sorted(groups.items(), reverse=True))
    return (f'<div class="controls no-print"><label for="audit-node">{c.t("audit_choose_node")}</label> '
            f'<select id="audit-node" data-panels="audit-panel">{options}</select></div>' + "".join(panels))


def audit_section(data: ReportData) -> str:
    """The statistical audit of the current edition: findings, alpha and PCA, correlations, importance."""
    c = RenderContext(data)
    f = c.fmt
    parts = ['<section id="audit" class="view" aria-labelledby="audit-h" hidden>',
             f'<h2 id="audit-h">{c.t("nav_audit")}</h2>']
    audit = data.audit
    if audit is None:
        parts.append(f'<p class="none">{c.t("audit_unavailable")}: {esc(data.audit_error)}</p></section>')
        return "".join(parts)
    rules = audit.rules
    counts = c.t("audit_counts", n=len(audit.flags), **audit.counts())
    method = data.text("audit_pearson" if rules.method == "pearson" else "audit_spearman")
    parts += [f'<p>{c.t("audit_intro", edition=data.result.edition)}</p>',
              f'<h3>{c.t("audit_findings")}</h3>', f'<p class="counts">{counts}</p>',
              f'<div class="table-wrap">{audit_flags_table(data)}</div>',
              f'<h3>{c.t("audit_nodes_title")}</h3>',
              f'<div class="table-wrap">{audit_nodes_table(data)}</div>',
              '<p class="rule">' + c.t("audit_rule_alpha", alpha=f.num(rules.min_alpha, 2),
                                      share=f.pct(rules.min_first_share)) + "</p>",
              f'<h3>{c.t("audit_corr_title")}</h3>',
              '<p class="rule">' + c.t("audit_rule_corr", method=method, p=f.num(rules.p_value, 2),
                                      redundancy=f.num(rules.redundancy, 2)) + "</p>",
              _correlation_panels(data)]
    if "audit-importance" in data.figures:
        lo, hi = rules.importance_range
        parts += [f'<h3>{c.t("audit_importance_title")}</h3>',
                  '<p class="rule">' + c.t("audit_rule_importance", low=f.num(lo, 1), high=f.num(hi, 1)) + "</p>",
                  chart_block("audit-importance", c.t("audit_importance_caption"), c.t("audit_importance_summary"),
                              _importance_table(data), table_label=data.text("data_table"))]
    parts.append("</section>")
    return "".join(parts)


AUDIT_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:1100px;
 padding:1.5rem;color:#222;line-height:1.45}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.25rem;margin-top:2rem;border-bottom:1px solid #ccc}
.meta{color:#555}.notice{background:#fff3cd;border:1px solid #e0c36a;padding:.5rem .8rem;margin:1rem 0}
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}
th,td{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f2f2f2}td.num{text-align:right;font-variant-numeric:tabular-nums}
.sev-high{color:#fff;background:#b35806;font-weight:600}.sev-medium{background:#f1a340}
.sev-low{background:#e8eef4}.counts span{margin-right:1rem}.fig{margin:1rem 0}
.grid{display:flex;flex-wrap:wrap;gap:0 1rem}
"""


def _audit_cell(value: Any, digits: int) -> str:
    if isinstance(value, float):
        return '<td class="num">' + ("" if value != value else f"{value:.{digits}f}") + "</td>"
    if isinstance(value, int | bool) or hasattr(value, "dtype"):
        return f'<td class="num">{esc(value)}</td>'
    return f"<td>{esc(value)}</td>"


def _audit_table(frame: pd.DataFrame, columns: Sequence[str], digits: int = 2, severity: bool = False) -> str:
    head = "".join(f"<th>{esc(c)}</th>" for c in columns)
    body = []
    for row in frame[list(columns)].itertuples(index=False):
        cells = []
        for col, v in zip(columns, row, strict=True):
            if severity and col == "severity":
                cells.append(f'<td class="sev-{esc(v)}">{esc(v)}</td>')
            else:
                cells.append(_audit_cell(v.item() if hasattr(v, "item") else v, digits))
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _audit_figure(fig: Any, div_id: str) -> str:
    return ('<div class="fig">' + pio.to_html(fig, full_html=False, include_plotlyjs=False, div_id=div_id,
                                              config={"displaylogo": False, "responsive": True}) + "</div>")


def audit_page(audit: Audit, *, notice: str = "", title: str = "") -> str:
    """The audit as one self-contained HTML page.

    Sections: the findings (flags table, most serious first), importance versus
    weight (chart), correlations within every node (one heatmap per node, top-down),
    Cronbach's alpha and PCA tables, outliers, the rules used.

    Parameters
    ----------
    audit : Audit
        From :func:`openindex.analysis.audit.run_audit`.
    notice : str
        A data notice shown at the top (e.g. "Synthetic demonstration data").
    title : str
        Page title; default "Statistical audit: <index name>".

    Returns
    -------
    str
        The HTML document (deterministic for identical input: fixed figure ids).
    """
    result = audit.result
    fw = result.framework
    names = {c: fw.node(c).name for c in (*fw.indicator_codes, *fw.aggregates)}
    title = title or f"Statistical audit: {fw.name}"
    rules = audit.rules
    counts = audit.counts()
    parts = [f"<h1>{esc(title)}</h1>",
             f'<p class="meta">{esc(fw.summary())}. Edition {esc(result.edition)}, {esc(result.dataset.n_units)} '
             f"units. Indicator values at stage <b>{esc(audit.stage)}</b>; aggregates are the aggregated "
             "scores.</p>"]
    if notice:
        parts.append(f'<p class="notice">{esc(notice)}</p>')
    parts.append("<h2>Findings</h2>")
    parts.append('<p class="counts">' + "".join(f"<span>{esc(n)} {esc(s)}</span>" for s, n in counts.items())
                 + "</p>")
    if len(audit.flags):
        parts.append(_audit_table(audit.flags, ["severity", "finding", "node", "code", "message"], severity=True))
    else:
        parts.append("<p>No finding: every rule below is met.</p>")

    parts.append("<h2>Importance versus nominal weight</h2>")
    parts.append("<p>For each component, its nominal weight within its node next to its share of the node's "
                 "variance explained, by squared Pearson correlation and by the correlation ratio "
                 "(Paruolo, Saisana &amp; Saltelli 2013), both normalised to sum to 1 within the node.</p>")
    if len(audit.importance):
        parts.append(_audit_figure(importance_chart(audit.importance, names=names), "audit-importance"))

    parts.append("<h2>Correlations within each node</h2>")
    parts.append(f"<p>{esc(rules.method.title())} correlations on pairwise-complete observations between the "
                 "components of each node, and with the node itself (last row).</p>")
    nodes_with = set(audit.correlations["y"])
    parts.append('<div class="grid">')
    for i, node in enumerate(audit.cronbach["node"]):
        if node in nodes_with:
            fig = correlation_heatmap(audit.correlations, node, method=rules.method, names=names)
            parts.append(_audit_figure(fig, f"audit-corr-{i}"))
    parts.append("</div>")

    parts.append("<h2>Cronbach's alpha</h2>")
    parts.append(f"<p>alpha = k/(k-1) (1 - trace(C)/sum(C)), C the covariance matrix of the components "
                 f"({esc(rules.cov_use)} observations, ddof 1); n is the "
                 f"{'number of complete cases' if rules.cov_use == 'complete' else 'smallest pairwise count'}. "
                 f"Above {esc(rules.min_alpha)} is usually read as acceptable.</p>")
    parts.append(_audit_table(audit.cronbach, ["node", "alpha", "k", "n"]))
    parts.append("<h2>Principal components</h2>")
    parts.append(f"<p>Correlation matrix of the components on {esc(rules.pca_use)} observations. A node is "
                 f"multidimensional when more than {esc(rules.max_components)} eigenvalue exceeds 1.</p>")
    parts.append(_audit_table(audit.pca_summary, ["node", "k", "n", "eigenvalue_1", "eigenvalue_2", "share_1",
                                            "n_above_1", "multidimensional"]))
    out = audit.outliers
    flagged = out[out["outlier_before"] | out["outlier_after"]]
    parts.append("<h2>Outliers</h2>")
    parts.append(f"<p>Rule: |skewness| &gt; {esc(rules.skew)} and kurtosis &gt; {esc(rules.kurtosis)}, before "
                 f"(imputed values) and after treatment. {len(flagged)} indicator(s) shown.</p>")
    if len(flagged):
        parts.append(_audit_table(flagged, list(out.columns)))
    parts.append("<h2>Rules</h2>")
    parts.append(_audit_table(pd.DataFrame({"rule": [f.name for f in fields(rules)],
                                     "value": [str(getattr(rules, f.name)) for f in fields(rules)]}),
                        ["rule", "value"]))
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{esc(title)}</title>\n"
            f"<style>{AUDIT_CSS}</style>\n<script type=\"text/javascript\">{get_plotlyjs()}</script>\n</head>\n<body>\n"
            + "\n".join(parts) + "\n</body>\n</html>\n")
