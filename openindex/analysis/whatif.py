"""What-if: what would move a unit's index score, and the fewest changes that reach a target.

Two questions about one unit of a run:

* :func:`gains` -- the gain in index score from improving each indicator or question
  alone, ranked: a question to its **next answer option**; a statistic by **one standard
  deviation** of the network (never beyond the network's best value); any item to the
  **best value in the unit's peer group** (the network's best without a peer group).
* :func:`change_set` -- the smallest set of changes that reaches a **target**: a better
  index rank (``"next-rank"``: rank < the current rank) or the peer-group average of the
  index (``"peer-mean"``: score >= the peer mean, the unit included as in
  :mod:`openindex.model.peers`).

Every evaluation is a real rebuild, in one of two modes:

* ``network`` (a unit of a run: :func:`network_scenario`, then :func:`gains` and
  :func:`change_set`): the whole index is rebuilt with the unit's changed values, so the bounds move when a
  value becomes the new best and the other units' scores move with them; ranks and peer
  means come from the rebuilt network.
* ``fixed`` (a self-assessment, :func:`fixed_scenario`): the unit is scored again with the
  network held fixed (:func:`openindex.engine.score_against`), as its self-assessment was.

Steps and the search
--------------------
Each item has a *ladder* of steps: for a question, its better answers by points (an
unanswered question starts at its lowest answer); for a statistic, +1 network standard
deviation per step (``ddof = 1``, over the network's present values), the last step
landing on the network's best value (a missing statistic starts at the network median).
A change set is a number of steps per item; its size is the total number of steps.

1. **Greedy**: from the current values, repeatedly take the one step with the largest
   gain in index score (among steps that reach the target, the one with the highest
   score), until the target is reached or no step gains (then every available step is
   tried at once: if even that misses the target, it is unreachable); then drop every
   step that is not needed (one at a time, last item first, while the target stays
   reached).
2. **Exact** when small: with g steps found greedily, if every set of 1 .. g-1 steps can
   be enumerated within ``limit`` evaluations (default 20,000), they are: the smallest
   size that reaches the target wins (highest score among that size), and when none
   does the greedy set is proven smallest. Otherwise the greedy set is reported as such.
   "Smallest" is within this step model (the ladders), not over arbitrary values.

The search evaluates candidates in batches: indicator-level steps are column by column
(a changed value only changes its own column of every stage), so each step's column of
normalised scores is computed once (all units, batched over the ladder) and a candidate
set is scored by replacing columns and aggregating the whole batch at once (weights
recomputed along the batch when they depend on the data, e.g. ``pca``). A ``regression``
imputation couples the columns; every candidate is then rebuilt in full (batched).

Whatever the search found, the reported score, rank and peer mean are those of a final
rebuild with the changes applied (:func:`openindex.engine.build`, or
:func:`~openindex.engine.score_against` in fixed mode), so applying the change set and
rerunning reproduces them exactly.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from openindex.engine import aggregate_level, build, denominate, indicator_stages, level_weights, plan, score_against
from openindex.engine.join import join_results
from openindex.errors import MethodError, OpenIndexError
from openindex.methods.rank import rank_desc, snap_ties
from openindex.methods.registry import did_you_mean
from openindex.methods.stats import nan_median, nan_sd
from openindex.model.peers import peer_matrix, resolve_peer_group

if TYPE_CHECKING:
    from openindex.data.dataset import Dataset
    from openindex.engine.result import Result

__all__ = ["TARGETS", "Step", "ChangeSet", "Scenario", "network_scenario", "fixed_scenario", "gains", "change_set",
           "applicable", "apply_changes", "count_sets"]

TARGETS: tuple[str, ...] = ("next-rank", "peer-mean")
DEFAULT_LIMIT = 20_000
CHUNK = 2_000


@dataclass(frozen=True)
class Step:
    """One rung of an item's ladder: the raw value it sets (and the answer code of a question)."""

    raw: float
    answer: str = ""


@dataclass(frozen=True)
class ChangeSet:
    """The smallest change set found for a target (see the module docstring).

    Attributes
    ----------
    target : str
        ``"next-rank"`` or ``"peer-mean"``.
    method : str
        ``"exact"`` (proven smallest), ``"greedy"`` (not proven), ``"already"`` (the
        target is met without change), ``"top"`` (next-rank for a unit ranked first) or
        ``"unreachable"``.
    changes : DataFrame
        One row per changed item: ``unit, code, area, from_value, to_value, from_answer,
        to_answer, from_denominated, to_denominated, steps`` (raw values as in a data file,
        a count for an indicator with a denominator; denominated: in the indicator's unit).
    reached : bool
        Whether the verified rebuild meets the target.
    score, rank, peer_mean : float
        Index score, rank and peer-group mean of the unit in the verified rebuild.
    base_score, base_rank, base_peer_mean : float
        The same before any change.
    checked : int
        Sets of fewer steps enumerated by the exact search (0 when it did not run).
    needed : int
        Sets the exact search would have to enumerate (compared with ``limit``).
    limit : int
    predicted_score : float
        The search's own evaluation of the set (equal to ``score`` up to rounding).
    """

    target: str
    method: str
    changes: pd.DataFrame
    reached: bool
    score: float
    rank: float
    peer_mean: float
    base_score: float
    base_rank: float
    base_peer_mean: float
    checked: int
    needed: int
    limit: int
    predicted_score: float

    @property
    def n_steps(self) -> int:
        return int(self.changes["steps"].sum()) if len(self.changes) else 0


# --------------------------------------------------------------------------------------
# The scenario: one unit, its ladders and a batched evaluator
# --------------------------------------------------------------------------------------


class Scenario:
    """One unit of a run, ready for batched what-if evaluations (build with :func:`network_scenario`
    or :func:`fixed_scenario`).

    The evaluator's rows are the units whose normalised values are recomputed: every unit
    of the network (network mode) or the unit alone (fixed mode).
    """

    def __init__(self, *, mode: str, result: Result, row: int, unit: str, data: Dataset, raw: np.ndarray,
                 network: Result, peer_group: str | None, dataset: Dataset, edition: int) -> None:
        self.mode, self.result, self.row, self.unit = mode, result, row, unit
        self.data, self.raw, self.network = data, np.asarray(raw, dtype=float), network
        self.dataset, self.edition = dataset, edition  # what a verification rebuild changes
        fw = self.fw = network.framework
        bplan = self.bplan = plan(fw, network.spec)
        self.codes = bplan.codes
        self.direction = bplan.direction
        self.empty = ~(~np.isnan(network.stages["denominated"])).any(axis=0)
        # data-dependent weights (pca) are recomputed along the batch in network mode only
        self.data_weights = [lp.data_weights and mode == "network" for lp in bplan.levels]
        self.coupled = any(p.method == "regression" for p in bplan.steps["impute"])
        # the unit's denominator factor per column: denominated = raw * factor
        ones = np.ones((1, len(self.codes)))
        unit_data = data.select_rows(np.arange(data.n_units) == row)
        self.factor = denominate(bplan, unit_data, ones)[0]
        self.base_den = denominate(bplan, data)
        self.prev = self._previous()
        # comparison column of the index: network mode all units; fixed mode the network without the unit's code
        units = list(network.units)
        if mode == "network":
            self.others = None
            joined_units = network.dataset.units
            self.pos = row
        else:
            keep = np.array([u != unit for u in units])
            self.others = network.scores[-1][keep, 0]
            joined_units = pd.concat([network.dataset.units[keep], data.units.iloc[[row]]], ignore_index=True)
            self.pos = int(keep.sum())
        group = resolve_peer_group(fw.model.peer_groups, peer_group)
        self.peer_group = None if group is None else group.code
        if group is not None:
            matrix, labels = peer_matrix(group, joined_units)
            self.peers, self.peer_label = matrix[self.pos], labels[self.pos]
        else:
            self.peers, self.peer_label = None, ""
        self.joined_units = joined_units
        self.base_norm = self._normalised(self.raw[None])[0]
        base = self.evaluate(self.base_norm[None])
        self.base_score, self.base_rank, self.base_gap, self.base_peer_mean = (float(v[0]) for v in base)

    # ---- stages ---------------------------------------------------------------------------
    def _previous(self) -> np.ndarray | None:
        if not any(p.method == "carry_forward" for p in self.bplan.steps["impute"]):
            return None
        return self.dataset.previous_values(self.edition, lambda ds: denominate(self.bplan, ds),
                                            units=self.data.unit_codes)

    def _normalised(self, raw: np.ndarray, only: Sequence[int] | None = None) -> np.ndarray:
        """Normalised values (B, n_rows, n_ind) of a batch of raw matrices of the evaluator's rows."""
        den = denominate(self.bplan, self.data, raw)
        prev = self.prev
        st = indicator_stages(self.bplan, self.data, den, self.empty,
                               previous=None if prev is None else (lambda: prev),
                               reference=self.network if self.mode == "fixed" else None,
                               only=None if self.coupled else only)
        return st.normalised

    def column(self, j: int, steps: Sequence[Step]) -> np.ndarray:
        """Normalised column ``j`` (len(steps), n_rows) with the unit's value set to each step."""
        raw = np.repeat(self.raw[None], len(steps), axis=0)
        raw[:, self.row, j] = [s.raw for s in steps]
        return self._normalised(raw, only=[j])[..., j]

    def evaluate(self, normalised: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Index score, rank, peer gap and peer mean of the unit for a batch (B, n_rows, n_ind)."""
        scores = normalised
        for k, lp in enumerate(self.bplan.levels):
            w = level_weights(lp, scores) if self.data_weights[k] else self.network.weights[k]
            scores = aggregate_level(scores, w, lp.aggregate, min_share=self.bplan.spec.aggregate.min_share,
                                     member=lp.members)
        index = scores[..., 0]  # (B, n_rows)
        if self.others is not None:
            index = np.concatenate([np.broadcast_to(self.others, (len(index), len(self.others))), index], axis=-1)
        rank = rank_desc(index, axis=-1)[:, self.pos]
        if self.peers is None:
            nan = np.full(len(index), np.nan)
            return index[:, self.pos], rank, nan, nan
        s = snap_ties(index, axis=-1)
        present = ~np.isnan(s) & self.peers
        mean = np.where(present, s, 0.0).sum(axis=-1) / np.maximum(present.sum(axis=-1), 1)
        mean = np.where(present.any(axis=-1), mean, np.nan)
        return index[:, self.pos], rank, s[:, self.pos] - mean, mean

    # ---- ladders ----------------------------------------------------------------------------
    def ladder(self, j: int) -> list[Step]:
        """The improving steps of item ``j`` from the unit's current value (see the module docstring)."""
        if self.empty[j]:
            return []
        fw, code = self.fw, self.codes[j]
        ind = fw.indicators[code]
        d = self.direction[j]
        cur = self.raw[self.row, j]
        if ind.type == "questionnaire":
            levels: dict[float, Any] = {}
            for o in sorted(ind.options or (), key=lambda o: o.points * d):
                levels.setdefault(o.points * d, o)
            ordered = list(levels.items())
            start = [o for v, o in ordered if math.isnan(cur) or v > cur * d]
            return [Step(float(o.points), o.code) for o in start]
        net = self.network.stages["denominated"][:, j] * d
        net = net[~np.isnan(net)]
        sd = float(nan_sd(net[:, None], axis=0, ddof=1)[0]) if net.size > 1 else math.nan
        best = float(net.max()) if net.size else math.nan
        factor = self.factor[j]
        if not (sd > 0) or not math.isfinite(factor) or factor == 0:
            return []
        steps, x = [], self.base_den[self.row, j] * d
        if math.isnan(x):
            x = float(nan_median(net[:, None], axis=0)[0])
            steps.append(x)
        while x < best - 1e-12 * max(abs(best), 1.0):
            x = min(x + sd, best)
            steps.append(x)
        return [Step(float(v * d / factor)) for v in steps]

    def peer_best(self, j: int) -> Step | None:
        """The best value of item ``j`` among the unit's peers (the network without peers), if better."""
        code = self.codes[j]
        ind = self.fw.indicators[code]
        d = self.direction[j]
        den = self.network.stages["denominated"][:, j]
        units = list(self.network.units)
        mask = np.array([u != self.unit for u in units])
        if self.peers is not None:
            peer_codes = set(self.joined_units["unit"][self.peers]) - {self.unit}
            mask &= np.array([u in peer_codes for u in units])
        vals = den[mask] * d
        if self.empty[j] or not (~np.isnan(vals)).any():
            return None
        best = float(np.nanmax(vals))
        cur = self.base_den[self.row, j] * d
        if not math.isnan(cur) and best <= cur:
            return None
        if ind.type == "questionnaire":
            option = next((o for o in sorted(ind.options or (), key=lambda o: o.points * d)
                           if o.points * d == best), None)
            return None if option is None else Step(float(option.points), option.code)
        factor = self.factor[j]
        return None if not math.isfinite(factor) or factor == 0 else Step(float(best * d / factor))

    # ---- values for reports -----------------------------------------------------------------
    def current(self, j: int) -> tuple[float, str]:
        """The unit's current raw value and answer code of item ``j``."""
        code = self.codes[j]
        answers = self.data.answers
        answer = str(answers[code].iat[self.row]) if code in answers.columns else ""
        return float(self.raw[self.row, j]), answer

    def apply(self, changes: Mapping[int, Step]) -> Dataset:
        """The dataset a verification rebuild uses, with the unit's values changed."""
        return apply_changes(self.dataset, self.unit, self.edition,
                             {self.codes[j]: (s.raw, s.answer) for j, s in changes.items()})

    def verify(self, changes: Mapping[int, Step]) -> tuple[float, float, float, float]:
        """Index score, rank, peer mean and peer gap of the unit after a real rebuild with ``changes``."""
        ds = self.apply(changes)
        if self.mode == "network":
            res = build(self.fw, ds, self.network.spec, edition=self.edition)
            i = list(res.units).index(self.unit)
            score, rank = float(res.scores[-1][i, 0]), float(res.ranks[-1][i, 0])
        else:
            res = join_results(self.network, score_against(self.network, ds), self.unit)
            i = list(res.units).index(self.unit)
            score, rank = float(res.scores[-1][i, 0]), float(res.ranks[-1][i, 0])
        mean = gap = math.nan
        if self.peer_group is not None:
            frame = res.peer_frame(self.peer_group)
            row = frame[(frame["unit"] == self.unit) & (frame["level"] == self.fw.n_levels)]
            mean, gap = (float(v) for v in row[["peer_mean", "gap"]].to_numpy(dtype=float)[0])
        return score, rank, mean, gap


def network_scenario(result: Result, unit: str, *, peer_group: str | None = None) -> Scenario:
    """What-if for ``unit`` of a run: every evaluation rebuilds the whole index (network mode).

    Parameters
    ----------
    result : Result
        A run (:func:`openindex.engine.build`) that scored ``unit``.
    unit : str
    peer_group : str, optional
        Code of the peer-group definition (default the framework's first; ``""`` for none).
    """
    units = list(result.units)
    if unit not in units:
        excluded = set(result.excluded["unit"]) if len(result.excluded) else set()
        listed = ", ".join(units[:10]) + (f" ... ({len(units)} in all)" if len(units) > 10 else "")
        why = (" It was screened out for low data coverage." if unit in excluded
               else f"{did_you_mean(unit, units)} The units scored are: {listed}")
        raise OpenIndexError(f"unit '{unit}' was not scored in edition {result.edition}.{why}")
    dataset = result.input_dataset if result.input_dataset is not None else result.dataset
    return Scenario(mode="network", result=result, row=units.index(unit), unit=unit, data=result.dataset,
                    raw=result.stages["raw"], network=result, peer_group=peer_group, dataset=dataset,
                    edition=result.edition)


def fixed_scenario(network: Result, scored: Result, unit: str, *, peer_group: str | None = None) -> Scenario:
    """What-if for a self-assessed ``unit`` scored with the network held fixed (fixed mode).

    ``scored`` is :func:`openindex.engine.score_against` of ``network`` and the unit's data.
    """
    units = list(scored.units)
    if unit not in units:
        raise OpenIndexError(f"unit '{unit}' was not scored by the self-assessment")
    i = units.index(unit)
    data = scored.dataset.select_rows(np.arange(scored.dataset.n_units) == i)
    return Scenario(mode="fixed", result=scored, row=0, unit=unit, data=data,
                    raw=scored.stages["raw"][i:i + 1], network=network, peer_group=peer_group, dataset=data,
                    edition=scored.edition)


# --------------------------------------------------------------------------------------
# Gains of single moves
# --------------------------------------------------------------------------------------


def gains(scenario: Scenario) -> pd.DataFrame:
    """The gain in index score from each single move, best first.

    Returns
    -------
    DataFrame
        ``unit, code, area, move, from_value, to_value, from_answer, to_answer,
        from_denominated, to_denominated, score, gain, rank``: values are raw (as in a data
        file: a count for an indicator with a denominator; a question's answer points) and
        denominated (in the indicator's unit); ``move`` is ``"option"`` (next answer),
        ``"sd"`` (+1 network sd, at most to the network's best value; a missing statistic:
        the network median) or
        ``"peer_best"``; ``score`` and ``rank`` the unit's index score and rank after the
        move (a rebuild per move); ``gain`` = score - the current score. Sorted by gain
        (largest first), then framework order.
    """
    sc = scenario
    fw = sc.fw
    rows: list[dict[str, Any]] = []
    batch: list[np.ndarray] = []
    for j, code in enumerate(sc.codes):
        moves: list[tuple[str, Step]] = []
        ladder = sc.ladder(j)
        if ladder:
            moves.append(("option" if fw.indicators[code].type == "questionnaire" else "sd", ladder[0]))
        best = sc.peer_best(j)
        if best is not None and (not ladder or best != ladder[0]):
            moves.append(("peer_best", best))
        if not moves:
            continue
        cur_raw, cur_answer = sc.current(j)
        if sc.coupled:  # a regression imputation: one change moves other columns too
            raw = np.repeat(sc.raw[None], len(moves), axis=0)
            raw[:, sc.row, j] = [m[1].raw for m in moves]
            batch.extend(sc._normalised(raw))
        else:
            for col in sc.column(j, [m[1] for m in moves]):
                norm = sc.base_norm.copy()
                norm[:, j] = col
                batch.append(norm)
        for kind, step in moves:
            rows.append({"unit": sc.unit, "code": code, "area": fw.parent[code], "move": kind,
                         "from_value": cur_raw, "to_value": step.raw, "from_answer": cur_answer,
                         "to_answer": step.answer, "from_denominated": cur_raw * sc.factor[j],
                         "to_denominated": step.raw * sc.factor[j]})
    columns = ["unit", "code", "area", "move", "from_value", "to_value", "from_answer", "to_answer",
               "from_denominated", "to_denominated", "score", "gain", "rank"]
    if not rows:
        return pd.DataFrame(columns=columns)
    score, rank, _, _ = _evaluate_chunked(sc, np.stack(batch))
    out = pd.DataFrame(rows)
    out["score"], out["rank"] = score, rank
    out["gain"] = score - sc.base_score
    out["_order"] = [sc.codes.index(c) for c in out["code"]]
    out = out.sort_values(["gain", "_order"], ascending=[False, True], kind="stable").drop(columns="_order")
    return out[columns].reset_index(drop=True)


def _evaluate_chunked(sc: Scenario, norm: np.ndarray) -> tuple[np.ndarray, ...]:
    parts = [sc.evaluate(norm[i:i + CHUNK]) for i in range(0, len(norm), CHUNK)]
    return tuple(np.concatenate([p[k] for p in parts]) for k in range(4))


# --------------------------------------------------------------------------------------
# The smallest change set
# --------------------------------------------------------------------------------------


class ChangeSearch:
    """The search for a change set: ladders, cached columns and batched evaluation of step-count vectors."""

    def __init__(self, sc: Scenario, target: str) -> None:
        self.sc, self.target = sc, target
        self.ladders = [sc.ladder(j) for j in range(len(sc.codes))]
        self.caps = np.array([len(lad) for lad in self.ladders])
        self.items = np.flatnonzero(self.caps > 0)
        self.cache: dict[int, np.ndarray] = {}
        if not sc.coupled:
            for j in self.items:
                self.cache[int(j)] = sc.column(int(j), self.ladders[j])  # (L_j, n_rows)
        self.evaluations = 0

    def raw_of(self, state: np.ndarray) -> np.ndarray:
        raw = self.sc.raw.copy()
        for j in np.flatnonzero(state):
            raw[self.sc.row, j] = self.ladders[j][state[j] - 1].raw
        return raw

    def evaluate(self, states: np.ndarray) -> tuple[np.ndarray, ...]:
        """(score, rank, gap, peer mean) of a batch of step-count vectors (B, n_ind)."""
        sc = self.sc
        out = []
        for start in range(0, len(states), CHUNK):
            part = states[start:start + CHUNK]
            if sc.coupled:
                norm = sc._normalised(np.stack([self.raw_of(s) for s in part]))
            else:
                norm = np.repeat(sc.base_norm[None], len(part), axis=0)
                for j in np.flatnonzero(part.any(axis=0)):  # one fancy assignment per item
                    rows = np.flatnonzero(part[:, j])
                    norm[rows, :, j] = self.cache[int(j)][part[rows, j] - 1]
            out.append(sc.evaluate(norm))
            self.evaluations += len(part)
        return tuple(np.concatenate([o[k] for o in out]) for k in range(4))

    def reached(self, rank: np.ndarray, gap: np.ndarray) -> np.ndarray:
        if self.target == "next-rank":
            return rank < self.sc.base_rank
        return gap >= 0

    # ---- greedy -------------------------------------------------------------------------------
    def greedy(self) -> np.ndarray | None:
        state = np.zeros(len(self.caps), dtype=int)
        score = self.sc.base_score
        while True:
            free = [j for j in self.items if state[j] < self.caps[j]]
            if not free:
                break
            cand = np.repeat(state[None], len(free), axis=0)
            cand[np.arange(len(free)), free] += 1
            s, r, g, _ = self.evaluate(cand)
            ok = self.reached(r, g)
            if ok.any():
                pick = int(np.argmax(np.where(ok, s, -np.inf)))
                return self.prune(cand[pick])
            if not np.nanmax(s) > score:
                break
            pick = int(np.nanargmax(s))
            state, score = cand[pick], float(s[pick])
        full = self.caps.copy()  # greedy stalled: does taking every step reach the target?
        _, r, g, _ = self.evaluate(full[None])
        return self.prune(full) if self.reached(r, g)[0] else None

    def prune(self, state: np.ndarray) -> np.ndarray:
        """Drop steps while the target stays reached (latest rung of each item; items in reverse order)."""
        state = state.copy()
        changed = True
        while changed:
            changed = False
            for j in sorted(np.flatnonzero(state), reverse=True):
                trial = state.copy()
                trial[j] -= 1
                _, r, g, _ = self.evaluate(trial[None])
                if self.reached(r, g)[0]:
                    state, changed = trial, True
        return state

    # ---- exact --------------------------------------------------------------------------------
    def exact(self, below: int, limit: int) -> tuple[np.ndarray | None, int, int]:
        """Search every set of 1 .. ``below`` - 1 steps (when within ``limit``): (best, checked, needed)."""
        caps = [int(self.caps[j]) for j in self.items]
        needed = sum(count_sets(caps, s) for s in range(1, below))
        if needed > limit or below <= 1:
            return None, 0, needed
        checked = 0
        for size in range(1, below):
            best_s, best = -np.inf, None
            for chunk in _state_chunks(caps, size, CHUNK):
                states = np.zeros((len(chunk), len(self.caps)), dtype=int)
                states[:, self.items] = chunk
                s, r, g, _ = self.evaluate(states)
                checked += len(chunk)
                ok = self.reached(r, g)
                if ok.any():
                    k = int(np.argmax(np.where(ok, s, -np.inf)))
                    if s[k] > best_s:
                        best_s, best = float(s[k]), states[k]
            if best is not None:
                return best, checked, needed
        return None, checked, needed


def count_sets(caps: Sequence[int], size: int) -> int:
    """Number of step-count vectors k with 0 <= k_i <= caps[i] and sum(k) = size."""
    ways = np.zeros(size + 1, dtype=object)
    ways[0] = 1
    for c in caps:
        nxt = np.zeros(size + 1, dtype=object)
        for t in range(size + 1):
            if ways[t]:
                for k in range(0, min(c, size - t) + 1):
                    nxt[t + k] += ways[t]
        ways = nxt
    return int(ways[size])


def _states(caps: Sequence[int], size: int) -> Iterator[tuple[int, ...]]:
    """Every vector k with 0 <= k_i <= caps[i] and sum(k) = size (each exactly once)."""
    for chunk in _state_chunks(caps, size, CHUNK):
        yield from map(tuple, chunk.tolist())


def _state_chunks(caps: Sequence[int], size: int, chunk: int) -> Iterator[np.ndarray]:
    """The vectors of :func:`_states` as int arrays of at most ``chunk`` rows.

    Multisets of ``size`` items are drawn with ``itertools.combinations_with_replacement``
    (in C), turned into counts, and those above an item's cap are dropped.
    """
    n = len(caps)
    cap = np.asarray(caps, dtype=int)
    if size == 0:
        yield np.zeros((1, n), dtype=int)
        return
    combos = itertools.combinations_with_replacement(range(n), size)
    eye = np.eye(n, dtype=int)
    while True:
        flat = np.fromiter(itertools.chain.from_iterable(itertools.islice(combos, chunk)), dtype=int)
        if not flat.size:
            return
        block = flat.reshape(-1, size)
        counts = eye[block].sum(axis=1)  # (rows, n): how many steps each item takes
        counts = counts[(counts <= cap).all(axis=1)]
        if len(counts):
            yield counts


def change_set(scenario: Scenario, target: str = "next-rank", *, limit: int = DEFAULT_LIMIT) -> ChangeSet:
    """The smallest set of changes that reaches ``target`` (``"next-rank"`` or ``"peer-mean"``).

    Greedy first, then exact when every smaller set fits in ``limit`` evaluations (module
    docstring). The reported score, rank and peer mean come from a real rebuild with the
    changes applied.

    Raises
    ------
    OpenIndexError
        An unknown target, or ``"peer-mean"`` without a peer group (or for a unit outside
        every peer group).
    """
    sc = scenario
    if target not in TARGETS:
        raise OpenIndexError(f"The 'target' of a what-if must be one of {', '.join(TARGETS)}. Got '{target}' instead.")
    if not applicable(sc, target):
        raise OpenIndexError("target 'peer-mean' needs a peer group: the framework defines none, or the unit "
                             "belongs to no group of it (choose --peer-group, or --target next-rank)")
    search = ChangeSearch(sc, target)
    base = (sc.base_score, sc.base_rank, sc.base_peer_mean)
    reached_now = search.reached(np.array([sc.base_rank]), np.array([sc.base_gap]))[0]
    empty = pd.DataFrame(columns=["unit", "code", "area", "from_value", "to_value", "from_answer", "to_answer",
                                  "from_denominated", "to_denominated", "steps"])
    if reached_now:
        return ChangeSet(target, "already", empty, True, *base, *base, 0, 0, limit, sc.base_score)
    if target == "next-rank" and sc.base_rank <= 1:  # ranked first: no better rank exists
        return ChangeSet(target, "top", empty, False, *base, *base, 0, 0, limit, sc.base_score)
    state = search.greedy()
    if state is None:  # not even every available step reaches the target
        return ChangeSet(target, "unreachable", empty, False, *base, *base, 0, 0, limit, math.nan)
    best, checked, needed = search.exact(int(state.sum()), limit)
    if best is not None:
        state, method = best, "exact"  # fewer steps than the greedy set
    else:
        method = "exact" if needed <= limit else "greedy"  # exact: no smaller set reaches the target
    predicted = float(search.evaluate(state[None])[0][0])
    changes = {int(j): search.ladders[j][state[j] - 1] for j in np.flatnonzero(state)}
    score, rank, mean, gap = sc.verify(changes)
    reached = bool(rank < sc.base_rank) if target == "next-rank" else bool(gap >= 0)
    rows = []
    for j, step in changes.items():
        cur_raw, cur_answer = sc.current(j)
        code = sc.codes[j]
        rows.append({"unit": sc.unit, "code": code, "area": sc.fw.parent[code], "from_value": cur_raw,
                     "to_value": step.raw, "from_answer": cur_answer, "to_answer": step.answer,
                     "from_denominated": cur_raw * sc.factor[j], "to_denominated": step.raw * sc.factor[j],
                     "steps": int(state[j])})
    frame = pd.DataFrame(rows, columns=empty.columns)
    return ChangeSet(target, method, frame, bool(reached), score, rank, mean, *base, checked, needed, limit,
                     predicted)


def applicable(scenario: Scenario, target: str) -> bool:
    """Whether ``target`` applies: ``"peer-mean"`` needs a peer group that the unit belongs to."""
    return target != "peer-mean" or (scenario.peer_group is not None and not math.isnan(scenario.base_peer_mean))


def apply_changes(dataset: Dataset, unit: str, edition: int, changes: Mapping[str, tuple[float, str]]) -> Dataset:
    """``dataset`` with the raw values (and answers) of ``unit`` in ``edition`` replaced.

    Parameters
    ----------
    changes : mapping
        Indicator code -> ``(raw value, answer code)``; the answer code is ``""`` for a
        statistic. Raw values are as in a data file (counts for indicators with a denominator,
        answer points for questions).
    """
    rows = np.flatnonzero((dataset.units["unit"] == unit).to_numpy()
                          & (dataset.units["edition"] == edition).to_numpy())
    if len(rows) != 1:
        raise MethodError(f"unit '{unit}' has {len(rows)} rows in edition {edition} of the data; expected one")
    r = int(rows[0])
    values = np.array(dataset.values, dtype=float)
    answers = dataset.answers.copy()
    for code, (raw, answer) in changes.items():
        values[r, dataset.indicators.index(code)] = raw
        if answer and code in answers.columns:
            answers.iat[r, list(answers.columns).index(code)] = answer
    return replace(dataset, values=values, answers=answers, sha256="")
