"""The work done inside worker processes: one page, or the document-level stages once its pages are in.

Functions here take and return plain data (dataclasses and dicts) so they can cross process boundaries, and
they never raise for a bad page or document: the failure is returned as data with a one-line reason, so the
batch can record it and continue.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass, field

from pipeline import __version__
from pipeline.errors import IngestError, PageError
from pipeline.scan import ingest, ocr, preprocess

# Below these, a page or text holds too little to judge its language; above, it must look Vietnamese.
MIN_WORDS_FOR_LANGUAGE_CHECK = 20
MIN_VIETNAMESE_SHARE = 0.5
# Restored tokens below this posterior are flagged for review.
LOW_CONFIDENCE = 0.8


@dataclass(frozen=True)
class ProcessOptions:
    """Everything that changes the output; its fingerprint decides whether a stored result can be reused."""

    dpi: int = 300
    lang: str = "vie"
    columns: bool = True
    page_timeout_s: float = 180.0
    restore: bool = True
    structure: bool = True
    preprocess: preprocess.PreprocessOptions = field(default_factory=preprocess.PreprocessOptions)

    def fingerprint(self) -> str:
        data = asdict(self)
        data.pop("page_timeout_s")
        data["version"] = __version__
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def process_page(source: ingest.SourceFile, index: int, options: ProcessOptions) -> dict:
    """Load, preprocess and OCR one page; a failure becomes a page record with status 'error'."""
    started = time.perf_counter()
    record: dict = {"index": index, "status": "ok", "error": None}
    try:
        rgb, dpi = ingest.load_page(source, index, options.dpi)
        record.update(width=int(rgb.shape[1]), height=int(rgb.shape[0]), dpi=dpi)
        page, report = preprocess.preprocess_page(rgb, dpi, options.preprocess)
        del rgb
        record.update(
            preprocess=report.applied, deskew_angle=report.deskew_angle, seal_pixels=report.seal_pixels
        )
        result = ocr.ocr_page(
            page, dpi, lang=options.lang, timeout_s=options.page_timeout_s, columns=options.columns
        )
        record["ocr_mean_confidence"] = result.mean_conf
        record["segments"] = [{"kind": s.kind, "box": list(asdict(s.box).values())} for s in result.segments]
        record["lines"] = [_line_record(line) for line in result.lines]
    except (IngestError, PageError) as exc:
        record.update(status="error", error=str(exc), lines=[])
    except Exception as exc:  # an unexpected bug must not take the batch down with it
        record.update(
            status="error", error=f"internal error on page {index + 1}: {type(exc).__name__}: {exc}"
        )
        record["lines"] = []
    record["seconds"] = round(time.perf_counter() - started, 3)
    return record


def _line_record(line: ocr.OcrLine) -> dict:
    """A line as stored in the page record; stray marks trimmed off its ends are kept apart, not lost."""
    return {
        "text": line.text,
        "conf": round(line.conf, 2),
        "bbox": list(line.bbox),
        "block": line.block,
        "words": [{"text": w.text, "conf": round(w.conf, 2), "bbox": list(w.bbox)} for w in line.words],
        "stray": [w.text for w in line.stray],
    }


def base_record(source: ingest.SourceFile, options: ProcessOptions) -> dict:
    return {
        "doc_id": source.doc_id,
        "source_path": str(source.path),
        "sha256": source.sha256,
        "kind": source.kind,
        "size_bytes": source.size,
        "n_pages": source.n_pages,
        "status": "ok",
        "error": None,
        "warnings": list(source.warnings),
        "options_fingerprint": options.fingerprint(),
        "pipeline_version": __version__,
    }


def error_record(path: str, message: str, *, doc_id: str | None = None) -> dict:
    """Record of a file that could not be read at all; keyed by its path when its content is unknown."""
    return {
        "doc_id": doc_id or "path-" + hashlib.sha256(path.encode()).hexdigest()[:11],
        "source_path": path,
        "status": "error",
        "error": message,
        "warnings": [],
        "pipeline_version": __version__,
        "pages": [],
    }


def finish_document(source: ingest.SourceFile, pages: list[dict], options: ProcessOptions) -> dict:
    """Join a scanned document's pages, then restore and structure its text."""
    doc = base_record(source, options)
    try:
        return _join_pages(doc, pages, options)
    except Exception as exc:  # a bug in a text stage must cost one document, not the batch
        return _fail(doc, f"internal error: {type(exc).__name__}: {exc}")


def _join_pages(doc: dict, pages: list[dict], options: ProcessOptions) -> dict:
    pages = sorted(pages, key=lambda p: p["index"])
    lines: list[str] = []
    confidences: list[float] = []
    for page in pages:
        page["line_start"] = len(lines)
        for line in page.get("lines", []):
            lines.append(line["text"])
            confidences.append(line["conf"] / 100.0)
        page["line_end"] = len(lines)
    doc["pages"] = pages
    confs = [p["ocr_mean_confidence"] for p in pages if p.get("ocr_mean_confidence") is not None]
    doc["ocr_mean_confidence"] = round(sum(confs) / len(confs), 2) if confs else None
    failed = [p for p in pages if p["status"] == "error"]
    if failed and len(failed) == len(pages):
        return _fail(
            doc,
            failed[0]["error"]
            if len(pages) == 1
            else f"all {len(pages)} pages failed: " + failed[0]["error"],
        )
    if failed:
        doc["status"] = "partial"
        doc["error"] = f"{len(failed)} of {len(pages)} pages failed: " + "; ".join(
            f"page {p['index'] + 1}: {p['error']}" for p in failed
        )
    return _finish_text(doc, "\n".join(lines), confidences, options)


def process_text_document(source: ingest.SourceFile, options: ProcessOptions) -> dict:
    """A text dump skips the image stages: it is restored and structured directly."""
    doc = base_record(source, options)
    doc["pages"] = []
    try:
        text = ingest.read_text(source)
    except (OSError, UnicodeDecodeError) as exc:
        return _fail(doc, f"cannot read text: {exc}")
    try:
        return _finish_text(doc, text.rstrip("\n"), None, options)
    except Exception as exc:
        return _fail(doc, f"internal error: {type(exc).__name__}: {exc}")


def _fail(doc: dict, message: str) -> dict:
    doc.update(status="error", error=message)
    return doc


def _finish_text(doc: dict, raw: str, line_confidences: list[float] | None, options: ProcessOptions) -> dict:
    started = time.perf_counter()
    doc["raw_text"] = raw
    problem = language_problem(raw)
    if problem:
        return _fail(doc, problem)
    text = raw
    if options.restore:
        from pipeline.restore import restore_text

        restoration = restore_text(raw)
        text = restoration.text
        tokens = [asdict(t) for t in restoration.tokens]
        low = restoration.low_confidence(LOW_CONFIDENCE)
        doc["restoration"] = {
            "n_tokens": len(tokens),
            "n_changed": sum(1 for t in tokens if t["changed"]),
            "n_low_confidence": len(low),
            "mean_confidence": round(sum(t["confidence"] for t in tokens) / len(tokens), 4)
            if tokens
            else None,
            "tokens": tokens,
        }
    doc["text"] = text
    if options.structure:
        from pipeline.structure import extract_record

        doc["record"] = extract_record(text, line_confidences).to_dict()
    doc["text_seconds"] = round(time.perf_counter() - started, 3)
    doc["seconds"] = round(doc["text_seconds"] + sum(p.get("seconds", 0.0) for p in doc.get("pages", [])), 3)
    return doc


def language_problem(text: str) -> str | None:
    """A one-line reason when the text is empty or not Vietnamese, else None."""
    from pipeline.restore import vietnamese_share

    words = [w for w in text.split() if any(c.isalpha() for c in w)]
    if not words:
        return "no text found (blank page or unreadable scan)"
    if len(words) < MIN_WORDS_FOR_LANGUAGE_CHECK:
        return None
    share = vietnamese_share(text)
    if share < MIN_VIETNAMESE_SHARE:
        return f"text does not look Vietnamese (only {share:.0%} of words are Vietnamese syllables)"
    return None
