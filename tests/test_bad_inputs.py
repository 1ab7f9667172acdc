"""One table of broken frameworks and data files, each with the message and the problem code it must produce.

Every case runs through the CLI (`openindex validate FRAMEWORK --data DATA --problems FILE`), must
exit with code 2, print no traceback, print the pinned message and location, and write a
failure-case table in which the pinned message has the pinned problem code and every problem
has a code from :class:`~openindex.errors.ProblemCode`.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
import yaml

from openindex.cli import main
from openindex.errors import ProblemCode
from tests.conftest import TINY_CSV, TINY_YAML


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


def _cycle(doc):
    doc["aggregates"].append({"code": "loop_a", "name": "A", "parent": "loop_b"})
    doc["aggregates"].append({"code": "loop_b", "name": "B", "parent": "loop_a"})


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
    ("indicator above the bottom", fw_edit(_set("indicators.0.parent", "INDEX")), None,
     "'gdp' sits 2 levels deep but `levels` declares 3", "indicators[0].parent", "wrong_depth"),
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
    if data_src == "json":
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
