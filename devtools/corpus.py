"""Reading the shared training corpus for the restoration builders and benchmark.

The train / held-out split is defined once for the whole project in ``devtools/corpus_split.py`` (the last
20% of news_dantri is held out); this module only adds the restoration-specific filter: long lines typed
without diacritics are dropped from training, since they would teach the LM that "thuc hien" is normal.
Only builders and benchmarks import it (dev-only, like all of ``devtools``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from devtools.corpus_split import CORPORA, DEFAULT_CORPUS_DIR, iter_corpus_lines

DEFAULT_FILES = tuple(f"{name}.txt.gz" for name in CORPORA)
HELDOUT_CORPUS = "news_dantri"

_MARKED = re.compile(r"[^\x00-\x7f]")
_WORD = re.compile(r"[^\W\d_]+")

__all__ = ["DEFAULT_CORPUS_DIR", "DEFAULT_FILES", "heldout_lines", "looks_unaccented", "training_lines"]


def looks_unaccented(line: str) -> bool:
    """True for long lines typed without diacritics."""
    words = _WORD.findall(line)
    if len(words) < 8:
        return False
    marked = sum(1 for w in words if _MARKED.search(w))
    return marked < 0.1 * len(words)


def training_lines(corpus_dir: Path, files: tuple[str, ...] = DEFAULT_FILES) -> Iterator[str]:
    """Yield training lines (project held-out slice and unaccented lines removed)."""
    for name in files:
        corpus = name.removesuffix(".txt.gz")
        for line in iter_corpus_lines(corpus, "train", corpus_dir):
            if not looks_unaccented(line):
                yield line


def heldout_lines(corpus_dir: Path = DEFAULT_CORPUS_DIR) -> Iterator[str]:
    """Yield the held-out evaluation lines, never seen by any builder."""
    yield from iter_corpus_lines(HELDOUT_CORPUS, "heldout", corpus_dir)
