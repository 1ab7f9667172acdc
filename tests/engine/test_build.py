"""The pipeline against hand-computed values (golden test) and its conventions.

Tiny framework: 5 units (A..E), 6 indicators, 2 areas, 1 theme (the root).
Every expected number below is worked out by hand from the raw data in the comments.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from openindex import MethodError, parse_framework
from openindex.data.dataset import Dataset
from openindex.engine import build, rebuild

RAW = np.array([
    # x1(+)  x2(-)  x3(+)  x4(+)  x5(-)  x6(+)
    [1.0,    50.0,  3.0,   0.2,   30.0,  5.0],   # A
    [2.0,    40.0,  9.0,   0.5,   10.0,  5.0],   # B
    [4.0,    30.0,  6.0,   0.4,   20.0,  8.0],   # C
    [7.0,    20.0,  6.0,   0.9,   50.0,  2.0],   # D
    [11.0,   10.0,  1.0,   0.1,   40.0,  10.0],  # E
])


def golden_framework(normalise: dict, aggregate: str = "arithmetic") -> object:
    ind = [
        {"code": "x1", "name": "x1", "parent": "a1", "goalposts": [0, 12]},
        {"code": "x2", "name": "x2", "parent": "a1", "direction": -1, "goalposts": [0, 60]},
        {"code": "x3", "name": "x3", "parent": "a1", "goalposts": [0, 10]},
        {"code": "x4", "name": "x4", "parent": "a2", "goalposts": [0, 1]},
        {"code": "x5", "name": "x5", "parent": "a2", "direction": -1, "goalposts": [0, 60]},
        {"code": "x6", "name": "x6", "parent": "a2", "goalposts": [0, 10]},
    ]
    return parse_framework({
        "name": "Golden", "levels": ["Indicator", "Area", "Theme"],
        "aggregates": [{"code": "T", "name": "Theme"}, {"code": "a1", "name": "Area 1", "parent": "T"},
                       {"code": "a2", "name": "Area 2", "parent": "T"}],
        "indicators": ind,
        "build": {"normalise": normalise, "aggregate": {"method": aggregate}},
    })


def golden_dataset(raw: np.ndarray = RAW) -> Dataset:
    units = pd.DataFrame({"unit": list("ABCDE"), "name": list("ABCDE"), "edition": 2025})
    return Dataset(units=units, values=raw, indicators=("x1", "x2", "x3", "x4", "x5", "x6"))


# ---- normalised values, by hand ------------------------------------------------------
# min-max [0, 100]: (x - min) / (max - min) * 100; a -1 indicator: (max - x) / (max - min) * 100
MINMAX = np.array([
    # x1: min 1, range 10   x2: max 50, range 40   x3: min 1, range 8
    # x4: min .1, range .8  x5: max 50, range 40   x6: min 2, range 8
    [0.0,   0.0,   25.0,  12.5,  50.0,  37.5],
    [10.0,  25.0,  100.0, 50.0,  100.0, 37.5],
    [30.0,  50.0,  62.5,  37.5,  75.0,  75.0],
    [60.0,  75.0,  62.5,  100.0, 0.0,   0.0],
    [100.0, 100.0, 0.0,   0.0,   25.0,  100.0],
])
# z-scores with the sample sd (n - 1 = 4); -1 indicators are negated first
ZSCORE = np.column_stack([
    np.array([-4, -3, -1, 2, 6]) / np.sqrt(66 / 4),              # x1: mean 5, squares sum 66
    np.array([-20, -10, 0, 10, 20]) / np.sqrt(1000 / 4),         # -x2: mean -30, squares sum 1000
    np.array([-2, 4, 1, 1, -4]) / np.sqrt(38 / 4),               # x3: mean 5, squares sum 38
    np.array([-0.22, 0.08, -0.02, 0.48, -0.32]) / np.sqrt(0.388 / 4),  # x4: mean .42
    np.array([0, 20, 10, -20, -10]) / np.sqrt(1000 / 4),         # -x5: mean -30
    np.array([-1, -1, 2, -4, 4]) / np.sqrt(38 / 4),              # x6: mean 6, squares sum 38
])
# ranks, 1 = lowest, ties take the minimum rank
RANK = np.array([
    [1, 1, 2, 2, 3, 2],
    [2, 2, 5, 4, 5, 2],
    [3, 3, 3, 3, 4, 4],
    [4, 4, 3, 5, 1, 1],
    [5, 5, 1, 1, 2, 5],
], dtype=float)
# goalposts, scale 100: (x - lo) / (hi - lo) * 100; -1 indicators (hi - x) / (hi - lo) * 100
GOALPOSTS = np.column_stack([
    np.array([1, 2, 4, 7, 11]) / 12 * 100,
    (60 - np.array([50, 40, 30, 20, 10])) / 60 * 100,
    np.array([3, 9, 6, 6, 1]) / 10 * 100,
    np.array([0.2, 0.5, 0.4, 0.9, 0.1]) * 100,
    (60 - np.array([30, 10, 20, 50, 40])) / 60 * 100,
    np.array([5, 5, 8, 2, 10]) / 10 * 100,
])

NORMALISERS = {
    "minmax": ({"method": "minmax"}, MINMAX),
    "minmax_1_100": ({"method": "minmax", "params": {"low": 1, "high": 100}}, 1 + MINMAX / 100 * 99),
    "zscore": ({"method": "zscore"}, ZSCORE),
    "rank": ({"method": "rank"}, RANK),
    "goalposts": ({"method": "goalposts"}, GOALPOSTS),
}


def arithmetic_by_hand(n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    a1 = (n[:, 0] + n[:, 1] + n[:, 2]) / 3
    a2 = (n[:, 3] + n[:, 4] + n[:, 5]) / 3
    return np.column_stack([a1, a2]), ((a1 + a2) / 2)[:, None]


def geometric_by_hand(n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    a1 = np.cbrt(n[:, 0] * n[:, 1] * n[:, 2])
    a2 = np.cbrt(n[:, 3] * n[:, 4] * n[:, 5])
    return np.column_stack([a1, a2]), np.sqrt(a1 * a2)[:, None]


def ranks_by_hand(scores: np.ndarray) -> np.ndarray:
    """1 = best; ties share the minimum rank."""
    return np.array([[1 + np.sum(col > v) for v in col] for col in scores.T]).T.astype(float)


@pytest.mark.parametrize("norm", ["minmax", "zscore", "rank", "goalposts"])
def test_golden_arithmetic(norm):
    spec, expected = NORMALISERS[norm]
    result = build(golden_framework(spec), golden_dataset())
    np.testing.assert_allclose(result.stages["raw"], RAW)
    np.testing.assert_allclose(result.stages["normalised"], expected, rtol=1e-12, atol=1e-12)
    areas, theme = arithmetic_by_hand(expected)
    np.testing.assert_allclose(result.scores[1], areas, rtol=1e-12)
    np.testing.assert_allclose(result.scores[2], theme, rtol=1e-12)
    np.testing.assert_array_equal(result.ranks[2], ranks_by_hand(theme))
    np.testing.assert_array_equal(result.ranks[1], ranks_by_hand(areas))


@pytest.mark.parametrize("norm", ["minmax_1_100", "rank", "goalposts"])
def test_golden_geometric(norm):
    spec, expected = NORMALISERS[norm]
    result = build(golden_framework(spec, "geometric"), golden_dataset())
    np.testing.assert_allclose(result.stages["normalised"], expected, rtol=1e-12)
    areas, theme = geometric_by_hand(expected)
    np.testing.assert_allclose(result.scores[1], areas, rtol=1e-12)
    np.testing.assert_allclose(result.scores[2], theme, rtol=1e-12)
    np.testing.assert_array_equal(result.ranks[2], ranks_by_hand(theme))


@pytest.mark.parametrize("norm", ["minmax", "zscore"])
def test_golden_geometric_refuses_zero_or_negative(norm):
    """Min-max gives 0 to the worst unit and z-scores are negative: a geometric mean is undefined."""
    spec, _ = NORMALISERS[norm]
    with pytest.raises(MethodError, match=r"aggregate method 'geometric' for a1, a2: .*units: A"):
        build(golden_framework(spec, "geometric"), golden_dataset())


def test_hand_computed_index_values():
    """Spot check of the arithmetic/min-max index written out in full."""
    result = build(golden_framework({"method": "minmax"}), golden_dataset())
    # A: a1 = (0 + 0 + 25) / 3, a2 = (12.5 + 50 + 37.5) / 3 -> T = (25/3 + 100/3) / 2 = 125/6
    assert result.index()["A"] == pytest.approx(125 / 6, rel=1e-14)
    # B: a1 = 135/3 = 45, a2 = 187.5/3 = 62.5 -> T = 53.75
    assert result.index()["B"] == pytest.approx(53.75, rel=1e-14)


def test_missing_child_drops_and_rescales_weights():
    raw = RAW.copy()
    raw[0, 2] = np.nan  # A has no x3
    result = build(golden_framework({"method": "minmax"}), golden_dataset(raw))
    n = result.stages["normalised"]
    assert np.isnan(n[0, 2])
    # x3 min-max without A: min 1, max 9 (unchanged); A's a1 = mean of x1 and x2 only = (0 + 0) / 2
    assert result.scores[1][0, 0] == 0.0
    # with min_share 0.5: 2 of 3 children present is enough, a1 = (0 + 0) / 2 again
    assert rebuild(result, aggregate={"min_share": 0.5}).scores[1][0, 0] == 0.0
    # with min_share 0.7 (2/3 < 0.7) A's a1 is missing; then the theme has 1 of 2 children (0.5 < 0.7): missing
    r2 = rebuild(result, aggregate={"min_share": 0.7})
    assert np.isnan(r2.scores[1][0, 0]) and np.isnan(r2.scores[2][0, 0]) and np.isnan(r2.ranks[2][0, 0])
    assert r2.scores[1][0, 1] == pytest.approx((12.5 + 50 + 37.5) / 3)


def test_weights_are_normalised_within_nodes():
    fw = golden_framework({"method": "minmax"})
    data = fw.to_dict()
    data["indicators"][0]["weight"] = 2  # x1 counts double in a1
    data["aggregates"][1]["weight"] = 3  # a1 counts three times a2
    result = build(parse_framework(data), golden_dataset())
    n = MINMAX
    a1 = (2 * n[:, 0] + n[:, 1] + n[:, 2]) / 4
    a2 = (n[:, 3] + n[:, 4] + n[:, 5]) / 3
    np.testing.assert_allclose(result.scores[2][:, 0], (3 * a1 + a2) / 4, rtol=1e-12)
    w = result.weight_table().set_index("code")
    assert w.loc["x1", "normalised"] == 0.5 and w.loc["a1", "normalised"] == 0.75
    assert w.loc["x1", "effective"] == pytest.approx(0.375) and w.loc["x4", "effective"] == pytest.approx(0.25 / 3)
    assert w.loc["x1", "nominal"] == 2


def test_per_indicator_override_and_level_override():
    fw = golden_framework({"method": "minmax", "overrides": {"x4": {"method": "goalposts"}}})
    data = fw.to_dict()
    data["build"]["aggregate"] = {"method": "arithmetic", "levels": {"Theme": {"method": "geometric"}}}
    result = build(parse_framework(data), golden_dataset())
    expected = MINMAX.copy()
    expected[:, 3] = GOALPOSTS[:, 3]
    np.testing.assert_allclose(result.stages["normalised"], expected)
    areas, _ = arithmetic_by_hand(expected)
    np.testing.assert_allclose(result.scores[2][:, 0], np.sqrt(areas[:, 0] * areas[:, 1]))
    assert result.methods.normalise["x4"].method == "goalposts"
    assert result.methods.aggregate["T"].method == "geometric"


def test_constant_indicator_minmax_is_an_error_naming_it():
    raw = RAW.copy()
    raw[:, 5] = 7.0
    with pytest.raises(MethodError, match=r"constant .*indicator: x6"):
        build(golden_framework({"method": "minmax"}), golden_dataset(raw))


def test_screening_lists_excluded_units():
    raw = RAW.copy()
    raw[4, :4] = np.nan  # E has 2 of 6
    fw = golden_framework({"method": "minmax"})
    result = build(parse_framework({**fw.to_dict(), "build": {"screen": {"min_coverage": 0.5}}}), golden_dataset(raw))
    assert result.units == ("A", "B", "C", "D")
    assert result.excluded["unit"].tolist() == ["E"]
    assert "coverage 33% is below build.screen.min_coverage = 50%" in result.excluded["reason"].iloc[0]


def test_imputed_cells_are_flagged_to_the_end():
    raw = RAW.copy()
    raw[1, 0] = np.nan
    fw = golden_framework({"method": "minmax"})
    result = build(parse_framework({**fw.to_dict(), "build": {"impute": {"method": "mean"}}}), golden_dataset(raw))
    # mean of x1 over A, C, D, E = (1 + 4 + 7 + 11) / 4 = 5.75
    assert result.stages["imputed"][1, 0] == 5.75
    assert result.imputed[1, 0] and result.imputed.sum() == 1
    flags = result.flags()
    assert flags.to_dict("records") == [{"unit": "B", "indicator": "x1", "flag": "imputed"}]


def test_rebuild_changes_one_choice():
    result = build(golden_framework({"method": "minmax"}), golden_dataset())
    again = rebuild(result, normalise="rank")
    np.testing.assert_array_equal(again.stages["normalised"], RANK)
    assert result.framework.build.normalise.method == "minmax"


def test_score_frame_layout():
    result = build(golden_framework({"method": "minmax"}), golden_dataset())
    frame = result.score_frame()
    assert list(frame.columns) == ["unit", "code", "level", "score", "rank"]
    assert len(frame) == 5 * (1 + 2 + 6)
    assert frame.iloc[0].to_dict() == {"unit": "A", "code": "T", "level": 3, "score": pytest.approx(125 / 6),
                                       "rank": 5}
    assert set(frame.loc[frame.level == 1, "code"]) == {"x1", "x2", "x3", "x4", "x5", "x6"}


# ---- hypothesis: monotonicity of the whole build --------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_values = st.lists(st.floats(1.0, 1000.0, allow_nan=False), min_size=30, max_size=30)


@settings(max_examples=60, deadline=None)
@given(values=_values, unit=st.integers(0, 4), ind=st.integers(0, 5), bump=st.floats(0.01, 500.0),
       agg=st.sampled_from(["arithmetic", "geometric"]))
def test_raising_an_indicator_moves_the_index_its_way(values, unit, ind, bump, agg):
    """+1 indicator up -> index not lower; -1 indicator up -> index not higher (other units fixed)."""
    raw = np.array(values).reshape(5, 6)
    raw = raw + np.arange(5)[:, None] * 1e-3  # no constant column (min-max would refuse it)
    norm = {"method": "minmax", "params": {"low": 1, "high": 100}} if agg == "geometric" else {"method": "minmax"}
    fw = golden_framework(norm, agg)
    before = build(fw, golden_dataset(raw)).index().iloc[unit]
    raised = raw.copy()
    raised[unit, ind] += bump
    after = build(fw, golden_dataset(raised)).index().iloc[unit]
    direction = fw.indicators[fw.indicator_codes[ind]].direction
    tol = 1e-9 * max(abs(before), 1.0)
    if direction > 0:
        assert after >= before - tol
    else:
        assert after <= before + tol


@settings(max_examples=40, deadline=None)
@given(values=_values, scale=st.floats(0.1, 50.0), shift=st.floats(-100.0, 100.0))
def test_minmax_index_unchanged_by_positive_affine_transform_of_raw_data(values, scale, shift):
    """Min-max is invariant to x -> a x + b (a > 0), so the whole index is too."""
    raw = np.array(values).reshape(5, 6) + np.arange(5)[:, None] * 1e-2
    fw = golden_framework({"method": "minmax"})
    base = build(fw, golden_dataset(raw)).index().to_numpy()
    moved = build(fw, golden_dataset(raw * scale + shift)).index().to_numpy()
    np.testing.assert_allclose(moved, base, rtol=1e-9, atol=1e-9)


def test_carry_forward_uses_the_previous_edition_denominated():
    fw = parse_framework({
        "name": "cf", "levels": ["Indicator", "Index"],
        "attributes": [{"code": "pop", "kind": "numeric"}],
        "aggregates": [{"code": "I", "name": "I"}],
        "indicators": [{"code": "a", "name": "a", "parent": "I", "denominator": "pop"},
                       {"code": "b", "name": "b", "parent": "I"}],
        "build": {"impute": {"method": "carry_forward"}},
    })
    units = pd.DataFrame({"unit": ["X", "Y", "Z", "X", "Y", "Z"], "name": list("XYZXYZ"),
                          "edition": [2024, 2024, 2024, 2025, 2025, 2025],
                          "pop": [10.0, 20.0, 40.0, 10.0, 20.0, 40.0]})
    values = np.array([[5.0, 1.0], [8.0, 2.0], [4.0, 3.0], [6.0, 1.5], [np.nan, 2.5], [2.0, np.nan]])
    result = build(fw, Dataset(units=units, values=values, indicators=("a", "b")))
    # Y's 2025 'a' is missing: carried from 2024 as 8 / 20 = 0.4 (denominated like the 2025 values)
    assert result.stages["imputed"][1, 0] == 0.4
    # Z's 2025 'b' is missing: carried from 2024 as 3
    assert result.stages["imputed"][2, 1] == 3.0
    assert result.imputed.tolist() == [[False, False], [True, False], [False, True]]


def test_the_readme_python_example_runs(capsys):
    """The README's Python block is the public API's example: it runs as written from the repository root."""
    import os
    import re

    from tests.conftest import ROOT

    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), re.S)
    block = next((b for b in blocks if "oi.build(fw, ds)" in b), None)
    assert block is not None, "the README has no Python example calling oi.build(fw, ds)"
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        exec(compile(block, "README.md", "exec"), {})
    finally:
        os.chdir(cwd)
    assert "Sablewick" in capsys.readouterr().out  # the demo's first city
