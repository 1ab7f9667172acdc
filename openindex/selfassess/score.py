"""Self-assessment: a city's filled questionnaire, scored against a fixed network.

The flow of ``openindex self-assess``::

    workbook (openpyxl) --read_workbook--> Filled + Dataset (every problem with sheet and cell)
    network Result + Dataset --assess--> SelfAssessment
        scored = pipeline.score_against(network, dataset)   the network's bounds held fixed
        joined = joined(network, scored, unit)               the network with the city in it
    SelfAssessment --profile_html--> one self-contained page (the report's city profile,
        completeness, what-if)

Conventions
-----------
* **Fixed network.** The city is scored with every statistic of the network held fixed
  (:func:`openindex.engine.build.score_against`); the network's scores do not move. A city
  already in the network that answers as before gets exactly its network scores.
* **Position.** In :func:`joined`, the city replaces the network unit with the same code
  (or is added). Its rank is 1 + the number of network units with a strictly higher
  score (ties after :func:`openindex.methods.rank.snap_ties`); the network and peer-group
  statistics of the report (means, quartiles, strengths and weaknesses) are computed over
  the joined set, the city included, as the report does for every city.
* **Completeness.** An item is *answered* when its answer cell is not empty; an answer
  has *evidence* when its evidence cell is not empty. Unanswered items are missing data
  for the engine (available-case aggregation unless the framework imputes).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from openindex.errors import DataError, Problem
from openindex.methods.rank import rank_desc

if TYPE_CHECKING:
    from openpyxl import Workbook

    from openindex.analysis.whatif import ChangeSet
    from openindex.data.dataset import Dataset
    from openindex.engine.result import Result
    from openindex.model.framework import Framework
    from openindex.report.build import ReportData
    from openindex.selfassess.workbook import Filled

__all__ = ["SelfAssessment", "read_workbook", "assess", "joined", "completeness", "unit_scores", "report_for",
           "completeness_section", "whatif_section", "method_note", "profile_html"]


@dataclass(frozen=True)
class SelfAssessment:
    """A scored self-assessment.

    Attributes
    ----------
    unit, name : str
        The city's code and name.
    filled : Filled
        The workbook as read (items with evidence, problems).
    dataset : Dataset
        The city's validated data (one row).
    network : Result
        The network run it is scored against.
    scored : Result
        The city alone, scored with the network held fixed (ranks among the network).
    joined : Result
        The network with the city in place of the unit with its code (or added).
    warnings : tuple of Problem
        Problems that did not stop the assessment (workbook and data warnings).
    """

    unit: str
    name: str
    filled: Filled
    dataset: Dataset
    network: Result
    scored: Result
    joined: Result
    warnings: tuple[Problem, ...]


def read_workbook(workbook: Workbook, framework: Framework, *, file: str = "", sha256: str = "",
                  unit: str | None = None, name: str | None = None) -> tuple[Filled, Dataset]:
    """Read and validate a filled questionnaire: every problem with sheet and cell, or the city's data.

    Parameters
    ----------
    workbook : openpyxl.Workbook
        As opened by :func:`openindex.io.load_workbook`.
    framework : Framework
    file, sha256 : str
        Name and hash of the file, for problems and the dataset.
    unit, name : str, optional
        Override the city's code and name.

    Raises
    ------
    DataError
        With every problem of the workbook (:func:`openindex.selfassess.workbook.read_filled`) and of
        its data (:func:`openindex.data.validate.load_dataset`: denominators, a city with no data
        at all...), each with its sheet and cell.
    """
    from openindex.data.validate import load_dataset
    from openindex.selfassess.workbook import read_filled

    filled = read_filled(workbook, framework, file=file, unit=unit, name=name)
    problems = list(filled.problems)
    dataset = None
    def kept(p: Problem) -> bool:
        # one city's unanswered (or wrongly answered) item is completeness or a cell problem, not "an
        # indicator with no data at all"
        return p not in problems and not (p.indicator in framework.indicators and "no data" in p.problem)

    try:
        dataset = load_dataset(filled.table, framework, sha256=sha256)
        problems += [p for p in dataset.warnings if kept(p)]
    except DataError as exc:
        problems += [p for p in exc.problems if kept(p)]
    errors = [p for p in problems if p.severity == "error"]
    if errors or dataset is None:
        raise DataError(problems, f"{file or 'the workbook'}: {len(errors)} problem{'s' * (len(errors) != 1)} "
                                  "in the self-assessment workbook")
    return replace(filled, problems=tuple(problems)), replace(dataset, warnings=tuple(problems))


def assess(network: Result, filled: Filled, dataset: Dataset) -> SelfAssessment:
    """Score the city of ``dataset`` against ``network`` held fixed and place it in the network."""
    from openindex.engine.build import score_against

    scored = score_against(network, dataset)
    unit = dataset.unit_codes[0]
    return SelfAssessment(unit=unit, name=dataset.unit_names[0], filled=filled, dataset=dataset, network=network,
                          scored=scored, joined=joined(network, scored, unit),
                          warnings=tuple(p for p in filled.problems if p.severity != "error"))


def joined(network: Result, scored: Result, unit: str) -> Result:
    """The network with ``unit`` of ``scored`` in it (replacing the network unit with that code, if any).

    The network units keep their scores (the city was scored with the network held fixed);
    the city's row is appended last. Ranks are recomputed over the joined units, so the
    city's rank is 1 + the number of network units scoring strictly higher (after
    :func:`openindex.methods.rank.snap_ties`), equal to ``scored``'s rank.
    """
    from openindex.data.dataset import Dataset

    i = list(scored.units).index(unit)
    keep = np.array([u != unit for u in network.units])

    def stack(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.concatenate([a[keep], b[i:i + 1]], axis=0)

    nd, sd = network.dataset, scored.dataset
    units = pd.concat([nd.units[keep], sd.units.iloc[[i]]], ignore_index=True)
    answers = pd.concat([nd.answers[keep], sd.answers.iloc[[i]]], ignore_index=True) if len(
        nd.answers.columns) else nd.answers
    data = Dataset(units=units, values=stack(nd.values, sd.values), indicators=nd.indicators, answers=answers,
                   source=sd.source, sha256=sd.sha256)
    scores = tuple(stack(a, b) for a, b in zip(network.scores, scored.scores, strict=True))
    return replace(network, dataset=data, stages={k: stack(network.stages[k], scored.stages[k])
                                                  for k in network.stages},
                   scores=scores, ranks=tuple(rank_desc(s) for s in scores), imputed=stack(network.imputed,
                                                                                           scored.imputed),
                   treated=stack(network.treated, scored.treated), warnings=network.warnings + scored.warnings,
                   input_dataset=data)


# --------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------


def completeness(items: pd.DataFrame) -> dict[str, Any]:
    """Counts and lists of completeness from :attr:`Filled.items`.

    Returns
    -------
    dict
        ``total``, ``answered``, ``evidenced`` (answers with evidence), ``unanswered`` and
        ``no_evidence`` (the rows of ``items`` concerned).
    """
    answered = items["answered"].astype(bool)
    evidence = items["evidence"].astype(str).str.strip() != ""
    return {"total": len(items), "answered": int(answered.sum()), "evidenced": int((answered & evidence).sum()),
            "unanswered": items[~answered].reset_index(drop=True),
            "no_evidence": items[answered & ~evidence].reset_index(drop=True)}


def unit_scores(result: Result, unit: str, peer_group: str | None = None) -> pd.DataFrame:
    """One unit on every node: ``unit, code, level, score, rank, n, mean, gap, standing, peer_label,
    peer_mean, peer_rank, peer_n`` (the report's node frame, see :mod:`openindex.report.tables`)."""
    from openindex.report.tables import node_frame

    frame = node_frame(result, peer_group)
    cols = ["unit", "code", "level", "score", "rank", "n", "mean", "gap", "standing", "peer_label", "peer_mean",
            "peer_rank", "peer_n"]
    return frame.loc[frame["unit"] == unit, cols].reset_index(drop=True)


# --------------------------------------------------------------------------------------
# The page: the report's city profile with completeness and what-if
# --------------------------------------------------------------------------------------


def report_for(result: Result, *, lang: str = "en", peer_group: str | None = None,
               meta: Mapping[str, Any] | None = None, manifest: Mapping[str, Any] | None = None) -> ReportData:
    """The report data of ``result`` (one edition, no audit), for a single city's page."""
    from openindex.report.build import ReportOptions, report_data

    # no audit: it is the network's, not the city's
    options = ReportOptions(lang=lang, peer_group=peer_group, audit=False)
    return report_data(result, meta=meta, manifest=manifest, options=options)


def _label(data: ReportData, code: str) -> str:
    from openindex.report.render import esc

    return esc(data.labels.get(code, code))


def completeness_section(data: ReportData, items: pd.DataFrame, notes: Sequence[str] = ()) -> str:
    """HTML: answered items, answers with evidence, the lists of gaps, and notes on the workbook."""
    from openindex.report.render import Fmt, esc

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
    from openindex.report.render import Fmt, esc
    from openindex.report.tables import answer_label, translated

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
    from openindex.report.render import Fmt, esc

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
    from openindex.report.render import profile_page

    i = list(data.result.units).index(unit)
    return profile_page(data, i, title=title, subtitle=subtitle, before=before, after=after)


def method_note(data: ReportData, scored: Result) -> str:
    """HTML: how a self-assessment is scored, and the items beyond the network's range."""
    from openindex.report.render import esc

    t = data.text
    parts = ['<section class="block" id="method-note">', f'<p class="rule">{esc(t("sa_method"))}</p>']
    beyond = [w.split(": ", 1)[1] for w in scored.warnings if w.startswith("beyond the network")]
    if beyond:
        names = ", ".join(data.labels.get(c.strip(), c.strip()) for b in beyond for c in b.split(","))
        parts.append(f'<p class="rule">{esc(t("sa_beyond", items=names))}</p>')
    parts.append("</section>")
    return "".join(parts)


def notes_of(problems: Sequence[Problem]) -> list[str]:
    """Problems as one line of text each (for the notes list of the page)."""
    return [str(p) for p in problems]
