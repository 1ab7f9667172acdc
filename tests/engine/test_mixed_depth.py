"""Mixed-depth trees: nodes that skip levels, against hand-computed scores.

Framework (levels Indicator, Area, Theme, Index), file weights in brackets::

    INDEX
    +-- T1 [2]            theme
    |   +-- A1 [1]        area: i1 [1], i2 [1]
    |   +-- A2 [3]        area: i3 [1]
    |   +-- i5 [1]        indicator directly under a theme (skips the Area level)
    +-- A3 [1]            area directly under the index (skips the Theme level): i4 [1]
    +-- i6 [2]            indicator directly under the index (skips Area and Theme)

Goalposts [0, 100] on every indicator, so the normalised values are the raw values.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from openindex import MethodError, parse_framework, read_framework
from openindex.cli import main
from openindex.data.dataset import Dataset
from openindex.engine import build, plan, score_against
from openindex.errors import FrameworkError

CODES = ("i1", "i2", "i3", "i4", "i5", "i6")
RAW = np.array([
    # i1     i2    i3    i4    i5    i6
    [10.0, 30.0, 50.0, 70.0, 90.0, 20.0],   # U1
    [100.0, 0.0, 0.0, 40.0, 60.0, 80.0],    # U2
    [50.0, 50.0, 50.0, 50.0, 50.0, 50.0],   # U3
])
# A1 = (i1 + i2) / 2: 20, 50, 50;  A2 = i3: 50, 0, 50;  A3 = i4: 70, 40, 50
# T1 = (1 A1 + 3 A2 + 1 i5) / 5: (20 + 150 + 90) / 5 = 52, (50 + 0 + 60) / 5 = 22, 50
# INDEX = (2 T1 + 1 A3 + 2 i6) / 5: (104 + 70 + 40) / 5 = 42.8, (44 + 40 + 160) / 5 = 48.8, 50
AREAS = [[20.0, 50.0, 70.0], [50.0, 0.0, 40.0], [50.0, 50.0, 50.0]]
THEMES = [[52.0], [22.0], [50.0]]
INDEX = [42.8, 48.8, 50.0]


def mixed(build_spec: dict | None = None) -> dict:
    gp = [0, 100]
    return {
        "name": "Mixed", "levels": ["Indicator", "Area", "Theme", "Index"],
        "aggregates": [
            {"code": "INDEX", "name": "Index"},
            {"code": "T1", "name": "Theme 1", "parent": "INDEX", "weight": 2},
            {"code": "A1", "name": "Area 1", "parent": "T1", "weight": 1},
            {"code": "A2", "name": "Area 2", "parent": "T1", "weight": 3},
            {"code": "A3", "name": "Area 3", "parent": "INDEX", "weight": 1},
        ],
        "indicators": [
            {"code": "i1", "name": "One", "parent": "A1", "goalposts": gp},
            {"code": "i2", "name": "Two", "parent": "A1", "goalposts": gp},
            {"code": "i3", "name": "Three", "parent": "A2", "goalposts": gp},
            {"code": "i4", "name": "Four", "parent": "A3", "goalposts": gp},
            {"code": "i5", "name": "Five", "parent": "T1", "goalposts": gp},
            {"code": "i6", "name": "Six", "parent": "INDEX", "weight": 2, "goalposts": gp},
        ],
        "build": {"normalise": {"method": "goalposts"}, "weight": {"method": "explicit"},
                  "aggregate": {"method": "arithmetic"}, **(build_spec or {})},
    }


def dataset(raw: np.ndarray = RAW) -> Dataset:
    units = pd.DataFrame({"unit": ["U1", "U2", "U3"][:len(raw)], "name": ["U1", "U2", "U3"][:len(raw)],
                          "edition": 2025})
    return Dataset(units=units, values=raw, indicators=CODES)


def test_structure() -> None:
    fw = parse_framework(mixed())
    assert fw.levels == (CODES, ("A1", "A2", "A3"), ("T1",), ("INDEX",))
    # the engine's levels: the real nodes first, then one pass-through node per skipped level
    assert fw.padded_levels == (CODES, ("A1", "A2", "A3", "i5@2", "i6@2"), ("T1", "A3@3", "i6@3"), ("INDEX",))
    assert dict(fw.above) == {"INDEX": None, "i1": "A1", "i2": "A1", "i3": "A2", "i4": "A3", "i5": "i5@2",
                              "i6": "i6@2", "A1": "T1", "A2": "T1", "A3": "A3@3", "i5@2": "T1", "i6@2": "i6@3",
                              "T1": "INDEX", "A3@3": "INDEX", "i6@3": "INDEX"}
    # the file's tree is untouched: parents, children, levels of the real nodes
    assert fw.parent["i6"] == "INDEX" and fw.parent["A3"] == "INDEX" and fw.parent["i5"] == "T1"
    assert fw.children("INDEX") == ("T1", "A3", "i6")
    assert fw.children("T1") == ("A1", "A2", "i5")
    assert [fw.level_of(c) for c in ("i6", "A3", "T1", "INDEX", "i6@3")] == [1, 2, 3, 4, 3]
    assert fw.carried("i6@3") == "i6" and fw.carried("A3") == "A3"
    assert fw.ancestor("A3", 3) == "INDEX" and fw.ancestor("A1", 3) == "T1"
    assert fw.node("i6@3").name == "Six" and "Pass-through" in fw.node("i6@3").description
    # nominal weights: a pass-through carries its node's file weight; the node weighs 1 inside it
    assert_array_equal(fw.weights(3), [[1, 3, 0, 1, 0], [0, 0, 1, 0, 0], [0, 0, 0, 0, 1]])
    assert_array_equal(fw.weights(4), [[2, 1, 2]])
    assert_array_equal(fw.membership(2).sum(axis=1), [2, 1, 1, 1, 1])


def test_summary_says_which_nodes_skip() -> None:
    fw = parse_framework(mixed())
    # 4 of the 6 indicators are in areas; 2 of the 3 areas (and i5) are in a theme
    assert fw.summary() == "6 indicators (4 of them in 3 areas) (2 of them in 1 theme), aggregated into one index " \
        "('INDEX')"


def test_build_by_hand() -> None:
    fw = parse_framework(mixed())
    res = build(fw, dataset())
    assert_allclose(res.scores[0], RAW)
    assert_allclose(res.scores[1], AREAS)
    assert_allclose(res.scores[2], THEMES)
    assert_allclose(res.scores[3][:, 0], INDEX)
    # the results hold the framework's own nodes only
    assert [s.shape[1] for s in res.scores] == [6, 3, 1, 1]
    assert_array_equal(res.ranks[3][:, 0], [3, 2, 1])


def test_outputs_show_no_pass_through_node(tmp_path) -> None:
    fw = parse_framework(mixed())
    res = build(fw, dataset())
    frame = res.score_frame()
    assert not frame["code"].str.contains("@").any()
    assert not frame.duplicated(["unit", "code"]).any()
    assert set(frame["code"]) == {*CODES, "A1", "A2", "A3", "T1", "INDEX"}
    assert list(res.level_frame(3).columns) == ["T1"]
    assert set(res.methods.aggregate) == {"A1", "A2", "A3", "T1", "INDEX"}
    # weights: within the parent as written; effective = product along the path (pass-throughs weigh 1)
    w = res.weight_table().set_index("code")
    assert not any("@" in c for c in w.index)
    assert w.loc["i6", "parent"] == "INDEX" and w.loc["A3", "parent"] == "INDEX"
    assert_allclose(w.loc[["T1", "A3", "i6"], "normalised"], [0.4, 0.2, 0.4])
    assert_allclose(w.loc[["A1", "A2", "i5"], "normalised"], [0.2, 0.6, 0.2])
    assert_allclose(w.loc[["i6", "i5", "i4", "i1", "i3"], "effective"], [0.4, 0.08, 0.2, 0.04, 0.24])
    assert_allclose(w.loc[list(CODES), "effective"].sum(), 1.0)


def test_pass_through_is_the_identity_whatever_the_level_method() -> None:
    """A geometric Area level meets a zero carried through it: the pass-through is no geometric mean."""
    raw = RAW.copy()
    raw[1, 4] = 0.0  # i5 = 0 for U2, carried through the Area level by i5@2
    raw[1, 1] = 1.0  # A1 of U2: geometric mean of 100 and 1 = 10
    raw[1, 2] = 4.0  # A2 of U2: 4
    fw = parse_framework(mixed({"aggregate": {"method": "arithmetic", "levels": {"Area": {"method": "geometric"}}}}))
    res = build(fw, dataset(raw))
    assert_allclose(res.scores[1][1], [10.0, 4.0, 40.0])
    assert_allclose(res.scores[2][1, 0], (10.0 + 3 * 4.0 + 0.0) / 5)
    bplan = plan(fw)
    assert {p.method for p in bplan.level(2).aggregate} == {"geometric", "arithmetic"}
    assert bplan.level(2).aggregate[-1].method == "arithmetic" and bplan.level(2).here[-2:] == ("i5@2", "i6@2")


def test_missing_and_min_share_follow_the_carried_node() -> None:
    raw = RAW.copy()
    raw[0, 5] = np.nan  # i6 missing for U1: the index renormalises over T1 and A3
    res = build(parse_framework(mixed({"impute": {"method": "none"}})), dataset(raw))
    assert_allclose(res.scores[3][0, 0], (2 * 52.0 + 70.0) / 3)


def test_scoring_against_a_network_held_fixed() -> None:
    fw = parse_framework(mixed())
    network = build(fw, dataset())
    new = dataset(RAW[:1] * 0.5)
    new = Dataset(units=new.units.assign(unit="NEW", name="New"), values=new.values, indicators=CODES)
    scored = score_against(network, new)
    assert [s.shape[1] for s in scored.scores] == [6, 3, 1, 1]
    assert_allclose(scored.scores[3][0, 0], 42.8 / 2)


def test_bod_cannot_score_against_a_network() -> None:
    fw = parse_framework(mixed({"aggregate": {"method": "bod"}}))
    network = build(fw, dataset())
    with pytest.raises(MethodError, match="aggregate method 'bod'.*cannot be scored with the network held fixed"):
        score_against(network, dataset(RAW[:1]))


def test_validation_errors_point_at_the_line(tmp_path) -> None:
    text = """\
name: Mixed
levels: [Indicator, Area, Index]
aggregates:
  - {code: INDEX, name: Index}
  - {code: A1, name: Area, parent: INDEX}
  - {code: S1, name: Sub-area, parent: A1}
indicators:
  - {code: i1, name: One, parent: INDEX}
  - {code: i2, name: Two, parent: S1}
"""
    path = tmp_path / "mixed.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FrameworkError) as err:
        read_framework(path)
    (problem,) = err.value.problems
    assert problem.code == "wrong_depth"
    assert problem.location == "indicators[1].parent (line 9)"
    assert "'i2' sits 4 levels deep but `levels` declares 3" in problem.problem
    # directly under the index is fine: only the too deep indicator is reported
    flat = text.replace("  - {code: S1, name: Sub-area, parent: A1}\n", "").replace("parent: S1", "parent: A1")
    path.write_text(flat, encoding="utf-8")
    assert read_framework(path).padded_levels[1] == ("A1", "i1@2")


def test_icc_lens_is_a_real_node(icc) -> None:
    fw, _, res = icc
    assert fw.level_names == ("Question", "Area", "Sub-index", "Index")
    assert fw.levels[2] == ("lens",) and fw.parent["lens"] == "ICC"
    assert fw.children("lens") == ("education", "neighbourhoods", "public_services", "business", "cultural_life",
                                   "public_space")
    assert len(fw.levels[1]) == 17 and sum(fw.parent[a] == "ICC" for a in fw.levels[1]) == 11
    areas = res.level_frame(2)
    lens = areas[list(fw.children("lens"))].mean(axis=1, skipna=True)
    assert_allclose(res.level_frame(3)["lens"], lens)
    # the lens weighs 3 of 15 in the index; each of its areas 0.5 of 15, as in the flat framework before
    w = res.weight_table().set_index("code")
    assert_allclose(w.loc["lens", "effective"], 3 / 15)
    assert_allclose(w.loc["education", "effective"], 0.5 / 15)
    assert_allclose(w.loc["commitment", "effective"], 2 / 15)


def test_icc_runs_from_the_command_line(tmp_path, capsys) -> None:
    code = main(["run", "indicators/icc.yaml", "datasets/icc_demo_answers.csv", "--out", str(tmp_path / "x")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "68 questions in 17 areas (6 of them in 1 sub-index)" in out
    scores = pd.read_csv(tmp_path / "x" / "scores.csv")
    assert not scores["code"].astype(str).str.contains("@").any()
    assert not scores.duplicated(["unit", "code"]).any()
    html = (tmp_path / "x" / "report.html").read_text(encoding="utf-8")
    passing = read_framework("indicators/icc.yaml").pass_through
    assert len(passing) == 11 and not any(code in html for code in passing)
