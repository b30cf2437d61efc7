"""Stage 2: clean a page image for Tesseract with OpenCV.

Scans of provincial plans are tilted, grey, speckled and carry a red seal over the signer's title. Each
step below fixes one of those and can be switched off; the report says which steps ran and the measured
skew so a strange result can be traced back. Steps, in order:

1. ``remove_seal``: paint red ink white, so the seal neither hides nor garbles the title under it (black
   text under the seal stays dark, so it survives).
2. grayscale, then ``normalize``: divide by the estimated background, flattening photocopy shading.
3. ``deskew``: measure the text angle by projection profiles and rotate it away.
4. ``binarize``: adaptive threshold, robust to uneven lighting.
5. ``despeckle``: drop small isolated dots (toner, dust) but keep diacritic dots next to letters.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import cv2
import numpy as np

STEPS = ("remove_seal", "normalize", "deskew", "binarize", "despeckle")


@dataclass(frozen=True)
class PreprocessOptions:
    """Which steps run; all on by default."""

    remove_seal: bool = True
    normalize: bool = True
    deskew: bool = True
    binarize: bool = True
    despeckle: bool = True
    max_skew_degrees: float = 5.0

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class PreprocessReport:
    """What was done to a page: the steps applied and the skew that was measured and removed."""

    applied: list[str] = field(default_factory=list)
    deskew_angle: float = 0.0
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
        report.deskew_angle = measure_skew(gray, options.max_skew_degrees)
        if abs(report.deskew_angle) >= 0.05:
            gray = rotate(gray, report.deskew_angle)
        report.applied.append("deskew")
    if options.binarize:
        gray = binarize(gray, dpi)
        report.applied.append("binarize")
        if options.despeckle:
            gray = despeckle(gray, dpi)
            report.applied.append("despeckle")
    return gray, report


def remove_red_ink(rgb: np.ndarray) -> tuple[np.ndarray, int]:
    """Whiten pixels that are clearly red (seal ink); dark text under the seal is left untouched."""
    r = rgb[:, :, 0].astype(np.int16)
    g = rgb[:, :, 1].astype(np.int16)
    b = rgb[:, :, 2].astype(np.int16)
    red = (r - np.maximum(g, b) > 45) & (r > 110)
    out = rgb.copy()
    out[red] = 255
    return out, int(red.sum())


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
    """Angle (degrees, counter-clockwise positive) that makes text lines horizontal.

    Projection profiles of a downscaled ink mask are sharpest when lines are level; a coarse scan then a
    fine one keeps this to a few dozen cheap rotations.
    """
    scale = min(1.0, 900.0 / max(gray.shape))
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    _, ink = cv2.threshold(small, 0, 1, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    if ink.sum() < 50:
        return 0.0
    ink = ink.astype(np.float32)

    def sharpness(angle: float) -> float:
        profile = rotate(ink, angle, border=0.0).sum(axis=1)
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
    """Adaptive (local mean) threshold; the window spans a few text lines at the page's resolution."""
    block = max(15, int(dpi / 300 * 41)) | 1
    return cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_GAUSSIAN_C, cv2.THRESH_BINARY, block, 15)


def despeckle(binary: np.ndarray, dpi: int) -> np.ndarray:
    """Remove dots too small to be letters and too far from any letter to be a diacritic."""
    ink = (binary < 128).astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    if n <= 1:
        return binary
    area = stats[:, cv2.CC_STAT_AREA]
    small_area = max(4, int((dpi / 300) ** 2 * 30))
    small = area < small_area
    small[0] = False
    big_mask = (~small[labels] & (labels > 0)).astype(np.uint8)
    reach = max(3, int(dpi / 300 * 18))
    near_big = cv2.dilate(
        big_mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * reach + 1, 2 * reach + 1))
    )
    touches = np.bincount(labels[near_big > 0], minlength=n) > 0
    remove = small & ~touches
    out = binary.copy()
    out[remove[labels]] = 255
    return out
