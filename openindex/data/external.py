"""Outside variables for the audit (``openindex audit --external FILE``): a table of units, checked.

The file is a CSV or Excel table with the unit code column of the data (``unit`` unless
the framework's ``data:`` section renames it) and one column per outside variable (GDP,
a survey score, another index...)::

    unit,gdp_per_head,satisfaction
    AVL,41200,7.1
    BRH,35800,6.4

A ``name`` column (the data's unit-name column) is ignored. With an ``edition`` column,
only the rows of the edition audited are used. Every problem is collected into one
:class:`~openindex.errors.DataError`: a unit code that is not in the data (with the
closest code), a unit given twice, a cell that is not a number, a column that holds no
number at all (text such as a region), no variable column. Empty cells are missing values.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import pandas as pd

from openindex.data.validate import cell_number, cell_text
from openindex.errors import DataError, Problem, ProblemCode
from openindex.io import Table, read_table
from openindex.methods.registry import did_you_mean
from openindex.model.framework import Framework

__all__ = ["read_external", "load_external"]


def read_external(path: str, framework: Framework, units: Iterable[str], *, edition: int | None = None,
                  sheet: str | None = None) -> pd.DataFrame:
    """Read and check a file of outside variables (see :func:`load_external`)."""
    return load_external(read_table(path, sheet=sheet), framework, units, edition=edition)


def load_external(table: Table, framework: Framework, units: Iterable[str], *,
                  edition: int | None = None) -> pd.DataFrame:
    """Check a table of outside variables against the data's unit codes.

    Parameters
    ----------
    table : Table
        As :func:`openindex.io.read_table` reads it.
    framework : Framework
        For the names of the unit, name and edition columns (its ``data:`` section).
    units : iterable of str
        Every unit code of the data (all editions): a code not among them is an error.
    edition : int, optional
        With an edition column in the table, the rows of this edition are kept.

    Returns
    -------
    DataFrame
        Index: unit codes (named ``unit``), in file order; one float column per variable,
        in file order; NaN where a cell is empty.

    Raises
    ------
    DataError
        Every problem found (codes ``missing_column``, ``no_data_rows``,
        ``empty_unit_code``, ``unknown_unit``, ``duplicate_unit``, ``invalid_edition``,
        ``not_a_number``).
    """
    cols = framework.model.data
    frame, file = table.frame, table.file
    problems: list[Problem] = []

    def add(location: str, code: ProblemCode, text: str, **kw: str) -> None:
        problems.append(Problem(file, location, text, code=code, **kw))

    if cols.unit not in frame.columns:
        add("header", ProblemCode.MISSING_COLUMN, f"no '{cols.unit}' column: the first column of a file of "
            f"outside variables holds the unit codes of the data, the others one variable each")
    variables = [c for c in frame.columns if c not in (cols.unit, cols.name, cols.edition)]
    if not variables:
        add("header", ProblemCode.MISSING_COLUMN, "no variable column: after the unit codes, give one column per "
            "outside variable (numbers)")
    if not len(frame):
        add("", ProblemCode.NO_DATA_ROWS, "the table has a header but no rows")
    if problems:
        raise DataError(problems, f"{file}: not a table of outside variables")

    rows = list(range(len(frame)))
    if cols.edition in frame.columns:
        keep = []
        for i in rows:
            raw = frame[cols.edition].iat[i]
            value = cell_number(raw)
            if value is None or not math.isfinite(value) or not float(value).is_integer():
                add(table.locate_cell(i, cols.edition), ProblemCode.INVALID_EDITION,
                    "the edition must be a whole number such as a year", value=cell_text(raw))
            elif edition is None or int(value) == edition:
                keep.append(i)
        rows = keep

    known = set(units)
    seen: dict[str, str] = {}
    codes: list[str] = []
    for i in rows:
        unit = cell_text(frame[cols.unit].iat[i])
        where = table.locate_row(i)
        if not unit:
            add(where, ProblemCode.EMPTY_UNIT_CODE, "the unit code is empty; fill it in or remove the row")
        elif unit not in known:
            hint = did_you_mean(unit, sorted(known))
            add(where, ProblemCode.UNKNOWN_UNIT, f"unit '{unit}' is not in the data.{hint} Use the unit codes of "
                "the data file, or remove the row", unit=unit, value=unit)
        elif unit in seen:
            add(where, ProblemCode.DUPLICATE_UNIT, f"unit '{unit}' appears twice (first at {seen[unit]}); keep one "
                "row per unit", unit=unit, value=unit)
        else:
            seen[unit] = where
        codes.append(unit)

    values = np.full((len(rows), len(variables)), np.nan)
    for j, var in enumerate(variables):
        bad = []
        for k, i in enumerate(rows):
            raw = frame[var].iat[i]
            if cell_text(raw) == "":
                continue
            num = cell_number(raw)
            if num is None or not math.isfinite(num):
                bad.append((i, raw, codes[k]))
            else:
                values[k, j] = num
        n_filled = sum(cell_text(frame[var].iat[i]) != "" for i in rows)
        if bad and len(bad) == n_filled:
            shown = ", ".join(f"'{cell_text(raw)[:40]}'" for _, raw, _ in bad[:3])
            add(f"column '{var}'", ProblemCode.NOT_A_NUMBER, f"column '{var}' holds no number ({shown}"
                f"{', ...' if len(bad) > 3 else ''}): outside variables must be numeric; remove the column, or "
                "code it as numbers", indicator=var, value=cell_text(bad[0][1])[:80])
        else:
            for i, raw, unit in bad:
                add(table.locate_cell(i, var), ProblemCode.NOT_A_NUMBER, f"'{cell_text(raw)[:80]}' is not a "
                    f"finite number (variable '{var}'); type the number, or leave the cell empty if unknown",
                    unit=unit, indicator=var, value=cell_text(raw)[:80])
    if problems:
        raise DataError(problems, f"{file}: {len(problems)} problem{'s' if len(problems) != 1 else ''} in the "
                        "outside variables")
    out = pd.DataFrame(values, columns=[str(v) for v in variables], index=pd.Index(codes, name="unit"))
    return out
