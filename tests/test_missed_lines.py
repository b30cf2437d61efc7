"""Lines the page's reading left out are read on their own and put back (pipeline.scan.missed_lines).

On copies of copies Tesseract read nothing of "Số: 153/KH-SNV", of a recipient line, of "65%.", on pages
marked ``ok``. The page here is real Tesseract on a rendered page with a two-column header; which line a
reading drops is not stable from one Tesseract build to the next, so the dropped line is taken out of the
real reading (a fault injected), and the real Tesseract reads its cut.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont
from rapidfuzz.distance import Levenshtein

from pipeline.scan import missed_lines, ocr
from pipeline.scan.layout import Box
from pipeline.scan.ocr import OcrLine, PageOcr
from pipeline.scan.preprocess import PreprocessOptions, preprocess_page

FONT = "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf"
LEFT = ["UBND TỈNH QUẢNG TRỊ", "SỞ NỘI VỤ", "Số: 153/KH-SNV"]
RIGHT = [
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "Độc lập - Tự do - Hạnh phúc",
    "Quảng Trị, ngày 12 tháng 3 năm 2022",
]
BODY = [
    "Căn cứ Kế hoạch của Ủy ban nhân dân tỉnh về phong trào thi đua,",
    "Sở Nội vụ xây dựng Kế hoạch triển khai với các nội dung sau:",
    "Tỷ lệ hồ sơ giải quyết đúng hạn đạt trên 95%.",
]


@pytest.fixture(scope="module")
def page_and_reading() -> tuple[np.ndarray, PageOcr]:
    image = Image.new("L", (2480, 1400), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(FONT, 46)
    for i, (left, right) in enumerate(zip(LEFT, RIGHT, strict=True)):
        draw.text((200, 150 + 80 * i), left, font=font, fill=0)
        draw.text((1150, 150 + 80 * i), right, font=font, fill=0)
    for i, line in enumerate(BODY):
        draw.text((200, 600 + 80 * i), line, font=font, fill=0)
    page, _ = preprocess_page(np.asarray(image.convert("RGB")), 300, PreprocessOptions())
    return page, ocr.ocr_page(page, 300)


def _texts(result: PageOcr) -> list[str]:
    return [" ".join(line.text.split()) for line in result.lines]


def _dropped(result: PageOcr, start: str, keep_words: int = 0) -> tuple[PageOcr, list[str]]:
    """A copy of the reading without the line starting with ``start`` (or without all but its first
    ``keep_words`` words), and the texts of the reading as it was."""
    out = copy.deepcopy(result)
    i = next(k for k, line in enumerate(out.lines) if line.text.startswith(start))
    if keep_words:
        line = out.lines[i]
        line.words = line.words[:keep_words]
        line.text = " ".join(w.text for w in line.words)
    else:
        del out.lines[i]
    return out, _texts(result)


def test_the_whole_reading_is_what_was_printed(page_and_reading) -> None:
    _, result = page_and_reading
    printed = LEFT + RIGHT + BODY  # the header's columns one after the other
    assert len(result.lines) == len(printed)
    for read, line in zip(_texts(result), printed, strict=True):
        assert Levenshtein.normalized_distance(read, line) < 0.1, (read, line)
    assert result.line_boxes  # the layout's lines come with the reading


def test_a_dropped_number_line_is_read_and_put_back_in_its_column(page_and_reading) -> None:
    page, result = page_and_reading
    dropped, whole = _dropped(result, "Số:")
    assert missed_lines.missed_boxes(page, dropped)  # the line has ink and no word
    assert missed_lines.read_missed_lines(page, dropped, lang="vie", timeout_s=60) == 1
    assert _texts(dropped) == whole  # after "SỞ NỘI VỤ", before the right column


def test_a_dropped_body_line_and_the_end_of_a_line_are_put_back(page_and_reading) -> None:
    page, result = page_and_reading
    dropped, whole = _dropped(result, "Tỷ lệ")
    assert missed_lines.read_missed_lines(page, dropped, lang="vie", timeout_s=60) == 1
    assert _texts(dropped) == whole
    # the end of a line: its first words were read, the rest is read again and nothing twice
    cut, whole = _dropped(result, "Sở Nội vụ", keep_words=4)
    assert missed_lines.read_missed_lines(page, cut, lang="vie", timeout_s=60) == 1
    texts = _texts(cut)
    at = next(i for i, text in enumerate(texts) if text.startswith("Sở Nội vụ"))
    assert len(texts[at].split()) == 4
    assert f"{texts[at]} {texts[at + 1]}" == whole[at]  # the rest of the line after it, no word twice


def test_a_page_read_whole_costs_nothing(page_and_reading) -> None:
    page, result = page_and_reading
    assert missed_lines.missed_boxes(page, result) == []


def test_specks_rules_and_seals_are_no_missed_lines() -> None:
    page = np.full((1000, 2000), 255, np.uint8)
    page[100:150, 100:600] = 0  # a line of print's box, solid: inked
    page[300:304, 100:1500] = 0  # a rule: too low for a line
    page[500:530:6, 100:900:9] = 0  # a row of specks: too little ink
    page[600:900, 1000:1400] = 0  # a seal and signature: three lines high
    boxes = [
        Box(100, 100, 600, 150),
        Box(100, 300, 1500, 304),
        Box(100, 500, 900, 530),
        Box(1000, 600, 1400, 900),
    ]
    result = PageOcr([], [], line_boxes=[*boxes, *[Box(100, 1000 + i, 1900, 1050) for i in range(3)]])
    assert missed_lines.missed_boxes(page, result) == [(100, 100, 600, 150)]


def test_unread_stretches_are_the_gaps_between_read_words() -> None:
    box = Box(0, 100, 1000, 150)
    words = [(0, 105, 200, 145), (250, 105, 400, 145), (800, 105, 900, 145), (420, 300, 700, 340)]
    # the word at 420-700 lies on another line: its stretch is unread
    assert missed_lines._unread_stretches(box, words, 75) == [(400, 800), (900, 1000)]
    assert missed_lines._unread_stretches(box, words, 150) == [(400, 800)]


def test_a_lone_mark_or_a_line_read_without_confidence_is_no_text() -> None:
    def line(text: str, conf: float) -> OcrLine:
        return OcrLine(
            text, conf, (0, 0, 10, 10), 0, [ocr.OcrWord(w, conf, (0, 0, 10, 10)) for w in text.split()]
        )

    assert missed_lines._is_text(line("Số: 153/KH-SNV", 70.0))
    assert not missed_lines._is_text(line(".", 90.0))
    assert not missed_lines._is_text(line("Nướng ốc ah", 30.0))


def test_many_cuts_are_read_in_stacks_Tesseract_accepts(page_and_reading, monkeypatch) -> None:
    """A page that lost most of its lines gives a stack taller than Tesseract reads (32,767 px): the cuts
    are read in several calls, with the same words per cut as in one."""
    page, result = page_and_reading
    boxes = [(b.left, b.top, b.right, b.bottom) for b in result.line_boxes]
    whole = ocr.read_cuts(page, boxes, margin=0.3, lang="vie", timeout_s=60)
    monkeypatch.setattr(ocr, "MAX_STACK_HEIGHT", 400)  # two or three cuts a call
    calls = []
    real = ocr.tesseract.recognize_words
    monkeypatch.setattr(
        ocr.tesseract, "recognize_words", lambda image, **kw: calls.append(image.shape) or real(image, **kw)
    )
    parts = ocr.read_cuts(page, boxes, margin=0.3, lang="vie", timeout_s=60)
    assert len(calls) > 1 and all(height <= 400 for height, _ in calls)
    assert [[w.text for _, w in cut] for cut in parts] == [[w.text for _, w in cut] for cut in whole]
    assert [[w.bbox for _, w in cut] for cut in parts] == [[w.bbox for _, w in cut] for cut in whole]


def test_a_failing_second_look_leaves_the_page_as_it_was_read(page_and_reading, monkeypatch) -> None:
    """Fault injected: Tesseract fails on the cuts. The page was read: it stays as read, not failed."""
    from pipeline.errors import PageError
    from pipeline.scan import guard

    page, result = page_and_reading
    real = ocr.tesseract.recognize_words

    def fails_on_cuts(image, *, lang, psm, timeout_s):
        if image.shape[0] < page.shape[0] // 2:  # a stack of cuts, not the page's blocks
            raise PageError("Tesseract crashed (SIGSEGV)")
        return real(image, lang=lang, psm=psm, timeout_s=timeout_s)

    dropped, _ = _dropped(result, "Số:")
    monkeypatch.setattr(ocr.tesseract, "recognize_words", fails_on_cuts)
    monkeypatch.setattr(ocr, "ocr_page", lambda *a, **kw: copy.deepcopy(dropped))
    read, check = guard.read_page(page, 300)
    assert check.problem is None
    assert _texts(read) == _texts(dropped)
