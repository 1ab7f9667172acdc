"""What `openindex run` writes: scores.csv, peers.csv and stages.xlsx (the workflow adds manifest.json).

This module turns a :class:`~openindex.engine.result.Result` into tidy frames and hands
them to the writers of :mod:`openindex.io` (it opens no file itself).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from openindex.engine.result import STAGES, MethodsUsed, Result
from openindex.io import write_csv, write_workbook

__all__ = ["stage_sheets", "write_run"]

IMPUTED_FILL = "FFEB9C"  # light amber
TREATED_FILL = "F4B183"  # light orange


def _about(result: Result, manifest: Mapping[str, Any]) -> pd.DataFrame:
    fw = result.framework
    notice = manifest.get("data", {}).get("notice", "")
    rows = [
        ("index", fw.name),
        ("structure", fw.summary()),
        ("edition", str(result.edition)),
        ("units scored", str(result.dataset.n_units)),
        ("units excluded", str(len(result.excluded))),
    ]
    if notice:
        rows.insert(0, ("NOTICE", notice))
    rows += [
        ("sheet raw .. normalised", "indicator values at each stage; imputed cells amber, treated cells orange"),
        ("sheet level_k", "scores of the aggregates of level k (the index is the last level)"),
        ("sheet ranks", "rank of every unit on every node (1 = best, ties share the minimum rank)"),
        ("sheet flags", "every missing, imputed or treated cell"),
        ("sheet weights", "nominal, normalised and effective weight of every node"),
        ("sheet treatment", "outlier treatment per indicator, with skewness and kurtosis before and after"),
        ("sheet methods", "every method and parameter used, per indicator and node"),
        ("sheet manifest", "software versions, input hashes and all parameters"),
    ]
    return pd.DataFrame(rows, columns=["item", "value"])


def _with_ids(result: Result, frame: pd.DataFrame) -> pd.DataFrame:
    ids = pd.DataFrame({"unit": result.units, "name": result.dataset.unit_names})
    return pd.concat([ids, frame.reset_index(drop=True)], axis=1)


def stage_sheets(result: Result, manifest: Mapping[str, Any]) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """The sheets of stages.xlsx and the cell highlights (imputed / treated)."""
    fw = result.framework
    sheets: dict[str, pd.DataFrame] = {"about": _about(result, manifest)}
    highlight: dict[str, Any] = {}
    flagged = np.zeros((len(result.units), 2), dtype=bool)  # the unit and name columns
    for stage in STAGES:
        sheets[stage] = _with_ids(result, result.stage_frame(stage).reset_index(drop=True))
        if stage in ("imputed", "treated", "normalised"):
            mask = result.imputed if stage == "imputed" else result.treated if stage == "treated" else (
                result.imputed | result.treated)
            highlight[stage] = {"mask": np.hstack([flagged, mask]),
                                "fill": IMPUTED_FILL if stage == "imputed" else TREATED_FILL}
    for level in range(2, fw.n_levels + 1):
        name = f"level_{level}_{fw.level_names[level - 1]}"[:31]
        sheets[name] = _with_ids(result, result.level_frame(level).reset_index(drop=True))
    ranks = pd.concat([result.level_frame(level, "rank").reset_index(drop=True)
                       for level in range(fw.n_levels, 0, -1)], axis=1).astype("Int64")
    sheets["ranks"] = _with_ids(result, ranks)
    sheets["flags"] = result.flags()
    sheets["weights"] = result.weight_table()
    sheets["treatment"] = result.treatment
    sheets["excluded"] = result.excluded
    sheets["excluded_indicators"] = result.excluded_indicators
    sheets["methods"] = _methods_frame(result.methods)
    sheets["manifest"] = pd.DataFrame(_flatten(manifest), columns=["key", "value"])
    return sheets, highlight


def _methods_frame(methods: MethodsUsed) -> pd.DataFrame:
    rows = []
    for step, per_code, settings in methods.steps():
        for code, used in per_code.items():
            params = ", ".join(f"{k}={v}" for k, v in sorted(used.params.items()))
            rows.append((step, code, used.method, params))
        for key, value in settings.items():
            rows.append((step, "(all)", key, str(value)))
    return pd.DataFrame(rows, columns=["step", "code", "method", "params"])


def _flatten(data: Any, prefix: str = "") -> list[tuple[str, str]]:
    if isinstance(data, Mapping):
        out: list[tuple[str, str]] = []
        for k in sorted(data):
            out += _flatten(data[k], f"{prefix}.{k}" if prefix else str(k))
        return out
    if isinstance(data, list) and data and all(isinstance(d, Mapping) for d in data):
        out = []
        for i, d in enumerate(data):
            out += _flatten(d, f"{prefix}[{i}]")
        return out
    return [(prefix, str(data))]


def write_run(result: Result, out: str | Path, manifest: Mapping[str, Any]) -> dict[str, Path]:
    """Write the outputs of a run into folder ``out`` but manifest.json; return their paths by name.

    The manifest is written last by the output set (:class:`openindex.io.OutputSet`), with the
    list of every file; ``manifest`` goes into the workbook's sheet "manifest".
    """
    out = Path(out)
    paths = {"scores": write_csv(out / "scores.csv", result.score_frame())}
    if result.framework.model.peer_groups:
        paths["peers"] = write_csv(out / "peers.csv", result.peer_frame())
    sheets, highlight = stage_sheets(result, manifest)
    paths["stages"] = write_workbook(out / "stages.xlsx", sheets, highlight=highlight)
    return paths
