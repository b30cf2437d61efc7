"""Structure extraction: header fields and numbered sections of an administrative document.

``extract_record(text)`` reads restored (or clean) text of a Vietnamese administrative document in the
Decree 30/2020/NĐ-CP format and returns its header fields (issuer, number and symbol, place and date, type,
title, movement name, period, legal bases, recipients, signer, digital signature) and its numbered sections
with a label from ``dictionaries/section_labels.tsv``, and the multi-syllable terms of each section
(``terms``). It never raises: text it cannot read gives a record of nulls.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from .doubts import WordDoubt
from .extract import extract_fields_and_sections
from .labels import section_labels
from .record import FIELD_NAMES, DocumentRecord, Section, empty_fields

__all__ = ["FIELD_NAMES", "SECTION_LABELS", "DocumentRecord", "Section", "WordDoubt", "extract_record"]

SECTION_LABELS: tuple[str, ...] = section_labels()

_log = logging.getLogger(__name__)


def extract_record(
    text: str,
    line_confidences: Sequence[float] | None = None,
    terms: bool = True,
    word_doubts: Mapping[int, Sequence[WordDoubt]] | None = None,
) -> DocumentRecord:
    """Record of one document. ``line_confidences[i]`` is the OCR confidence of line ``i`` (``\\n`` lines),
    ``word_doubts[i]`` the doubtful words of line ``i`` (:func:`pipeline.structure.doubts.word_doubts`):
    a header field holding one is listed in the record's ``uncertain`` fields with the reason.

    With ``terms`` (the default) the record also holds each section's multi-syllable terms, found by
    underthesea's word segmentation (``terms.py``; about 2-3 ms per line of section text, plus loading the
    model once per process).
    """
    if not isinstance(text, str):
        text = text.decode("utf-8", "replace") if isinstance(text, (bytes, bytearray)) else str(text or "")
    try:
        return extract_fields_and_sections(text, line_confidences, with_terms=terms, word_doubts=word_doubts)
    except Exception:  # the batch must go on with the next document; the failure is logged, not hidden
        _log.exception("structure extraction failed; returning an empty record")
        return DocumentRecord(fields=empty_fields(), sections=[])
