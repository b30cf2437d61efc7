"""Render a ``DocumentSource`` to A4 page images and give its reading-order ground truth.

WHY: the OCR stage is developed and measured on pages whose text is known exactly. Text is laid out in
points by ``layout`` (so the truth does not depend on dpi) and drawn here with Liberation Serif (metric
twin of Times New Roman, the font of Vietnamese official documents), or struck letter by letter like a
typewriter with Liberation Mono (``face="mono"``, see ``typewriter``); then the signature and the red seal
are inked over it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from devtools.synth.layout import PAGE_H, PAGE_W, PageLayout, font_file, layout_document
from devtools.synth.marks import sign, stamp_seal
from devtools.synth.source import DocumentSource
from devtools.synth.typewriter import strike_lines

TEXT_INK = (22, 22, 26)
Box = tuple[int, int, int, int]


@lru_cache(maxsize=64)
def _font(bold: bool, italic: bool, size_px: float, face: str = "serif") -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(font_file(bold, italic, face)), size_px)


@dataclass
class RenderedPage:
    """A page image with the layout it was drawn from (boxes in points; ``px`` converts to pixels)."""

    image: Image.Image
    dpi: int
    layout: PageLayout

    def px(self, box: tuple[float, float, float, float]) -> Box:
        k = self.dpi / 72.0
        x0, y0, x1, y1 = box
        return (round(x0 * k), round(y0 * k), round(x1 * k), round(y1 * k))

    def line_boxes(self, block: str | None = None) -> list[tuple[str, Box]]:
        """(text, pixel box) of the printed lines, optionally of one block."""
        return [(ln.text, self.px(ln.box)) for ln in self.layout.lines if block in (None, ln.block)]

    def mark_box(self, kind: str) -> Box | None:
        """Pixel box of the ``seal`` or ``signature`` on this page, if any."""
        for mark in self.layout.marks:
            if mark.kind == kind:
                return self.px(mark.box)
        return None


def _draw_page(layout: PageLayout, dpi: int, rng: np.random.Generator) -> Image.Image:
    k = dpi / 72.0
    size = (round(PAGE_W * k), round(PAGE_H * k))
    image = Image.new("RGB", size, (255, 255, 255))
    draw = ImageDraw.Draw(image)
    typed = [line for line in layout.lines if line.face == "mono"]
    for line in layout.lines:
        if line.face == "mono":
            continue
        font = _font(line.bold, line.italic, round(line.size * k, 2), line.face)
        for word, x in line.words:
            draw.text((x * k, line.baseline * k), word, font=font, fill=TEXT_INK, anchor="ls")
    for rule in layout.rules:
        half = max(0.5, rule.thickness * k / 2)
        draw.rectangle((rule.x0 * k, rule.y * k - half, rule.x1 * k, rule.y * k + half), fill=TEXT_INK)
    page = np.array(image)
    if typed:
        strike_lines(page, typed, dpi, rng)
    for mark in sorted(layout.marks, key=lambda m: m.kind != "signature"):  # sign first, then stamp
        box = tuple(round(v * k) for v in mark.box)
        if mark.kind == "signature":
            sign(page, box, dpi, rng)
        else:
            stamp_seal(page, box, mark.text, rng)
    out = Image.fromarray(page)
    out.info["dpi"] = (dpi, dpi)
    return out


def render_pages(
    source: DocumentSource, *, dpi: int = 300, seed: int = 0, face: str = "serif"
) -> list[RenderedPage]:
    """Render every page, keeping the layout for tests and benchmarks that need boxes."""
    rng = np.random.default_rng(seed)
    return [
        RenderedPage(_draw_page(layout, dpi, rng), dpi, layout)
        for layout in layout_document(source, seed, face)
    ]


def render_document(
    source: DocumentSource, *, dpi: int = 300, seed: int = 0, face: str = "serif"
) -> list[Image.Image]:
    """RGB A4 page images of the document (``image.info['dpi']`` is set); same seed, same pixels."""
    return [page.image for page in render_pages(source, dpi=dpi, seed=seed, face=face)]


def truth_pages(source: DocumentSource, face: str = "serif") -> list[str]:
    """Ground truth per page: one line per printed line, in reading order header-left, header-right,
    body, footer-left, footer-right (seal, signature, stamps and handwriting are not text)."""
    return ["\n".join(page.truth_lines()) for page in layout_document(source, face=face)]


def truth_text(source: DocumentSource, face: str = "serif") -> str:
    """Ground truth of the whole document: the pages' truth joined by newlines."""
    return "\n".join(truth_pages(source, face))
