"""The framework models: loading, structure, any depth, YAML round trip."""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openindex import FrameworkError, parse_framework, with_settings
from openindex.io import read_framework
from tests.conftest import ROOT, TINY_YAML


def test_tiny_framework_structure(tiny_dict):
    fw = parse_framework(tiny_dict)
    assert fw.indicator_codes == ("gdp", "jobs", "firms", "crime", "trust", "strategy")
    assert fw.levels[1] == ("econ", "social")
    assert fw.levels[2] == ("INDEX",)
    assert fw.root == "INDEX"
    assert fw.level_of("crime") == 1 and fw.level_of("social") == 2 and fw.level_of("INDEX") == 3
    assert fw.children("econ") == ("gdp", "jobs", "firms")
    assert fw.ancestor("trust", 3) == "INDEX"
    np.testing.assert_array_equal(fw.membership(2), [[1, 1, 1, 0, 0, 0], [0, 0, 0, 1, 1, 1]])
    np.testing.assert_array_equal(fw.weights(3), [[1.0, 1.0]])
    assert fw.summary() == "6 indicators in 2 areas, aggregated into one index ('INDEX')"
    assert fw.indicators["strategy"].option_for("  ADOPTED ").points == 100
    assert fw.indicators["strategy"].option_for("In   preparation").code == "draft"
    assert fw.indicators["strategy"].option_for("maybe") is None


def test_line_numbers_are_tracked(tiny_paths):
    fw = read_framework(tiny_paths[0])
    assert fw.line_of("indicators", 3, "direction") == TINY_YAML.splitlines().index(
        "  - {code: crime, name: Crime rate, parent: social, direction: -1}") + 1


def test_two_level_framework_loads():
    fw = parse_framework({
        "name": "Flat", "levels": ["Indicator", "Index"],
        "aggregates": [{"code": "I", "name": "Index"}],
        "indicators": [{"code": "a", "name": "A", "parent": "I"}, {"code": "b", "name": "B", "parent": "I"}],
    })
    assert fw.n_levels == 2 and fw.summary() == "2 indicators, aggregated into one index ('I')"


def test_five_level_framework_loads():
    aggs = [{"code": "T", "name": "Top"}]
    inds = []
    for a in range(2):
        aggs.append({"code": f"P{a}", "name": f"P{a}", "parent": "T"})
        for b in range(2):
            aggs.append({"code": f"S{a}{b}", "name": "S", "parent": f"P{a}"})
            aggs.append({"code": f"Q{a}{b}", "name": "Q", "parent": f"S{a}{b}"})
            inds.append({"code": f"x{a}{b}", "name": "x", "parent": f"Q{a}{b}"})
    fw = parse_framework({"name": "Deep", "levels": ["Indicator", "Sub-pillar", "Pillar", "Sub-index", "Index"],
                          "aggregates": aggs, "indicators": inds})
    assert [len(level) for level in fw.levels] == [4, 4, 4, 2, 1]
    assert fw.summary() == ("4 indicators in 4 sub-pillars in 4 pillars in 2 sub-indexes, aggregated into one "
                            "index ('T')")


def test_every_problem_reported_at_once(tiny_dict):
    tiny_dict["indicators"][0]["direction"] = 2
    tiny_dict["indicators"][1]["weight"] = -1
    tiny_dict["indicators"][2]["parent"] = "ecno"
    tiny_dict["build"] = {"normalise": {"method": "minmaxx"}}
    with pytest.raises(FrameworkError) as err:
        parse_framework(tiny_dict, source="t.yaml")
    messages = [p.problem for p in err.value.problems]
    assert len(messages) == 4, messages
    assert any("direction must be 1" in m for m in messages)
    assert any("weight must be >= 0" in m for m in messages)
    assert any("unknown parent 'ecno'. Did you mean 'econ'?" in m for m in messages)
    assert any("Unknown normalise method 'minmaxx'. Did you mean 'minmax'?" in m for m in messages)
    assert sorted(p.code for p in err.value.problems) == ["invalid_value", "invalid_value", "unknown_method",
                                                          "unknown_parent"]


def test_with_settings_changes_build(tiny_dict):
    fw = parse_framework(tiny_dict)
    fw2 = with_settings(fw, {"build.normalise.method": "zscore", "build.normalise.params.sd": 2,
                             "build.aggregate.levels.Index.method": "geometric"})
    assert fw2.build.normalise.method == "zscore" and fw2.build.normalise.params == {"sd": 2}
    assert fw2.build.aggregate.levels["Index"].method == "geometric"
    assert fw.build.normalise.method == "minmax"  # the original is untouched
    # changing a method drops the params of the old one unless new params are given
    fw3 = with_settings(fw2, {"build.normalise.method": "minmax"})
    assert fw3.build.normalise.params == {}
    with pytest.raises(FrameworkError, match="has no parameter 'sdd'"):
        with_settings(fw, {"build.normalise.method": "zscore", "build.normalise.params.sdd": 2})


@pytest.mark.parametrize("name", ["opencities.yaml", "icc.yaml"])
def test_bundled_frameworks_load(name):
    fw = read_framework(ROOT / "indicators" / name)
    assert fw.n_levels >= 3


def test_default_framework_counts():
    fw = read_framework(ROOT / "indicators" / "opencities.yaml")
    assert [len(level) for level in fw.levels] == [53, 11, 3, 1]
    assert fw.summary().startswith("53 indicators in 11 areas in 3 themes")


def test_committed_schema_is_current():
    from openindex.model.schema import framework_schema_json

    committed = (ROOT / "indicators" / "framework.schema.json").read_text(encoding="utf-8")
    assert committed == framework_schema_json(), "run `make schema` and commit indicators/framework.schema.json"


# ---- hypothesis: random valid frameworks round-trip YAML -> models -> YAML -------------

_code = st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True)
_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=12)
_weight = st.sampled_from([0.5, 1.0, 2.0, 3.25])


@st.composite
def frameworks(draw):
    depth = draw(st.integers(2, 5))
    codes = iter(draw(st.lists(_code, min_size=80, max_size=80, unique=True)))
    aggs = [{"code": next(codes), "name": draw(_text)}]
    frontier = [aggs[0]["code"]]
    for _ in range(depth - 2):
        new = []
        for parent in frontier:
            for _ in range(draw(st.integers(1, 2))):
                node = {"code": next(codes), "name": draw(_text), "parent": parent, "weight": draw(_weight)}
                if draw(st.booleans()):
                    node["aggregate"] = {"method": draw(st.sampled_from(["arithmetic", "geometric"]))}
                aggs.append(node)
                new.append(node["code"])
        frontier = new
    inds = []
    for parent in frontier:
        for _ in range(draw(st.integers(1, 3))):
            ind = {"code": next(codes), "name": draw(_text), "parent": parent,
                   "direction": draw(st.sampled_from([1, -1])), "weight": draw(_weight)}
            if draw(st.booleans()):
                lo = draw(st.integers(-100, 100))
                ind["goalposts"] = [float(lo), float(lo + draw(st.integers(1, 100)))]
            if draw(st.booleans()):
                ind["type"] = "questionnaire"
                ind["options"] = [{"code": "a", "label": draw(_text), "points": 0.0},
                                  {"code": "b", "label": "B", "points": 100.0}]
            inds.append(ind)
    doc = {"name": draw(_text), "levels": [f"L{k}" for k in range(1, depth + 1)],
           "aggregates": aggs, "indicators": inds}
    if draw(st.booleans()):
        doc["build"] = {"normalise": {"method": "zscore", "params": {"sd": 10.0}}}
    return doc


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frameworks())
def test_random_frameworks_round_trip(doc):
    text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
    fw = parse_framework(yaml.safe_load(text))
    again = yaml.safe_load(fw.to_yaml())
    assert again == doc
    assert fw.n_levels == len(doc["levels"])
