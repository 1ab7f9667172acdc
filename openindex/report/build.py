"""The comparison report: results of every edition -> :class:`ReportData` -> HTML page and Excel workbook.

Building is separate from rendering: :func:`report_data` turns results into tidy
frames (:mod:`openindex.report.tables`) and figures (:mod:`openindex.report.figures`),
held in a :class:`~openindex.report.data.ReportData`;
:func:`openindex.report.render.render_report` turns those into one self-contained
HTML page; :func:`write_report` hands the page and the workbook to
:mod:`openindex.io`. Typical use::

    from openindex.report.build import build_report, write_report
    from openindex.report.data import ReportOptions
    data = build_report(framework, dataset, options=ReportOptions(lang="fr", no_ranks=True))
    write_report(data, "reports/demo")
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from openindex.analysis.audit import run_audit
from openindex.engine import build
from openindex.engine.manifest import run_manifest
from openindex.errors import DataError, MethodError, OpenIndexError, Problem, ProblemCode
from openindex.i18n import NUMBER_SEPARATORS, labels, level_names, load_strings
from openindex.io import file_name, read_csv_frame, read_json, write_text, write_workbook
from openindex.report import figures as F
from openindex.report import tables as T
from openindex.report.data import ReportData, ReportOptions, UncertaintyRun, compare_defaults
from openindex.report.outputs import stage_sheets
from openindex.report.render import audit_figures, render_report, robustness_figures

if TYPE_CHECKING:
    from openindex.data.dataset import Dataset
    from openindex.engine.result import Result
    from openindex.model.framework import Framework

__all__ = ["build_editions", "report_data", "report_for", "build_report", "read_intervals", "read_uncertainty",
           "write_report", "results_sheets"]

#: plotly number separators (decimal, thousands) per language
SEPARATORS: dict[str, str] = {lang: dec + thou for lang, (dec, thou) in NUMBER_SEPARATORS.items()}


def build_editions(framework: Framework, dataset: Dataset, edition: int | None = None, *,
                   current: Result | None = None) -> tuple[tuple[Result, ...], tuple[tuple[int, str], ...]]:
    """Build ``edition`` (default the latest) and every earlier edition of the data.

    An earlier edition that cannot be built (a method error on its data) is skipped
    with the reason; the current one raises as :func:`~openindex.engine.build.build` does.
    ``current``, when given, is the current edition already built (it is not rebuilt).
    """
    if current is None:
        current = build(framework, dataset, edition=edition)
    results, skipped = [], []
    for e in dataset.editions:
        if e >= current.edition:
            continue
        try:
            results.append(build(framework, dataset, edition=e))
        except MethodError as exc:
            skipped.append((e, str(exc)))
    return (*results, current), tuple(skipped)


def read_intervals(directory: str | Path) -> tuple[pd.DataFrame, str]:
    """``rank_intervals.csv`` of an uncertainty run folder, and its path as text."""
    path = Path(directory) / "rank_intervals.csv"
    if not Path(directory).exists():
        raise DataError([Problem(str(directory), "", "folder not found; --uncertainty takes the output folder of "
                                 "`openindex uncertainty` (run it first, e.g. `openindex uncertainty FRAMEWORK DATA "
                                 "--out reports/demo/uncertainty`)", code=ProblemCode.FILE_NOT_FOUND)],
                        f"{directory}: not found")
    if not Path(directory).is_dir():
        raise DataError([Problem(str(directory), "", "not a folder; --uncertainty takes the output folder of "
                                 "`openindex uncertainty` (it holds rank_intervals.csv)",
                                 code=ProblemCode.NOT_A_FOLDER)],
                        f"{directory}: not an uncertainty run folder")
    if not path.exists():
        raise DataError([Problem(str(path), "", "file not found; --uncertainty takes the output folder of "
                                 "`openindex uncertainty`, which writes rank_intervals.csv",
                                 code=ProblemCode.FILE_NOT_FOUND)],
                        f"{path}: not found")
    return read_csv_frame(path), str(path)


def read_uncertainty(directory: str | Path) -> tuple[UncertaintyRun, str]:
    """What an uncertainty run folder holds for the report, and the path of its rank intervals as text.

    ``rank_intervals.csv`` is required (:func:`read_intervals`); ``sensitivity.csv`` (a run
    with ``--sobol``), ``remove_one.csv`` and the ``uncertainty`` entry of ``manifest.json``
    are read when present.
    """
    intervals, source = read_intervals(directory)
    folder = Path(directory)
    found = {name: folder / name for name in ("sensitivity.csv", "remove_one.csv", "manifest.json")
             if (folder / name).is_file()}
    manifest = read_json(found["manifest.json"]) if "manifest.json" in found else {}
    settings = manifest.get("uncertainty") if isinstance(manifest, dict) else None
    return UncertaintyRun(
        intervals=intervals,
        sensitivity=read_csv_frame(found["sensitivity.csv"]) if "sensitivity.csv" in found else None,
        remove_one=read_csv_frame(found["remove_one.csv"]) if "remove_one.csv" in found else None,
        settings=dict(settings) if isinstance(settings, dict) else {}), source


def _checked_run(run: UncertaintyRun | None, intervals: pd.DataFrame, result: Result, source: str) -> UncertaintyRun:
    """``run`` with the aligned ``intervals`` and its other tables checked against ``result``."""
    if run is None:
        return UncertaintyRun(intervals=intervals)

    def sibling(name: str) -> str:
        return str(Path(source).with_name(name)) if source else name

    if run.sensitivity is not None:
        T.sobol_frame(run.sensitivity, source=sibling("sensitivity.csv"))  # the columns the report reads
    remove = (None if run.remove_one is None
              else T.align_remove_one(run.remove_one, result, source=sibling("remove_one.csv")))
    return replace(run, intervals=intervals, remove_one=remove)


def report_data(result: Result, *, editions: tuple[Result, ...] | None = None,
                skipped: tuple[tuple[int, str], ...] = (), manifest: Mapping[str, Any] | None = None,
                meta: Mapping[str, Any] | None = None, intervals: pd.DataFrame | None = None,
                intervals_source: str = "", options: ReportOptions | None = None,
                uncertainty: UncertaintyRun | None = None, external: pd.DataFrame | None = None) -> ReportData:
    """Tidy frames and figures of the report for ``result`` (the current edition).

    Parameters
    ----------
    result : Result
        The edition reported on.
    editions : tuple of Result, optional
        Every edition built, oldest first, ending with ``result`` (default: only it).
    skipped : tuple
        Earlier editions that could not be built: ``(edition, reason)``.
    manifest : mapping, optional
        The run manifest (:func:`openindex.engine.manifest.run_manifest`); one is made when absent.
    meta : mapping, optional
        The data sidecar (:func:`openindex.io.read_data_meta`): title, notice, sources.
    intervals : DataFrame, optional
        Rank intervals of an uncertainty run (``rank_intervals.csv``); checked against
        ``result`` with :func:`openindex.report.tables.align_intervals`; default those of
        ``uncertainty``.
    options : ReportOptions, optional
    uncertainty : UncertaintyRun, optional
        What an uncertainty run computed (:func:`read_uncertainty`), shown in the report's
        robustness tab; its tables are checked against ``result``.
    external : DataFrame, optional
        Outside variables for the audit tab (:func:`openindex.data.external.read_external`):
        the index and every node against them, as ``openindex audit --external`` shows.
    """
    options = options or ReportOptions()
    fw = result.framework
    peer_group = options.check(fw)
    lang = options.lang
    editions = editions if editions else (result,)
    if editions[-1] is not result:
        raise OpenIndexError("report_data: `editions` must end with `result` (the current edition)")
    meta = dict(meta or {})
    if manifest is None:
        ds = result.input_dataset or result.dataset
        manifest = run_manifest(result, framework_path=fw.source, framework_sha256="", data_path=ds.source,
                                data_sha256=ds.sha256, data_meta=meta, command="report")
    if intervals is None and uncertainty is not None:
        intervals = uncertainty.intervals
    if intervals is not None:
        intervals = T.align_intervals(intervals, result, source=intervals_source or "rank_intervals.csv")
        uncertainty = _checked_run(uncertainty, intervals, result, intervals_source)
    names = labels(fw, lang)
    nodes = T.node_frame(result, peer_group)
    if peer_group is not None:
        nodes = T.with_peer_labels(nodes, fw, lang, column="peer_label", group=peer_group)
    ranking = T.ranking_frame(result, nodes, intervals=intervals, order="name" if options.no_ranks else "rank")
    peer_index = (T.with_peer_labels(result.peer_frame().query("level == @fw.n_levels"), fw, lang, column="group")
                  if fw.model.peer_groups
                  else pd.DataFrame(columns=["peer_group", "unit", "group", "peer_rank", "peer_n", "peer_mean"]))
    data = ReportData(
        result=result, editions=tuple(editions), skipped=tuple(skipped), options=options,
        strings=load_strings(lang), manifest=dict(manifest), meta=meta, intervals=intervals,
        intervals_source=file_name(intervals_source) if intervals_source else "", peer_group=peer_group,
        labels=names,
        level_names=level_names(fw, lang), anchors=tuple(T.anchors(result.units)), nodes=nodes,
        ranking=ranking, indicators=T.indicator_frame(result, nodes, lang),
        learn=T.learn_frame(result, nodes, peer_group, n_areas=options.n_areas, n_cities=options.n_cities),
        coverage=T.coverage_frame(result), weights=T.weight_frame(result, names), methods=T.methods_frame(result),
        history=T.history_frame(editions, min_level=fw.n_levels),
        changes=T.change_frame(editions, intervals=intervals, points=options.points, ranks=options.ranks),
        comparability=T.comparability_frame(editions), peer_index=peer_index.reset_index(drop=True),
        peer_groups=T.peer_group_frame(result, lang), uncertainty=uncertainty,
        **(_audit(result, external) if options.audit else {}),
    )
    return _with_figures(data)


def _audit(result: Result, external: pd.DataFrame | None = None) -> dict[str, Any]:
    """The audit of ``result`` as ``ReportData`` fields; a method error is reported, not raised."""
    try:
        return {"audit": run_audit(result, external=external)}
    except OpenIndexError as exc:
        return {"audit_error": str(exc)}


def _with_figures(data: ReportData) -> ReportData:
    """Add the figures (one thin figure function per chart) to ``data``."""
    fw, result, names = data.framework, data.result, data.labels
    sep = SEPARATORS.get(data.options.lang, ".,")
    text = data.text
    unit_names = dict(zip(result.units, result.dataset.unit_names, strict=True))
    order = list(data.ranking["unit"])
    areas = list(fw.levels[data.area_level - 1])
    scale = _score_range(result)
    figs: dict[str, Any] = {}

    wide = result.level_frame(data.area_level).loc[order]
    wide.index = [unit_names[u] for u in order]
    wide.columns = [names[c] for c in areas]
    figs["heatmap"] = F.score_heatmap(wide, colorbar=text("score"), separators=sep)

    if data.theme_level is not None:
        themes = list(fw.levels[data.theme_level - 1])
        s = result.scores[data.theme_level - 1]
        figs["themes"] = F.theme_dots(pd.DataFrame({
            "node": np.repeat([names[c] for c in themes], len(order)),
            "name": [unit_names[u] for u in order] * len(themes),
            "score": np.concatenate([s[[result.units.index(u) for u in order], j] for j in range(len(themes))])}),
            mean_label=text("network_average"), separators=sep)

    w = data.weights
    figs["sunburst"] = F.weights_sunburst(w, text={"nominal": text("weight_nominal"),
                                                   "normalised": text("weight_normalised"),
                                                   "effective": text("weight_effective")})
    cov = data.coverage.groupby("area", sort=False)[["n", "observed", "imputed", "missing"]].sum()
    cov = cov.loc[areas]
    figs["coverage"] = F.coverage_bars(pd.DataFrame({
        "node": [names[a] for a in areas], "observed": cov["observed"] / cov["n"],
        "imputed": cov["imputed"] / cov["n"], "missing": cov["missing"] / cov["n"]}),
        text={"observed": text("observed"), "imputed": text("flag_imputed"), "missing": text("flag_missing")},
        separators=sep)

    prof_text = {"score": text("city_score"), "mean": text("network_average"), "peer_mean": text("peer_average")}
    area_nodes = data.nodes[data.nodes["level"] == data.area_level].set_index(["unit", "code"])
    group = ([names[fw.ancestor(a, data.theme_level)] for a in areas] if data.theme_level is not None else None)
    for i, unit in enumerate(result.units):
        rows = area_nodes.loc[unit].loc[areas]
        frame = pd.DataFrame({"node": [names[a] for a in areas], "score": rows["score"].to_numpy(dtype=float),
                              "mean": rows["mean"].to_numpy(dtype=float),
                              "peer_mean": rows["peer_mean"].to_numpy(dtype=float)})
        if group is not None:
            frame["group"] = group
        figs[f"profile-{i}"] = F.profile_bars(frame, text=prof_text, separators=sep, score_range=scale)

    long = area_nodes.reset_index()
    long = long[long["unit"].isin(order)]
    pos = {c: k for k, c in enumerate(areas)}
    upos = {u: k for k, u in enumerate(result.units)}
    long = long.assign(_u=long["unit"].map(upos), _a=long["code"].map(pos)).sort_values(["_u", "_a"])
    figs["compare"] = F.compare_bars(pd.DataFrame({
        "unit": long["unit"], "name": long["unit"].map(unit_names), "node": long["code"].map(names),
        "score": long["score"]}), shown=tuple(compare_defaults(data)), separators=sep, score_range=scale)

    if len(data.editions) > 1:
        hist = data.history
        ch = data.changes[data.changes["code"] == fw.root].set_index("unit")
        trend_s = hist["unit"].map(ch["score_arrow"]).fillna(0).astype(int)
        trend_r = hist["unit"].map(ch["rank_arrow"]).fillna(0).astype(int)
        lbl = {"1": text("trend_up"), "-1": text("trend_down"), "0": text("trend_flat")}
        figs["slope-score"] = F.slope_chart(hist.assign(value=hist["score"], trend=trend_s),
                                            text={**lbl, "value": text("index_score")}, separators=sep)
        if not data.options.no_ranks:
            figs["slope-rank"] = F.slope_chart(hist.assign(value=hist["rank"].astype(float), trend=trend_r),
                                               text={**lbl, "value": text("rank")}, reverse=True, separators=sep)
    figs.update(_audit_figures(data))
    figs.update(robustness_figures(data))
    return replace(data, figures=figs)


def _audit_figures(data: ReportData) -> dict[str, Any]:
    """The figures of the audit tab (those of the standalone audit page: :func:`audit_figures`)."""
    return {} if data.audit is None else dict(audit_figures(data))


def _score_range(result: Result) -> tuple[float, float] | None:
    """A common x range for profile charts: [0, 100] when every score lies in it, else the data range."""
    values = np.concatenate([np.ravel(s) for s in result.scores[1:]])
    values = values[~np.isnan(values)]
    if not len(values):
        return None
    lo, hi = float(values.min()), float(values.max())
    if lo >= 0 and hi <= 100:
        return (0.0, 100.0)
    pad = 0.05 * (hi - lo or 1.0)
    return (lo - pad, hi + pad)


def build_report(framework: Framework, dataset: Dataset, *, edition: int | None = None,
                 manifest: Mapping[str, Any] | None = None, meta: Mapping[str, Any] | None = None,
                 intervals: pd.DataFrame | None = None, intervals_source: str = "",
                 options: ReportOptions | None = None, uncertainty: UncertaintyRun | None = None,
                 external: pd.DataFrame | None = None) -> ReportData:
    """Build every edition up to ``edition`` and the report data (see :func:`report_data`)."""
    options = options or ReportOptions()
    options.check(framework)
    editions, skipped = build_editions(framework, dataset, edition)
    return report_data(editions[-1], editions=editions, skipped=skipped, manifest=manifest, meta=meta,
                       intervals=intervals, intervals_source=intervals_source, options=options,
                       uncertainty=uncertainty, external=external)


def report_for(result: Result, *, lang: str = "en", peer_group: str | None = None,
               meta: Mapping[str, Any] | None = None, manifest: Mapping[str, Any] | None = None) -> ReportData:
    """The report data of ``result`` (one edition, no audit), for a single city's page (self-assessment, what-if)."""
    # no audit: it is the network's, not the city's
    options = ReportOptions(lang=lang, peer_group=peer_group, audit=False)
    return report_data(result, meta=meta, manifest=manifest, options=options)


def results_sheets(data: ReportData) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """Sheets of results.xlsx: the stage sheets of ``stages.xlsx`` plus scores, peers and rank intervals.

    With ``no_ranks`` every rank column and the ranks sheet are left out.
    """
    result = data.result
    base, highlight = stage_sheets(result, data.manifest)
    scores = result.score_frame()
    no_ranks = data.options.no_ranks
    about = base.pop("about")
    extra = [("sheet scores", "every city on every node: " + ("unit, code, level, score" if no_ranks else
                                                               "unit, code, level, score, rank (1 = best)")),
             ("sheet peers", "each city against its peer groups, for every aggregate (indicator level: peers.csv "
                             "of `openindex run`)")]
    if data.intervals is not None and not no_ranks:
        extra.append(("sheet rank_intervals", f"median rank and 90% interval (p05, p95) from {data.intervals_source}"))
    if no_ranks:
        about = about[~about["item"].isin(["sheet ranks"])]
    sheets: dict[str, pd.DataFrame] = {
        "about": pd.concat([about, pd.DataFrame(extra, columns=["item", "value"])], ignore_index=True)}
    sheets["scores"] = scores.drop(columns="rank") if no_ranks else scores
    if result.framework.model.peer_groups:  # aggregates only: indicator-level peers are in peers.csv of `run`
        peers = result.peer_frame()
        peers = peers[peers["level"] >= 2].reset_index(drop=True)
        sheets["peers"] = peers.drop(columns="peer_rank") if data.options.no_ranks else peers
    if data.intervals is not None and not data.options.no_ranks:
        sheets["rank_intervals"] = data.intervals
    if data.options.no_ranks:
        base.pop("ranks", None)
    sheets.update(base)
    return sheets, highlight


def write_report(data: ReportData, out: str | Path, *, html: str | None = None,
                 excel: bool = True) -> dict[str, Path]:
    """Write ``report.html`` (and ``results.xlsx``) into folder ``out``; return their paths by name."""
    out = Path(out)
    paths = {"report": write_text(out / "report.html", html if html is not None else render_report(data))}
    if excel:
        sheets, highlight = results_sheets(data)
        paths["results"] = write_workbook(out / "results.xlsx", sheets, highlight=highlight)
    return paths
