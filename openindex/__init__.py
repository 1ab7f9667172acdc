"""openindex: composite indicators for benchmarking cities on openness and intercultural integration.

The public API::

    import openindex as oi
    fw = oi.read_framework("indicators/opencities.yaml")
    ds = oi.read_dataset("datasets/demo_network.csv", fw)
"""

from __future__ import annotations

__version__ = "0.1.0"

from .dataset import Dataset
from .errors import DataError, FrameworkError, InputError, MethodError, OpenIndexError, Problem
from .framework import Framework, parse_framework, with_settings
from .io import read_framework, read_table
from .validate import load_dataset, read_dataset

__all__ = [
    "__version__",
    "Dataset",
    "DataError",
    "Framework",
    "FrameworkError",
    "InputError",
    "MethodError",
    "OpenIndexError",
    "Problem",
    "load_dataset",
    "parse_framework",
    "read_dataset",
    "read_framework",
    "read_table",
    "with_settings",
]
