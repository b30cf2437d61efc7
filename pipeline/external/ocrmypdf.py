"""The only module that runs OCRmyPDF (and, through it, Ghostscript): a scan with sohoa's text layer as PDF/A.

OCRmyPDF does the PDF work sohoa should not redo: it keeps every page of its input as it is (the image
streams are copied, never decoded and re-encoded), grafts an invisible text layer under each page, and
makes the file PDF/A-2b with XMP metadata (by declaring it, with pikepdf, when the file already complies,
which is the usual case for a scan; through Ghostscript otherwise, told to pass JPEGs through and to
keep other images lossless). Its OCR step is a plugin: this module is an OCRmyPDF plugin whose OCR
engine, ``sohoa`` (:mod:`pipeline.external.ocrmypdf_plugin`), looks at no pixels but returns for page N
the text layer it was handed here (OCRmyPDF's ``OcrElement``, a hOCR page as objects); the same plugin
gives OCRmyPDF a blank page where it would render each page for the engine to read. Importing this
module does not import OCRmyPDF: the main process of a run only checks that it is there.

Ghostscript 10.0 to 10.02 (Debian 12 ships 10.0.0) corrupts PDFs that already carry text, so OCRmyPDF
refuses to combine it with replacing a text layer: a PDF with text of its own gets its invisible text
replaced (``mode="redo"``) and PDF/A from pikepdf alone, and when pikepdf cannot make that file PDF/A
the run fails with a one-line reason rather than writing a file that is not what it claims.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import shutil
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

from pipeline.errors import MissingDependencyError, RunRefused, SohoaError

ENGINE = "sohoa"
LANGUAGE = "vie"
PDFA = "pdfa-2"

PLUGIN = "pipeline.external.ocrmypdf_plugin"

# The text layers of the runs in progress, by output file (the engine is told nothing else).
_layers: dict[str, Sequence[object | None]] = {}
_lock = threading.Lock()


class PdfError(SohoaError):
    """OCRmyPDF could not make the PDF; the message is the one-line reason."""


def check() -> None:
    """Refuse the run when OCRmyPDF or Ghostscript is missing (``sohoa run --pdf`` needs both)."""
    if importlib.util.find_spec("ocrmypdf") is None:
        raise RunRefused("OCRmyPDF is not installed (it needs Python 3.11 or newer: pip install ocrmypdf)")
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
        "plugins": [PLUGIN],
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


def layers_of(output_pdf: object) -> Sequence[object | None]:
    """The text layers handed to the run writing ``output_pdf`` (for the plugin's engine)."""
    with _lock:
        return _layers.get(str(output_pdf), ())


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
