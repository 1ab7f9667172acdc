"""The overview tab: ranking table, heatmap, theme scores, framework sunburst, data coverage."""

from __future__ import annotations

from typing import TYPE_CHECKING

from openindex.i18n import peer_group_name
from openindex.report.render.base import (
    DASH,
    RenderContext,
    chart_block,
    esc,
    frame_records,
    frame_rows,
    html_table,
    sort_value,
    td_cell,
    th_cell,
)

if TYPE_CHECKING:
    from openindex.report.data import ReportData


def ranking_table(data: ReportData) -> str:
    """The sortable, searchable table of every city: score, rank, interval, peer group, themes, coverage."""
    c = RenderContext(data)
    f = c.fmt
    fw = data.framework
    themes = list(fw.levels[fw.n_levels - 2]) if fw.n_levels > 2 else []
    iv = data.intervals is not None and not c.no_ranks
    peer = data.peer_group is not None
    n = int(data.ranking["score"].notna().sum())
    head = []
    if not c.no_ranks:
        head.append(th_cell(c.t("rank"), num=True, sort="num"))
    head += [th_cell(c.t("city"), sort="text"), th_cell(c.t("score"), num=True, sort="num")]
    if iv:
        head += [th_cell(c.t("median_rank"), num=True, sort="num"), th_cell(c.t("rank_interval"), num=True, sort="num")]
    if data.peer_group is not None:
        gname = peer_group_name(fw, data.peer_group, data.options.lang)
        head.append(th_cell(f'{c.t("peer_group")}<br><span class="unit">{esc(gname)}</span>', sort="text"))
        if not c.no_ranks:
            head.append(th_cell(c.t("peer_rank"), num=True, sort="num"))
    head += [th_cell(c.node(t), num=True, sort="num") for t in themes]
    head.append(th_cell(c.t("coverage"), num=True, sort="num"))
    rows = []
    for rd in frame_records(data.ranking):
        unit = str(rd["unit"])
        cells = []
        if not c.no_ranks:
            cells.append(td_cell(f.rank(rd["rank"]), num=True, v=rd["rank"]))
        cells.append(f'<th scope="row" data-v="{sort_value(rd["name"])}">{c.city_link(unit)}</th>')
        cells.append(td_cell(f.num(rd["score"]), num=True, v=rd["score"]))
        if iv:
            cells.append(td_cell(f.num(rd["median_rank"], 1), num=True, v=rd["median_rank"]))
            cells.append(td_cell(f"{f.num(rd['p05'], 0)}{DASH}{f.num(rd['p95'], 0)}", num=True, v=rd["p05"]))
        if peer:
            cells.append(td_cell(esc(rd["peer_label"]), v=rd["peer_label"]))
            if not c.no_ranks:
                cells.append(td_cell(f.rank(rd["peer_rank"], rd["peer_n"]), num=True, v=rd["peer_rank"]))
        cells += [td_cell(f.num(rd[t]), num=True, v=rd[t]) for t in themes]
        cells.append(td_cell(f.pct(rd["coverage"]), num=True, v=rd["coverage"]))
        search = esc(f"{rd['name']} {unit}".casefold())
        rows.append(f'<tr data-search="{search}">{"".join(cells)}</tr>')
    caption = c.t("scores_caption" if c.no_ranks else "ranking_caption", n=n, edition=data.result.edition)
    return html_table(head, rows, cls="sortable scores-table", caption=caption, tid="scores-table")


def _area_scores_table(data: ReportData) -> str:
    """Cities x areas, the data table of the heatmap (cities in ranking-table order)."""
    c = RenderContext(data)
    areas = list(data.framework.levels[data.area_level - 1])
    wide = data.result.level_frame(data.area_level)
    head = [th_cell(c.t("city"))] + [th_cell(c.node(a), num=True) for a in areas]
    rows = []
    for unit in data.ranking["unit"]:
        vals = wide.loc[unit]
        rows.append(f'<tr><th scope="row">{esc(c.unit_names[unit])}</th>'
                    + "".join(td_cell(c.fmt.num(vals[a]), num=True) for a in areas) + "</tr>")
    return html_table(head, rows, cls="compact")


def _stats_table(data: ReportData, level: int) -> str:
    """Network statistics of the nodes of a level (min, quartiles, mean, max): a chart's data table."""
    c = RenderContext(data)
    f = c.fmt
    stats = data.nodes[data.nodes["level"] == level].drop_duplicates("code").set_index("code")
    head = [th_cell(c.t("node")), th_cell(c.t("stat_min"), num=True), th_cell(c.t("stat_p25"), num=True),
            th_cell(c.t("stat_mean"), num=True), th_cell(c.t("stat_p75"), num=True), th_cell(c.t("stat_max"), num=True)]
    rows = []
    for code in data.framework.levels[level - 1]:
        s = stats.loc[code]
        rows.append(f'<tr><th scope="row">{c.node(code)}</th>' + "".join(
            td_cell(f.num(s[k]), num=True) for k in ("min", "p25", "mean", "p75", "max")) + "</tr>")
    return html_table(head, rows, cls="compact")


def weights_table(data: ReportData, *, with_levels: bool = True) -> str:
    """The framework tree with nominal, normalised and effective weights (data table of the sunburst)."""
    c = RenderContext(data)
    f = c.fmt
    head = [th_cell(c.t("node"))]
    if with_levels:
        head.append(th_cell(c.t("level")))
    head += [th_cell(c.t("weight_nominal"), num=True), th_cell(c.t("weight_normalised"), num=True),
             th_cell(c.t("weight_effective"), num=True)]
    rows = []
    for w in frame_rows(data.weights):
        lvl = f"<td>{esc(data.level_names[w.level - 1])}</td>" if with_levels else ""
        rows.append(f'<tr class="depth-{w.depth}"><th scope="row"><span class="indent">{esc(w.name)}</span> '
                    f'<code>{esc(w.code)}</code></th>{lvl}'
                    f"{td_cell(f.num(w.nominal, 2), num=True)}{td_cell(f.pct(w.normalised, 1), num=True)}"
                    f"{td_cell(f.pct(w.effective, 2), num=True)}</tr>")
    return html_table(head, rows, cls="compact tree")


def _coverage_table(data: ReportData) -> str:
    """Coverage per area and, below each, the indicators with missing or imputed values."""
    c = RenderContext(data)
    f = c.fmt
    cov = data.coverage
    head = [th_cell(c.t("node")), th_cell(c.t("observed"), num=True), th_cell(c.t("flag_imputed"), num=True),
            th_cell(c.t("flag_missing"), num=True)]
    rows = []
    for area, part in cov.groupby("area", sort=False):
        n = part["n"].sum()
        rows.append(f'<tr class="depth-1"><th scope="row">{c.node(str(area))}</th>'
                    f"{td_cell(f.pct(part['observed'].sum() / n), num=True)}"
                    f"{td_cell(f.pct(part['imputed'].sum() / n), num=True)}"
                    f"{td_cell(f.pct(part['missing'].sum() / n), num=True)}</tr>")
        for r in frame_rows(part):
            if r.observed < r.n:
                rows.append(f'<tr class="depth-2"><th scope="row"><span class="indent">{c.node(r.code)}</span></th>'
                            f"{td_cell(f.pct(r.observed / r.n), num=True)}{td_cell(f.pct(r.imputed / r.n), num=True)}"
                            f"{td_cell(f.pct(r.missing / r.n), num=True)}</tr>")
    return html_table(head, rows, cls="compact tree")


def overview_section(data: ReportData) -> str:
    """The overview: ranking table, heatmap, theme scores, framework sunburst, data coverage."""
    c = RenderContext(data)
    fw = data.framework
    n = len(data.result.units)
    area_name = data.level_names[data.area_level - 1]
    parts = ['<section id="overview" class="view" aria-labelledby="overview-h">',
             f'<h2 id="overview-h">{c.t("nav_overview")}</h2>',
             f'<h3>{c.t("scores_title" if c.no_ranks else "ranking_title")}</h3>',
             f'<p class="hint">{c.t("table_hint")}</p>',
             '<div class="controls"><label for="scores-search">' + c.t("search") + "</label> "
             f'<input type="search" id="scores-search" aria-controls="scores-table" autocomplete="off" '
             f'placeholder="{c.t("search_placeholder")}"> <span class="count" id="scores-count" '
             'aria-live="polite"></span></div>',
             f'<div class="table-wrap">{ranking_table(data)}</div>']
    if data.intervals is not None and not c.no_ranks:
        parts.append(f'<p class="rule">{c.t("interval_note")}</p>')
    # heatmap
    parts.append(f"<h3>{c.t('heatmap_title', level=area_name)}</h3>")
    best = data.nodes[data.nodes["level"] == data.area_level].drop_duplicates("code").sort_values("mean")
    summary = c.t("heatmap_summary", n=n, k=len(fw.levels[data.area_level - 1]), level=area_name,
                  low=data.labels[best["code"].iloc[0]], high=data.labels[best["code"].iloc[-1]])
    parts.append(chart_block("heatmap", c.t("heatmap_caption", level=area_name), summary,
                             _area_scores_table(data), table_label=data.text("data_table")))
    if data.theme_level is not None:
        theme_name = data.level_names[data.theme_level - 1]
        parts.append(f"<h3>{c.t('themes_title', level=theme_name)}</h3>")
        parts.append(chart_block("themes", c.t("themes_caption", level=theme_name),
                                 c.t("themes_summary", level=theme_name, n=n),
                                 _stats_table(data, data.theme_level), table_label=data.text("data_table")))
    parts.append(f"<h3>{c.t('framework_title')}</h3>")
    parts.append(f'<p>{esc(fw.summary())}.</p>' if data.options.lang == "en" else "")
    parts.append(chart_block("sunburst", c.t("sunburst_caption"), c.t("sunburst_summary"),
                             weights_table(data), table_label=data.text("data_table")))
    parts.append(f"<h3>{c.t('coverage_title')}</h3>")
    cov = data.coverage
    share = cov["observed"].sum() / max(1, cov["n"].sum())
    parts.append(chart_block("coverage", c.t("coverage_caption", level=area_name),
                             c.t("coverage_summary", share=c.fmt.pct(share, 1)), _coverage_table(data),
                             table_label=data.text("data_table")))
    parts.append("</section>")
    return "".join(p for p in parts if p)
