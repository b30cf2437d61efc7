"""Stage 2: clean a page image for Tesseract with OpenCV.

Scans of provincial plans are tilted, grey, speckled and carry a red seal over the signer's title. Each
step below fixes one of those and can be switched off; the report says which steps ran and the measured
skew so a strange result can be traced back. Steps, in order:

1. ``remove_seal``: paint red ink white, so the seal neither hides nor garbles the title under it (black
   text under the seal stays dark, so it survives).
2. grayscale, then ``normalize``: divide by the estimated background, flattening photocopy shading.
3. ``orient``: turn a page fed sideways or upside down upright (:mod:`pipeline.scan.orientation`; cheap
   glyph measurements, Tesseract OSD only for pages that do not look upright).
4. ``deskew``: measure the text angle by projection profiles and rotate it away.
5. ``binarize``: adaptive threshold, robust to uneven lighting.
6. ``despeckle``: drop small isolated dots (toner, dust) but keep diacritic dots next to letters,
   blobs touching the page edge (copier shadows) and long straight streaks and rules (scanner lines).
7. ``fade_seal``: a seal copied in grey is lighter than the text under it; inside a round seal found by
   its circle, the whole cluster of the seal's ink is whitened and only ink as dark as print is kept
   (:func:`clear_seal_ink`): what binarisation makes of a faint ring glues blobs to the signer's title,
   which Tesseract then loses. (Colour pages: the red went in step 1; clearing what is left of its ring
   there as well moved Tesseract's lines on clean pages and was left out.)
8. ``remove_marks`` (:mod:`pipeline.scan.marks`): received stamps and handwriting. Blue and violet ink is
   whitened with the red (step 1); on the binarised page, before ``despeckle``, stamps are erased.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import cv2
import numpy as np

from pipeline.scan import marks, orientation
from pipeline.timing import Stopwatch

STEPS = ("remove_seal", "normalize", "orient", "deskew", "binarize", "despeckle", "fade_seal", "remove_marks")


@dataclass(frozen=True)
class PreprocessOptions:
    """Which steps run; all on by default."""

    remove_seal: bool = True
    normalize: bool = True
    orient: bool = True
    deskew: bool = True
    binarize: bool = True
    despeckle: bool = True
    fade_seal: bool = True
    remove_marks: bool = True  # received stamps and handwriting (pipeline.scan.marks)
    max_skew_degrees: float = 5.0

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class PreprocessReport:
    """What was done to a page: the steps applied, the turn and the skew that were measured and removed."""

    applied: list[str] = field(default_factory=list)
    rotation: int = 0  # degrees clockwise the scan was turned to stand upright: 0, 90, 180 or 270
    orientation: dict | None = None  # how the rotation was decided (orientation.Orientation.as_dict)
    deskew_angle: float = 0.0  # skew of the scan, degrees counter-clockwise; the page was turned back by it
    seal_pixels: int = 0
    marks: list[marks.Mark] = field(default_factory=list)  # stamps and handwriting taken off the page
    timings: dict[str, float] = field(default_factory=dict)  # CPU ms per step (``pipeline.timing``)
    # the grey page turned upright and deskewed, before binarisation: what a plain second reading reads
    # (``pipeline.scan.guard.read_page``); in memory only, never stored
    upright: np.ndarray | None = field(default=None, repr=False)


# Pages scanned coarser than this are enlarged to READ_DPI before anything else (a fax, a 150-dpi scan).
MIN_READ_DPI = 200
READ_DPI = 300


def to_reading_resolution(rgb: np.ndarray, dpi: int) -> tuple[np.ndarray, int]:
    """The page enlarged to :data:`READ_DPI` when it was scanned coarser than :data:`MIN_READ_DPI`, and its
    resolution. Why: at 150 dpi a body letter is some 12 pixels high, and a dash or a diacritic is a speck
    of two or three; Tesseract reads letters best at 20-30 pixels, and speck removal and line finding
    cannot tell such marks from dirt. Enlarged smoothly (cubic) before binarisation, the strokes keep
    their shape."""
    if dpi >= MIN_READ_DPI or dpi <= 0:
        return rgb, dpi
    scale = READ_DPI / dpi
    return cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC), READ_DPI


def preprocess_page(
    rgb: np.ndarray, dpi: int, options: PreprocessOptions, *, lang: str = "vie"
) -> tuple[np.ndarray, PreprocessReport]:
    """Return the page as a single-channel uint8 image (text dark on white) and a report.

    ``lang`` is the Tesseract language used when a strip of the page must be read to tell its orientation.
    A page turned by 90 or 270 degrees comes back with its width and height swapped.
    """
    report = PreprocessReport()
    clock = Stopwatch()
    image = rgb
    if options.remove_seal and image.ndim == 3:
        with clock("remove_seal"):
            image, report.seal_pixels = remove_red_ink(image)
        report.applied.append("remove_seal")
    if options.remove_marks and image.ndim == 3:
        with clock("remove_marks"):
            image, report.marks = marks.remove_coloured_ink(image, dpi)
    with clock("normalize"):
        gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
        bilevel = _is_bilevel(gray)
        if options.normalize:
            gray = normalize_background(gray, dpi)
            report.applied.append("normalize")
    if options.orient:
        with clock("orient"):
            found = orientation.orient(gray, dpi, lang=lang)
            report.rotation, report.orientation = found.rotation, found.as_dict()
            gray = orientation.turn(gray, found.rotation)
        report.applied.append("orient")
    if options.deskew:
        with clock("deskew"):
            correction = measure_skew(gray, options.max_skew_degrees, edges=not bilevel)
            report.deskew_angle = -correction
            if abs(correction) >= 0.05:
                gray = rotate(gray, correction)
        report.applied.append("deskew")
    marks.follow(report.marks, gray.shape, report.rotation, -report.deskew_angle)
    report.upright = gray
    if options.binarize:
        gray = _binarize_and_clean(gray, dpi, options, report, clock)
    report.timings = clock.ms
    return gray, report


def _binarize_and_clean(
    gray: np.ndarray, dpi: int, options: PreprocessOptions, report: PreprocessReport, clock: Stopwatch
) -> np.ndarray:
    with clock("binarize"):
        binary = binarize(gray, dpi)
    report.applied.append("binarize")
    if options.fade_seal and report.seal_pixels == 0:
        with clock("fade_seal"):
            binary, found = fade_grey_seal(gray, binary, dpi)
        if found:
            report.applied.append("fade_seal")
    if options.remove_marks:
        with clock("remove_marks"):
            binary, report.marks = marks.clean_marks(binary, dpi, report.marks, gray)
        report.applied += ["remove_marks"] if report.marks else []
    if options.despeckle:
        with clock("despeckle"):
            binary = despeckle(binary, dpi)
        report.applied.append("despeckle")
    return binary


def remove_red_ink(rgb: np.ndarray) -> tuple[np.ndarray, int]:
    """Whiten red seal ink; dark text under the seal is left untouched.

    Scans blur the seal's edges into pinkish-grey pixels that are not clearly red; around clearly red
    pixels, anything lighter than text is whitened as well, so the ring leaves no dotted outline.
    """
    # 8-bit OpenCV arithmetic (saturating: r - max(g, b) stops at 0, which is not red either) costs a
    # fifth of the same in 16-bit numpy; most pages have no red at all and leave here.
    r, g, b = cv2.split(rgb)
    red = cv2.bitwise_and(
        cv2.compare(cv2.subtract(r, cv2.max(g, b)), 40, cv2.CMP_GT), cv2.compare(r, 100, cv2.CMP_GT)
    )
    n_red = cv2.countNonZero(red)
    if n_red == 0:
        return rgb, 0
    # The rest happens in the box of the red pixels (a seal), grown by the halo's reach.
    x, y, w, h = cv2.boundingRect(red)
    box = (slice(max(0, y - 3), y + h + 3), slice(max(0, x - 3), x + w + 3))
    halo = cv2.dilate(red[box], cv2.getStructuringElement(cv2.MORPH_RECT, (7, 7)))
    light = cv2.compare(cv2.min(cv2.min(r[box], g[box]), b[box]), 110, cv2.CMP_GT)
    whiten = cv2.bitwise_or(red[box], cv2.bitwise_and(halo, light))
    out = rgb.copy()
    out[box] = cv2.bitwise_or(rgb[box], cv2.merge([whiten, whiten, whiten]))
    return out, n_red


def normalize_background(gray: np.ndarray, dpi: int) -> np.ndarray:
    """Divide by a smooth background estimate so grey, shaded photocopies become white paper.

    The estimate is enlarged in floating point and rounded once: OpenCV's 8-bit resize rounds its
    horizontal and vertical passes differently, so a page fed sideways came out a grey level apart from
    the same page upright in some 40,000 pixels and read a few words differently once turned back."""
    scale = 0.25
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    # A closing wider than a stroke removes the text and leaves the paper.
    k = max(3, int(dpi * scale / 300 * 31)) | 1
    background = cv2.morphologyEx(small, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    background = cv2.GaussianBlur(background, (k, k), 0).astype(np.float32)
    background = cv2.resize(background, (gray.shape[1], gray.shape[0]), interpolation=cv2.INTER_LINEAR)
    background = cv2.convertScaleAbs(background)  # rounded to 8 bits in one pass (a page: ~10 ms)
    np.maximum(background, 1, out=background)
    return cv2.divide(gray, background, scale=255)


def measure_skew(gray: np.ndarray, max_degrees: float, edges: bool = True) -> float:
    """Rotation (degrees, counter-clockwise positive) that makes the text lines horizontal.

    Projection profiles of the ink are sharpest when lines are level. The ink pixels of a downscaled page
    are projected at each candidate angle (a histogram, no image rotation), coarse then fine. ``edges``:
    leave out the bands along the image's edge (:func:`_off_the_edges`). Not on a 1-bit page: the measure
    is right there too (a copy of a copy's toner band: -0.1° measured for 0.8°), but the stamp clearing
    of 1-bit pages then left half of a stamp's ink and erased the number line under it (tests/
    test_stamps.py, copy2): until that is mended, 1-bit pages keep the measure they had.
    """
    scale = min(1.0, 800.0 / max(gray.shape))
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    _, ink = cv2.threshold(small, 0, 1, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    ys, xs = np.nonzero(_off_the_edges(ink) if edges else ink)
    if len(ys) < 50:
        return 0.0
    xs = xs - small.shape[1] / 2.0
    ys = ys - small.shape[0] / 2.0
    size = int(np.hypot(*small.shape)) + 2
    offset = size // 2

    def sharpness(angle: float) -> float:
        theta = np.deg2rad(angle)
        # Row of each ink pixel after turning the page by ``angle`` (image y axis points down).
        rows = np.round(ys * np.cos(theta) - xs * np.sin(theta)).astype(np.int64) + offset
        profile = np.bincount(rows, minlength=size).astype(np.float64)
        return float(np.square(np.diff(profile)).sum())

    best = max(np.arange(-max_degrees, max_degrees + 1e-9, 0.5), key=sharpness)
    fine = np.arange(best - 0.5, best + 0.5 + 1e-9, 0.1)
    return round(float(max(fine, key=sharpness)), 2)


def _is_bilevel(gray: np.ndarray) -> bool:
    """Whether the page holds black and white only (a 1-bit scan or fax), judged on a sparse sample."""
    sample = gray[::7, ::7]
    return bool(((sample == 0) | (sample == 255)).all())


# A shape touching the image's edge and reaching this share of the page along it is a border, not a speck.
EDGE_BAND_SHARE = 0.25


def _off_the_edges(ink: np.ndarray) -> np.ndarray:
    """The ink without the long shapes that touch the image's edge: a copier's black border, the edge of a
    page smaller than the glass, a binder's shadow. They lie square to the scanner, not to the text, and
    their long straight edges made the sharpest profile at 0° on a skewed page (measured 0.1° for 1.4°).
    Specks and toner on the edge of a copy are short and stay: they move nothing but the measure's noise
    (leaving them out moved an archive page by 0.1°, into a layout that lost a paragraph)."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    h, w = ink.shape
    x, y, bw, bh = stats[:, 0], stats[:, 1], stats[:, 2], stats[:, 3]
    across = ((y == 0) | (y + bh == h)) & (bw >= EDGE_BAND_SHARE * w)
    down = ((x == 0) | (x + bw == w)) & (bh >= EDGE_BAND_SHARE * h)
    band = across | down
    band[0] = False  # the background
    if not band.any():
        return ink
    return np.where(band[labels], 0, ink).astype(ink.dtype)


def rotate(image: np.ndarray, angle: float, border: float = 255.0) -> np.ndarray:
    """Rotate about the centre, keeping the size and filling with ``border`` (white paper by default)."""
    h, w = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    return cv2.warpAffine(
        image, matrix, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=border
    )


def binarize(gray: np.ndarray, dpi: int) -> np.ndarray:
    """Adaptive threshold against the local mean (a box filter, fast at 300 dpi).

    The window spans a few text lines at the page's resolution, so shading wider than that is ignored.
    """
    block = max(15, int(dpi / 300 * 41)) | 1
    return cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, block, 15)


# Long-line candidates whose own ink fills at least this share of them, or that are at most this thick
# (in pixels at 150 dpi), are rules or streaks. A text row merged by the gap bridging (a long unbroken word,
# a bold heading) is thicker and full of letter gaps: measured 0.46-0.63 full and 2.6-7 px thick, against
# 0.76-1.0 and 1-3 px for rules, table borders and streaks.
LINE_MIN_FILL = 0.72
LINE_MAX_THICKNESS = 2.2
# A thin gappy run with ink within 3 px (half resolution) beside it over half its length is a row of letters.
LINE_TEXT_REACH = 3
# A solid run less full than this, as thin as a rule, with ink running on from it on one side along at
# least LETTER_EDGE_SIDE of its length and along at most LETTER_EDGE_OTHER_SIDE on the other, is the edge
# of a row of bold letters: their top serifs and the bar of a "T" along the cap line ("KHEN THƯỞNG",
# measured 0.74-0.79 full, letters under 0.31-0.41 of it, 0-0.07 above), or their bottom serifs along the
# baseline (0.75-0.90, 0.32-0.57, 0.01-0.04). Rules and frames are 0.96-1.0 full; a stamp's side on a copy
# of a copy, as gappy (0.73-0.78), has the pen's figures on one side and the line it was pressed over on
# the other (0.18-0.39 both) or is thicker (6 px at 150 dpi).
LETTER_EDGE_MAX_FILL = 0.93
LETTER_EDGE_SIDE = 0.25
LETTER_EDGE_OTHER_SIDE = 0.1
LINE_TEXT_NEIGHBOURS = 0.5


def despeckle(binary: np.ndarray, dpi: int) -> np.ndarray:
    """Remove what cannot be text: isolated specks, blobs on the page edge, long thin streaks and rules.

    A small mark stays when it is near a letter (a diacritic, a full stop after a space) or when it is one
    of a row of marks leading to a letter (the dots of an ellipsis, a "..." after a word). Whole-page work
    is done by OpenCV; the small marks, a few hundred on a page, are then looked at one by one in their
    own boxes (looking every pixel of the page up in per-component tables cost more than all the rest).
    """
    ink = cv2.threshold(binary, 127, 1, cv2.THRESH_BINARY_INV)[1]  # 1 where binary < 128
    ink = cv2.subtract(ink, _long_lines(ink, dpi))
    n, labels, stats, _ = components(ink)
    small_area = max(4, int((dpi / 300) ** 2 * 80))
    edge = _on_page_edge(stats, binary.shape, dpi)
    edge[0] = False  # the background
    small = np.flatnonzero((stats[:, cv2.CC_STAT_AREA] < small_area) & ~edge)
    small = small[small > 0]
    boxes = [_box(stats, k) for k in small]
    marks = [labels[box] == k for k, box in zip(small, boxes, strict=True)]
    keep = _marks_near_text(ink, boxes, marks, dpi)
    for box, mark, kept in zip(boxes, marks, keep, strict=True):
        if not kept:
            ink[box][mark] = 0
    for k in np.flatnonzero(edge):
        box = _box(stats, k)
        ink[box][labels[box] == k] = 0
    return cv2.compare(ink, 0, cv2.CMP_EQ)  # ink black (0), the rest white (255)


def components(binary: np.ndarray) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """``cv2.connectedComponentsWithStats`` (8-connected) with Grana's block-based labelling, which is
    about 40 % faster with statistics than OpenCV's default single-threaded choice (the same components)."""
    return cv2.connectedComponentsWithStatsWithAlgorithm(binary, 8, cv2.CV_32S, cv2.CCL_GRANA)


def _box(stats: np.ndarray, k: int) -> tuple[slice, slice]:
    """The bounding box of component ``k`` as a pair of slices."""
    x, y, w, h = (int(v) for v in stats[k, :4])
    return slice(y, y + h), slice(x, x + w)


def _marks_near_text(
    ink: np.ndarray, boxes: list[tuple[slice, slice]], marks: list[np.ndarray], dpi: int
) -> list[bool]:
    """Which small marks are text: near a letter, or in a row of marks (each within a space of the next)
    of which one is near a letter."""
    if not marks:
        return []
    reach = max(3, int(dpi / 300 * 18))
    small_mask = np.zeros_like(ink)
    for box, mark in zip(boxes, marks, strict=True):
        small_mask[box] |= mark.view(np.uint8)
    # Beside a letter a mark may sit a space away (a full stop typed after a space), above or below it
    # only as far as a tone mark or a dot below.
    near_big = cv2.dilate(
        cv2.subtract(ink, small_mask),
        cv2.getStructuringElement(cv2.MORPH_RECT, (4 * reach + 1, 2 * reach + 1)),
    )
    near = [bool(near_big[box][mark].any()) for box, mark in zip(boxes, marks, strict=True)]
    if all(near) or not any(near):
        return near
    # Marks on one row, each within a space of the next, form a group; a group near a letter is text.
    rows_of_marks = cv2.dilate(small_mask, cv2.getStructuringElement(cv2.MORPH_RECT, (2 * reach + 1, 1)))
    _, groups = cv2.connectedComponents(rows_of_marks, connectivity=8)
    group = [int(groups[box][mark][0]) for box, mark in zip(boxes, marks, strict=True)]
    text_groups = {g for g, is_near in zip(group, near, strict=True) if is_near}
    return [g in text_groups for g in group]


def _long_lines(ink: np.ndarray, dpi: int) -> np.ndarray:
    """Pixels of straight strokes far longer than any letter: scanner streaks, rules, table borders.

    Copier streaks are dashed and wobble by a pixel, so small gaps are bridged and a 3-pixel-wide
    window is used before looking for long runs. The search runs at half resolution (lines are long;
    precision is not needed to find them) and the result is cut back to the ink at full resolution.
    Bridging also merges the letters of a long word into a long run: such runs are thick and full of
    gaps, and are left alone (:data:`LINE_MIN_FILL`, :data:`LINE_MAX_THICKNESS`).
    """
    half = cv2.resize(ink, (ink.shape[1] // 2, ink.shape[0] // 2), interpolation=cv2.INTER_AREA)
    half = (half > 0).astype(np.uint8)
    k = dpi / 600
    vertical, horizontal, bridge = max(10, int(k * 140)), max(15, int(k * 260)), max(2, int(k * 15))
    rect = cv2.getStructuringElement
    v = cv2.morphologyEx(half, cv2.MORPH_CLOSE, rect(cv2.MORPH_RECT, (1, bridge)))
    v = cv2.morphologyEx(v, cv2.MORPH_OPEN, rect(cv2.MORPH_RECT, (1, vertical)))
    h = cv2.morphologyEx(half, cv2.MORPH_CLOSE, rect(cv2.MORPH_RECT, (bridge, 1)))
    h = cv2.morphologyEx(h, cv2.MORPH_OPEN, rect(cv2.MORPH_RECT, (horizontal, 1)))
    lines = _rules_only(v, half, cv2.CC_STAT_HEIGHT, k) | _rules_only(h, half, cv2.CC_STAT_WIDTH, k)
    lines = cv2.dilate(lines, rect(cv2.MORPH_RECT, (3, 3)))
    lines = cv2.resize(lines, (ink.shape[1], ink.shape[0]), interpolation=cv2.INTER_NEAREST)
    return (lines & ink).astype(np.uint8)


def _rules_only(candidates: np.ndarray, half: np.ndarray, length_stat: int, k: float) -> np.ndarray:
    """The long-run ``candidates`` that are solid, or thin like a rule in blank paper: not a merged row of
    letters."""
    n, labels, stats, _ = components(candidates)
    if n <= 1:
        return candidates
    # Candidates are few (rules, streaks, the odd merged row): each is measured and, unless it is a rule,
    # erased in its own box.
    out = candidates.copy()
    across = length_stat == cv2.CC_STAT_WIDTH
    for label in range(1, n):
        box = _box(stats, label)
        own = labels[box] == label
        area = float(stats[label, cv2.CC_STAT_AREA])
        fill = np.count_nonzero(half[box][own]) / area
        thickness = area / max(int(stats[label, length_stat]), 1) / (2 * k)  # in pixels at 150 dpi
        if fill >= LINE_MIN_FILL:  # solid: a rule or a streak, whatever it runs through...
            if across and _edge_of_letters(half, box, fill, thickness):  # ... but the edge of bold letters
                out[box][own] = 0
            continue
        if thickness > LINE_MAX_THICKNESS or _amid_letters(half, box, own, across):
            out[box][own] = 0
    return out


def _amid_letters(half: np.ndarray, box: tuple[slice, slice], own: np.ndarray, across: bool) -> bool:
    """Whether a thin, gappy run has ink just beside it along most of its length.

    Small print (8-9 pt) is bridged into runs as thin as a rule, lying inside its row of letters, whose
    strokes rise above and drop below the run almost everywhere: erasing it cut the row in half. A dashed
    rule or streak in blank paper has nothing beside it.
    """
    if not across:  # a vertical run: look left and right of it
        half, own, box = half.T, own.T, (box[1], box[0])
    rows, cols = box
    above = half[max(0, rows.start - LINE_TEXT_REACH) : rows.start, cols].any(axis=0)
    below = half[rows.stop : rows.stop + LINE_TEXT_REACH, cols].any(axis=0)
    along = own.any(axis=0)
    beside = np.count_nonzero((above | below) & along)
    return beside >= LINE_TEXT_NEIGHBOURS * max(np.count_nonzero(along), 1)


def _edge_of_letters(half: np.ndarray, box: tuple[slice, slice], fill: float, thickness: float) -> bool:
    """Whether a solid horizontal run is the cap line or the baseline of a row of bold letters: less full
    than a rule, as thin as one, and with ink running on from it along LETTER_EDGE_SIDE of its length on
    one side (the letters) and hardly any on the other (a frame's side has its stamp's text and the pen's
    figures on one side and the document's line on the other)."""
    if fill >= LETTER_EDGE_MAX_FILL or thickness > LINE_MAX_THICKNESS:
        return False
    rows, cols = box
    above = half[max(0, rows.start - LINE_TEXT_REACH) : rows.start, cols]
    below = half[rows.stop : rows.stop + LINE_TEXT_REACH, cols]
    if above.shape[0] < LINE_TEXT_REACH or below.shape[0] < LINE_TEXT_REACH:
        return False
    sides = sorted((above.all(axis=0).mean(), below.all(axis=0).mean()))
    return sides[1] >= LETTER_EDGE_SIDE and sides[0] <= LETTER_EDGE_OTHER_SIDE


def _on_page_edge(stats: np.ndarray, shape: tuple[int, ...], dpi: int) -> np.ndarray:
    """Components touching the page border: copier shadows and torn edges (text keeps a margin)."""
    h, w = shape[:2]
    margin = max(2, int(dpi / 300 * 6))
    x, y, bw, bh = (stats[:, i] for i in range(4))
    return (x <= margin) | (y <= margin) | (x + bw >= w - margin) | (y + bh >= h - margin)


def fade_grey_seal(gray: np.ndarray, binary: np.ndarray, dpi: int) -> tuple[np.ndarray, bool]:
    """Inside a round seal found on a grey page, keep only ink as dark as print (:func:`clear_seal_ink`).

    Photocopies turn the red seal grey, so colour cannot separate it from the signer's title; its
    lighter tone still can. The seal is located by its ring (a Hough circle of seal size).
    """
    scale = 0.25
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    r_min, r_max = int(dpi * scale * 0.55), int(dpi * scale * 1.0)  # seals are 3.5-5 cm across
    circles = cv2.HoughCircles(
        cv2.medianBlur(small, 5),
        cv2.HOUGH_GRADIENT,
        dp=1.5,
        minDist=r_max * 2,
        param1=120,
        param2=60,
        minRadius=r_min,
        maxRadius=r_max,
    )
    if circles is None:
        return binary, False
    out = binary.copy()
    found = False
    for cx, cy, radius in circles[0][:2] / scale:
        found |= clear_seal_ink(gray, out, dpi, (float(cx), float(cy), float(radius) * SEAL_REACH))
    return out, found


# A seal's ring is found by its circle; its ink reaches this far beyond (the ring's blurred outer edge).
SEAL_REACH = 1.1
# Print's cores are the darkest tenth of the ink around the seal; ink this much lighter (grey levels) is
# not print's core. The seal's ink is lighter than those cores by SEAL_LIGHTER at least (its median), and
# SEAL_SHARE of the ink inside the circle is away from any core (0.66-0.8 on the seals of generated grey
# pages, 0.1-0.2 on print). Measured on generated pages: print's cores 53 (200-dpi grey) and 96
# (photocopy), the seal's ink 142 and 173.
CORE_MARGIN = 30
SEAL_LIGHTER = 50
SEAL_SHARE = 0.4
SEAL_MIN_INK = 0.05  # share of the circle a seal's ink covers at least (0.24-0.27 measured): not a few specks


def clear_seal_ink(
    gray: np.ndarray, binary: np.ndarray, dpi: int, circle: tuple[float, float, float]
) -> bool:
    """Whiten, in place, the whole cluster of a seal's ink inside ``circle`` (x, y, radius) of ``binary``:
    every piece of ink there that is not print, and what is glued to print but away from its dark cores.
    Returns whether anything was whitened.

    Whitening only what is lighter than a split between the two inks left the seal's darker half (a
    faint ring comes out of binarisation as blobs), glued to the signer's title, which Tesseract then
    lost with the lines beside it. Print is told by its cores, as dark as the print around the seal; the
    edge of a printed stroke lies right beside one. The seal is only believed when its ink is clearly
    lighter than print and most of the ink inside the circle.
    """
    cx, cy, radius = circle
    h, w = gray.shape
    reach = 2.5 * radius  # the print around the seal: the signer's title, name, the list beside
    x0, y0 = max(0, int(cx - reach)), max(0, int(cy - reach))
    x1, y1 = min(w, int(cx + reach) + 1), min(h, int(cy + reach) + 1)
    region, ink = gray[y0:y1, x0:x1], binary[y0:y1, x0:x1] < 128
    centre = (round(cx - x0), round(cy - y0))
    disc = np.zeros(ink.shape, np.uint8)
    cv2.circle(disc, centre, round(radius), 1, -1)
    around = ink & (disc == 0)
    inside = ink & (disc > 0)
    if around.sum() < 100 or inside.sum() < 100:
        return False
    core = float(np.percentile(region[around], 10))
    light = inside & (region > core + CORE_MARGIN)
    if not light.any():
        return False
    seal = float(np.median(region[light]))
    if seal - core < SEAL_LIGHTER:
        return False
    limit = max(core + CORE_MARGIN, (core + seal) / 2)
    near = max(1, round(dpi / 100))
    cores = (cv2.blur(region, (3, 3)) <= limit) & ink
    kept = cv2.dilate(cores.astype(np.uint8), np.ones((2 * near + 1,) * 2, np.uint8)) > 0
    whiten = inside & ~kept
    if whiten.sum() < SEAL_SHARE * inside.sum() or inside.sum() < SEAL_MIN_INK * disc.sum():
        return False  # a circle among print: its letters' pale edges (0.1-0.2 of its ink on a copy)
    binary[y0:y1, x0:x1][whiten] = 255
    return bool(whiten.any())
