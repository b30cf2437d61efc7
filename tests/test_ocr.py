"""Column-aware OCR with the real Tesseract on rendered official pages."""

from __future__ import annotations

import unicodedata

import numpy as np
import pytesseract
from rapidfuzz.distance import Levenshtein

from devtools.synth.degrade import degrade
from pipeline.external.tesseract import TesseractWord
from pipeline.review import LOW_OCR_CONFIDENCE
from pipeline.scan import layout
from pipeline.scan.ocr import _lines, ocr_page
from pipeline.scan.preprocess import PreprocessOptions, preprocess_page


def _flat(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def _ocr(image, level: str):
    page, _ = preprocess_page(
        np.asarray(degrade(image, level, seed=7).convert("RGB")), 300, PreprocessOptions()
    )
    return ocr_page(page, 300)


def test_header_columns_are_read_left_then_right(short_plan_pages) -> None:
    text = _ocr(short_plan_pages[0], "scan").text
    left_issuer = text.index("SỞ GIÁO DỤC VÀ ĐÀO TẠO")
    left_number = text.index("Số: 87/KH-SGDĐT")
    motto = text.index("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
    date = text.index("ngày 20 tháng 4 năm 2023")
    assert left_issuer < left_number < motto < date < text.index("KẾ HOẠCH")


def test_signer_title_under_the_seal_is_read(short_plan_pages) -> None:
    lines = _ocr(short_plan_pages[0], "scan").text.splitlines()
    assert "KT. GIÁM ĐỐC" in lines
    assert lines.index("KT. GIÁM ĐỐC") < lines.index("Trần Thị Mai")


def test_character_error_rate_is_low_and_beats_plain_tesseract(short_plan_pages, short_plan_truth) -> None:
    truth = _flat(short_plan_truth)
    for level, bound in (("scan", 0.02), ("photocopy", 0.08)):
        image = degrade(short_plan_pages[0], level, seed=7)
        ours = Levenshtein.normalized_distance(truth, _flat(_ocr(short_plan_pages[0], level).text))
        plain = Levenshtein.normalized_distance(truth, _flat(pytesseract.image_to_string(image, lang="vie")))
        assert ours <= bound, (level, ours)
        assert ours <= plain / 2, (level, ours, plain)


def test_words_keep_confidences_and_page_coordinates(short_plan_pages) -> None:
    result = _ocr(short_plan_pages[0], "clean")
    words = [w for line in result.lines for w in line.words]
    assert len(words) > 100
    assert all(0 <= w.conf <= 100 for w in words)
    assert 80 < result.mean_conf <= 100
    width, height = short_plan_pages[0].size
    assert all(0 <= w.bbox[0] < w.bbox[2] <= width and 0 <= w.bbox[1] < w.bbox[3] <= height for w in words)
    motto = next(line for line in result.lines if line.text.startswith("CỘNG HÒA"))
    assert motto.bbox[0] > width * 0.4  # mapped back to the right column, not the stacked image


def test_marks_glued_to_words_are_taken_off_and_the_word_is_sent_to_review() -> None:
    """A fold read as "|" before "chức", a speck as ";" before "rào": no Vietnamese word carries them."""
    texts = ["Tổ", "|chức", ";rào", "trào|", "...và", "“Vì", "ngày.", "x|y", "2021"]
    words = [TesseractWord(t, 93.0, 40 + 120 * i, 10, 100, 30, 1, 1, 1) for i, t in enumerate(texts)]
    segment = layout.Segment(layout.Box(0, 0, 2000, 60), "full")
    [line] = _lines(words, [0], [segment])
    assert line.text == "Tổ chức rào trào ...và “Vì ngày. x|y 2021"
    doubtful = {w.text for w in line.words if w.conf < LOW_OCR_CONFIDENCE}
    assert doubtful == {"chức", "rào", "trào"}
