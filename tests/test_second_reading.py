"""Never worse than plain Tesseract (issue 11): a page sohoa reads poorly in its own blocks is read again
plainly, and the reading with the better evidence is kept and recorded.

Real Tesseract on a generated scanned page. The fault (a layout that cuts the page into bands half a line
high, so every line is read as its top and bottom halves) is injected with a mock; the rest is the
pipeline as it runs.
"""

from __future__ import annotations

import json
import unicodedata
from unittest import mock

import numpy as np
import pytest
from rapidfuzz.distance import Levenshtein

from devtools.synth.archive import Conditions, make_document
from pipeline.record import DocumentResult
from pipeline.scan import guard, ingest, layout, ocr
from pipeline.scan.preprocess import PreprocessOptions, preprocess_page
from pipeline.stages import ProcessOptions, process_page

DPI = 300


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def _cer(text: str, truth: str) -> float:
    return Levenshtein.distance(_norm(text), _norm(truth)) / len(_norm(truth))


@pytest.fixture(scope="module")
def scanned(short_plan):
    return make_document(short_plan, Conditions(scan="scan", dpi=DPI), seed=2)


@pytest.fixture(scope="module")
def page(scanned) -> tuple[np.ndarray, np.ndarray, str]:
    """The preprocessed page, the grey upright page a plain reading reads, and the page's truth."""
    binary, report = preprocess_page(np.asarray(scanned.pages[0].convert("RGB")), DPI, PreprocessOptions())
    return binary, report.upright, scanned.truths[0]


def _bands(binary: np.ndarray, dpi: int) -> layout.PageLayout:
    """A broken layout: the page in bands half a line of 12-point type high, read one after the other."""
    h, w = binary.shape
    band = dpi // 12
    return layout.PageLayout(
        [layout.Segment(layout.Box(0, top, w, min(h, top + band)), "full") for top in range(0, h, band)]
    )


def test_a_good_page_is_read_once_in_blocks(page) -> None:
    binary, upright, truth = page
    result, check = guard.read_page(binary, DPI, plain_page=upright)
    assert result.reading == "blocks" and "second_reading" not in result.timings
    assert not guard.needs_second_reading(check) and check.problem is None
    assert _cer(result.text, truth) < 0.02


def test_a_page_read_poorly_in_blocks_is_read_plainly_and_says_so(page) -> None:
    binary, upright, truth = page
    with mock.patch.object(layout, "find_layout", _bands):
        result, check = guard.read_page(binary, DPI, plain_page=upright)
        blocks = ocr.ocr_page(binary, DPI)  # the reading in blocks alone
    blocks_check = guard.check_page(blocks, binary)
    assert guard.needs_second_reading(blocks_check)  # the fault shows in the page's own evidence
    assert result.reading == "plain" and result.timings["second_reading"] > 0
    assert check.mean_confidence > blocks_check.mean_confidence
    assert _cer(result.text, truth) < _cer(blocks.text, truth) / 2


def test_the_blocks_are_kept_when_the_plain_reading_is_no_better(page) -> None:
    binary, upright, _ = page
    with mock.patch.object(layout, "find_layout", _bands):
        # the plain reading sees a blank page: it finds no words, so it cannot win
        result, _ = guard.read_page(binary, DPI, plain_page=np.full_like(binary, 255))
    assert result.reading == "blocks" and "second_reading" in result.timings


def test_a_plain_reading_that_loses_lines_is_not_kept(page) -> None:
    binary, upright, _ = page
    short = upright.copy()
    short[: 2 * short.shape[0] // 3] = 255  # the plain reading loses all but the page's last third
    with mock.patch.object(layout, "find_layout", _bands):
        result, _ = guard.read_page(binary, DPI, plain_page=short)
    assert result.reading == "blocks"


def test_the_reading_kept_is_in_the_page_record(scanned, tmp_path) -> None:
    path = tmp_path / "page.png"
    scanned.pages[0].save(path, dpi=(DPI, DPI))
    source = ingest.inspect(path)
    with mock.patch.object(layout, "find_layout", _bands):
        faulty = process_page(source, 0, ProcessOptions())
    assert faulty.reading == "plain" and faulty.ok
    assert "second_reading" in faulty.timings
    doc = DocumentResult(doc_id="d", source_path=str(path), pages=[faulty])
    data = json.loads(json.dumps(doc.to_dict()))
    assert data["pages"][0]["reading"] == "plain"
    assert DocumentResult.from_dict(data).pages[0].reading == "plain"
