"""Reading the shared training corpus: which lines to train on, which are held out for evaluation.

Builders (syllable inventory, language model) and the benchmark must agree on the held-out slice, so the
split lives here in one place. The slice is contiguous blocks of news_dantri lines, so whole articles are
held out together rather than single sentences whose neighbours were seen in training.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator
from pathlib import Path

from pipeline.paths import REPO_ROOT

DEFAULT_CORPUS_DIR = REPO_ROOT.parent / "shared" / "corpus"
# Legal/administrative text first: it is the target register; news and wiki add coverage.
DEFAULT_FILES = ("legal_phapdien.txt.gz", "legal_vlc.txt.gz", "news_dantri.txt.gz", "wiki_viwiki.txt.gz")

HELDOUT_FILE = "news_dantri.txt.gz"
HELDOUT_BLOCK = 1000  # lines per block
HELDOUT_EVERY = 10  # every 10th block (block % 10 == 9) is held out: about 10% of the news lines

_MARKED = re.compile(r"[^\x00-\x7f]")
_WORD = re.compile(r"[^\W\d_]+")


def is_heldout(file_name: str, line_no: int) -> bool:
    """True for lines that must never be used in training (0-based line number within the file)."""
    return file_name == HELDOUT_FILE and (line_no // HELDOUT_BLOCK) % HELDOUT_EVERY == HELDOUT_EVERY - 1


def looks_unaccented(line: str) -> bool:
    """True for long lines typed without diacritics: they would teach the LM that "thuc hien" is normal."""
    words = _WORD.findall(line)
    if len(words) < 8:
        return False
    marked = sum(1 for w in words if _MARKED.search(w))
    return marked < 0.1 * len(words)


def training_lines(corpus_dir: Path, files: tuple[str, ...] = DEFAULT_FILES) -> Iterator[str]:
    """Yield training lines (held-out slice and unaccented lines removed)."""
    for name in files:
        path = Path(corpus_dir) / name
        with gzip.open(path, "rt", encoding="utf-8", errors="replace") as fh:
            for i, line in enumerate(fh):
                if is_heldout(name, i) or looks_unaccented(line):
                    continue
                yield line


def heldout_lines(corpus_dir: Path = DEFAULT_CORPUS_DIR) -> Iterator[str]:
    """Yield the held-out evaluation lines, never seen by any builder."""
    with gzip.open(Path(corpus_dir) / HELDOUT_FILE, "rt", encoding="utf-8", errors="replace") as fh:
        for i, line in enumerate(fh):
            if is_heldout(HELDOUT_FILE, i):
                yield line.rstrip("\n")
