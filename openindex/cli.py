"""The ``openindex`` command line: parse the arguments, call a workflow, print, set the exit code.

Every command's work (read -> build or analyse -> write, manifests included) is a function of
:mod:`openindex.workflows` returning a record of what it did; a command here only checks its
flags, calls it and prints the record. Commands import their workflow inside the function
(the only lazy imports of the package), so ``openindex --help``, ``openindex COMMAND --help``
and ``openindex methods`` load neither pandas, scipy nor plotly.

Exit codes: 0 success; 2 bad input (every problem printed, no traceback), a flag argparse
refuses, or no command; 1 an unexpected internal error (traceback only with ``--debug``);
141 the reader of the output went away (``openindex ... | head``: no message, as a Unix tool
killed by SIGPIPE).
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from openindex.errors import InputError, OpenIndexError, OutputError
from openindex.version import __version__

EXIT_OK, EXIT_INTERNAL, EXIT_INPUT, EXIT_PIPE = 0, 1, 2, 141


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
    v.add_argument("--lang", metavar="LANG", help="also list every text of the framework (names, questions, answer "
                   "labels...) that has no translation into this language, with its line")

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
    rp.add_argument("--uncertainty", metavar="DIR", help="output folder of `openindex uncertainty`: show median "
                    "ranks and 90%% rank intervals, and a Robustness tab with what the run computed")
    rp.add_argument("--external", metavar="FILE", help="outside variables for the audit tab (CSV or Excel: the unit "
                    "code column, then one numeric column per variable), as `openindex audit --external`")
    rp.add_argument("--no-ranks", action="store_true", help="hide every rank: a profile report without league "
                    "table (OPENCities style)")
    rp.add_argument("--peer-group", metavar="CODE", help="peer-group definition of the framework to compare with "
                    "(default: the first one defined; '' for none)")
    rp.add_argument("--title", help="title of the report (default: the framework's name)")
    rp.add_argument("--lang", default="en", help="language of the report: en, fr, de, it or es (default: %(default)s)")
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
                   help="also write replications.parquet: every replication's factor values beside each "
                        "city's scores and ranks (every aggregate level)")
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
    a.add_argument("--external", metavar="FILE", help="outside variables (CSV or Excel: the unit code column, then "
                   "one numeric column per variable): correlate the index and every node with them, with 95%% "
                   "intervals and partial correlations controlling for log population, into external.csv")
    _self_assessment_parsers(sub)
    return p


def _self_assessment_parsers(sub: Any) -> None:
    """The parsers of `template`, `self-assess` and `whatif`."""
    t = sub.add_parser("template", help="write the self-assessment questionnaire of a framework as an Excel "
                       "workbook (dropdowns, number checks, protected layout)")
    t.add_argument("framework", help="framework YAML file")
    t.add_argument("--out", required=True, metavar="FILE.xlsx", help="workbook to write")
    t.add_argument("--lang", default="en", help="language of the workbook: en, fr, de, it or es (default: %(default)s)")
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
    s.add_argument("--lang", help="language of the profile: en, fr, de, it or es (default: the workbook's)")
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
    w.add_argument("--lang", default="en", help="language of profile.html: en, fr, de, it or es (default: %(default)s)")
    w.add_argument("--set", dest="settings", action="append", default=[], metavar="KEY=VALUE",
                   help="override a framework setting by its YAML path (repeatable; VALUE is read as YAML)")
    w.add_argument("--edition", type=int, help="edition to build (default: the latest)")
    w.add_argument("--sheet", help="Excel sheet holding the data")
    w.add_argument("--top", type=int, default=5, help="gains to print (default: %(default)s)")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``openindex`` console script."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a flag argparse refused (it printed why)
        return exc.code if isinstance(exc.code, int) else EXIT_INPUT
    if args.command is None:
        parser.print_help(sys.stderr)
        print("\nerror: name a command, e.g. `openindex run FRAMEWORK DATA --out FOLDER`; `openindex COMMAND "
              "--help` shows its options", file=sys.stderr)
        return EXIT_INPUT
    try:
        code = int(COMMANDS[args.command](args) or EXIT_OK)
        sys.stdout.flush()  # a reader gone away (`| head`) is noticed here, not at exit
        return code
    except BrokenPipeError:
        _quiet_stdout()
        return EXIT_PIPE
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


def _quiet_stdout() -> None:
    """Send what is left of standard output nowhere (its reader went away), so exiting prints no error."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _export_problems(args: argparse.Namespace, exc: InputError) -> None:
    target = getattr(args, "problems", None)
    if target and not isinstance(exc, OutputError):
        from openindex.workflows.inputs import write_problems

        try:
            write_problems(target, exc.problems)
        except OpenIndexError as write_exc:
            print(f"error: {write_exc}", file=sys.stderr)
            return
        print(f"problems written to {target}", file=sys.stderr)


def _at_least(*checks: tuple[str, int | None, int]) -> None:
    """Each ``(flag, value, least)``: a whole-number flag given below its least value is refused."""
    for flag, value, least in checks:
        if value is not None and value < least:
            raise OpenIndexError(f"{flag} must be at least {least}; got {value}")


# ---- arguments shared by several commands ----------------------------------------------


def parse_settings(pairs: Sequence[str]) -> dict[str, Any]:
    """``["a.b=1", "c=zscore"]`` -> ``{"a.b": 1, "c": "zscore"}`` (values read as YAML scalars)."""
    import yaml

    from openindex.io import load_yaml_text, yaml11_only_number

    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise OpenIndexError(f"--set needs KEY=VALUE, e.g. build.normalise.method=zscore; got '{pair}'")
        try:
            parsed = load_yaml_text(value) if value.strip() else ""
        except yaml.YAMLError:
            parsed = value
        if isinstance(parsed, str) and parsed == value.strip() and yaml11_only_number(parsed):  # unquoted 1_5
            raise OpenIndexError(f"--set {key.strip()}={value}: '{parsed}' is not a number in YAML 1.2; write "
                                 "the number with digits only (such as 15 or 1500.5), or quote it if it is text")
        out[key.strip()] = parsed
    return out


def _settings(args: argparse.Namespace) -> dict[str, Any]:
    """The ``--set`` overrides of a command (none for commands without the option)."""
    return parse_settings(getattr(args, "settings", []) or [])


def _check_lang(lang: str | None) -> None:
    """``--lang`` names a language of the interface strings (None: the command's default)."""
    from openindex.i18n import LANGUAGES

    if lang is not None and lang not in LANGUAGES:
        from openindex.methods.registry import did_you_mean

        raise OpenIndexError(f"--lang must be one of {', '.join(LANGUAGES)}; got '{lang}'."
                             + did_you_mean(lang, LANGUAGES))


def _print_notice(notice: str) -> None:
    if notice:
        print(f"NOTE: {notice}")


def _print_outputs(out: str, paths: Iterable[Path]) -> None:
    print(f"\noutputs in {out}/: " + ", ".join(p.name for p in paths))


def _print_untranslated(framework: Any, lang: str, path: str, *, listing: bool = False) -> None:
    """How many texts of ``framework`` have no ``lang`` translation (and, with ``listing``, each one with its line)."""
    from openindex.i18n import LANGUAGES, SOURCE_LANGUAGE, untranslated

    if lang == SOURCE_LANGUAGE:
        if listing:
            print(f"translations: none needed, the texts of the framework are written in '{lang}'")
        return
    missing = untranslated(framework, lang)
    if not missing:
        print(f"translations into '{lang}': complete (every text of the framework has one)")
    else:
        print(f"translations into '{lang}': {len(missing)} text{'s' * (len(missing) != 1)} of the framework "
              "without one (shown as written)" + (":" if listing else f"; `openindex validate {path} --lang "
                                                                         f"{lang}` lists them"))
    if listing:
        for p in missing:
            print(f'  {p.location}: "{p.value}"')
        if missing:
            print(f"add each under the `translations: {{{lang}: ...}}` key of its entry, e.g. translations: {{{lang}: "
                  "{name: ..., question: ..., options: {code: ...}}} (see indicators/opencities.yaml)")
        if lang not in LANGUAGES:
            print(f"note: the interface (headings, instructions) has no '{lang}' strings; it has "
                  f"{', '.join(LANGUAGES)}")


# ---- commands ------------------------------------------------------------------------


def cmd_validate(args: argparse.Namespace) -> int:
    from openindex.workflows.prepare import check_data, check_framework

    checked = check_framework(args.framework)
    fw = checked.framework
    print(f"{args.framework}: {fw.name}")
    print(f"  {fw.summary()}")
    if checked.questionnaire_items:
        print(f"  {checked.questionnaire_items} of the indicators are questionnaire items")
    if args.data:
        data = check_data(args.data, fw, sheet=args.sheet, problems=args.problems)
        print(f"{args.data}: {data.n_units} units, editions {', '.join(map(str, data.dataset.editions))}")
        for line in data.coverage:
            print(f"  {line}")
    print("valid")
    if args.lang is not None:
        _print_untranslated(fw, args.lang, args.framework, listing=True)
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    from openindex.workflows.index import run

    _at_least(("--top", args.top, 0))
    outcome = run(args.framework, args.data, args.out, settings=_settings(args), edition=args.edition,
                  sheet=args.sheet, with_report=not args.no_report)
    _print_run(outcome, args.top)
    _print_outputs(args.out, outcome.paths.values())
    return EXIT_OK


def _print_run(outcome: Any, top: int) -> None:
    result = outcome.result
    fw = result.framework
    _print_notice(outcome.notice)
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
    if outcome.imputed:
        print(f"  {outcome.imputed} values imputed ({outcome.impute_method} ...)")
    table = result.ranking().head(top)
    print(f"\ntop {len(table)} of the {fw.level_names[-1].lower()}:")
    print(f"  {'rank':>4}  {'unit':<8} {'name':<24} {'score':>8}")
    for row in table.itertuples():
        rank = "-" if row.rank is None or row.rank != row.rank else int(row.rank)
        print(f"  {rank:>4}  {row.unit:<8} {str(row.name)[:24]:<24} {row.score:8.2f}")


def cmd_report(args: argparse.Namespace) -> int:
    from openindex.report import ReportOptions
    from openindex.workflows.index import report

    options = ReportOptions(title=args.title or "", lang=args.lang, no_ranks=args.no_ranks,
                            peer_group=args.peer_group)
    outcome = report(args.framework, args.data, args.out, settings=_settings(args), options=options,
                     uncertainty=args.uncertainty, edition=args.edition, sheet=args.sheet, external=args.external)
    result = outcome.result
    _print_notice(outcome.notice)
    print(f"{result.framework.name}: report on edition {result.edition}, {result.dataset.n_units} units"
          + (", without ranks" if options.no_ranks else "") + (f", language {options.lang}"))
    for path, size in outcome.files:
        print(f"  {path} ({size / 1e6:.1f} MB)")
    _print_untranslated(result.framework, options.lang, args.framework)
    return EXIT_OK


def cmd_audit(args: argparse.Namespace) -> int:
    from openindex.workflows.analysis import audit

    _at_least(("--top", args.top, 0))
    outcome = audit(args.framework, args.data, args.out, settings=_settings(args), stage=args.stage,
                    edition=args.edition, sheet=args.sheet, external=args.external)
    result = outcome.result
    _print_notice(outcome.notice)
    print(f"{result.framework.name}: audit of edition {result.edition} ({result.dataset.n_units} units, "
          f"stage {outcome.stage})")
    for note in outcome.notes:
        print(f"NOTE: {note}")
    print(outcome.summary(args.top))
    _print_outputs(args.out, outcome.paths)
    return EXIT_OK


def cmd_uncertainty(args: argparse.Namespace) -> int:
    from openindex.workflows.analysis import uncertainty

    _at_least(("--runs", args.runs, 1), ("--sobol", args.sobol, 2), ("--workers", args.workers, 1),
              ("--chunk-size", args.chunk_size, 1), ("--top", args.top, 0), ("--seed", args.seed, 0))
    outcome = uncertainty(args.framework, args.data, args.out, settings=_settings(args), runs=args.runs,
                          seed=args.seed, factors=args.factors, sobol=args.sobol, workers=args.workers,
                          chunk_size=args.chunk_size, keep_replications=args.keep_replications,
                          edition=args.edition, sheet=args.sheet, progress=True)
    _print_uncertainty(outcome, args.top)
    _print_outputs(args.out, outcome.paths)
    return EXIT_OK


def _print_uncertainty(outcome: Any, top: int) -> None:
    res, names = outcome.analysis, outcome.factors
    fw = res.nominal.framework
    _print_notice(outcome.notice)
    print(f"{fw.name}: {fw.summary()}")
    print(f"uncertainty: {res.replications.runs} replications over {len(names)} factor"
          f"{'s' * (len(names) != 1)} ({', '.join(names) or 'none'}), seed {outcome.seed}"
          + (f", plus {res.sobol_runs} Sobol' runs" if res.sobol_runs else "") + f": {outcome.elapsed:.2f} s")
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
    if len(res.remove_one):
        worst = outcome.largest_remove_one_shifts(3)
        print("\nremove-one: largest mean absolute rank shifts: " + ", ".join(
            f"{r.removed} ({r.mean_abs_shift:.2f})" for r in worst.itertuples()))


def cmd_schema(args: argparse.Namespace) -> int:
    from openindex.workflows.prepare import write_schema

    print(f"schema written to {write_schema(args.out)}")
    return EXIT_OK


def cmd_import_coinr(args: argparse.Namespace) -> int:
    from openindex.workflows.prepare import import_coinr

    levels = [s.strip() for s in args.levels.split(",")] if args.levels else None
    imported = import_coinr(args.imeta, args.idata, args.out, levels=levels, name=args.name)
    ds = imported.dataset
    print(f"{imported.framework_path}: {imported.framework.summary()}")
    print(f"{imported.data_path}: {len(set(ds.unit_codes))} units, editions {', '.join(map(str, ds.editions))}")
    return EXIT_OK


def cmd_methods(args: argparse.Namespace) -> int:
    from openindex.methods import STEPS, registry_for

    steps = [args.step] if args.step else list(STEPS)
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


# ---- one city: questionnaire, self-assessment, what-if -----------------------------------


def cmd_template(args: argparse.Namespace) -> int:
    from openindex.workflows.city import template

    _check_lang(args.lang)
    if args.edition is not None and not args.network:
        raise OpenIndexError("--edition needs --network (the data to prefill from)")
    made = template(args.framework, args.out, lang=args.lang, unit=args.unit, network=args.network,
                    edition=args.edition, sheet=args.sheet)
    fw = made.framework
    _print_notice(made.notice)
    print(f"{made.path}: questionnaire of {fw.name} ({made.lang}): {len(fw.levels[1])} area sheets, "
          f"{made.questions} questions (dropdown lists), {made.statistics} statistics (number checks)"
          + (f"; prefilled with the values of {made.unit}" if made.unit else ""))
    _print_untranslated(fw, made.lang, args.framework)
    return EXIT_OK


def cmd_self_assess(args: argparse.Namespace) -> int:
    from openindex.workflows.city import self_assess

    _check_lang(args.lang)
    done = self_assess(args.framework, args.workbook, args.network, args.out, settings=_settings(args),
                       unit=args.unit, name=args.name, lang=args.lang, peer_group=args.peer_group, limit=args.limit,
                       edition=args.edition, sheet=args.sheet, problems=args.problems)
    sa = done.assessment
    network = sa.network
    _print_notice(done.notice)
    print(f"{sa.name} ({sa.unit}): self-assessment against {network.dataset.n_units} cities of "
          f"{network.framework.name}, edition {network.edition} (network held fixed)")
    print(f"  index score {done.score:.2f}, rank {done.rank} of {sa.joined.dataset.n_units}"
          + (f"; peer group {done.peer_label}" if done.peer_label else ""))
    comp = done.completeness
    print(f"  {comp['answered']} of {comp['total']} items answered, {comp['evidenced']} with evidence")
    for w in sa.scored.warnings:
        print(f"  note: {w}")
    _print_sets(done.change_sets)
    written = [*done.paths, *([done.problems_path] if done.problems_path else [])]
    _print_outputs(args.out, [p for p in written if p.parent == done.out])
    return EXIT_OK


def _print_sets(sets: Sequence[Any]) -> None:
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
    from openindex.workflows.city import whatif

    _check_lang(args.lang)
    _at_least(("--top", args.top, 0))
    found = whatif(args.framework, args.data, args.unit, args.out, settings=_settings(args), target=args.target,
                   peer_group=args.peer_group, limit=args.limit, lang=args.lang, edition=args.edition,
                   sheet=args.sheet)
    _print_notice(found.notice)
    print(f"{found.name} ({found.unit}): index score {found.base_score:.2f}, rank {int(found.base_rank)} of "
          f"{found.result.dataset.n_units}" + (f"; peer-group average {found.base_peer_mean:.2f} "
                                                f"({found.peer_label})" if found.peer_label else ""))
    g = found.gains
    print(f"largest gains from one change (of {len(g)} moves, each a rebuild of the index):")
    r: Any
    for r in g.head(args.top).itertuples():
        to = r.to_answer or f"{r.to_value:g}"
        print(f"  {r.code:<32} {r.move:<9} -> {to:<16} {r.gain:+8.3f} (score {r.score:.2f}, rank {int(r.rank)})")
    _print_sets([found.change_set])
    _print_outputs(args.out, found.paths)
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
