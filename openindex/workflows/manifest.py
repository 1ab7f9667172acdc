"""The manifest that travels with every output of a workflow: the inputs by path and hash, every setting.

See :func:`openindex.engine.manifest.run_manifest`; the workflows add their own entries
(``uncertainty``, ``self_assessment``, ``whatif``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from openindex.engine.manifest import run_manifest
from openindex.engine.result import Result
from openindex.io import sha256_file
from openindex.workflows.inputs import Inputs

__all__ = ["manifest_for", "same_build"]


def manifest_for(inputs: Inputs, result: Result, command: str) -> dict[str, Any]:
    """The manifest of ``result``, built from ``inputs`` by ``command`` (versions, hashes, methods).

    The data are named by the file of ``inputs`` and its hash (for a self-assessment, the
    network's data file, though ``result`` holds the city too).
    """
    return run_manifest(result, framework_path=inputs.framework_path,
                        framework_sha256=sha256_file(inputs.framework_path), data_path=inputs.data_path,
                        data_sha256=inputs.dataset.sha256, settings=inputs.settings, data_meta=inputs.meta,
                        command=command)


def same_build(earlier: Mapping[str, Any], manifest: Mapping[str, Any]) -> bool:
    """Whether two manifests record the same build (inputs, settings, edition, software), whatever the command.

    ``earlier`` is read from a manifest.json, ``manifest`` freshly made: both are compared as JSON.
    """
    def plain(m: Mapping[str, Any]) -> Any:
        return json.loads(json.dumps({k: v for k, v in m.items() if k not in ("command", "files")}, sort_keys=True,
                                     default=str))

    return bool(plain(earlier) == plain(manifest))
