"""What every workflow reads first: the framework file with its ``--set`` overrides, and the data
file with its sidecar metadata (the synthetic-data notice). A problem list asked for with
``--problems`` is written here too. Nothing here builds an index (the manifest is in
:mod:`openindex.workflows.manifest`), so `openindex validate` stays light.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openindex.data.dataset import Dataset
from openindex.data.validate import read_dataset
from openindex.errors import Problem, problems_to_csv
from openindex.io import check_output_file, problems_by_file_name, read_data_meta, read_framework, write_text
from openindex.model.framework import Framework, with_settings

__all__ = ["Inputs", "read_framework_with", "read_inputs", "read_network", "notice_of", "write_problems"]


@dataclass(frozen=True)
class Inputs:
    """A framework and a dataset as named on the command line.

    Attributes
    ----------
    framework_path, data_path : str
        The files as given (recorded in the manifest as typed, never made absolute).
    framework : Framework
        The framework with ``settings`` applied.
    settings : dict
        The ``--set`` overrides, dotted YAML path -> value.
    dataset : Dataset
        The validated data, every edition.
    meta : dict
        The data file's sidecar (``NAME.meta.yaml``): notice, synthetic, sources...
    """

    framework_path: str
    data_path: str
    framework: Framework
    dataset: Dataset
    settings: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def notice(self) -> str:
        """The data's notice (for example "Synthetic demonstration data ..."), or ``""``."""
        return notice_of(self.meta)


def notice_of(meta: Mapping[str, Any]) -> str:
    """The ``notice`` of a data sidecar, or ``""``."""
    return str(meta.get("notice") or "")


def read_framework_with(path: str, settings: Mapping[str, Any] | None = None) -> Framework:
    """The framework file ``path`` with the ``settings`` overrides applied (none: as written)."""
    fw = read_framework(path)
    return with_settings(fw, settings) if settings else fw


def read_network(path: str, framework: Framework, *, sheet: str | None = None) -> tuple[Dataset, dict[str, Any]]:
    """The validated data file ``path`` and its sidecar metadata."""
    return read_dataset(path, framework, sheet=sheet), read_data_meta(path)


def read_inputs(framework_path: str, data_path: str, *, settings: Mapping[str, Any] | None = None,
                sheet: str | None = None, framework: Framework | None = None) -> Inputs:
    """Read the framework (unless given, already read with ``settings``) and the data against it."""
    fw = framework if framework is not None else read_framework_with(framework_path, settings)
    ds, meta = read_network(data_path, fw, sheet=sheet)
    return Inputs(framework_path=framework_path, data_path=data_path, framework=fw, dataset=ds,
                  settings=dict(settings or {}), meta=meta)


def write_problems(path: str | Path, problems: Iterable[Problem]) -> Path:
    """Write every problem to the CSV file ``path`` (the ``--problems`` option), each file named by its name only."""
    return write_text(check_output_file(path, what="problem list"), problems_to_csv(problems_by_file_name(problems)))
