"""Every file read and write of openindex: YAML, CSV, Excel, Parquet, JSON.

Nothing else in the package touches files. Readers keep enough of the file's
geometry (line numbers, cell references) for every later problem to be reported
where the user can find it.
"""

from __future__ import annotations

import csv
import hashlib
import io as _io
import json
import re
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pydantic
import yaml
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from openindex.errors import DataError, FrameworkError, InputError, Problem, ProblemCode
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
    "write_workbook",
    "save_workbook",
    "load_workbook",
    "sha256_file",
    "write_text",
    "write_json",
    "write_csv",
    "write_parquet",
    "read_factors",
]

TABLE_SUFFIXES = (".csv", ".txt", ".xlsx", ".xlsm", ".parquet", ".pq")


# --------------------------------------------------------------------------------------
# YAML
# --------------------------------------------------------------------------------------


class YamlLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` with YAML 1.2 booleans: only ``true``/``false`` (any case) are booleans.

    YAML 1.1 also reads ``yes``, ``no``, ``on`` and ``off`` as booleans, which turns an
    answer code ``no`` or a key ``on:`` into ``False``/``True``; here they stay text.
    """


YamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
YamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def load_yaml_text(text: str) -> Any:
    """Parse YAML text with :class:`YamlLoader` (safe, YAML 1.2 booleans)."""
    return yaml.load(text, Loader=YamlLoader)  # noqa: S506 - YamlLoader is a SafeLoader


def read_yaml(path: str | Path) -> tuple[Any, dict[tuple[Any, ...], int]]:
    """Load a YAML file safely, with the line of every mapping key and list item.

    Returns
    -------
    data : Any
        The document, built by :class:`YamlLoader` (a ``yaml.SafeLoader``: no arbitrary
        objects; YAML 1.2 booleans).
    lines : dict
        Path tuple (``("indicators", 3, "direction")``) -> 1-based line number.

    Raises
    ------
    FrameworkError
        When the file is missing, not UTF-8 text, not YAML, or repeats a key.
    """
    path = Path(path)
    text = _read_text(path, FrameworkError)
    try:
        loader = YamlLoader(text)
        try:
            node = loader.get_single_node()
            problems: list[Problem] = []
            lines: dict[tuple[Any, ...], int] = {}
            if node is not None:
                _walk_yaml(node, (), lines, problems, str(path))
                if problems:
                    raise FrameworkError(problems, f"{path}: repeated keys")
                data = loader.construct_document(node)
            else:
                data = None
        finally:
            loader.dispose()
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


def _walk_yaml(node: yaml.Node, path: tuple[Any, ...], lines: dict[tuple[Any, ...], int],
               problems: list[Problem], file: str) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value
            line = key_node.start_mark.line + 1
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
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise error(
            [Problem(str(path), f"line {line}", "not UTF-8 text (a binary file, or another encoding such as "
                     "Latin-1?); save the file as UTF-8", code=ProblemCode.NOT_UTF8)],
            f"{path}: not UTF-8 text",
        ) from None


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
    rows = list(csv.reader(_io.StringIO(text, newline="")))
    # line of each record (a quoted cell may span lines)
    reader = csv.reader(_io.StringIO(text, newline=""))
    starts: list[int] = []
    line = 1
    for _ in reader:
        starts.append(line)
        line = reader.line_num + 1
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
    cells = [(body[i] + [""] * width)[:width] for i in keep]
    head = [h.strip() for h in head]
    _check_header(head, path, lambda j: f"line 1, column {j + 1}")
    frame = pd.DataFrame(cells, columns=head, dtype=object)
    lines = [body_lines[i] for i in keep]
    return Table(
        frame=frame,
        file=str(path),
        locate_row=lambda r: f"line {lines[r]}",
        locate_cell=lambda r, c: f"line {lines[r]}, column '{c}'",
    )


def _read_excel(path: Path, sheet: str | None) -> Table:
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for broken files
        raise DataError([Problem(str(path), "", f"cannot open as an Excel workbook ({type(exc).__name__}); "
                                 "save it as .xlsx",
                                 code=ProblemCode.UNREADABLE_FILE)], f"{path}: not an Excel file") from None
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
    head = ["" if h is None else str(h).strip() for h in head_raw]
    _check_header(head, path, lambda j: f"cell {get_column_letter(j + 1)}1 of sheet '{sheet}'")
    width = len(head)
    keep = [i for i, r in enumerate(rows[1:], start=2) if any(v is not None and str(v).strip() for v in r)]
    cells = [[("" if v is None else v) for v in (rows[i - 1] + [None] * width)[:width]] for i in keep]
    frame = pd.DataFrame(cells, columns=head, dtype=object)
    col_letter = {c: get_column_letter(j + 1) for j, c in enumerate(head)}
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
    """Read a plain CSV table (UTF-8, BOM accepted) with pandas' type inference."""
    path = Path(path)
    try:
        return pd.read_csv(path, encoding="utf-8-sig")
    except FileNotFoundError:
        raise DataError([Problem(str(path), "", "file not found; check the path",
                                 code=ProblemCode.FILE_NOT_FOUND)], f"{path}: not found") from None
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataError([Problem(str(path), "", f"cannot read as CSV: {exc}",
                                 code=ProblemCode.UNREADABLE_FILE)], f"{path}: not a CSV table") from None


def read_resource(package: str, name: str) -> str:
    """Text of a data file shipped inside a package (report templates, UI strings), as UTF-8.

    ``name`` may contain ``/`` for sub-folders: ``read_resource("openindex.report", "templates/page.html")``.
    """
    node = resources.files(package)
    for part in name.split("/"):
        node = node.joinpath(part)
    return node.read_text(encoding="utf-8")


def sha256_file(path: str | Path) -> str:
    """SHA-256 of a file's bytes, as hex."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_text(path: str | Path, text: str) -> Path:
    """Write UTF-8 text with ``\\n`` line ends, creating folders."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    return path


def write_json(path: str | Path, data: Mapping[str, Any]) -> Path:
    """Write JSON deterministically (sorted keys, 2-space indent, trailing newline)."""
    return write_text(path, json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n")


def write_csv(path: str | Path, frame: pd.DataFrame) -> Path:
    """Write a frame as CSV with full float precision (shortest round-trip repr)."""
    return write_text(path, frame.to_csv(index=False, lineterminator="\n"))


def write_parquet(path: str | Path, frame: pd.DataFrame) -> Path:
    """Write a frame as Parquet (pyarrow, no index), creating folders."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(path, index=False, engine="pyarrow")
    return path


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

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
FIXED_TIME = (2000, 1, 1, 0, 0, 0)


def excel_safe(value: Any) -> Any:
    """Neutralise text that a spreadsheet would run as a formula (OWASP CSV/formula injection).

    Text starting with ``= + - @``, a tab or a carriage return gets a leading
    apostrophe; numbers and other values pass unchanged.
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def write_workbook(path: str | Path, sheets: Mapping[str, pd.DataFrame], *,
                   highlight: Mapping[str, Mapping[str, Any]] | None = None,
                   notes: Mapping[str, str] | None = None) -> Path:
    """Write frames as sheets of one .xlsx file, byte-identical for identical input.

    Parameters
    ----------
    sheets : mapping of sheet name to DataFrame
        Written with a bold, frozen header row; text cells are passed through
        :func:`excel_safe` and stored as text, never as formulas.
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
    for name, frame in sheets.items():
        ws = wb.create_sheet(title=name[:31])
        ws.append([str(c) for c in frame.columns])
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
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = _io.BytesIO()
    wb.save(buf)
    # rewrite the zip with fixed timestamps and order, so identical input gives identical bytes
    with zipfile.ZipFile(_io.BytesIO(buf.getvalue())) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in sorted(src.infolist(), key=lambda i: i.filename):
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps the save time
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2000-01-01T00:00:00Z", data)
            zi = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o600 << 16
            dst.writestr(zi, data)
    return path


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
        raise DataError([Problem(str(path), "", f"cannot open as an Excel workbook ({type(exc).__name__}); "
                                 "save it as .xlsx (Excel workbook)",
                                 code=ProblemCode.UNREADABLE_FILE)], f"{path}: not an Excel file") from None


def _excel_cell(v: Any) -> Any:
    if v is None or v is pd.NA:
        return None
    if isinstance(v, float) and v != v:  # NaN
        return None
    if hasattr(v, "item") and not isinstance(v, str):  # numpy scalar
        v = v.item()
        if isinstance(v, float) and v != v:
            return None
    return excel_safe(v)
