"""`sohoa review OUT`: corrections of words and fields that stick (issue 13 item 3).

The Python API on a small hand-made document (idempotent application, a rerun that moved the word, field
values, a torn line in corrections.jsonl, the lexicon), the server's guards over HTTP, a rerun with
``--force`` on a text dump, and the whole loop in real headless Chromium (Playwright driving Debian's
``chromium``) on a scanned PDF: open a document, click a word, type, save, reload; the correction is shown
and is in the Parquet tables and the ALTO.
"""

from __future__ import annotations

import http.client
import json
import shutil
import signal
import subprocess
import sys
import threading
import unicodedata
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from pypdf import PdfReader

from pipeline import load_results
from pipeline.batch.manifest import Manifest
from pipeline.outputs import corrections, export
from pipeline.outputs.alto import ALTO_NS
from pipeline.outputs.corrections import Correction, CorrectionError
from pipeline.outputs.review_server import API, ReviewServer
from pipeline.record import DocumentResult
from pipeline.restore.lexicon import UserLexicon
from tests.cli import sohoa

CHROMIUM = "/usr/bin/chromium"
DOC_ID = "0123456789abcdef"
RAW = "KE HOACH\nTo chuc thi dua nam 2024\nGIAM DOC\nLe Van Hung"
RESTORED = {"KE": "KẾ", "HOACH": "HOẠCH", "To": "Tổ", "chuc": "chức", "dua": "đua", "nam": "năm"}
RESTORED |= {"GIAM": "GIÁM", "DOC": "ĐỐC", "Le": "Lê", "Van": "Văn", "Hung": "Hưng"}


def _tokens(raw: str) -> list[dict]:
    tokens = []
    for line, text in enumerate(raw.split("\n")):
        col = 0
        for piece in text.split(" "):
            restored = RESTORED.get(piece, piece)
            tokens.append(
                {
                    "line": line,
                    "col": col,
                    "original": piece,
                    "restored": restored,
                    "confidence": 0.7 if piece == "Hung" else 0.99,
                    "ocr_confidence": None,
                    "changed": restored != piece,
                    "reason": "diacritics" if restored != piece else "kept",
                    "alternatives": [],
                }
            )
            col += len(piece) + 1
    return tokens


def make_document(raw: str = RAW) -> DocumentResult:
    """A restored text dump with one section and a signer, as the pipeline stores it."""
    tokens = _tokens(raw)
    lines = raw.split("\n")
    text = "\n".join(" ".join(RESTORED.get(p, p) for p in line.split(" ")) for line in lines)
    first = next(i for i, line in enumerate(lines) if line.startswith("To chuc"))
    return DocumentResult(
        doc_id=DOC_ID,
        source_path="/archive/plan.txt",
        kind="text",
        raw_text=raw,
        text=text,
        restoration={
            "n_tokens": len(tokens),
            "n_changed": sum(t["changed"] for t in tokens),
            "n_low_confidence": 1,
            "mean_confidence": 0.97,
            "tokens": tokens,
        },
        record={
            "fields": {"title": "Tổ chức thi đua năm 2024", "signer_name": "Lê Văn Hưng", "place": None},
            "sections": [
                {
                    "order": 1,
                    "level": 1,
                    "number": "I",
                    "heading": "Tổ chức",
                    "label": "other",
                    "parent_order": None,
                    "text": "thi đua năm 2024",
                    "start_line": first,
                    "end_line": first,
                    "mean_confidence": None,
                }
            ],
            "terms": [],
        },
    )


def word(line: int, col: int, ocr: str, old: str, new: str, when: str = "2024-05-02T10:00:00+07:00"):
    return Correction(document=DOC_ID, old=old, new=new, when=when, line=line, col=col, ocr=ocr)


def test_latest_correction_wins_and_applying_twice_changes_nothing() -> None:
    doc = make_document()
    chain = [
        word(3, 7, "Hung", "Hưng", "Hừng"),
        word(3, 7, "Hung", "Hừng", "Hùng", "2024-05-02T11:00:00+07:00"),
    ]
    assert corrections.apply_to_document(doc, chain) == []
    once = doc.to_dict()
    assert corrections.apply_to_document(doc, chain) == []
    assert doc.to_dict() == once
    assert doc.text.split("\n")[3] == "Lê Văn Hùng"
    assert doc.fields["signer_name"] == "Lê Văn Hùng"  # the field quoted the line
    token = doc.restoration["tokens"][-1]
    assert token["restored"] == "Hùng" and token["corrected"] and token["restored_before"] == "Hưng"
    assert token["confidence"] == 1.0 and token["confidence_before"] == 0.7
    assert doc.restoration["n_low_confidence"] == 0  # a corrected word is no longer to review


def test_a_rerun_that_moved_the_word_still_gets_the_correction() -> None:
    fixed = make_document()
    corrections.apply_to_document(fixed, [word(1, 7, "thi", "thi", "thì")])
    # The rerun read an extra line above: the word is one line further down.
    moved = make_document("KE HOACH\nSo 87\nTo chuc thi dua nam 2024\nGIAM DOC\nLe Van Hung")
    assert corrections.apply_to_document(moved, [word(1, 7, "thi", "thi", "thì")]) == []
    assert moved.text.split("\n")[2] == fixed.text.split("\n")[1] == "Tổ chức thì đua năm 2024"
    assert moved.record["sections"][0]["text"] == "thì đua năm 2024"
    assert moved.fields["title"] == "Tổ chức thì đua năm 2024"
    lost = word(0, 40, "nowhere", "nowhere", "x")
    assert corrections.apply_to_document(make_document(), [lost]) == [lost]


def test_field_values_are_typed_and_checked() -> None:
    assert corrections.field_value("issue_date", "20/4/2023") == "2023-04-20"
    assert corrections.field_value("issue_date", "2023-04-20") == "2023-04-20"
    assert corrections.field_value("period_start", " 2024 ") == 2024
    assert corrections.field_value("signer_name", "  Lê  Văn Hùng ") == "Lê Văn Hùng"
    assert corrections.field_value("place", "") is None
    for name, bad in (("issue_date", "31/2/2023"), ("period_end", "20x4")):
        with pytest.raises(CorrectionError):
            corrections.field_value(name, bad)
    for bad in (
        Correction(DOC_ID, "", "x", field="legal_bases"),
        Correction(DOC_ID, "a", "a\nb", line=0, col=0),
        Correction(DOC_ID, "a", " ", line=0, col=0),
    ):
        with pytest.raises(CorrectionError):
            corrections.check_correction(bad)
    doc = make_document()
    corrections.apply_to_document(doc, [Correction(DOC_ID, "", "20/4/2023", "t", field="issue_date")])
    assert doc.fields["issue_date"] == "2023-04-20" and doc.record["corrected_fields"] == {"issue_date": "t"}


def test_the_file_keeps_whole_lines_after_a_torn_write(tmp_path: Path) -> None:
    corrections.append_correction(tmp_path, word(3, 7, "Hung", "Hưng", "Hùng"))
    with open(tmp_path / corrections.CORRECTIONS_NAME, "a", encoding="utf-8") as fh:
        fh.write('{"document": "0123456789abcdef", "old": "x", "ne')  # a kill in the middle of a line
    corrections.append_correction(tmp_path, Correction(DOC_ID, "", "Quy Nhơn", "t", field="place"))
    found = corrections.read_corrections(tmp_path)
    assert [c.new for c in found] == ["Hùng", "Quy Nhơn"]
    assert corrections.read_corrections(tmp_path, "another") == []


def test_corrected_names_places_and_words_make_the_archive_lexicon(tmp_path: Path) -> None:
    for correction in (
        word(3, 7, "Hung", "Hưng", "Hùng"),
        Correction(DOC_ID, "Lê Văn Hưng", "Lê Văn Hùng", "t", field="signer_name"),
        Correction(DOC_ID, "", "Quy Nhơn", "t", field="place"),
        Correction(DOC_ID, "SỞ NỘI VU", "SỞ NỘI VỤ", "t", field="issuer"),
        Correction(DOC_ID, "87", "88", "t", field="doc_number"),  # no letters: nothing to learn
        word(1, 7, "thi", "thi", "thi"),  # confirmed as it was: nothing to learn
    ):
        corrections.append_correction(tmp_path, correction)
    path = corrections.write_lexicon(tmp_path)
    rows = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines() if line[:1] != "#"]
    assert sorted(rows) == [
        ["Hùng", "term", "1"],
        ["Lê Văn Hùng", "name", "1"],
        ["Quy Nhơn", "place", "1"],
        ["SỞ NỘI VỤ", "office", "1"],
    ]
    assert len(UserLexicon.read(path).entries) == 4  # the restoration's reader takes it as it is


# --- the server ------------------------------------------------------------------------------------------


def stored_run(out: Path, doc: DocumentResult) -> Path:
    """An output folder as a finished run leaves it: the document, its ledger summary, the tables."""
    out.mkdir(parents=True, exist_ok=True)
    export.write_document(out, doc)
    with Manifest(out, "test") as manifest:
        manifest.finish_document(doc)
        export.write_tables(out, manifest.summaries())
    return out


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ReviewServer]:
    app = ReviewServer(stored_run(tmp_path / "out", make_document()), port=0)
    thread = threading.Thread(target=app.serve_forever, daemon=True)
    thread.start()
    yield app
    app.shutdown()
    app.server_close()


def request(server: ReviewServer, method: str, path: str, body: dict | None = None, **headers: str):
    connection = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=60)
    data = None if body is None else json.dumps(body).encode("utf-8")
    connection.request(method, path, body=data, headers=headers)
    response = connection.getresponse()
    return response.status, response.read().decode("utf-8")


def test_the_server_saves_only_from_its_own_pages(server: ReviewServer) -> None:
    host = f"127.0.0.1:{server.server_port}"
    fix = {"doc_id": DOC_ID, "line": 3, "col": 7, "ocr": "Hung", "old": "Hưng", "new": "Hùng"}
    json_type = {"Content-Type": "application/json"}
    status, html = request(server, "GET", f"/{DOC_ID}.html", Host=host)
    assert status == 200 and 'data-l="3" data-c="7" data-o="Hung"' in html and server.app.token in html
    assert request(server, "GET", "/", Host=f"evil.example:{server.server_port}")[0] == 421  # DNS rebinding
    assert request(server, "POST", API, fix, Host=host, **json_type)[0] == 403  # no token
    wrong = {"X-Sohoa-Token": "sai-mã-é"}  # not ASCII, not the token
    assert request(server, "POST", API, fix, Host=host, **json_type, **wrong)[0] == 403
    token = {"X-Sohoa-Token": server.app.token}
    assert (
        request(server, "POST", API, fix, Host=host, Origin="http://evil.example", **json_type, **token)[0]
        == 403
    )
    assert request(server, "POST", API, fix, Host=host, **{"Content-Type": "text/plain"}, **token)[0] == 403
    assert request(server, "GET", "/img/../../documents.parquet", Host=host)[0] == 404
    out = server.app.out_dir
    assert not (out / corrections.CORRECTIONS_NAME).exists()  # nothing refused was kept
    elsewhere = {**fix, "col": 3}
    assert request(server, "POST", API, elsewhere, Host=host, **json_type, **token)[0] == 422  # no such word
    status, answer = request(
        server, "POST", API, fix, Host=host, Origin=f"http://{host}", **json_type, **token
    )
    assert status == 200 and json.loads(answer)["shown"] == "Hùng"
    assert export.text_path(out, DOC_ID).read_text(encoding="utf-8").split("\n")[3] == "Lê Văn Hùng"
    docs = pd.read_parquet(out / "documents.parquet")
    assert docs.signer_name[0] == "Lê Văn Hùng" and docs.n_low_confidence_tokens[0] == 0


def test_review_refuses_a_folder_without_a_run(tmp_path: Path) -> None:
    result = sohoa("review", tmp_path, "--port", "0")
    assert result.returncode == 2 and "documents.parquet" in result.stderr


def test_sohoa_review_serves_until_ctrl_c(tmp_path: Path) -> None:
    out = stored_run(tmp_path / "out", make_document())
    (out / "report").mkdir()
    (out / "report" / "index.html").write_text("static report", encoding="utf-8")  # no images to render
    command = [sys.executable, "-m", "pipeline.cli", "review", str(out), "--port", "0"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
        try:
            url = process.stdout.readline().split()[2]
            assert url.startswith("http://127.0.0.1:")
            with urllib.request.urlopen(url + f"{DOC_ID}.html", timeout=60) as response:
                assert "Lê Văn Hưng" in response.read().decode("utf-8")
            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=60) == 0
        finally:
            process.kill()


# --- a rerun -------------------------------------------------------------------------------------------


def test_a_forced_rerun_keeps_every_correction(tmp_path: Path) -> None:
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    (inputs / "plan.txt").write_text(
        "SO NOI VU\nKe hoach thi dua nam 2024\nDong vien can bo, cong chuc thi dua hoan thanh nhiem vu.\n"
        "GIAM DOC\nLe Van Hung\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    assert sohoa("run", inputs, "-o", out, "--workers", "1", "--quiet").returncode == 0
    doc_id = pd.read_parquet(out / "documents.parquet").doc_id[0]
    doc = export.read_result(out, doc_id)
    hung = next(t for t in doc.restoration["tokens"] if t["original"] == "Hung")
    fixes = [
        Correction(doc_id, hung["restored"], "Hùng", "t1", line=hung["line"], col=hung["col"], ocr="Hung"),
        Correction(doc_id, "", "Quy Nhơn", "t2", field="place"),
    ]
    for fix in fixes:
        corrections.correct(out, fix)
    before = export.read_document(out, doc_id)
    assert sohoa("run", inputs, "-o", out, "--workers", "1", "--quiet", "--force").returncode == 0
    after = export.read_document(out, doc_id)
    assert after["processed_at"] >= before["processed_at"]
    assert after["text"] == before["text"] and after["text"].endswith("Hùng")
    assert after["record"]["fields"]["place"] == "Quy Nhơn"
    docs = pd.read_parquet(out / "documents.parquet")
    assert docs.place[0] == "Quy Nhơn" and docs.signer_name[0].endswith("Hùng")
    assert len(corrections.read_corrections(out)) == 2
    tokens = load_results(out).tokens(doc_id)
    corrected = tokens[tokens.corrected]
    assert corrected.restored.tolist() == ["Hùng"] and not corrected.to_review.any()
    assert "Quy Nhơn\tplace" in (out / corrections.LEXICON_NAME).read_text(encoding="utf-8")


# --- in the browser ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def scanned_out(tmp_path_factory, scanned_plan_pdf: Path) -> Path:
    inputs = tmp_path_factory.mktemp("review-inputs")
    shutil.copy(scanned_plan_pdf, inputs / "plan.pdf")
    out = tmp_path_factory.mktemp("review-out")
    result = sohoa("run", inputs, "-o", out, "--workers", "2", "--quiet", "--pdf")
    assert result.returncode == 0, result.stderr
    assert sohoa("report", out).returncode == 0
    return out


def _a_body_word(doc: dict) -> dict:
    """A word of a section's body (not its heading line), so the correction shows in sections.parquet."""
    for section in doc["record"]["sections"]:
        body = range(section["start_line"] + 1, section["end_line"] + 1)
        for token in doc["restoration"]["tokens"]:
            if token["line"] in body and token["restored"].isalpha() and len(token["restored"]) >= 4:
                return token
    raise AssertionError("no section body word")


def test_click_type_save_reload_in_chromium(scanned_out: Path, tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    doc_id = pd.read_parquet(scanned_out / "documents.parquet").doc_id[0]
    token = _a_body_word(export.read_document(scanned_out, doc_id))
    new_word, new_signer = "Khơidậy", "Nguyễn Thị Mai"
    app = ReviewServer(scanned_out, port=0)
    threading.Thread(target=app.serve_forever, daemon=True).start()
    selector = f'.w[data-l="{token["line"]}"][data-c="{token["col"]}"]'
    try:
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
            )
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(app.url)
            page.click(f'a[href="{doc_id}.html"]')
            page.click(selector)
            page.fill("#editor input", new_word)
            page.keyboard.press("Enter")
            page.locator("#review-status", has_text="saved").wait_for(timeout=60_000)
            page.click('dd[data-field="signer_name"]')
            page.fill("#editor input", new_signer)
            page.click("#editor button[type=submit]")
            page.locator("#review-status", has_text=new_signer).wait_for(timeout=60_000)
            page.reload()
            assert page.text_content(selector) == new_word
            assert "corrected" in page.get_attribute(selector, "class")
            assert page.text_content('dd[data-field="signer_name"]') == new_signer
            page.locator(selector).scroll_into_view_if_needed()
            page.screenshot(path=str(tmp_path / "review.png"))
            browser.close()
        assert app.app.pdfs.drain(timeout=600)  # the PDF is made again in the background
    finally:
        app.shutdown()
        app.server_close()
    sections = pd.read_parquet(scanned_out / "sections.parquet")
    assert sections.text.str.contains(new_word).any()
    assert pd.read_parquet(scanned_out / "documents.parquet").signer_name[0] == new_signer
    alto = ET.parse(scanned_out / "alto" / f"{doc_id}.xml")
    line = alto.find(f".//{{{ALTO_NS}}}TextLine[@ID='line_{token['line']}']")
    assert new_word in [s.get("CONTENT") for s in line.iter(f"{{{ALTO_NS}}}String")]
    assert any(t.get("LABEL") == new_signer for t in alto.iter(f"{{{ALTO_NS}}}OtherTag"))
    pdf = PdfReader(scanned_out / "pdf" / f"{doc_id}.pdf")
    pdf_text = unicodedata.normalize("NFC", "".join(page.extract_text() for page in pdf.pages))
    assert new_word in pdf_text  # the PDF/A's text layer was made again
    assert not list((scanned_out / "pdf").glob(".*.stale"))
    kept = corrections.read_corrections(scanned_out, doc_id)
    assert [(c.page, c.new) for c in kept] == [(1, new_word), (None, new_signer)]
    assert new_word in (scanned_out / "report" / f"{doc_id}.html").read_text(encoding="utf-8")
