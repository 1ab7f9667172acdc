"""Data-against-framework checks: a data file becomes a Dataset, or one failure-case table.

Two layouts are understood (the layout is detected from the header):

* **wide** — one row per unit and edition, a column per indicator::

      unit,name,edition,population,region,gdp,unemployment,...

* **long** — one row per value::

      unit,indicator,value[,edition][,name]

  where ``indicator`` may also name an attribute (``population``...).

Every problem is collected (pandera's "lazy" validation): missing or unknown
columns, duplicate units within an edition, text in numeric cells (quoted),
answers that are not among a question's options, non-positive denominators,
units or indicators with no data at all. Only empty cells count as missing.
"""

from __future__ import annotations

import math
import numbers
import re
from collections import defaultdict
from typing import Any

import numpy as np
import pandas as pd

from openindex.data.dataset import Dataset
from openindex.errors import DataError, Problem, ProblemCode, quote_value
from openindex.io import MAX_TEXT, Table, read_table, sha256_file
from openindex.methods.registry import did_you_mean
from openindex.model.framework import Framework

__all__ = ["load_dataset", "read_dataset", "detect_layout", "coverage_summary", "cell_text", "cell_number"]

LONG_COLUMNS = ("indicator", "value")
#: the largest magnitude of a number read from a data file (and of a value divided by its denominator): beyond it,
#: squares and ranges overflow float64 (about 1.8e308), so min-max, z-scores and variances turn into inf and NaN
MAX_MAGNITUDE = 1e150
#: a number as openindex reads it from text: ASCII digits, an optional sign, decimal point and exponent (or inf/nan,
#: refused later as not finite). Python's float() also reads ``1_5`` and digits of other scripts; those are refused.
_NUMBER_TEXT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[+-]?(?:inf|infinity|nan)",
                          re.IGNORECASE)


def read_dataset(path: str, framework: Framework, *, sheet: str | None = None) -> Dataset:
    """Read a data file and validate it against ``framework`` (see :func:`load_dataset`)."""
    table = read_table(path, sheet=sheet)
    return load_dataset(table, framework, sha256=sha256_file(path))


def detect_layout(columns: list[str]) -> str:
    """``"long"`` when the header has ``indicator`` and ``value`` columns, else ``"wide"``."""
    return "long" if all(c in columns for c in LONG_COLUMNS) else "wide"


def load_dataset(table: Table, framework: Framework, *, sha256: str = "") -> Dataset:
    """Validate a table against a framework and build the :class:`Dataset`.

    Raises
    ------
    DataError
        With every problem found (severity ``error``); problems of severity
        ``warning`` are kept in ``Dataset.warnings``.
    """
    checker = _Checker(table, framework)
    dataset = checker.run(sha256)
    errors = [p for p in checker.problems if p.severity == "error"]
    if errors or dataset is None:
        n = len(errors)
        raise DataError(checker.problems, f"{table.file}: {n} problem{'s' * (n != 1)} in the data")
    return dataset


class _Checker:
    def __init__(self, table: Table, framework: Framework) -> None:
        self.t = table
        self.fw = framework
        self.cols = framework.model.data
        self.problems: list[Problem] = []
        self.absent: set[str] = set()  # indicators without a column (already an error)

    # ---- reporting --------------------------------------------------------------------
    def add(self, location: str, code: ProblemCode, problem: str, *, unit: str = "", indicator: str = "",
            value: Any = "", severity: str = "error") -> None:
        self.problems.append(Problem(self.t.file, location, problem, unit, indicator,
                                     "" if value is None else str(value), severity, code=code))

    def number(self, raw: Any, loc: str, *, unit: str, code: str, attribute: bool = False) -> float:
        """A numeric cell as a float, NaN when empty or refused; a refused cell is recorded as a problem.

        Refused: text that is not a number (``n/a``, ``100k``), a number in a syntax only Python reads
        (``1_5``, digits of another script), an infinite value or NaN, and a magnitude above
        :data:`MAX_MAGNITUDE`.
        """
        text = _text(raw)
        num = _number(raw)
        shown = quote_value(text)
        what = f"attribute '{code}'" if attribute else f"indicator '{code}'"
        if num is None:
            if _python_number(text):
                self.add(loc, ProblemCode.NUMBER_SYNTAX,
                         f"'{shown}' ({what}) is written in a number syntax only some programs read (an underscore, "
                         "or digits of another script); write it with the digits 0-9 and a '.' for decimals, such as "
                         "1500.5", unit=unit, indicator=code, value=text)
            elif attribute:
                self.add(loc, ProblemCode.NOT_A_NUMBER, f"attribute '{code}' must be a number; '{shown}' is not "
                         "(leave the cell empty if unknown)", unit=unit, indicator=code, value=text)
            else:
                self.add(loc, ProblemCode.NOT_A_NUMBER, f"'{shown}' is not a number (indicator '{code}'); leave "
                         "the cell empty for a missing value", unit=unit, indicator=code, value=text)
            return math.nan
        if text == "":
            return math.nan
        if not math.isfinite(num):
            self.add(loc, ProblemCode.NOT_A_NUMBER, f"'{shown}' is not a finite number ({what}); type the number, "
                     "or leave the cell empty for a missing value", unit=unit, indicator=code, value=text)
            return math.nan
        if abs(num) > MAX_MAGNITUDE:
            self.add(loc, ProblemCode.NUMBER_OUT_OF_RANGE,
                     f"{num:g} is beyond the largest magnitude openindex reads ({MAX_MAGNITUDE:g}), where min-max "
                     f"and variances overflow ({what}); rescale it (thousands, millions) or check the value",
                     unit=unit, indicator=code, value=text)
            return math.nan
        return num

    def check_length(self, loc: str, text: str, *, unit: str) -> None:
        """Refuse a name or category longer than :data:`~openindex.io.MAX_TEXT` (it would fill every page)."""
        if len(text) > MAX_TEXT:
            self.add(loc, ProblemCode.TEXT_TOO_LONG, f"a text of {len(text):,} characters; names and categories "
                     f"have at most {MAX_TEXT:,}", unit=unit, value=text)

    # ---- main -------------------------------------------------------------------------
    def run(self, sha256: str) -> Dataset | None:
        frame = self.t.frame
        if frame.empty:
            self.add("", ProblemCode.NO_DATA_ROWS, "the file has a header but no data rows")
            return None
        columns = list(frame.columns)
        if self.cols.unit not in columns:
            hint = did_you_mean(self.cols.unit, columns)
            self.add("header", ProblemCode.MISSING_COLUMN,
                     f"no unit-code column '{self.cols.unit}'.{hint} The header has: "
                     f"{', '.join(columns[:12])}{' ...' if len(columns) > 12 else ''}")
            return None
        if detect_layout(columns) == "long":
            cells = self._from_long(frame)
        else:
            cells = self._from_wide(frame)
        if cells is None:
            return None
        return self._build(*cells, sha256=sha256)

    # ---- layouts -> per-row cells -----------------------------------------------------
    def _from_wide(self, frame: pd.DataFrame):
        fw, c = self.fw, self.cols
        known = {c.unit, c.name, c.edition, *fw.attributes, *fw.indicators}
        for col in frame.columns:
            if col not in known:
                options = [*fw.indicators, *fw.attributes]
                self.add(f"header, column '{quote_value(col)}'", ProblemCode.UNKNOWN_COLUMN,
                         f"unknown column '{quote_value(col)}': not an indicator or attribute of the framework."
                         f"{did_you_mean(col, options)} Remove it, or declare it in the framework",
                         indicator=col, value=col)
        missing = [code for code in fw.indicators if code not in frame.columns]
        self.absent.update(missing)
        if len(missing) > max(5, len(fw.indicators) // 2):
            self.add("header", ProblemCode.MISSING_COLUMN,
                     f"{len(missing)} of the framework's {len(fw.indicators)} indicators have no column: is "
                     f"this the data file for '{fw.name}'? Missing: {', '.join(missing[:12])}"
                     f"{', ...' if len(missing) > 12 else ''}", value=", ".join(missing))
        else:
            for code in missing:
                self.add("header", ProblemCode.MISSING_COLUMN,
                         f"no column for indicator '{code}' ({fw.indicators[code].name}); add the "
                         "column (empty cells are allowed for missing values)", indicator=code)
        rows = []
        for r in range(len(frame)):
            rec = frame.iloc[r]
            cells = {k: (rec[k], self.t.locate_cell(r, k)) for k in frame.columns if k in known}
            rows.append((self.t.locate_row(r), cells))
        return rows, [c for c in frame.columns if c in fw.attributes]

    def _from_long(self, frame: pd.DataFrame):
        fw, c = self.fw, self.cols
        allowed = {c.unit, c.name, c.edition, *LONG_COLUMNS}
        for col in frame.columns:
            if col not in allowed:
                self.add(f"header, column '{quote_value(col)}'", ProblemCode.UNKNOWN_COLUMN,
                         f"unknown column '{quote_value(col)}' in a long-layout file (columns: "
                         f"{c.unit}, indicator, value, and optionally {c.edition}, {c.name})", value=col)
        groups: dict[tuple[str, str], tuple[str, dict[str, tuple[Any, str]]]] = {}
        seen: dict[tuple[str, str, str], str] = {}
        attrs_seen: set[str] = set()
        for r in range(len(frame)):
            rec = frame.iloc[r]
            unit = _text(rec[c.unit])
            edition = _text(rec[c.edition]) if c.edition in frame.columns else ""
            code = _text(rec["indicator"])
            where = self.t.locate_row(r)
            if code not in fw.indicators and code not in fw.attributes:
                self.add(self.t.locate_cell(r, "indicator"), ProblemCode.UNKNOWN_INDICATOR,
                         f"unknown indicator '{quote_value(code)}'."
                         f"{did_you_mean(code, [*fw.indicators, *fw.attributes])}", unit=unit, indicator=code,
                         value=code)
                continue
            key3 = (unit, edition, code)
            if key3 in seen:
                self.add(where, ProblemCode.DUPLICATE_VALUE, f"a second value for unit '{unit}', indicator '{code}'"
                         f"{f', edition {edition}' if edition else ''} (first at {seen[key3]})",
                         unit=unit, indicator=code)
                continue
            seen[key3] = where
            if code in fw.attributes:
                attrs_seen.add(code)
            first, cells = groups.setdefault((unit, edition), (where, {}))
            cells.setdefault(c.unit, (rec[c.unit], self.t.locate_cell(r, c.unit)))
            if edition:
                cells.setdefault(c.edition, (rec[c.edition], self.t.locate_cell(r, c.edition)))
            if c.name in frame.columns and _text(rec[c.name]):
                cells.setdefault(c.name, (rec[c.name], self.t.locate_cell(r, c.name)))
            cells[code] = (rec["value"], self.t.locate_cell(r, "value"))
        return list(groups.values()), [a for a in fw.attributes if a in attrs_seen]

    # ---- rows -> dataset --------------------------------------------------------------
    def _build(self, rows, attr_cols: list[str], *, sha256: str) -> Dataset | None:
        fw, c = self.fw, self.cols
        codes = fw.indicator_codes
        n = len(rows)
        values = np.full((n, len(codes)), np.nan)
        questionnaire = [k for k in codes if fw.indicators[k].type == "questionnaire"]
        answers = pd.DataFrame("", index=range(n), columns=questionnaire, dtype=object)
        ids: dict[str, list[Any]] = {"unit": [], "name": [], "edition": []}
        attrs: dict[str, list[Any]] = {a: [] for a in attr_cols}
        first_seen: dict[tuple[str, int], str] = {}

        for i, (where, cells) in enumerate(rows):
            unit = _text(cells[c.unit][0]) if c.unit in cells else ""
            if not unit:
                self.add(where, ProblemCode.EMPTY_UNIT_CODE,
                         f"empty unit code in column '{c.unit}'; every row needs one")
            name = _text(cells[c.name][0]) if c.name in cells else ""
            for column, text in ((c.unit, unit), (c.name, name)):
                self.check_length(cells[column][1] if column in cells else where, text, unit=unit)
            edition = 0
            if c.edition in cells:
                raw, loc = cells[c.edition]
                edition_num = _number(raw)
                if _text(raw) == "":
                    self.add(loc, ProblemCode.INVALID_EDITION, "the edition cell is empty; write the edition (a "
                             "year such as 2025) in every row, or remove the edition column", unit=unit)
                elif edition_num is None or not math.isfinite(edition_num) or edition_num != int(edition_num):
                    self.add(loc, ProblemCode.INVALID_EDITION,
                             "the edition must be a whole number such as a year", unit=unit, value=raw)
                else:
                    edition = int(edition_num)
            key = (unit, edition)
            if unit and key in first_seen:
                self.add(where, ProblemCode.DUPLICATE_UNIT,
                         f"unit '{quote_value(unit)}' appears twice{f' in edition {edition}' if edition else ''} "
                         f"(first at {first_seen[key]}); keep one row per unit and edition", unit=unit,
                         value=unit)
            else:
                first_seen[key] = where
            ids["unit"].append(unit)
            ids["name"].append(name or unit)
            ids["edition"].append(edition)

            for a in attr_cols:
                raw, loc = cells.get(a, ("", ""))
                if fw.attributes[a].kind == "numeric":
                    attrs[a].append(self.number(raw, loc, unit=unit, code=a, attribute=True))
                else:
                    attrs[a].append(_text(raw))
                    self.check_length(loc, _text(raw), unit=unit)

            for j, code in enumerate(codes):
                if code not in cells:
                    continue
                raw, loc = cells[code]
                ind = fw.indicators[code]
                if _text(raw) == "":
                    continue
                if ind.type == "questionnaire":
                    answer = _text(raw)
                    option = ind.option_for(answer)
                    if option is None:
                        opts = ", ".join(f"{o.code}" + (f" ({o.label})" if o.label else "")
                                         for o in ind.options or ())
                        self.add(loc, ProblemCode.UNKNOWN_ANSWER,
                                 f"'{quote_value(answer)}' is not an answer option of '{code}'; options: {opts}",
                                 unit=unit, indicator=code, value=answer)
                    else:
                        values[i, j] = option.points
                        answers.iat[i, questionnaire.index(code)] = option.code
                else:
                    values[i, j] = self.number(raw, loc, unit=unit, code=code)

        units = pd.DataFrame(ids)
        for a in attr_cols:
            units[a] = pd.Series(attrs[a], dtype=float if fw.attributes[a].kind == "numeric" else object)
        self._check_denominators(units, values, rows)
        self._check_empty(units, values, rows)
        if any(p.severity == "error" for p in self.problems):
            return None
        return Dataset(units=units, values=values, indicators=codes, answers=answers, source=self.t.file,
                       sha256=sha256, warnings=tuple(self.problems))

    def _check_denominators(self, units: pd.DataFrame, values: np.ndarray, rows) -> None:
        fw = self.fw
        for j, code in enumerate(fw.indicator_codes):
            den = fw.indicators[code].denominator
            if den is None:
                continue
            if den not in units.columns:
                if np.isnan(values[:, j]).all():
                    continue  # nothing to divide
                self.add("header", ProblemCode.MISSING_COLUMN,
                         f"indicator '{code}' is divided by '{den}', but the data has no '{den}' "
                         "column", indicator=code)
                continue
            d = units[den].to_numpy(dtype=float)
            present = ~np.isnan(values[:, j])
            for i in np.flatnonzero(present & ~(d > 0)).tolist():
                loc = rows[i][1].get(den, ("", rows[i][0]))[1] or rows[i][0]
                unit = str(units["unit"].iat[i])
                if np.isnan(d[i]):
                    self.add(loc, ProblemCode.MISSING_DENOMINATOR,
                             f"'{den}' is missing, so indicator '{code}' (divided by it) will be treated as "
                             "missing for this unit", unit=unit, indicator=code, value="(empty)",
                             severity="warning")
                else:
                    self.add(loc, ProblemCode.NON_POSITIVE_DENOMINATOR,
                             f"'{den}' must be a positive number: indicator '{code}' is divided by it",
                             unit=unit, indicator=code, value=f"{d[i]:g}")
            with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
                ratio = values[:, j] / d
            for i in np.flatnonzero(present & (d > 0) & ~(np.abs(ratio) <= MAX_MAGNITUDE)).tolist():
                loc = rows[i][1].get(code, ("", rows[i][0]))[1] or rows[i][0]
                self.add(loc, ProblemCode.NUMBER_OUT_OF_RANGE,
                         f"indicator '{code}' divided by '{den}' ({values[i, j]:g} / {d[i]:g}) is beyond the largest "
                         f"magnitude openindex computes with ({MAX_MAGNITUDE:g}); check both values, or rescale them",
                         unit=str(units["unit"].iat[i]), indicator=code, value=f"{values[i, j]:g}")

    def _check_empty(self, units: pd.DataFrame, values: np.ndarray, rows) -> None:
        present = ~np.isnan(values)
        for i in np.flatnonzero(~present.any(axis=1)).tolist():
            self.add(rows[i][0], ProblemCode.EMPTY_UNIT,
                     f"unit '{units['unit'].iat[i]}' has no indicator data at all; fill it or "
                     "remove the row", unit=str(units["unit"].iat[i]))
        editions = units["edition"].to_numpy()
        multi = len(set(editions.tolist())) > 1
        for j, code in enumerate(self.fw.indicator_codes):
            if code in self.absent:
                continue
            if not present[:, j].any():
                self.add("", ProblemCode.EMPTY_INDICATOR,
                         f"indicator '{code}' has no data at all; it will be left out of the index (collect "
                         "it, or remove it from the framework)", indicator=code, severity="warning")
            elif multi:
                for e in sorted(set(editions.tolist())):
                    if not present[editions == e, j].any():
                        self.add("", ProblemCode.EMPTY_INDICATOR,
                                 f"indicator '{code}' has no data in edition {e}; it will be left out of "
                                 "that edition's index", indicator=code, severity="warning")


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _number(value: Any) -> float | None:
    """A cell as a float: numbers as they are, text parsed strictly; NaN when empty, None when not a number.

    Text is a number when it matches ``[+-]digits[.digits][e[+-]digits]`` in ASCII digits (or is
    ``inf``/``nan``, which the checker refuses as not finite): ``1_5`` and ``١٢``, which Python's
    ``float()`` reads as 15 and 12, are not numbers here.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, numbers.Real):
        return float(value)
    text = _text(value)
    if text == "":
        return math.nan
    return float(text) if _NUMBER_TEXT.fullmatch(text) else None


def _python_number(text: str) -> bool:
    """Whether Python's ``float()`` reads ``text`` (which :func:`_number` refused): a syntax only Python accepts."""
    try:
        float(text)
    except ValueError:
        return False
    return True


def cell_text(value: Any) -> str:
    """A cell of a data table as text, as the data reader sees it (empty for a missing cell)."""
    return _text(value)


def cell_number(value: Any) -> float | None:
    """A cell of a data table as a number by the data reader's rule: NaN when empty, None when not a number."""
    return _number(value)


def coverage_summary(dataset: Dataset, framework: Framework) -> str:
    """A few lines on units, editions and data coverage (for ``openindex validate``)."""
    lines = []
    for e in dataset.editions:
        sub = dataset.for_edition(e)
        present = ~np.isnan(sub.values)
        label = f"edition {e}" if e else "data"
        lines.append(f"{label}: {sub.n_units} units, {present.mean():.1%} of "
                     f"{present.size} indicator values present")
        per_ind = present.mean(axis=0)
        low = np.argsort(per_ind, kind="stable")[:3]
        lows = [f"{framework.indicator_codes[k]} {per_ind[k]:.0%}" for k in low if per_ind[k] < 1]
        if lows:
            lines.append(f"  lowest indicator coverage: {', '.join(lows)}")
    counts: dict[str, int] = defaultdict(int)
    for p in dataset.warnings:
        counts[p.severity] += 1
    if counts:
        lines.append(f"{counts['warning']} warning(s):")
        lines.extend(f"  - {p}" for p in dataset.warnings)
    return "\n".join(lines)
