"""A scanned PDF page's own image, read from the file instead of rendering the page.

A scanner's PDF page is one image drawn over the whole page and nothing else. Rendering such a page with
poppler at the image's own resolution decodes the image and copies it pixel for pixel, at about 0.8 s of
CPU for an A4 colour page at 300 dpi; decoding the image stream directly gives the same pixels in about a
tenth of that. This is done only when the page is exactly that: its content draws one image, upright
(``cm`` without turn or flip) over its whole media box, nothing else (no text, no vector drawing, no
mask, no decode array, no page rotation, no crop), and the image's resolution on the page is the
resolution asked for. Any other page, or a PDF that pikepdf (installed with OCRmyPDF) cannot read, is
rendered by poppler as before: :func:`page_image` then returns None.
"""

from __future__ import annotations

from decimal import Decimal

import cv2
import numpy as np

# The image must cover the page to within this many points (1/72 in) at each edge ...
EDGE_TOLERANCE_PT = 1.0
# ... and its resolution must be the one asked for to within this share (A4 at 300 dpi: 2480 px).
DPI_TOLERANCE = 0.005
# Stream filters decoded here: JPEG with OpenCV, the others (lossless) through pikepdf.
_JPEG = "/DCTDecode"
_LOSSLESS = ("/FlateDecode", "/CCITTFaxDecode")
_COLOUR_SPACES = ("/DeviceGray", "/DeviceRGB")
_DRAWING = ("q", "Q", "cm", "Do")  # the only operators a scanner's page needs


def page_image(path, index: int, dpi: int, max_pixels: int) -> np.ndarray | None:
    """Page ``index`` (0-based) as an RGB array when it is a single full-page image at ``dpi``, else None."""
    try:
        import pikepdf
    except ImportError:
        return None
    try:
        with pikepdf.open(path) as pdf:
            if index >= len(pdf.pages):
                return None
            stream = _single_image(pdf.pages[index], dpi, max_pixels)
            return None if stream is None else _decode(stream)
    except Exception:  # anything unusual: poppler renders the page and reports its problems
        return None


def _single_image(page, dpi: int, max_pixels: int):
    """The page's image stream if the page is nothing but that image, upright, at ``dpi``."""
    obj = page.obj
    if int(obj.get("/Rotate", 0)) % 360 or "/CropBox" in obj and list(obj.CropBox) != list(obj.MediaBox):
        return None
    resources = obj.get("/Resources")
    if resources is None or set(resources.keys()) - {"/XObject", "/ProcSet"}:
        return None  # fonts, patterns, graphics states ...: there is more than an image on the page
    xobjects = resources.get("/XObject") or {}
    instructions = [(str(op), list(operands)) for operands, op in _parse(page)]
    if any(op not in _DRAWING for op, _ in instructions):
        return None
    draws = [operands[0] for op, operands in instructions if op == "Do"]
    matrices = [operands for op, operands in instructions if op == "cm"]
    if len(draws) != 1 or len(matrices) != 1 or len(xobjects) != 1 or str(draws[0]) not in xobjects:
        return None
    image = xobjects[str(draws[0])]
    if not _plain_image(image) or not _covers_page(matrices[0], obj.MediaBox):
        return None
    width, height = int(image.Width), int(image.Height)
    x0, y0, x1, y1 = (float(v) for v in obj.MediaBox)
    native = width / ((x1 - x0) / 72.0)
    if abs(native - dpi) > DPI_TOLERANCE * dpi or width * height > max_pixels:
        return None
    if abs(height / ((y1 - y0) / 72.0) - native) > DPI_TOLERANCE * dpi:
        return None  # not square pixels
    return image


def _parse(page):
    import pikepdf

    return pikepdf.parse_content_stream(page)


def _plain_image(image) -> bool:
    """An 8-bit grey or RGB image (or 1-bit grey) without masks, decode arrays or colour tricks."""
    if str(image.get("/Subtype")) != "/Image" or bool(image.get("/ImageMask", False)):
        return False
    if any(key in image for key in ("/SMask", "/Mask", "/Decode", "/SMaskInData")):
        return False
    filters = image.get("/Filter")
    filters = [str(f) for f in filters] if _is_array(filters) else [str(filters)]
    if len(filters) != 1 or filters[0] not in (_JPEG, *_LOSSLESS):
        return False
    params = image.get("/DecodeParms")
    if filters[0] == _JPEG and params is not None and "/ColorTransform" in params:
        return False
    bits = int(image.get("/BitsPerComponent", 8))
    space = str(image.get("/ColorSpace"))
    return space in _COLOUR_SPACES and (bits == 8 or (bits == 1 and space == "/DeviceGray"))


def _is_array(value) -> bool:
    import pikepdf

    return isinstance(value, pikepdf.Array)


def _covers_page(matrix: list, media_box) -> bool:
    """``cm`` scales the unit square onto the media box: no turn, no flip, no offset."""
    a, b, c, d, e, f = (float(v) if isinstance(v, int | float | Decimal) else float(str(v)) for v in matrix)
    x0, y0, x1, y1 = (float(v) for v in media_box)
    tol = EDGE_TOLERANCE_PT
    return (
        b == 0
        and c == 0
        and abs(e - x0) <= tol
        and abs(f - y0) <= tol
        and abs(a - (x1 - x0)) <= tol
        and abs(d - (y1 - y0)) <= tol
    )


def _decode(image) -> np.ndarray | None:
    """The image's pixels as RGB."""
    filters = image.get("/Filter")
    name = str(filters[0]) if _is_array(filters) else str(filters)
    if name == _JPEG:
        data = np.frombuffer(image.read_raw_bytes(), dtype=np.uint8)
        decoded = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
        if decoded is None:
            return None
        if decoded.ndim == 2:
            return cv2.cvtColor(decoded, cv2.COLOR_GRAY2RGB)
        if decoded.shape[2] != 3:
            return None
        return cv2.cvtColor(decoded, cv2.COLOR_BGR2RGB)
    import pikepdf

    pil = pikepdf.PdfImage(image).as_pil_image()
    if pil.mode == "1":
        grey = np.asarray(pil.convert("L"))
        return cv2.cvtColor(grey, cv2.COLOR_GRAY2RGB)
    return np.asarray(pil.convert("RGB"))
