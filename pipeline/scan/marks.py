"""Received stamps and handwriting: kept out of the text, recorded as annotations (issue 11).

Archive copies carry the receiving office's rectangular "ĐẾN" stamp (blue or violet ink, its number, date
and routing filled in by hand) in the header area and short handwritten notes in a margin. Read as text
they become the issuer, the start of the title, dates glued into header lines. They are not the document's
text, so they are taken off the page before OCR and recorded instead as annotations (kind, box).

* Colour pages (:func:`remove_coloured_ink`): blue and violet ink is whitened before the page is turned
  grey, as the red seal is; black print stays, also where the ink covers it (dark mixed with blue is still
  dark and unsaturated). Each cluster of that ink is a ``stamp`` when it has a rectangular frame, else
  ``handwriting``.
* Every page, binarised (:func:`clean_marks`): a stamp is found by its frame (:func:`find_frames`), long
  thin strokes forming a box of stamp size in the upper half of the page. In every stamp box (found
  either way) the frame and what lies inside is erased, except the document's lines the stamp was
  pressed over: ink that runs on beyond the box, and the words at the height of that line (the stamp's
  labels and the pen's figures sit between the lines). On a grey scan the stamp's ink is also told from
  print by its lighter tone.
* Handwriting (:func:`clear_handwriting`): a line of it is a few long, open strokes (a cursive word is one
  stroke), where a line of print is one compact piece per letter; notes written up a side margin are
  looked for there only. The signer's pen signature is handwriting too.

Taking a stamp off takes the strokes of the letters it covered with it (and a word it hid is not read at
all): the words OCR read within a stamp's box are marked in the page record (:func:`under_stamp`), so that a
header field holding one read with less than full confidence is flagged (``pipeline.structure.doubts``).

Boxes are in the pixels of the page as OCR'd (upright and deskewed, like the words' boxes). What a stamp
says is not read (``text`` is null): reading it takes a Tesseract run of its own (0.4-0.5 s of CPU per
stamp) and gives the office's name among noise; the box is what an archivist needs to find it on the scan.
Pages without marks come out as they went in.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from pipeline.scan.layout import overlap_share

KINDS = ("stamp", "handwriting")
WORK_DPI = 100  # marks are found on a copy at this resolution; they are large, and this is fast
# Blue and violet ink: hue in degrees, and how far its brightest channel stands above its darkest. Black
# print (also under the ink) and paper, white or yellowed, stay below the chroma or outside the hues.
INK_HUES = (195.0, 300.0)
INK_MIN_CHROMA = 30
# A cluster of ink smaller than this (square inches of inked pixels) is a speck of colour, not a mark.
MIN_MARK_INK = 0.02
# A received stamp, in inches: 4-8 cm wide, 2.5-5 cm high, pressed in the upper half of the page.
STAMP_WIDTH = (1.2, 3.4)
STAMP_HEIGHT = (0.6, 2.0)
STAMP_ZONE = 0.55  # share of the page height, from the top, where stamps are looked for on grey pages
# A side of a frame is a line along at least this share of the side, inked along this share of its length
# (on grey pages; broken lines of text and accents are inked along 0.4-0.9 of theirs).
FRAME_COVER = 0.6
FRAME_FILL = 0.9
COLOUR_FRAME_FILL = 0.75  # a stamp's own ink, looked for only inside its cluster of colour
# Ink that runs on this far (inches) beyond the stamp's box belongs to the document, and so does ink on
# the same line up to a space this wide (a justified line stretches its spaces) away from it.
RUN_ON = 0.08
WORD_SPACE = 0.16
# On a grey scan the pieces of ink inside a stamp fall in two groups by their darkest point, print (0-30)
# and stamp-pad ink or ballpoint (60-160, 200-dpi scans), when their medians are this far apart (grey
# levels); a copy of a copy, or a colour page whose stamp is gone, has one group only. Print's cores are
# darker than the dark group's median by less than CORE_MARGIN.
LIGHTER_BY = 50
CORE_MARGIN = 25
# Handwriting: a line of it has fewer letter-sized pieces of ink per inch than this, their median longer
# along the line than across by this factor, inked over at most this share of their box. Measured on
# generated 200-300 dpi scans and copies of copies: handwritten lines 2.0-2.9 pieces per inch, 1.3-1.6 and
# 0.19-0.36; printed lines 3.9-12, 0.8-1.1 and 0.41-0.6.
HAND_PIECES_PER_INCH = 3.5
HAND_ELONGATION = 1.3
HAND_FILL = 0.38
HAND_INK_IN_WORDS = 0.6
SIDE_MARGINS = (0.13, 0.09)  # notes written up the page are looked for only in these shares of its width


@dataclass
class Mark:
    """A stamp or handwriting on a page: its kind, box (left, top, right, bottom) and text if read."""

    kind: str
    box: tuple[int, int, int, int]
    text: str | None = None
    corners: np.ndarray | None = None  # a stamp's frame (4 x 2, x and y), for cleaning its inside

    def as_dict(self) -> dict:
        return {"kind": self.kind, "box": [int(v) for v in self.box], "text": self.text}


def under_stamp(box: tuple[int, int, int, int] | list[int], marks: list[Mark]) -> bool:
    """Whether a word's box meets a stamp's box: taking the stamp off took the strokes of the letters it
    covered with it, so what OCR read there is less sure than elsewhere (``pipeline.structure.doubts``)."""
    return any(
        box[0] < m.box[2] and box[2] > m.box[0] and box[1] < m.box[3] and box[3] > m.box[1]
        for m in marks
        if m.kind == "stamp"
    )


# --- colour pages ---------------------------------------------------------------------------------------


def coloured_ink(rgb: np.ndarray, min_chroma: int = INK_MIN_CHROMA) -> np.ndarray:
    """Mask (bool) of blue and violet ink."""
    hue, chroma, _ = _hue_chroma_min(rgb)
    return (
        (hue >= round(INK_HUES[0] * 256 / 360))
        & (hue <= round(INK_HUES[1] * 256 / 360))
        & (chroma > min_chroma)
    )


def _hue_chroma_min(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hue (0-255 for 0-360 degrees), chroma (brightest minus darkest channel) and darkest channel."""
    hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV_FULL)
    value = hsv[:, :, 2].astype(np.uint16)
    chroma = (hsv[:, :, 1].astype(np.uint16) * value + 127) // 255  # saturation is chroma / value
    return hsv[:, :, 0], chroma, value - chroma


def remove_coloured_ink(rgb: np.ndarray, dpi: int) -> tuple[np.ndarray, list[Mark]]:
    """Whiten blue and violet ink on a colour page; returns the page and the marks found (boxes in the
    pixels of ``rgb``). A page without such ink comes back as it is."""
    step = max(1, dpi // 25)  # a look at every few pixels tells a grey page at once
    if int(coloured_ink(np.ascontiguousarray(rgb[::step, ::step])).sum()) < MIN_MARK_INK * (dpi / step) ** 2:
        return rgb, []
    scale = min(1.0, WORK_DPI / dpi)
    small = cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else rgb
    # a small copy averages thin strokes with the paper around them: their colour is paler there
    ink = coloured_ink(small, INK_MIN_CHROMA * 2 // 3).astype(np.uint8)
    if int(ink.sum()) < MIN_MARK_INK * (dpi * scale) ** 2:
        return rgb, []
    out = rgb.copy()
    marks = []
    for x0, y0, x1, y1 in _clusters(ink, dpi * scale):
        box = _scaled((x0, y0, x1, y1), 1 / scale, rgb.shape)
        _whiten_ink(out, box, dpi)
        frame = find_frames(ink[y0:y1, x0:x1], dpi * scale, zone=1.0, min_fill=COLOUR_FRAME_FILL)
        if frame:
            corners = frame[0] / scale + np.array([box[0], box[1]], np.float32)
            marks.append(Mark("stamp", _bounds(corners, rgb.shape), corners=corners))
        else:
            marks.append(Mark("handwriting", box))
    return out, marks


def _clusters(ink: np.ndarray, dpi: float) -> list[tuple[int, int, int, int]]:
    """Boxes (x0, y0, x1, y1) of the clusters of marked pixels on a small copy of the page."""
    reach = max(3, round(dpi * 0.12)) | 1
    joined = cv2.dilate(ink, cv2.getStructuringElement(cv2.MORPH_RECT, (reach, reach)))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    inked = np.bincount(labels.ravel(), weights=ink.ravel(), minlength=n)
    pad = reach // 2 + 1
    h, w = ink.shape
    boxes = []
    for i in range(1, n):
        if inked[i] < MIN_MARK_INK * dpi * dpi:
            continue
        x, y, bw, bh = (int(v) for v in stats[i, :4])
        boxes.append((max(0, x - pad), max(0, y - pad), min(w, x + bw + pad), min(h, y + bh + pad)))
    return _merge_overlapping(boxes)


def _merge_overlapping(boxes: list[tuple[int, int, int, int]]) -> list[tuple[int, int, int, int]]:
    """Boxes that overlap joined into one (a stamp whose pale middle splits its ink in two)."""
    boxes = list(boxes)
    merged = True
    while merged:
        merged = False
        for i in range(len(boxes)):
            for j in range(i + 1, len(boxes)):
                if overlap_share(boxes[i], boxes[j]) > 0:
                    a, b = boxes[i], boxes.pop(j)
                    boxes[i] = (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))
                    merged = True
                    break
            if merged:
                break
    return boxes


def _whiten_ink(rgb: np.ndarray, box: tuple[int, int, int, int], dpi: int) -> None:
    """Whiten the coloured ink inside ``box`` of the full page, with the pale rim a scan blurs around it
    (anything lighter than print right beside the ink)."""
    x0, y0, x1, y1 = box
    region = rgb[y0:y1, x0:x1]
    hue, chroma, darkest = _hue_chroma_min(region)
    core = coloured_ink(region).astype(np.uint8)
    k = max(3, round(dpi / 300 * 5)) | 1
    halo = cv2.dilate(core, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k))).astype(bool)
    light = darkest > 110
    # small marks of the ink (the dots of a stamp's field lines) come out of a scan pale and faintly
    # coloured: still blue or violet, and lighter than print
    in_hue = (hue >= round(INK_HUES[0] * 256 / 360)) & (hue <= round(INK_HUES[1] * 256 / 360))
    pale = in_hue & (chroma > INK_MIN_CHROMA // 3) & (darkest > 80)
    region[core.astype(bool) | (halo & light) | pale] = 255


# --- stamp frames ---------------------------------------------------------------------------------------


@dataclass
class _Line:
    """A straight stroke: ``across = slope * along + intercept`` for ``along`` in [start, end]."""

    slope: float
    intercept: float
    start: float
    end: float

    def at(self, along: float) -> float:
        return self.slope * along + self.intercept

    @property
    def length(self) -> float:
        return self.end - self.start


def find_frames(
    ink: np.ndarray, dpi: float, zone: float = STAMP_ZONE, min_fill: float = FRAME_FILL
) -> list[np.ndarray]:
    """Rectangular stamp frames on a small binary ink mask (uint8, 1 = ink) at ``dpi``: each as its four
    corners (float32, 4 x 2: top-left, top-right, bottom-right, bottom-left), in the mask's pixels.

    Lines are found by opening with long thin kernels after thickening across them, so a frame tilted by
    a few degrees still yields long runs; letters do not. Two lines one above the other, as long as a
    stamp is wide, with a side at one end at least, are a frame. Only the top ``zone`` is searched.
    """
    top = ink[: max(1, int(ink.shape[0] * zone))]
    horizontal, vertical = _line_pixels(top, dpi)
    rows = _lines(horizontal, dpi, top, min_fill)
    columns = _lines(np.ascontiguousarray(vertical.T), dpi, np.ascontiguousarray(top.T), min_fill)
    boxes = [box for upper in rows for lower in rows if (box := _frame(upper, lower, columns, dpi))]
    # the same with the roles turned: two sides, joined by a top or a bottom (one of those may be lost
    # where the stamp sits on a rule or on the number line)
    for left in columns:
        for right in columns:
            if turned := _frame(left, right, rows, dpi, upright=False):
                boxes.append((turned[0], turned[1][:, ::-1][[0, 3, 2, 1]]))
    boxes.sort(key=lambda found: (-found[0], cv2.contourArea(found[1])))  # best supported, then tightest
    frames: list[np.ndarray] = []
    for _, corners in boxes:
        box = _bounds(corners, ink.shape)
        if not any(overlap_share(box, _bounds(other, ink.shape)) > 0.3 for other in frames):
            frames.append(corners)
    return frames


def _line_pixels(ink: np.ndarray, dpi: float) -> tuple[np.ndarray, np.ndarray]:
    """Pixels of long thin horizontal and vertical strokes, their gaps bridged.

    Ink thicker across than a ruled line (a letter's stem) is left out first; what is left is thickened
    a little across, so that a line tilted by a few degrees still has long runs, and its gaps are bridged.
    """
    rect = cv2.getStructuringElement
    t = max(2, round(dpi * 0.02))
    gap = max(3, round(dpi * 0.08))  # stamp ink is uneven: its lines come out broken
    stem = max(3, round(dpi * 0.04))
    lines = []
    for horizontal in (True, False):

        def kernel(along: int, across: int, horizontal: bool = horizontal) -> np.ndarray:
            return rect(cv2.MORPH_RECT, (along, across) if horizontal else (across, along))

        thin = ink & (1 - cv2.morphologyEx(ink, cv2.MORPH_OPEN, kernel(1, stem)))
        runs = cv2.dilate(thin, kernel(1, t))
        runs = cv2.morphologyEx(runs, cv2.MORPH_CLOSE, kernel(gap, 1))
        lines.append(cv2.morphologyEx(runs, cv2.MORPH_OPEN, kernel(round(dpi * 0.25), 1)))
    return lines[0], lines[1]


def _lines(runs: np.ndarray, dpi: float, ink: np.ndarray, min_fill: float) -> list[_Line]:
    """Straight lines along the rows of ``runs``: pieces that ``ink`` (the same orientation) really
    covers along ``min_fill`` of their length, a line broken by pale ink joined up again."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(runs, connectivity=8)
    pieces = []
    for i in range(1, n):
        x, y, w, h = (int(v) for v in stats[i, :4])
        # at most the share of its columns with ink in its box can be on a line: most runs end here
        if w < dpi * 0.25 or ink[y : y + h, x : x + w].any(axis=0).mean() < min_fill:
            continue
        ys, xs = np.nonzero(labels[y : y + h, x : x + w] == i)
        piece = _dominant_line(xs + x, ys + y, max(3, round(dpi * 0.08)))
        if piece.length >= dpi * 0.25 and _fill(piece, ink) >= min_fill:
            pieces.append(piece)
    pieces.sort(key=lambda line: line.start)
    lines: list[_Line] = []
    for piece in pieces:
        same = next((line for line in lines if _collinear(line, piece, dpi)), None)
        if same is None:
            lines.append(piece)
            continue
        weight = same.length / max(1.0, same.length + piece.length)
        same.slope = weight * same.slope + (1 - weight) * piece.slope
        same.intercept = weight * same.intercept + (1 - weight) * piece.intercept
        same.start, same.end = min(same.start, piece.start), max(same.end, piece.end)
    return lines


SLOPES = np.arange(-0.14, 0.141, 0.01)  # up to 8 degrees off the page's axes: the sides of a stamp


def _dominant_line(xs: np.ndarray, ys: np.ndarray, gap: int) -> _Line:
    """The straight line through most of the pixels (x along it, y across it): what touches a stamp's
    side (its own dotted field line, a crossing word) must not pull the line off the side. Its extent is
    the longest stretch of those pixels without a gap longer than ``gap``."""
    xs, ys = xs.astype(np.float64), ys.astype(np.float64)
    # a Hough transform restricted to the slopes of a stamp's sides: pixels counted per (slope, offset)
    offsets = np.round(ys[None, :] - SLOPES[:, None] * xs[None, :]).astype(np.int64)
    low = int(offsets.min())
    span = int(offsets.max()) - low + 3
    counts = np.bincount(
        (offsets - low + 1 + span * np.arange(len(SLOPES))[:, None]).ravel(), minlength=span * len(SLOPES)
    )
    counts = counts.reshape(len(SLOPES), span)
    counts = counts[:, :-2] + counts[:, 1:-1] + counts[:, 2:]  # a line is a few pixels thick
    which, peak = np.unravel_index(int(counts.argmax()), counts.shape)
    slope, intercept = float(SLOPES[which]), float(peak + low)
    on = np.abs(ys - slope * xs - intercept) <= 1.5
    slope, intercept = np.polyfit(xs[on], ys[on], 1) if np.ptp(xs[on]) > 0 else (slope, intercept)
    along = np.unique(xs[on])
    breaks = np.nonzero(np.diff(along) > gap)[0]
    starts, ends = np.r_[0, breaks + 1], np.r_[breaks, along.size - 1]
    longest = int(np.argmax(along[ends] - along[starts]))
    return _Line(float(slope), float(intercept), float(along[starts[longest]]), float(along[ends[longest]]))


def _fill(line: _Line, ink: np.ndarray) -> float:
    """Share of the line's length along which ``ink`` has a pixel on it (give or take two)."""
    along = np.arange(int(line.start), int(line.end) + 1)
    across = np.round(line.at(along)).astype(int)
    hit = np.zeros(along.size, bool)
    for d in (-2, -1, 0, 1, 2):
        rows = np.clip(across + d, 0, ink.shape[0] - 1)
        hit |= ink[rows, np.clip(along, 0, ink.shape[1] - 1)] > 0
    return float(hit.mean())


def _collinear(a: _Line, b: _Line, dpi: float) -> bool:
    """Whether ``b`` (starting at or after ``a``) continues ``a`` on the same straight line: both its ends
    lie on ``a`` drawn on, give or take a stroke's width."""
    near = dpi * 0.03
    return (
        b.start - a.end < dpi * 0.5
        and abs(a.at(b.start) - b.at(b.start)) < near
        and abs(a.at(b.end) - b.at(b.end)) < near
    )


def _frame(
    upper: _Line, lower: _Line, columns: list[_Line], dpi: float, upright: bool = True
) -> tuple[float, np.ndarray] | None:
    """The box with ``upper`` and ``lower`` as its top and bottom: how well its four sides are inked (0-4)
    and its corners; None when they are not the top and bottom of a stamp. With ``upright`` False the
    coordinates are turned (x for y): ``upper`` and ``lower`` are the left and right sides.

    A side the ink left out (stamp ink is uneven, and where the stamp was pressed over print its colour
    is lost) is drawn square at the ends of the top and bottom; one side at least must be there."""
    x0, x1 = min(upper.start, lower.start), max(upper.end, lower.end)
    middle = (x0 + x1) / 2
    y0, y1 = upper.at(middle), lower.at(middle)
    low, high = STAMP_HEIGHT if upright else STAMP_WIDTH
    if not low * dpi <= y1 - y0 <= high * dpi or abs(upper.slope - lower.slope) > 0.05:
        return None
    ends = ((upper.start, lower.start), (upper.end, lower.end))
    sides = [
        _side_at(min(xs) - dpi * 0.15, max(xs) + dpi * 0.15, y0, y1, columns, outer)
        for xs, outer in zip(ends, (-1, 1), strict=True)
    ]
    if sides == [(0.0, None), (0.0, None)] and (upright or not _paired(upper, lower)):
        return None  # two rules are not a stamp; two sides alike may be (its top lost in the number line)
    square = -(upper.slope + lower.slope) / 2  # a side stands square to the top and bottom
    left, right = (
        (side.slope, side.intercept) if side else (square, x - square * (y0 + y1) / 2)
        for (_, side), x in zip(sides, (x0, x1), strict=True)
    )
    top, bottom = (upper.slope, upper.intercept), (lower.slope, lower.intercept)
    corners = np.array([_meet(top, left), _meet(top, right), _meet(bottom, right), _meet(bottom, left)])
    x0, x1 = corners[[0, 3], 0].mean(), corners[[1, 2], 0].mean()  # the sides, where found, decide
    if not _stamp_sized(*((x1 - x0, y1 - y0) if upright else (y1 - y0, x1 - x0)), dpi):
        return None
    covers = [max(0.0, min(line.end, x1) - max(line.start, x0)) / (x1 - x0) for line in (upper, lower)]
    if min(covers) < FRAME_COVER:
        return None
    return sum(covers) + sides[0][0] + sides[1][0], corners.astype(np.float32)


def _paired(a: _Line, b: _Line) -> bool:
    """Whether two parallel lines run alongside each other over half the shorter at least, and are alike in
    length: the two sides of a stamp whose top was lost among the letters of the number line it was
    pressed over, and whose bottom came out broken. Two unlike upright rules (a margin line beside a
    table's border) are not a stamp."""
    overlap = min(a.end, b.end) - max(a.start, b.start)
    return overlap >= 0.5 * min(a.length, b.length) and min(a.length, b.length) >= 0.6 * max(
        a.length, b.length
    )


# A line reaching beyond both the top and the bottom of a frame by this share of its height is not its side.
THROUGH_REACH = 0.5


def _side_at(
    x0: float, x1: float, y0: float, y1: float, columns: list[_Line], outer: int
) -> tuple[float, _Line | None]:
    """The vertical line between x0 and x1 that joins y0 to y1, with the share of that span it covers: of
    those that cover most of it, the outermost (``outer`` -1: the leftmost; 1: the rightmost), for a rule
    or a row of print may run along a stamp's side, inside it. A line that runs on far above and below the
    frame is no side: a copier's streak beside a stamp was taken for its side, and the stamp's box grew
    over the number line, which was then erased with it."""
    found = []
    reach = THROUGH_REACH * (y1 - y0)
    for column in columns:
        if column.start < y0 - reach and column.end > y1 + reach:
            continue  # it runs on far above and below: a copier's streak or a rule through the stamp
        x = column.at((y0 + y1) / 2)
        cover = (min(column.end, y1) - max(column.start, y0)) / (y1 - y0)
        if x0 <= x <= x1 and cover > FRAME_COVER / 2:
            found.append((cover, outer * x, column))
    if not found:
        return 0.0, None
    most = max(cover for cover, _, _ in found)
    cover, _, column = max((f for f in found if f[0] >= 0.8 * most), key=lambda f: f[1])
    return cover, column


def _stamp_sized(w: float, h: float, dpi: float) -> bool:
    return (
        STAMP_WIDTH[0] * dpi <= w <= STAMP_WIDTH[1] * dpi
        and STAMP_HEIGHT[0] * dpi <= h <= STAMP_HEIGHT[1] * dpi
        and w > h
    )


def _meet(across: tuple[float, float], down: tuple[float, float]) -> tuple[float, float]:
    """Where y = a x + b (a horizontal side) meets x = c y + d (a vertical side)."""
    a, b = across
    c, d = down
    y = (a * d + b) / (1 - a * c)
    return c * y + d, y


def _bounds(corners: np.ndarray, shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    h, w = shape[:2]
    x0, y0 = np.floor(corners.min(axis=0)).astype(int)
    x1, y1 = np.ceil(corners.max(axis=0)).astype(int)
    return max(0, int(x0)), max(0, int(y0)), min(w, int(x1)), min(h, int(y1))


def _scaled(box: tuple[int, int, int, int], k: float, shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    h, w = shape[:2]
    x0, y0, x1, y1 = box
    return (
        max(0, int(x0 * k)),
        max(0, int(y0 * k)),
        min(w, int(np.ceil(x1 * k))),
        min(h, int(np.ceil(y1 * k))),
    )


# --- following the page as it is turned and deskewed -----------------------------------------------------


def follow(marks: list[Mark], shape: tuple[int, ...], rotation: int, angle: float) -> None:
    """Move boxes found on the scan onto the page as OCR'd: turned clockwise by ``rotation`` (the upright
    page has ``shape``), then rotated by ``angle`` degrees counter-clockwise about its centre (the deskew
    correction, :func:`pipeline.scan.preprocess.rotate`)."""
    h, w = shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    for mark in marks:
        points = mark.corners if mark.corners is not None else _box_corners(mark.box)
        points = _turn_points(points, shape, rotation)
        points = points @ matrix[:, :2].T + matrix[:, 2]
        mark.corners = points.astype(np.float32) if mark.corners is not None else None
        mark.box = _bounds(points, shape)


def _box_corners(box: tuple[int, int, int, int]) -> np.ndarray:
    x0, y0, x1, y1 = box
    return np.array([(x0, y0), (x1, y0), (x1, y1), (x0, y1)], np.float64)


def _turn_points(points: np.ndarray, shape: tuple[int, ...], rotation: int) -> np.ndarray:
    """Points of the scan on the page turned clockwise by ``rotation`` (which has ``shape``)."""
    h, w = shape[:2]
    x, y = points[:, 0].astype(np.float64), points[:, 1].astype(np.float64)
    turned = {
        0: (x, y),
        90: (w - 1 - y, x),  # the scan was h wide and w high
        180: (w - 1 - x, h - 1 - y),
        270: (y, h - 1 - x),
    }[rotation % 360]
    return np.stack(turned, axis=1)


# --- the binarised page --------------------------------------------------------------------------------


def clean_marks(
    binary: np.ndarray, dpi: int, marks: list[Mark], gray: np.ndarray | None = None
) -> tuple[np.ndarray, list[Mark]]:
    """Erase stamps from a binarised page (dark text on white): those in ``marks`` (found by colour) and
    those found by their frame. ``gray`` is the page before binarisation: on a grey scan the stamp's ink is
    lighter than print. Returns the page and all marks."""
    ink = (binary < 128).astype(np.uint8)
    scale = min(1.0, WORK_DPI / dpi)
    small = cv2.resize(ink, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else ink
    found = [
        Mark("stamp", _bounds(corners / scale, ink.shape), corners=corners / scale)
        for corners in find_frames((small > 0).astype(np.uint8), dpi * scale)
    ]
    marks = marks + [m for m in found if not any(overlap_share(m.box, o.box) > 0.3 for o in marks)]
    out = binary.copy()
    for mark in marks:
        if mark.kind == "stamp" and mark.corners is not None:
            _clear_stamp(out, mark.corners, dpi, gray)
    notes = clear_handwriting(out, dpi, [m.box for m in marks])
    return out, marks + [Mark("handwriting", box) for box in notes]


def clear_handwriting(binary: np.ndarray, dpi: int, avoid: list[tuple[int, int, int, int]]) -> list[tuple]:
    """Erase handwriting from a binarised page, in place, except in the ``avoid`` boxes; returns the boxes
    of the notes erased.

    A line of handwriting, smeared into one piece along its line, is made of few, long, open pieces of
    ink (a cursive word is one stroke); a line of print of many compact ones, one per letter
    (:data:`HAND_PIECES_PER_INCH`, :data:`HAND_ELONGATION`, :data:`HAND_FILL`). Lines are looked for
    across the page and, for notes written up a side margin (:data:`SIDE_MARGINS`), down it."""
    ink = (binary < 128).astype(np.uint8)
    scale = min(1.0, WORK_DPI / dpi)
    small = (cv2.resize(ink, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) > 0).astype(np.uint8)
    small = _without_long_lines(small)
    reach = max(3, round(WORK_DPI * 0.12))
    boxes = []
    for kernel, upright in (((reach, 1), False), ((1, reach), True)):
        _, _, line_stats, _ = cv2.connectedComponentsWithStats(
            cv2.dilate(small, cv2.getStructuringElement(cv2.MORPH_RECT, kernel))
        )
        for line in _line_candidates(line_stats, upright, dpi * scale):
            box = _scaled(_xyxy(line_stats[line]), 1 / scale, binary.shape)
            if upright and not _in_side_margin(box, binary.shape[1]):
                continue  # down the page, print words one above the other look written
            if any(overlap_share(box, other) > 0.3 for other in avoid):
                continue
            erased = _erase_if_written(binary, box, upright, dpi)
            if erased is not None:
                boxes.append(erased)
    pad = round(dpi * 0.15)
    grown = _merge_overlapping([(x0 - pad, y0 - pad, x1 + pad, y1 + pad) for x0, y0, x1, y1 in boxes])
    return [(x0 + pad, y0 + pad, x1 - pad, y1 - pad) for x0, y0, x1, y1 in grown]


def _without_long_lines(small: np.ndarray) -> np.ndarray:
    """The ink mask (uint8, 1 = ink, at :data:`WORK_DPI`) without straight strokes an inch long or more.

    A fold, a rule or a scanner's streak through a handwritten note joins it, once smeared along its line,
    to the print the line runs into, and the note is no longer a line of handwriting's size. Most pages
    have a few short rules at most: the opening is finished (dilated back) only where the erosion left
    something."""
    rect = cv2.getStructuringElement
    straight = np.zeros_like(small)
    for size in ((1, WORK_DPI), (WORK_DPI, 1)):
        kernel = rect(cv2.MORPH_RECT, size)
        core = cv2.erode(small, kernel)
        if cv2.countNonZero(core):
            straight |= cv2.dilate(core, kernel)
    if not straight.any():
        return small
    return small & (1 - cv2.dilate(straight, rect(cv2.MORPH_RECT, (3, 3))))


def _line_candidates(stats: np.ndarray, upright: bool, dpi: float) -> np.ndarray:
    """The smeared lines (statistics at ``dpi``) of a size that handwriting has: at least 0.3 inches
    long, 0.08 to 0.8 across."""
    w, h = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    long, across = (h, w) if upright else (w, h)
    fit = (long >= dpi * 0.3) & (across >= dpi * 0.08) & (across <= dpi * 0.8) & (long >= across)
    fit[0] = False
    return np.flatnonzero(fit)


def _erase_if_written(
    binary: np.ndarray, box: tuple[int, int, int, int], upright: bool, dpi: int
) -> tuple[int, int, int, int] | None:
    """Erase the pieces of ink wholly inside ``box`` (one smeared line, give or take a pixel of the small
    copy it was found on) if they are handwriting; returns the box of what was erased."""
    pad = max(2, round(dpi / WORK_DPI))
    x0, y0 = max(0, box[0] - pad), max(0, box[1] - pad)
    x1, y1 = min(binary.shape[1], box[2] + pad), min(binary.shape[0], box[3] + pad)
    crop = binary[y0:y1, x0:x1]
    _, labels, stats, _ = cv2.connectedComponentsWithStats((crop < 128).astype(np.uint8))
    x, y, w, h = (stats[:, i] for i in range(4))
    inner = (x > 0) & (y > 0) & (x + w < x1 - x0) & (y + h < y1 - y0)
    inner[0] = False
    if not inner.any() or not _written(stats[inner], box, upright, dpi):
        return None
    crop[inner[labels]] = 255
    return (
        x0 + int(x[inner].min()),
        y0 + int(y[inner].min()),
        x0 + int((x + w)[inner].max()),
        y0 + int((y + h)[inner].max()),
    )


def _in_side_margin(box: tuple[int, int, int, int], width: int) -> bool:
    """Whether a box lies in the left (binding) or right margin of a page (30 and 20 mm of 210)."""
    return box[2] <= SIDE_MARGINS[0] * width or box[0] >= (1 - SIDE_MARGINS[1]) * width


def _xyxy(stat: np.ndarray) -> tuple[int, int, int, int]:
    x, y, w, h = (int(v) for v in stat[:4])
    return x, y, x + w, y + h


def _written(pieces: np.ndarray, box: tuple[int, int, int, int], upright: bool, dpi: int) -> bool:
    """Whether a line of ink (its pieces' statistics, its box) is handwriting rather than print;
    ``upright``: a line written up or down the page."""
    x0, y0, x1, y1 = box
    long, across = (y1 - y0, x1 - x0) if upright else (x1 - x0, y1 - y0)
    if long < dpi * 0.3 or not dpi * 0.08 <= across <= dpi * 0.8 or long < across:
        return False
    w, h = pieces[:, cv2.CC_STAT_WIDTH], pieces[:, cv2.CC_STAT_HEIGHT]
    along, height = (h, w) if upright else (w, h)
    letters = height >= 0.3 * across
    area = pieces[:, cv2.CC_STAT_AREA]
    # a written line is its words: two at least, with most of the line's ink (the rest: tone marks); a
    # printed line with a stray arc or scrawl through it has most of its ink in small letters
    if letters.sum() < 2 or area[letters].sum() < HAND_INK_IN_WORDS * area.sum():
        return False
    fill = area[letters] / (w[letters] * h[letters])
    elongation = np.median(along[letters] / height[letters])
    return bool(
        letters.sum() / (long / dpi) < HAND_PIECES_PER_INCH
        and HAND_ELONGATION <= elongation <= 8  # a rule or a copier's shadow along an edge is longer
        and np.median(fill) <= HAND_FILL
    )


def _clear_stamp(binary: np.ndarray, corners: np.ndarray, dpi: int, gray: np.ndarray | None) -> None:
    """Erase the frame and the inside of a stamp, keeping the document's lines the stamp was pressed over."""
    reach = 5 * max(3, round(dpi * RUN_ON))  # enough of a line outside the box to see where it runs
    x0, y0, x1, y1 = _bounds(corners, binary.shape)
    cx0, cy0 = max(0, x0 - reach), max(0, y0 - reach)
    cx1, cy1 = min(binary.shape[1], x1 + reach), min(binary.shape[0], y1 + reach)
    crop = binary[cy0:cy1, cx0:cx1]
    ink = (crop < 128).astype(np.uint8)
    inside = np.zeros_like(ink)
    cv2.fillConvexPoly(inside, np.round(corners - [cx0, cy0]).astype(np.int32), 1)
    frame = _frame_pixels(ink, inside, dpi)
    ink &= 1 - frame
    light, accents = np.zeros_like(ink), ink
    if gray is not None:
        light, pale = _light_ink(gray[cy0:cy1, cx0:cx1], ink, inside, dpi)
        if pale is not None:  # the stamp's dotted leaders and the pen's specks are not print's accents
            accents = ink & (1 - _pieces_as_pale(gray[cy0:cy1, cx0:cx1], ink, pale))
    keep = _document_ink(ink & (1 - light), inside, dpi, ink, accents)
    crop[(frame > 0) | ((ink > 0) & (inside > 0) & ~keep)] = 255


def _pieces_as_pale(gray: np.ndarray, ink: np.ndarray, pale: float) -> np.ndarray:
    """The pieces of ink (uint8 mask) whose darkest point is as light as the stamp's ink usually is."""
    n, labels = cv2.connectedComponents(ink)
    on = ink > 0
    darkest = np.full(n, 255, np.uint8)
    np.minimum.at(darkest, labels[on], cv2.blur(gray, (3, 3))[on])
    pale_piece = darkest >= pale
    pale_piece[0] = False
    return (pale_piece[labels] & on).astype(np.uint8)


def _light_ink(
    gray: np.ndarray, ink: np.ndarray, inside: np.ndarray, dpi: int
) -> tuple[np.ndarray, float | None]:
    """On a grey scan, the letter-sized pieces of ink inside the box that are clearly lighter than the
    print there (stamp-pad ink and a ballpoint are paler than toner or typewriter ink): uint8 mask; and
    the stamp's ink's usual darkest point (the median of its pieces'), None when it was not told apart.

    Each piece is judged by its darkest point; print and stamp are told apart by Otsu's split of those,
    and only when the two are far apart (1-bit and colour pages, where the stamp's ink is gone, have one
    kind of ink only). A piece is then the stamp's when it is nearer the stamp's ink than print's, unless
    it is a faint letter of a printed word (:func:`_faint_letters`): a typewriter strikes every key with
    its own force, so the darkness of one letter says less than that of its word."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(ink)
    on = ink > 0
    darkest = np.full(n, 255, np.uint8)
    np.minimum.at(darkest, labels[on], cv2.blur(gray, (3, 3))[on])
    sized = stats[:, cv2.CC_STAT_AREA] >= (dpi * 0.04) ** 2
    sized[0] = False
    within = np.bincount(labels[on & (inside > 0)], minlength=n) == stats[:, cv2.CC_STAT_AREA]
    letters = within & sized
    if letters.sum() < 4:
        return np.zeros_like(ink), None
    split, _ = cv2.threshold(darkest[letters].reshape(1, -1), 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    dark, pale = darkest[letters & (darkest <= split)], darkest[letters & (darkest > split)]
    if dark.size == 0 or pale.size == 0 or np.median(pale) - np.median(dark) < LIGHTER_BY:
        return np.zeros_like(ink), None
    # Otsu's split may fall right above print's tight peak (laser print): a thin letter whose darkest is
    # a little lighter than the peak is still far nearer print than the stamp's ink
    between = (float(np.median(dark)) + float(np.median(pale))) / 2
    # (a letter only: a pen's cursive word, bigger than a letter, is as dark as that)
    single = _letter_sized(stats, letters & (darkest <= split), letters)
    # a pen's word standing alone is bigger than a letter, open (HAND_FILL) and without print's dark core;
    # a printed letter the pen's stroke ran into is as big and open, but its darkest point is print's (a
    # ballpoint's is 60-160): within CORE_MARGIN of print's median it stays, and only the pale pixels
    # away from its dark core go with the stroke (``stray`` below)
    area, w, h = (stats[:, i] for i in (cv2.CC_STAT_AREA, cv2.CC_STAT_WIDTH, cv2.CC_STAT_HEIGHT))
    written = ~single & (darkest > np.median(dark) + CORE_MARGIN) & (area <= HAND_FILL * w * h)
    pale_pieces = letters & ((darkest > between) | ((darkest > split) & ~single) | written)
    faint = _faint_letters(stats, darkest, pale_pieces & single, sized, between, dpi)
    stamp = pale_pieces & ~faint
    # where the stamp's ink touches print it is one piece with it: its light pixels away from any dark
    # one are the stamp's still (the pale edge of a printed stroke lies right beside its dark core).
    # Print's cores are darker than any stamp-pad ink; a faint letter standing alone (a typewriter key
    # struck softly) has cores as dark as its own darkest point, and is still darker than the stamp.
    near = max(1, round(dpi / 100))
    core = np.full(len(stats), min(split, float(np.median(dark)) + CORE_MARGIN / 2), np.float32)
    alone = _letter_sized(stats, letters & ~stamp, sized & ~stamp)
    core[alone] = np.maximum(core[alone], np.minimum(darkest[alone] + CORE_MARGIN, between))
    cores = cv2.dilate(((gray <= core[labels]) & on).astype(np.uint8), np.ones((2 * near + 1,) * 2, np.uint8))
    stray = on & (inside > 0) & (gray > core[labels]) & (cores == 0) & ~faint[labels]
    return (stamp[labels] | stray).astype(np.uint8), float(np.median(pale))


def _letter_sized(stats: np.ndarray, letters: np.ndarray, pieces: np.ndarray) -> np.ndarray:
    """Of ``pieces`` (bool per piece), those no bigger than the printed ``letters``: at most half as high
    again and twice as wide as their median (a bigger piece is print glued to the stamp's letters or to
    the pen's stroke)."""
    if not letters.any():
        return letters
    w, h = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    return pieces & (h <= 1.5 * np.median(h[letters])) & (w <= 2 * np.median(w[letters]))


def _faint_letters(
    stats: np.ndarray, darkest: np.ndarray, pale: np.ndarray, sized: np.ndarray, between: float, dpi: int
) -> np.ndarray:
    """Of the ``pale`` pieces, the faint letters of printed words: the letters right beside them on their
    line (alike in height, overlapping in height, at most a letter's spacing away; inside the box or
    beyond it) are print, nearer print's darkness than the stamp's. The stamp's labels are words of
    pale letters, and its big "ĐẾN" is higher than any letter of a line."""
    x, y, w, h = (stats[:, i].astype(np.float64) for i in range(4))
    spacing = dpi * 0.06
    faint = np.zeros(len(stats), bool)
    for i in np.flatnonzero(pale):
        overlap = np.minimum(y + h, y[i] + h[i]) - np.maximum(y, y[i])
        alike = (
            sized
            & (overlap >= 0.5 * np.minimum(h, h[i]))
            & (np.maximum(h, h[i]) <= 1.6 * np.minimum(h, h[i]))
        )
        alike[i] = False
        left = alike & (x + w <= x[i] + 0.3 * w[i]) & (x[i] - (x + w) <= spacing)
        right = alike & (x >= x[i] + 0.7 * w[i]) & (x - (x[i] + w[i]) <= spacing)
        beside = [
            darkest[np.flatnonzero(side)[np.argmin(distance[side])]]
            for side, distance in ((left, x[i] - (x + w)), (right, x - (x[i] + w[i])))
            if side.any()
        ]
        faint[i] = bool(beside) and max(beside) <= between
    return faint


def _document_ink(
    ink: np.ndarray, inside: np.ndarray, dpi: int, marks_ink: np.ndarray, accents_ink: np.ndarray
) -> np.ndarray:
    """The ink inside a stamp's box that belongs to the document: the lines that run on beyond the box
    (those the stamp was pressed over), without what the stamp put on them at another height (its
    labels and the pen's figures), and the accents (from ``accents_ink``: all ink but what is as pale as
    the stamp's) right above and below them.

    A line's words are joined across the spaces between them in all the ink (``marks_ink``): where the
    pen's stroke ran between two words and was taken off with the part of a letter it touched, the space
    left is wider than a word space, and the word before it would be cut off from its line and lost
    ("hiện/văn hóa" gave "văn hóa")."""
    rect = cv2.getStructuringElement
    run_on = max(3, round(dpi * RUN_ON))
    margin = cv2.dilate(inside, rect(cv2.MORPH_RECT, (run_on // 2 * 2 + 1,) * 2))
    beyond = (ink > 0) & (margin == 0)
    space = max(3, round(dpi * WORD_SPACE))
    joined = cv2.dilate(marks_ink, rect(cv2.MORPH_RECT, (space, 1)))
    n, lines, stats, _ = cv2.connectedComponentsWithStats(joined)
    outside = np.bincount(lines[beyond], minlength=n)
    keep = np.zeros(ink.shape, bool)
    for label in np.flatnonzero(outside):
        if label:
            x, y, w, h = (int(v) for v in stats[label, :4])
            box = (slice(y, y + h), slice(x, x + w))
            own = (lines[box] == label) & (ink[box] > 0)
            keep[box] |= _on_the_line(own, beyond[box], dpi)
    # accents: small marks within a tone mark's distance above or below the kept letters
    near = cv2.dilate(keep.astype(np.uint8), rect(cv2.MORPH_RECT, (1, 2 * max(2, round(dpi * 0.05)) + 1)))
    n, marks, stats, _ = cv2.connectedComponentsWithStats(accents_ink)
    small = (stats[:, cv2.CC_STAT_HEIGHT] <= dpi * 0.06) & (stats[:, cv2.CC_STAT_WIDTH] <= dpi * 0.12)
    beside = np.zeros(n, bool)
    beside[np.unique(marks[(near > 0) & (accents_ink > 0)])] = True
    return keep | ((small & beside)[marks] & (accents_ink > 0))


def _on_the_line(own: np.ndarray, beyond: np.ndarray, dpi: int) -> np.ndarray:
    """Of one line's ink (``own``), the words on the line: those that reach beyond the box, and those
    inside it with most of their ink at the height of the part beyond it (a word the pen ran through
    is kept with the pen's stroke; the stamp's labels and the pen's figures sit higher or lower), and of
    the others what is at that height."""
    # the heights where the line's letters are, beyond the box (two lines when the pen joined them)
    profile = np.count_nonzero(own & beyond, axis=1)
    runs = np.cumsum(profile == 0)  # heights between empty rows: one line each
    peak = np.zeros(runs[-1] + 1, np.int64)
    np.maximum.at(peak, runs, profile)
    level = (profile > 0.15 * peak[runs])[:, None]
    gap = max(3, round(dpi * 0.03))
    n, words = cv2.connectedComponents(
        cv2.dilate(own.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_RECT, (gap, 1)))
    )
    total = np.bincount(words[own], minlength=n)
    at_level = np.bincount(words[own & level], minlength=n)
    keep = at_level >= 0.5 * total
    keep[np.unique(words[own & beyond])] = True
    keep[0] = False
    # a word glued to the pen's stroke from the line below or above keeps its part at the line's height
    return own & (keep[words] | level)


def _frame_pixels(ink: np.ndarray, inside: np.ndarray, dpi: int) -> np.ndarray:
    """The ink of the frame's four sides: long thin runs along the edge of ``inside``. Where a letter's
    stroke crosses a side, the stroke is kept: it is longer across the side than the side is thick."""
    rect = cv2.getStructuringElement
    band = max(3, round(dpi * 0.04)) | 1
    edge = cv2.morphologyEx(inside, cv2.MORPH_GRADIENT, rect(cv2.MORPH_RECT, (band, band)))
    near = ink & edge
    wobble = max(1, round(dpi / 150)) * 2 + 1
    long = round(dpi * 0.25)
    stroke = max(5, round(dpi * 0.03))
    along_x = cv2.morphologyEx(
        cv2.dilate(near, rect(cv2.MORPH_RECT, (1, wobble))), cv2.MORPH_OPEN, rect(cv2.MORPH_RECT, (long, 1))
    )
    along_y = cv2.morphologyEx(
        cv2.dilate(near, rect(cv2.MORPH_RECT, (wobble, 1))), cv2.MORPH_OPEN, rect(cv2.MORPH_RECT, (1, long))
    )
    across_x = cv2.morphologyEx(ink, cv2.MORPH_OPEN, rect(cv2.MORPH_RECT, (1, stroke)))
    across_y = cv2.morphologyEx(ink, cv2.MORPH_OPEN, rect(cv2.MORPH_RECT, (stroke, 1)))
    return near & ((along_x & (1 - across_x)) | (along_y & (1 - across_y)))
