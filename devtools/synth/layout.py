"""Page layout of a ``DocumentSource`` in points, independent of the output resolution.

WHY a separate step: the ground truth must list the lines exactly as they are printed (one truth line per
printed line), and it must not depend on the dpi chosen for the images. Words are therefore measured with
the real fonts at a large reference size, wrapped and paginated in points; the renderer only scales the
result. The seed only moves the seal and the signature, never the text.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

from devtools.synth.source import SECTIONS, Directive, DocumentSource, Item, Line

FONT_DIR = Path("/usr/share/fonts/truetype/liberation2")
_FAMILIES = {"serif": "LiberationSerif", "mono": "LiberationMono"}
_STYLES = {
    (False, False): "Regular",
    (True, False): "Bold",
    (False, True): "Italic",
    (True, True): "BoldItalic",
}
FACES = tuple(_FAMILIES)
"""Type faces: ``serif`` (Liberation Serif, printed documents) and ``mono`` (Liberation Mono, typewriters)."""

PAGE_W = 595.276  # A4 in points
PAGE_H = 841.890
MARGIN_LEFT = 85.0  # 30 mm, as prescribed for Vietnamese administrative documents
MARGIN_RIGHT = 57.0  # 20 mm
MARGIN_TOP = 57.0
MARGIN_BOTTOM = 57.0
TEXT_W = PAGE_W - MARGIN_LEFT - MARGIN_RIGHT

ASCENT = 0.91  # of the font size: covers Vietnamese capitals with two stacked marks
DESCENT = 0.22
INDENT = 28.35  # 1 cm first-line indent
BODY_LEADING = 1.25
BLOCK_LEADING = 1.2
PARAGRAPH_SPACE = 5.0
HEADER_BODY_GAP = 20.0
BODY_FOOTER_GAP = 14.0
SIGNATURE_GAP = 72.0  # about 25 mm between the signer's title and name
_REF_SIZE = 1000


@lru_cache(maxsize=16)
def font_file(bold: bool, italic: bool, face: str = "serif") -> Path:
    if face not in _FAMILIES:
        raise ValueError(f"unknown face {face!r}; expected one of {FACES}")
    return FONT_DIR / f"{_FAMILIES[face]}-{_STYLES[(bold, italic)]}.ttf"


@lru_cache(maxsize=16)
def _reference_font(bold: bool, italic: bool, face: str) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(font_file(bold, italic, face)), _REF_SIZE)


def text_width(
    text: str, size: float, bold: bool = False, italic: bool = False, face: str = "serif"
) -> float:
    """Advance width of ``text`` in points."""
    return _reference_font(bold, italic, face).getlength(text) * size / _REF_SIZE


@dataclass(frozen=True)
class PlacedLine:
    """One printed line: its words with their left x, the baseline and style (all in points)."""

    block: str
    text: str
    words: tuple[tuple[str, float], ...]
    baseline: float
    size: float
    bold: bool
    italic: bool
    underline: bool
    face: str = "serif"

    @property
    def x0(self) -> float:
        return self.words[0][1]

    @property
    def x1(self) -> float:
        word, x = self.words[-1]
        return x + text_width(word, self.size, self.bold, self.italic, self.face)

    @property
    def box(self) -> tuple[float, float, float, float]:
        return (self.x0, self.baseline - ASCENT * self.size, self.x1, self.baseline + DESCENT * self.size)


@dataclass(frozen=True)
class Rule:
    """A horizontal line (underlines, the short rule under a title)."""

    x0: float
    x1: float
    y: float
    thickness: float


@dataclass(frozen=True)
class Mark:
    """A seal or signature: kind, its box (x0, y0, x1, y1) in points and, for a seal, the ring text."""

    kind: str
    box: tuple[float, float, float, float]
    text: str = ""


@dataclass
class PageLayout:
    """Everything printed on one page."""

    lines: list[PlacedLine] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)

    def truth_lines(self) -> list[str]:
        """Printed lines in reading order: header-left, header-right, body, footer-left, footer-right."""
        order = {name: rank for rank, name in enumerate(SECTIONS)}
        ranked = sorted(enumerate(self.lines), key=lambda pair: (order[pair[1].block], pair[0]))
        return [line.text for _, line in ranked]


def _wrap(words: list[str], widths: list[float], space: float, first: float, rest: float) -> list[list[int]]:
    """Greedy word wrap: lists of word indexes per line (a word wider than the line gets its own)."""
    lines: list[list[int]] = []
    current: list[int] = []
    used = 0.0
    for index, width in enumerate(widths):
        limit = first if not lines else rest
        needed = width if not current else used + space + width
        if current and needed > limit:
            lines.append(current)
            current, used = [index], width
        else:
            current.append(index)
            used = needed
    if current:
        lines.append(current)
    return lines


def _set_line(
    item: Line,
    block: str,
    words: list[str],
    widths: list[float],
    x0: float,
    width: float,
    baseline: float,
    last: bool,
    face: str = "serif",
) -> PlacedLine:
    space = text_width(" ", item.size, item.bold, item.italic, face)
    natural = sum(widths) + space * (len(words) - 1)
    gap = space
    if item.align == "justify" and not last and len(words) > 1:
        gap = space + (width - natural) / (len(words) - 1)
        start = x0
    elif item.align == "center":
        start = x0 + (width - natural) / 2
    elif item.align == "right":
        start = x0 + width - natural
    else:
        start = x0
    placed = []
    x = start
    for word, word_width in zip(words, widths, strict=True):
        placed.append((word, x))
        x += word_width + gap
    return PlacedLine(
        block,
        " ".join(words),
        tuple(placed),
        baseline,
        item.size,
        item.bold,
        item.italic,
        item.underline,
        face,
    )


def set_paragraph(item: Line, block: str, x0: float, width: float, face: str = "serif") -> list[PlacedLine]:
    """Wrap and align one item horizontally; baselines are 0 (the caller stacks the lines)."""
    words = item.text.split()
    widths = [text_width(w, item.size, item.bold, item.italic, face) for w in words]
    space = text_width(" ", item.size, item.bold, item.italic, face)
    indent = INDENT if item.indent else 0.0
    groups = _wrap(words, widths, space, width - indent, width)
    out = []
    for number, group in enumerate(groups):
        shift = indent if number == 0 else 0.0
        line = _set_line(
            item,
            block,
            [words[i] for i in group],
            [widths[i] for i in group],
            x0 + shift,
            width - shift,
            0.0,
            number == len(groups) - 1,
            face,
        )
        out.append(line)
    return out


def _moved(line: PlacedLine, baseline: float) -> PlacedLine:
    return replace(line, baseline=baseline)


def _underline(line: PlacedLine) -> Rule:
    return Rule(line.x0, line.x1, line.baseline + 0.3 * line.size, max(0.6, 0.055 * line.size))


class _Column:
    """Stacks the items of a header or footer block in a column [x0, x0+width] from ``top`` down."""

    def __init__(self, block: str, x0: float, width: float, top: float, rng: random.Random, face: str):
        self.block, self.x0, self.width, self.y, self.rng, self.face = block, x0, width, top, rng, face
        self.lines: list[PlacedLine] = []
        self.rules: list[Rule] = []
        self.marks: list[Mark] = []

    def add(self, item: Item) -> None:
        if isinstance(item, Line):
            for line in set_paragraph(item, self.block, self.x0, self.width, self.face):
                placed = _moved(line, self.y + ASCENT * line.size)
                self.lines.append(placed)
                self.y += BLOCK_LEADING * line.size
                if placed.underline:
                    self.rules.append(_underline(placed))
                    self.y += 0.3 * line.size
        elif item.kind == "space":
            self.y += float(item.arg)
        elif item.kind == "rule":
            self.rules.append(_short_rule(self.x0, self.width, self.y + 2.0))
            self.y += 6.0
        elif item.kind == "signature":
            self.marks.append(_signature_mark(self.x0, self.width, self.y, self.rng))
            self.y += SIGNATURE_GAP
        elif item.kind == "seal":
            self.marks.append(_seal_mark(self.lines, self.y, item.arg, self.rng))


def _short_rule(x0: float, width: float, y: float) -> Rule:
    length = min(width, 0.3 * TEXT_W)
    return Rule(x0 + (width - length) / 2, x0 + (width + length) / 2, y, 0.8)


def _signature_mark(x0: float, width: float, top: float, rng: random.Random) -> Mark:
    w = rng.uniform(95.0, 140.0)
    h = rng.uniform(36.0, 50.0)
    cx = x0 + width / 2 + rng.uniform(-15.0, 20.0)
    cy = top + SIGNATURE_GAP / 2 + rng.uniform(-6.0, 4.0)
    return Mark("signature", (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2))


def _seal_mark(lines: list[PlacedLine], y_after: float, text: str, rng: random.Random) -> Mark:
    """A seal of 35-40 mm centred left of the signer's title, low enough to overlap its last lines
    and the signature, as a real stamp is put over a third of the signature."""
    diameter = rng.uniform(99.0, 113.0)
    if lines:
        title_x = (min(line.x0 for line in lines) + max(line.x1 for line in lines)) / 2
        title_bottom = max(line.box[3] for line in lines)
    else:
        title_x, title_bottom = MARGIN_LEFT + 0.7 * TEXT_W, y_after
    cx = title_x - rng.uniform(0.18, 0.32) * diameter
    cy = title_bottom + rng.uniform(0.05, 0.22) * diameter
    r = diameter / 2
    return Mark("seal", (cx - r, cy - r, cx + r, cy + r), text)


def _place_header(source: DocumentSource, page: PageLayout, rng: random.Random, face: str) -> float:
    split = MARGIN_LEFT + 0.40 * TEXT_W
    left = _Column("header-left", MARGIN_LEFT - 15.0, split - MARGIN_LEFT + 15.0, MARGIN_TOP, rng, face)
    right = _Column("header-right", split, MARGIN_LEFT + TEXT_W + 12.0 - split, MARGIN_TOP, rng, face)
    for column, block in ((left, "header-left"), (right, "header-right")):
        for item in source.blocks[block]:
            column.add(item)
        page.lines += column.lines
        page.rules += column.rules
        page.marks += column.marks
    if not left.lines and not right.lines:
        return MARGIN_TOP
    return max(left.y, right.y) + HEADER_BODY_GAP


def _footer_columns(
    source: DocumentSource, top: float, rng: random.Random, face: str
) -> tuple[_Column, _Column]:
    split = MARGIN_LEFT + 0.45 * TEXT_W
    left = _Column("footer-left", MARGIN_LEFT, split - MARGIN_LEFT, top, rng, face)
    right = _Column("footer-right", split, MARGIN_LEFT + TEXT_W - split, top, rng, face)
    for column, block in ((left, "footer-left"), (right, "footer-right")):
        for item in source.blocks[block]:
            column.add(item)
    return left, right


def layout_document(source: DocumentSource, seed: int = 0, face: str = "serif") -> list[PageLayout]:
    """Lay out all pages: header on the first, body flowing over pages, footer block on the last.
    ``face`` is ``serif`` (printed) or ``mono`` (typewritten)."""
    rng = random.Random(seed)
    pages = [PageLayout()]
    y = _place_header(source, pages[0], rng, face)
    bottom = PAGE_H - MARGIN_BOTTOM
    first_item = True
    for item in source.blocks["body"]:
        if isinstance(item, Directive):
            if item.kind == "pagebreak":
                pages.append(PageLayout())
                y = MARGIN_TOP
            elif item.kind == "space":
                y += float(item.arg)
            elif item.kind == "rule":
                pages[-1].rules.append(_short_rule(MARGIN_LEFT, TEXT_W, y + 4.0))
                y += 10.0
            continue
        if not first_item and item.align in ("justify", "left"):
            y += PARAGRAPH_SPACE
        first_item = False
        for line in set_paragraph(item, "body", MARGIN_LEFT, TEXT_W, face):
            height = BODY_LEADING * line.size
            if y + height > bottom:
                pages.append(PageLayout())
                y = MARGIN_TOP
            placed = _moved(line, y + ASCENT * line.size)
            pages[-1].lines.append(placed)
            if placed.underline:
                pages[-1].rules.append(_underline(placed))
            y += height
    _place_footer(source, pages, y, rng, face)
    return pages


def _place_footer(
    source: DocumentSource, pages: list[PageLayout], y: float, rng: random.Random, face: str
) -> None:
    """Recipients and signer block under the body, or at the top of a new page if they do not fit."""
    if not any(source.blocks[name] for name in ("footer-left", "footer-right")):
        return
    top = y + BODY_FOOTER_GAP
    left, right = _footer_columns(source, top, random.Random(rng.random()), face)
    if max(left.y, right.y) > PAGE_H - MARGIN_BOTTOM and y > MARGIN_TOP:
        pages.append(PageLayout())
        left, right = _footer_columns(source, MARGIN_TOP, random.Random(rng.random()), face)
    for column in (left, right):
        pages[-1].lines += column.lines
        pages[-1].rules += column.rules
        pages[-1].marks += column.marks
