"""Exception types and the failure-case table.

Every error openindex raises on purpose is an :class:`OpenIndexError`. Problems in
user input (a framework file, a data file, a build setting) are *collected* into a
list of :class:`Problem` records and raised together as one :class:`InputError`,
so a user sees every mistake at once instead of fixing them one run at a time.
Each problem carries a stable reason code (:class:`ProblemCode`, listed with what to do
in ``docs/problem-codes.md``), so that programs sort and filter problems by kind and
never by message text.

This module imports nothing else from the package.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum

__all__ = [
    "OpenIndexError",
    "InputError",
    "FrameworkError",
    "DataError",
    "MethodError",
    "DegenerateInputError",
    "ProblemCode",
    "Problem",
    "problems_to_csv",
    "format_problems",
]


class ProblemCode(StrEnum):
    """The stable reason code of a :class:`Problem`: one per *kind* of problem, not per message.

    Codes never change meaning; a new kind of problem gets a new code. Each is listed, with
    what to do about it, in ``docs/problem-codes.md`` (a test keeps the two lists equal).
    """

    # ---- reading files ----
    #: the file (or folder) does not exist
    FILE_NOT_FOUND = "file_not_found"
    #: a folder was given where a file is needed
    NOT_A_FILE = "not_a_file"
    #: a file was given where a folder is needed
    NOT_A_FOLDER = "not_a_folder"
    #: the file name ends in a type openindex does not read
    UNSUPPORTED_FILE_TYPE = "unsupported_file_type"
    #: the file cannot be opened as the type its name says (a broken or mislabelled file)
    UNREADABLE_FILE = "unreadable_file"
    #: the text is not UTF-8
    NOT_UTF8 = "not_utf8"
    #: the file or sheet is empty, or its header row is blank
    EMPTY_FILE = "empty_file"
    #: the CSV is separated by semicolons, not commas
    WRONG_SEPARATOR = "wrong_separator"
    #: the text is not valid YAML
    INVALID_YAML = "invalid_yaml"
    #: a YAML mapping repeats a key
    DUPLICATE_KEY = "duplicate_key"
    #: the YAML document (or a section of it) is not a mapping
    NOT_A_MAPPING = "not_a_mapping"
    #: a workbook has several sheets and none was chosen
    AMBIGUOUS_SHEET = "ambiguous_sheet"
    #: a sheet that is asked for or needed is not in the workbook
    MISSING_SHEET = "missing_sheet"
    #: a header cell is blank
    BLANK_COLUMN_NAME = "blank_column_name"
    #: a column name appears twice in the header
    DUPLICATE_COLUMN = "duplicate_column"
    #: a row has more cells than the header
    ROW_TOO_LONG = "row_too_long"
    # ---- framework and settings files ----
    #: a required key is missing
    MISSING_KEY = "missing_key"
    #: a key (or a field of a workbook) the format does not know, often a typo
    UNKNOWN_KEY = "unknown_key"
    #: a value of the wrong type, outside its allowed values, or breaking a rule of its entry
    INVALID_VALUE = "invalid_value"
    #: two nodes (or a node and an attribute) share a code
    DUPLICATE_CODE = "duplicate_code"
    #: not exactly one aggregate without a parent (the index)
    NOT_ONE_ROOT = "not_one_root"
    #: a parent names no aggregate of the framework
    UNKNOWN_PARENT = "unknown_parent"
    #: a parent is an indicator
    PARENT_IS_INDICATOR = "parent_is_indicator"
    #: a chain of parents comes back to where it started
    CYCLE = "cycle"
    #: an aggregate has no children
    EMPTY_NODE = "empty_node"
    #: every weight that counts is zero
    ZERO_WEIGHTS = "zero_weights"
    #: an indicator is not at the bottom level that `levels` declares
    WRONG_DEPTH = "wrong_depth"
    #: an attribute is named that the framework does not declare
    UNKNOWN_ATTRIBUTE = "unknown_attribute"
    #: a categorical attribute is used where a numeric one is needed
    ATTRIBUTE_NOT_NUMERIC = "attribute_not_numeric"
    #: a code names no node (indicator or aggregate) of the framework, or none of the level meant
    UNKNOWN_NODE = "unknown_node"
    #: a level is named that the framework does not have
    UNKNOWN_LEVEL = "unknown_level"
    #: the same choice is set in two places
    DUPLICATE_SETTING = "duplicate_setting"
    #: a method name is not registered
    UNKNOWN_METHOD = "unknown_method"
    #: a method parameter is unknown or of the wrong type
    INVALID_PARAM = "invalid_param"
    #: a ``--set`` path cannot be applied
    INVALID_SETTING = "invalid_setting"
    #: the number of level names does not match the levels of the imported structure
    LEVEL_MISMATCH = "level_mismatch"
    # ---- uncertainty factors ----
    #: a node cannot be left out (it is the only child of its parent, or no node has a sibling)
    CANNOT_EXCLUDE = "cannot_exclude"
    #: two factors vary the same choice
    DUPLICATE_FACTOR = "duplicate_factor"
    #: two factors have the same name
    DUPLICATE_NAME = "duplicate_name"
    #: a factor would change nothing (no normalisation uses what it varies)
    NO_EFFECT = "no_effect"
    # ---- data files ----
    #: the table has a header but no data rows
    NO_DATA_ROWS = "no_data_rows"
    #: a column that is needed is missing
    MISSING_COLUMN = "missing_column"
    #: a column is not an indicator or attribute of the framework
    UNKNOWN_COLUMN = "unknown_column"
    #: a long-layout row names an indicator or attribute the framework does not have
    UNKNOWN_INDICATOR = "unknown_indicator"
    #: a long-layout file gives a value twice
    DUPLICATE_VALUE = "duplicate_value"
    #: a row has no unit code
    EMPTY_UNIT_CODE = "empty_unit_code"
    #: the edition is not a whole number
    INVALID_EDITION = "invalid_edition"
    #: a unit appears twice in the same edition
    DUPLICATE_UNIT = "duplicate_unit"
    #: a numeric cell holds text, TRUE/FALSE or an infinite value
    NOT_A_NUMBER = "not_a_number"
    #: an answer is not among the question's options
    UNKNOWN_ANSWER = "unknown_answer"
    #: a denominator is missing, so the indicators divided by it are missing (warning)
    MISSING_DENOMINATOR = "missing_denominator"
    #: a denominator is zero or negative
    NON_POSITIVE_DENOMINATOR = "non_positive_denominator"
    #: a unit has no indicator data at all
    EMPTY_UNIT = "empty_unit"
    #: an indicator has no data at all, or none in an edition (warning)
    EMPTY_INDICATOR = "empty_indicator"
    #: a file made by an earlier run does not match this build (other data, edition or settings)
    MISMATCHED_RUN = "mismatched_run"
    # ---- self-assessment workbooks ----
    #: the workbook was not made by ``openindex template`` (or by another format version)
    NOT_A_TEMPLATE = "not_a_template"
    #: the workbook was made for another framework: its areas, items or answer codes differ
    FRAMEWORK_MISMATCH = "framework_mismatch"
    #: the workbook was made from another version of the framework file with the same items (warning)
    FRAMEWORK_CHANGED = "framework_changed"
    #: the workbook's language is not one openindex has (warning; read as English)
    UNKNOWN_LANGUAGE = "unknown_language"
    #: a sheet that is not part of the template (warning; ignored)
    EXTRA_SHEET = "extra_sheet"
    #: a row that is not part of the template holds values
    EXTRA_ROW = "extra_row"
    #: a row of the template (a field or an item) is missing
    MISSING_ROW = "missing_row"
    #: a field or an item has two rows
    DUPLICATE_ROW = "duplicate_row"
    #: an item is on the sheet of another area
    MISPLACED_ROW = "misplaced_row"
    #: an item is not in the row the template put it in (warning; read by its code)
    MOVED_ROW = "moved_row"
    #: a cell holds a formula where a value is expected
    FORMULA_IN_CELL = "formula_in_cell"
    #: the city code of the workbook is replaced by the one given on the command line (warning)
    UNIT_REPLACED = "unit_replaced"


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
    code : ProblemCode
        The kind of problem, a stable reason code such as ``unknown_key`` (keyword-only;
        a plain string is accepted and must be one of :class:`ProblemCode`). Match on it,
        never on the message.
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
    code: ProblemCode = field(kw_only=True)
    problem: str
    unit: str = ""
    indicator: str = ""
    value: str = ""
    severity: str = "error"

    def __post_init__(self) -> None:
        object.__setattr__(self, "code", ProblemCode(self.code))  # a plain string is checked against the list

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
