"""Splitting input lines into word tokens (with exact column offsets) and LM punctuation.

Legacy OCR glues digits and symbols into words ("c6" có, "S¢" Sở, "d&" đỡ), so a word token is any run
of letters, digits and the symbols OCR produces for Vietnamese letters (``channel.GARBLE_SYMBOLS``); only
real punctuation is peeled off its ends. Each token is classified so the decoder knows what it may change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

_LEAD = "\"'“”‘’„«‹([{<*•·-–—…,.;:!?/\\|_~=+#%^"
_TRAIL = "\"'“”‘’»›)]}>*•·-–—…,.;:!?/\\|_~=+#%^"
_BREAK_PUNCT = set(".!?;:…")

# A letter of any script (what makes a token a word rather than a number or punctuation).
LETTER = re.compile(r"[^\W\d_]")
URL_RE = re.compile(r"^(?:https?://|www\.)\S+$|^[\w.+-]+@[\w-]+(?:\.[\w-]+)+$", re.IGNORECASE)
_HAS_DIGIT = re.compile(r"\d")
_CONNECTOR = re.compile(r"[/\-.:_]")
_INNER_SPLIT = re.compile(r"(?<=[^\W\d_])[,;…]+(?=[^\W\d_])")
_ROMAN_GARBLE = re.compile(r"^[IVXl1]{1,5}$")


@dataclass
class Piece:
    """A token or a punctuation mark at ``col`` in the line.

    kind: "word" (letters, maybe with garble digits/symbols), "number", "code" (document codes and
    abbreviations joined by / or -), "protected" (URLs, e-mails, dates, other digit strings),
    "comma", "break" (sentence punctuation), "other" (punctuation the LM ignores).
    """

    col: int
    text: str
    kind: str


def _classify_core(core: str) -> str:
    if URL_RE.match(core):
        return "protected"
    if core.isdigit():
        return "number"
    if _CONNECTOR.search(core):
        if _HAS_DIGIT.search(core) and not any(c.isalpha() for c in core):
            return "protected"
        return "code"
    return "word"


def _emit_punct(out: list[Piece], col: int, text: str) -> None:
    for i, ch in enumerate(text):
        if ch == ",":
            out.append(Piece(col + i, ch, "comma"))
        elif ch in _BREAK_PUNCT:
            out.append(Piece(col + i, ch, "break"))
        else:
            out.append(Piece(col + i, ch, "other"))


def _split_core(core: str, col: int, out: list[Piece]) -> None:
    """Split glued words ("tỉnh,giai") and lowercase hyphen/slash compounds; keep codes whole."""
    pos = col
    parts: list[str] = []
    seps: list[str] = []
    last = 0
    for m in _INNER_SPLIT.finditer(core):
        parts.append(core[last : m.start()])
        seps.append(m.group())
        last = m.end()
    parts.append(core[last:])
    for j, part in enumerate(parts):
        if j:
            _emit_punct(out, pos, seps[j - 1])
            pos += len(seps[j - 1])
        kind = _classify_core(part)
        if kind == "code" and part.lower() == part and not _HAS_DIGIT.search(part):
            # "và/hoặc", "kinh-tế": separate words joined by a connector.
            for m in re.finditer(r"[^/\-.:_]+|[/\-.:_]", part):
                sub = m.group()
                if _CONNECTOR.fullmatch(sub):
                    _emit_punct(out, pos + m.start(), sub)
                else:
                    out.append(Piece(pos + m.start(), sub, _classify_core(sub)))
        else:
            out.append(Piece(pos, part, kind))
        pos += len(part)


# Chunks up to this long are remembered with their pieces (words recur on every page; a long chunk is
# rare and would make the cache large).
_CACHED_CHUNK_LEN = 64
_CHUNK = re.compile(r"\S+")


def tokenize_line(line: str) -> list[Piece]:
    """All pieces of one line, in order, with 0-based character columns."""
    out: list[Piece] = []
    for m in _CHUNK.finditer(line):
        chunk, col = m.group(), m.start()
        if len(chunk) > _CACHED_CHUNK_LEN:
            _chunk_pieces(chunk, col, out)
            continue
        out.extend(Piece(col + at, text, kind) for at, text, kind in _cached_chunk(chunk))
    return out


@lru_cache(maxsize=65_536)
def _cached_chunk(chunk: str) -> tuple[tuple[int, str, str], ...]:
    """(column in the chunk, text, kind) of each piece of a short chunk: a chunk's pieces depend on it
    alone."""
    out: list[Piece] = []
    _chunk_pieces(chunk, 0, out)
    return tuple((p.col, p.text, p.kind) for p in out)


def _chunk_pieces(chunk: str, col: int, out: list[Piece]) -> None:
    """The pieces of one run of non-space characters starting at ``col``."""
    if URL_RE.match(chunk.rstrip(".,;:)")):
        core = chunk.rstrip(".,;:)")
        out.append(Piece(col, core, "protected"))
        _emit_punct(out, col + len(core), chunk[len(core) :])
        return
    i, j = 0, len(chunk)
    while i < j and chunk[i] in _LEAD:
        i += 1
    while j > i and chunk[j - 1] in _TRAIL:
        j -= 1
    if i == j:
        _emit_punct(out, col, chunk)
        return
    _emit_punct(out, col, chunk[:i])
    _split_core(chunk[i:j], col + i, out)
    _emit_punct(out, col + j, chunk[j:])


def is_roman_garble(core: str) -> bool:
    """Heading numerals read with digits ("I1", "I1I", "V1"): only I/V/X/1/l, at least one real I/V/X."""
    return bool(_ROMAN_GARBLE.match(core)) and any(c in "IVX" for c in core) and not core.isdigit()
