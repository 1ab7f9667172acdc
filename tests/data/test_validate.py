"""Data intake: layouts and formats give the same dataset; editions; warnings."""

from __future__ import annotations

import numpy as np
import openpyxl
import pandas as pd
import pytest

from openindex import read_dataset, read_framework
from openindex.data.validate import detect_layout
from tests.conftest import TINY_CSV


def test_wide_csv(tiny_paths):
    fw = read_framework(tiny_paths[0])
    ds = read_dataset(str(tiny_paths[1]), fw)
    assert ds.unit_codes == ("AAA", "BBB", "CCC", "DDD", "EEE")
    assert ds.unit_names[0] == "Alpha" and ds.editions == (2025,)
    np.testing.assert_array_equal(ds.column("gdp"), [30000, 25000, 40000, 20000, 35000])
    assert np.isnan(ds.column("jobs")[4])
    # questionnaire answers become their points; the answer codes are kept
    np.testing.assert_array_equal(ds.column("strategy"), [100, 50, 0, 50, 100])
    assert ds.answers["strategy"].tolist() == ["adopted", "draft", "none", "draft", "adopted"]
    assert ds.units["population"].dtype == float and ds.units["region"].tolist()[0] == "North"
    assert len(ds.sha256) == 64
    with pytest.raises(ValueError):
        ds.values[0, 0] = 1.0  # immutable


def _long_from_wide(text: str) -> str:
    rows = [r.split(",") for r in text.splitlines()]
    head, body = rows[0], rows[1:]
    out = ["unit,indicator,value,edition,name"]
    for r in body:
        for k, v in zip(head[3:], r[3:], strict=True):
            if v != "":
                out.append(f"{r[0]},{k},{v},{r[2]},{r[1]}")
    return "\n".join(out) + "\n"


def test_long_layout_equals_wide(tiny_paths, tmp_path):
    fw = read_framework(tiny_paths[0])
    wide = read_dataset(str(tiny_paths[1]), fw)
    path = tmp_path / "long.csv"
    path.write_text(_long_from_wide(TINY_CSV))
    long = read_dataset(str(path), fw)
    assert detect_layout(["unit", "indicator", "value"]) == "long"
    np.testing.assert_array_equal(long.values, wide.values)
    assert long.unit_names == wide.unit_names
    np.testing.assert_array_equal(long.units["population"], wide.units["population"])


def test_excel_and_parquet_equal_csv(tiny_paths, tmp_path):
    fw = read_framework(tiny_paths[0])
    wide = read_dataset(str(tiny_paths[1]), fw)
    frame = pd.read_csv(tiny_paths[1])
    xlsx = tmp_path / "data.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "data"
    ws.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        ws.append([None if (isinstance(v, float) and np.isnan(v)) else v for v in row])
    wb.save(xlsx)
    pq = tmp_path / "data.parquet"
    frame.to_parquet(pq)
    for path in (xlsx, pq):
        ds = read_dataset(str(path), fw)
        np.testing.assert_array_equal(ds.values, wide.values)
        assert ds.unit_codes == wide.unit_codes


def test_several_editions(tiny_paths, tmp_path):
    fw = read_framework(tiny_paths[0])
    lines = TINY_CSV.splitlines()
    older = [r.replace(",2025,", ",2024,") for r in lines[1:4]]
    older[0] = older[0].replace("30000", "29000")
    path = tmp_path / "two.csv"
    path.write_text("\n".join([lines[0], *older, *lines[1:]]) + "\n")
    ds = read_dataset(str(path), fw)
    assert ds.editions == (2024, 2025)
    assert ds.for_edition(2024).n_units == 3 and ds.for_edition().n_units == 5
    prev = ds.previous_values(2025)
    assert prev[0, 0] == 29000 and np.isnan(prev[3, 0])  # DDD has no 2024 row


def test_edition_warning_not_error(tiny_paths, tmp_path):
    fw = read_framework(tiny_paths[0])
    lines = TINY_CSV.splitlines()
    older = [r.replace(",2025,", ",2024,").rsplit(",", 1)[0] + "," for r in lines[1:4]]
    path = tmp_path / "two.csv"
    path.write_text("\n".join([lines[0], *older, *lines[1:]]) + "\n")
    ds = read_dataset(str(path), fw)
    assert [w.problem for w in ds.warnings] == [
        "indicator 'strategy' has no data in edition 2024; it will be left out of that edition's index"]
    assert [(w.code, w.severity) for w in ds.warnings] == [("empty_indicator", "warning")]


def test_indicator_without_data_is_a_warning(tiny_paths, tmp_path):
    fw = read_framework(tiny_paths[0])
    lines = TINY_CSV.splitlines()
    path = tmp_path / "no_strategy.csv"
    path.write_text("\n".join([lines[0], *[r.rsplit(",", 1)[0] + "," for r in lines[1:]]]) + "\n")
    ds = read_dataset(str(path), fw)
    assert [w.problem for w in ds.warnings] == [
        "indicator 'strategy' has no data at all; it will be left out of the index (collect it, or remove it "
        "from the framework)"]
    assert [w.code for w in ds.warnings] == ["empty_indicator"]


def test_long_layout_may_leave_out_rows(tiny_paths, tmp_path):
    """In a long file a missing value is simply an absent row; an indicator with no row is a warning."""
    fw = read_framework(tiny_paths[0])
    path = tmp_path / "long.csv"
    path.write_text("unit,indicator,value\nAAA,gdp,1\nAAA,strategy,draft\nBBB,gdp,2\n")
    ds = read_dataset(str(path), fw)
    assert ds.unit_codes == ("AAA", "BBB") and np.isnan(ds.column("jobs")).all()
    assert ds.column("strategy")[0] == 50 and np.isnan(ds.column("strategy")[1])
    assert {w.indicator for w in ds.warnings} == {"jobs", "firms", "crime", "trust"}
