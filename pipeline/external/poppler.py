"""Wrapper around poppler (through pdf2image): page counts and one-page rasterisation.

Poppler's messages are long and technical; this module turns them into the one-line reasons an archivist
can act on (password needed, damaged file, no pages), and caps the raster size so a poster-sized page
cannot exhaust memory.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
from pdf2image import convert_from_path, pdfinfo_from_path
from pdf2image.exceptions import PDFInfoNotInstalledError, PDFPageCountError, PDFSyntaxError

from pipeline.errors import MissingDependencyError, PopplerError

# Rendering one page of a normal scan takes well under a second; a minute means a pathological file.
RENDER_TIMEOUT_S = 120


def page_count(path: Path) -> int:
    """Number of pages, or PopplerError saying why the PDF cannot be opened."""
    info = _pdfinfo(path)
    return int(info.get("Pages", 0) or 0)


def _pdfinfo(path: Path, page: int | None = None) -> dict:
    try:
        if page is None:
            return pdfinfo_from_path(str(path), timeout=RENDER_TIMEOUT_S)
        return pdfinfo_from_path(str(path), first_page=page, last_page=page, timeout=RENDER_TIMEOUT_S)
    except PDFInfoNotInstalledError as exc:
        raise MissingDependencyError("poppler (pdfinfo)", "poppler-utils") from exc
    except (PDFPageCountError, PDFSyntaxError, ValueError) as exc:
        raise PopplerError(_reason(str(exc))) from exc


def _reason(message: str) -> str:
    text = message.lower()
    if "incorrect password" in text or "encrypted" in text:
        return "encrypted PDF: a password is needed to open it"
    if "invalid page count 0" in text or "wrong page range" in text:
        return "PDF has no pages"
    detail = [ln.strip() for ln in message.splitlines() if ln.strip() and "page count" not in ln.lower()]
    return "corrupt or truncated PDF" + (f" ({detail[0]})" if detail else "")


def page_size_points(path: Path, index: int) -> tuple[float, float]:
    """Width and height of page ``index`` (0-based) in PDF points, rotation applied."""
    info = _pdfinfo(path, index + 1)
    size = next((v for k, v in info.items() if k.startswith("Page") and k.endswith("size")), "")
    match = re.match(r"\s*([\d.]+) x ([\d.]+)", str(size))
    if not match:
        return 595.0, 842.0  # assume A4 when poppler does not say
    width, height = float(match.group(1)), float(match.group(2))
    rotation = next((v for k, v in info.items() if k.startswith("Page") and k.endswith("rot")), "0")
    return (height, width) if str(rotation).strip() in ("90", "270") else (width, height)


def render_page(path: Path, index: int, *, dpi: int, max_pixels: int) -> tuple[np.ndarray, int]:
    """Page ``index`` as an RGB array, at ``dpi`` or lower when the page would exceed ``max_pixels``."""
    width_pt, height_pt = page_size_points(path, index)
    area_in2 = (width_pt / 72.0) * (height_pt / 72.0)
    dpi = max(1, min(dpi, int(math.sqrt(max_pixels / max(area_in2, 1e-6)))))
    try:
        images = convert_from_path(
            str(path), dpi=dpi, first_page=index + 1, last_page=index + 1, timeout=RENDER_TIMEOUT_S
        )
    except (PDFPageCountError, PDFSyntaxError, ValueError) as exc:
        raise PopplerError(_reason(str(exc))) from exc
    except Exception as exc:  # pdf2image surfaces subprocess failures and timeouts as plain exceptions
        raise PopplerError(f"could not render PDF page {index + 1}: {exc}") from exc
    if not images:
        raise PopplerError(f"could not render PDF page {index + 1}: poppler returned no image")
    return np.asarray(images[0].convert("RGB")), dpi
