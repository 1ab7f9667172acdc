"""Where a problem of a YAML input file is, in words: paths, line numbers, field messages, name hints.

Shared by every reader of a YAML model file (the framework, an uncertainty factors file):
a problem names its YAML path and line (``indicators[3].parent (line 41)``), a pydantic
field error becomes one plain sentence, and an unknown name gets the closest known one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from openindex.errors import ProblemCode
from openindex.methods.registry import did_you_mean

__all__ = ["path_text", "yaml_location", "is_pydantic_tag", "pydantic_message", "pydantic_problem_code", "name_hint"]


def path_text(path: Sequence[Any]) -> str:
    """A YAML path as text: ``("indicators", 3, "parent")`` -> ``indicators[3].parent``."""
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(top level)"


def yaml_location(path: Sequence[Any], lines: Mapping[tuple[Any, ...], int]) -> str:
    """The path as text with the line of its nearest enclosing entry found in ``lines`` (``... (line 41)``)."""
    text = path_text(path)
    p = tuple(path)
    while p and p not in lines:
        p = p[:-1]
    line = lines.get(p) if p else lines.get(())
    return f"{text} (line {line})" if line else text


def is_pydantic_tag(part: Any) -> bool:
    """Whether a part of a pydantic error location is a validator tag rather than a field or index."""
    return isinstance(part, str) and (part.startswith("function-") or part in {"tuple[float, float]"})


def pydantic_message(err: Mapping[str, Any]) -> str:
    """One pydantic field error as a plain sentence naming the field."""
    kind, msg = err["type"], err["msg"]
    field_name = next((str(p) for p in reversed(err["loc"]) if isinstance(p, str)), "value")
    if kind == "missing":
        return f"`{field_name}` is required"
    if kind == "extra_forbidden":
        return f"unknown key `{field_name}` (a typo? allowed keys are listed in indicators/framework.schema.json)"
    if kind == "literal_error" and field_name == "direction":
        return "direction must be 1 (higher is better) or -1 (lower is better)"
    if kind == "greater_than_equal" and field_name == "weight":
        return "weight must be >= 0"
    if kind == "finite_number":
        return f"`{field_name}` must be a finite number (.inf and .nan are not numbers openindex computes with)"
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    return f"`{field_name}`: {msg}"


def pydantic_problem_code(err: Mapping[str, Any]) -> ProblemCode:
    """The reason code of one pydantic field error: a missing key, an unknown key, or else an invalid value."""
    return {"missing": ProblemCode.MISSING_KEY, "extra_forbidden": ProblemCode.UNKNOWN_KEY}.get(
        err["type"], ProblemCode.INVALID_VALUE)


def name_hint(name: str, options: set[Any]) -> str:
    """``" Did you mean 'x'?"`` for the closest text option (other options ignored), or ``""``."""
    return did_you_mean(name, sorted(o for o in options if isinstance(o, str)))
