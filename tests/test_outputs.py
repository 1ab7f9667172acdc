"""Outputs whole or absent: every command that writes a folder writes it through :class:`openindex.io.OutputSet`.

The folder is written in a hidden sibling, manifest.json last (listing every file with its SHA-256), then
moved into place in one step; an earlier set's files that the new one does not write are gone, anything
else in the folder makes the command refuse, and a second command writing the same folder is refused.
The SIGKILL tests kill `run`, `report` and `uncertainty` at random moments and check that the folder
holds either the earlier complete set or the new one, against the manifest's hashes.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from openindex import io as oio
from openindex.cli import main
from openindex.errors import OutputError, ProblemCode
from openindex.io import MANIFEST_NAME, OutputSet, write_text
from tests.conftest import ROOT, TINY_CSV, TINY_YAML

FACTORS = "runs: 40\nseed: 1\nfactors:\n  - name: weights\n    weights: {level: 1, noise: 0.25}\n"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def state(folder: Path, nested: tuple[str, ...] = ()) -> dict[str, str]:
    """The files of a complete output set, checked against its manifest; fails on anything incomplete."""
    manifest = json.loads((folder / MANIFEST_NAME).read_text(encoding="utf-8"))
    files = manifest["files"]
    present = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()
               and p.relative_to(folder).parts[0] not in nested}
    assert present == set(files) | {MANIFEST_NAME}, (sorted(present), sorted(files))
    for rel, digest in files.items():
        assert _sha(folder / rel) == digest, rel
    return dict(files)


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    """A working folder holding the tiny framework, its data and a factors file (commands run from here)."""
    (tmp_path / "f.yaml").write_text(TINY_YAML, encoding="utf-8")
    (tmp_path / "d.csv").write_text(TINY_CSV, encoding="utf-8")
    (tmp_path / "u.yaml").write_text(FACTORS, encoding="utf-8")
    return tmp_path


# ---- the output set itself ---------------------------------------------------------------------------------


def _write_set(out: Path, files: dict[str, str], *, keep: bool = False, manifest: dict | None = None) -> OutputSet:
    with OutputSet(out) as target:
        for name, text in files.items():
            write_text(target.path(name), text)
        target.commit(manifest or {"command": "test"}, keep_previous=keep)
    return target


def test_set_is_written_whole_with_the_manifest_last(tmp_path: Path) -> None:
    out = tmp_path / "out"
    target = _write_set(out, {"a.csv": "1\n", "b.html": "<p>"})
    assert state(out) == {"a.csv": _sha(out / "a.csv"), "b.html": _sha(out / "b.html")}
    assert json.loads((out / MANIFEST_NAME).read_text())["command"] == "test"
    assert target.final(target.path("a.csv")) == out / "a.csv"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no temporary folder, no lock left


def test_a_second_set_removes_the_files_of_the_first_it_does_not_write(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _write_set(out, {"a.csv": "1\n", "report.html": "<p>old"})
    _write_set(out, {"a.csv": "2\n"})
    assert set(state(out)) == {"a.csv"} and (out / "a.csv").read_text() == "2\n"


def test_keep_previous_joins_the_earlier_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _write_set(out, {"a.csv": "1\n", "report.html": "<p>old"})
    target = _write_set(out, {"report.html": "<p>new"}, keep=True, manifest={"command": "run"})
    assert target.previous == {"command": "test"}
    assert set(state(out)) == {"a.csv", "report.html"} and (out / "report.html").read_text() == "<p>new"


def test_a_file_of_the_user_blocks_the_command(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _write_set(out, {"a.csv": "1\n"})
    (out / "notes.txt").write_text("mine")
    (out / "drafts").mkdir()
    with pytest.raises(OutputError) as info:
        _write_set(out, {"a.csv": "2\n"})
    assert info.value.problems[0].code == ProblemCode.FOREIGN_FILES
    assert "2 file(s) or folder(s) that no earlier openindex output lists: drafts/, notes.txt" in str(info.value)
    assert (out / "a.csv").read_text() == "1\n" and (out / "notes.txt").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_nested_output_set_is_kept(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _write_set(out, {"a.csv": "1\n"})
    _write_set(out / "uncertainty", {"rank_intervals.csv": "u\n"})
    _write_set(out, {"a.csv": "2\n"})
    assert set(state(out, nested=("uncertainty",))) == {"a.csv"}
    assert set(state(out / "uncertainty")) == {"rank_intervals.csv"}


def test_a_folder_written_before_manifests_listed_their_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / MANIFEST_NAME).write_text(json.dumps({"command": "run", "software": {}}))
    (out / "report.html").write_text("<p>old")
    _write_set(out, {"scores.csv": "1\n"})
    assert set(state(out)) == {"scores.csv"}


def test_an_error_while_writing_leaves_the_earlier_set(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _write_set(out, {"a.csv": "1\n"})
    with pytest.raises(ZeroDivisionError), OutputSet(out) as target:
        write_text(target.path("a.csv"), "2\n")
        _ = 1 / 0
    assert state(out) and (out / "a.csv").read_text() == "1\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_what_a_killed_command_left_is_cleared_or_restored(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _write_set(out, {"a.csv": "1\n"})
    (tmp_path / ".out.openindex-new").mkdir()  # killed while writing
    (tmp_path / ".out.openindex-new" / "a.csv").write_text("half")
    (tmp_path / "out.lock").write_text("999999\n")  # its lock (no process holds it)
    _write_set(out, {"a.csv": "2\n"})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    os.rename(out, tmp_path / ".out.openindex-old")  # killed between the two renames of the fallback swap
    _write_set(out, {"b.csv": "3\n"})
    assert set(state(out)) == {"b.csv"}


def test_swap_without_renameat2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(oio, "_exchange", lambda a, b: False)
    out = tmp_path / "out"
    _write_set(out, {"a.csv": "1\n"})
    _write_set(out, {"b.csv": "2\n"})
    assert set(state(out)) == {"b.csv"} and sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_second_writer_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with OutputSet(out) as first:
        with pytest.raises(OutputError) as info, OutputSet(out):
            pass
        assert info.value.problems[0].code == ProblemCode.OUTPUT_IN_USE
        assert f"another openindex command (process {os.getpid()}) is writing this folder" in str(info.value)
        first.commit({"command": "test"})
    assert not (tmp_path / "out.lock").exists()


def test_a_nested_writer_waits_for_the_outer_one_and_back(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _write_set(out / "uncertainty", {"rank_intervals.csv": "u\n"})
    with OutputSet(out) as outer:
        with pytest.raises(OutputError, match="is writing the folder .*out', which holds this one"):
            _write_set(out / "uncertainty", {"rank_intervals.csv": "v\n"})
        outer.commit({"command": "test"})
    with OutputSet(out / "uncertainty") as inner:
        with pytest.raises(OutputError, match="another openindex command is writing into 'uncertainty' inside it"):
            _write_set(out, {"a.csv": "1\n"})
        inner.commit({"command": "test"})
    assert set(state(out, nested=("uncertainty",))) == set() and set(state(out / "uncertainty")) == set()


def test_a_linked_output_folder_and_a_manifest_naming_outside_files(tmp_path: Path) -> None:
    real = tmp_path / "real"
    _write_set(real, {"a.csv": "1\n"})
    (tmp_path / "link").symlink_to(real)
    _write_set(tmp_path / "link", {"b.csv": "2\n"})
    assert (tmp_path / "link").is_symlink() and set(state(real)) == {"b.csv"}
    (tmp_path / "secret.txt").write_text("keep")
    manifest = json.loads((real / MANIFEST_NAME).read_text())
    manifest["files"]["../secret.txt"] = "0" * 64
    (real / MANIFEST_NAME).write_text(json.dumps(manifest))
    _write_set(real, {"c.csv": "3\n"}, keep=True)
    assert set(state(real)) == {"b.csv", "c.csv"} and (tmp_path / "secret.txt").read_text() == "keep"


def test_the_current_folder_cannot_be_an_output_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for out in (".", "..", str(tmp_path)):
        with pytest.raises(OutputError, match="is the current folder, or holds it"):
            _write_set(Path(out), {"a.csv": "1\n"})


def test_an_input_that_belongs_to_the_earlier_set_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _write_set(out, {"data.csv": "x\n"})
    with pytest.raises(OutputError, match="'data.csv', an input of this command, is a file of the earlier output"):
        OutputSet(out, inputs=[out / "data.csv"]).__enter__()
    assert not (tmp_path / "out.lock").exists()


# ---- the commands ----------------------------------------------------------------------------------------------


def _oi(*args: str) -> list[str]:
    return [sys.executable, "-m", "openindex", *args]


def test_rerun_with_other_methods_leaves_no_file_of_the_first(tiny: Path, capsys: pytest.CaptureFixture) -> None:
    out = tiny / "out"
    assert main(["run", str(tiny / "f.yaml"), str(tiny / "d.csv"), "--out", str(out)]) == 0
    assert {"report.html", "results.xlsx", "scores.csv", "stages.xlsx"} == set(state(out))
    assert main(["run", str(tiny / "f.yaml"), str(tiny / "d.csv"), "--out", str(out), "--no-report",
                 "--set", "build.normalise.method=zscore"]) == 0
    assert set(state(out)) == {"scores.csv", "stages.xlsx"}
    assert json.loads((out / MANIFEST_NAME).read_text())["settings"] == {"build.normalise.method": "zscore"}


def test_report_joins_a_run_of_the_same_build_and_replaces_another(tiny: Path, capsys: pytest.CaptureFixture) -> None:
    fw, data, out = str(tiny / "f.yaml"), str(tiny / "d.csv"), tiny / "out"
    assert main(["run", fw, data, "--out", str(out), "--no-report"]) == 0
    run_manifest = json.loads((out / MANIFEST_NAME).read_text())
    assert main(["report", fw, data, "--out", str(out)]) == 0
    joined = json.loads((out / MANIFEST_NAME).read_text())
    assert set(state(out)) == {"scores.csv", "stages.xlsx", "report.html", "results.xlsx"}
    assert {k: v for k, v in joined.items() if k != "files"} == {k: v for k, v in run_manifest.items() if k != "files"}
    assert main(["report", fw, data, "--out", str(out), "--set", "build.normalise.method=zscore"]) == 0
    assert set(state(out)) == {"report.html", "results.xlsx"}  # scores.csv of another build is gone
    assert json.loads((out / MANIFEST_NAME).read_text())["command"] == "report"


def test_run_into_a_folder_of_the_user_is_refused(tiny: Path, capsys: pytest.CaptureFixture) -> None:
    code = main(["run", str(tiny / "f.yaml"), str(tiny / "d.csv"), "--out", str(tiny)])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert "holds 3 file(s) or folder(s) that no earlier openindex output lists: d.csv, f.yaml, u.yaml" in err
    assert sorted(p.name for p in tiny.iterdir()) == ["d.csv", "f.yaml", "u.yaml"]


def test_two_runs_into_one_folder_one_is_refused(tiny: Path, capsys: pytest.CaptureFixture) -> None:
    out = tiny / "out"
    first = subprocess.Popen(_oi("run", "f.yaml", "d.csv", "--out", "out"), cwd=tiny,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not (tiny / "out.lock").exists() and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert (tiny / "out.lock").exists(), first.communicate()
    code = main(["run", str(tiny / "f.yaml"), str(tiny / "d.csv"), "--out", str(out)])  # the second one
    err = capsys.readouterr().err
    _, first_err = first.communicate(timeout=120)
    assert first.returncode == 0, first_err
    assert code == 2 and "another openindex command (process" in err and "is writing this folder" in err, err
    assert {"report.html", "scores.csv"} <= set(state(out))
    assert not (tiny / "out.lock").exists()


# ---- SIGKILL at random moments -----------------------------------------------------------------------------------

KILLS = 10  # per command
BUDGET = 60.0  # seconds of killing per command at most (at least 5 kills are made)
KEEP = {"f.yaml", "d.csv", "u.yaml", "ref", "out"}


def _command(cwd: str, argv: list[str]) -> None:
    """A forked process running one command (the libraries are loaded already: no start-up time)."""
    os.chdir(cwd)
    sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - the process ends with os._exit
    os._exit(main(argv))


def _start(cwd: Path, argv: list[str]) -> multiprocessing.Process:
    proc = multiprocessing.get_context("fork").Process(target=_command, args=(str(cwd), argv))
    proc.start()
    return proc


def _timed(cwd: Path, argv: list[str]) -> float:
    t0 = time.monotonic()
    proc = _start(cwd, argv)
    proc.join()
    assert proc.exitcode == 0
    return time.monotonic() - t0


def _wait_for(path: Path, proc: multiprocessing.Process, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists() and proc.is_alive() and time.monotonic() < deadline:
        time.sleep(0.0005)


def _kill_loop(cwd: Path, variants: list[list[str]], expected: list[dict[str, str]],
               seconds: list[float]) -> list[str]:
    """Run the variants in turn into cwd/out, each killed at a random moment: after a random delay within the
    whole command (variant k takes ``seconds[k]``), a random moment after it began writing its folder, or a few
    milliseconds after it wrote the manifest (while the set is moved into place). The folder always holds one
    complete set, the earlier one or the new one."""
    rng = random.Random(11)
    t0 = time.monotonic()
    out, new = cwd / "out", cwd / ".out.openindex-new"
    before, outcomes = state(out), []
    for i in range(KILLS):
        if i >= 5 and time.monotonic() - t0 > BUDGET:
            break
        k = i % len(variants)
        proc = _start(cwd, variants[k])
        if i % 3 == 0:
            time.sleep(rng.uniform(0.05, 1.1) * seconds[k])
        elif i % 3 == 1:
            _wait_for(new, proc, 2 * seconds[k] + 5)
            time.sleep(rng.uniform(0.0, 0.9) * seconds[k])
        else:
            _wait_for(new / MANIFEST_NAME, proc, 2 * seconds[k] + 5)
            time.sleep(rng.uniform(0.0, 0.003))
        if proc.pid is not None and proc.is_alive():
            os.kill(proc.pid, signal.SIGKILL)
        proc.join()
        now = state(out)
        assert now in (before, expected[k]), f"kill {i}: neither the earlier set nor the new one"
        outcomes.append("earlier" if now == before else "new")
        before = now
        left = {p.name for p in cwd.iterdir()} - KEEP  # what a killed command leaves beside the folder
        assert left <= {".out.openindex-new", ".out.openindex-old", "out.lock"}, left
    subprocess.run([sys.executable, "-m", "openindex", *variants[0]], cwd=cwd, capture_output=True, check=True)
    assert state(out) == expected[0]  # a whole command after the kills
    assert {p.name for p in cwd.iterdir()} == KEEP  # it cleared what the killed ones left
    return outcomes


def _with_out(args: list[str], out: str) -> list[str]:
    return [out if a == "OUT" else a for a in args]


@pytest.mark.parametrize("command", ["run", "report", "uncertainty"])
def test_sigkill_leaves_the_earlier_set_or_the_new_one(command: str, tiny: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture) -> None:
    monkeypatch.chdir(tiny)  # the commands name their inputs as the forked ones do
    setup: list[list[str]] = []
    if command == "run":
        variants = [["run", "f.yaml", "d.csv", "--out", "OUT"],
                    ["run", "f.yaml", "d.csv", "--out", "OUT", "--no-report", "--set", "build.normalise.method=zscore"]]
    elif command == "report":
        setup = [["run", "f.yaml", "d.csv", "--out", "OUT", "--no-report"]]
        variants = [["report", "f.yaml", "d.csv", "--out", "OUT"],
                    ["report", "f.yaml", "d.csv", "--out", "OUT", "--no-ranks"]]
    else:
        variants = [["uncertainty", "f.yaml", "d.csv", "--out", "OUT", "--factors", "u.yaml", "--seed", "1"],
                    ["uncertainty", "f.yaml", "d.csv", "--out", "OUT", "--factors", "u.yaml", "--seed", "2",
                     "--keep-replications"]]
    expected = []
    for k, args in enumerate(variants):  # the complete sets
        for step in [*setup, args]:
            assert main(_with_out(step, f"ref/{k}")) == 0
        expected.append(state(tiny / "ref" / str(k)))
    assert expected[0] != expected[1]
    for step in setup:
        assert main(_with_out(step, "out")) == 0
    seconds = [_timed(tiny, _with_out(v, "out")) for v in variants]  # the earlier set: the last variant
    assert state(tiny / "out") == expected[-1]
    outcomes = _kill_loop(tiny, [_with_out(v, "out") for v in variants], expected, seconds)
    print(command, [f"{t:.2f} s" for t in seconds], outcomes)


def test_make_run_sequence_keeps_the_nested_uncertainty_folder(tmp_path: Path) -> None:
    """`make run`'s commands, twice: the run folder lists its files, the nested uncertainty folder its own."""
    fw, data = ROOT / "indicators" / "opencities.yaml", ROOT / "datasets" / "demo_network.csv"
    out = tmp_path / "demo"
    for _ in range(2):
        assert main(["run", str(fw), str(data), "--out", str(out), "--no-report"]) == 0
        assert main(["uncertainty", str(fw), str(data), "--out", str(out / "uncertainty"), "--runs", "50"]) == 0
        assert main(["report", str(fw), str(data), "--out", str(out), "--uncertainty", str(out / "uncertainty")]) == 0
        assert set(state(out, nested=("uncertainty",))) == {"scores.csv", "peers.csv", "stages.xlsx", "report.html",
                                                            "results.xlsx"}
        assert set(state(out / "uncertainty")) == {"rank_intervals.csv", "remove_one.csv"}
