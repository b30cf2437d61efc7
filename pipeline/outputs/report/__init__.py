"""A static HTML review site for a ``sohoa run`` output folder (``OUT/report/index.html``).

Archivists check results in a browser, often on machines without network or Python, so the site is plain
files: inline CSS and JS, page images as JPEG files beside the pages, nothing fetched from anywhere.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.logs import get_logger
from pipeline.outputs import export
from pipeline.outputs.report import pages
from pipeline.outputs.report.images import SourceUnavailable, open_source, review_image

REPORT_DIR = "report"
IMAGE_DIR = "img"
IMAGE_WIDTH = 1000
JPEG_QUALITY = 80

log = get_logger()


def write_report(out_dir: Path, *, image_width: int = IMAGE_WIDTH) -> Path:
    """Write ``out_dir/report/`` (index and one page per document) and return the index's path.

    Raises FileNotFoundError when ``out_dir`` holds no ``documents.parquet`` (not a finished run).
    """
    out_dir = Path(out_dir)
    table = out_dir / "documents.parquet"
    if not table.is_file():
        raise FileNotFoundError(f"{table} not found: not the output folder of a finished sohoa run")
    rows = pages.review_order(_read_rows(table))
    report_dir = out_dir / REPORT_DIR
    (report_dir / IMAGE_DIR).mkdir(parents=True, exist_ok=True)
    for number, row in enumerate(rows):
        doc = export.read_document(out_dir, row["doc_id"])
        if doc is None:
            continue
        images, notes = _write_images(doc, report_dir, image_width)
        neighbours = pages.Neighbours(
            _neighbour(rows[number - 1]) if number > 0 else None,
            _neighbour(rows[number + 1]) if number + 1 < len(rows) else None,
        )
        written = set()
        for name, html in pages.document_pages(doc, images, notes, neighbours):
            export.atomic_write_text(report_dir / name, html)
            written.add(name)
        for stale in report_dir.glob(f"{doc['doc_id']}-*.html"):  # parts of a longer earlier version
            if stale.name not in written:
                stale.unlink()
    index = report_dir / "index.html"
    export.atomic_write_text(index, pages.index_page(rows, f"sohoa — {out_dir.resolve().name}"))
    for path in report_dir.glob("*.html"):
        path.chmod(0o644)  # atomic writes are private (0600); the site is meant to be shared
    return index


def document_parts(out_dir: Path, doc: dict, *, editor: str = "") -> list[tuple[str, str]]:
    """A stored document's report pages (file name, HTML) as they are now, with the page images the report
    already rendered (none are rendered here) and its neighbours in the index's order; ``editor``: see
    :func:`pages.document_pages`."""
    out_dir = Path(out_dir)
    report_dir = out_dir / REPORT_DIR
    images: dict[int, str] = {}
    notes: dict[int, str] = {}
    for page in doc.get("pages") or []:
        name = f"{IMAGE_DIR}/{doc['doc_id']}_p{int(page['index']) + 1}.jpg"
        if (report_dir / name).is_file():
            images[page["index"]] = name
        else:
            notes[page["index"]] = "no page image (sohoa report OUT renders them)"
    rows = review_rows(out_dir)
    ids = [str(row["doc_id"]) for row in rows]
    neighbours = pages.Neighbours()
    if doc["doc_id"] in ids:
        number = ids.index(doc["doc_id"])
        neighbours = pages.Neighbours(
            _neighbour(rows[number - 1]) if number > 0 else None,
            _neighbour(rows[number + 1]) if number + 1 < len(rows) else None,
        )
    return pages.document_pages(doc, images, notes, neighbours, editor=editor)


def review_rows(out_dir: Path) -> list[dict]:
    """The rows of ``documents.parquet`` in the index's order (none when there is no table yet)."""
    table = Path(out_dir) / "documents.parquet"
    return pages.review_order(_read_rows(table)) if table.is_file() else []


def refresh_document(out_dir: Path, doc_id: str) -> None:
    """After a document changed (a correction): rewrite its pages of an existing report, and the index."""
    out_dir = Path(out_dir)
    report_dir = out_dir / REPORT_DIR
    index = report_dir / "index.html"
    doc = export.read_document(out_dir, doc_id)
    if doc is None or not index.is_file():
        return
    for name, html in document_parts(out_dir, doc):
        export.atomic_write_text(report_dir / name, html)
        (report_dir / name).chmod(0o644)
    title = f"sohoa — {out_dir.resolve().name}"
    export.atomic_write_text(index, pages.index_page(review_rows(out_dir), title))
    index.chmod(0o644)


def _read_rows(table: Path) -> list[dict]:
    """The rows of a Parquet table; pandas is imported here only (the batch imports this package for
    its page geometry and must not pay pandas' import while its workers are busy)."""
    import pandas as pd

    return pd.read_parquet(table).to_dict("records")


def _neighbour(row: dict) -> tuple[str, str]:
    return str(row["doc_id"]), Path(str(row.get("source_path") or "")).name or str(row["doc_id"])


def _write_images(doc: dict, report_dir: Path, width: int) -> tuple[dict[int, str], dict[int, str]]:
    """Render each good page's review image; a page that cannot be rendered gets a note instead."""
    good = [p for p in doc.get("pages") or [] if p.get("status") != "error" and p.get("width")]
    images: dict[int, str] = {}
    notes: dict[int, str] = {}
    if not good:
        return images, notes
    try:
        source = open_source(doc)
    except SourceUnavailable as exc:
        log.warning("report: no page images for %s", exc)
        return images, {p["index"]: f"source file not available: {exc}" for p in good}
    for page in good:
        name = f"{IMAGE_DIR}/{doc['doc_id']}_p{int(page['index']) + 1}.jpg"
        try:
            image = review_image(source, page, width)
            image.convert("RGB").save(report_dir / name, "JPEG", quality=JPEG_QUALITY, optimize=True)
        except Exception as exc:  # one bad page image must not stop the report
            log.warning("report: page %d of %s: %s", page["index"] + 1, doc["source_path"], exc)
            notes[page["index"]] = f"page image could not be rendered: {exc}"
            continue
        images[page["index"]] = name
    return images, notes
