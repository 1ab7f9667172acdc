"""Every file read and write of openindex: YAML, CSV, Excel, Parquet, JSON.

Nothing else in the package touches files. Readers keep enough of the file's
geometry (line numbers, cell references) for every later problem to be reported
where the user can find it.
"""

from __future__ import annotations

import csv
import ctypes
import dataclasses
import errno
import functools
import hashlib
import io as _io
import json
import os
import re
import shutil
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pydantic
import yaml
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from openindex.errors import (
    FORMULA_PREFIXES,
    DataError,
    FrameworkError,
    InputError,
    OutputError,
    Problem,
    ProblemCode,
    formula_restored,
    formula_safe,
    quote_value,
)
from openindex.model.framework import Framework, parse_framework
from openindex.model.locations import is_pydantic_tag, pydantic_message, pydantic_problem_code, yaml_location
from openindex.model.spec import UncertaintySpec

__all__ = [
    "YamlLoader",
    "load_yaml_text",
    "read_yaml",
    "read_framework",
    "Table",
    "read_table",
    "read_csv_frame",
    "read_data_meta",
    "read_resource",
    "excel_safe",
    "excel_sheet_name",
    "unique_sheet_names",
    "csv_safe_frame",
    "MAX_TEXT",
    "MAX_YAML_BYTES",
    "MAX_YAML_DEPTH",
    "MAX_YAML_ALIASES",
    "MAX_YAML_NODES",
    "write_workbook",
    "save_workbook",
    "load_workbook",
    "sha256_file",
    "file_name",
    "problems_by_file_name",
    "write_text",
    "write_json",
    "read_json",
    "write_csv",
    "write_parquet",
    "read_factors",
    "MANIFEST_NAME",
    "OutputSet",
    "check_output_file",
]

try:  # POSIX: the lock of an output folder is an flock, released by the system when its process dies
    import fcntl
except ImportError:  # pragma: no cover - Windows: an O_EXCL file holding the process id
    fcntl = None  # type: ignore[assignment]

TABLE_SUFFIXES = (".csv", ".txt", ".xlsx", ".xlsm", ".parquet", ".pq")


# --------------------------------------------------------------------------------------
# YAML
# --------------------------------------------------------------------------------------


#: the largest YAML file read, in bytes (a framework is some 60 KB; PyYAML reads some 500 KB a second)
MAX_YAML_BYTES = 2 * 2**20
#: the deepest nesting of a YAML document (a framework nests some 6 levels)
MAX_YAML_DEPTH = 64
#: the most aliases (``*name``) in a YAML document
MAX_YAML_ALIASES = 1_000
#: the most values of a YAML document, with every alias expanded (a framework has some 3,000)
MAX_YAML_NODES = 100_000
#: the longest text read from any input (a name, a description, a source, evidence...), in characters
MAX_TEXT = 5_000

_YAML11_NUMBER = re.compile(  # what YAML 1.1 (PyYAML's default) reads as a number and YAML 1.2 as text
    r"""^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+
    |[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+
    |[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?
    |[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*)$""", re.X)
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # tab and line ends are text


class YamlLimitError(yaml.YAMLError):
    """A YAML document beyond :data:`MAX_YAML_DEPTH`, :data:`MAX_YAML_ALIASES` or :data:`MAX_YAML_NODES` (raised
    while composing, before any Python object is built)."""

    def __init__(self, problem: str, mark: Any) -> None:
        super().__init__(problem)
        self.problem, self.problem_mark = problem, mark


class YamlLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` reading the YAML 1.2 core schema, bounded so that no document can hang it.

    * Booleans are only ``true``/``false`` (any case): YAML 1.1 also reads ``yes``, ``no``,
      ``on`` and ``off``, which turns an answer code ``no`` or a key ``on:`` into ``False``/``True``.
    * Numbers are YAML 1.2's: ``1_5``, ``1:30`` and ``0b11`` are text, not 15, 90 and 3 (the file
      readers refuse them unquoted, see :func:`read_yaml`); ``017`` is 17; ``1e5`` is a number.
    * Composing stops at :data:`MAX_YAML_DEPTH` levels of nesting, :data:`MAX_YAML_ALIASES`
      aliases and :data:`MAX_YAML_NODES` values, before any Python object is built (no
      RecursionError, no "billion laughs"; :func:`read_yaml` also bounds the values with the
      aliases expanded).
    """

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self.depth = 0
        self.aliases = 0
        self.nodes = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_YAML_ALIASES:
                raise YamlLimitError(f"using more than {MAX_YAML_ALIASES:,} aliases (*name)",
                                     self.peek_event().start_mark)
            return super().compose_node(parent, index)
        self.depth += 1
        self.nodes += 1
        try:
            if self.depth > MAX_YAML_DEPTH:
                raise YamlLimitError(f"nested deeper than {MAX_YAML_DEPTH} levels", self.peek_event().start_mark)
            if self.nodes > MAX_YAML_NODES:
                raise YamlLimitError(f"made of more than {MAX_YAML_NODES:,} values", self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    text = str(loader.construct_scalar(node))
    sign, body = (-1, text[1:]) if text[0] == "-" else (1, text.lstrip("+"))
    base = 8 if body.startswith("0o") else 16 if body.startswith("0x") else 10
    return sign * int(body[2:] if base != 10 else body, base)


_YAML11_ONLY = ("bool", "int", "float", "value")  # the implicit types YAML 1.2 reads otherwise (or not at all)
YamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag.rsplit(":", 1)[1] not in _YAML11_ONLY]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
YamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)
YamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"), list("-+0123456789"))
YamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
    list("-+0123456789."),
)
YamlLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)


def yaml11_only_number(text: str) -> bool:
    """Whether ``text``, read as a string by YAML 1.2, is a number to YAML 1.1 (or Python): ``1_5``, ``1:30``.

    Such a value is text in YAML 1.2, which openindex reads; every reader of YAML values refuses it
    (the framework files, ``--set`` values) rather than guess what was meant.
    """
    return bool(_YAML11_NUMBER.match(text))


def load_yaml_text(text: str) -> Any:
    """Parse YAML text with :class:`YamlLoader` (safe, YAML 1.2 core schema, bounded depth and aliases)."""
    return yaml.load(text, Loader=YamlLoader)  # noqa: S506 - YamlLoader is a SafeLoader


def read_yaml(path: str | Path) -> tuple[Any, dict[tuple[Any, ...], int]]:
    """Load a YAML file safely, with the line of every mapping key and list item.

    The file is checked before any Python object is built: at most :data:`MAX_YAML_BYTES`
    bytes, :data:`MAX_YAML_DEPTH` levels, :data:`MAX_YAML_ALIASES` aliases and
    :data:`MAX_YAML_NODES` values with the aliases expanded; keys are plain text; no text
    holds a control character or is longer than :data:`MAX_TEXT`; no unquoted value is a
    number only YAML 1.1 reads (``1_5``, ``1:30``).

    Returns
    -------
    data : Any
        The document, built by :class:`YamlLoader` (a ``yaml.SafeLoader``: no arbitrary
        objects; YAML 1.2 core schema).
    lines : dict
        Path tuple (``("indicators", 3, "direction")``) -> 1-based line number.

    Raises
    ------
    FrameworkError
        When the file is missing, not UTF-8 text, not YAML, beyond a limit, or repeats a key.
    """
    path = Path(path)
    if path.is_file() and path.stat().st_size > MAX_YAML_BYTES:
        raise FrameworkError([Problem(str(path), "", f"the file has {path.stat().st_size:,} bytes; openindex reads "
                                      f"YAML files of at most {MAX_YAML_BYTES:,} bytes (is it the right file?)",
                                      code=ProblemCode.FILE_TOO_LARGE)], f"{path}: too large")
    text = _read_text(path, FrameworkError)
    try:
        loader = YamlLoader(text)
        try:
            node = loader.get_single_node()
            problems: list[Problem] = []
            lines: dict[tuple[Any, ...], int] = {}
            if node is not None:
                _check_yaml_size(node, path)
                _walk_yaml(node, (), lines, problems, str(path))
                if problems:
                    raise FrameworkError(problems, f"{path}: {len(problems)} problem{'s' * (len(problems) > 1)} "
                                                   "in the YAML text")
                data = loader.construct_document(node)
            else:
                data = None
        finally:
            loader.dispose()
    except yaml.reader.ReaderError as exc:  # a control character the YAML reader refuses
        line = text[: exc.position].count("\n") + 1
        raise FrameworkError(
            [Problem(str(path), f"line {line}", f"control character U+{exc.character:04X} in the text; delete it "
                     "(most editors do not show it)", value=chr(exc.character), code=ProblemCode.CONTROL_CHARACTER)],
            f"{path}: control character") from None
    except YamlLimitError as exc:
        mark = exc.problem_mark
        raise FrameworkError(
            [Problem(str(path), f"line {mark.line + 1}", f"the YAML document is {exc.problem}; openindex reads at most "
                     f"{MAX_YAML_DEPTH} levels, {MAX_YAML_ALIASES:,} aliases and {MAX_YAML_NODES:,} values (is it the "
                     "right file?)",
                     code=ProblemCode.YAML_TOO_COMPLEX)], f"{path}: YAML too complex") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise FrameworkError(
            [Problem(str(path), where, f"not valid YAML: {what}. Check indentation and quoting near this line",
                     code=ProblemCode.INVALID_YAML)],
            f"{path}: not valid YAML",
        ) from None
    return data, lines


def _check_yaml_size(root: yaml.Node, path: Path) -> None:
    """Refuse a document whose aliases expand it beyond :data:`MAX_YAML_NODES` values, or refer to themselves."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in open_nodes:
            raise FrameworkError([Problem(str(path), f"line {node.start_mark.line + 1}", "an alias (*name) refers to "
                                          "the entry that holds it, which makes it endless; write the entry out",
                                          code=ProblemCode.YAML_TOO_COMPLEX)], f"{path}: YAML too complex")
        open_nodes.add(key)
        n = 1
        if isinstance(node, yaml.MappingNode):
            n += sum(size(k) + size(v) for k, v in node.value)
        elif isinstance(node, yaml.SequenceNode):
            n += sum(size(v) for v in node.value)
        open_nodes.discard(key)
        sizes[key] = min(n, MAX_YAML_NODES + 1)
        return sizes[key]

    if size(root) > MAX_YAML_NODES:
        raise FrameworkError([Problem(str(path), "", f"with its aliases (*name) expanded, the YAML document has more "
                                      f"than {MAX_YAML_NODES:,} values (an \"alias bomb\"?); write the entries out",
                                      code=ProblemCode.YAML_TOO_COMPLEX)], f"{path}: YAML too complex")


def _walk_yaml(node: yaml.Node, path: tuple[Any, ...], lines: dict[tuple[Any, ...], int],
               problems: list[Problem], file: str) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                problems.append(Problem(file, f"line {line}", "a key that is a list or a mapping (`? [...]`); "
                                        "keys are plain text, such as `name:`", code=ProblemCode.COMPLEX_KEY))
                continue
            _check_scalar(key_node, problems, file)
            key = key_node.value
            if key in seen:
                problems.append(Problem(file, f"line {line}", f"key '{key}' appears twice in the same mapping "
                                        f"(first on line {seen[key]}); YAML would silently keep the last one",
                                        value=str(key), code=ProblemCode.DUPLICATE_KEY))
            seen[key] = line
            lines[(*path, key)] = line
            _walk_yaml(value_node, (*path, key), lines, problems, file)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk_yaml(item, (*path, i), lines, problems, file)
    elif isinstance(node, yaml.ScalarNode):
        _check_scalar(node, problems, file)


def _check_scalar(node: yaml.ScalarNode, problems: list[Problem], file: str) -> None:
    """Problems of one text value: a control character, a number only YAML 1.1 reads, too long a text."""
    text, where = str(node.value), f"line {node.start_mark.line + 1}"
    bad = _CONTROL_CHARS.search(text)
    if bad:
        problems.append(Problem(file, where, f"control character U+{ord(bad.group()):04X} in the text (written as "
                                "an escape such as \\e or \\0 in quotes); delete it", value=text,
                                code=ProblemCode.CONTROL_CHARACTER))
    if len(text) > MAX_TEXT:
        problems.append(Problem(file, where, f"a text of {len(text):,} characters; openindex reads texts of at most "
                                f"{MAX_TEXT:,} (link a longer document instead)", value=text,
                                code=ProblemCode.TEXT_TOO_LONG))
    if node.tag == "tag:yaml.org,2002:str" and node.style is None and yaml11_only_number(text):
        problems.append(Problem(file, where, f"'{quote_value(text)}' is not a number in YAML 1.2 (other YAML readers "
                                "take it for one): write the number with digits only, such as 15 or 1500.5, or "
                                "quote it if it is text", value=text, code=ProblemCode.NUMBER_SYNTAX))


def read_framework(path: str | Path) -> Framework:
    """Read and validate a framework YAML file (see :mod:`openindex.model.framework`)."""
    data, lines = read_yaml(path)
    return parse_framework(data, source=str(path), lines=lines)


# --------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    """A data file read as cells, with a way to name where each cell is.

    Attributes
    ----------
    frame : DataFrame
        One row per data row; cells as read (text for CSV; text, numbers or None
        for Excel and Parquet); empty CSV cells are ``""``.
    file : str
        The file name.
    locate_row : callable
        Row position -> location text (``"line 7"``, ``"row 7 of sheet 'data'"``).
    locate_cell : callable
        (row position, column name) -> location text (``"line 7, column 'gdp'"``,
        ``"cell D7 of sheet 'data'"``).
    """

    frame: pd.DataFrame
    file: str
    locate_row: Callable[[int], str]
    locate_cell: Callable[[int, str], str]


def read_table(path: str | Path, *, sheet: str | None = None) -> Table:
    """Read a CSV, Excel (.xlsx) or Parquet file into a :class:`Table`.

    CSV files must be comma-separated UTF-8 (a byte-order mark, as Excel writes,
    is accepted); a semicolon-separated file is refused with advice. For Excel,
    ``sheet`` names the sheet; without it the only sheet, or the one called
    ``data``, is read. The header is the first row.
    """
    path = Path(path)
    if not path.exists():
        raise DataError([Problem(str(path), "", "file not found; check the path",
                                 code=ProblemCode.FILE_NOT_FOUND)], f"{path}: not found")
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        return _read_csv(path)
    if suffix in (".xlsx", ".xlsm"):
        return _read_excel(path, sheet)
    if suffix in (".parquet", ".pq"):
        return _read_parquet(path)
    raise DataError(
        [Problem(str(path), "", f"unsupported file type '{suffix or '(none)'}'; use .csv, .xlsx or .parquet",
                 code=ProblemCode.UNSUPPORTED_FILE_TYPE)],
        f"{path}: unsupported file type",
    )


def _read_text(path: Path, error: type[InputError]) -> str:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise error([Problem(str(path), "", "file not found; check the path",
                             code=ProblemCode.FILE_NOT_FOUND)], f"{path}: not found") from None
    except IsADirectoryError:
        raise error([Problem(str(path), "", "is a folder, not a file",
                             code=ProblemCode.NOT_A_FILE)], f"{path}: not a file") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise error(
            [Problem(str(path), f"line {line}", "not UTF-8 text (a binary file, or another encoding such as "
                     "Latin-1?); save the file as UTF-8", code=ProblemCode.NOT_UTF8)],
            f"{path}: not UTF-8 text",
        ) from None
    nul = text.find("\x00")
    if nul >= 0:
        line = text.count("\n", 0, nul) + 1
        raise error(
            [Problem(str(path), f"line {line}", "the text holds a NUL character (U+0000): is it a binary file, or "
                     "text saved as UTF-16? Save it as UTF-8 text", code=ProblemCode.CONTROL_CHARACTER)],
            f"{path}: NUL character",
        )
    return text


def _read_csv(path: Path) -> Table:
    text = _read_text(path, DataError)
    if not text.strip():
        raise DataError([Problem(str(path), "line 1", "the file is empty; expected a header row and data rows",
                                 code=ProblemCode.EMPTY_FILE)],
                        f"{path}: empty file")
    header = text.splitlines()[0]
    if header.count(";") > header.count(","):
        raise DataError(
            [Problem(str(path), "line 1", "the file is separated by semicolons (';'), as some Excel versions "
                     "write CSV; save it as 'CSV UTF-8 (comma delimited)' or as .xlsx", value=header[:60],
                     code=ProblemCode.WRONG_SEPARATOR)],
            f"{path}: semicolon-separated CSV",
        )
    rows, starts = _csv_records(text, path)
    head, body = rows[0], rows[1:]
    body_lines = starts[1:]
    keep = [i for i, r in enumerate(body) if any(c.strip() for c in r)]
    width = len(head)
    problems = [
        Problem(str(path), f"line {body_lines[i]}", f"row has {len(body[i])} cells but the header has {width}",
                code=ProblemCode.ROW_TOO_LONG)
        for i in keep
        if len(body[i]) > width and any(c.strip() for c in body[i][width:])
    ]
    if problems:
        raise DataError(problems, f"{path}: rows longer than the header")
    cells = [[formula_restored(c) for c in (body[i] + [""] * width)[:width]] for i in keep]
    head = [formula_restored(h.strip()) for h in head]
    _check_header(head, path, lambda j: f"line 1, column {j + 1}")
    frame = pd.DataFrame(cells, columns=head, dtype=object)
    lines = [body_lines[i] for i in keep]
    _check_cells(frame, path, lambda r, c: f"line {lines[r]}, column '{c}'")
    return Table(
        frame=frame,
        file=str(path),
        locate_row=lambda r: f"line {lines[r]}",
        locate_cell=lambda r, c: f"line {lines[r]}, column '{c}'",
    )


def _csv_records(text: str, path: Path) -> tuple[list[list[str]], list[int]]:
    """The records of CSV text and the line each starts on; a broken quote is a problem naming its line.

    Read strictly (:data:`csv.QUOTE_MINIMAL` rules): a quoted cell must be closed and a quote inside
    it doubled. A cell may be as long as the file (the 128 KB default limit of :mod:`csv` lifted).
    """
    rows: list[list[str]] = []
    starts: list[int] = []
    reader = csv.reader(_io.StringIO(text, newline=""), strict=True)
    limit = csv.field_size_limit()
    csv.field_size_limit(max(limit, len(text) + 1))
    try:
        line = 1
        for row in reader:
            rows.append(row)
            starts.append(line)
            line = reader.line_num + 1
    except csv.Error as exc:
        if "end of data" in str(exc):
            what = (f"a quoted cell that starts on line {line} is never closed: add the closing quote (\"), or "
                    "remove the opening one")
            where = line
        else:
            what = (f"a quote (\") in the middle of a cell ({exc}): inside a quoted cell write a quote as two "
                    "quotes (\"\"), or quote the whole cell")
            where = reader.line_num
        raise DataError([Problem(str(path), f"line {where}", what, code=ProblemCode.BAD_QUOTE)],
                        f"{path}: broken quoting") from None
    finally:
        csv.field_size_limit(limit)
    return rows, starts


def _check_cells(frame: pd.DataFrame, path: Path, where: Callable[[int, str], str]) -> None:
    """Refuse text cells holding a control character (they break the xlsx outputs and the terminal)."""
    problems = []
    for c in frame.columns:
        for r, v in enumerate(frame[c].tolist()):
            if isinstance(v, str) and _CONTROL_CHARS.search(v):
                ch = _CONTROL_CHARS.search(v).group()  # type: ignore[union-attr]
                problems.append(Problem(str(path), where(r, c), f"control character U+{ord(ch):04X} in the cell; "
                                        "delete it (most programs do not show it)", value=v,
                                        code=ProblemCode.CONTROL_CHARACTER))
    if problems:
        raise DataError(problems, f"{path}: control characters")


_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # a Compound File: an encrypted workbook, or an old .xls
_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")


def _not_a_workbook(path: Path, exc: Exception) -> DataError:
    """The problem of an .xlsx file openpyxl cannot open: encrypted, an old .xls renamed, or broken."""
    try:
        with open(path, "rb") as f:
            head = f.read(8)
            if head == _OLE_MAGIC:  # the stream names are in the directory, anywhere in the file
                head += f.read()
    except OSError:
        head = b""
    if head.startswith(_OLE_MAGIC) and _ENCRYPTED_STREAM in head:
        return DataError([Problem(str(path), "", "the workbook is encrypted with a password; open it in Excel or "
                                  "LibreOffice, remove the password (Excel: File > Info > Protect Workbook > Encrypt "
                                  "with Password, clear it) and save it", code=ProblemCode.ENCRYPTED_FILE)],
                         f"{path}: encrypted workbook")
    if head.startswith(_OLE_MAGIC):
        return DataError([Problem(str(path), "", "an Excel 97-2003 workbook (.xls), not .xlsx; open it in Excel or "
                                  "LibreOffice and save it as .xlsx (Excel workbook)",
                                  code=ProblemCode.UNREADABLE_FILE)], f"{path}: not an .xlsx file")
    return DataError([Problem(str(path), "", f"cannot open as an Excel workbook ({type(exc).__name__}); "
                              "save it as .xlsx (Excel workbook)",
                              code=ProblemCode.UNREADABLE_FILE)], f"{path}: not an Excel file")


def _formulas_without_value(path: Path, sheet: str, rows: list[list[Any]], width: int) -> list[Problem]:
    """Cells read as empty (``None``) that hold a formula: a workbook saved without calculated values."""
    empty = {(i, j) for i, r in enumerate(rows) for j, v in enumerate(r[:width]) if v is None}
    if not empty:
        return []
    wb = openpyxl.load_workbook(path, read_only=True, data_only=False)
    try:
        found = [(i, j, v) for i, r in enumerate(wb[sheet].iter_rows(values_only=True))
                 for j, v in enumerate(r[:width]) if (i, j) in empty and isinstance(v, str) and v.startswith("=")]
    finally:
        wb.close()
    return [Problem(str(path), f"cell {get_column_letter(j + 1)}{i + 1} of sheet '{sheet}'", "the cell holds a "
                    "formula whose value was never stored (the file was written by a program that does not "
                    "calculate), so it would read as empty: open and save the file in Excel or LibreOffice so the "
                    "values are stored, or paste the values over the formulas", value=v,
                    code=ProblemCode.FORMULA_WITHOUT_VALUE) for i, j, v in found]


def _read_excel(path: Path, sheet: str | None) -> Table:
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for broken files
        raise _not_a_workbook(path, exc) from None
    try:
        names = wb.sheetnames
        if sheet is None:
            sheet = names[0] if len(names) == 1 else ("data" if "data" in names else None)
            if sheet is None:
                raise DataError([Problem(str(path), "", f"the workbook has several sheets ({', '.join(names)}) "
                                         "and none is called 'data'; name the sheet with --sheet",
                                         code=ProblemCode.AMBIGUOUS_SHEET)],
                                f"{path}: which sheet?")
        if sheet not in names:
            raise DataError([Problem(str(path), f"sheet '{sheet}'", f"sheet '{sheet}' not found; the workbook "
                                     f"has: {', '.join(names)}",
                                     code=ProblemCode.MISSING_SHEET)], f"{path}: sheet missing")
        rows = [list(r) for r in wb[sheet].iter_rows(values_only=True)]
    finally:
        wb.close()
    rows = [r for r in rows]
    if not rows or not any(v is not None and str(v).strip() for v in rows[0]):
        raise DataError([Problem(str(path), f"sheet '{sheet}'", "the sheet is empty or its first row (the "
                                 "header) is blank", code=ProblemCode.EMPTY_FILE)], f"{path}: empty sheet")
    head_raw = rows[0]
    while head_raw and (head_raw[-1] is None or str(head_raw[-1]).strip() == ""):
        head_raw = head_raw[:-1]
    head = ["" if h is None else formula_restored(str(h).strip()) for h in head_raw]
    _check_header(head, path, lambda j: f"cell {get_column_letter(j + 1)}1 of sheet '{sheet}'")
    width = len(head)
    formulas = _formulas_without_value(path, sheet, rows, width)
    if formulas:
        raise DataError(formulas, f"{path}: formulas without values")
    keep = [i for i, r in enumerate(rows[1:], start=2) if any(v is not None and str(v).strip() for v in r)]
    cells = [[("" if v is None else formula_restored(v)) for v in (rows[i - 1] + [None] * width)[:width]]
             for i in keep]
    frame = pd.DataFrame(cells, columns=head, dtype=object)
    col_letter = {c: get_column_letter(j + 1) for j, c in enumerate(head)}
    _check_cells(frame, path, lambda r, c: f"cell {col_letter.get(c, '?')}{keep[r]} of sheet '{sheet}'")
    return Table(
        frame=frame,
        file=str(path),
        locate_row=lambda r: f"row {keep[r]} of sheet '{sheet}'",
        locate_cell=lambda r, c: f"cell {col_letter.get(c, '?')}{keep[r]} of sheet '{sheet}'",
    )


def _read_parquet(path: Path) -> Table:
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several types for broken files
        raise DataError([Problem(str(path), "", f"cannot read as Parquet ({type(exc).__name__}: {exc})",
                                 code=ProblemCode.UNREADABLE_FILE)],
                        f"{path}: not a Parquet file") from None
    frame = frame.reset_index(drop=True).astype(object).where(frame.notna(), "")
    frame.columns = [str(c).strip() for c in frame.columns]
    _check_header(list(frame.columns), path, lambda j: f"column {j + 1}")
    _check_cells(frame, path, lambda r, c: f"row {r + 1}, column '{c}'")
    return Table(
        frame=frame,
        file=str(path),
        locate_row=lambda r: f"row {r + 1}",
        locate_cell=lambda r, c: f"row {r + 1}, column '{c}'",
    )


def _check_header(head: list[str], path: Path, where: Callable[[int], str]) -> None:
    problems = [Problem(str(path), where(j), "blank column name in the header row",
                        code=ProblemCode.BLANK_COLUMN_NAME) for j, h in enumerate(head)
                if not h]
    seen: dict[str, int] = {}
    for j, h in enumerate(head):
        if h and h in seen:
            problems.append(Problem(str(path), where(j), f"column '{h}' appears twice in the header", value=h,
                                    code=ProblemCode.DUPLICATE_COLUMN))
        seen.setdefault(h, j)
    if problems:
        raise DataError(problems, f"{path}: bad header row")


# --------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------


def read_csv_frame(path: str | Path) -> pd.DataFrame:
    """Read a plain CSV table (UTF-8, BOM accepted) with pandas' type inference.

    Only empty cells are missing (``n/a``, ``NA`` or ``null`` stay text, as in :func:`read_table`,
    so that a checker can refuse them); text neutralised by :func:`write_csv` is restored.
    """
    path = Path(path)
    try:
        frame = pd.read_csv(path, encoding="utf-8-sig", keep_default_na=False, na_values=[""])
    except FileNotFoundError:
        raise DataError([Problem(str(path), "", "file not found; check the path",
                                 code=ProblemCode.FILE_NOT_FOUND)], f"{path}: not found") from None
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataError([Problem(str(path), "", f"cannot read as CSV: {exc}",
                                 code=ProblemCode.UNREADABLE_FILE)], f"{path}: not a CSV table") from None
    for j in _text_columns(frame):
        frame.isetitem(j, frame.iloc[:, j].map(formula_restored).array)
    frame.columns = [formula_restored(c) for c in frame.columns]
    return frame


def _text_columns(frame: pd.DataFrame) -> list[int]:
    """Positions of the columns that can hold text (object or string dtype)."""
    return [j for j, t in enumerate(frame.dtypes) if pd.api.types.is_object_dtype(t) or pd.api.types.is_string_dtype(t)]


def read_resource(package: str, name: str) -> str:
    """Text of a data file shipped inside a package (report templates, UI strings), as UTF-8.

    ``name`` may contain ``/`` for sub-folders: ``read_resource("openindex.report", "templates/page.html")``.
    """
    node = resources.files(package)
    for part in name.split("/"):
        node = node.joinpath(part)
    return node.read_text(encoding="utf-8")


def file_name(path: str | Path) -> str:
    """How an output names an input file: its file name only, never its folder (``/home/ana/x/data.csv`` ->
    ``data.csv``), so that the same inputs give the same bytes from any folder and no output tells where the
    user keeps files. Outputs identify an input by this name and its SHA-256 (:func:`sha256_file`).
    """
    return re.split(r"[\\/]", str(path))[-1]


def problems_by_file_name(problems: Iterable[Problem]) -> tuple[Problem, ...]:
    """``problems`` with each file named by :func:`file_name` only: how outputs (``problems.csv``, a profile page)
    list problems, while the console names the files as typed."""
    return tuple(dataclasses.replace(p, file=file_name(p.file)) if p.file else p for p in problems)


def sha256_file(path: str | Path) -> str:
    """SHA-256 of a file's bytes, as hex."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_whole(path: str | Path, write: Callable[[Path], object]) -> Path:
    """Write one file whole or not at all: ``write(temporary path)``, then ``os.replace`` onto ``path``.

    The temporary file is a hidden sibling (same folder, so the replace is atomic); a command
    killed or failing while it writes leaves the earlier file (or none), never a truncated one.
    Folders are created on the way. Every single-file writer of this module goes through it.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def write_text(path: str | Path, text: str) -> Path:
    """Write UTF-8 text with ``\\n`` line ends, creating folders (whole or not at all)."""

    def write(target: Path) -> None:
        with open(target, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)

    return write_whole(path, write)


def write_json(path: str | Path, data: Mapping[str, Any]) -> Path:
    """Write JSON deterministically (sorted keys, 2-space indent, trailing newline)."""
    return write_text(path, json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n")


def read_json(path: str | Path) -> Any:
    """Read a JSON file written by :func:`write_json` (a manifest); a clear error when it cannot be read."""
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError([Problem(str(path), "", "file not found; check the path",
                                 code=ProblemCode.FILE_NOT_FOUND)], f"{path}: not found") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise DataError([Problem(str(path), "", f"cannot read as JSON: {exc}",
                                 code=ProblemCode.UNREADABLE_FILE)], f"{path}: not a JSON file") from None


def write_csv(path: str | Path, frame: pd.DataFrame) -> Path:
    """Write a frame as CSV with full float precision (shortest round-trip repr).

    Text that a spreadsheet would run as a formula is neutralised (:func:`~openindex.errors.formula_safe`:
    ``=1+1`` is written ``'=1+1``), in the header and in every text cell; numbers, negative ones
    included, are written as they are. :func:`read_table` and :func:`read_csv_frame` undo it.
    """
    return write_text(path, csv_safe_frame(frame).to_csv(index=False, lineterminator="\n"))


def csv_safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with :func:`~openindex.errors.formula_safe` applied to its column names and text cells.

    Only columns that can hold text (object and string dtypes) are looked at; numeric columns
    are returned as they are, so their numbers are written exactly as before.
    """
    changed = [j for j in _text_columns(frame) if frame.iloc[:, j].map(lambda v: formula_safe(v) is not v).any()]
    columns = [formula_safe(c) for c in frame.columns]
    if not changed and columns == list(frame.columns):
        return frame
    out = frame.copy()
    for j in changed:
        out.isetitem(j, frame.iloc[:, j].map(formula_safe).array)
    out.columns = columns
    return out


def write_parquet(path: str | Path, frame: pd.DataFrame) -> Path:
    """Write a frame as Parquet (pyarrow, no index), creating folders (whole or not at all)."""
    return write_whole(path, lambda target: frame.to_parquet(target, index=False, engine="pyarrow"))


def read_factors(path: str | Path) -> tuple[Any, dict[tuple[Any, ...], int], tuple[Any, ...]]:
    """Read an uncertainty factors file (``--factors``): the ``uncertainty:`` section on its own.

    The file's top level is either the section's content (``runs``, ``seed``, ``factors``) or a
    mapping with the one key ``uncertainty``.

    Returns
    -------
    spec : UncertaintySpec
    lines : dict
        YAML path -> line number.
    prefix : tuple
        YAML path of the section in the file (``("uncertainty",)`` or ``()``), for messages.

    Raises
    ------
    FrameworkError
        Listing every field problem with its line.
    """
    data, lines = read_yaml(path)
    prefix: tuple[Any, ...] = ()
    if isinstance(data, Mapping) and set(data) == {"uncertainty"}:
        data, prefix = data["uncertainty"], ("uncertainty",)
    if not isinstance(data, Mapping):
        raise FrameworkError([Problem(str(path), yaml_location(prefix, lines), "a factors file is a YAML mapping with "
                                      "`factors:` (and optionally `runs:` and `seed:`), or `uncertainty:` holding it",
                                      code=ProblemCode.NOT_A_MAPPING)],
                             f"{path}: not an uncertainty factors file")
    try:
        return UncertaintySpec.model_validate(data), lines, prefix
    except pydantic.ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = (*prefix, *(q for q in err["loc"] if not is_pydantic_tag(q)))
            problems.append(Problem(str(path), yaml_location(loc, lines), pydantic_message(err),
                                    value="" if err["type"] == "missing" else str(err.get("input", "")),
                                    code=pydantic_problem_code(err)))
        raise FrameworkError(problems, f"{path}: {len(problems)} problem{'s' * (len(problems) > 1)} in the "
                                       "uncertainty factors") from None


# --------------------------------------------------------------------------------------
# Dataset metadata sidecar
# --------------------------------------------------------------------------------------


def read_data_meta(data_path: str | Path) -> dict[str, Any]:
    """Read ``NAME.meta.yaml`` beside a data file, if present (title, notice, synthetic, sources).

    The notice (e.g. "Synthetic demonstration data") is carried into every output
    built from the data: console, manifest, workbook and report.
    """
    path = Path(data_path)
    meta_path = path.with_name(path.stem + ".meta.yaml")
    if not meta_path.exists():
        return {}
    data, _ = read_yaml(meta_path)
    allowed = {"title", "notice", "synthetic", "sources", "licence"}
    if not isinstance(data, Mapping) or set(data) - allowed:
        code = ProblemCode.UNKNOWN_KEY if isinstance(data, Mapping) else ProblemCode.NOT_A_MAPPING
        raise DataError([Problem(str(meta_path), "", f"a data sidecar is a mapping with keys {sorted(allowed)}",
                                 code=code)],
                        f"{meta_path}: bad sidecar")
    return dict(data)


# --------------------------------------------------------------------------------------
# Excel output
# --------------------------------------------------------------------------------------

FIXED_TIME = (2000, 1, 1, 0, 0, 0)


def excel_safe(value: Any) -> Any:
    """Neutralise text that a spreadsheet would run as a formula (OWASP CSV/formula injection).

    Text starting with ``= + - @``, a tab or a carriage return gets a leading
    apostrophe; numbers and other values pass unchanged.
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\\x00-\x1f\x7f]")


def excel_sheet_name(name: str) -> str:
    """``name`` as an Excel sheet name: ``[ ] : * ? / \\`` and control characters become spaces, spaces are
    collapsed, apostrophes stripped from the ends, at most 31 characters (``"Sheet"`` when nothing is left)."""
    clean = " ".join(_BAD_SHEET_CHARS.sub(" ", name).split()).strip("'") or "Sheet"
    return clean[:31].rstrip()


def unique_sheet_names(names: Iterable[str] | Mapping[str, str], *, reserved: Iterable[str] = ()) -> dict[str, str]:
    """Valid Excel sheet names (:func:`excel_sheet_name`), unique regardless of case (``" (2)"``...).

    ``names`` are the wanted names (the result is keyed by them) or a mapping key -> wanted name
    (keyed by the keys); names in ``reserved`` are taken already.
    """
    taken = {r.casefold() for r in reserved}
    out: dict[str, str] = {}
    pairs = names.items() if isinstance(names, Mapping) else ((n, n) for n in names)
    for key, wanted in pairs:
        base = excel_sheet_name(wanted)
        name, k = base, 2
        while name.casefold() in taken:
            suffix = f" ({k})"
            name, k = base[: 31 - len(suffix)].rstrip() + suffix, k + 1
        taken.add(name.casefold())
        out[key] = name
    return out


def write_workbook(path: str | Path, sheets: Mapping[str, pd.DataFrame], *,
                   highlight: Mapping[str, Mapping[str, Any]] | None = None,
                   notes: Mapping[str, str] | None = None) -> Path:
    """Write frames as sheets of one .xlsx file, byte-identical for identical input.

    Parameters
    ----------
    sheets : mapping of sheet name to DataFrame
        Written with a bold, frozen header row; text cells are passed through
        :func:`excel_safe` and stored as text, never as formulas (characters a worksheet cannot
        hold, such as an escape character, become U+FFFD). Sheet names are made valid and
        unique by :func:`unique_sheet_names` (a level named ``Area/Zone`` gives ``Area Zone``).
    highlight : mapping, optional
        ``{sheet: {"mask": bool ndarray (rows, cols of the frame), "fill": "FFEB9C"}}``
        fills flagged cells (e.g. imputed values).
    notes : mapping, optional
        ``{sheet: text}``: a line written above nothing; shown in the first sheet "about".
    """
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    fixed = pd.Timestamp(*FIXED_TIME[:3]).to_pydatetime()
    wb.properties.created = fixed
    wb.properties.modified = fixed
    wb.properties.creator = "openindex"
    bold = Font(bold=True)
    titles = unique_sheet_names(list(sheets))
    for name, frame in sheets.items():
        ws = wb.create_sheet(title=titles[name])
        ws.append([_excel_cell(str(c)) for c in frame.columns])
        for cell in ws[1]:
            cell.font = bold
        for row in frame.itertuples(index=False):
            ws.append([_excel_cell(v) for v in row])
        for cell in ws._cells.values():  # text stays text, never a formula
            if isinstance(cell.value, str):
                cell.data_type = "s"
        ws.freeze_panes = "A2"
        for j, col in enumerate(frame.columns, 1):
            width = max([len(str(col))] + [len(str(v)) for v in frame.iloc[:200, j - 1].tolist()])
            ws.column_dimensions[get_column_letter(j)].width = min(max(8, width + 2), 60)
        spec = (highlight or {}).get(name)
        if spec is not None:
            fill = PatternFill("solid", start_color=spec["fill"], end_color=spec["fill"])
            for r, c in zip(*spec["mask"].nonzero(), strict=True):
                ws.cell(row=int(r) + 2, column=int(c) + 1).fill = fill
    return save_workbook(path, wb)


def save_workbook(path: str | Path, wb: Any) -> Path:
    """Save a ready openpyxl ``Workbook`` byte-identically for identical content, creating folders.

    The creation and modification times are fixed (2000-01-01) and the zip members are
    written in name order with fixed timestamps, so the same workbook always gives the
    same bytes (what :func:`write_workbook` and the questionnaire template rely on).
    """
    fixed = pd.Timestamp(*FIXED_TIME[:3]).to_pydatetime()
    wb.properties.created = fixed
    wb.properties.modified = fixed
    buf = _io.BytesIO()
    wb.save(buf)

    def write(target: Path) -> None:
        # rewrite the zip with fixed timestamps and order, so identical input gives identical bytes
        with zipfile.ZipFile(_io.BytesIO(buf.getvalue())) as src, \
                zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
            for info in sorted(src.infolist(), key=lambda i: i.filename):
                data = src.read(info.filename)
                if info.filename == "docProps/core.xml":  # openpyxl stamps the save time
                    data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2000-01-01T00:00:00Z", data)
                zi = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME)
                zi.compress_type = zipfile.ZIP_DEFLATED
                zi.external_attr = 0o600 << 16
                dst.writestr(zi, data)

    return write_whole(path, write)


def load_workbook(path: str | Path) -> Any:
    """Open an .xlsx file as an openpyxl ``Workbook`` (every sheet, formulas as written, validations kept).

    Raises
    ------
    DataError
        When the file is missing or is not an Excel workbook.
    """
    path = Path(path)
    if not path.exists():
        raise DataError([Problem(str(path), "", "file not found; check the path",
                                 code=ProblemCode.FILE_NOT_FOUND)], f"{path}: not found")
    try:
        return openpyxl.load_workbook(path, data_only=False)
    except Exception as exc:  # openpyxl raises many types for broken files
        raise _not_a_workbook(path, exc) from None


def _excel_cell(v: Any) -> Any:
    if v is None or v is pd.NA:
        return None
    if isinstance(v, float) and v != v:  # NaN
        return None
    if hasattr(v, "item") and not isinstance(v, str):  # numpy scalar
        v = v.item()
        if isinstance(v, float) and v != v:
            return None
    if isinstance(v, str):
        v = ILLEGAL_CHARACTERS_RE.sub("\ufffd", v)
    return excel_safe(v)


# --------------------------------------------------------------------------------------
# Output paths and output folders: written whole or not at all
# --------------------------------------------------------------------------------------

#: the file of an output folder that lists every other file of the folder with its SHA-256; written last
MANIFEST_NAME = "manifest.json"
#: what openindex wrote into a folder before its manifest listed the files (an earlier set without a list)
LEGACY_OUTPUTS = frozenset({
    "manifest.json", "scores.csv", "peers.csv", "stages.xlsx", "report.html", "results.xlsx", "rank_intervals.csv",
    "sensitivity.csv", "remove_one.csv", "replications.parquet", "profile.html", "completeness.csv", "gains.csv",
    "change_sets.csv", "change_set.csv"})
_NEW, _OLD, _LOCK = ".openindex-new", ".openindex-old", ".lock"  # siblings of an output folder while it is written
_RENAME_EXCHANGE, _AT_FDCWD = 2, -100  # Linux renameat2(2)
_WRITE_ERRORS = {errno.EACCES: "permission denied", errno.EPERM: "permission denied",
                 errno.EROFS: "the file system is read-only", errno.ENOSPC: "the disk is full",
                 errno.EDQUOT: "the disk quota is exceeded"}


def _output_problem(path: str | Path, problem: str, code: ProblemCode) -> OutputError:
    return OutputError([Problem(str(path), "", problem, code=code)], f"{path}: cannot write here" if str(path)
                       else "no output named")


def _check_not_empty(path: str | Path, what: str, example: str) -> Path:
    if str(path).strip() == "":
        raise _output_problem("", f"the name of the {what} is empty; name it (e.g. {example})",
                              ProblemCode.INVALID_VALUE)
    return Path(os.path.abspath(path))


def _check_ancestors(path: Path, shown: str | Path) -> None:
    """Every existing ancestor of ``path`` must be a folder, and the nearest one writable."""
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise _output_problem(shown, f"'{parent.name}' is a file, so it cannot hold '{Path(shown).name}'; "
                                      "choose another path", ProblemCode.NOT_A_FOLDER)
            if not os.access(parent, os.W_OK | os.X_OK):
                raise _output_problem(shown, f"the folder '{parent}' is read-only (permission denied); choose "
                                      "another path", ProblemCode.NOT_WRITABLE)
            return


def check_output_file(path: str | Path, suffixes: Iterable[str] = (), *, what: str = "output file",
                      example: str = "x.csv") -> Path:
    """Refuse an output file path that cannot be written, before any work: empty, a folder, under a file,
    read-only, or (with ``suffixes``) of another type. Returns the path.

    Raises
    ------
    OutputError
        With code ``invalid_value``, ``not_a_file``, ``not_a_folder``, ``not_writable`` or
        ``unsupported_file_type``.
    """
    allowed = tuple(s.lower() for s in suffixes)
    full = _check_not_empty(path, what, f"x{allowed[0]}" if allowed else example)
    if full.is_dir():
        raise _output_problem(path, f"is a folder; the {what} is a file: name the file (e.g. "
                              f"{Path(path) / (f'x{allowed[0]}' if allowed else example)})", ProblemCode.NOT_A_FILE)
    if allowed and full.suffix.lower() not in allowed:
        raise _output_problem(path, f"the {what} is written as {' or '.join(allowed)}; name it so (e.g. "
                              f"{Path(path).with_suffix(allowed[0]).name})", ProblemCode.UNSUPPORTED_FILE_TYPE)
    _check_ancestors(full, path)
    if full.exists() and not os.access(full, os.W_OK):
        raise _output_problem(path, "the file is read-only (permission denied); make it writable or choose another "
                              "path", ProblemCode.NOT_WRITABLE)
    return Path(path)


@dataclass(frozen=True)
class _Survey:
    """What an output folder holds before it is written again."""

    manifest: dict[str, Any] | None  # the earlier set's manifest, without its file list
    listed: frozenset[str]  # the files of the earlier set (relative paths), manifest included
    nested: tuple[str, ...]  # sub-folders that are output sets of their own (kept as they are)
    foreign: tuple[str, ...]  # anything else
    busy: tuple[str, ...]  # nested output sets another command is writing now


def _read_manifest(folder: Path) -> dict[str, Any] | None:
    """The manifest of an output folder (None: none, or not one of openindex)."""
    try:
        data = json.loads((folder / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if isinstance(data, dict) and (isinstance(data.get("files"), dict) or {"command", "software"} <= set(data)):
        return data
    return None


def _inside(rel: str) -> bool:
    """Whether a path listed by a manifest stays inside its folder (no ``..``, not absolute)."""
    parts = Path(rel).parts
    return bool(parts) and not Path(rel).is_absolute() and ".." not in parts and "\\" not in rel


def _remove(path: Path) -> None:
    """Remove a file, a link or a folder tree (what a killed command left)."""
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path)


def _files_under(root: Path, skip: Iterable[str] = ()) -> list[str]:
    """Relative paths (with ``/``) of every file under ``root``, sorted; folders in ``skip`` left out."""
    skipped = set(skip)
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        rel = Path(dirpath).relative_to(root)
        dirnames[:] = sorted(d for d in dirnames if (rel / d).as_posix() not in skipped)
        out += [(rel / f).as_posix() for f in filenames]
    return sorted(out)


def _lock_held(lock: Path) -> bool:
    """Whether a live process holds the lock file ``lock``."""
    try:
        fd = os.open(lock, os.O_RDONLY)
    except OSError:
        return False
    try:
        if fcntl is None:
            pid = int(os.read(fd, 32) or b"0")
            return _alive(pid)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        return False
    except ValueError:
        return False
    finally:
        os.close(fd)


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _survey(folder: Path) -> _Survey:
    if not folder.exists():
        return _Survey(None, frozenset(), (), (), ())
    manifest = _read_manifest(folder)
    names = sorted(os.listdir(folder))
    if manifest is None:
        listed: set[str] = set()
    elif isinstance(manifest.get("files"), dict):
        listed = {str(k) for k in manifest["files"] if _inside(str(k))} | {MANIFEST_NAME}
    else:  # written before manifests listed their files
        listed = {n for n in names if n in LEGACY_OUTPUTS and (folder / n).is_file()}
    nested, foreign, busy = [], [], []
    for name in names:
        entry = folder / name
        if name in listed and not entry.is_dir():
            continue
        if _transient(folder, name):  # what a command writing a nested folder leaves while it works (or if killed)
            if name.endswith(_LOCK) and _lock_held(entry):
                busy.append(name[: -len(_LOCK)])
            continue
        if entry.is_dir() and not entry.is_symlink():
            inside = [f"{name}/{f}" for f in _files_under(entry)]
            if any(f in listed for f in inside):
                foreign += [f for f in inside if f not in listed]
            elif _read_manifest(entry) is not None:
                nested.append(name)
            else:
                foreign.append(name + "/")
            continue
        foreign.append(name)
    clean = None if manifest is None else {k: v for k, v in manifest.items() if k != "files"}
    return _Survey(clean, frozenset(listed), tuple(nested), tuple(foreign), tuple(busy))


def _transient(folder: Path, name: str) -> bool:
    """Whether ``name`` in ``folder`` is what an :class:`OutputSet` writing a sub-folder leaves beside it."""
    if name.startswith(".") and name.endswith((_NEW, _OLD)):
        return True
    stem = name[: -len(_LOCK)] if name.endswith(_LOCK) else ""
    return bool(stem) and any(p.is_dir() for p in (folder / stem, folder / f".{stem}{_NEW}", folder / f".{stem}{_OLD}"))


def _link(src: Path, dst: Path) -> None:
    """``dst`` becomes the same file as ``src`` (a hard link; a copy where links are not possible)."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


@functools.cache
def _renameat2() -> Any:
    try:
        return ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return None


def _exchange(a: Path, b: Path) -> bool:
    """Swap the folders ``a`` and ``b`` in one step (Linux ``renameat2(RENAME_EXCHANGE)``); False if unsupported."""
    func = _renameat2()
    if func is None:
        return False
    if func(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EXDEV):
        return False
    raise OSError(err, os.strerror(err), str(b))


class OutputSet:
    """An output folder written whole or not at all: every command that writes a folder writes through one.

    The files are written into a temporary sibling folder (:attr:`folder`); :meth:`commit`
    writes the manifest last, listing every file with its SHA-256, and moves the folder into
    place in one step (an earlier folder is swapped out with ``renameat2(RENAME_EXCHANGE)``),
    so that at every instant the path holds either the earlier complete set or the new one.
    A process killed at any point leaves the earlier set (the next command clears what it left).

    * Files of the earlier set (those its manifest lists) that the new one does not write are
      gone afterwards; ``commit(keep_previous=True)`` keeps them instead (a report added beside
      the outputs of a run). Sub-folders that are output sets of their own (``--out
      run/uncertainty``) are kept as they are.
    * Anything else in the folder (a file of the user) makes the command refuse, naming it.
    * A second command writing the same folder is refused: ``OUT.lock`` beside the folder is
      held (``flock``) while the set is written; a lock left by a killed process is free again.

    Examples
    --------
    >>> with OutputSet("reports/demo") as out:  # doctest: +SKIP
    ...     write_csv(out.path("scores.csv"), frame)
    ...     out.commit({"command": "run"})
    ...     out.final(out.path("scores.csv"))
    PosixPath('reports/demo/scores.csv')

    Parameters
    ----------
    out : str or Path
        The output folder, as given (paths returned by :meth:`final` start with it).
    inputs : iterable of str or Path
        Files the command reads: one that is a file of the earlier set is refused (it would be removed).

    Raises
    ------
    OutputError
        On entry: the path is empty, a file, read-only or in use, or the folder holds files
        of no earlier set (code ``foreign_files``) or an input of the command.
    """

    def __init__(self, out: str | Path, *, inputs: Iterable[str | Path] = ()) -> None:
        self.out = Path(out)
        self._shown = str(out)
        self._target = Path(os.path.realpath(_check_not_empty(out, "output folder", "--out reports/demo")))
        if self._target == self._target.parent:
            raise _output_problem(out, "the root folder cannot be an output folder; name a folder",
                                  ProblemCode.INVALID_VALUE)
        parent, name = self._target.parent, self._target.name
        self._new, self._old = parent / f".{name}{_NEW}", parent / f".{name}{_OLD}"
        self._lock_path = parent / f"{name}{_LOCK}"
        self._inputs = tuple(Path(os.path.realpath(p)) for p in inputs if str(p))
        self._lock_fd: int | None = None
        self._survey = _Survey(None, frozenset(), (), (), ())
        self._committed = False

    # ---- the public side -----------------------------------------------------------
    @property
    def folder(self) -> Path:
        """The temporary folder the files are written into (moved into place by :meth:`commit`)."""
        return self._new

    @property
    def previous(self) -> dict[str, Any] | None:
        """The manifest of the earlier set in the folder, without its file list (None: none)."""
        return self._survey.manifest

    def path(self, name: str) -> Path:
        """Where to write the file ``name`` of the set (inside :attr:`folder`)."""
        return self._new / name

    def final(self, path: str | Path) -> Path:
        """The path a file written at ``path`` (inside :attr:`folder`) has once committed, under ``out`` as given."""
        return self.out / Path(path).relative_to(self._new)

    def commit(self, manifest: Mapping[str, Any], *, keep_previous: bool = False) -> Path:
        """Write the manifest (``manifest`` with ``files``: path -> SHA-256) and move the set into place.

        ``keep_previous`` keeps the files of the earlier set that this one did not write (they
        are listed too). Returns the final path of the manifest.
        """
        survey, new = self._survey, self._new
        written = set(_files_under(new))
        if keep_previous:
            for rel in sorted(survey.listed - written - {MANIFEST_NAME}):
                if (self._target / rel).is_file():
                    _link(self._target / rel, new / rel)
        for sub in survey.nested:
            if not (new / sub).exists():
                for rel in _files_under(self._target / sub):
                    _link(self._target / sub / rel, new / sub / rel)
        files = {rel: sha256_file(new / rel) for rel in _files_under(new, skip=survey.nested) if rel != MANIFEST_NAME}
        write_json(new / MANIFEST_NAME, {**{k: v for k, v in manifest.items() if k != "files"}, "files": files})
        if not self._target.exists():
            os.rename(new, self._target)
        elif _exchange(new, self._target):
            shutil.rmtree(new, ignore_errors=True)  # the earlier set
        else:  # two renames: a process killed between them leaves the earlier set at _old, restored on entry
            os.rename(self._target, self._old)
            try:
                os.rename(new, self._target)
            except OSError:
                os.rename(self._old, self._target)
                raise
            shutil.rmtree(self._old, ignore_errors=True)
        self._committed = True
        return self.out / MANIFEST_NAME

    # ---- entering and leaving --------------------------------------------------------
    def __enter__(self) -> OutputSet:
        target = self._target
        if target.exists() and not target.is_dir():
            raise _output_problem(self._shown, "is a file; the output is a folder: name a folder (it is created)",
                                  ProblemCode.NOT_A_FOLDER)
        here = Path(os.path.realpath(os.getcwd()))
        if target == here or target in here.parents:
            raise _output_problem(self._shown, "is the current folder, or holds it; an output folder is replaced as a "
                                  "whole: name a sub-folder (e.g. --out results)", ProblemCode.INVALID_VALUE)
        _check_ancestors(target, self._shown)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise self._write_error(exc) from None
        self._lock()
        try:
            if not target.exists() and self._old.is_dir():
                os.rename(self._old, target)  # a command killed while swapping: the earlier set comes back
            for leftover in (self._new, self._old):
                _remove(leftover)
            outer = next((a for a in target.parents if a != a.parent and _lock_held(a.parent / f"{a.name}{_LOCK}")),
                         None)
            if outer is not None:
                raise _output_problem(self._shown, f"another openindex command is writing the folder '{outer}', which "
                                      "holds this one; wait for it to finish", ProblemCode.OUTPUT_IN_USE)
            self._survey = self._checked(_survey(target))
            os.mkdir(self._new)
        except BaseException as exc:
            self._unlock()
            if isinstance(exc, OSError):
                raise self._write_error(exc) from None
            raise
        return self

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> None:
        try:
            if not self._committed:
                shutil.rmtree(self._new, ignore_errors=True)
        finally:
            self._unlock()
        if isinstance(exc, OSError) and self._writing(exc):
            raise self._write_error(exc) from None
        if exc is None and not self._committed:
            raise RuntimeError(f"the output set {self._shown} was left without commit()")

    def _checked(self, survey: _Survey) -> _Survey:
        shown = self._shown
        if survey.busy:
            raise _output_problem(shown, f"another openindex command is writing into '{survey.busy[0]}' inside it; "
                                  "wait for it to finish", ProblemCode.OUTPUT_IN_USE)
        if survey.foreign:
            few = ", ".join(survey.foreign[:10]) + (" ..." if len(survey.foreign) > 10 else "")
            raise _output_problem(shown, f"the folder holds {len(survey.foreign)} file(s) or folder(s) that no earlier "
                                  f"openindex output lists: {few}. openindex replaces the whole folder, keeping only "
                                  "its own files: move them elsewhere, or choose another --out",
                                  ProblemCode.FOREIGN_FILES)
        if self._target.exists() and not os.access(self._target, os.W_OK | os.X_OK):
            raise _output_problem(shown, "the folder is read-only (permission denied); make it writable or choose "
                                  "another --out", ProblemCode.NOT_WRITABLE)
        ours = {self._target / rel for rel in survey.listed}
        for p in self._inputs:
            if p in ours:
                raise _output_problem(shown, f"'{p.name}', an input of this command, is a file of the earlier output "
                                      "in this folder and would be replaced; copy it elsewhere first, or choose "
                                      "another --out", ProblemCode.OUTPUT_HOLDS_INPUT)
        return survey

    def _writing(self, exc: OSError) -> bool:
        """Whether ``exc`` comes from writing the set (not from reading an input)."""
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        name = exc.filename
        return exc.errno in _WRITE_ERRORS and name is not None and os.path.abspath(name).startswith(str(self._new))

    def _write_error(self, exc: OSError) -> OutputError:
        reason = _WRITE_ERRORS.get(exc.errno or 0, exc.strerror or type(exc).__name__)
        where = exc.filename if exc.filename is not None else self._target.parent
        return _output_problem(self._shown, f"cannot write ({reason}: {where}); choose another --out or free the "
                               "place", ProblemCode.NOT_WRITABLE)

    def _lock(self) -> None:
        """Hold ``OUT.lock`` (refused when a live process holds it; a killed holder's lock is free again)."""
        path = self._lock_path
        while True:
            try:
                fd = os.open(path, os.O_RDWR | os.O_CREAT | (os.O_EXCL if fcntl is None else 0), 0o644)
            except FileExistsError:  # no flock: the holder's process id decides
                if _lock_held(path):
                    raise self._busy(path) from None
                os.unlink(path)
                continue
            except OSError as exc:
                raise self._write_error(exc) from None
            if fcntl is not None:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    os.close(fd)
                    raise self._busy(path) from None
                try:  # the holder before us may have removed the file between our open and flock
                    same = os.stat(path).st_ino == os.fstat(fd).st_ino
                except FileNotFoundError:
                    same = False
                if not same:
                    os.close(fd)
                    continue
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
            self._lock_fd = fd
            return

    def _busy(self, path: Path) -> OutputError:
        try:
            pid = path.read_text(encoding="utf-8").strip()
        except OSError:
            pid = ""
        who = f" (process {pid})" if pid.isdigit() else ""
        return _output_problem(self._shown, f"another openindex command{who} is writing this folder; wait for it to "
                               f"finish, or choose another --out (the lock is {path.name})", ProblemCode.OUTPUT_IN_USE)

    def _unlock(self) -> None:
        if self._lock_fd is None:
            return
        try:
            os.unlink(self._lock_path)
        except OSError:
            pass
        os.close(self._lock_fd)
        self._lock_fd = None
