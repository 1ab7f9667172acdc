"""Analysing a built index: `openindex uncertainty` and `openindex audit`.

``uncertainty`` writes rank_intervals.csv, sensitivity.csv (with Sobol' indices), remove_one.csv,
replications.parquet (when kept) and manifest.json, whose ``uncertainty`` entry records every
setting used; ``audit`` writes one CSV per audit table and the standalone audit.html.
"""

from __future__ import annotations

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
    remove_one_summary,
    resolve_factors,
    run_uncertainty,
)
from openindex.engine import build
from openindex.engine.result import Result
from openindex.errors import OpenIndexError
from openindex.io import read_factors, sha256_file, write_csv, write_json, write_parquet, write_text
from openindex.model.framework import Framework
from openindex.model.spec import UncertaintySpec
from openindex.report import audit_page
from openindex.workflows.inputs import read_framework_with, read_inputs
from openindex.workflows.manifest import manifest_for

__all__ = ["UncertaintyOutcome", "AuditOutcome", "uncertainty", "uncertainty_manifest", "audit"]


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
    """What `openindex audit` computed and wrote."""

    audit: Audit
    result: Result
    stage: str
    notice: str
    paths: tuple[Path, ...]


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
        "factors_file": factors or "",
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
        Also write every replication's scores and ranks to replications.parquet.
    progress : bool
        Report progress on standard error.
    """
    fw = read_framework_with(framework, settings)
    spec, infos = _factor_spec(fw, framework, factors)
    if sobol and not infos:
        raise OpenIndexError("--sobol needs at least one uncertain factor")
    runs = spec.runs if runs is None else runs
    seed = spec.seed if seed is None else seed
    inputs = read_inputs(framework, data, settings=settings, sheet=sheet, framework=fw)
    t0 = time.perf_counter()
    res = run_uncertainty(fw, inputs.dataset, spec, runs=runs, seed=seed, sobol=sobol, edition=edition,
                          workers=workers, chunk_size=chunk_size, progress=progress,
                          keep="all" if keep_replications else "index")
    elapsed = time.perf_counter() - t0
    manifest = manifest_for(inputs, res.nominal, "uncertainty")
    manifest["uncertainty"] = uncertainty_manifest(res, infos, runs=runs, seed=seed, sobol=sobol, factors=factors)
    out = Path(out)
    paths = [write_csv(out / "rank_intervals.csv", res.intervals)]
    if res.sensitivity is not None:
        paths.append(write_csv(out / "sensitivity.csv", res.sensitivity))
    paths.append(write_csv(out / "remove_one.csv", res.remove_one))
    if keep_replications:
        paths.append(write_parquet(out / "replications.parquet", res.replications.frame()))
    paths.append(write_json(out / "manifest.json", manifest))
    return UncertaintyOutcome(analysis=res, factors=tuple(f.name for f in infos), seed=seed, notice=inputs.notice,
                              elapsed=elapsed, paths=tuple(paths))


def audit(framework: str, data: str, out: str | Path, *, settings: Mapping[str, Any] | None = None,
          stage: str = "normalised", edition: int | None = None, sheet: str | None = None) -> AuditOutcome:
    """The statistical audit of the built index: one CSV per table and audit.html, written to ``out``.

    ``stage`` is the indicator values audited: ``"normalised"`` (indicators with the
    aggregates) or ``"aggregated"`` (aggregates only). Other parameters as in
    :func:`openindex.workflows.index.run`.
    """
    inputs = read_inputs(framework, data, settings=settings, sheet=sheet)
    result = build(inputs.framework, inputs.dataset, edition=edition)
    found = run_audit(result, stage=stage)
    out = Path(out)
    paths = [write_csv(out / f"{stem}.csv", frame) for stem, frame in found.tables().items()]
    paths.append(write_text(out / "audit.html", audit_page(found, notice=inputs.notice)))
    return AuditOutcome(audit=found, result=result, stage=stage, notice=inputs.notice, paths=tuple(paths))
