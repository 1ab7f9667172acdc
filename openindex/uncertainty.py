"""Monte Carlo uncertainty analysis of a ranking, vectorised over the replications.

A ranking is partly a product of modelling choices. The ``uncertainty:`` section of a
framework (or a ``--factors`` file) declares which choices are uncertain
(:class:`~openindex.spec.UncertaintySpec`); this module

1. draws every factor for every replication up front (:func:`sample_design`): one
   ``np.random.default_rng(seed)`` draws a matrix ``u`` of shape (runs, k) in the unit
   hypercube, and :func:`map_design` maps each row to factor values. The Sobol' design of
   :mod:`openindex.sensitivity` goes through the same mapping (:func:`sobol_index`);
2. evaluates all replications at once (:func:`evaluate`):

   - each distinct combination of the indicator-level alternatives drawn (imputation x
     treatment x normalisation) is built once with the real pipeline, giving a stack
     (A, n_units, n_indicators) that replications index into;
   - continuous factors vary along a leading batch axis: weights become arrays
     (g, n_nodes, n_children); goalposts and targets re-normalise only the columns they touch;
   - for every level, replications are grouped by their aggregation alternative and each
     group is aggregated in one batched call of :func:`openindex.pipeline.aggregate_level`;
   - replications run in memory-bounded chunks, optionally in worker processes; the numbers
     depend only on the design, never on the chunk size or the number of workers;
3. summarises: rank intervals (:func:`rank_intervals`, :func:`rank_summary`),
   remove-one-component rank shifts (:func:`remove_one`) and Sobol' indices
   (:func:`sobol_index`).

Factor semantics (a replication equals :func:`openindex.pipeline.build` of the framework
returned by :func:`replication_framework`, which writes the replication's choices into
the build spec; the tests check this for every factor kind):

- ``impute`` / ``treat`` / ``normalise``: the alternative replaces the step's global method
  and params (per-indicator overrides and the questionnaire choice stay);
- ``aggregate``: without ``level`` the alternative replaces the global method and every
  per-level choice; with ``level`` only that level's choice (per-node choices stay);
- ``weights`` of level L (the weights of the nodes of level L within their parents;
  level 1 = indicators): ``w`` is what the build's weight method gives, normalised within
  each parent. ``noise: f``: w * (1 + U(-f, f)), one draw per weight; ``dirichlet: c``:
  the weights of each parent's children ~ Dirichlet(c w) (drawn as Gamma(c w_i) by inverse
  CDF, then normalised); ``sets``: one of the alternative file weight sets. The modified
  weights are re-normalised within each parent (the ``explicit`` method); in
  :func:`replication_framework` they become the file weights with ``explicit`` weighting;
- ``exclude`` of level L: one node of the level (with at least one sibling) gets weight 0,
  applied after the weight method (so ``equal`` weights cannot undo it); or none, with
  probability ``p_none``;
- ``goalposts`` / ``target``: uniform draws in the given ranges (raw units), used by the
  ``goalposts`` and ``distance_to_target`` normalisations.

References
----------
Saisana, M., Saltelli, A., Tarantola, S. (2005), "Uncertainty and sensitivity analysis
techniques as tools for the quality assessment of composite indicators", *JRSS A*
168(2):307-323, doi:10.1111/j.1467-985X.2005.00350.x.
OECD/JRC (2008), *Handbook on Constructing Composite Indicators*, step 7.
COINr ``get_sensitivity()`` (Becker et al.), whose outputs these mirror.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.special import gammaincinv

from . import sensitivity
from .dataset import Dataset
from .errors import DegenerateInputError, FrameworkError, MethodError, OpenIndexError, Problem
from .framework import Framework, _hint, _location, parse_framework
from .pipeline import Plan, _plans, _weight_plans, aggregate_level, build, resolve_node_methods
from .rank import rank_desc
from .registry import registry_for
from .result import Result
from .spec import Factor, UncertaintySpec
from .weight import explicit

__all__ = [
    "FactorInfo",
    "Design",
    "Replications",
    "UncertaintyResult",
    "resolve_factors",
    "sample_design",
    "map_design",
    "evaluate",
    "replication_framework",
    "rank_intervals",
    "rank_summary",
    "remove_one",
    "remove_one_summary",
    "mean_abs_rank_shift",
    "sobol_index",
    "run_uncertainty",
    "default_chunk_size",
]

STEP_KINDS = ("impute", "treat", "normalise")
#: memory budget of one chunk of replications (bytes)
CHUNK_BUDGET = 256 * 2**20


# --------------------------------------------------------------------------------------
# Factors: references checked against the framework, columns of the unit hypercube
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FactorInfo:
    """A factor resolved against a framework.

    Attributes
    ----------
    name : str
        Unique name (the ``factor`` column of the sensitivity table; a Sobol' group).
    kind : str
        One of :data:`openindex.spec.FACTOR_KINDS`.
    spec : Factor
        The factor as written.
    columns : slice
        Its columns in the unit hypercube ``u``.
    level : int or None
        weights / exclude: level of the nodes; aggregate: the level (None = every level).
    codes : tuple of str
        weights: the nodes of the level; exclude: the candidates; goalposts / target: indicators.
    probs : tuple of float
        Discrete factors: probability of each alternative (or weight set).
    """

    name: str
    kind: str
    spec: Factor
    columns: slice
    level: int | None = None
    codes: tuple[str, ...] = ()
    probs: tuple[float, ...] = ()

    @property
    def dims(self) -> int:
        return self.columns.stop - self.columns.start

    @property
    def discrete(self) -> bool:
        return self.kind in (*STEP_KINDS, "aggregate") or (self.kind == "weights" and self.spec.body.sets is not None)


def _level_number(fw: Framework, value: Any, lowest: int, highest: int) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        k = value
    elif str(value) in fw.level_names:
        k = fw.level_names.index(str(value)) + 1
    elif str(value).isdigit():
        k = int(str(value))
    else:
        return None
    return k if lowest <= k <= highest else None


def _level_options(fw: Framework, lowest: int, highest: int) -> str:
    return ", ".join(f"{k} ({fw.level_names[k - 1]})" for k in range(lowest, highest + 1))


def resolve_factors(spec: UncertaintySpec, framework: Framework, *, source: str = "",
                    lines: Mapping[tuple[Any, ...], int] | None = None,
                    prefix: tuple[Any, ...] = ("uncertainty",)) -> tuple[FactorInfo, ...]:
    """Check every factor against the framework and lay out the unit hypercube.

    Parameters
    ----------
    spec : UncertaintySpec
    framework : Framework
    source, lines, prefix
        File name, YAML line numbers and the YAML path of the section, for messages.

    Returns
    -------
    tuple of FactorInfo
        In the order of ``spec.factors``; columns: weights noise / Dirichlet one per node of
        the level, goalposts two per indicator (lo, hi), target one per indicator, every
        other factor one.

    Raises
    ------
    FrameworkError
        Listing every problem: unknown levels, codes, methods or params, two factors on the
        same choice, repeated names, goalposts or targets no normalisation uses.
    """
    fw = framework
    source = source or fw.source
    lines = dict(lines if lines is not None else fw.lines)
    if prefix and prefix not in lines:
        lines = {}  # the section is not in that file: name paths without line numbers
    problems: list[Problem] = []

    def add(path: Sequence[Any], message: str, value: Any = "") -> None:
        problems.append(Problem(source, _location((*prefix, "factors", *path), lines), message,
                                value="" if value == "" else str(value)))

    n = fw.n_levels
    infos: list[FactorInfo] = []
    col = 0
    seen_keys: dict[tuple[Any, ...], int] = {}
    names: dict[str, int] = {}
    seen_codes: dict[tuple[str, str], int] = {}
    for i, f in enumerate(spec.factors):
        kind, body = f.kind, f.body
        level: int | None = None
        codes: tuple[str, ...] = ()
        probs: tuple[float, ...] = ()
        dims = 1
        key: tuple[Any, ...] = (kind, i)
        if kind == "weights":
            level = _level_number(fw, body.level, 1, n - 1)
            if level is None:
                add((i, kind, "level"), f"unknown level {body.level!r}; weights vary at levels "
                    f"{_level_options(fw, 1, n - 1)}", body.level)
                continue
            codes = fw.levels[level - 1]
            if body.sets is not None:
                probs = body.probs()
                for s, wset in enumerate(body.sets):
                    for code in wset:
                        if code not in codes:
                            add((i, kind, "sets", s, code), f"'{code}' is not a node of level {level}."
                                f"{_hint(code, set(codes))}", code)
                    for parent in fw.levels[level]:
                        kids = fw.children(parent)
                        if all(float(wset.get(c, fw.node(c).weight)) == 0 for c in kids):
                            add((i, kind, "sets", s), f"weight set {s + 1} gives every child of '{parent}' "
                                "weight 0; at least one must be positive")
            else:
                dims = len(codes)
            key = ("weights", level)
        elif kind in (*STEP_KINDS, "aggregate"):
            reg = registry_for(kind)
            for a, alt in enumerate(body.alternatives):
                if alt.method not in reg:
                    add((i, kind, a, "method"), reg.unknown_message(alt.method), alt.method)
                    continue
                try:
                    reg.validate_params(alt.method, alt.params)
                except MethodError as exc:
                    add((i, kind, a, "params"), str(exc))
            probs = body.probs()
            if kind == "aggregate" and body.level is not None:
                level = _level_number(fw, body.level, 2, n)
                if level is None:
                    add((i, kind, "level"), f"unknown level {body.level!r}; aggregation levels are "
                        f"{_level_options(fw, 2, n)}", body.level)
                    continue
            key = (kind, level)
        elif kind == "exclude":
            level = _level_number(fw, body.level, 1, n - 1)
            if level is None:
                add((i, kind, "level"), f"unknown level {body.level!r}; nodes can be left out at levels "
                    f"{_level_options(fw, 1, n - 1)}", body.level)
                continue
            here = fw.levels[level - 1]
            siblings = {c for c in here if len(fw.children(fw.parent[c])) > 1}  # type: ignore[arg-type]
            if body.codes is not None:
                for code in body.codes:
                    if code not in here:
                        add((i, kind, "codes"), f"'{code}' is not a node of level {level}.{_hint(code, set(here))}",
                            code)
                    elif code not in siblings:
                        add((i, kind, "codes"), f"'{code}' is the only child of '{fw.parent[code]}'; leaving it out "
                            "would remove its parent (leave the parent out instead)", code)
                codes = tuple(dict.fromkeys(body.codes))
            else:
                codes = tuple(c for c in here if c in siblings)
                if not codes:
                    add((i, kind, "level"), f"no node of level {level} has a sibling; there is nothing to leave out",
                        body.level)
            key = ("exclude", level)
        else:  # goalposts, target
            codes = tuple(body)
            for code in codes:
                if code not in fw.indicators:
                    add((i, kind, code), f"unknown indicator '{code}'.{_hint(code, set(fw.indicators))}", code)
                elif (kind, code) in seen_codes:
                    add((i, kind, code), f"the {kind} of '{code}' already vary in factor "
                        f"{seen_codes[(kind, code)] + 1}; give each indicator one range", code)
                seen_codes[(kind, code)] = i
            dims = (2 if kind == "goalposts" else 1) * len(codes)
        name = f.name or f.default_name()
        if key in seen_keys:
            what = {"weights": f"the weights of level {level}", "exclude": f"leaving out a node of level {level}",
                    "aggregate": f"the aggregation of level {level}" if level else "the global aggregation"}
            add((i, kind), f"{what.get(kind, f'the {kind} method')} already varies in factor "
                f"{seen_keys[key] + 1}; merge the two factors")
        elif name in names:
            add((i, "name"), f"factor name '{name}' is also the name of factor {names[name] + 1}; give each "
                "factor a distinct `name`", name)
        seen_keys.setdefault(key, i)
        names.setdefault(name, i)
        infos.append(FactorInfo(name, kind, f, slice(col, col + dims), level, codes, probs))
        col += dims
    _check_effect(spec, fw, infos, add)
    if problems:
        raise FrameworkError(problems, f"{source}: {len(problems)} problem{'s' * (len(problems) > 1)} in the "
                                       "uncertainty factors")
    return tuple(infos)


def _check_effect(spec: UncertaintySpec, fw: Framework, infos: Sequence[FactorInfo], add: Any) -> None:
    """Goalposts and targets must be used by the nominal normalisation or one of the alternatives."""
    need = {"goalposts": "goalposts", "target": "distance_to_target"}
    norm = next((f for f in infos if f.kind == "normalise"), None)
    step = fw.build.normalise
    for f in infos:
        if f.kind not in need:
            continue
        for code in f.codes:
            if code not in fw.indicators:
                continue
            is_q = fw.indicators[code].type == "questionnaire"
            methods = {step.choice_for(code, is_q).method}
            if norm is not None and code not in step.overrides and not (is_q and step.questionnaire is not None):
                methods |= {a.method for a in norm.spec.body.alternatives}
            if need[f.kind] not in methods:
                i = spec.factors.index(f.spec)
                add((i, f.kind, code), f"no normalisation of '{code}' uses its {f.kind} (it is normalised with "
                    f"{', '.join(sorted(methods))}); the factor would have no effect. Use "
                    f"build.normalise.overrides.{code}: {{method: {need[f.kind]}}}", code)


# --------------------------------------------------------------------------------------
# The design: unit hypercube -> factor values
# --------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------
# Writing a replication's choices into a framework (the reference a replication must equal)
# --------------------------------------------------------------------------------------


def _positions(fw: Framework) -> dict[str, tuple[str, int]]:
    pos = {i.code: ("indicators", k) for k, i in enumerate(fw.model.indicators)}
    pos.update({a.code: ("aggregates", k) for k, a in enumerate(fw.model.aggregates)})
    return pos


def _set_aggregation(data: dict[str, Any], fw: Framework, global_alt: Any, level_alts: Mapping[int, Any]) -> None:
    agg = data["build"]["aggregate"]
    if global_alt is not None:
        agg["method"], agg["params"], agg["levels"] = global_alt.method, dict(global_alt.params), {}
    for level, alt in level_alts.items():
        levels = agg.setdefault("levels", {})
        name = fw.level_names[level - 1]
        levels.pop(str(level), None)
        levels[name] = {"method": alt.method, "params": dict(alt.params)}


def _choice_data(fw: Framework, design: Design, r: int) -> dict[str, Any]:
    """The framework as data with replication ``r``'s discrete choices, goalposts and targets."""
    data = fw.model.model_dump(mode="json", exclude_none=True)
    pos = _positions(fw)
    global_alt, level_alts = None, {}
    for f, v in zip(design.factors, design.values, strict=True):
        body = f.spec.body
        if f.kind in STEP_KINDS:
            alt = body.alternatives[int(v[r])]
            data["build"][f.kind]["method"], data["build"][f.kind]["params"] = alt.method, dict(alt.params)
        elif f.kind == "aggregate":
            alt = body.alternatives[int(v[r])]
            if f.level is None:
                global_alt = alt
            else:
                level_alts[f.level] = alt
        elif f.kind in ("goalposts", "target"):
            for j, code in enumerate(f.codes):
                entry = data["indicators"][pos[code][1]]
                entry[f.kind] = [float(x) for x in v[r, j]] if f.kind == "goalposts" else float(v[r, j])
    _set_aggregation(data, fw, global_alt, level_alts)
    return data


def replication_framework(framework: Framework, design: Design, r: int, dataset: Dataset | None = None, *,
                          edition: int | None = None) -> Framework:
    """The framework whose plain build equals replication ``r`` of :func:`evaluate`.

    The replication's choices are written into the build spec: step and aggregation
    methods, goalposts and targets of the indicators, and, for every level whose weights
    vary or lose a node, the modified weights as file weights of that level's nodes with
    ``explicit`` weighting of their parents (``build.weight.overrides``).

    Parameters
    ----------
    framework : Framework
    design : Design
    r : int
        Replication index.
    dataset : Dataset, optional
        Needed only when a level whose weights vary uses a data-dependent weight method
        (``pca``): its weights are then read from a build.
    edition : int, optional

    Returns
    -------
    Framework
        Validated like any framework (``parse_framework``).
    """
    fw = framework
    data = _choice_data(fw, design, r)
    source = f"{fw.source} (replication {r})"
    fw_r = parse_framework(data, source=source)
    pos = _positions(fw)
    reps = np.array([r])
    for level in range(2, fw.n_levels + 1):
        lf = _level_factors(fw, design, level)
        if lf.kind is None and lf.exclude is None:
            continue
        plans = _weight_plans(fw_r, level)
        reg = registry_for("weight")
        if any("x" in reg.get(p.method).context for p in plans):
            if dataset is None:
                raise MethodError(f"the weights of level {level} are data-dependent; replication_framework needs "
                                  "the dataset")
            base = build(fw_r, dataset, edition=edition).weights[level - 2]
        else:
            base = _method_weights(fw_r, level, plans, np.empty((0, len(fw.levels[level - 2]))))
        mod, changed = _modified_weights(lf, base, reps)
        if not changed[0]:
            continue
        for code, w in zip(fw.levels[level - 2], mod[0].sum(axis=0), strict=True):
            section, k = pos[code]
            data[section][k]["weight"] = float(w)
        overrides = data["build"]["weight"].setdefault("overrides", {})
        for parent in fw.levels[level - 1]:
            overrides[parent] = {"method": "explicit", "params": {}}
        fw_r = parse_framework(data, source=source)
    return fw_r


# --------------------------------------------------------------------------------------
# Weights of one level under the factors
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _LevelFactors:
    """The factors acting on the weight matrix of one level (children = the level below)."""

    level: int
    member: np.ndarray  # (n_nodes, n_children) bool
    kind: str | None = None  # noise, dirichlet, sets
    values: np.ndarray | None = None  # per replication (design values)
    concentration: float = 0.0
    sets: np.ndarray | None = None  # (n_sets, n_nodes, n_children) file weights
    exclude: np.ndarray | None = None  # (runs,) child column or -1


def _level_factors(fw: Framework, design: Design, level: int) -> _LevelFactors:
    member = fw.membership(level)
    below = fw.levels[level - 2]
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
    return _LevelFactors(level=level, member=member, **kw)


def _modified_weights(lf: _LevelFactors, base: np.ndarray, reps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
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


def _method_weights(fw: Framework, level: int, plans: Sequence[Plan], x: np.ndarray) -> np.ndarray:
    """The weight method's matrix of ``level`` (as in the pipeline), batched over the leading axes of ``x``."""
    return _weights_from(fw.weights(level), fw.membership(level), fw.levels[level - 2], plans, x,
                         fw.levels[level - 1])


def _weights_from(nominal: np.ndarray, member: np.ndarray, below: Sequence[str], plans: Sequence[Plan],
                  x: np.ndarray, here: Sequence[str]) -> np.ndarray:
    reg = registry_for("weight")
    out = np.zeros(x.shape[:-2] + nominal.shape)
    for plan in plans:
        rows = np.asarray(plan.columns)
        method = reg.get(plan.method)
        ctx = {"members": member[rows], "x": x, "codes": below}
        kwargs = {**plan.params, **{k: ctx[k] for k in method.context}}
        try:
            out[..., rows, :] = method.func(nominal[rows], **kwargs)
        except DegenerateInputError as exc:
            nodes = ", ".join(here[r] for r in rows)
            raise MethodError(f"weight method '{plan.method}' for {nodes}: {exc.message}. {exc.hint}") from None
    return out


# --------------------------------------------------------------------------------------
# The compiled evaluation state (picklable: sent once to each worker process)
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Renormalise:
    """Columns of one combination whose goalposts / target vary per replication."""

    method: str
    params: Mapping[str, Any]
    columns: np.ndarray  # indicator positions (k,)
    context: str  # "goalposts" or "target"
    values: np.ndarray  # direction-adjusted, (runs, k, 2) or (runs, k)
    codes: tuple[str, ...]


class _Describe:
    """Names nodes, children and units in aggregation errors (picklable, unlike a closure)."""

    def __init__(self, here: Sequence[str], below: Sequence[str], units: Sequence[str]) -> None:
        self.here, self.below, self.units = tuple(here), tuple(below), tuple(units)

    def __call__(self, plan: Plan, exc: DegenerateInputError) -> str:
        kids = [self.below[c] for c in exc.columns if c < len(self.below)]
        us = [self.units[u] for u in exc.units if u < len(self.units)]
        return (f"aggregate method '{plan.method}' for {', '.join(self.here[r] for r in plan.columns)}: "
                f"{exc.message}" + (f"; children: {', '.join(kids)}" if kids else "")
                + (f"; units: {', '.join(us)}" if us else "") + (f". {exc.hint}" if exc.hint else "")
                + " (in some replications of the uncertainty analysis)")


@dataclass(frozen=True)
class _Level:
    level: int
    nominal: np.ndarray
    factors: _LevelFactors
    weight_plans: tuple[Plan, ...]
    base: np.ndarray | None  # the weight method's matrix when it does not depend on the data
    agg_key: np.ndarray  # (runs,) index into plans
    plans: tuple[tuple[Plan, ...], ...]
    below: tuple[str, ...]
    here: tuple[str, ...]
    describe: _Describe


@dataclass(frozen=True)
class _Compiled:
    units: tuple[str, ...]
    combo: np.ndarray  # (runs,) index into normalised
    normalised: np.ndarray  # (A, n_units, n_ind)
    oriented: np.ndarray | None  # (A, n_units, n_ind), when goalposts or targets vary
    renormalise: tuple[tuple[_Renormalise, ...], ...]  # per combination
    levels: tuple[_Level, ...]
    min_share: float
    keep: tuple[int, ...]
    indicator_codes: tuple[str, ...]


def _stage_framework(fw: Framework, design: Design, alts: Mapping[str, Any]) -> Framework:
    """The framework of one indicator-level combination, with a build that cannot fail after normalisation.

    Aggregation is set to the arithmetic mean and weighting to ``explicit`` (only the
    indicator-level stages are read from its build); goalposts and targets that vary are
    set to the middle of their ranges so that the methods using them can run.
    """
    data = fw.model.model_dump(mode="json", exclude_none=True)
    for step, alt in alts.items():
        data["build"][step]["method"], data["build"][step]["params"] = alt.method, dict(alt.params)
    data["build"]["aggregate"] = {"method": "arithmetic", "min_share": 0.0}
    data["build"]["weight"] = {"method": "explicit"}
    for a in data["aggregates"]:
        a.pop("aggregate", None)
    pos = _positions(fw)
    for f in design.factors:
        if f.kind == "goalposts":
            for code in f.codes:
                (a, b), (c, d) = f.spec.body[code].bounds()
                data["indicators"][pos[code][1]]["goalposts"] = [(a + b) / 2, (c + d) / 2]
        elif f.kind == "target":
            for code in f.codes:
                a, b = f.spec.body[code]
                data["indicators"][pos[code][1]]["target"] = (a + b) / 2
    return parse_framework(data, source=fw.source)


def _compile(fw: Framework, dataset: Dataset, design: Design, edition: int | None, keep: Sequence[int]) -> _Compiled:
    runs = design.runs
    codes = fw.indicator_codes
    is_q = [fw.indicators[c].type == "questionnaire" for c in codes]
    direction = np.array([fw.indicators[c].direction for c in codes], dtype=float)
    by_kind = {f.kind: (f, v) for f, v in zip(design.factors, design.values, strict=True) if f.kind in STEP_KINDS}
    steps = [s for s in STEP_KINDS if s in by_kind]
    choice = np.stack([by_kind[s][1] for s in steps], axis=1) if steps else np.zeros((runs, 0), dtype=np.int64)
    combos, combo = np.unique(choice, axis=0, return_inverse=True)
    combo = combo.reshape(-1).astype(np.int64)
    varying = [(f, v) for f, v in zip(design.factors, design.values, strict=True) if f.kind in ("goalposts", "target")]

    normalised, oriented, renorm = [], [], []
    units: tuple[str, ...] | None = None
    for row in combos:
        alts = {s: by_kind[s][0].spec.body.alternatives[int(row[j])] for j, s in enumerate(steps)}
        fw_c = _stage_framework(fw, design, alts)
        try:
            res = build(fw_c, dataset, edition=edition)
        except MethodError as exc:
            what = ", ".join(f"{s} {a.method}" for s, a in alts.items())
            raise MethodError(f"uncertainty analysis, replications with {what}: {exc}") from None
        if units is None:
            units = res.units
        normalised.append(res.stages["normalised"])
        tasks: list[_Renormalise] = []
        if varying:
            oriented.append(res.stages["treated"] * direction)
            empty = np.isnan(res.stages["treated"]).all(axis=0)
            plans = _plans("normalise", fw_c.build.normalise, codes, is_q)
            method_of = {j: p for p in plans for j in p.columns}
            for f, v in varying:
                method = "goalposts" if f.kind == "goalposts" else "distance_to_target"
                groups: dict[tuple[str, str], list[int]] = {}
                for k, code in enumerate(f.codes):
                    j = codes.index(code)
                    if method_of[j].method == method and not empty[j]:
                        groups.setdefault(method_of[j].key(), []).append(k)
                for ks in groups.values():
                    plan = method_of[codes.index(f.codes[ks[0]])]
                    cols = np.array([codes.index(f.codes[k]) for k in ks])
                    vals = v[:, ks]
                    if f.kind == "goalposts":  # direction-adjusted as in the pipeline: [-hi, -lo] for -1
                        flip = direction[cols] < 0
                        vals = vals.copy()
                        vals[:, flip] = -vals[:, flip][:, :, ::-1]
                    else:
                        vals = vals * direction[cols]
                    tasks.append(_Renormalise(plan.method, dict(plan.params), cols,
                                              "goalposts" if f.kind == "goalposts" else "target", vals,
                                              tuple(f.codes[k] for k in ks)))
        renorm.append(tuple(tasks))
    assert units is not None

    levels = []
    global_f = next(((f, v) for f, v in zip(design.factors, design.values, strict=True)
                     if f.kind == "aggregate" and f.level is None), None)
    reg = registry_for("weight")
    for level in range(2, fw.n_levels + 1):
        level_f = next(((f, v) for f, v in zip(design.factors, design.values, strict=True)
                        if f.kind == "aggregate" and f.level == level), None)
        gk = global_f[1] if global_f else np.zeros(runs, dtype=np.int64)
        lk = level_f[1] if level_f else np.zeros(runs, dtype=np.int64)
        n_l = len(level_f[0].probs) if level_f else 1
        uniq, agg_key = np.unique(gk * n_l + lk, return_inverse=True)
        level_plans: list[tuple[Plan, ...]] = []
        for key in uniq:
            data = fw.model.model_dump(mode="json", exclude_none=True)
            g_alt = global_f[0].spec.body.alternatives[int(key) // n_l] if global_f else None
            l_alt = {level: level_f[0].spec.body.alternatives[int(key) % n_l]} if level_f else {}
            if g_alt is not None or l_alt:
                _set_aggregation(data, fw, g_alt, l_alt)
                fw_key = parse_framework(data, source=fw.source)
            else:
                fw_key = fw
            level_plans.append(tuple(resolve_node_methods(fw_key, level)))
        wplans = tuple(_weight_plans(fw, level))
        data_dependent = any("x" in reg.get(p.method).context for p in wplans)
        base = None if data_dependent else _method_weights(fw, level, wplans, np.empty((0, len(fw.levels[level - 2]))))
        levels.append(_Level(level=level, nominal=fw.weights(level), factors=_level_factors(fw, design, level),
                             weight_plans=wplans, base=base, agg_key=agg_key.reshape(-1).astype(np.int64),
                             plans=tuple(level_plans), below=fw.levels[level - 2], here=fw.levels[level - 1],
                             describe=_Describe(fw.levels[level - 1], fw.levels[level - 2], units)))
    return _Compiled(units=units, combo=combo, normalised=np.stack(normalised),
                     oriented=np.stack(oriented) if oriented else None, renormalise=tuple(renorm),
                     levels=tuple(levels), min_share=fw.build.aggregate.min_share, keep=tuple(keep),
                     indicator_codes=codes)


def _level1(c: _Compiled, combo: int, reps: np.ndarray) -> np.ndarray:
    """Normalised indicators of replications ``reps`` (all of combination ``combo``).

    (n_units, n_ind) when nothing varies per replication, else (g, n_units, n_ind) with the
    goalposts / target columns re-normalised by the registered method: the g replications'
    columns are laid side by side as g * k columns of one call.
    """
    x = c.normalised[combo]
    tasks = c.renormalise[combo]
    if not tasks:
        return x
    assert c.oriented is not None
    g, n_units = len(reps), x.shape[0]
    out = np.repeat(x[None], g, axis=0)
    reg = registry_for("normalise")
    for t in tasks:
        k = len(t.columns)
        xx = np.tile(c.oriented[combo][:, t.columns], (1, g))  # column i * k + j: replication i, indicator j
        vals = t.values[reps]
        ctx = vals.reshape(g * k, *vals.shape[2:])
        try:
            y = reg.get(t.method).func(xx, **{t.context: ctx}, **t.params)
        except DegenerateInputError as exc:
            bad = sorted({t.codes[col % k] for col in exc.columns})
            raise MethodError(f"normalise method '{t.method}' with the sampled {t.context} of {', '.join(bad)}: "
                              f"{exc.message}. {exc.hint}") from None
        out[:, :, t.columns] = y.reshape(n_units, g, k).transpose(1, 0, 2)
    return out


def _level_weights(lv: _Level, x: np.ndarray, reps: np.ndarray) -> np.ndarray:
    """Normalised weights of the level for replications ``reps`` (children scores ``x``)."""
    if lv.base is not None:
        base = lv.base
    else:
        base = _weights_from(lv.nominal, lv.factors.member, lv.below, lv.weight_plans, x, lv.here)
    lf = lv.factors
    if lf.kind is None and lf.exclude is None:
        return base
    mod, changed = _modified_weights(lf, base, reps)
    if changed.all():
        return explicit(np.ascontiguousarray(mod))
    w = np.array(np.broadcast_to(base, mod.shape))
    if changed.any():
        w[changed] = explicit(np.ascontiguousarray(mod[changed]))
    return w


def _run_chunk(c: _Compiled, lo: int, hi: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Scores and ranks of the kept levels for replications lo..hi-1."""
    reps = np.arange(lo, hi)
    g_all = hi - lo
    kept: list[tuple[np.ndarray, np.ndarray]] = []
    prev: np.ndarray | None = None
    for lv in c.levels:
        out = np.empty((g_all, len(c.units), len(lv.here)))
        n_keys = len(lv.plans)
        keys = lv.agg_key[reps] if prev is not None else c.combo[reps] * n_keys + lv.agg_key[reps]
        for key in np.unique(keys):
            sel = np.nonzero(keys == key)[0]
            r_sel = reps[sel]
            if prev is None:
                x = _level1(c, int(key) // n_keys, r_sel)
                plans = lv.plans[int(key) % n_keys]
            else:
                x = prev[sel]
                plans = lv.plans[int(key)]
            w = _level_weights(lv, x, r_sel)
            out[sel] = aggregate_level(x, w, plans, min_share=c.min_share, member=lv.factors.member,
                                       describe=lv.describe)
        prev = out
        if lv.level in c.keep:
            kept.append((out, rank_desc(out)))
    return kept


_STATE: _Compiled | None = None


def _init_worker(state: _Compiled) -> None:
    global _STATE
    _STATE = state


def _work(bounds: tuple[int, int]) -> list[tuple[np.ndarray, np.ndarray]]:
    assert _STATE is not None
    return _run_chunk(_STATE, *bounds)


class _Progress:
    """A one-line progress bar on stderr, shown only when stderr is a terminal."""

    def __init__(self, total: int, label: str, enabled: bool) -> None:
        self.total, self.label, self.done = total, label, 0
        self.enabled = bool(enabled) and total > 0 and sys.stderr.isatty()

    def update(self, n: int) -> None:
        self.done += n
        if self.enabled:
            width = 30
            fill = int(width * self.done / self.total)
            print(f"\r{self.label} [{'#' * fill}{'.' * (width - fill)}] {self.done}/{self.total}", end="",
                  file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.enabled:
            print(file=sys.stderr, flush=True)


def default_chunk_size(n_units: int, n_indicators: int, level_sizes: Sequence[int], *,
                       per_replication_indicators: bool = False, budget: int = CHUNK_BUDGET) -> int:
    """Replications per chunk so that a chunk's arrays stay under ``budget`` bytes (default 256 MB).

    Estimate per replication: 8 bytes x n_units x (6 x the largest aggregate level, for the
    aggregation temporaries, + 4 x n_indicators when the indicators vary per replication),
    plus 4 weight matrices.
    """
    biggest = max(level_sizes[1:], default=1)
    per = 8 * n_units * (6 * biggest + (4 * n_indicators if per_replication_indicators else 0))
    per += 8 * 4 * max(a * b for a, b in zip(level_sizes[1:], level_sizes[:-1], strict=False)) if len(
        level_sizes) > 1 else 0
    return max(1, int(budget // max(per, 1)))


# --------------------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Replications:
    """Scores and ranks of every replication.

    Attributes
    ----------
    design : Design
    units : tuple of str
        Unit codes (the units the nominal build scores).
    levels : tuple of int
        The levels kept (the index, ``n_levels``, always).
    codes : tuple of tuple of str
        Node codes of each kept level.
    scores, ranks : tuple of ndarray
        Per kept level, shape (runs, n_units, n_nodes); ranks 1 = best, ties share the
        minimum rank, NaN where the score is missing (as :func:`openindex.rank.rank_desc`).
    """

    design: Design
    units: tuple[str, ...]
    levels: tuple[int, ...]
    codes: tuple[tuple[str, ...], ...]
    scores: tuple[np.ndarray, ...]
    ranks: tuple[np.ndarray, ...]

    @property
    def runs(self) -> int:
        return self.design.runs

    @property
    def index_scores(self) -> np.ndarray:
        """Index score of every unit in every replication, (runs, n_units)."""
        return self.scores[-1][..., 0]

    @property
    def index_ranks(self) -> np.ndarray:
        """Index rank of every unit in every replication, (runs, n_units)."""
        return self.ranks[-1][..., 0]

    def frame(self) -> pd.DataFrame:
        """Long table ``replication, unit, code, level, score, rank`` (index first, then lower levels)."""
        parts = []
        n_units = len(self.units)
        for level, codes, s, r in sorted(zip(self.levels, self.codes, self.scores, self.ranks, strict=True),
                                         key=lambda t: -t[0]):
            runs, _, n_nodes = s.shape
            parts.append(pd.DataFrame({
                "replication": np.repeat(np.arange(runs, dtype=np.int64), n_nodes * n_units),
                "unit": np.tile(np.repeat(np.asarray(self.units, dtype=object), n_nodes), runs),
                "code": np.tile(np.asarray(codes, dtype=object), runs * n_units),
                "level": np.int64(level),
                "score": s.reshape(-1),
                "rank": r.reshape(-1),
            }))
        return pd.concat(parts, ignore_index=True)


def evaluate(framework: Framework, dataset: Dataset, design: Design, *, edition: int | None = None,
             chunk_size: int | None = None, workers: int = 1, progress: bool | str = False,
             keep: Literal["index", "all"] = "index") -> Replications:
    """Evaluate every replication of ``design``, vectorised (see the module docstring).

    Parameters
    ----------
    framework : Framework
        The nominal framework (its build spec is replication-independent except for the factors).
    dataset : Dataset
    design : Design
        From :func:`sample_design`, :func:`map_design` or the Sobol' design.
    edition : int, optional
        Default the latest.
    chunk_size : int, optional
        Replications per chunk; default :func:`default_chunk_size` (about 256 MB per chunk).
    workers : int, default 1
        Worker processes evaluating chunks in parallel; results are reassembled in order.
    progress : bool or str, default False
        Show a progress bar on stderr (only when it is a terminal); a string is its label.
    keep : {"index", "all"}, default "index"
        Keep the index only, or every aggregate level (memory: runs x n_units x n_nodes x 16 bytes).

    Returns
    -------
    Replications
        The same numbers whatever ``chunk_size`` and ``workers``.

    Raises
    ------
    MethodError
        A method cannot be applied in some replication (e.g. a geometric mean of a z-score
        of zero or below), naming the nodes, children and units.
    """
    if workers < 1:
        raise MethodError(f"The number of workers must be at least 1. Got {workers} instead.")
    if chunk_size is not None and chunk_size < 1:
        raise MethodError(f"The chunk size must be at least 1. Got {chunk_size} instead.")
    if design.runs < 1:
        raise MethodError("The design has no replication to evaluate.")
    fw = framework
    n = fw.n_levels
    keep_levels = tuple(range(2, n + 1)) if keep == "all" else (n,)
    c = _compile(fw, dataset, design, edition, keep_levels)
    runs = design.runs
    size = chunk_size or default_chunk_size(
        len(c.units), len(fw.indicator_codes), [len(codes) for codes in fw.levels],
        per_replication_indicators=any(c.renormalise))
    bounds = [(lo, min(lo + size, runs)) for lo in range(0, runs, size)]
    scores = [np.empty((runs, len(c.units), len(fw.levels[k - 1]))) for k in keep_levels]
    ranks = [np.empty_like(s) for s in scores]
    bar = _Progress(runs, progress if isinstance(progress, str) else "replications", bool(progress))

    def store(lo: int, hi: int, res: list[tuple[np.ndarray, np.ndarray]]) -> None:
        for k, (s, r) in enumerate(res):
            scores[k][lo:hi], ranks[k][lo:hi] = s, r
        bar.update(hi - lo)

    try:
        if workers == 1 or len(bounds) == 1:
            for lo, hi in bounds:
                store(lo, hi, _run_chunk(c, lo, hi))
        else:
            with ProcessPoolExecutor(max_workers=min(workers, len(bounds)), initializer=_init_worker,
                                     initargs=(c,)) as pool:
                for (lo, hi), res in zip(bounds, pool.map(_work, bounds), strict=True):
                    store(lo, hi, res)
    finally:
        bar.close()
    return Replications(design=design, units=c.units, levels=keep_levels,
                        codes=tuple(fw.levels[k - 1] for k in keep_levels), scores=tuple(scores), ranks=tuple(ranks))


# --------------------------------------------------------------------------------------
# Summaries
# --------------------------------------------------------------------------------------


def _quantiles(x: np.ndarray, qs: Sequence[float]) -> np.ndarray:
    """Quantiles along axis 0 ignoring NaN, numpy's 'linear' rule (Hyndman & Fan type 7).

    With the n present values sorted, v_(0) <= ... <= v_(n-1): h = (n - 1) q, and the
    quantile is v_(floor h) + (h - floor h) (v_(floor h + 1) - v_(floor h)) (computed as
    numpy does). NaN for a column with no present value.
    """
    s = np.sort(np.ascontiguousarray(np.moveaxis(x, 0, -1)), axis=-1)  # NaN sorts last
    n = (~np.isnan(s)).sum(axis=-1)
    out = np.full((len(qs), *s.shape[:-1]), np.nan)
    for i, q in enumerate(qs):
        h = (n - 1) * q
        lo = np.clip(np.floor(h).astype(np.int64), 0, None)
        hi = np.clip(np.minimum(lo + 1, n - 1), 0, None)
        a = np.take_along_axis(s, lo[..., None], axis=-1)[..., 0]
        b = np.take_along_axis(s, hi[..., None], axis=-1)[..., 0]
        t = h - np.floor(h)
        diff = b - a
        val = np.where(t >= 0.5, b - diff * (1 - t), a + diff * t)
        out[i] = np.where(n > 0, val, np.nan)
    return out


def _nominal_ranks(nominal: Result | np.ndarray) -> np.ndarray:
    if isinstance(nominal, Result):
        return nominal.ranks[-1][:, 0]
    return np.asarray(nominal, dtype=float)


def rank_intervals(reps: Replications, nominal: Result | np.ndarray) -> pd.DataFrame:
    """Per unit: nominal rank, median and mean simulated rank, 5th and 95th percentile ranks.

    Parameters
    ----------
    reps : Replications
    nominal : Result or ndarray (n_units,)
        The nominal build (``build(framework, dataset)``) or its index ranks.

    Returns
    -------
    DataFrame
        Columns ``unit, nominal_rank, median_rank, mean_rank, p05, p95``, one row per unit,
        sorted by nominal rank (then unit order).

    Notes
    -----
    Percentiles use numpy's default 'linear' rule (Hyndman & Fan type 7, as R's
    ``quantile()`` default used by COINr): with the R present ranks sorted, the q-quantile
    is v_(h) interpolated linearly at h = (R - 1) q (0-based). Replications where a unit has
    no index score are ignored for it. The [p05, p95] range is the 90% interval the JRC
    audits report (Saisana et al. 2005).
    """
    r = reps.index_ranks
    q = _quantiles(r, (0.5, 0.05, 0.95))
    present = ~np.isnan(r)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(present, r, 0.0).sum(axis=0) / present.sum(axis=0)  # NaN when never ranked
    nom = _nominal_ranks(nominal)
    frame = pd.DataFrame({
        "unit": list(reps.units),
        "nominal_rank": pd.array(nom, dtype="Int64"),
        "median_rank": q[0], "mean_rank": mean, "p05": q[1], "p95": q[2],
    })
    order = np.lexsort((np.arange(len(nom)), np.where(np.isnan(nom), np.inf, nom)))
    return frame.iloc[order].reset_index(drop=True)


def rank_summary(reps: Replications, nominal: Result | np.ndarray, *, top: Sequence[int] = (1, 3, 10),
                 names: Sequence[str] | None = None) -> pd.DataFrame:
    """:func:`rank_intervals` with the interval width, the probability of a top-k rank and overlaps.

    Adds ``name`` (when known), ``width`` (= p95 - p05), ``p_top_K`` for each K in ``top``
    (share of replications where the unit ranks K or better) and ``not_distinguishable_from``:
    the units whose [p05, p95] interval overlaps this unit's ([a, b] and [c, d] overlap when
    a <= d and c <= b), in nominal-rank order, separated by ``;``.
    """
    frame = rank_intervals(reps, nominal)
    pos = {u: i for i, u in enumerate(reps.units)}
    idx = np.array([pos[u] for u in frame["unit"]])
    if names is None and isinstance(nominal, Result):
        names = nominal.dataset.unit_names
    if names is not None:
        frame.insert(1, "name", [names[i] for i in idx])
    frame["width"] = frame["p95"] - frame["p05"]
    r = reps.index_ranks[:, idx]
    for k in top:
        frame[f"p_top_{k}"] = (r <= k).mean(axis=0)
    lo, hi = frame["p05"].to_numpy(), frame["p95"].to_numpy()
    overlap = (lo[:, None] <= hi[None, :]) & (lo[None, :] <= hi[:, None])
    np.fill_diagonal(overlap, False)
    units = frame["unit"].to_numpy()
    frame["not_distinguishable_from"] = [";".join(units[row]) for row in overlap]
    return frame


def mean_abs_rank_shift(ranks: np.ndarray, nominal: np.ndarray) -> np.ndarray:
    """Mean over units of |rank - nominal rank| per replication (units ranked in both), (runs,).

    The JRC's scalar summary of a ranking's change (COINr's ``y_AvDiffs``).
    """
    d = np.abs(ranks - np.asarray(nominal, dtype=float)[None, :])
    ok = ~np.isnan(d)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(ok.any(axis=1), np.where(ok, d, 0.0).sum(axis=1) / ok.sum(axis=1), np.nan)


def _levels_arg(fw: Framework, level: int | str | Sequence[int | str] | None) -> list[int]:
    if level is None:
        return list(range(1, fw.n_levels))
    items = [level] if isinstance(level, int | str) else list(level)
    out = []
    for item in items:
        k = _level_number(fw, item, 1, fw.n_levels - 1)
        if k is None:
            raise MethodError(f"unknown level {item!r} for remove-one; levels are "
                              f"{_level_options(fw, 1, fw.n_levels - 1)}")
        out.append(k)
    return out


def remove_one(framework: Framework, dataset: Dataset, level: int | str | Sequence[int | str] | None = 1, *,
               edition: int | None = None, nominal: Result | None = None) -> pd.DataFrame:
    """Rank shift of every unit when each node of a level is left out (given weight 0).

    Parameters
    ----------
    framework : Framework
    dataset : Dataset
    level : int, str, sequence of them, or None, default 1
        Level(s) whose nodes are removed one at a time: 1 = indicators; None = every level
        below the index. Nodes without a sibling are skipped (removing one removes its
        parent: see the parent's level).
    edition : int, optional
    nominal : Result, optional
        The nominal build, if already computed.

    Returns
    -------
    DataFrame
        Columns ``removed, level, unit, nominal_rank, rank, shift``: one row per removed
        node and unit; ``shift = rank - nominal_rank`` (positive = a worse place).

    Notes
    -----
    Each removal is one replication of an ``exclude`` factor, evaluated vectorised: the
    node's weight is set to 0 after the weight method and the weights of its siblings are
    re-normalised (COINr ``remove_elements``; JRC audits, "effect of removing components").
    """
    fw = framework
    nominal = nominal if nominal is not None else build(fw, dataset, edition=edition)
    nom = _nominal_ranks(nominal)
    parts = []
    for k in _levels_arg(fw, level):
        spec = UncertaintySpec.model_validate({"runs": 1, "factors": [{"exclude": {"level": k}}]})
        try:
            infos = resolve_factors(spec, fw)
        except FrameworkError:
            continue  # no node of this level has a sibling
        n = len(infos[0].codes)
        design = map_design(spec, fw, ((np.arange(n) + 0.5) / n)[:, None], factors=infos)
        reps = evaluate(fw, dataset, design, edition=edition)
        r = reps.index_ranks
        n_units = len(reps.units)
        parts.append(pd.DataFrame({
            "removed": np.repeat(np.asarray(infos[0].codes, dtype=object), n_units),
            "level": k,
            "unit": np.tile(np.asarray(reps.units, dtype=object), n),
            "nominal_rank": np.tile(nom, n),
            "rank": r.reshape(-1),
            "shift": (r - nom[None, :]).reshape(-1),
        }))
    cols = ["removed", "level", "unit", "nominal_rank", "rank", "shift"]
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols)
    for col in ("nominal_rank", "rank", "shift"):
        out[col] = out[col].astype("Int64")
    return out


def remove_one_summary(frame: pd.DataFrame) -> pd.DataFrame:
    """Per removed node: mean and maximum absolute rank shift over units (the JRC's summary)."""
    g = frame.assign(abs_shift=frame["shift"].abs().astype(float)).groupby(["removed", "level"], sort=False)
    return g["abs_shift"].agg(mean_abs_shift="mean", max_abs_shift="max").reset_index()


# --------------------------------------------------------------------------------------
# Sobol' sensitivity of the index and of the ranking
# --------------------------------------------------------------------------------------


def sobol_index(framework: Framework, dataset: Dataset, spec: UncertaintySpec, n: int, seed: int | None = None, *,
                edition: int | None = None, num_resamples: int = 1000, conf_level: float = 0.95,
                chunk_size: int | None = None, workers: int = 1, progress: bool = False,
                nominal: Result | None = None) -> pd.DataFrame:
    """First- and total-order Sobol' indices of every factor for each unit's index score and the ranking.

    The Saltelli design of :func:`openindex.sensitivity.sample` (N (D + 2) runs, one group
    per factor) is mapped to factor values by :func:`map_design` (the Monte Carlo mapping),
    evaluated with :func:`evaluate`, and analysed with :func:`openindex.sensitivity.analyze`.

    Parameters
    ----------
    framework, dataset : the index
    spec : UncertaintySpec
    n : int
        Base points N of the design (a power of 2 is best).
    seed : int, optional
        Seed of the scrambled Sobol' sequence and of the bootstrap; default ``spec.seed``.
    num_resamples, conf_level : bootstrap settings (see :func:`openindex.sensitivity.analyze`)
    edition, chunk_size, workers, progress : as in :func:`evaluate`
    nominal : Result, optional
        The nominal build, for the rank shifts.

    Returns
    -------
    DataFrame
        Columns ``factor, target, S1, S1_conf, ST, ST_conf``; targets ``mean_abs_rank_shift``
        (the mean over units of |rank - nominal rank|, the JRC's output) then every unit code.

    References
    ----------
    Saltelli et al. (2010), *Comput. Phys. Commun.* 181:259-270; Jansen (1999); Saisana,
    Saltelli & Tarantola (2005), *JRSS A* 168(2):307-323.
    """
    seed = spec.seed if seed is None else seed
    infos = resolve_factors(spec, framework)
    if not infos:
        raise MethodError("Sobol' indices need at least one uncertain factor")
    if n < 2:
        raise MethodError(f"The Sobol' design needs at least 2 base points. Got {n} instead.")
    k = sum(f.dims for f in infos)
    skeleton = Design(spec=spec, factors=infos, u=np.zeros((0, k)), values=())
    problem = skeleton.problem()
    x = sensitivity.sample(problem, n, seed)
    design = map_design(spec, framework, x, factors=infos, seed=seed)
    reps = evaluate(framework, dataset, design, edition=edition, chunk_size=chunk_size, workers=workers,
                    progress="Sobol' runs " if progress else False)
    nominal = nominal if nominal is not None else build(framework, dataset, edition=edition)
    y = np.column_stack([mean_abs_rank_shift(reps.index_ranks, _nominal_ranks(nominal)), reps.index_scores])
    s = sensitivity.analyze(problem, y, num_resamples=num_resamples, conf_level=conf_level, seed=seed)
    targets = ["mean_abs_rank_shift", *reps.units]
    d = len(s["names"])
    return pd.DataFrame({
        "factor": np.tile(np.asarray(s["names"], dtype=object), len(targets)),
        "target": np.repeat(np.asarray(targets, dtype=object), d),
        "S1": s["S1"].T.reshape(-1), "S1_conf": s["S1_conf"].T.reshape(-1),
        "ST": s["ST"].T.reshape(-1), "ST_conf": s["ST_conf"].T.reshape(-1),
    })


# --------------------------------------------------------------------------------------
# Everything at once
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UncertaintyResult:
    """Outputs of :func:`run_uncertainty` (DataFrames ready for CSV and the report)."""

    nominal: Result
    replications: Replications
    intervals: pd.DataFrame
    summary: pd.DataFrame
    remove_one: pd.DataFrame
    sensitivity: pd.DataFrame | None
    sobol_runs: int = 0


def run_uncertainty(framework: Framework, dataset: Dataset, spec: UncertaintySpec | None = None, *,
                    runs: int | None = None, seed: int | None = None, sobol: int | None = None,
                    edition: int | None = None, workers: int = 1, chunk_size: int | None = None,
                    progress: bool = False, keep: Literal["index", "all"] = "index",
                    remove_level: int | str | Sequence[int | str] | None = None,
                    num_resamples: int = 1000, conf_level: float = 0.95,
                    top: Sequence[int] = (1, 3, 10)) -> UncertaintyResult:
    """Nominal build, Monte Carlo rank intervals, remove-one shifts and (optionally) Sobol' indices.

    ``spec`` defaults to the framework's ``uncertainty:`` section; ``runs`` and ``seed``
    to the spec's. ``sobol`` is the number of base points N of the Sobol' design (None: no
    sensitivity analysis). ``remove_level`` None removes the nodes of every level below the
    index, one at a time. Other parameters: see :func:`evaluate` and :func:`sobol_index`.
    """
    spec = spec if spec is not None else framework.model.uncertainty
    if spec is None:
        raise OpenIndexError("no uncertain factors: add an `uncertainty:` section to the framework, or give them "
                             "in a separate file (--factors FILE.yaml)")
    nominal = build(framework, dataset, edition=edition)
    design = sample_design(spec, framework, runs, seed)
    reps = evaluate(framework, dataset, design, edition=edition, chunk_size=chunk_size, workers=workers,
                    progress=progress, keep=keep)
    sens, sobol_runs = None, 0
    if sobol:
        sens = sobol_index(framework, dataset, spec, sobol, design.seed, edition=edition,
                           num_resamples=num_resamples, conf_level=conf_level, chunk_size=chunk_size,
                           workers=workers, progress=progress, nominal=nominal)
        sobol_runs = sobol * (len(design.factors) + 2)
    return UncertaintyResult(
        nominal=nominal, replications=reps, intervals=rank_intervals(reps, nominal),
        summary=rank_summary(reps, nominal, top=top),
        remove_one=remove_one(framework, dataset, remove_level, edition=edition, nominal=nominal),
        sensitivity=sens, sobol_runs=sobol_runs)
