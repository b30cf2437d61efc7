"""The page guard: a page whose OCR is not Vietnamese of reasonable confidence never passes as ``ok``."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pyarrow.parquet as pq
import pytest
from PIL import Image

from devtools.synth.degrade import degrade
from pipeline.outputs import export
from pipeline.record import DocumentResult, PageResult, Status, document_row
from pipeline.scan import guard, ingest
from pipeline.scan.ocr import OcrLine, OcrWord, PageOcr
from pipeline.scan.preprocess import PreprocessOptions
from pipeline.stages import ProcessOptions, finish_document, process_page

VIETNAMESE = str.split("Các đơn vị trực thuộc tổ chức phong trào thi đua và báo cáo kết quả về Sở trước ngày")
ENGLISH = str.split("The departments shall organise the emulation movement and report the results by the")
GARBAGE = str.split("SunuN 3u9H jq.L ưọ2 8ượn qs 8uoqd :231A tượt ọp 8uip ugnb qutq 8u 0S")


def _page_ocr(words: list[str], conf: float) -> PageOcr:
    ocr_words = [OcrWord(w, conf, (10 * i, 0, 10 * i + 8, 10)) for i, w in enumerate(words)]
    return PageOcr([OcrLine(" ".join(words), conf, (0, 0, 10, 10), 0, ocr_words)], [])


def _page(ink: float = 0.05) -> np.ndarray:
    page = np.full((100, 100), 255, np.uint8)
    page.flat[: int(ink * page.size)] = 0
    return page


def test_thresholds_on_what_the_ocr_read() -> None:
    assert guard.check_page(_page_ocr(VIETNAMESE, 91), _page()).problem is None
    garbage = guard.check_page(_page_ocr(GARBAGE, 41), _page())
    assert garbage.problem.startswith("unreadable (mean confidence 41, ")
    assert garbage.problem.endswith("% valid syllables)") and garbage.valid_syllables < 0.6
    english = guard.check_page(_page_ocr(ENGLISH, 92), _page()).problem
    assert english.startswith("text does not look Vietnamese (mean confidence 92")
    assert guard.check_page(_page_ocr(GARBAGE[:4], 30), _page()).problem is None  # too short to judge
    assert guard.check_page(PageOcr([], []), _page(0.0)).problem is None  # a blank page is fine
    assert guard.check_page(PageOcr([], []), _page(0.07)).problem == "unreadable (no text found, 7% inked)"


def _noise_page() -> Image.Image:
    """A page of blotches: Tesseract reads words into it, with low confidence."""
    rng = np.random.default_rng(0)
    noise = (rng.random((438, 310)) < 0.5).astype(np.uint8) * 255
    return Image.fromarray(cv2.resize(noise, (2480, 3508), interpolation=cv2.INTER_NEAREST))


@pytest.fixture(scope="module")
def guarded_document(tmp_path_factory, short_plan_pages) -> DocumentResult:
    """Three pages: the plan, noise, and the plan fed upside down with orientation switched off."""
    good = degrade(short_plan_pages[0], "scan", seed=7).convert("L")
    path = tmp_path_factory.mktemp("guard") / "three_pages.tif"
    good.save(path, save_all=True, append_images=[_noise_page(), good.rotate(180)], dpi=(300, 300))
    source = ingest.inspect(path, dpi=300)
    options = ProcessOptions(restore=False, structure=False, preprocess=PreprocessOptions(orient=False))
    pages = [process_page(source, index, options) for index in range(source.n_pages)]
    return finish_document(source, pages, options)


def test_unreadable_pages_make_the_document_partial_with_their_reasons(guarded_document, tmp_path) -> None:
    doc = guarded_document
    assert [p.status for p in doc.pages] == [Status.OK, Status.ERROR, Status.ERROR]
    assert doc.status is Status.PARTIAL
    assert doc.error.startswith("2 of 3 pages failed: page 2: unreadable (mean confidence ")
    assert "; page 3: unreadable (mean confidence " in doc.error and "\n" not in doc.error
    upside_down = doc.pages[2]
    assert upside_down.ocr_mean_confidence < 60 and upside_down.valid_syllables < 0.6
    assert upside_down.lines, "the garbage is kept in the page for review"
    # ... but it is not the document's text
    assert doc.raw_text.count("Sở Giáo dục và Đào tạo") == 1
    assert doc.pages[2].line_start == doc.pages[2].line_end == doc.pages[1].line_end
    export.write_tables(tmp_path, [doc.summary()])
    row = pq.read_table(tmp_path / "documents.parquet").to_pylist()[0]
    assert row["status"] == "partial" and row["error"] == doc.error
    assert row["n_pages_failed"] == 2 and row["page_rotations"] == [0, 0, 0]


def test_page_rotations_reach_the_table(tmp_path: Path) -> None:
    doc = DocumentResult(doc_id="d", source_path="/x.pdf", pages=[PageResult(0), PageResult(1, rotation=180)])
    assert document_row(doc).page_rotations == [0, 180]
    back = DocumentResult.from_dict(doc.summary())
    assert [p.rotation for p in back.pages] == [0, 180]  # the ledger's summary keeps them
    export.write_tables(tmp_path, [doc.summary()])
    assert pq.read_table(tmp_path / "documents.parquet").to_pylist()[0]["page_rotations"] == [0, 180]
