"""Misread years (a typewriter's worn 0 read as 6 or 9) are repaired in a year's place, and flagged."""

from __future__ import annotations

import pytest

from pipeline.restore import restore_text
from pipeline.restore.years import REPAIRED_CONFIDENCE, best_repair, repairs
from pipeline.structure import extract_record


def _repairs(text: str) -> list[tuple[str, str, float]]:
    return [
        (t.original, t.restored, t.confidence)
        for t in restore_text(text).tokens
        if t.reason == "number-repair"
    ]


@pytest.mark.parametrize(
    ("line", "wrong", "right"),
    [
        ("Kế hoạch thực hiện phong trào thi đua giai đoạn 2021 - 2925 của ngành.", "2925", "2025"),
        ("Tổng kết phong trào thi đua năm 2621 của tỉnh.", "2621", "2021"),
        ("Quảng Trị, ngày 15/3/2829", "15/3/2829", "15/3/2029"),
    ],
)
def test_misread_year_in_a_years_place_is_repaired_and_sent_to_review(
    line: str, wrong: str, right: str
) -> None:
    restored = restore_text(line)
    assert right in restored.text and wrong not in restored.text
    found = _repairs(line)
    assert [(o, r) for o, r, _ in found] == [(wrong, right)]
    assert all(conf < 0.8 for _, _, conf in found)  # under the review threshold: never silent


def test_both_years_of_a_range_are_repaired_when_both_were_misread() -> None:
    # the first is repaired in its place after "giai đoạn", and the second then stands beside a real year
    found = _repairs("Thi đua trong ngành Nông nghiệp, giai đoạn 2621 - 2925; đề nghị các đơn vị.")
    assert [(o, r) for o, r, _ in found] == [("2621", "2021"), ("2925", "2025")]
    # with no year's place at all, neither is touched
    assert _repairs("hỗ trợ 2621 - 2925 hộ gia đình") == []


def test_numbers_outside_a_years_place_and_history_years_are_untouched() -> None:
    text = "Toàn tỉnh có 2621 hộ gia đình tham gia; thành lập năm 1010 và đổi tên năm 2021."
    restored = restore_text(text)
    assert restored.text == text
    assert _repairs(text) == []


def test_the_repair_takes_the_fewest_usual_confusions() -> None:
    # "2966": 2066 by one confusion is past any plan's horizon; 2006 by two is the year.
    assert repairs("2966") == [2006]
    # "2621": one confusion gives 2021; two would also give 2001 and 2026, but one beats two.
    assert repairs("2621") == [2021]
    # 5 -> 6 -> 0: two confusions when one is not enough.
    assert best_repair("2521") == 2021
    # No plausible year within two confusions: nothing to offer.
    assert repairs("2444") == [] and best_repair("2444") is None


def test_a_year_with_no_clear_repair_is_kept_as_printed_but_flagged() -> None:
    text = "Phong trào thi đua năm 2444 của tỉnh."
    restored = restore_text(text)
    assert "2444" in restored.text
    [(orig, out, conf)] = _repairs(text)
    assert orig == out == "2444" and conf < REPAIRED_CONFIDENCE


def test_the_repaired_date_reaches_the_header_record() -> None:
    text = "\n".join(
        [
            "UBND TỈNH QUẢNG TRỊ",
            "SỞ NỘI VỤ",
            "Số: 41/KH-SNV",
            "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
            "Độc lập - Tự do - Hạnh phúc",
            "Quảng Trị, ngày 12 tháng 5 năm 2922",
            "KẾ HOẠCH",
            "Phát động phong trào thi đua năm 2022",
        ]
    )
    restored = restore_text(text).text
    assert "năm 2022" in restored.splitlines()[5]
    assert extract_record(restored, terms=False).fields["issue_date"] == "2022-05-12"
