"""The manifest that travels with every output of a workflow: the inputs by path and hash, every setting.

See :func:`openindex.engine.manifest.run_manifest`; the workflows add their own entries
(``uncertainty``, ``self_assessment``, ``whatif``).
"""

from __future__ import annotations

from typing import Any

from openindex.engine.manifest import run_manifest
from openindex.engine.result import Result
from openindex.io import sha256_file
from openindex.workflows.inputs import Inputs

__all__ = ["manifest_for"]


def manifest_for(inputs: Inputs, result: Result, command: str) -> dict[str, Any]:
    """The manifest of ``result``, built from ``inputs`` by ``command`` (versions, hashes, methods).

    The data are named by the file of ``inputs`` and its hash (for a self-assessment, the
    network's data file, though ``result`` holds the city too).
    """
    return run_manifest(result, framework_path=inputs.framework_path,
                        framework_sha256=sha256_file(inputs.framework_path), data_path=inputs.data_path,
                        data_sha256=inputs.dataset.sha256, settings=inputs.settings, data_meta=inputs.meta,
                        command=command)
