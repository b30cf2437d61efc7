"""Run the real ``sohoa`` command line, as a user would, from the tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def sohoa(*args: str | Path) -> subprocess.CompletedProcess:
    """``sohoa ARGS`` in a subprocess (wide terminal so tables do not wrap), output captured as text."""
    return subprocess.run(
        [sys.executable, "-m", "pipeline.cli", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, "COLUMNS": "200"},
    )
