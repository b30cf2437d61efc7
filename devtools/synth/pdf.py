"""Write page images as an image-only PDF (like a scanner's output) or as a multi-page TIFF.

WHY our own small PDF writer: each page is embedded as one JPEG (DCTDecode) whose quality is chosen per
page so that a page stays under a byte budget; Pillow's writer uses one quality for all pages; a
black-and-white page (mode ``1``) can be stored losslessly at one bit per pixel. The files have no text
layer, exactly like archive scans. A generated sample can carry a record of how it was made (JSON) in the
PDF's document information (``/SohoaSynth``) or the TIFF's ImageDescription; ``sample_record`` reads it.
"""

from __future__ import annotations

import io
import json
import zlib
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

MAX_PAGE_BYTES = 400_000
RECORD_KEY = "/SohoaSynth"
_QUALITIES = (75, 68, 60, 52, 45, 38, 30)


def jpeg_bytes(image: Image.Image, max_bytes: int = MAX_PAGE_BYTES, dpi: float | None = None) -> bytes:
    """JPEG of the page at the best quality in ``_QUALITIES`` that fits ``max_bytes`` (else the lowest).
    Grayscale stays one channel; colour uses 4:2:0 chroma subsampling as scanners do."""
    mode = "L" if image.mode in ("1", "L", "LA") else "RGB"
    page = image.convert(mode)
    data = b""
    for quality in _QUALITIES:
        buffer = io.BytesIO()
        extra = {"dpi": (dpi, dpi)} if dpi else {}
        page.save(buffer, "JPEG", quality=quality, subsampling=2, optimize=True, **extra)
        data = buffer.getvalue()
        if len(data) <= max_bytes:
            break
    return data


def _flate_page(image: Image.Image) -> tuple[bytes, str, str]:
    """Lossless-looking Flate stream: gray stays gray; colour is reduced to a 64-colour palette (a clean
    render has only paper, black anti-aliasing, red seal and pen ink), which keeps clean pages small."""
    if image.mode in ("1", "L", "LA"):
        return zlib.compress(image.convert("L").tobytes(), 9), "/DeviceGray", ""
    indexed = image.convert("RGB").quantize(colors=64, method=Image.Quantize.MEDIANCUT)
    palette = bytes(indexed.getpalette()[: 3 * 64]).ljust(3 * 64, b"\0")
    colour = f"[/Indexed /DeviceRGB 63 <{palette.hex()}>]"
    return zlib.compress(indexed.tobytes(), 9), colour, ""


def _encode_page(image: Image.Image, encoding: str, max_bytes: int) -> tuple[bytes, str, str, int]:
    """(stream data, PDF colour space, PDF filter name, bits per component) of one page."""
    if encoding == "flate" and image.mode == "1":  # bilevel: packed rows, 1 is white in both
        return zlib.compress(image.tobytes(), 9), "/DeviceGray", "/FlateDecode", 1
    if encoding == "flate":
        data, colour, _ = _flate_page(image)
        return data, colour, "/FlateDecode", 8
    if encoding != "jpeg":
        raise ValueError(f"unknown PDF image encoding {encoding!r}; expected 'jpeg' or 'flate'")
    colour = "/DeviceGray" if image.mode in ("1", "L", "LA") else "/DeviceRGB"
    return jpeg_bytes(image, max_bytes), colour, "/DCTDecode", 8


def _pdf_objects(pages: list[tuple[bytes, int, int, str, str, int]], dpi: float) -> list[bytes]:
    count = len(pages)
    kids = " ".join(f"{3 + 3 * i} 0 R" for i in range(count))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {count} >>".encode(),
    ]
    for index, (data, width, height, colour, filter_name, bits) in enumerate(pages):
        image_id, content_id = 4 + 3 * index, 5 + 3 * index
        w_pt, h_pt = width * 72.0 / dpi, height * 72.0 / dpi
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {w_pt:.2f} {h_pt:.2f}] "
            f"/Resources << /XObject << /Im{index} {image_id} 0 R >> >> "
            f"/Contents {content_id} 0 R >>".encode()
        )
        objects.append(
            f"<< /Type /XObject /Subtype /Image /Width {width} /Height {height} /ColorSpace {colour} "
            f"/BitsPerComponent {bits} /Filter {filter_name} /Length {len(data)} >>\nstream\n".encode()
            + data
            + b"\nendstream"
        )
        content = f"q {w_pt:.2f} 0 0 {h_pt:.2f} 0 0 cm /Im{index} Do Q".encode()
        objects.append(f"<< /Length {len(content)} >>\nstream\n".encode() + content + b"\nendstream")
    return objects


def write_pdf(
    images: list[Image.Image],
    path: str | Path,
    dpi: float,
    max_page_bytes: int = MAX_PAGE_BYTES,
    encoding: str = "jpeg",
    record: dict | None = None,
) -> Path:
    """Write an image-only PDF, one image per page, page size from pixels and ``dpi``. ``encoding`` is
    ``jpeg`` (quality lowered per page until it fits ``max_page_bytes``) or ``flate`` (no JPEG loss;
    1 bit per pixel for mode ``1`` pages). ``record`` (JSON-ready) goes into the document information."""
    if not images:
        raise ValueError("write_pdf needs at least one page image")
    pages = []
    for image in images:
        data, colour, filter_name, bits = _encode_page(image, encoding, max_page_bytes)
        pages.append((data, image.width, image.height, colour, filter_name, bits))
    objects = _pdf_objects(pages, dpi)
    info = ""
    if record is not None:
        text = json.dumps(record, ensure_ascii=True, sort_keys=True).encode("ascii")
        objects.append(f"<< /Producer (sohoa devtools.synth) {RECORD_KEY} <{text.hex()}> >>".encode())
        info = f" /Info {len(objects)} 0 R"
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(offsets) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(offsets) + 1} /Root 1 0 R{info} >>\nstartxref\n{xref}\n%%EOF\n".encode()
    path = Path(path)
    path.write_bytes(bytes(out))
    return path


def binarize(image: Image.Image) -> Image.Image:
    """Otsu black-and-white version (mode ``1``), as archives store bilevel Group 4 TIFFs."""
    gray = np.asarray(image.convert("L"))
    _, bw = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    out = Image.fromarray(bw).convert("1")
    out.info["dpi"] = image.info.get("dpi", (300, 300))
    return out


def write_tiff(
    images: list[Image.Image],
    path: str | Path,
    dpi: float | None = None,
    bilevel: bool = False,
    *,
    jpeg_quality: int | None = None,
    record: dict | None = None,
) -> Path:
    """Write a multi-page TIFF: Group 4 if ``bilevel`` (pages are binarized), else lossless deflate, or
    JPEG at ``jpeg_quality`` (as many archive scanners store grey pages). ``record`` (JSON-ready) is
    stored as the ImageDescription."""
    if not images:
        raise ValueError("write_tiff needs at least one page image")
    pages = (
        [binarize(im) for im in images]
        if bilevel
        else [im.convert("L" if im.mode == "L" else "RGB") for im in images]
    )
    if dpi is None:
        dpi = float(images[0].info.get("dpi", (300, 300))[0])
    options: dict = {"compression": "group4" if bilevel else "tiff_adobe_deflate"}
    if jpeg_quality is not None and not bilevel:
        options = {"compression": "jpeg", "quality": jpeg_quality}
    if record is not None:
        options["tiffinfo"] = {270: json.dumps(record, ensure_ascii=True, sort_keys=True)}
    path = Path(path)
    pages[0].save(path, save_all=True, append_images=pages[1:], dpi=(dpi, dpi), **options)
    return path


def sample_record(path: str | Path) -> dict | None:
    """The generation record stored in a sample PDF or TIFF by ``write_pdf``/``write_tiff``, if any."""
    path = Path(path)
    head = path.read_bytes()[:4]
    if head == b"%PDF":
        from pypdf import PdfReader  # dev-only dependency, as is this module

        info = PdfReader(path).metadata or {}
        text = info.get(RECORD_KEY)
        return json.loads(str(text)) if text else None
    if head[:2] in (b"II", b"MM"):
        with Image.open(path) as image:
            text = image.tag_v2.get(270)
        return json.loads(text) if text else None
    return None
