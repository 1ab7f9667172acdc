"""The engine: one full build (file IO excluded)."""

from __future__ import annotations

from _data import asem, demo, large

from openindex.engine import build


def _build(get):
    def setup():
        fw, ds = get()
        return lambda: build(fw, ds)
    return setup


BENCHMARKS = [
    ("engine: demo network, 40 cities x 53 indicators", _build(demo), None),
    ("engine: generated 1,000 cities x 53 indicators", _build(large), 0.5),
]
if asem() is not None:
    BENCHMARKS.append(("engine: ASEM, 51 countries x 49 indicators", _build(asem), None))
