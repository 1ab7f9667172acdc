"""Goalposts and targets follow the outlier treatment of their indicator (issue 11, a silent wrong result).

Goalposts and targets are declared in raw units; the normalisers compare them with the
treated data. Before the fix, a city exactly at the upper goalpost of a log-transformed
indicator scored 0.69 instead of 100 (log(1008.99) / 1000 * 100), and a city on target
0.46 instead of 100. The engine now maps them with the same function as the data
(:func:`openindex.engine.stages.treated_values`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openindex import MethodError, parse_framework
from openindex.analysis.uncertainty import evaluate, replication_framework, sample_design
from openindex.data.dataset import Dataset
from openindex.engine import build, indicator_stages, plan, score_against
from openindex.methods.treat import LOGGED, WINSORISED, log, map_values, winsorise
from openindex.model.spec import UncertaintySpec

# 1..18, 100, 1000: one Winsorisation step (max_points 1) is not enough, so the rule falls back to
# log(x - 1 + 0.01 * 999) = log(x + 8.99)
VALUES = [float(v) for v in range(1, 19)] + [100.0, 1000.0]


def framework(normalise: dict[str, Any], fields: dict[str, Any], treat: dict[str, Any] | None = None,
              direction: int = 1) -> Any:
    treat = {"method": "winsorise", "params": {"max_points": 1}} if treat is None else treat
    return parse_framework({
        "name": "T", "levels": ["Indicator", "Index"],
        "aggregates": [{"code": "T", "name": "T"}],
        "indicators": [{"code": "x1", "name": "x1", "parent": "T", "direction": direction, **fields},
                       {"code": "x2", "name": "x2", "parent": "T", "direction": direction, **fields}],
        "build": {"treat": treat, "normalise": normalise},
    })


def dataset(col1: list[float], col2: list[float] | None = None) -> Dataset:
    n = len(col1)
    units = pd.DataFrame({"unit": [f"U{i}" for i in range(n)], "name": [f"U{i}" for i in range(n)],
                          "edition": 2025})
    values = np.column_stack([col1, col1 if col2 is None else col2])
    return Dataset(units=units, values=values, indicators=("x1", "x2"))


def test_goalposts_after_log_fallback() -> None:
    """The reproduction of the issue: a value of 1000 with goalposts [0, 1000] scores 100, not 0.69."""
    result = build(framework({"method": "goalposts"}, {"goalposts": [0, 1000]}), dataset(VALUES))
    assert list(result.treatment["treatment"]) == ["log-transformed", "log-transformed"]
    got = result.stages["normalised"][:, 0]
    # on the log scale: (log(x + 8.99) - log(8.99)) / (log(1008.99) - log(8.99)) * 100
    expected = (np.log(np.array(VALUES) + 8.99) - np.log(8.99)) / (np.log(1008.99) - np.log(8.99)) * 100
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    assert got[-1] == pytest.approx(100.0)
    assert got[0] == pytest.approx(100 * (np.log(9.99) - np.log(8.99)) / (np.log(1008.99) - np.log(8.99)))


def test_target_after_log_fallback() -> None:
    """A value on target scores 100 (it scored 0.46)."""
    result = build(framework({"method": "distance_to_target"}, {"target": 1000}), dataset(VALUES))
    got = result.stages["normalised"][:, 0]
    # (log(x + 8.99) - log(9.99)) / (log(1008.99) - log(9.99)) * 100: the worst unit 0, the target 100
    expected = (np.log(np.array(VALUES) + 8.99) - np.log(9.99)) / (np.log(1008.99) - np.log(9.99)) * 100
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    assert got[-1] == pytest.approx(100.0)


def test_goalposts_lower_is_better_after_log() -> None:
    """Direction -1: raw goalposts [1, 2000], the best is 1; a city at 1 scores 100, one at 2000 would score 0."""
    result = build(framework({"method": "goalposts"}, {"goalposts": [1, 2000]}, direction=-1), dataset(VALUES))
    got = result.stages["normalised"][:, 0]
    # (log(2000 + 8.99) - log(x + 8.99)) / (log(2008.99) - log(9.99)) * 100
    expected = (np.log(2008.99) - np.log(np.array(VALUES) + 8.99)) / (np.log(2008.99) - np.log(9.99)) * 100
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    assert got[0] == pytest.approx(100.0)


def test_goalposts_after_winsorisation_cap() -> None:
    """Winsorisation caps 1000 at 18; the upper goalpost 1000 is capped with it, so that city still scores 100."""
    col = [float(v) for v in range(1, 19)] + [1000.0]
    result = build(framework({"method": "goalposts"}, {"goalposts": [0, 1000]}), dataset(col))
    assert list(result.treatment["treatment"]) == ["winsorised", "winsorised"]
    got = result.stages["normalised"][:, 0]
    # goalposts [0, 18] on the capped data (the low side was not moved: 0 stays 0): x / 18 * 100
    np.testing.assert_allclose(got, np.minimum(col, 18.0) / 18.0 * 100, rtol=1e-12)


def test_goalpost_outside_the_log_domain_is_refused() -> None:
    """log(x - 100 + 0.01 * 900) is undefined at 0: a clear refusal naming the fix, not a silent score."""
    col = [100.0 + v for v in range(18)] + [300.0, 1000.0]
    with pytest.raises(MethodError) as err:
        build(framework({"method": "goalposts"}, {"goalposts": [0, 1000]}), dataset(col))
    msg = str(err.value)
    assert "goalposts of x1, x2" in msg and "log" in msg and "treat method 'winsorise'" in msg
    assert "0 <= 91" in msg and "build.treat.overrides: {x1: {method: none}, x2: {method: none}}" in msg


def test_untreated_indicator_unchanged() -> None:
    """An indicator left untreated by the rule uses its goalposts as declared."""
    col = [float(v) for v in range(1, 21)]
    result = build(framework({"method": "goalposts"}, {"goalposts": [0, 40]}), dataset(col))
    np.testing.assert_array_equal(result.stages["normalised"][:, 0], np.array(col) / 40 * 100)


def test_score_against_follows_the_network_treatment() -> None:
    """Scoring a new city against the network: the network's log transform maps its goalposts."""
    fw = framework({"method": "goalposts"}, {"goalposts": [0, 1000]})
    network = build(fw, dataset(VALUES))
    new = dataset([1000.0, 100.0])
    new = Dataset(units=new.units.assign(unit=["N0", "N1"], name=["N0", "N1"]), values=new.values,
                  indicators=new.indicators)
    scored = score_against(network, new)
    np.testing.assert_allclose(scored.stages["normalised"][:, 0], network.stages["normalised"][[-1, -2], 0],
                               rtol=1e-12)


def test_batched_variants_equal_separate_builds() -> None:
    """Variants of the units on a batch axis (what-if): each gets goalposts mapped by its own log transform."""
    fw = framework({"method": "goalposts"}, {"goalposts": [0, 1000]})
    a, b = dataset(VALUES), dataset([v * 2 if v < 500 else v for v in VALUES])
    bplan = plan(fw)
    empty = np.zeros(2, dtype=bool)
    st_ = indicator_stages(bplan, a, np.stack([a.values, b.values]), empty)
    assert (st_.how == LOGGED).all()
    np.testing.assert_allclose(st_.normalised[0], build(fw, a).stages["normalised"], rtol=1e-12)
    np.testing.assert_allclose(st_.normalised[1], build(fw, b).stages["normalised"], rtol=1e-12)


def test_uncertainty_sampled_goalposts_follow_the_log() -> None:
    """The uncertainty analysis re-normalises sampled goalposts itself: they follow the treatment there too."""
    fw = framework({"method": "goalposts"}, {"goalposts": [0, 1000]}, treat={"method": "log"})
    ds = dataset(VALUES)
    spec = UncertaintySpec.model_validate({"runs": 40, "seed": 3, "factors": [
        {"goalposts": {"x1": {"lo": [-5, 0], "hi": [1000, 1500]}}},
        {"treat": [{"method": "log"}, {"method": "none"}]}]})
    design = sample_design(spec, fw)
    reps = evaluate(fw, ds, design, keep="all")
    for r in range(0, 40, 3):
        res = build(replication_framework(fw, design, r, ds), ds)
        np.testing.assert_allclose(reps.scores[-1][r], res.scores[-1], rtol=1e-12, err_msg=str(design.choices(r)))


# ---- property: at the goalpost or on target, the top of the range, whatever the treatment ----------------------

TREATS = [{"method": "none"}, {"method": "winsorise", "params": {"max_points": 1}},
          {"method": "winsorise"}, {"method": "log"}]


def _log_limit(col: np.ndarray) -> float:
    """min - 0.01 (max - min): at or below it, log(x - min + 0.01 (max - min)) is undefined."""
    return float(col.min() - 0.01 * (col.max() - col.min()))


def _logged(col: np.ndarray, treat: dict[str, Any]) -> bool:
    x = col[:, None]
    if treat["method"] == "log":
        return bool(log(x).how[0] == LOGGED)
    if treat["method"] == "winsorise":
        return bool(winsorise(x, **treat.get("params", {})).how[0] == LOGGED)
    return False


data = st.lists(st.floats(0.0, 1e4, allow_nan=False, allow_subnormal=False).map(lambda v: round(v, 3)),
                min_size=6, max_size=14).filter(lambda v: len(set(v)) >= 3)
skewed = st.lists(st.floats(0.0, 50.0).map(lambda v: round(v, 3)), min_size=6, max_size=14).map(
    lambda v: [*v, 5000.0])  # an outlier, so that winsorise and its log fallback are exercised


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(col=st.one_of(data, skewed), pick=st.integers(0, 100), gap=st.floats(0.01, 1.0),
       treat=st.sampled_from(TREATS), direction=st.sampled_from([1, -1]),
       out=st.sampled_from([(0.0, 100.0), (1.0, 100.0), (0.0, 10.0)]))
def test_value_at_the_best_goalpost_scores_high(col: list[float], pick: int, gap: float, treat: dict[str, Any],
                                                 direction: int, out: tuple[float, float]) -> None:
    """For every treatment and direction, a unit whose raw value is the best goalpost scores ``high``."""
    arr = np.array(col)
    best = float(arr[pick % len(arr)])
    # the worst goalpost, at a distance below (direction 1) or above (direction -1) the best one, sometimes beyond
    # the log's domain
    span = (best - _log_limit(arr)) * 1.2 if direction == 1 else (arr.max() - arr.min() + 1.0) * 2
    worst = best - direction * gap * span
    gp = [min(best, worst), max(best, worst)]
    fw = framework({"method": "goalposts", "params": {"low": out[0], "high": out[1]}}, {"goalposts": gp}, treat,
                   direction)
    try:
        result = build(fw, dataset(col))
    except MethodError as exc:  # refused only where the log transform has no value for the worst goalpost
        assert direction == 1 and _logged(arr, treat) and worst <= _log_limit(arr), str(exc)
        assert "cannot be put on the scale of the log-transformed data" in str(exc)
        return
    got = result.stages["normalised"][:, 0]
    assert np.all(got >= min(out) - 1e-9) and np.all(got <= max(out) + 1e-9)
    if treat["method"] == "winsorise":
        res = winsorise(arr[:, None], **treat.get("params", {}))
        lo, hi = map_values(np.array(gp)[:, None], arr[:, None], res.x, res.how)[:, 0]
        if not hi > lo:  # Winsorisation moved every unit beyond both goalposts: they all score the same
            assert np.all(got == got[0])
            return
    assert got[pick % len(arr)] == pytest.approx(out[1], rel=1e-9, abs=1e-9)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(col=st.one_of(data, skewed), pick=st.integers(0, 100), treat=st.sampled_from(TREATS),
       direction=st.sampled_from([1, -1]), out=st.sampled_from([(0.0, 100.0), (1.0, 100.0)]))
def test_value_on_target_scores_high(col: list[float], pick: int, treat: dict[str, Any], direction: int,
                                     out: tuple[float, float]) -> None:
    """For every treatment and direction, a unit exactly on target scores ``high`` with distance_to_target."""
    arr = np.array(col)
    worst = arr.min() if direction == 1 else arr.max()
    candidates = sorted({float(v) for v in arr if v != worst})
    target = candidates[pick % len(candidates)]
    fw = framework({"method": "distance_to_target", "params": {"low": out[0], "high": out[1]}}, {"target": target},
                   treat, direction)
    try:
        result = build(fw, dataset(col))
    except MethodError as exc:  # only when Winsorisation moved the worst unit onto (or past) the target
        assert treat["method"] == "winsorise" and "target not above the worst value" in str(exc)
        res = winsorise(arr[:, None], **treat.get("params", {}))
        mapped = map_values(np.array([target]), arr[:, None], res.x, res.how)
        worst_treated = res.x.min() if direction == 1 else res.x.max()
        assert direction * mapped[0] <= direction * worst_treated
        return
    got = result.stages["normalised"][:, 0]
    np.testing.assert_allclose(got[arr == target], out[1], rtol=1e-9)
    np.testing.assert_allclose(got[arr == worst], out[0], atol=1e-9)


def test_winsorised_property_cases_exist() -> None:
    """The strategies above reach every treatment: Winsorisation and the log fallback both occur."""
    capped = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 5000.0])[:, None]
    assert winsorise(capped).how[0] == WINSORISED
    assert _logged(np.array(VALUES), {"method": "winsorise", "params": {"max_points": 1}})
