"""The ``openindex`` command line: a thin layer over the public API.

Exit codes: 0 success; 2 bad input (every problem printed, no traceback);
1 an unexpected internal error (traceback only with ``--debug``).
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from openindex.errors import InputError, OpenIndexError, problems_to_csv
from openindex.version import __version__

EXIT_OK, EXIT_INTERNAL, EXIT_INPUT = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="openindex",
        description="Composite indicators for benchmarking cities: validate, build, report.",
    )
    p.add_argument("--version", action="version", version=f"openindex {__version__}")
    p.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    v = sub.add_parser("validate", help="check a framework (and a data file against it)")
    v.add_argument("framework", help="framework YAML file")
    v.add_argument("--data", help="data file (.csv, .xlsx, .parquet; wide or long layout)")
    v.add_argument("--sheet", help="Excel sheet holding the data (default: the only sheet, or 'data')")
    v.add_argument("--problems", metavar="FILE.csv", help="also write every problem found to this CSV file")

    s = sub.add_parser("schema", help="write the JSON schema of framework files (editor completion)")
    s.add_argument("--out", default="indicators/framework.schema.json", help="default: %(default)s")

    c = sub.add_parser("import-coinr", help="convert COINr iMeta/iData tables to framework.yaml + data.csv")
    c.add_argument("imeta", help="COINr iMeta table (.csv)")
    c.add_argument("idata", help="COINr iData table (.csv)")
    c.add_argument("--out", required=True, help="output folder")
    c.add_argument("--levels", help="level names bottom-up, comma-separated (e.g. Indicator,Pillar,Sub-index,Index)")
    c.add_argument("--name", default="", help="name of the index")

    r = sub.add_parser("run", help="build the index: scores.csv, stages.xlsx, manifest.json, report.html, "
                       "results.xlsx")
    r.add_argument("framework", help="framework YAML file")
    r.add_argument("data", help="data file (.csv, .xlsx, .parquet; wide or long layout)")
    r.add_argument("--out", required=True, help="output folder")
    r.add_argument("--set", dest="settings", action="append", default=[], metavar="KEY=VALUE",
                   help="override a framework setting by its YAML path, e.g. build.normalise.method=zscore "
                        "(repeatable; VALUE is read as YAML)")
    r.add_argument("--edition", type=int, help="edition to build (default: the latest)")
    r.add_argument("--sheet", help="Excel sheet holding the data")
    r.add_argument("--top", type=int, default=10, help="rows of the ranking to print (default: %(default)s)")
    r.add_argument("--no-report", action="store_true", help="do not write report.html and results.xlsx")

    rp = sub.add_parser("report", help="the comparison report: one self-contained report.html, and results.xlsx")
    rp.add_argument("framework", help="framework YAML file")
    rp.add_argument("data", help="data file (.csv, .xlsx, .parquet; wide or long layout)")
    rp.add_argument("--out", required=True, help="output folder")
    rp.add_argument("--uncertainty", metavar="DIR", help="output folder of `openindex uncertainty` (its "
                    "rank_intervals.csv): show median ranks and 90%% rank intervals")
    rp.add_argument("--no-ranks", action="store_true", help="hide every rank: a profile report without league "
                    "table (OPENCities style)")
    rp.add_argument("--peer-group", metavar="CODE", help="peer-group definition of the framework to compare with "
                    "(default: the first one defined; '' for none)")
    rp.add_argument("--title", help="title of the report (default: the framework's name)")
    rp.add_argument("--lang", default="en", help="language of the report: en, fr or de (default: %(default)s)")
    rp.add_argument("--set", dest="settings", action="append", default=[], metavar="KEY=VALUE",
                    help="override a framework setting by its YAML path (repeatable; VALUE is read as YAML)")
    rp.add_argument("--edition", type=int, help="edition to report on (default: the latest); earlier editions "
                    "are built for the change since the previous edition")
    rp.add_argument("--sheet", help="Excel sheet holding the data")

    u = sub.add_parser("uncertainty", help="Monte Carlo rank intervals, Sobol' sensitivity, remove-one analysis")
    u.add_argument("framework", help="framework YAML file (its `uncertainty:` section declares the factors)")
    u.add_argument("data", help="data file (.csv, .xlsx, .parquet; wide or long layout)")
    u.add_argument("--out", required=True, help="output folder")
    u.add_argument("--runs", type=int, help="Monte Carlo replications (default: the spec's `runs`)")
    u.add_argument("--seed", type=int, help="seed of the random draws (default: the spec's `seed`)")
    u.add_argument("--factors", metavar="F.yaml", help="uncertain factors in a separate file (instead of the "
                   "framework's `uncertainty:` section)")
    u.add_argument("--sobol", type=int, metavar="N", help="also compute Sobol' indices on a Saltelli design with N "
                   "base points (N x (factors + 2) runs; a power of 2 is best)")
    u.add_argument("--workers", type=int, default=1, help="worker processes (default: %(default)s); the results "
                   "do not depend on it")
    u.add_argument("--chunk-size", type=int, help="replications per chunk (default: about 256 MB per chunk); the "
                   "results do not depend on it")
    u.add_argument("--set", dest="settings", action="append", default=[], metavar="KEY=VALUE",
                   help="override a setting of the nominal build by its YAML path (repeatable; VALUE is read as YAML)")
    u.add_argument("--keep-replications", action="store_true",
                   help="also write every replication's scores and ranks (every aggregate level) to "
                        "replications.parquet")
    u.add_argument("--edition", type=int, help="edition to build (default: the latest)")
    u.add_argument("--sheet", help="Excel sheet holding the data")
    u.add_argument("--top", type=int, default=10, help="rows of the ranking to print (default: %(default)s)")

    m = sub.add_parser("methods", help="list the registered methods of every construction step")
    m.add_argument("step", nargs="?", help="only this step (normalise, aggregate, ...)")

    a = sub.add_parser("audit", help="statistical audit: correlations, Cronbach's alpha, PCA, importance, flags")
    a.add_argument("framework", help="framework YAML file")
    a.add_argument("data", help="data file (.csv, .xlsx, .parquet; wide or long layout)")
    a.add_argument("--out", required=True, help="output folder")
    a.add_argument("--set", dest="settings", action="append", default=[], metavar="KEY=VALUE",
                   help="override a framework setting by its YAML path (repeatable; VALUE is read as YAML)")
    a.add_argument("--stage", choices=("normalised", "aggregated"), default="normalised",
                   help="indicator values to audit: normalised indicators with the aggregates, or the "
                        "aggregates only (default: %(default)s)")
    a.add_argument("--edition", type=int, help="edition to build (default: the latest)")
    a.add_argument("--sheet", help="Excel sheet holding the data")
    a.add_argument("--top", type=int, default=5, help="findings to print (default: %(default)s)")
    _self_assessment_parsers(sub)
    return p


def _self_assessment_parsers(sub: Any) -> None:
    """The parsers of `template`, `self-assess` and `whatif`."""
    t = sub.add_parser("template", help="write the self-assessment questionnaire of a framework as an Excel "
                       "workbook (dropdowns, number checks, protected layout)")
    t.add_argument("framework", help="framework YAML file")
    t.add_argument("--out", required=True, metavar="FILE.xlsx", help="workbook to write")
    t.add_argument("--lang", default="en", help="language of the workbook: en, fr or de (default: %(default)s)")
    t.add_argument("--unit", metavar="CODE", help="the city's code; with --network, its current values and "
                   "answers are filled in")
    t.add_argument("--network", metavar="DATA", help="the network's data file: plausible ranges of the numbers, "
                   "categories, and the values of --unit")
    t.add_argument("--edition", type=int, help="edition of --network to prefill from (default: the latest)")
    t.add_argument("--sheet", help="Excel sheet holding the network's data")

    s = sub.add_parser("self-assess", help="check a filled questionnaire and score the city against the network "
                       "held fixed: profile.html, scores.csv, what-if")
    s.add_argument("framework", help="framework YAML file")
    s.add_argument("workbook", metavar="FILLED.xlsx", help="the questionnaire made by `openindex template`, filled in")
    s.add_argument("--network", required=True, metavar="DATA", help="the network's data file")
    s.add_argument("--out", required=True, help="output folder")
    s.add_argument("--unit", metavar="CODE", help="the city's code (default: the one in the workbook)")
    s.add_argument("--name", help="the city's name (default: the one in the workbook)")
    s.add_argument("--lang", help="language of the profile: en, fr or de (default: the workbook's)")
    s.add_argument("--peer-group", metavar="CODE", help="peer-group definition to compare with (default: the "
                   "framework's first; '' for none)")
    s.add_argument("--limit", type=int, default=20_000, help="largest number of sets the exact what-if search may "
                   "check (default: %(default)s)")
    s.add_argument("--edition", type=int, help="edition of the network to score against (default: the latest)")
    s.add_argument("--sheet", help="Excel sheet holding the network's data")
    s.add_argument("--set", dest="settings", action="append", default=[], metavar="KEY=VALUE",
                   help="override a framework setting by its YAML path (repeatable; VALUE is read as YAML)")
    s.add_argument("--problems", metavar="FILE.csv", help="also write every problem found to this CSV file")

    w = sub.add_parser("whatif", help="what would move a unit's score: the gain of each single improvement and "
                       "the fewest changes that reach a target")
    w.add_argument("framework", help="framework YAML file")
    w.add_argument("data", help="data file (.csv, .xlsx, .parquet; wide or long layout)")
    w.add_argument("--unit", required=True, metavar="CODE", help="the unit (city) to improve")
    w.add_argument("--out", required=True, help="output folder")
    w.add_argument("--target", choices=("next-rank", "peer-mean"), default="next-rank",
                   help="a better index rank, or the peer-group average of the index (default: %(default)s)")
    w.add_argument("--peer-group", metavar="CODE", help="peer-group definition (default: the framework's first; "
                   "'' for none)")
    w.add_argument("--limit", type=int, default=20_000, help="largest number of sets the exact search may check "
                   "(default: %(default)s); beyond it the greedy result is reported as such")
    w.add_argument("--lang", default="en", help="language of profile.html: en, fr or de (default: %(default)s)")
    w.add_argument("--set", dest="settings", action="append", default=[], metavar="KEY=VALUE",
                   help="override a framework setting by its YAML path (repeatable; VALUE is read as YAML)")
    w.add_argument("--edition", type=int, help="edition to build (default: the latest)")
    w.add_argument("--sheet", help="Excel sheet holding the data")
    w.add_argument("--top", type=int, default=5, help="gains to print (default: %(default)s)")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``openindex`` console script."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_INPUT
    try:
        return int(COMMANDS[args.command](args) or EXIT_OK)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        _export_problems(args, exc)
        return EXIT_INPUT
    except OpenIndexError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # an internal error: say so plainly
        if args.debug:
            traceback.print_exc()
        else:
            print(f"internal error: {type(exc).__name__}: {exc}\n(rerun with --debug for the traceback, and "
                  "please report it)", file=sys.stderr)
        return EXIT_INTERNAL


def _export_problems(args: argparse.Namespace, exc: InputError) -> None:
    target = getattr(args, "problems", None)
    if target:
        from openindex.io import write_text

        write_text(target, problems_to_csv(exc.problems))
        print(f"problems written to {target}", file=sys.stderr)


# ---- commands ------------------------------------------------------------------------


def cmd_validate(args: argparse.Namespace) -> int:
    from openindex.data.validate import coverage_summary, read_dataset
    from openindex.io import read_framework, write_text

    fw = read_framework(args.framework)
    print(f"{args.framework}: {fw.name}")
    print(f"  {fw.summary()}")
    n_q = sum(i.type == "questionnaire" for i in fw.indicators.values())
    if n_q:
        print(f"  {n_q} of the indicators are questionnaire items")
    if args.data:
        ds = read_dataset(args.data, fw, sheet=args.sheet)
        print(f"{args.data}: {len(set(ds.unit_codes))} units, editions {', '.join(map(str, ds.editions))}")
        for line in coverage_summary(ds, fw).splitlines():
            print(f"  {line}")
        if args.problems:
            from openindex.errors import problems_to_csv

            write_text(args.problems, problems_to_csv(ds.warnings))
    print("valid")
    return EXIT_OK


def parse_settings(pairs: Sequence[str]) -> dict[str, Any]:
    """``["a.b=1", "c=zscore"]`` -> ``{"a.b": 1, "c": "zscore"}`` (values read as YAML scalars)."""
    from openindex.io import load_yaml_text

    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise OpenIndexError(f"--set needs KEY=VALUE, e.g. build.normalise.method=zscore; got '{pair}'")
        try:
            out[key.strip()] = load_yaml_text(value) if value.strip() else ""
        except yaml.YAMLError:
            out[key.strip()] = value
    return out


def _framework_from_args(args: argparse.Namespace) -> tuple[Any, dict[str, Any]]:
    """The framework named on the command line, with its ``--set`` overrides applied."""
    from openindex.io import read_framework
    from openindex.model.framework import with_settings

    settings = parse_settings(getattr(args, "settings", []) or [])
    fw = read_framework(args.framework)
    return (with_settings(fw, settings) if settings else fw), settings


def _data_from_args(args: argparse.Namespace, fw: Any) -> tuple[Any, dict[str, Any]]:
    """The validated dataset named on the command line and its sidecar metadata (the synthetic notice)."""
    from openindex.data.validate import read_dataset
    from openindex.io import read_data_meta

    return read_dataset(args.data, fw, sheet=args.sheet), read_data_meta(args.data)


def _manifest(args: argparse.Namespace, result: Any, settings: dict[str, Any], meta: dict[str, Any],
              command: str) -> dict[str, Any]:
    from openindex.engine.manifest import run_manifest
    from openindex.io import sha256_file

    return run_manifest(result, framework_path=args.framework, framework_sha256=sha256_file(args.framework),
                        data_path=args.data, data_sha256=result.input_dataset.sha256, settings=settings,
                        data_meta=meta, command=command)


def _print_notice(meta: dict[str, Any]) -> None:
    if meta.get("notice"):
        print(f"NOTE: {meta['notice']}")


def cmd_run(args: argparse.Namespace) -> int:
    from openindex.engine.build import build
    from openindex.report.outputs import write_run

    fw, settings = _framework_from_args(args)
    ds, meta = _data_from_args(args, fw)
    result = build(fw, ds, edition=args.edition)
    manifest = _manifest(args, result, settings, meta, "run")
    paths = write_run(result, args.out, manifest)
    if not args.no_report:
        paths.update(_write_report(fw, ds, result, manifest, meta, args.out))
    _print_run(result, meta, args.top)
    print(f"\noutputs in {args.out}/: " + ", ".join(p.name for p in paths.values()))
    return EXIT_OK


def _write_report(fw: Any, ds: Any, result: Any, manifest: Any, meta: Any, out: str, *, options: Any = None,
                  intervals: Any = None, intervals_source: str = "") -> dict[str, Path]:
    """Build the earlier editions and write report.html and results.xlsx (see openindex.report.build)."""
    from openindex.report.build import build_editions, report_data, write_report

    editions, skipped = build_editions(fw, ds, result.edition, current=result)
    data = report_data(result, editions=editions, skipped=skipped, manifest=manifest, meta=meta, options=options,
                       intervals=intervals, intervals_source=intervals_source)
    return write_report(data, out)


def cmd_report(args: argparse.Namespace) -> int:
    from openindex.engine.build import build
    from openindex.report.build import ReportOptions, read_intervals

    fw, settings = _framework_from_args(args)
    options = ReportOptions(title=args.title or "", lang=args.lang, no_ranks=args.no_ranks,
                            peer_group=args.peer_group)
    options.check(fw)  # a bad --lang or --peer-group fails before any work
    intervals, source = read_intervals(args.uncertainty) if args.uncertainty else (None, "")
    ds, meta = _data_from_args(args, fw)
    result = build(fw, ds, edition=args.edition)
    manifest = _manifest(args, result, settings, meta, "report")
    paths = _write_report(fw, ds, result, manifest, meta, args.out, options=options, intervals=intervals,
                          intervals_source=source)
    _print_notice(meta)
    print(f"{fw.name}: report on edition {result.edition}, {result.dataset.n_units} units"
          + (", without ranks" if options.no_ranks else "") + (f", language {options.lang}"))
    for p in paths.values():
        print(f"  {p} ({p.stat().st_size / 1e6:.1f} MB)")
    return EXIT_OK


def _print_run(result: Any, meta: dict[str, Any], top: int) -> None:
    fw = result.framework
    _print_notice(meta)
    print(f"{fw.name}: {fw.summary()}")
    print(f"edition {result.edition}: {result.dataset.n_units} units scored")
    for _, row in result.excluded.iterrows():
        print(f"  excluded {row['unit']} ({row['name']}): {row['reason']}")
    for _, row in result.excluded_indicators.iterrows():
        print(f"  indicator {row['indicator']} left out: {row['reason']}")
    for w in result.warnings:
        print(f"  warning: {w}")
    treated = result.treatment[result.treatment["treatment"] != "untreated"]
    if len(treated):
        print("  outlier treatment: " + ", ".join(
            f"{r.indicator} ({r.treatment}"
            f"{f', {r.points} point' + 's' * (r.points != 1) if r.treatment == 'winsorised' else ''})"
            for r in treated.itertuples()))
    n_imp = int(result.imputed.sum())
    if n_imp:
        print(f"  {n_imp} values imputed ({result.methods['impute'][fw.indicator_codes[0]]['method']} ...)")
    table = result.ranking().head(top)
    print(f"\ntop {len(table)} of the {fw.level_names[-1].lower()}:")
    print(f"  {'rank':>4}  {'unit':<8} {'name':<24} {'score':>8}")
    for row in table.itertuples():
        rank = "-" if row.rank is None or row.rank != row.rank else int(row.rank)
        print(f"  {rank:>4}  {row.unit:<8} {str(row.name)[:24]:<24} {row.score:8.2f}")


def cmd_audit(args: argparse.Namespace) -> int:
    from openindex.analysis.audit import run_audit
    from openindex.engine.build import build
    from openindex.io import write_csv, write_text
    from openindex.report import audit_page

    fw, _ = _framework_from_args(args)
    ds, meta = _data_from_args(args, fw)
    result = build(fw, ds, edition=args.edition)
    report = run_audit(result, stage=args.stage)
    out = Path(args.out)
    written = [write_csv(out / f"{stem}.csv", frame) for stem, frame in report.tables().items()]
    written.append(write_text(out / "audit.html", audit_page(report, notice=str(meta.get("notice") or ""))))
    _print_notice(meta)
    print(f"{fw.name}: audit of edition {result.edition} ({result.dataset.n_units} units, stage {args.stage})")
    print(report.summary(args.top))
    print(f"\noutputs in {args.out}/: " + ", ".join(p.name for p in written))
    return EXIT_OK


def cmd_uncertainty(args: argparse.Namespace) -> int:
    import time

    from openindex.analysis.uncertainty import resolve_factors, run_uncertainty
    from openindex.io import read_factors, sha256_file, write_csv, write_json, write_parquet

    for flag, value, least in (("--runs", args.runs, 1), ("--sobol", args.sobol, 2), ("--workers", args.workers, 1),
                               ("--chunk-size", args.chunk_size, 1), ("--top", args.top, 0)):
        if value is not None and value < least:
            raise OpenIndexError(f"{flag} must be at least {least}; got {value}")
    fw, settings = _framework_from_args(args)
    if args.factors:
        spec, lines, prefix = read_factors(args.factors)
        infos = resolve_factors(spec, fw, source=args.factors, lines=lines, prefix=prefix)
    else:
        spec = fw.model.uncertainty
        if spec is None:
            raise OpenIndexError(f"{args.framework} has no `uncertainty:` section: declare the uncertain factors "
                                 "there or in a separate file given with --factors FILE.yaml")
        infos = resolve_factors(spec, fw)
    if args.sobol and not infos:
        raise OpenIndexError("--sobol needs at least one uncertain factor")
    runs = spec.runs if args.runs is None else args.runs
    seed = spec.seed if args.seed is None else args.seed
    ds, meta = _data_from_args(args, fw)
    t0 = time.perf_counter()
    res = run_uncertainty(fw, ds, spec, runs=runs, seed=seed, sobol=args.sobol, edition=args.edition,
                          workers=args.workers, chunk_size=args.chunk_size, progress=True,
                          keep="all" if args.keep_replications else "index")
    elapsed = time.perf_counter() - t0
    manifest = _manifest(args, res.nominal, settings, meta, "uncertainty")
    manifest["uncertainty"] = {
        "factors_file": args.factors or "",
        "factors_sha256": sha256_file(args.factors) if args.factors else "",
        "runs": runs,
        "seed": seed,
        "random_draws": "numpy.random.default_rng(seed).random((runs, k)), mapped to the factors",
        "factors": [dict(f.spec.model_dump(mode="json", exclude_none=True), name=f.name) for f in infos],
        "percentiles": "numpy 'linear' (Hyndman & Fan type 7)",
        "remove_one_levels": list(range(1, fw.n_levels)),
        "sobol": None if not args.sobol else {
            "base_points": args.sobol, "runs": res.sobol_runs,
            "design": "Saltelli, scrambled Sobol' sequence (SALib sobol layout), one group per factor",
            "estimators": "first order: Saltelli et al. 2010; total order: Jansen 1999",
            "bootstrap_resamples": 1000, "conf_level": 0.95, "seed": seed},
    }
    out = Path(args.out)
    paths = [write_csv(out / "rank_intervals.csv", res.intervals)]
    if res.sensitivity is not None:
        paths.append(write_csv(out / "sensitivity.csv", res.sensitivity))
    paths.append(write_csv(out / "remove_one.csv", res.remove_one))
    if args.keep_replications:
        paths.append(write_parquet(out / "replications.parquet", res.replications.frame()))
    paths.append(write_json(out / "manifest.json", manifest))
    _print_uncertainty(res, [f.name for f in infos], seed, meta, args.top, elapsed)
    print(f"\noutputs in {args.out}/: " + ", ".join(p.name for p in paths))
    return EXIT_OK


def _print_uncertainty(res: Any, names: list[str], seed: int, meta: dict[str, Any], top: int, elapsed: float) -> None:
    fw = res.nominal.framework
    _print_notice(meta)
    print(f"{fw.name}: {fw.summary()}")
    print(f"uncertainty: {res.replications.runs} replications over {len(names)} factor"
          f"{'s' * (len(names) != 1)} ({', '.join(names) or 'none'}), seed {seed}"
          + (f", plus {res.sobol_runs} Sobol' runs" if res.sobol_runs else "") + f": {elapsed:.2f} s")
    s = res.summary
    n = len(s)
    width = s["width"]
    print(f"  90% rank intervals (5th-95th percentile): median width {width.median():g} places; "
          f"{int((width <= 6).sum())} of {n} units within +/-3 places, {int((width <= 10).sum())} within +/-5")
    table = s.head(top)
    print(f"\ntop {len(table)} of the {fw.level_names[-1].lower()} with 90% intervals:")
    print(f"  {'rank':>4}  {'unit':<8} {'name':<24} {'median':>6}  {'interval':<11} {'P(top 3)':>8}")
    for row in table.itertuples():
        rank = "-" if row.nominal_rank is None or row.nominal_rank != row.nominal_rank else int(row.nominal_rank)
        name = str(getattr(row, "name", ""))[:24]
        print(f"  {rank:>4}  {row.unit:<8} {name:<24} {row.median_rank:6g}  [{row.p05:g}, {row.p95:g}]"
              f"{'':<{max(0, 9 - len(f'{row.p05:g}, {row.p95:g}'))}} {row.p_top_3:8.2f}")
    if res.sensitivity is not None:
        sens = res.sensitivity[res.sensitivity["target"] == "mean_abs_rank_shift"]
        print("\nSobol' indices of the mean absolute rank shift (first order S1, total ST, +/- 95% half-width):")
        for row in sens.itertuples():
            print(f"  {row.factor:<24} S1 {row.S1:6.3f} +/- {row.S1_conf:5.3f}   "
                  f"ST {row.ST:6.3f} +/- {row.ST_conf:5.3f}")
    ro = res.remove_one
    if len(ro):
        from openindex.analysis.uncertainty import remove_one_summary

        worst = remove_one_summary(ro).sort_values("mean_abs_shift", ascending=False, kind="stable").head(3)
        print("\nremove-one: largest mean absolute rank shifts: " + ", ".join(
            f"{r.removed} ({r.mean_abs_shift:.2f})" for r in worst.itertuples()))


def cmd_schema(args: argparse.Namespace) -> int:
    from openindex.io import write_text
    from openindex.model.schema import framework_schema_json

    path = write_text(args.out, framework_schema_json())
    print(f"schema written to {path}")
    return EXIT_OK


def cmd_import_coinr(args: argparse.Namespace) -> int:
    from openindex.data.coinr import data_from_idata, framework_from_imeta
    from openindex.data.validate import read_dataset
    from openindex.io import read_csv_frame, read_framework, write_csv, write_text

    imeta = read_csv_frame(args.imeta)
    idata = read_csv_frame(args.idata)
    levels = [s.strip() for s in args.levels.split(",")] if args.levels else None
    doc = framework_from_imeta(imeta, source=args.imeta, level_names=levels, name=args.name)
    data = data_from_idata(idata, doc, source=args.idata)
    out = Path(args.out)
    fw_path = write_text(out / "framework.yaml", "# Generated by openindex import-coinr\n"
                         + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100))
    data_path = write_csv(out / "data.csv", data)
    fw = read_framework(fw_path)  # the result must validate
    ds = read_dataset(str(data_path), fw)
    print(f"{fw_path}: {fw.summary()}")
    print(f"{data_path}: {len(set(ds.unit_codes))} units, editions {', '.join(map(str, ds.editions))}")
    return EXIT_OK


def cmd_methods(args: argparse.Namespace) -> int:
    from openindex.methods.registry import STEP_MODULES, registry_for

    steps = [args.step] if args.step else list(STEP_MODULES)
    for step in steps:
        reg = registry_for(step)
        print(f"{step}:")
        for name in reg:
            m = reg.get(name)
            params = ", ".join(f"{k}={_fmt(v)}" for k, v in m.defaults().items())
            print(f"  {name}({params})  {m.summary}")
    return EXIT_OK


def _fmt(v: Any) -> str:
    return repr(v) if isinstance(v, str) else str(v)


# ---- self-assessment -------------------------------------------------------------------


def cmd_template(args: argparse.Namespace) -> int:
    from openindex.data.validate import read_dataset
    from openindex.io import read_data_meta, save_workbook
    from openindex.report.build import LANGUAGES
    from openindex.selfassess.workbook import template_workbook

    if args.lang not in LANGUAGES:
        raise OpenIndexError(f"--lang must be one of {', '.join(LANGUAGES)}; got '{args.lang}'")
    if args.edition is not None and not args.network:
        raise OpenIndexError("--edition needs --network (the data to prefill from)")
    fw, _ = _framework_from_args(args)
    network, meta = None, {}
    if args.network:
        network, meta = read_dataset(args.network, fw, sheet=args.sheet), read_data_meta(args.network)
    wb = template_workbook(fw, lang=args.lang, unit=args.unit, network=network, edition=args.edition,
                           notice=str(meta.get("notice") or "") if args.unit and network is not None else "")
    path = save_workbook(args.out, wb)
    n_q = sum(i.type == "questionnaire" for i in fw.indicators.values())
    _print_notice(meta)
    print(f"{path}: questionnaire of {fw.name} ({args.lang}): {len(fw.levels[1])} area sheets, {n_q} questions "
          f"(dropdown lists), {len(fw.indicators) - n_q} statistics (number checks)"
          + (f"; prefilled with the values of {args.unit}" if args.unit and network is not None else ""))
    return EXIT_OK


def cmd_self_assess(args: argparse.Namespace) -> int:
    from openindex.data.validate import read_dataset
    from openindex.engine.build import build
    from openindex.engine.manifest import run_manifest
    from openindex.io import load_workbook, read_data_meta, sha256_file, write_csv, write_json, write_text
    from openindex.report.build import LANGUAGES
    from openindex.selfassess.score import (
        assess,
        completeness,
        completeness_section,
        method_note,
        profile_html,
        read_workbook,
        report_for,
        unit_scores,
        whatif_section,
    )
    from openindex.selfassess.workbook import framework_sha256

    if args.lang is not None and args.lang not in LANGUAGES:
        raise OpenIndexError(f"--lang must be one of {', '.join(LANGUAGES)}; got '{args.lang}'")
    fw, settings = _framework_from_args(args)
    filled, city = read_workbook(load_workbook(args.workbook), fw, file=args.workbook,
                                 sha256=sha256_file(args.workbook), unit=args.unit, name=args.name)
    network_data, meta = read_dataset(args.network, fw, sheet=args.sheet), read_data_meta(args.network)
    network = build(fw, network_data, edition=args.edition)
    sa = assess(network, filled, city)
    lang = args.lang or filled.lang
    manifest = run_manifest(sa.joined, framework_path=args.framework, framework_sha256=sha256_file(args.framework),
                            data_path=args.network, data_sha256=network_data.sha256, settings=settings,
                            data_meta=meta, command="self-assess")
    comp = completeness(filled.items)
    data = report_for(sa.joined, lang=lang, peer_group=args.peer_group, meta=meta, manifest=manifest)
    gains_frame, sets = _whatif(network, sa, data.peer_group, args.limit, fixed=True)
    peer_label = _peer_label(data, sa.unit)
    html = profile_html(
        data, sa.unit, title=data.text("sa_title", city=sa.name),
        subtitle=data.text("sa_subtitle", n=network.dataset.n_units, edition=network.edition),
        before=[method_note(data, sa.scored)],
        after=[completeness_section(data, filled.items, [str(p) for p in sa.warnings]),
               whatif_section(data, gains_frame, sets, mode="fixed", peer_label=peer_label)])
    manifest["self_assessment"] = {
        "workbook": args.workbook, "workbook_sha256": city.sha256, "unit": sa.unit, "name": sa.name,
        "workbook_lang": filled.lang, "framework_sha256": framework_sha256(fw), "items": comp["total"],
        "answered": comp["answered"], "evidenced": comp["evidenced"],
        "scoring": "network held fixed (pipeline.score_against); rank = 1 + network units scoring strictly higher",
        "whatif": _whatif_manifest(sets, args.limit, "fixed")}
    out = Path(args.out)
    paths = [write_text(out / "profile.html", html),
             write_csv(out / "scores.csv", unit_scores(sa.joined, sa.unit, data.peer_group)),
             write_csv(out / "completeness.csv", filled.items),
             write_csv(out / "gains.csv", gains_frame),
             write_csv(out / "change_sets.csv", _sets_frame(sets)),
             write_json(out / "manifest.json", manifest)]
    if args.problems:
        from openindex.errors import problems_to_csv

        paths.append(write_text(args.problems, problems_to_csv(sa.warnings)))
    _print_notice(meta)
    i = list(sa.joined.units).index(sa.unit)
    print(f"{sa.name} ({sa.unit}): self-assessment against {network.dataset.n_units} cities of {fw.name}, edition "
          f"{network.edition} (network held fixed)")
    print(f"  index score {sa.joined.scores[-1][i, 0]:.2f}, rank {int(sa.joined.ranks[-1][i, 0])} of "
          f"{sa.joined.dataset.n_units}" + (f"; peer group {peer_label}" if peer_label else ""))
    print(f"  {comp['answered']} of {comp['total']} items answered, {comp['evidenced']} with evidence")
    for w in sa.scored.warnings:
        print(f"  note: {w}")
    _print_sets(sets)
    print(f"\noutputs in {args.out}/: " + ", ".join(p.name for p in paths if p.parent == out))
    return EXIT_OK


def _peer_label(data: Any, unit: str) -> str:
    nodes = data.of_unit("nodes", unit)
    row = nodes[nodes["code"] == data.framework.root]
    return str(row["peer_label"].iat[0] or "") if len(row) and data.peer_group is not None else ""


def _whatif(network: Any, sa: Any, peer_group: str | None, limit: int, *, fixed: bool) -> tuple[Any, list[Any]]:
    """Gains and the change sets of every target that applies (self-assessment: network held fixed)."""
    from openindex.analysis.whatif import TARGETS, applicable, change_set, fixed_scenario, gains

    if limit < 0:
        raise OpenIndexError(f"--limit must be at least 0; got {limit}")
    sc = fixed_scenario(network, sa.scored, sa.unit, peer_group=peer_group if peer_group is not None else "")
    sets = [change_set(sc, target, limit=limit) for target in TARGETS if applicable(sc, target)]
    return gains(sc), sets


def _sets_frame(sets: list[Any]) -> Any:
    import pandas as pd

    frames = [cs.changes.assign(target=cs.target, method=cs.method, reached=cs.reached, score=cs.score,
                                rank=cs.rank, peer_mean=cs.peer_mean) for cs in sets if len(cs.changes)]
    cols = ["target", "method", "unit", "code", "area", "from_value", "to_value", "from_answer", "to_answer",
            "steps", "reached", "score", "rank", "peer_mean"]
    return pd.concat(frames, ignore_index=True)[cols] if frames else pd.DataFrame(columns=cols)


def _whatif_manifest(sets: list[Any], limit: int, mode: str) -> dict[str, Any]:
    return {"mode": mode, "exact_limit": limit, "targets": [
        {"target": cs.target, "method": cs.method, "reached": cs.reached, "steps": cs.n_steps, "score": cs.score,
         "rank": cs.rank, "peer_mean": cs.peer_mean, "base_score": cs.base_score, "base_rank": cs.base_rank,
         "base_peer_mean": cs.base_peer_mean, "sets_checked": cs.checked, "sets_needed": cs.needed}
        for cs in sets]}


def _print_sets(sets: list[Any]) -> None:
    for cs in sets:
        what = {"next-rank": "a better rank", "peer-mean": "the peer-group average"}[cs.target]
        if cs.method == "already":
            print(f"  {what}: already reached")
        elif cs.method == "top":
            print(f"  {what}: already ranked first")
        elif cs.method == "unreachable":
            print(f"  {what}: not reachable with the available steps")
        else:
            print(f"  {what}: {cs.n_steps} step(s) on {len(cs.changes)} item(s) ({cs.method}): "
                  + ", ".join(cs.changes["code"]) + f" -> score {cs.score:.2f}, rank {int(cs.rank)}")


def cmd_whatif(args: argparse.Namespace) -> int:
    from openindex.analysis.whatif import change_set, gains, network_scenario
    from openindex.engine.build import build
    from openindex.io import write_csv, write_json, write_text
    from openindex.report.build import LANGUAGES
    from openindex.selfassess.score import profile_html, report_for, whatif_section

    if args.lang not in LANGUAGES:
        raise OpenIndexError(f"--lang must be one of {', '.join(LANGUAGES)}; got '{args.lang}'")
    if args.limit < 0:
        raise OpenIndexError(f"--limit must be at least 0; got {args.limit}")
    fw, settings = _framework_from_args(args)
    ds, meta = _data_from_args(args, fw)
    result = build(fw, ds, edition=args.edition)
    manifest = _manifest(args, result, settings, meta, "whatif")
    data = report_for(result, lang=args.lang, peer_group=args.peer_group, meta=meta, manifest=manifest)
    sc = network_scenario(result, args.unit, peer_group=data.peer_group if data.peer_group is not None else "")
    cs = change_set(sc, args.target, limit=args.limit)
    g = gains(sc)
    peer_label = _peer_label(data, args.unit)
    name = result.dataset.unit_names[list(result.units).index(args.unit)]
    html = profile_html(data, args.unit, title=f"{data.text('wi_title')}: {name}",
                        subtitle=data.text("subtitle", n=result.dataset.n_units, edition=result.edition),
                        after=[whatif_section(data, g, [cs], mode="network", peer_label=peer_label)])
    manifest["whatif"] = {"unit": args.unit, "peer_group": data.peer_group, **_whatif_manifest([cs], args.limit,
                                                                                                "network")}
    out = Path(args.out)
    paths = [write_csv(out / "gains.csv", g), write_csv(out / "change_set.csv", _sets_frame([cs])),
             write_text(out / "profile.html", html), write_json(out / "manifest.json", manifest)]
    _print_notice(meta)
    print(f"{name} ({args.unit}): index score {sc.base_score:.2f}, rank {int(sc.base_rank)} of "
          f"{result.dataset.n_units}" + (f"; peer-group average {sc.base_peer_mean:.2f} ({peer_label})"
                                          if peer_label else ""))
    print(f"largest gains from one change (of {len(g)} moves, each a rebuild of the index):")
    for r in g.head(args.top).itertuples():
        to = r.to_answer or f"{r.to_value:g}"
        print(f"  {r.code:<32} {r.move:<9} -> {to:<16} {r.gain:+8.3f} (score {r.score:.2f}, rank {int(r.rank)})")
    _print_sets([cs])
    print(f"\noutputs in {args.out}/: " + ", ".join(p.name for p in paths))
    return EXIT_OK


COMMANDS = {
    "validate": cmd_validate,
    "schema": cmd_schema,
    "import-coinr": cmd_import_coinr,
    "methods": cmd_methods,
    "run": cmd_run,
    "report": cmd_report,
    "uncertainty": cmd_uncertainty,
    "audit": cmd_audit,
    "template": cmd_template,
    "self-assess": cmd_self_assess,
    "whatif": cmd_whatif,
}


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
