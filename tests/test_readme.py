"""Every command block of the README runs, as written, against the bundled frameworks and demo data.

The fenced ``sh`` and ``bash`` blocks of README.md are parsed; each ``openindex`` or
``.venv/bin/openindex`` command line (joined over trailing backslashes, comments dropped) is
run, in the order of its block, in a fresh temporary folder where ``indicators/`` and
``datasets/`` point to the repository's. Each must exit with code 0 and print no traceback.

``make`` lines are skipped (they install and build the whole project). A block preceded by
the HTML comment ``<!-- not run -->`` (on the last non-blank line before the fence) is
skipped as a whole; any other command in a block is an error, so that the README cannot
grow a command this test silently ignores.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
NOT_RUN = "<!-- not run -->"
OPENINDEX = ("openindex", ".venv/bin/openindex")
SHELLS = ("sh", "bash")
FENCE = re.compile(r"^(?P<indent>[ \t]*)```(?P<info>[\w+-]*)[ \t]*$")


@dataclass(frozen=True)
class Block:
    """A fenced command block of the README: its first line number and its commands (argument lists)."""

    line: int
    commands: tuple[tuple[str, ...], ...]
    skipped: bool


def command_lines(body: list[str]) -> list[str]:
    """The logical lines of a shell block: continuation backslashes joined, blank lines dropped."""
    lines: list[str] = []
    current = ""
    for raw in body:
        text = raw.strip()
        if text.endswith("\\"):
            current += text[:-1] + " "
            continue
        current += text
        if current.strip():
            lines.append(current.strip())
        current = ""
    if current.strip():
        lines.append(current.strip())
    return lines


def blocks(text: str) -> list[Block]:
    """The ``sh``/``bash`` blocks of ``text`` with their commands (``make`` lines left out)."""
    out: list[Block] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        start, info = i, m.group("info")
        end = next(j for j in range(i + 1, len(lines)) if lines[j].strip() == "```")
        i = end + 1
        if info not in SHELLS:
            continue
        before = next((lines[j].strip() for j in range(start - 1, -1, -1) if lines[j].strip()), "")
        commands = []
        for line in command_lines(lines[start + 1:end]):
            args = tuple(shlex.split(line, comments=True))
            if not args or args[0] == "make":
                continue
            commands.append(args)
        out.append(Block(line=start + 1, commands=tuple(commands), skipped=before == NOT_RUN))
    return out


BLOCKS = blocks(README.read_text(encoding="utf-8"))


def test_parser_reads_blocks() -> None:
    text = "\n".join([
        "```sh", "make run   # builds", "openindex run a.yaml b.csv \\", "    --out x  # out", "```",
        "<!-- not run -->", "", "```bash", "openindex foo", "```",
        "```python", "print(1)", "```",
    ])
    got = blocks(text)
    assert [(b.line, b.commands, b.skipped) for b in got] == [
        (1, (("openindex", "run", "a.yaml", "b.csv", "--out", "x"),), False),
        (8, (("openindex", "foo"),), True),
    ]


def test_readme_has_command_blocks() -> None:
    """The test below sees the README's commands (a parser that found nothing would pass vacuously)."""
    run = [c for b in BLOCKS if not b.skipped for c in b.commands]
    assert len(run) >= 8
    assert any("geometric" in " ".join(c) for c in run)


@pytest.mark.parametrize("block", [b for b in BLOCKS if b.commands and not b.skipped],
                         ids=lambda b: f"line{b.line}")
def test_readme_block_runs(block: Block, tmp_path: Path) -> None:
    (tmp_path / "indicators").symlink_to(ROOT / "indicators", target_is_directory=True)
    (tmp_path / "datasets").symlink_to(ROOT / "datasets", target_is_directory=True)
    for args in block.commands:
        assert args[0] in OPENINDEX, (f"README line {block.line}: '{args[0]}' is not an openindex command; run it "
                                      f"here or mark the block with {NOT_RUN}")
        proc = subprocess.run([sys.executable, "-m", "openindex", *args[1:]], cwd=tmp_path, capture_output=True,
                              text=True, timeout=300)
        shown = " ".join(args)
        assert proc.returncode == 0, f"README line {block.line}: `{shown}` exited {proc.returncode}:\n{proc.stderr}"
        assert "Traceback" not in proc.stderr, f"README line {block.line}: `{shown}`:\n{proc.stderr}"
