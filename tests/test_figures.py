"""Doubtful figures are read again alone, by two models, and put to the vote (pipeline.scan.figures).

On a typewritten archive page the dotted zero of "ngày 20" was read "26" (confidence 77) in its line and
"20" alone by both models: the date field was wrong. The page here is real Tesseract on a rendered
typewriter-face page; the misreading is injected into its OCR result, since which page makes Tesseract
misread is not stable from one Tesseract build to the next.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from pipeline.scan import figures, ocr
from pipeline.scan.ocr import OcrLine, OcrWord
from pipeline.scan.preprocess import PreprocessOptions, preprocess_page

FONT = "/usr/share/fonts/truetype/liberation2/LiberationMono-Regular.ttf"
LINES = ["Số: 87/KH-SNN", "Nghệ An, ngày 20 tháng 4 năm 2021", "Căn cứ Kế hoạch số 41 ngày 18/02/2022"]


@pytest.fixture(scope="module")
def page_and_lines() -> tuple[np.ndarray, list[OcrLine]]:
    image = Image.new("L", (2480, 200 + 110 * len(LINES)), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(FONT, 50)
    for i, line in enumerate(LINES):
        draw.text((200, 100 + 110 * i), line, font=font, fill=0)
    page, _ = preprocess_page(np.asarray(image.convert("RGB")), 300, PreprocessOptions())
    return page, ocr.ocr_page(page, 300).lines


def _word(lines: list[OcrLine], text: str) -> tuple[OcrLine, int]:
    for line in lines:
        for i, word in enumerate(line.words):
            if word.text == text:
                return line, i
    raise AssertionError(f"{text!r} not read: {[line.text for line in lines]}")


def _misread(lines: list[OcrLine], right: str, wrong: str, conf: float) -> tuple[list[OcrLine], OcrLine, int]:
    """A copy of the lines with the word ``right`` read as ``wrong`` with ``conf``."""
    copies = [OcrLine(ln.text, ln.conf, ln.bbox, ln.block, list(ln.words)) for ln in lines]
    line, i = _word(copies, right)
    line.words[i] = OcrWord(wrong, conf, line.words[i].bbox)
    line.text = " ".join(w.text for w in line.words)
    return copies, line, i


def test_a_doubtful_figure_is_read_again_alone(page_and_lines) -> None:
    page, lines = page_and_lines
    misread, line, i = _misread(lines, "20", "26", 60.0)
    assert figures.reread_figures(page, misread, lang="vie", timeout_s=60) >= 1
    assert line.words[i].text == "20"
    assert line.words[i].conf > 60.0  # the agreeing readings' confidence
    assert "ngày 20 tháng" in line.text  # the line's text follows its words
    # the other lines' words are where they were
    assert [w.text for w in misread[0].words] == [w.text for w in lines[0].words]


def test_a_date_with_separators_is_read_again_and_keeps_them(page_and_lines) -> None:
    page, lines = page_and_lines
    misread, line, i = _misread(lines, "18/02/2022", "18/08/2022", 50.0)
    figures.reread_figures(page, misread, lang="vie", timeout_s=60)
    assert line.words[i].text == "18/02/2022"


def test_a_doubtful_figure_read_alone_as_in_its_line_stays_as_it_was(page_and_lines) -> None:
    page, lines = page_and_lines
    misread, line, i = _misread(lines, "41", "41", 70.0)
    figures.reread_figures(page, misread, lang="vie", timeout_s=60)
    assert (line.words[i].text, line.words[i].conf) == ("41", 70.0)


def test_a_confident_figure_and_a_word_with_letters_are_left_alone(page_and_lines) -> None:
    page, lines = page_and_lines
    # read confidently, even if wrong: not doubtful, not read again
    misread, line, i = _misread(lines, "20", "26", 95.0)
    figures.reread_figures(page, misread, lang="vie", timeout_s=60)
    assert (line.words[i].text, line.words[i].conf) == ("26", 95.0)
    # a number with letters is no word of figures
    misread, line, i = _misread(lines, "87/KH-SNN", "87/KH-SNM", 40.0)
    figures.reread_figures(page, misread, lang="vie", timeout_s=60)
    assert (line.words[i].text, line.words[i].conf) == ("87/KH-SNM", 40.0)


@pytest.mark.parametrize(
    ("new", "old", "same"),
    [
        ("20", "26", True),
        ("2021", "20621", True),  # a dotted zero read as "06"
        ("18/02/2022", "18/08/2022", True),
        ("2000", "26", False),  # two figures more: the cut caught something else
        ("2.6", "26", False),  # a separator the old reading did not have
        ("18/02-2022", "18/02/2022", False),  # another separator
        ("26", "26", False),  # the same reading is no other one
    ],
)
def test_a_new_reading_differs_from_the_old_in_figures_only(new: str, old: str, same: bool) -> None:
    assert figures.same_shape(new, old) is same


def test_one_new_reading_against_the_old_one_changes_nothing(page_and_lines, monkeypatch) -> None:
    """Fault injected: the second model reads the cut as the old reading did. Two readings of three
    say "26", so "26" stays, although the page's model alone read "20"."""
    page, lines = page_and_lines
    misread, line, i = _misread(lines, "20", "26", 60.0)
    real = figures.tesseract.recognize_words

    def second_model_agrees_with_the_old(image, *, lang, psm, timeout_s):
        words = real(image, lang=lang, psm=psm, timeout_s=timeout_s)
        if lang == figures.SECOND_MODEL:
            words = [replace(w, text="26") if w.text == "20" else w for w in words]
        return words

    monkeypatch.setattr(figures.tesseract, "recognize_words", second_model_agrees_with_the_old)
    figures.reread_figures(page, misread, lang="vie", timeout_s=60)
    assert line.words[i].text == "26"
