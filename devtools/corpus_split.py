"""Train / held-out split of the shared clean corpus, in one place.

WHY: the benchmark measures restoration on OCR of lines that neither the language model nor the OCR-confusion
table has seen. Both builders (scripts/synth_ocr_pairs.py, and scripts/build_lm.py through devtools/corpus.py)
import ``HELD_OUT`` and ``iter_corpus_lines`` from this module so that the held-out slice is excluded
identically.

``HELD_OUT`` maps a corpus name to the (start, end) fraction of its lines, by line index, that is held out.
Only news_dantri is held out: legal_vlc overlaps legal_phapdien, so neither can serve as a clean test set.

The corpus directory defaults to ``../shared/corpus`` beside the repository root; override it with the
``SOHOA_CORPUS`` environment variable or the ``corpus_dir`` argument.
"""

from __future__ import annotations

import gzip
import os
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS_DIR = Path(os.environ.get("SOHOA_CORPUS", REPO_ROOT.parent / "shared" / "corpus"))

HELD_OUT: dict[str, tuple[float, float]] = {"news_dantri": (0.8, 1.0)}

CORPORA = ("legal_phapdien", "legal_vlc", "news_dantri", "wiki_viwiki")


def corpus_path(name: str, corpus_dir: Path | str | None = None) -> Path:
    """Path of the gzip file of one corpus (``name`` without extension)."""
    return Path(corpus_dir or DEFAULT_CORPUS_DIR) / f"{name}.txt.gz"


def _read_lines(path: Path) -> Iterator[str]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            yield line.rstrip("\n")


def iter_corpus_lines(
    name: str, split: str = "train", corpus_dir: Path | str | None = None, normalize: bool = False
) -> Iterator[str]:
    """Yield the lines of corpus ``name`` in the requested split ("train" or "heldout").

    A corpus without a held-out range yields all its lines for "train" and nothing for "heldout".
    ``normalize=True`` applies :func:`normalize_clean_text` (NFC + one tone-mark placement style).
    """
    if split not in ("train", "heldout"):
        raise ValueError(f"split must be 'train' or 'heldout', not {split!r}")
    path = corpus_path(name, corpus_dir)
    if name in HELD_OUT:
        lines = list(_read_lines(path))
        start_frac, end_frac = HELD_OUT[name]
        start, end = int(len(lines) * start_frac), int(len(lines) * end_frac)
        chosen = lines[start:end] if split == "heldout" else lines[:start] + lines[end:]
    elif split == "heldout":
        return
    else:
        chosen = _read_lines(path)
    for line in chosen:
        yield normalize_clean_text(line) if normalize else line


# --- tone-mark placement --------------------------------------------------------------------------------
# The corpus mixes "hoá" and "hòa" styles. The project writes the traditional style that dominates
# administrative text ("hòa", "khỏe", "thủy": in an open syllable whose nucleus is oa/oe/uy the mark sits
# on the first vowel). Syllables with a closing consonant ("hoàng", "quyết") are identical in both styles.

_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}  # grave, acute, tilde, hook above, dot below
_VOWELS = set("aăâeêioôơuưy")
# Only words ending in o+a/e or u+y (any marks) can change; matching them first keeps normalisation cheap.
_CANDIDATE_RE = re.compile(r"\w*(?:[oòóỏõọ][aàáảãạeèéẻẽẹ]|[uùúủũụ][yỳýỷỹỵ])\b", re.IGNORECASE)


def _place_tone(word: str) -> str:
    decomposed = unicodedata.normalize("NFD", word)
    tones = [ch for ch in decomposed if ch in _TONES]
    if len(tones) != 1:
        return word
    bare = unicodedata.normalize("NFC", "".join(ch for ch in decomposed if ch not in _TONES))
    lower = bare.lower()
    positions = [i for i, ch in enumerate(lower) if ch in _VOWELS]
    if not positions:
        return word
    first, last = positions[0], positions[-1]
    if last - first + 1 != len(positions):  # vowels not contiguous: not a Vietnamese syllable
        return word
    # "qu" and "gi" + vowel: the u / i belongs to the initial consonant.
    if (lower[first] == "u" and first > 0 and lower[first - 1] == "q") or (
        lower[first] == "i" and first > 0 and lower[first - 1] == "g" and len(positions) > 1
    ):
        positions = positions[1:]
    nucleus = "".join(lower[i] for i in positions)
    has_coda = positions[-1] < len(lower) - 1
    if nucleus in ("oa", "oe", "uy") and not has_coda:
        target = positions[0]
    else:
        return word  # every other nucleus is written the same way in both styles: keep the source form
    chars = list(bare)
    chars[target] = unicodedata.normalize("NFC", chars[target] + tones[0])
    return "".join(chars)


def normalize_clean_text(text: str) -> str:
    """NFC and traditional tone placement ("hoá" -> "hòa", "thuỷ" -> "thủy"); other text unchanged."""
    text = unicodedata.normalize("NFC", text)
    return _CANDIDATE_RE.sub(lambda m: _place_tone(m.group(0)), text)
