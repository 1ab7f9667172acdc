"""The design: the unit hypercube drawn once, mapped to factor values (Monte Carlo and Sobol' alike)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from openindex.analysis.uncertainty.factors import STEP_KINDS, FactorInfo, resolve_factors
from openindex.errors import MethodError
from openindex.model.framework import Framework
from openindex.model.spec import UncertaintySpec

__all__ = ["Design", "map_design", "sample_design"]


@dataclass(frozen=True)
class Design:
    """Every factor drawn for every replication.

    Attributes
    ----------
    spec : UncertaintySpec
    factors : tuple of FactorInfo
    u : ndarray, shape (runs, k)
        The unit-hypercube rows the values were mapped from.
    values : tuple of ndarray
        Per factor: discrete factors an int index (runs,) into the alternatives (or weight
        sets); weight noise the multipliers 1 + f (2u - 1), shape (runs, n_nodes); Dirichlet
        the uniforms (runs, n_nodes), mapped to Gamma variates at evaluation (the shape
        parameters depend on the weights the build computes); exclude the index (runs,) into
        ``codes``, -1 = none; goalposts (runs, n_codes, 2) as [lo, hi] in raw units;
        target (runs, n_codes).
    seed : int or None
        The seed ``u`` was drawn with (None when ``u`` was given).
    """

    spec: UncertaintySpec
    factors: tuple[FactorInfo, ...]
    u: np.ndarray
    values: tuple[np.ndarray, ...]
    seed: int | None = None

    @property
    def runs(self) -> int:
        return int(self.u.shape[0])

    def problem(self) -> dict[str, Any]:
        """The SALib problem of the hypercube: one Sobol' group per factor."""
        names, groups = [], []
        for f in self.factors:
            for d in range(f.dims):
                names.append(f"{f.name}[{d}]" if f.dims > 1 else f.name)
                groups.append(f.name)
        return {"num_vars": len(names), "names": names, "groups": groups, "bounds": [[0.0, 1.0]] * len(names)}

    def choices(self, r: int) -> dict[str, Any]:
        """The factor values of replication ``r``, readable (for messages and tests)."""
        out: dict[str, Any] = {}
        for f, v in zip(self.factors, self.values, strict=True):
            body = f.spec.body
            if f.kind in (*STEP_KINDS, "aggregate"):
                alt = body.alternatives[int(v[r])]
                out[f.name] = {"method": alt.method, "params": dict(alt.params)}
            elif f.kind == "weights" and body.sets is not None:
                out[f.name] = {"set": int(v[r]) + 1, "weights": dict(body.sets[int(v[r])])}
            elif f.kind == "weights":
                key = "multiplier" if body.noise is not None else "u"
                out[f.name] = {key: dict(zip(f.codes, v[r].tolist(), strict=True))}
            elif f.kind == "exclude":
                out[f.name] = f.codes[int(v[r])] if v[r] >= 0 else None
            elif f.kind == "goalposts":
                out[f.name] = {c: v[r, j].tolist() for j, c in enumerate(f.codes)}
            else:
                out[f.name] = dict(zip(f.codes, v[r].tolist(), strict=True))
        return out


def _discrete(u: np.ndarray, probs: Sequence[float]) -> np.ndarray:
    """Alternative j when cumsum(p)[j - 1] <= u < cumsum(p)[j] (inverse CDF of the discrete law)."""
    edges = np.cumsum(np.asarray(probs, dtype=float))[:-1]
    return np.minimum(np.searchsorted(edges, u, side="right"), len(probs) - 1).astype(np.int64)


def _exclude_index(u: np.ndarray, p_none: float, n: int) -> np.ndarray:
    """-1 (nothing left out) when u < p_none, else candidate floor((u - p_none) / (1 - p_none) * n)."""
    if p_none >= 1.0:
        return np.full(u.shape, -1, dtype=np.int64)
    idx = np.minimum(np.floor((u - p_none) / (1.0 - p_none) * n), n - 1).astype(np.int64)
    return np.where(u < p_none, -1, idx)


def map_design(spec: UncertaintySpec, framework: Framework, u: np.ndarray, *,
               factors: tuple[FactorInfo, ...] | None = None, seed: int | None = None) -> Design:
    """Map unit-hypercube rows to factor values (the one mapping used by Monte Carlo and Sobol').

    Parameters
    ----------
    spec : UncertaintySpec
    framework : Framework
    u : ndarray, shape (runs, k)
        Values in [0, 1]; ``k`` = the total number of factor columns (see :func:`resolve_factors`).
    factors : tuple of FactorInfo, optional
        Already resolved factors.
    seed : int, optional
        Recorded in the design.

    Returns
    -------
    Design

    Notes
    -----
    Discrete factor with probabilities p: alternative j for u in [P_{j-1}, P_j), P the
    cumulative sums. Weight noise: 1 + f (2u - 1), i.e. U(1 - f, 1 + f). Exclude: none for
    u < p_none, else the candidate floor((u - p_none) / (1 - p_none) * n). Ranges [a, b]:
    a + u (b - a).
    """
    infos = factors if factors is not None else resolve_factors(spec, framework)
    k = sum(f.dims for f in infos)
    ua = np.asarray(u, dtype=float)
    if ua.ndim != 2 or ua.shape[1] != k:
        raise MethodError(f"The design 'u' must have shape (runs, {k}): one column per factor input. "
                          f"Got {ua.shape} instead.")
    if ua.size and not ((ua >= 0) & (ua <= 1)).all():
        raise MethodError("The design 'u' must lie in the unit hypercube [0, 1].")
    values: list[np.ndarray] = []
    for f in infos:
        cols = ua[:, f.columns]
        body = f.spec.body
        if f.discrete:
            values.append(_discrete(cols[:, 0], f.probs))
        elif f.kind == "weights" and body.noise is not None:
            values.append(1.0 + body.noise * (2.0 * cols - 1.0))
        elif f.kind == "weights":
            values.append(cols.copy())
        elif f.kind == "exclude":
            values.append(_exclude_index(cols[:, 0], body.p_none, len(f.codes)))
        elif f.kind == "goalposts":
            b = np.array([body[c].bounds() for c in f.codes], dtype=float)  # (n, 2 [lo, hi], 2 [a, b])
            lo = b[:, 0, 0] + cols[:, 0::2] * (b[:, 0, 1] - b[:, 0, 0])
            hi = b[:, 1, 0] + cols[:, 1::2] * (b[:, 1, 1] - b[:, 1, 0])
            values.append(np.stack([lo, hi], axis=-1))
        else:  # target
            b = np.array([body[c] for c in f.codes], dtype=float)
            values.append(b[:, 0] + cols * (b[:, 1] - b[:, 0]))
    return Design(spec=spec, factors=infos, u=ua, values=tuple(values), seed=seed)


def sample_design(spec: UncertaintySpec, framework: Framework, runs: int | None = None,
                  seed: int | None = None) -> Design:
    """Draw the Monte Carlo design: ``u = np.random.default_rng(seed).random((runs, k))``, mapped.

    Parameters
    ----------
    spec : UncertaintySpec
    framework : Framework
    runs, seed : int, optional
        Default ``spec.runs`` and ``spec.seed``.

    Returns
    -------
    Design
        Depends only on the spec, ``runs`` and ``seed`` (never on chunking or workers).
    """
    runs = spec.runs if runs is None else int(runs)
    seed = spec.seed if seed is None else int(seed)
    if runs < 1:
        raise MethodError(f"The number of runs must be at least 1. Got {runs} instead.")
    infos = resolve_factors(spec, framework)
    k = sum(f.dims for f in infos)
    u = np.random.default_rng(seed).random((runs, k))
    return map_design(spec, framework, u, factors=infos, seed=seed)
