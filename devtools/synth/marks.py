"""The non-text ink of a document: the red round seal, the signature, the received stamp, handwriting.

WHY: real scans carry a semi-transparent red stamp over the signer's title and a scrawl over the name
area; archive copies also carry the receiving office's rectangular "ĐẾN" stamp (blue or violet, its
number, date and routing filled in by hand) in the header area and short handwritten notes in a margin.
OCR must survive all of them, and none is document text. They are drawn as alpha masks and multiplied
into the page, so the black print under the ink stays visible as on paper. Handwriting is not a font:
it is polylines of cursive-looking loops, ascenders, descenders and tone-mark ticks.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

SEAL_FONT = "/usr/share/fonts/truetype/liberation2/LiberationSans-Bold.ttf"
STAMP_FONT = "/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf"
BLUE_INK = (28, 48, 150)
BLACK_INK = (35, 35, 40)
INKS = {"blue": BLUE_INK, "violet": (96, 38, 150), "black": BLACK_INK}
"""Pen and stamp-pad inks by name."""
STAMP_INKS = ("blue", "violet")


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


def _ink_mask(paths: list[np.ndarray], size: tuple[int, int], width: int, pad: int) -> np.ndarray:
    """Coverage (0..1) of pen polylines drawn ``width`` px wide on a ``size`` (w, h) canvas plus ``pad``."""
    mask = Image.new("L", (size[0] + 2 * pad, size[1] + 2 * pad), 0)
    draw = ImageDraw.Draw(mask)
    for path in paths:
        points = [(float(px) + pad, float(py) + pad) for px, py in path]
        if len(points) > 1:
            draw.line(points, fill=255, width=width, joint="curve")
    return np.asarray(mask, dtype=np.float32) / 255.0


def _pen(alpha: np.ndarray, dpi: int, rng: np.random.Generator) -> np.ndarray:
    alpha = cv2.GaussianBlur(alpha, (0, 0), max(0.5, dpi / 400))
    return np.clip(alpha * 1.3, 0, 1) * _ink_texture(alpha.shape, rng, 0.7)


def _letter_strokes(kind: str, xh: float, width: float, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """One cursive letter as (x, y) with the baseline at y=0 and y growing downwards: an up-and-down
    stroke that runs back at its top (a loop, as in l, e, h) or not (an arch, as in n, u), tall for
    ascenders, with a loop below the baseline for descenders."""
    s = np.linspace(0.0, 1.0, 28, endpoint=False)
    looped = kind == "asc" or rng.random() < 0.45
    wobble = width * (rng.uniform(0.2, 0.32) if looped else rng.uniform(0.0, 0.12))
    x = width * s + wobble * np.sin(2 * np.pi * s + rng.uniform(-0.3, 0.3))
    top = xh * rng.uniform(0.8, 1.15) * (rng.uniform(2.0, 2.6) if kind == "asc" else 1.0)
    y = -top * (0.5 - 0.5 * np.cos(2 * np.pi * s))
    if kind == "desc":
        y += xh * rng.uniform(1.0, 1.5) * np.clip(-np.sin(2 * np.pi * s), 0, None) * (s > 0.5)
    return x, y


def _cursive_word(letters: int, xh: float, rng: np.random.Generator) -> tuple[np.ndarray, list[np.ndarray]]:
    """A handwritten word (baseline y=0, starting at x=0): its stroke and its tone-mark ticks."""
    kinds = rng.choice(["x", "asc", "desc"], size=letters, p=[0.66, 0.2, 0.14])
    xs, ys, ticks = [], [], []
    x0 = 0.0
    for kind in kinds:
        width = xh * rng.uniform(0.7, 1.15)
        x, y = _letter_strokes(str(kind), xh, width, rng)
        xs.append(x + x0)
        ys.append(y)
        if kind == "x" and rng.random() < 0.4:  # Vietnamese: marks above many letters
            tx, ty = x0 + width * rng.uniform(0.2, 0.7), -xh * rng.uniform(1.5, 2.0)
            length = xh * rng.uniform(0.35, 0.6)
            angle = rng.uniform(-2.4, -0.6)
            ticks.append(np.array([[tx, ty], [tx + length * np.cos(angle), ty + length * np.sin(angle)]]))
        x0 += width
    tail = np.array([[x0, 0.0], [x0 + 0.4 * xh, -0.35 * xh]])  # the exit stroke of the last letter
    stroke = np.concatenate([np.stack([np.concatenate(xs), np.concatenate(ys)], axis=1), tail])
    stroke[:, 1] += xh * 0.06 * np.sin(np.linspace(0, rng.uniform(2, 5), len(stroke)))
    return stroke, ticks


def handwriting_paths(
    width: float, height: float, lines: int, rng: np.random.Generator, fill: tuple[float, float] = (0.6, 0.95)
) -> list[np.ndarray]:
    """Pen polylines of ``lines`` handwritten lines in a width x height box (pixels): slanted cursive words
    on a slightly sloping, wandering baseline, each line running to a ``fill`` fraction of the width."""
    pitch = height / lines
    xh = pitch * rng.uniform(0.26, 0.32)
    slant = np.tan(np.radians(rng.uniform(8, 22)))
    paths: list[np.ndarray] = []
    for row in range(lines):
        baseline = pitch * (row + 0.68)
        slope = np.tan(np.radians(rng.uniform(-2.5, 2.5)))
        x = width * rng.uniform(0.0, 0.05) + (pitch * rng.uniform(0.1, 0.6) if row else 0.0)
        end = width * rng.uniform(*fill) * (rng.uniform(0.4, 1.0) if row == lines - 1 and row else 1.0)
        first = True
        while first or x < end:
            stroke, ticks = _cursive_word(int(rng.integers(1, 7)), xh, rng)
            span = float(stroke[:, 0].max())
            if x + span > width and not first:
                break
            for part in (stroke, *ticks):
                px = part[:, 0] + x - part[:, 1] * slant
                py = part[:, 1] + baseline + slope * (part[:, 0] + x)
                paths.append(np.stack([px, py], axis=1))
            x += span + xh * rng.uniform(0.9, 1.6)
            first = False
    return paths


def write_hand(
    page: np.ndarray,
    box: tuple[int, int, int, int],
    dpi: int,
    rng: np.random.Generator,
    *,
    lines: int = 2,
    ink: str = "blue",
    vertical: bool = False,
) -> None:
    """Write ``lines`` lines of handwriting into ``box`` (pixels) with a pen of ``ink``; ``vertical``
    writes them up the page (a note along the left margin, read with the head turned left)."""
    x0, y0, x1, y1 = box
    w, h = (y1 - y0, x1 - x0) if vertical else (x1 - x0, y1 - y0)
    pad = 10
    width = max(1, round(dpi / 72 * rng.uniform(0.6, 0.95)))
    alpha = _pen(_ink_mask(handwriting_paths(w, h, lines, rng), (w, h), width, pad), dpi, rng)
    if vertical:
        alpha = np.ascontiguousarray(np.rot90(alpha))  # text runs bottom to top
    multiply_ink(page, alpha, INKS[ink], x0 - pad, y0 - pad)


def _fit_font(text: str, path: str, size: float, width: float) -> ImageFont.FreeTypeFont:
    font = ImageFont.truetype(path, max(6, round(size)))
    if font.getlength(text) > width:
        font = ImageFont.truetype(path, max(6, round(size * width / font.getlength(text))))
    return font


def _stamp_print(w: int, h: int, office: list[str], frame: float) -> tuple[Image.Image, list[tuple]]:
    """The rubber of a received stamp (w x h px): office name, a big ĐẾN, the Số/Ngày/Chuyển fields.
    Returns the mask and the (x0, x1, baseline) of each field's dotted line, for the pen."""
    mask = Image.new("L", (w, h), 0)
    draw = ImageDraw.Draw(mask)
    inset = max(2, round(frame))
    draw.rectangle((inset, inset, w - 1 - inset, h - 1 - inset), outline=255, width=max(2, round(frame)))
    y = 0.07 * h
    for name in office:
        font = _fit_font(name, SEAL_FONT, 0.105 * h, 0.86 * w)
        draw.text((w / 2, y), name, font=font, fill=255, anchor="mt")
        y += 0.125 * h
    row = (h - inset - y) / 3.2
    big = _fit_font("ĐẾN", SEAL_FONT, 0.27 * h, 0.3 * w)
    draw.text((0.07 * w, y + 1.55 * row), "ĐẾN", font=big, fill=255, anchor="lm")
    label = ImageFont.truetype(STAMP_FONT, max(6, round(0.11 * h)))
    fields = []
    left = 0.07 * w + big.getlength("ĐẾN") + 0.05 * w
    for text, x, base in (
        ("Số:", left, y + 1.0 * row),
        ("Ngày:", left, y + 2.1 * row),
        ("Chuyển:", 0.07 * w, y + 3.05 * row),
    ):
        draw.text((x, base), text, font=label, fill=255, anchor="ls")
        start = x + label.getlength(text) + 0.02 * w
        dots = "." * max(3, int((0.93 * w - start) / max(1.0, label.getlength("."))))
        draw.text((start, base), dots, font=label, fill=255, anchor="ls")
        fields.append((start, 0.93 * w, base))
    return mask, fields


def received_stamp(
    page: np.ndarray,
    box: tuple[int, int, int, int],
    dpi: int,
    office: list[str],
    rng: np.random.Generator,
    *,
    ink: str = "violet",
    pen: str = "blue",
) -> None:
    """Stamp a rectangular "ĐẾN" received stamp filling ``box`` (pixels) in ``ink`` and fill its number,
    date and routing in by hand with a ``pen``; both are tilted together a few degrees."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    mask, fields = _stamp_print(w, h, office, dpi / 72 * 0.9)
    paths = []
    for (start, end, base), fill in zip(fields, ((0.25, 0.5), (0.35, 0.7), (0.5, 0.95)), strict=True):
        line_h = 0.2 * h
        for path in handwriting_paths(end - start, line_h, 1, rng, fill=fill):
            paths.append(path + np.array([start, base - 0.78 * line_h]))
    pen_alpha = _pen(_ink_mask(paths, (w, h), max(1, round(dpi / 72 * 0.7)), 0), dpi, rng)
    angle = float(rng.uniform(-4.0, 4.0))
    stamp = mask.rotate(angle, resample=Image.BILINEAR)
    alpha = np.asarray(stamp, dtype=np.float32) / 255.0
    alpha *= _ink_texture(alpha.shape, rng, 0.5) * float(rng.uniform(0.85, 1.0))
    pen_alpha = (
        np.asarray(Image.fromarray((pen_alpha * 255).astype(np.uint8)).rotate(angle), np.float32) / 255
    )
    multiply_ink(page, alpha, INKS[ink], x0, y0)
    multiply_ink(page, pen_alpha, INKS[pen], x0, y0)
