"""`sohoa run --pdf`: scans with an invisible layer of the restored words, checked with pdftotext."""

from __future__ import annotations

import json
import logging
import re
import subprocess
import unicodedata
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from devtools.synth.degrade import degrade
from devtools.synth.pdf import write_pdf
from pipeline.batch import run as batch
from pipeline.record import DocumentResult
from tests.cli import sohoa


def pdftotext(pdf: Path, page: int) -> str:
    result = subprocess.run(
        ["pdftotext", "-f", str(page), "-l", str(page), "-enc", "UTF-8", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    )
    return unicodedata.normalize("NFC", result.stdout)


@pytest.fixture(scope="module")
def pdf_run(tmp_path_factory, short_plan_pages) -> tuple[Path, dict]:
    """A two-page scan, blank first page, the plan on page 2 (so text on the wrong page shows)."""
    inputs = tmp_path_factory.mktemp("inputs")
    plan = degrade(short_plan_pages[0], "scan", seed=11)
    blank = Image.new(plan.mode, plan.size, "white")
    write_pdf([blank, plan], inputs / "plan.pdf", dpi=300)
    (inputs / "dump.txt").write_text(
        "Ke hoach to chuc phong trao thi dua nam 2024 cua so giao duc.\n", encoding="utf-8"
    )
    out = tmp_path_factory.mktemp("out")
    result = sohoa("run", inputs, "-o", out, "--workers", "2", "--quiet", "--pdf")
    assert result.returncode == 0, result.stderr
    docs = [json.loads(p.read_text(encoding="utf-8")) for p in (out / "documents").glob("*.json")]
    doc = next(d for d in docs if d["kind"] == "pdf")
    return out, doc


def test_pdf_has_the_scan_pages_and_only_scans_get_one(pdf_run) -> None:
    out, doc = pdf_run
    pdfs = list((out / "pdf").glob("*.pdf"))
    assert [p.name for p in pdfs] == [f"{doc['doc_id']}.pdf"]  # the text dump gets none
    reader = PdfReader(pdfs[0])
    assert len(reader.pages) == 2
    width_in = float(reader.pages[1].mediabox.width) / 72
    assert abs(width_in - doc["pages"][1]["width"] / doc["pages"][1]["dpi"]) < 0.01


def test_restored_words_are_searchable_on_their_page(pdf_run) -> None:
    out, doc = pdf_run
    pdf = out / "pdf" / f"{doc['doc_id']}.pdf"
    page = doc["pages"][1]
    restored_lines = doc["text"].split("\n")[page["line_start"] : page["line_end"]]
    expected = [w for line in restored_lines for w in line.split()]
    accented = [w for w in expected if any(ord(c) > 127 for c in w)]
    assert len(accented) > 50
    found = set(pdftotext(pdf, 2).split())
    assert sum(w in found for w in accented) / len(accented) > 0.95
    for token in doc["restoration"]["tokens"]:
        if token["changed"] and page["line_start"] <= token["line"] < page["line_end"]:
            assert re.search(re.escape(token["restored"]), pdftotext(pdf, 2)), token
    assert not pdftotext(pdf, 1).split()  # nothing on the blank page


def test_a_pdf_failure_is_a_warning_not_a_failed_document(pdf_run, tmp_path, caplog) -> None:
    _, doc = pdf_run
    moved = {**doc, "source_path": str(tmp_path / "gone.pdf")}
    with caplog.at_level(logging.WARNING, logger="sohoa"):
        batch._write_pdf(tmp_path, DocumentResult.from_dict(moved))
    assert not (tmp_path / "pdf" / f"{doc['doc_id']}.pdf").exists()
    assert any("no searchable PDF" in r.getMessage() for r in caplog.records)
