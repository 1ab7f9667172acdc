"""Peer groups: membership by bands, categories, lists and nearest neighbours; peer statistics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from openindex import MethodError, OpenIndexError
from openindex.model.peers import PeerGroup, peer_matrix, peer_statistics, resolve_peer_group

UNITS = pd.DataFrame({
    "unit": ["A", "B", "C", "D", "E"],
    "population": [50_000, 120_000, 600_000, np.nan, 99_999],
    "region": ["N", "S", "N", "S", ""],
    "fb": [5.0, 12.0, 30.0, 8.0, 6.0],
})


def test_bands_are_half_open_and_missing_has_no_group():
    g = PeerGroup(code="size", by="population", bands=[100_000, 500_000])
    matrix, labels = peer_matrix(g, UNITS)
    assert labels == ["< 100,000", "100,000 to < 500,000", ">= 500,000", "", "< 100,000"]
    assert matrix[0].tolist() == [True, False, False, False, True]
    assert not matrix[3].any()  # D: population unknown


def test_categories_and_lists():
    m, labels = peer_matrix(PeerGroup(code="r", by="region"), UNITS)
    assert labels == ["N", "S", "N", "S", ""] and m[0].tolist() == [True, False, True, False, False]
    m, labels = peer_matrix(PeerGroup(code="l", members={"x": ["A", "D"], "y": ["B"]}), UNITS)
    assert labels == ["x", "y", "", "x", ""] and m[3].tolist() == [True, False, False, True, False]
    with pytest.raises(MethodError, match="unknown unit code"):
        peer_matrix(PeerGroup(code="l", members={"x": ["Z"]}), UNITS)


def test_nearest_neighbours():
    units = pd.DataFrame({"unit": list("ABCD"), "x": [0.0, 1.0, 10.0, 11.5]})
    m, _ = peer_matrix(PeerGroup(code="n", nearest=1, on=["x"]), units)
    # each unit and its single nearest: A-B, B-A, C-D, D-C
    assert m.astype(int).tolist() == [[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 1], [0, 0, 1, 1]]


def test_peer_statistics_by_hand():
    scores = np.array([[10.0], [30.0], [20.0], [np.nan], [30.0]])
    groups = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 0, 0], [1, 1, 1, 0, 0], [0, 0, 0, 1, 1], [0, 0, 0, 1, 1]], bool)
    st = peer_statistics(scores, groups)
    # group {A, B, C}: mean (10 + 30 + 20) / 3 = 20; ranks B 1, C 2, A 3
    assert st["mean"][:3, 0].tolist() == [20.0, 20.0, 20.0]
    assert st["rank"][:3, 0].tolist() == [3.0, 1.0, 2.0]
    assert st["gap"][:3, 0].tolist() == [-10.0, 10.0, 0.0]
    # group {D, E}: D has no score -> its rank and gap are missing; E is alone with a score
    assert np.isnan(st["rank"][3, 0]) and st["rank"][4, 0] == 1.0 and st["mean"][4, 0] == 30.0
    assert st["n"][:, 0].tolist() == [3, 3, 3, 1, 1]


def test_peer_group_definition_errors():
    with pytest.raises(ValueError, match="exactly one of"):
        PeerGroup(code="x", by="a", nearest=2, on=["a"])
    with pytest.raises(ValueError, match="2 cut points make 3 bands, but 2 labels"):
        PeerGroup(code="x", by="a", bands=[1, 2], labels=["a", "b"])
    with pytest.raises(ValueError, match="strictly ascending"):
        PeerGroup(code="x", by="a", bands=[2, 1])


def test_resolve_peer_group_default_none_and_unknown():
    size, region = PeerGroup(code="size", by="population", bands=[100_000]), PeerGroup(code="region", by="region")
    assert resolve_peer_group([size, region], None) is size  # the default: the first defined
    assert resolve_peer_group([size, region], "region") is region
    assert resolve_peer_group([size, region], "") is None  # "" asks for no peer comparison
    assert resolve_peer_group([], None) is None
    with pytest.raises(OpenIndexError) as err:
        resolve_peer_group([size, region], "regoin")
    assert str(err.value) == "unknown peer group 'regoin'. Did you mean 'region'? The framework defines: size, region"
    with pytest.raises(OpenIndexError, match="unknown peer group 'size'. The framework defines: none"):
        resolve_peer_group([], "size")
