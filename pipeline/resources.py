"""Where the shipped data files live.

Models and tables are kept in the repository's ``dictionaries/`` folder (they are rebuilt by scripts and are
too large to duplicate inside the package). ``SOHOA_DICTIONARIES`` points elsewhere, e.g. on a worker
machine that installed the package without the repository.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DICTIONARIES = Path(os.environ.get("SOHOA_DICTIONARIES", REPO_ROOT / "dictionaries"))


def dictionary_file(name: str) -> Path:
    """Path of a shipped data file by name (it may not exist yet on a fresh checkout)."""
    return DICTIONARIES / name
