"""ALTO XML for each scanned document, and the page layout it shares with hOCR (``pipeline.outputs.hocr``).

Libraries, digitisation platforms and full-text viewers (Goobi, Kitodo, Mirador, the Solr OCR highlighting
plugin, …) import OCR as ALTO: pages of blocks of lines of words, each with a box on the page image. So
every scanned document that came through gets ``OUT/alto/<doc_id>.xml`` (ALTO 4.3,
``http://www.loc.gov/standards/alto/ns-v4#``; the schema ships in ``schemas/`` for offline validation):

* one ``Page`` per page of the source, ``PHYSICAL_IMG_NR`` its 1-based number, ``WIDTH``/``HEIGHT`` the page
  as scanned in pixels at the pipeline's dpi, ``PC`` the mean OCR confidence; a page that failed is there
  too, with ``QUALITY="Missing"`` and the reason in ``QUALITY_DETAIL``;
* a ``TextBlock`` per layout zone the OCR read separately (header columns, body, signature block), its
  ``ROTATION`` the angle the text lies at on the scan (degrees counter-clockwise: the turn that stood the
  page upright plus the measured skew); ALTO 4.3 has no rotation on ``Page``, the block carries it and
  the page's ``Processing`` step says what was done;
* a ``TextLine`` per line of ``text/<doc_id>.txt`` that has words, with ``ID="line_<n>"``, ``n`` the 0-based
  line number in that file (the numbering of ``start_line`` in ``sections.parquet``);
* a ``String`` per word: ``CONTENT`` the restored word, ``WC`` how sure the pipeline is of it (0-1: the
  restoration's confidence for a word it changed, otherwise the lower of the OCR's and the restoration's),
  and, where the restoration changed the word, the OCR reading as ``<ALTERNATIVE PURPOSE="OCR">``;
* ``Tags``: the header fields (``OtherTag``, ``TYPE`` the field name as in ``documents.parquet``,
  ``LABEL`` its value; one tag per item of a list) and the numbered sections (``StructureTag``,
  ``TYPE="section"``, ``LABEL`` the heading), referenced by ``TAGREFS`` from the line where a section starts
  and from the first line that holds a field's value.

Boxes are in the pixels of the page as scanned, not of the page the OCR read: the OCR's boxes are mapped
back through the deskew rotation and, for a page turned upright first, through that turn, and a box is
the axis-aligned hull of the mapped corners (so each word lies inside its line, each line in its block).
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2

from pipeline.outputs import export
from pipeline.outputs.report.images import rotation_matrix
from pipeline.outputs.report.words import PageWord, page_words, tokens_by_line
from pipeline.record import DocumentResult, PageResult, Status

ALTO_DIR = "alto"
ALTO_NS = "http://www.loc.gov/standards/alto/ns-v4#"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_VERSION = "4.3"
SCHEMA_URL = "http://www.loc.gov/standards/alto/v4/alto-4-3.xsd"
SCHEMA_FILE = Path(__file__).parent / "schemas" / "alto-4-3.xsd"
LANG = "vi"
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
KIND_TEXT = "text"  # pipeline.scan.ingest.KIND_TEXT: text dumps have no pages, so no layout
# A field's value is looked up in the text only when at least this long: "87" or "KH" would match anywhere.
MIN_LINKED_VALUE = 5

Box = tuple[int, int, int, int]  # left, top, right, bottom


@dataclass
class Word:
    content: str  # the restored word
    box: Box  # pixels of the page as scanned
    confidence: float  # 0-1
    ocr: str | None = None  # the OCR reading, when the restoration changed it


@dataclass
class Line:
    index: int  # 0-based line of the document's text (text/<doc_id>.txt)
    box: Box
    words: list[Word]


@dataclass
class Block:
    box: Box
    lines: list[Line] = field(default_factory=list)


@dataclass
class ScanPage:
    """One page of a scanned document as ALTO and hOCR describe it."""

    number: int  # 1-based
    width: int | None  # the page as scanned, in pixels at ``dpi``
    height: int | None
    dpi: int | None
    rotation: int = 0  # degrees clockwise the page was turned to stand upright before OCR
    skew: float = 0.0  # degrees counter-clockwise the text leaned on the upright page
    confidence: float | None = None  # mean OCR word confidence, 0-1
    steps: list[str] = field(default_factory=list)  # the preprocessing steps applied
    error: str | None = None  # why the page failed
    blocks: list[Block] = field(default_factory=list)

    @property
    def text_rotation(self) -> float:
        """The angle the text lies at on the scan, degrees counter-clockwise, in (-180, 180]."""
        angle = (self.rotation + self.skew) % 360.0
        return round(angle - 360.0 if angle > 180.0 else angle, 2)


@dataclass
class Tag:
    id: str
    element: str  # OtherTag (header fields) or StructureTag (sections)
    type: str
    label: str
    description: str | None = None


def has_layout(doc: DocumentResult) -> bool:
    """A scanned document that came through (``ok`` or ``partial``): it has pages to describe."""
    return doc.status.done and doc.kind != KIND_TEXT and bool(doc.pages)


def alto_path(out_dir: Path, doc_id: str) -> Path:
    return out_dir / ALTO_DIR / f"{doc_id}.xml"


def write_alto(out_dir: Path, doc: DocumentResult) -> Path:
    """Write ``OUT/alto/<doc_id>.xml`` atomically; returns its path."""
    path = alto_path(out_dir, doc.doc_id)
    export.atomic_write_bytes(path, alto_xml(doc))
    return path


# --- the layout ----------------------------------------------------------------------------------------


def scan_pages(doc: DocumentResult) -> list[ScanPage]:
    """The document's pages with their blocks, lines and restored words, boxes in scan pixels."""
    raw_lines = (doc.raw_text or "").split("\n")
    by_line = tokens_by_line({"restoration": doc.restoration})
    return [_scan_page(page, raw_lines, by_line) for page in doc.pages]


def _scan_page(page: PageResult, raw_lines: list[str], by_line: dict[int, list[dict]]) -> ScanPage:
    rotation = int(getattr(page, "rotation", 0) or 0) % 360
    rotation = rotation if rotation in (0, 90, 180, 270) else 0
    width, height = page.width, page.height
    if width and height and rotation in (90, 270):
        width, height = height, width  # the OCR'd page stood upright; the scan lies on its side
    result = ScanPage(
        number=page.index + 1,
        width=width,
        height=height,
        dpi=page.dpi,
        rotation=rotation,
        skew=float(page.deskew_angle or 0.0),
        confidence=_unit(page.ocr_mean_confidence / 100.0) if page.ocr_mean_confidence is not None else None,
        steps=list(page.preprocess),
        error=page.error,
    )
    if page.status is Status.ERROR or not (page.width and page.height):
        result.error = result.error or "no page image"
        return result
    # What page_words and rotation_matrix read of a page (not to_dict: a deep copy of every word).
    data = {
        "width": page.width,
        "height": page.height,
        "preprocess": page.preprocess,
        "deskew_angle": page.deskew_angle,
        "lines": page.lines,
    }
    to_scan = _ToScan(data, rotation)
    start = int(page.line_start or 0)
    words_of_lines = page_words(*_one_page(data, raw_lines, by_line, start))
    block_key: Any = object()
    for offset, (line, words) in enumerate(zip(data["lines"], words_of_lines, strict=False)):
        placed = [w for word in words for w in _words(word, to_scan)]
        if not placed:
            continue
        bbox = line.get("bbox") or _hull(w.bbox for w in words)
        if not result.blocks or line.get("block") != block_key:
            result.blocks.append(Block(box=(0, 0, 0, 0)))
            block_key = line.get("block")
        result.blocks[-1].lines.append(Line(start + offset, to_scan.box(bbox), placed))
    for block in result.blocks:
        block.box = _hull(line.box for line in block.lines)
    return result


def _one_page(
    data: dict, raw_lines: list[str], by_line: dict[int, list[dict]], start: int
) -> tuple[dict, dict]:
    """The document cut down to one page (its raw lines and tokens, renumbered from 0) for ``page_words``:
    so that a page costs its own size, not the document's."""
    end = start + len(data["lines"])
    tokens = [{**t, "line": int(t["line"]) - start} for i in range(start, end) for t in by_line.get(i, [])]
    doc = {"raw_text": "\n".join(raw_lines[start:end]), "restoration": {"tokens": tokens}}
    return doc, {**data, "line_start": 0}


def _words(word: PageWord, to_scan: _ToScan) -> list[Word]:
    """The ALTO words of one OCR word: usually one; a restoration that split it gives one per part, the
    box divided in proportion to their lengths."""
    parts = word.restored.split()
    if not parts:
        return []
    confidence = _confidence(word)
    ocr = word.ocr_text if " ".join(parts) != word.ocr_text else None
    boxes = _split(word.bbox, parts) if len(parts) > 1 else [word.bbox]
    return [
        Word(part, to_scan.box(box), confidence, ocr if i == 0 else None)
        for i, (part, box) in enumerate(zip(parts, boxes, strict=True))
    ]


def _confidence(word: PageWord) -> float:
    """0-1. A changed word: the restoration's confidence (the OCR's was for another reading); a kept word:
    the lower of the OCR's and the restoration's."""
    ocr = _unit(word.ocr_conf / 100.0)
    if word.confidence is None:
        return ocr
    restored = _unit(word.confidence)
    return restored if word.changed else min(ocr, restored)


def _unit(value: float) -> float:
    return round(min(max(float(value), 0.0), 1.0), 3)


def _split(bbox: tuple[int, int, int, int], parts: list[str]) -> list[tuple[int, int, int, int]]:
    x0, y0, x1, y1 = bbox
    total = sum(len(p) for p in parts) + len(parts) - 1
    boxes, pos = [], 0
    for part in parts:
        left = x0 + (x1 - x0) * pos / total
        right = x0 + (x1 - x0) * (pos + len(part)) / total
        boxes.append((round(left), y0, round(right), y1))
        pos += len(part) + 1
    return boxes


def _hull(boxes: Iterable[tuple[int, ...]]) -> Box:
    boxes = list(boxes)
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


class _ToScan:
    """Maps boxes of the page the OCR read (turned upright, then deskewed) to the page as scanned."""

    def __init__(self, page: dict, rotation: int) -> None:
        # rotation_matrix: scan (upright) -> deskewed, about the centre of the upright page
        inverse = cv2.invertAffineTransform(rotation_matrix(page))
        self.affine = tuple(float(v) for v in inverse.ravel())  # a, b, c, d, e, f: plain floats are faster
        self.width, self.height = float(page["width"]), float(page["height"])
        self.rotation = rotation
        turned = rotation in (90, 270)
        self.scan_width = self.height if turned else self.width
        self.scan_height = self.width if turned else self.height

    def box(self, bbox: Iterable[float]) -> Box:
        x0, y0, x1, y1 = (float(v) for v in bbox)
        a, b, c, d, e, f = self.affine
        corners = [self._unturn(a * x + b * y + c, d * x + e * y + f) for x in (x0, x1) for y in (y0, y1)]
        xs, ys = [p[0] for p in corners], [p[1] for p in corners]
        left = int(min(max(math.floor(min(xs)), 0), self.scan_width))
        top = int(min(max(math.floor(min(ys)), 0), self.scan_height))
        right = int(min(max(math.ceil(max(xs)), left), self.scan_width))
        bottom = int(min(max(math.ceil(max(ys)), top), self.scan_height))
        return (left, top, right, bottom)

    def _unturn(self, x: float, y: float) -> tuple[float, float]:
        """Upright-page coordinates back to the scan, which was turned clockwise by ``rotation``."""
        if self.rotation == 90:
            return y, self.width - x
        if self.rotation == 180:
            return self.width - x, self.height - y
        if self.rotation == 270:
            return self.height - y, x
        return x, y


# --- tags ----------------------------------------------------------------------------------------------


def document_tags(doc: DocumentResult) -> tuple[list[Tag], dict[int, list[str]]]:
    """The header fields and the sections as tags, and the ids of the tags each text line refers to."""
    tags: list[Tag] = []
    refs: dict[int, list[str]] = {}
    text_lines = (doc.text or "").split("\n")
    for name, value in doc.fields.items():
        items = value if isinstance(value, list) else [value]
        for n, item in enumerate(items, start=1):
            label = _label(item)
            if not label:
                continue
            suffix = f"_{n}" if isinstance(value, list) else ""
            tag = Tag(f"field_{_ncname(str(name))}{suffix}", "OtherTag", str(name), label)
            tags.append(tag)
            line = _line_with(text_lines, label) if isinstance(item, str) else None
            if line is not None:
                refs.setdefault(line, []).append(tag.id)
    for section in doc.sections:
        tag = _section_tag(section)
        tags.append(tag)
        if section.get("start_line") is not None:
            refs.setdefault(int(section["start_line"]), []).append(tag.id)
    return tags, refs


def _section_tag(section: dict) -> Tag:
    number, heading = section.get("number"), section.get("heading")
    about = ("level", "number", "label", "start_line", "end_line")
    return Tag(
        id=f"section_{_ncname(str(section.get('order')))}",
        element="StructureTag",
        type="section",
        label=str(heading or number or section.get("label") or "section"),
        description="; ".join(f"{k}={section[k]}" for k in about if section.get(k) is not None),
    )


def _label(value: Any) -> str:
    if isinstance(value, dict):
        return "; ".join(f"{k}={v}" for k, v in value.items() if v not in (None, "", []))
    return "" if value is None else str(value).strip()


def _line_with(lines: list[str], value: str) -> int | None:
    if len(value) < MIN_LINKED_VALUE:
        return None
    return next((i for i, line in enumerate(lines) if value in line), None)


def _ncname(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", text)


# --- ALTO ----------------------------------------------------------------------------------------------


def alto_xml(doc: DocumentResult) -> bytes:
    """The document as ALTO 4.3 XML (UTF-8)."""
    pages = scan_pages(doc)
    tags, line_tags = document_tags(doc)
    # Plain names and the namespace declarations as attributes: ElementTree's own namespace handling
    # is global state (``register_namespace``), shared with the hOCR writer's XHTML.
    root = ET.Element(
        "alto",
        {
            "xmlns": ALTO_NS,
            "xmlns:xsi": XSI_NS,
            "xsi:schemaLocation": f"{ALTO_NS} {SCHEMA_URL}",
            "SCHEMAVERSION": SCHEMA_VERSION,
        },
    )
    _description(root, doc, pages)
    if tags:
        container = _sub(root, "Tags")
        for tag in tags:
            attrs = {"ID": tag.id, "TYPE": tag.type, "LABEL": tag.label}
            if tag.description:
                attrs["DESCRIPTION"] = tag.description
            _sub(container, tag.element, **attrs)
    layout = _sub(root, "Layout")
    for page in pages:
        _page(layout, page, line_tags)
    ET.indent(root, space=" ")
    return XML_DECLARATION + ET.tostring(root, encoding="unicode").encode("utf-8")


def _sub(parent: ET.Element, name: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, name, attrs)
    element.text = text
    return element


def _description(root: ET.Element, doc: DocumentResult, pages: list[ScanPage]) -> None:
    description = _sub(root, "Description")
    _sub(description, "MeasurementUnit", "pixel")
    source = _sub(description, "sourceImageInformation")
    _sub(source, "fileName", doc.source_path)
    if doc.sha256:
        _sub(source, "fileIdentifier", doc.sha256, fileIdentifierLocation="sha256")
    _sub(source, "documentIdentifier", doc.doc_id, documentIdentifierLocation="sohoa doc_id")
    step = _sub(description, "Processing", ID="processing_sohoa")
    _sub(step, "processingCategory", "contentGeneration")
    if doc.processed_at:
        _sub(step, "processingDateTime", doc.processed_at)
    _sub(
        step,
        "processingStepDescription",
        "OCR (Tesseract), then restoration of Vietnamese diacritics and OCR damage: CONTENT is the restored "
        "word, WC the confidence in it, ALTERNATIVE (PURPOSE OCR) what the OCR read where that differs",
    )
    software = _sub(step, "processingSoftware")
    _sub(software, "softwareName", "sohoa")
    _sub(software, "softwareVersion", doc.pipeline_version)
    for page in pages:
        if page.steps or page.rotation or page.skew:
            _page_processing(description, page)


def _page_processing(description: ET.Element, page: ScanPage) -> None:
    step = _sub(description, "Processing", ID=f"processing_page_{page.number}")
    _sub(step, "processingCategory", "preOperation")
    if page.rotation:
        _sub(step, "processingStepDescription", f"turned {page.rotation} degrees clockwise to stand upright")
    if page.skew:
        _sub(step, "processingStepDescription", f"deskewed: the text leaned {page.skew:.2f} degrees")
    if page.steps:
        _sub(step, "processingStepDescription", "preprocessing: " + ", ".join(page.steps))
    settings = f"rotation={page.rotation}; deskew_angle={page.skew:.2f}; dpi={page.dpi}"
    _sub(step, "processingStepSettings", settings)


def _page(layout: ET.Element, page: ScanPage, line_tags: dict[int, list[str]]) -> None:
    attrs = {"ID": f"page_{page.number}", "PHYSICAL_IMG_NR": str(page.number)}
    if page.width and page.height:
        attrs.update(WIDTH=str(page.width), HEIGHT=str(page.height))
    if page.confidence is not None:
        attrs["PC"] = str(page.confidence)
    refs = ["processing_sohoa"]
    if page.steps or page.rotation or page.skew:
        refs.append(f"processing_page_{page.number}")
    attrs["PROCESSINGREFS"] = " ".join(refs)
    if page.error:
        attrs.update(QUALITY="Missing", QUALITY_DETAIL=page.error)
    element = _sub(layout, "Page", **attrs)
    if page.error or not (page.width and page.height):
        return
    space = _sub(element, "PrintSpace", HPOS="0", VPOS="0", WIDTH=str(page.width), HEIGHT=str(page.height))
    rotation = page.text_rotation
    for n, block in enumerate(page.blocks, start=1):
        attrs = {"ID": f"page_{page.number}_block_{n}", **_position(block.box)}
        if rotation:
            attrs["ROTATION"] = f"{rotation:g}"
        attrs["LANG"] = LANG
        text_block = _sub(space, "TextBlock", **attrs)
        for line in block.lines:
            _text_line(text_block, line, line_tags.get(line.index))


def _text_line(block: ET.Element, line: Line, tags: list[str] | None) -> None:
    attrs = {"ID": f"line_{line.index}", **_position(line.box)}
    if tags:
        attrs["TAGREFS"] = " ".join(tags)
    element = _sub(block, "TextLine", **attrs)
    for n, (word, after) in enumerate(_with_next(line.words), start=1):
        string = _sub(
            element,
            "String",
            ID=f"line_{line.index}_word_{n}",
            CONTENT=word.content,
            **_position(word.box),
            WC=f"{word.confidence:g}",
        )
        if word.ocr is not None:
            _sub(string, "ALTERNATIVE", word.ocr, PURPOSE="OCR")
        if after is not None:
            gap = after.box[0] - word.box[2]
            space = {"HPOS": str(word.box[2]), "VPOS": str(line.box[1]), "WIDTH": str(gap)} if gap > 0 else {}
            _sub(element, "SP", **space)


def _with_next(words: list[Word]) -> Iterator[tuple[Word, Word | None]]:
    for i, word in enumerate(words):
        yield word, words[i + 1] if i + 1 < len(words) else None


def _position(box: Box) -> dict[str, str]:
    left, top, right, bottom = box
    return {"HPOS": str(left), "VPOS": str(top), "WIDTH": str(right - left), "HEIGHT": str(bottom - top)}
