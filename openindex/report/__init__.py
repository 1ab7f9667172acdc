"""Report building blocks: figures (tidy frame -> plotly figure) and the audit page.

:func:`audit_page` assembles the statistical audit (:mod:`openindex.audit`) into one
self-contained HTML page: plotly.js embedded once, CSS inline, no network request,
every text that comes from data HTML-escaped. It returns text; writing it is
:func:`openindex.io.write_text`'s job. (When the full HTML report gets its own
rendering module, this page becomes one of its sections.)
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import fields
from typing import TYPE_CHECKING, Any

import pandas as pd

from .figures import correlation_heatmap, importance_chart

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from ..audit import Audit

__all__ = ["audit_page", "correlation_heatmap", "importance_chart"]

CSS = """
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


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _cell(value: Any, digits: int) -> str:
    if isinstance(value, float):
        return '<td class="num">' + ("" if value != value else f"{value:.{digits}f}") + "</td>"
    if isinstance(value, int | bool) or hasattr(value, "dtype"):
        return f'<td class="num">{_e(value)}</td>'
    return f"<td>{_e(value)}</td>"


def _table(frame: pd.DataFrame, columns: Sequence[str], digits: int = 2, severity: bool = False) -> str:
    head = "".join(f"<th>{_e(c)}</th>" for c in columns)
    body = []
    for row in frame[list(columns)].itertuples(index=False):
        cells = []
        for col, v in zip(columns, row, strict=True):
            if severity and col == "severity":
                cells.append(f'<td class="sev-{_e(v)}">{_e(v)}</td>')
            else:
                cells.append(_cell(v.item() if hasattr(v, "item") else v, digits))
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _figure(fig: go.Figure, div_id: str) -> str:
    import plotly.io as pio

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
        From :func:`openindex.audit.run_audit`.
    notice : str
        A data notice shown at the top (e.g. "Synthetic demonstration data").
    title : str
        Page title; default "Statistical audit: <index name>".

    Returns
    -------
    str
        The HTML document (deterministic for identical input: fixed figure ids).
    """
    from plotly.offline import get_plotlyjs

    result = audit.result
    fw = result.framework
    names = {c: fw.node(c).name for c in (*fw.indicator_codes, *fw.aggregates)}
    title = title or f"Statistical audit: {fw.name}"
    rules = audit.rules
    counts = audit.counts()
    parts = [f"<h1>{_e(title)}</h1>",
             f'<p class="meta">{_e(fw.summary())}. Edition {_e(result.edition)}, {_e(result.dataset.n_units)} '
             f"units. Indicator values at stage <b>{_e(audit.stage)}</b>; aggregates are the aggregated "
             "scores.</p>"]
    if notice:
        parts.append(f'<p class="notice">{_e(notice)}</p>')
    parts.append("<h2>Findings</h2>")
    parts.append('<p class="counts">' + "".join(f"<span>{_e(n)} {_e(s)}</span>" for s, n in counts.items())
                 + "</p>")
    if len(audit.flags):
        parts.append(_table(audit.flags, ["severity", "finding", "node", "code", "message"], severity=True))
    else:
        parts.append("<p>No finding: every rule below is met.</p>")

    parts.append("<h2>Importance versus nominal weight</h2>")
    parts.append("<p>For each component, its nominal weight within its node next to its share of the node's "
                 "variance explained, by squared Pearson correlation and by the correlation ratio "
                 "(Paruolo, Saisana &amp; Saltelli 2013), both normalised to sum to 1 within the node.</p>")
    if len(audit.importance):
        parts.append(_figure(importance_chart(audit.importance, names=names), "audit-importance"))

    parts.append("<h2>Correlations within each node</h2>")
    parts.append(f"<p>{_e(rules.method.title())} correlations on pairwise-complete observations between the "
                 "components of each node, and with the node itself (last row).</p>")
    nodes_with = set(audit.correlations["y"])
    parts.append('<div class="grid">')
    for i, node in enumerate(audit.cronbach["node"]):
        if node in nodes_with:
            fig = correlation_heatmap(audit.correlations, node, method=rules.method, names=names)
            parts.append(_figure(fig, f"audit-corr-{i}"))
    parts.append("</div>")

    parts.append("<h2>Cronbach's alpha</h2>")
    parts.append(f"<p>alpha = k/(k-1) (1 - trace(C)/sum(C)), C the covariance matrix of the components "
                 f"({_e(rules.cov_use)} observations, ddof 1); n is the "
                 f"{'number of complete cases' if rules.cov_use == 'complete' else 'smallest pairwise count'}. "
                 f"Above {_e(rules.min_alpha)} is usually read as acceptable.</p>")
    parts.append(_table(audit.cronbach, ["node", "alpha", "k", "n"]))
    parts.append("<h2>Principal components</h2>")
    parts.append(f"<p>Correlation matrix of the components on {_e(rules.pca_use)} observations. A node is "
                 f"multidimensional when more than {_e(rules.max_components)} eigenvalue exceeds 1.</p>")
    parts.append(_table(audit.pca_summary, ["node", "k", "n", "eigenvalue_1", "eigenvalue_2", "share_1",
                                            "n_above_1", "multidimensional"]))
    out = audit.outliers
    flagged = out[out["outlier_before"] | out["outlier_after"]]
    parts.append("<h2>Outliers</h2>")
    parts.append(f"<p>Rule: |skewness| &gt; {_e(rules.skew)} and kurtosis &gt; {_e(rules.kurtosis)}, before "
                 f"(imputed values) and after treatment. {len(flagged)} indicator(s) shown.</p>")
    if len(flagged):
        parts.append(_table(flagged, list(out.columns)))
    parts.append("<h2>Rules</h2>")
    parts.append(_table(pd.DataFrame({"rule": [f.name for f in fields(rules)],
                                     "value": [str(getattr(rules, f.name)) for f in fields(rules)]}),
                        ["rule", "value"]))
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{_e(title)}</title>\n"
            f"<style>{CSS}</style>\n<script type=\"text/javascript\">{get_plotlyjs()}</script>\n</head>\n<body>\n"
            + "\n".join(parts) + "\n</body>\n</html>\n")
