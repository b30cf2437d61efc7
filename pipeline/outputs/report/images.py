"""Page images for review and for searchable PDFs, re-rendered from the source file.

The OCR boxes are in the coordinates of the preprocessed page: the scan turned upright (by the page's
``rotation``, a multiple of 90 degrees), then turned back by its measured skew about the page centre. A
review image is turned the same way so boxes line up on it. The searchable PDF keeps each page as it is in
the source (neither turned nor deskewed) and maps the boxes back through the inverse of both instead.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from pipeline.errors import IngestError
from pipeline.scan import ingest, orientation

# preprocess.preprocess_page leaves pages whose measured skew is below this unrotated.
MIN_ROTATION_DEGREES = 0.05


class SourceUnavailable(Exception):
    """The source file is gone, unreadable or no longer the file that was processed."""


def open_source(doc: dict) -> ingest.SourceFile:
    """The document's source file, checked to still have the content the document was made from."""
    path = Path(doc.get("source_path") or "")
    try:
        source = ingest.inspect(path, dpi=_pipeline_dpi(doc))
    except IngestError as exc:
        raise SourceUnavailable(f"{path}: {exc}") from exc
    if doc.get("sha256") and source.sha256 != doc["sha256"]:
        raise SourceUnavailable(f"{path}: the file has changed since it was processed")
    return source


def _pipeline_dpi(doc: dict) -> int:
    dpis = [int(p["dpi"]) for p in doc.get("pages") or [] if p.get("dpi")]
    return max(dpis, default=300)


def was_rotated(page: dict) -> bool:
    return "deskew" in (page.get("preprocess") or []) and abs(page.get("deskew_angle") or 0.0) >= (
        MIN_ROTATION_DEGREES
    )


def rotation_matrix(page: dict, scale: float = 1.0) -> np.ndarray:
    """The 2x3 affine map the pipeline applied: scan pixels (times ``scale``) -> preprocessed pixels."""
    width, height = page["width"] * scale, page["height"] * scale
    angle = -float(page.get("deskew_angle") or 0.0) if was_rotated(page) else 0.0
    return cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)


def load_scan(source: ingest.SourceFile, page: dict, dpi: int) -> Image.Image:
    """The page as scanned (not deskewed) but turned upright as the pipeline turned it, resized to exactly
    the pipeline's page shape scaled to ``dpi``."""
    rgb, _ = ingest.load_page(source, int(page["index"]), dpi)
    image = Image.fromarray(orientation.turn(rgb, int(page.get("rotation") or 0)))
    scale = dpi / float(page.get("dpi") or dpi)
    size = (max(1, round(page["width"] * scale)), max(1, round(page["height"] * scale)))
    if image.size != size:
        image = image.resize(size, Image.Resampling.LANCZOS)
    return image


def review_image(source: ingest.SourceFile, page: dict, width: int = 1000) -> Image.Image:
    """The page about ``width`` px wide, turned like the pipeline turned it, so OCR boxes line up."""
    page_dpi = float(page.get("dpi") or 300)
    dpi = max(20, min(int(page_dpi), round(page_dpi * width / page["width"])))
    image = load_scan(source, page, dpi)
    if was_rotated(page):
        matrix = rotation_matrix(page, image.width / page["width"])
        rotated = cv2.warpAffine(
            np.asarray(image),
            matrix,
            image.size,
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=(255, 255, 255),
        )
        image = Image.fromarray(rotated)
    return image
