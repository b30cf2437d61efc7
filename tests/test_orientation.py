"""Pages fed sideways or upside down are turned upright before OCR; upright pages are never turned.

Real Tesseract (OCR and OSD) on real rendered pages: the test plan, and the archive samples whose
generation record says which pages were fed turned.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont
from rapidfuzz.distance import Levenshtein

from devtools.synth.degrade import degrade
from devtools.synth.pdf import sample_record
from pipeline.errors import PageError
from pipeline.scan import ingest, orientation
from pipeline.scan.ocr import ocr_page
from pipeline.scan.preprocess import PreprocessOptions, normalize_background, preprocess_page

SAMPLES = Path(__file__).parent.parent / "samples"
SOURCES = Path(__file__).parent.parent / "scripts" / "sample_sources"
FONT = "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf"


def _flat(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def _gray(rgb: np.ndarray, dpi: int = 300) -> np.ndarray:
    return normalize_background(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), dpi)


@pytest.fixture(scope="module")
def scanned(short_plan_pages) -> np.ndarray:
    return np.asarray(degrade(short_plan_pages[0], "scan", seed=7).convert("RGB"))


@pytest.fixture(scope="module")
def upright_text(scanned) -> str:
    page, report = preprocess_page(scanned, 300, PreprocessOptions())
    assert report.rotation == 0 and report.orientation["method"] == "upright"
    return _flat(ocr_page(page, 300).text)


@pytest.mark.parametrize("fed_turned", [90, 180, 270])
def test_a_turned_page_reads_like_the_upright_one(scanned, upright_text, short_plan_truth, fed_turned):
    fed = np.ascontiguousarray(orientation.turn(scanned, fed_turned))  # text turned clockwise by fed_turned
    page, report = preprocess_page(fed, 300, PreprocessOptions())
    assert report.rotation == (360 - fed_turned) % 360, report.orientation
    assert "orient" in report.applied and page.shape == scanned.shape[:2]
    text = _flat(ocr_page(page, 300).text)
    assert Levenshtein.normalized_distance(upright_text, text) <= 0.01
    assert Levenshtein.normalized_distance(_flat(short_plan_truth), text) <= 0.02


def _text_page(lines: list[str], size: tuple[int, int], font_px: int = 50) -> np.ndarray:
    image = Image.new("L", size, 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(FONT, font_px)
    for i, line in enumerate(lines):
        draw.text((150, 150 + int(font_px * 1.6) * i), line, font=font, fill=0)
    return np.asarray(image)


BODY = (
    "Thực hiện chỉ đạo của Ủy ban nhân dân tỉnh về việc tổ chức phong trào thi đua yêu nước,",
    "các sở, ban, ngành và địa phương xây dựng kế hoạch cụ thể, báo cáo kết quả định kỳ.",
    "Khen thưởng kịp thời những tập thể, cá nhân có thành tích xuất sắc trong phong trào.",
)


def test_upright_pages_are_never_turned(short_plan_pages) -> None:
    pages = {
        level: _gray(np.asarray(degrade(short_plan_pages[0], level, seed=5).convert("RGB")))
        for level in ("clean", "scan", "photocopy")
    }
    pages["landscape"] = _text_page(list(BODY) * 6, (3508, 2480))  # a landscape form is upright as it is
    pages["capitals"] = _text_page([line.upper() for line in BODY] * 4, (2480, 3508))
    for name, gray in pages.items():
        found = orientation.orient(gray, 300)
        assert found.rotation == 0, (name, found)
    # A dense upright page is recognised from its glyphs alone, without a Tesseract call.
    assert orientation.orient(pages["scan"], 300).method == "upright"


def test_pages_without_text_direction_are_left_alone() -> None:
    blank = np.full((3508, 2480), 255, np.uint8)
    assert orientation.orient(blank, 300).method == "too little text"
    rng = np.random.default_rng(0)
    noise = (rng.random((438, 310)) < 0.5).astype(np.uint8) * 255
    noise = cv2.resize(noise, (2480, 3508), interpolation=cv2.INTER_NEAREST)
    found = orientation.orient(noise, 300)
    assert found.rotation == 0 and found.osd_rotation is None  # noise has no axis: OSD is not asked


@pytest.mark.parametrize(
    "name",
    ["ke_hoach_lam_dong_archive.pdf", "ke_hoach_an_giang_typewriter.tif", "ke_hoach_quang_tri_copy2.pdf"],
)
def test_archive_samples_fed_turned_are_turned_back(name: str) -> None:
    turns = (sample_record(SAMPLES / name) or {}).get("conditions", {}).get("turns") or {}
    assert turns, "the sample records which pages were fed turned"
    source = ingest.inspect(SAMPLES / name, dpi=300)
    for index in range(source.n_pages):
        rgb, dpi = ingest.load_page(source, index, 300)
        found = orientation.orient(_gray(rgb, dpi), dpi)
        shown = int(turns.get(str(index + 1), 0))  # the clockwise turn the page's text shows
        assert found.rotation == (360 - shown) % 360, (name, index + 1, found)


@pytest.fixture(scope="module")
def copied_twice_pages() -> list[np.ndarray]:
    """The Nghệ An plan as ``benchmarks/ocr_bench.py`` makes it at the copy2 level (300 dpi): copies of a
    copy, thousands of specks around thickened letters whose accents touch them."""
    from devtools.synth import load_source, truth_pages
    from devtools.synth.archive import level_conditions, make_document

    source = load_source(SOURCES / "ke_hoach_nghe_an.txt")
    count = max(len(truth_pages(source, face)) for face in ("serif", "mono"))
    doc = make_document(source, level_conditions("copy2", 3, count), seed=3, degrade_seed=3000)
    return [_gray(np.asarray(page.convert("RGB"))) for page in doc.pages]


@pytest.fixture(scope="module")
def copied_twice(copied_twice_pages) -> tuple[np.ndarray, int]:
    """Page 1 of the copy2 plan: its ink measured hardly above the x-height band (about 0) before the
    specks were left out and words judged by their own band."""
    return copied_twice_pages[0], 300


@pytest.fixture(scope="module")
def typewritten() -> tuple[np.ndarray, int]:
    """Page 2 of the Lâm Đồng plan as an archive copy (typewritten, 200 dpi, a seal and two handwritten
    lines, upright): a short page in a monospaced face whose ink leans neither up nor down (about 0)."""
    from dataclasses import replace

    from devtools.synth import load_source, truth_pages
    from devtools.synth.archive import level_conditions, make_document

    source = load_source(SOURCES / "ke_hoach_lam_dong.txt")
    count = max(len(truth_pages(source, face)) for face in ("serif", "mono"))
    conditions = replace(level_conditions("archive", 7, count), turns=())
    doc = make_document(source, conditions, seed=13, degrade_seed=7200)
    options = PreprocessOptions(orient=False, deskew=False, binarize=False)
    gray, _ = preprocess_page(np.asarray(doc.pages[1].convert("RGB")), conditions.dpi, options)
    return gray, conditions.dpi


def test_a_weakly_leaning_upright_page_is_settled_by_one_strip_read(typewritten, monkeypatch) -> None:
    monkeypatch.setattr(orientation, "STRIP_TIMEOUT_S", 600.0)  # a loaded test machine: no timeout here
    gray, dpi = typewritten
    found = orientation.orient(gray, dpi)
    assert found.updown is not None and abs(found.updown) < orientation.UPRIGHT  # no clear lean
    assert found.rotation == 0 and found.method == "strip", found
    assert found.osd_rotation is None and set(found.strip_confidences) == {0}  # no OSD, one strip read


def test_a_failed_strip_read_turns_nothing(typewritten, monkeypatch) -> None:
    """A strip read that fails (Tesseract timed out on a loaded machine) is no evidence: counted as
    confidence 0, it let the other turn win and an upright copy was turned upside down."""
    real = orientation._strip_confidence
    reads = []

    def upright_read_fails(strip, rotation, lang):
        reads.append(rotation)
        return None if rotation == 0 else real(strip, rotation, lang)

    monkeypatch.setattr(orientation, "STRIP_TIMEOUT_S", 600.0)
    monkeypatch.setattr(orientation, "_strip_confidence", upright_read_fails)
    gray, dpi = typewritten
    found = orientation.orient(gray, dpi)
    assert 0 in reads and found.rotation == 0, found


def test_a_weak_lean_is_still_asked_of_tesseract(typewritten, monkeypatch) -> None:
    """The typewritten page upside down leans too little to be turned, or even left, by its ink alone."""
    monkeypatch.setattr(orientation, "STRIP_TIMEOUT_S", 600.0)
    gray, dpi = typewritten
    found = orientation.orient(orientation.turn(gray, 180), dpi)
    assert found.updown is not None and abs(found.updown) < orientation.INK_DECIDES
    assert found.method in ("osd", "strip") and found.rotation == 180, found


def _no_tesseract(monkeypatch) -> list[str]:
    """Make every Tesseract call of the orientation fail (a fault), and record that it was made."""
    calls: list[str] = []

    def broken(*args, **kwargs):
        calls.append("tesseract")
        raise PageError("Tesseract failed: injected")

    monkeypatch.setattr(orientation.tesseract, "detect_orientation", broken)
    monkeypatch.setattr(orientation.tesseract, "recognize_words", broken)
    return calls


@pytest.mark.parametrize("fed_turned", [90, 180, 270])
def test_a_clearly_turned_page_is_turned_back_by_its_ink_alone(scanned, fed_turned, monkeypatch) -> None:
    """A page whose glyphs lean clearly (below the band, or either way once turned by 90) needs no OSD:
    with Tesseract broken it is still turned back, and Tesseract was never asked."""
    calls = _no_tesseract(monkeypatch)
    gray = _gray(np.ascontiguousarray(orientation.turn(scanned, fed_turned)))
    found = orientation.orient(gray, 300)
    assert found.rotation == (360 - fed_turned) % 360 and found.method == "ink", found
    assert not calls and found.osd_rotation is None and found.strip_confidences is None
    lean = found.updown if fed_turned == 180 else found.updown_turned
    assert lean is not None and abs(lean) >= orientation.INK_DECIDES


@pytest.mark.parametrize("fed_turned", [0, 90, 180, 270])
def test_a_copy_of_a_copy_is_oriented_by_its_ink_alone(copied_twice, fed_turned, monkeypatch) -> None:
    """Its specks and thickened accents made the ink lean neither way (about 0), so a strip was read on
    every upright copy: measured without specks, on words within their own band, it leans clearly, and
    no Tesseract call is needed at any turn."""
    calls = _no_tesseract(monkeypatch)
    gray, dpi = copied_twice
    found = orientation.orient(np.ascontiguousarray(orientation.turn(gray, fed_turned)), dpi)
    assert found.rotation == (360 - fed_turned) % 360 and not calls, found
    assert found.method == ("upright" if fed_turned == 0 else "ink"), found
    lean = found.updown if fed_turned in (0, 180) else found.updown_turned
    assert lean is not None and abs(lean) >= orientation.INK_DECIDES


@pytest.mark.parametrize("fed_turned", [0, 180])
def test_a_short_copy_of_big_and_small_type_is_oriented_by_its_ink(
    copied_twice_pages, fed_turned, monkeypatch
) -> None:
    """Page 3 of the copy2 plan: a list of recipients in small type beside a signature block in big bold
    type. Its specks hid the text axis (the page was left as it lay at any turn); without them, judged
    against one glyph height for the page, the small words were not counted and too few were left (a
    strip, OSD and a second strip: 6.6 s of CPU against 1 s for the page's OCR). Each word judged by its
    own band, and the text counted by its width (a line of thick type is one box), its ink settles it."""
    calls = _no_tesseract(monkeypatch)
    found = orientation.orient(np.ascontiguousarray(orientation.turn(copied_twice_pages[2], fed_turned)), 300)
    assert found.rotation == fed_turned and not calls, found  # 180 turns back by 180
    assert found.updown is not None and abs(found.updown) >= orientation.INK_DECIDES


@pytest.mark.parametrize("fed_turned", [0, 90, 180, 270])
def test_specks_do_not_hide_the_text_direction(fed_turned, monkeypatch) -> None:
    """Thousands of specks around the text (a bad photocopy): they were most of the components, so the
    typical glyph was a speck, the text axis looked random and the page was left as it was at any turn."""
    calls = _no_tesseract(monkeypatch)
    page = _text_page(list(BODY) * 6, (2480, 3508)).copy()
    rng = np.random.default_rng(0)
    for y, x, radius in zip(
        rng.integers(0, 3508, 20000), rng.integers(0, 2480, 20000), rng.integers(1, 3, 20000), strict=True
    ):
        cv2.circle(page, (int(x), int(y)), int(radius), 0, -1)
    found = orientation.orient(np.ascontiguousarray(orientation.turn(page, fed_turned)), 300)
    assert found.rotation == (360 - fed_turned) % 360 and not calls, found
    axis = found.horizontal if fed_turned in (0, 180) else 1 - found.horizontal
    assert axis >= orientation.HORIZONTAL


@pytest.mark.parametrize("horizontal", [0.4, 0.5, 0.6])
def test_ink_decides_nothing_on_a_page_without_a_clear_axis(horizontal: float) -> None:
    """Pages of a table or a few lines on copies of copies measure a horizontal share of 0.46-0.56 at every
    turn, with any lean: the ink alone turns none of them (one sideways page measured 0.56 and -0.26)."""
    for lean, updown in ((180, -0.9), (90, 0.9), (270, -0.9)):
        found = orientation.Orientation(horizontal=horizontal, updown=updown, updown_turned=updown)
        assert not orientation._ink_decides(found, lean)
        assert found.rotation == 0 and found.method == "upright"


def test_an_upside_down_copy_read_as_it_lies_is_not_text(copied_twice, monkeypatch) -> None:
    """The strip read as it lies settles a page as upright past STRIP_UPRIGHT: the copy of a copy upside
    down, read as it lies in any of its text bands, must stay well below that."""
    monkeypatch.setattr(orientation, "STRIP_TIMEOUT_S", 600.0)
    gray, _ = copied_twice
    upside_down = orientation.turn(gray, 180)
    height = gray.shape[0] // 8
    for start in (gray.shape[0] // 4, gray.shape[0] // 2):
        conf = orientation._strip_confidence(upside_down[start : start + height], 0, "vie")
        assert conf is not None and conf < orientation.STRIP_UPRIGHT - 10, (start, conf)
