"""Ranking helpers."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_array_equal

from openindex.errors import MethodError
from openindex.methods.rank import rank_desc, rank_within_groups, snap_ties

nan = np.nan


def test_rank_desc_hand() -> None:
    x = np.array([[3.0, 1.0], [5.0, nan], [3.0, 2.0], [nan, 2.0], [1.0, 0.0]])
    # col 0: 5 -> 1, the two 3s share 2, 1 -> 4; col 1: the two 2s share 1, 1 -> 3, 0 -> 4
    assert_array_equal(rank_desc(x), [[2, 3], [1, nan], [2, 1], [nan, 1], [4, 4]])


def test_rank_desc_batch_and_axis() -> None:
    a = np.array([[1.0], [3.0], [2.0]])
    b = np.array([[9.0], [3.0], [3.0]])
    got = rank_desc(np.stack([a, b]))
    assert_array_equal(got, [[[3], [1], [2]], [[1], [2], [2]]])
    assert_array_equal(rank_desc(np.array([1.0, 3.0, 2.0]), axis=0), [3, 1, 2])
    assert_array_equal(rank_desc(a.T, axis=-1), [[3, 1, 2]])


def test_rank_within_groups_hand() -> None:
    x = np.array([[10.0], [20.0], [30.0], [40.0], [nan], [5.0]])
    groups = np.array([0, 1, 0, -1, 1, 1])
    # group 0: 30 -> 1, 10 -> 2; group 1: 20 -> 1, 5 -> 2, missing stays missing; -1 -> NaN
    assert_array_equal(rank_within_groups(x, groups), [[2], [1], [1], [nan], [nan], [2]])
    batched = rank_within_groups(np.stack([x, -x]), groups)
    assert_array_equal(batched[1], [[1], [2], [2], [nan], [nan], [1]])
    with pytest.raises(MethodError):
        rank_within_groups(x, np.array([0, 1]))


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, (7, 2), elements=st.integers(-5, 5).map(float)))
def test_rank_desc_properties(x: np.ndarray) -> None:
    r = rank_desc(x)
    # rank = 1 + number of strictly better units; best unit ranks 1
    want = 1 + (x[None, :, :] > x[:, None, :]).sum(axis=1)
    assert_array_equal(r, want)
    assert_array_equal(rank_desc(np.exp(x)), r)  # unchanged by increasing transforms


def test_rounding_noise_ties() -> None:
    # (50 + 100 + 37.5) / 3 and (37.5 + 75 + 75) / 3 are both 62.5 by hand, but weighted
    # sums with weights 1/3 can round differently: they must still tie
    w = 1.0 / 3.0
    a = 50 * w + 100 * w + 37.5 * w
    b = 37.5 * w + 75 * w + 75 * w
    x = np.array([[a], [b], [10.0], [70.0]])
    assert_array_equal(rank_desc(x), [[2], [2], [4], [1]])
    y = np.array([[62.5], [np.nextafter(62.5, 0)], [10.0]])
    assert_array_equal(rank_desc(y), [[1], [1], [3]])
    assert_array_equal(rank_desc(y, rtol=0.0), [[1], [2], [3]])


def test_snap_ties() -> None:
    w = 1.0 / 3.0
    a = 50 * w + 100 * w + 37.5 * w
    b = 37.5 * w + 75 * w + 75 * w
    x = np.array([[a, 1.0], [b, nan], [10.0, 1.0 + 1e-3]])
    s = snap_ties(x)
    assert s[0, 0] == s[1, 0] == max(a, b)
    assert s[2, 0] == 10.0
    assert_array_equal(s[:, 1], [1.0, nan, 1.0 + 1e-3])  # a real gap is kept
    assert_array_equal(snap_ties(np.stack([x, x]))[1], s)
