"""Punctuation at line ends survives; specks read as marks at line ends do not.

The stray-mark trim once deleted every lone "." or "," at a line end, real punctuation included (" ." and
", ." typed with a space: 22 of 63 errors on clean scans). A mark is now trimmed only when it is read with
low confidence or lies far from the text.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from pipeline.scan import ocr
from pipeline.scan.ocr import OcrLine, OcrWord
from pipeline.scan.preprocess import PreprocessOptions, preprocess_page

FONT = "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf"
LINES = [
    "Các đơn vị báo cáo kết quả về Sở trước ngày 30 tháng 5 .",
    "Tổ chức sơ kết, tổng kết phong trào thi đua, .",
    "Khen thưởng tập thể, cá nhân tiêu biểu, v.v...",
    "Các nội dung khác …",
    "Thời gian thực hiện: từ tháng 6 năm 2024",
]


def _ocr_lines() -> list[str]:
    image = Image.new("L", (2480, 200 + 110 * len(LINES)), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(FONT, 54)  # 13 pt at 300 dpi
    for i, line in enumerate(LINES):
        draw.text((200, 100 + 110 * i), line, font=font, fill=0)
    page, _ = preprocess_page(np.asarray(image.convert("RGB")), 300, PreprocessOptions())
    return [line.text for line in ocr.ocr_page(page, 300).lines]


def test_line_end_punctuation_is_kept_on_a_clean_page() -> None:
    lines = [" ".join(line.replace(" .", ".").replace(" ,", ",").split()) for line in _ocr_lines()]
    assert len(lines) == len(LINES), lines
    assert lines[0].endswith("tháng 5.")
    assert lines[1].endswith("thi đua,.")
    assert lines[2].endswith("v.v...")
    assert lines[3].endswith(("khác...", "khác…"))
    assert lines[4].endswith("năm 2024")  # and nothing is added where there is nothing


def _line(*words: tuple[str, float, int]) -> OcrLine:
    """Words as (text, confidence, left); each 40 px wide except marks (10 px), 50 px high."""
    ocr_words = [
        OcrWord(text, conf, (left, 100, left + (10 if len(text) <= 3 and not text.isalnum() else 40), 150))
        for text, conf, left in words
    ]
    return OcrLine("", 0.0, (0, 0, 0, 0), 0, ocr_words)


def _trimmed(line: OcrLine) -> tuple[list[str], list[str]]:
    ocr._trim_stray_marks(line)
    return [w.text for w in line.words], [w.text for w in line.stray]


def test_a_mark_is_trimmed_only_when_unsure_or_isolated() -> None:
    near = [("tháng", 95, 0), ("5", 96, 60)]
    assert _trimmed(_line(*near, (".", 93, 120))) == (["tháng", "5", "."], [])  # a space away: kept
    assert _trimmed(_line(*near, (",", 91, 115), (".", 90, 140))) == (["tháng", "5", ",", "."], [])
    assert _trimmed(_line(*near, (".", 35, 120))) == (["tháng", "5"], ["."])  # unsure: a speck
    assert _trimmed(_line(*near, (".", 93, 400))) == (["tháng", "5"], ["."])  # far from the text
    assert _trimmed(_line(*near, ("'", 93, 120))) == (["tháng", "5"], ["'"])  # never punctuation at an end
    assert _trimmed(_line(("„", 90, 0), ("Số", 95, 30))) == (["Số"], ["„"])  # nor at a start
    assert _trimmed(_line(("...", 90, 0), ("và", 95, 30))) == (["...", "và"], [])  # an ellipsis may start one


def test_a_lone_letter_far_from_the_text_and_read_unsure_is_a_speck() -> None:
    near = [("của", 96, 0), ("ngành,", 81, 60)]
    assert _trimmed(_line(*near, ("R", 22, 500))) == (["của", "ngành,"], ["R"])  # a stamp fragment
    assert _trimmed(_line(*near, ("a", 40, 120))) == (["của", "ngành,", "a"], [])  # a space away: a word
    assert _trimmed(_line(*near, ("X", 92, 500))) == (["của", "ngành,", "X"], [])  # read sure: a tick
    assert _trimmed(_line(("b", 30, 0), ("Số", 95, 400), ("12", 95, 460))) == (["Số", "12"], ["b"])
    assert _trimmed(_line(*near, ("°", 88, 300))) == (["của", "ngành,"], ["°"])  # a lone degree sign
