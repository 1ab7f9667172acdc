"""The methodology appendix, generated from the framework and the manifest."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from openindex.i18n import attribute_text, framework_name, peer_group_name, translated
from openindex.report.render.base import (
    DASH,
    RenderContext,
    esc,
    frame_rows,
    html_table,
    notice_banner,
    td_cell,
    th_cell,
)
from openindex.report.render.editions import arrow_rules
from openindex.report.render.overview import weights_table

if TYPE_CHECKING:
    from openindex.report.data import ReportData


def _dl(items: Sequence[tuple[str, str]]) -> str:
    return '<dl class="facts-list">' + "".join(f"<div><dt>{k}</dt><dd>{v}</dd></div>" for k, v in items) + "</dl>"


def methodology_section(data: ReportData) -> str:
    """The appendix, generated from the framework and the manifest."""
    c = RenderContext(data)
    f = c.fmt
    fw = data.framework
    res = data.result
    man = data.manifest
    meta = data.meta
    lang = data.options.lang
    parts = ['<section id="methodology" class="view" aria-labelledby="methodology-h" hidden>',
             f'<h2 id="methodology-h">{c.t("nav_methodology")}</h2>']
    # data
    notice = meta.get("notice") or man.get("data", {}).get("notice", "")
    parts.append(f"<h3>{c.t('m_data')}</h3>")
    parts.append(notice_banner(str(notice), data.text("notice")))
    ds = res.input_dataset or res.dataset
    items = [(c.t("m_edition"), esc(res.edition)), (c.t("m_editions"), esc(", ".join(map(str, ds.editions)))),
             (c.t("m_sample"), c.t("m_sample_text", n=res.dataset.n_units,
                                    total=res.dataset.n_units + len(res.excluded)))]
    if meta.get("title"):
        items.insert(0, (c.t("m_dataset"), esc(meta["title"])))
    data_man = man.get("data", {})
    if data_man.get("path"):
        items.append((c.t("m_data_file"), f"<code>{esc(data_man['path'])}</code>"
                      + (f' <span class="hash">SHA-256 {esc(data_man.get("sha256", ""))}</span>'
                         if data_man.get("sha256") else "")))
    for key in ("sources", "licence"):
        if meta.get(key):
            items.append((c.t("m_" + key), esc(meta[key])))
    parts.append(_dl(items))
    if len(res.excluded):
        head = [th_cell(c.t("city")), th_cell(c.t("coverage"), num=True), th_cell(c.t("reason"))]
        rows = [f"<tr><th scope=\"row\">{esc(r.name)} <code>{esc(r.unit)}</code></th>"
                f"{td_cell(f.pct(r.coverage), num=True)}<td>{esc(r.reason)}</td></tr>"
                for r in frame_rows(res.excluded)]
        parts.append(f"<h4>{c.t('m_excluded_units')}</h4>" + html_table(head, rows, cls="compact"))
    if len(res.excluded_indicators):
        head = [th_cell(c.t("indicator")), th_cell(c.t("reason"))]
        rows = [f"<tr><th scope=\"row\">{c.node(r.indicator)} <code>{esc(r.indicator)}</code></th>"
                f"<td>{esc(r.reason)}</td></tr>" for r in frame_rows(res.excluded_indicators)]
        parts.append(f"<h4>{c.t('m_excluded_indicators')}</h4>" + html_table(head, rows, cls="compact"))
    if res.warnings:
        parts.append(f"<h4>{c.t('m_warnings')}</h4><ul>" + "".join(f"<li>{esc(w)}</li>" for w in res.warnings)
                     + "</ul>")
    # framework
    parts.append(f"<h3>{c.t('m_framework')}</h3>")
    ft = fw.model.translations.get(lang)
    desc = (ft.description if ft is not None else "") or fw.model.description
    parts.append(_dl([(c.t("m_name"), esc(framework_name(fw, lang))
                       + (f" ({c.t('m_version')} {esc(fw.model.version)})" if fw.model.version else "")),
                      (c.t("m_structure"), esc(fw.summary()))]))
    if desc:
        parts.append(f"<p>{esc(desc)}</p>")
    parts.append(f"<h4>{c.t('m_tree')}</h4><p class=\"rule\">{c.t('m_weights_rule')}</p>")
    parts.append(f'<div class="table-wrap">{weights_table(data)}</div>')
    parts.append(f"<h4>{c.t('m_indicators')}</h4>")
    head = [th_cell(c.t("indicator")), th_cell(c.t("m_unit")), th_cell(c.t("m_direction")), th_cell(c.t("m_type")),
            th_cell(c.t("m_source")), th_cell(c.t("m_description"))]
    rows = []
    for code in fw.indicator_codes:
        ind = fw.indicators[code]
        direction = c.t("m_higher_better") if ind.direction > 0 else c.t("m_lower_better")
        description = translated(fw, code, "description", lang)
        extra = [description] if description else []
        if ind.type == "questionnaire":
            question = translated(fw, code, "question", lang)
            if question:
                extra.append(data.text("m_question") + ": " + question)
        if ind.notes:
            extra.append(data.text("m_notes") + ": " + ind.notes)
        rows.append(f'<tr><th scope="row">{c.node(code)} <code>{esc(code)}</code></th>'
                    f"<td>{esc(translated(fw, code, 'unit', lang))}</td><td>{direction}</td>"
                    f"<td>{c.t('m_type_' + ind.type)}</td><td>{esc(ind.source)}</td>"
                    f"<td>{'<br>'.join(esc(e) for e in extra)}</td></tr>")
    parts.append(f'<div class="table-wrap">{html_table(head, rows, cls="compact")}</div>')
    # sources
    sources: dict[str, list[str]] = {}
    for code in fw.indicator_codes:
        sources.setdefault(fw.indicators[code].source or data.text("m_no_source"), []).append(code)
    head = [th_cell(c.t("m_source")), th_cell(c.t("m_indicators"))]
    rows = [f"<tr><th scope=\"row\">{esc(s)}</th><td>{esc(', '.join(data.labels[x] for x in codes))}</td></tr>"
            for s, codes in sources.items()]
    parts.append(f"<h4>{c.t('m_sources')}</h4>" + html_table(head, rows, cls="compact"))
    # methods
    parts.append(f"<h3>{c.t('m_methods')}</h3><p>{c.t('m_methods_intro')}</p>")
    head = [th_cell(c.t("m_step")), th_cell(c.t("m_method")), th_cell(c.t("m_params")), th_cell(c.t("m_applies"))]
    rows = []
    for r in frame_rows(data.methods):
        codes = list(r.codes)
        if not codes:
            applies = c.t("m_all")
        else:
            names = esc(", ".join(data.labels.get(x, x) for x in codes))
            applies = (names if len(codes) <= 6 else
                       f"<details><summary>{c.t('m_n_items', n=len(codes))}</summary>{names}</details>")
        rows.append(f"<tr><th scope=\"row\">{esc(r.step)}</th><td><code>{esc(r.method)}</code></td>"
                    f"<td>{f'<code>{esc(r.params)}</code>' if r.params else DASH}</td><td>{applies}</td></tr>")
    parts.append(f'<div class="table-wrap">{html_table(head, rows, cls="compact")}</div>')
    # peer groups
    if len(data.peer_groups):
        head = [th_cell(c.t("peer_group")), th_cell(c.t("m_definition")), th_cell(c.t("m_groups"))]
        rows = []
        for gcode, part in data.peer_groups.groupby("code", sort=False):
            g = next(g for g in fw.model.peer_groups if g.code == gcode)
            definition = _peer_definition(c, g)
            groups = ", ".join(f"{lbl or data.text('m_no_group')} ({n})" for lbl, n in zip(part["label"], part["n"],
                                                                                               strict=True))
            used = f' <span class="tag">{c.t("m_used")}</span>' if gcode == data.peer_group else ""
            gname = peer_group_name(fw, g.code, lang)
            rows.append(f"<tr><th scope=\"row\">{esc(gname)} <code>{esc(gcode)}</code>{used}</th>"
                        f"<td>{definition}</td><td>{esc(groups)}</td></tr>")
        parts.append(f"<h4>{c.t('m_peer_groups')}</h4><p class=\"rule\">{c.t('rule_peers')}</p>"
                     + html_table(head, rows, cls="compact"))
    # uncertainty
    if data.intervals is not None and not c.no_ranks:
        parts.append(f"<h4>{c.t('m_uncertainty')}</h4><p>{c.t('m_uncertainty_text')} "
                     f"<code>{esc(data.intervals_source)}</code></p>")
    # reading rules
    rules = [c.t("rule_standing"), c.t("rule_learn"), arrow_rules(data), c.t("rule_comparability")]
    if not c.no_ranks:
        rules.insert(0, c.t("rule_ranks"))
    parts.append(f"<h3>{c.t('m_rules')}</h3><ul>" + "".join(f"<li>{r}</li>" for r in rules) + "</ul>")
    # software
    soft = man.get("software", {})
    items = [(c.t("m_software"), esc(", ".join(f"{k} {v}" for k, v in soft.items())))] if soft else []
    fman = man.get("framework", {})
    if fman.get("path"):
        items.append((c.t("m_framework_file"), f"<code>{esc(fman['path'])}</code>"
                      + (f' <span class="hash">SHA-256 {esc(fman["sha256"])}</span>' if fman.get("sha256") else "")))
    if man.get("settings"):
        items.append((c.t("m_settings"), "<code>" + esc(", ".join(f"{k}={v}" for k, v in man["settings"].items()))
                      + "</code>"))
    if items:
        parts.append(f"<h3>{c.t('m_reproduce')}</h3>" + _dl(items))
    parts.append("</section>")
    return "".join(parts)


def _peer_definition(c: RenderContext, g: Any) -> str:
    fw = c.d.framework

    def name(a: str) -> str:
        return (attribute_text(fw, a, "name", c.d.options.lang) or a) if a in fw.attributes else a

    if g.kind == "bands":
        return c.t("m_peer_bands", attribute=name(g.by), cuts=", ".join(c.fmt.raw(b) for b in g.bands))
    if g.kind == "category":
        return c.t("m_peer_category", attribute=name(g.by))
    if g.kind == "members":
        return c.t("m_peer_members")
    return c.t("m_peer_nearest", k=g.nearest, attributes=", ".join(name(a) for a in g.on or []))
