"""`sohoa run --pdf`: the scans as they are, with the restored words invisible under the printed ones, PDF/A.

The scan is a page drawn from a known layout, turned by a known angle and stored as a 1-bit CCITT PDF (as a
photocopier does), so every word's printed position is known: the text layer is checked against it with
pdftotext's word boxes, and the scan's image streams against the input's, byte for byte.
"""

from __future__ import annotations

import copy
import hashlib
import html
import io
import json
import logging
import math
import re
import statistics
import subprocess
import unicodedata
from collections import Counter
from pathlib import Path

import img2pdf
import pikepdf
import pytest
from pikepdf.pdfa import validate_written
from PIL import Image

from devtools.synth.layout import ASCENT, DESCENT, text_width
from devtools.synth.render import render_pages
from pipeline.batch import run as batch
from pipeline.batch.tasks import KIND_PDF, PdfResult, Task, crashed, make_pdf
from pipeline.outputs.searchable_pdf import searchable_pdf
from pipeline.record import DocumentResult
from tests.cli import sohoa

DPI = 300
SKEW = 1.2  # degrees counter-clockwise, as a sheet lies crooked on the glass
Box = tuple[float, float, float, float]


def pdftotext(pdf: Path, page: int) -> str:
    result = subprocess.run(
        ["pdftotext", "-f", str(page), "-l", str(page), "-enc", "UTF-8", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    )
    return unicodedata.normalize("NFC", result.stdout)


def pdf_word_boxes(pdf: Path, page: int) -> list[tuple[str, Box]]:
    """pdftotext's words on a page with their boxes, in pixels at DPI."""
    out = subprocess.run(
        ["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    k = DPI / 72
    pattern = r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>'
    return [
        (unicodedata.normalize("NFC", html.unescape(m[4])), tuple(float(m[i]) * k for i in range(4)))
        for m in re.findall(pattern, out)
    ]


def iou(a: Box, b: Box) -> float:
    width = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    height = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = width * height
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def known_word_ious(pdf: Path, page: int, drawn: list[tuple[str, Box]]) -> list[float]:
    """IoU of the text box and the printed box of every word that occurs once on the page and in the text."""
    found = pdf_word_boxes(pdf, page)
    in_pdf, printed = Counter(w for w, _ in found), Counter(w for w, _ in drawn)
    boxes = dict(found)
    return [
        iou(boxes[word], box)
        for word, box in drawn
        if len(word) >= 3 and printed[word] == 1 and in_pdf[word] == 1
    ]


def printed_boxes(rendered, turn) -> list[tuple[str, Box]]:
    """Each word's box as drawn (font ascent to descent), moved by ``turn`` and boxed again."""
    k = rendered.dpi / 72
    boxes = []
    for line in rendered.layout.lines:
        if line.face == "mono":
            continue
        for word, x in line.words:
            x1 = x + text_width(word, line.size, line.bold, line.italic, line.face)
            y0, y1 = line.baseline - ASCENT * line.size, line.baseline + DESCENT * line.size
            points = [turn(px * k, py * k) for px, py in ((x, y0), (x1, y0), (x, y1), (x1, y1))]
            xs, ys = [p[0] for p in points], [p[1] for p in points]
            boxes.append((unicodedata.normalize("NFC", word), (min(xs), min(ys), max(xs), max(ys))))
    return boxes


def image_streams(pdf: Path) -> list[tuple[str, str]]:
    """(filter, sha256 of the stream as stored) of every page's images."""
    with pikepdf.open(pdf) as doc:
        return [
            (str(image.get("/Filter")), hashlib.sha256(image.read_raw_bytes()).hexdigest())
            for page in doc.pages
            for image in page.get_images().values()
        ]


def g4(image: Image.Image) -> bytes:
    """A bilevel TIFF as scanners write it: CCITT G4 in one strip (img2pdf has to re-encode several
    strips into one, losslessly)."""
    buffer = io.BytesIO()
    image.save(buffer, "TIFF", compression="group4", dpi=(DPI, DPI), strip_size=1 << 30)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def scan(short_plan) -> tuple[Image.Image, list[tuple[str, Box]]]:
    """The plan's first page turned by SKEW and thresholded to 1 bit, and where its words are printed."""
    rendered = render_pages(short_plan, dpi=DPI, seed=3)[0]
    turned = rendered.image.convert("L").rotate(SKEW, Image.Resampling.BICUBIC, expand=False, fillcolor=255)
    page = turned.point(lambda v: 255 if v > 160 else 0).convert("1")
    cx, cy, a = page.width / 2, page.height / 2, math.radians(SKEW)

    def skew(x: float, y: float) -> tuple[float, float]:  # PIL turns counter-clockwise about the centre
        dx, dy = x - cx, y - cy
        return cx + dx * math.cos(a) + dy * math.sin(a), cy - dx * math.sin(a) + dy * math.cos(a)

    return page, printed_boxes(rendered, skew)


@pytest.fixture(scope="module")
def pdf_run(tmp_path_factory, scan) -> tuple[Path, dict, Path]:
    """A two-page 1-bit PDF, blank first page, the plan on page 2 (so text on the wrong page shows)."""
    page, _ = scan
    inputs = tmp_path_factory.mktemp("inputs")
    source = inputs / "plan.pdf"
    source.write_bytes(img2pdf.convert([g4(Image.new("1", page.size, 1)), g4(page)]))
    (inputs / "dump.txt").write_text(
        "Ke hoach to chuc phong trao thi dua nam 2024 cua so giao duc.\n", encoding="utf-8"
    )
    out = tmp_path_factory.mktemp("out")
    result = sohoa("run", inputs, "-o", out, "--workers", "2", "--quiet", "--pdf")
    assert result.returncode == 0, result.stderr
    docs = [json.loads(p.read_text(encoding="utf-8")) for p in (out / "documents").glob("*.json")]
    doc = next(d for d in docs if d["kind"] == "pdf")
    return out, doc, source


def test_pdf_has_the_scan_pages_and_only_scans_get_one(pdf_run) -> None:
    out, doc, _ = pdf_run
    pdfs = list((out / "pdf").glob("*.pdf"))
    assert [p.name for p in pdfs] == [f"{doc['doc_id']}.pdf"]  # the text dump gets none
    with pikepdf.open(pdfs[0]) as pdf:
        assert len(pdf.pages) == 2
        width_in = float(pdf.pages[1].mediabox[2]) / 72
    assert abs(width_in - doc["pages"][1]["width"] / doc["pages"][1]["dpi"]) < 0.01


def test_the_pdf_is_made_by_a_worker(pdf_run) -> None:
    out, _, _ = pdf_run
    workers = json.loads((out / "run.json").read_text(encoding="utf-8"))["workers"]
    # two pages, the document's finish, the text dump, the PDF
    assert sum(w["tasks"] for w in workers.values()) == 5


def test_restored_words_are_searchable_on_their_page(pdf_run) -> None:
    out, doc, _ = pdf_run
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


def test_the_text_lies_on_the_printed_words(pdf_run, scan) -> None:
    out, doc, _ = pdf_run
    scores = known_word_ious(out / "pdf" / f"{doc['doc_id']}.pdf", 2, scan[1])
    assert len(scores) > 40
    assert min(scores) >= 0.5, sorted(scores)[:5]
    assert statistics.median(scores) >= 0.7


def test_the_scans_are_kept_as_they_are(pdf_run) -> None:
    out, doc, source = pdf_run
    pdf = out / "pdf" / f"{doc['doc_id']}.pdf"
    assert [f for f, _ in image_streams(pdf)] == ["/CCITTFaxDecode"] * 2
    assert image_streams(pdf) == [("/CCITTFaxDecode", h) for _, h in image_streams(source)]
    # what is added is the text layer: a font subset, the words, XMP and a colour profile (~20 KB)
    assert pdf.stat().st_size <= 1.2 * source.stat().st_size + 30_000


def test_the_pdf_is_pdfa_2b_with_the_record_in_xmp(pdf_run) -> None:
    out, doc, _ = pdf_run
    pdf = out / "pdf" / f"{doc['doc_id']}.pdf"
    assert validate_written(pdf, "2b").passed
    fields = doc["record"]["fields"]
    with pikepdf.open(pdf) as opened:
        meta = opened.open_metadata()
        assert meta["pdfaid:part"] == "2"
        assert meta["pdfaid:conformance"] == "B"
        assert meta["dc:title"] == fields["title"]
        assert meta["dc:creator"] == [fields["issuer"]]
        assert meta["dc:language"] == {"vi"}
        assert str(meta["xmp:CreateDate"]).startswith(fields["issue_date"])
        assert str(opened.docinfo["/Title"]) == fields["title"]


def _as_image_doc(doc: dict, path: Path, page: dict) -> DocumentResult:
    """The stored document as if its second page had come alone from the image at ``path``."""
    single = {**copy.deepcopy(doc), "source_path": str(path), "kind": "tiff", "sha256": None}
    single["pages"] = [{**copy.deepcopy(page), "index": 0}]
    return DocumentResult.from_dict(single)


def test_an_image_is_wrapped_without_re_encoding(pdf_run, scan, tmp_path) -> None:
    _, doc, _ = pdf_run
    tiff = tmp_path / "plan.tif"
    tiff.write_bytes(g4(scan[0]))
    out = tmp_path / "plan.pdf"
    out.write_bytes(searchable_pdf(_as_image_doc(doc, tiff, doc["pages"][1])))
    with Image.open(tiff) as image:
        strips = image.tag_v2[273], image.tag_v2[279]  # StripOffsets, StripByteCounts
    data = tiff.read_bytes()
    g4_data = b"".join(data[o : o + n] for o, n in zip(*strips, strict=True))
    assert image_streams(out) == [("/CCITTFaxDecode", hashlib.sha256(g4_data).hexdigest())]
    assert out.stat().st_size <= 1.2 * tiff.stat().st_size + 30_000
    scores = known_word_ious(out, 1, scan[1])
    assert len(scores) > 40 and min(scores) >= 0.5


def test_a_page_turned_upright_keeps_its_words_on_the_scan(pdf_run, scan, tmp_path) -> None:
    """A page stored on its side (sohoa turned it 90 degrees clockwise to read it): the text follows."""
    _, doc, _ = pdf_run
    page_image, printed = scan
    width = page_image.width
    tiff = tmp_path / "sideways.tif"
    tiff.write_bytes(g4(page_image.transpose(Image.Transpose.ROTATE_90)))  # counter-clockwise
    sideways = _as_image_doc(doc, tiff, doc["pages"][1])
    sideways.pages[0].rotation = 90
    out = tmp_path / "sideways.pdf"
    out.write_bytes(searchable_pdf(sideways))
    turned = [(w, (y0, width - x1, y1, width - x0)) for w, (x0, y0, x1, y1) in printed]
    scores = known_word_ious(out, 1, turned)
    assert len(scores) > 40 and min(scores) >= 0.5, sorted(scores)[:5]


def test_a_pdf_failure_is_a_warning_not_a_failed_document(pdf_run, tmp_path, caplog) -> None:
    _, doc, _ = pdf_run
    moved = DocumentResult.from_dict({**doc, "source_path": str(tmp_path / "gone.pdf")})
    result = make_pdf(None, moved)  # what a worker sends back
    assert result.data is None and "gone.pdf" in result.error
    with caplog.at_level(logging.WARNING, logger="sohoa"):
        batch._write_pdf(tmp_path, moved)
    assert not (tmp_path / "pdf" / f"{doc['doc_id']}.pdf").exists()
    assert any("no searchable PDF" in r.getMessage() for r in caplog.records)


def test_a_pdf_task_is_labelled_and_its_crash_costs_only_the_pdf(pdf_run) -> None:
    _, doc, source = pdf_run
    stored = DocumentResult.from_dict(doc)
    task = Task(KIND_PDF, batch._stored_source(stored, source), doc=stored)
    assert task.label == f"pdf-{doc['doc_id']}"  # the Dask key
    assert crashed(task, "worker process crashed") == PdfResult(doc["doc_id"], error="worker process crashed")


def test_a_rerun_makes_a_missing_pdf_again(pdf_run) -> None:
    out, doc, source = pdf_run
    pdf = out / "pdf" / f"{doc['doc_id']}.pdf"
    before = image_streams(pdf)
    pdf.unlink()
    result = sohoa("run", source.parent, "-o", out, "--workers", "1", "--quiet", "--pdf")
    assert result.returncode == 0, result.stderr
    assert image_streams(pdf) == before
    assert json.loads((out / "run.json").read_text(encoding="utf-8"))["n_skipped"] == 2
