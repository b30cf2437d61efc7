"""Case of same-shape letters (issue 11): a capital OCR read inside a sentence where the word never is.

A typewriter face draws "X" as a taller "x", and OCR takes one for the other ("chung sức Xây dựng").
:mod:`pipeline.restore.case` lowercases such a capital after a lowercase word when the corpus table says
the syllable is (nearly) never capitalised there; names and words often capitalised there stay, and so does
every capital after punctuation or at a line's start. The builder counts the same places the rule looks at.
The sentences are written for these tests.
"""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

from pipeline.restore import restore_text
from pipeline.restore.case import SURE_SHARE, UNSURE_SHARE, CaseTable, case_table, inside_pairs
from pipeline.review import LOW_CONFIDENCE

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
import build_case  # noqa: E402


def _case_records(text: str) -> list:
    return [t for t in restore_text(text).tokens if t.reason == "case"]


def test_inside_pairs_counts_only_words_after_a_lowercase_word_and_a_space() -> None:
    line = "Xã mở lớp, Sáng nay cả xóm Cùng nhau xây “Cầu mới” cho ông Xuân và SỞ"
    got = list(inside_pairs(line))
    assert ("cùng", True) in got and ("xây", False) in got and ("xuân", True) in got
    # after a comma, a quote, a capitalised word, at the line start, or written in capitals: not counted
    assert all(word not in ("sáng", "cầu", "xã", "sở") for word, _ in got)


def test_a_word_never_capitalised_inside_is_lowercased_with_the_printed_form_as_alternative() -> None:
    text = "Cả huyện đang chung tay Xây thêm trường học cho các em nhỏ vùng cao."
    restored = restore_text(text)
    assert "chung tay xây thêm" in restored.text
    (record,) = [t for t in restored.tokens if t.reason == "case"]
    assert record.original == "Xây" and record.restored == "xây" and record.changed
    assert record.alternatives[0] == "Xây"


def test_an_unsure_lowercasing_is_sent_to_review_and_a_sure_one_is_not() -> None:
    table = case_table()
    unsure = [w for w, (n, c) in table.counts.items() if n >= 300 and SURE_SHARE < c / n <= UNSURE_SHARE]
    assert "xây" in unsure  # written as a title word now and then ("Bộ Xây dựng" after a small word)
    (xay,) = _case_records("Cả huyện đang chung tay Xây thêm trường học.")
    assert xay.confidence < LOW_CONFIDENCE
    (sure,) = _case_records("Hôm nay ban tổ chức Vào cuộc kiểm tra các trường.")
    assert sure.restored == "vào" and sure.confidence >= LOW_CONFIDENCE


def test_a_small_l_read_as_a_capital_is_lowercased_and_a_surname_stays() -> None:
    restored = restore_text("Đoàn đã kiểm tra các đơn vị thuộc Lĩnh vực y tế và gặp ông Lý ở xã.")
    assert "thuộc lĩnh vực" in restored.text and "ông Lý" in restored.text


def test_names_capitals_after_punctuation_and_line_starts_stay() -> None:
    text = (
        "Hôm nay ông Xuân cùng đoàn đến thăm xã Sơn Thủy.\n"
        "Xây dựng kế hoạch, Vào cuộc ngay trong tháng.\n"
        "Nghe báo cáo của Sở Nội vụ, đoàn đã làm việc với Cục Thuế."
    )
    restored = restore_text(text)
    assert restored.text == text
    assert not [t for t in restored.tokens if t.reason == "case"]


def test_a_capital_before_another_capital_is_a_name_even_when_misread() -> None:
    # "Sở Tài chính" misread "Sử Tài chính": the misread word is never capitalised, but its capital is right
    text = "Hồ sơ gửi về Sử Tài chính trước ngày mười lăm."
    restored = restore_text(text)
    assert "Sử Tài" in restored.text or "Sở Tài" in restored.text
    assert not [t for t in restored.tokens if t.reason == "case"]


def test_letters_of_other_shapes_are_left_as_read() -> None:
    # "Đ", "T", "N" differ from their small letters: a capital there is what was printed
    text = "Đoàn kiểm tra đã Tổng hợp ý kiến và Nêu rõ kết quả."
    assert restore_text(text).text == text


def test_builder_counts_the_corpus_places_and_keeps_no_text(tmp_path: Path) -> None:
    lines = ["Các em chung tay xây nhà mới cho bà.", "Nhà văn hóa xóm được xây lại.", "Ông Xuân về xã Sơn."]
    lines += ["Anh ấy gặp ông Xuân hôm qua."] * 3
    for name in ("legal_phapdien", "legal_vlc", "news_dantri", "wiki_viwiki"):
        with gzip.open(tmp_path / f"{name}.txt.gz", "wt", encoding="utf-8") as f:
            f.write("\n".join(lines if name == "legal_vlc" else []) + "\n")
    out = tmp_path / "case.tsv"
    assert build_case.main(["--corpus-dir", str(tmp_path), "--out", str(out), "--min-inside", "1"]) == 0
    rows = {line.split("\t")[0]: line.rstrip("\n").split("\t")[1:] for line in out.open() if line[0] != "#"}
    assert rows["xây"] == ["2", "0"] and rows["xuân"] == ["3", "3"]
    assert "nhà" not in rows  # not a same-shape first letter
    table = CaseTable({w: (int(n), int(c)) for w, (n, c) in rows.items()})
    assert table.share("xây") is None  # seen too rarely to trust
