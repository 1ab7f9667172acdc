"""The self-assessment and what-if pages: the report's city profile with completeness, what-if and method notes.

A self-assessment (``openindex self-assess``) and a what-if page (``openindex whatif``) are
one city's profile (:func:`openindex.report.render.profile.profile_page`) with sections
before and after it: :func:`method_note` (how the city was scored),
:func:`completeness_section` (answered items, evidence, notes on the workbook) and
:func:`whatif_section` (the gains of single moves and the smallest change sets).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from openindex.i18n import answer_label, translated
from openindex.report.render.base import Fmt, esc
from openindex.report.render.profile import profile_page
from openindex.selfassess.score import completeness

if TYPE_CHECKING:
    from openindex.analysis.whatif import ChangeSet
    from openindex.engine.result import Result
    from openindex.errors import Problem
    from openindex.report.data import ReportData

__all__ = ["completeness_section", "whatif_section", "method_note", "profile_html", "notes_of"]


def _label(data: ReportData, code: str) -> str:
    return esc(data.labels.get(code, code))


def completeness_section(data: ReportData, items: pd.DataFrame, notes: Sequence[str] = ()) -> str:
    """HTML: answered items, answers with evidence, the lists of gaps, and notes on the workbook."""
    t = data.text
    f = Fmt(data.options.lang)
    where = [f"{s}!{c}" if s else "" for s, c in zip(items["sheet"], items["cell"], strict=True)]
    c = completeness(items.assign(cell=where))
    share = f.pct(c["answered"] / c["total"]) if c["total"] else f.na
    summary = t("sa_completeness_summary", answered=c["answered"], total=c["total"], share=share,
                evidenced=c["evidenced"])
    parts = ['<section class="block" id="completeness">', f"<h3>{esc(t('sa_completeness_title'))}</h3>",
             f"<p>{esc(summary)}</p>"]

    def table(frame: pd.DataFrame, cols: Sequence[tuple[str, str]]) -> str:
        head = "".join(f'<th scope="col">{esc(t(k))}</th>' for _, k in cols)
        body = "".join("<tr>" + "".join(
            (f'<th scope="row">{_label(data, r["code"])}</th>' if col == "code" else
             f"<td>{_label(data, r['area']) if col == 'area' else esc(r[col])}</td>") for col, _ in cols) + "</tr>"
            for _, r in frame.iterrows())
        return f'<table class="compact"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'

    parts.append(f"<h4>{esc(t('sa_unanswered_title'))}</h4>")
    if len(c["unanswered"]):
        parts.append(table(c["unanswered"], [("code", "sa_col_item"), ("area", "node"), ("cell", "sa_col_cell")]))
    else:
        parts.append(f'<p class="none">{esc(t("sa_all_answered"))}</p>')
    parts.append(f"<h4>{esc(t('sa_no_evidence_title'))}</h4>")
    if len(c["no_evidence"]):
        parts.append(table(c["no_evidence"], [("code", "sa_col_item"), ("answer", "sa_col_answer"),
                                              ("cell", "sa_col_cell"), ("department", "sa_col_department")]))
    else:
        parts.append(f'<p class="none">{esc(t("sa_all_evidenced"))}</p>')
    if notes:
        parts.append(f"<h4>{esc(t('sa_notes_title'))}</h4><ul>" + "".join(f"<li>{esc(n)}</li>" for n in notes)
                     + "</ul>")
    parts.append("</section>")
    return "".join(parts)


def _value_text(data: ReportData, code: str, value: float, answer: str) -> str:
    """HTML of a value in the indicator's unit (``value`` denominated), or a question's answer label."""
    fw = data.framework
    f = Fmt(data.options.lang)
    if fw.indicators[code].type == "questionnaire":
        return esc(answer_label(fw, code, answer, data.options.lang)) if answer else f.na
    unit = translated(fw, code, "unit", data.options.lang)
    return f.raw(value) + (f' <span class="unit">{esc(unit)}</span>' if unit and not _nan(value) else "")


def _nan(x: Any) -> bool:
    try:
        return math.isnan(float(x))
    except (TypeError, ValueError):
        return True


def whatif_section(data: ReportData, gains: pd.DataFrame, sets: Sequence[ChangeSet], *, mode: str,
                   peer_label: str = "", top: int = 20) -> str:
    """HTML: the gains of single moves (``top`` rows) and the smallest change set of every target."""
    t = data.text
    f = Fmt(data.options.lang)
    no_ranks = data.options.no_ranks
    group = peer_label or "-"
    parts = ['<section class="block" id="whatif">', f"<h3>{esc(t('wi_title'))}</h3>",
             f'<p class="rule">{esc(t("wi_intro_" + mode))} {esc(t("wi_moves", group=group))}</p>']
    if len(gains):
        head = [t("sa_col_item"), t("wi_col_move"), t("wi_col_from"), t("wi_col_to"), t("wi_col_gain"),
                t("wi_col_score")] + ([] if no_ranks else [t("wi_col_rank")])
        rows = []
        for _, r in gains.head(top).iterrows():
            move = t({"option": "wi_move_option", "sd": "wi_move_sd", "peer_best": "wi_move_peer_best"}[r["move"]])
            cells = [esc(move), _value_text(data, r["code"], r["from_denominated"], r["from_answer"]),
                     _value_text(data, r["code"], r["to_denominated"], r["to_answer"])]
            nums = [f.num(r["gain"], 2, sign=True), f.num(r["score"], 2)] + ([] if no_ranks else [f.rank(r["rank"])])
            rows.append(f'<tr><th scope="row">{_label(data, r["code"])}</th>'
                        + "".join(f"<td>{x}</td>" for x in cells)
                        + "".join(f'<td class="num">{x}</td>' for x in nums) + "</tr>")
        th = "".join(f'<th scope="col">{esc(h)}</th>' for h in head)
        parts.append(f'<div class="table-wrap"><table class="compact"><thead><tr>{th}</tr></thead><tbody>'
                     f'{"".join(rows)}</tbody></table></div>')
    else:
        parts.append(f'<p class="none">{esc(t("wi_none"))}</p>')
    for cs in sets:
        if no_ranks and cs.target == "next-rank":
            continue
        parts.append(f"<h4>{esc(t('wi_set_title_' + cs.target))}</h4>")
        target_text = (t("wi_target_next-rank", rank=f.rank(cs.base_rank)) if cs.target == "next-rank"
                       else t("wi_target_peer-mean", group=group, mean=f.num(cs.base_peer_mean, 2)))
        parts.append(f"<p>{esc(target_text)}</p>")
        if cs.method in ("already", "top"):
            parts.append(f'<p class="none">{esc(t("wi_" + cs.method))}</p>')
            continue
        if cs.method == "unreachable":
            parts.append(f'<p class="none">{esc(t("wi_unreachable"))}</p>')
            continue
        set_rows = []
        for _, r in cs.changes.iterrows():
            set_rows.append(f'<tr><th scope="row">{_label(data, r["code"])}</th>'
                            f"<td>{_value_text(data, r['code'], r['from_denominated'], r['from_answer'])}</td>"
                            f"<td>{_value_text(data, r['code'], r['to_denominated'], r['to_answer'])}</td>"
                            f'<td class="num">{int(r["steps"])}</td></tr>')
        set_head = "".join(f'<th scope="col">{esc(t(k))}</th>' for k in ("sa_col_item", "wi_col_from", "wi_col_to",
                                                                         "wi_col_steps"))
        parts.append(f'<table class="compact"><thead><tr>{set_head}</tr></thead><tbody>{"".join(set_rows)}'
                     "</tbody></table>")
        result = t("wi_result", score=f.num(cs.score, 2), rank=f.rank(cs.rank))
        if cs.target == "peer-mean" or not math.isnan(cs.peer_mean):
            result += " " + t("wi_result_peer", mean=f.num(cs.peer_mean, 2))
        if cs.method == "exact":
            method = t("wi_method_one") if cs.n_steps == 1 else t("wi_method_exact", n=cs.checked)
        else:
            method = t("wi_method_greedy", n=cs.needed, limit=cs.limit)
        parts.append(f"<p>{esc(result)}</p><p class=\"rule\">{esc(method)}</p>")
    parts.append("</section>")
    return "".join(parts)


def profile_html(data: ReportData, unit: str, *, title: str, subtitle: str = "", before: Sequence[str] = (),
                 after: Sequence[str] = ()) -> str:
    """One city's page: the report's profile of ``unit`` with extra sections before and after it."""
    i = list(data.result.units).index(unit)
    return profile_page(data, i, title=title, subtitle=subtitle, before=before, after=after)


def method_note(data: ReportData, scored: Result) -> str:
    """HTML: how a self-assessment is scored, and the items beyond the network's range."""
    t = data.text
    parts = ['<section class="block" id="method-note">', f'<p class="rule">{esc(t("sa_method"))}</p>']
    beyond = [code for w in scored.warnings if w.code == "beyond_network" for code in w.indicators]
    if beyond:
        names = ", ".join(data.labels.get(c, c) for c in beyond)
        parts.append(f'<p class="rule">{esc(t("sa_beyond", items=names))}</p>')
    parts.append("</section>")
    return "".join(parts)


def notes_of(problems: Sequence[Problem]) -> list[str]:
    """Problems as one line of text each (for the notes list of the page)."""
    return [str(p) for p in problems]
