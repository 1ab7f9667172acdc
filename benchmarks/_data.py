"""Inputs shared by the benchmarks: the demo network, ASEM, and a generated large network."""

from __future__ import annotations

import tempfile
from functools import cache
from pathlib import Path

import numpy as np

import openindex as oi
from openindex.data.dataset import Dataset

ROOT = Path(__file__).resolve().parents[1]
ASEM = ROOT.parent / "shared" / "datasets" / "asem"


@cache
def demo() -> tuple[oi.Framework, Dataset]:
    fw = oi.read_framework(ROOT / "indicators" / "opencities.yaml")
    return fw, oi.read_dataset(str(ROOT / "datasets" / "demo_network.csv"), fw)


@cache
def asem() -> tuple[oi.Framework, Dataset] | None:
    """ASEM imported with import-coinr into a fresh temporary folder (None when ../shared is absent)."""
    if not (ASEM / "iMeta.csv").exists():
        return None
    from openindex.cli import main

    tmp = str(Path(tempfile.mkdtemp(prefix="openindex-bench-")) / "asem")
    if main(["import-coinr", str(ASEM / "iMeta.csv"), str(ASEM / "iData.csv"), "--out", tmp]) != 0:
        raise RuntimeError("import-coinr of the ASEM example failed")
    fw = oi.read_framework(Path(tmp) / "framework.yaml")
    return fw, oi.read_dataset(str(Path(tmp) / "data.csv"), fw)


@cache
def large(n_units: int = 1000, seed: int = 7) -> tuple[oi.Framework, Dataset]:
    """The default framework over ``n_units`` generated cities (demo distributions resampled with noise)."""
    fw, ds = demo()
    rng = np.random.default_rng(seed)
    base = ds.for_edition()
    pick = rng.integers(0, base.n_units, n_units)
    values = base.values[pick].copy()
    noise = rng.normal(1.0, 0.15, values.shape)
    quantitative = np.array([fw.indicators[c].type == "quantitative" for c in ds.indicators])
    values[:, quantitative] *= np.abs(noise[:, quantitative])
    values[rng.random(values.shape) < 0.02] = np.nan
    units = base.units.iloc[pick].reset_index(drop=True).copy()
    units["unit"] = [f"U{i:04d}" for i in range(n_units)]
    units["name"] = [f"Generated city {i}" for i in range(n_units)]
    answers = base.answers.iloc[pick].reset_index(drop=True)
    return fw, Dataset(units=units, values=values, indicators=ds.indicators, answers=answers,
                       source="generated")


def asem_or_skip():
    data = asem()
    if data is None:
        print("(ASEM benchmarks skipped: ../shared/datasets/asem is absent)")
    return data
