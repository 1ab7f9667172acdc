"""The manifest that travels with every output: versions, input hashes, every parameter used.

Identical inputs give an identical manifest: nothing time- or machine-dependent
(no timestamps, no folders) goes in. Input files are named by their file name and
SHA-256 only (:func:`openindex.io.file_name`), so the manifest is the same from any folder.
"""

from __future__ import annotations

import platform
from collections.abc import Mapping
from importlib import metadata
from typing import Any

from openindex.engine.result import Result
from openindex.io import file_name
from openindex.version import __version__

__all__ = ["software_versions", "run_manifest"]

_PACKAGES = ("numpy", "pandas", "scipy", "pydantic", "pyyaml", "openpyxl", "plotly", "pyarrow")


def software_versions() -> dict[str, str]:
    """Versions of openindex, Python and the libraries that shape the numbers."""
    out = {"openindex": __version__, "python": platform.python_version()}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:  # pragma: no cover - optional
            out[name] = "not installed"
    return out


def run_manifest(result: Result, *, framework_path: str, framework_sha256: str, data_path: str,
                 data_sha256: str, settings: Mapping[str, Any] | None = None,
                 data_meta: Mapping[str, Any] | None = None, command: str = "run") -> dict[str, Any]:
    """Everything needed to reproduce ``result``: inputs by file name and hash, the full build spec, methods used.

    ``framework_path`` and ``data_path`` may be given as typed; only their file names are recorded.
    """
    fw = result.framework
    ds = result.input_dataset or result.dataset
    meta = dict(data_meta or {})
    return {
        "command": command,
        "software": software_versions(),
        "framework": {"path": file_name(framework_path), "sha256": framework_sha256, "name": fw.name,
                      "version": fw.model.version, "structure": fw.summary(),
                      "levels": list(fw.level_names)},
        "data": {"path": file_name(data_path), "sha256": data_sha256, "editions": list(ds.editions),
                 "edition_built": result.edition, "units_in_edition": int(result.dataset.n_units
                                                                         + len(result.excluded)),
                 "units_scored": int(result.dataset.n_units),
                 "excluded": result.excluded.to_dict(orient="records"),
                 "excluded_indicators": result.excluded_indicators.to_dict(orient="records"),
                 "notice": meta.get("notice", ""), "synthetic": bool(meta.get("synthetic", False))},
        "settings": dict(settings or {}),
        "build": result.spec.model_dump(mode="json"),
        "methods_used": result.methods.as_dict(),
        "warnings": [str(w) for w in result.warnings],
    }
