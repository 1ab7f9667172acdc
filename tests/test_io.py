"""File IO: YAML loading, Excel output safety and determinism, data sidecars."""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest

from openindex import FrameworkError
from openindex.io import excel_safe, load_yaml_text, read_data_meta, read_yaml, write_workbook


def test_yaml_booleans_follow_yaml_1_2():
    assert load_yaml_text("[on, off, yes, no, y, n, true, False]") == ["on", "off", "yes", "no", "y", "n", True, False]
    assert load_yaml_text("on: [a]") == {"on": ["a"]}


def test_yaml_refuses_python_objects(tmp_path):
    path = tmp_path / "evil.yaml"
    path.write_text("name: !!python/object/apply:os.system ['echo hacked']\n")
    with pytest.raises(FrameworkError, match="not valid YAML"):
        read_yaml(path)


@pytest.mark.parametrize("text", ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx", "=HYPERLINK(\"http://x\")"])
def test_excel_safe_neutralises_formulas(text):
    assert excel_safe(text) == "'" + text
    assert excel_safe("Avelmoor") == "Avelmoor" and excel_safe(-2.5) == -2.5


def test_workbook_cells_from_data_never_become_formulas(tmp_path):
    frame = pd.DataFrame({"name": ["=cmd|' /C calc'!A0", "Brisk Harbour"], "score": [-1.5, 2.0]})
    path = write_workbook(tmp_path / "x.xlsx", {"data": frame})
    ws = openpyxl.load_workbook(path)["data"]
    assert ws["A2"].value == "'=cmd|' /C calc'!A0" and ws["A2"].data_type == "s"
    assert ws["B2"].value == -1.5  # numbers stay numbers


def test_workbook_is_byte_identical(tmp_path):
    frame = pd.DataFrame({"a": [1.0, 2.0], "b": ["x", "y"]})
    one = write_workbook(tmp_path / "1.xlsx", {"s": frame}).read_bytes()
    two = write_workbook(tmp_path / "2.xlsx", {"s": frame}).read_bytes()
    assert one == two


def test_data_sidecar(tmp_path):
    (tmp_path / "d.csv").write_text("unit\n")
    assert read_data_meta(tmp_path / "d.csv") == {}
    (tmp_path / "d.meta.yaml").write_text("notice: Synthetic demonstration data\nsynthetic: true\n")
    assert read_data_meta(tmp_path / "d.csv") == {"notice": "Synthetic demonstration data", "synthetic": True}
