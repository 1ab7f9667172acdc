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

from . import __version__
from .errors import InputError, OpenIndexError, problems_to_csv

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

    r = sub.add_parser("run", help="build the index: scores.csv, stages.xlsx, manifest.json")
    r.add_argument("framework", help="framework YAML file")
    r.add_argument("data", help="data file (.csv, .xlsx, .parquet; wide or long layout)")
    r.add_argument("--out", required=True, help="output folder")
    r.add_argument("--set", dest="settings", action="append", default=[], metavar="KEY=VALUE",
                   help="override a framework setting by its YAML path, e.g. build.normalise.method=zscore "
                        "(repeatable; VALUE is read as YAML)")
    r.add_argument("--edition", type=int, help="edition to build (default: the latest)")
    r.add_argument("--sheet", help="Excel sheet holding the data")
    r.add_argument("--top", type=int, default=10, help="rows of the ranking to print (default: %(default)s)")

    m = sub.add_parser("methods", help="list the registered methods of every construction step")
    m.add_argument("step", nargs="?", help="only this step (normalise, aggregate, ...)")
    return p


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
        from .io import write_text

        write_text(target, problems_to_csv(exc.problems))
        print(f"problems written to {target}", file=sys.stderr)


# ---- commands ------------------------------------------------------------------------


def cmd_validate(args: argparse.Namespace) -> int:
    from .io import read_framework, write_text
    from .validate import coverage_summary, read_dataset

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
            from .errors import problems_to_csv

            write_text(args.problems, problems_to_csv(ds.warnings))
    print("valid")
    return EXIT_OK


def parse_settings(pairs: Sequence[str]) -> dict[str, Any]:
    """``["a.b=1", "c=zscore"]`` -> ``{"a.b": 1, "c": "zscore"}`` (values read as YAML scalars)."""
    from .io import load_yaml_text

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


def cmd_run(args: argparse.Namespace) -> int:
    from .framework import with_settings
    from .io import read_data_meta, read_framework, sha256_file
    from .manifest import run_manifest
    from .outputs import write_run
    from .pipeline import build
    from .validate import read_dataset

    settings = parse_settings(args.settings)
    fw = read_framework(args.framework)
    if settings:
        fw = with_settings(fw, settings)
    meta = read_data_meta(args.data)
    ds = read_dataset(args.data, fw, sheet=args.sheet)
    result = build(fw, ds, edition=args.edition)
    manifest = run_manifest(result, framework_path=args.framework, framework_sha256=sha256_file(args.framework),
                            data_path=args.data, data_sha256=ds.sha256, settings=settings, data_meta=meta)
    paths = write_run(result, args.out, manifest)
    _print_run(result, meta, args.top)
    print(f"\noutputs in {args.out}/: " + ", ".join(p.name for p in paths.values()))
    return EXIT_OK


def _print_run(result: Any, meta: dict[str, Any], top: int) -> None:
    fw = result.framework
    if meta.get("notice"):
        print(f"NOTE: {meta['notice']}")
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


def cmd_schema(args: argparse.Namespace) -> int:
    from .io import write_text
    from .schema import framework_schema_json

    path = write_text(args.out, framework_schema_json())
    print(f"schema written to {path}")
    return EXIT_OK


def cmd_import_coinr(args: argparse.Namespace) -> int:
    from .coinr import data_from_idata, framework_from_imeta
    from .io import read_csv_frame, read_framework, write_csv, write_text
    from .validate import read_dataset

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
    from .registry import STEP_MODULES, registry_for

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


COMMANDS = {
    "validate": cmd_validate,
    "schema": cmd_schema,
    "import-coinr": cmd_import_coinr,
    "methods": cmd_methods,
    "run": cmd_run,
}


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
