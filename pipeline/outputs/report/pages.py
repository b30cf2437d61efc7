"""HTML of the review site: the table of documents and one page (or a few, for long ones) per document.

Every value that comes from a document (OCR text, file names, field values) is escaped; the only markup is
the one written here. What is marked "to review" follows :mod:`pipeline.review`, the rule that also counts
``n_low_confidence_tokens``: the number in the table is the number of words marked on the document's page.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

from pipeline.outputs.report import templates
from pipeline.outputs.report.words import page_words, restored_segments, tokens_by_line
from pipeline.review import LOW_CONFIDENCE, LOW_NAME_CONFIDENCE, LOW_OCR_CONFIDENCE, token_to_review

# A document's HTML is split into parts of about this size (characters) or this many scanned pages, so a
# browser opens a long text dump or a thick PDF quickly; each part links to the others.
MAX_PART_CHARS = 500_000
MAX_PART_PAGES = 20
STATUSES = ("ok", "partial", "error")

_FIELD_LABELS = {
    "issuer_parent": "Cơ quan chủ quản",
    "issuer": "Cơ quan ban hành",
    "doc_number": "Số",
    "doc_symbol": "Ký hiệu",
    "doc_type": "Loại văn bản",
    "place": "Địa danh",
    "issue_date": "Ngày ban hành",
    "title": "Trích yếu",
    "campaign": "Phong trào",
    "period_start": "Từ năm",
    "period_end": "Đến năm",
    "legal_bases": "Căn cứ",
    "recipients": "Nơi nhận",
    "signer_title": "Chức vụ người ký",
    "signer_name": "Người ký",
    "digital_signature": "Chữ ký số",
}


def _text(value: Any) -> str:
    """A table value as display text ('' for missing values, pandas' NaN/NaT included)."""
    if value is None:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    text = str(value)
    return "" if text in ("NaT", "nan", "None", "<NA>") else text


def _number(value: Any, digits: int) -> tuple[str, str]:
    """(display, sort key) of a number cell."""
    text = _text(value)
    if not text:
        return "", ""
    number = float(text)
    return f"{number:.{digits}f}", repr(number)


def document_file(doc_id: str, part: int = 1) -> str:
    """The HTML file of a document's ``part`` (1-based): ``<doc_id>.html``, then ``<doc_id>-2.html`` ..."""
    return f"{doc_id}.html" if part == 1 else f"{doc_id}-{part}.html"


def _to_review(row: dict) -> float | None:
    text = _text(row.get("n_low_confidence_tokens"))
    return float(text) if text else None


def review_order(rows: list[dict]) -> list[dict]:
    """The index's default order: most words to review first; documents without a count (failed, not
    restored) last; ties by file path. Previous/next links on document pages follow the same order."""

    def key(row: dict) -> tuple[bool, float, str]:
        count = _to_review(row)
        return count is None, -(count or 0.0), _text(row.get("source_path"))

    return sorted(rows, key=key)


_INDEX_COLUMNS = [
    ("file", "Tệp / file", "text"),
    ("status", "Trạng thái / status", "text"),
    ("error", "Lỗi / error", "text"),
    ("issuer", "Cơ quan / issuer", "text"),
    ("number", "Số, ký hiệu / number", "text"),
    ("date", "Ngày / date", "text"),
    ("title", "Trích yếu / title", "text"),
    ("pages", "Trang / pages", "num"),
    ("ocr", "OCR conf. (%)", "num"),
    ("review", "Từ cần xem / words to review", "num"),
]


_DEFAULT_SORT = 'class="desc"'


# The index shows this many documents at a time: an archive of 10,000 documents opens as fast as one of
# a hundred. All rows travel with the page as JSON; the browser builds the rows of the page on view only.
INDEX_PAGE_SIZE = 100


def index_page(rows: list[dict], title: str, *, notice: str = "") -> str:
    """The sortable, filterable, paged table of all documents of a run, most words to review first.

    The first page of rows is in the HTML (what a browser without JavaScript shows); every row is also
    in a JSON block, from which the script sorts, filters and shows a page at a time. Sorting, filtering
    and the page also read the address: ``index.html#sort=-pages&status=error&page=2``.
    """
    rows = review_order(rows)
    head = "".join(
        f'<th data-key="{key}" data-type="{kind}"{" " + _DEFAULT_SORT if key == "review" else ""}>'
        f"{escape(name)}</th>"
        for key, name, kind in _INDEX_COLUMNS
    )
    body = "\n".join(_index_row(row) for row in rows[:INDEX_PAGE_SIZE])
    counts = {s: sum(1 for r in rows if _text(r.get("status")) == s) for s in STATUSES}
    summary = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    options = "".join(f'<option value="{s}">{s} ({n})</option>' for s, n in counts.items() if n)
    pager = (
        '<nav class="pager" hidden><button data-go="first" aria-label="first">«</button>'
        '<button data-go="prev" aria-label="previous">‹</button> <span id="page"></span> '
        '<button data-go="next" aria-label="next">›</button>'
        '<button data-go="last" aria-label="last">»</button></nav>'
    )
    more = len(rows) - INDEX_PAGE_SIZE
    noscript = (
        f"<noscript><p>{more} more documents: paging, sorting and filtering need JavaScript.</p></noscript>"
        if more > 0
        else ""
    )
    html = (
        f"<header><h1>{escape(title)}</h1><div>{len(rows)} documents: {escape(summary)}</div></header>\n"
        f"<main>\n{notice}"
        '<div class="tools"><input id="filter" type="search" placeholder="Lọc / filter (e.g. thi dua, 2024)" '
        'aria-label="filter" autofocus> <select id="status" aria-label="status">'
        f'<option value="">trạng thái / status: tất cả / all ({len(rows)})</option>{options}</select>'
        f'<span id="count"></span> {pager}</div>\n'
        f'<table class="docs" data-page-size="{INDEX_PAGE_SIZE}"><thead><tr>{head}</tr></thead>\n<tbody>\n'
        f"{body}\n</tbody></table>\n{noscript}"
        f'<script type="application/json" id="rows">{_rows_json(rows)}</script>\n</main>'
    )
    return templates.page(title, html, script=True)


def _rows_json(rows: list[dict]) -> str:
    """Every row's cells as the script builds them (``templates.SCRIPT``), safe inside a script element."""
    data = []
    for row in rows:
        doc_id = _text(row.get("doc_id"))
        number = "/".join(v for v in (_text(row.get("doc_number")), _text(row.get("doc_symbol"))) if v)
        data.append(
            [
                doc_id,
                document_file(doc_id),
                _text(row.get("source_path")),
                Path(_text(row.get("source_path"))).name or doc_id,
                _text(row.get("status")),
                _text(row.get("error")),
                _text(row.get("issuer")),
                number,
                _text(row.get("issue_date"))[:10],
                _text(row.get("title")),
                *_number(row.get("n_pages"), 0),
                *_number(row.get("ocr_mean_confidence"), 1),
                *_number(row.get("n_low_confidence_tokens"), 0),
            ]
        )
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    # Nothing in the data may end the script element or open a comment in it.
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _index_row(row: dict) -> str:
    doc_id = _text(row.get("doc_id"))
    name = Path(_text(row.get("source_path"))).name or doc_id
    status = _text(row.get("status"))
    number = "/".join(v for v in (_text(row.get("doc_number")), _text(row.get("doc_symbol"))) if v)
    date = _text(row.get("issue_date"))[:10]
    pages, pages_key = _number(row.get("n_pages"), 0)
    conf, conf_key = _number(row.get("ocr_mean_confidence"), 1)
    low, low_key = _number(row.get("n_low_confidence_tokens"), 0)
    cells = [
        f'<td><a href="{escape(document_file(doc_id))}" title="{escape(_text(row.get("source_path")))}">'
        f"{escape(name)}</a></td>",
        f'<td class="status-{escape(status)}">{escape(status)}</td>',
        f'<td class="error">{escape(_text(row.get("error")))}</td>',
        f"<td>{escape(_text(row.get('issuer')))}</td>",
        f"<td>{escape(number)}</td>",
        f"<td>{escape(date)}</td>",
        f"<td>{escape(_text(row.get('title')))}</td>",
        f'<td class="num" data-sort="{pages_key}">{pages}</td>',
        f'<td class="num" data-sort="{conf_key}">{conf}</td>',
        f'<td class="num" data-sort="{low_key}">{low}</td>',
    ]
    return f'<tr data-doc="{escape(doc_id)}" data-status="{escape(status)}">{"".join(cells)}</tr>'


@dataclass
class Neighbours:
    """The documents before and after one in the index's default order: (doc_id, file name) or None."""

    previous: tuple[str, str] | None = None
    next: tuple[str, str] | None = None


@dataclass
class _Part:
    """One HTML file of a document: a run of its text lines, and the scanned pages they are on."""

    number: int
    line_start: int
    line_end: int
    pages: list[dict] = field(default_factory=list)


def document_pages(
    doc: dict,
    images: dict[int, str],
    image_notes: dict[int, str],
    neighbours: Neighbours | None = None,
    *,
    editor: str = "",
) -> list[tuple[str, str]]:
    """A document as (file name, HTML) parts: header fields and section outline first, then the page images
    with words to review boxed beside their restored text (or the text alone, for a text dump).
    ``images`` maps page index -> image file name (relative). Long documents get several parts.

    With ``editor`` (the script of ``sohoa review``, added to every part) every word and every single-valued
    field is an element that names what it is (``data-l``/``data-c``/``data-o``: line, column and OCR
    reading of the word; ``data-field``), for the script to make them editable."""
    editable = bool(editor)
    lines = _restored_lines(doc, editable)
    parts = _parts(doc, lines)
    part_of_line = {n: part.number for part in parts for n in range(part.line_start, part.line_end)}
    view = _View(images, image_notes, neighbours, part_of_line, editor)
    return [
        (document_file(doc["doc_id"], part.number), _part_html(doc, part, len(parts), lines, view))
        for part in parts
    ]


@dataclass
class _View:
    """What a document's parts share besides its text: page images, neighbours, the review editor."""

    images: dict[int, str]
    image_notes: dict[int, str]
    neighbours: Neighbours | None
    part_of_line: dict[int, int]
    editor: str = ""


def document_page(doc: dict, images: dict[int, str], image_notes: dict[int, str]) -> str:
    """The whole document as one page (the first part when it is long)."""
    return document_pages(doc, images, image_notes)[0][1]


def _parts(doc: dict, lines: list[str]) -> list[_Part]:
    """Split by scanned pages (never inside one) or, for a text dump, by lines; at least one part."""
    pages = doc.get("pages") or []
    parts: list[_Part] = []
    if pages:
        size = 0
        for page in pages:
            start, end = int(page.get("line_start") or 0), int(page.get("line_end") or 0)
            page_size = sum(len(lines[n]) for n in range(start, min(end, len(lines))))
            if not parts or len(parts[-1].pages) >= MAX_PART_PAGES or size + page_size > MAX_PART_CHARS:
                parts.append(_Part(len(parts) + 1, start, end))
                size = 0
            parts[-1].pages.append(page)
            parts[-1].line_end, size = max(parts[-1].line_end, end), size + page_size
        return parts
    size = 0
    for number, html in enumerate(lines):
        if not parts or (size + len(html) > MAX_PART_CHARS and number > parts[-1].line_start):
            parts.append(_Part(len(parts) + 1, number, number))
            size = 0
        parts[-1].line_end, size = number + 1, size + len(html)
    return parts or [_Part(1, 0, 0)]


def _part_html(doc: dict, part: _Part, n_parts: int, lines: list[str], view: _View) -> str:
    name = Path(doc.get("source_path") or "").name or doc["doc_id"]
    images, image_notes = view.images, view.image_notes
    parts = [_document_header(doc, name, view.neighbours), "<main>"]
    if part.number == 1:
        if doc.get("error"):
            parts.append(f'<p class="error">{escape(doc["error"])}</p>')
        parts.extend(f'<p class="note">{escape(w)}</p>' for w in doc.get("warnings") or [])
        parts.append(_summary(doc))
        parts.append(_fields(doc, editable=bool(view.editor)))
        parts.append(_outline(doc, view.part_of_line))
    parts.append(_part_links(doc["doc_id"], part.number, n_parts))
    parts.append(_LEGEND)
    if part.pages:
        for page in part.pages:
            parts.append(
                _page_section(doc, page, lines, images.get(page["index"]), image_notes.get(page["index"]))
            )
    elif part.line_end > part.line_start:
        text = "".join(_line_html(n, lines[n]) for n in range(part.line_start, part.line_end))
        parts.append(f'<section class="text">{text}</section>')
    if n_parts > 1:
        parts.append(_part_links(doc["doc_id"], part.number, n_parts))
    parts.append("</main>")
    title = name if n_parts == 1 else f"{name} ({part.number}/{n_parts})"
    return templates.page(f"{title} — sohoa", "\n".join(parts), extra=view.editor)


_LEGEND = (
    '<p class="legend"><span><mark class="changed">sửa / changed</mark> word changed by the restoration '
    '(hover: OCR reading and alternatives)</span><span><span class="low">cần xem / to review</span> '
    f"restoration confidence &lt; {LOW_CONFIDENCE:g} ({LOW_NAME_CONFIDENCE:g} for a personal name) or OCR "
    f"confidence &lt; {LOW_OCR_CONFIDENCE:g}</span>"
    '<span><mark class="changed dropped"><del>bỏ / dropped</del></mark> taken out of the text (OCR noise, '
    "a speck)</span></p>"
)


def _document_header(doc: dict, name: str, neighbours: Neighbours | None) -> str:
    status = doc.get("status") or ""
    links = ['<a href="index.html">← tất cả văn bản / all documents</a>']
    for rel, label, neighbour in (
        ("prev", "‹ trước / previous", neighbours and neighbours.previous),
        ("next", "sau / next ›", neighbours and neighbours.next),
    ):
        if neighbour:
            doc_id, title = neighbour
            href = escape(document_file(doc_id))
            links.append(f'<a rel="{rel}" href="{href}" title="{escape(title)}">{label}</a>')
    return (
        f"<header><nav>{' · '.join(links)}</nav><h1>{escape(name)}</h1>"
        f"<div>{escape(doc.get('source_path') or '')} · "
        f'<span class="status-{escape(status)}">{escape(status)}</span> · doc_id {escape(doc["doc_id"])}'
        "</div></header>"
    )


def _part_links(doc_id: str, current: int, n_parts: int) -> str:
    if n_parts == 1:
        return ""
    links = [
        f"<b>{n}</b>" if n == current else f'<a href="{escape(document_file(doc_id, n))}">{n}</a>'
        for n in range(1, n_parts + 1)
    ]
    return f'<nav class="parts">Phần / part: {" ".join(links)}</nav>'


def _summary(doc: dict) -> str:
    restoration = doc.get("restoration") or {}
    items = [
        ("kind", doc.get("kind")),
        ("pages", len(doc.get("pages") or []) or doc.get("n_pages")),
        ("OCR mean confidence (%)", doc.get("ocr_mean_confidence")),
        ("words", restoration.get("n_tokens")),
        ("changed by restoration", restoration.get("n_changed")),
        ("to review", restoration.get("n_low_confidence")),
        ("header fields to check", len((doc.get("record") or {}).get("uncertain_fields") or {}) or None),
    ]
    shown = " · ".join(f"{escape(k)}: <b>{escape(_text(v))}</b>" for k, v in items if _text(v))
    return f"<p>{shown}</p>"


def _restored_lines(doc: dict, editable: bool = False) -> list[str]:
    """Each line of the restored text as HTML, changed, doubtful and corrected tokens marked (and, when
    ``editable``, every token an element naming it)."""
    raw_lines = (doc.get("raw_text") or "").split("\n") if doc.get("raw_text") is not None else []
    final_lines = (doc.get("text") or "").split("\n") if doc.get("text") is not None else raw_lines
    by_line = tokens_by_line(doc)
    out = []
    for index, final in enumerate(final_lines):
        raw = raw_lines[index] if index < len(raw_lines) else final
        segments = restored_segments(raw, by_line.get(index, []))
        if "".join(s.text for s in segments) != final:
            out.append(escape(final))  # tokens do not rebuild this line: show it unmarked rather than wrong
            continue
        out.append("".join(_segment_html(s.text, s.token, editable) for s in segments))
    return out


def _segment_html(text: str, token: dict | None, editable: bool = False) -> str:
    if token is None:
        return escape(text)
    low = token_to_review(token)
    alternatives = ", ".join(token.get("alternatives") or []) or "—"
    ocr = token.get("ocr_confidence")
    ocr_text = "" if ocr is None else f" ({float(ocr):.0f}%)"
    title = (
        f"OCR: {token['original']}{ocr_text} · alternatives: {alternatives} · "
        f"confidence {float(token['confidence']):.2f}"
    )
    classes = [c for c, on in (("changed", token.get("changed")), ("low", low)) if on]
    shown = escape(text)
    if not text and token.get("changed"):
        # a word the restoration took out (a speck beside a name, a line of seal scrawl): shown struck
        # through, so that what was dropped stays in sight of the reviewer
        classes.append("dropped")
        shown = f"<del>{escape(token['original'])}</del>"
    if token.get("corrected"):
        classes.append("corrected")
        title = f"sửa tay / corrected {_text(token.get('corrected_at'))[:16]}: " + (
            f"{token.get('restored_before', '')} → {token['restored']} · OCR: {token['original']}"
        )
    word = f' data-l="{int(token["line"])}" data-c="{int(token["col"])}" data-o="{escape(token["original"])}"'
    if editable:
        classes.append("w")
    elif not classes:
        return shown
    tag = "mark" if token.get("changed") else "span"
    attributes = f'class="{" ".join(classes)}" title="{escape(title)}"{word if editable else ""}'
    return f"<{tag} {attributes}>{shown}</{tag}>"


def _line_html(number: int, html: str) -> str:
    return f'<div class="ln" id="L{number + 1}"><span class="no">{number + 1}</span>{html}</div>'


def _page_section(doc: dict, page: dict, lines: list[str], image: str | None, note: str | None) -> str:
    index = int(page["index"])
    rotation = int(page.get("rotation") or 0)
    # A page fed sideways or upside down was turned upright before OCR: say so, the scan showed it turned.
    turned = f' <span class="note">đã xoay / turned {rotation}°</span>' if rotation else ""
    heading = f"<h2>Trang / page {index + 1}{turned}</h2>"
    if page.get("status") == "error":
        return f'{heading}<p class="error">{escape(page.get("error") or "page failed")}</p>'
    if image:
        scan = (
            f'<div class="scan"><img src="{escape(image)}" alt="page {index + 1}">{_overlay(doc, page)}</div>'
        )
    else:
        scan = f'<div class="scan"><p class="note">{escape(note or "no page image")}</p></div>'
    start, end = int(page.get("line_start") or 0), int(page.get("line_end") or 0)
    text = "".join(_line_html(n, lines[n]) for n in range(start, min(end, len(lines))))
    return f'{heading}<section class="page">{scan}<div class="text">{text}</div></section>'


def _overlay(doc: dict, page: dict) -> str:
    """SVG boxes in the preprocessed page's pixel coordinates, stretched over the image."""
    rects = []
    for line in page_words(doc, page):
        for word in line:
            low = word.to_review
            corrected = any(t.get("corrected") for t in word.tokens)
            if not (low or word.changed or corrected):
                continue
            x0, y0, x1, y1 = word.bbox
            conf = "" if word.confidence is None else f", restoration {word.confidence:.2f}"
            tip = f"OCR: {word.ocr_text} ({word.ocr_conf:.0f}%{conf}) → {word.restored}"
            kind = "corrected" if corrected else "low" if low else "changed"
            rects.append(
                f'<rect class="{kind}" x="{x0}" y="{y0}" width="{x1 - x0}" '
                f'height="{y1 - y0}"><title>{escape(tip)}</title></rect>'
            )
    return (
        f'<svg viewBox="0 0 {int(page["width"])} {int(page["height"])}" preserveAspectRatio="none">'
        f"{''.join(rects)}</svg>"
    )


def _fields(doc: dict, editable: bool = False) -> str:
    """The header fields as a list; when ``editable``, every single-valued one (empty ones too) is an
    element naming its field for the review editor. Fields a person corrected are marked; fields the
    extraction doubts (``uncertain_fields``: a word under the stamp, a repaired date …) are marked with
    the reason, so that a wrong field is never shown as if it were sure."""
    from pipeline.outputs.corrections import EDITABLE_FIELDS

    record = doc.get("record") or {}
    fields, corrected = record.get("fields") or {}, record.get("corrected_fields") or {}
    doubts = record.get("uncertain_fields") or {}
    items = []
    for key, label in _FIELD_LABELS.items():
        value = fields.get(key)
        can_edit = editable and key in EDITABLE_FIELDS
        doubt = doubts.get(key) if key not in corrected else None
        if value in (None, "", [], {}) and not can_edit and not doubt:
            continue
        classes, attrs, why = [], "", ""
        if key in corrected:
            classes.append("corrected")
            attrs = f' title="sửa tay / corrected {escape(_text(corrected[key])[:16])}"'
        elif doubt:
            classes.append("doubt")
            attrs = f' title="cần kiểm tra / to check: {escape(_text(doubt))}"'
            why = f'<span class="why">⚠ {escape(_text(doubt))}</span>'
        if can_edit:
            classes.append("f")
            attrs += f' data-field="{escape(key)}" data-value="{escape(_text(value))}"'
        if classes:
            attrs += f' class="{" ".join(classes)}"'
        shown = _field_value(value) + why
        items.append(f'<dt title="{escape(key)}">{escape(label)}</dt><dd{attrs}>{shown}</dd>')
    if not items:
        return ""
    return f'<h2>Thông tin văn bản / fields</h2><dl class="fields">{"".join(items)}</dl>'


def _field_value(value: Any) -> str:
    if isinstance(value, list):
        return "<br>".join(_field_value(v) for v in value)
    if isinstance(value, dict):
        return escape(" ".join(_text(v) for v in value.values() if _text(v)))
    return escape(_text(value))


def _outline(doc: dict, part_of_line: dict[int, int] | None = None) -> str:
    """Sections nested by parent, each with its number, heading, label and a link to its first line."""
    sections = (doc.get("record") or {}).get("sections") or []
    if not sections:
        return ""
    children: dict[Any, list[dict]] = {}
    for section in sections:
        children.setdefault(section.get("parent_order"), []).append(section)

    def render(parent: Any) -> str:
        items = []
        for s in children.get(parent, []):
            start = s.get("start_line")
            link = _line_link(doc["doc_id"], start, part_of_line or {})
            label = f'<span class="label">{escape(s["label"])}</span>' if s.get("label") else ""
            nested = render(s.get("order"))
            items.append(
                f"<li><b>{escape(_text(s.get('number')))}.</b> {escape(_text(s.get('heading')))}{label}{link}"
                f"{f'<ol>{nested}</ol>' if nested else ''}</li>"
            )
        return "".join(items)

    return f'<h2>Bố cục / sections</h2><ol class="outline">{render(None)}</ol>'


def _line_link(doc_id: str, line: Any, part_of_line: dict[int, int]) -> str:
    if line is None:
        return ""
    line = int(line)
    part = part_of_line.get(line, 1)
    target = "" if part == 1 else document_file(doc_id, part)
    return f' <a href="{escape(target)}#L{line + 1}">(line {line + 1})</a>'
