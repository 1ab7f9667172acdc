"""What-if and self-assessment: batched evaluation against a loop of full builds.

The gains of single moves are evaluated two ways on the demo network: the batched
evaluator of :mod:`openindex.analysis.whatif` (each move's column computed once, every candidate
aggregated in one batch), and a plain loop of :func:`openindex.engine.build.build` per move
(what "a real rebuild per move" costs without batching; both give the same scores).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
from _data import demo

import openindex as oi
from openindex.analysis.whatif import ChangeSearch, apply_changes, change_set, gains, network_scenario
from openindex.engine import build, score_against
from openindex.io import save_workbook
from openindex.selfassess.template import template_workbook

ROOT = Path(__file__).resolve().parents[1]


@cache
def icc():
    fw = oi.read_framework(ROOT / "indicators" / "icc.yaml")
    return fw, oi.read_dataset(str(ROOT / "datasets" / "icc_demo_answers.csv"), fw)


@cache
def _network(which: str):
    fw, ds = demo() if which == "demo" else icc()
    net = build(fw, ds)
    return fw, ds, net, str(net.ranking()["unit"].iloc[len(net.units) // 2])


def _gains(which: str):
    def setup():
        _, _, net, unit = _network(which)
        return lambda: gains(network_scenario(net, unit))
    return setup


def _gains_loop():
    """The same moves, each evaluated by a full build() (no batching)."""
    fw, ds, net, unit = _network("demo")
    moves = gains(network_scenario(net, unit))

    def run():
        for r in moves.itertuples():
            build(fw, apply_changes(ds, unit, net.edition, {r.code: (r.to_value, r.to_answer)}), edition=net.edition)
    return run


def _change_set(which: str, target: str):
    def setup():
        _, _, net, unit = _network(which)
        return lambda: change_set(network_scenario(net, unit), target)
    return setup


def _exact_throughput():
    """20,000 three-step sets of the demo network (the default exact-search limit), from the column cache."""
    from openindex.analysis.whatif import _state_chunks

    _, _, net, unit = _network("demo")
    search = ChangeSearch(network_scenario(net, unit), "next-rank")
    caps = [int(search.caps[j]) for j in search.items]
    states = np.concatenate(list(_state_chunks(caps, 3, 25_000)))[:20_000]
    assert len(states) == 20_000
    full = np.zeros((len(states), len(search.caps)), dtype=int)
    full[:, search.items] = states
    return lambda: search.evaluate(full)


def _score_against():
    _, _, net, unit = _network("icc")
    one = net.dataset.select_rows(np.array(net.dataset.unit_codes) == unit)
    return lambda: score_against(net, one)


def _template(tmp: str = "/tmp/openindex-bench-template.xlsx"):
    fw, ds = icc()
    return lambda: save_workbook(tmp, template_workbook(fw, unit="I05", network=ds))


BENCHMARKS = [
    ("whatif: gains, demo network 40 x 53, batched (92 moves)", _gains("demo"), 1.0),
    ("whatif: gains, demo network, loop of build() per move", _gains_loop, None),
    ("whatif: gains, ICC 30 x 68, batched", _gains("icc"), 1.0),
    ("whatif: change set next-rank, demo network", _change_set("demo", "next-rank"), 2.0),
    ("whatif: change set peer-mean, ICC", _change_set("icc", "peer-mean"), 2.0),
    ("whatif: exact search, 20,000 three-step sets (demo)", _exact_throughput, 2.0),
    ("self-assess: score one city against the ICC network", _score_against, 0.1),
    ("self-assess: ICC questionnaire template, build and save", _template, 1.0),
]
