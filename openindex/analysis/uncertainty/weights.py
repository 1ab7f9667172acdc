"""The weights of one level under the factors: noise, Dirichlet draws, weight sets, a node left out.

Shared by the vectorised evaluation (:mod:`.evaluation`) and by the reference framework of
one replication (:func:`~openindex.analysis.uncertainty.replicate.replication_framework`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import gammaincinv

from openindex.analysis.uncertainty.design import Design
from openindex.engine import LevelPlan, Plan, weights_from_plans
from openindex.model.framework import Framework


@dataclass(frozen=True)
class LevelFactors:
    """The factors acting on the weight matrix of one level (children = the level below)."""

    level: int
    member: np.ndarray  # (n_nodes, n_children) bool
    kind: str | None = None  # noise, dirichlet, sets
    values: np.ndarray | None = None  # per replication (design values)
    concentration: float = 0.0
    sets: np.ndarray | None = None  # (n_sets, n_nodes, n_children) file weights
    exclude: np.ndarray | None = None  # (runs,) child column or -1


def level_factors(fw: Framework, design: Design, level: int) -> LevelFactors:
    member = fw.membership(level)
    below = fw.padded_levels[level - 2]
    kw: dict[str, Any] = {}
    for f, v in zip(design.factors, design.values, strict=True):
        if f.level != level - 1:
            continue
        body = f.spec.body
        if f.kind == "weights":
            if body.sets is not None:
                file_w = np.array([fw.node(c).weight for c in below], dtype=float)
                mats = [member * np.array([float(s.get(c, file_w[j])) for j, c in enumerate(below)])
                        for s in body.sets]
                kw.update(kind="sets", values=v, sets=np.stack(mats))
            else:
                kw.update(kind="noise" if body.noise is not None else "dirichlet", values=v,
                          concentration=float(body.dirichlet or 0.0))
        elif f.kind == "exclude":
            col = np.array([below.index(c) for c in f.codes] + [-1])  # index -1 maps to -1
            kw["exclude"] = col[v]
    return LevelFactors(level=level, member=member, **kw)


def modified_weights(lf: LevelFactors, base: np.ndarray, reps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weights of replications ``reps`` before re-normalisation, and which ones changed.

    ``base`` (n_nodes, n_children) or (g, n_nodes, n_children): the weight method's output.
    """
    g = len(reps)
    shape = (g, *base.shape[-2:])
    if lf.kind == "noise":
        mod = base * lf.values[reps][:, None, :]  # type: ignore[index]
    elif lf.kind == "dirichlet":
        alpha = lf.concentration * base.sum(axis=-2)  # one parent per child: its weight
        if alpha.ndim == 1:
            alpha = np.broadcast_to(alpha, (g, alpha.shape[-1]))
        pos = alpha > 0
        gam = np.where(pos, gammaincinv(np.where(pos, alpha, 1.0), lf.values[reps]), 0.0)  # type: ignore[index]
        mod = lf.member * gam[:, None, :]
    elif lf.kind == "sets":
        mod = lf.sets[lf.values[reps]]  # type: ignore[index]
    else:
        mod = np.array(np.broadcast_to(base, shape))
    mod = np.array(np.broadcast_to(mod, shape))
    changed = np.full(g, lf.kind is not None)
    if lf.exclude is not None:
        e = lf.exclude[reps]
        rows = np.nonzero(e >= 0)[0]
        mod[rows, :, e[rows]] = 0.0
        changed[rows] = True
    return mod, changed


def method_weights(level: LevelPlan, x: np.ndarray) -> np.ndarray:
    """The weight method's matrix of a level (as in a build), batched over the leading axes of ``x``."""
    return weights_from(level.nominal, level.members, level.below, level.weights, x, level.here)


def weights_from(nominal: np.ndarray, member: np.ndarray, below: Sequence[str], plans: Sequence[Plan],
                 x: np.ndarray, here: Sequence[str]) -> np.ndarray:
    """The level's weights under the build's weight plans, with the batch axes of ``x``."""
    return weights_from_plans(nominal, member, below, here, plans, x, batch=x.shape[:-2])
