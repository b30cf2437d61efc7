"""Makers of the broken files an archive really contains (each one a real file, no mocks)."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

from pypdf import PdfReader, PdfWriter
from reportlab.pdfgen import canvas


def text_pdf(path: Path, text: str = "Trang thử nghiệm") -> Path:
    c = canvas.Canvas(str(path))
    c.drawString(100, 700, text)
    c.showPage()
    c.save()
    return path


def encrypted_pdf(path: Path) -> Path:
    plain = text_pdf(path.with_suffix(".plain.pdf"))
    writer = PdfWriter()
    writer.append(PdfReader(plain))
    writer.encrypt("mật-khẩu")
    with path.open("wb") as fh:
        writer.write(fh)
    plain.unlink()
    return path


def zero_page_pdf(path: Path) -> Path:
    with path.open("wb") as fh:
        PdfWriter().write(fh)
    return path


def truncated_pdf(path: Path) -> Path:
    data = text_pdf(path).read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def huge_png(path: Path, width: int = 20000, height: int = 20000) -> Path:
    """A valid white PNG of width×height px, written row by row so the test itself stays small."""
    compressor = zlib.compressobj(9)
    row = b"\x00" + b"\xff" * width  # filter byte + one gray byte per pixel
    body = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")
    path.write_bytes(png)
    return path
