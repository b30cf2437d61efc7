"""Where the shipped data files live.

The tables and models of the repository's ``dictionaries/`` folder ship inside the package as
``pipeline.dictionaries`` (pyproject.toml maps the folder to that name), so an installed wheel finds them
wherever it is installed, and an editable install reads the repository's folder itself. They are located
with :mod:`importlib.resources`. ``SOHOA_DICTIONARIES`` points elsewhere: a folder holding files of the
same names (e.g. rebuilt models to try). Nothing is looked up at import time; the environment is read on
every call.
"""

from __future__ import annotations

import os
from functools import lru_cache
from importlib import resources
from pathlib import Path

PACKAGE = "pipeline.dictionaries"
ENV_VAR = "SOHOA_DICTIONARIES"
# The folder in a source checkout, for code imported straight from the repository (scripts, or an editable
# install made before pyproject.toml mapped the folder): there ``pipeline.dictionaries`` is not importable.
_SOURCE_FOLDER = Path(__file__).resolve().parent.parent / "dictionaries"


@lru_cache(maxsize=1)
def _package_folder() -> Path:
    try:
        root = resources.files(PACKAGE)
    except ModuleNotFoundError as exc:
        if exc.name not in (PACKAGE, None) or not _SOURCE_FOLDER.is_dir():
            raise
        return _SOURCE_FOLDER
    if not isinstance(root, Path):  # e.g. imported from a zip archive: the models need real files
        raise RuntimeError(f"{PACKAGE} is not a folder on disk ({root!r}); set {ENV_VAR} to a copy of it")
    return root


def dictionaries_dir() -> Path:
    """The folder of the data files: ``$SOHOA_DICTIONARIES`` if set, else the installed package's."""
    override = os.environ.get(ENV_VAR)
    return Path(override) if override else _package_folder()


def dictionary_file(name: str) -> Path:
    """Path of a shipped data file by name (it may not exist yet on a fresh checkout)."""
    return dictionaries_dir() / name


def __getattr__(name: str) -> Path:
    # ``DICTIONARIES`` (scripts and tests) is computed when asked for, not when this module is imported.
    if name == "DICTIONARIES":
        return dictionaries_dir()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
