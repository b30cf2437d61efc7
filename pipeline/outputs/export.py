"""Stage 6: write per-document JSON and text, and the Parquet tables analysts load with pandas.

Every file is written atomically (temporary file in the same folder, fsync, rename), so a crash or kill never
leaves a truncated JSON, text or Parquet file behind and a rerun can trust whatever it finds. The tables are
rebuilt at the end of each run from the summaries the run ledger (``pipeline.batch.manifest``) keeps of the
per-document JSON files, which are the source of truth.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

DOCUMENTS_DIR = "documents"
TEXT_DIR = "text"

_LEGAL_BASIS_KEYS = ("doc_type", "number", "symbol", "date", "issuer")
_LEGAL_BASIS = pa.struct([(k, pa.string()) for k in _LEGAL_BASIS_KEYS])
_SIGNATURE_KEYS = ("signer", "organization", "email", "timestamp")
_DIGITAL_SIGNATURE = pa.struct([(k, pa.string()) for k in _SIGNATURE_KEYS])

DOCUMENT_SCHEMA = pa.schema(
    [
        ("doc_id", pa.string()),
        ("source_path", pa.string()),
        ("sha256", pa.string()),
        ("kind", pa.string()),
        ("size_bytes", pa.int64()),
        ("n_pages", pa.int32()),
        ("n_pages_failed", pa.int32()),
        ("status", pa.string()),
        ("error", pa.string()),
        ("warning", pa.string()),
        ("ocr_mean_confidence", pa.float64()),
        ("n_tokens", pa.int32()),
        ("n_changed_tokens", pa.int32()),
        ("n_low_confidence_tokens", pa.int32()),
        ("restore_mean_confidence", pa.float64()),
        ("seconds", pa.float64()),
        ("issuer_parent", pa.string()),
        ("issuer", pa.string()),
        ("doc_number", pa.string()),
        ("doc_symbol", pa.string()),
        ("doc_type", pa.string()),
        ("place", pa.string()),
        ("issue_date", pa.date32()),
        ("title", pa.string()),
        ("campaign", pa.string()),
        ("period_start", pa.int32()),
        ("period_end", pa.int32()),
        ("legal_bases", pa.list_(_LEGAL_BASIS)),
        ("recipients", pa.list_(pa.string())),
        ("signer_title", pa.string()),
        ("signer_name", pa.string()),
        ("digital_signature", _DIGITAL_SIGNATURE),
        ("processed_at", pa.string()),
    ]
)

SECTION_SCHEMA = pa.schema(
    [
        ("doc_id", pa.string()),
        ("order", pa.int32()),
        ("level", pa.int32()),
        ("number", pa.string()),
        ("heading", pa.string()),
        ("label", pa.string()),
        ("parent_order", pa.int32()),
        ("text", pa.string()),
        ("start_line", pa.int32()),
        ("end_line", pa.int32()),
        ("mean_confidence", pa.float64()),
    ]
)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see either the old file or the whole new one."""
    _atomic(path, lambda fh: fh.write(data))


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: Path, obj: Any) -> None:
    atomic_write_text(path, json.dumps(obj, ensure_ascii=False, indent=1) + "\n")


def _atomic(path: Path, write: Callable[[Any], object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_table(path: Path, table: pa.Table) -> None:
    """Write a Parquet file atomically."""

    def write(fh: Any) -> None:
        pq.write_table(table, fh, compression="zstd")

    _atomic(path, write)


def remove_stale_temporaries(out_dir: Path) -> int:
    """Delete temporary files a killed run left behind; they were never renamed, so nothing refers to them."""
    removed = 0
    for folder in (out_dir, out_dir / DOCUMENTS_DIR, out_dir / TEXT_DIR):
        if folder.is_dir():
            for tmp in folder.glob(".*.tmp"):
                tmp.unlink(missing_ok=True)
                removed += 1
    return removed


def document_path(out_dir: Path, doc_id: str) -> Path:
    return out_dir / DOCUMENTS_DIR / f"{doc_id}.json"


def text_path(out_dir: Path, doc_id: str) -> Path:
    return out_dir / TEXT_DIR / f"{doc_id}.txt"


def read_document(out_dir: Path, doc_id: str) -> dict | None:
    """The stored record of a document, or None when absent or unreadable (then it is simply redone)."""
    try:
        return json.loads(document_path(out_dir, doc_id).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_document(out_dir: Path, doc: dict) -> None:
    """Store a document's text (if any) and then its JSON: the JSON's presence means 'done'."""
    if doc.get("text") is not None:
        atomic_write_text(text_path(out_dir, doc["doc_id"]), doc["text"] + "\n")
    atomic_write_json(document_path(out_dir, doc["doc_id"]), doc)


def summary(doc: dict) -> dict:
    """What the tables need of a document, without its pages' words, its text or its token records.

    The ledger keeps this instead of the full JSON so that the tables of an archive of any size are
    rebuilt in seconds.
    """
    slim = {k: v for k, v in doc.items() if k not in ("pages", "restoration", "text", "raw_text", "record")}
    slim["pages"] = [{"index": p.get("index"), "status": p.get("status")} for p in doc.get("pages") or []]
    restoration = doc.get("restoration")
    if restoration is not None:
        slim["restoration"] = {k: v for k, v in restoration.items() if k != "tokens"}
    record = doc.get("record")
    if record is not None:
        slim["record"] = {"fields": record.get("fields"), "sections": record.get("sections")}
    return slim


def document_row(doc: dict) -> dict:
    """One row of documents.parquet from a document JSON."""
    fields = (doc.get("record") or {}).get("fields") or {}
    restoration = doc.get("restoration") or {}
    row = {name: doc.get(name) for name in DOCUMENT_SCHEMA.names}
    row.update(
        n_pages=len(doc.get("pages") or []) or doc.get("n_pages"),
        n_pages_failed=sum(1 for p in doc.get("pages") or [] if p.get("status") == "error"),
        warning="; ".join(doc.get("warnings") or []) or None,
        n_tokens=restoration.get("n_tokens"),
        n_changed_tokens=restoration.get("n_changed"),
        n_low_confidence_tokens=restoration.get("n_low_confidence"),
        restore_mean_confidence=restoration.get("mean_confidence"),
    )
    for name in DOCUMENT_SCHEMA.names:
        if name in fields:
            row[name] = fields[name]
    row["issue_date"] = _iso_date(row.get("issue_date"))
    row["legal_bases"] = [
        {k: _str_or_none(b.get(k)) for k in _LEGAL_BASIS_KEYS}
        for b in row.get("legal_bases") or []
        if isinstance(b, dict)
    ]
    row["recipients"] = [str(r) for r in row.get("recipients") or []]
    for name in ("period_start", "period_end"):
        row[name] = _int_or_none(row.get(name))
    signature = row.get("digital_signature")
    row["digital_signature"] = (
        {k: _str_or_none(signature.get(k)) for k in ("signer", "timestamp")}
        if isinstance(signature, dict)
        else None
    )
    for name in ("doc_number", "title", "signer_title", "signer_name"):
        row[name] = _str_or_none(row.get(name))
    return row


def section_rows(doc: dict) -> list[dict]:
    sections = (doc.get("record") or {}).get("sections") or []
    return [{**{k: s.get(k) for k in SECTION_SCHEMA.names}, "doc_id": doc["doc_id"]} for s in sections]


def _iso_date(value: Any):
    import datetime as dt

    if not value:
        return None
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def write_tables(out_dir: Path, summaries: Iterable[dict]) -> tuple[int, int]:
    """Rewrite documents.parquet and sections.parquet (atomically) from document summaries.

    ``summaries`` come in source-path order, so that tables of two runs over the same inputs compare equal.
    Returns the row counts.
    """
    document_rows: list[dict] = []
    rows_of_sections: list[dict] = []
    for doc in summaries:
        document_rows.append(document_row(doc))
        rows_of_sections.extend(section_rows(doc))
    documents = pa.Table.from_pylist(document_rows, schema=DOCUMENT_SCHEMA)
    sections = pa.Table.from_pylist(rows_of_sections, schema=SECTION_SCHEMA)
    atomic_write_table(out_dir / "documents.parquet", documents)
    atomic_write_table(out_dir / "sections.parquet", sections)
    return documents.num_rows, sections.num_rows
