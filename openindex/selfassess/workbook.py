"""The self-assessment questionnaire as an Excel workbook: build the template, read it back.

Pure functions over openpyxl ``Workbook`` objects: :func:`template_workbook` builds
the questionnaire of a framework, :func:`read_filled` reads a filled one back and
collects every problem; files are written and opened by :mod:`openindex.io`
(:func:`~openindex.io.save_workbook`, byte-identical for identical input, and
:func:`~openindex.io.load_workbook`).

Layout of the template (sheet names in the chosen language)
-----------------------------------------------------------
* ``Instructions``: how to fill the workbook, and one line per sheet.
* ``City``: the city's code, name and attributes (population, region... as declared in
  the framework: they place the city in its peer groups and divide count indicators).
* One sheet per area (the level above the indicators), named after the area: at most
  31 characters, without ``[]:*?/\\``, unique regardless of case (Excel's rules; a
  clash gets `` (2)``). Row 1 holds the area's name, row 2 its description, row 4 the
  header and rows 5.. one item each, in framework order, with the columns ``COLUMNS``:
  code, question (or name and definition), unit, how to answer, **answer**, evidence,
  source, department, comment.
* ``lists`` (hidden): answer lists too long for an inline dropdown.
* ``_meta`` (hidden): format and version, the framework's hashes, the language, the
  sheet of every area and the codes of its rows, so that a workbook made for another
  framework, or edited beyond its answer cells, is detected.

Answer cells carry real Excel data validations: a dropdown (``list``) of the answer
labels for questionnaire items, inline when the comma-separated labels fit in Excel's
255-character limit and contain no comma or double quote, else a range of the hidden
``lists`` sheet; a ``decimal`` between plausible bounds for statistics (rule in
:func:`plausible_range`). Every sheet is protected without a password (the protection
keeps the layout, it is not a security measure): only the answer, evidence, source,
department and comment cells (and the value cells of ``City``) are unlocked, and the
workbook structure is locked (no sheet added, deleted or renamed). Every text written
goes through :func:`openindex.io.excel_safe`.

Conventions of the answers: a questionnaire answer is recognised by its label in the
workbook's language, its original label or its answer code (case and spacing
ignored); a statistic is a number in the unit shown (for an indicator with a
denominator, the *count*, which openindex divides). An empty answer cell is an
unanswered item. Evidence is any text in the evidence column.
"""

from __future__ import annotations

import hashlib
import json
import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from openindex.errors import OpenIndexError, Problem
from openindex.io import FORMULA_PREFIXES, Table, excel_safe
from openindex.methods.registry import did_you_mean

if TYPE_CHECKING:
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

    from openindex.data.dataset import Dataset
    from openindex.model.framework import Framework, Indicator

__all__ = ["COLUMNS", "FORMAT", "VERSION", "Filled", "template_workbook", "read_filled", "plausible_range",
           "framework_sha256", "structure_sha256", "sheet_names", "answer_labels"]

FORMAT = "openindex-self-assessment"
VERSION = 1
#: columns of an area sheet, A to I
COLUMNS: tuple[str, ...] = ("code", "question", "unit", "options", "answer", "evidence", "source", "department",
                            "comment")
#: the columns a respondent fills (unlocked)
INPUT_COLUMNS: tuple[str, ...] = ("answer", "evidence", "source", "department", "comment")
HEADER_ROW, FIRST_ROW = 4, 5
LETTER = {c: chr(ord("A") + i) for i, c in enumerate(COLUMNS)}
CITY_COLUMNS: tuple[str, ...] = ("field", "key", "value", "unit", "note")
CITY_LETTER = {c: chr(ord("A") + i) for i, c in enumerate(CITY_COLUMNS)}
META, LISTS = "_meta", "lists"
INLINE_LIMIT = 255
ANY_NUMBER = (-1e15, 1e15)
_BAD_SHEET_CHARS = set('[]:*?/\\')


# --------------------------------------------------------------------------------------
# Shared definitions
# --------------------------------------------------------------------------------------


def _strings(lang: str) -> dict[str, str]:
    from openindex.report.build import load_strings

    return load_strings(lang)


def _text(fw: Framework, code: str, field: str, lang: str) -> str:
    from openindex.report.tables import translated

    return translated(fw, code, field, lang)


def answer_labels(fw: Framework, code: str, lang: str) -> list[str]:
    """The answer labels of a questionnaire item in ``lang`` (its label, else its code), in option order."""
    from openindex.report.tables import answer_label

    return [answer_label(fw, code, o.code, lang) for o in fw.indicators[code].options or ()]


def framework_sha256(fw: Framework) -> str:
    """SHA-256 of the whole framework as parsed (canonical JSON): any change changes it."""
    text = json.dumps(fw.model.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def structure_sha256(fw: Framework) -> str:
    """SHA-256 of what a filled workbook depends on: areas, item codes and types, answer codes."""
    parts = []
    for area in fw.levels[1]:
        items = [[c, fw.indicators[c].type, [o.code for o in fw.indicators[c].options or ()]]
                 for c in fw.indicator_codes if fw.parent[c] == area]
        parts.append([area, items])
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode("utf-8")).hexdigest()


def _sheet_name(name: str) -> str:
    clean = "".join(" " if ch in _BAD_SHEET_CHARS else ch for ch in name)
    clean = " ".join(clean.split()).strip("'") or "Sheet"
    return clean[:31].rstrip()


def sheet_names(fw: Framework, lang: str = "en") -> dict[str, str]:
    """Sheet name of the instructions (``"_instructions"``), the city (``"_city"``) and every area code.

    Names follow Excel's rules (see the module docstring) and are unique regardless of case.
    """
    s = _strings(lang)
    taken = {META.casefold(), LISTS.casefold()}
    out: dict[str, str] = {}
    for key, wanted in [("_instructions", s["wb_sheet_instructions"]), ("_city", s["wb_sheet_city"]),
                        *((a, _text(fw, a, "name", lang)) for a in fw.levels[1])]:
        base = _sheet_name(wanted)
        name, k = base, 2
        while name.casefold() in taken:
            suffix = f" ({k})"
            name, k = base[: 31 - len(suffix)].rstrip() + suffix, k + 1
        taken.add(name.casefold())
        out[key] = name
    return out


def _items(fw: Framework, area: str) -> list[str]:
    return [c for c in fw.indicator_codes if fw.parent[c] == area]


def plausible_range(ind: Indicator, network: np.ndarray | None = None) -> tuple[float, float] | None:
    """Bounds of the number validation of a statistic, or None for any number.

    Rule: with goalposts ``[a, b]`` (and no denominator; goalposts are in rate units) the
    range is ``[min(a, network min), max(b, network max)]``; otherwise, with network
    values, ``[0, 10 M]`` where M is the largest absolute value (at least 1), or
    ``[min - 10 span, 10 M]`` when a network value is negative: generous on purpose (a
    new city may be several times larger than any in the network), tight enough to
    catch a value typed in the wrong unit or with the wrong sign; without either, any
    number. ``network`` holds the indicator's raw values (counts for an indicator with a
    denominator), NaN allowed.
    """
    values = np.asarray([] if network is None else network, dtype=float)
    values = values[np.isfinite(values)]
    if ind.goalposts is not None and ind.denominator is None:
        lo, hi = ind.goalposts
        if values.size:
            lo, hi = min(lo, float(values.min())), max(hi, float(values.max()))
        return float(lo), float(hi)
    if not values.size:
        return None
    top = max(float(np.abs(values).max()), 1.0)
    span = float(values.max() - values.min())
    lo = 0.0 if values.min() >= 0 else float(values.min()) - 10 * max(span, top)
    return lo, 10 * top


def _fmt(x: float) -> str:
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.6g}"


# --------------------------------------------------------------------------------------
# Building the template
# --------------------------------------------------------------------------------------


def template_workbook(framework: Framework, *, lang: str = "en", unit: str | None = None,
                      network: Dataset | None = None, edition: int | None = None, notice: str = "") -> Workbook:
    """The questionnaire workbook of ``framework`` for one city (see the module docstring).

    Parameters
    ----------
    framework : Framework
    lang : str
        Language of the texts (``openindex.report.build.LANGUAGES``); framework texts are
        translated when the framework has translations.
    unit : str, optional
        Code of the city; with ``network``, its current values and answers are filled in
        (from ``edition``, default the latest) so that the city only updates them.
    network : Dataset, optional
        The network's data: plausible ranges of the statistics, suggested categories of the
        categorical attributes, and the values of ``unit``.
    edition : int, optional
    notice : str
        A data notice printed on the instructions sheet (e.g. synthetic data).

    Returns
    -------
    openpyxl.Workbook
        Ready to save with :func:`openindex.io.save_workbook`.

    Raises
    ------
    OpenIndexError
        ``unit`` is given with ``network`` but is not in that edition of the network.
    """
    from openpyxl import Workbook
    from openpyxl.workbook.protection import WorkbookProtection

    from openindex.version import __version__

    fw = framework
    s = _strings(lang)
    names = sheet_names(fw, lang)
    prefill = _prefill(fw, network, unit, edition)
    wb = Workbook()
    wb.remove(wb.active)
    wb.properties.creator = "openindex"
    wb.properties.title = excel_safe(s["wb_title"].format(framework=_framework_name(fw, lang)))
    lists = _Lists()

    _instructions(wb.create_sheet(names["_instructions"]), fw, s, names, lang, notice, __version__)
    _city_sheet(wb.create_sheet(names["_city"]), fw, s, lang, unit or "", prefill, network)
    for area in fw.levels[1]:
        _area_sheet(wb.create_sheet(names[area]), fw, area, s, lang, network, prefill, lists)
    if lists.columns:
        lists.write(wb.create_sheet(LISTS), s)
    meta = wb.create_sheet(META)
    rows: list[tuple[str, ...]] = [
        ("format", FORMAT), ("version", str(VERSION)), ("openindex", __version__), ("framework", fw.name),
        ("framework_code", fw.model.code), ("framework_version", fw.model.version),
        ("framework_sha256", framework_sha256(fw)), ("structure_sha256", structure_sha256(fw)), ("lang", lang),
        ("unit", unit or ""), ("instructions_sheet", names["_instructions"]), ("city_sheet", names["_city"])]
    rows += [("sheet", names[a], a, ",".join(_items(fw, a))) for a in fw.levels[1]]
    for r, row in enumerate(rows, 1):
        for c, value in enumerate(row, 1):
            _put(meta, meta.cell(row=r, column=c), value)
    meta.sheet_state = "hidden"
    meta.protection.sheet = True
    wb.security = WorkbookProtection(lockStructure=True)
    wb.active = 0
    return wb


def _framework_name(fw: Framework, lang: str) -> str:
    from openindex.report.tables import framework_name

    return framework_name(fw, lang)


def _put(ws: Worksheet, cell: Any, value: Any) -> Any:
    """Write ``value`` through :func:`excel_safe`; text is stored as text, never as a formula."""
    cell.value = excel_safe(value)
    if isinstance(cell.value, str):
        cell.data_type = "s"
    return cell


def _prefill(fw: Framework, network: Dataset | None, unit: str | None, edition: int | None) -> dict[str, Any]:
    """Current values (raw; answers as option codes), name and attributes of ``unit`` in ``network``."""
    if network is None or not unit:
        return {}
    ed = network.latest_edition if edition is None else edition
    if ed not in network.editions:
        raise OpenIndexError(f"edition {ed} is not in the network data; editions: "
                             f"{', '.join(map(str, network.editions))}")
    data = network.for_edition(ed)
    if unit not in data.unit_codes:
        raise OpenIndexError(f"unit '{unit}' is not in edition {ed} of the network data."
                             f"{did_you_mean(unit, list(data.unit_codes))}")
    i = data.unit_codes.index(unit)
    out: dict[str, Any] = {"_name": data.unit_names[i]}
    row = data.units.iloc[i]
    for a in fw.attributes:
        if a in data.units.columns:
            out[f"_attr:{a}"] = row[a]
    for j, code in enumerate(data.indicators):
        ind = fw.indicators[code]
        if ind.type == "questionnaire":
            answer = str(data.answers[code].iat[i]) if code in data.answers.columns else ""
            if answer:
                out[code] = answer
        elif not math.isnan(data.values[i, j]):
            out[code] = float(data.values[i, j])
    return out


def _styles() -> dict[str, Any]:
    from openpyxl.styles import Alignment, Font, PatternFill, Protection

    return {"bold": Font(bold=True), "title": Font(bold=True, size=14), "wrap": Alignment(wrap_text=True,
            vertical="top"), "top": Alignment(vertical="top"), "input": PatternFill("solid", start_color="FFF8E1",
            end_color="FFF8E1"), "head": PatternFill("solid", start_color="E8EEF4", end_color="E8EEF4"),
            "open": Protection(locked=False), "note": Font(italic=True, color="555555")}


def _protect(ws: Worksheet) -> None:
    """Protect the sheet without a password; columns and rows may still be resized."""
    ws.protection.sheet = True
    ws.protection.formatColumns = False
    ws.protection.formatRows = False


def _page(ws: Worksheet, title_rows: str | None = None) -> None:
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    if title_rows:
        ws.print_title_rows = title_rows


def _instructions(ws: Worksheet, fw: Framework, s: Mapping[str, str], names: Mapping[str, str], lang: str,
                  notice: str, version: str) -> None:
    st = _styles()
    name = _framework_name(fw, lang)
    lines: list[tuple[str, str]] = [("title", s["wb_title"].format(framework=name)),
                                    ("note", s["wb_generated"].format(version=version, framework=name,
                                                                      fversion=fw.model.version or "-", lang=lang))]
    if notice:
        lines.append(("bold", notice))
    lines += [("", ""), ("", s["wb_intro"].format(framework=name, summary=fw.summary())), ("", "")]
    lines += [("", s[f"wb_step_{k}"].format(city=names["_city"])) for k in range(1, 7)]
    lines += [("", ""), ("bold", s["wb_sheets_title"])]
    for r, (style, text) in enumerate(lines, 1):
        cell = _put(ws, ws.cell(row=r, column=1), text)
        if style in ("title", "bold", "note"):
            cell.font = st[style]
        cell.alignment = st["wrap"]
    r = len(lines) + 1
    for c, key in enumerate(("wb_col_sheet", "wb_col_items", "wb_col_questions", "wb_col_statistics"), 1):
        cell = _put(ws, ws.cell(row=r, column=c), s[key])
        cell.font, cell.fill = st["bold"], st["head"]
    for area in fw.levels[1]:
        r += 1
        items = _items(fw, area)
        n_q = sum(fw.indicators[c].type == "questionnaire" for c in items)
        for c, value in enumerate((names[area], len(items), n_q, len(items) - n_q), 1):
            _put(ws, ws.cell(row=r, column=c), value)
    ws.column_dimensions["A"].width = 110
    for col in "BCD":
        ws.column_dimensions[col].width = 14
    _page(ws)
    _protect(ws)


def _city_sheet(ws: Worksheet, fw: Framework, s: Mapping[str, str], lang: str, unit: str,
                prefill: Mapping[str, Any], network: Dataset | None) -> None:
    from openpyxl.worksheet.datavalidation import DataValidation

    st = _styles()
    _put(ws, ws["A1"], s["wb_sheet_city"]).font = st["title"]
    _put(ws, ws["A2"], s["wb_city_intro"]).alignment = st["wrap"]
    ws.merge_cells("A2:E2")
    ws.row_dimensions[2].height = 45
    for c, key in enumerate(("wb_col_field", "wb_col_key", "wb_col_value", "wb_col_unit", "wb_col_note"), 1):
        cell = _put(ws, ws.cell(row=HEADER_ROW, column=c), s[key])
        cell.font, cell.fill = st["bold"], st["head"]
    rows: list[tuple[str, str, Any, str, str]] = [
        (s["wb_field_unit"], "unit", unit, "", s["wb_field_unit_note"]),
        (s["wb_field_name"], "name", prefill.get("_name", ""), "", "")]
    for code, attr in fw.attributes.items():
        rows.append((attr.name or code, code, prefill.get(f"_attr:{code}", ""), attr.unit, attr.description))
    for k, (label, key, value, unit_text, note) in enumerate(rows):
        r = FIRST_ROW + k
        for col, v in zip(CITY_COLUMNS, (label, key, value, unit_text, note), strict=True):
            cell = _put(ws, ws[f"{CITY_LETTER[col]}{r}"], _cell_value(v))
            cell.alignment = st["wrap"] if col == "note" else st["top"]
        value_cell = ws[f"{CITY_LETTER['value']}{r}"]
        value_cell.protection, value_cell.fill = st["open"], st["input"]
        attribute = fw.attributes.get(key)
        if attribute is not None and attribute.kind == "numeric":
            dv = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True)
            _messages(dv, s["wb_number_title"], s["wb_number_any"], s["wb_number_error_title"], s["wb_number_any"])
        elif attribute is not None and network is not None and key in network.units.columns:
            cats = sorted({str(v) for v in network.units[key].tolist() if str(v) and str(v) != "nan"})
            text = ",".join(cats)
            if not cats or len(text) > INLINE_LIMIT or any("," in c or '"' in c for c in cats):
                continue
            dv = DataValidation(type="list", formula1=f'"{text}"', allow_blank=True)
            dv.errorStyle = "information"  # a suggestion: another value is accepted after a notice
            _messages(dv, s["wb_category_title"], s["wb_category_prompt"], s["wb_category_title"],
                      s["wb_category_prompt"])
        else:
            continue
        ws.add_data_validation(dv)
        dv.add(value_cell.coordinate)
    for col, width in zip("ABCDE", (28, 18, 24, 16, 70), strict=True):
        ws.column_dimensions[col].width = width
    _page(ws, f"{HEADER_ROW}:{HEADER_ROW}")
    _protect(ws)


def _cell_value(v: Any) -> Any:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    if hasattr(v, "item") and not isinstance(v, str):
        v = v.item()
    return v


def _messages(dv: Any, prompt_title: str, prompt: str, error_title: str, error: str) -> None:
    """Input and error messages of a validation, within Excel's limits (titles 32, texts 255 characters)."""
    dv.showInputMessage = True
    dv.showErrorMessage = True
    dv.promptTitle, dv.prompt = prompt_title[:32], prompt[:255]
    dv.errorTitle, dv.error = error_title[:32], error[:255]


class _Lists:
    """Answer lists that go on the hidden ``lists`` sheet: one column per questionnaire item."""

    def __init__(self) -> None:
        self.columns: list[tuple[str, list[str]]] = []

    def add(self, code: str, labels: list[str]) -> str:
        """Register the labels of ``code``; return the range formula of its list."""
        from openpyxl.utils import get_column_letter

        self.columns.append((code, labels))
        col = get_column_letter(len(self.columns))
        return f"{LISTS}!${col}$2:${col}${len(labels) + 1}"

    def write(self, ws: Worksheet, s: Mapping[str, str]) -> None:
        for c, (code, labels) in enumerate(self.columns, 1):
            _put(ws, ws.cell(row=1, column=c), code)
            for r, label in enumerate(labels, 2):
                _put(ws, ws.cell(row=r, column=c), label)
        ws.sheet_state = "hidden"
        _protect(ws)


def _area_sheet(ws: Worksheet, fw: Framework, area: str, s: Mapping[str, str], lang: str,
                network: Dataset | None, prefill: Mapping[str, Any], lists: _Lists) -> None:
    from openpyxl.worksheet.datavalidation import DataValidation

    st = _styles()
    _put(ws, ws["A1"], _text(fw, area, "name", lang)).font = st["title"]
    _put(ws, ws["A2"], _text(fw, area, "description", lang) or "").alignment = st["wrap"]
    ws.merge_cells(f"A2:{LETTER['comment']}2")
    ws.row_dimensions[2].height = 45
    _put(ws, ws["A3"], s["wb_area_hint"]).font = st["note"]
    for c, col in enumerate(COLUMNS, 1):
        cell = _put(ws, ws.cell(row=HEADER_ROW, column=c), s[f"wb_col_{col}"])
        cell.font, cell.fill = st["bold"], st["head"]
        cell.alignment = st["wrap"]
    for k, code in enumerate(_items(fw, area)):
        r = FIRST_ROW + k
        ind = fw.indicators[code]
        name = _text(fw, code, "name", lang)
        if ind.type == "questionnaire":
            question = _text(fw, code, "question", lang) or name
            labels = answer_labels(fw, code, lang)
            how = s["wb_choose"].format(options=" / ".join(labels))
            unit_text = _text(fw, code, "unit", lang)
            inline = ",".join(excel_safe(x) for x in labels)
            if len(inline) <= INLINE_LIMIT and not any("," in x or '"' in x or x.startswith(FORMULA_PREFIXES)
                                                       for x in labels):
                formula = f'"{inline}"'
            else:
                formula = lists.add(code, labels)
            dv = DataValidation(type="list", formula1=formula, allow_blank=True)
            _messages(dv, s["wb_list_title"], s["wb_list_prompt"], s["wb_list_error_title"], s["wb_list_error"])
            current = prefill.get(code)
            value: Any = None
            if current is not None:
                option = ind.option_for(str(current))
                value = answer_labels(fw, code, lang)[(ind.options or []).index(option)] if option else None
        else:
            desc = _text(fw, code, "description", lang)
            question = f"{name}: {desc}" if desc else name
            unit_text = _text(fw, code, "unit", lang)
            if ind.denominator is not None:
                den = fw.attributes[ind.denominator]
                unit_text = s["wb_count"].format(denominator=den.name or den.code, unit=unit_text)
            raw = network.values[:, network.indicators.index(code)] if network is not None else None
            bounds = plausible_range(ind, raw)
            if bounds is None:
                dv = DataValidation(type="decimal", operator="between", formula1=repr(ANY_NUMBER[0]),
                                    formula2=repr(ANY_NUMBER[1]), allow_blank=True)
                how = s["wb_any_number"]
                _messages(dv, s["wb_number_title"], s["wb_number_any"], s["wb_number_error_title"],
                          s["wb_number_any"])
            else:
                lo, hi = bounds
                dv = DataValidation(type="decimal", operator="between", formula1=repr(float(lo)),
                                    formula2=repr(float(hi)), allow_blank=True)
                how = s["wb_range"].format(lo=_fmt(lo), hi=_fmt(hi))
                text = s["wb_number_error"].format(lo=_fmt(lo), hi=_fmt(hi))
                _messages(dv, s["wb_number_title"], how, s["wb_number_error_title"], text)
            value = prefill.get(code)
        for col, v in zip(COLUMNS, (code, question, unit_text, how, value, None, None, None, None), strict=True):
            cell = _put(ws, ws[f"{LETTER[col]}{r}"], v)
            cell.alignment = st["wrap"]
            if col in INPUT_COLUMNS:
                cell.protection = st["open"]
                cell.fill = st["input"]
        ws.add_data_validation(dv)
        dv.add(f"{LETTER['answer']}{r}")
    for col, width in zip(COLUMNS, (24, 60, 18, 34, 28, 40, 24, 20, 30), strict=True):
        ws.column_dimensions[LETTER[col]].width = width
    ws.freeze_panes = f"B{FIRST_ROW}"
    _page(ws, f"{HEADER_ROW}:{HEADER_ROW}")
    _protect(ws)


# --------------------------------------------------------------------------------------
# Reading a filled workbook back
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filled:
    """A filled questionnaire as read back.

    Attributes
    ----------
    table : Table
        One data row (``unit``, ``name``, the attributes and one column per indicator:
        answer codes for questionnaire items, numbers for statistics, ``""`` when
        unanswered), ready for :func:`openindex.data.validate.load_dataset`; its locations are
        the workbook's cells (``cell E7 of sheet 'Education'``).
    items : DataFrame
        One row per indicator: ``code, area, sheet, cell, type, answer`` (as typed),
        ``answered`` (bool), ``evidence, source, department, comment``.
    problems : tuple of Problem
        Every problem found in the workbook (errors and warnings), with sheet and cell.
    unit, name, lang : str
        The city's code and name as given on the city sheet (or overridden), and the
        workbook's language.
    """

    table: Table
    items: pd.DataFrame
    problems: tuple[Problem, ...]
    unit: str
    name: str
    lang: str

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")


def _norm(text: Any) -> str:
    return " ".join(str(text).split()).casefold()


def _unsafe(text: str) -> str:
    """Undo :func:`excel_safe`: a leading apostrophe before a formula character."""
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_PREFIXES) else text


def read_filled(workbook: Workbook, framework: Framework, *, file: str = "", unit: str | None = None,
                name: str | None = None) -> Filled:
    """Read a filled questionnaire workbook, collecting every problem with its sheet and cell.

    Parameters
    ----------
    workbook : openpyxl.Workbook
        As opened by :func:`openindex.io.load_workbook`.
    framework : Framework
        The framework the workbook must have been made from.
    file : str
        File name for the problems.
    unit, name : str, optional
        Override the city's code and name given on the city sheet.

    Returns
    -------
    Filled
        Nothing is raised for problems in the workbook: they are in ``Filled.problems``
        (a deleted sheet, a deleted, extra, moved or duplicated row, a renamed code, an
        answer not among the options, text or a formula in a number cell, a workbook of
        another framework...).
    """
    return _Reader(workbook, framework, file).run(unit, name)


class _Reader:
    def __init__(self, wb: Workbook, fw: Framework, file: str) -> None:
        self.wb, self.fw, self.file = wb, fw, file
        self.problems: list[Problem] = []

    def add(self, location: str, problem: str, *, indicator: str = "", value: Any = "",
            severity: str = "error") -> None:
        self.problems.append(Problem(self.file, location, problem, "", indicator,
                                     "" if value is None else str(value), severity))

    @staticmethod
    def where(sheet: str, cell: str = "") -> str:
        return f"cell {cell} of sheet '{sheet}'" if cell else f"sheet '{sheet}'"

    # ---- meta ---------------------------------------------------------------------------
    def meta(self) -> tuple[str, dict[str, str], dict[str, tuple[str, list[str]]]]:
        """Language, instruction/city sheet names and area sheets (area -> (sheet, codes)) of the workbook."""
        fw = self.fw
        if META not in self.wb.sheetnames:
            lang = self._guess_lang()
            self.add(self.where(META), f"the hidden sheet '{META}' is missing, so this workbook cannot be checked "
                     "against the framework it was made from: was it made by `openindex template`, or copied "
                     "sheet by sheet? Fill the answers into a fresh template")
            names = sheet_names(fw, lang)
            return lang, {"_instructions": names["_instructions"], "_city": names["_city"]}, {
                a: (names[a], _items(fw, a)) for a in fw.levels[1]}
        ws = self.wb[META]
        scalars: dict[str, str] = {}
        areas: dict[str, tuple[str, list[str]]] = {}
        for row in ws.iter_rows(values_only=True):
            key = "" if row[0] is None else str(row[0])
            if key == "sheet" and len(row) >= 4:
                areas[str(row[2])] = (_unsafe(str(row[1] or "")), [c for c in str(row[3] or "").split(",") if c])
            elif key:
                scalars[key] = "" if len(row) < 2 or row[1] is None else _unsafe(str(row[1]))
        meta_loc = self.where(META)
        if scalars.get("format") != FORMAT or scalars.get("version") != str(VERSION):
            self.add(meta_loc, f"not an openindex self-assessment workbook of format version {VERSION} (found "
                     f"format '{scalars.get('format', '')}', version '{scalars.get('version', '')}')")
        if scalars.get("structure_sha256") != structure_sha256(fw):
            self.add(meta_loc, f"this workbook was made for another framework, or another version of it "
                     f"('{scalars.get('framework', '?')}' version {scalars.get('framework_version') or '-'}): its "
                     f"areas, item codes or answer codes differ from those of '{fw.name}'"
                     f"{self._diff(areas)}. Make a new template with `openindex template`",
                     value=scalars.get("structure_sha256", ""))
        elif scalars.get("framework_sha256") != framework_sha256(fw):
            self.add(meta_loc, "the workbook was made from another version of the framework file (texts, points "
                     "or weights differ); its items and answer codes are the same, so it is read, but check that "
                     "the questions asked are the ones scored", severity="warning")
        lang = scalars.get("lang") or "en"
        from openindex.report.build import LANGUAGES

        if lang not in LANGUAGES:
            self.add(meta_loc, f"unknown language '{lang}'; read as English", value=lang, severity="warning")
            lang = "en"
        names = sheet_names(fw, lang)
        out = {a: areas.get(a, (names[a], _items(fw, a))) for a in fw.levels[1]}
        return lang, {"_instructions": scalars.get("instructions_sheet") or names["_instructions"],
                      "_city": scalars.get("city_sheet") or names["_city"]}, out

    def _diff(self, areas: Mapping[str, tuple[str, list[str]]]) -> str:
        have = {c for _, codes in areas.values() for c in codes}
        want = set(self.fw.indicator_codes)
        parts = []
        if want - have:
            parts.append(f"missing from the workbook: {', '.join(sorted(want - have)[:8])}")
        if have - want:
            parts.append(f"not in the framework: {', '.join(sorted(have - want)[:8])}")
        return f" ({'; '.join(parts)})" if parts else ""

    def _guess_lang(self) -> str:
        from openindex.report.build import LANGUAGES

        present = {n.casefold() for n in self.wb.sheetnames}
        scores = {lang: sum(n.casefold() in present for n in sheet_names(self.fw, lang).values())
                  for lang in LANGUAGES}
        return max(LANGUAGES, key=lambda g: (scores[g], g == "en"))

    # ---- main ---------------------------------------------------------------------------
    def run(self, unit: str | None, name: str | None) -> Filled:
        fw = self.fw
        lang, special, areas = self.meta()
        self.strings = _strings(lang)
        self.lang = lang
        known = {special["_instructions"], special["_city"], META, LISTS, *(sh for sh, _ in areas.values())}
        for sheet in self.wb.sheetnames:
            if sheet not in known:
                self.add(self.where(sheet), "a sheet that is not part of the template; it is ignored (answers "
                         "belong in the area sheets; was a sheet renamed?)", value=sheet, severity="warning")
        city = self._city(special["_city"])
        found: dict[str, dict[str, Any]] = {}
        for area in fw.levels[1]:
            sheet, codes = areas[area]
            found.update(self._area(area, sheet, codes))
        unit_code = unit or city.get("unit") or "SELF"
        if unit and city.get("unit") and unit != city["unit"]:
            self.add(self.where(special["_city"]), f"the city code '{city['unit']}' of the workbook is replaced "
                     f"by '{unit}' (given on the command line)", value=city["unit"], severity="warning")
        city_name = name or city.get("name") or unit_code
        return self._filled(unit_code, city_name, city, found, special["_city"], lang)

    def _city(self, sheet: str) -> dict[str, Any]:
        """unit, name and attribute values of the city sheet; problems for missing or bad cells."""
        fw = self.fw
        out: dict[str, Any] = {"_cells": {}}
        if sheet not in self.wb.sheetnames:
            self.add(self.where(sheet), f"the sheet '{sheet}' (the city's code, name and attributes) is missing; "
                     "its values are needed for peer groups and denominators", value=sheet)
            return out
        ws = self.wb[sheet]
        keys = {"unit", "name", *fw.attributes}
        seen: dict[str, int] = {}
        for r in range(FIRST_ROW, ws.max_row + 1):
            key = ws[f"{CITY_LETTER['key']}{r}"].value
            value = ws[f"{CITY_LETTER['value']}{r}"].value
            if key is None or str(key).strip() == "":
                if value not in (None, ""):
                    self.add(self.where(sheet, f"{CITY_LETTER['value']}{r}"), "a value in a row without a field "
                             f"(cell {CITY_LETTER['key']}{r} is empty): an extra or altered row", value=value)
                continue
            key = str(key).strip()
            cell = f"{CITY_LETTER['value']}{r}"
            if key not in keys:
                fields = ", ".join(["unit", "name", *fw.attributes])
                self.add(self.where(sheet, f"{CITY_LETTER['key']}{r}"), f"unknown field '{key}'."
                         f"{did_you_mean(key, sorted(keys))} The fields are: {fields}", value=key)
                continue
            if key in seen:
                self.add(self.where(sheet, f"{CITY_LETTER['key']}{r}"), f"field '{key}' appears twice (rows "
                         f"{seen[key]} and {r})", value=key)
                continue
            seen[key] = r
            out["_cells"][key] = cell
            if isinstance(value, str) and value.startswith("="):
                self.add(self.where(sheet, cell), "the cell holds a formula; type the value itself", value=value)
                continue
            out[key] = "" if value is None else (value.strip() if isinstance(value, str) else value)
        for key in ("unit", "name", *fw.attributes):
            if key not in seen:
                self.add(self.where(sheet), f"the row of field '{key}' is missing (deleted?)", indicator=key)
        return out

    def _area(self, area: str, sheet: str, codes: list[str]) -> dict[str, dict[str, Any]]:
        """Items read from one area sheet: code -> {cell, answer, evidence, ...}."""
        fw = self.fw
        out: dict[str, dict[str, Any]] = {}
        if sheet not in self.wb.sheetnames:
            self.add(self.where(sheet), f"the sheet of area '{area}' ({_text(fw, area, 'name', self.lang)}) is "
                     f"missing (deleted or renamed); it held {len(codes)} item(s): {', '.join(codes[:10])}"
                     f"{' ...' if len(codes) > 10 else ''}", indicator=area, value=sheet)
            return out
        ws = self.wb[sheet]
        expected = {c: FIRST_ROW + k for k, c in enumerate(codes)}
        rows_of: dict[str, int] = {}
        for r in range(FIRST_ROW, max(ws.max_row, FIRST_ROW + len(codes) - 1) + 1):
            cells = {col: ws[f"{LETTER[col]}{r}"].value for col in COLUMNS}
            code = "" if cells["code"] is None else str(cells["code"]).strip()
            filled = [col for col in COLUMNS if col != "code" and cells[col] not in (None, "")]
            a_cell = f"{LETTER['code']}{r}"
            if not code:  # an empty row is harmless; a missing item is reported below, by its code
                if filled:
                    self.add(self.where(sheet, f"{LETTER[filled[0]]}{r}"), f"row {r} is not part of the template "
                             f"(an extra row, or its code in cell {a_cell} was deleted): answers belong in the rows "
                             "of the template's items; move them there and clear this row", value=cells[filled[0]])
                continue
            if code in rows_of:
                self.add(self.where(sheet, a_cell), f"code '{code}' appears twice (rows {rows_of[code]} and {r}): "
                         "a duplicated row; keep one", indicator=code, value=code)
                continue
            if code not in fw.indicators or fw.parent[code] != area:
                if code in fw.indicators:
                    problem = (f"item '{code}' belongs to area '{fw.parent[code]}', not to this sheet; a row "
                               "was copied or moved between sheets")
                else:
                    listed = ", ".join(codes[:12]) + (" ..." if len(codes) > 12 else "")
                    problem = (f"unknown code '{code}' (a renamed code or an extra row).{did_you_mean(code, codes)} "
                               f"The codes of this sheet are: {listed}")
                self.add(self.where(sheet, a_cell), problem, indicator=code, value=code)
                continue
            rows_of[code] = r
            if r != expected[code]:
                self.add(self.where(sheet, a_cell), f"item '{code}' is in row {r}, but the template put it in row "
                         f"{expected[code]}: rows were inserted, deleted or sorted; it is read by its code",
                         indicator=code, severity="warning")
            out[code] = {"sheet": sheet, "row": r, **cells}
        for code in codes:
            if code not in rows_of:
                self.add(self.where(sheet, f"{LETTER['code']}{expected[code]}"), f"the row of item '{code}' "
                         f"({_text(fw, code, 'name', self.lang)}) is missing: deleted, or its code changed",
                         indicator=code)
        return out

    # ---- values -------------------------------------------------------------------------
    def _answer(self, code: str, raw: Any, where: str) -> tuple[Any, bool]:
        """(value for the data table, answered) of one answer cell; problems recorded."""
        ind = self.fw.indicators[code]
        if raw is None or (isinstance(raw, str) and raw.strip() == ""):
            return "", False
        if isinstance(raw, str) and raw.startswith("="):
            self.add(where, "the answer cell holds a formula; type the answer itself", indicator=code, value=raw)
            return "", True
        if ind.type == "questionnaire":
            text = _unsafe(str(raw).strip()) if not isinstance(raw, float | int) else _num_text(raw)
            labels = answer_labels(self.fw, code, self.lang)
            for option, label in zip(ind.options or (), labels, strict=True):
                if _norm(text) == _norm(label):
                    return option.code, True
            found = ind.option_for(text)
            if found is not None:
                return found.code, True
            self.add(where, f"'{text}' is not an answer option of '{code}'; choose one of: "
                     + " / ".join(labels), indicator=code, value=text)
            return "", True
        if isinstance(raw, bool):
            self.add(where, f"a number is expected (indicator '{code}'), not TRUE/FALSE", indicator=code,
                     value=raw)
            return "", True
        if isinstance(raw, numbers.Real):
            num = float(raw)
        else:
            text = str(raw).strip()
            try:
                num = float(text.replace("\u00a0", "").replace(" ", ""))
            except ValueError:
                self.add(where, f"'{text}' is not a number (indicator '{code}'): type a number in the unit shown, "
                         "or leave the cell empty", indicator=code, value=text)
                return "", True
        if not math.isfinite(num):
            self.add(where, f"'{raw}' is not a finite number (indicator '{code}')", indicator=code, value=raw)
            return "", True
        return num, True

    def _filled(self, unit: str, name: str, city: Mapping[str, Any], found: Mapping[str, Mapping[str, Any]],
                city_sheet: str, lang: str) -> Filled:
        fw = self.fw
        row: dict[str, Any] = {fw.model.data.unit: unit, fw.model.data.name: name}
        cells: dict[str, str] = {}
        for a in fw.attributes:
            row[a] = city.get(a, "")
            if a in city["_cells"]:
                cells[a] = self.where(city_sheet, city["_cells"][a])
        for key in ("unit", "name"):
            if key in city["_cells"]:
                cells[{"unit": fw.model.data.unit, "name": fw.model.data.name}[key]] = self.where(
                    city_sheet, city["_cells"][key])
        records = []
        for code in fw.indicator_codes:
            item = found.get(code)
            if item is None:
                row[code] = ""
                records.append({"code": code, "area": fw.parent[code], "sheet": "", "cell": "",
                                "type": fw.indicators[code].type, "answer": "", "answered": False, "evidence": "",
                                "source": "", "department": "", "comment": ""})
                continue
            cell = f"{LETTER['answer']}{item['row']}"
            where = self.where(item["sheet"], cell)
            value, answered = self._answer(code, item["answer"], where)
            row[code] = value
            cells[code] = where
            records.append({"code": code, "area": fw.parent[code], "sheet": item["sheet"], "cell": cell,
                            "type": fw.indicators[code].type,
                            "answer": "" if item["answer"] is None else _unsafe(str(item["answer"])),
                            "answered": answered,
                            **{k: "" if item[k] is None else _unsafe(str(item[k])).strip()
                               for k in ("evidence", "source", "department", "comment")}})
        frame = pd.DataFrame([row], dtype=object)
        table = Table(frame=frame, file=self.file, locate_row=lambda r: self.where(city_sheet),
                      locate_cell=lambda r, c: cells.get(c, self.where(city_sheet)))
        return Filled(table=table, items=pd.DataFrame(records), problems=tuple(self.problems), unit=unit,
                      name=name, lang=lang)


def _num_text(x: float | int) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def fill_cells(workbook: Workbook, answers: Mapping[str, Any], *, evidence: Mapping[str, str] | None = None,
               city: Mapping[str, Any] | None = None) -> dict[str, str]:
    """Write answers (and evidence, city fields) into a template in memory; return code -> cell written.

    ``answers`` maps an indicator code to its answer (a label, answer code or number);
    ``city`` maps ``unit``, ``name`` and attribute codes to values. Meant for tests and
    scripted filling; the cells are found by their codes, as :func:`read_filled` does.
    """
    written: dict[str, str] = {}
    evidence = evidence or {}
    meta = {str(r[0]): r[1] for r in workbook[META].iter_rows(values_only=True)} if META in workbook.sheetnames \
        else {}
    city_sheet = meta.get("city_sheet")
    for ws in workbook.worksheets:
        if ws.title in (META, LISTS):
            continue
        for r in range(FIRST_ROW, ws.max_row + 1):
            if ws.title == city_sheet:
                key = ws[f"{CITY_LETTER['key']}{r}"].value
                if city is not None and key in city:
                    ws[f"{CITY_LETTER['value']}{r}"] = city[key]
                continue
            key = ws[f"{LETTER['code']}{r}"].value
            if key in answers:
                ws[f"{LETTER['answer']}{r}"] = answers[key]
                written[str(key)] = f"{ws.title}!{LETTER['answer']}{r}"
                if key in evidence:
                    ws[f"{LETTER['evidence']}{r}"] = evidence[key]
    return written


def items_of(framework: Framework) -> Sequence[tuple[str, str]]:
    """``(area, code)`` of every item in template order."""
    return [(a, c) for a in framework.levels[1] for c in _items(framework, a)]
