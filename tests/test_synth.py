"""Tests of the synthetic document generator: source parsing, layout/truth, rendering, seal, degradation,
PDF/TIFF writing, that real Tesseract reads a clean render (so the truth matches the pixels), and the
archive conditions: turned pages, received stamp, handwriting, typewriter, aged paper, 200-dpi grey with
skew, copy of a copy, each recorded and never in the truth; and the committed archive samples."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import cv2
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
from devtools.synth.archive import Conditions, level_conditions, make_document
from devtools.synth.degrade import degrade
from devtools.synth.layout import INDENT, MARGIN_LEFT, TEXT_W
from devtools.synth.marks import INKS, received_stamp
from devtools.synth.pdf import sample_record, write_pdf, write_tiff
from devtools.synth.typewriter import typewriter_source

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


# --- archive conditions (issue 11): each switch does what it says and is recorded; the truth stays text


def _archive(source, seed=3, **switches):
    switches.setdefault("scan", "clean")
    switches.setdefault("dpi", 100)
    return make_document(source, Conditions(**switches), seed=seed)


def _hue_mask(array: np.ndarray, low: float, high: float) -> np.ndarray:
    """Saturated pixels whose hue (degrees) lies in [low, high]."""
    hsv = cv2.cvtColor(np.ascontiguousarray(array[..., :3]), cv2.COLOR_RGB2HSV_FULL).astype(float)
    hue = hsv[..., 0] * 360.0 / 256.0
    return (hsv[..., 1] > 60) & (hsv[..., 2] > 60) & (hue >= low) & (hue <= high)


BLUE_HUES, VIOLET_HUES = (205.0, 250.0), (255.0, 300.0)


def _px_box(box_pt, dpi):
    return tuple(round(v * dpi / 72) for v in box_pt)


def test_conditions_validate_and_record_their_switches():
    with pytest.raises(ValueError):
        Conditions(skew=3.5)
    with pytest.raises(ValueError):
        Conditions(turns=((2, 45),))
    with pytest.raises(ValueError):
        Conditions(scan="fax")
    cond = Conditions(turns=((2, 180),), stamp=True, handwriting=(1,), typewriter=True, aged=True, grey=True)
    record = cond.as_dict()
    assert record["turns"] == {"2": 180} and record["handwriting"] == [1]
    assert all(record[key] for key in ("stamp", "typewriter", "aged", "grey"))
    json.dumps(record)
    assert Conditions().summary() == "-"


def test_turned_pages_are_rotated_clockwise_by_their_angle_and_keep_their_truth():
    source = load_source(SAMPLE_SOURCES / "ke_hoach_nghe_an.txt")
    upright = _archive(source, dpi=40)
    turned = _archive(source, dpi=40, turns=((1, 90), (2, 180), (3, 270)))
    assert turned.truths == upright.truths == truth_pages(source)
    for index, k in enumerate((-1, 2, 1)):  # np.rot90 turns counter-clockwise
        page, plain = np.asarray(turned.pages[index]), np.asarray(upright.pages[index])
        assert np.array_equal(page, np.rot90(plain, k))
        assert turned.meta["pages"][index]["turn_cw"] == (90, 180, 270)[index]
        assert turned.meta["pages"][index]["size"] == list(turned.pages[index].size)
    width, height = upright.pages[0].size
    assert turned.pages[0].size == (height, width) and turned.pages[1].size == (width, height)


@pytest.mark.parametrize(("ink", "hues"), [("blue", BLUE_HUES), ("violet", VIOLET_HUES)])
def test_received_stamp_is_stamp_pad_ink_with_its_fields_filled_in(ink, hues):
    page = np.full((260, 420, 3), 255, np.uint8)
    received_stamp(
        page, (10, 10, 410, 250), 300, ["SỞ NỘI VỤ"], np.random.default_rng(1), ink=ink, pen="black"
    )
    stamped = _hue_mask(page, *hues)
    assert stamped.sum() > 2000
    other = VIOLET_HUES if ink == "blue" else BLUE_HUES
    assert _hue_mask(page, *other).sum() < 0.05 * stamped.sum()
    dark = page.max(axis=2) < 110  # the black pen's number, date and routing
    assert dark.sum() > 300


def test_stamp_lands_in_the_header_area_and_never_in_the_truth(plan):
    plain = _archive(plan)
    doc = _archive(plan, stamp=True)
    assert doc.truth == plain.truth == truth_text(plan)
    stamp = doc.meta["pages"][0]["stamp"]
    assert stamp["ink"] in ("blue", "violet") and stamp["place"] in ("number", "below")
    x0, y0, x1, y1 = _px_box(stamp["box_pt"], 100)
    layout = render_pages(plan, dpi=100, seed=3)[0]
    number = dict(layout.line_boxes("header-left"))["Số: 27/KH-STP"]
    body = layout.line_boxes("body")
    assert y0 <= number[3] + 14 and y1 > number[3]  # from the number line down
    assert y1 < body[3][1][3]  # within the header and title area
    hues = BLUE_HUES if stamp["ink"] == "blue" else VIOLET_HUES
    image = np.asarray(doc.pages[0])
    inked = _hue_mask(image, *hues)
    assert inked[y0:y1, x0:x1].sum() > 400
    assert inked.sum() - inked[y0 - 3 : y1 + 3, x0 - 3 : x1 + 3].sum() == 0
    assert not _hue_mask(np.asarray(plain.pages[0]), *hues)[: y1 + 3].any()
    assert "Chuyển" not in doc.truth and stamp["office"][0] not in doc.truth.splitlines()


@pytest.mark.parametrize("seed", [1, 2, 5, 8])
def test_handwriting_is_inked_in_its_margin_box_only(seed):
    source = load_source(SAMPLE_SOURCES / "cong_van_binh_dinh.txt")
    plain = _archive(source, seed=seed)
    doc = _archive(source, seed=seed, handwriting=(1,))
    assert doc.truth == plain.truth
    note = doc.meta["pages"][0]["handwriting"]
    assert note["place"] in ("left", "top", "blank") and note["lines"] in (2, 3) and note["ink"] in INKS
    x0, y0, x1, y1 = _px_box(note["box_pt"], 100)
    changed = np.abs(np.asarray(doc.pages[0], int) - np.asarray(plain.pages[0], int)).max(axis=2) > 30
    ys, xs = np.nonzero(changed)
    assert len(xs) > 150
    slack = 12
    assert (
        xs.min() >= x0 - slack
        and xs.max() <= x1 + slack
        and ys.min() >= y0 - slack
        and ys.max() <= y1 + slack
    )
    if note["place"] == "left":  # written up the page: the ink is taller than wide
        assert ys.max() - ys.min() > 2 * (xs.max() - xs.min())


def test_typewriter_sets_the_same_words_ragged_in_mono_with_uneven_ink(plan):
    typed = typewriter_source(plan)
    assert truth_text(typed, "mono").split() == truth_text(plan).split()
    pages = render_pages(typed, dpi=150, seed=2, face="mono")
    body = [line for page in pages for line in page.layout.lines if line.block == "body"]
    assert {line.face for line in body} == {"mono"} and {line.size for line in body} == {12.0}
    wrapped = [line for line in body if len(line.text) > 40 and not line.bold]  # paragraphs, not titles
    assert len({round(line.x1) for line in wrapped}) > 1  # ragged right, not justified
    assert {round(line.x0 - MARGIN_LEFT) for line in wrapped} <= {0, round(INDENT)}

    def glyph_darkness(image) -> np.ndarray:
        gray = np.asarray(image.convert("L"))
        count, labels = cv2.connectedComponents((gray < 200).astype(np.uint8))
        mins = [gray[labels == i].min() for i in range(1, min(count, 300))]
        return np.array(mins, float)

    printed = render_pages(plan, dpi=150, seed=2)[0].image
    assert glyph_darkness(pages[0].image).std() > 3 * max(1.0, glyph_darkness(printed).std())


def test_aged_paper_is_yellowed_creased_and_spotted(plan):
    doc = _archive(plan, aged=True)
    aged = doc.meta["pages"][0]["aged"]
    assert aged["spots"] > 0 and aged["creases"]
    image = np.asarray(doc.pages[0]).astype(float)
    plain = np.asarray(_archive(plan).pages[0]).astype(float)
    paper = plain.min(axis=2) > 250
    assert (image[..., 0] - image[..., 2])[paper].mean() > 8  # yellow: blue is absorbed
    assert (plain[..., 0] - plain[..., 2])[paper].mean() < 1
    fold = next(c for c in aged["creases"] if c["axis"] == "h")
    row = round(fold["at"] * image.shape[0])
    band = image[row - 6 : row + 7, 20:-20].mean(axis=(1, 2))
    assert band.min() < np.median(band) - 5


def _skew_estimate(gray: np.ndarray) -> float:
    """Angle (degrees, counter-clockwise) that the text lines were turned by: best projection profile."""
    ink = (gray < 128).astype(np.float32)
    best, angle = -1.0, 0.0
    for candidate in np.arange(-4.0, 4.01, 0.25):
        m = cv2.getRotationMatrix2D((ink.shape[1] / 2, ink.shape[0] / 2), -candidate, 1.0)
        rows = cv2.warpAffine(ink, m, ink.shape[::-1]).sum(axis=1)
        score = float((np.diff(rows) ** 2).sum())
        if score > best:
            best, angle = score, candidate
    return angle


def test_grey_200_dpi_scan_with_skew(plan):
    doc = _archive(plan, scan="scan", dpi=200, grey=True, skew=2.5)
    page = doc.pages[0]
    assert page.mode == "L" and page.info["dpi"] == (200, 200)
    assert page.size == (round(210 / 25.4 * 200), round(297 / 25.4 * 200))
    assert doc.meta["pages"][0]["skew_ccw"] == 2.5 and doc.meta["conditions"]["dpi"] == 200
    small = np.asarray(page.resize((page.width // 2, page.height // 2)))
    assert abs(_skew_estimate(small) - 2.5) <= 0.5
    other = _archive(plan, scan="scan", dpi=100, grey=True, skew=-2.0).pages[0]
    assert abs(_skew_estimate(np.asarray(other)) + 2.0) <= 0.5


def test_copy_of_a_copy_is_bilevel_with_thick_strokes_and_specks(plan):
    page = render_document(plan, dpi=150, seed=1)[0]
    copy = degrade(page, "copy2", 5)
    assert copy.mode == "1" and copy.size == page.size and copy.info["dpi"] == (150, 150)
    assert np.array_equal(np.asarray(copy), np.asarray(degrade(page, "copy2", 5)))
    black = ~np.asarray(copy)
    clean_black = np.asarray(page.convert("L")) < 128
    inner = (slice(100, -100), slice(100, -100))  # away from the copier's edge shadow
    assert black[inner].mean() > 1.3 * clean_black[inner].mean()
    count, _ = cv2.connectedComponents(black[inner].astype(np.uint8))
    clean_count, _ = cv2.connectedComponents(clean_black[inner].astype(np.uint8))
    assert count > clean_count + 100  # toner specks
    assert Conditions(scan="copy2").summary() == "copy of a copy, 1-bit"
    assert level_conditions("copy2") == Conditions(scan="copy2")


def test_archive_level_mixes_the_conditions():
    conds = [level_conditions("archive", variant, pages=3) for variant in range(8)]
    assert all(c.dpi == 200 and c.grey and c.stamp and 1 in c.handwriting for c in conds)
    assert all(c.skew is not None and abs(c.skew) <= 3 for c in conds)
    assert {c.typewriter for c in conds} == {True, False} and {c.aged for c in conds} == {True, False}
    angles = {angle for c in conds for _, angle in c.turns}
    assert angles == {90, 180, 270}
    assert level_conditions("scan") == Conditions(scan="scan")


def test_bilevel_pdf_and_jpeg_tiff_round_trip_with_their_record(tmp_path, plan):
    page = degrade(render_document(plan, dpi=100, seed=1)[0], "copy2", 2)
    record = {"conditions": {"scan": "copy2"}, "note": "Số (ĐẾN)"}
    pdf = write_pdf(
        [page, page.transpose(Image.Transpose.ROTATE_90)],
        tmp_path / "c.pdf",
        100,
        encoding="flate",
        record=record,
    )
    image = PdfReader(pdf).pages[0]["/Resources"]["/XObject"]["/Im0"]
    assert image["/BitsPerComponent"] == 1
    assert image.get_data() == page.tobytes()  # lossless, 1 is white as in PIL
    back = convert_from_path(pdf, dpi=100)
    assert np.mean((np.asarray(back[0].convert("L")) < 128) != ~np.asarray(page)) < 0.05
    assert back[1].size == (page.height, page.width)
    assert sample_record(pdf) == record
    grey = degrade(render_document(plan, dpi=100, seed=1)[0], "scan", 2, grey=True)
    tiff = write_tiff([grey, grey], tmp_path / "g.tif", jpeg_quality=45, record=record)
    with Image.open(tiff) as im:
        assert im.n_frames == 2 and im.mode == "L" and round(im.info["dpi"][0]) == 100
    assert sample_record(tiff) == record
    assert sample_record(write_pdf([grey], tmp_path / "plain.pdf", 100)) is None


SAMPLES_DIR = SAMPLE_SOURCES.parents[1] / "samples"


def _sample_records() -> dict[Path, dict]:
    files = [p for p in sorted(SAMPLES_DIR.iterdir()) if p.suffix in (".pdf", ".tif")]
    return {p: r for p in files if (r := sample_record(p))}


def test_committed_archive_samples_match_their_record_and_truth():
    records = _sample_records()
    assert len({r["source"] for r in records.values()}) >= 3
    seen = set()
    for path, record in records.items():
        cond = Conditions(
            **{
                **record["conditions"],
                "turns": tuple((int(p), a) for p, a in record["conditions"]["turns"].items()),
                "handwriting": tuple(record["conditions"]["handwriting"]),
            }
        )
        source = load_source(SAMPLE_SOURCES / f"{record['source']}.txt")
        typed = typewriter_source(source) if cond.typewriter else source
        truth = path.with_name(path.name.rsplit(".", 1)[0] + ".gt.txt").read_text(encoding="utf-8")
        assert truth == truth_text(typed, cond.face) + "\n"
        assert "Chuyển" not in truth and "ĐẾN Số" not in truth
        assert path.stat().st_size < 500_000
        if path.suffix == ".pdf":
            reader = PdfReader(path)
            sizes = [
                (
                    int(p["/Resources"]["/XObject"][f"/Im{i}"]["/Width"]),
                    int(p["/Resources"]["/XObject"][f"/Im{i}"]["/Height"]),
                )
                for i, p in enumerate(reader.pages)
            ]
            bits = {
                int(p["/Resources"]["/XObject"][f"/Im{i}"]["/BitsPerComponent"])
                for i, p in enumerate(reader.pages)
            }
        else:
            with Image.open(path) as im:
                sizes, bits = [], set()
                for frame in range(im.n_frames):
                    im.seek(frame)
                    sizes.append(im.size)
                    bits.add(1 if im.mode == "1" else 8)
        assert sizes == [tuple(page["size"]) for page in record["pages"]]
        for page, size in zip(record["pages"], sizes, strict=True):
            portrait = size[0] < size[1]
            assert portrait == (page["turn_cw"] in (0, 180))
        if cond.scan == "copy2":
            assert bits == {1}
            seen.add("copy2")
        if cond.stamp and 180 in dict(cond.turns).values():
            seen.add("stamp+180")
        if cond.typewriter and cond.aged and cond.grey and cond.dpi == 200 and cond.handwriting:
            seen.add("typed")
    assert seen == {"copy2", "stamp+180", "typed"}
