"""Where each restored word sits: OCR words (with boxes) joined to the restoration's per-token records.

The restoration reports tokens by (line, column) in the raw OCR text, while the page records hold words with
boxes, in the order of the raw line's whitespace-separated pieces. Joining the two gives, for every word on
the page image, what the OCR read, what the restoration made of it and how sure each step was; the review
report and the searchable PDF both need exactly that.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from pipeline.review import to_review, token_to_review

_PIECE = re.compile(r"\S+")


@dataclass
class Segment:
    """A stretch of a restored line: plain text, or the restored form of one restoration token."""

    text: str
    token: dict | None = None


@dataclass
class PageWord:
    """One OCR word with its box (preprocessed-page pixels) and what the restoration made of it."""

    ocr_text: str
    restored: str
    bbox: tuple[int, int, int, int]
    ocr_conf: float
    confidence: float | None = None  # lowest restoration posterior among the word's tokens
    changed: bool = False
    tokens: list[dict] = field(default_factory=list)
    to_review: bool = False  # one of its tokens is to review (pipeline.review); without tokens: its OCR


def tokens_by_line(doc: dict) -> dict[int, list[dict]]:
    """Restoration tokens grouped by raw line, each group in column order."""
    grouped: dict[int, list[dict]] = {}
    for token in (doc.get("restoration") or {}).get("tokens") or []:
        grouped.setdefault(int(token["line"]), []).append(token)
    for tokens in grouped.values():
        tokens.sort(key=lambda t: t["col"])
    return grouped


def restored_segments(raw_line: str, tokens: list[dict]) -> list[Segment]:
    """The restored line as segments: raw text between tokens is kept, each token gives its restored form."""
    segments: list[Segment] = []
    pos = 0
    for token in tokens:
        col = int(token["col"])
        if col < pos or raw_line[col : col + len(token["original"])] != token["original"]:
            continue  # a token that does not sit where it says is ignored rather than garbling the line
        if col > pos:
            segments.append(Segment(raw_line[pos:col]))
        segments.append(Segment(token["restored"], token))
        pos = col + len(token["original"])
    if pos < len(raw_line):
        segments.append(Segment(raw_line[pos:]))
    return segments


def page_words(doc: dict, page: dict) -> Iterator[list[PageWord]]:
    """For each OCR line of ``page``, its words joined to their restoration tokens."""
    raw_lines = (doc.get("raw_text") or "").split("\n")
    by_line = tokens_by_line(doc)
    has_restoration = doc.get("restoration") is not None
    start = int(page.get("line_start") or 0)
    for offset, line in enumerate(page.get("lines") or []):
        index = start + offset
        raw = raw_lines[index] if index < len(raw_lines) else line["text"]
        yield _join_line(raw, line.get("words") or [], by_line.get(index, []), has_restoration)


def _join_line(
    raw: str, words: list[dict], tokens: list[dict], has_restoration: bool = True
) -> list[PageWord]:
    pieces = list(_PIECE.finditer(raw))
    if len(pieces) != len(words):
        # The raw line and the word list disagree (should not happen): keep the OCR words unrestored.
        return [_plain(w) for w in words]
    joined = []
    for piece, word in zip(pieces, words, strict=True):
        conf = float(word.get("conf", 0.0))
        inside = [
            t if "ocr_confidence" in t else {**t, "ocr_confidence": conf}  # runs before the rule was stored
            for t in tokens
            if piece.start() <= int(t["col"]) < piece.end()
        ]
        text = piece.group()
        restored = "".join(
            s.text
            for s in restored_segments(text, [{**t, "col": int(t["col"]) - piece.start()} for t in inside])
        )
        joined.append(
            PageWord(
                ocr_text=word["text"],
                restored=restored,
                bbox=tuple(int(v) for v in word["bbox"]),
                ocr_conf=conf,
                confidence=min((float(t["confidence"]) for t in inside), default=None),
                changed=any(t.get("changed") for t in inside),
                tokens=inside,
                to_review=_word_to_review(inside, conf, has_restoration),
            )
        )
    return joined


def _word_to_review(tokens: list[dict], ocr_conf: float, has_restoration: bool) -> bool:
    """A word is to review when one of its tokens is (the rule that counts ``n_low_confidence``). A piece
    of a restored line without tokens is punctuation, never counted; without restoration, the OCR decides."""
    if tokens:
        return any(token_to_review(t) for t in tokens)
    return not has_restoration and to_review(ocr_conf, None)


def _plain(word: dict) -> PageWord:
    conf = float(word.get("conf", 0))
    return PageWord(
        word["text"], word["text"], tuple(int(v) for v in word["bbox"]), conf, to_review=to_review(conf, None)
    )
