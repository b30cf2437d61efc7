"""Stage 1: find input files, tell what they are from their bytes, and hand out their pages.

Archive folders hold PDFs, TIFF/PNG/JPEG scans and old OCR text dumps, often with wrong or missing
extensions, so the kind of a file is read from its first bytes, never from its name. Every problem with a
file becomes an :class:`IngestError` with a one-line message meant for an archivist; the batch records it
and moves on. Pages are loaded one at a time (a PDF page is rasterised only when its worker asks for it)
so memory does not grow with the size of a document.
"""

from __future__ import annotations

import codecs
import hashlib
import math
import os
import re
import stat
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from pipeline.errors import IngestError
from pipeline.external import poppler
from pipeline.logs import get_logger
from pipeline.scan import pdf_image, text_encoding

# A4 at 600 dpi is 35 Mpx; anything far above that is not a page scan we can OCR sensibly.
MAX_PAGE_PIXELS = 60_000_000
# Above this, decoding alone would take gigabytes: refuse instead of downscaling.
MAX_DECODE_PIXELS = 150_000_000
DEFAULT_IMAGE_DPI = 300
# Below this many pixels a side, a page cannot hold a readable letter (and preprocessing cannot scale it).
MIN_PAGE_SIDE = 16
# Ground-truth transcriptions (tesstrain's ``.gt.txt`` convention, and ``.gold.txt``) sit beside scans in
# sample and evaluation folders; they are answers, not inputs.
GROUND_TRUTH_SUFFIXES = (".gt.txt", ".gold.txt")


KIND_PDF = "pdf"
KIND_TIFF = "tiff"
KIND_PNG = "png"
KIND_JPEG = "jpeg"
KIND_TEXT = "text"
IMAGE_KINDS = (KIND_TIFF, KIND_PNG, KIND_JPEG)
_EXTENSIONS = {
    KIND_PDF: {".pdf"},
    KIND_TIFF: {".tif", ".tiff"},
    KIND_PNG: {".png"},
    KIND_JPEG: {".jpg", ".jpeg", ".jpe"},
    KIND_TEXT: {".txt", ".text", ""},
}


@dataclass(frozen=True)
class DiscoveredPath:
    """A path found under the inputs, or the reason a folder entry could not be listed or read."""

    path: Path
    error: str | None = None


@dataclass
class SourceFile:
    """What ingest learned about one input file before any page is loaded."""

    path: Path
    kind: str
    sha256: str
    size: int
    n_pages: int
    dpi: int
    warnings: list[str] = field(default_factory=list)
    text_encoding: str | None = None

    @property
    def doc_id(self) -> str:
        """Stable identity: the content hash, so renaming or moving a file keeps its document."""
        return self.sha256[:16]


_CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f]")


def display_path(path: str | bytes | os.PathLike) -> str:
    """A path as text that UTF-8 files (JSON, SQLite, Parquet, logs) can hold, readable by people.

    Names that are not valid UTF-8 reach Python with their bad bytes as lone surrogates, which no UTF-8
    writer accepts; they are shown with each such byte as ``\\xNN`` (``b\\xe1o_cao.pdf``). Control
    characters (a newline, a terminal escape) are shown the same way, so a name is always one harmless
    line. Other names are returned unchanged, so this is also a no-op on its own output.
    """
    name = os.fspath(path)
    if isinstance(name, bytes):
        name = name.decode("utf-8", "backslashreplace")
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        try:
            raw = name.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:  # surrogates that did not come from undecodable bytes
            raw = name.encode("utf-8", "backslashreplace")
        name = raw.decode("utf-8", "backslashreplace")
    return _CONTROL_CHARACTERS.sub(lambda m: f"\\x{ord(m.group()):02x}", name)


def discover(inputs: Iterable[Path]) -> Iterator[DiscoveredPath]:
    """Yield the files under ``inputs`` (recursively, sorted), with unreadable entries as errors.

    Unreadable folders are reported, not skipped: an archivist must see that a part of the archive was
    never looked at. Symbolic links to folders are followed, but every folder is read once: a link back
    up the tree (``sub/up -> ..``) or a second link to a folder already read is skipped.
    """
    seen: set[tuple[int, int]] = set()
    for root in inputs:
        root = Path(root)
        if not root.exists():
            yield DiscoveredPath(root, "no such file or folder")
        elif root.is_dir():
            yield from _walk(root, seen)
        else:
            yield DiscoveredPath(root)


def _walk(top: Path, seen: set[tuple[int, int]]) -> Iterator[DiscoveredPath]:
    """Depth-first, in name order, without recursion (archives can nest deeper than Python's stack)."""
    stack: list[Iterator[os.DirEntry]] = []
    listed = _list_folder(top, seen)
    if isinstance(listed, DiscoveredPath):
        yield listed
    elif listed is not None:
        stack.append(iter(listed))
    while stack:
        entry = next(stack[-1], None)
        if entry is None:
            stack.pop()
            continue
        if entry.name.startswith("."):
            continue
        path = Path(entry.path)
        try:
            is_dir = entry.is_dir()
        except OSError as exc:
            yield DiscoveredPath(path, f"cannot read entry: {exc.strerror or exc}")
            continue
        if not is_dir:
            if not entry.name.lower().endswith(GROUND_TRUTH_SUFFIXES):
                yield DiscoveredPath(path)
            continue
        listed = _list_folder(path, seen)
        if isinstance(listed, DiscoveredPath):
            yield listed
        elif listed is not None:
            stack.append(iter(listed))


def _list_folder(folder: Path, seen: set[tuple[int, int]]) -> list[os.DirEntry] | DiscoveredPath | None:
    """A folder's entries sorted by name; None when it was read already, an error when it cannot be."""
    try:
        st = folder.stat()
        if (st.st_dev, st.st_ino) in seen:
            get_logger().info(
                "%s: folder already read (a link back into the archive), skipped",
                display_path(folder),
                extra={"event": "folder_skipped", "path": display_path(folder)},
            )
            return None
        seen.add((st.st_dev, st.st_ino))
        with os.scandir(folder) as it:
            return sorted(it, key=lambda e: e.name)
    except OSError as exc:
        return DiscoveredPath(folder, f"cannot list folder: {exc.strerror or exc}")


def sniff_kind(head: bytes) -> str | None:
    """The kind of a file from its first bytes, or None when it is none of the kinds we read."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return KIND_PNG
    if head.startswith(b"\xff\xd8\xff"):
        return KIND_JPEG
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return KIND_TIFF
    # The PDF header may be preceded by junk; readers accept it within the first kilobyte.
    if b"%PDF-" in head[:1024]:
        return KIND_PDF
    if _looks_like_text(head):
        return KIND_TEXT
    return None


def _looks_like_text(head: bytes) -> bool:
    """Text (UTF-8, an 8-bit encoding, or UTF-16) has almost no control bytes, and NUL bytes only as UTF-16.

    Every 8-bit encoding counts as text here, so that an unrecognised one gets a reason about its encoding
    rather than "unknown type".
    """
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF8)):
        return True
    if text_encoding.utf16_without_bom(head[: len(head) - len(head) % 2]) is not None:
        return True
    if b"\x00" in head:
        return False
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    return controls <= len(head) // 100


def inspect(path: Path, *, dpi: int = 300) -> SourceFile:
    """Read a file's identity (hash, kind, page count) or raise IngestError saying why it is unusable."""
    try:
        st = path.stat()
    except OSError as exc:
        raise IngestError(f"cannot read file: {exc.strerror or exc}") from exc
    if not stat.S_ISREG(st.st_mode):
        raise IngestError("not a regular file")
    if st.st_size == 0:
        raise IngestError("empty file (0 bytes)")
    try:
        with path.open("rb") as fh:
            head = fh.read(4096)
        digest = _sha256(path)
    except OSError as exc:
        raise IngestError(f"cannot read file: {exc.strerror or exc}") from exc
    kind = sniff_kind(head)
    if kind is None:
        raise IngestError("unsupported file type (not PDF, TIFF, PNG, JPEG or text)")
    warnings = _extension_warnings(path, kind)
    source = SourceFile(path, kind, digest, st.st_size, n_pages=0, dpi=dpi, warnings=warnings)
    if kind == KIND_PDF:
        source.n_pages = poppler.page_count(path)
        if source.n_pages == 0:
            raise IngestError("PDF has no pages")
    elif kind in IMAGE_KINDS:
        source.n_pages, source.dpi, note = _image_pages(path)
        source.warnings += [note] if note else []
    else:
        source.n_pages = 1
        source.text_encoding = _text_encoding(path)
    return source


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _extension_warnings(path: Path, kind: str) -> list[str]:
    suffix = path.suffix.lower()
    known = set().union(*_EXTENSIONS.values())
    if suffix in known and suffix not in _EXTENSIONS[kind]:
        return [f"extension {suffix} but content is {kind.upper()}; read as {kind.upper()}"]
    return []


@contextmanager
def _open_image(path: Path) -> Iterator[Image.Image]:
    """Open an image without PIL's decompression-bomb check, only for this call.

    Sizes are checked here (with a clear message) before anything is decoded; PIL's own check would only
    say "decompression bomb". It is lifted per call rather than at import, so importing sohoa changes
    nothing for the rest of the process.
    """
    limit = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = None
    try:
        with Image.open(path) as im:
            yield im
    finally:
        Image.MAX_IMAGE_PIXELS = limit


def _image_pages(path: Path) -> tuple[int, int, str | None]:
    """(frames, resolution, a note when the recorded resolution was not used)."""
    try:
        with _open_image(path) as im:
            n = getattr(im, "n_frames", 1)
            for index in range(n):
                im.seek(index)
                _check_pixels(im.width, im.height, im.format)
            recorded = im.info.get("dpi", (None, None))[0]
            im.seek(0)
            width, height = im.width, im.height
    except IngestError:
        raise
    except Exception as exc:  # PIL raises many kinds for broken files
        raise IngestError(f"corrupt or unreadable image: {_pil_reason(exc, path)}") from exc
    return (n, *page_dpi(recorded, width, height))


# A page's shorter side, in inches, on the paper administrative documents come on (A5 5.8 to A3 11.7);
# an A4 page's (Decree 30/2020/NĐ-CP prescribes A4). Sides in the A-series ratio, or near it (letter 1.29).
PAGE_SHORT_SIDE_INCHES = (5.0, 12.5)
A4_SHORT_SIDE_INCHES = 8.27
PAGE_RATIO = (1.2, 1.6)


def page_dpi(recorded: object, width: int, height: int) -> tuple[int, str | None]:
    """The resolution to read a page image at, and a note when it is not the one the file records.

    Why: the recorded resolution is often wrong or absent. Cameras and many scanner drivers write 72 or
    96 dpi into a 300-dpi page, and a PNG may record none; the page was then read as a 34-inch (or a
    4-inch) page, every size-based step (line finding, speck removal) was off by that factor, and the
    page read far worse than plain Tesseract reads it (CER 6.4 % against 0.2 % for the same scans).
    An image shaped like a page whose recorded resolution makes it no paper size is taken as A4; an
    image shaped like no page (a strip, a crop) keeps the recorded resolution, or the default."""
    dpi = float(recorded) if isinstance(recorded, int | float) and recorded >= 50 else None
    short, long = sorted((width, height))
    if not PAGE_RATIO[0] <= long / max(short, 1) <= PAGE_RATIO[1]:
        return (round(dpi) if dpi else DEFAULT_IMAGE_DPI), None
    if dpi and PAGE_SHORT_SIDE_INCHES[0] <= short / dpi <= PAGE_SHORT_SIDE_INCHES[1]:
        return round(dpi), None
    inferred = max(50, round(short / A4_SHORT_SIDE_INCHES))
    said = f"records {dpi:.0f} dpi" if dpi else "records no resolution"
    return inferred, f"the image {said}; read as an A4 page at {inferred} dpi"


def _pil_reason(exc: Exception, path: Path) -> str:
    """PIL's message, on one line, without the file name it sometimes quotes (the row names the file)."""
    text = str(exc).replace(f" {os.fspath(path)!r}", "").replace(os.fspath(path), "the file")
    return " ".join(text.split()) or type(exc).__name__


def _check_pixels(width: int, height: int, fmt: str | None) -> None:
    pixels = width * height
    # JPEG can be decoded at 1/2, 1/4 or 1/8 size, so large JPEGs are downscaled while decoding.
    limit = MAX_DECODE_PIXELS * (64 if fmt == "JPEG" else 1)
    if pixels > limit:
        raise IngestError(
            f"image too large: {width}x{height} px ({pixels / 1e6:.0f} Mpx, limit "
            f"{MAX_DECODE_PIXELS / 1e6:.0f} Mpx); rescan at 300-600 dpi or split it"
        )


def _text_encoding(path: Path) -> str:
    """The encoding of a text dump (UTF-8, UTF-16, Windows-1258, TCVN3, VNI); TextEncodingError if unknown."""
    data = path.read_bytes()
    encoding = text_encoding.detect_encoding(data)
    text_encoding.decode_as(data, encoding)  # a BOM before other bytes fails here, not later in a worker
    return encoding


def read_text(source: SourceFile) -> str:
    """The decoded text of a text dump, with line endings unified to ``\\n``.

    Raises TextEncodingError (an IngestError) if the file no longer decodes in the encoding found by
    :func:`inspect`.
    """
    text = text_encoding.decode_as(source.path.read_bytes(), source.text_encoding or text_encoding.UTF8)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def load_page(source: SourceFile, index: int, dpi: int) -> tuple[np.ndarray, int]:
    """Page ``index`` (0-based) as an RGB array, and the resolution it is at.

    Pages that would exceed MAX_PAGE_PIXELS are rendered or scaled down to fit, and the lower resolution
    is returned so that the record says what Tesseract really saw. A page too small to hold a letter (a
    damaged PDF page renders as 1x1 px) is an IngestError, not food for the preprocessing.
    """
    if source.kind == KIND_PDF:
        # A scanner's page (one image at the resolution asked for) is read as it is stored, not rendered.
        page = pdf_image.page_image(source.path, index, dpi, MAX_PAGE_PIXELS)
        if page is None:
            page, dpi = poppler.render_page(source.path, index, dpi=dpi, max_pixels=MAX_PAGE_PIXELS)
    elif source.kind in IMAGE_KINDS:
        page, dpi = _load_image_frame(source.path, index, source.dpi)
    else:
        raise IngestError(f"{source.kind} files have no page images")
    height, width = page.shape[:2]
    if min(height, width) < MIN_PAGE_SIDE:
        raise IngestError(f"page image too small to read ({width}x{height} px)")
    return page, dpi


def _load_image_frame(path: Path, index: int, dpi: int) -> tuple[np.ndarray, int]:
    try:
        with _open_image(path) as im:
            im.seek(index)
            full_width = im.width
            if im.width * im.height > MAX_PAGE_PIXELS and im.format == "JPEG":
                scale = math.sqrt(MAX_PAGE_PIXELS / (im.width * im.height))
                im.draft("RGB", (int(im.width * scale), int(im.height * scale)))
            image = to_rgb(im)
    except Exception as exc:
        reason = _pil_reason(exc, path)
        raise IngestError(f"corrupt or unreadable image (page {index + 1}): {reason}") from exc
    pixels = image.width * image.height
    if pixels > MAX_PAGE_PIXELS:
        scale = math.sqrt(MAX_PAGE_PIXELS / pixels)
        image = image.resize((int(image.width * scale), int(image.height * scale)), Image.Resampling.LANCZOS)
    dpi = max(1, round(dpi * image.width / full_width))
    return np.asarray(image), dpi


# Sample depths that deep greyscale scans use (8 to 16 bits, 32-bit integers): values are scaled from the
# smallest range that holds the image's largest value, so 12-bit data in a 16-bit file is not left dark.
_DEPTH_MAXIMA = (255, 1023, 4095, 16383, 65535, 2**32 - 1)
_DEEP_MODES = ("I;16", "I;16B", "I;16L", "I;16N", "I", "F")


def to_rgb(im: Image.Image) -> Image.Image:
    """8-bit RGB of any decoded image, as a page: deep greyscale rescaled, transparency laid on white.

    ``convert("RGB")`` alone clips 16-bit and 32-bit greyscale at 255, which turns a scan into a white
    page, and drops the alpha channel, which turns a transparent background black.
    """
    if im.mode in _DEEP_MODES:
        return _deep_to_grey(im).convert("RGB")
    if "A" in im.getbands() or im.info.get("transparency") is not None:
        rgba = im.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return im.convert("RGB")


def _deep_to_grey(im: Image.Image) -> Image.Image:
    """An 8-bit greyscale image from 16-bit, 32-bit integer or float samples, in blocks of rows."""
    samples = np.asarray(im)
    top = float(samples.max()) if samples.size else 0.0
    full = next((m for m in _DEPTH_MAXIMA if top <= m), top)
    if im.mode == "F" and top <= 1.0:
        full = 1.0  # floating-point images usually hold 0..1
    grey = np.empty(samples.shape, dtype=np.uint8)
    for start in range(0, samples.shape[0], 512):
        block = samples[start : start + 512].astype(np.float32) * np.float32(255.0 / full)
        grey[start : start + 512] = np.clip(np.rint(block), 0, 255).astype(np.uint8)
    return Image.fromarray(grey, "L")
