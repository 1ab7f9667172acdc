"""Conversion of COINr's iMeta / iData tables into an openindex framework and data table.

COINr (the JRC's R package) describes an index with two tables:

* ``iMeta``: one row per indicator, aggregate, group column and denominator, with
  columns ``Level, iCode, iName, Direction, Weight, Unit, Target, Denominator,
  Parent, Type``;
* ``iData``: one row per unit (``uCode``, ``uName``, ``Time``), group columns,
  denominator columns and one column per indicator.

Missing values: an empty cell, or R's ``NA`` (what ``write.csv`` writes) in a number column or
in an optional column of iMeta (Parent, Unit, Target, Denominator); any other text where a
number is expected (``n/a``, ``-``) is refused with its line, as ``openindex validate`` refuses it.

Mapping: Level/Parent give the hierarchy (Level 1 = indicators), Direction,
Weight, Unit, Target and Denominator carry over, ``Group`` rows become
categorical attributes, ``Denominator`` rows numeric attributes, ``Time`` the
edition, ``uCode`` the unit code and ``uName`` its name. When indicators declare
denominators the build section denominates (``by_column``, scale 1, as COINr's
``Denominate()`` divides without scaling).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import PurePath
from typing import Any

import pandas as pd

from openindex.data.validate import cell_number, cell_text
from openindex.errors import DataError, Problem, ProblemCode, quote_value

__all__ = ["framework_from_imeta", "data_from_idata", "check_imeta"]

#: COINr's vocabulary for the levels, bottom-up, by number of levels
DEFAULT_LEVEL_NAMES = {
    2: ["Indicator", "Index"],
    3: ["Indicator", "Pillar", "Index"],
    4: ["Indicator", "Pillar", "Sub-index", "Index"],
    5: ["Indicator", "Sub-pillar", "Pillar", "Sub-index", "Index"],
}
IMETA_COLUMNS = ("Level", "iCode", "iName", "Direction", "Weight", "Parent", "Type")
#: the values of iMeta's ``Type`` column (COINr's ``Other`` rows are ignored)
IMETA_TYPES = ("Indicator", "Aggregate", "Group", "Denominator", "Other")


def _blank(v: Any) -> bool:
    """An empty cell, or R's ``NA`` (what ``write.csv`` writes for a missing value)."""
    return v is None or (isinstance(v, float) and math.isnan(v)) or str(v).strip() in ("", "NA")


def _float(v: Any, default: float | None = None) -> float | None:
    return default if _blank(v) else float(v)


def check_imeta(imeta: pd.DataFrame, source: str = "iMeta.csv") -> list[Problem]:
    """Every problem of iMeta's rows, each naming its line: no rows, an unknown ``Type``, a ``Level`` that is not
    a whole number of at least 1, a ``Weight``, ``Direction`` or ``Target`` that is not a number (``n/a`` is
    text, as in :func:`openindex.data.validate.load_dataset`; leave the cell empty), a direction other than 1 or -1.
    """
    if imeta.empty:
        return [Problem(source, "", "the iMeta table has a header but no rows", code=ProblemCode.NO_DATA_ROWS)]
    problems = []

    def add(r: int, column: str, code: ProblemCode, message: str, value: Any) -> None:
        problems.append(Problem(source, f"line {r + 2}, column '{column}'", message, value=cell_text(value),
                                indicator=cell_text(imeta["iCode"].iat[r]), code=code))

    for r in range(len(imeta)):
        kind = cell_text(imeta["Type"].iat[r])
        if kind not in IMETA_TYPES:
            add(r, "Type", ProblemCode.INVALID_VALUE, f"unknown Type '{quote_value(kind)}'; iMeta's types are "
                + ", ".join(IMETA_TYPES), kind)
            continue
        if kind not in ("Indicator", "Aggregate"):
            continue
        level = cell_number(imeta["Level"].iat[r])
        if level is None or not math.isfinite(level) or level != int(level) or level < 1:
            add(r, "Level", ProblemCode.INVALID_VALUE, "Level must be a whole number (1 for indicators, 2 for "
                "their aggregates...)", imeta["Level"].iat[r])
        columns = ["Weight", "Direction", *(["Target"] if "Target" in imeta.columns and kind == "Indicator" else [])]
        for column in columns:
            raw = imeta[column].iat[r]
            if _blank(raw):
                continue
            num = cell_number(raw)
            if num is None or not math.isfinite(num):
                add(r, column, ProblemCode.NOT_A_NUMBER, f"'{quote_value(cell_text(raw))}' is not a number; leave "
                    "the cell empty for the default (COINr's NA)", raw)
            elif column == "Direction" and num not in (1, -1):
                add(r, column, ProblemCode.INVALID_VALUE, "Direction must be 1 (higher is better) or -1 (lower is "
                    "better)", raw)
    return problems


def framework_from_imeta(imeta: pd.DataFrame, *, source: str = "iMeta.csv",
                         level_names: Sequence[str] | None = None, name: str = "") -> dict[str, Any]:
    """Build a framework document (plain dict, ready for YAML) from COINr's iMeta table.

    Parameters
    ----------
    imeta : DataFrame
        COINr's iMeta (columns at least ``Level, iCode, iName, Direction, Weight,
        Parent, Type``; ``Unit, Target, Denominator`` used when present).
    level_names : sequence of str, optional
        Names of the levels bottom-up; default COINr's vocabulary (``Indicator, Pillar,
        Sub-index, Index`` for four levels; ``Level k`` beyond five).
    name : str
        Name of the index; default the iName of the top aggregate.
    """
    missing = [c for c in IMETA_COLUMNS if c not in imeta.columns]
    if missing:
        raise DataError([Problem(source, "header", f"not a COINr iMeta table: missing column(s) "
                                 f"{', '.join(missing)}", code=ProblemCode.MISSING_COLUMN)],
                    f"{source}: not an iMeta table")
    problems = check_imeta(imeta, source)
    if problems:
        raise DataError(problems, f"{source}: {len(problems)} problem{'s' * (len(problems) > 1)} in the iMeta table")
    kinds = imeta["Type"].astype(str).str.strip()
    ind = imeta[kinds == "Indicator"]
    agg = imeta[kinds == "Aggregate"]
    n_levels = int(max(imeta.loc[kinds.isin(["Indicator", "Aggregate"]), "Level"].astype(float)))
    if level_names is None:
        level_names = DEFAULT_LEVEL_NAMES.get(
            n_levels, ["Indicator", *[f"Level {k}" for k in range(2, n_levels)], "Index"])
    if len(level_names) != n_levels:
        raise DataError([Problem(source, "", f"{len(level_names)} level names given but iMeta has "
                                 f"{n_levels} levels", code=ProblemCode.LEVEL_MISMATCH)], f"{source}: level names")

    attributes = []
    for _, r in imeta[kinds == "Group"].iterrows():
        attributes.append({"code": str(r["iCode"]), "name": str(r["iName"]), "kind": "categorical"})
    for _, r in imeta[kinds == "Denominator"].iterrows():
        a: dict[str, Any] = {"code": str(r["iCode"]), "name": str(r["iName"]), "kind": "numeric"}
        if "Unit" in imeta.columns and not _blank(r["Unit"]):
            a["unit"] = str(r["Unit"])
        attributes.append(a)

    aggregates = []
    for _, r in agg.sort_values("Level", ascending=False, kind="stable").iterrows():
        a = {"code": str(r["iCode"]), "name": str(r["iName"])}
        if not _blank(r["Parent"]):
            a["parent"] = str(r["Parent"])
        a["weight"] = _float(r["Weight"], 1.0)
        aggregates.append(a)

    indicators = []
    for _, r in ind.iterrows():
        i: dict[str, Any] = {"code": str(r["iCode"]), "name": str(r["iName"]), "parent": str(r["Parent"])}
        if "Unit" in imeta.columns and not _blank(r["Unit"]):
            i["unit"] = str(r["Unit"])
        i["direction"] = int(_float(r["Direction"], 1.0))  # type: ignore[arg-type]
        i["weight"] = _float(r["Weight"], 1.0)
        if "Denominator" in imeta.columns and not _blank(r["Denominator"]):
            i["denominator"] = str(r["Denominator"])
        if "Target" in imeta.columns and not _blank(r["Target"]):
            i["target"] = float(r["Target"])
        i["source"] = "COINr iMeta"
        indicators.append(i)

    top = agg.loc[agg["Level"].astype(float) == n_levels, "iName"]
    doc: dict[str, Any] = {
        "name": name or (str(top.iloc[0]) if len(top) else "Imported index"),
        "description": f"Imported from COINr iMeta ({PurePath(source).name}) by `openindex import-coinr`.",
        "levels": list(level_names),
        "attributes": attributes,
        "data": {"unit": "unit", "name": "name", "edition": "edition"},
        "aggregates": aggregates,
        "indicators": indicators,
        "build": {
            "denominate": {"method": "by_column" if any("denominator" in i for i in indicators) else "none"},
            "normalise": {"method": "minmax"},
            "aggregate": {"method": "arithmetic"},
        },
    }
    return doc


def data_from_idata(idata: pd.DataFrame, framework_doc: dict[str, Any], *,
                    source: str = "iData.csv") -> pd.DataFrame:
    """Rename and order COINr's iData columns for openindex (wide layout).

    ``uCode`` -> ``unit``, ``uName`` -> ``name``, ``Time`` -> ``edition``; then the
    attributes and the indicators in framework order. Columns iMeta does not
    describe are listed in the error, never dropped silently.
    """
    ren = {"uCode": "unit", "uName": "name", "Time": "edition"}
    if "uCode" not in idata.columns:
        raise DataError([Problem(source, "header", "not a COINr iData table: no 'uCode' column",
                                 code=ProblemCode.MISSING_COLUMN)],
                        f"{source}: not an iData table")
    attrs = [a["code"] for a in framework_doc["attributes"]]
    inds = [i["code"] for i in framework_doc["indicators"]]
    known = set(ren) | set(attrs) | set(inds)
    unknown = [c for c in idata.columns if c not in known]
    if unknown:
        raise DataError([Problem(source, "header", f"column '{c}' is not described in iMeta (add it there as a "
                                 "Group, Denominator or Indicator row)", value=c, code=ProblemCode.UNKNOWN_COLUMN)
                         for c in unknown],
                        f"{source}: columns not in iMeta")
    missing = [c for c in inds if c not in idata.columns]
    if missing:
        raise DataError([Problem(source, "header", f"indicator '{c}' of iMeta has no column", indicator=c,
                                 code=ProblemCode.MISSING_COLUMN)
                         for c in missing], f"{source}: indicators without data")
    if idata.empty:
        raise DataError([Problem(source, "", "the iData table has a header but no rows",
                                 code=ProblemCode.NO_DATA_ROWS)], f"{source}: no rows")
    numeric = [*inds, *(a["code"] for a in framework_doc["attributes"] if a.get("kind") == "numeric")]
    bad = [Problem(source, f"line {r + 2}, column '{c}'", f"'{quote_value(cell_text(v))}' is not a number (indicator "
                   f"'{c}'); leave the cell empty (or NA) for a missing value", indicator=c, value=cell_text(v),
                   code=ProblemCode.NOT_A_NUMBER)
           for c in numeric for r, v in enumerate(idata[c].tolist()) if not _blank(v) and cell_number(v) is None]
    if bad:
        raise DataError(bad, f"{source}: {len(bad)} cell{'s' * (len(bad) > 1)} not a number")
    idata = idata.assign(**{c: idata[c].map(lambda v: None if _blank(v) else v) for c in numeric})
    out = idata.rename(columns=ren)
    order = [c for c in ("unit", "name", "edition") if c in out.columns] + attrs + inds
    return out[order]
