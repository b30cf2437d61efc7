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
   its circle, only the darkest ink is kept.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import cv2
import numpy as np

from pipeline.scan import orientation
from pipeline.timing import Stopwatch

STEPS = ("remove_seal", "normalize", "orient", "deskew", "binarize", "despeckle", "fade_seal")


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
    timings: dict[str, float] = field(default_factory=dict)  # CPU ms per step (``pipeline.timing``)


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
    with clock("normalize"):
        gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
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
            correction = measure_skew(gray, options.max_skew_degrees)
            report.deskew_angle = -correction
            if abs(correction) >= 0.05:
                gray = rotate(gray, correction)
        report.applied.append("deskew")
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
    r = rgb[:, :, 0].astype(np.int16)
    g = rgb[:, :, 1].astype(np.int16)
    b = rgb[:, :, 2].astype(np.int16)
    red = ((r - np.maximum(g, b) > 40) & (r > 100)).astype(np.uint8)
    n_red = int(red.sum())
    if n_red == 0:
        return rgb, 0
    halo = cv2.dilate(red, cv2.getStructuringElement(cv2.MORPH_RECT, (7, 7))).astype(bool)
    light = np.minimum(np.minimum(r, g), b) > 110
    out = rgb.copy()
    out[red.astype(bool) | (halo & light)] = 255
    return out, n_red


def normalize_background(gray: np.ndarray, dpi: int) -> np.ndarray:
    """Divide by a smooth background estimate so grey, shaded photocopies become white paper."""
    scale = 0.25
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    # A closing wider than a stroke removes the text and leaves the paper.
    k = max(3, int(dpi * scale / 300 * 31)) | 1
    background = cv2.morphologyEx(small, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    background = cv2.GaussianBlur(background, (k, k), 0)
    background = cv2.resize(background, (gray.shape[1], gray.shape[0]), interpolation=cv2.INTER_LINEAR)
    out = cv2.divide(gray, np.maximum(background, 1), scale=255)
    return out


def measure_skew(gray: np.ndarray, max_degrees: float) -> float:
    """Rotation (degrees, counter-clockwise positive) that makes the text lines horizontal.

    Projection profiles of the ink are sharpest when lines are level. The ink pixels of a downscaled page
    are projected at each candidate angle (a histogram, no image rotation), coarse then fine.
    """
    scale = min(1.0, 800.0 / max(gray.shape))
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    _, ink = cv2.threshold(small, 0, 1, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    ys, xs = np.nonzero(ink)
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


def despeckle(binary: np.ndarray, dpi: int) -> np.ndarray:
    """Remove what cannot be text: isolated specks, blobs on the page edge, long thin streaks and rules.

    A small mark stays when it is near a letter (a diacritic, a full stop after a space) or when it is one
    of a row of marks leading to a letter (the dots of an ellipsis, a "..." after a word).
    """
    ink = (binary < 128).astype(np.uint8)
    ink &= ~_long_lines(ink, dpi)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    small_area = max(4, int((dpi / 300) ** 2 * 80))
    reach = max(3, int(dpi / 300 * 18))
    edge = _on_page_edge(stats, binary.shape, dpi)
    is_small = (stats[:, cv2.CC_STAT_AREA] < small_area) & ~edge
    is_small[0] = False
    small_mask = is_small[labels].astype(np.uint8)
    big_mask = ink * (1 - small_mask)
    # Beside a letter a mark may sit a space away (a full stop typed after a space), above or below it
    # only as far as a tone mark or a dot below.
    near_big = cv2.dilate(big_mask, cv2.getStructuringElement(cv2.MORPH_RECT, (4 * reach + 1, 2 * reach + 1)))
    # Marks on one row, each within a space of the next, form a group; a group near a letter is text.
    rows_of_marks = cv2.dilate(small_mask, cv2.getStructuringElement(cv2.MORPH_RECT, (2 * reach + 1, 1)))
    _, groups = cv2.connectedComponents(rows_of_marks, connectivity=8)
    text_groups = np.unique(groups[(small_mask > 0) & (near_big > 0)])
    text_groups = text_groups[text_groups > 0]
    keep = np.zeros(n, dtype=bool)
    keep[np.unique(labels[(small_mask > 0) & np.isin(groups, text_groups)])] = True
    drop = (is_small & ~keep) | edge
    drop[0] = False
    ink[drop[labels]] = 0
    return np.where(ink > 0, 0, 255).astype(np.uint8)


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
    """The long-run ``candidates`` that are solid or thin like a rule, not a merged row of letters."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(candidates, connectivity=8)
    if n <= 1:
        return candidates
    area = stats[:, cv2.CC_STAT_AREA].astype(np.float64)
    filled = np.bincount(labels.ravel(), weights=half.ravel().astype(np.float64), minlength=n)
    fill = filled / np.maximum(area, 1)
    thickness = area / np.maximum(stats[:, length_stat], 1) / (2 * k)  # in pixels at 150 dpi
    rule = (fill >= LINE_MIN_FILL) | (thickness <= LINE_MAX_THICKNESS)
    rule[0] = False
    return rule[labels].astype(np.uint8)


def _on_page_edge(stats: np.ndarray, shape: tuple[int, ...], dpi: int) -> np.ndarray:
    """Components touching the page border: copier shadows and torn edges (text keeps a margin)."""
    h, w = shape[:2]
    margin = max(2, int(dpi / 300 * 6))
    x, y, bw, bh = (stats[:, i] for i in range(4))
    return (x <= margin) | (y <= margin) | (x + bw >= w - margin) | (y + bh >= h - margin)


def fade_grey_seal(gray: np.ndarray, binary: np.ndarray, dpi: int) -> tuple[np.ndarray, bool]:
    """Inside a round seal found on a grey page, keep only ink clearly darker than the seal's ink.

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
        x0, y0 = max(0, int(cx - radius * 1.1)), max(0, int(cy - radius * 1.1))
        x1, y1 = min(gray.shape[1], int(cx + radius * 1.1)), min(gray.shape[0], int(cy + radius * 1.1))
        region = gray[y0:y1, x0:x1]
        ink = out[y0:y1, x0:x1] < 128
        if ink.sum() < 100:
            continue
        # Two kinds of ink here: dark text and the lighter seal; Otsu over the ink pixels splits them.
        split, _ = cv2.threshold(region[ink].reshape(1, -1), 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
        dark = np.percentile(region[ink], 10)
        if split - dark < 25:  # one population only: nothing lighter to drop
            continue
        out[y0:y1, x0:x1][ink & (region > split)] = 255
        found = True
    return out, found
