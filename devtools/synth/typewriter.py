"""Typewritten documents: one monospaced size, ragged right margin, letters struck one by one.

WHY: older plans in the archive were typed. A typewriter has one face and one pitch (Liberation Mono at
12 pt is pica, 10 characters an inch), cannot justify or set italics, and every key strikes with its own
force and a little off the line: some letters are faint, some heavy, and the baseline wanders. OCR
trained on laser print reads such pages clearly worse, so the benchmark and the samples need them.
``typewriter_source`` rewrites a document's styles for the typewriter (the words stay the same, so the
truth is the same text wrapped differently); ``strike_lines`` inks the laid-out lines onto a page.
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from devtools.synth.layout import PlacedLine, font_file
from devtools.synth.marks import multiply_ink
from devtools.synth.source import SMALL_SIZE, DocumentSource, Line

TYPE_SIZE = 12.0  # pica: Liberation Mono advances 0.6 em, 7.2 pt = 1/10 inch
RIBBON_INK = (28, 26, 34)


def _typed_line(line: Line) -> Line:
    size = TYPE_SIZE if line.size > SMALL_SIZE else SMALL_SIZE
    align = "left" if line.align == "justify" else line.align
    return replace(line, size=size, align=align, italic=False)


def typewriter_source(source: DocumentSource) -> DocumentSource:
    """The same document as a typist would set it: one size, no italics, ragged right instead of
    justified (directives, seal and signature unchanged)."""
    blocks = {
        name: [_typed_line(item) if isinstance(item, Line) else item for item in items]
        for name, items in source.blocks.items()
    }
    return DocumentSource(meta=dict(source.meta), blocks=blocks)


@lru_cache(maxsize=16)
def _mono(bold: bool, size_px: float) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(font_file(bold, False, "mono")), size_px)


def _strike_line(draw: ImageDraw.ImageDraw, line: PlacedLine, k: float, rng: np.random.Generator) -> None:
    font = _mono(line.bold, round(line.size * k, 2))
    advance = font.getlength("M")
    drift = rng.normal(0.0, 0.3) * k  # the paper sat a little crooked in the platen for this line
    slope = rng.normal(0.0, 0.0025)
    for word, x in line.words:
        for index, char in enumerate(word):
            cx = x * k + index * advance
            force = float(np.clip(rng.normal(0.86, 0.13), 0.42, 1.0))
            dy = drift + slope * (cx - line.x0 * k) + rng.normal(0.0, 0.28) * k
            dx = rng.normal(0.0, 0.12) * k
            draw.text(
                (cx + dx, line.baseline * k + dy), char, font=font, fill=round(255 * force), anchor="ls"
            )


def strike_lines(page: np.ndarray, lines: list[PlacedLine], dpi: int, rng: np.random.Generator) -> None:
    """Type ``lines`` onto ``page`` (uint8 HxWx3): per-letter force and baseline jitter, a wandering line,
    grainy ribbon ink that spreads a little into the paper."""
    k = dpi / 72.0
    h, w = page.shape[:2]
    mask = Image.new("L", (w, h), 0)
    draw = ImageDraw.Draw(mask)
    for line in lines:
        _strike_line(draw, line, k, rng)
    alpha = np.asarray(mask, dtype=np.float32) / 255.0
    grain = cv2.GaussianBlur(rng.random((h, w), dtype=np.float32), (0, 0), max(0.6, 0.8 * dpi / 300))
    grain = (grain - grain.mean()) / (grain.std() + 1e-6)
    alpha *= np.clip(0.88 + 0.16 * grain, 0.45, 1.0)  # the ribbon's fabric shows in the letters
    alpha = cv2.GaussianBlur(alpha, (0, 0), max(0.35, 0.45 * dpi / 300))
    multiply_ink(page, np.clip(alpha * 1.15, 0.0, 1.0), RIBBON_INK, 0, 0)
