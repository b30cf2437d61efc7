"""The non-text ink of a signed document: the red round seal and the handwritten signature.

WHY: real scans carry a semi-transparent red stamp over the signer's title and a scrawl over the name
area; OCR must survive both (the seal's ring text is not document text). They are drawn as alpha masks
and multiplied into the page, so the black print under the red ink stays visible as on paper.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

SEAL_FONT = "/usr/share/fonts/truetype/liberation2/LiberationSans-Bold.ttf"
BLUE_INK = (28, 48, 150)
BLACK_INK = (35, 35, 40)


def multiply_ink(page: np.ndarray, alpha: np.ndarray, color: tuple[int, int, int], x0: int, y0: int) -> None:
    """Multiply-blend ``color`` with coverage ``alpha`` (0..1, HxW) into ``page`` (uint8 HxWx3) at x0, y0."""
    h, w = alpha.shape
    H, W = page.shape[:2]
    ax0, ay0 = max(0, -x0), max(0, -y0)
    px0, py0 = max(0, x0), max(0, y0)
    px1, py1 = min(W, x0 + w), min(H, y0 + h)
    if px1 <= px0 or py1 <= py0:
        return
    a = alpha[ay0 : ay0 + (py1 - py0), ax0 : ax0 + (px1 - px0), None]
    ink = np.asarray(color, dtype=np.float32) / 255.0
    region = page[py0:py1, px0:px1].astype(np.float32)
    page[py0:py1, px0:px1] = np.clip(region * (1.0 - a + a * ink), 0, 255).astype(np.uint8)


def _ink_texture(shape: tuple[int, int], rng: np.random.Generator, low: float) -> np.ndarray:
    """Smooth random ink density in [low, 1]: stamps and pens never lay down perfectly even ink."""
    noise = rng.normal(size=shape).astype(np.float32)
    sigma = max(1.0, min(shape) / 40.0)
    smooth = cv2.GaussianBlur(noise, (0, 0), sigma)
    smooth = (smooth - smooth.min()) / max(1e-6, float(smooth.max() - smooth.min()))
    return low + (1.0 - low) * smooth


def _star(draw: ImageDraw.ImageDraw, cx: float, cy: float, r: float) -> None:
    points = []
    for k in range(10):
        radius = r if k % 2 == 0 else r * 0.40
        angle = -math.pi / 2 + k * math.pi / 5
        points.append((cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
    draw.polygon(points, fill=255)


def seal_mask(diameter: int, ring_text: str, rng: np.random.Generator) -> np.ndarray:
    """Coverage (0..1) of a round seal: outer and inner rings, ring text around, a star in the middle."""
    size = diameter + 4
    mask = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(mask)
    c = size / 2
    r_out = diameter / 2
    outer_w = max(2, round(0.035 * diameter))
    draw.ellipse((c - r_out, c - r_out, c + r_out, c + r_out), outline=255, width=outer_w)
    r_in = r_out - 0.20 * diameter
    inner_w = max(1, round(0.012 * diameter))
    draw.ellipse((c - r_in, c - r_in, c + r_in, c + r_in), outline=255, width=inner_w)
    _star(draw, c, c, 0.13 * diameter)
    text = " ".join(ring_text.split()) or "CƠ QUAN"
    r_text = (r_out - outer_w + r_in) / 2
    font_px = 0.105 * diameter
    font = ImageFont.truetype(SEAL_FONT, max(6, round(font_px)))
    natural = sum(font.getlength(ch) for ch in text) / r_text
    if natural > 2 * math.pi * 0.86:  # long names: smaller letters rather than overlapping ones
        font_px *= 2 * math.pi * 0.86 / natural
        font = ImageFont.truetype(SEAL_FONT, max(6, round(font_px)))
    advances = [font.getlength(ch) for ch in text]
    natural = sum(advances) / r_text
    span = min(2 * math.pi * 0.88, max(natural * 1.15, math.pi))
    scale = span / natural
    angle = -span / 2
    glyph_box = round(0.2 * diameter)
    for ch, advance in zip(text, advances, strict=True):
        step = advance / r_text * scale
        theta = angle + step / 2
        angle += step
        if ch.isspace():
            continue
        glyph = Image.new("L", (glyph_box, glyph_box), 0)
        ImageDraw.Draw(glyph).text((glyph_box / 2, glyph_box / 2), ch, font=font, fill=255, anchor="mm")
        glyph = glyph.rotate(-math.degrees(theta), resample=Image.BILINEAR)
        gx = c + r_text * math.sin(theta) - glyph_box / 2
        gy = c - r_text * math.cos(theta) - glyph_box / 2
        region = (round(gx), round(gy))
        patch = mask.crop((*region, region[0] + glyph_box, region[1] + glyph_box))
        mask.paste(Image.fromarray(np.maximum(np.asarray(patch), np.asarray(glyph))), region)
    mask = mask.rotate(float(rng.uniform(-25, 25)), resample=Image.BILINEAR)
    alpha = np.asarray(mask, dtype=np.float32) / 255.0
    alpha *= _ink_texture(alpha.shape, rng, 0.55) * float(rng.uniform(0.85, 0.97))
    return alpha


def stamp_seal(
    page: np.ndarray, box: tuple[int, int, int, int], ring_text: str, rng: np.random.Generator
) -> None:
    """Stamp a red seal filling ``box`` (pixels) onto the page array."""
    x0, y0, x1, _ = box
    alpha = seal_mask(x1 - x0, ring_text, rng)
    red = (int(rng.integers(190, 225)), int(rng.integers(20, 45)), int(rng.integers(30, 60)))
    multiply_ink(page, alpha, red, x0 - 2, y0 - 2)


def _smooth_series(n: int, rng: np.random.Generator) -> np.ndarray:
    """A slowly varying random series in [0, 1] (makes successive loops of a scrawl differ)."""
    knots = rng.uniform(0.0, 1.0, size=8)
    return np.interp(np.linspace(0, 7, n), np.arange(8), knots)


def _scrawl_paths(w: float, h: float, rng: np.random.Generator) -> list[np.ndarray]:
    """Polylines of a fast cursive signature inside a w x h box: a looped capital, a run of loops, a
    flourish stroke. Loops appear because the sideways wobble outruns the forward motion."""
    paths = []
    t = np.linspace(0.0, 1.0, 120)
    cap_w, cap_h = w * rng.uniform(0.18, 0.28), h * rng.uniform(0.65, 0.95)
    cap_x = w * 0.08 + cap_w / 2 * (1 + np.sin(2 * np.pi * t * 1.1 + rng.uniform(0, 1)))
    cap_y = h * 0.55 - cap_h / 2 * np.sin(2 * np.pi * t * rng.uniform(1.4, 2.0)) * (1 - 0.4 * t)
    paths.append(np.stack([cap_x, cap_y], axis=1))
    t = np.linspace(0.0, 1.0, 500)
    loops = rng.uniform(4.0, 7.0)
    wobble = w * rng.uniform(0.045, 0.065)
    x = w * (0.2 + 0.68 * t) + wobble * np.sin(2 * np.pi * loops * t + rng.uniform(0, 6.28))
    env = 0.6 + 0.4 * np.sin(np.pi * t * rng.uniform(0.8, 1.6))
    env *= 0.75 + 0.5 * _smooth_series(t.size, rng)
    y = h * 0.5 - h * 0.28 * env * np.sin(2 * np.pi * loops * t * rng.uniform(0.95, 1.05) + 1.2)
    y += h * 0.1 * np.sin(2 * np.pi * 1.3 * t)
    paths.append(np.stack([x, y], axis=1))
    t = np.linspace(0.0, 1.0, 160)
    fx = w * (0.05 + 0.93 * t)
    fy = h * rng.uniform(0.7, 0.9) - h * rng.uniform(0.1, 0.35) * t + h * 0.08 * np.sin(np.pi * t * 2.2)
    paths.append(np.stack([fx, fy], axis=1))
    return paths


def sign(page: np.ndarray, box: tuple[int, int, int, int], dpi: int, rng: np.random.Generator) -> None:
    """Draw a blue or black handwritten-looking signature scrawl inside ``box`` (pixels)."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    pad = 10
    mask = Image.new("L", (w + 2 * pad, h + 2 * pad), 0)
    draw = ImageDraw.Draw(mask)
    width = max(1, round(dpi / 72 * rng.uniform(0.7, 1.1)))
    for path in _scrawl_paths(w, h, rng):
        points = [(float(px) + pad, float(py) + pad) for px, py in path]
        draw.line(points, fill=255, width=width, joint="curve")
    alpha = np.asarray(mask, dtype=np.float32) / 255.0
    alpha = cv2.GaussianBlur(alpha, (0, 0), max(0.5, dpi / 400))
    alpha = np.clip(alpha * 1.3, 0, 1) * _ink_texture(alpha.shape, rng, 0.7)
    color = BLUE_INK if rng.random() < 0.6 else BLACK_INK
    multiply_ink(page, alpha, color, x0 - pad, y0 - pad)
