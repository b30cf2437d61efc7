"""Per-section terms: underthesea's word segmentation joins the syllables of multi-syllable words."""

from __future__ import annotations

import json

from pipeline.structure import extract_record
from pipeline.structure.terms import section_terms

PLAN = """KẾ HOẠCH
Thi đua lao động giỏi năm 2024

I. MỤC ĐÍCH, YÊU CẦU
Phong trào thi đua khen thưởng gắn với nhiệm vụ chuyên môn; khen thưởng kịp thời.
1. Mục đích
Động viên người lao động thi đua hoàn thành kế hoạch sản xuất.
II. TỔ CHỨC THỰC HIỆN
Văn phòng tổng hợp kết quả thi đua, đề xuất khen thưởng./.
"""


def test_multi_syllable_terms_are_counted_in_lower_case():
    terms = dict(section_terms("Phong trào thi đua khen thưởng.\nTHI ĐUA YÊU NƯỚC; khen thưởng kịp thời."))
    assert terms["thi đua"] == 2 and terms["khen thưởng"] == 2
    assert "phong trào" in terms and "yêu nước" in terms
    assert all(len(term.split()) >= 2 and term == term.lower() for term in terms)
    assert section_terms("") == [] and section_terms("I. 1. 2024 ./.") == []


def test_record_has_terms_per_section_on_their_own_text():
    record = extract_record(PLAN)
    orders = {s.order: s for s in record.sections}
    assert [(s.order, s.number) for s in record.sections] == [(1, "I"), (2, "1"), (3, "II")]
    by_section: dict[int, dict[str, int]] = {}
    for row in record.terms:
        assert row["section_order"] in orders
        by_section.setdefault(row["section_order"], {})[row["term"]] = row["count"]
    assert by_section[1]["khen thưởng"] == 2 and by_section[1]["mục đích"] == 1
    assert "người lao động" in by_section[2] or "lao động" in by_section[2]
    assert "người lao động" not in by_section[1] and "lao động" not in by_section[1]  # not counted twice
    assert by_section[3]["thi đua"] == 1
    data = json.loads(json.dumps(record.to_dict(), ensure_ascii=False))
    assert data["terms"] == record.terms


def test_terms_can_be_left_out():
    assert extract_record(PLAN, terms=False).terms == []
    assert extract_record(PLAN, terms=False).to_dict()["terms"] == []
