"""The terms table: underthesea's word segmentation per section, joined to sections, loaded for analysts."""

from __future__ import annotations

from pathlib import Path

from pipeline import load_results
from tests.cli import sohoa

PLAN = """UBND TỈNH HÀ GIANG
SỞ NỘI VỤ
Số: 12/KH-SNV
Hà Giang, ngày 4 tháng 3 năm 2024
KẾ HOẠCH
Phát động phong trào thi đua năm 2024
I. MỤC ĐÍCH, YÊU CẦU
Phong trào thi đua phải thiết thực, công tác khen thưởng kịp thời, đúng người, đúng việc.
Phong trào thi đua gắn với nhiệm vụ chính trị của cơ quan, đơn vị.
II. NỘI DUNG THI ĐUA
Thi đua hoàn thành xuất sắc nhiệm vụ được giao; khen thưởng các tập thể, cá nhân tiêu biểu.
"""


def test_terms_are_counted_per_section_and_join_sections(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "plan.txt").write_text(PLAN, encoding="utf-8")
    result = sohoa("run", tmp_path / "in", "-o", tmp_path / "out", "--quiet", "--workers", "1")
    assert result.returncode == 0, result.stderr
    res = load_results(tmp_path / "out")
    terms = res.terms
    assert list(terms.columns) == ["doc_id", "section_order", "term", "count"]
    assert str(terms["count"].dtype) == "Int32"
    joined = terms.merge(res.sections, left_on=["doc_id", "section_order"], right_on=["doc_id", "order"])
    assert len(joined) == len(terms) > 0
    first = joined[joined["number"] == "I"]
    counts = dict(zip(first["term"], first["count"], strict=True))
    assert counts.get("thi đua") == 2  # twice in section I's body (the heading has none)
    assert "khen thưởng" in set(joined["term"])
    assert all(len(t.split()) >= 2 for t in terms["term"])


def test_results_of_a_run_without_terms_load_with_an_empty_table(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "plan.txt").write_text(PLAN, encoding="utf-8")
    assert sohoa("run", tmp_path / "in", "-o", tmp_path / "out", "--quiet", "--workers", "1").returncode == 0
    (tmp_path / "out" / "terms.parquet").unlink()  # as written by versions before the terms table
    res = load_results(tmp_path / "out")
    assert res.terms.empty and list(res.terms.columns) == ["doc_id", "section_order", "term", "count"]
