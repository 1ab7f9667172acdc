"""The statistical audit of a built index (the build and file IO excluded)."""

from __future__ import annotations

from _data import asem, demo

from openindex.analysis.audit import run_audit
from openindex.engine import build


def _audit(get):
    def setup():
        fw, ds = get()
        result = build(fw, ds)
        return lambda: run_audit(result)
    return setup


BENCHMARKS = [
    ("audit: demo network, 40 cities x 53 indicators", _audit(demo), 2.0),
]
if asem() is not None:
    BENCHMARKS.append(("audit: ASEM, 51 countries x 49 indicators", _audit(asem), 2.0))
