"""The city profile: key figures, areas, strengths and weaknesses, change, cities to learn from, indicators.

:func:`profile_page` shows one profile as a page of its own (the self-assessment).
"""

from __future__ import annotations

from collections.abc import Sequence
from string import Template
from typing import TYPE_CHECKING, Any

from plotly.offline import get_plotlyjs

from openindex.i18n import attribute_text, peer_group_name, translated
from openindex.io import read_resource
from openindex.report.render.base import (
    CSP,
    DASH,
    PLOTLY_CONFIG,
    Fmt,
    RenderContext,
    chart_block,
    esc,
    frame_records,
    frame_rows,
    html_table,
    is_missing,
    json_for_html,
    notice_banner,
    td_cell,
    th_cell,
    tree_nodes,
    trend_arrow,
)
from openindex.version import __version__

if TYPE_CHECKING:
    from openindex.report.data import ReportData


def area_table(data: ReportData, unit: str) -> str:
    """A city's index, themes and areas: score, network and peer averages, ranks, standing."""
    c = RenderContext(data)
    f = c.fmt
    nodes = {r["code"]: r for r in frame_records(data.of_unit("nodes", unit)) if r["level"] >= data.area_level}
    peer = data.peer_group is not None
    head = [th_cell(c.t("node")), th_cell(c.t("score"), num=True), th_cell(c.t("network_average"), num=True)]
    if peer:
        head.append(th_cell(c.t("peer_average"), num=True))
    if not c.no_ranks:
        head.append(th_cell(c.t("rank"), num=True))
        if peer:
            head.append(th_cell(c.t("peer_rank"), num=True))
    head.append(th_cell(c.t("standing")))
    rows = []
    for code, depth in tree_nodes(data, min_level=data.area_level):
        r = nodes[code]
        cells = [td_cell(f.num(r["score"]), num=True), td_cell(f.num(r["mean"]), num=True)]
        if peer:
            cells.append(td_cell(f.num(r["peer_mean"]), num=True))
        if not c.no_ranks:
            cells.append(td_cell(f.rank(r["rank"], r["n"]), num=True))
            if peer:
                cells.append(td_cell(f.rank(r["peer_rank"], r["peer_n"]), num=True))
        cells.append(td_cell(_standing(c, r["standing"]) if r["level"] == data.area_level else ""))
        rows.append(f'<tr class="depth-{depth}"><th scope="row"><span class="indent">{c.node(code)}</span></th>'
                    + "".join(cells) + "</tr>")
    return html_table(head, rows, cls="compact tree")


def _standing(c: RenderContext, standing: Any) -> str:
    if standing == "strength":
        return f'<span class="tag strength">{c.t("strength")}</span>'
    if standing == "weakness":
        return f'<span class="tag weakness">{c.t("weakness")}</span>'
    return ""


def indicator_table(data: ReportData, unit: str) -> str:
    """A city's indicators grouped by area: value with unit (or answer), score, averages, rank, flags."""
    c = RenderContext(data)
    f = c.fmt
    fw = data.framework
    lang = data.options.lang
    rows_of = data.of_unit("indicators", unit)
    peer = data.peer_group is not None
    head = [th_cell(c.t("indicator")), th_cell(c.t("value")), th_cell(c.t("score"), num=True),
            th_cell(c.t("network_average"), num=True)]
    if peer:
        head.append(th_cell(c.t("peer_average"), num=True))
    if not c.no_ranks:
        head.append(th_cell(c.t("rank"), num=True))
    head += [th_cell(c.t("standing")), th_cell(c.t("flags"))]
    width = len(head)
    by_area: dict[str, list[dict[str, Any]]] = {}
    for r in frame_records(rows_of):
        by_area.setdefault(str(r["area"]), []).append(r)
    bodies = []
    for area in [a for a in fw.levels[1] if a in by_area]:
        rows = [f'<tr class="group"><th scope="rowgroup" colspan="{width}">{c.node(area)}</th></tr>']
        for r in by_area[area]:
            code = str(r["code"])
            unit_text = translated(fw, code, "unit", lang)
            unit_html = f' <span class="unit">{esc(unit_text)}</span>' if unit_text else ""
            if r["answer"]:
                value = esc(r["answer"])
            elif not is_missing(r["value"]):
                value = f.raw(r["value"]) + unit_html
            elif not is_missing(r["imputed_value"]):
                value = f'<span class="imputed">{f.raw(r["imputed_value"])}</span>{unit_html}'
            else:
                value = f.na
            flags = " ".join(f'<span class="tag flag-{fl}">{c.t("flag_" + fl)}</span>'
                             for fl in str(r["flags"]).split())
            cells = [td_cell(value), td_cell(f.num(r["score"]), num=True), td_cell(f.num(r["mean"]), num=True)]
            if peer:
                cells.append(td_cell(f.num(r["peer_mean"]), num=True))
            if not c.no_ranks:
                cells.append(td_cell(f.rank(r["rank"], r["n"]), num=True))
            cells += [td_cell(_standing(c, r["standing"])), td_cell(flags)]
            rows.append(f'<tr><th scope="row">{c.node(code)}</th>' + "".join(cells) + "</tr>")
        bodies.append("<tbody>" + "".join(rows) + "</tbody>")
    th = "".join(head)
    return f'<table class="compact indicators"><thead><tr>{th}</tr></thead>{"".join(bodies)}</table>'


def standing_lists(data: ReportData, unit: str) -> str:
    """A city's strengths and weaknesses (areas, then indicators), by the stated quartile rule."""
    c = RenderContext(data)
    nodes = [r for r in frame_records(data.of_unit("nodes", unit)) if r["level"] <= data.area_level and r["standing"]]
    out = ['<div class="sw">']
    for kind in ("strength", "weakness"):
        sign = 1 if kind == "weakness" else -1  # strongest strengths and weakest weaknesses first, areas first
        part = sorted((r for r in nodes if r["standing"] == kind), key=lambda r: (-r["level"], sign * r["score"]))
        items = "".join(f'<li><span class="lvl">{esc(data.level_names[int(r["level"]) - 1])}</span> '
                        f'{c.node(r["code"])} <span class="val">{c.fmt.num(r["score"])}</span></li>'
                        for r in part)
        out.append(f'<div class="sw-{kind}"><h4>{c.t({"strength": "strengths", "weakness": "weaknesses"}[kind])}</h4>'
                   + (f"<ul>{items}</ul>" if items else f'<p class="none">{c.t("none_found")}</p>') + "</div>")
    out.append("</div>")
    return "".join(out)


def change_table(data: ReportData, unit: str) -> str:
    """A city's change since its previous edition: index, themes and areas; arrows by the stated rule."""
    c = RenderContext(data)
    f = c.fmt
    ch = {r["code"]: r for r in frame_records(data.of_unit("changes", unit))}
    if not ch:
        return f'<p class="none">{c.t("no_previous")}</p>'
    prev = int(max(r["prev_edition"] for r in ch.values()))
    head = [th_cell(c.t("node")), th_cell(esc(str(prev)), num=True), th_cell(esc(str(data.result.edition)), num=True),
            th_cell(c.t("change"), num=True)]
    rows = []
    for code, depth in tree_nodes(data, min_level=data.area_level):
        if code not in ch:
            continue
        r = ch[code]
        change = f.num(r["d_score"], 1, sign=True) + " " + trend_arrow(c, int(r["score_arrow"]))
        rows.append(f'<tr class="depth-{depth}"><th scope="row"><span class="indent">{c.node(code)}</span></th>'
                    f"{td_cell(f.num(r['prev_score']), num=True)}{td_cell(f.num(r['score']), num=True)}"
                    f"{td_cell(change, num=True)}</tr>")
    out = html_table(head, rows, cls="compact tree")
    root = data.framework.root
    if not c.no_ranks and root in ch:
        r = ch[root]
        text = c.t("rank_change", prev=f.rank(r["prev_rank"]), now=f.rank(r["rank"]), edition=prev)
        out = f'<p class="rank-change">{text} {trend_arrow(c, int(r["rank_arrow"]))}</p>' + out
    return out


def learn_table(data: ReportData, unit: str) -> str:
    """Cities to learn from in a city's weakest areas."""
    c = RenderContext(data)
    f = c.fmt
    rows_of = data.of_unit("learn", unit)
    if rows_of.empty:
        return f'<p class="none">{c.t("none_found")}</p>'
    head = [th_cell(c.t("weak_area")), th_cell(c.t("gap_to_average"), num=True), th_cell(c.t("learn_from"))]
    by_area: dict[str, list[dict[str, Any]]] = {}
    for r in frame_records(rows_of):
        by_area.setdefault(str(r["area"]), []).append(r)
    rows = []
    for area, part in by_area.items():
        cities = ", ".join(f"{c.city_link(str(r['other']))} ({f.num(r['other_score'])}"
                           + (f", {c.t('peer')}" if r["scope"] == "peer" else "") + ")" for r in part)
        rows.append(f'<tr><th scope="row">{c.node(area)}</th>'
                    f"{td_cell(f.num(part[0]['gap'], 1, sign=True), num=True)}<td>{cities}</td></tr>")
    return html_table(head, rows, cls="compact")


def _facts(data: ReportData, unit: str) -> str:
    """The city's attributes (population, region...) as one line."""
    fw = data.framework
    units = data.result.dataset.units
    row = {k: v for k, v in zip(units.columns, units.iloc[list(data.result.units).index(unit)].tolist(),
                                strict=True)}
    f = Fmt(data.options.lang)
    items = []
    for code, attr in fw.attributes.items():
        if code not in row or is_missing(row[code]) or row[code] == "":
            continue
        value = f.raw(row[code]) if attr.kind == "numeric" else str(row[code])
        if attr.kind == "numeric" and float(row[code]).is_integer() and abs(float(row[code])) >= 1000:
            value = f.num(row[code], 0)
        name = attribute_text(fw, code, "name", data.options.lang) or code
        unit_text = attribute_text(fw, code, "unit", data.options.lang)
        items.append(f"<span>{esc(name)}: {esc(value)}{(' ' + esc(unit_text)) if unit_text else ''}</span>")
    return f'<p class="facts">{" · ".join(items)}</p>' if items else ""


def profile(data: ReportData, i: int, *, hidden: bool = True) -> str:
    """The profile of the ``i``-th unit: key figures, area chart and table, strengths and weaknesses,
    change since the previous edition, cities to learn from, indicator table (``hidden`` until the
    page script shows it, unless ``hidden=False``)."""
    c = RenderContext(data)
    f = c.fmt
    fw = data.framework
    unit = data.result.units[i]
    anchor = data.anchors[i]
    nodes = data.of_unit("nodes", unit)
    idx = nodes[nodes["code"] == fw.root].iloc[0]
    kpis = [(c.t("index_score"), f.num(idx["score"])), (c.t("network_average"), f.num(idx["mean"]))]
    if not c.no_ranks:
        kpis.insert(1, (c.t("rank"), f.rank(idx["rank"], idx["n"])))
        if data.intervals is not None:
            r = data.intervals.set_index("unit").loc[unit]
            kpis.insert(2, (c.t("rank_interval"), f"{f.num(r['p05'], 0)}{DASH}{f.num(r['p95'], 0)}"))
            kpis.insert(3, (c.t("median_rank"), f.num(r["median_rank"], 1)))
    if data.peer_group is not None and not is_missing(idx["peer_mean"]):
        kpis.append((c.t("peer_average_of", group=idx["peer_label"]), f.num(idx["peer_mean"])))
    kpi_html = "".join(f"<div><dt>{k}</dt><dd>{v}</dd></div>" for k, v in kpis)
    groups = []
    for r in frame_rows(data.of_unit("peer_index", unit)):
        gname = peer_group_name(fw, r.peer_group, data.options.lang)
        if not r.group:
            continue
        value = (f.rank(r.peer_rank, r.peer_n) if not c.no_ranks
                 else f"{c.t('peer_average')} {f.num(r.peer_mean)}")
        groups.append(f"<li>{esc(gname)} ({esc(r.group)}): {value}</li>")
    group_html = (f'<div class="peer-groups"><h4>{c.t("peer_groups_title" if c.no_ranks else "peer_ranks_title")}'
                  f'</h4><ul>{"".join(groups)}</ul></div>') if groups else ""
    area_name = data.level_names[data.area_level - 1]
    prev = data.of_unit("changes", unit)["prev_edition"]
    change_title = (c.t("change_title", edition=int(prev.max())) if len(prev) else c.t("change_title_none"))
    summary = c.t("profile_summary", city=c.unit_names[unit], level=area_name)
    peer = data.peer_group is not None
    title_key = "profile_areas_title" if peer else "profile_areas_title_network"
    caption_key = "profile_caption" if peer else "profile_caption_network"
    return "".join([
        f'<article class="profile" id="{esc(anchor)}" aria-labelledby="{esc(anchor)}-h"{" hidden" * hidden}>',
        f'<header class="profile-head"><h2 id="{esc(anchor)}-h">{esc(c.unit_names[unit])}</h2>',
        _facts(data, unit), f'<dl class="kpis">{kpi_html}</dl>{group_html}</header>',
        f'<section class="block"><h3>{c.t(title_key, level=area_name)}</h3>',
        '<div class="two-col">',
        chart_block(f"profile-{i}", c.t(caption_key, level=area_name), summary),
        f'<div class="table-wrap">{area_table(data, unit)}</div></div></section>',
        f'<section class="block"><h3>{c.t("sw_title")}</h3><p class="rule">{c.t("rule_standing")}</p>',
        standing_lists(data, unit), "</section>",
        f'<section class="block"><h3>{change_title}</h3>', change_table(data, unit), "</section>",
        f'<section class="block"><h3>{c.t("learn_title")}</h3><p class="rule">{c.t("rule_learn")}</p>',
        learn_table(data, unit), "</section>",
        f'<section class="block indicators-block"><h3>{c.t("indicators_title")}</h3>',
        f'<div class="table-wrap">{indicator_table(data, unit)}</div></section>',
        "</article>"])


def profiles_section(data: ReportData) -> str:
    """The city selector and every profile (one shown at a time by the page script)."""
    c = RenderContext(data)
    order = sorted(range(len(data.result.units)), key=lambda i: str(c.unit_names[data.result.units[i]]).casefold())
    options = "".join(f'<option value="{esc(data.anchors[i])}">{esc(c.unit_names[data.result.units[i]])}</option>'
                      for i in order)
    return "".join([
        '<section id="profiles" class="view" aria-labelledby="profiles-h" hidden>',
        f'<h2 id="profiles-h" class="screen-only">{c.t("nav_profiles")}</h2>',
        '<div class="controls no-print"><label for="city-select">', c.t("choose_city"), "</label> ",
        f'<select id="city-select">{options}</select> ',
        f'<button type="button" id="print-profile">{c.t("print_profile")}</button></div>',
        *(profile(data, i) for i in range(len(data.result.units))),
        "</section>"])


def profile_page(data: ReportData, i: int, *, title: str, subtitle: str = "", before: Sequence[str] = (),
                 after: Sequence[str] = (), figures: dict[str, Any] | None = None) -> str:
    """One city's profile as a page of its own, self-contained like the report (a self-assessment).

    ``title`` and ``subtitle`` are plain text (escaped here); ``before`` and ``after`` are
    ready HTML sections placed around the profile; ``figures`` are extra plotly figures
    (id -> figure) for ``chart_block`` containers in those sections.
    """
    c = RenderContext(data)
    notice = str(data.meta.get("notice") or data.manifest.get("data", {}).get("notice", "") or "")
    figs = {f"profile-{i}": data.figures[f"profile-{i}"], **(figures or {})}
    body = "".join([
        f'<a class="skip" href="#main">{c.t("skip")}</a>',
        f'<header class="masthead"><h1>{esc(title)}</h1>'
        + (f'<p class="subtitle">{esc(subtitle)}</p>' if subtitle else ""),
        notice_banner(notice, data.text("notice")), "</header>",
        '<main id="main" tabindex="-1">', *before, profile(data, i, hidden=False), *after, "</main>",
        f'<footer class="foot"><p>{c.t("footer", version=__version__)}</p></footer>'])
    script = {"lang": data.options.lang, "config": PLOTLY_CONFIG, "compare": {}, "strings": {}, "colours": [],
              "figures": {k: fig.to_plotly_json() for k, fig in figs.items()}}
    page = Template(read_resource("openindex.report", "templates/page.html"))
    return page.substitute(
        lang=esc(data.options.lang), title=esc(title), csp=esc(CSP), version=esc(__version__),
        css=read_resource("openindex.report", "templates/report.css"), body=body, data=json_for_html(script),
        plotly=get_plotlyjs(), js=read_resource("openindex.report", "templates/report.js"))
