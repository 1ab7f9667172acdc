"""One city: its questionnaire (`openindex template`), its self-assessment (`openindex self-assess`)
and what would move its score (`openindex whatif`).

``template`` writes the questionnaire workbook; ``self_assess`` reads a filled one, scores the
city against the network held fixed and writes profile.html, scores.csv, completeness.csv,
gains.csv, change_sets.csv and manifest.json; ``whatif`` writes gains.csv, change_set.csv,
profile.html and manifest.json for a unit of the network.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from openindex.analysis.whatif import (
    TARGETS,
    ChangeSet,
    applicable,
    change_set,
    fixed_scenario,
    gains,
    network_scenario,
)
from openindex.engine import build
from openindex.engine.result import Result
from openindex.errors import OpenIndexError
from openindex.io import (
    OutputSet,
    check_output_file,
    file_name,
    load_workbook,
    problems_by_file_name,
    save_workbook,
    sha256_file,
    write_csv,
    write_text,
)
from openindex.model.framework import Framework
from openindex.report.build import report_for
from openindex.report.data import ReportData
from openindex.report.render.selfassess import completeness_section, method_note, profile_html, whatif_section
from openindex.report.tables import unit_scores
from openindex.selfassess.read import read_workbook
from openindex.selfassess.score import SelfAssessment, assess, completeness
from openindex.selfassess.template import framework_sha256, template_workbook
from openindex.workflows.inputs import (
    notice_of,
    read_framework_with,
    read_inputs,
    read_network,
    write_problems,
)
from openindex.workflows.manifest import manifest_for

__all__ = ["Template", "SelfAssessed", "WhatIf", "template", "self_assess", "whatif",
           "change_sets_frame", "whatif_manifest", "peer_label", "check_limit"]

#: columns of change_sets.csv (self-assess) and change_set.csv (whatif)
CHANGE_SET_COLUMNS = ("target", "method", "unit", "code", "area", "from_value", "to_value", "from_answer",
                      "to_answer", "steps", "reached", "score", "rank", "peer_mean")


@dataclass(frozen=True)
class Template:
    """The questionnaire workbook written by :func:`template`.

    Attributes
    ----------
    path : Path
        The workbook.
    framework : Framework
    lang : str
    unit : str or None
        The city it was prefilled for (None: blank).
    notice : str
        The network data's notice, or ``""``.
    """

    path: Path
    framework: Framework
    lang: str
    unit: str | None
    notice: str

    @property
    def questions(self) -> int:
        """Questionnaire items (dropdown lists)."""
        return sum(i.type == "questionnaire" for i in self.framework.indicators.values())

    @property
    def statistics(self) -> int:
        """Numeric items (number checks)."""
        return len(self.framework.indicators) - self.questions


@dataclass(frozen=True)
class SelfAssessed:
    """What `openindex self-assess` scored and wrote.

    Attributes
    ----------
    assessment : SelfAssessment
        The city scored against the network held fixed, and the network with the city in it.
    completeness : dict
        ``total``, ``answered``, ``evidenced`` (:func:`openindex.selfassess.score.completeness`).
    change_sets : tuple of ChangeSet
        The smallest change sets of every target that applies.
    peer_label : str
        The city's peer group at index level (``""`` without peer comparison).
    notice : str
        The network data's notice, or ``""``.
    out : Path
        The output folder; ``paths`` the files written into it.
    problems_path : Path or None
        The problem list, when asked for.
    """

    assessment: SelfAssessment
    completeness: dict[str, Any]
    change_sets: tuple[ChangeSet, ...]
    peer_label: str
    notice: str
    out: Path
    paths: tuple[Path, ...]
    problems_path: Path | None = None

    @property
    def score(self) -> float:
        """The city's index score."""
        return float(self.assessment.joined.scores[-1][self._row, 0])

    @property
    def rank(self) -> int:
        """The city's index rank among the network."""
        return int(self.assessment.joined.ranks[-1][self._row, 0])

    @property
    def _row(self) -> int:
        return list(self.assessment.joined.units).index(self.assessment.unit)


@dataclass(frozen=True)
class WhatIf:
    """What `openindex whatif` found and wrote.

    Attributes
    ----------
    unit, name : str
        The unit and its name.
    result : Result
        The network built.
    base_score, base_rank, base_peer_mean : float
        The unit's index score, rank and peer-group mean before any change.
    gains : DataFrame
        The gain of each single move, largest first (:func:`openindex.analysis.whatif.gains`).
    change_set : ChangeSet
        The smallest change set that reaches the target.
    peer_label : str
        The unit's peer group at index level (``""`` without peer comparison).
    notice : str
    paths : tuple of Path
    """

    unit: str
    name: str
    result: Result
    base_score: float
    base_rank: float
    base_peer_mean: float
    gains: pd.DataFrame
    change_set: ChangeSet
    peer_label: str
    notice: str
    paths: tuple[Path, ...]


def check_limit(limit: int) -> None:
    """The exact search's ``limit`` is a count of sets: at least 0."""
    if limit < 0:
        raise OpenIndexError(f"--limit must be at least 0; got {limit}")


def peer_label(data: ReportData, unit: str) -> str:
    """The label of ``unit``'s peer group at index level, or ``""`` without peer comparison."""
    nodes = data.of_unit("nodes", unit)
    row = nodes[nodes["code"] == data.framework.root]
    return str(row["peer_label"].iat[0] or "") if len(row) and data.peer_group is not None else ""


def change_sets_frame(sets: Sequence[ChangeSet]) -> pd.DataFrame:
    """The changes of every change set, one row per changed item (``CHANGE_SET_COLUMNS``)."""
    frames = [cs.changes.assign(target=cs.target, method=cs.method, reached=cs.reached, score=cs.score,
                                rank=cs.rank, peer_mean=cs.peer_mean) for cs in sets if len(cs.changes)]
    cols = list(CHANGE_SET_COLUMNS)
    return pd.concat(frames, ignore_index=True)[cols] if frames else pd.DataFrame(columns=cols)


def whatif_manifest(sets: Sequence[ChangeSet], limit: int, mode: str) -> dict[str, Any]:
    """The ``whatif`` entry of a manifest: the search mode and limit, and each target's outcome."""
    return {"mode": mode, "exact_limit": limit, "targets": [
        {"target": cs.target, "method": cs.method, "reached": cs.reached, "steps": cs.n_steps, "score": cs.score,
         "rank": cs.rank, "peer_mean": cs.peer_mean, "base_score": cs.base_score, "base_rank": cs.base_rank,
         "base_peer_mean": cs.base_peer_mean, "sets_checked": cs.checked, "sets_needed": cs.needed}
        for cs in sets]}


def template(framework: str, out: str | Path, *, lang: str = "en", unit: str | None = None,
             network: str | None = None, edition: int | None = None, sheet: str | None = None) -> Template:
    """Write the self-assessment questionnaire of ``framework`` as an Excel workbook ``out``.

    With ``network`` (the network's data file), plausible ranges and categories come from
    it, and with ``unit`` too the city's current values and answers (of ``edition``,
    default the latest) are filled in.
    """
    check_output_file(out, (".xlsx",), what="questionnaire workbook")
    fw = read_framework_with(framework)
    data, meta = read_network(network, fw, sheet=sheet) if network else (None, {})
    prefilled = bool(unit) and data is not None
    wb = template_workbook(fw, lang=lang, unit=unit, network=data, edition=edition,
                           notice=notice_of(meta) if prefilled else "")
    return Template(path=save_workbook(out, wb), framework=fw, lang=lang, unit=unit if prefilled else None,
                    notice=notice_of(meta))


def self_assess(framework: str, workbook: str, network: str, out: str | Path, *,
                settings: Mapping[str, Any] | None = None, unit: str | None = None, name: str | None = None,
                lang: str | None = None, peer_group: str | None = None, limit: int = 20_000,
                edition: int | None = None, sheet: str | None = None,
                problems: str | None = None) -> SelfAssessed:
    """Check a filled questionnaire and score the city against the network held fixed.

    Parameters
    ----------
    framework : str
        The framework file.
    workbook : str
        The questionnaire made by :func:`template`, filled in.
    network : str
        The network's data file.
    out : str or Path
        The output folder.
    settings : mapping, optional
        Overrides of framework settings (``--set``).
    unit, name : str, optional
        The city's code and name (default: the workbook's).
    lang : str, optional
        Language of the profile (default: the workbook's).
    peer_group : str, optional
        Peer-group definition to compare with (default: the framework's first; ``""`` for none).
    limit : int
        Largest number of sets the exact what-if search may check.
    edition, sheet
        The network's edition to score against (default the latest) and Excel sheet.
    problems : str, optional
        Also write every problem found (warnings) to this CSV file.
    """
    fw = read_framework_with(framework, settings)
    filled, city = read_workbook(load_workbook(workbook), fw, file=workbook, sha256=sha256_file(workbook), unit=unit,
                                 name=name)
    inputs = read_inputs(framework, network, settings=settings, sheet=sheet, framework=fw)
    net = build(fw, inputs.dataset, edition=edition)
    sa = assess(net, filled, city)
    manifest = manifest_for(inputs, sa.joined, "self-assess")
    comp = completeness(filled.items)
    data = report_for(sa.joined, lang=lang or filled.lang, peer_group=peer_group, meta=inputs.meta,
                      manifest=manifest)
    check_limit(limit)
    sc = fixed_scenario(net, sa.scored, sa.unit, peer_group=data.peer_group if data.peer_group is not None else "")
    sets = tuple(change_set(sc, target, limit=limit) for target in TARGETS if applicable(sc, target))
    gains_frame = gains(sc)
    label = peer_label(data, sa.unit)
    html = profile_html(
        data, sa.unit, title=data.text("sa_title", city=sa.name),
        subtitle=data.text("sa_subtitle", n=net.dataset.n_units, edition=net.edition),
        before=[method_note(data, sa.scored)],
        after=[completeness_section(data, filled.items, [str(p) for p in problems_by_file_name(sa.warnings)]),
               whatif_section(data, gains_frame, sets, mode="fixed", peer_label=label)])
    manifest["self_assessment"] = {
        "workbook": file_name(workbook), "workbook_sha256": city.sha256, "unit": sa.unit, "name": sa.name,
        "workbook_lang": filled.lang, "framework_sha256": framework_sha256(fw), "items": comp["total"],
        "answered": comp["answered"], "evidenced": comp["evidenced"],
        "scoring": "network held fixed (pipeline.score_against); rank = 1 + network units scoring strictly higher",
        "whatif": whatif_manifest(sets, limit, "fixed")}
    folder = Path(out)
    inside = bool(problems) and Path(os.path.abspath(str(problems))).parent == Path(os.path.abspath(folder))
    with OutputSet(folder, inputs=(framework, workbook, network)) as target:
        paths = (write_text(target.path("profile.html"), html),
                 write_csv(target.path("scores.csv"), unit_scores(sa.joined, sa.unit, data.peer_group)),
                 write_csv(target.path("completeness.csv"), filled.items),
                 write_csv(target.path("gains.csv"), gains_frame),
                 write_csv(target.path("change_sets.csv"), change_sets_frame(sets)))
        if problems and inside:  # a problem list asked for inside the folder is one of its files
            write_problems(target.path(Path(problems).name), sa.warnings)
        manifest_path = target.commit(manifest)
    written = (folder / Path(problems).name if inside else write_problems(problems, sa.warnings)) if problems else None
    return SelfAssessed(assessment=sa, completeness=comp, change_sets=sets, peer_label=label, notice=inputs.notice,
                        out=folder, paths=(*map(target.final, paths), manifest_path), problems_path=written)


def whatif(framework: str, data: str, unit: str, out: str | Path, *, settings: Mapping[str, Any] | None = None,
           target: str = "next-rank", peer_group: str | None = None, limit: int = 20_000, lang: str = "en",
           edition: int | None = None, sheet: str | None = None) -> WhatIf:
    """What would move ``unit``'s score: the gain of each single move, the fewest changes to reach ``target``.

    Every move is a rebuild of the index (the network moves with the unit). ``target`` is
    ``"next-rank"`` (a better index rank) or ``"peer-mean"`` (the peer-group average);
    ``limit`` the largest number of sets the exact search may check (beyond it the greedy
    result is reported as such). Other parameters as in :func:`self_assess`.
    """
    check_limit(limit)
    inputs = read_inputs(framework, data, settings=settings, sheet=sheet)
    result = build(inputs.framework, inputs.dataset, edition=edition)
    manifest = manifest_for(inputs, result, "whatif")
    page = report_for(result, lang=lang, peer_group=peer_group, meta=inputs.meta, manifest=manifest)
    sc = network_scenario(result, unit, peer_group=page.peer_group if page.peer_group is not None else "")
    cs = change_set(sc, target, limit=limit)
    g = gains(sc)
    label = peer_label(page, unit)
    name = result.dataset.unit_names[list(result.units).index(unit)]
    html = profile_html(page, unit, title=f"{page.text('wi_title')}: {name}",
                        subtitle=page.text("subtitle", n=result.dataset.n_units, edition=result.edition),
                        after=[whatif_section(page, g, [cs], mode="network", peer_label=label)])
    manifest["whatif"] = {"unit": unit, "peer_group": page.peer_group, **whatif_manifest([cs], limit, "network")}
    with OutputSet(out, inputs=(framework, data)) as output:  # (``target`` is the what-if's target)
        written = (write_csv(output.path("gains.csv"), g),
                   write_csv(output.path("change_set.csv"), change_sets_frame([cs])),
                   write_text(output.path("profile.html"), html))
        paths = (*map(output.final, written), output.commit(manifest))
    return WhatIf(unit=unit, name=name, result=result, base_score=sc.base_score, base_rank=sc.base_rank,
                  base_peer_mean=sc.base_peer_mean, gains=g, change_set=cs, peer_label=label, notice=inputs.notice,
                  paths=paths)
