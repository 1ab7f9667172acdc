"""Analysing a built index: `openindex uncertainty` and `openindex audit`.

``uncertainty`` writes rank_intervals.csv, sensitivity.csv (with Sobol' indices), remove_one.csv,
replications.parquet (when kept) and manifest.json, whose ``uncertainty`` entry records every
setting used; ``audit`` writes one CSV per audit table (external.csv with outside variables), the
standalone audit.html and manifest.json. Each writes its folder whole or not at all
(:class:`openindex.io.OutputSet`); an analysis that would not fit in memory is refused first
(:func:`check_memory`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from openindex.analysis.audit import Audit, run_audit
from openindex.analysis.uncertainty import (
    FactorInfo,
    UncertaintyResult,
    memory_needed,
    remove_one_summary,
    replication_table,
    resolve_factors,
    run_uncertainty,
)
from openindex.data.dataset import Dataset
from openindex.data.external import read_external
from openindex.engine import build
from openindex.engine.result import Result
from openindex.errors import OpenIndexError
from openindex.io import OutputSet, file_name, read_factors, sha256_file, write_csv, write_parquet, write_text
from openindex.model.framework import Framework
from openindex.model.spec import UncertaintySpec
from openindex.report import audit_page, audit_view, finding_messages, flags_frame
from openindex.workflows.inputs import read_framework_with, read_inputs
from openindex.workflows.manifest import manifest_for

__all__ = ["UncertaintyOutcome", "AuditOutcome", "uncertainty", "uncertainty_manifest", "audit", "check_memory",
           "machine_memory"]


@dataclass(frozen=True)
class UncertaintyOutcome:
    """What `openindex uncertainty` computed and wrote.

    Attributes
    ----------
    analysis : UncertaintyResult
        The nominal build, the replications and every summary frame.
    factors : tuple of str
        Names of the uncertain factors.
    seed : int
        Seed of the random draws used.
    notice : str
        The data's notice, or ``""``.
    elapsed : float
        Seconds spent in the analysis (reading and writing files excluded).
    paths : tuple of Path
        Every file written, in order.
    """

    analysis: UncertaintyResult
    factors: tuple[str, ...]
    seed: int
    notice: str
    elapsed: float
    paths: tuple[Path, ...]

    def largest_remove_one_shifts(self, n: int = 3) -> pd.DataFrame:
        """The ``n`` components whose removal shifts the ranks most (mean absolute shift), largest first."""
        summary = remove_one_summary(self.analysis.remove_one)
        return summary.sort_values("mean_abs_shift", ascending=False, kind="stable").head(n)


@dataclass(frozen=True)
class AuditOutcome:
    """What `openindex audit` computed and wrote.

    ``messages`` are the sentences of the findings (one per row of ``audit.flags``), ``notes``
    what the reader should know about the analysis (e.g. no population to control for).
    """

    audit: Audit
    result: Result
    stage: str
    notice: str
    paths: tuple[Path, ...]
    messages: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def summary(self, top: int = 5) -> str:
        """Counts by severity and the ``top`` findings, in words (see :meth:`Audit.summary`)."""
        return self.audit.summary(top, self.messages or None)


def _factor_spec(framework: Framework, framework_path: str,
                 factors: str | None) -> tuple[UncertaintySpec, tuple[FactorInfo, ...]]:
    """The uncertainty spec (the ``--factors`` file, else the framework's section) and its resolved factors."""
    if factors:
        spec, lines, prefix = read_factors(factors)
        return spec, resolve_factors(spec, framework, source=factors, lines=lines, prefix=prefix)
    spec = framework.model.uncertainty
    if spec is None:
        raise OpenIndexError(f"{framework_path} has no `uncertainty:` section: declare the uncertain factors "
                             "there or in a separate file given with --factors FILE.yaml")
    return spec, resolve_factors(spec, framework)


def uncertainty_manifest(res: UncertaintyResult, infos: tuple[FactorInfo, ...], *, runs: int, seed: int,
                         sobol: int | None, factors: str | None) -> dict[str, Any]:
    """The ``uncertainty`` entry of the manifest: the factors and every setting of the analysis as used."""
    return {
        "factors_file": file_name(factors) if factors else "",
        "factors_sha256": sha256_file(factors) if factors else "",
        "runs": runs,
        "seed": seed,
        "random_draws": "numpy.random.default_rng(seed).random((runs, k)), mapped to the factors",
        "factors": [dict(f.spec.model_dump(mode="json", exclude_none=True), name=f.name) for f in infos],
        "percentiles": "numpy 'linear' (Hyndman & Fan type 7)",
        "remove_one_levels": list(range(1, res.nominal.framework.n_levels)),
        "sobol": None if not sobol else {
            "base_points": sobol, "runs": res.sobol_runs,
            "design": "Saltelli, scrambled Sobol' sequence (SALib sobol layout), one group per factor",
            "estimators": "first order: Saltelli et al. 2010; total order: Jansen 1999",
            "bootstrap_resamples": res.num_resamples, "conf_level": res.conf_level, "seed": seed},
    }


def uncertainty(framework: str, data: str, out: str | Path, *, settings: Mapping[str, Any] | None = None,
                runs: int | None = None, seed: int | None = None, factors: str | None = None,
                sobol: int | None = None, workers: int = 1, chunk_size: int | None = None,
                keep_replications: bool = False, edition: int | None = None, sheet: str | None = None,
                progress: bool = False) -> UncertaintyOutcome:
    """Monte Carlo rank intervals, remove-one shifts and (with ``sobol``) Sobol' indices, written to ``out``.

    Parameters
    ----------
    framework, data, out, settings, edition, sheet
        As in :func:`openindex.workflows.index.run`; ``settings`` change the nominal build.
    runs, seed : int, optional
        Monte Carlo replications and seed (default: the spec's).
    factors : str, optional
        A file declaring the uncertain factors (default: the framework's ``uncertainty:`` section).
    sobol : int, optional
        Base points N of a Saltelli design for Sobol' indices (N x (factors + 2) runs).
    workers, chunk_size : parallelism and memory; the results do not depend on them.
    keep_replications : bool
        Also write replications.parquet: every replication's factor values beside each unit's
        scores and ranks (:func:`openindex.analysis.uncertainty.replication_table`).
    progress : bool
        Report progress on standard error.
    """
    fw = read_framework_with(framework, settings)
    spec, infos = _factor_spec(fw, framework, factors)
    if sobol and not infos:
        raise OpenIndexError("--sobol needs at least one uncertain factor")
    runs = spec.runs if runs is None else runs
    seed = spec.seed if seed is None else seed
    with OutputSet(out, inputs=(framework, data, *([factors] if factors else []))) as target:
        inputs = read_inputs(framework, data, settings=settings, sheet=sheet, framework=fw)
        check_memory(fw, inputs.dataset, runs, len(infos), keep_all=keep_replications,
                     sobol_runs=(sobol or 0) * (len(infos) + 2))
        t0 = time.perf_counter()
        res = run_uncertainty(fw, inputs.dataset, spec, runs=runs, seed=seed, sobol=sobol, edition=edition,
                              workers=workers, chunk_size=chunk_size, progress=progress,
                              keep="all" if keep_replications else "index")
        elapsed = time.perf_counter() - t0
        manifest = manifest_for(inputs, res.nominal, "uncertainty")
        manifest["uncertainty"] = uncertainty_manifest(res, infos, runs=runs, seed=seed, sobol=sobol,
                                                       factors=factors)
        folder = target.folder
        paths = [write_csv(folder / "rank_intervals.csv", res.intervals)]
        if res.sensitivity is not None:
            paths.append(write_csv(folder / "sensitivity.csv", res.sensitivity))
        paths.append(write_csv(folder / "remove_one.csv", res.remove_one))
        if keep_replications:
            paths.append(write_parquet(folder / "replications.parquet", replication_table(res.replications, fw)))
        manifest_path = target.commit(manifest)
    return UncertaintyOutcome(analysis=res, factors=tuple(f.name for f in infos), seed=seed, notice=inputs.notice,
                              elapsed=elapsed, paths=(*map(target.final, paths), manifest_path))


def machine_memory() -> int:
    """Bytes of physical memory of this machine (0 when the system does not say)."""
    try:
        return int(os.sysconf("SC_PHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return 0


def _size(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB", "TB", "PB"):
        if n < 1000 or unit == "PB":
            return f"{n:,.0f} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1000
    return ""  # pragma: no cover


def check_memory(framework: Framework, dataset: Dataset, runs: int, n_factors: int, *, keep_all: bool = False,
                 sobol_runs: int = 0, available: int | None = None) -> None:
    """Refuse, before anything is allocated, an analysis that needs more memory than the machine has.

    The need is :func:`openindex.analysis.uncertainty.memory_needed`; ``available`` defaults to
    :func:`machine_memory` (no check when unknown).
    """
    have = machine_memory() if available is None else available
    sizes = [len(codes) for codes in framework.levels]
    n_units = len(set(dataset.unit_codes))
    need = memory_needed(n_units, sizes, runs, n_factors, keep_all=keep_all, sobol_runs=sobol_runs)
    if not have or need <= have:
        return
    per = memory_needed(n_units, sizes, 1, n_factors, keep_all=keep_all) - memory_needed(n_units, sizes, 0, n_factors)
    fit = max(0, (have - memory_needed(n_units, sizes, 0, n_factors, sobol_runs=sobol_runs)) // per)
    what = f"{runs:,} replications" + (f" and {sobol_runs:,} Sobol' runs" if sobol_runs else "")
    advice = (f"use at most about {fit:,} --runs" if fit else "use fewer --runs") + (
        " or a smaller --sobol" if sobol_runs else "") + (" (or leave out --keep-replications)" if keep_all else "")
    raise OpenIndexError(f"{what} of {n_units} units would need about {_size(need)} of memory, and this machine has "
                         f"{_size(have)}: {advice}")


def audit(framework: str, data: str, out: str | Path, *, settings: Mapping[str, Any] | None = None,
          stage: str = "normalised", edition: int | None = None, sheet: str | None = None,
          external: str | None = None, external_sheet: str | None = None, lang: str = "en") -> AuditOutcome:
    """The statistical audit of the built index: one CSV per table and audit.html, written to ``out``.

    ``stage`` is the indicator values audited: ``"normalised"`` (indicators with the
    aggregates) or ``"aggregated"`` (aggregates only). ``external`` is a CSV or Excel file of
    outside variables (:func:`openindex.data.external.read_external`; ``external_sheet`` its
    sheet): the index and every node are correlated with them, plain and controlling for log
    population, into external.csv. ``lang`` is the language of audit.html and of the
    ``message`` column of flags.csv. Other parameters as in :func:`openindex.workflows.index.run`.
    """
    inputs = read_inputs(framework, data, settings=settings, sheet=sheet)
    result = build(inputs.framework, inputs.dataset, edition=edition)
    variables = (read_external(external, inputs.framework, inputs.dataset.unit_codes, edition=result.edition,
                               sheet=external_sheet) if external else None)
    found = run_audit(result, stage=stage, external=variables)
    messages = finding_messages(found, lang)
    notes = ((audit_view(found, lang).text("audit_size_" + found.size.status),)
             if found.size is not None and found.size.status != "used" else ())
    tables = {**found.tables(), "flags": flags_frame(found, lang)}
    with OutputSet(out, inputs=(framework, data, *([external] if external else []))) as target:
        paths = [write_csv(target.path(f"{stem}.csv"), frame) for stem, frame in tables.items()]
        paths.append(write_text(target.path("audit.html"), audit_page(found, notice=inputs.notice, lang=lang)))
        target.commit(manifest_for(inputs, result, "audit"))
    paths = [target.final(p) for p in paths]
    return AuditOutcome(audit=found, result=result, stage=stage, notice=inputs.notice, paths=tuple(paths),
                        messages=tuple(messages), notes=notes)
