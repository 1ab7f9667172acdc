"""Exception types and the failure-case table.

Every error openindex raises on purpose is an :class:`OpenIndexError`. Problems in
user input (a framework file, a data file, a build setting) are *collected* into a
list of :class:`Problem` records and raised together as one :class:`InputError`,
so a user sees every mistake at once instead of fixing them one run at a time.
Each problem carries a stable reason code (:class:`ProblemCode`, listed with what to do
in ``docs/problem-codes.md``), so that programs sort and filter problems by kind and
never by message text.

The rules for putting user text into messages and tables live here too, since every layer
needs them: :func:`quote_value` (at most :data:`QUOTE_LIMIT` characters, control characters
escaped) and :func:`formula_safe` / :func:`formula_restored` (no cell of a CSV output runs as a
spreadsheet formula).

This module imports nothing else from the package.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum
from typing import Any

__all__ = [
    "OpenIndexError",
    "InputError",
    "FrameworkError",
    "DataError",
    "OutputError",
    "MethodError",
    "DegenerateInputError",
    "ProblemCode",
    "Problem",
    "problems_to_csv",
    "format_problems",
    "QUOTE_LIMIT",
    "quote_value",
    "FORMULA_PREFIXES",
    "formula_safe",
    "formula_restored",
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
    #: a quoted CSV cell is never closed, or a quote inside a quoted cell is not doubled
    BAD_QUOTE = "bad_quote"
    #: the file is larger than openindex reads (a YAML file over its size limit)
    FILE_TOO_LARGE = "file_too_large"
    #: a YAML file nests too deep, or uses too many aliases, or expands beyond the node limit
    YAML_TOO_COMPLEX = "yaml_too_complex"
    #: a YAML mapping key is itself a list or a mapping (``? [a, b]``)
    COMPLEX_KEY = "complex_key"
    #: text holds a NUL or another control character (an escape character, a form feed...)
    CONTROL_CHARACTER = "control_character"
    #: a number written in a syntax only some programs read (``1_5``, ``1:30``, non-ASCII digits)
    NUMBER_SYNTAX = "number_syntax"
    #: the workbook is encrypted with a password
    ENCRYPTED_FILE = "encrypted_file"
    #: an Excel cell holds a formula whose value was never stored (read as empty otherwise)
    FORMULA_WITHOUT_VALUE = "formula_without_value"
    #: a text is longer than openindex carries into its outputs (see the limits)
    TEXT_TOO_LONG = "text_too_long"
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
    #: the tree is deeper or shallower than the levels `levels` names
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
    #: a text of the framework has no translation into the language asked for (warning; shown as written)
    MISSING_TRANSLATION = "missing_translation"
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
    #: a unit code that is not in the data (a file that must use the data's unit codes, e.g. outside variables)
    UNKNOWN_UNIT = "unknown_unit"
    #: the edition is not a whole number
    INVALID_EDITION = "invalid_edition"
    #: a unit appears twice in the same edition
    DUPLICATE_UNIT = "duplicate_unit"
    #: a numeric cell holds text, TRUE/FALSE or an infinite value
    NOT_A_NUMBER = "not_a_number"
    #: a number is too large (or a denominator too small) for the computations to stay finite
    NUMBER_OUT_OF_RANGE = "number_out_of_range"
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
    # ---- writing outputs ----
    #: an output path cannot be written: permission denied, a read-only file system, a full disk
    NOT_WRITABLE = "not_writable"
    #: the output folder holds files or folders that no earlier openindex output lists
    FOREIGN_FILES = "foreign_files"
    #: another openindex command is writing the same output folder
    OUTPUT_IN_USE = "output_in_use"
    #: an input of the command is a file of the earlier output it would replace
    OUTPUT_HOLDS_INPUT = "output_holds_input"


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
        for name in ("value", "unit", "indicator"):  # input quoted: at most QUOTE_LIMIT characters, escaped
            object.__setattr__(self, name, quote_value(getattr(self, name)))
        object.__setattr__(self, "problem", _CONTROL_IN_TEXT.sub(_escape, self.problem))

    def __str__(self) -> str:
        where = ", ".join(p for p in (self.file, self.location) if p)
        what = self.problem
        if self.value:
            what += f" (found: {self.value})"
        return f"{where}: {what}" if where else what


PROBLEM_COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(Problem))

#: at most this many characters of an input value are quoted in a message or in ``Problem.value``
QUOTE_LIMIT = 80
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # line ends and tabs kept


def _escape(match: re.Match[str]) -> str:
    return repr(match.group())[1:-1]  # "\x1b", "\n", "\t"


def quote_value(value: Any, limit: int = QUOTE_LIMIT) -> str:
    """An input value as text for a message: one line, control characters escaped, at most ``limit`` characters.

    The one helper for quoting what a user wrote: a 2 MB cell is quoted as its first
    ``limit - 3`` characters and ``...``; a control character (an escape that would drive the
    terminal, a NUL, a line end) is shown as its escape (``\x1b``, ``\x00``, ``\n``).

    Examples
    --------
    >>> quote_value("a\x1bb")
    'a\\x1bb'
    >>> len(quote_value("x" * 2_000_000))
    80
    """
    text = value if isinstance(value, str) else str(value)
    head = _CONTROL.sub(_escape, text[: limit + 1])
    if len(head) <= limit and len(text) <= limit:
        return head
    return head[: limit - 3] + "..."


#: text starting with one of these is run as a formula when a spreadsheet opens the file (OWASP "CSV injection")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_ESCAPED_FORMULA = re.compile(r"'+[=+\-@\t\r]")


def formula_safe(value: Any) -> Any:
    """A cell value for a CSV file, neutralised so that no spreadsheet runs it as a formula.

    Text starting with ``= + - @``, a tab or a carriage return gets a leading apostrophe
    (``=1+1`` -> ``'=1+1``), as the xlsx outputs do (:func:`openindex.io.excel_safe`). Numbers
    pass unchanged, and so does text that is a plain number (``-1.5``, ``+2e3``), which a
    spreadsheet reads as that number, or a lone character (``-``). Text that already starts
    with apostrophes before such a character gets one more, so that :func:`formula_restored`
    gives back exactly what was written.
    """
    if not isinstance(value, str) or len(value) < 2:  # one character alone is never a formula
        return value
    if value.startswith(FORMULA_PREFIXES) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    if _ESCAPED_FORMULA.match(value):
        return "'" + value
    return value


def formula_restored(value: Any) -> Any:
    """Undo :func:`formula_safe` (and :func:`openindex.io.excel_safe`): drop the apostrophe put before a formula
    character. Used by every reader of openindex's own outputs, so that a table written and read back is unchanged.
    """
    if isinstance(value, str) and _ESCAPED_FORMULA.match(value):
        return value[1:]
    return value


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


class OutputError(InputError):
    """An output cannot be written where it was asked for (an empty or unusable path, a folder holding
    files of the user, a folder another command is writing); nothing was written."""


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
    """Return the failure-case table as CSV text with columns ``PROBLEM_COLUMNS``.

    Every cell is passed through :func:`formula_safe`: a value quoted from the input such as
    ``=HYPERLINK(...)`` is written ``'=HYPERLINK(...)``, never run by a spreadsheet.
    """
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(PROBLEM_COLUMNS), lineterminator="\n")
    writer.writeheader()
    for p in problems:
        writer.writerow({k: formula_safe(v) for k, v in asdict(p).items()})
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
    cases : sequence of (int, int)
        The (unit, column) cells concerned, when the method knows them (may be empty).
    """

    def __init__(self, message: str, columns=(), units=(), hint: str = "", cases=()) -> None:
        self.message = message
        self.columns = tuple(int(c) for c in columns)
        self.units = tuple(int(u) for u in units)
        self.hint = hint
        self.cases = tuple((int(u), int(c)) for u, c in cases)
        super().__init__(f"{message} (columns {list(self.columns)}, units {list(self.units)}). {hint}".strip())
