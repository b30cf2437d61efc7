"""Corrections that stick: what an archivist fixes in ``sohoa review`` is kept, and applied everywhere.

Every correction is one JSON line appended to ``OUT/corrections.jsonl``; the file is never rewritten::

    {"document": "9d2d15593bcffa56", "page": 1, "word": {"line": 12, "col": 40, "ocr": "dua"},
     "old": "dua", "new": "đua", "when": "2024-05-02T10:31:07+07:00", "by": "lan"}
    {"document": "9d2d15593bcffa56", "page": null, "field": "signer_name",
     "old": "Trần Thị Minh Hanh", "new": "Trần Thị Minh Hạnh", "when": "2024-05-02T10:32:40+07:00"}

A word is a restoration token, named by where it is in the OCR text (``line`` of ``text/<doc_id>.txt`` and
``col`` in the OCR line, as in ``Results.tokens``) and by its OCR reading; ``page`` is 1-based (null for a
text dump). A field is a column of ``documents.parquet`` (:data:`EDITABLE_FIELDS`). ``old`` is what the
archivist saw, ``new`` what they typed (the same word saved unchanged confirms it).

Applying is idempotent: for each word and each field the latest correction wins, so the same list can be
applied any number of times, to the stored result (after a save) or to a fresh one: ``sohoa run`` (also
with ``--force``) applies a document's corrections before storing it (:func:`reapply`), so a rerun never
loses one. A corrected word takes the new form as ``restored`` with ``corrected: true`` and confidence 1
(the pipeline's form and confidence stay in ``restored_before`` and ``confidence_before``) and is no
longer to review (:mod:`pipeline.review`); its text line is rebuilt, and the sections (text, heading,
terms) and header fields that quoted the line follow. A corrected field is set as typed (a date as
ISO 8601, years as numbers) and listed in ``record.corrected_fields``. :func:`apply_corrections` then
rewrites every output of the document: ``text/``, its JSON, its summary in the run ledger and the Parquet
tables, ALTO (and hOCR and the searchable PDF where a run wrote them) and its page of the static report.

Corrected names, places, offices and words also go to ``OUT/lexicon.tsv`` (:func:`write_lexicon`), the
archive's lexicon in the format ``pipeline.restore.lexicon`` reads (form, kind, weight), which ``sohoa run``
into that OUT gives the restoration of the next documents.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
import re
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.logs import get_logger
from pipeline.outputs import export
from pipeline.record import DocumentResult

CORRECTIONS_NAME = "corrections.jsonl"
LEXICON_NAME = "lexicon.tsv"
MAX_CHARS = 1000  # a corrected word or field value longer than this is a slip of the hand

# The header fields a person can correct: the single-valued columns of documents.parquet.
EDITABLE_FIELDS = (
    "issuer_parent",
    "issuer",
    "doc_number",
    "doc_symbol",
    "doc_type",
    "place",
    "issue_date",
    "title",
    "campaign",
    "period_start",
    "period_end",
    "signer_title",
    "signer_name",
)
_YEAR_FIELDS = ("period_start", "period_end")
# What a corrected field adds to the lexicon (kinds of pipeline.restore.lexicon); corrected words are terms.
LEXICON_FIELD_KINDS = {"signer_name": "name", "place": "place", "issuer": "office", "issuer_parent": "office"}
LEXICON_WORD_KIND = "term"
# A rerun with other options may move a word a few lines (a page read differently): it is looked for there.
SEARCH_LINES = 3
# A changed stretch of a line is replaced in a section's text or a field only with this much of the line
# around it (or the whole line), so that a short word is not replaced somewhere else.
MIN_CONTEXT_CHARS = 6

_DATE = re.compile(r"^\s*(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})\s*$")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")

log = get_logger()


class CorrectionError(ValueError):
    """A correction that cannot be made; the message says why in one line."""


@dataclass(frozen=True)
class Correction:
    """One correction of a word (``line``, ``col``, ``ocr``) or of a header field (``field``)."""

    document: str  # doc_id
    old: str
    new: str
    when: str = ""
    page: int | None = None  # 1-based page of a scanned document
    line: int | None = None  # a word: 0-based line of text/<doc_id>.txt
    col: int | None = None  # a word: its column in the OCR line
    ocr: str | None = None  # a word: what the OCR read
    field: str | None = None  # a field: its column name in documents.parquet
    by: str | None = None  # who (the login name of whoever ran sohoa review)

    @property
    def is_field(self) -> bool:
        return self.field is not None

    @property
    def target(self) -> tuple:
        """What is corrected: the latest correction of a target is the one that counts."""
        return ("field", self.field) if self.is_field else ("word", self.line, self.col, self.ocr)

    def to_json(self) -> dict:
        data: dict[str, Any] = {"document": self.document, "page": self.page}
        if self.is_field:
            data["field"] = self.field
        else:
            data["word"] = {"line": self.line, "col": self.col, "ocr": self.ocr}
        data.update(old=self.old, new=self.new, when=self.when)
        if self.by:
            data["by"] = self.by
        return data

    @classmethod
    def from_json(cls, data: dict) -> Correction:
        try:
            word = data.get("word") or {}
            correction = cls(
                document=str(data["document"]),
                old=str(data.get("old") or ""),
                new=str(data["new"]),
                when=str(data.get("when") or ""),
                page=_optional_int(data.get("page")),
                line=_optional_int(word.get("line")),
                col=_optional_int(word.get("col")),
                ocr=None if word.get("ocr") is None else str(word["ocr"]),
                field=None if data.get("field") is None else str(data["field"]),
                by=data.get("by"),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise CorrectionError(f"not a correction: {exc}") from None
        if not correction.is_field and (correction.line is None or correction.col is None):
            raise CorrectionError("a word correction needs word.line and word.col")
        return correction


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


def now_iso() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


def user_name() -> str | None:
    try:
        return getpass.getuser()
    except Exception:  # no login name (a container without a passwd entry): corrections stay anonymous
        return None


# --- the file ------------------------------------------------------------------------------------------


def corrections_path(out_dir: Path) -> Path:
    return Path(out_dir) / CORRECTIONS_NAME


def append_correction(out_dir: Path, correction: Correction) -> None:
    """Append one correction to ``OUT/corrections.jsonl`` (one write, then fsync: a kill leaves whole lines).

    Raises CorrectionError when the correction is not well formed (see :func:`check_correction`).
    """
    check_correction(correction)
    path = corrections_path(out_dir)
    line = (json.dumps(correction.to_json(), ensure_ascii=False) + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
    try:
        size = os.fstat(fd).st_size
        if size and _last_byte(path) != b"\n":
            line = b"\n" + line  # a line cut short by a crash stays alone, skipped when read
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)
    _cache.clear()


def _last_byte(path: Path) -> bytes:
    with open(path, "rb") as fh:
        fh.seek(-1, os.SEEK_END)
        return fh.read(1)


def read_corrections(out_dir: Path, doc_id: str | None = None) -> list[Correction]:
    """The corrections in file order (all, or one document's); unreadable lines are skipped with a warning."""
    path = corrections_path(out_dir)
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return []
    found = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            correction = Correction.from_json(json.loads(raw))
        except (ValueError, CorrectionError) as exc:
            log.warning("%s:%d: skipped: %s", path, number, exc, extra={"event": "correction_unreadable"})
            continue
        if doc_id is None or correction.document == doc_id:
            found.append(correction)
    return found


def latest(corrections: list[Correction]) -> list[Correction]:
    """The latest correction of each word and field, ordered by when each was last corrected."""
    last: dict[tuple, Correction] = {}
    for correction in corrections:
        key = (correction.document, correction.target)
        last.pop(key, None)
        last[key] = correction
    return list(last.values())


def check_correction(correction: Correction) -> None:
    """Raise CorrectionError when the correction cannot be stored as it is."""
    if not correction.document:
        raise CorrectionError("no document")
    if len(correction.new) > MAX_CHARS:
        raise CorrectionError(f"the new value is longer than {MAX_CHARS} characters")
    if _CONTROL.search(correction.new) or "\n" in correction.new:
        raise CorrectionError("the new value holds a line break or a control character")
    if correction.is_field:
        if correction.field not in EDITABLE_FIELDS:
            raise CorrectionError(f"{correction.field!r} is not a field that can be corrected")
        field_value(correction.field, correction.new)
    elif not correction.new.strip():
        raise CorrectionError("a word cannot be corrected to nothing")


def field_value(name: str, text: str) -> Any:
    """The stored value of a field typed as ``text``: None when empty, a year as a number, a date as ISO."""
    text = unicodedata.normalize("NFC", " ".join(text.split()))
    if not text:
        return None
    if name in _YEAR_FIELDS:
        if not (text.isdigit() and 1900 <= int(text) <= 2100):
            raise CorrectionError(f"{name}: a year, such as 2024")
        return int(text)
    if name == "issue_date":
        return _iso_date(text)
    return text


def _iso_date(text: str) -> str:
    match = _DATE.match(text)
    try:
        if match:
            day, month, year = (int(g) for g in match.groups())
            return dt.date(year, month, day).isoformat()
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise CorrectionError("issue_date: a date, such as 20/4/2023 or 2023-04-20") from None


# --- applying to a document ----------------------------------------------------------------------------


def apply_to_document(doc: DocumentResult, corrections: list[Correction]) -> list[Correction]:
    """Apply the document's corrections (the latest of each target) in memory; returns those whose word
    was not found (a rerun that read the page quite differently). Idempotent."""
    mine = latest([c for c in corrections if c.document == doc.doc_id])
    missed = []
    words = [c for c in mine if not c.is_field]
    if words and doc.restoration is not None:
        from pipeline.outputs.report.words import tokens_by_line

        by_line = tokens_by_line({"restoration": doc.restoration})
        changed_lines: dict[int, str] = {}
        for correction in words:
            if not _apply_word(doc, correction, by_line, changed_lines):
                missed.append(correction)
        _recount(doc)
        _recount_terms(doc, set(changed_lines))
    elif words:
        missed.extend(words)
    for correction in mine:
        if correction.is_field:
            _apply_field(doc, correction)
    return missed


def _apply_word(
    doc: DocumentResult, correction: Correction, by_line: dict[int, list[dict]], changed: dict[int, str]
) -> bool:
    token = _find_token(by_line, correction)
    if token is None:
        return False
    line = int(token["line"])
    tokens = by_line[line]
    raw_lines = (doc.raw_text or "").split("\n")
    raw = raw_lines[line] if line < len(raw_lines) else ""
    before = _rebuilt(raw, tokens)
    if "restored_before" not in token:
        token["restored_before"] = token["restored"]
        token["confidence_before"] = token.get("confidence")
    token.update(
        restored=correction.new,
        changed=correction.new != token["original"],
        confidence=1.0,
        corrected=True,
        corrected_at=correction.when,
    )
    after = _rebuilt(raw, tokens)
    text_lines = (doc.text or "").split("\n") if doc.text is not None else []
    if line < len(text_lines):
        old_line = text_lines[line]
        new_line = after if old_line == before else replace_changed(old_line, before, after)
        if new_line != old_line:
            text_lines[line] = new_line
            doc.text = "\n".join(text_lines)
            changed[line] = new_line
            _follow_in_record(doc, line, old_line, new_line)
    return True


def _find_token(by_line: dict[int, list[dict]], correction: Correction) -> dict | None:
    """The corrected token: at its place with its OCR reading, or else the nearest with that reading (or the
    corrected form) within a few lines."""
    assert correction.line is not None and correction.col is not None
    for token in by_line.get(correction.line, []):
        if int(token["col"]) == correction.col and correction.ocr in (None, token["original"]):
            return token
    forms = {correction.old, correction.new}
    near = [
        token
        for line in range(correction.line - SEARCH_LINES, correction.line + SEARCH_LINES + 1)
        for token in by_line.get(line, [])
        if token["original"] == correction.ocr or token["restored"] in forms
    ]
    return min(
        near,
        key=lambda t: (abs(int(t["line"]) - correction.line), abs(int(t["col"]) - correction.col)),
        default=None,
    )


def _rebuilt(raw: str, tokens: list[dict]) -> str:
    from pipeline.outputs.report.words import restored_segments

    return "".join(segment.text for segment in restored_segments(raw, tokens))


def replace_changed(value: str, old_line: str, new_line: str) -> str:
    """``value`` with the stretch where ``old_line`` and ``new_line`` differ replaced, found in ``value`` by
    that stretch and some of the line around it (at least :data:`MIN_CONTEXT_CHARS`, or the whole line);
    unchanged when it is not found exactly once."""
    if old_line == new_line or not value:
        return value
    prefix = 0
    while prefix < min(len(old_line), len(new_line)) and old_line[prefix] == new_line[prefix]:
        prefix += 1
    suffix = 0
    limit = min(len(old_line), len(new_line)) - prefix
    while suffix < limit and old_line[-1 - suffix] == new_line[-1 - suffix]:
        suffix += 1
    old_end, new_end = len(old_line) - suffix, len(new_line) - suffix
    for context in (len(old_line), 24, 12, MIN_CONTEXT_CHARS // 2):
        start, stop = max(0, prefix - context), min(len(old_line), old_end + context)
        found = old_line[start:stop].strip()
        if len(found) < MIN_CONTEXT_CHARS and found != old_line.strip():
            break
        if found and value.count(found) == 1:
            replacement = (old_line[start:prefix] + new_line[prefix:new_end] + old_line[old_end:stop]).strip()
            return value.replace(found, replacement)
    return value


def _follow_in_record(doc: DocumentResult, line: int, old_line: str, new_line: str) -> None:
    """The sections over ``line`` and the header fields that quote it take the corrected words."""
    record = doc.record or {}
    for section in record.get("sections") or []:
        first, last = section.get("start_line"), section.get("end_line")
        if first is None or last is None or not int(first) <= line <= int(last):
            continue
        for key in ("text", "heading"):
            if isinstance(section.get(key), str):
                section[key] = replace_changed(section[key], old_line, new_line)
    fields = record.get("fields") or {}
    for name, value in fields.items():
        if isinstance(value, str):
            fields[name] = replace_changed(value, old_line, new_line)


def _recount(doc: DocumentResult) -> None:
    from pipeline import review

    tokens = (doc.restoration or {}).get("tokens") or []
    doc.restoration["n_changed"] = sum(1 for t in tokens if t.get("changed"))
    doc.restoration["n_low_confidence"] = review.count_to_review(tokens)


def _recount_terms(doc: DocumentResult, lines: set[int]) -> None:
    """Count again the terms of the sections whose own text (up to the first subsection) holds a changed
    line; the other sections keep theirs."""
    record = doc.record or {}
    if not lines or "terms" not in record or doc.text is None:
        return
    sections = sorted(record.get("sections") or [], key=lambda s: int(s.get("order") or 0))
    spans = []
    for position, section in enumerate(sections):
        if section.get("start_line") is None or section.get("end_line") is None:
            continue
        first, last = int(section["start_line"]), int(section["end_line"])
        if position + 1 < len(sections) and sections[position + 1].get("start_line") is not None:
            last = min(last, int(sections[position + 1]["start_line"]) - 1)
        if any(first <= n <= last for n in lines):
            spans.append((int(section["order"]), first, last))
    if not spans:
        return
    from pipeline.structure.terms import terms_by_section

    orders = {order for order, _, _ in spans}
    kept = [t for t in record["terms"] or [] if t.get("section_order") not in orders]
    fresh = terms_by_section(doc.text.split("\n"), spans)
    record["terms"] = sorted(kept + fresh, key=lambda t: int(t.get("section_order") or 0))


def _apply_field(doc: DocumentResult, correction: Correction) -> None:
    assert correction.field is not None
    try:
        value = field_value(correction.field, correction.new)
    except CorrectionError as exc:
        log.warning("%s: correction of %s not applied: %s", doc.doc_id, correction.field, exc)
        return
    if doc.record is None:
        doc.record = {"fields": {}, "sections": []}
    doc.record.setdefault("fields", {})[correction.field] = value
    doc.record.setdefault("corrected_fields", {})[correction.field] = correction.when
    (doc.record.get("uncertain_fields") or {}).pop(correction.field, None)  # a person has read it now


def page_of_line(doc: DocumentResult, line: int) -> int | None:
    """The 1-based page a text line is on (None for a text dump)."""
    for page in doc.pages:
        start, end = page.line_start, page.line_end
        if start is not None and end is not None and start <= line < end:
            return page.index + 1
    return None


# --- rerun safety --------------------------------------------------------------------------------------

_cache: dict[Path, tuple[tuple[int, int], dict[str, list[Correction]]]] = {}
_cache_lock = threading.Lock()


def reapply(out_dir: Path, doc: DocumentResult) -> None:
    """Before a (re)processed document is stored: apply its corrections from ``OUT/corrections.jsonl``.

    ``pipeline.batch.run`` calls this for every document it stores, so a rerun (``--force`` too) never
    loses a correction. The file is read once per change, not once per document.
    """
    if not doc.status.done:
        return
    mine = _by_document(Path(out_dir)).get(doc.doc_id)
    if not mine:
        return
    for correction in apply_to_document(doc, mine):
        log.warning(
            "%s: corrected word %r (line %s) not found after the rerun; kept in %s",
            doc.source_path,
            correction.old,
            (correction.line or 0) + 1,
            CORRECTIONS_NAME,
            extra={"event": "correction_missed", "doc_id": doc.doc_id, "path": doc.source_path},
        )


def _by_document(out_dir: Path) -> dict[str, list[Correction]]:
    path = corrections_path(out_dir)
    try:
        stat = path.stat()
    except FileNotFoundError:
        return {}
    stamp = (stat.st_size, stat.st_mtime_ns)
    with _cache_lock:
        cached = _cache.get(path)
        if cached is None or cached[0] != stamp:
            grouped: dict[str, list[Correction]] = {}
            for correction in read_corrections(out_dir):
                grouped.setdefault(correction.document, []).append(correction)
            cached = _cache[path] = (stamp, grouped)
    return cached[1]


# --- everything a correction touches -------------------------------------------------------------------


def apply_corrections(
    out_dir: Path, doc_id: str, *, pdf: bool = True
) -> tuple[DocumentResult, list[Correction]]:
    """Apply a stored document's corrections and rewrite all its outputs (its PDF only with ``pdf``);
    returns it and the corrections whose word was not found. Raises CorrectionError when the document is
    not in ``out_dir``."""
    out_dir = Path(out_dir)
    doc = export.read_result(out_dir, doc_id)
    if doc is None:
        raise CorrectionError(f"no document {doc_id} in {out_dir}")
    missed = apply_to_document(doc, read_corrections(out_dir, doc_id))
    store(out_dir, doc, pdf=pdf)
    return doc, missed


def store(out_dir: Path, doc: DocumentResult, *, pdf: bool = True) -> None:
    """Rewrite a changed document's outputs: text and JSON, its ledger summary and the tables, ALTO, hOCR
    and (with ``pdf``) the PDF where they exist, its report pages, and the archive's lexicon."""
    from pipeline.batch.manifest import Manifest
    from pipeline.batch.run import rewrite_outputs
    from pipeline.outputs.report import refresh_document

    export.write_document(out_dir, doc)
    with Manifest(out_dir, doc.options_fingerprint or "") as manifest:
        manifest.store_summary(doc)
        export.write_tables(out_dir, manifest.summaries())
    rewrite_outputs(out_dir, doc, pdf=pdf)
    refresh_document(out_dir, doc.doc_id)
    write_lexicon(out_dir)


def correct(
    out_dir: Path, correction: Correction, *, pdf: bool = True
) -> tuple[DocumentResult, list[Correction]]:
    """Check a correction against its document, append it, apply it and rewrite the document's outputs
    (its searchable PDF only with ``pdf``: ``sohoa review`` makes PDFs in the background).

    Takes the output folder's lock while writing (raises LockedError when a ``sohoa run`` is writing to
    it) and CorrectionError when the correction does not fit the document (no such word or field).
    """
    from pipeline.batch.lock import OutputLock

    out_dir = Path(out_dir)
    check_correction(correction)
    doc = export.read_result(out_dir, correction.document)
    if doc is None:
        raise CorrectionError(f"no document {correction.document}")
    if not correction.is_field:
        from pipeline.outputs.report.words import tokens_by_line

        by_line = tokens_by_line({"restoration": doc.restoration})
        token = next(
            (t for t in by_line.get(correction.line or 0, []) if int(t["col"]) == correction.col), None
        )
        if token is None or correction.ocr not in (None, token["original"]):
            raise CorrectionError(f"no word at line {(correction.line or 0) + 1}, column {correction.col}")
    with OutputLock(out_dir):
        append_correction(out_dir, correction)
        return apply_corrections(out_dir, correction.document, pdf=pdf)


# --- the archive's lexicon -----------------------------------------------------------------------------

_LEXICON_HEADER = (
    "# The archive's lexicon: names, places, offices and words corrected in `sohoa review`, rebuilt from\n"
    "# corrections.jsonl after every correction (edit corrections, not this file). sohoa run into this\n"
    "# folder gives it to the restoration. Columns: form, kind, weight (the number of corrections).\n"
)


def lexicon_entries(corrections: list[Correction]) -> dict[tuple[str, str], float]:
    """(form, kind) -> weight of what the latest corrections teach: the corrected names, places and
    offices (fields), and the words that were changed (as terms); counted once per correction."""
    entries: dict[tuple[str, str], float] = {}
    for correction in latest(corrections):
        form = unicodedata.normalize("NFC", " ".join(correction.new.split()))
        if form == " ".join(correction.old.split()) or not any(c.isalpha() for c in form):
            continue
        if correction.is_field:
            kind = LEXICON_FIELD_KINDS.get(correction.field or "")
            if kind == "name" and len(form.split()) < 2:
                kind = LEXICON_WORD_KIND  # a name in the lexicon is a full name
        else:
            kind = LEXICON_WORD_KIND
        if kind:
            entries[(form, kind)] = entries.get((form, kind), 0.0) + 1.0
    return entries


def write_lexicon(out_dir: Path) -> Path | None:
    """Rewrite ``OUT/lexicon.tsv`` from all corrections; None (and no file) while none teaches anything."""
    path = Path(out_dir) / LEXICON_NAME
    entries = lexicon_entries(read_corrections(out_dir))
    if not entries:
        path.unlink(missing_ok=True)
        return None
    rows = sorted(entries.items(), key=lambda item: (item[0][1], item[0][0]))
    text = _LEXICON_HEADER + "".join(f"{form}\t{kind}\t{weight:g}\n" for (form, kind), weight in rows)
    export.atomic_write_text(path, text)
    return path
