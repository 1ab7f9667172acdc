"""Building the index of a network and its report: `openindex run` and `openindex report`.

``run`` writes scores.csv, peers.csv, stages.xlsx and manifest.json (:mod:`openindex.report.outputs`)
and, unless asked not to, report.html and results.xlsx; ``report`` writes only the last two (and
manifest.json). The report shows every edition: the earlier ones are built here too.

Each writes its folder whole or not at all (:class:`openindex.io.OutputSet`). A report written into
the folder of a run of the same build (same inputs, settings and edition) joins its outputs, and
manifest.json lists them all; beside the outputs of another build, it replaces them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from openindex.data.external import read_external
from openindex.engine import build
from openindex.engine.result import Result
from openindex.io import OutputSet, sha256_file
from openindex.report import ReportOptions, UncertaintyRun, build_editions, read_uncertainty, report_data, write_report
from openindex.report.outputs import write_run
from openindex.workflows.inputs import Inputs, read_framework_with, read_inputs
from openindex.workflows.manifest import manifest_for, same_build

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
                    intervals_source: str = "", uncertainty: UncertaintyRun | None = None,
                    external: pd.DataFrame | None = None) -> dict[str, Path]:
    """Build the earlier editions and write report.html and results.xlsx of ``result`` into ``out``."""
    editions, skipped = build_editions(inputs.framework, inputs.dataset, result.edition, current=result)
    data = report_data(result, editions=editions, skipped=skipped, manifest=manifest, meta=inputs.meta,
                       options=options, intervals=intervals, intervals_source=intervals_source,
                       uncertainty=uncertainty, external=external)
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
    with OutputSet(out, inputs=(framework, data)) as target:
        inputs = read_inputs(framework, data, settings=settings, sheet=sheet)
        result = build(inputs.framework, inputs.dataset, edition=edition)
        manifest = manifest_for(inputs, result, "run")
        written = write_run(result, target.folder, manifest)
        reported = write_report_of(inputs, result, manifest, target.folder) if with_report else {}
        manifest_path = target.commit(manifest)
    paths = {name: target.final(p) for name, p in written.items()}
    paths["manifest"] = manifest_path
    paths.update({name: target.final(p) for name, p in reported.items()})
    return RunOutcome(result=result, notice=inputs.notice, paths=paths)


def report(framework: str, data: str, out: str | Path, *, settings: Mapping[str, Any] | None = None,
           options: ReportOptions | None = None, uncertainty: str | Path | None = None,
           edition: int | None = None, sheet: str | None = None, external: str | None = None) -> ReportOutcome:
    """Write the comparison report (report.html, results.xlsx) of ``data`` into folder ``out``.

    ``options`` are checked against the framework, and the outputs of an uncertainty run folder
    (``uncertainty``: rank intervals, Sobol' indices, remove-one scores) are read, before the
    data: a bad option fails before any work. ``external`` is a file of outside variables for
    the audit tab (as ``openindex audit --external``; recorded in the manifest by name and hash).
    Other parameters as in :func:`run`.
    """
    fw = read_framework_with(framework, settings)
    options = options if options is not None else ReportOptions()
    options.check(fw)
    uncertainty_run, source = read_uncertainty(uncertainty) if uncertainty else (None, "")
    with OutputSet(out, inputs=(framework, data)) as target:
        inputs = read_inputs(framework, data, settings=settings, sheet=sheet, framework=fw)
        result = build(fw, inputs.dataset, edition=edition)
        manifest = manifest_for(inputs, result, "report")
        variables = None
        if external:
            variables = read_external(external, fw, inputs.dataset.unit_codes, edition=result.edition)
            manifest["audit_external"] = {"file": Path(external).name, "sha256": sha256_file(external)}
        paths = write_report_of(inputs, result, manifest, target.folder, options=options, uncertainty=uncertainty_run,
                                intervals_source=source, external=variables)
        earlier = target.previous
        if earlier is not None and same_build(earlier, manifest):  # beside the outputs of the same build
            target.commit(earlier, keep_previous=True)
        else:
            target.commit(manifest)
    finals = [target.final(p) for p in paths.values()]
    return ReportOutcome(result=result, options=options, notice=inputs.notice,
                         files=tuple((p, p.stat().st_size) for p in finals))
