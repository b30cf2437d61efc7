"""The typed result of the pipeline: one :class:`DocumentResult` per input, one :class:`PageResult` per page.

A document travels from the worker that makes it, through the run ledger, to its JSON file, the Parquet
tables, the report and the searchable PDF. Typing it once here (rather than as a dict built in several
places) gives every stage the same names, one way to say that something failed
(:meth:`DocumentResult.failed`, :meth:`PageResult.failed`), and one vocabulary of statuses
(:class:`Status`). The JSON form (``to_dict``/``from_dict``) is the stored contract: its keys are the field
names below, and ``from_dict`` ignores keys it does not know so older and newer files both load.

:class:`DocumentRow` is one row of ``documents.parquet``; the Parquet schema is derived from its fields
(``pipeline.outputs.export``), so the table and the type cannot drift apart.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field, fields
from enum import Enum
from typing import Any

from pipeline import __version__


class Status(str, Enum):
    """Where a document, a page or an input stands; the value is what the JSON, SQLite and Parquet hold."""

    OK = "ok"
    PARTIAL = "partial"  # a document with some failed or unreadable pages, or another reason to review it
    ERROR = "error"
    RUNNING = "running"  # an input being processed (run ledger only)
    DUPLICATE = "duplicate"  # an input with the same content as another one (run ledger only)

    def __str__(self) -> str:
        return self.value

    @property
    def done(self) -> bool:
        """A document that needs no rerun: its results are final (``partial`` ones are kept as they are)."""
        return self in (Status.OK, Status.PARTIAL)


def column(arrow: str, default: Any = None) -> Any:
    """A dataclass field that is also a Parquet column of the named Arrow type (``export.ARROW_TYPES``)."""
    return field(default=default, metadata={"arrow": arrow})


def _known(cls: type, data: dict) -> dict:
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in data.items() if k in names}


@dataclass
class PageResult:
    """One page of a scanned document after preprocessing and OCR (or the reason it failed)."""

    index: int  # 0-based
    status: Status = Status.OK
    error: str | None = None  # why the page failed, or why it is unreadable (the page guard)
    # why some of a page read all the same may be missing from its text (a smear over lines, see
    # ``pipeline.scan.layout``): its document is partial, to review
    warnings: list[str] = field(default_factory=list)
    width: int | None = None  # of the page as OCR'd: upright (turned by ``rotation``), before deskew
    height: int | None = None
    dpi: int | None = None
    preprocess: list[str] = field(default_factory=list)  # the preprocessing steps applied, in order
    rotation: int = 0  # degrees clockwise the scan was turned to stand upright: 0, 90, 180 or 270
    orientation: dict | None = None  # how the rotation was decided (``pipeline.scan.orientation``)
    deskew_angle: float | None = None
    seal_pixels: int | None = None
    ocr_mean_confidence: float | None = None
    valid_syllables: float | None = None  # share of the page's words that are Vietnamese syllables
    segments: list[dict] = field(default_factory=list)  # layout zones read as separate blocks
    # how the page was read: "blocks" (sohoa's layout) or "plain" (Tesseract's own layout, kept because the
    # blocks read worse by the page's own evidence, see pipeline.scan.guard.read_page); None: not read
    reading: str | None = None
    lines: list[dict] = field(default_factory=list)  # OCR lines with words, confidences and boxes
    # stamps and handwriting taken off the page before OCR (``pipeline.scan.marks``): never in the text;
    # each {kind: stamp|handwriting, page (1-based), box [left, top, right, bottom] as OCR'd, text or None}
    annotations: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)  # CPU ms per stage (``pipeline.timing``)
    line_start: int | None = None  # first line of this page in the document's text
    line_end: int | None = None  # one past its last line

    @classmethod
    def failed(cls, index: int, message: str) -> PageResult:
        return cls(index=index, status=Status.ERROR, error=one_line(message))

    @property
    def ok(self) -> bool:
        return self.status is Status.OK

    def text_only(self) -> PageResult:
        """The page without boxes and word texts: all that joining and restoring a document's text needs
        (the word confidences are kept: a token's OCR confidence is that of its word, see pipeline.review)."""
        lines = [
            {
                "text": line["text"],
                "conf": line["conf"],
                "words": [
                    {"conf": w["conf"]} | ({"under_stamp": True} if w.get("under_stamp") else {})
                    for w in line.get("words") or []
                ],
            }
            for line in self.lines
        ]
        return PageResult(
            index=self.index,
            status=self.status,
            error=self.error,
            warnings=self.warnings,
            ocr_mean_confidence=self.ocr_mean_confidence,
            lines=lines,
            seconds=self.seconds,
        )

    def to_dict(self) -> dict:
        """The JSON form; its lists and dicts are the page's own (``dataclasses.asdict`` deep-copied every
        word of every line, a third of the batch process's CPU, for data that is only serialised)."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["status"] = self.status.value
        return data

    @classmethod
    def from_dict(cls, data: dict) -> PageResult:
        page = cls(**_known(cls, data))
        page.status = Status(page.status)
        return page


@dataclass
class DocumentResult:
    """Everything known about one input: identity, status, pages, text, restoration and structure."""

    doc_id: str
    source_path: str
    status: Status = Status.OK
    error: str | None = None  # one line; for a partial document, what was wrong and where
    warnings: list[str] = field(default_factory=list)
    pipeline_version: str = __version__
    sha256: str | None = None
    kind: str | None = None
    encoding: str | None = None  # a text dump's encoding as detected (``pipeline.scan.text_encoding``)
    size_bytes: int | None = None
    n_pages: int | None = None
    options_fingerprint: str | None = None
    pages: list[PageResult] = field(default_factory=list)
    ocr_mean_confidence: float | None = None
    raw_text: str | None = None  # the text before restoration
    text: str | None = None  # the final text
    restoration: dict | None = None  # counts and one record per token (``pipeline.restore``)
    record: dict | None = None  # header fields and sections (``pipeline.structure``)
    text_seconds: float | None = None
    seconds: float | None = None
    timings: dict[str, float] = field(default_factory=dict)  # CPU ms of the text stages (``pipeline.timing``)
    processed_at: str | None = None

    @classmethod
    def failed(cls, path: str, message: str, *, doc_id: str | None = None) -> DocumentResult:
        """The result of an input that could not be processed; keyed by its path if its content is unknown."""
        return cls(
            doc_id=doc_id or path_doc_id(path), source_path=path, status=Status.ERROR, error=one_line(message)
        )

    def fail(self, message: str) -> DocumentResult:
        """Mark this document as failed (keeping what is known of it) and return it."""
        self.status = Status.ERROR
        self.error = one_line(message)
        return self

    def mark_partial(self, reason: str) -> None:
        """Add a reason to review the document; an ``ok`` document becomes ``partial``, an error stays one."""
        if self.status is Status.ERROR:
            return
        self.status = Status.PARTIAL
        self.error = f"{self.error}; {one_line(reason)}" if self.error else one_line(reason)

    @property
    def fields(self) -> dict:
        """The header fields found by the structure stage (empty when it did not run)."""
        return (self.record or {}).get("fields") or {}

    @property
    def sections(self) -> list[dict]:
        return (self.record or {}).get("sections") or []

    @property
    def annotations(self) -> list[dict]:
        """The stamps and handwriting of every page (``PageResult.annotations``), in page order."""
        return [mark for page in self.pages for mark in page.annotations]

    @property
    def terms(self) -> list[dict]:
        """Multi-syllable terms counted per section: ``{section_order, term, count}``."""
        return (self.record or {}).get("terms") or []

    def to_dict(self) -> dict:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["status"] = self.status.value
        data["pages"] = [page.to_dict() for page in self.pages]
        data["annotations"] = self.annotations
        return data

    @classmethod
    def from_dict(cls, data: dict) -> DocumentResult:
        doc = cls(**_known(cls, data))
        doc.status = Status(doc.status)
        doc.pages = [PageResult.from_dict(p) for p in data.get("pages") or []]
        return doc

    def summary(self) -> dict:
        """What the tables need of a document, without its pages' words, its text or its token records.

        The run ledger keeps this instead of the full JSON so that the tables of an archive of any size are
        rebuilt in seconds; :meth:`from_dict` reads it back as a document without text.
        """
        data = self.to_dict()
        for name in ("text", "raw_text"):
            data.pop(name)
        data["pages"] = [
            {"index": p.index, "status": p.status.value} | ({"rotation": p.rotation} if p.rotation else {})
            for p in self.pages
        ]
        if self.restoration is not None:
            data["restoration"] = {k: v for k, v in self.restoration.items() if k != "tokens"}
        if self.record is not None:
            kept = ("fields", "sections", "terms", "uncertain_fields")
            data["record"] = {k: v for k, v in self.record.items() if k in kept}
        return data


def one_line(message: str) -> str:
    """A reason as one line: library messages (OpenCV's, for one) can carry newlines and trailing blanks."""
    return " ".join(str(message).split())


def path_doc_id(path: str) -> str:
    """The id of an input whose content could not be read: from its path, as long as a content id."""
    return "path-" + hashlib.sha256(path.encode("utf-8", "surrogateescape")).hexdigest()[:16]


@dataclass
class DocumentRow:
    """One row of ``documents.parquet``: a document's status, counts and header fields, typed for pandas."""

    doc_id: str = column("string")
    source_path: str = column("string")
    sha256: str | None = column("string")
    kind: str | None = column("string")
    encoding: str | None = column("string")
    size_bytes: int | None = column("int64")
    n_pages: int | None = column("int32")
    n_pages_failed: int | None = column("int32")
    page_rotations: list[int] | None = column("list<int32>")  # per page, degrees it was turned clockwise
    status: str = column("string")
    error: str | None = column("string")
    warning: str | None = column("string")
    ocr_mean_confidence: float | None = column("float64")
    n_tokens: int | None = column("int32")
    n_changed_tokens: int | None = column("int32")
    n_low_confidence_tokens: int | None = column("int32")
    restore_mean_confidence: float | None = column("float64")
    seconds: float | None = column("float64")
    issuer_parent: str | None = column("string")
    issuer: str | None = column("string")
    doc_number: str | None = column("string")
    doc_symbol: str | None = column("string")
    doc_type: str | None = column("string")
    place: str | None = column("string")
    issue_date: dt.date | None = column("date32")
    title: str | None = column("string")
    campaign: str | None = column("string")
    period_start: int | None = column("int32")
    period_end: int | None = column("int32")
    legal_bases: list[dict] | None = column("legal_bases")
    recipients: list[str] | None = column("list<string>")
    signer_title: str | None = column("string")
    signer_name: str | None = column("string")
    digital_signature: dict | None = column("digital_signature")
    # header fields that may be wrong, "field: reason" (pipeline.structure.doubts): never silently wrong
    uncertain_fields: list[str] | None = column("list<string>")
    processed_at: str | None = column("string")


@dataclass
class TermRow:
    """One row of ``terms.parquet``: a multi-syllable term ("thi đua", "khen thưởng") and how often one
    section uses it, from underthesea's word segmentation; ``section_order`` joins ``sections.order``."""

    doc_id: str = column("string")
    section_order: int = column("int32")
    term: str = column("string")
    count: int = column("int32")


LEGAL_BASIS_KEYS = ("doc_type", "number", "symbol", "date", "issuer")
SIGNATURE_KEYS = ("signer", "organization", "email", "timestamp")


def document_row(doc: DocumentResult) -> DocumentRow:
    """The documents.parquet row of a document (or of its ledger summary)."""
    found = doc.fields
    restoration = doc.restoration or {}
    signature = found.get("digital_signature")
    return DocumentRow(
        doc_id=doc.doc_id,
        source_path=doc.source_path,
        sha256=doc.sha256,
        kind=doc.kind,
        encoding=doc.encoding,
        size_bytes=doc.size_bytes,
        n_pages=len(doc.pages) or doc.n_pages,
        n_pages_failed=sum(1 for p in doc.pages if p.status is Status.ERROR),
        page_rotations=[p.rotation for p in doc.pages] or None,
        status=doc.status.value,
        error=doc.error,
        warning="; ".join(doc.warnings) or None,
        ocr_mean_confidence=doc.ocr_mean_confidence,
        n_tokens=restoration.get("n_tokens"),
        n_changed_tokens=restoration.get("n_changed"),
        n_low_confidence_tokens=restoration.get("n_low_confidence"),
        restore_mean_confidence=restoration.get("mean_confidence"),
        seconds=doc.seconds,
        issuer_parent=_text(found.get("issuer_parent")),
        issuer=_text(found.get("issuer")),
        doc_number=_text(found.get("doc_number")),
        doc_symbol=_text(found.get("doc_symbol")),
        doc_type=_text(found.get("doc_type")),
        place=_text(found.get("place")),
        issue_date=_iso_date(found.get("issue_date")),
        title=_text(found.get("title")),
        campaign=_text(found.get("campaign")),
        period_start=_int(found.get("period_start")),
        period_end=_int(found.get("period_end")),
        legal_bases=[
            {k: _text(b.get(k)) for k in LEGAL_BASIS_KEYS}
            for b in found.get("legal_bases") or []
            if isinstance(b, dict)
        ],
        recipients=[str(r) for r in found.get("recipients") or []],
        signer_title=_text(found.get("signer_title")),
        signer_name=_text(found.get("signer_name")),
        digital_signature=(
            {k: _text(signature.get(k)) for k in SIGNATURE_KEYS} if isinstance(signature, dict) else None
        ),
        uncertain_fields=[f"{name}: {why}" for name, why in _uncertain(doc).items()],
        processed_at=doc.processed_at,
    )


def _uncertain(doc: DocumentResult) -> dict:
    found = (doc.record or {}).get("uncertain_fields")
    return found if isinstance(found, dict) else {}


def _iso_date(value: Any) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
