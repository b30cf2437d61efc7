"""The work done inside worker processes: one page, or the document-level stages once its pages are in.

Functions here take and return plain data (:mod:`pipeline.record` dataclasses) so they can cross process
boundaries, and they never raise for a bad page or document: the failure is returned as data with a
one-line reason, so the batch can record it and continue.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from pipeline import __version__
from pipeline.errors import IngestError, SohoaError
from pipeline.record import DocumentResult, PageResult, Status
from pipeline.scan import guard, ingest, marks, ocr, preprocess
from pipeline.timing import Stopwatch

if TYPE_CHECKING:
    from pipeline.restore.lexicon import UserLexicon

# Below these, a page or text holds too little to judge its language; above, it must look Vietnamese.
MIN_WORDS_FOR_LANGUAGE_CHECK = 20
MIN_VIETNAMESE_SHARE = 0.5


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
    # The archive's own names and terms (sohoa run --lexicon): its entries are part of the fingerprint.
    lexicon: UserLexicon | None = None
    # Names and terms corrected in this OUT (OUT/lexicon.tsv, kept by ``sohoa review``): restoration uses them
    # for the documents still to do, but they are no part of the fingerprint, or every correction saved
    # would make the next run redo the whole archive.
    archive_lexicon: UserLexicon | None = None

    def fingerprint(self) -> str:
        data = asdict(self)
        data.pop("page_timeout_s")
        data.pop("archive_lexicon")
        data["version"] = __version__
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def _lexicon(options: ProcessOptions) -> UserLexicon | None:
    """The user lexicon given for the run and the archive's corrections, as one."""
    given = [lexicon for lexicon in (options.lexicon, options.archive_lexicon) if lexicon is not None]
    if len(given) < 2:
        return given[0] if given else None
    return type(given[0])(given[0].entries + given[1].entries)


def process_page(source: ingest.SourceFile, index: int, options: ProcessOptions) -> PageResult:
    """Load, preprocess and OCR one page; a failure becomes a page result with status 'error'."""
    started = time.perf_counter()
    page = PageResult(index=index)
    try:
        _read_page(page, source, options)
    except SohoaError as exc:  # a reason meant for the archivist: kept as it is
        page = PageResult.failed(index, str(exc))
    except Exception as exc:  # an unexpected bug must not take the batch down with it
        page = PageResult.failed(index, f"internal error on page {index + 1}: {type(exc).__name__}: {exc}")
    page.seconds = round(time.perf_counter() - started, 3)
    return page


def _read_page(page: PageResult, source: ingest.SourceFile, options: ProcessOptions) -> None:
    clock = Stopwatch()
    with clock("rasterise"):
        rgb, dpi = ingest.load_page(source, page.index, options.dpi)
        rgb, dpi = preprocess.to_reading_resolution(rgb, dpi)
    page.timings = clock.ms
    page.width, page.height, page.dpi = int(rgb.shape[1]), int(rgb.shape[0]), dpi
    image, steps = preprocess.preprocess_page(rgb, dpi, options.preprocess, lang=options.lang)
    del rgb
    page.preprocess, page.deskew_angle, page.seal_pixels = (
        steps.applied,
        steps.deskew_angle,
        steps.seal_pixels,
    )
    # A page turned by 90 or 270 degrees was read upright, with its width and height swapped.
    page.rotation, page.orientation = steps.rotation, steps.orientation
    page.annotations = [mark.as_dict() | {"page": page.index + 1} for mark in steps.marks]
    clock.update(steps.timings)
    page.width, page.height = int(image.shape[1]), int(image.shape[0])
    # Read in sohoa's blocks, or plainly when that reads better by the page's own evidence (guard.read_page)
    plain = (
        None
        if steps.upright is None
        else guard.plain_source(steps.upright, image, [m.box for m in steps.marks])
    )
    steps.upright = None
    result, check = guard.read_page(
        image,
        dpi,
        lang=options.lang,
        timeout_s=options.page_timeout_s,
        columns=options.columns,
        plain_page=plain,
    )
    clock.update(result.timings)
    page.reading = result.reading
    page.ocr_mean_confidence = result.mean_conf
    page.segments = [{"kind": s.kind, "box": list(asdict(s.box).values())} for s in result.segments]
    page.lines = [_line_record(line, steps.marks) for line in result.lines]
    # The page guard: garbage must not pass as text. The lines stay in the page for review; the
    # document leaves them out of its text and is partial.
    page.valid_syllables = check.valid_syllables
    page.warnings = list(result.hidden)
    if check.problem:
        page.status, page.error = Status.ERROR, check.problem


def _line_record(line: ocr.OcrLine, page_marks: list[marks.Mark]) -> dict:
    """A line as stored in the page record; stray marks trimmed off its ends are kept apart, not lost. A
    word that a stamp lay over says so (``under_stamp``): its letters may have lost strokes with the stamp."""
    return {
        "text": line.text,
        "conf": round(line.conf, 2),
        "bbox": list(line.bbox),
        "block": line.block,
        "words": [_word_record(w, page_marks) for w in line.words],
        "stray": [w.text for w in line.stray],
    }


def _word_record(word: ocr.OcrWord, page_marks: list[marks.Mark]) -> dict:
    record = {"text": word.text, "conf": round(word.conf, 2), "bbox": list(word.bbox)}
    if marks.under_stamp(word.bbox, page_marks):
        record["under_stamp"] = True
    return record


def new_document(source: ingest.SourceFile, options: ProcessOptions) -> DocumentResult:
    """The result of a readable input, before any stage has run."""
    return DocumentResult(
        doc_id=source.doc_id,
        source_path=str(source.path),
        sha256=source.sha256,
        kind=source.kind,
        encoding=source.text_encoding,
        size_bytes=source.size,
        n_pages=source.n_pages,
        warnings=list(source.warnings),
        options_fingerprint=options.fingerprint(),
    )


def finish_document(
    source: ingest.SourceFile, pages: list[PageResult], options: ProcessOptions
) -> DocumentResult:
    """Join a scanned document's pages, then restore and structure its text.

    ``pages`` need only their text and line confidences (:meth:`PageResult.text_only`): the caller, which
    holds the full page results, puts them back into the document it gets.
    """
    doc = new_document(source, options)
    try:
        return _join_pages(doc, pages, options)
    except Exception as exc:  # a bug in a text stage must cost one document, not the batch
        return doc.fail(f"internal error: {type(exc).__name__}: {exc}")


def _join_pages(doc: DocumentResult, pages: list[PageResult], options: ProcessOptions) -> DocumentResult:
    doc.pages = sorted(pages, key=lambda p: p.index)
    lines: list[str] = []
    confidences: list[float] = []
    word_confidences: list[list[float]] = []
    line_words: list[list[dict]] = []
    for page in doc.pages:
        page.line_start = len(lines)
        for line in page.lines if page.status is not Status.ERROR else ():  # unreadable: not text
            lines.append(line["text"])
            confidences.append(line["conf"] / 100.0)
            word_confidences.append([w["conf"] for w in line.get("words") or []])
            line_words.append(line.get("words") or [])
        page.line_end = len(lines)
    confs = [p.ocr_mean_confidence for p in doc.pages if p.ocr_mean_confidence is not None]
    doc.ocr_mean_confidence = round(sum(confs) / len(confs), 2) if confs else None
    failed = [p for p in doc.pages if p.status is Status.ERROR]
    if failed and len(failed) == len(doc.pages):
        first = failed[0].error or "page failed"
        return doc.fail(first if len(doc.pages) == 1 else f"all {len(doc.pages)} pages failed: {first}")
    if failed:
        doc.mark_partial(
            f"{len(failed)} of {len(doc.pages)} pages failed: "
            + "; ".join(f"page {p.index + 1}: {p.error}" for p in failed)
        )
    for page in doc.pages:  # read, but some of the page's text may be missing: not silently ok
        if page.status is not Status.ERROR and page.warnings:
            doc.mark_partial(f"page {page.index + 1}: " + "; ".join(page.warnings))
    return _finish_text(doc, "\n".join(lines), confidences, options, word_confidences, line_words)


def process_text_document(source: ingest.SourceFile, options: ProcessOptions) -> DocumentResult:
    """A text dump skips the image stages: it is restored and structured directly."""
    doc = new_document(source, options)
    try:
        text = ingest.read_text(source)
    except IngestError as exc:  # the file changed since it was inspected and no longer decodes
        return doc.fail(str(exc))
    except OSError as exc:
        return doc.fail(f"cannot read text: {exc.strerror or exc}")
    try:
        return _finish_text(doc, text.rstrip("\n"), None, options)
    except Exception as exc:
        return doc.fail(f"internal error: {type(exc).__name__}: {exc}")


def _finish_text(
    doc: DocumentResult,
    raw: str,
    line_confidences: list[float] | None,
    options: ProcessOptions,
    word_confidences: list[list[float]] | None = None,
    line_words: list[list[dict]] | None = None,
) -> DocumentResult:
    started = time.perf_counter()
    doc.raw_text = raw
    problem = language_problem(raw)
    if problem:
        return doc.fail(problem)
    text = raw
    clock = Stopwatch()
    if options.restore:
        from pipeline.restore import restore_text

        with clock("restore"):
            damaged = stamped_words(raw.split("\n"), line_words) if line_words else []
            restoration = restore_text(raw, lexicon=_lexicon(options), damaged=damaged)
            text = restoration.text
            doc.restoration = _restoration_summary(restoration, raw, word_confidences)
    doc.text = text
    if options.structure:
        from pipeline.structure import extract_record

        with clock("structure"):
            doubts = _word_doubts(doc, raw, text, line_words)
            doc.record = extract_record(text, line_confidences, word_doubts=doubts).to_dict()
    doc.timings = clock.ms
    doc.text_seconds = round(time.perf_counter() - started, 3)
    doc.seconds = round(doc.text_seconds + sum(p.seconds for p in doc.pages), 3)
    return doc


def stamped_words(raw_lines: list[str], line_words: list[list[dict]]) -> list[tuple[int, int, int]]:
    """(line, start, end) in the raw text of each OCR word a received stamp lay over (``under_stamp``):
    restoration reads them knowing strokes may be lost. A line is its words joined by one space
    (:mod:`pipeline.scan.ocr`); a line whose words do not pair up with its text gives none."""
    from pipeline.structure.doubts import word_spans

    found = []
    for line, (raw, words) in enumerate(zip(raw_lines, line_words, strict=False)):
        if any(w.get("under_stamp") for w in words):
            found.extend(
                (line, start, end) for start, end, w in word_spans(raw, words) if w.get("under_stamp")
            )
    return found


def _word_doubts(
    doc: DocumentResult, raw: str, text: str, line_words: list[list[dict]] | None
) -> dict | None:
    """The doubtful words of each line (:func:`pipeline.structure.doubts.word_doubts`) of a scanned
    document: its restored tokens, or its OCR words when it was not restored; None for a text dump, or when
    restoration changed the number of lines (the tokens' lines would not be the record's)."""
    from pipeline.structure.doubts import ocr_tokens, word_doubts

    if line_words is None or raw.count("\n") != text.count("\n"):
        return None
    raw_lines = raw.split("\n")
    tokens = doc.restoration["tokens"] if doc.restoration else ocr_tokens(raw_lines, line_words)
    return word_doubts(tokens, raw_lines, line_words)


def _restoration_summary(restoration: Any, raw: str, word_confidences: list[list[float]] | None) -> dict:
    """Counts over the restored tokens, and the tokens themselves (with the OCR confidence of their word), as
    stored in the document. ``n_low_confidence`` counts the words to review (:mod:`pipeline.review`)."""
    from pipeline import review

    tokens = [asdict(t) for t in restoration.tokens]
    review.attach_ocr_confidence(tokens, raw.split("\n"), word_confidences or [])
    return {
        "n_tokens": len(tokens),
        "n_changed": sum(1 for t in tokens if t["changed"]),
        "n_low_confidence": review.count_to_review(tokens),
        "mean_confidence": round(sum(t["confidence"] for t in tokens) / len(tokens), 4) if tokens else None,
        "tokens": tokens,
    }


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
