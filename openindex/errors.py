"""Exception types and the failure-case table.

Every error openindex raises on purpose is an :class:`OpenIndexError`. Problems in
user input (a framework file, a data file, a build setting) are *collected* into a
list of :class:`Problem` records and raised together as one :class:`InputError`,
so a user sees every mistake at once instead of fixing them one run at a time.

This module imports nothing else from the package.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, fields

__all__ = [
    "OpenIndexError",
    "InputError",
    "FrameworkError",
    "DataError",
    "MethodError",
    "DegenerateInputError",
    "Problem",
    "problems_to_csv",
    "format_problems",
]


@dataclass(frozen=True, slots=True)
class Problem:
    """One row of the failure-case table.

    Attributes
    ----------
    file : str
        The file the problem is in ("" when it does not come from a file).
    location : str
        Where in the file: ``line 12``, ``cell C7 of sheet 'data'``, or a YAML path
        such as ``indicators[3].direction (line 40)``.
    problem : str
        What is wrong and, where possible, what to do about it.
    unit : str
        The unit (city) concerned, if any.
    indicator : str
        The indicator or node concerned, if any.
    value : str
        The offending value as found in the input, quoted verbatim.
    severity : str
        ``"error"`` (the input cannot be used) or ``"warning"`` (it can, but look).
    """

    file: str
    location: str
    problem: str
    unit: str = ""
    indicator: str = ""
    value: str = ""
    severity: str = "error"

    def __str__(self) -> str:
        where = ", ".join(p for p in (self.file, self.location) if p)
        what = self.problem
        if self.value:
            what += f" (found: {self.value})"
        return f"{where}: {what}" if where else what


PROBLEM_COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(Problem))


class OpenIndexError(Exception):
    """Base class of every error raised on purpose by openindex."""


class InputError(OpenIndexError):
    """One or more problems in user input, collected into a failure-case table.

    Parameters
    ----------
    problems : sequence of Problem
        Every problem found; at least one.
    summary : str
        One line saying what was being checked.
    """

    def __init__(self, problems: Sequence[Problem], summary: str = "") -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        n_err = sum(p.severity == "error" for p in self.problems)
        self.summary = summary or f"{n_err} problem{'s' if n_err != 1 else ''} found"
        super().__init__(format_problems(self.problems, self.summary))

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")


class FrameworkError(InputError):
    """The framework YAML is not valid."""


class DataError(InputError):
    """The data file does not fit the framework."""


class MethodError(OpenIndexError, ValueError):
    """A method name or a method parameter is not valid (unknown name, wrong type...)."""


def format_problems(problems: Iterable[Problem], summary: str = "") -> str:
    """Render problems as a readable, aligned text table (one problem per block)."""
    problems = list(problems)
    lines = [summary] if summary else []
    for i, p in enumerate(problems, 1):
        tag = "" if p.severity == "error" else f"[{p.severity}] "
        lines.append(f"{i:>3}. {tag}{p}")
        extra = ", ".join(f"{k}: {v}" for k, v in (("unit", p.unit), ("indicator", p.indicator)) if v)
        if extra:
            lines.append(f"     ({extra})")
    return "\n".join(lines)


def problems_to_csv(problems: Iterable[Problem]) -> str:
    """Return the failure-case table as CSV text with columns ``PROBLEM_COLUMNS``."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(PROBLEM_COLUMNS), lineterminator="\n")
    writer.writeheader()
    for p in problems:
        writer.writerow(asdict(p))
    return buf.getvalue()


class DegenerateInputError(MethodError):
    """A method met data it cannot handle (a constant indicator for min-max, a zero in a geometric mean).

    Pure methods raise it with *positions*; the pipeline turns them into indicator codes
    and unit names before the user sees the message.

    Parameters
    ----------
    message : str
        What is wrong, without names (e.g. "min-max of a constant indicator").
    columns : sequence of int
        Indices along the last (indicator/child) axis concerned.
    units : sequence of int
        Indices along the units axis concerned (may be empty).
    hint : str
        What the user can do.
    """

    def __init__(self, message: str, columns=(), units=(), hint: str = "") -> None:
        self.message = message
        self.columns = tuple(int(c) for c in columns)
        self.units = tuple(int(u) for u in units)
        self.hint = hint
        super().__init__(f"{message} (columns {list(self.columns)}, units {list(self.units)}). {hint}".strip())
