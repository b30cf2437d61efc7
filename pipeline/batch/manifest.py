"""The run ledger in OUT/manifest.sqlite: every input, every finished document, every checkpointed page.

Archive runs last days and get killed. SQLite gives the ledger transactions that survive ``kill -9`` (a
commit is either in the file or not), fast lookups at hundreds of thousands of files, and a format that
pandas reads directly (``pd.read_sql("select * from inputs", sqlite3.connect(".../manifest.sqlite"))``).

Tables:
- ``inputs``: one row per input path: size, mtime, sha256, doc_id, status (running, ok, partial, error,
  duplicate), attempts (how many runs tried it), error. A rerun skips an unchanged file without reading it.
- ``documents``: a slim summary of each document JSON (no pages' words, no tokens), from which the Parquet
  tables are rebuilt at the end of a run without re-reading every JSON.
- ``pages``: page results of documents still in progress, so a killed 300-page PDF resumes at its
  first unfinished page; they are dropped once the document is written.

The per-document JSON files stay the source of truth: a summary missing from the ledger (a kill between
writing the JSON and committing) is re-imported from the JSON at the start of the next run.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from pipeline.outputs import export
from pipeline.record import DocumentResult, PageResult, Status

MANIFEST_NAME = "manifest.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS inputs (
    path TEXT PRIMARY KEY,
    size INTEGER,
    mtime_ns INTEGER,
    sha256 TEXT,
    doc_id TEXT,
    kind TEXT,
    n_pages INTEGER,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    fingerprint TEXT,
    updated_at TEXT
);
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY,
    source_path TEXT,
    status TEXT,
    fingerprint TEXT,
    summary TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS pages (
    doc_id TEXT NOT NULL,
    page INTEGER NOT NULL,
    fingerprint TEXT NOT NULL,
    status TEXT NOT NULL,
    record TEXT NOT NULL,
    PRIMARY KEY (doc_id, page)
);
"""


class Manifest:
    def __init__(self, out_dir: Path, fingerprint: str) -> None:
        self.out_dir = out_dir
        self.fingerprint = fingerprint
        self.db = sqlite3.connect(out_dir / MANIFEST_NAME, isolation_level=None)
        # WAL: a killed writer never corrupts the file, and readers (a notebook) do not block the run.
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(_SCHEMA)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Manifest:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- inputs -----------------------------------------------------------------------------------------

    def unchanged_and_done(self, path: str, size: int, mtime_ns: int) -> bool:
        """True when ``path`` was finished with these options and has not changed since (no need to hash)."""
        row = self.db.execute(
            "SELECT i.doc_id FROM inputs i JOIN documents d ON d.doc_id = i.doc_id "
            "WHERE i.path = ? AND i.size = ? AND i.mtime_ns = ? AND i.fingerprint = ? "
            "AND i.status IN ('ok', 'partial', 'duplicate') AND d.status IN ('ok', 'partial') "
            "AND d.fingerprint = ?",
            (path, size, mtime_ns, self.fingerprint, self.fingerprint),
        ).fetchone()
        return row is not None and export.document_path(self.out_dir, row[0]).exists()

    def document_done(self, doc_id: str) -> bool:
        """True when this content was already finished with these options (under any path)."""
        row = self.db.execute(
            "SELECT status, fingerprint FROM documents WHERE doc_id = ?", (doc_id,)
        ).fetchone()
        return (
            row is not None
            and Status(row[0]).done
            and row[1] == self.fingerprint
            and export.document_path(self.out_dir, doc_id).exists()
        )

    def record_input(
        self,
        path: str,
        *,
        status: Status,
        size: int | None = None,
        mtime_ns: int | None = None,
        sha256: str | None = None,
        doc_id: str | None = None,
        kind: str | None = None,
        n_pages: int | None = None,
        error: str | None = None,
        attempt: bool = False,
    ) -> None:
        """Insert or update an input's row; ``attempt`` counts one more try at processing it."""
        self.db.execute(
            "INSERT INTO inputs (path, size, mtime_ns, sha256, doc_id, kind, n_pages, status, attempts, "
            "error, fingerprint, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(path) DO UPDATE SET size = excluded.size, mtime_ns = excluded.mtime_ns, "
            "sha256 = excluded.sha256, doc_id = excluded.doc_id, kind = excluded.kind, "
            "n_pages = excluded.n_pages, status = excluded.status, attempts = attempts + ?, "
            "error = excluded.error, fingerprint = excluded.fingerprint, updated_at = excluded.updated_at",
            (
                path,
                size,
                mtime_ns,
                sha256,
                doc_id,
                kind,
                n_pages,
                Status(status).value,
                int(attempt),
                error,
                self.fingerprint,
                now_iso(),
                int(attempt),
            ),
        )

    # --- documents --------------------------------------------------------------------------------------

    def finish_document(self, doc: DocumentResult) -> None:
        """After its JSON is written: store the document's summary, settle its input, drop its pages."""
        with self.db:
            self.db.execute("BEGIN")
            self._store_summary(doc)
            self.db.execute(
                "UPDATE inputs SET status = ?, error = ?, updated_at = ? "
                "WHERE doc_id = ? AND status = 'running'",
                (doc.status.value, doc.error, now_iso(), doc.doc_id),
            )
            self.db.execute("DELETE FROM pages WHERE doc_id = ?", (doc.doc_id,))

    def store_summary(self, doc: DocumentResult) -> None:
        """Replace a finished document's summary (after a correction changed its stored JSON)."""
        self._store_summary(doc)

    def _store_summary(self, doc: DocumentResult) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO documents (doc_id, source_path, status, fingerprint, summary) "
            "VALUES (?, ?, ?, ?, ?)",
            (
                doc.doc_id,
                doc.source_path,
                doc.status.value,
                doc.options_fingerprint,
                json.dumps(doc.summary(), ensure_ascii=False),
            ),
        )

    def doc_id_of(self, path: str) -> str | None:
        row = self.db.execute("SELECT doc_id FROM inputs WHERE path = ?", (path,)).fetchone()
        return row[0] if row else None

    def kind_of(self, path: str) -> str | None:
        """The input's kind by content (``pdf``, ``text`` …) as recorded when it was inspected."""
        row = self.db.execute("SELECT kind FROM inputs WHERE path = ?", (path,)).fetchone()
        return row[0] if row else None

    def forget_document(self, doc_id: str) -> None:
        self.db.execute("DELETE FROM documents WHERE doc_id = ?", (doc_id,))

    def reconcile(self) -> int:
        """Import summaries of document JSON files the ledger does not know (a kill before the commit)."""
        known = {row[0] for row in self.db.execute("SELECT doc_id FROM documents")}
        imported = 0
        with self.db:
            self.db.execute("BEGIN")
            for path in (self.out_dir / export.DOCUMENTS_DIR).glob("*.json"):
                if path.stem in known:
                    continue
                doc = export.read_result(self.out_dir, path.stem)
                if doc is not None:
                    self._store_summary(doc)
                    imported += 1
        return imported

    def summaries(self) -> Iterator[dict]:
        """Every document's summary, in source-path order (so tables of equal runs compare equal)."""
        for (text,) in self.db.execute("SELECT summary FROM documents ORDER BY source_path, doc_id"):
            yield json.loads(text)

    # --- pages ------------------------------------------------------------------------------------------

    def done_pages(self, doc_id: str) -> set[int]:
        rows = self.db.execute(
            "SELECT page FROM pages WHERE doc_id = ? AND fingerprint = ? AND status = 'ok'",
            (doc_id, self.fingerprint),
        )
        return {row[0] for row in rows}

    def save_page(self, doc_id: str, page: PageResult) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO pages (doc_id, page, fingerprint, status, record) VALUES (?, ?, ?, ?, ?)",
            (
                doc_id,
                page.index,
                self.fingerprint,
                page.status.value,
                json.dumps(page.to_dict(), ensure_ascii=False),
            ),
        )

    def load_pages(self, doc_id: str) -> list[PageResult]:
        rows = self.db.execute(
            "SELECT record FROM pages WHERE doc_id = ? AND fingerprint = ? ORDER BY page",
            (doc_id, self.fingerprint),
        )
        return [PageResult.from_dict(json.loads(row[0])) for row in rows]


def now_iso() -> str:
    """Local time with its UTC offset, to the second: when archivists read logs, local time matters."""
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")
