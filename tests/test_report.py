"""`sohoa report OUT`: the static review site, checked in a real headless browser (Debian's chromium)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from pipeline.outputs import export
from pipeline.outputs.report.words import page_words
from tests.cli import sohoa

CHROMIUM = "/usr/bin/chromium"
# An unaccented dump (restoration must change words) with markup that must come out as text.
DUMP = (
    "Ke hoach to chuc phong trao thi dua nam 2024\n"
    'Ghi chu: <script>alert("x")</script> & <b>dam</b>\n'
    "Dong vien can bo, cong chuc thi dua hoan thanh tot nhiem vu duoc giao trong nam.\n"
)


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / "chromium-profile"
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def run_out(tmp_path_factory, scanned_plan_pdf: Path) -> Path:
    inputs = tmp_path_factory.mktemp("inputs")
    shutil.copy(scanned_plan_pdf, inputs / "plan.pdf")
    (inputs / "dump.txt").write_text(DUMP, encoding="utf-8")
    (inputs / "empty.pdf").write_bytes(b"")
    out = tmp_path_factory.mktemp("out")
    result = sohoa("run", inputs, "-o", out, "--workers", "2", "--quiet")
    assert result.returncode == 1, result.stderr  # the empty file fails, the others are ok
    return out


@pytest.fixture(scope="module")
def report(run_out: Path) -> Path:
    result = sohoa("report", run_out)
    assert result.returncode == 0, result.stderr
    index = Path(result.stdout.strip())
    assert index == run_out / "report" / "index.html"
    return index


def _doc_id(out: Path, name: str) -> str:
    docs = pd.read_parquet(out / "documents.parquet")
    return docs[docs.source_path.str.endswith(name)].doc_id.iloc[0]


def test_index_lists_every_document_in_the_browser(report: Path, run_out: Path, tmp_path: Path) -> None:
    dom = chromium(tmp_path, "--dump-dom", report.as_uri()).stdout
    docs = pd.read_parquet(run_out / "documents.parquet")
    assert len(re.findall(r'<tr data-doc="', dom)) == len(docs) == 3
    # The filter script ran (it writes the count) and every row links to an existing document page.
    assert "3 / 3 documents" in dom
    for doc_id in docs.doc_id:
        assert f'href="{doc_id}.html"' in dom
        assert (report.parent / f"{doc_id}.html").is_file()
    assert "empty file" in dom  # the failed file's reason is shown


def test_document_page_marks_changes_and_escapes_markup(report: Path, run_out: Path, tmp_path: Path) -> None:
    page = report.parent / f"{_doc_id(run_out, 'dump.txt')}.html"
    html = page.read_text(encoding="utf-8")
    assert '<script>alert("x")' not in html and "&lt;script&gt;" in html
    dom = chromium(tmp_path, "--dump-dom", page.as_uri()).stdout
    marks = re.findall(r'<mark class="changed[^"]*" title="OCR: ([^"]*)">([^<]*)</mark>', dom)
    assert marks, "no changed word marked"
    assert any(original.split(" ·")[0] != restored for original, restored in marks)
    assert "<script" not in dom.split("<body>", 1)[1]  # no script element came from the document's text


def test_page_image_lines_up_with_the_ocr_boxes(report: Path, run_out: Path, tmp_path: Path) -> None:
    doc_id = _doc_id(run_out, "plan.pdf")
    doc = export.read_document(run_out, doc_id)
    page = doc["pages"][0]
    image = Image.open(report.parent / "img" / f"{doc_id}_p1.jpg").convert("L")
    assert 900 <= image.width <= 1100
    assert abs(image.height / image.width - page["height"] / page["width"]) < 0.01
    ink = np.asarray(image) < 110
    inside = np.zeros_like(ink)
    scale = image.width / page["width"]
    for line in page_words(doc, page):
        for word in line:
            x0, y0, x1, y1 = (round(v * scale) for v in word.bbox)
            inside[max(0, y0 - 1) : y1 + 2, max(0, x0 - 1) : x1 + 2] = True
    # Ink of the text lies within the word boxes when the image is turned like the OCR'd page.
    assert ink[inside].sum() / ink.sum() > 0.85
    html = (report.parent / f"{doc_id}.html").read_text(encoding="utf-8")
    assert f'viewBox="0 0 {page["width"]} {page["height"]}"' in html

    shot = tmp_path / "doc.png"
    chromium(
        tmp_path,
        f"--screenshot={shot}",
        "--window-size=1280,900",
        (report.parent / f"{doc_id}.html").as_uri(),
    )
    assert shot.is_file() and Image.open(shot).size == (1280, 900)


def test_report_refuses_a_folder_without_a_run(tmp_path: Path) -> None:
    result = sohoa("report", tmp_path)
    assert result.returncode == 2 and "documents.parquet" in result.stderr
