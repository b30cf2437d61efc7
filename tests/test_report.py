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


def _text_pane_marks(html: str) -> int:
    """Words marked "to review" in the text beside the scan (the legend's sample is not one)."""
    body = html.split('<p class="legend">', 1)[1].split("</p>", 1)[1]
    return len(re.findall(r'<(?:span|mark) class="(?:changed )?low"', body))


def test_words_to_review_agree_in_table_tokens_and_report(report: Path, run_out: Path) -> None:
    from pipeline import review
    from pipeline.results import load_results

    res = load_results(run_out)
    for name in ("plan.pdf", "dump.txt"):
        doc_id = _doc_id(run_out, name)
        row = res.documents.set_index("doc_id").loc[doc_id]
        tokens = res.tokens(doc_id)
        low_ocr = tokens.ocr_confidence < review.LOW_OCR_CONFIDENCE
        threshold = tokens.reason.astype(str).map(
            lambda reason: review.LOW_NAME_CONFIDENCE if reason == "name" else review.LOW_CONFIDENCE
        )
        rule = low_ocr | (tokens.confidence < threshold)
        assert (tokens.to_review == rule).all()
        assert row.n_low_confidence_tokens == tokens.to_review.sum()
        html = (report.parent / f"{doc_id}.html").read_text(encoding="utf-8")
        assert _text_pane_marks(html) == row.n_low_confidence_tokens, name
        assert f"to review: <b>{row.n_low_confidence_tokens}</b>" in html
    scanned = res.tokens(_doc_id(run_out, "plan.pdf"))
    assert scanned.ocr_confidence.notna().all() and scanned.ocr_confidence.between(0, 100).all()
    assert res.tokens(_doc_id(run_out, "dump.txt")).ocr_confidence.isna().all()
    # Every box drawn as "to review" on the scan holds a word to review, and every word to review is boxed.
    doc = export.read_document(run_out, _doc_id(run_out, "plan.pdf"))
    words = [w for line in page_words(doc, doc["pages"][0]) for w in line]
    html = (report.parent / f"{doc['doc_id']}.html").read_text(encoding="utf-8")
    assert html.count('<rect class="low"') == sum(w.to_review for w in words)
    boxed = sum(sum(review.token_to_review(t) for t in w.tokens) for w in words)
    assert boxed == scanned.to_review.sum()


def test_fields_and_sections_come_before_the_scans(report: Path, run_out: Path) -> None:
    html = (report.parent / f"{_doc_id(run_out, 'plan.pdf')}.html").read_text(encoding="utf-8")
    assert 'class="fields"' in html and 'class="outline"' in html
    assert html.index('class="fields"') < html.index('class="outline"') < html.index("<img")


def test_previous_and_next_follow_the_index_order(report: Path, run_out: Path, tmp_path: Path) -> None:
    dom = chromium(tmp_path, "--dump-dom", report.as_uri()).stdout
    order = re.findall(r'<tr data-doc="([^"]+)"', dom)
    docs = pd.read_parquet(run_out / "documents.parquet").set_index("doc_id")
    counts = [docs.n_low_confidence_tokens.get(d) for d in order]
    known = [c for c in counts if pd.notna(c)]
    assert known == sorted(known, reverse=True) and all(pd.isna(c) for c in counts[len(known) :])
    seen, page = [order[0]], report.parent / f"{order[0]}.html"
    while True:
        found = re.search(r'<a rel="next" href="([^"]+)\.html"', page.read_text(encoding="utf-8"))
        if not found:
            break
        seen.append(found.group(1))
        page = report.parent / f"{found.group(1)}.html"
    assert seen == order
    assert 'rel="prev"' not in (report.parent / f"{order[0]}.html").read_text(encoding="utf-8")


def _row(doc_id: str, status: str, pages: int | None, review: int | None) -> dict:
    return {
        "doc_id": doc_id,
        "source_path": f"/archive/{doc_id}.pdf",
        "status": status,
        "n_pages": pages,
        "n_low_confidence_tokens": review,
    }


def test_index_sorts_numbers_as_numbers_and_filters_by_status(tmp_path: Path) -> None:
    from pipeline.outputs.report import pages

    rows = [
        _row("a", "ok", 9, 2),
        _row("b", "ok", 100, 10),
        _row("c", "error", None, None),
        _row("d", "partial", 10, 0),
    ]
    index = tmp_path / "index.html"
    index.write_text(pages.index_page(rows, "test"), encoding="utf-8")

    def order(fragment: str = "") -> tuple[list[str], list[str], str]:
        dom = chromium(tmp_path, "--dump-dom", index.as_uri() + fragment).stdout
        rows = re.findall(r'<tr data-doc="(\w)"[^>]*?( hidden="")?>', dom)
        count = re.search(r'<span id="count">([^<]*)</span>', dom).group(1)
        return [d for d, _ in rows], [d for d, hidden in rows if not hidden], count

    assert order()[0] == ["b", "a", "d", "c"]  # most words to review first, no count last
    assert order("#sort=pages")[0] == ["a", "d", "b", "c"]  # 9 < 10 < 100, not "10" < "100" < "9"
    assert order("#sort=-pages")[0] == ["b", "d", "a", "c"]
    assert order("#status=error")[1:] == (["c"], "1 / 4 documents")
    assert order("#sort=-review&status=ok")[1:] == (["b", "a"], "2 / 4 documents")


def test_long_text_documents_are_split_into_parts(tmp_path: Path) -> None:
    from pipeline.outputs.report import pages

    raw_line = "ke hoach to chuc phong trao thi dua yeu nuoc nam 2024 cua so giao duc va dao tao tinh"
    final_line = "kế hoạch tổ chức phong trào thi đua yêu nước năm 2024 của sở giáo dục và đào tạo tỉnh"
    n_lines = 1_000_000 // len(raw_line) + 1
    tokens = []
    for line in range(n_lines):
        col = 0
        for raw, final in zip(raw_line.split(" "), final_line.split(" "), strict=True):
            tokens.append(
                {"line": line, "col": col, "original": raw, "restored": final, "confidence": 0.9}
                | {"changed": raw != final, "reason": "diacritics", "alternatives": [raw]}
            )
            col += len(raw) + 1
    doc = {
        "doc_id": "big",
        "source_path": "/archive/big.txt",
        "status": "ok",
        "kind": "text",
        "pages": [],
        "raw_text": "\n".join([raw_line] * n_lines),
        "text": "\n".join([final_line] * n_lines),
        "restoration": {"n_tokens": len(tokens), "n_low_confidence": 0, "tokens": tokens},
        "record": {
            "fields": {"title": "Kế hoạch"},
            "sections": [{"order": 1, "number": "I", "heading": "MỤC ĐÍCH", "start_line": n_lines - 5}],
        },
    }
    parts = pages.document_pages(doc, {}, {})
    assert len(parts) > 3
    assert [name for name, _ in parts] == ["big.html"] + [f"big-{n}.html" for n in range(2, len(parts) + 1)]
    sizes = [len(html.encode()) for _, html in parts]
    assert max(sizes) < 2_000_000 and sum(sizes) > 10_000_000  # each part opens quickly; nothing was lost
    numbers = [int(n) for _, html in parts for n in re.findall(r'<div class="ln" id="L(\d+)">', html)]
    assert numbers == list(range(1, n_lines + 1))
    first = parts[0][1]
    assert 'class="fields"' in first and f'href="big-{len(parts)}.html#L{n_lines - 4}"' in first
    assert all('<nav class="parts">' in html for _, html in parts)
    assert all('class="fields"' not in html for _, html in parts[1:])
    (tmp_path / "big-2.html").write_text(parts[1][1], encoding="utf-8")
    dom = chromium(tmp_path, "--dump-dom", (tmp_path / "big-2.html").as_uri()).stdout
    assert ">hoạch</mark>" in dom and 'href="big.html"' in dom


def test_a_word_ocr_could_not_read_is_to_review_even_if_restoration_is_sure() -> None:
    from pipeline import review
    from pipeline.outputs.report import pages

    tokens = [
        {"line": 0, "col": 0, "original": "Ke", "restored": "Kế", "confidence": 1.0, "changed": True},
        {"line": 0, "col": 3, "original": "hoach", "restored": "hoạch", "confidence": 1.0, "changed": True},
        {"line": 0, "col": 9, "original": "2024", "restored": "2024", "confidence": 0.5, "changed": False},
    ]
    review.attach_ocr_confidence(tokens, ["Ke hoach 2024,"], [[0.0, 96.0, 91.0]])
    assert [t["ocr_confidence"] for t in tokens] == [0.0, 96.0, 91.0]
    assert [review.token_to_review(t) for t in tokens] == [True, False, True]
    words = [
        {"text": "Ke", "conf": 0.0, "bbox": [10, 10, 40, 30]},
        {"text": "hoach", "conf": 96.0, "bbox": [50, 10, 120, 30]},
        {"text": "2024,", "conf": 91.0, "bbox": [130, 10, 190, 30]},
        {"text": "|", "conf": 3.0, "bbox": [200, 10, 205, 30]},  # punctuation: no token, never counted
    ]
    doc = {
        "doc_id": "d",
        "source_path": "/a/d.pdf",
        "raw_text": "Ke hoach 2024, |",
        "text": "Kế hoạch 2024, |",
        "restoration": {"n_low_confidence": review.count_to_review(tokens), "tokens": tokens},
        "pages": [
            {
                "index": 0,
                "width": 300,
                "height": 100,
                "line_start": 0,
                "line_end": 1,
                "lines": [{"words": words}],
            }
        ],
    }
    html = pages.document_page(doc, {0: "img/d_p1.jpg"}, {})
    assert html.count('<rect class="low"') == 2 == _text_pane_marks(html)
    assert "to review: <b>2</b>" in html


def test_a_word_taken_out_of_the_text_is_shown_struck_through() -> None:
    from pipeline.outputs.report import pages
    from pipeline.restore import restore_text

    # a line of seal scrawl on a page of English-model OCR: the restoration takes it out of the text
    raw = "Cac phong, don vi thudc Sd to chtic thuc hién ké hoach nay./.\nSSIs\nNguyén Van Khoa"
    restoration = restore_text(raw)
    assert restoration.text.split("\n")[1] == ""
    tokens = [vars(t) for t in restoration.tokens]
    doc = {
        "doc_id": "d",
        "source_path": "/a/d.txt",
        "raw_text": raw,
        "text": restoration.text,
        "restoration": {"n_low_confidence": 1, "tokens": tokens},
        "pages": [],
    }
    html = pages.document_page(doc, {}, {})
    assert re.search(r'<mark class="changed low dropped" title="OCR: SSIs[^"]*"><del>SSIs</del></mark>', html)


def test_a_doubtful_header_field_is_shown_with_its_reason() -> None:
    """A field the extraction doubts (here the issue date read from a typewritten 2923) is marked with why,
    and counted in the summary; a field a person corrected is not marked as doubtful any more."""
    from html import escape

    from pipeline.outputs.report import pages
    from pipeline.structure import extract_record

    text = "SỞ NỘI VỤ\nSố: 153/KH-SNV\nAn Giang, ngày 05 tháng 9 năm 2923\nKẾ HOẠCH\nThi đua năm 2024\n"
    record = extract_record(text, terms=False).to_dict()
    why = escape(record["uncertain_fields"]["issue_date"])
    doc = {"doc_id": "d", "source_path": "/a/d.txt", "raw_text": text, "text": text, "record": record}
    html = pages.document_page(doc, {}, {})
    shown = f'title="cần kiểm tra / to check: {why}" class="doubt">2023-09-05'
    shown += f'<span class="why">⚠ {why}</span></dd>'
    assert shown in html
    assert "header fields to check: <b>1</b>" in html
    record["corrected_fields"] = {"issue_date": "2023-09-05"}
    html = pages.document_page(doc, {}, {})
    assert 'class="doubt"' not in html and "⚠" not in html and 'class="corrected">2023-09-05</dd>' in html
