"""Stage 2: clean a page image for Tesseract with OpenCV.

Scans of provincial plans are tilted, grey, speckled and carry a red seal over the signer's title. Each
step below fixes one of those and can be switched off; the report says which steps ran and the measured
skew so a strange result can be traced back. Steps, in order:

1. ``remove_seal``: paint red ink white, so the seal neither hides nor garbles the title under it (black
   text under the seal stays dark, so it survives).
2. grayscale, then ``normalize``: divide by the estimated background, flattening photocopy shading.
3. ``deskew``: measure the text angle by projection profiles and rotate it away.
4. ``binarize``: adaptive threshold, robust to uneven lighting.
5. ``despeckle``: drop small isolated dots (toner, dust) but keep diacritic dots next to letters,
   blobs touching the page edge (copier shadows) and long straight streaks and rules (scanner lines).
6. ``fade_seal``: a seal copied in grey is lighter than the text under it; inside a round seal found by
   its circle, only the darkest ink is kept.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import cv2
import numpy as np

STEPS = ("remove_seal", "normalize", "deskew", "binarize", "despeckle", "fade_seal")


@dataclass(frozen=True)
class PreprocessOptions:
    """Which steps run; all on by default."""

    remove_seal: bool = True
    normalize: bool = True
    deskew: bool = True
    binarize: bool = True
    despeckle: bool = True
    fade_seal: bool = True
    max_skew_degrees: float = 5.0

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class PreprocessReport:
    """What was done to a page: the steps applied and the skew that was measured and removed."""

    applied: list[str] = field(default_factory=list)
    deskew_angle: float = 0.0  # skew of the scan, degrees counter-clockwise; the page was turned back by it
    seal_pixels: int = 0


def preprocess_page(
    rgb: np.ndarray, dpi: int, options: PreprocessOptions
) -> tuple[np.ndarray, PreprocessReport]:
    """Return the page as a single-channel uint8 image (text dark on white) and a report."""
    report = PreprocessReport()
    image = rgb
    if options.remove_seal and image.ndim == 3:
        image, report.seal_pixels = remove_red_ink(image)
        report.applied.append("remove_seal")
    gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    if options.normalize:
        gray = normalize_background(gray, dpi)
        report.applied.append("normalize")
    if options.deskew:
        correction = measure_skew(gray, options.max_skew_degrees)
        report.deskew_angle = -correction
        if abs(correction) >= 0.05:
            gray = rotate(gray, correction)
        report.applied.append("deskew")
    if options.binarize:
        binary = binarize(gray, dpi)
        report.applied.append("binarize")
        if options.fade_seal and report.seal_pixels == 0:
            binary, found = fade_grey_seal(gray, binary, dpi)
            if found:
                report.applied.append("fade_seal")
        if options.despeckle:
            binary = despeckle(binary, dpi)
            report.applied.append("despeckle")
        gray = binary
    return gray, report


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


def despeckle(binary: np.ndarray, dpi: int) -> np.ndarray:
    """Remove what cannot be text: isolated specks, blobs on the page edge, long thin streaks and rules."""
    ink = (binary < 128).astype(np.uint8)
    ink &= ~_long_lines(ink, dpi)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    small_area = max(4, int((dpi / 300) ** 2 * 80))
    reach = max(3, int(dpi / 300 * 18))
    edge = _on_page_edge(stats, binary.shape, dpi)
    small = [i for i in range(1, n) if stats[i, cv2.CC_STAT_AREA] < small_area and not edge[i]]
    big_mask = ink.copy()
    for i in small:
        _erase(big_mask, labels, stats, i)
    near_big = cv2.dilate(big_mask, cv2.getStructuringElement(cv2.MORPH_RECT, (2 * reach + 1, 2 * reach + 1)))
    for i in small:
        x, y, w, h = stats[i, :4]
        if not near_big[y : y + h, x : x + w][labels[y : y + h, x : x + w] == i].any():
            _erase(ink, labels, stats, i)
    for i in np.flatnonzero(edge[1:]) + 1:
        _erase(ink, labels, stats, int(i))
    return np.where(ink > 0, 0, 255).astype(np.uint8)


def _erase(mask: np.ndarray, labels: np.ndarray, stats: np.ndarray, i: int) -> None:
    """Clear component ``i`` from ``mask``, touching only its bounding box (fast for small parts)."""
    x, y, w, h = stats[i, :4]
    window = mask[y : y + h, x : x + w]
    window[labels[y : y + h, x : x + w] == i] = 0


def _long_lines(ink: np.ndarray, dpi: int) -> np.ndarray:
    """Pixels of straight strokes far longer than any letter: scanner streaks, rules, table borders.

    Copier streaks are dashed and wobble by a pixel, so small gaps are bridged and a 3-pixel-wide
    window is used before looking for long runs. The search runs at half resolution (lines are long;
    precision is not needed to find them) and the result is cut back to the ink at full resolution.
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
    lines = cv2.dilate(v | h, rect(cv2.MORPH_RECT, (3, 3)))
    lines = cv2.resize(lines, (ink.shape[1], ink.shape[0]), interpolation=cv2.INTER_NEAREST)
    return (lines & ink).astype(np.uint8)


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
