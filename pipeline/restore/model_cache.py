"""A per-user cache of the built restoration models: a worker process starts in a fraction of the time.

Building :class:`~pipeline.restore.model.Models` from ``dictionaries/`` (unpacking and converting the
trigram tables, parsing the confusion table, folding some 7,000 syllables) costs about 0.9 s of CPU in
every worker process of every run: with two workers on a 16-page batch that was 3 % of the whole run. The
built models are stored once per user instead: the trigram arrays as ``.npy`` files that every process
memory-maps (so all workers share one copy of them in memory, where each held its own), the rest pickled
(about a megabyte).

An entry is named by a key over everything the models are built from: the dictionary files (name, size,
modification time), the restoration code (the same for every module of ``pipeline.restore``), the
configuration's channel key and the Python version. A changed file gives a new entry; old entries are
pruned. A cache that cannot be read or written is passed over: the models are built as before, and the
batch never fails because of it. ``SOHOA_CACHE`` sets the folder (default ``$XDG_CACHE_HOME/sohoa`` or
``~/.cache/sohoa``); ``SOHOA_CACHE=off`` turns the cache off.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.resources import dictionaries_dir

if TYPE_CHECKING:
    from pipeline.restore.model import Models

ENV_VAR = "SOHOA_CACHE"
_FORMAT = 1  # bump when the stored layout changes
_KEEP_ENTRIES = 3  # entries of other keys kept (other checkouts or versions in use on the machine)
_REST = "models.pickle"
_ABANDONED_S = 600  # a temporary folder this old was left by a killed process (storing takes a second)

_log = logging.getLogger(__name__)


def cache_dir() -> Path | None:
    """The folder of cached models, or None when the cache is turned off."""
    chosen = os.environ.get(ENV_VAR)
    if chosen:
        return None if chosen.lower() in ("off", "0", "no") else Path(chosen) / "models"
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "sohoa" / "models"


def cache_key(channel_key: object) -> str:
    """The name of the entry for models built from today's files with this channel key."""
    parts = [f"format {_FORMAT}", f"python {sys.version_info[:2]}", f"channel {channel_key!r}"]
    code = Path(__file__).resolve().parent
    for folder in (dictionaries_dir(), code):
        for path in sorted(folder.iterdir()):
            if path.is_file() and path.suffix in (".py", ".tsv", ".npz", ".txt"):
                st = path.stat()
                parts.append(f"{path.name} {st.st_size} {st.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:20]


def load_or_build(channel_key: object, build: Callable[[], Models]) -> tuple[Models, bool]:
    """The models from the cache when an entry for ``channel_key`` is there, else ``build()`` (stored for
    the next process). Returns the models and whether they came from the cache."""
    try:
        root = cache_dir()
        entry = root / cache_key(channel_key) if root else None
    except (OSError, RuntimeError):  # no home folder, an unlistable dictionary folder
        entry = None
    if entry is None:
        return build(), False
    if (entry / _REST).is_file():
        try:
            return _read(entry), True
        except Exception as exc:  # damaged or from another layout: build again, replace it
            _log.info("model cache entry %s unreadable (%s): rebuilding", entry, exc)
            shutil.rmtree(entry, ignore_errors=True)
    models = build()
    _store(models, entry)
    return models, False


def _read(entry: Path) -> Models:
    from pipeline.restore.lm import TrigramLM

    with open(entry / _REST, "rb") as fh:
        models = pickle.load(fh)
    models.lm = TrigramLM.mapped(entry)
    return models


def _store(models: Models, entry: Path) -> None:
    """Write the entry in a temporary folder and rename it into place: a reader sees all of it or none;
    of two processes storing the same entry at once, the first rename wins."""
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{entry.name}.", dir=entry.parent))
    except OSError as exc:
        _log.info("model cache not writable (%s): models are built in every process", exc)
        return
    try:
        models.lm.save(tmp)
        with open(tmp / _REST, "wb") as fh:
            pickle.dump(models, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.rename(tmp, entry)
    except OSError as exc:  # full disk, or another process stored it first
        if not entry.is_dir():
            _log.info("model cache entry not stored (%s)", exc)
        shutil.rmtree(tmp, ignore_errors=True)
        return
    _prune(entry)


def _prune(kept: Path) -> None:
    """Remove all but the newest entries, and temporary folders left by a killed process."""
    try:
        entries = sorted(
            (p for p in kept.parent.iterdir() if p.is_dir() and p != kept),
            key=lambda p: p.stat().st_mtime,
            reverse=True,
        )
    except OSError:
        return
    now = time.time()
    old = [p for p in entries if not p.name.startswith(".")][_KEEP_ENTRIES:]
    abandoned = [p for p in entries if p.name.startswith(".") and now - p.stat().st_mtime > _ABANDONED_S]
    for path in old + abandoned:
        shutil.rmtree(path, ignore_errors=True)
