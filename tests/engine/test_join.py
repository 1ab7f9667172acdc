"""Joining a unit scored against a fixed network back into the network (self-assessment, fixed-mode what-if)."""

from __future__ import annotations

import numpy as np
from numpy.testing import assert_allclose, assert_array_equal

from openindex.engine import score_against
from openindex.engine.join import join_results


def test_a_network_unit_scored_alone_and_joined_back_keeps_every_score_and_rank(icc) -> None:
    fw, _, net = icc
    unit = net.units[3]
    scored = score_against(net, net.dataset.select_rows(np.array(net.dataset.unit_codes) == unit))
    both = join_results(net, scored, unit)
    assert list(both.units) == [u for u in net.units if u != unit] + [unit]  # replaced, placed last
    order = [list(net.units).index(u) for u in both.units]
    for level in range(fw.n_levels):
        assert_allclose(both.scores[level], net.scores[level][order], rtol=1e-12, atol=0)
        assert_array_equal(both.ranks[level], net.ranks[level][order])
    assert both.dataset.n_units == net.dataset.n_units
    assert both.input_dataset is both.dataset
