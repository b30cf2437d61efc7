"""HTML of the review site: the table of documents and one page per document.

Every value that comes from a document (OCR text, file names, field values) is escaped; the only markup is
the one written here.
"""

from __future__ import annotations

import math
from html import escape
from pathlib import Path
from typing import Any

from pipeline.outputs.report import templates
from pipeline.outputs.report.words import PageWord, page_words, restored_segments, tokens_by_line
from pipeline.stages import LOW_CONFIDENCE

# Tesseract word confidences (0-100) below this are boxed on the page image as well.
LOW_OCR_CONFIDENCE = 60.0

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


def document_file(doc_id: str) -> str:
    return f"{doc_id}.html"


def index_page(rows: list[dict], title: str) -> str:
    """The sortable, filterable table of all documents of a run."""
    columns = [
        ("Tệp / file", "text"),
        ("Trạng thái / status", "text"),
        ("Lỗi / error", "text"),
        ("Cơ quan / issuer", "text"),
        ("Số, ký hiệu / number", "text"),
        ("Ngày / date", "text"),
        ("Trích yếu / title", "text"),
        ("Trang / pages", "num"),
        ("OCR conf. (%)", "num"),
        ("Từ cần xem / low-confidence words", "num"),
    ]
    head = "".join(f'<th data-type="{kind}">{escape(name)}</th>' for name, kind in columns)
    body = "\n".join(_index_row(row) for row in rows)
    counts = {s: sum(1 for r in rows if r.get("status") == s) for s in ("ok", "partial", "error")}
    summary = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    html = (
        f"<header><h1>{escape(title)}</h1><div>{len(rows)} documents: {escape(summary)}</div></header>\n"
        "<main>\n"
        '<input id="filter" type="search" placeholder="Lọc / filter (e.g. thi dua, error, 2024)" '
        'aria-label="filter" autofocus><span id="count"></span>\n'
        f'<table class="docs"><thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody></table>\n</main>'
    )
    return templates.page(title, html, script=True)


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
    return f'<tr data-doc="{escape(doc_id)}">{"".join(cells)}</tr>'


def document_page(doc: dict, images: dict[int, str], image_notes: dict[int, str]) -> str:
    """One document: page images with low-confidence words boxed beside their restored text, then the
    extracted fields and section outline. ``images`` maps page index -> image file name (relative)."""
    name = Path(doc.get("source_path") or "").name or doc["doc_id"]
    status = doc.get("status") or ""
    parts = [
        f'<header><a href="index.html">← tất cả văn bản / all documents</a><h1>{escape(name)}</h1>'
        f"<div>{escape(doc.get('source_path') or '')} · "
        f'<span class="status-{escape(status)}">{escape(status)}</span> · doc_id {escape(doc["doc_id"])}'
        "</div></header>",
        "<main>",
    ]
    if doc.get("error"):
        parts.append(f'<p class="error">{escape(doc["error"])}</p>')
    for warning in doc.get("warnings") or []:
        parts.append(f'<p class="note">{escape(warning)}</p>')
    parts.append(_summary(doc))
    parts.append(
        '<p class="legend"><span><mark class="changed">sửa / changed</mark> word changed by the restoration '
        '(hover: OCR reading and alternatives)</span><span><span class="low">cần xem / low confidence</span> '
        f"restoration confidence &lt; {LOW_CONFIDENCE:g} or OCR confidence &lt; {LOW_OCR_CONFIDENCE:g}"
        "</span></p>"
    )
    lines = _restored_lines(doc)
    pages = doc.get("pages") or []
    if pages:
        for page in pages:
            parts.append(
                _page_section(doc, page, lines, images.get(page["index"]), image_notes.get(page["index"]))
            )
    elif lines:
        parts.append(
            f'<section class="text">{"".join(_line_html(n, h) for n, h in enumerate(lines))}</section>'
        )
    parts.append(_fields(doc))
    parts.append(_outline(doc))
    parts.append("</main>")
    return templates.page(f"{name} — sohoa", "\n".join(parts))


def _summary(doc: dict) -> str:
    restoration = doc.get("restoration") or {}
    items = [
        ("kind", doc.get("kind")),
        ("pages", len(doc.get("pages") or []) or doc.get("n_pages")),
        ("OCR mean confidence (%)", doc.get("ocr_mean_confidence")),
        ("words", restoration.get("n_tokens")),
        ("changed by restoration", restoration.get("n_changed")),
        ("low confidence", restoration.get("n_low_confidence")),
    ]
    shown = " · ".join(f"{escape(k)}: <b>{escape(_text(v))}</b>" for k, v in items if _text(v))
    return f"<p>{shown}</p>"


def _restored_lines(doc: dict) -> list[str]:
    """Each line of the restored text as HTML, changed and doubtful tokens marked."""
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
        out.append("".join(_segment_html(s.text, s.token) for s in segments))
    return out


def _segment_html(text: str, token: dict | None) -> str:
    if token is None:
        return escape(text)
    low = float(token.get("confidence", 1.0)) < LOW_CONFIDENCE
    alternatives = ", ".join(token.get("alternatives") or []) or "—"
    title = f"OCR: {token['original']} · alternatives: {alternatives} · confidence {token['confidence']:.2f}"
    if token.get("changed"):
        classes = "changed low" if low else "changed"
        return f'<mark class="{classes}" title="{escape(title)}">{escape(text)}</mark>'
    if low:
        return f'<span class="low" title="{escape(title)}">{escape(text)}</span>'
    return escape(text)


def _line_html(number: int, html: str) -> str:
    return f'<div class="ln" id="L{number + 1}"><span class="no">{number + 1}</span>{html}</div>'


def _page_section(doc: dict, page: dict, lines: list[str], image: str | None, note: str | None) -> str:
    index = int(page["index"])
    heading = f"<h2>Trang / page {index + 1}</h2>"
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


def _is_low(word: PageWord) -> bool:
    return word.ocr_conf < LOW_OCR_CONFIDENCE or (
        word.confidence is not None and word.confidence < LOW_CONFIDENCE
    )


def _overlay(doc: dict, page: dict) -> str:
    """SVG boxes in the preprocessed page's pixel coordinates, stretched over the image."""
    rects = []
    for line in page_words(doc, page):
        for word in line:
            low = _is_low(word)
            if not (low or word.changed):
                continue
            x0, y0, x1, y1 = word.bbox
            conf = "" if word.confidence is None else f", restoration {word.confidence:.2f}"
            tip = f"OCR: {word.ocr_text} ({word.ocr_conf:.0f}%{conf}) → {word.restored}"
            rects.append(
                f'<rect class="{"low" if low else "changed"}" x="{x0}" y="{y0}" width="{x1 - x0}" '
                f'height="{y1 - y0}"><title>{escape(tip)}</title></rect>'
            )
    return (
        f'<svg viewBox="0 0 {int(page["width"])} {int(page["height"])}" preserveAspectRatio="none">'
        f"{''.join(rects)}</svg>"
    )


def _fields(doc: dict) -> str:
    fields = (doc.get("record") or {}).get("fields") or {}
    items = []
    for key, label in _FIELD_LABELS.items():
        value = fields.get(key)
        if value in (None, "", [], {}):
            continue
        items.append(f'<dt title="{escape(key)}">{escape(label)}</dt><dd>{_field_value(value)}</dd>')
    if not items:
        return ""
    return f'<h2>Thông tin văn bản / fields</h2><dl class="fields">{"".join(items)}</dl>'


def _field_value(value: Any) -> str:
    if isinstance(value, list):
        return "<br>".join(_field_value(v) for v in value)
    if isinstance(value, dict):
        return escape(" ".join(_text(v) for v in value.values() if _text(v)))
    return escape(_text(value))


def _outline(doc: dict) -> str:
    """Sections nested by parent, each with its number, heading, label and line span."""
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
            link = f' <a href="#L{int(start) + 1}">(line {int(start) + 1})</a>' if start is not None else ""
            label = f'<span class="label">{escape(s["label"])}</span>' if s.get("label") else ""
            nested = render(s.get("order"))
            items.append(
                f"<li><b>{escape(_text(s.get('number')))}.</b> {escape(_text(s.get('heading')))}{label}{link}"
                f"{f'<ol>{nested}</ol>' if nested else ''}</li>"
            )
        return "".join(items)

    return f'<h2>Bố cục / sections</h2><ol class="outline">{render(None)}</ol>'
