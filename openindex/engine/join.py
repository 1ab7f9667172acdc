"""One unit scored against a fixed network, put back among the network as one :class:`Result`.

:func:`join_results` is how a self-assessed city (or a what-if variant of a city, network
held fixed) is shown with the network: the network units keep their scores, the unit is
placed among them, and every network statistic (means, quartiles, peer groups) can then be
computed over the joined set as for any result.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from openindex.data.dataset import Dataset
from openindex.methods.rank import rank_desc

if TYPE_CHECKING:
    from openindex.engine.result import Result

__all__ = ["join_results"]


def join_results(network: Result, scored: Result, unit: str) -> Result:
    """The network with ``unit`` of ``scored`` in it (replacing the network unit with that code, if any).

    The network units keep their scores (the unit was scored with the network held fixed,
    :func:`openindex.engine.build.score_against`); the unit's row is appended last. Ranks
    are recomputed over the joined units, so the unit's rank is 1 + the number of network
    units scoring strictly higher (after :func:`openindex.methods.rank.snap_ties`), equal
    to ``scored``'s rank.
    """
    i = list(scored.units).index(unit)
    keep = np.array([u != unit for u in network.units])

    def stack(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.concatenate([a[keep], b[i:i + 1]], axis=0)

    nd, sd = network.dataset, scored.dataset
    units = pd.concat([nd.units[keep], sd.units.iloc[[i]]], ignore_index=True)
    answers = pd.concat([nd.answers[keep], sd.answers.iloc[[i]]], ignore_index=True) if len(
        nd.answers.columns) else nd.answers
    data = Dataset(units=units, values=stack(nd.values, sd.values), indicators=nd.indicators, answers=answers,
                   source=sd.source, sha256=sd.sha256)
    scores = tuple(stack(a, b) for a, b in zip(network.scores, scored.scores, strict=True))
    return replace(network, dataset=data, stages={k: stack(network.stages[k], scored.stages[k])
                                                  for k in network.stages},
                   scores=scores, ranks=tuple(rank_desc(s) for s in scores), imputed=stack(network.imputed,
                                                                                           scored.imputed),
                   treated=stack(network.treated, scored.treated), warnings=network.warnings + scored.warnings,
                   input_dataset=data)
