"""Searchable PDFs: the scanned pages with an invisible layer of the restored words at their OCR positions.

Archives keep PDFs; with the text layer a PDF can be searched and copied from in any viewer, and the words it
finds are the restored ones (with their diacritics), not the raw OCR. The OCR boxes are in the deskewed page's
pixels, so each word is mapped back through the inverse of the deskew rotation and drawn turned by the skew,
on top of the page as it was scanned.
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from pipeline.outputs import export
from pipeline.outputs.report.images import load_scan, open_source, rotation_matrix
from pipeline.outputs.report.words import PageWord, page_words

# Fonts with Vietnamese glyphs; the text is invisible but viewers need the glyphs to map it back to Unicode.
FONT_FILES = (
    Path("/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf"),
    Path("/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf"),
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
)
FONT_NAME = "SohoaText"
JPEG_QUALITY = 75
INVISIBLE = 3  # PDF text render mode 3: neither fill nor stroke


@lru_cache(maxsize=1)
def _font() -> str:
    for path in FONT_FILES:
        if path.is_file():
            pdfmetrics.registerFont(TTFont(FONT_NAME, str(path)))
            return FONT_NAME
    raise FileNotFoundError("no TTF font with Vietnamese glyphs found (install fonts-liberation2)")


def write_searchable_pdf(doc: dict, out_path: Path) -> Path:
    """Write the document's scanned pages with the restored text as an invisible layer; returns out_path.

    Raises SourceUnavailable when the source file is gone or changed, ValueError when the document has no
    page images (a text dump or a failed file).
    """
    pages = [p for p in doc.get("pages") or [] if p.get("status") != "error" and p.get("width")]
    if not pages:
        raise ValueError(f"{doc.get('source_path')}: no page images to make a PDF from")
    source = open_source(doc)
    font = _font()
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pageCompression=1)
    pdf.setTitle((doc.get("record") or {}).get("fields", {}).get("title") or Path(doc["source_path"]).name)
    pdf.setCreator("sohoa")
    for page in pages:
        dpi = float(page.get("dpi") or 300)
        width_pt, height_pt = page["width"] * 72.0 / dpi, page["height"] * 72.0 / dpi
        pdf.setPageSize((width_pt, height_pt))
        image = load_scan(source, page, int(dpi)).convert("RGB")
        jpeg = io.BytesIO()
        image.save(jpeg, "JPEG", quality=JPEG_QUALITY, optimize=True)
        jpeg.seek(0)
        pdf.drawImage(ImageReader(jpeg), 0, 0, width=width_pt, height=height_pt)
        for line in page_words(doc, page):
            _draw_line(pdf, page, line, font, 72.0 / dpi)
        pdf.showPage()
    pdf.save()
    out_path.parent.mkdir(parents=True, exist_ok=True)
    export.atomic_write_bytes(out_path, buffer.getvalue())
    return out_path


def _draw_line(pdf: canvas.Canvas, page: dict, words: list[PageWord], font: str, pt_per_px: float) -> None:
    """One OCR line, invisible. Each word is drawn level, its box centre mapped back through the deskew
    rotation and stretched to the box width: level text keeps PDF text extraction from splitting words (as
    it does with slightly rotated text), and over one word the skew moves the baseline by a pixel or two."""
    words = [w for w in words if w.restored.strip() and w.bbox[2] > w.bbox[0] and w.bbox[3] > w.bbox[1]]
    if not words:
        return
    size = max(1.0, max(w.bbox[3] - w.bbox[1] for w in words) * pt_per_px * 0.8)
    inverse = cv2.invertAffineTransform(rotation_matrix(page))
    height_pt = page["height"] * pt_per_px
    text = pdf.beginText(0, 0)
    text.setTextRenderMode(INVISIBLE)
    text.setFont(font, size)
    for word in words:
        restored = word.restored.strip()
        x0, y0, x1, y1 = word.bbox
        cx, cy = inverse @ np.array([(x0 + x1) / 2.0, (y0 + y1) / 2.0, 1.0])
        half_width = (x1 - x0) / 2.0
        # Baseline a fifth of the box height above its bottom, where descenders end.
        baseline = cy + (y1 - y0) * 0.3
        natural = pdfmetrics.stringWidth(restored, font, size)
        text.setTextOrigin((cx - half_width) * pt_per_px, height_pt - baseline * pt_per_px)
        text.setHorizScale(100.0 * (x1 - x0) * pt_per_px / natural if natural else 100.0)
        text.textOut(restored)
    pdf.drawText(text)
