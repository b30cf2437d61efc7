"""Aged paper: yellowing, fold creases and foxing spots on a rendered page, before it is scanned.

WHY: archive copies spent decades in folders. Their paper has turned yellow-brown (more at the edges
and in blotches), they were folded in three for the envelope (a crease across the page with a shadow on
one side), and mould and iron left brown spots. All of it lowers the contrast a binarizer sees and puts
dark marks where there is no text. Effects are multiplied into the RGB page, so the print stays under them.
"""

from __future__ import annotations

import cv2
import numpy as np

PAPER_TINT = np.array([1.0, 0.9, 0.7], np.float32)  # what a fully browned sheet multiplies white by
SPOT_TINT = np.array([0.86, 0.72, 0.52], np.float32)


def _field(shape: tuple[int, int], rng: np.random.Generator, cells: int) -> np.ndarray:
    h, w = shape
    small = rng.random((cells, max(2, round(cells * w / h)))).astype(np.float32)
    return np.clip(cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC), 0.0, 1.0)


def _yellowing(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """HxWx3 multiplier: an overall tone, blotches, and edges browned deeper than the middle."""
    h, w = shape
    tone = rng.uniform(0.3, 0.55)
    blotch = _field(shape, rng, 6)
    ys = np.minimum(np.arange(h), np.arange(h)[::-1]).astype(np.float32)
    xs = np.minimum(np.arange(w), np.arange(w)[::-1]).astype(np.float32)
    reach = 0.04 * min(h, w)
    edge = np.exp(-np.minimum(ys[:, None], xs[None, :]) / reach)
    amount = np.clip(tone * (0.7 + 0.6 * blotch) + 0.6 * edge, 0.0, 1.0)
    return 1.0 - amount[..., None] * (1.0 - PAPER_TINT)


def _crease(shape: tuple[int, int], rng: np.random.Generator, k: float, axis: str, at: float) -> np.ndarray:
    """HxW multiplier of one fold: a thin dark line, a shadow on one side, a faint highlight on the other."""
    h, w = shape
    angle = np.radians(rng.uniform(-0.6, 0.6))
    if axis == "h":
        ys, xs = np.arange(h, dtype=np.float32)[:, None], np.arange(w, dtype=np.float32)[None, :]
        d = ys - (at * h + np.tan(angle) * (xs - w / 2))
    else:
        ys, xs = np.arange(h, dtype=np.float32)[:, None], np.arange(w, dtype=np.float32)[None, :]
        d = xs - (at * w + np.tan(angle) * (ys - h / 2))
    side = rng.choice([-1.0, 1.0])
    line = 0.22 * np.exp(-((d / (1.3 * k)) ** 2))
    shadow = 0.08 * np.exp(-np.clip(side * d, 0, None) / (14 * k)) * (side * d > 0)
    light = 0.03 * np.exp(-np.clip(-side * d, 0, None) / (6 * k)) * (side * d < 0)
    return 1.0 - line - shadow + light


def _spots(page: np.ndarray, rng: np.random.Generator, dpi: float) -> int:
    """Foxing: brown spots with a darker rim, 0.3-3 mm across, and a few dark flecks. Returns the count."""
    h, w = page.shape[:2]
    count = int(rng.integers(15, 45))
    mm = dpi / 25.4
    for _ in range(count):
        r = rng.uniform(0.15, 1.5) * mm * (3.0 if rng.random() < 0.12 else 1.0)
        cx, cy = rng.uniform(0, w), rng.uniform(0, h)
        x0, x1 = max(0, int(cx - 2 * r)), min(w, int(cx + 2 * r) + 1)
        y0, y1 = max(0, int(cy - 2 * r)), min(h, int(cy + 2 * r) + 1)
        if x1 <= x0 or y1 <= y0:
            continue
        yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
        rho = np.hypot((xx - cx) / r, (yy - cy) / (r * rng.uniform(0.7, 1.3)))
        strength = rng.uniform(0.35, 0.9) * (np.exp(-(rho**2)) + 0.35 * np.exp(-(((rho - 0.9) / 0.2) ** 2)))
        tint = 1.0 - np.clip(strength, 0, 1)[..., None] * (1.0 - SPOT_TINT)
        page[y0:y1, x0:x1] *= tint
    return count


def age_paper(page: np.ndarray, dpi: float, rng: np.random.Generator) -> dict:
    """Age an RGB page (uint8 HxWx3) in place; returns what was done (crease positions, spot count)."""
    h, w = page.shape[:2]
    k = dpi / 300.0
    work = page.astype(np.float32) * _yellowing((h, w), rng)
    folds = [("h", float(rng.choice([1 / 3, 2 / 3, 0.5]) + rng.uniform(-0.02, 0.02)))]
    if rng.random() < 0.4:
        folds.append(("v", 0.5 + float(rng.uniform(-0.03, 0.03))))
    for axis, at in folds:
        work *= _crease((h, w), rng, k, axis, at)[..., None]
    spots = _spots(work, rng, dpi)
    page[:] = np.clip(work, 0, 255).astype(np.uint8)
    return {"creases": [{"axis": axis, "at": round(at, 3)} for axis, at in folds], "spots": spots}
