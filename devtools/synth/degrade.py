"""Imitate how archive pages were digitised: flatbed scans, scans of photocopies and of copies of copies.

WHY: the OCR stage must be measured on the kind of damage real archive scans carry (skew, blur, sensor
noise, JPEG artefacts, tinted and uneven paper; for photocopies also toner specks, broken or swollen
strokes, washed-out contrast and the dark band of an open copier lid; for a photocopy of a photocopy
thick strokes, toner loss and heavy specks, stored black-and-white), not only on clean renders. Every
effect is drawn from ``numpy.random.default_rng(seed)``, so the same seed gives the same pixels.
Effects are sized in physical units using ``image.info['dpi']`` (300 if missing). The skew actually
applied (degrees, counter-clockwise) is left in ``image.info['skew']``.
"""

from __future__ import annotations

import io

import cv2
import numpy as np
from PIL import Image

LEVELS = ("clean", "scan", "photocopy", "copy2")
MAX_SKEW = 3.0  # degrees: archive scans are rarely worse


def _dpi(image: Image.Image) -> float:
    dpi = image.info.get("dpi", (300, 300))
    return float(dpi[0]) if isinstance(dpi, tuple) else float(dpi)


def _smooth_field(shape: tuple[int, int], rng: np.random.Generator, cells: int) -> np.ndarray:
    """Low-frequency random field in [0, 1] (uneven lighting, paper mottling, toner density)."""
    h, w = shape
    small = rng.random((cells, max(2, round(cells * w / h)))).astype(np.float32)
    field = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    return np.clip(field, 0.0, 1.0)


def _rotate(image: Image.Image, angle: float, fill: int | tuple[int, ...]) -> Image.Image:
    return image.rotate(angle, resample=Image.BICUBIC, expand=False, fillcolor=fill)


def _jpeg(image: Image.Image, quality: int) -> Image.Image:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    buffer.seek(0)
    out = Image.open(buffer)
    out.load()
    return out


def _finish(array: np.ndarray, dpi: float, quality: int, skew: float) -> Image.Image:
    image = _jpeg(Image.fromarray(np.clip(array, 0, 255).astype(np.uint8)), quality)
    image.info["dpi"] = (dpi, dpi)
    image.info["skew"] = skew
    return image


def _scan(image: Image.Image, rng: np.random.Generator, skew: float | None, grey: bool) -> Image.Image:
    dpi = _dpi(image)
    k = dpi / 300.0
    rgb = np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0
    h, w = rgb.shape[:2]
    paper = np.array([rng.uniform(244, 252), rng.uniform(241, 249), rng.uniform(230, 244)], np.float32)
    light = 1.0 - rng.uniform(0.03, 0.07) * _smooth_field((h, w), rng, 4)
    light *= 1.0 - rng.uniform(0.0, 0.04) * np.linspace(0, 1, w, dtype=np.float32)[None, :]
    page = Image.fromarray((rgb * paper * light[..., None]).clip(0, 255).astype(np.uint8))
    angle = rng.uniform(0.3, 1.5) * rng.choice([-1.0, 1.0])
    angle = angle if skew is None else skew
    page = _rotate(page, angle, (246, 246, 244))
    if grey:  # an 8-bit grey scan: the scanner's own conversion, before its noise
        page = page.convert("L")
    array = np.asarray(page, dtype=np.float32)
    # sensor noise before the optics blur: grain is then spatially correlated, as in real scans
    array += rng.standard_normal(size=array.shape, dtype=np.float32) * rng.uniform(2.0, 3.5)
    array = cv2.GaussianBlur(array, (0, 0), rng.uniform(0.55, 0.85) * k)
    return _finish(array, dpi, int(rng.integers(72, 79)), float(angle))


def _speckles(gray: np.ndarray, rng: np.random.Generator, k: float, heavy: float = 1.0) -> None:
    """Toner dust: scattered dark dots and a few faint vertical drum streaks (``heavy`` times as many)."""
    h, w = gray.shape
    count = round(int(rng.integers(400, 1500)) * heavy)
    ys, xs = rng.integers(0, h, count), rng.integers(0, w, count)
    for y, x in zip(ys, xs, strict=True):
        radius = max(1, round(rng.uniform(0.6, 2.6) * k))
        cv2.circle(gray, (int(x), int(y)), radius, float(rng.uniform(30, 120)), -1)
    for _ in range(int(rng.integers(0, 3))):
        x = int(rng.integers(0, w))
        width = max(1, round(rng.uniform(1, 3) * k))
        gray[:, x : x + width] *= rng.uniform(0.75, 0.92)


def _edge_band(gray: np.ndarray, rng: np.random.Generator) -> None:
    """The dark shadow an open lid or a book spine leaves along one or two edges of a copy."""
    h, w = gray.shape
    sides = rng.choice(["left", "right", "top", "bottom"], size=int(rng.integers(1, 3)), replace=False)
    for side in sides:
        length = h if side in ("left", "right") else w
        depth = max(4, int((w if side in ("left", "right") else h) * rng.uniform(0.015, 0.05)))
        ramp = np.linspace(rng.uniform(0.15, 0.4), 1.0, depth, dtype=np.float32) ** 1.5
        wobble = 1.0 + 0.15 * (np.interp(np.arange(length), [0, length - 1], rng.random(2)) - 0.5)
        band = np.clip(ramp[None, :] * wobble[:, None], 0, 1) if side in ("left", "right") else None
        if side == "left":
            gray[:, :depth] *= band
        elif side == "right":
            gray[:, w - depth :] *= band[:, ::-1]
        elif side == "top":
            gray[:depth, :] *= np.clip(ramp[:, None] * wobble[None, :], 0, 1)
        else:
            gray[h - depth :, :] *= np.clip(ramp[::-1, None] * wobble[None, :], 0, 1)


def _copier(gray: np.ndarray, rng: np.random.Generator, k: float, swell: bool = False) -> np.ndarray:
    """One pass through a photocopier: the copy's grey levels (float, 0..255) from the original's."""
    ink = 1.0 - gray / 255.0
    if rng.random() < 0.5 or swell:  # an over-dark copy: strokes swell
        size = max(2, round(2 * k))
        ink = cv2.dilate(ink, np.ones((size, size), np.uint8))
    # broken strokes: fine-grained dropouts where the toner did not take
    grain = cv2.GaussianBlur(rng.random(ink.shape).astype(np.float32), (0, 0), 0.9 * k)
    grain = (grain - grain.mean()) / (grain.std() + 1e-6)
    dropout = np.clip((grain - rng.uniform(0.9, 1.4)) * 2.0, 0, 1)
    weak = _smooth_field(ink.shape, rng, 6) * rng.uniform(0.1, 0.35)
    ink = ink * (1.0 - dropout) * (1.0 - weak)
    ink = np.clip(ink * rng.uniform(1.05, 1.3), 0, 1)
    background = rng.uniform(200, 226) - 14 * _smooth_field(ink.shape, rng, 5)
    black = rng.uniform(35, 70)
    return background - (background - black) * ink


def _photocopy(image: Image.Image, rng: np.random.Generator, skew: float | None) -> Image.Image:
    dpi = _dpi(image)
    k = dpi / 300.0
    gray = _copier(np.asarray(image.convert("L"), dtype=np.float32), rng, k)
    _speckles(gray, rng, k)
    _edge_band(gray, rng)
    page = Image.fromarray(np.clip(gray, 0, 255).astype(np.uint8))
    angle = rng.uniform(0.4, 2.5) * rng.choice([-1.0, 1.0])
    angle = angle if skew is None else skew
    page = _rotate(page, angle, int(rng.integers(40, 90)))
    array = np.asarray(page, dtype=np.float32)
    array += rng.standard_normal(size=array.shape, dtype=np.float32) * rng.uniform(3.0, 5.0)
    array = cv2.GaussianBlur(array, (0, 0), rng.uniform(0.6, 1.0) * k)
    return _finish(array, dpi, int(rng.integers(65, 76)), float(angle))


def _copy2(image: Image.Image, rng: np.random.Generator, skew: float | None) -> Image.Image:
    """A photocopy of a photocopy, scanned black-and-white: each pass swells the strokes and loses toner,
    the second copier's hard contrast turns the first copy's grey paper white and its grey strokes
    black, both add specks; the bilevel scanner's fixed threshold decides the rest."""
    dpi = _dpi(image)
    k = dpi / 300.0
    first = _copier(np.asarray(image.convert("L"), dtype=np.float32), rng, k, swell=True)
    _speckles(first, rng, k)
    paper = float(np.median(first))
    contrast = np.clip((first - 0.55 * paper) / (0.4 * paper), 0.0, 1.0) * 255.0
    second = _copier(contrast, rng, k, swell=rng.random() < 0.6)
    _speckles(second, rng, k, heavy=rng.uniform(2.5, 5.0))
    _edge_band(second, rng)
    page = Image.fromarray(np.clip(second, 0, 255).astype(np.uint8))
    angle = rng.uniform(0.5, 2.5) * rng.choice([-1.0, 1.0])
    angle = angle if skew is None else skew
    page = _rotate(page, angle, int(rng.integers(20, 60)))
    array = cv2.GaussianBlur(np.asarray(page, dtype=np.float32), (0, 0), rng.uniform(0.5, 0.8) * k)
    array += rng.standard_normal(size=array.shape, dtype=np.float32) * rng.uniform(6.0, 12.0)
    threshold = float(np.median(array)) * rng.uniform(0.66, 0.76)
    out = Image.fromarray(np.where(array > threshold, 255, 0).astype(np.uint8)).convert("1")
    out.info["dpi"] = (dpi, dpi)
    out.info["skew"] = float(angle)
    return out


def degrade(
    image: Image.Image, level: str, seed: int, *, skew: float | None = None, grey: bool = False
) -> Image.Image:
    """Return a degraded copy of a rendered page: ``clean`` (unchanged copy), ``scan`` (RGB, or 8-bit
    grey with ``grey``), ``photocopy`` (grayscale, mode ``L``, since a copier loses the seal's colour) or
    ``copy2`` (a photocopy of a photocopy, black-and-white, mode ``1``). Same size as input. ``skew``
    (degrees counter-clockwise, at most ``MAX_SKEW``) replaces the level's own small random skew."""
    if level not in LEVELS:
        raise ValueError(f"unknown degradation level {level!r}; expected one of {LEVELS}")
    if skew is not None and abs(skew) > MAX_SKEW:
        raise ValueError(f"skew {skew} is beyond ±{MAX_SKEW}°")
    if level == "clean":
        out = image.copy()
        if skew:
            out = _rotate(out, skew, (255, 255, 255) if out.mode == "RGB" else 255)
        out = out.convert("L") if grey else out
        out.info["dpi"] = image.info.get("dpi", (300, 300))
        out.info["skew"] = float(skew or 0.0)
        return out
    rng = np.random.default_rng(seed)
    if level == "scan":
        return _scan(image, rng, skew, grey)
    return _photocopy(image, rng, skew) if level == "photocopy" else _copy2(image, rng, skew)
