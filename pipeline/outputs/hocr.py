"""hOCR for each scanned document (``sohoa run --hocr``): ``OUT/hocr/<doc_id>.hocr``.

hOCR is OCR as XHTML: tools that take it (hocr-tools, OCRmyPDF's hOCR renderer, many viewers and search
indexes) find pages, text areas, lines and words by their ``class`` and read their geometry from ``title``
properties. The layout is the one ALTO gets (:func:`pipeline.outputs.alto.scan_pages`): a ``div.ocr_page``
per page (``bbox`` the page as scanned, ``ppageno`` 0-based, ``scan_res`` the dpi), a ``div.ocr_carea`` per
block holding one ``p.ocr_par``, a ``span.ocr_line`` per line (``textangle`` the angle the text lies at on the
scan, degrees counter-clockwise, when not level) and a ``span.ocrx_word`` per word, whose text is the
restored word and ``x_wconf`` its confidence (0-100). Boxes are in the pixels of the page as scanned.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from pipeline.outputs import export
from pipeline.outputs.alto import LANG, Box, ScanPage, scan_pages
from pipeline.record import DocumentResult

HOCR_DIR = "hocr"
XHTML_NS = "http://www.w3.org/1999/xhtml"
PROLOGUE = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
    '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\n'
)
CAPABILITIES = "ocr_page ocr_carea ocr_par ocr_line ocrx_word"


def hocr_path(out_dir: Path, doc_id: str) -> Path:
    return out_dir / HOCR_DIR / f"{doc_id}.hocr"


def write_hocr(out_dir: Path, doc: DocumentResult) -> Path:
    """Write ``OUT/hocr/<doc_id>.hocr`` atomically; returns its path."""
    path = hocr_path(out_dir, doc.doc_id)
    export.atomic_write_bytes(path, hocr_xml(doc))
    return path


def hocr_xml(doc: DocumentResult) -> bytes:
    """The document as hOCR 1.2 (XHTML, UTF-8)."""
    pages = scan_pages(doc)
    # Plain names and xmlns as an attribute: ElementTree's namespace registry is global (see alto.py).
    html = ET.Element("html", {"xmlns": XHTML_NS, "xml:lang": LANG, "lang": LANG})
    head = ET.SubElement(html, "head")
    ET.SubElement(head, "title").text = Path(doc.source_path).name
    ET.SubElement(head, "meta", {"http-equiv": "Content-Type", "content": "text/html;charset=utf-8"})
    ET.SubElement(head, "meta", {"name": "ocr-system", "content": f"sohoa {doc.pipeline_version}"})
    ET.SubElement(head, "meta", {"name": "ocr-capabilities", "content": CAPABILITIES})
    ET.SubElement(head, "meta", {"name": "ocr-langs", "content": LANG})
    ET.SubElement(head, "meta", {"name": "ocr-number-of-pages", "content": str(len(pages))})
    body = ET.SubElement(html, "body")
    for page in pages:
        _page(body, page, Path(doc.source_path).name)
    ET.indent(html, space=" ")
    return (PROLOGUE + ET.tostring(html, encoding="unicode")).encode("utf-8")


def _page(body: ET.Element, page: ScanPage, image: str) -> None:
    title = [f'image "{image.replace(chr(34), "")}"']
    if page.width and page.height:
        title.append(f"bbox 0 0 {page.width} {page.height}")
    title.append(f"ppageno {page.number - 1}")
    if page.dpi:
        title.append(f"scan_res {page.dpi} {page.dpi}")
    element = ET.SubElement(
        body, "div", {"class": "ocr_page", "id": f"page_{page.number}", "title": "; ".join(title)}
    )
    angle = page.text_rotation
    for n, block in enumerate(page.blocks, start=1):
        area = ET.SubElement(
            element,
            "div",
            {"class": "ocr_carea", "id": f"page_{page.number}_block_{n}", "title": _bbox(block.box)},
        )
        # A paragraph per block: readers such as OCRmyPDF look for lines inside ``p.ocr_par`` only.
        par = ET.SubElement(
            area, "p", {"class": "ocr_par", "id": f"page_{page.number}_par_{n}", "title": _bbox(block.box)}
        )
        for line in block.lines:
            line_title = _bbox(line.box) + (f"; textangle {angle:g}" if angle else "")
            span = ET.SubElement(
                par, "span", {"class": "ocr_line", "id": f"line_{line.index}", "title": line_title}
            )
            for k, word in enumerate(line.words, start=1):
                word_title = f"{_bbox(word.box)}; x_wconf {round(word.confidence * 100)}"
                attrs = {"class": "ocrx_word", "id": f"line_{line.index}_word_{k}", "title": word_title}
                ET.SubElement(span, "span", attrs).text = word.content


def _bbox(box: Box) -> str:
    return "bbox {} {} {} {}".format(*box)
