"""The only module that runs OCRmyPDF (and, through it, Ghostscript): a scan with sohoa's text layer as PDF/A.

OCRmyPDF does the PDF work sohoa should not redo: it keeps every page of its input as it is (the image
streams are copied, never decoded and re-encoded), grafts an invisible text layer under each page, and
makes the file PDF/A-2b with XMP metadata (by declaring it, with pikepdf, when the file already complies,
which is the usual case for a scan; through Ghostscript otherwise, told to pass JPEGs through and to
keep other images lossless). Its OCR step is a plugin: this module is an OCRmyPDF plugin whose OCR
engine, ``sohoa``, looks at no pixels but returns for page N the text layer it was handed (OCRmyPDF's
``OcrElement``, a hOCR page as objects); the same plugin gives OCRmyPDF a blank page where it would
render each page for the engine to read.

Ghostscript 10.0 to 10.02 (Debian 12 ships 10.0.0) corrupts PDFs that already carry text, so OCRmyPDF
refuses to combine it with replacing a text layer: a PDF with text of its own gets its invisible text
replaced (``mode="redo"``) and PDF/A from pikepdf alone, and when pikepdf cannot make that file PDF/A
the run fails with a one-line reason rather than writing a file that is not what it claims.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

from PIL import Image

from pipeline import __version__
from pipeline.errors import MissingDependencyError, RunRefused, SohoaError

ENGINE = "sohoa"
LANGUAGE = "vie"
PDFA = "pdfa-2"

# The text layers of the runs in progress, by output file (the engine is told nothing else).
_layers: dict[str, Sequence[object | None]] = {}
_lock = threading.Lock()


class PdfError(SohoaError):
    """OCRmyPDF could not make the PDF; the message is the one-line reason."""


def check() -> None:
    """Refuse the run when OCRmyPDF or Ghostscript is missing (``sohoa run --pdf`` needs both)."""
    try:
        import ocrmypdf  # noqa: F401
    except ImportError as exc:
        raise RunRefused(
            "OCRmyPDF is not installed (it needs Python 3.11 or newer: pip install ocrmypdf)"
        ) from exc
    if shutil.which("gs") is None:
        raise MissingDependencyError("Ghostscript", "ghostscript")


def make_pdfa(
    input_pdf: Path,
    output_pdf: Path,
    layers: Sequence[object | None],
    *,
    title: str | None = None,
    author: str | None = None,
    subject: str | None = None,
    keywords: str | None = None,
) -> None:
    """Write ``input_pdf`` with the text layers (one ``OcrElement`` page, or None, per page) as PDF/A-2b.

    Raises PdfError with a one-line reason.
    """
    import ocrmypdf
    from ocrmypdf.exceptions import ExitCodeException, PdfaConversionFailedError

    key = str(output_pdf)
    with _lock:
        _layers[key] = layers
    options = {
        "plugins": [__name__],
        "ocr_engine": ENGINE,
        "language": [LANGUAGE],
        "output_type": PDFA,
        "pdf_renderer": "fpdf2",
        "optimize": 0,  # no image optimisation: the scans stay byte for byte as they are
        "jobs": 1,  # sohoa's parallelism is its worker processes
        "use_threads": True,
        "progress_bar": False,
        "invalidate_digital_signatures": True,  # a copy for searching; the signed original is untouched
        "tagged_pdf_mode": "ignore",
        "title": _clean(title),
        "author": _clean(author),
        "subject": _clean(subject),
        "keywords": _clean(keywords),
    }
    try:
        with _quiet():
            try:
                _ocr(ocrmypdf, input_pdf, output_pdf, options, BACKENDS[0])
            except PdfaConversionFailedError:
                _ocr(ocrmypdf, input_pdf, output_pdf, options, BACKENDS[1])
    except ExitCodeException as exc:
        raise PdfError(_reason(exc)) from exc
    finally:
        with _lock:
            _layers.pop(key, None)


# PDF/A by pikepdf first: it only declares and repairs, so every image stays as it is. Ghostscript, when
# pikepdf cannot vouch for the result, rewrites the file: told to pass JPEGs through and keep the rest
# lossless (its default would re-encode greyscale and colour images as JPEG).
BACKENDS = (
    {"pdfa_backend": "internal"},
    {"pdfa_backend": "ghostscript", "pdfa_image_compression": "lossless"},
)


def _ocr(ocrmypdf, input_pdf: Path, output_pdf: Path, options: dict, backend: dict) -> None:
    """One OCRmyPDF run; a PDF with text of its own gets that text replaced (its invisible text removed)."""
    try:
        ocrmypdf.ocr(input_pdf, output_pdf, **options, **backend)
    except ocrmypdf.exceptions.PriorOcrFoundError:
        ocrmypdf.ocr(input_pdf, output_pdf, mode="redo", **options, **backend)


def _clean(text: str | None) -> str | None:
    """Metadata text as OCRmyPDF takes it: one line, no characters outside the Basic Multilingual Plane."""
    if not text:
        return None
    line = " ".join(str(text).split())
    return "".join(c for c in line if ord(c) < 0x10000 and not 0xE000 <= ord(c) <= 0xF8FF) or None


def _reason(exc: Exception) -> str:
    message = " ".join(str(exc).split())
    return f"OCRmyPDF: {type(exc).__name__}" + (f": {message}" if message else "")


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """OCRmyPDF's progress messages stay out of sohoa's log; its errors come back as exceptions."""
    logger = logging.getLogger("ocrmypdf")
    level, propagate = logger.level, logger.propagate
    logger.setLevel(logging.CRITICAL)
    logger.propagate = False
    try:
        yield
    finally:
        logger.setLevel(level)
        logger.propagate = propagate


# --- the OCRmyPDF plugin -------------------------------------------------------------------------------

try:
    from ocrmypdf import hookimpl
    from ocrmypdf.hocrtransform import BoundingBox, OcrClass, OcrElement
    from ocrmypdf.pluginspec import OcrEngine, OrientationConfidence
except ImportError:  # sohoa runs without OCRmyPDF until --pdf is asked for (check() says what to install)
    pass
else:

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
            with _lock:
                layers = _layers.get(str(options.output_file), ())
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
        """The sohoa engine reads no pixels: the page 'raster' it is given is a blank page of the right size
        (rendering every page only to throw it away took seconds per page)."""
        if options is None or getattr(options, "ocr_engine", None) != ENGINE:
            return None
        import pikepdf

        with pikepdf.open(input_file) as pdf:
            page = pdf.pages[pageno - 1]
            box = [float(v) for v in (page.cropbox if use_cropbox else page.mediabox)]
            turn = (int(page.obj.get("/Rotate", 0)) + int(rotation or 0)) % 180
        width, height = abs(box[2] - box[0]), abs(box[3] - box[1])
        if turn == 90:
            width, height = height, width
        size = (
            max(1, round(width * float(raster_dpi.x) / 72)),
            max(1, round(height * float(raster_dpi.y) / 72)),
        )
        dpi = page_dpi or raster_dpi
        Image.new("1", size, 1).save(output_file, "PNG", dpi=(float(dpi.x), float(dpi.y)))
        return output_file

    @hookimpl
    def get_ocr_engine(options):
        if options is not None and getattr(options, "ocr_engine", None) != ENGINE:
            return None
        return SohoaEngine()
