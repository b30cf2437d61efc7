"""Stage 6: write per-document JSON and text, and the Parquet tables analysts load with pandas.

Every file is written atomically (temporary file in the same folder, fsync, rename), so a crash or kill never
leaves a truncated JSON, text or Parquet file behind and a rerun can trust whatever it finds. The tables are
rebuilt at the end of each run from the summaries the run ledger (``pipeline.batch.manifest``) keeps of the
per-document JSON files, which are the source of truth.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable
from dataclasses import fields
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.record import (
    LEGAL_BASIS_KEYS,
    SIGNATURE_KEYS,
    DocumentResult,
    DocumentRow,
    TermRow,
    document_row,
)
from pipeline.structure.record import Section

DOCUMENTS_DIR = "documents"
TEXT_DIR = "text"

# The Arrow type of each kind of column named in ``pipeline.record`` (``column(...)``).
ARROW_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "int32": pa.int32(),
    "int64": pa.int64(),
    "float64": pa.float64(),
    "date32": pa.date32(),
    "list<string>": pa.list_(pa.string()),
    "list<int32>": pa.list_(pa.int32()),
    "legal_bases": pa.list_(pa.struct([(k, pa.string()) for k in LEGAL_BASIS_KEYS])),
    "digital_signature": pa.struct([(k, pa.string()) for k in SIGNATURE_KEYS]),
}
# Plain Python annotations of section fields, for dataclasses that do not name their Arrow types.
_PLAIN_TYPES = {"str": "string", "int": "int32", "float": "float64"}


def arrow_schema(cls: type, prefix: tuple[tuple[str, str], ...] = ()) -> pa.Schema:
    """The Parquet schema of a dataclass: so a table's columns are the type's fields, in order."""
    columns = [(name, ARROW_TYPES[kind]) for name, kind in prefix]
    for f in fields(cls):
        kind = f.metadata.get("arrow") or _PLAIN_TYPES[str(f.type).split(" |")[0]]
        columns.append((f.name, ARROW_TYPES[kind]))
    return pa.schema(columns)


DOCUMENT_SCHEMA = arrow_schema(DocumentRow)
SECTION_SCHEMA = arrow_schema(Section, prefix=(("doc_id", "string"),))
TERM_SCHEMA = arrow_schema(TermRow)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see either the old file or the whole new one."""
    _atomic(path, lambda fh: fh.write(data))


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: Path, obj: Any) -> None:
    atomic_write_text(path, readable_json(obj) + "\n")


# Containers this deep are laid out one item per line; deeper ones are written on one line each.
_JSON_OPEN_DEPTH = 2


def readable_json(obj: Any, depth: int = 0) -> str:
    """JSON laid out for a person reading it in an editor, at the speed of the compact form.

    ``json.dumps(indent=...)`` runs Python's own encoder (the C one only writes compact JSON): for a
    document's thousands of tokens that was the largest cost of the batch's main process. Here the top
    levels (the document's keys, its pages, its tokens) get a line each and every item is written by the
    C encoder, so a token is one line.
    """
    if depth >= _JSON_OPEN_DEPTH or not obj or not isinstance(obj, (dict, list)):
        return json.dumps(obj, ensure_ascii=False, separators=(", ", ": "))
    pad = " " * (depth + 1)
    if isinstance(obj, dict):
        items = [
            f"{json.dumps(str(k), ensure_ascii=False)}: {readable_json(v, depth + 1)}" for k, v in obj.items()
        ]
        return "{\n" + ",\n".join(pad + item for item in items) + "\n" + pad[:-1] + "}"
    items = [readable_json(v, depth + 1) for v in obj]
    return "[\n" + ",\n".join(pad + item for item in items) + "\n" + pad[:-1] + "]"


def _atomic(path: Path, write: Callable[[Any], object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~current_umask())  # mkstemp makes 0600; outputs are shared like any file
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def current_umask() -> int:
    """The process's umask, read without changing it (``os.umask`` can only be read by setting it)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # no /proc: set and restore at once
    os.umask(mask)
    return mask


_NULLABLE_INTS = {"int8": "Int8", "int16": "Int16", "int32": "Int32", "int64": "Int64"}


def with_nullable_ints(table: pa.Table) -> pa.Table:
    """The table with pandas metadata naming ``Int32``/``Int64`` for its integer columns.

    Without it ``pd.read_parquet`` turns an integer column with a missing value into float64: years
    read as 2021.0. A table that already carries pandas metadata is left as it is.
    """
    if table.schema.metadata and b"pandas" in table.schema.metadata:
        return table
    import pandas as pd

    empty = pd.DataFrame(
        {f.name: pd.Series([], dtype=_NULLABLE_INTS.get(str(f.type), object)) for f in table.schema}
    )
    metadata = pa.Table.from_pandas(empty, schema=table.schema, preserve_index=False).schema.metadata
    return table.replace_schema_metadata({**(table.schema.metadata or {}), **metadata})


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
    """The stored JSON of a document, or None when absent or unreadable (then it is simply redone)."""
    try:
        return json.loads(document_path(out_dir, doc_id).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def read_result(out_dir: Path, doc_id: str) -> DocumentResult | None:
    """The stored document as a :class:`DocumentResult`, or None when absent or unreadable."""
    data = read_document(out_dir, doc_id)
    try:
        return DocumentResult.from_dict(data) if data is not None else None
    except (TypeError, ValueError):
        return None


def write_document(out_dir: Path, doc: DocumentResult) -> None:
    """Store a document's text (if any) and then its JSON: the JSON's presence means 'done'."""
    if doc.text is not None:
        atomic_write_text(text_path(out_dir, doc.doc_id), doc.text + "\n")
    atomic_write_json(document_path(out_dir, doc.doc_id), doc.to_dict())


def prepare_tables_in_background() -> None:
    """Import pandas now, in a thread, while the workers start and this process mostly waits.

    Writing the tables needs pandas (pyarrow imports it to build a table from rows, and the nullable
    integer metadata comes from it): about half a second that, left to the end of a run, was spent with
    every worker idle.
    """
    if "pandas" not in sys.modules:
        threading.Thread(target=importlib.import_module, args=("pandas",), daemon=True).start()


def write_tables(out_dir: Path, summaries: Iterable[dict]) -> tuple[int, int, int]:
    """Rewrite documents.parquet, sections.parquet and terms.parquet (atomically) from document summaries.

    ``summaries`` come in source-path order, so that tables of two runs over the same inputs compare equal.
    Rows are written in row groups of :data:`TABLE_BATCH_ROWS` as they come: an archive of 10,000 plans
    has some 1.5 million term rows, which held at once took 1.5 GB. Returns the row counts.
    """
    tables = {
        "documents": _TableWriter(out_dir / "documents.parquet", DOCUMENT_SCHEMA),
        "sections": _TableWriter(out_dir / "sections.parquet", SECTION_SCHEMA),
        "terms": _TableWriter(out_dir / "terms.parquet", TERM_SCHEMA),
    }
    try:
        for summary in summaries:
            doc = DocumentResult.from_dict(summary)
            row = document_row(doc)
            tables["documents"].add([{f.name: getattr(row, f.name) for f in fields(row)}])
            tables["sections"].add(doc.sections, doc_id=doc.doc_id)
            tables["terms"].add(doc.terms, doc_id=doc.doc_id)
        counts = [writer.close() for writer in tables.values()]
    except BaseException:
        for writer in tables.values():
            writer.abandon()
        raise
    return counts[0], counts[1], counts[2]


TABLE_BATCH_ROWS = 50_000  # rows per Parquet row group: a few tens of MB in Python objects at most


class _TableWriter:
    """One Parquet table written row group by row group into a temporary file, renamed into place when
    whole (as :func:`_atomic` does for a file written at once)."""

    def __init__(self, path: Path, schema: pa.Schema) -> None:
        self.path = path
        self.schema = with_nullable_ints(schema.empty_table()).schema
        self.columns: dict[str, list] = {name: [] for name in schema.names}
        self.pending = 0
        self.rows = 0
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.fchmod(fd, 0o666 & ~current_umask())
        self.tmp = Path(tmp)
        self.file = os.fdopen(fd, "wb")
        self.writer = pq.ParquetWriter(self.file, self.schema, compression="zstd")

    def add(self, rows: list[dict], **same: object) -> None:
        """Append rows (missing keys are nulls); ``same`` gives columns whose value is the same in all."""
        for name, values in self.columns.items():
            if name in same:
                values.extend([same[name]] * len(rows))
            else:
                values.extend([row.get(name) for row in rows])
        self.pending += len(rows)
        if self.pending >= TABLE_BATCH_ROWS:
            self._flush()

    def _flush(self) -> None:
        if self.pending:
            self.writer.write_table(pa.Table.from_pydict(self.columns, schema=self.schema))
            self.rows += self.pending
            self.pending = 0
            for values in self.columns.values():
                values.clear()

    def close(self) -> int:
        """Write what is left, then put the file in place; returns the number of rows."""
        self._flush()
        self.writer.close()
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()
        os.replace(self.tmp, self.path)
        return self.rows

    def abandon(self) -> None:
        with contextlib.suppress(Exception):
            self.writer.close()
        with contextlib.suppress(Exception):
            self.file.close()
        self.tmp.unlink(missing_ok=True)
