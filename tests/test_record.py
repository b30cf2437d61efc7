"""The typed document record: one constructor for failures, a stable JSON form, schemas derived from types."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pyarrow.parquet as pq

from pipeline.outputs import export
from pipeline.record import DocumentResult, DocumentRow, PageResult, Status, path_doc_id
from pipeline.structure.record import Section


def _document() -> DocumentResult:
    page = PageResult(index=0, width=2480, height=3508, dpi=300, ocr_mean_confidence=91.5)
    word = {"text": "Phong", "conf": 88.0, "bbox": [1, 2, 3, 4]}
    line = {"text": "Phong trào thi đua", "conf": 93.0, "bbox": [1, 2, 3, 4], "words": [word], "stray": []}
    page.lines = [line]
    return DocumentResult(
        doc_id="0123456789abcdef",
        source_path="/archive/plan.pdf",
        kind="pdf",
        n_pages=1,
        pages=[page],
        text="Phong trào thi đua",
        restoration={"n_tokens": 4, "n_changed": 1, "mean_confidence": 0.97, "tokens": []},
        record={
            "fields": {
                "issuer": "SỞ NỘI VỤ",
                "issue_date": "2024-03-05",
                "period_start": "2024",
                "digital_signature": {
                    "signer": "Nguyễn Văn An",
                    "organization": "Sở Nội vụ",
                    "email": "snv@example.gov.vn",
                    "timestamp": "2024-03-05T08:00:00+07:00",
                },
            },
            "sections": [],
        },
    )


def test_json_round_trip_keeps_everything() -> None:
    doc = _document()
    data = json.loads(json.dumps(doc.to_dict(), ensure_ascii=False))
    assert data["status"] == "ok" and data["pages"][0]["status"] == "ok"
    again = DocumentResult.from_dict(data)
    assert again == doc
    assert again.status is Status.OK and again.pages[0].status is Status.OK


def test_unknown_keys_are_ignored_so_other_versions_load() -> None:
    data = {**_document().to_dict(), "a_field_from_the_future": 1}
    assert DocumentResult.from_dict(data).doc_id == "0123456789abcdef"


def test_one_constructor_for_failures() -> None:
    failed = DocumentResult.failed("/archive/broken.pdf", "encrypted PDF: a password is needed to open it")
    assert failed.status is Status.ERROR and failed.pages == []
    assert failed.doc_id == path_doc_id("/archive/broken.pdf")
    assert len(failed.doc_id) == len("path-") + 16
    page = PageResult.failed(2, "Tesseract timed out after 180 s")
    assert page.status is Status.ERROR and page.index == 2 and page.lines == []


def test_partial_keeps_every_reason_and_error_stays_error() -> None:
    doc = _document()
    doc.mark_partial("1 of 2 pages failed: page 2: Tesseract crashed (SIGSEGV)")
    doc.mark_partial("page 1: unreadable (mean confidence 41, 38% valid syllables)")
    assert doc.status is Status.PARTIAL
    assert "SIGSEGV" in doc.error and "unreadable" in doc.error
    doc.fail("internal error")
    doc.mark_partial("something else")
    assert doc.status is Status.ERROR and doc.error == "internal error"


def test_text_only_page_carries_text_and_confidences_but_no_boxes() -> None:
    slim = _document().pages[0].text_only()
    assert slim.lines == [{"text": "Phong trào thi đua", "conf": 93.0, "words": [{"conf": 88.0}]}]
    assert slim.width is None


def test_parquet_schemas_are_the_record_types() -> None:
    assert export.DOCUMENT_SCHEMA.names == [f.name for f in dataclasses.fields(DocumentRow)]
    assert export.SECTION_SCHEMA.names == ["doc_id"] + [f.name for f in dataclasses.fields(Section)]


def test_digital_signature_keeps_organization_and_email(tmp_path: Path) -> None:
    """The bug the untyped dict hid: only signer and timestamp reached documents.parquet."""
    export.write_tables(tmp_path, [_document().summary()])
    row = pq.read_table(tmp_path / "documents.parquet").to_pylist()[0]
    assert row["digital_signature"]["organization"] == "Sở Nội vụ"
    assert row["digital_signature"]["email"] == "snv@example.gov.vn"
    assert row["issue_date"].isoformat() == "2024-03-05" and row["period_start"] == 2024
    assert row["n_pages"] == 1 and row["n_pages_failed"] == 0


def test_summary_drops_text_and_tokens_but_keeps_fields() -> None:
    summary = _document().summary()
    assert "text" not in summary and "tokens" not in summary["restoration"]
    assert summary["pages"] == [{"index": 0, "status": "ok"}]
    assert summary["record"]["fields"]["issuer"] == "SỞ NỘI VỤ"
