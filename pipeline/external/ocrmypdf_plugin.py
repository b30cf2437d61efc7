"""The OCRmyPDF plugin of :mod:`pipeline.external.ocrmypdf`: the ``sohoa`` OCR engine and a blank raster.

OCRmyPDF loads this module by name for sohoa's runs only. Its engine reads nothing from the page image:
for page N it returns the text layer sohoa computed (``pipeline.outputs.searchable_pdf``), which OCRmyPDF
renders as invisible text and grafts under the page. Since no pixels are read, the page "raster" OCRmyPDF
asks for is a blank page of the right size, not a rendering (rendering every page only to throw it away
took seconds per page).
"""

from __future__ import annotations

from pathlib import Path

import pikepdf
from ocrmypdf import hookimpl
from ocrmypdf.hocrtransform import BoundingBox, OcrClass, OcrElement
from ocrmypdf.pluginspec import OcrEngine, OrientationConfidence
from PIL import Image

from pipeline import __version__
from pipeline.external.ocrmypdf import ENGINE, LANGUAGE, layers_of


class SohoaEngine(OcrEngine):
    """Returns the text layer sohoa computed for the page; reads nothing from the page image."""

    @staticmethod
    def version() -> str:
        return __version__

    @staticmethod
    def creator_tag(options) -> str:
        return f"sohoa {__version__} (Tesseract OCR, restored Vietnamese text)"

    def __str__(self) -> str:
        return f"sohoa {__version__}"

    @staticmethod
    def languages(options) -> set[str]:
        return {LANGUAGE}

    @staticmethod
    def get_orientation(input_file: Path, options) -> OrientationConfidence:
        return OrientationConfidence(angle=0, confidence=0.0)

    @staticmethod
    def supports_generate_ocr() -> bool:
        return True

    @staticmethod
    def generate_ocr(input_file: Path, options, page_number: int = 0) -> tuple[OcrElement, str]:
        layers = layers_of(options.output_file)
        page = layers[page_number] if page_number < len(layers) else None
        if page is None:  # a page sohoa could not read: no text, the page's size from its raster
            with Image.open(input_file) as image:
                width, height = image.size
                dpi = float((image.info.get("dpi") or (72.0,))[0])
            page = OcrElement(
                ocr_class=OcrClass.PAGE,
                bbox=BoundingBox(0, 0, width, height),
                dpi=dpi,
                page_number=page_number,
            )
        text = "\n".join(" ".join(w.text for w in line.words) for line in page.lines)
        return page, text

    @staticmethod
    def generate_hocr(input_file: Path, output_hocr: Path, output_text: Path, options) -> None:
        raise NotImplementedError("the sohoa engine gives OcrElement pages (generate_ocr)")

    @staticmethod
    def generate_pdf(input_file: Path, output_pdf: Path, output_text: Path, options) -> None:
        raise NotImplementedError("the sohoa engine gives OcrElement pages (generate_ocr)")


@hookimpl
def get_ocr_engine(options):
    if options is not None and getattr(options, "ocr_engine", None) != ENGINE:
        return None
    return SohoaEngine()


@hookimpl
def rasterize_pdf_page(
    input_file,
    output_file,
    raster_device,
    raster_dpi,
    pageno,
    page_dpi,
    rotation,
    filter_vector,
    stop_on_soft_error,
    options,
    use_cropbox,
):
    """A blank page where OCRmyPDF would render the page for the engine (which reads no pixels)."""
    if options is None or getattr(options, "ocr_engine", None) != ENGINE:
        return None
    with pikepdf.open(input_file) as pdf:
        page = pdf.pages[pageno - 1]
        box = [float(v) for v in (page.cropbox if use_cropbox else page.mediabox)]
        turned = (int(page.obj.get("/Rotate", 0)) + int(rotation or 0)) % 180 == 90
    width, height = abs(box[2] - box[0]), abs(box[3] - box[1])
    if turned:
        width, height = height, width
    size = (max(1, round(width * float(raster_dpi.x) / 72)), max(1, round(height * float(raster_dpi.y) / 72)))
    dpi = page_dpi or raster_dpi
    Image.new("1", size, 1).save(output_file, "PNG", dpi=(float(dpi.x), float(dpi.y)))
    return output_file
