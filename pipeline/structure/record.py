"""The record returned for one document and the names of its fields."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

FIELD_NAMES: tuple[str, ...] = (
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
    "legal_bases",
    "recipients",
    "signer_title",
    "signer_name",
    "digital_signature",
)


@dataclass
class Section:
    """One numbered section or subsection; lines are 0-based and inclusive, ``order`` is 1-based."""

    order: int
    level: int
    number: str
    heading: str
    label: str
    parent_order: int | None
    text: str
    start_line: int
    end_line: int
    mean_confidence: float | None


@dataclass
class DocumentRecord:
    """Header fields, sections, and the multi-syllable terms of each section.

    ``terms`` rows are ``{"section_order": int, "term": str, "count": int}``: ``section_order`` is the
    ``order`` of a section, counts are over that section's own text (heading and body up to its first
    subsection), terms are lower case ("thi đua", "khen thưởng"); see ``terms.py``.

    ``uncertain`` names the header fields that may be wrong, each with the reason (``doubts.py``): a word in
    it that is damaged or was read with low confidence, a repaired date, a date that could not be read. A
    field not named there was read without a sign of damage, which is not a proof that it is right.
    """

    fields: dict[str, Any]
    sections: list[Section]
    terms: list[dict[str, Any]] = field(default_factory=list)
    uncertain: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "fields": dict(self.fields),
            "sections": [asdict(section) for section in self.sections],
            "terms": [dict(row) for row in self.terms],
            "uncertain_fields": dict(self.uncertain),
        }


def empty_fields() -> dict[str, Any]:
    fields: dict[str, Any] = dict.fromkeys(FIELD_NAMES)
    fields["legal_bases"] = []
    fields["recipients"] = []
    return fields
