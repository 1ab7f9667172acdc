"""Building the index of a network and its report: `openindex run` and `openindex report`.

``run`` writes scores.csv, peers.csv, stages.xlsx and manifest.json (:mod:`openindex.report.outputs`)
and, unless asked not to, report.html and results.xlsx; ``report`` writes only the last two.
The report shows every edition: the earlier ones are built here too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from openindex.engine import build
from openindex.engine.result import Result
from openindex.report import ReportOptions, build_editions, read_intervals, report_data, write_report
from openindex.report.outputs import write_run
from openindex.workflows.inputs import Inputs, read_framework_with, read_inputs
from openindex.workflows.manifest import manifest_for

__all__ = ["RunOutcome", "ReportOutcome", "run", "report", "write_report_of"]


@dataclass(frozen=True)
class RunOutcome:
    """What `openindex run` built and wrote.

    Attributes
    ----------
    result : Result
        The edition built.
    notice : str
        The data's notice, or ``""``.
    paths : dict of str to Path
        Every file written, by name (``scores``, ``peers``, ``stages``, ``manifest``, ``report``, ``results``).
    """

    result: Result
    notice: str
    paths: dict[str, Path]

    @property
    def imputed(self) -> int:
        """Number of values imputed."""
        return int(self.result.imputed.sum())

    @property
    def impute_method(self) -> str:
        """The imputation method of the first indicator (the console names it)."""
        return self.result.methods.impute[self.result.framework.indicator_codes[0]].method


@dataclass(frozen=True)
class ReportOutcome:
    """What `openindex report` built and wrote: the files with their sizes in bytes."""

    result: Result
    options: ReportOptions
    notice: str
    files: tuple[tuple[Path, int], ...]


def write_report_of(inputs: Inputs, result: Result, manifest: Mapping[str, Any], out: str | Path, *,
                    options: ReportOptions | None = None, intervals: pd.DataFrame | None = None,
                    intervals_source: str = "") -> dict[str, Path]:
    """Build the earlier editions and write report.html and results.xlsx of ``result`` into ``out``."""
    editions, skipped = build_editions(inputs.framework, inputs.dataset, result.edition, current=result)
    data = report_data(result, editions=editions, skipped=skipped, manifest=manifest, meta=inputs.meta,
                       options=options, intervals=intervals, intervals_source=intervals_source)
    return write_report(data, out)


def run(framework: str, data: str, out: str | Path, *, settings: Mapping[str, Any] | None = None,
        edition: int | None = None, sheet: str | None = None, with_report: bool = True) -> RunOutcome:
    """Build the index of ``data`` and write every output of a run into folder ``out``.

    Parameters
    ----------
    framework, data : str
        The framework file and the data file (recorded in the manifest as given).
    out : str or Path
        The output folder.
    settings : mapping, optional
        Overrides of framework settings by dotted YAML path (``--set``).
    edition : int, optional
        The edition to build (default the latest).
    sheet : str, optional
        The Excel sheet holding the data.
    with_report : bool
        Also write report.html and results.xlsx.
    """
    inputs = read_inputs(framework, data, settings=settings, sheet=sheet)
    result = build(inputs.framework, inputs.dataset, edition=edition)
    manifest = manifest_for(inputs, result, "run")
    paths = write_run(result, out, manifest)
    if with_report:
        paths.update(write_report_of(inputs, result, manifest, out))
    return RunOutcome(result=result, notice=inputs.notice, paths=paths)


def report(framework: str, data: str, out: str | Path, *, settings: Mapping[str, Any] | None = None,
           options: ReportOptions | None = None, uncertainty: str | Path | None = None,
           edition: int | None = None, sheet: str | None = None) -> ReportOutcome:
    """Write the comparison report (report.html, results.xlsx) of ``data`` into folder ``out``.

    ``options`` are checked against the framework, and the rank intervals of an uncertainty
    run folder (``uncertainty``) are read, before the data: a bad option fails before any work.
    Other parameters as in :func:`run`.
    """
    fw = read_framework_with(framework, settings)
    options = options if options is not None else ReportOptions()
    options.check(fw)
    intervals, source = read_intervals(uncertainty) if uncertainty else (None, "")
    inputs = read_inputs(framework, data, settings=settings, sheet=sheet, framework=fw)
    result = build(fw, inputs.dataset, edition=edition)
    manifest = manifest_for(inputs, result, "report")
    paths = write_report_of(inputs, result, manifest, out, options=options, intervals=intervals,
                            intervals_source=source)
    return ReportOutcome(result=result, options=options, notice=inputs.notice,
                         files=tuple((p, p.stat().st_size) for p in paths.values()))
