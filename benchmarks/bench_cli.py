"""The command line as a user meets it: whole processes, interpreter start-up and imports included.

``openindex --help`` must not import pandas, scipy or plotly (target 0.3 s); ``openindex validate``
of the demo reads and checks the default framework and the demo network (target 1.0 s). Each
timed call starts a new process (the runner keeps the best of ``--repeat``, default 5).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _command() -> list[str]:
    """The ``openindex`` console script beside the running interpreter, else ``python -m openindex``."""
    script = Path(sys.executable).with_name("openindex")
    return [str(script)] if script.exists() else [sys.executable, "-m", "openindex"]


def _process(*args: str) -> Callable[[], Callable[[], None]]:
    def setup() -> Callable[[], None]:
        cmd = [*_command(), *args]

        def run() -> None:
            subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)

        return run

    return setup


BENCHMARKS = [
    ("cli: openindex --help (whole process)", _process("--help"), 0.3),
    ("cli: openindex validate, demo network (whole process)",
     _process("validate", "indicators/opencities.yaml", "--data", "datasets/demo_network.csv"), 1.0),
]
