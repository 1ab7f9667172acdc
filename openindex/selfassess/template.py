"""The self-assessment questionnaire as an Excel workbook: the template a city fills.

Pure functions over openpyxl ``Workbook`` objects: :func:`template_workbook` builds the
questionnaire of a framework (:mod:`openindex.selfassess.read` reads a filled one back);
files are written and opened by :mod:`openindex.io` (:func:`~openindex.io.save_workbook`,
byte-identical for identical input, and :func:`~openindex.io.load_workbook`).

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
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation

from openindex.errors import OpenIndexError
from openindex.i18n import answer_labels, attribute_text, framework_name, load_strings, translated
from openindex.io import FORMULA_PREFIXES, excel_safe, unique_sheet_names
from openindex.methods.registry import did_you_mean
from openindex.version import __version__

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

    from openindex.data.dataset import Dataset
    from openindex.model.framework import Framework, Indicator

__all__ = ["COLUMNS", "FORMAT", "VERSION", "template_workbook", "plausible_range", "framework_sha256",
           "structure_sha256", "sheet_names", "area_items", "items_of", "fill_cells"]

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


# --------------------------------------------------------------------------------------
# Shared definitions
# --------------------------------------------------------------------------------------


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


def sheet_names(fw: Framework, lang: str = "en") -> dict[str, str]:
    """Sheet name of the instructions (``"_instructions"``), the city (``"_city"``) and every area code.

    Names follow Excel's rules (see the module docstring) and are unique regardless of case.
    """
    s = load_strings(lang)
    wanted = {"_instructions": s["wb_sheet_instructions"], "_city": s["wb_sheet_city"],
              **{a: translated(fw, a, "name", lang) for a in fw.levels[1]}}
    return unique_sheet_names(wanted, reserved=(META, LISTS))


def area_items(fw: Framework, area: str) -> list[str]:
    """Codes of the items of ``area``, in framework order (the rows of its sheet)."""
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
        Language of the texts (``openindex.i18n.LANGUAGES``); framework texts are
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
    fw = framework
    s = load_strings(lang)
    names = sheet_names(fw, lang)
    prefill = _prefill(fw, network, unit, edition)
    wb = Workbook()
    wb.remove(wb.active)
    wb.properties.creator = "openindex"
    wb.properties.title = excel_safe(s["wb_title"].format(framework=framework_name(fw, lang)))
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
    rows += [("sheet", names[a], a, ",".join(area_items(fw, a))) for a in fw.levels[1]]
    for r, row in enumerate(rows, 1):
        for c, value in enumerate(row, 1):
            _put(meta, meta.cell(row=r, column=c), value)
    meta.sheet_state = "hidden"
    meta.protection.sheet = True
    wb.security = WorkbookProtection(lockStructure=True)
    wb.active = 0
    return wb


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
    name = framework_name(fw, lang)
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
        items = area_items(fw, area)
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
    for code in fw.attributes:
        rows.append((attribute_text(fw, code, "name", lang) or code, code, prefill.get(f"_attr:{code}", ""),
                     attribute_text(fw, code, "unit", lang), attribute_text(fw, code, "description", lang)))
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
    st = _styles()
    _put(ws, ws["A1"], translated(fw, area, "name", lang)).font = st["title"]
    _put(ws, ws["A2"], translated(fw, area, "description", lang) or "").alignment = st["wrap"]
    ws.merge_cells(f"A2:{LETTER['comment']}2")
    ws.row_dimensions[2].height = 45
    _put(ws, ws["A3"], s["wb_area_hint"]).font = st["note"]
    for c, col in enumerate(COLUMNS, 1):
        cell = _put(ws, ws.cell(row=HEADER_ROW, column=c), s[f"wb_col_{col}"])
        cell.font, cell.fill = st["bold"], st["head"]
        cell.alignment = st["wrap"]
    for k, code in enumerate(area_items(fw, area)):
        r = FIRST_ROW + k
        ind = fw.indicators[code]
        name = translated(fw, code, "name", lang)
        if ind.type == "questionnaire":
            question = translated(fw, code, "question", lang) or name
            labels = answer_labels(fw, code, lang)
            how = s["wb_choose"].format(options=" / ".join(labels))
            unit_text = translated(fw, code, "unit", lang)
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
            desc = translated(fw, code, "description", lang)
            question = f"{name}: {desc}" if desc else name
            unit_text = translated(fw, code, "unit", lang)
            if ind.denominator is not None:
                den = attribute_text(fw, ind.denominator, "name", lang) or ind.denominator
                unit_text = s["wb_count"].format(denominator=den, unit=unit_text)
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



def fill_cells(workbook: Workbook, answers: Mapping[str, Any], *, evidence: Mapping[str, str] | None = None,
               city: Mapping[str, Any] | None = None) -> dict[str, str]:
    """Write answers (and evidence, city fields) into a template in memory; return code -> cell written.

    ``answers`` maps an indicator code to its answer (a label, answer code or number);
    ``city`` maps ``unit``, ``name`` and attribute codes to values. Meant for tests and
    scripted filling; the cells are found by their codes, as :func:`openindex.selfassess.read.read_filled` does.
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
    return [(a, c) for a in framework.levels[1] for c in area_items(framework, a)]
