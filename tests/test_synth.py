"""Tests of the synthetic document generator: source parsing, layout/truth, rendering, seal, degradation,
PDF/TIFF writing, and that real Tesseract reads a clean render (so the truth matches the pixels)."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import numpy as np
import pytesseract
import pytest
from pdf2image import convert_from_path
from PIL import Image
from pypdf import PdfReader
from rapidfuzz.distance import Levenshtein

from devtools.synth import (
    Directive,
    SourceError,
    load_source,
    parse_source,
    render_document,
    render_pages,
    truth_pages,
    truth_text,
)
from devtools.synth.degrade import degrade
from devtools.synth.layout import TEXT_W
from devtools.synth.pdf import write_pdf, write_tiff

SAMPLE_SOURCES = Path(__file__).resolve().parents[1] / "scripts" / "sample_sources"

PLAN = """
[meta]
id = test_plan
[header-left]
UBND TỈNH KON TUM
#bu SỞ TƯ PHÁP
Số: 27/KH-STP
[header-right]
#b12 CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
#bu Độc lập - Tự do - Hạnh phúc
#i Kon Tum, ngày 03 tháng 6 năm 2024
[body]
#cb KẾ HOẠCH
#cb Hưởng ứng phong trào thi đua “Chung tay vì cộng đồng”
@rule
Thực hiện chỉ đạo của Ủy ban nhân dân tỉnh, Sở Tư pháp xây dựng kế hoạch triển khai phong trào
  thi đua trong toàn ngành với các nội dung chủ yếu sau đây.
#b I. MỤC ĐÍCH, YÊU CẦU
a) Nâng cao ý thức trách nhiệm của công chức, viên chức trong việc giúp đỡ người dân gặp khó khăn;
  khuyến khích những việc làm thiết thực, hiệu quả.
- Kết quả thực hiện phong trào là một trong những căn cứ để bình xét thi đua cuối năm; tránh phô
  trương, hình thức, lãng phí.
[footer-left]
#bi Nơi nhận:
#s - Ban TĐKT tỉnh;
#s - Lưu: VT.
[footer-right]
#b KT. GIÁM ĐỐC
#b PHÓ GIÁM ĐỐC
@seal SỞ TƯ PHÁP * TỈNH KON TUM *
@signature
#b Y Thị Hoa
"""


@pytest.fixture(scope="module")
def plan():
    return parse_source(PLAN)


@pytest.fixture(scope="module")
def plan_pages(plan):
    return render_pages(plan, dpi=150, seed=4)


def _body_words(source) -> list[str]:
    return [word for line in source.lines("body") for word in line.text.split()]


def test_parser_reads_styles_directives_and_normalises_to_nfc():
    decomposed = unicodedata.normalize("NFD", "[body]\n#cbu18 Tiêu đề\n@space 12\nĐoạn văn thường\n")
    doc = parse_source(decomposed)
    title, gap, para = doc.blocks["body"]
    assert (title.align, title.bold, title.underline, title.italic, title.size) == (
        "center",
        True,
        True,
        False,
        18.0,
    )
    assert title.text == unicodedata.normalize("NFC", "Tiêu đề") and not title.indent
    assert gap == Directive("space", "12")
    assert para.align == "justify" and para.indent and para.size == 14.0


def test_indented_line_continues_the_paragraph_above():
    doc = parse_source("[body]\n#b Đoạn một\n   tiếp theo\nĐoạn hai\n")
    assert [line.text for line in doc.lines("body")] == ["Đoạn một tiếp theo", "Đoạn hai"]
    assert doc.lines("body")[0].bold


@pytest.mark.parametrize(
    "bad",
    [
        "[body]\n#q text\n",
        "[sidebar]\ntext\n",
        "text before any section\n",
        "[body]\n@stamp X\n",
        "[body]\n#b\n",
    ],
)
def test_parser_rejects_malformed_sources(bad):
    with pytest.raises(SourceError):
        parse_source(bad)


def test_page_is_a4_at_requested_dpi(plan):
    for dpi in (72, 150):
        image = render_document(plan, dpi=dpi)[0]
        assert image.mode == "RGB"
        assert image.size == (round(210 / 25.4 * dpi), round(297 / 25.4 * dpi))
        assert image.info["dpi"] == (dpi, dpi)


def test_truth_is_nfc_and_in_reading_order(plan):
    truth = truth_text(plan)
    lines = truth.splitlines()
    assert unicodedata.is_normalized("NFC", truth)
    assert lines[:6] == [
        "UBND TỈNH KON TUM",
        "SỞ TƯ PHÁP",
        "Số: 27/KH-STP",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Kon Tum, ngày 03 tháng 6 năm 2024",
    ]
    assert lines[6] == "KẾ HOẠCH"
    assert lines[-6:] == [
        "Nơi nhận:",
        "- Ban TĐKT tỉnh;",
        "- Lưu: VT.",
        "KT. GIÁM ĐỐC",
        "PHÓ GIÁM ĐỐC",
        "Y Thị Hoa",
    ]
    assert "SỞ TƯ PHÁP * TỈNH KON TUM *" not in truth  # the seal is not text


def test_truth_has_one_line_per_printed_line_and_keeps_every_word(plan, plan_pages):
    body = [line for page in plan_pages for line in page.layout.lines if line.block == "body"]
    truth_body = truth_text(plan).splitlines()[6:-6]
    assert truth_body == [line.text for line in body]
    assert len(truth_body) > len(plan.lines("body"))  # paragraphs were wrapped
    assert " ".join(truth_body).split() == _body_words(plan)
    assert all(line.x1 - line.x0 <= TEXT_W + 0.5 for line in body)


def test_truth_does_not_depend_on_dpi_or_seed(plan):
    expected = truth_pages(plan)
    for dpi, seed in ((72, 0), (200, 9)):
        pages = render_pages(plan, dpi=dpi, seed=seed)
        assert ["\n".join(page.layout.truth_lines()) for page in pages] == expected


def test_long_document_flows_over_pages_with_footer_on_last():
    source = load_source(SAMPLE_SOURCES / "ke_hoach_nghe_an.txt")
    pages = truth_pages(source)
    assert len(pages) >= 2
    assert pages[0].startswith("UBND TỈNH NGHỆ AN")
    assert "Nơi nhận:" in pages[-1] and all("Nơi nhận:" not in page for page in pages[:-1])
    assert pages[-1].endswith("Hoàng Văn Thắng")


def _red_mask(array: np.ndarray) -> np.ndarray:
    r, g, b = (array[..., i].astype(int) for i in range(3))
    return (r > 140) & (r - g > 70) & (r - b > 50)


def _overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def test_seal_is_red_and_stamped_over_the_signer_title(plan_pages):
    page = plan_pages[-1]
    seal = page.mark_box("seal")
    assert seal is not None
    red = _red_mask(np.asarray(page.image))
    ys, xs = np.nonzero(red)
    assert len(xs) > 500
    red_box = (xs.min(), ys.min(), xs.max(), ys.max())
    # all red ink lies in the seal's box (a few pixels of slack for the stamp's rotation)
    assert red_box[0] >= seal[0] - 4 and red_box[2] <= seal[2] + 4
    assert red_box[1] >= seal[1] - 4 and red_box[3] <= seal[3] + 4
    titles = [box for text, box in page.line_boxes("footer-right") if "GIÁM ĐỐC" in text]
    assert len(titles) == 2
    assert any(_overlap(red_box, title) for title in titles)
    # the seal is semi-transparent: black title strokes under it stay dark
    x0, y0, x1, y1 = titles[-1]
    under = np.asarray(page.image)[y0:y1, x0:x1]
    assert (under.max(axis=2) < 90).sum() > 50


def test_signature_is_inked_between_title_and_name(plan_pages):
    page = plan_pages[-1]
    x0, y0, x1, y1 = page.mark_box("signature")
    boxes = dict(page.line_boxes("footer-right"))
    assert boxes["PHÓ GIÁM ĐỐC"][3] < (y0 + y1) / 2 < boxes["Y Thị Hoa"][1]
    region = np.asarray(page.image)[y0:y1, x0:x1].astype(int)
    ink = region.min(axis=2) < 170
    assert ink.mean() > 0.01


def test_degrade_is_deterministic_per_seed_and_changes_pixels(plan_pages):
    page = render_document(parse_source(PLAN), dpi=100, seed=1)[0]
    clean = np.asarray(page)
    assert np.array_equal(np.asarray(degrade(page, "clean", 3)), clean)
    for level in ("scan", "photocopy"):
        first, again, other = (np.asarray(degrade(page, level, s)) for s in (3, 3, 4))
        assert np.array_equal(first, again)
        assert not np.array_equal(first, other)
        gray = first if first.ndim == 2 else first.mean(axis=2)
        assert gray.shape == clean.shape[:2]
        assert np.abs(gray.astype(float) - clean.mean(axis=2)).mean() > 3.0
    assert degrade(page, "photocopy", 3).mode == "L"
    with pytest.raises(ValueError):
        degrade(page, "fax", 0)


def test_photocopy_loses_contrast_and_darkens_an_edge():
    page = render_document(parse_source(PLAN), dpi=100, seed=1)[0]
    copy = np.asarray(degrade(page, "photocopy", 8)).astype(float)
    centre = copy[200:900, 150:650]
    assert 150 < np.median(centre) < 235  # grey paper, not white
    edges = [copy[:, :8].mean(), copy[:, -8:].mean(), copy[:8, :].mean(), copy[-8:, :].mean()]
    assert min(edges) < np.median(centre) - 40


def test_pdf_and_tiff_round_trip(tmp_path, plan):
    pages = [degrade(im, "scan", i) for i, im in enumerate(render_document(plan, dpi=150, seed=2) * 2)]
    pdf = write_pdf(pages, tmp_path / "doc.pdf", dpi=150)
    reader = PdfReader(pdf)
    assert len(reader.pages) == 2
    assert abs(float(reader.pages[0].mediabox.width) - 595.3) < 1.0
    assert pdf.stat().st_size < 2 * 400_000
    back = convert_from_path(pdf, dpi=150)
    assert back[0].size == pages[0].size
    assert (
        np.abs(np.asarray(back[0].convert("L"), float) - np.asarray(pages[0].convert("L"), float)).mean() < 6
    )
    flate = write_pdf(pages[:1], tmp_path / "clean.pdf", dpi=150, encoding="flate")
    assert len(PdfReader(flate).pages) == 1
    tiff = write_tiff(pages, tmp_path / "doc.tif", bilevel=True)
    with Image.open(tiff) as im:
        assert im.n_frames == 2 and im.mode == "1" and round(im.info["dpi"][0]) == 150


def test_all_sample_sources_parse_and_render():
    sources = sorted(SAMPLE_SOURCES.glob("*.txt"))
    assert len(sources) >= 4
    kinds = set()
    for path in sources:
        source = load_source(path)
        kinds.add(source.meta.get("kind"))
        pages = render_pages(source, dpi=40, seed=0)
        assert pages[-1].mark_box("seal") is not None
        assert unicodedata.is_normalized("NFC", truth_text(source))
    assert {"ke_hoach", "cong_van"} <= kinds


def _nonblank(text: str) -> str:
    return "\n".join(" ".join(line.split()) for line in text.splitlines() if line.strip())


def test_tesseract_reads_clean_render_of_body_within_3_percent_cer():
    body_only = PLAN.split("[body]")[1].split("[footer-left]")[0]
    source = parse_source("[body]" + body_only)
    page = render_document(source, dpi=300)[0]
    ocr = pytesseract.image_to_string(page, lang="vie")
    cer = Levenshtein.normalized_distance(_nonblank(ocr), _nonblank(truth_text(source)))
    assert cer < 0.03, (cer, ocr)
