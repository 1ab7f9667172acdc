"""The public API (``openindex/__init__.py``): every name listed, importable, and loaded only when used."""

from __future__ import annotations

import subprocess
import sys

import pytest

import openindex as oi
from tests.conftest import OPEN_FILES


def test_all_lists_every_export() -> None:
    assert set(oi.__all__) == {"__version__", *oi._EXPORTS}
    assert len(oi.__all__) == len(set(oi.__all__))
    assert set(oi.__all__) <= set(dir(oi))


@pytest.mark.parametrize("name", sorted(oi._EXPORTS))
def test_every_name_resolves_to_its_module(name: str) -> None:
    value = getattr(oi, name)
    assert getattr(sys.modules[oi._EXPORTS[name]], name) is value


def test_unknown_name() -> None:
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        _ = oi.nope


def test_import_openindex_loads_no_heavy_library() -> None:
    code = "import sys, openindex; print(sorted(m for m in ('pandas', 'scipy', 'plotly') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_readme_example() -> None:
    fw = oi.read_framework(OPEN_FILES[0])
    ds = oi.read_dataset(str(OPEN_FILES[1]), fw)
    result = oi.build(fw, ds)
    assert isinstance(result, oi.Result) and result.dataset.n_units == 40
