"""Uncertain factors resolved against a framework: checked references, columns of the unit hypercube.

:func:`resolve_factors` checks every factor of an :class:`~openindex.model.spec.UncertaintySpec`
(levels, codes, methods and params, goalposts and targets that some normalisation uses)
and gives each its columns in the unit hypercube the designs are drawn in.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from openindex.errors import FrameworkError, MethodError, Problem, ProblemCode
from openindex.methods import registry_for
from openindex.model.framework import Framework
from openindex.model.locations import name_hint, yaml_location
from openindex.model.spec import Factor, UncertaintySpec

__all__ = ["STEP_KINDS", "FactorInfo", "resolve_factors"]

STEP_KINDS = ("impute", "treat", "normalise")


@dataclass(frozen=True)
class FactorInfo:
    """A factor resolved against a framework.

    Attributes
    ----------
    name : str
        Unique name (the ``factor`` column of the sensitivity table; a Sobol' group).
    kind : str
        One of :data:`openindex.model.spec.FACTOR_KINDS`.
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


def level_number(fw: Framework, value: Any, lowest: int, highest: int) -> int | None:
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


def level_options(fw: Framework, lowest: int, highest: int) -> str:
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

    def add(path: Sequence[Any], code: ProblemCode, message: str, value: Any = "") -> None:
        problems.append(Problem(source, yaml_location((*prefix, "factors", *path), lines), message,
                                value="" if value == "" else str(value), code=code))

    n = fw.n_levels

    def level_or_report(i: int, kind: str, value: Any, lowest: int, highest: int, what: str) -> int | None:
        """The level number ``value`` names within [lowest, highest]; else report it (None)."""
        level = level_number(fw, value, lowest, highest)
        if level is None:
            add((i, kind, "level"), ProblemCode.UNKNOWN_LEVEL,
                f"unknown level {value!r}; {what} {level_options(fw, lowest, highest)}", value)
        return level

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
            level = level_or_report(i, kind, body.level, 1, n - 1, "weights vary at levels")
            if level is None:
                continue
            codes = fw.padded_levels[level - 1]  # with the pass-through nodes of a mixed-depth tree
            if body.sets is not None:
                probs = body.probs()
                for s, wset in enumerate(body.sets):
                    for code in wset:
                        if code not in codes:
                            add((i, kind, "sets", s, code), ProblemCode.UNKNOWN_NODE,
                                f"'{code}' is not a node of level {level}."
                                f"{name_hint(code, set(codes))}", code)
                    for parent in fw.padded_levels[level]:
                        if parent in fw.pass_through:  # its one child weighs 1
                            continue
                        kids = [c for c in codes if fw.above[c] == parent]
                        if all(float(wset.get(c, fw.node(c).weight)) == 0 for c in kids):
                            add((i, kind, "sets", s), ProblemCode.ZERO_WEIGHTS,
                                f"weight set {s + 1} gives every child of '{parent}' "
                                "weight 0; at least one must be positive")
            else:
                dims = len(codes)
            key = ("weights", level)
        elif kind in (*STEP_KINDS, "aggregate"):
            reg = registry_for(kind)
            for a, alt in enumerate(body.alternatives):
                if alt.method not in reg:
                    add((i, kind, a, "method"), ProblemCode.UNKNOWN_METHOD, reg.unknown_message(alt.method), alt.method)
                    continue
                try:
                    reg.validate_params(alt.method, alt.params)
                except MethodError as exc:
                    add((i, kind, a, "params"), ProblemCode.INVALID_PARAM, str(exc))
            probs = body.probs()
            if kind == "aggregate" and body.level is not None:
                level = level_or_report(i, kind, body.level, 2, n, "aggregation levels are")
                if level is None:
                    continue
            key = (kind, level)
        elif kind == "exclude":
            level = level_or_report(i, kind, body.level, 1, n - 1, "nodes can be left out at levels")
            if level is None:
                continue
            here = fw.padded_levels[level - 1]  # with the pass-through nodes of a mixed-depth tree
            n_kids = Counter(fw.above[c] for c in here)
            siblings = {c for c in here if n_kids[fw.above[c]] > 1}
            if body.codes is not None:
                for code in body.codes:
                    if code not in here:
                        add((i, kind, "codes"), ProblemCode.UNKNOWN_NODE,
                            f"'{code}' is not a node of level {level}.{name_hint(code, set(here))}",
                            code)
                    elif code not in siblings:
                        add((i, kind, "codes"), ProblemCode.CANNOT_EXCLUDE,
                            f"'{code}' is the only child of '{fw.above[code]}'; leaving it out "
                            "would remove its parent (leave the parent out instead)", code)
                codes = tuple(dict.fromkeys(body.codes))
            else:
                codes = tuple(c for c in here if c in siblings)
                if not codes:
                    add((i, kind, "level"), ProblemCode.CANNOT_EXCLUDE,
                        f"no node of level {level} has a sibling; there is nothing to leave out",
                        body.level)
            key = ("exclude", level)
        else:  # goalposts, target
            codes = tuple(body)
            for code in codes:
                if code not in fw.indicators:
                    add((i, kind, code), ProblemCode.UNKNOWN_NODE,
                        f"unknown indicator '{code}'.{name_hint(code, set(fw.indicators))}", code)
                elif (kind, code) in seen_codes:
                    add((i, kind, code), ProblemCode.DUPLICATE_FACTOR, f"the {kind} of '{code}' already vary in factor "
                        f"{seen_codes[(kind, code)] + 1}; give each indicator one range", code)
                seen_codes[(kind, code)] = i
            dims = (2 if kind == "goalposts" else 1) * len(codes)
        name = f.name or f.default_name()
        if key in seen_keys:
            what = {"weights": f"the weights of level {level}", "exclude": f"leaving out a node of level {level}",
                    "aggregate": f"the aggregation of level {level}" if level else "the global aggregation"}
            add((i, kind), ProblemCode.DUPLICATE_FACTOR,
                f"{what.get(kind, f'the {kind} method')} already varies in factor "
                f"{seen_keys[key] + 1}; merge the two factors")
        elif name in names:
            add((i, "name"), ProblemCode.DUPLICATE_NAME,
                f"factor name '{name}' is also the name of factor {names[name] + 1}; give each "
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
    norm = next((f for f in infos if f.kind == "normalise"), None)
    step = fw.build.normalise
    for f in infos:
        if f.kind not in ("goalposts", "target"):
            continue
        users = users_of(f.kind)
        for code in f.codes:
            if code not in fw.indicators:
                continue
            is_q = fw.indicators[code].type == "questionnaire"
            methods = {step.choice_for(code, is_q).method}
            if norm is not None and code not in step.overrides and not (is_q and step.questionnaire is not None):
                methods |= {a.method for a in norm.spec.body.alternatives}
            if not methods & set(users):
                i = spec.factors.index(f.spec)
                add((i, f.kind, code), ProblemCode.NO_EFFECT,
                    f"no normalisation of '{code}' uses its {f.kind} (it is normalised with "
                    f"{', '.join(sorted(methods))}); the factor would have no effect. Use "
                    f"build.normalise.overrides.{code}: {{method: {' or '.join(users)}}}", code)


def users_of(field: str) -> list[str]:
    """The normalisation methods that need the per-indicator field ``field`` (``goalposts``, ``target``)."""
    reg = registry_for("normalise")
    return [m for m in reg.names() if field in reg.get(m).needs]
