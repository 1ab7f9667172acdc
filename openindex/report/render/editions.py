"""The editions tab: score and rank changes between editions, comparability warnings."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from openindex.report.render.base import (
    DASH,
    RenderContext,
    chart_block,
    esc,
    frame_rows,
    html_table,
    sort_value,
    td_cell,
    th_cell,
    trend_arrow,
)

if TYPE_CHECKING:
    from openindex.report.data import ReportData


def _comparability_list(data: ReportData) -> str:
    c = RenderContext(data)
    items = []
    for r in frame_rows(data.comparability):
        if r.kind == "indicators":
            detail = ", ".join(data.labels.get(x, x) for x in r.detail)
        elif r.kind == "sample":
            added, dropped = r.detail
            detail = data.text("sample_detail", added=", ".join(c.unit_names.get(u, u) for u in added) or DASH,
                               dropped=", ".join(dropped) or DASH)
        elif r.kind == "weights":
            detail = ", ".join(data.labels.get(x, x) for x in r.detail[:8]) + (" ..." if len(r.detail) > 8 else "")
        else:
            detail = ", ".join(r.detail)
        items.append(f"<li><strong>{esc(r.edition_from)} {DASH} {esc(r.edition_to)}</strong>: "
                     f"{c.t('cmp_' + r.kind)} ({esc(detail)})</li>")
    for e, reason in data.skipped:
        items.append(f"<li>{c.t('edition_skipped', edition=e)}: {esc(reason)}</li>")
    if not items:
        return f'<p class="ok">{c.t("cmp_none")}</p>'
    return f'<div class="warning" role="note"><strong>{c.t("cmp_warning")}</strong><ul>{"".join(items)}</ul></div>'


def editions_section(data: ReportData) -> str:
    """Score (and rank) changes between editions: slope charts, a table, comparability warnings."""
    c = RenderContext(data)
    f = c.fmt
    eds = [r.edition for r in data.editions]
    parts = ['<section id="editions" class="view" aria-labelledby="editions-h" hidden>',
             f'<h2 id="editions-h">{c.t("nav_editions")}</h2>',
             f"<p>{c.t('editions_in_data', editions=', '.join(map(str, eds)))}</p>"]
    if len(eds) < 2:
        parts.append(f'<p class="none">{c.t("one_edition")}</p>')
        for e, reason in data.skipped:
            parts.append(f"<p>{c.t('edition_skipped', edition=e)}: {esc(reason)}</p>")
        parts.append("</section>")
        return "".join(parts)
    parts.append(_comparability_list(data))
    parts.append(f'<p class="rule">{c.t("rule_comparability")}</p>')
    parts.append(f'<p class="rule">{arrow_rules(data)}</p>')
    parts.append(chart_block("slope-score", c.t("slope_score_caption"), c.t("slope_summary", n=len(data.result.units))))
    if not c.no_ranks:
        parts.append(chart_block("slope-rank", c.t("slope_rank_caption"), c.t("slope_summary",
                                                                               n=len(data.result.units))))
    hist = data.history
    score = hist.pivot_table(index="unit", columns="edition", values="score", aggfunc="first")
    rank = hist.pivot_table(index="unit", columns="edition", values="rank", aggfunc="first")
    ch = data.changes[data.changes["code"] == data.framework.root].set_index("unit")
    head = [th_cell(c.t("city"), sort="text")] + [th_cell(c.t("score_in", edition=e), num=True, sort="num")
                                                   for e in eds]
    head.append(th_cell(c.t("change"), num=True, sort="num"))
    if not c.no_ranks:
        head += [th_cell(c.t("rank_in", edition=e), num=True, sort="num") for e in eds]
        head.append(th_cell(c.t("rank_change_short"), num=True, sort="num"))
    rows = []
    for unit in data.ranking["unit"]:
        cells = [f'<th scope="row" data-v="{sort_value(c.unit_names[unit])}">{c.city_link(unit)}</th>']
        cells += [td_cell(f.num(score.at[unit, e] if unit in score.index and e in score.columns else np.nan),
                      num=True, v=score.at[unit, e] if unit in score.index and e in score.columns else None)
                  for e in eds]
        r = ch.loc[unit] if unit in ch.index else None
        cells.append(td_cell((f.num(r["d_score"], 1, sign=True) + " " + trend_arrow(c, int(r["score_arrow"])))
                         if r is not None else f.na, num=True, v=r["d_score"] if r is not None else None))
        if not c.no_ranks:
            cells += [td_cell(f.rank(rank.at[unit, e] if unit in rank.index and e in rank.columns else np.nan),
                          num=True, v=rank.at[unit, e] if unit in rank.index and e in rank.columns else None)
                      for e in eds]
            cells.append(td_cell((f.num(r["d_rank"], 0, sign=True) + " " + trend_arrow(c, int(r["rank_arrow"])))
                             if r is not None else f.na, num=True, v=r["d_rank"] if r is not None else None))
        rows.append("<tr>" + "".join(cells) + "</tr>")
    table = html_table(head, rows, cls="sortable compact", tid="editions-table")
    parts.append(f'<div class="table-wrap">{table}</div>')
    parts.append("</section>")
    return "".join(parts)


def arrow_rules(data: ReportData) -> str:
    c = RenderContext(data)
    text = c.t("rule_arrow_score", points=c.fmt.num(data.options.points, 1))
    if not c.no_ranks:
        text += " " + (c.t("rule_arrow_rank_interval") if data.intervals is not None
                       else c.t("rule_arrow_rank", ranks=data.options.ranks))
    return text
