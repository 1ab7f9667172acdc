"""The construction methods: families of small registered pure functions over arrays with leading batch axes.

One module per construction step (:data:`~openindex.methods.registry.STEPS`): ``denominate``,
``impute``, ``treat``, ``normalise``, ``weight``, ``aggregate``; plus ``rank`` (ranks and ties)
and ``stats`` (NaN-aware statistics shared by the methods). Importing this package registers
every method, so :func:`registry_for` always sees them all.
"""

from __future__ import annotations

from openindex.methods import aggregate, denominate, impute, normalise, treat, weight
from openindex.methods.registry import REGISTRIES, STEPS, Registry, unknown_step

__all__ = ["STEPS", "registry_for", "aggregate", "denominate", "impute", "normalise", "treat", "weight"]


def registry_for(family: str) -> Registry:
    """Return the registry of a construction step (every method of :data:`STEPS` is registered)."""
    try:
        return REGISTRIES[family]
    except KeyError:
        raise unknown_step(family) from None
