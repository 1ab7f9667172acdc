"""Self-assessment: scoring against a fixed network, the round trip through the workbook, tampering."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import openindex as oi
from openindex.cli import main
from openindex.engine import build, score_against
from openindex.engine.join import join_results
from openindex.errors import DataError, MethodError, ProblemCode
from openindex.i18n import answer_labels
from openindex.io import load_workbook, save_workbook
from openindex.methods.rank import snap_ties
from openindex.model.framework import with_settings
from openindex.report.render import CSP, esc
from openindex.selfassess.read import read_workbook
from openindex.selfassess.score import assess, completeness
from openindex.selfassess.template import fill_cells, template_workbook
from tests.conftest import ICC_FILES, OPEN_FILES

ICC, OPEN = ICC_FILES, OPEN_FILES



def city_values(fw, ds, unit: str, edition: int, lang: str = "en") -> tuple[dict, dict]:
    """A network city's answers (labels in ``lang``) and raw values, and its city-sheet fields."""
    data = ds.for_edition(edition)
    i = data.unit_codes.index(unit)
    answers = {}
    for j, code in enumerate(fw.indicator_codes):
        ind = fw.indicators[code]
        if ind.type == "questionnaire":
            a = data.answers[code].iat[i]
            if a:
                answers[code] = answer_labels(fw, code, lang)[[o.code for o in ind.options].index(a)]
        elif not np.isnan(data.values[i, j]):
            answers[code] = float(data.values[i, j])
    city = {"unit": unit, "name": data.unit_names[i]}
    for a in fw.attributes:
        v = data.units[a].iat[i]
        city[a] = v.item() if hasattr(v, "item") else v
    return answers, city


def filled_workbook(fw, ds, unit: str, edition: int, path: Path, *, lang: str = "en", evidence=None) -> Path:
    """Generate the template, fill it programmatically with a demo city's values and answers, save it."""
    wb = template_workbook(fw, lang=lang)
    answers, city = city_values(fw, ds, unit, edition, lang)
    written = fill_cells(wb, answers, city=city, evidence=evidence)
    assert set(written) == set(answers)
    return save_workbook(path, wb)


# --------------------------------------------------------------------------------------
# Round trip: a network city self-assessing gets exactly its network scores
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("which", "unit", "lang"), [("icc", "I07", "en"), ("icc", "I22", "fr"),
                                                     ("opencities", "BRH", "en"), ("opencities", "AVL", "de")])
def test_round_trip_scores_equal_the_network_run(which, unit, lang, request, tmp_path) -> None:
    fw, ds, net = request.getfixturevalue(which)
    before = [s.copy() for s in net.scores]
    path = filled_workbook(fw, ds, unit, net.edition, tmp_path / "filled.xlsx", lang=lang)
    filled, city = read_workbook(load_workbook(path), fw, file=str(path))
    assert not filled.errors
    sa = assess(net, filled, city)
    k = list(net.units).index(unit)
    for level in range(fw.n_levels):
        assert_allclose(sa.scored.scores[level][0], net.scores[level][k], rtol=1e-12, atol=0)
        assert_array_equal(sa.scored.ranks[level][0], net.ranks[level][k])
    # the network did not move: the run is untouched, and the joined view keeps every network score
    for level in range(fw.n_levels):
        assert_array_equal(net.scores[level], before[level])
    others = [u for u in net.units if u != unit]
    rows = [list(net.units).index(u) for u in others]
    jrows = [list(sa.joined.units).index(u) for u in others]
    for level in range(fw.n_levels):
        assert_array_equal(sa.joined.scores[level][jrows], net.scores[level][rows])
        assert_array_equal(sa.joined.ranks[level][jrows], net.ranks[level][rows])
    j = list(sa.joined.units).index(unit)
    peer = sa.joined.peer_frame().query("unit == @unit")
    want = net.peer_frame().query("unit == @unit")
    assert_allclose(peer["peer_mean"].to_numpy(float), want["peer_mean"].to_numpy(float), rtol=1e-12)
    assert sa.joined.ranks[-1][j, 0] == net.ranks[-1][k, 0]


@pytest.mark.parametrize("which", ["icc", "opencities"])
def test_every_network_unit_scored_alone_gets_its_scores(which, request) -> None:
    fw, ds, net = request.getfixturevalue(which)
    for i, unit in enumerate(net.units):
        one = net.dataset.select_rows(np.array(net.dataset.unit_codes) == unit)
        res = score_against(net, one)
        for level in range(fw.n_levels):
            assert_allclose(res.scores[level][0], net.scores[level][i], rtol=1e-12, atol=0, err_msg=unit)
            assert_array_equal(res.ranks[level][0], net.ranks[level][i])


SETTINGS = [
    {"build.normalise.method": "zscore"},
    {"build.normalise.method": "rank"},
    {"build.normalise.method": "percentile"},
    {"build.normalise.method": "borda"},
    {"build.treat.method": "log"},
    {"build.impute.method": "mean"},
    {"build.impute.method": "group_median", "build.impute.params": {"group": "region"}},
    {"build.impute.method": "regression"},
    {"build.impute.method": "mean", "build.weight.method": "pca"},
    {"build.aggregate.levels": {"Index": {"method": "geometric"}, "Theme": {"method": "median"}}},
]


@pytest.mark.parametrize("settings", SETTINGS, ids=lambda s: ",".join(f"{k}={v}" for k, v in s.items()))
def test_score_against_reproduces_network_units_under_other_methods(opencities, settings) -> None:
    fw0, ds, _ = opencities
    fw = with_settings(fw0, settings)
    net = build(fw, ds)
    for unit in ("AVL", "ORS", net.units[-1]):
        i = list(net.units).index(unit)
        res = score_against(net, net.dataset.select_rows(np.array(net.dataset.unit_codes) == unit))
        for level in range(fw.n_levels):
            assert_allclose(res.scores[level][0], net.scores[level][i], rtol=1e-12, atol=1e-9)
        assert res.ranks[-1][0, 0] == net.ranks[-1][i, 0]


def test_a_new_city_is_ranked_among_the_network_without_moving_it(opencities) -> None:
    fw, ds, net = opencities
    data = ds.for_edition(net.edition)
    i = data.unit_codes.index("BRH")
    units = data.units.iloc[[i]].assign(unit="NEW", name="Newtown").reset_index(drop=True)
    values = data.values[[i]].copy()
    untreated = net.treatment.query("treatment == 'untreated'")["indicator"]
    code = next(c for c in untreated if net.methods.normalise[c].method == "minmax"
                and fw.indicators[c].direction == 1 and fw.indicators[c].denominator is None)
    w = fw.indicator_codes.index("foreign_hq_density")  # winsorised in the network run
    assert net.treatment.set_index("indicator").loc["foreign_hq_density", "treatment"] == "winsorised"
    j = fw.indicator_codes.index(code)
    values[0, j] = 10 * np.nanmax(data.values[:, j])  # beyond the network's range
    values[0, w] = 10 * np.nanmax(data.values[:, w])
    new = oi.Dataset(units=units, values=values, indicators=data.indicators,
                     answers=data.answers.iloc[[i]].reset_index(drop=True))
    scored = score_against(net, new)
    assert scored.scores[0][0, j] > 100  # bounds held fixed: not clipped
    assert scored.scores[0][0, w] == 100  # clamped into the network's winsorised range, then its best
    assert any(w.code == "beyond_network" and code in w.indicators for w in scored.warnings)
    for level in range(fw.n_levels):  # rank = 1 + network units strictly higher (after snap_ties)
        col = snap_ties(np.concatenate([net.scores[level], scored.scores[level]]))
        want = 1 + (col[:-1] > col[-1]).sum(axis=0)
        got = scored.ranks[level][0]
        present = ~np.isnan(got)
        assert_array_equal(got[present], want[present])
    both = join_results(net, scored, "NEW")
    assert both.dataset.n_units == net.dataset.n_units + 1
    for level in range(fw.n_levels):
        assert_array_equal(both.scores[level][:-1], net.scores[level])
        assert_array_equal(both.ranks[level][-1], scored.ranks[level][0])


def test_relative_aggregation_is_refused(icc) -> None:
    fw0, ds, _ = icc
    fw = with_settings(fw0, {"build.aggregate.method": "copeland"})
    net = build(fw, ds)
    with pytest.raises(MethodError, match="copeland.*held fixed"):
        score_against(net, net.dataset.select_rows(np.arange(net.dataset.n_units) == 0))


def test_a_city_below_the_coverage_threshold_is_refused(opencities) -> None:
    fw, ds, net = opencities
    data = ds.for_edition(net.edition)
    values = np.full((1, len(fw.indicator_codes)), np.nan)
    values[0, :5] = data.values[0, :5]
    new = oi.Dataset(units=data.units.iloc[[0]].reset_index(drop=True), values=values, indicators=data.indicators,
                     answers=data.answers.iloc[[0]].reset_index(drop=True))
    with pytest.raises(MethodError, match="min_coverage"):
        score_against(net, new)


# --------------------------------------------------------------------------------------
# Completeness
# --------------------------------------------------------------------------------------


def test_completeness_counts_unanswered_items_and_answers_without_evidence(icc, tmp_path) -> None:
    fw, ds, net = icc
    wb = template_workbook(fw)
    answers, city = city_values(fw, ds, "I03", net.edition)
    dropped = list(answers)[:4]
    for code in dropped:
        answers.pop(code)
    with_evidence = list(answers)[:10]
    fill_cells(wb, answers, city=city, evidence={c: "Council decision 12/2024" for c in with_evidence})
    path = save_workbook(tmp_path / "partial.xlsx", wb)
    filled, city_ds = read_workbook(load_workbook(path), fw, file=str(path))
    c = completeness(filled.items)
    assert c["total"] == len(fw.indicator_codes)
    assert set(c["unanswered"]["code"]) >= set(dropped)
    assert c["answered"] == len(answers)
    assert c["evidenced"] == len(with_evidence)
    assert len(c["no_evidence"]) == len(answers) - len(with_evidence)
    assert all(c["unanswered"]["cell"].str.match(r"^E\d+$"))
    # unanswered items are completeness, not "indicator with no data" warnings
    assert not [p for p in filled.problems if p.indicator in dropped]


# --------------------------------------------------------------------------------------
# The command
# --------------------------------------------------------------------------------------


def test_self_assess_command_writes_profile_scores_and_manifest(icc, tmp_path, capsys) -> None:
    fw, ds, net = icc
    path = filled_workbook(fw, ds, "I11", net.edition, tmp_path / "filled.xlsx",
                           evidence={"commitment_statement": "https://example.org/statement"})
    out = tmp_path / "out"
    assert main(["self-assess", str(ICC[0]), str(path), "--network", str(ICC[1]), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "I11" in text and "network held fixed" in text
    for name in ("profile.html", "scores.csv", "completeness.csv", "gains.csv", "change_sets.csv", "manifest.json"):
        assert (out / name).exists(), name
    scores = pd.read_csv(out / "scores.csv")
    k = list(net.units).index("I11")
    index = scores[scores["code"] == fw.root].iloc[0]
    assert_allclose(index["score"], net.scores[-1][k, 0], rtol=1e-12)
    assert index["rank"] == net.ranks[-1][k, 0]
    html = (out / "profile.html").read_text(encoding="utf-8")
    for part in ('id="completeness"', 'id="whatif"', 'id="method-note"', 'class="profile"'):
        assert part in html
    assert ' hidden>' not in html.split('class="profile"', 1)[1][:200]  # the profile is shown
    # self-contained like report.html: the same no-network policy, no external script or stylesheet
    assert f'<meta http-equiv="Content-Security-Policy" content="{esc(CSP)}">' in html
    assert "<script src=" not in html and '<link rel="stylesheet"' not in html
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["command"] == "self-assess"
    assert manifest["self_assessment"]["unit"] == "I11"
    assert manifest["self_assessment"]["evidenced"] == 1


# --------------------------------------------------------------------------------------
# Tampered workbooks: exit 2, every problem named by sheet and cell
# --------------------------------------------------------------------------------------


def _row_of(ws, code: str) -> int:
    return next(r for r in range(5, ws.max_row + 1) if ws[f"A{r}"].value == code)


def _tamper_answer(wb, fw):
    ws = wb["Commitment"]
    ws[f"E{_row_of(ws, 'commitment_strategy')}"] = "Maybe next year"
    return ["cell E6 of sheet 'Commitment'", "not an answer option of 'commitment_strategy'"]


def _tamper_number(wb, fw):
    code = next(c for c in fw.indicator_codes if fw.indicators[c].type == "quantitative")
    sheet = wb[next(s for s in wb.sheetnames if s.casefold().startswith(fw.aggregates[fw.parent[code]].name[:10]
                                                                        .casefold()))]
    r = _row_of(sheet, code)
    sheet[f"E{r}"] = "about 20 %"
    return [f"cell E{r} of sheet '{sheet.title}'", "is not a number"]


def _tamper_sheet(wb, fw):
    del wb["Education"]
    return ["sheet 'Education'", "missing"]


def _tamper_extra_rows(wb, fw):
    ws = wb["Language"]
    last = ws.max_row
    ws[f"B{last + 1}"] = "An extra question we added"
    ws[f"E{last + 1}"] = "Yes"
    ws[f"E{last + 2}"] = "Also yes"
    return [f"cell B{last + 1} of sheet 'Language'", "not part of the template", f"cell E{last + 2}"]


def _tamper_code(wb, fw):
    ws = wb["Commitment"]
    ws["A5"] = "commitment_statement_v2"
    return ["cell A5 of sheet 'Commitment'", "unknown code 'commitment_statement_v2'",
            "the row of item 'commitment_statement'"]


def _tamper_duplicate(wb, fw):
    ws = wb["Commitment"]
    ws["A6"] = ws["A5"].value
    return ["cell A6 of sheet 'Commitment'", "appears twice"]


def _tamper_deleted_row(wb, fw):
    ws = wb["Commitment"]
    ws.delete_rows(6)
    return ["the row of item 'commitment_strategy'", "cell A6 of sheet 'Commitment'"]


def _tamper_formula(wb, fw):
    ws = wb["Commitment"]
    ws["E5"] = "=1+1"
    return ["cell E5 of sheet 'Commitment'", "formula"]


def _tamper_meta(wb, fw):
    del wb["_meta"]
    return ["sheet '_meta'", "is missing"]


TAMPERS = {"answer not in the list": _tamper_answer, "text in a number cell": _tamper_number,
           "deleted sheet": _tamper_sheet, "extra rows": _tamper_extra_rows, "renamed code": _tamper_code,
           "duplicated code": _tamper_duplicate, "deleted row": _tamper_deleted_row, "formula": _tamper_formula,
           "meta sheet removed": _tamper_meta}


@pytest.mark.parametrize("name", list(TAMPERS))
def test_tampered_workbook_exits_2_naming_sheet_and_cell(name, icc, tmp_path, capsys) -> None:
    fw, ds, net = icc
    path = filled_workbook(fw, ds, "I05", net.edition, tmp_path / "filled.xlsx")
    wb = load_workbook(path)
    expected = TAMPERS[name](wb, fw)
    bad = save_workbook(tmp_path / "tampered.xlsx", wb)
    problems = tmp_path / "problems.csv"
    code = main(["self-assess", str(ICC[0]), str(bad), "--network", str(ICC[1]), "--out", str(tmp_path / "out"),
                 "--problems", str(problems)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    for text in expected:
        assert text in err, f"{text!r} not in:\n{err}"
    assert not (tmp_path / "out" / "profile.html").exists()
    rows = list(csv.DictReader(problems.open(encoding="utf-8")))
    assert rows and all(r["code"] in set(ProblemCode) for r in rows), rows


def test_every_problem_is_collected_at_once(icc, tmp_path) -> None:
    fw, ds, net = icc
    path = filled_workbook(fw, ds, "I05", net.edition, tmp_path / "filled.xlsx")
    wb = load_workbook(path)
    for tamper in (_tamper_answer, _tamper_number, _tamper_sheet, _tamper_code):
        tamper(wb, fw)
    with pytest.raises(DataError) as info:
        read_workbook(load_workbook(save_workbook(tmp_path / "t.xlsx", wb)), fw, file="t.xlsx")
    text = str(info.value)
    for part in ("Maybe next year", "about 20 %", "sheet 'Education'", "commitment_statement_v2"):
        assert part in text


def test_workbook_of_another_framework_is_refused(icc, opencities, tmp_path, capsys) -> None:
    path = save_workbook(tmp_path / "other.xlsx", template_workbook(opencities[0]))
    code = main(["self-assess", str(ICC[0]), str(path), "--network", str(ICC[1]), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2
    assert "made for another framework" in err and "sheet '_meta'" in err


def test_unit_and_name_options_override_the_workbook(icc, tmp_path) -> None:
    fw, ds, net = icc
    path = filled_workbook(fw, ds, "I05", net.edition, tmp_path / "filled.xlsx")
    filled, city = read_workbook(load_workbook(path), fw, unit="ZZZ", name="Zedtown")
    assert city.unit_codes == ("ZZZ",) and city.unit_names == ("Zedtown",)
    assert any(p.code == "unit_replaced" and p.severity == "warning" for p in filled.problems)
    sa = assess(net, filled, city)
    assert sa.joined.dataset.n_units == net.dataset.n_units + 1  # a new city: I05 stays in the network
