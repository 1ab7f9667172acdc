"""The indicator framework: a tree of indicators and aggregate nodes, any depth.

A framework file is YAML (see ``indicators/opencities.yaml``)::

    name: My index
    levels: [Indicator, Area, Index]        # bottom-up: level 1 holds the indicators
    attributes:                              # unit attributes: peer groups, denominators
      - {code: population, name: Population, kind: numeric}
    aggregates:
      - {code: INDEX, name: My index}        # the one root: no parent
      - {code: economy, name: Economy, parent: INDEX, weight: 1}
    indicators:
      - {code: gdp, name: GDP per capita, parent: economy, unit: EUR, direction: 1}
    build: {...}                             # see openindex.model.spec

:func:`parse_framework` validates the whole file at once (every field of every
entry, then the structural rules: unique codes, known parents, no cycles, every
leaf an indicator, as many levels as `levels` names, no empty node, weights) and
raises one :class:`~openindex.errors.FrameworkError` listing every problem with its
path and line. The result is a frozen :class:`Framework` carrying the parsed model
and the derived structure (codes per level, parent indices, weight matrices).

Mixed depth
-----------
Indicators need not all sit at the bottom of one uniform tree: an indicator may sit
directly under a theme or under the index, and an area directly under the index beside
a sub-index grouping other areas (COINr issue #35; the ICC's "intercultural lens" in
``indicators/icc.yaml``). Indicators are level 1 and every aggregate sits one level above
its highest child, so the root is at level ``len(levels)`` and a node may sit more than
one level below its parent.

The engine aggregates level by level and needs every node's children one level below
it. For each level a node skips, the framework therefore derives an implicit
*pass-through node*: one child (the skipped node, weight 1 inside it), aggregated by the
arithmetic mean of that one child (the identity), with the skipped node's file weight in
the parent; a node two levels below its parent gets one pass-through, three levels below
two, chained. A pass-through node is named after the node it carries and coded
``"<code>@<level>"`` (``@`` cannot appear in a code of the file, so it never clashes). It
is engine scaffolding only: it lives in :attr:`Framework.padded_levels`,
:attr:`Framework.above`, :meth:`Framework.weights` and :meth:`Framework.membership`
(what the build plan reads), while :attr:`Framework.levels`, :attr:`Framework.parent`,
:meth:`Framework.children`, the results' scores and every output show the tree as written,
so no score appears twice. The pass-through nodes of a level come after its real nodes,
so the real nodes keep their positions in the engine's level arrays.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Annotated, Any, Literal

import numpy as np
import pydantic
import yaml
from pydantic import Field, field_validator, model_validator

from openindex.errors import FrameworkError, MethodError, Problem, ProblemCode
from openindex.methods import STEPS, registry_for
from openindex.methods.registry import did_you_mean
from openindex.model.locations import (
    is_pydantic_tag,
    name_hint,
    path_text,
    pydantic_message,
    pydantic_problem_code,
    yaml_location,
)
from openindex.model.peers import PeerGroup
from openindex.model.spec import BuildSpec, Lang, MethodChoice, StrictModel, UncertaintySpec

__all__ = [
    "AnswerOption",
    "Translation",
    "IndicatorTranslation",
    "AttributeTranslation",
    "FrameworkTranslation",
    "PerIndicator",
    "DEFAULT_ANSWER_SCALE",
    "Indicator",
    "Aggregate",
    "Attribute",
    "DataColumns",
    "FrameworkModel",
    "Framework",
    "parse_framework",
    "with_settings",
]

Code = str


class Translation(StrictModel):
    """Texts of an aggregate node in another language (empty: fall back to the original)."""

    name: str = ""
    description: str = ""


class IndicatorTranslation(Translation):
    """Texts of an indicator in another language: name, description, unit, answer labels."""

    unit: str = ""
    question: str = ""
    options: dict[str, str] = Field(default_factory=dict, description="Answer code -> translated label.")


class AttributeTranslation(Translation):
    """Texts of a unit attribute in another language: name, description, unit."""

    unit: str = ""


class FrameworkTranslation(Translation):
    """The framework's name, description and level names in another language."""

    levels: list[str] | None = Field(None, description="Level names bottom-up, as many as `levels`.")


class AnswerOption(StrictModel):
    """One answer option of a questionnaire item."""

    code: str = Field(min_length=1, description="Short answer code, as written in data files.")
    label: str = Field("", description="Answer text shown to respondents.")
    points: float = Field(description="Points scored by this answer, inside the item's scale.")


@dataclass(frozen=True)
class PerIndicator:
    """Marks a field of :class:`Indicator` as a value a method can need by name.

    A method registered with ``needs=("goalposts",)`` receives, for the indicators it
    is applied to, the values of the field so marked, oriented like the data: the engine
    multiplies every indicator by its direction (x -> direction * x, so that higher is
    always better), and each value follows that orientation.

    Attributes
    ----------
    orient : {"value", "interval", "none"}
        ``"value"``: times the direction; ``"interval"``: ``[lo, hi]`` becomes
        ``[-hi, -lo]`` when the direction is -1; ``"none"``: as given.
    requires : str
        What a framework author writes to provide the value (quoted in the error when an
        indicator lacks it).
    attribute : str
        The attribute read (default: the field itself), e.g. a property with a default.
    """

    orient: Literal["value", "interval", "none"]
    requires: str
    attribute: str = ""


#: the points scale of a questionnaire item that declares none
DEFAULT_ANSWER_SCALE: tuple[float, float] = (0.0, 100.0)


class Indicator(StrictModel):
    """A leaf of the framework: a statistic or a questionnaire item."""

    code: Code = Field(min_length=1, pattern=r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
    name: str = Field(min_length=1)
    parent: Code = Field(min_length=1, description="Code of the aggregate this indicator belongs to.")
    description: str = ""
    unit: str = ""
    direction: Annotated[Literal[1, -1], PerIndicator("none", "direction: 1 or -1")] = Field(
        1, description="+1: higher is better; -1: lower is better.")
    weight: float = Field(1.0, ge=0.0, description="Nominal weight within the parent (normalised there).")
    type: Literal["quantitative", "questionnaire"] = "quantitative"
    source: str = ""
    denominator: Code | None = Field(None, description="Numeric attribute column to divide by.")
    target: Annotated[float | None, PerIndicator("value", "target: <value>")] = Field(
        None, description="Target value in raw (denominated) units.")
    goalposts: Annotated[tuple[float, float] | None, PerIndicator("interval", "goalposts: [lo, hi]")] = Field(
        None, description="[lo, hi] in raw units for `goalposts`.")
    question: str = Field("", description="Question text (questionnaire items).")
    scale: Annotated[tuple[float, float] | None,
                     PerIndicator("interval", "type: questionnaire with options", attribute="answer_scale")] = Field(
        None, description="[min, max] points (questionnaire items).")
    options: list[AnswerOption] | None = Field(None, description="Answer options (questionnaire items).")
    notes: str = Field("", description="Judgement calls, caveats (e.g. on the direction).")
    translations: dict[Lang, IndicatorTranslation] = Field(
        default_factory=dict, description="Texts in other languages: {fr: {name: ..., unit: ...}} (reports).")

    @field_validator("goalposts", "scale")
    @classmethod
    def _ordered(cls, v: tuple[float, float] | None) -> tuple[float, float] | None:
        if v is not None and not v[0] < v[1]:
            raise ValueError(f"must be [lo, hi] with lo < hi, got [{v[0]:g}, {v[1]:g}]")
        return v

    @model_validator(mode="after")
    def _questionnaire(self) -> Indicator:
        if self.type == "questionnaire":
            if not self.options:
                raise ValueError("a questionnaire item needs `options` (answer code, label, points)")
            lo, hi = self.scale if self.scale is not None else DEFAULT_ANSWER_SCALE
            bad = [o for o in self.options if not lo <= o.points <= hi]
            if bad:
                o = bad[0]
                raise ValueError(
                    f"answer '{o.code}' scores {o.points:g} points, outside the scale [{lo:g}, {hi:g}]"
                )
            codes = [o.code for o in self.options]
            dup = sorted({c for c in codes if codes.count(c) > 1})
            if dup:
                raise ValueError(f"answer codes must be unique; repeated: {', '.join(dup)}")
        elif self.options is not None or self.scale is not None:
            raise ValueError("`options` and `scale` are only for type: questionnaire")
        return self

    @model_validator(mode="after")
    def _translated_options(self) -> Indicator:
        codes = {o.code for o in self.options or ()}
        for lang, t in self.translations.items():
            unknown = sorted(set(t.options) - codes)
            if unknown:
                known = ", ".join(sorted(codes)) or "none (not a questionnaire item)"
                raise ValueError(f"translations.{lang}.options names unknown answer code(s) {', '.join(unknown)}; "
                                 f"the answer codes are: {known}")
        return self

    @property
    def answer_scale(self) -> tuple[float, float] | None:
        """The points scale of a questionnaire item (default [0, 100]); None for a statistic."""
        if self.type != "questionnaire":
            return None
        return self.scale if self.scale is not None else DEFAULT_ANSWER_SCALE

    @classmethod
    def per_indicator(cls, name: str) -> PerIndicator | None:
        """The :class:`PerIndicator` marker of field ``name``, or None when no method can need it."""
        info = cls.model_fields.get(name)
        return next((m for m in info.metadata if isinstance(m, PerIndicator)), None) if info else None

    def needed(self, name: str) -> Any:
        """The raw (not oriented) value of the per-indicator field ``name``; None when not set."""
        marker = self.per_indicator(name)
        if marker is None:
            raise KeyError(name)
        return getattr(self, marker.attribute or name)

    def option_for(self, answer: str) -> AnswerOption | None:
        """The option an answer names, by code or by label (case- and space-insensitive), else None."""
        key = " ".join(str(answer).split()).casefold()
        for o in self.options or ():
            if key in (o.code.casefold(), " ".join(o.label.split()).casefold()):
                return o
        return None


class Aggregate(StrictModel):
    """An aggregate node (area, theme, index...)."""

    code: Code = Field(min_length=1, pattern=r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
    name: str = Field(min_length=1)
    parent: Code | None = Field(None, description="Parent code; the root (the index) has none.")
    weight: float = Field(1.0, ge=0.0)
    description: str = ""
    aggregate: MethodChoice | None = Field(None, description="Aggregation method of this node's children.")
    translations: dict[Lang, Translation] = Field(
        default_factory=dict, description="Texts in other languages: {fr: {name: ..., description: ...}}.")


class Attribute(StrictModel):
    """A unit attribute column: for peer groups, denominators, context."""

    code: Code = Field(min_length=1)
    name: str = ""
    unit: str = ""
    kind: Literal["numeric", "categorical"] = "numeric"
    description: str = ""
    translations: dict[Lang, AttributeTranslation] = Field(
        default_factory=dict, description="Texts in other languages: {fr: {name: ..., unit: ...}} (reports).")


class DataColumns(StrictModel):
    """Names of the identifying columns in data files."""

    unit: str = "unit"
    name: str = "name"
    edition: str = "edition"


class FrameworkModel(StrictModel):
    """The framework file as written (see the module docstring)."""

    name: str = Field(min_length=1)
    code: str = ""
    version: str = ""
    description: str = ""
    levels: list[str] = Field(min_length=2, description="Level names bottom-up: indicators first, index last.")
    attributes: list[Attribute] = Field(default_factory=list)
    data: DataColumns = Field(default_factory=DataColumns)
    aggregates: list[Aggregate] = Field(min_length=1)
    indicators: list[Indicator] = Field(min_length=1)
    build: BuildSpec = Field(default_factory=BuildSpec)
    peer_groups: list[PeerGroup] = Field(default_factory=list, description="Ways of grouping units into peers.")
    translations: dict[Lang, FrameworkTranslation] = Field(
        default_factory=dict, description="Name, description and level names in other languages (reports).")
    uncertainty: UncertaintySpec | None = Field(
        None,
        description="Uncertain modelling choices for `openindex uncertainty` (see openindex.analysis.uncertainty).")

    @field_validator("version", mode="before")
    @classmethod
    def _version_text(cls, v: Any) -> Any:
        return str(v) if isinstance(v, int | float) else v

    @model_validator(mode="after")
    def _translated_levels(self) -> FrameworkModel:
        for lang, t in self.translations.items():
            if t.levels is not None and len(t.levels) != len(self.levels):
                raise ValueError(f"translations.{lang}.levels names {len(t.levels)} levels but `levels` has "
                                 f"{len(self.levels)}; give one name per level, bottom-up")
        return self


# --------------------------------------------------------------------------------------
# The parsed framework and its derived structure
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Framework:
    """A validated framework with its derived structure.

    Attributes
    ----------
    model : FrameworkModel
        The file as parsed.
    source : str
        Where it came from (a path, or ``"<memory>"``).
    levels : tuple of tuple of str
        ``levels[0]`` are the indicator codes in file order; ``levels[k]`` the codes of
        level ``k + 1`` (level 2 = first aggregate level), in file order. An aggregate's
        level is one above its highest child (see "Mixed depth" in the module docstring).
    parent : dict
        Code -> parent code as written in the file (the root maps to None).
    padded_levels : tuple of tuple of str
        The columns of the engine's level arrays: ``levels[k]`` followed by the
        pass-through nodes of level ``k + 1``, so that the children of every node of
        ``padded_levels[k]`` are in ``padded_levels[k - 1]``. Equal to ``levels`` when no
        node skips a level.
    above : dict
        Code (real or pass-through) -> the node of the next padded level that aggregates
        it: its parent, or the pass-through node carrying it through a skipped level.
    pass_through : dict
        Pass-through code -> its (derived, not validated) :class:`Aggregate`.
    """

    model: FrameworkModel
    source: str
    levels: tuple[tuple[Code, ...], ...]
    parent: Mapping[Code, Code | None]
    lines: Mapping[tuple[Any, ...], int] = field(default_factory=dict, repr=False, compare=False)
    padded_levels: tuple[tuple[Code, ...], ...] = ()
    above: Mapping[Code, Code | None] = field(default_factory=dict, repr=False)
    pass_through: Mapping[Code, Aggregate] = field(default_factory=dict, repr=False)

    # ---- convenient views ------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.model.name

    @property
    def level_names(self) -> tuple[str, ...]:
        return tuple(self.model.levels)

    @property
    def n_levels(self) -> int:
        return len(self.levels)

    @property
    def build(self) -> BuildSpec:
        return self.model.build

    @cached_property
    def indicators(self) -> dict[Code, Indicator]:
        return {i.code: i for i in self.model.indicators}

    @cached_property
    def aggregates(self) -> dict[Code, Aggregate]:
        return {a.code: a for a in self.model.aggregates}

    @cached_property
    def attributes(self) -> dict[Code, Attribute]:
        return {a.code: a for a in self.model.attributes}

    @property
    def indicator_codes(self) -> tuple[Code, ...]:
        return self.levels[0]

    @cached_property
    def directions(self) -> np.ndarray:
        """+1.0 (higher is better) or -1.0 per indicator, in framework order."""
        return np.array([self.indicators[c].direction for c in self.indicator_codes], dtype=float)

    @cached_property
    def questionnaire_items(self) -> np.ndarray:
        """Boolean per indicator, in framework order: a questionnaire item (not a statistic)."""
        return np.array([self.indicators[c].type == "questionnaire" for c in self.indicator_codes], dtype=bool)

    @property
    def root(self) -> Code:
        return self.levels[-1][0]

    def node(self, code: Code) -> Indicator | Aggregate:
        """The indicator, aggregate or pass-through node of a code."""
        return self.indicators.get(code) or self.aggregates.get(code) or self.pass_through[code]

    def level_of(self, code: Code) -> int:
        """Level number of a code: 1 for indicators, ``n_levels`` for the index (pass-through codes too)."""
        for levels in (self.levels, self.padded_levels):
            for k, codes in enumerate(levels, 1):
                if code in codes:
                    return k
        raise KeyError(code)

    def carried(self, code: Code) -> Code:
        """The node of the file a pass-through node carries (``code`` itself for a node of the file)."""
        return code.rsplit("@", 1)[0] if code in self.pass_through else code

    @cached_property
    def _children(self) -> dict[Code, tuple[Code, ...]]:
        kids: dict[Code, list[Code]] = {}
        for c in (*self.aggregates, *self.indicators):  # file order: aggregates, then indicators
            p = self.parent[c]
            if p is not None:
                kids.setdefault(p, []).append(c)
        return {p: tuple(cs) for p, cs in kids.items()}

    def children(self, code: Code) -> tuple[Code, ...]:
        """The children of a node as written in the file (aggregates, then indicators, in file order)."""
        return self._children.get(code, ())

    def weights(self, level: int) -> np.ndarray:
        """Nominal weight matrix from padded level ``level - 1`` to padded level ``level``.

        Returns
        -------
        ndarray, shape (n_padded_nodes_at_level, n_padded_nodes_below)
            ``W[j, i]`` is the file weight of child ``i`` if node ``j`` aggregates it
            (``above[i] == j``), else 0 (not normalised: the weight method does that). A
            pass-through node carries its child's file weight; the child weighs 1 inside it.
        """
        below, here = self.padded_levels[level - 2], self.padded_levels[level - 1]
        index: dict[Code | None, int] = {c: j for j, c in enumerate(here)}
        w = np.zeros((len(here), len(below)))
        for i, c in enumerate(below):
            up = self.above[c]
            w[index[up], i] = 1.0 if up in self.pass_through else self.node(c).weight
        return w

    def membership(self, level: int) -> np.ndarray:
        """Boolean matrix (n_padded_nodes_at_level, n_padded_nodes_below): node ``j`` aggregates child ``i``."""
        below, here = self.padded_levels[level - 2], self.padded_levels[level - 1]
        index: dict[Code | None, int] = {c: j for j, c in enumerate(here)}
        m = np.zeros((len(here), len(below)), dtype=bool)
        for i, c in enumerate(below):
            m[index[self.above[c]], i] = True
        return m

    def ancestor(self, code: Code, level: int) -> Code:
        """The ancestor of ``code`` at ``level``.

        Itself when it is at that level; in a mixed-depth tree, the first ancestor above
        ``level`` when the branch skips that level.
        """
        while self.level_of(code) < level:
            parent = self.parent[code]
            if parent is None:  # the root: no level above it
                raise KeyError(parent)
            code = parent
        return code

    def summary(self) -> str:
        """E.g. ``"53 indicators in 11 areas in 3 themes"`` (the root level is named once).

        In a mixed-depth tree a level some of whose nodes skip the next one says how many
        are in it: ``"68 questions in 17 areas (6 of them in 1 sub-index)"``.
        """
        names = [n.lower() for n in self.level_names]
        parts = [f"{len(self.levels[0])} {_plural(names[0], len(self.levels[0]))}"]
        for k in range(1, self.n_levels - 1):
            here = f"{len(self.levels[k])} {_plural(names[k], len(self.levels[k]))}"
            below = self.levels[k - 1]
            inside = sum(self.parent[c] in self.levels[k] for c in below)
            parts.append(f"in {here}" if inside == len(below) else f"({inside} of them in {here})")
        text = " ".join(parts)
        return f"{text}, aggregated into one {names[-1]} ('{self.root}')"

    def line_of(self, *path: Any) -> int | None:
        """Line in the source YAML of a path such as ``("indicators", 3, "direction")``."""
        path_t = tuple(path)
        while path_t:
            if path_t in self.lines:
                return self.lines[path_t]
            path_t = path_t[:-1]
        return None

    def to_dict(self) -> dict[str, Any]:
        """The framework as a plain dict of what the file set (round-trips through YAML)."""
        return self.model.model_dump(mode="json", exclude_unset=True)

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True, width=100)


def _plural(word: str, n: int) -> str:
    if n == 1 or word.endswith("s"):
        return word
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return word[:-1] + "ies"
    return word + ("es" if word.endswith(("x", "ch", "sh")) else "s")


# --------------------------------------------------------------------------------------
# Parsing and validation
# --------------------------------------------------------------------------------------


def parse_framework(
    data: Any, *, source: str = "<memory>", lines: Mapping[tuple[Any, ...], int] | None = None
) -> Framework:
    """Validate a framework given as plain data (as loaded from YAML).

    Parameters
    ----------
    data : Any
        The YAML document.
    source : str
        File name used in messages.
    lines : mapping, optional
        YAML path -> line number, from :func:`openindex.io.read_yaml`, so that every
        problem names its line.

    Raises
    ------
    FrameworkError
        Listing every problem found: field errors, structural rules, method names.
    """
    lines = dict(lines or {})
    problems: list[Problem] = []

    def add(path: Sequence[Any], reason: ProblemCode, message: str, value: Any = "", code: str = "") -> None:
        problems.append(
            Problem(
                file=source,
                location=yaml_location(path, lines),
                code=reason,
                problem=message,
                indicator=code,
                value="" if value is None or value == "" else _short(value),
            )
        )

    if not isinstance(data, Mapping):
        kind = "empty" if data is None else f"a {type(data).__name__}, not a mapping"
        add((), ProblemCode.EMPTY_FILE if data is None else ProblemCode.NOT_A_MAPPING,
            f"the framework file is {kind}; it must be a YAML mapping with `levels`, "
                 "`aggregates` and `indicators` (see indicators/opencities.yaml)")
        raise FrameworkError(problems, f"{source}: not a framework file")

    model: FrameworkModel | None = None
    try:
        model = FrameworkModel.model_validate(data)
    except pydantic.ValidationError as exc:
        for err in exc.errors():
            path = tuple(p for p in err["loc"] if not is_pydantic_tag(p))
            add(path, pydantic_problem_code(err), pydantic_message(err),
                err.get("input") if err["type"] != "missing" else "", _code_at(data, path))

    _check_structure(data, add)
    _check_methods(data, model, add)
    if problems:
        raise FrameworkError(problems, f"{source}: {len(problems)} problem{'s' * (len(problems) > 1)} "
                                       "in the framework")
    assert model is not None
    levels, parent = _derive_levels(model)
    padded, above, passing = _pad_levels(model, levels, parent)
    return Framework(model=model, source=source, levels=levels, parent=parent, lines=lines, padded_levels=padded,
                     above=above, pass_through=passing)


def with_settings(framework: Framework, settings: Mapping[str, Any]) -> Framework:
    """Return a copy of ``framework`` with settings changed by dotted YAML path.

    ``{"build.normalise.method": "zscore", "build.aggregate.levels.Index.method": "geometric"}``.
    An entry of a list is named by its code (``indicators.gdp.weight``) or by its position from 0
    (``indicators.0.weight``). Values are used as given (the CLI parses ``--set`` values as YAML scalars). Changing a
    ``method`` resets that choice's ``params`` to the new method's defaults unless the
    same settings also set some of them. The result is re-validated as a whole, so a bad
    value gives the usual error.
    """
    data = framework.model.model_dump(mode="json", exclude_none=True)
    for key in settings:
        if key.endswith(".method"):
            prefix = key[: -len("method")]
            if not any(k.startswith(prefix + "params") for k in settings):
                _setting_parent(data, prefix + "params", framework.source, create=False).pop("params", None)
    for key, value in settings.items():
        node = _setting_parent(data, key, framework.source, create=True)
        last = key.split(".")[-1]
        if isinstance(node, list):
            node[_list_position(node, key, len(key.split(".")) - 1, framework.source)] = value
        else:
            node[last] = value
    return parse_framework(data, source=f"{framework.source} (with --set)")


def _setting_parent(data: dict[str, Any], key: str, source: str, *, create: bool) -> Any:
    """The container that holds the last part of a dotted ``key`` (created on the way if asked)."""
    parts = key.split(".")
    node: Any = data
    for i, part in enumerate(parts[:-1]):
        if isinstance(node, list):
            node = node[_list_position(node, key, i, source)]
            continue
        if part not in node or node[part] is None:
            if not create:
                return {}
            node[part] = {}
        elif not isinstance(node[part], dict | list):
            raise FrameworkError([Problem(source, f"--set {key}", code=ProblemCode.INVALID_SETTING,
                                          problem=f"'{'.'.join(parts[:i + 1])}' is a value, not a "
                                          "section; it has no sub-keys", value=str(node[part]))])
        node = node[part]
    return node


def _list_position(entries: list[Any], key: str, i: int, source: str) -> int:
    """Position in ``entries`` named by part ``i`` of a dotted ``--set`` key: an entry's code, or a position from 0."""
    parts = key.split(".")
    part, within = parts[i], ".".join(parts[:i]) or "the file"
    codes = [str(e["code"]) for e in entries if isinstance(e, dict) and "code" in e]
    if part.isdigit() and int(part) < len(entries):
        return int(part)
    found = next((k for k, e in enumerate(entries) if isinstance(e, dict) and str(e.get("code")) == part), None)
    if found is not None:
        return found
    if part.lstrip("-").isdigit():
        problem = (f"'{within}' has {len(entries)} entries, at positions 0 to {len(entries) - 1}; position {part} "
                   "is not one of them. Name the entry by its code instead"
                   + (f", e.g. {within}.{codes[0]}.{'.'.join(parts[i + 1:]) or 'weight'}" if codes else ""))
    else:
        listed = ", ".join(codes[:10]) + (f" ... ({len(codes)} in all)" if len(codes) > 10 else "")
        problem = (f"no entry of '{within}' has the code '{part}'.{did_you_mean(part, codes)}"
                   + (f" The codes are: {listed}" if codes else ""))
    raise FrameworkError([Problem(source, f"--set {key}", problem, value=part, code=ProblemCode.INVALID_SETTING)])


def _derive_levels(model: FrameworkModel) -> tuple[tuple[tuple[Code, ...], ...], dict[Code, Code | None]]:
    """The nodes of the file level by level (a node one level above its highest child) and their parents."""
    parent: dict[Code, Code | None] = {a.code: a.parent for a in model.aggregates}
    parent.update({i.code: i.parent for i in model.indicators})
    height = _node_heights(parent, [i.code for i in model.indicators])
    levels = [tuple(i.code for i in model.indicators)]
    for k in range(2, len(model.levels) + 1):
        levels.append(tuple(a.code for a in model.aggregates if height[a.code] == k))
    return tuple(levels), parent


def _node_heights(parent: Mapping[Code, Any], indicators: Sequence[Code]) -> dict[Code, int]:
    """Level of every node reached from the indicators: 1 for an indicator, one above its highest child otherwise.

    ``parent`` must be free of cycles and unknown parents (see :func:`problems_in_tree`).
    """
    height: dict[Code, int] = {c: 1 for c in indicators}
    for code in indicators:
        h, node = 1, parent[code]
        while node is not None:
            h += 1
            if height.get(node, 0) >= h:
                break  # already reached by a path at least as high: its ancestors too
            height[node] = h
            node = parent[node]
    return height


def _pad_levels(model: FrameworkModel, levels: tuple[tuple[Code, ...], ...], parent: Mapping[Code, Code | None],
                ) -> tuple[tuple[tuple[Code, ...], ...], dict[Code, Code | None], dict[Code, Aggregate]]:
    """Padded levels, the node above every code and the pass-through nodes (see "Mixed depth" above)."""
    level = {c: k for k, codes in enumerate(levels, 1) for c in codes}
    names: dict[Code, Aggregate | Indicator] = {a.code: a for a in model.aggregates}
    names.update({i.code: i for i in model.indicators})
    above: dict[Code, Code | None] = {levels[-1][0]: None}
    passing: dict[Code, Aggregate] = {}
    padded = [levels[0]]
    for k in range(2, len(levels) + 1):
        here = list(levels[k - 1])
        for c in padded[-1]:
            real = c.rsplit("@", 1)[0] if c in passing else c
            p = parent[real]
            if p is not None and level[p] > k:  # p is further up: carry c through level k
                code = f"{real}@{k}"
                node = names[real]
                passing[code] = Aggregate.model_construct(
                    code=code, name=node.name, parent=p, weight=node.weight,
                    description=f"Pass-through: '{real}' sits directly under '{p}', so it is carried unchanged "
                    f"through level {k} ({model.levels[k - 1]}).",
                    aggregate=MethodChoice(method="arithmetic"), translations={})
                here.append(code)
                above[c] = code
            else:
                above[c] = p
        padded.append(tuple(here))
    return tuple(padded), above, passing


def _check_structure(data: Mapping[str, Any], add: Any) -> None:
    """Structural rules on the raw data, so they are reported even when some fields fail."""
    aggregates = _entries(data.get("aggregates"))
    indicators = _entries(data.get("indicators"))
    levels = data.get("levels") if isinstance(data.get("levels"), list) else None
    attrs = {a.get("code"): a for _, a in _entries(data.get("attributes"))}

    seen: dict[str, tuple[Any, ...]] = {}
    parent: dict[str, Any] = {}
    for section, entries in (("aggregates", aggregates), ("indicators", indicators)):
        for i, e in entries:
            code = e.get("code")
            if not isinstance(code, str):
                continue
            if code in seen:
                add((section, i, "code"), ProblemCode.DUPLICATE_CODE, f"duplicate code '{code}' (first defined at "
                    f"{path_text(seen[code])}); codes must be unique", code, code)
            else:
                seen[code] = (section, i, "code")
                parent[code] = e.get("parent")
    agg_codes = {e.get("code") for _, e in aggregates}
    ind_codes = {e.get("code") for _, e in indicators}

    roots = [(i, e.get("code")) for i, e in aggregates if e.get("parent") is None]
    if aggregates and not roots:
        add(("aggregates",), ProblemCode.NOT_ONE_ROOT, "no root: exactly one aggregate (the index) must have no parent")
    for i, code in roots[1:]:
        add(("aggregates", i, "parent"), ProblemCode.NOT_ONE_ROOT,
            f"'{code}' has no parent, but '{roots[0][1]}' is already the root; "
            "exactly one aggregate (the index) may have no parent", code=str(code))

    for section, entries in (("aggregates", aggregates), ("indicators", indicators)):
        for i, e in entries:
            p = e.get("parent")
            if p is None or not isinstance(p, str):
                continue
            if p in ind_codes:
                add((section, i, "parent"), ProblemCode.PARENT_IS_INDICATOR,
                    f"parent '{p}' is an indicator; parents must be aggregates",
                    p, str(e.get("code")))
            elif p not in agg_codes:
                add((section, i, "parent"), ProblemCode.UNKNOWN_PARENT,
                    f"unknown parent '{p}'.{name_hint(p, agg_codes)}", p, str(e.get("code")))
            if p == e.get("code"):
                add((section, i, "parent"), ProblemCode.CYCLE, f"'{p}' is its own parent", p, p)

    # cycles: follow parents from every aggregate
    reported: set[frozenset[str]] = set()
    for i, e in aggregates:
        start = e.get("code")
        if not isinstance(start, str):
            continue  # a code that is no text has no parent (reported field by field)
        path, node = [start], parent.get(start)
        while isinstance(node, str) and node in agg_codes and node not in path:
            path.append(node)
            node = parent.get(node)
        if node == start and len(path) > 1:
            cyc = frozenset(path)
            if cyc not in reported:
                reported.add(cyc)
                add(("aggregates", i, "parent"), ProblemCode.CYCLE, "cycle in the hierarchy: "
                    + " -> ".join([*path, start]) + "; every chain of parents must end at the index",
                    code=str(start))

    # every aggregate has children; weights not all zero within a node
    children: dict[str, list[tuple[str, int, Mapping[str, Any]]]] = {}
    for section, entries in (("aggregates", aggregates), ("indicators", indicators)):
        for i, e in entries:
            if isinstance(e.get("parent"), str):
                children.setdefault(e["parent"], []).append((section, i, e))
    for i, e in aggregates:
        code = e.get("code")
        kids = children.get(code, []) if isinstance(code, str) else []
        if not kids:
            add(("aggregates", i), ProblemCode.EMPTY_NODE,
                f"aggregate '{code}' has no children; every leaf must be an indicator "
                "(remove the node or give it indicators)", code=str(code))
            continue
        ws = [k[2].get("weight", 1.0) for k in kids]
        if all(isinstance(w, int | float) and not isinstance(w, bool) and w == 0 for w in ws):
            add(("aggregates", i), ProblemCode.ZERO_WEIGHTS,
                f"all weights of the children of '{code}' are zero; at least one must be "
                "positive", code=str(code))

    # as many levels as declared: the longest chain from an indicator to the root (mixed depth allowed)
    if levels is not None and not problems_in_tree(parent, agg_codes):
        depth: dict[str, int] = {}
        for _, e in indicators:
            code, d, node = e.get("code"), 1, e.get("parent")
            while isinstance(node, str) and node in agg_codes and d < 1000:
                d += 1
                node = parent.get(node)
            if isinstance(code, str):
                depth[code] = d
        want = len(levels)
        names = ", ".join(map(str, levels))
        for i, e in indicators:
            code = e.get("code")
            if code in depth and depth[code] > want:
                add(("indicators", i, "parent"), ProblemCode.WRONG_DEPTH,
                    f"'{code}' sits {depth[code]} levels deep but `levels` declares {want} ({names}); add the "
                    "missing level name to `levels`, or attach it higher up", code=str(code))
        if depth and max(depth.values()) < want:
            add(("levels",), ProblemCode.WRONG_DEPTH,
                f"`levels` declares {want} levels ({names}) but the deepest indicator sits only "
                f"{max(depth.values())} levels deep; remove a level name, or add the aggregate level it names",
                value=names)

    for i, e in indicators:
        den = e.get("denominator")
        if isinstance(den, str):
            if den not in attrs:
                add(("indicators", i, "denominator"), ProblemCode.UNKNOWN_ATTRIBUTE,
                    f"denominator '{den}' is not a declared attribute."
                    f"{name_hint(den, set(attrs))} Declare it under `attributes` with kind: numeric", den,
                    str(e.get("code")))
            elif attrs[den].get("kind", "numeric") != "numeric":
                add(("indicators", i, "denominator"), ProblemCode.ATTRIBUTE_NOT_NUMERIC,
                    f"denominator '{den}' is a categorical attribute; "
                    "it must be numeric", den, str(e.get("code")))
    for i, g in _entries(data.get("peer_groups")):
        needed = [("by", g.get("by"))] + [("on", a) for a in (g.get("on") or []) if isinstance(g.get("on"), list)]
        for key, a in needed:
            if not isinstance(a, str):
                continue
            if a not in attrs:
                add(("peer_groups", i, key), ProblemCode.UNKNOWN_ATTRIBUTE,
                    f"peer group '{g.get('code')}': '{a}' is not a declared attribute."
                    f"{name_hint(a, set(attrs))}", a)
            elif (key == "on" or g.get("bands") is not None) and attrs[a].get("kind", "numeric") != "numeric":
                add(("peer_groups", i, key), ProblemCode.ATTRIBUTE_NOT_NUMERIC,
                    f"peer group '{g.get('code')}': '{a}' is categorical; bands and "
                    "nearest neighbours need a numeric attribute", a)
    codes_and_attrs = set(attrs) & (agg_codes | ind_codes)
    for i, a in _entries(data.get("attributes")):
        if a.get("code") in codes_and_attrs:
            add(("attributes", i, "code"), ProblemCode.DUPLICATE_CODE,
                f"attribute '{a['code']}' has the same code as a node of the "
                "framework", a["code"])


def problems_in_tree(parent: Mapping[str, Any], agg_codes: set[Any]) -> bool:
    """True when parents are unknown or cyclic (then depths are meaningless)."""
    for code in parent:
        seen, node = {code}, parent[code]
        while node is not None:
            if node not in agg_codes or node in seen:
                return True
            seen.add(node)
            node = parent.get(node)
    return False


def _check_methods(data: Mapping[str, Any], model: FrameworkModel | None, add: Any) -> None:
    """Method names and params of the build section (also when other parts of the file failed)."""
    if model is not None:
        build = model.build
    else:
        try:
            build = BuildSpec.model_validate(data.get("build") or {})
        except pydantic.ValidationError:
            return  # already reported field by field
    ind_codes = {e.get("code") for _, e in _entries(data.get("indicators"))}
    agg_entries = _entries(data.get("aggregates"))
    agg_codes = {e.get("code") for _, e in agg_entries}
    levels = data["levels"] if isinstance(data.get("levels"), list) else []
    for step in STEPS:
        spec = getattr(build, step)
        reg = registry_for(step)
        choices: list[tuple[tuple[Any, ...], MethodChoice]] = [(("build", step), spec)]
        if spec.questionnaire is not None:
            choices.append((("build", step, "questionnaire"), spec.questionnaire))
        for code, ov in spec.overrides.items():
            allowed = agg_codes if step in ("aggregate", "weight") else ind_codes
            if code not in allowed:
                kind = "aggregate node" if step in ("aggregate", "weight") else "indicator"
                add(("build", step, "overrides", code), ProblemCode.UNKNOWN_NODE,
                    f"override for unknown {kind} '{code}'."
                    f"{name_hint(code, allowed)}", code)
            choices.append((("build", step, "overrides", code), ov))
        if step == "aggregate":
            names = {str(k) for k in range(2, len(levels) + 1)} | {str(n) for n in levels[1:]}
            for key, ov in build.aggregate.levels.items():
                if str(key) not in names:
                    add(("build", "aggregate", "levels", key), ProblemCode.UNKNOWN_LEVEL,
                        f"unknown level '{key}'; aggregate levels are "
                        + ", ".join(sorted(names)), key)
                choices.append((("build", "aggregate", "levels", key), ov))
            for i, a in agg_entries:
                own = a.get("aggregate")
                if not isinstance(own, Mapping):
                    continue
                if a.get("code") in build.aggregate.overrides:
                    add(("aggregates", i, "aggregate"), ProblemCode.DUPLICATE_SETTING,
                        f"the aggregation of '{a.get('code')}' is set both here "
                        "and in build.aggregate.overrides; keep one", a.get("code"))
                try:
                    choices.append((("aggregates", i, "aggregate"), MethodChoice.model_validate(own)))
                except pydantic.ValidationError:
                    pass  # reported by the model
        for path, choice in choices:
            if choice.method not in reg:
                add((*path, "method"), ProblemCode.UNKNOWN_METHOD, reg.unknown_message(choice.method), choice.method)
                continue
            try:
                reg.validate_params(choice.method, choice.params)
            except MethodError as exc:
                add((*path, "params"), ProblemCode.INVALID_PARAM, str(exc))


# ---- small helpers -------------------------------------------------------------------


def _entries(value: Any) -> list[tuple[int, Mapping[str, Any]]]:
    if not isinstance(value, list):
        return []
    return [(i, e) for i, e in enumerate(value) if isinstance(e, Mapping)]


def _code_at(data: Any, path: Sequence[Any]) -> str:
    if len(path) >= 2 and path[0] in ("indicators", "aggregates") and isinstance(path[1], int):
        try:
            code = data[path[0]][path[1]].get("code", "")
            return code if isinstance(code, str) else ""
        except (IndexError, KeyError, AttributeError, TypeError):
            return ""
    return ""


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value) if not isinstance(value, str) else value
    return text if len(text) <= limit else text[: limit - 3] + "..."
