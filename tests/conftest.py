"""Shared fixtures: a tiny hand-written framework and data set, paths to bundled files."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
ASEM = SHARED / "datasets" / "asem"
ICC_FILES = (ROOT / "indicators" / "icc.yaml", ROOT / "datasets" / "icc_demo_answers.csv")
OPEN_FILES = (ROOT / "indicators" / "opencities.yaml", ROOT / "datasets" / "demo_network.csv")

TINY_YAML = """\
name: Tiny test index
levels: [Indicator, Area, Index]
attributes:
  - {code: population, name: Population, kind: numeric}
  - {code: region, name: Region, kind: categorical}
aggregates:
  - {code: INDEX, name: Tiny index}
  - {code: econ, name: Economy, parent: INDEX, weight: 1}
  - {code: social, name: Social, parent: INDEX, weight: 1}
indicators:
  - {code: gdp, name: GDP per capita, parent: econ, unit: EUR}
  - {code: jobs, name: Employment rate, parent: econ, unit: "%"}
  - {code: firms, name: Foreign firms, parent: econ, denominator: population}
  - {code: crime, name: Crime rate, parent: social, direction: -1}
  - {code: trust, name: Trust, parent: social, goalposts: [0, 10]}
  - code: strategy
    name: Integration strategy
    parent: social
    type: questionnaire
    options:
      - {code: none, label: No strategy, points: 0}
      - {code: draft, label: In preparation, points: 50}
      - {code: adopted, label: Adopted, points: 100}
"""

TINY_CSV = """\
unit,name,edition,population,region,gdp,jobs,firms,crime,trust,strategy
AAA,Alpha,2025,100000,North,30000,70,12,50,6,adopted
BBB,Beta,2025,250000,North,25000,65,20,60,5,draft
CCC,Gamma,2025,50000,South,40000,72,3,40,7,none
DDD,Delta,2025,500000,South,20000,60,45,80,4,draft
EEE,Epsilon,2025,80000,South,35000,,8,45,8,adopted
"""


@pytest.fixture
def tiny_dict() -> dict:
    return copy.deepcopy(yaml.safe_load(TINY_YAML))


@pytest.fixture
def tiny_paths(tmp_path: Path) -> tuple[Path, Path]:
    fw = tmp_path / "tiny.yaml"
    fw.write_text(TINY_YAML, encoding="utf-8")
    data = tmp_path / "tiny.csv"
    data.write_text(TINY_CSV, encoding="utf-8")
    return fw, data


@pytest.fixture
def asem_dir() -> Path:
    if not (ASEM / "iMeta.csv").exists():
        pytest.skip(f"the ASEM dataset is not available at {ASEM} (it lives in ../shared, beside the repository)")
    return ASEM


def _network(files):
    import openindex as oi
    from openindex.engine import build

    fw = oi.read_framework(files[0])
    ds = oi.read_dataset(str(files[1]), fw)
    return fw, ds, build(fw, ds)


@pytest.fixture(scope="session")
def icc():
    """The ICC-style framework, its demo answers and their build: (framework, dataset, result)."""
    return _network(ICC_FILES)


@pytest.fixture(scope="session")
def opencities():
    """The default framework, the demo network and its build: (framework, dataset, result)."""
    return _network(OPEN_FILES)
