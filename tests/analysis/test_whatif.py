"""What-if: gains of single moves and the smallest change set, checked against real rebuilds."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pandas as pd
import pytest
import yaml
from numpy.testing import assert_allclose

import openindex as oi
from openindex.analysis.whatif import (
    _states,
    apply_changes,
    change_set,
    count_sets,
    fixed_scenario,
    gains,
    network_scenario,
)
from openindex.cli import main
from openindex.engine import build, score_against
from openindex.engine.join import join_results
from openindex.errors import OpenIndexError
from openindex.model.framework import parse_framework, with_settings
from tests.conftest import ICC_FILES, OPEN_FILES, TINY_CSV, TINY_YAML

ICC, OPEN = ICC_FILES, OPEN_FILES



def rebuild(fw, ds, edition, unit, changes: pd.DataFrame):
    """Apply a change set (as written to change_set.csv) and run build() again: (score, rank, peer frame)."""
    ds2 = apply_changes(ds, unit, edition, {r.code: (r.to_value, r.to_answer if isinstance(r.to_answer, str) else "")
                                            for r in changes.itertuples()})
    res = build(fw, ds2, edition=edition)
    i = list(res.units).index(unit)
    return float(res.scores[-1][i, 0]), float(res.ranks[-1][i, 0]), res


def unit_below_peer_mean(result, group: str) -> str:
    frame = result.peer_frame(group).query("level == @result.framework.n_levels")
    return str(frame.sort_values("gap").iloc[len(frame) // 3]["unit"])


# --------------------------------------------------------------------------------------
# Gains: one rebuild per move
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["icc", "opencities"])
def test_gains_equal_real_rebuilds(which, request) -> None:
    fw, ds, net = request.getfixturevalue(which)
    unit = str(net.ranking()["unit"].iloc[len(net.units) // 2])
    g = gains(network_scenario(net, unit))
    assert len(g) and (np.diff(g["gain"].to_numpy()) <= 0).all()  # best first
    assert set(g["move"]) <= {"option", "sd", "peer_best"}
    for r in pd.concat([g.head(3), g.tail(2)]).itertuples():
        score, rank, _ = rebuild(fw, ds, net.edition, unit, pd.DataFrame([r._asdict()]))
        assert_allclose(r.score, score, rtol=1e-12)
        assert r.rank == rank


def test_moves_follow_the_stated_rules(opencities) -> None:
    fw, ds, net = opencities
    unit = "ORS"
    sc = network_scenario(net, unit)
    g = gains(sc)
    den = net.stages["denominated"]
    i = list(net.units).index(unit)
    for r in g[g["move"] == "sd"].itertuples():  # +1 network sd, at most to the network best
        j = fw.indicator_codes.index(r.code)
        d = fw.indicators[r.code].direction
        sd = np.nanstd(den[:, j], ddof=1)
        best = np.nanmax(den[:, j] * d)
        want = min(den[i, j] * d + sd, best) * d
        assert_allclose(r.to_denominated, want, rtol=1e-12)
    for r in g[g["move"] == "option"].itertuples():  # the next answer up
        ind = fw.indicators[r.code]
        better = sorted(o.points * ind.direction for o in ind.options
                        if o.points * ind.direction > r.from_value * ind.direction)
        assert r.to_value * ind.direction == better[0]


# --------------------------------------------------------------------------------------
# The change set: applying it and rerunning build() reproduces the claim exactly
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("which", "target"), [("icc", "next-rank"), ("icc", "peer-mean"),
                                               ("opencities", "next-rank"), ("opencities", "peer-mean")])
def test_change_set_reproduces_exactly(which, target, request) -> None:
    fw, ds, net = request.getfixturevalue(which)
    group = fw.model.peer_groups[0].code
    unit = (unit_below_peer_mean(net, group) if target == "peer-mean"
            else str(net.ranking()["unit"].iloc[len(net.units) // 2]))
    cs = change_set(network_scenario(net, unit), target)
    assert cs.method in ("exact", "greedy") and cs.reached and len(cs.changes)
    score, rank, res = rebuild(fw, ds, net.edition, unit, cs.changes)
    assert score == cs.score and rank == cs.rank  # exactly: the claim is a rebuild
    assert_allclose(cs.predicted_score, cs.score, rtol=1e-12)  # the search's own evaluation agrees
    if target == "next-rank":
        assert rank < cs.base_rank
    else:
        row = res.peer_frame(group).query("unit == @unit and level == @fw.n_levels").iloc[0]
        assert row["gap"] >= 0 and row["peer_mean"] == cs.peer_mean
    assert (cs.changes["steps"] >= 1).all()


def test_change_set_command_output_reproduces(opencities, tmp_path, capsys) -> None:
    fw, ds, net = opencities
    unit = str(net.ranking()["unit"].iloc[25])
    out = tmp_path / "w"
    assert main(["whatif", str(OPEN[0]), str(OPEN[1]), "--unit", unit, "--out", str(out)]) == 0
    assert unit in capsys.readouterr().out
    changes = pd.read_csv(out / "change_set.csv", keep_default_na=False)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    claim = manifest["whatif"]["targets"][0]
    score, rank, _ = rebuild(fw, ds, net.edition, unit, changes)
    assert score == claim["score"] and rank == claim["rank"]
    assert (out / "gains.csv").exists() and (out / "profile.html").exists()
    assert 'id="whatif"' in (out / "profile.html").read_text(encoding="utf-8")


def test_fixed_mode_reproduces_with_score_against(icc) -> None:
    """A self-assessed city: what-if with the network held fixed, verified by score_against."""
    fw, ds, net = icc
    data = ds.for_edition(net.edition)
    i = data.unit_codes.index("I09")
    new = oi.Dataset(units=data.units.iloc[[i]].assign(unit="NEW").reset_index(drop=True),
                     values=data.values[[i]], indicators=data.indicators,
                     answers=data.answers.iloc[[i]].reset_index(drop=True))
    scored = score_against(net, new)
    sc = fixed_scenario(net, scored, "NEW")
    assert sc.base_score == pytest.approx(scored.scores[-1][0, 0], rel=1e-12)
    cs = change_set(sc, "next-rank")
    assert cs.reached and cs.method in ("exact", "greedy")
    new2 = apply_changes(scored.dataset, "NEW", net.edition, {r.code: (r.to_value, r.to_answer)
                                                             for r in cs.changes.itertuples()})
    both = join_results(net, score_against(net, new2), "NEW")
    assert both.scores[-1][-1, 0] == cs.score and both.ranks[-1][-1, 0] == cs.rank
    assert np.array_equal(both.scores[-1][:-1], net.scores[-1])  # the network did not move


def test_already_reached_and_first_place(icc) -> None:
    fw, ds, net = icc
    first = str(net.ranking()["unit"].iloc[0])
    sc = network_scenario(net, first)
    assert change_set(sc, "next-rank").method == "top"
    cs = change_set(sc, "peer-mean")
    assert cs.method == "already" and cs.reached and cs.n_steps == 0


def test_unknown_unit_and_unavailable_target_exit_2(icc, tmp_path, capsys) -> None:
    args = ["whatif", str(ICC[0]), str(ICC[1]), "--out", str(tmp_path / "x")]
    assert main([*args, "--unit", "NOPE"]) == 2
    assert "NOPE" in capsys.readouterr().err
    assert main([*args, "--unit", "I09", "--target", "peer-mean", "--peer-group", ""]) == 2
    assert "peer group" in capsys.readouterr().err


# --------------------------------------------------------------------------------------
# Exact versus greedy
# --------------------------------------------------------------------------------------


def test_count_and_enumeration_of_step_sets() -> None:
    caps = [2, 1, 3, 0, 2]
    for size in range(0, 9):
        brute = [k for k in itertools.product(*(range(c + 1) for c in caps)) if sum(k) == size]
        got = list(_states(caps, size))
        assert sorted(got) == sorted(brute) and len(set(got)) == len(got)
        assert count_sets(caps, size) == len(brute)


@pytest.fixture
def tiny(tmp_path):
    fw = parse_framework(yaml.safe_load(TINY_YAML))
    path = tmp_path / "tiny.csv"
    path.write_text(TINY_CSV, encoding="utf-8")
    return fw, oi.read_dataset(str(path), fw)


def test_exact_search_finds_the_smallest_set_brute_force(tiny) -> None:
    """On a tiny network, every set of steps smaller than the answer fails (checked with build())."""
    fw, ds = tiny
    net = build(fw, ds)
    unit = str(net.ranking()["unit"].iloc[-1])
    sc = network_scenario(net, unit)
    cs = change_set(sc, "next-rank")
    assert cs.method == "exact" and cs.reached
    ladders = [sc.ladder(j) for j in range(len(fw.indicator_codes))]
    caps = [len(lad) for lad in ladders]
    base_rank = net.ranks[-1][list(net.units).index(unit), 0]
    for size in range(1, cs.n_steps):
        for state in _states(caps, size):
            changes = {fw.indicator_codes[j]: (ladders[j][k - 1].raw, ladders[j][k - 1].answer)
                       for j, k in enumerate(state) if k}
            res = build(fw, apply_changes(ds, unit, net.edition, changes), edition=net.edition)
            assert res.ranks[-1][list(res.units).index(unit), 0] >= base_rank, state
    score, rank, _ = rebuild(fw, ds, net.edition, unit, cs.changes)
    assert (score, rank) == (cs.score, cs.rank)


def test_greedy_is_reported_when_the_exact_search_is_too_large(opencities) -> None:
    fw, ds, net = opencities
    unit = str(net.ranking()["unit"].iloc[-1])  # far from the next rank: several steps
    sc = network_scenario(net, unit)
    cs = change_set(sc, "peer-mean", limit=0)
    if cs.n_steps > 1:
        assert cs.method == "greedy" and cs.checked == 0 and cs.needed > 0
    score, rank, _ = rebuild(fw, ds, net.edition, unit, cs.changes)
    assert (score, rank) == (cs.score, cs.rank)


@pytest.mark.parametrize("settings", [{"build.impute.method": "regression"},
                                      {"build.impute.method": "mean", "build.weight.method": "pca"}],
                         ids=["regression-imputation", "pca-weights"])
def test_coupled_and_data_driven_weights_reproduce(tiny, settings) -> None:
    fw0, ds = tiny
    fw = with_settings(fw0, settings)
    net = build(fw, ds)
    unit = str(net.ranking()["unit"].iloc[-1])
    sc = network_scenario(net, unit)
    assert sc.coupled == (settings["build.impute.method"] == "regression")
    g = gains(sc)
    r = g.iloc[0]
    score, rank, _ = rebuild(fw, ds, net.edition, unit, pd.DataFrame([r]))
    assert_allclose(r["score"], score, rtol=1e-12)
    cs = change_set(sc, "next-rank")
    if cs.method in ("exact", "greedy"):
        score, rank, _ = rebuild(fw, ds, net.edition, unit, cs.changes)
        assert (score, rank) == (cs.score, cs.rank)


def test_bad_target_is_refused(icc) -> None:
    fw, ds, net = icc
    with pytest.raises(OpenIndexError, match="target"):
        change_set(network_scenario(net, net.units[0]), "top-3")
