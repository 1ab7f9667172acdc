"""Reading a filled self-assessment workbook back: the city's data row, every problem with its sheet and cell.

:func:`read_filled` reads a workbook made by :func:`openindex.selfassess.template.template_workbook`
and collects every problem (nothing is raised for a problem in the workbook);
:func:`read_workbook` also validates the city's data against the framework and raises one
:class:`~openindex.errors.DataError` listing every problem of both.

Conventions of the answers: a questionnaire answer is recognised by its label in the
workbook's language, its original label or its answer code (case and spacing
ignored); a statistic is a number in the unit shown (for an indicator with a
denominator, the *count*, which openindex divides). An empty answer cell is an
unanswered item. Evidence is any text in the evidence column.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import pandas as pd

from openindex.data.validate import cell_number, load_dataset
from openindex.errors import DataError, Problem, ProblemCode, formula_restored, quote_value
from openindex.i18n import LANGUAGES, answer_labels, load_strings, translated
from openindex.io import MAX_TEXT, Table
from openindex.methods.registry import did_you_mean
from openindex.selfassess.template import (
    CITY_LETTER,
    COLUMNS,
    FIRST_ROW,
    FORMAT,
    LETTER,
    LISTS,
    META,
    VERSION,
    area_items,
    framework_sha256,
    sheet_names,
    structure_sha256,
)

if TYPE_CHECKING:
    from openpyxl import Workbook

    from openindex.data.dataset import Dataset
    from openindex.model.framework import Framework

__all__ = ["Filled", "read_filled", "read_workbook"]


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
    return str(formula_restored(text))


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

    def add(self, location: str, code: ProblemCode, problem: str, *, indicator: str = "", value: Any = "",
            severity: str = "error") -> None:
        self.problems.append(Problem(self.file, location, problem, "", indicator,
                                     "" if value is None else str(value), severity, code=code))

    @staticmethod
    def where(sheet: str, cell: str = "") -> str:
        return f"cell {cell} of sheet '{sheet}'" if cell else f"sheet '{sheet}'"

    # ---- meta ---------------------------------------------------------------------------
    def meta(self) -> tuple[str, dict[str, str], dict[str, tuple[str, list[str]]]]:
        """Language, instruction/city sheet names and area sheets (area -> (sheet, codes)) of the workbook."""
        fw = self.fw
        if META not in self.wb.sheetnames:
            lang = self._guess_lang()
            self.add(self.where(META), ProblemCode.NOT_A_TEMPLATE,
                     f"the hidden sheet '{META}' is missing, so this workbook cannot be checked "
                     "against the framework it was made from: was it made by `openindex template`, or copied "
                     "sheet by sheet? Fill the answers into a fresh template")
            names = sheet_names(fw, lang)
            return lang, {"_instructions": names["_instructions"], "_city": names["_city"]}, {
                a: (names[a], area_items(fw, a)) for a in fw.levels[1]}
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
            self.add(meta_loc, ProblemCode.NOT_A_TEMPLATE,
                     f"not an openindex self-assessment workbook of format version {VERSION} (found "
                     f"format '{scalars.get('format', '')}', version '{scalars.get('version', '')}')")
        if scalars.get("structure_sha256") != structure_sha256(fw):
            self.add(meta_loc, ProblemCode.FRAMEWORK_MISMATCH,
                     f"this workbook was made for another framework, or another version of it "
                     f"('{scalars.get('framework', '?')}' version {scalars.get('framework_version') or '-'}): its "
                     f"areas, item codes or answer codes differ from those of '{fw.name}'"
                     f"{self._diff(areas)}. Make a new template with `openindex template`",
                     value=scalars.get("structure_sha256", ""))
        elif scalars.get("framework_sha256") != framework_sha256(fw):
            self.add(meta_loc, ProblemCode.FRAMEWORK_CHANGED,
                     "the workbook was made from another version of the framework file (texts, points "
                     "or weights differ); its items and answer codes are the same, so it is read, but check that "
                     "the questions asked are the ones scored", severity="warning")
        lang = scalars.get("lang") or "en"
        if lang not in LANGUAGES:
            self.add(meta_loc, ProblemCode.UNKNOWN_LANGUAGE,
                     f"unknown language '{lang}'; read as English", value=lang, severity="warning")
            lang = "en"
        names = sheet_names(fw, lang)
        out = {a: areas.get(a, (names[a], area_items(fw, a))) for a in fw.levels[1]}
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
        present = {n.casefold() for n in self.wb.sheetnames}
        scores = {lang: sum(n.casefold() in present for n in sheet_names(self.fw, lang).values())
                  for lang in LANGUAGES}
        return max(LANGUAGES, key=lambda g: (scores[g], g == "en"))

    # ---- main ---------------------------------------------------------------------------
    def run(self, unit: str | None, name: str | None) -> Filled:
        fw = self.fw
        lang, special, areas = self.meta()
        self.strings = load_strings(lang)
        self.lang = lang
        known = {special["_instructions"], special["_city"], META, LISTS, *(sh for sh, _ in areas.values())}
        for sheet in self.wb.sheetnames:
            if sheet not in known:
                self.add(self.where(sheet), ProblemCode.EXTRA_SHEET,
                         "a sheet that is not part of the template; it is ignored (answers "
                         "belong in the area sheets; was a sheet renamed?)", value=sheet, severity="warning")
        city = self._city(special["_city"])
        found: dict[str, dict[str, Any]] = {}
        for area in fw.levels[1]:
            sheet, codes = areas[area]
            found.update(self._area(area, sheet, codes))
        unit_code = unit or city.get("unit") or "SELF"
        if unit and city.get("unit") and unit != city["unit"]:
            self.add(self.where(special["_city"]), ProblemCode.UNIT_REPLACED,
                     f"the city code '{city['unit']}' of the workbook is replaced "
                     f"by '{unit}' (given on the command line)", value=city["unit"], severity="warning")
        city_name = name or city.get("name") or unit_code
        return self._filled(unit_code, city_name, city, found, special["_city"], lang)

    def _city(self, sheet: str) -> dict[str, Any]:
        """unit, name and attribute values of the city sheet; problems for missing or bad cells."""
        fw = self.fw
        out: dict[str, Any] = {"_cells": {}}
        if sheet not in self.wb.sheetnames:
            self.add(self.where(sheet), ProblemCode.MISSING_SHEET,
                     f"the sheet '{sheet}' (the city's code, name and attributes) is missing; "
                     "its values are needed for peer groups and denominators. Make a fresh template "
                     f"(`openindex template FRAMEWORK --out blank.xlsx`), copy its sheet '{sheet}' into this "
                     "workbook and fill it in", value=sheet)
            return out
        ws = self.wb[sheet]
        keys = {"unit", "name", *fw.attributes}
        seen: dict[str, int] = {}
        for r in range(FIRST_ROW, ws.max_row + 1):
            key = ws[f"{CITY_LETTER['key']}{r}"].value
            value = ws[f"{CITY_LETTER['value']}{r}"].value
            if key is None or str(key).strip() == "":
                if value not in (None, ""):
                    self.add(self.where(sheet, f"{CITY_LETTER['value']}{r}"), ProblemCode.EXTRA_ROW,
                             "a value in a row without a field "
                             f"(cell {CITY_LETTER['key']}{r} is empty): an extra or altered row", value=value)
                continue
            key = str(key).strip()
            cell = f"{CITY_LETTER['value']}{r}"
            if key not in keys:
                fields = ", ".join(["unit", "name", *fw.attributes])
                self.add(self.where(sheet, f"{CITY_LETTER['key']}{r}"), ProblemCode.UNKNOWN_KEY,
                         f"unknown field '{key}'."
                         f"{did_you_mean(key, sorted(keys))} The fields are: {fields}", value=key)
                continue
            if key in seen:
                self.add(self.where(sheet, f"{CITY_LETTER['key']}{r}"), ProblemCode.DUPLICATE_ROW,
                         f"field '{key}' appears twice (rows "
                         f"{seen[key]} and {r})", value=key)
                continue
            seen[key] = r
            out["_cells"][key] = cell
            if isinstance(value, str) and value.startswith("="):
                self.add(self.where(sheet, cell), ProblemCode.FORMULA_IN_CELL,
                         "the cell holds a formula; type the value itself", value=value)
                continue
            out[key] = "" if value is None else (value.strip() if isinstance(value, str) else value)
        for key in ("unit", "name", *fw.attributes):
            if key not in seen:
                self.add(self.where(sheet), ProblemCode.MISSING_ROW,
                         f"the row of field '{key}' is missing (deleted?); restore it: type '{key}' in column "
                         f"{CITY_LETTER['key']} of an empty row and its value in column {CITY_LETTER['value']}, "
                         "or copy the row from a fresh template (`openindex template`)", indicator=key)
        return out

    def _area(self, area: str, sheet: str, codes: list[str]) -> dict[str, dict[str, Any]]:
        """Items read from one area sheet: code -> {cell, answer, evidence, ...}."""
        fw = self.fw
        out: dict[str, dict[str, Any]] = {}
        if sheet not in self.wb.sheetnames:
            self.add(self.where(sheet), ProblemCode.MISSING_SHEET,
                     f"the sheet of area '{area}' ({translated(fw, area, 'name', self.lang)}) is "
                     f"missing (deleted or renamed); it held {len(codes)} item(s): {', '.join(codes[:10])}"
                     f"{' ...' if len(codes) > 10 else ''}. Rename the sheet back to '{sheet}' if it was renamed; "
                     "if it was deleted, make a fresh template (`openindex template FRAMEWORK --out blank.xlsx`), "
                     "copy its sheet into this workbook and fill in the answers", indicator=area, value=sheet)
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
                    self.add(self.where(sheet, f"{LETTER[filled[0]]}{r}"), ProblemCode.EXTRA_ROW,
                             f"row {r} is not part of the template "
                             f"(an extra row, or its code in cell {a_cell} was deleted): answers belong in the rows "
                             "of the template's items; move them there and clear this row", value=cells[filled[0]])
                continue
            if code in rows_of:
                self.add(self.where(sheet, a_cell), ProblemCode.DUPLICATE_ROW,
                         f"code '{code}' appears twice (rows {rows_of[code]} and {r}): "
                         "a duplicated row; keep one", indicator=code, value=code)
                continue
            if code not in fw.indicators or fw.parent[code] != area:
                if code in fw.indicators:
                    reason = ProblemCode.MISPLACED_ROW
                    problem = (f"item '{code}' belongs to area '{fw.parent[code]}', not to this sheet; a row "
                               "was copied or moved between sheets")
                else:
                    reason = ProblemCode.UNKNOWN_NODE
                    listed = ", ".join(codes[:12]) + (" ..." if len(codes) > 12 else "")
                    problem = (f"unknown code '{code}' (a renamed code or an extra row).{did_you_mean(code, codes)} "
                               f"The codes of this sheet are: {listed}")
                self.add(self.where(sheet, a_cell), reason, problem, indicator=code, value=code)
                continue
            rows_of[code] = r
            if r != expected[code]:
                self.add(self.where(sheet, a_cell), ProblemCode.MOVED_ROW,
                         f"item '{code}' is in row {r}, but the template put it in row "
                         f"{expected[code]}: rows were inserted, deleted or sorted; it is read by its code",
                         indicator=code, severity="warning")
            out[code] = {"sheet": sheet, "row": r, **cells}
        for code in codes:
            if code not in rows_of:
                self.add(self.where(sheet, f"{LETTER['code']}{expected[code]}"), ProblemCode.MISSING_ROW,
                         f"the row of item '{code}' "
                         f"({translated(fw, code, 'name', self.lang)}) is missing: deleted, or its code changed. "
                         f"Restore it: put the code '{code}' back in column {LETTER['code']} of its row (row "
                         f"{expected[code]} in the template), or copy the row from a fresh template "
                         "(`openindex template`), and fill in its answer",
                         indicator=code)
        return out

    # ---- values -------------------------------------------------------------------------
    def _note(self, item: Mapping[str, Any], column: str, code: str) -> str:
        """The evidence, source, department or comment of an item: at most MAX_TEXT characters (cut, with a warning)."""
        raw = item[column]
        text = "" if raw is None else _unsafe(str(raw)).strip()
        if len(text) > MAX_TEXT:
            self.add(self.where(item["sheet"], f"{LETTER[column]}{item['row']}"), ProblemCode.TEXT_TOO_LONG,
                     f"the {column} of '{code}' has {len(text):,} characters; it is cut to the first {MAX_TEXT:,} "
                     "(link a longer document instead of pasting it)", indicator=code, value=text, severity="warning")
        return _cut(text)

    def _answer(self, code: str, raw: Any, where: str) -> tuple[Any, bool]:
        """(value for the data table, answered) of one answer cell; problems recorded."""
        ind = self.fw.indicators[code]
        if raw is None or (isinstance(raw, str) and raw.strip() == ""):
            return "", False
        if isinstance(raw, str) and raw.startswith("="):
            self.add(where, ProblemCode.FORMULA_IN_CELL,
                     "the answer cell holds a formula; type the answer itself", indicator=code, value=raw)
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
            self.add(where, ProblemCode.UNKNOWN_ANSWER, f"'{quote_value(text)}' is not an answer option of '{code}'; "
                     "choose one of: " + " / ".join(labels), indicator=code, value=text)
            return "", True
        if isinstance(raw, bool):
            self.add(where, ProblemCode.NOT_A_NUMBER,
                     f"a number is expected (indicator '{code}'), not TRUE/FALSE", indicator=code,
                     value=raw)
            return "", True
        if isinstance(raw, numbers.Real):
            num = float(raw)
        else:
            text = str(raw).strip()
            parsed = cell_number(text.replace("\u00a0", "").replace(" ", ""))  # digit groups "1 500" allowed
            if parsed is None:
                self.add(where, ProblemCode.NOT_A_NUMBER,
                         f"'{quote_value(text)}' is not a number (indicator '{code}'): type a number in the unit "
                         "shown, with the digits 0-9 and a '.' for decimals, or leave the cell empty", indicator=code,
                         value=text)
                return "", True
            num = parsed
        if not math.isfinite(num):
            self.add(where, ProblemCode.NOT_A_NUMBER,
                     f"'{quote_value(raw)}' is not a finite number (indicator '{code}')", indicator=code, value=raw)
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
                            **{k: self._note(item, k, code) for k in ("evidence", "source", "department", "comment")}})
        frame = pd.DataFrame([row], dtype=object)
        table = Table(frame=frame, file=self.file, locate_row=lambda r: self.where(city_sheet),
                      locate_cell=lambda r, c: cells.get(c, self.where(city_sheet)))
        return Filled(table=table, items=pd.DataFrame(records), problems=tuple(self.problems), unit=unit,
                      name=name, lang=lang)


def _cut(text: str) -> str:
    """``text`` cut to :data:`~openindex.io.MAX_TEXT` characters, ending in an ellipsis when cut."""
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "\u2026"


def _num_text(x: float | int) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def read_workbook(workbook: Workbook, framework: Framework, *, file: str = "", sha256: str = "",
                  unit: str | None = None, name: str | None = None) -> tuple[Filled, Dataset]:
    """Read and validate a filled questionnaire: every problem with sheet and cell, or the city's data.

    Parameters
    ----------
    workbook : openpyxl.Workbook
        As opened by :func:`openindex.io.load_workbook`.
    framework : Framework
    file, sha256 : str
        Name and hash of the file, for problems and the dataset.
    unit, name : str, optional
        Override the city's code and name.

    Raises
    ------
    DataError
        With every problem of the workbook (:func:`read_filled`) and of
        its data (:func:`openindex.data.validate.load_dataset`: denominators, a city with no data
        at all...), each with its sheet and cell.
    """
    filled = read_filled(workbook, framework, file=file, unit=unit, name=name)
    problems = list(filled.problems)
    dataset = None
    def kept(p: Problem) -> bool:
        # one city's unanswered (or wrongly answered) item is completeness or a cell problem, not "an
        # indicator with no data at all"
        return p not in problems and p.code != ProblemCode.EMPTY_INDICATOR

    try:
        dataset = load_dataset(filled.table, framework, sha256=sha256)
        problems += [p for p in dataset.warnings if kept(p)]
    except DataError as exc:
        problems += [p for p in exc.problems if kept(p)]
    errors = [p for p in problems if p.severity == "error"]
    if errors or dataset is None:
        raise DataError(problems, f"{file or 'the workbook'}: {len(errors)} problem{'s' * (len(errors) != 1)} "
                                  "in the self-assessment workbook")
    return replace(filled, problems=tuple(problems)), replace(dataset, warnings=tuple(problems))
