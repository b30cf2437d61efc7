"""Reading order for official-document pages: find two-column zones and read each column as a block.

Vietnamese administrative documents (Decree 30/2020/NĐ-CP) put the issuing body and number on the left and
the national motto and place/date on the right, and close with recipients on the left and the signer on
the right. Tesseract's own page segmentation interleaves such columns line by line. Here text lines are
found by smearing ink horizontally; consecutive rows that share an empty vertical gutter form a two-column
zone, read left column first, then right column. Everything else is read as full-width rows, top to bottom.

A speck beside the short last line of a paragraph leaves an empty strip between the line and the speck that
looks like a gutter. Such a zone is harmless while it holds only the short line (read on its own, as it
would be anyway), but on a typewritten page the word spaces of a monospaced face fall at the same places
from line to line, and the zone grew through them, cutting whole lines in two. A line with text on both
sides of a gutter joins a zone only when its gap there is as wide as a column gap
(:data:`MIN_COLUMN_GAP`), never a word space.

A fold, a crease or a smear that runs across the text joins the lines it crosses into one smeared box as
tall as itself. Such a box is not a line, but the lines in it are text: the stroke is taken out of it
(:func:`_lines_beside_strokes`) and its lines are found again. A stroke thick enough to hide letters is
reported (:attr:`PageLayout.hidden`): what lay under it cannot be read, and the page must say so.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np


@dataclass(frozen=True)
class Box:
    left: int
    top: int
    right: int
    bottom: int

    @property
    def height(self) -> int:
        return self.bottom - self.top

    @property
    def width(self) -> int:
        return self.right - self.left


@dataclass(frozen=True)
class Segment:
    """A rectangle of the page to be read as one block, in reading order."""

    box: Box
    kind: str  # "full", "left" or "right"


# A line with text on both sides of a zone's gutter joins the zone only through a gap this many line
# heights wide: the first header line's column gap measures 2.6 and more; the word space of a typewritten
# line that happens to fall in the gutter 0.1 to 0.25 (after smearing).
MIN_COLUMN_GAP = 1.0


@dataclass(frozen=True)
class PageLayout:
    """The blocks of a page in reading order, and why some of its text may be missing from them."""

    segments: list[Segment]
    # one line per stroke (a smear, a dark band) crossing text lines thick enough to hide their letters
    hidden: list[str] = field(default_factory=list)
    # the boxes of the text lines found on the page (a line cut by a column's gutter has one per side)
    lines: list[Box] = field(default_factory=list)


@dataclass
class _Row:
    top: int
    bottom: int
    boxes: list[Box]


def find_segments(binary: np.ndarray, dpi: int) -> list[Segment]:
    """Split a binarised page (dark text on white) into blocks in reading order."""
    return find_layout(binary, dpi).segments


def find_layout(binary: np.ndarray, dpi: int) -> PageLayout:
    """The page's blocks in reading order (:func:`find_segments`), with what may hide text from them."""
    hidden: list[str] = []
    rows = _text_rows(binary, dpi, hidden)
    return PageLayout(
        _segments(rows, binary.shape[:2], dpi), hidden, [box for row in rows for box in row.boxes]
    )


def _segments(rows: list[_Row], shape: tuple[int, int], dpi: int) -> list[Segment]:
    h, w = shape
    if not rows:
        return [Segment(Box(0, 0, w, h), "full")]
    min_gutter = max(8, int(dpi / 300 * 60))
    line = _line_height(rows)
    segments: list[Segment] = []
    full_rows: list[_Row] = []
    i = 0
    while i < len(rows):
        end, gutter = _two_column_run(rows, i, w, min_gutter)
        if gutter is None:
            full_rows.append(rows[i])
            i += 1
            continue
        start = i
        # Rows next to the zone whose lines leave a gap inside the gutter belong to it too: header lines
        # are often too long to leave a wide gutter on their own (the first header row especially).
        while full_rows and (narrowed := _narrow(gutter, full_rows[-1], line)) is not None:
            gutter = narrowed
            full_rows.pop()
            start -= 1
        while end < len(rows) and (narrowed := _narrow(gutter, rows[end], line)) is not None:
            gutter = narrowed
            end += 1
        if full_rows:
            segments.append(_full_segment(full_rows, w))
            full_rows = []
        cut = int(gutter.mean())
        top, bottom = rows[start].top, rows[end - 1].bottom
        segments.append(Segment(Box(0, top, cut, bottom), "left"))
        segments.append(Segment(Box(cut, top, w, bottom), "right"))
        i = end
    if full_rows:
        segments.append(_full_segment(full_rows, w))
    return _pad(segments, h, dpi)


def _line_height(rows: list[_Row]) -> float:
    return line_height([b for r in rows for b in r.boxes])


def line_height(boxes: list[Box]) -> float:
    """The page's text line height: the median height of its line boxes weighted by their width.

    Weighted, because a speckled copy has more speck boxes than boxes of text (a plain median gave a
    fifth of the line height on copies of copies), but text boxes are many times wider."""
    sized = sorted(((b.height, b.width) for b in boxes), key=lambda hw: hw[0])
    widths = np.cumsum([w for _, w in sized])
    return float(sized[int(np.searchsorted(widths, widths[-1] / 2))][0])


def _text_rows(binary: np.ndarray, dpi: int, hidden: list[str] | None = None) -> list[_Row]:
    """The page's text rows, top to bottom, from its ink smeared along the lines. Lines joined by a stroke
    into a box taller than a quarter of the page are found again without it; a stroke that may hide letters
    is described in ``hidden`` when given."""
    # Lines are found at half resolution: they are large, and this is four times less work.
    half = cv2.resize(binary, (binary.shape[1] // 2, binary.shape[0] // 2), interpolation=cv2.INTER_AREA)
    ink = (half < 192).astype(np.uint8)
    k = dpi / 600
    join = (max(2, int(k * 36)), max(1, int(k * 7)))
    _, labels, every, _ = cv2.connectedComponentsWithStats(_smear(ink, join), connectivity=8)
    min_h = max(2, int(k * 12))
    sized = np.flatnonzero((every[:, 3] >= min_h) & (every[:, 2] >= min_h))
    sized = sized[sized > 0]  # label 0 is the paper
    tall = sized[every[sized, 3] >= half.shape[0] / 4]
    stats = every[np.setdiff1d(sized, tall)]
    line = float(np.median(stats[:, 3])) if len(stats) >= 3 else k * 60
    found = [stats]
    for label in tall:
        x, y, w, h, _ = every[label]
        own = ink[y : y + h, x : x + w] & (labels[y : y + h, x : x + w] == label)
        lines, note = _lines_beside_strokes(own, join, line)
        lines[:, 0] += x
        lines[:, 1] += y
        lines = lines[(lines[:, 3] >= min_h) & (lines[:, 2] >= min_h)]
        found.append(lines)
        if note and hidden is not None and len(lines):  # a stroke that crosses no text hides none
            hidden.append(f"{note} at {2 * y}-{2 * (y + h)} px down the page")
    # Lines bridged by specks are split here, those found again in a tall box too; what is still taller
    # than a quarter of the page is no line (a frame, a figure).
    stats = _split_bridged(ink, np.concatenate(found), join[0])
    stats = stats[stats[:, 3] < half.shape[0] / 4]
    stats = _without_vertical_strokes(stats)
    boxes = [Box(int(2 * x), int(2 * y), int(2 * (x + bw)), int(2 * (y + bh))) for x, y, bw, bh, _ in stats]
    boxes.sort(key=lambda b: (b.top + b.bottom) / 2)
    rows: list[_Row] = []
    for box in boxes:
        row = rows[-1] if rows else None
        if row is not None and _overlap(row.top, row.bottom, box.top, box.bottom) > 0.5 * min(
            box.height, row.bottom - row.top
        ):
            row.boxes.append(box)
            row.top, row.bottom = min(row.top, box.top), max(row.bottom, box.bottom)
        else:
            rows.append(_Row(box.top, box.bottom, [box]))
    return _merge_overlapping_rows(rows)


def _smear(ink: np.ndarray, join: tuple[int, int]) -> np.ndarray:
    """The ink smeared along the lines (``join`` = width, height): the letters of a line become one box."""
    return cv2.dilate(ink, cv2.getStructuringElement(cv2.MORPH_RECT, join))


# An ink component (unsmeared) taller than this many text lines is no letter: a stroke (a fold, a crease, a
# smear, a binder's edge) that joined the lines it crosses into one smeared box.
STROKE_MIN_LINES = 2.0
# A stroke thicker than this many text lines across may hide whole letters under it: a crease 1-2 mm wide
# covers a stroke of a letter (Tesseract reads through it), a smear as wide as half a line does not.
HIDING_STROKE_LINES = 0.4


def _lines_beside_strokes(
    own: np.ndarray, join: tuple[int, int], line: float
) -> tuple[np.ndarray, str | None]:
    """The lines (stats rows, relative to ``own``) in the ink ``own`` of one smeared box taller than a
    quarter of the page, found again without the strokes in it; and what the strokes may hide, if anything.

    Such a box was dropped as a frame or a figure; when a fold or a smear joined the text lines it crossed
    into it, those lines went with it, read nowhere, and the page was still ``ok``. A line the stroke touches
    keeps its other letters, enough for its box; the page is read from the image, stroke and all."""
    n, labels, parts, _ = cv2.connectedComponentsWithStats(own, connectivity=8)
    strokes = 1 + np.flatnonzero(parts[1:n, 3] > STROKE_MIN_LINES * line)
    rest = own & ~np.isin(labels, strokes)
    m, _, lines, _ = cv2.connectedComponentsWithStats(_smear(rest, join), connectivity=8)
    thickness = [parts[s, 4] / parts[s, 3] for s in strokes]  # ink area / height: width across the lines
    note = None
    if thickness and max(thickness) > HIDING_STROKE_LINES * line:
        note = f"text may be hidden under a smear {max(thickness) / line:.1f} lines wide"
    return lines[1:m].copy(), note


# A smeared box this many times taller than the page's usual line is lines bridged by specks (a copy of a
# copy): it is smeared again without joining lines.
BRIDGED_LINES = 2.5


def _split_bridged(ink: np.ndarray, stats: np.ndarray, join_x: int) -> np.ndarray:
    """Boxes (stats rows) with those that span several text lines, joined by specks between the lines,
    replaced by the lines in them (smeared along the line only).

    On a speckled copy the vertical smear joins a whole block (a footer: recipients, seal and signer)
    into one box; its lines, read as one full-width row, lost their columns and the rows inside it."""
    if len(stats) < 3:
        return stats
    line = float(np.median(stats[:, 3]))
    out = []
    for x, y, w, h, area in stats:
        if h <= BRIDGED_LINES * line:
            out.append((x, y, w, h, area))
            continue
        crop = ink[y : y + h, x : x + w]
        smeared = cv2.dilate(crop, cv2.getStructuringElement(cv2.MORPH_RECT, (join_x, 1)))
        n, _, sub, _ = cv2.connectedComponentsWithStats(smeared, connectivity=8)
        sub = sub[1:n]
        sub = sub[(sub[:, 3] >= 0.4 * line) & (sub[:, 2] >= 0.4 * line)]
        if len(sub) < 2:
            out.append((x, y, w, h, area))
            continue
        out.extend((x + sx, y + sy, sw, sh, sa) for sx, sy, sw, sh, sa in sub)
    return np.array(out, dtype=stats.dtype).reshape(-1, 5)


# A box this many times taller than wide, and taller than this many of the page's usual lines, is a
# vertical stroke: no text line is.
STROKE_ASPECT = 3.0
STROKE_LINES = 2.0


def _without_vertical_strokes(stats: np.ndarray) -> np.ndarray:
    """Boxes (stats rows) without the tall thin ones: the edge of a binder's shadow or a copier's border,
    a vertical rule, a pen line down the margin. Such a box overlaps several text lines, and the rows it
    overlapped became one row: a two-column header read as full-width lines, its columns interleaved."""
    if len(stats) < 3:
        return stats
    line = float(np.median(stats[:, 3]))
    stroke = (stats[:, 3] > STROKE_ASPECT * stats[:, 2]) & (stats[:, 3] > STROKE_LINES * line)
    return stats[~stroke]


def _merge_overlapping_rows(rows: list[_Row]) -> list[_Row]:
    """Rows in order of their tops, none reaching into the next: a row that a taller one (a box of a
    seal, a figure) overlaps by more than half the smaller's height becomes one row with it, so that
    the blocks read never overlap (a block inside another was read twice, and stacked over it)."""
    merged: list[_Row] = []
    for row in sorted(rows, key=lambda r: r.top):
        last = merged[-1] if merged else None
        height = min(row.bottom - row.top, last.bottom - last.top) if last else 0
        if last is not None and _overlap(last.top, last.bottom, row.top, row.bottom) > 0.5 * height:
            last.boxes.extend(row.boxes)
            last.top, last.bottom = min(last.top, row.top), max(last.bottom, row.bottom)
        else:
            merged.append(row)
    return merged


def overlap_share(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    """The area two boxes (left, top, right, bottom) share, as a share of the smaller one."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return w * h / max(1, smaller)


def _overlap(a0: int, a1: int, b0: int, b1: int) -> int:
    return max(0, min(a1, b1) - max(a0, b0))


def _two_column_run(
    rows: list[_Row], start: int, width: int, min_gutter: int
) -> tuple[int, np.ndarray | None]:
    """Longest run of rows from ``start`` sharing a central gutter of at least ``min_gutter`` pixels.

    Returns (end, gutter) with gutter = array([left, right]) of the empty strip, or (start + 1, None).
    """
    lo, hi = int(width * 0.25), int(width * 0.75)
    free = np.ones(hi - lo, dtype=bool)
    end = start
    best: tuple[int, np.ndarray | None] = (start + 1, None)
    while end < len(rows):
        candidate = free.copy()
        for box in rows[end].boxes:
            candidate[max(0, box.left - lo) : max(0, min(hi, box.right) - lo)] = False
        run = _widest_run(candidate, min_gutter)
        if run is None:
            break
        free = candidate
        end += 1
        gutter = np.array(run) + lo
        if end - start >= 2 and _both_sides(rows[start:end], int(gutter.mean())):
            best = (end, gutter)
    return best


def _widest_run(free: np.ndarray, min_len: int) -> tuple[int, int] | None:
    """(start, end) of the widest run of True of at least ``min_len``, or None."""
    padded = np.concatenate(([False], free, [False])).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    starts, ends = edges[0::2], edges[1::2]
    if len(starts) == 0:
        return None
    k = int(np.argmax(ends - starts))
    if ends[k] - starts[k] < min_len:
        return None
    return int(starts[k]), int(ends[k])


def _narrow(gutter: np.ndarray, row: _Row, line: float) -> np.ndarray | None:
    """The part of ``gutter`` this row leaves empty, or None when the row's text crosses all of it, or
    leaves only a word space there (text on both sides closer than :data:`MIN_COLUMN_GAP` lines)."""
    free = np.ones(int(gutter[1] - gutter[0]), dtype=bool)
    for box in row.boxes:
        free[max(0, box.left - int(gutter[0])) : max(0, box.right - int(gutter[0]))] = False
    run = _widest_run(free, 1)
    if run is None:
        return None
    narrowed = np.array(run) + gutter[0]
    before = [b.right for b in row.boxes if b.right <= narrowed[0]]
    after = [b.left for b in row.boxes if b.left >= narrowed[1]]
    if before and after and min(after) - max(before) < MIN_COLUMN_GAP * line:
        return None
    return narrowed


def _both_sides(rows: list[_Row], x: int) -> bool:
    """Column reading changes anything only when the left and the right of the gutter both hold text."""
    left = sum(1 for r in rows if any(b.right <= x for b in r.boxes))
    right = sum(1 for r in rows if any(b.left >= x for b in r.boxes))
    return left >= 1 and right >= 1 and left + right >= 3


def _full_segment(rows: list[_Row], width: int) -> Segment:
    return Segment(Box(0, rows[0].top, width, rows[-1].bottom), "full")


def _pad(segments: list[Segment], height: int, dpi: int) -> list[Segment]:
    """Grow segments vertically so no accent or descender is cut, but never into a neighbouring band."""
    pad = max(2, int(dpi / 300 * 8))
    bands = sorted({(s.box.top, s.box.bottom) for s in segments})
    grown = {}
    for k, (top, bottom) in enumerate(bands):
        above = bands[k - 1][1] if k else 0
        below = bands[k + 1][0] if k + 1 < len(bands) else height
        # never smaller than the band itself, even where bands touch or overlap
        grown[(top, bottom)] = (
            min(top, max(top - pad, (above + top) // 2)),
            max(bottom, min(bottom + pad, (bottom + below) // 2)),
        )
    return [
        Segment(
            Box(
                s.box.left,
                *grown[(s.box.top, s.box.bottom)][:1],
                s.box.right,
                grown[(s.box.top, s.box.bottom)][1],
            ),
            s.kind,
        )
        for s in segments
    ]
