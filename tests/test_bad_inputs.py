"""One table of broken frameworks and data files, each with the message and the problem code it must produce.

Every case runs through the CLI (`openindex validate FRAMEWORK --data DATA --problems FILE`), must
exit with code 2, print no traceback, print the pinned message and location, and write a
failure-case table in which the pinned message has the pinned problem code and every problem
has a code from :class:`~openindex.errors.ProblemCode`.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import yaml

from openindex import cli
from openindex import io as oi_io
from openindex.cli import main
from openindex.data.validate import read_dataset
from openindex.errors import (
    FORMULA_PREFIXES,
    OpenIndexError,
    Problem,
    ProblemCode,
    formula_restored,
    formula_safe,
    quote_value,
)
from openindex.io import (
    load_yaml_text,
    read_csv_frame,
    read_framework,
    read_table,
    save_workbook,
    unique_sheet_names,
    write_csv,
    write_workbook,
)
from openindex.selfassess.template import fill_cells, template_workbook
from tests.conftest import ROOT, TINY_CSV, TINY_YAML


def fw_edit(edit: Callable[[dict], None]) -> Callable[[], str]:
    def make() -> str:
        doc = yaml.safe_load(TINY_YAML)
        edit(doc)
        return yaml.safe_dump(doc, sort_keys=False)
    return make


def csv_edit(old: str, new: str) -> Callable[[], str]:
    def make() -> str:
        assert old in TINY_CSV
        return TINY_CSV.replace(old, new, 1)
    return make


def _set(path: str, value):
    def edit(doc: dict) -> None:
        node = doc
        keys = [int(k) if k.isdigit() else k for k in path.split(".")]
        for k in keys[:-1]:
            node = node.setdefault(k, {}) if isinstance(node, dict) else node[k]
        node[keys[-1]] = value
    return edit


def _deeper(doc):  # gdp one level below the bottom: econ -> sub -> gdp
    doc["aggregates"].append({"code": "sub", "name": "Sub-area", "parent": "econ"})
    doc["indicators"][0]["parent"] = "sub"


def _cycle(doc):
    doc["aggregates"].append({"code": "loop_a", "name": "A", "parent": "loop_b"})
    doc["aggregates"].append({"code": "loop_b", "name": "B", "parent": "loop_a"})


@dataclass(frozen=True)
class DataFile:
    """A data file the harness writes itself: ``write(path)`` makes ``data{suffix}``."""

    suffix: str
    write: Callable[[Path], None]


def _alias_bomb() -> str:  # "billion laughs": 9 aliases per level, 9 levels: 9**9 values once expanded
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{k}: &a{k} [{', '.join([f'*a{k - 1}'] * 9)}]" for k in range(1, 9)]
    return "\n".join(lines) + "\n" + TINY_YAML


def _xlsx(edit: Callable[[openpyxl.worksheet.worksheet.Worksheet], None]) -> DataFile:
    def write(path: Path) -> None:
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = "data"
        for r in _rows():
            ws.append(r)
        edit(ws)
        wb.save(path)  # openpyxl stores no calculated value for a formula
    return DataFile(".xlsx", write)


def _compound_file(*streams: str) -> DataFile:
    """The start of an OLE compound file naming ``streams`` (what Excel writes for an encrypted workbook)."""
    def write(path: Path) -> None:
        names = b"".join(n.encode("utf-16-le") + bytes(64 - 2 * len(n)) for n in streams)
        path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + names + bytes(512))
    return DataFile(".xlsx", write)


BIG = "x" * 2_000_000  # a 2 MB string: quoted in 80 characters at most

# id, framework text (or maker), data text/bytes (or maker, or None), expected message, expected location,
# expected problem code (of the problem with that message)
CASES = [
    ("duplicate code", fw_edit(_set("indicators.1.code", "gdp")), None,
     "duplicate code 'gdp' (first defined at indicators[0].code)", "indicators[1].code (line", "duplicate_code"),
    ("bad direction", fw_edit(_set("indicators.3.direction", 2)), None,
     "direction must be 1 (higher is better) or -1 (lower is better)", "indicators[3].direction", "invalid_value"),
    ("unknown parent", fw_edit(_set("indicators.0.parent", "ecnomy")), None,
     "unknown parent 'ecnomy'. Did you mean 'econ'?", "indicators[0].parent", "unknown_parent"),
    ("cycle", fw_edit(_cycle), None, "cycle in the hierarchy: loop_a -> loop_b -> loop_a",
     "aggregates[3].parent", "cycle"),
    ("negative weight", fw_edit(_set("indicators.1.weight", -0.5)), None, "weight must be >= 0",
     "indicators[1].weight", "invalid_value"),
    ("reversed goalposts", fw_edit(_set("indicators.4.goalposts", [10, 0])), None,
     "must be [lo, hi] with lo < hi, got [10, 0]", "indicators[4].goalposts", "invalid_value"),
    ("unknown method", fw_edit(_set("build.normalise", {"method": "min_max"})), None,
     "Unknown normalise method 'min_max'. Did you mean 'minmax'? Known: minmax",
     "build.normalise.method", "unknown_method"),
    ("param of wrong type", fw_edit(_set("build.normalise", {"method": "minmax", "params": {"high": "lots"}})),
     None, "The 'high' parameter of normalise method 'minmax' must be a number. Got 'lots' instead.",
     "build.normalise.params", "invalid_param"),
    ("unknown param", fw_edit(_set("build.normalise", {"method": "minmax", "params": {"hgih": 1}})), None,
     "normalise method 'minmax' has no parameter 'hgih'. Did you mean 'high'?",
     "build.normalise.params", "invalid_param"),
    ("typo in a key", fw_edit(_set("indicators.0.dirction", 1)), None, "unknown key `dirction`",
     "indicators[0].dirction", "unknown_key"),
    ("points outside the scale", fw_edit(_set("indicators.5.options.2.points", 120)), None,
     "answer 'adopted' scores 120 points, outside the scale [0, 100]", "indicators[5]", "invalid_value"),
    ("questionnaire without options", fw_edit(_set("indicators.5.options", None)), None,
     "a questionnaire item needs `options`", "indicators[5]", "invalid_value"),
    ("all weights zero", fw_edit(lambda d: [i.update(weight=0) for i in d["indicators"][:3]]), None,
     "all weights of the children of 'econ' are zero", "aggregates[1]", "zero_weights"),
    ("empty node", fw_edit(lambda d: d["aggregates"].append({"code": "lonely", "name": "L", "parent": "INDEX"})),
     None, "aggregate 'lonely' has no children; every leaf must be an indicator", "aggregates[3]", "empty_node"),
    ("two roots", fw_edit(lambda d: d["aggregates"][1].pop("parent")), None,
     "'econ' has no parent, but 'INDEX' is already the root", "aggregates[1].parent", "not_one_root"),
    ("indicator below the bottom level", fw_edit(_deeper), None,
     "'gdp' sits 4 levels deep but `levels` declares 3", "indicators[0].parent", "wrong_depth"),
    ("more levels than the tree", fw_edit(_set("levels", ["Indicator", "Area", "Theme", "Index"])), None,
     "`levels` declares 4 levels (Indicator, Area, Theme, Index) but the deepest indicator sits only 3 levels deep",
     "levels (line", "wrong_depth"),
    ("undeclared denominator", fw_edit(_set("indicators.2.denominator", "households")), None,
     "denominator 'households' is not a declared attribute", "indicators[2].denominator", "unknown_attribute"),
    ("repeated key", lambda: TINY_YAML.replace("name: Tiny test index\n", "name: Tiny test index\nname: again\n"),
     None, "key 'name' appears twice in the same mapping (first on line 1)", "line 2", "duplicate_key"),
    ("empty framework file", lambda: "", None, "the framework file is empty", "", "empty_file"),
    ("not YAML at all", lambda: "levels: [a, b\nname: {{oops", None, "not valid YAML", "line 2", "invalid_yaml"),
    ("YAML but a list", lambda: "- a\n- b\n", None, "the framework file is a list, not a mapping", "", "not_a_mapping"),
    ("binary framework", lambda: b"\x89PNG\r\n\x1a\n\x00\xff\xfe", None, "not UTF-8 text", "line", "not_utf8"),
    ("BOM framework with a bad value", lambda: ("\ufeff" + TINY_YAML.replace("direction: -1", "direction: up")),
     None, "direction must be 1", "indicators[3].direction (line 14)", "invalid_value"),
    # ---- data files ----
    ("n/a in a numeric cell", TINY_YAML, csv_edit("30000,70", "n/a,70"),
     "'n/a' is not a number (indicator 'gdp'); leave the cell empty for a missing value",
     "line 2, column 'gdp'", "not_a_number"),
    ("duplicate unit", TINY_YAML, csv_edit("BBB,Beta", "AAA,Beta"),
     "unit 'AAA' appears twice in edition 2025 (first at line 2)", "line 3", "duplicate_unit"),
    ("unknown indicator column", TINY_YAML, csv_edit("trust,strategy", "trsut,strategy"),
     "unknown column 'trsut': not an indicator or attribute of the framework. Did you mean 'trust'?",
     "header, column 'trsut'", "unknown_column"),
    ("missing indicator column", TINY_YAML,
     lambda: "\n".join(",".join(r.split(",")[:-1]) for r in TINY_CSV.splitlines()) + "\n",
     "no column for indicator 'strategy' (Integration strategy)", "header", "missing_column"),
    ("answer not among the options", TINY_YAML, csv_edit(",adopted\nBBB", ",approved\nBBB"),
     "'approved' is not an answer option of 'strategy'; options: none (No strategy), draft (In preparation)",
     "line 2, column 'strategy'", "unknown_answer"),
    ("empty data file", TINY_YAML, lambda: "", "the file is empty", "line 1", "empty_file"),
    ("header only", TINY_YAML, lambda: TINY_CSV.splitlines()[0] + "\n", "the file has a header but no data rows",
     "", "no_data_rows"),
    ("semicolon CSV", TINY_YAML, lambda: TINY_CSV.replace(",", ";"), "separated by semicolons",
     "line 1", "wrong_separator"),
    ("UTF-8 BOM CSV with a duplicate unit", TINY_YAML, lambda: "\ufeff" + TINY_CSV.replace("BBB,Beta", "AAA,Beta"),
     "unit 'AAA' appears twice", "line 3", "duplicate_unit"),
    ("not UTF-8 data", TINY_YAML, lambda: TINY_CSV.replace("Alpha", "Alph\u00e4").encode("latin-1"),
     "not UTF-8 text", "line 2", "not_utf8"),
    ("zero denominator", TINY_YAML, csv_edit("AAA,Alpha,2025,100000", "AAA,Alpha,2025,0"),
     "'population' must be a positive number: indicator 'firms' is divided by it",
     "line 2, column 'population'", "non_positive_denominator"),
    ("text in a numeric attribute", TINY_YAML, csv_edit("AAA,Alpha,2025,100000", "AAA,Alpha,2025,100k"),
     "attribute 'population' must be a number; '100k' is not", "line 2, column 'population'", "not_a_number"),
    ("unit with no data", TINY_YAML, csv_edit("30000,70,12,50,6,adopted", ",,,,,"),
     "unit 'AAA' has no indicator data at all", "line 2", "empty_unit"),
    ("edition not a number", TINY_YAML, csv_edit("AAA,Alpha,2025", "AAA,Alpha,twenty"),
     "the edition must be a whole number such as a year", "line 2, column 'edition'", "invalid_edition"),
    ("row longer than the header", TINY_YAML, csv_edit("adopted\nBBB", "adopted,extra\nBBB"),
     "row has 12 cells but the header has 11", "line 2", "row_too_long"),
    ("long layout: unknown indicator", TINY_YAML,
     lambda: "unit,indicator,value\nAAA,gdp,1\nAAA,gpd,2\n", "unknown indicator 'gpd'. Did you mean 'gdp'?",
     "line 3, column 'indicator'", "unknown_indicator"),
    ("long layout: value given twice", TINY_YAML,
     lambda: "unit,indicator,value\nAAA,gdp,1\nAAA,gdp,2\n", "a second value for unit 'AAA', indicator 'gdp'",
     "line 3", "duplicate_value"),
    ("no unit column", TINY_YAML, lambda: TINY_CSV.replace("unit,name", "city,name", 1),
     "no unit-code column 'unit'", "header", "missing_column"),
    ("Excel: no data sheet", TINY_YAML, "xlsx:values",
     "the workbook has several sheets (values, notes) and none is called 'data'; name the sheet with --sheet",
     "", "ambiguous_sheet"),
    ("Excel: named sheet missing", TINY_YAML, "xlsx:values --sheet data",
     "sheet 'data' not found; the workbook has: values, notes", "sheet 'data'", "missing_sheet"),
    ("Excel: text in a numeric cell", TINY_YAML, "xlsx:na", "'n/a' is not a number (indicator 'gdp')",
     "cell F3 of sheet 'data'", "not_a_number"),
    ("unsupported file type", TINY_YAML, "json", "unsupported file type '.json'", "", "unsupported_file_type"),
    # ---- whole classes of broken input (issue 11): YAML beyond its limits ----
    ("YAML alias bomb", _alias_bomb, None, "with its aliases (*name) expanded, the YAML document has more than "
     "100,000 values", "", "yaml_too_complex"),
    ("YAML alias inside itself", lambda: "loop: &loop [*loop]\n" + TINY_YAML, None,
     "an alias (*name) refers to the entry that holds it", "line 1", "yaml_too_complex"),
    ("YAML nested too deep", lambda: "deep: " + "[" * 5000 + "]" * 5000 + "\n" + TINY_YAML, None,
     "the YAML document is nested deeper than 64 levels", "line 1", "yaml_too_complex"),
    ("YAML with too many aliases", lambda: "one: &one 1\nmany: [" + ", ".join(["*one"] * 1001) + "]\n" + TINY_YAML,
     None, "the YAML document is using more than 1,000 aliases", "line 2", "yaml_too_complex"),
    ("YAML file over the size limit", lambda: TINY_YAML + "# " + "x" * (2 * 2**20) + "\n", None,
     "openindex reads YAML files of at most 2,097,152 bytes", "", "file_too_large"),
    ("YAML complex mapping key", lambda: "? [a, b]\n: 1\n" + TINY_YAML, None,
     "a key that is a list or a mapping (`? [...]`); keys are plain text", "line 1", "complex_key"),
    ("NUL byte in the framework", lambda: TINY_YAML.replace("Tiny test", "Tiny\x00test"), None,
     "the text holds a NUL character (U+0000)", "line 1", "control_character"),
    ("escape character written into the framework", lambda: TINY_YAML.replace("Tiny test", "Tiny\x1btest"), None,
     "control character U+001B in the text; delete it", "line 1", "control_character"),
    ("escape sequence in a quoted name", lambda: TINY_YAML.replace("name: Economy", 'name: "Eco\\enomy"'), None,
     "control character U+001B in the text (written as an escape", "line 8", "control_character"),
    ("NUL escape in a quoted name", lambda: TINY_YAML.replace("name: Economy", 'name: "Eco\\0nomy"'), None,
     "control character U+0000 in the text", "line 8", "control_character"),
    ("framework text over the length limit", fw_edit(_set("description", "x" * 5001)), None,
     "a text of 5,001 characters; openindex reads texts of at most 5,000", "line", "text_too_long"),
    # infinite or NaN numbers of the framework, each reported at its place
    ("infinite weight", fw_edit(_set("indicators.1.weight", float("inf"))), None,
     "`weight` must be a finite number", "indicators[1].weight (line", "invalid_value"),
    ("NaN weight of an aggregate", fw_edit(_set("aggregates.1.weight", float("nan"))), None,
     "`weight` must be a finite number", "aggregates[1].weight (line", "invalid_value"),
    ("NaN target", fw_edit(_set("indicators.4.target", float("nan"))), None,
     "`target` must be a finite number", "indicators[4].target (line", "invalid_value"),
    ("infinite goalpost", fw_edit(_set("indicators.4.goalposts", [0, float("inf")])), None,
     "`goalposts` must be a finite number", "indicators[4].goalposts[1] (line", "invalid_value"),
    ("NaN answer points", fw_edit(_set("indicators.5.options.1.points", float("nan"))), None,
     "`points` must be a finite number", "indicators[5].options[1].points (line", "invalid_value"),
    ("infinite method parameter",
     fw_edit(_set("build.normalise", {"method": "minmax", "params": {"high": float("inf")}})), None,
     "The 'high' parameter of normalise method 'minmax' must be a number. Got inf instead.",
     "build.normalise.params", "invalid_param"),
    # numbers only YAML 1.1 reads: text in YAML 1.2, refused unquoted
    ("underscore number in the framework", lambda: TINY_YAML.replace("weight: 1}", "weight: 1_5}", 1), None,
     "'1_5' is not a number in YAML 1.2", "line 8", "number_syntax"),
    ("sexagesimal number in the framework", lambda: TINY_YAML.replace("weight: 1}", "weight: 1:30}", 1), None,
     "'1:30' is not a number in YAML 1.2", "line 8", "number_syntax"),
    # ---- data files ----
    ("underscore number in a data cell", TINY_YAML, csv_edit("30000,70", "30_000,70"),
     "'30_000' (indicator 'gdp') is written in a number syntax only some programs read",
     "line 2, column 'gdp'", "number_syntax"),
    ("digits of another script in a data cell", TINY_YAML, csv_edit("30000,70", "\u0663\u0660,70"),
     "(indicator 'gdp') is written in a number syntax only some programs read", "line 2, column 'gdp'",
     "number_syntax"),
    ("number beyond the float limits", TINY_YAML, csv_edit("30000,70", "1e300,70"),
     "1e+300 is beyond the largest magnitude openindex reads (1e+150)", "line 2, column 'gdp'",
     "number_out_of_range"),
    ("negative number beyond the float limits", TINY_YAML, csv_edit("30000,70", "-2e200,70"),
     "-2e+200 is beyond the largest magnitude openindex reads", "line 2, column 'gdp'", "number_out_of_range"),
    ("denominator so small the ratio overflows", TINY_YAML, csv_edit("AAA,Alpha,2025,100000", "AAA,Alpha,2025,1e-160"),
     "indicator 'firms' divided by 'population' (12 / 1e-160) is beyond the largest magnitude",
     "line 2, column 'firms'", "number_out_of_range"),
    ("infinite attribute", TINY_YAML, csv_edit("AAA,Alpha,2025,100000", "AAA,Alpha,2025,inf"),
     "'inf' is not a finite number (attribute 'population')", "line 2, column 'population'", "not_a_number"),
    ("NaN in a data cell", TINY_YAML, csv_edit("30000,70", "NaN,70"),
     "'NaN' is not a finite number (indicator 'gdp')", "line 2, column 'gdp'", "not_a_number"),
    ("empty edition cell", TINY_YAML, csv_edit("AAA,Alpha,2025", "AAA,Alpha,"),
     "the edition cell is empty; write the edition (a year such as 2025) in every row", "line 2, column 'edition'",
     "invalid_edition"),
    ("unclosed quote in a CSV", TINY_YAML, csv_edit("BBB,Beta", '"BBB,Beta'),
     "a quoted cell that starts on line 3 is never closed", "line 3", "bad_quote"),
    ("stray quote inside a quoted cell", TINY_YAML, csv_edit("BBB,Beta", 'BBB,"Be"ta"'),
     "a quote (\") in the middle of a cell", "line 3", "bad_quote"),
    ("NUL byte in a CSV", TINY_YAML, csv_edit("Beta", "Be\x00ta"),
     "the text holds a NUL character (U+0000)", "line 3", "control_character"),
    ("UTF-16 text read as UTF-8", TINY_YAML, lambda: TINY_CSV.encode("utf-16-le"),
     "is it a binary file, or text saved as UTF-16?", "line 1", "control_character"),
    ("escape character in a unit name", TINY_YAML, csv_edit("Beta", "Be\x1bta"),
     "control character U+001B in the cell", "line 3, column 'name'", "control_character"),
    ("2 MB string in a number cell", TINY_YAML, csv_edit("30000,70", BIG + ",70"),
     f"'{'x' * 77}...' is not a number (indicator 'gdp')", "line 2, column 'gdp'", "not_a_number"),
    ("2 MB column name", TINY_YAML, lambda: "\n".join(r + ("," + BIG if i == 0 else ",") for i, r in
                                                   enumerate(TINY_CSV.splitlines())) + "\n",
     f"unknown column '{'x' * 77}...': not an indicator", f"header, column '{'x' * 77}...'", "unknown_column"),
    ("unit name over the length limit", TINY_YAML, csv_edit("Beta", "B" * 5001),
     "a text of 5,001 characters; names and categories have at most 5,000", "line 3, column 'name'",
     "text_too_long"),
    ("Excel: formula without a stored value", TINY_YAML, _xlsx(lambda ws: ws.__setitem__("F3", "=F2*2")),
     "the cell holds a formula whose value was never stored", "cell F3 of sheet 'data'", "formula_without_value"),
    ("Excel: encrypted workbook", TINY_YAML, _compound_file("EncryptionInfo", "EncryptedPackage"),
     "the workbook is encrypted with a password; open it in Excel or LibreOffice, remove the password", "",
     "encrypted_file"),
    ("Excel: an old .xls named .xlsx", TINY_YAML, _compound_file("Workbook"),
     "an Excel 97-2003 workbook (.xls), not .xlsx", "", "unreadable_file"),
    ("Parquet: escape character in a cell", TINY_YAML, DataFile(".parquet", lambda path: pd.read_csv(
        io.StringIO(TINY_CSV.replace("Beta", "Be\x1bta")), dtype=str, keep_default_na=False).to_parquet(path)),
     "control character U+001B in the cell", "row 2, column 'name'", "control_character"),
]


def _write_excel(path: Path, sheet: str, rows: list[list]) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    for r in rows:
        ws.append(r)
    ws2 = wb.create_sheet("notes")
    ws2.append(["synthetic test workbook"])
    wb.save(path)


def _rows() -> list[list]:
    rows = [r.split(",") for r in TINY_CSV.splitlines()]
    return [rows[0]] + [[float(c) if c.replace(".", "").isdigit() else c for c in r] for r in rows[1:]]


def _materialise(tmp_path: Path, fw_src, data_src) -> list[str]:
    fw_text = fw_src() if callable(fw_src) else fw_src
    fw_path = tmp_path / "framework.yaml"
    fw_path.write_bytes(fw_text if isinstance(fw_text, bytes) else fw_text.encode("utf-8"))
    args = ["validate", str(fw_path)]
    if data_src is None:
        return args
    if isinstance(data_src, DataFile):
        path = tmp_path / f"data{data_src.suffix}"
        data_src.write(path)
    elif data_src == "json":
        path = tmp_path / "data.json"
        path.write_text("{}")
    elif isinstance(data_src, str) and data_src.startswith("xlsx:"):
        path = tmp_path / "data.xlsx"
        rows = _rows()
        if data_src == "xlsx:na":
            rows[2][5] = "n/a"  # gdp of the second unit: cell F3
            _write_excel(path, "data", rows)
        else:
            _write_excel(path, "values", rows)
            if data_src.endswith("--sheet data"):
                return [*args, "--data", str(path), "--sheet", "data"]
    else:
        text = data_src()
        path = tmp_path / "data.csv"
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return [*args, "--data", str(path)]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_reported(case, tmp_path, capsys):
    _, fw_src, data_src, message, location, reason = case
    table = tmp_path / "problems.csv"
    code = main([*_materialise(tmp_path, fw_src, data_src), "--problems", str(table)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    assert message in err, err
    assert location in err, err
    rows = list(csv.DictReader(table.open(encoding="utf-8")))
    assert {r["code"] for r in rows if message in r["problem"]} == {reason}, rows
    # every problem raised across the harness has a non-empty code from the list
    assert all(r["code"] and r["code"] in set(ProblemCode) for r in rows), rows


def test_table_is_large_enough():
    assert len(CASES) >= 25


def test_problems_exported_as_csv(tmp_path, capsys):
    args = _materialise(tmp_path, TINY_YAML, csv_edit("30000,70", "n/a,70"))
    out = tmp_path / "problems.csv"
    assert main([*args, "--problems", str(out)]) == 2
    text = out.read_text(encoding="utf-8").splitlines()
    assert text[0] == "file,location,code,problem,unit,indicator,value,severity"
    assert ",not_a_number," in text[1] and "AAA,gdp,n/a,error" in text[1]


def test_tiny_data_is_valid(tiny_paths, capsys):
    fw, data = tiny_paths
    assert main(["validate", str(fw), "--data", str(data)]) == 0
    out = capsys.readouterr().out
    assert "6 indicators in 2 areas" in out and "5 units" in out and "valid" in out


def test_wrong_data_file_gives_one_problem(tmp_path, capsys):
    fw = tmp_path / "f.yaml"
    fw.write_text(TINY_YAML)
    data = tmp_path / "d.csv"
    data.write_text("unit,name,edition,population\nAAA,A,2025,1\n")
    big = yaml.safe_load(TINY_YAML)
    big["indicators"] += [{"code": f"extra{i}", "name": "x", "parent": "econ"} for i in range(10)]
    fw.write_text(yaml.safe_dump(big))
    assert main(["validate", str(fw), "--data", str(data)]) == 2
    err = capsys.readouterr().err
    assert "16 of the framework's 16 indicators have no column: is this the data file for 'Tiny test index'?" in err
    assert err.count("no column") == 1


# ---- import-coinr on a bad iMeta or iData (issue 11) ----------------------------------------------------------------

IMETA = """\
Level,iCode,iName,Direction,Weight,Unit,Target,Denominator,Parent,Type
1,x1,Indicator one,1,1,,,,P1,Indicator
1,x2,Indicator two,-1,1,,,,P1,Indicator
2,P1,Pillar,1,1,,,,Index,Aggregate
3,Index,The index,1,1,,,,,Aggregate
"""
IDATA = """\
uCode,uName,Time,x1,x2
AAA,Alpha,2020,1,2
BBB,Beta,2020,3,4
CCC,Gamma,2020,5,6
"""

# id, iMeta text, iData text, expected message, expected location, expected problem code
COINR_CASES = [
    ("text level", IMETA.replace("1,x2,", "one,x2,"), IDATA,
     "Level must be a whole number (1 for indicators", "line 3, column 'Level'", "invalid_value"),
    ("no rows", IMETA.splitlines()[0] + "\n", IDATA, "the iMeta table has a header but no rows", "", "no_data_rows"),
    ("n/a weight", IMETA.replace("1,x1,Indicator one,1,1,", "1,x1,Indicator one,1,n/a,"), IDATA,
     "'n/a' is not a number; leave the cell empty", "line 2, column 'Weight'", "not_a_number"),
    ("n/a target", IMETA.replace("-1,1,,,", "-1,1,,n/a,"), IDATA,
     "'n/a' is not a number", "line 3, column 'Target'", "not_a_number"),
    ("direction 2", IMETA.replace("-1,1,", "2,1,"), IDATA,
     "Direction must be 1 (higher is better) or -1", "line 3, column 'Direction'", "invalid_value"),
    ("unknown type", IMETA.replace(",Indicator\n1,x2", ",Indicatr\n1,x2"), IDATA,
     "unknown Type 'Indicatr'; iMeta's types are Indicator, Aggregate", "line 2, column 'Type'", "invalid_value"),
    ("n/a in iData", IMETA, IDATA.replace("3,4", "n/a,4"),
     "'n/a' is not a number (indicator 'x1'); leave the cell empty (or NA)", "line 3, column 'x1'",
     "not_a_number"),
    ("1_5 in iData", IMETA, IDATA.replace("5,6", "5,1_5"),
     "'1_5' is not a number (indicator 'x2')", "line 4, column 'x2'", "not_a_number"),
    ("no iData rows", IMETA, IDATA.splitlines()[0] + "\n", "the iData table has a header but no rows", "",
     "no_data_rows"),
]


@pytest.mark.parametrize("case", COINR_CASES, ids=[c[0] for c in COINR_CASES])
def test_bad_coinr_table_is_reported(case, tmp_path, capsys, monkeypatch):
    _, imeta, idata, message, location, reason = case
    (tmp_path / "iMeta.csv").write_text(imeta, encoding="utf-8")
    (tmp_path / "iData.csv").write_text(idata, encoding="utf-8")
    seen = cli_problems(["import-coinr", str(tmp_path / "iMeta.csv"), str(tmp_path / "iData.csv"), "--out",
                         str(tmp_path / "out")], monkeypatch)
    err = capsys.readouterr().err
    assert "Traceback" not in err and "internal error" not in err
    assert message in err and location in err, err
    assert {p.code for p in seen if message in p.problem} == {reason}, seen


def test_coinr_na_is_missing(tmp_path, capsys):
    """R's ``NA`` (what write.csv writes) is a missing value in number columns; a unit coded NA stays a unit."""
    (tmp_path / "iMeta.csv").write_text(IMETA.replace("-1,1,,,", "-1,NA,,NA,"), encoding="utf-8")
    (tmp_path / "iData.csv").write_text(IDATA.replace("CCC,Gamma", "NA,Namibia").replace("3,4", "NA,4"),
                                        encoding="utf-8")
    assert main(["import-coinr", str(tmp_path / "iMeta.csv"), str(tmp_path / "iData.csv"), "--out",
                 str(tmp_path / "out")]) == 0, capsys.readouterr().err
    data = (tmp_path / "out" / "data.csv").read_text(encoding="utf-8").splitlines()
    assert data[2] == "BBB,Beta,2020,,4" and data[3].startswith("NA,Namibia,")
    assert "iMeta.csv" in (tmp_path / "out" / "framework.yaml").read_text(encoding="utf-8")
    assert str(tmp_path) not in (tmp_path / "out" / "framework.yaml").read_text(encoding="utf-8")


# ---- quoting, YAML 1.2 numbers, formula-safe CSV, sheet names, privacy (issue 11) -------------------------------


def test_a_2mb_value_is_quoted_in_80_characters(tmp_path, capsys):
    args = _materialise(tmp_path, TINY_YAML, csv_edit("30000,70", BIG + ",70"))
    assert main([*args, "--problems", str(tmp_path / "problems.csv")]) == 2
    err = capsys.readouterr().err
    assert len(err) < 2_000 and "x" * 81 not in err
    assert "x" * 81 not in (tmp_path / "problems.csv").read_text(encoding="utf-8")


def test_yaml_with_too_many_values(tmp_path, capsys, monkeypatch):
    """The limit on values stops composing early (checked with a lower limit: 100,000 values take seconds)."""
    monkeypatch.setattr(oi_io, "MAX_YAML_NODES", 1_000)
    fw = tmp_path / "f.yaml"
    fw.write_text("many:\n" + "- 0\n" * 1_001 + TINY_YAML, encoding="utf-8")
    assert main(["validate", str(fw)]) == 2
    err = capsys.readouterr().err
    assert "the YAML document is made of more than 1,000 values" in err and "Traceback" not in err
    assert "yaml_too_complex" == cli_problems(["validate", str(fw)], monkeypatch)[0].code


def cli_problems(args: list[str], monkeypatch) -> list[Problem]:
    """The problems of a command that fails with bad input (whether or not it has --problems)."""
    seen: list[Problem] = []
    monkeypatch.setattr(cli, "_export_problems", lambda _args, exc: seen.extend(exc.problems))
    assert main(args) == 2
    return seen


def test_quote_value():
    assert quote_value("x" * 2_000_000) == "x" * 77 + "..."
    assert quote_value("a\x1b[31mb\nc") == "a\\x1b[31mb\\nc"  # a terminal escape is shown, never run
    assert quote_value(12.5) == "12.5" and quote_value("x" * 80) == "x" * 80
    assert Problem("f", "", "it is \x1b[2J", value="v" * 200, code="invalid_value").value == "v" * 77 + "..."
    assert "\x1b" not in str(Problem("f", "", "it is \x1b[2J", code="invalid_value"))


def test_yaml_reads_the_yaml_12_core_schema():
    assert load_yaml_text("[1_5, 1:30, 0b11, 017, 0o17, 0x1F, 1e5, -2.5, .inf, yes, true]") == [
        "1_5", "1:30", "0b11", 17, 15, 31, 100000.0, -2.5, float("inf"), "yes", True]
    assert load_yaml_text("'1_5'") == "1_5"


def test_quoted_yaml_11_number_is_text(tmp_path):
    fw = tmp_path / "f.yaml"
    fw.write_text(TINY_YAML.replace("name: Economy", "name: '1_5'"), encoding="utf-8")
    assert read_framework(fw).aggregates["econ"].name == "1_5"


def test_csv_outputs_are_formula_safe_and_read_back(tmp_path):
    frame = pd.DataFrame({"unit": ["=1+2", "-2", "@SUM(A1)", "'=x", "\tx", "ok", "-"],
                          "score": [-1.5, 2.0, -3e-7, 4.0, 5.0, 6.0, 7.0],
                          "=col": ["+1", "+x", "", "a", "b", "c", "d"]})
    path = write_csv(tmp_path / "t.csv", frame)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "unit,score,'=col"
    assert lines[1] == "'=1+2,-1.5,+1" and lines[2] == "-2,2.0,'+x" and lines[3].startswith("'@SUM(A1),-3e-07,")
    assert lines[4].startswith("''=x,") and lines[7] == "-,7.0,d"
    back = read_csv_frame(path)
    assert list(back.columns) == ["unit", "score", "=col"]
    assert back["unit"].tolist() == frame["unit"].tolist()
    assert back["score"].tolist() == frame["score"].tolist()  # negative numbers stay numbers
    table = read_table(path)
    assert table.frame["unit"].tolist() == frame["unit"].tolist() and list(table.frame.columns)[2] == "=col"


@pytest.mark.parametrize("text", ["=1+1", "-1+cmd|' /C calc'!A0", "+x", "@x", "\t=x", "\r=x", "'=x", "''-x", "-5",
                                  "+2e3", "-", "'", "plain", ""])
def test_formula_safe_round_trip(text):
    safe = formula_safe(text)
    assert formula_restored(safe) == text
    assert not (isinstance(safe, str) and len(safe) > 1 and safe.startswith(FORMULA_PREFIXES)) or safe in ("-5",
                                                                                                            "+2e3")


def test_problems_csv_is_formula_safe(tmp_path, capsys):
    args = _materialise(tmp_path, TINY_YAML, csv_edit("30000,70", "=HYPERLINK(\"http://x\"),70"))
    out = tmp_path / "problems.csv"
    assert main([*args, "--problems", str(out)]) == 2
    text = out.read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]["value"] == "'=HYPERLINK(\"http://x\")" and rows[0]["problem"].startswith("''=HYPERLINK(")
    assert not [c for r in rows for c in r.values() if len(c) > 1 and c.startswith(FORMULA_PREFIXES)]
    assert rows[0]["file"] == "data.csv" and str(tmp_path) not in text  # the file by its name only


def test_run_outputs_neutralise_formulas(tmp_path, capsys):
    fw, data = tmp_path / "f.yaml", tmp_path / "d.csv"
    fw.write_text(TINY_YAML, encoding="utf-8")
    data.write_text(TINY_CSV.replace("AAA,", "=1+2,").replace("BBB,", "-2,"), encoding="utf-8")
    assert main(["run", str(fw), str(data), "--out", str(tmp_path / "out"), "--no-report"]) == 0
    scores = (tmp_path / "out" / "scores.csv").read_text(encoding="utf-8")
    assert "\n'=1+2,INDEX," in scores and "\n-2,INDEX," in scores and "\n=1+2" not in scores
    assert set(read_csv_frame(tmp_path / "out" / "scores.csv")["unit"]) == {"=1+2", "-2", "CCC", "DDD", "EEE"}


def test_sheet_names_of_outputs_are_valid_and_unique(tmp_path, capsys):
    fw, data = tmp_path / "f.yaml", tmp_path / "d.csv"
    fw.write_text(TINY_YAML.replace("levels: [Indicator, Area, Index]", "levels: [Indicator, 'Area/Zone', 'I:*?']"),
                  encoding="utf-8")
    data.write_text(TINY_CSV, encoding="utf-8")
    assert main(["run", str(fw), str(data), "--out", str(tmp_path / "out")]) == 0, capsys.readouterr().err
    for book in ("stages.xlsx", "results.xlsx"):
        names = openpyxl.load_workbook(tmp_path / "out" / book, read_only=True).sheetnames
        assert "level_2_Area Zone" in names and "level_3_I" in names
    assert unique_sheet_names(["a/b", "a b", "A B", "x" * 40, "x" * 40 + "y", "'q'", "[]"]) == {
        "a/b": "a b", "a b": "a b (2)", "A B": "A B (3)", "x" * 40: "x" * 31, "x" * 40 + "y": "x" * 27 + " (2)",
        "'q'": "q", "[]": "Sheet"}


def test_xlsx_export_never_breaks_on_control_characters(tmp_path):
    path = write_workbook(tmp_path / "t.xlsx", {"a\x1bb": pd.DataFrame({"n\x00ame": ["Al\x1bpha", "=x"]})})
    ws = openpyxl.load_workbook(path).worksheets[0]
    assert ws.title == "a b" and ws["A1"].value == "n\ufffdame" and ws["A2"].value == "Al\ufffdpha"
    assert ws["A3"].value == "'=x"


def _run_everything(fw: str, data: str, out: Path) -> dict[str, bytes]:
    assert main(["run", fw, data, "--out", str(out / "run")]) == 0
    assert main(["uncertainty", fw, data, "--out", str(out / "unc"), "--runs", "8"]) == 0
    assert main(["report", fw, data, "--out", str(out / "rep"), "--uncertainty", str(out / "unc")]) == 0
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def test_outputs_are_the_same_from_any_folder(tmp_path, monkeypatch, capsys):
    """Outputs name input files by name and hash only: absolute or relative paths, any working folder, same bytes."""
    doc = yaml.safe_load(TINY_YAML)
    doc["uncertainty"] = {"factors": [{"name": "area weights", "weights": {"level": 2, "noise": 0.2}}]}
    here, there = tmp_path / "home" / "ana" / "work", tmp_path / "elsewhere"
    for folder in (here, there):
        folder.mkdir(parents=True)
    (here / "tiny.yaml").write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    (here / "tiny.csv").write_text(TINY_CSV, encoding="utf-8")
    monkeypatch.chdir(here)
    relative = _run_everything("tiny.yaml", "tiny.csv", Path("out"))
    monkeypatch.chdir(there)
    absolute = _run_everything(str(here / "tiny.yaml"), str(here / "tiny.csv"), there / "out")
    assert relative.keys() == absolute.keys() and "rep/report.html" in relative and "run/stages.xlsx" in relative
    assert [k for k in relative if relative[k] != absolute[k]] == []
    for name, content in absolute.items():
        assert str(tmp_path).encode() not in content, name
    capsys.readouterr()


def _filled_tiny(tmp_path: Path, answers: dict, evidence: dict) -> tuple[Path, Path, Path]:
    fw_path, data = tmp_path / "tiny.yaml", tmp_path / "tiny.csv"
    fw_path.write_text(TINY_YAML, encoding="utf-8")
    data.write_text(TINY_CSV, encoding="utf-8")
    wb = template_workbook(read_framework(fw_path))
    fill_cells(wb, answers, evidence=evidence, city={"unit": "ZZZ", "name": "Zed", "population": 90000,
                                                     "region": "North"})
    return fw_path, data, save_workbook(tmp_path / "filled.xlsx", wb)


TINY_ANSWERS = {"gdp": 31000, "jobs": 66, "firms": 10, "crime": 55, "trust": 6, "strategy": "Adopted"}


def test_self_assessment_evidence_over_the_limit_is_cut_with_a_warning(tmp_path, capsys):
    fw, data, filled = _filled_tiny(tmp_path, TINY_ANSWERS, {"gdp": "e" * 6_000, "jobs": "=HYPERLINK(\"x\")"})
    out, problems = tmp_path / "out", tmp_path / "problems.csv"
    assert main(["self-assess", str(fw), str(filled), "--network", str(data), "--out", str(out),
                 "--problems", str(problems)]) == 0, capsys.readouterr().err
    items = read_csv_frame(out / "completeness.csv").set_index("code")
    assert items.loc["gdp", "evidence"] == "e" * 4_999 + "\u2026"
    assert items.loc["jobs", "evidence"] == "=HYPERLINK(\"x\")"  # read back as written
    raw = {r["code"]: r for r in csv.DictReader((out / "completeness.csv").open(encoding="utf-8"))}
    assert raw["jobs"]["evidence"] == "'=HYPERLINK(\"x\")"  # as written to the file: no formula in a spreadsheet
    rows = [r for r in csv.DictReader(problems.open(encoding="utf-8")) if r["code"] == "text_too_long"]
    assert len(rows) == 1 and rows[0]["severity"] == "warning" and rows[0]["indicator"] == "gdp"
    assert "it is cut to the first 5,000" in rows[0]["problem"] and rows[0]["file"] == "filled.xlsx"
    assert "e" * 5_000 not in (out / "profile.html").read_text(encoding="utf-8")
    for name in ("profile.html", "manifest.json"):
        assert str(tmp_path) not in (out / name).read_text(encoding="utf-8"), name


def test_self_assessment_number_syntax_and_range(tmp_path, capsys, monkeypatch):
    fw, data, filled = _filled_tiny(tmp_path, {**TINY_ANSWERS, "gdp": "31_000", "jobs": 1e200}, {})
    found = cli_problems(["self-assess", str(fw), str(filled), "--network", str(data), "--out",
                          str(tmp_path / "out")], monkeypatch)
    err = capsys.readouterr().err
    assert "'31_000' is not a number (indicator 'gdp')" in err and "Traceback" not in err
    assert "1e+200 is beyond the largest magnitude openindex reads" in err
    assert {p.indicator: p.code for p in found if p.severity == "error"} == {"gdp": "not_a_number",
                                                                            "jobs": "number_out_of_range"}


# ---- the command line: outputs, flags and vague messages (issue 11) --------------------------------------------------

OC = (str(ROOT / "indicators" / "opencities.yaml"), str(ROOT / "datasets" / "demo_network.csv"))


def _prefilled(tmp: Path) -> Path:
    """The questionnaire of the tiny framework, prefilled with AAA's values."""
    assert main(["template", str(tmp / "f.yaml"), "--out", str(tmp / "q.xlsx"), "--unit", "AAA", "--network",
                 str(tmp / "d.csv")]) == 0
    return tmp / "q.xlsx"


def _tampered(tamper: Callable[[openpyxl.Workbook], None]) -> Callable[[Path], None]:
    def setup(tmp: Path) -> None:
        wb = openpyxl.load_workbook(_prefilled(tmp))
        tamper(wb)
        wb.save(tmp / "q.xlsx")
    return setup


def _del_sheet(name: str) -> Callable[[openpyxl.Workbook], None]:
    def tamper(wb: openpyxl.Workbook) -> None:
        del wb[name]
    return tamper


def _del_row(sheet: str, row: int) -> Callable[[openpyxl.Workbook], None]:
    def tamper(wb: openpyxl.Workbook) -> None:
        wb[sheet].delete_rows(row)
    return tamper


def _file(name: str, text: str = "x") -> Callable[[Path], None]:
    def setup(tmp: Path) -> None:
        (tmp / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp / name).write_text(text, encoding="utf-8")
    return setup


def _folder(name: str) -> Callable[[Path], None]:
    return lambda tmp: (tmp / name).mkdir()


GEO = ["--set", "build.aggregate.method=geometric"]
SELF = ["self-assess", "F", "T/q.xlsx", "--network", "D", "--out", "T/sa"]
FACTORS_FILE = _file("u.yaml", "runs: 20\nfactors:\n  - name: weights\n    weights: {level: 1, noise: 0.25}\n")

# id, arguments (F: the tiny framework, D: its data, T/: the test's folder), setup or None, expected message,
# exit code, problem code (None: the error is about a flag, not a Problem)
CLI_CASES = [
    ("--out ''", ["run", "F", "D", "--out", ""], None,
     "the name of the output folder is empty; name it (e.g. --out reports/demo)", 2, "invalid_value"),
    ("run --top -3", ["run", "F", "D", "--out", "T/o", "--top", "-3"], None, "--top must be at least 0; got -3", 2,
     None),
    ("--out naming a file", ["run", "F", "D", "--out", "T/f.yaml"], None,
     "f.yaml: is a file; the output is a folder: name a folder (it is created)", 2, "not_a_folder"),
    ("--out under a file", ["audit", "F", "D", "--out", "T/f.yaml/x"], None,
     "'f.yaml' is a file, so it cannot hold 'x'; choose another path", 2, "not_a_folder"),
    ("read-only --out", ["run", "F", "D", "--out", "T/ro"], _folder("ro"),
     "the folder is read-only (permission denied); make it writable or choose another --out", 2, "not_writable"),
    ("a folder of the user's files", ["whatif", "F", "D", "--unit", "AAA", "--out", "T/mine"],
     _file("mine/notes.txt"), "holds 1 file(s) or folder(s) that no earlier openindex output lists: notes.txt", 2,
     "foreign_files"),
    ("a folder where a workbook is expected", ["template", "F", "--out", "T/"], None,
     "is a folder; the questionnaire workbook is a file: name the file", 2, "not_a_file"),
    ("a folder where the problem list is expected", ["validate", "F", "--data", "D", "--problems", "T/"], None,
     "is a folder; the problem list is a file", 2, "not_a_file"),
    ("a workbook output named .csv", ["template", "F", "--out", "T/q.csv"], None,
     "the questionnaire workbook is written as .xlsx; name it so (e.g. q.xlsx)", 2, "unsupported_file_type"),
    ("--set an index that does not exist", ["run", "F", "D", "--out", "T/o", "--set", "indicators.99.weight=2"],
     None, "'indicators' has 6 entries, at positions 0 to 5; position 99 is not one of them. Name the entry by its "
     "code instead, e.g. indicators.gdp.weight", 2, "invalid_setting"),
    ("--set a code that does not exist", ["run", "F", "D", "--out", "T/o", "--set", "indicators.gpd.weight=2"],
     None, "no entry of 'indicators' has the code 'gpd'. Did you mean 'gdp'? The codes are: gdp, jobs, firms", 2,
     "invalid_setting"),
    ("uncertainty --runs 1000000000000",
     ["uncertainty", "F", "D", "--out", "T/u", "--factors", "T/u.yaml", "--runs", "1000000000000"], FACTORS_FILE,
     "1,000,000,000,000 replications of 5 units would need about 184.0 TB of memory, and this machine has", 2, None),
    ("uncertainty --seed -1", ["uncertainty", "F", "D", "--out", "T/u", "--factors", "T/u.yaml", "--seed", "-1"],
     FACTORS_FILE, "--seed must be at least 0; got -1", 2, None),
    ("validate --problems under a file", ["validate", "F", "--data", "D", "--problems", "T/f.yaml/p.csv"], None,
     "'f.yaml' is a file, so it cannot hold 'p.csv'; choose another path", 2, "not_a_folder"),
    ("report --lang that does not exist", ["report", "F", "D", "--out", "T/r", "--lang", "fre"], None,
     "must be one of en, fr, de, it, es. Got 'fre' instead. Did you mean 'fr'?", 2, None),
    ("template --lang that does not exist", ["template", "F", "--out", "T/q.xlsx", "--lang", "fre"], None,
     "--lang must be one of en, fr, de, it, es; got 'fre'. Did you mean 'fr'?", 2, None),
    ("report --peer-group that does not exist", ["report", OC[0], OC[1], "--out", "T/r", "--peer-group", "sise"],
     None, "unknown peer group 'sise'. Did you mean 'size'? The framework defines: size", 2, None),
    ("whatif --unit that does not exist", ["whatif", "F", "D", "--unit", "AAB", "--out", "T/w"], None,
     "unit 'AAB' was not scored in edition 2025. Did you mean 'AAA'? The units scored are: AAA, BBB, CCC, DDD, EEE",
     2, None),
    ("--uncertainty names a missing folder", ["report", "F", "D", "--out", "T/r", "--uncertainty", "T/nowhere"], None,
     "folder not found; --uncertainty takes the output folder of `openindex uncertainty` (run it first", 2,
     "file_not_found"),
    ("geometric mean over zeros: the count and the first 5 cases", ["run", "F", "D", "--out", "T/o", *GEO], None,
     "geometric mean of a zero or negative value in 6 cases; children: gdp, jobs, firms, crime, trust and 1 more; "
     "units: Gamma, Delta; the first 5 cases: Gamma (firms), Gamma (strategy), Delta (gdp), Delta (jobs), "
     "Delta (crime). Fix: --set build.normalise.params.low=1", 2, None),
    ("geometric mean over zeros of the default framework", ["run", OC[0], OC[1], "--out", "T/o", *GEO], None,
     "aggregate method 'geometric' for 11 nodes (international_presence, international_flows, international_events, "
     "infrastructure_connectivity, education_talent and 6 more): geometric mean of a zero or negative value in ", 2,
     None),
    ("deleted area sheet", SELF, _tampered(_del_sheet("Economy")),
     "Rename the sheet back to 'Economy' if it was renamed; if it was deleted, make a fresh template (`openindex "
     "template FRAMEWORK --out blank.xlsx`), copy its sheet into this workbook and fill in the answers", 2,
     "missing_sheet"),
    ("deleted row", SELF, _tampered(_del_row("Economy", 6)),
     "the row of item 'jobs' (Employment rate) is missing: deleted, or its code changed. Restore it: put the code "
     "'jobs' back in column A of its row (row 6 in the template)", 2, "missing_row"),
    ("deleted city sheet", SELF, _tampered(_del_sheet("City")),
     "is missing; its values are needed for peer groups and denominators. Make a fresh template (`openindex template "
     "FRAMEWORK --out blank.xlsx`), copy its sheet 'City' into this workbook and fill it in", 2, "missing_sheet"),
]


def _args(args: list[str], tmp: Path) -> list[str]:
    named = {"F": str(tmp / "f.yaml"), "D": str(tmp / "d.csv"), "T/": str(tmp) + os.sep}
    return [named.get(a) or (str(tmp / a[2:]) if a.startswith("T/") else a) for a in args]


@pytest.mark.parametrize("case", CLI_CASES, ids=[c[0] for c in CLI_CASES])
def test_cli_edge_case_is_one_clear_message(case, tmp_path, capsys, monkeypatch):
    _, args, setup, message, exit_code, reason = case
    (tmp_path / "f.yaml").write_text(TINY_YAML, encoding="utf-8")
    (tmp_path / "d.csv").write_text(TINY_CSV, encoding="utf-8")
    if setup is not None:
        setup(tmp_path)
    if "ro" in args[-1:] or "T/ro" in args:  # a read-only folder, also when the tests run as root
        real = os.access
        monkeypatch.setattr(os, "access", lambda p, mode, **kw: not str(p).endswith("ro") and real(p, mode, **kw))
    seen: list[Problem] = []
    monkeypatch.setattr(cli, "_export_problems", lambda _args, exc: seen.extend(exc.problems))
    capsys.readouterr()
    code = main(_args(args, tmp_path))
    err = capsys.readouterr().err
    assert code == exit_code, err
    assert "Traceback" not in err and "internal error" not in err, err
    assert message in err, err
    assert len(err) < 1_500, err  # one clear message, never a list of every city
    if reason is not None:
        assert {p.code for p in seen if message.split(": ")[-1][:40] in str(p)} == {reason}, seen
    assert not (tmp_path / "o").exists() and not (tmp_path / "r").exists()  # nothing written


def test_set_accepts_codes_where_an_index_is_expected(tmp_path, capsys):
    (tmp_path / "f.yaml").write_text(TINY_YAML, encoding="utf-8")
    (tmp_path / "d.csv").write_text(TINY_CSV, encoding="utf-8")
    for key in ("indicators.gdp.weight", "indicators.0.weight"):
        out = tmp_path / key
        assert main(["run", str(tmp_path / "f.yaml"), str(tmp_path / "d.csv"), "--out", str(out), "--no-report",
                     "--set", f"{key}=3"]) == 0
        weights = pd.read_excel(out / "stages.xlsx", sheet_name="weights")
        assert weights.loc[weights["code"] == "gdp", "nominal"].item() == 3, weights


def test_no_command_prints_the_usage_and_the_commands(capsys):
    assert main([]) == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: openindex") and "validate" in err and "self-assess" in err
    assert "error: name a command, e.g. `openindex run FRAMEWORK DATA --out FOLDER`" in err


def test_a_flag_argparse_refuses_exits_2(capsys):
    assert main(["run", "--top", "many"]) == 2
    assert "argument --top: invalid int value: 'many'" in capsys.readouterr().err


def test_a_reader_that_goes_away_ends_the_command_quietly(tmp_path):
    """`openindex validate ... | head`: the pipe closes early; no BrokenPipeError, no message, exit 141."""
    (tmp_path / "f.yaml").write_text(TINY_YAML, encoding="utf-8")
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before anything is written
    proc = subprocess.run([sys.executable, "-m", "openindex", "methods"], stdout=write_end,
                          stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    os.close(write_end)
    assert proc.returncode == 141 and proc.stderr == ""
    shell = subprocess.run(f"'{sys.executable}' -m openindex validate f.yaml | head -c 1", shell=True,
                           capture_output=True, text=True, cwd=tmp_path)
    assert shell.returncode == 0 and shell.stdout == "f" and "Error" not in shell.stderr


def test_memory_is_estimated_before_anything_is_allocated(tiny_paths):
    from openindex.workflows.analysis import check_memory

    fw = read_framework(tiny_paths[0])
    ds = read_dataset(str(tiny_paths[1]), fw)
    check_memory(fw, ds, 1_000, 3, available=10**9)  # fits
    with pytest.raises(OpenIndexError, match=r"use at most about [0-9,]+ --runs"):
        check_memory(fw, ds, 10**8, 3, available=10**9)
