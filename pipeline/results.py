"""Loading a run's outputs into pandas, with the dtypes analysts expect.

Parquet keeps types, but a few need pandas-side care: dates as ``datetime64``, closed vocabularies as
categoricals (cheap to group by, and unknown values stand out), lists as Python lists, and integers as
nullable ``Int32``/``Int64`` (a year is 2021, not 2021.0, even in a column with missing values). The per-word
restoration records stay in the per-document JSON and are loaded on demand with :meth:`Results.tokens`.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.outputs import export

_DOCUMENT_CATEGORIES = ("status", "kind", "doc_type")
TOKEN_COLUMNS = [
    "line",
    "col",
    "original",
    "restored",
    "confidence",
    "ocr_confidence",
    "to_review",
    "changed",
    "corrected",
    "reason",
    "alternatives",
]
_NULLABLE_INTS = {
    pa.int8(): pd.Int8Dtype(),
    pa.int16(): pd.Int16Dtype(),
    pa.int32(): pd.Int32Dtype(),
    pa.int64(): pd.Int64Dtype(),
}
_MANIFEST_INTS = ("size", "mtime_ns", "n_pages", "attempts")


@dataclass
class Results:
    """The tables of one output folder."""

    out_dir: Path
    documents: pd.DataFrame
    sections: pd.DataFrame
    terms: pd.DataFrame  # doc_id, section_order (joins sections.order), term, count

    def tokens(self, doc_id: str) -> pd.DataFrame:
        """One row per word of a document's restoration: original, restored, confidence (restoration, 0-1),
        ocr_confidence (Tesseract's for the word it lies in, 0-100; NaN for text dumps), to_review (either is
        low: the rule of ``n_low_confidence_tokens`` and the report, :mod:`pipeline.review`), changed,
        corrected (by a person, in ``sohoa review``), ..."""
        from pipeline.review import token_to_review

        doc = export.read_document(self.out_dir, doc_id)
        if doc is None:
            raise KeyError(f"no document {doc_id} in {self.out_dir}")
        records = (doc.get("restoration") or {}).get("tokens") or []
        records = [
            {**t, "to_review": token_to_review(t), "corrected": bool(t.get("corrected"))} for t in records
        ]
        frame = pd.DataFrame.from_records(records, columns=TOKEN_COLUMNS)
        frame["confidence"] = frame["confidence"].astype("float64")
        frame["ocr_confidence"] = frame["ocr_confidence"].astype("float64")
        frame["to_review"] = frame["to_review"].astype("bool")
        frame["changed"] = frame["changed"].astype("bool")
        frame["corrected"] = frame["corrected"].astype("bool")
        frame["reason"] = frame["reason"].astype("category")
        return frame

    def manifest(self) -> pd.DataFrame:
        """The run ledger's inputs: see :func:`load_manifest`."""
        return load_manifest(self.out_dir)


def load_manifest(out_dir: str | Path) -> pd.DataFrame:
    """One row per input path ever given to runs into ``out_dir``: status, attempts, error, sha256, ...

    Readable while a run is going on or after it was killed, before any table exists.
    """
    import sqlite3

    from pipeline.batch.manifest import MANIFEST_NAME

    path = Path(out_dir) / MANIFEST_NAME
    if not path.exists():
        raise FileNotFoundError(f"no run ledger {path}")
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        cursor = db.execute("SELECT * FROM inputs ORDER BY path")
        names = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
    # Built column by column: through float64 (pandas' way with NULLs), mtime_ns would lose nanoseconds.
    columns = dict(zip(names, zip(*rows, strict=True) if rows else [()] * len(names), strict=True))
    frame = pd.DataFrame(
        {
            name: pd.array(list(values), dtype="Int64" if name in _MANIFEST_INTS else "str")
            for name, values in columns.items()
        },
        columns=names,
    )
    frame["status"] = frame["status"].astype("category")
    return frame


def load_results(out_dir: str | Path) -> Results:
    """Read ``documents.parquet`` and ``sections.parquet`` of a ``sohoa run`` output folder."""
    out = Path(out_dir)
    documents = _read_table(out / "documents.parquet")
    sections = _read_table(out / "sections.parquet")
    documents["issue_date"] = pd.to_datetime(documents["issue_date"])
    for column in _DOCUMENT_CATEGORIES:
        documents[column] = documents[column].astype("category")
    for column in ("recipients", "legal_bases"):
        documents[column] = documents[column].map(lambda v: list(v) if v is not None else [])
    from pipeline.structure import SECTION_LABELS

    sections["label"] = pd.Categorical(sections["label"], categories=list(SECTION_LABELS))
    terms_path = out / "terms.parquet"
    terms = (
        _read_table(terms_path)
        if terms_path.exists()  # runs of older versions have no terms table
        else export.TERM_SCHEMA.empty_table().to_pandas(types_mapper=_NULLABLE_INTS.get)
    )
    return Results(out, documents, sections, terms)


def _read_table(path: Path) -> pd.DataFrame:
    """A Parquet table with its integer columns as nullable integers (also for files of older runs)."""
    return pq.read_table(path).to_pandas(types_mapper=_NULLABLE_INTS.get)
