"""Searchable PDF/A: the scanned pages as they are, with the restored words as invisible text under them.

``sohoa run --pdf`` writes ``OUT/pdf/<doc_id>.pdf`` for every scanned document that came through. The
file is the source itself, page for page: a PDF keeps its page content and image streams byte for byte,
and an image (TIFF, PNG, JPEG) is wrapped into PDF pages without being decoded (img2pdf copies CCITT,
JPEG and PNG data as they are; a TIFF in several strips is joined into one CCITT stream, losslessly).
Under each page lies an invisible text layer of the restored words (with their diacritics, as in
``text/<doc_id>.txt``), each word stretched over its box on the scan, so that a viewer's search finds
and highlights the word where it is printed, and copying gives the restored text. The file is PDF/A-2b,
with XMP metadata from the record: ``dc:title`` the title, ``dc:creator`` and ``dc:publisher`` the
issuer, ``dc:date`` and ``xmp:CreateDate`` the issue date, ``dc:identifier`` the number and symbol,
``dc:language`` ``vi``.

OCRmyPDF does the PDF work (:mod:`pipeline.external.ocrmypdf`): grafting the text layer under the page,
PDF/A, metadata. This module says where each word goes. The OCR boxes are in the pixels of the page the
OCR read: the scan turned upright (``rotation``) and deskewed. Each line's baseline is mapped back
through the deskew rotation and the turn onto the scan, so the text runs along the printed line, at the
skew it has on the scan; each word starts where its box starts and is stretched to its box's length.
The baseline is where the words without descenders (g, p, y, dot-below marks …) end, and the font size
makes a reader's text box (the font's ascent above the baseline) reach the tops of the taller words.
"""

from __future__ import annotations

import io
import logging
import tempfile
import unicodedata
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from statistics import median

import cv2
import numpy as np

from pipeline.errors import IngestError
from pipeline.external import ocrmypdf
from pipeline.outputs import export
from pipeline.outputs.report.images import SourceUnavailable, rotation_matrix
from pipeline.outputs.report.words import PageWord, page_words, tokens_by_line
from pipeline.record import DocumentResult, PageResult, Status
from pipeline.scan import ingest

PDFA_PART = "2"
KIND_TEXT = "text"
# OCRmyPDF draws Latin and Vietnamese text in Noto Sans; PDF readers put a glyph's box from the font's
# ascent above the baseline to its descent below it (in ems).
FONT_ASCENT = 1.069
# Letters and marks that reach below the baseline: a word with one of them does not sit on the baseline.
_DESCENDING = frozenset("gjpqyQJ,;()[]{}|/\u0323\u0328\u0327")


def has_pdf(doc: DocumentResult) -> bool:
    """A scanned document that came through (``ok`` or ``partial``) with at least one page read."""
    return doc.status.done and doc.kind != KIND_TEXT and any(p.width and p.height for p in doc.pages)


def write_searchable_pdf(doc: DocumentResult, out_path: Path, source: Path | None = None) -> Path:
    """Write the searchable PDF/A of ``doc`` to ``out_path`` atomically; returns out_path.

    ``source`` is the file to read (default: ``doc.source_path``). Raises SourceUnavailable when it is
    gone or changed, ValueError when the document has no page images (a text dump or a failed file),
    ``ocrmypdf.PdfError`` when the PDF cannot be made.
    """
    data = searchable_pdf(doc, source)
    export.atomic_write_bytes(out_path, data)
    return out_path


def searchable_pdf(doc: DocumentResult, source: Path | None = None) -> bytes:
    """The searchable PDF/A of ``doc`` as bytes (made in a temporary folder; nothing else is written)."""
    if not has_pdf(doc):
        raise ValueError(f"{doc.source_path}: no page images to make a PDF from")
    checked = _checked_source(doc, source)
    layers = text_layers(doc, checked.n_pages)
    with tempfile.TemporaryDirectory(prefix="sohoa-pdf-") as tmp:
        work = Path(tmp)
        pages_pdf = checked.path if checked.kind == ingest.KIND_PDF else _image_pdf(checked, work)
        out = work / "out.pdf"
        ocrmypdf.make_pdfa(pages_pdf, out, layers, **_options_metadata(doc))
        final = work / "final.pdf"
        set_metadata(out, final, xmp_metadata(doc))
        return final.read_bytes()


def _checked_source(doc: DocumentResult, source: Path | None) -> ingest.SourceFile:
    path = Path(source if source is not None else doc.source_path)
    try:
        checked = ingest.inspect(path, dpi=max((p.dpi or 0 for p in doc.pages), default=300) or 300)
    except IngestError as exc:
        raise SourceUnavailable(f"{path}: {exc}") from exc
    if doc.sha256 and checked.sha256 != doc.sha256:
        raise SourceUnavailable(f"{path}: the file has changed since it was processed")
    return checked


def _image_pdf(source: ingest.SourceFile, work: Path) -> Path:
    """The image's pages as a PDF, one page per frame at the resolution the pipeline read it at.

    img2pdf copies CCITT, JPEG and PNG data into the PDF as they are (transparency becomes a soft mask,
    over white paper in every viewer). What it refuses (some TIFF compressions) is re-encoded without
    loss first: bilevel frames as CCITT G4, others as PNG (grey as grey), transparency laid on white
    paper as the pipeline saw it.
    """
    import img2pdf

    out = work / "pages.pdf"
    layout = img2pdf.get_fixed_dpi_layout_fun((source.dpi, source.dpi))
    options = {"layout_fun": layout, "rotation": img2pdf.Rotation.none}  # pixels as the pipeline read them
    quiet = logging.getLogger("img2pdf")  # its notes (a soft mask for transparency ...) are not sohoa's
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        data = img2pdf.convert(str(source.path), **options)
    except Exception:  # img2pdf raises several kinds (unsupported compression, odd modes ...)
        data = img2pdf.convert(*_lossless_frames(source.path), **options)
    finally:
        quiet.setLevel(level)
    out.write_bytes(data)
    return out


def _lossless_frames(path: Path) -> list[bytes]:
    from PIL import Image, ImageSequence

    frames = []
    with warnings.catch_warnings(), Image.open(path) as im:  # sizes were checked when it was read
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        for frame in ImageSequence.Iterator(im):
            buffer = io.BytesIO()
            if frame.mode == "1":
                frame.save(buffer, "TIFF", compression="group4", strip_size=1 << 30)
            else:
                page = ingest.to_rgb(frame)
                grey = frame.mode in ("L", "LA", "I", "I;16", "I;16B", "I;16L", "I;16N", "F")
                (page.convert("L") if grey else page).save(buffer, "PNG")
            frames.append(buffer.getvalue())
    return frames


# --- the text layer --------------------------------------------------------------------------------------


def text_layers(doc: DocumentResult, n_pages: int | None = None) -> list[object | None]:
    """One OCRmyPDF text layer (``OcrElement`` page) per page of the source, None for a page not read."""
    pages = {p.index: p for p in doc.pages}
    count = max(n_pages or 0, max(pages, default=-1) + 1)
    raw_lines = (doc.raw_text or "").split("\n")
    by_line = tokens_by_line({"restoration": doc.restoration})
    layers: list[object | None] = []
    for index in range(count):
        page = pages.get(index)
        readable = page is not None and page.status is not Status.ERROR and page.width and page.height
        layers.append(page_layer(page, raw_lines, by_line) if readable else None)
    return layers


@dataclass
class PlacedLine:
    """One line of words in the scan's pixels: where its baseline starts, its slope and font size."""

    words: list[tuple[str, tuple[float, float, float, float]]]  # (restored word, box on the scan)
    box: tuple[float, float, float, float]  # bottom-left corner: the baseline's start; height: font size
    slope: float  # of the baseline, in the line's own direction (dy/dx, y down)
    angle: int  # the line's direction on the scan, degrees counter-clockwise (0, 90, 180, 270)


def page_layer(page: PageResult, raw_lines: list[str], by_line: dict[int, list[dict]]) -> object:
    """The page's text layer as an OCRmyPDF ``OcrElement`` page, in the pixels of the page as scanned."""
    from ocrmypdf.hocrtransform import Baseline, BoundingBox, OcrClass, OcrElement

    frame = _ScanFrame(page)
    lines = []
    for line in placed_lines(page, raw_lines, by_line, frame):
        words = [
            OcrElement(ocr_class=OcrClass.WORD, bbox=BoundingBox(*box), text=text) for text, box in line.words
        ]
        lines.append(
            OcrElement(
                ocr_class=OcrClass.LINE,
                bbox=BoundingBox(*line.box),
                baseline=Baseline(slope=line.slope, intercept=0.0),
                textangle=float(line.angle),
                language=ocrmypdf.LANGUAGE,
                children=words,
            )
        )
    return OcrElement(
        ocr_class=OcrClass.PAGE,
        bbox=BoundingBox(0, 0, frame.scan_width, frame.scan_height),
        dpi=float(page.dpi or 300),
        page_number=page.index,
        language=ocrmypdf.LANGUAGE,
        children=lines,
    )


def placed_lines(
    page: PageResult, raw_lines: list[str], by_line: dict[int, list[dict]], frame: _ScanFrame | None = None
) -> list[PlacedLine]:
    """The page's lines of restored words, placed on the scan."""
    frame = frame or _ScanFrame(page)
    start = int(page.line_start or 0)
    end = start + len(page.lines)
    tokens = [{**t, "line": int(t["line"]) - start} for i in range(start, end) for t in by_line.get(i, [])]
    one_page = {"raw_text": "\n".join(raw_lines[start:end]), "restoration": {"tokens": tokens}}
    placed = []
    for words in page_words(one_page, {"lines": page.lines, "line_start": 0}):
        line = _place_line(words, frame)
        if line is not None:
            placed.append(line)
    return placed


def _place_line(words: list[PageWord], frame: _ScanFrame) -> PlacedLine | None:
    words = [w for w in words if w.restored.strip() and w.bbox[2] > w.bbox[0] and w.bbox[3] > w.bbox[1]]
    if not words:
        return None
    baseline, size = _line_metrics(words)
    left, right = min(w.bbox[0] for w in words), max(w.bbox[2] for w in words)
    (x0, y0), (x1, y1) = frame.upright(left, baseline), frame.upright(right, baseline)
    slope = (y1 - y0) / (x1 - x0) if x1 > x0 else 0.0
    # In the upright page the line box's bottom-left corner is the start of the baseline and its height
    # the font size (OCRmyPDF's reading of a line box with a baseline of intercept 0), turned onto the scan.
    box = frame.scan_box([(x0, y0 - size), (x1, y0 - size), (x0, y0), (x1, y0)])
    placed = [
        (text, frame.scan_box(frame.upright_corners(part)))
        for word in words
        for text, part in _split(word.restored, word.bbox)
    ]
    return PlacedLine(words=placed, box=box, slope=slope, angle=frame.rotation)


def _line_metrics(words: list[PageWord]) -> tuple[float, float]:
    """(baseline y, font size) of a line, in the pixels of the page the OCR read."""
    lettered = [w for w in words if any(c.isalnum() for c in w.restored)] or words
    level = [w.bbox[3] for w in lettered if not _descends(w.restored) and not _descends(w.ocr_text)]
    bottoms = sorted(w.bbox[3] for w in lettered)
    baseline = median(level) if level else bottoms[len(bottoms) // 4]
    tops = sorted(w.bbox[1] for w in lettered)
    top = tops[(len(tops) - 1) // 4]  # the taller words' tops (capitals, stacked marks), not one stray speck
    height = median(w.bbox[3] - w.bbox[1] for w in lettered)
    size = max(baseline - top, 0.5 * height, 1.0) / FONT_ASCENT
    return float(baseline), float(size)


def _descends(text: str) -> bool:
    return any(c in _DESCENDING for c in unicodedata.normalize("NFD", text))


def _split(text: str, bbox: tuple[int, int, int, int]) -> list[tuple[str, tuple[float, float, float, float]]]:
    """A restored word that became several (the restoration split it): the box shared by their lengths."""
    parts = text.split()
    if len(parts) == 1:
        return [(parts[0], tuple(float(v) for v in bbox))]
    x0, y0, x1, y1 = bbox
    total = sum(len(p) for p in parts) + len(parts) - 1
    boxes, pos = [], 0
    for part in parts:
        left = x0 + (x1 - x0) * pos / total
        right = x0 + (x1 - x0) * (pos + len(part)) / total
        boxes.append((part, (left, float(y0), right, float(y1))))
        pos += len(part) + 1
    return boxes


class _ScanFrame:
    """Points of the page the OCR read (upright, deskewed) mapped to the upright page and to the scan."""

    def __init__(self, page: PageResult) -> None:
        self.width, self.height = float(page.width or 0), float(page.height or 0)
        geometry = {
            "width": page.width,
            "height": page.height,
            "deskew_angle": page.deskew_angle,
            "preprocess": page.preprocess,
        }
        self.inverse = cv2.invertAffineTransform(rotation_matrix(geometry))  # deskewed -> upright
        self.rotation = int(getattr(page, "rotation", 0) or 0) % 360
        if self.rotation not in (0, 90, 180, 270):
            self.rotation = 0
        turned = self.rotation in (90, 270)
        self.scan_width = self.height if turned else self.width
        self.scan_height = self.width if turned else self.height

    def upright(self, x: float, y: float) -> tuple[float, float]:
        ux, uy = self.inverse @ np.array([x, y, 1.0])
        return float(ux), float(uy)

    def upright_corners(self, bbox: Sequence[float]) -> list[tuple[float, float]]:
        x0, y0, x1, y1 = bbox
        return [self.upright(x, y) for x, y in ((x0, y0), (x1, y0), (x0, y1), (x1, y1))]

    def scan_box(self, corners: Sequence[tuple[float, float]]) -> tuple[float, float, float, float]:
        """The box on the scan around upright-page points (the scan was turned clockwise by ``rotation``
        to stand upright)."""
        points = [self._unturn(x, y) for x, y in corners]
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        return (min(xs), min(ys), max(xs), max(ys))

    def _unturn(self, x: float, y: float) -> tuple[float, float]:
        if self.rotation == 90:
            return y, self.width - x
        if self.rotation == 180:
            return self.width - x, self.height - y
        if self.rotation == 270:
            return self.height - y, x
        return x, y


# --- metadata -------------------------------------------------------------------------------------------


def _options_metadata(doc: DocumentResult) -> dict:
    """Title, author (the issuer), subject and keywords, as OCRmyPDF writes them into XMP and DocInfo."""
    fields = doc.fields
    symbol = " ".join(str(fields[k]) for k in ("doc_number", "doc_symbol") if fields.get(k))
    return {
        "title": _text(fields.get("title")) or Path(doc.source_path).name,
        "author": _text(fields.get("issuer")),
        "subject": _text(fields.get("campaign")),
        "keywords": "; ".join(v for v in (_text(fields.get("doc_type")), symbol) if v) or None,
    }


def xmp_metadata(doc: DocumentResult) -> dict:
    """The XMP properties from the record (``dc:`` and ``xmp:`` names, as pikepdf takes them)."""
    fields = doc.fields
    meta: dict = {"dc:language": ["vi"]}
    issuer = _text(fields.get("issuer"))
    if issuer:
        meta["dc:creator"] = [issuer]
        meta["dc:publisher"] = [issuer]
    number = "/".join(str(fields[k]) for k in ("doc_number", "doc_symbol") if fields.get(k))
    if number:
        meta["dc:identifier"] = number
    date = _text(fields.get("issue_date"))
    if date and len(date) >= 10:
        meta["dc:date"] = [date[:10]]
        meta["xmp:CreateDate"] = date[:10]
    return meta


def set_metadata(pdf_file: Path, out: Path, properties: dict) -> None:
    """Write ``pdf_file`` to ``out`` with the XMP ``properties`` set (DocInfo follows), still PDF/A-2b:
    pikepdf validates what it writes; a file its validator cannot vouch for is written as it is."""
    import pikepdf
    from pikepdf.pdfa import PdfaError
    from pikepdf.pdfa import save as save_pdfa

    with pikepdf.open(pdf_file) as pdf:
        with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
            for key, value in properties.items():
                meta[key] = value
        try:
            save_pdfa(pdf, out, PDFA_PART + "b", output_intent=None)
        except PdfaError:
            pdf.save(out)


def _text(value: object) -> str | None:
    if value is None or isinstance(value, (list, dict)):
        return None
    return " ".join(str(value).split()) or None
