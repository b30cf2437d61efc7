"""Lines crossed by a fold, a crease or a smear are read, and what a smear hides is said, never passed as ok.

Text lines are found by smearing ink along them (:mod:`pipeline.scan.layout`). A dark crease running down
across a paragraph joined every line it crossed into one smeared box taller than a quarter of the page, and
such a box was dropped as a frame or a figure. Its lines were read only where a full-width block around
them happened to cover the hole; on the page below the short lines left beside the crease and the footer
formed a two-column zone over it instead, and the crossed lines were read cut in two or not at all, the page
still ``ok``: CER 34.9 % with the crease (0.1 % without), 1.7 % now; a thick smear 45.6 %, unflagged, now
7.1 % (what lay under it) and the document partial, saying why.

Real Tesseract on a generated page (a report written for this test, invented text), scanned; the crease and
the smear are drawn on the rendered page before the scan, as a fold's shadow or a smear of toner would be.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image
from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from devtools.synth import parse_source, render_pages, truth_text
from devtools.synth.degrade import degrade
from pipeline.record import Status
from pipeline.scan import ingest, layout, ocr
from pipeline.scan.preprocess import PreprocessOptions, preprocess_page
from pipeline.stages import ProcessOptions, finish_document, process_page

DPI = 300

REPORT = """[header-left]
UBND HUYỆN PHÚ LƯƠNG
#bu PHÒNG NÔNG NGHIỆP
Số: 15/BC-PNN
[header-right]
#b12 CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
#bu Độc lập - Tự do - Hạnh phúc
#i Phú Lương, ngày 3 tháng 9 năm 2021
[body]
#cb BÁO CÁO
#cb Kết quả sản xuất vụ mùa năm 2021
Năm nay thời tiết thuận lợi, các xã trong huyện đã gieo cấy đúng khung lịch thời vụ, diện tích lúa đạt cao \
hơn năm trước, năng suất bình quân ước đạt năm mươi hai tạ một héc ta.
Công tác phòng trừ sâu bệnh được triển khai kịp thời, cán bộ kỹ thuật bám sát đồng ruộng, hướng dẫn nông \
dân sử dụng thuốc bảo vệ thực vật an toàn và đúng liều lượng quy định.
Bên cạnh đó, một số xã vùng trũng bị ngập úng cục bộ sau đợt mưa lớn cuối tháng bảy, làm giảm năng suất \
trên diện tích gần một trăm héc ta, cần có phương án tiêu thoát nước phù hợp.
Phòng đề nghị Ủy ban nhân dân huyện hỗ trợ kinh phí nạo vét kênh mương, sửa chữa trạm bơm và mua giống dự \
phòng cho vụ đông xuân sắp tới.
[footer-left]
#bi Nơi nhận:
#s - UBND huyện;
#s - Lưu: VT.
[footer-right]
#b TRƯỞNG PHÒNG
@signature
#b Lê Văn Hùng
"""

# Strokes drawn down the body, as fractions of the page: (x, y) of both ends, and width in pixels at 300 dpi.
CREASE = ((0.52, 0.30), (0.64, 0.62), 7)  # a fold's dark line, 0.6 mm: letters show on both sides of it
SMEAR = ((0.40, 0.30), (0.50, 0.60), 34)  # a smear of toner 3 mm wide: letters under it are gone


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def _cer(text: str, truth: str) -> float:
    return Levenshtein.distance(_norm(text), _norm(truth)) / len(_norm(truth))


@pytest.fixture(scope="module")
def report():
    source = parse_source(REPORT, "fold_report")
    return render_pages(source, dpi=DPI, seed=2)[0], truth_text(source)


def _scanned(rendered, stroke) -> Image.Image:
    """The rendered page with a dark stroke drawn across it, then scanned."""
    (x0, y0), (x1, y1), width = stroke
    rgb = np.asarray(rendered.image.convert("RGB")).copy()
    h, w = rgb.shape[:2]
    cv2.line(rgb, (int(x0 * w), int(y0 * h)), (int(x1 * w), int(y1 * h)), (35, 35, 35), width, cv2.LINE_AA)
    return degrade(Image.fromarray(rgb), "scan", seed=4)


def _binary(image: Image.Image) -> np.ndarray:
    page, _ = preprocess_page(np.asarray(image.convert("RGB")), DPI, PreprocessOptions())
    return page


def _crossed_lines(rendered, stroke) -> list[str]:
    """The body's printed lines the stroke runs through or touches (by the rendered layout's line boxes).

    Not the signer's name: the crease ends on its first letter, and Tesseract, reading the block with the
    stroke glued to the "L", leaves the name out, whatever the layout (plainly as well)."""
    (x0, y0), (x1, y1), width = stroke
    w, h = rendered.image.size
    crossed = []
    for text, (left, top, right, bottom) in rendered.line_boxes("body"):
        ys = np.clip([top, bottom], y0 * h, y1 * h)
        if ys[0] == ys[1]:
            continue  # above or below the stroke
        xs = (x0 + (x1 - x0) * (ys / h - y0) / (y1 - y0)) * w
        if xs.min() - width / 2 <= right and xs.max() + width / 2 >= left:
            crossed.append(text)
    return crossed


@pytest.fixture(scope="module")
def creased(report):
    rendered, truth = report
    return _binary(_scanned(rendered, CREASE)), _crossed_lines(rendered, CREASE), truth


def test_the_lines_a_crease_crosses_are_read(creased) -> None:
    page, crossed, truth = creased
    assert len(crossed) >= 5  # the crease runs down through the whole body
    text = _norm(ocr.ocr_page(page, DPI).text)
    for line in crossed:
        # a letter the crease runs through may be misread, the line's words are there
        assert fuzz.partial_ratio(_norm(line), text) >= 90, line
    assert _cer(text, truth) < 0.05  # 34.9 % when the crossed lines were dropped; 1.7 % measured


def test_a_creased_page_reads_no_worse_than_plainly(creased) -> None:
    page, _, truth = creased
    blocks = ocr.ocr_page(page, DPI).text
    plain = ocr.ocr_page(page, DPI, columns=False).text
    assert _cer(blocks, truth) <= _cer(plain, truth) + 0.005


def test_a_thin_crease_hides_nothing(creased, report) -> None:
    page, _, _ = creased
    rendered, _ = report
    assert layout.find_layout(page, DPI).hidden == []  # letters show beside it: nothing to flag
    clean = _binary(degrade(rendered.image, "scan", seed=4))
    assert layout.find_layout(clean, DPI).hidden == []


def test_a_smear_over_lines_marks_the_document_partial_with_its_reason(report, tmp_path: Path) -> None:
    rendered, truth = report
    path = tmp_path / "smeared.png"
    _scanned(rendered, SMEAR).save(path, dpi=(DPI, DPI))
    source = ingest.inspect(path)
    page = process_page(source, 0, ProcessOptions())
    assert page.ok  # the page is read: the lines beside the smear are text
    assert page.warnings and "smear" in page.warnings[0]
    doc = finish_document(source, [page.text_only()], ProcessOptions())
    assert doc.status is Status.PARTIAL
    assert "page 1" in doc.error and "smear" in doc.error
    # the lines beside the smear are in the text (45.6 % when the smeared lines were dropped; 7 % measured)
    assert _cer(doc.raw_text, truth) < 0.15
