"""The seal over the signer's title on grey pages (issue 11): once the seal's circle is found, the whole
cluster of its ink goes, so no ring of blobs is left glued to the title.

Pages are generated with ``devtools.synth.archive`` from the short plan, whose seal is pressed over the
signer's title ("KT. GIÁM ĐỐC / PHÓ GIÁM ĐỐC"). The same page without the seal tells the seal's ink from
print. The signature is left out of both: it is handwriting, taken off the page by another step.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from devtools.synth import load_source, parse_source, truth_pages
from devtools.synth.archive import Conditions, level_conditions, make_document
from devtools.synth.render import render_pages
from pipeline.scan import ingest, preprocess
from pipeline.scan.preprocess import PreprocessOptions, preprocess_page
from pipeline.stages import ProcessOptions, finish_document, process_page
from tests.conftest import SOURCES

ROOT = Path(__file__).resolve().parents[1]

SEED = 2
# a grey photocopy: the seal's circle is found, and only its ink lighter than an Otsu split went (its
# darker half stayed, as blobs glued to the title)
SCAN = dict(scan="photocopy")


def _plan(*drop: str):
    text = (SOURCES / "short_plan.txt").read_text(encoding="utf-8")
    kept = "\n".join(line for line in text.splitlines() if not line.strip().startswith(drop))
    return parse_source(kept, "short_plan")


@pytest.fixture(scope="module")
def pages() -> tuple[dict[str, np.ndarray], tuple[int, int, int, int]]:
    """The first page binarised: with the seal (``on``), with it but without this step (``off``), and
    without any seal (``plain``); and the seal's box."""
    sealed, plain = _plan("@signature"), _plan("@signature", "@seal")
    conditions = Conditions(**SCAN)
    box = render_pages(sealed, dpi=conditions.dpi, seed=SEED)[0].mark_box("seal")
    assert box is not None
    out = {}
    for name, source, step in (("on", sealed, True), ("off", sealed, False), ("plain", plain, True)):
        rgb = np.asarray(ingest.to_rgb(make_document(source, conditions, seed=SEED).pages[0]))
        options = PreprocessOptions(orient=False, remove_marks=False, fade_seal=step)
        out[name], report = preprocess_page(rgb, conditions.dpi, options)
        assert ("fade_seal" in report.applied) == (name == "on")  # no seal, no circle taken for one
    return out, box


def test_the_seal_leaves_no_ring_and_the_print_under_it_stays(pages) -> None:
    images, (x0, y0, x1, y1) = pages
    ink = {name: image[y0:y1, x0:x1] < 128 for name, image in images.items()}
    seal = (ink["off"] & ~ink["plain"]).sum()
    assert (ink["on"] & ~ink["plain"]).sum() < 0.1 * seal
    # the print under the seal is not lost (beyond what the seal itself hid)
    lost, hidden = ((ink["plain"] & ~ink[name]).sum() for name in ("on", "off"))
    assert lost <= hidden + 0.03 * ink["plain"].sum()


def test_a_circle_on_a_page_without_a_seal_takes_no_print() -> None:
    """Where a seal is only suspected (a circle on a grey page), print is left alone unless lighter ink
    makes up most of what is inside."""
    doc = make_document(_plan("@signature", "@seal"), Conditions(scan="photocopy"), seed=SEED)
    gray = np.asarray(doc.pages[0].convert("L"))
    binary = preprocess.binarize(gray, 300)
    h, w = gray.shape
    for cy in range(300, h - 300, 400):  # circles of a seal's size all down the text column
        out = binary.copy()
        assert not preprocess.clear_seal_ink(gray, out, 300, (w / 2, cy, 250)), cy
        assert (out == binary).all()


def test_the_signer_title_under_the_seal_is_read(tmp_path) -> None:
    """Through Tesseract, on a benchmark page (``ocr_bench.py``, level photocopy, the An Giang plan's
    signature page): the seal's ring, left as blobs over the signer's title, made Tesseract lose the
    title, the name and the recipients' list beside them (CER 24% against plain Tesseract's 17%)."""
    source = load_source(ROOT / "scripts" / "sample_sources" / "ke_hoach_an_giang.txt")
    count = max(len(truth_pages(source, face)) for face in ("serif", "mono"))
    conditions = replace(level_conditions("photocopy", 1, count), dpi=300)
    doc = make_document(source, conditions, seed=1, degrade_seed=1000)
    path = tmp_path / "signature_page.png"
    doc.pages[1].save(path, dpi=(300, 300))
    file = ingest.inspect(path)
    options = ProcessOptions()
    page = process_page(file, 0, options)
    text = finish_document(file, [page.text_only()], options).text or ""
    assert all(line in text for line in ("GIÁM ĐỐC", "Lê Văn Phước", "Ban TĐKT tỉnh")), text[-300:]
