"""JSON schema of framework files, generated from the pydantic models (for editor completion)."""

from __future__ import annotations

import json
from typing import Any

from openindex.model.framework import FrameworkModel

__all__ = ["framework_schema", "framework_schema_json"]



def framework_schema() -> dict[str, Any]:
    """The JSON schema (draft 2020-12) of a framework YAML file."""
    schema = FrameworkModel.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "openindex framework"
    return schema


def framework_schema_json() -> str:
    """The schema as deterministic JSON text (sorted keys, trailing newline)."""
    return json.dumps(framework_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
