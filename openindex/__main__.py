"""``python -m openindex``: the command line (see :mod:`openindex.cli`)."""

from __future__ import annotations

import sys

from openindex.cli import main

if __name__ == "__main__":
    sys.exit(main())
