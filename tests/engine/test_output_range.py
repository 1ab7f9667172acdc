"""One output range for every normaliser: geometric builds of both bundled frameworks (issue 11; COINr #47, #65).

``build.normalise.params`` are shared with the questionnaire choice and the overrides for the
parameters their method takes (:func:`openindex.engine.plan.step_plans`), so the one setting
``build.normalise.params.low = 1`` gives min-max, goalposts, distance to target and the
questionnaire's points the range [1, 100], and a geometric mean can then be taken.
"""

from __future__ import annotations

import numpy as np
import pytest

from openindex import MethodError, read_dataset, read_framework
from openindex.engine import build, plan
from openindex.model.framework import with_settings
from tests.conftest import ROOT

BUNDLED = [("opencities.yaml", "demo_network.csv"), ("icc.yaml", "icc_demo_answers.csv")]
GEOMETRIC = {"build.aggregate.method": "geometric"}


@pytest.fixture(scope="module", params=BUNDLED, ids=[b[0] for b in BUNDLED])
def bundled(request: pytest.FixtureRequest):
    fw = read_framework(ROOT / "indicators" / request.param[0])
    return fw, read_dataset(str(ROOT / "datasets" / request.param[1]), fw)


def test_geometric_is_refused_without_the_setting(bundled) -> None:
    fw, ds = bundled
    with pytest.raises(MethodError, match="geometric"):
        build(with_settings(fw, GEOMETRIC), ds)


def test_geometric_builds_with_low_1(bundled) -> None:
    fw, ds = bundled
    result = build(with_settings(fw, {**GEOMETRIC, "build.normalise.params.low": 1}), ds)
    normalised = result.stages["normalised"]
    present = normalised[~np.isnan(normalised)]
    assert present.min() >= 1.0 - 1e-9
    assert np.isfinite(result.scores[-1]).all() and (result.scores[-1] > 0).all()
    # every normaliser of the plan received the range (points, goalposts, distance to target, minmax)
    methods = {p.method: dict(p.params) for p in plan(result.framework).steps["normalise"]}
    assert all(params["low"] == 1 for params in methods.values() if "low" in params)
    assert "points" in methods


def test_low_1_maps_the_arithmetic_scores_linearly(bundled) -> None:
    """With [1, 100] every normalised score is 1 + 0.99 * its [0, 100] score (ranks unchanged)."""
    fw, ds = bundled
    base = build(fw, ds).stages["normalised"]
    moved = build(with_settings(fw, {"build.normalise.params.low": 1}), ds).stages["normalised"]
    np.testing.assert_allclose(moved, 1 + 0.99 * base, rtol=1e-12, atol=1e-9)


def test_an_override_keeps_its_own_params() -> None:
    """The shared params fill only what a choice does not set; a method that does not take them gets none."""
    fw = read_framework(ROOT / "indicators" / "opencities.yaml")
    fw = with_settings(fw, {"build.normalise.params.low": 1,
                            "build.normalise.overrides.press_freedom": {"method": "goalposts", "params": {"low": 5}},
                            "build.normalise.overrides.broadband_coverage": {"method": "rank"}})
    bplan = plan(fw)
    by_code = {bplan.codes[j]: p for j, p in enumerate(bplan.method_of["normalise"])}
    assert by_code["press_freedom"].params["low"] == 5 and by_code["press_freedom"].params["high"] == 100
    assert by_code["corruption_perception"].params["low"] == 1
    assert dict(by_code["broadband_coverage"].params) == {}
