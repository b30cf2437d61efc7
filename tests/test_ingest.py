"""Ingest: kinds from content, one-line reasons for every kind of broken file."""

from __future__ import annotations

import codecs
import os
from pathlib import Path

import pytest

from pipeline.errors import IngestError
from pipeline.scan import ingest
from tests import bad_inputs
from tests.legacy_text import to_cp1258


def test_kind_comes_from_content_not_extension(scanned_plan_png: Path, tmp_path: Path) -> None:
    disguised = tmp_path / "scan.pdf"
    disguised.write_bytes(scanned_plan_png.read_bytes())
    source = ingest.inspect(disguised)
    assert source.kind == ingest.KIND_PNG
    assert source.n_pages == 1
    assert any(".pdf" in w and "PNG" in w for w in source.warnings)


def test_pdf_pages_are_counted_and_rendered_one_at_a_time(scanned_plan_pdf: Path) -> None:
    source = ingest.inspect(scanned_plan_pdf)
    assert (source.kind, source.n_pages) == (ingest.KIND_PDF, 1)
    page, dpi = ingest.load_page(source, 0, dpi=150)
    assert dpi == 150
    assert page.ndim == 3 and abs(page.shape[0] / page.shape[1] - 297 / 210) < 0.01


def test_doc_id_is_stable_across_renames(scanned_plan_pdf: Path, tmp_path: Path) -> None:
    copy = tmp_path / "renamed.bin"
    copy.write_bytes(scanned_plan_pdf.read_bytes())
    assert ingest.inspect(copy).doc_id == ingest.inspect(scanned_plan_pdf).doc_id


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda p: p.write_bytes(b""), "empty file"),
        (bad_inputs.encrypted_pdf, "encrypted PDF"),
        (bad_inputs.zero_page_pdf, "no pages"),
        (bad_inputs.truncated_pdf, "corrupt or truncated PDF"),
        (lambda p: p.write_bytes(b"\x00\x01\x02binary\x00" * 50), "unsupported file type"),
        (
            lambda p: p.write_bytes(b"\xb5\xe6\xa4\xc0\xfe\xa9 \xd7\xe4\xbf\xd3\xae\xf7" * 40),
            "encoding not recognised",
        ),
        (lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40), "corrupt or unreadable image"),
    ],
    ids=["empty", "encrypted", "zero-pages", "truncated", "binary", "8-bit-noise", "broken-png"],
)
def test_bad_files_get_one_line_reasons(tmp_path: Path, make, reason: str) -> None:
    path = tmp_path / "input.pdf"
    make(path)
    with pytest.raises(IngestError) as err:
        ingest.inspect(path)
    message = str(err.value)
    assert reason in message
    assert "\n" not in message


def test_huge_image_is_refused_without_decoding_it(tmp_path: Path) -> None:
    path = bad_inputs.huge_png(tmp_path / "poster.png")
    with pytest.raises(IngestError, match=r"image too large: 20000x20000 px"):
        ingest.inspect(path)


def test_text_dumps_in_utf8_and_utf16_are_read(tmp_path: Path) -> None:
    text = "Phong trào thi đua\nVì người nghèo\n"
    utf16 = tmp_path / "dump16.txt"
    utf16.write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    utf8 = tmp_path / "dump8"
    utf8.write_bytes(codecs.BOM_UTF8 + text.replace("\n", "\r\n").encode())
    for path in (utf16, utf8):
        source = ingest.inspect(path)
        assert source.kind == ingest.KIND_TEXT
        assert ingest.read_text(source) == text


def test_text_dumps_in_legacy_encodings_and_utf16_without_bom_are_read(tmp_path: Path) -> None:
    text = "Phong trào thi đua yêu nước\nKế hoạch năm 2024 của Sở Giáo dục\n"
    cp1258 = tmp_path / "dump1258.txt"  # "ế" as "ê" + a combining acute byte, and so on
    cp1258.write_bytes(to_cp1258(text))
    utf16 = tmp_path / "dump16.txt"
    utf16.write_bytes(text.encode("utf-16-be"))
    for path, encoding in ((cp1258, "windows-1258"), (utf16, "utf-16-be")):
        source = ingest.inspect(path)
        assert (source.kind, source.text_encoding) == (ingest.KIND_TEXT, encoding)
        assert ingest.read_text(source) == text


def test_unlistable_folder_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "ok.txt").write_text("Kế hoạch")
    broken = tmp_path / "broken"
    broken.mkdir()
    real_scandir = os.scandir

    def scandir(path):  # fault injection: the OS refuses to list one folder
        if Path(path) == broken:
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr(ingest.os, "scandir", scandir)
    found = list(ingest.discover([tmp_path]))
    assert [f.path.name for f in found if f.error is None] == ["ok.txt"]
    assert [f.error for f in found if f.error] == ["cannot list folder: Permission denied"]


def test_ground_truth_files_are_not_inputs(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("x")
    (tmp_path / "a.gt.txt").write_text("x")
    assert [f.path.name for f in ingest.discover([tmp_path])] == ["a.txt"]


@pytest.mark.parametrize(
    ("size", "recorded", "expected", "noted"),
    [
        ((2480, 3508), 300, 300, False),  # A4 at 300 dpi, as recorded
        ((2480, 3508), 72, 300, True),  # a camera's or driver's 72 dpi on a 300-dpi page
        ((2480, 3508), None, 300, True),  # no resolution recorded
        ((1240, 1754), None, 150, True),  # a 150-dpi page recording none
        ((3508, 2480), 96, 300, True),  # a page lying on its side
        ((1654, 2339), 200, 200, False),  # a 200-dpi archive scan
        ((2550, 3300), 300, 300, False),  # US letter
        ((1200, 400), None, ingest.DEFAULT_IMAGE_DPI, False),  # a strip of text: no page to measure
    ],
)
def test_a_page_image_is_read_at_a_resolution_that_makes_it_a_page(size, recorded, expected, noted) -> None:
    """The recorded resolution is kept when it makes the image a paper page; otherwise an image shaped
    like a page is read as A4, with a note for the warnings."""
    dpi, note = ingest.page_dpi(recorded, *size)
    assert dpi == expected
    assert (note is not None) == noted


def test_a_page_recording_72_dpi_is_inspected_as_a_page(scanned_plan_png: Path, tmp_path: Path) -> None:
    """The scan saved as a JPEG recording 72 dpi (what many cameras and drivers write) is read at its
    real resolution, and the file's warnings say so."""
    from PIL import Image

    path = tmp_path / "page.jpg"
    with Image.open(scanned_plan_png) as im:
        im.convert("L").save(path, quality=90, dpi=(72, 72))
        width = im.width
    source = ingest.inspect(path)
    assert abs(source.dpi - width / ingest.A4_SHORT_SIDE_INCHES) <= 1
    assert any("72 dpi" in w for w in source.warnings)
