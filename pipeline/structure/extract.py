"""Orchestration: header, footer, sections and legal bases of one document into a record."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .doc import DocLines
from .doubts import WordDoubt, field_doubts
from .fields import campaign_in_text, campaign_in_title, doc_type_code, period_in
from .footer import find_digital_signature, parse_footer
from .header import parse_header
from .record import DocumentRecord, Section, empty_fields
from .references import legal_bases
from .sections import find_sections, opens_content
from .terms import terms_by_section
from .text import title_cased_words, without_glued_specks

PREAMBLE_SEARCH_LINES = 80


def _first_heading(doc: DocLines, start: int) -> int | None:
    for index in range(start, len(doc)):
        found = opens_content(doc, index)
        if found is not None and (found.level == 1 or found.kind in ("arabic", "dieu")):
            return index
    return None


def _own_spans(sections: list[Section]) -> list[tuple[int, int, int]]:
    """(order, first line, last line) of each section's own text: up to its first subsection."""
    spans = []
    for position, section in enumerate(sections):
        last = section.end_line
        if position + 1 < len(sections):
            last = min(last, sections[position + 1].start_line - 1)
        spans.append((section.order, section.start_line, last))
    return spans


def section_term_rows(doc: DocLines, sections: list[Section]) -> list[dict]:
    content = ["" if i in doc.masked else line for i, line in enumerate(doc.lines)]
    return terms_by_section(content, _own_spans(sections))


def extract_fields_and_sections(
    text: str,
    line_confidences: Sequence[float] | None,
    with_terms: bool = False,
    word_doubts: Mapping[int, Sequence[WordDoubt]] | None = None,
) -> DocumentRecord:
    doc = DocLines.from_text(text)
    fields = empty_fields()
    signature, signature_lines = find_digital_signature(doc)
    doc.masked |= signature_lines
    fields["digital_signature"] = signature

    header = parse_header(doc)
    if header.title:
        header.title = without_glued_specks(header.title)
    first_heading = _first_heading(doc, header.body_start)
    footer = parse_footer(doc, header.body_start, first_heading)
    preamble_end = first_heading if first_heading is not None else len(doc)
    preamble_end = min(preamble_end, header.body_start + PREAMBLE_SEARCH_LINES)
    if footer.stops:
        later_stops = [i for i in footer.stops if i >= header.body_start]
        if later_stops and first_heading is None:
            preamble_end = min(preamble_end, min(later_stops))

    fields.update(
        issuer_parent=header.issuer_parent,
        issuer=header.issuer,
        doc_number=header.doc_number,
        doc_symbol=header.doc_symbol,
        place=header.place,
        issue_date=header.issue_date,
        title=header.title,
        recipients=[title_cased_words(without_glued_specks(item)) for item in footer.recipients],
        signer_title=footer.signer_title,
        signer_name=footer.signer_name,
        legal_bases=legal_bases(doc, header.body_start, preamble_end),
    )
    preamble = "\n".join(doc.lines[header.body_start : preamble_end])
    fields["doc_type"] = doc_type_code(
        header.doc_symbol, header.type_code, header.has_vv, header.title, preamble[:20000]
    )
    fields["campaign"] = campaign_in_title(header.title) or campaign_in_text(preamble[:20000])
    start, end = period_in(header.title, loose=True)
    if start is None:
        start, end = period_in(preamble[:20000], loose=False)
    fields["period_start"], fields["period_end"] = start, end

    uncertain = field_doubts(fields, header.lines, word_doubts, header.doubts)
    sections = find_sections(doc, header.body_start, footer.stops, line_confidences)
    terms = section_term_rows(doc, sections) if with_terms else []
    return DocumentRecord(fields=fields, sections=sections, terms=terms, uncertain=uncertain)
