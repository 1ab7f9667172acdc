"""Name -> function registries for every construction step.

Each family of methods (``normalise``, ``aggregate``...) is a :class:`Registry`.
A method is a plain function; its *keyword-only* parameters with defaults are the
parameters a user may set in YAML (``params:``), validated from the signature's
type hints by pydantic. Keyword-only parameters listed in ``needs`` are filled by the
engine and cannot be set by users: either a value the pipeline provides (``reference``,
``groups``, ``previous``, ``denominators``, ``x``, ``members``, ``codes``; see
:data:`PIPELINE_CONTEXTS`) or, by any other name, a per-indicator field of the framework
(``goalposts``, ``target``, ``direction``...; see
:class:`openindex.model.framework.PerIndicator`).

The construction steps that name a registered method are listed once, in :data:`STEPS`;
importing :mod:`openindex.methods` registers every method of every step.

Examples
--------
>>> reg = Registry("demo")
>>> @reg.register("double")
... def double(x, *, factor: float = 2.0):
...     '''Multiply by ``factor``.'''
...     return x * factor
>>> reg.validate_params("double", {"factor": "3"})
{'factor': 3.0}
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar, get_type_hints

import pydantic

from openindex.errors import MethodError

__all__ = ["Method", "Registry", "REGISTRIES", "STEPS", "PIPELINE_CONTEXTS", "did_you_mean", "unknown_step"]

F = TypeVar("F", bound=Callable[..., Any])


def did_you_mean(name: str, options: list[str] | tuple[str, ...]) -> str:
    """Return ``" Did you mean 'x'?"`` for the closest option, or ``""``."""
    close = difflib.get_close_matches(str(name), list(options), n=1, cutoff=0.6)
    return f" Did you mean '{close[0]}'?" if close else ""


@dataclass(frozen=True)
class Method:
    """A registered method: its name, function, user parameters and the values it needs from the engine."""

    name: str
    family: str
    func: Callable[..., Any]
    params: Mapping[str, inspect.Parameter]
    needs: tuple[str, ...]
    model: type[pydantic.BaseModel] = field(repr=False)

    @property
    def summary(self) -> str:
        doc = inspect.getdoc(self.func) or ""
        return doc.splitlines()[0] if doc else ""

    def defaults(self) -> dict[str, Any]:
        return {k: p.default for k, p in self.params.items()}


class Registry:
    """A family of methods chosen by name (for example all normalisers).

    Parameters
    ----------
    family : str
        The construction step, as named in the YAML ``build:`` section.
    """

    def __init__(self, family: str) -> None:
        self.family = family
        self._methods: dict[str, Method] = {}
        REGISTRIES[family] = self

    def register(self, name: str, *, needs: tuple[str, ...] = ()) -> Callable[[F], F]:
        """Decorator registering ``func`` under ``name``.

        Parameters
        ----------
        name : str
            The name used in YAML (``method: name``).
        needs : tuple of str
            Keyword-only parameters the engine fills: pipeline contexts
            (:data:`PIPELINE_CONTEXTS`) or per-indicator framework fields by name. A need
            with a default in the signature is optional (``reference``: only when scoring
            against a network held fixed).
        """

        def deco(func: F) -> F:
            if name in self._methods:
                raise ValueError(f"{self.family} method '{name}' registered twice")
            sig = inspect.signature(func)
            hints = get_type_hints(func)
            user = {
                k: p
                for k, p in sig.parameters.items()
                if p.kind is inspect.Parameter.KEYWORD_ONLY and k not in needs
            }
            for k, p in user.items():
                if p.default is inspect.Parameter.empty:
                    raise TypeError(f"user parameter '{k}' of {name} needs a default")
            fields_ = {k: (hints.get(k, Any), p.default) for k, p in user.items()}
            model = pydantic.create_model(  # type: ignore[call-overload]
                f"{self.family}_{name}_params",
                __config__=pydantic.ConfigDict(extra="forbid", strict=False, allow_inf_nan=False),
                **fields_,
            )
            self._methods[name] = Method(name, self.family, func, user, tuple(needs), model)
            return func

        return deco

    def __contains__(self, name: object) -> bool:
        return name in self._methods

    def __iter__(self) -> Iterator[str]:
        return iter(self._methods)

    def names(self) -> list[str]:
        return list(self._methods)

    def get(self, name: str) -> Method:
        """Return the method called ``name`` or raise :class:`MethodError` listing the known ones."""
        try:
            return self._methods[name]
        except KeyError:
            raise MethodError(self.unknown_message(name)) from None

    def unknown_message(self, name: str) -> str:
        known = ", ".join(self._methods) or "(none registered)"
        return f"Unknown {self.family} method '{name}'.{did_you_mean(name, self.names())} Known: {known}."

    def validate_params(self, name: str, params: Mapping[str, Any] | None) -> dict[str, Any]:
        """Validate user ``params`` of method ``name`` against its signature.

        Returns the full parameter dict, defaults filled in. Raises
        :class:`MethodError` with the scikit-learn style message
        "The 'x' parameter of Y must be Z. Got W instead."
        """
        method = self.get(name)
        params = dict(params or {})
        unknown = [k for k in params if k not in method.params]
        if unknown:
            k = unknown[0]
            known = ", ".join(method.params) or "none"
            hint = did_you_mean(k, list(method.params))
            raise MethodError(
                f"{self.family} method '{name}' has no parameter '{k}'.{hint} Its parameters: {known}."
            )
        try:
            model = method.model.model_validate(params)
        except pydantic.ValidationError as exc:
            err = exc.errors()[0]
            k = str(err["loc"][0]) if err["loc"] else "?"
            want = _describe_type(method.params[k].annotation) if k in method.params else "valid"
            raise MethodError(
                f"The '{k}' parameter of {self.family} method '{name}' must be {want}. "
                f"Got {err.get('input')!r} instead."
            ) from None
        return model.model_dump()


def _describe_type(annotation: Any) -> str:
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", str(annotation))
    text = str(text).replace("typing.", "")
    if text.startswith("Literal[") and text.endswith("]"):
        return "one of " + text[len("Literal["):-1]
    return {"float": "a number", "int": "an integer", "bool": "true or false", "str": "a text"}.get(
        text, f"of type {text}"
    )


REGISTRIES: dict[str, Registry] = {}

#: the construction steps that name a registered method, in pipeline order: the one list from which the
#: build spec's checks, the registries (one module of :mod:`openindex.methods` per step) and the method
#: contract test derive
STEPS: tuple[str, ...] = ("denominate", "impute", "treat", "normalise", "weight", "aggregate")

#: values the engine itself provides to the methods that need them (every other need is a per-indicator
#: field of the framework)
PIPELINE_CONTEXTS: frozenset[str] = frozenset(
    {"reference", "groups", "reference_groups", "previous", "denominators", "x", "members", "codes"})


def unknown_step(family: str) -> MethodError:
    """The error for a construction step that does not exist (with "did you mean")."""
    return MethodError(f"Unknown construction step '{family}'.{did_you_mean(family, list(STEPS))} "
                       f"Known: {', '.join(STEPS)}.")
