"""The questionnaire template: sheets, real data validations, protection, determinism, languages."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from openindex.cli import main
from openindex.i18n import answer_labels
from openindex.io import load_workbook, save_workbook, sha256_file
from openindex.model.framework import parse_framework
from openindex.selfassess.template import (
    FIRST_ROW,
    INLINE_LIMIT,
    LISTS,
    META,
    plausible_range,
    sheet_names,
    template_workbook,
)
from tests.conftest import OPEN_FILES, TINY_YAML

OPEN = OPEN_FILES


def _items(wb, fw):
    """(sheet, row, code) of every item row of the area sheets."""
    names = sheet_names(fw)
    for area in fw.levels[1]:
        ws = wb[names[area]]
        for r in range(FIRST_ROW, ws.max_row + 1):
            if ws[f"A{r}"].value:
                yield ws, r, ws[f"A{r}"].value


def _validation_of(ws, cell: str):
    found = [dv for dv in ws.data_validations.dataValidation if cell in dv.sqref]
    assert len(found) == 1, f"{ws.title}!{cell}: {len(found)} validations"
    return found[0]


def _list_entries(wb, formula: str) -> list[str]:
    if formula.startswith('"'):
        return formula.strip('"').split(",")
    sheet, ref = formula.split("!")
    assert sheet == LISTS
    cells = wb[sheet][ref.replace("$", "")]
    return [c[0].value for c in cells]


# --------------------------------------------------------------------------------------
# Layout
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["icc", "open"])
def test_sheets_instructions_city_areas_and_hidden_ones(saved, name) -> None:
    fw, _, wb, _ = saved[name]
    names = sheet_names(fw)
    assert wb.sheetnames[:2] == [names["_instructions"], names["_city"]]
    assert wb.sheetnames[2:2 + len(fw.levels[1])] == [names[a] for a in fw.levels[1]]
    assert all(len(s) <= 31 for s in wb.sheetnames)
    assert len({s.casefold() for s in wb.sheetnames}) == len(wb.sheetnames)
    assert not any(ch in s for s in wb.sheetnames for ch in "[]:*?/\\")
    assert wb[META].sheet_state == "hidden"
    if LISTS in wb.sheetnames:
        assert wb[LISTS].sheet_state == "hidden"
    assert [code for _, _, code in _items(wb, fw)] == [c for a in fw.levels[1] for c in fw.indicator_codes
                                                       if fw.parent[c] == a]


def test_sheet_names_are_cut_and_made_unique(tiny_dict) -> None:
    tiny_dict["aggregates"][1]["name"] = "Economy: jobs/firms [core] and everything else that matters"
    tiny_dict["aggregates"][2]["name"] = "economy: jobs/firms [core] and everything else that matters too"
    names = sheet_names(parse_framework(tiny_dict))
    assert names["econ"] == "Economy jobs firms core and eve"  # forbidden characters out, cut at 31
    assert names["social"] == "economy jobs firms core and (2)"  # unique regardless of case


# --------------------------------------------------------------------------------------
# Data validations are real, and cover the answer cells
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["icc", "open"])
def test_answer_cells_carry_real_data_validations(saved, name) -> None:
    fw, ds, wb, _ = saved[name]
    kinds = set()
    for ws, r, code in _items(wb, fw):
        dv = _validation_of(ws, f"E{r}")
        ind = fw.indicators[code]
        if ind.type == "questionnaire":
            assert dv.type == "list"
            entries = _list_entries(wb, dv.formula1)
            assert entries == answer_labels(fw, code, "en")
            if dv.formula1.startswith('"'):
                assert len(dv.formula1) - 2 <= INLINE_LIMIT
                kinds.add("inline")
            else:
                kinds.add("lists")
        else:
            assert dv.type == "decimal" and dv.operator == "between"
            lo, hi = float(dv.formula1), float(dv.formula2)
            assert lo < hi
            if name == "open":  # every network value of the indicator passes its own check
                raw = ds.values[:, ds.indicators.index(code)]
                raw = raw[~np.isnan(raw)]
                assert ((raw >= lo) & (raw <= hi)).all(), code
        assert dv.allow_blank and dv.showErrorMessage and dv.error and dv.prompt
    assert kinds == {"inline", "lists"}  # short lists inline, long or comma-holding ones on the hidden sheet


def test_plausible_range_rule(opencities) -> None:
    fw, ds, _ = opencities
    share = fw.indicators["political_rights_score"]  # goalposts [0, 100], no denominator
    assert plausible_range(share) == (0.0, 100.0)
    count = fw.indicators["fdi_projects"]
    assert count.denominator is not None
    values = ds.values[:, ds.indicators.index("fdi_projects")]
    lo, hi = plausible_range(count, values)
    assert lo == 0 and hi == 10 * np.nanmax(np.abs(values))
    growth = fw.indicators["gdp_growth"]
    g = ds.values[:, ds.indicators.index("gdp_growth")]
    lo, hi = plausible_range(growth, g)
    assert lo < np.nanmin(g) < 0 < np.nanmax(g) < hi
    assert plausible_range(fw.indicators["gdp_per_capita_pps"]) is None  # nothing known: any number


# --------------------------------------------------------------------------------------
# Protection, safety, determinism
# --------------------------------------------------------------------------------------


def test_structure_is_locked_and_only_input_cells_are_open(saved) -> None:
    fw, _, wb, _ = saved["icc"]
    assert wb.security is not None and wb.security.lockStructure
    for ws in wb.worksheets:
        assert ws.protection.sheet, ws.title
        assert not ws.protection.password
    for ws, r, _ in _items(wb, fw):
        for col in "ABCD":
            assert ws[f"{col}{r}"].protection.locked
        for col in "EFGHI":
            assert not ws[f"{col}{r}"].protection.locked
        assert ws["A4"].protection.locked  # the header
    city = wb[sheet_names(fw)["_city"]]
    for r in range(FIRST_ROW, city.max_row + 1):
        assert not city[f"C{r}"].protection.locked and city[f"B{r}"].protection.locked


def test_identical_input_gives_identical_bytes(icc, tmp_path) -> None:
    fw, ds, _ = icc
    a = save_workbook(tmp_path / "a.xlsx", template_workbook(fw, lang="de", unit="I03", network=ds))
    b = save_workbook(tmp_path / "b.xlsx", template_workbook(fw, lang="de", unit="I03", network=ds))
    assert sha256_file(a) == sha256_file(b)


def test_every_text_goes_through_excel_safe(tiny_dict, tmp_path) -> None:
    tiny_dict["indicators"][5]["options"][0]["label"] = "=HYPERLINK(\"http://evil\",\"x\")"
    tiny_dict["indicators"][0]["name"] = "+SUM(1,2)"
    tiny_dict["aggregates"][1]["description"] = "@danger"
    fw = parse_framework(tiny_dict)
    wb = load_workbook(save_workbook(tmp_path / "t.xlsx", template_workbook(fw)))
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{ws.title}!{cell.coordinate} is a formula"
                if isinstance(cell.value, str) and ws.title != LISTS:
                    assert not cell.value.startswith(("=", "+", "@")), f"{ws.title}!{cell.coordinate}"
    econ = wb[sheet_names(fw)["econ"]]
    assert econ["B5"].value.startswith("'+SUM")
    assert econ["A2"].value == "'@danger"
    strategy = wb[sheet_names(fw)["social"]]
    dv = _validation_of(strategy, "E7")
    assert not dv.formula1.startswith('"')  # a label starting with '=' goes on the lists sheet, made safe
    assert _list_entries(wb, dv.formula1)[0].startswith("'=")


# --------------------------------------------------------------------------------------
# Languages, the command, attributes
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("lang", "answer", "city"), [("fr", "Réponse", "Ville"), ("de", "Antwort", "Stadt"),
                                                       ("it", "Risposta", "Città"), ("es", "Respuesta", "Ciudad")])
def test_languages(icc, lang, answer, city, tmp_path) -> None:
    fw, _, _ = icc
    wb = load_workbook(save_workbook(tmp_path / "t.xlsx", template_workbook(fw, lang=lang)))
    assert wb.sheetnames[1] == city
    assert wb[wb.sheetnames[2]]["E4"].value == answer


def test_template_command(tmp_path, capsys) -> None:
    out = tmp_path / "q.xlsx"
    assert main(["template", str(OPEN[0]), "--out", str(out), "--unit", "BRH", "--network", str(OPEN[1]),
                 "--lang", "fr"]) == 0
    assert "prefilled" in capsys.readouterr().out
    assert out.exists()
    assert main(["template", str(OPEN[0]), "--out", str(out), "--lang", "xx"]) == 2
    assert main(["template", str(OPEN[0]), "--out", str(out), "--unit", "NOPE", "--network", str(OPEN[1])]) == 2
    assert "NOPE" in capsys.readouterr().err


def test_tiny_framework_round_trip(tiny_dict, tmp_path) -> None:
    """Attribute validations: a number check for numeric attributes, suggestions for categories."""
    fw = parse_framework(tiny_dict)
    wb = load_workbook(save_workbook(tmp_path / "t.xlsx", template_workbook(fw)))
    city = wb[sheet_names(fw)["_city"]]
    keys = {city[f"B{r}"].value: r for r in range(FIRST_ROW, city.max_row + 1)}
    assert set(keys) == {"unit", "name", "population", "region"}
    dv = _validation_of(city, f"C{keys['population']}")
    assert dv.type == "decimal"
    assert yaml.safe_load(TINY_YAML)["name"] in wb[sheet_names(fw)["_instructions"]]["A1"].value
