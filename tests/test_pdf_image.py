"""A scanner's PDF page is read from its image stream; every other page is rendered by poppler."""

from __future__ import annotations

import numpy as np
import pikepdf
import pytest
from PIL import Image

from devtools.synth.pdf import write_pdf
from pipeline.scan import ingest, pdf_image

MAX = ingest.MAX_PAGE_PIXELS


def _page(mode: str = "RGB", size: tuple[int, int] = (620, 877)) -> Image.Image:
    """A small 'scan' (A4 at 75 dpi): grey paper, dark bars, a red patch."""
    rgb = np.full((size[1], size[0], 3), 235, dtype=np.uint8)
    rgb[100:120, 60:500] = 20
    rgb[300:340, 60:300] = 40
    rgb[600:700, 400:520] = (200, 30, 30)
    image = Image.fromarray(rgb)
    return image.convert(mode) if mode != "RGB" else image


@pytest.mark.parametrize(
    ("mode", "encoding"), [("RGB", "jpeg"), ("L", "jpeg"), ("L", "flate"), ("1", "flate")]
)
def test_scanner_page_read_from_its_image(tmp_path, mode, encoding):
    path = write_pdf([_page(mode)], tmp_path / "scan.pdf", dpi=75, encoding=encoding)
    direct = pdf_image.page_image(path, 0, 75, MAX)
    assert direct is not None and direct.shape == (877, 620, 3) and direct.dtype == np.uint8
    source = ingest.inspect(path, dpi=75)
    page, dpi = ingest.load_page(source, 0, 75)
    assert dpi == 75 and np.array_equal(page, direct)
    if mode == "RGB":
        r, g, b = (int(v) for v in direct[650, 450])  # red stays red: seal removal finds it
        assert r > 170 and g < 60 and b < 60
    if encoding == "flate":  # lossless: exactly the pixels written
        expected = np.asarray(_page(mode).convert("L"))
        assert np.array_equal(direct[:, :, 0], expected)


def test_other_resolution_rotated_or_drawn_pages_are_rendered(tmp_path):
    path = write_pdf([_page()], tmp_path / "scan.pdf", dpi=75)
    assert pdf_image.page_image(path, 0, 150, MAX) is None  # rendered at the resolution asked for
    assert pdf_image.page_image(path, 0, 75, 1000) is None  # too large: poppler scales it down
    assert pdf_image.page_image(path, 3, 75, MAX) is None  # no such page

    with pikepdf.open(path) as pdf:
        pdf.pages[0].obj.Rotate = 90
        pdf.save(tmp_path / "turned.pdf")
    assert pdf_image.page_image(tmp_path / "turned.pdf", 0, 75, MAX) is None

    with pikepdf.open(path) as pdf:  # a line drawn over the scan
        page = pdf.pages[0]
        page.obj.Contents = pdf.make_stream(page.obj.Contents.read_bytes() + b" 0 0 m 100 100 l S")
        pdf.save(tmp_path / "drawn.pdf")
    assert pdf_image.page_image(tmp_path / "drawn.pdf", 0, 75, MAX) is None
    source = ingest.inspect(tmp_path / "drawn.pdf", dpi=75)
    page, dpi = ingest.load_page(source, 0, 75)
    assert page.shape[:2] == (877, 620) and dpi == 75


def test_unreadable_pdf_falls_back(tmp_path):
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4\n%garbage")
    assert pdf_image.page_image(broken, 0, 300, MAX) is None
