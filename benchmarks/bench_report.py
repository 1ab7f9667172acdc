"""The comparison report: every edition built, frames and figures, the HTML rendered (file IO excluded).

Target (issue 5): the report of 40 cities x 53 indicators builds in at most 5 s and weighs at most 8 MB;
the size is printed when the benchmark is set up.
"""

from __future__ import annotations

from _data import demo, large

from openindex.report.build import build_report
from openindex.report.render import render_report


def _report(get):
    def setup():
        fw, ds = get()
        size = len(render_report(build_report(fw, ds)).encode("utf-8"))
        print(f"  (report.html: {size / 1e6:.2f} MB for {ds.for_edition().n_units} cities)")
        return lambda: render_report(build_report(fw, ds))
    return setup


BENCHMARKS = [
    ("report: demo network, 40 cities x 53 indicators, 2 editions", _report(demo), 5.0),
    ("report: generated 200 cities x 53 indicators", _report(lambda: large(200)), None),
]
