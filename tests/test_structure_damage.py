"""Structure extraction on photocopy-OCR damage: numbers, symbols, section numerals, footer marks.

``photocopy(text)`` imitates what Tesseract's Vietnamese model makes of a photocopied plan (seen on the
generated photocopies in ``samples/``): the words are read, but the section numerals are mangled (``1,``
``T,`` ``1L`` ``HIỊ.`` ``VỊ`` ``'VI.`` ``H.``, a lost space in ``I.PHẠM VI``), ``2.`` becomes ``2,`` or
``+2.``, ``a)`` becomes ``8)``, "Số:" turns into ``$6:`` or ``S6:``, a speck puts a mark on a letter of the
symbol (``KH-SÝT``), the type line may be lost, and stray marks sit at line ends and on the signer's name.
The damage itself is ``devtools.photocopy_damage.photocopy``. The plans below are written by hand for these
tests.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from devtools.garble import garble
from devtools.photocopy_damage import photocopy
from pipeline.structure import FIELD_NAMES, extract_record
from pipeline.structure.dates import read_issue_date
from pipeline.structure.text import fold

PLANS = Path(__file__).parent / "data" / "plans"
DAMAGED = PLANS / "damaged"


def _load(folder: Path, name: str) -> tuple[str, dict]:
    text = (folder / f"{name}.txt").read_text(encoding="utf-8")
    return text, json.loads((folder / f"{name}.expected.json").read_text(encoding="utf-8"))


def _sections(record: dict) -> list[tuple]:
    return [(s["level"], s["number"], s["label"]) for s in record["sections"]]


DAMAGED_NAMES = sorted(p.stem for p in DAMAGED.glob("*.txt"))


def test_photocopy_damage_is_deterministic_and_shaped_like_the_issue():
    text = "Số: 153/KH-SYT\nKẾ HOẠCH\nI. MỤC ĐÍCH\nII. NỘI DUNG\n1. Đối với tập thể\nNguyễn Văn An"
    assert photocopy(text) == photocopy(text)
    damaged = [photocopy(text, seed) for seed in range(40)]
    assert any(d.splitlines()[0].startswith(("$6:", "S6:", "S0:", "Sé:")) for d in damaged)
    assert any("SÝT" in d or "ŠYT" in d for d in damaged)
    assert any("KẾ HOẠCH" not in d for d in damaged)
    assert all("MỤC ĐÍCH" in d and "NỘI DUNG" in d for d in damaged)  # the heading words are read


@pytest.mark.parametrize("name", DAMAGED_NAMES)
def test_hand_damaged_plan_gives_the_hand_made_record(name):
    text, expected = _load(DAMAGED, name)
    record = extract_record(text).to_dict()
    for field in FIELD_NAMES:
        assert record["fields"][field] == expected["fields"][field], field
    assert _sections(record) == [(s["level"], s["number"], s["label"]) for s in expected["sections"]]
    headings = [s["heading"] for s in record["sections"]]
    assert headings == [s["heading"] for s in expected["sections"]]


def test_there_are_hand_damaged_plans():
    assert len(DAMAGED_NAMES) >= 2


@pytest.mark.parametrize("name", sorted(p.stem for p in PLANS.glob("*.txt")))
def test_photocopied_plans_keep_every_field_and_section(name):
    text, expected = _load(PLANS, name)
    record = extract_record(photocopy(text)).to_dict()
    for field in FIELD_NAMES:
        assert record["fields"][field] == expected["fields"][field], field
    assert _sections(record) == [(s["level"], s["number"], s["label"]) for s in expected["sections"]]


def test_garbled_photocopies_keep_numbers_dates_and_top_sections():
    for name in sorted(p.stem for p in PLANS.glob("*.txt")):
        text, expected = _load(PLANS, name)
        record = extract_record(garble(photocopy(text))).to_dict()
        for field in ("doc_number", "doc_type", "issue_date"):
            assert record["fields"][field] == expected["fields"][field], (name, field)
        top = [(s["number"], s["label"]) for s in record["sections"] if s["level"] == 1]
        want = [(s["number"], s["label"]) for s in expected["sections"] if s["level"] == 1]
        assert top == want, name


def test_numbers_symbols_and_dates_in_damaged_header_lines():
    header = "SỞ NỘI VỤ\n{line}\nLâm Đồng, ngày {date}\nKẾ HOẠCH\nThi đua năm 2024\n"
    cases = [
        ("$6: 153 /KH-SNV", "1 tháng 3 năm 2024", ("153", "KH-SNV", "KH", "2024-03-01")),
        ("S6:153/KH-SÝT", "2O tháng 1O năm 2O24", ("153", "KH-SYT", "KH", "2024-10-20")),
        ("Sé: l53/KH-SGDDT", "5 tháng l2 năm 2024", ("153", "KH-SGDĐT", "KH", "2024-12-05")),
        ("S0: 47/QD-UBND", "9 tháng 9 năm 2024", ("47", "QĐ-UBND", "QĐ", "2024-09-09")),
        ("153 /KH-SNV", "1 tháng 3 năm 2024", ("153", "KH-SNV", "KH", "2024-03-01")),
    ]
    for line, date, want in cases:
        fields = extract_record(header.format(line=line, date=date)).fields
        got = (fields["doc_number"], fields["doc_symbol"], fields["doc_type"], fields["issue_date"])
        assert got == want, line


def test_doc_type_from_the_title_or_the_opening_when_the_type_line_is_lost():
    base = "UBND HUYỆN AN PHÚ\nSố: 12/UBND-VP\nAn Phú, ngày 2 tháng 5 năm 2024\n{title}\n{opening}\n"
    base += "I. MỤC ĐÍCH\nx"
    cases = [
        ("Kế hoạch tổ chức Hội thi “Dân vận khéo” năm 2024", "Ủy ban nhân dân huyện thực hiện:", "KH"),
        ("Tổ chức Hội thi “Dân vận khéo” năm 2024", "Ủy ban nhân dân huyện ban hành Kế hoạch sau:", "KH"),
        ("Tổ chức Hội thi “Dân vận khéo” năm 2024", "Sở Xây dựng ban hành Hướng dẫn như sau:", "HD"),
        ("V/v tổ chức Hội thi “Dân vận khéo”", "Ủy ban nhân dân huyện đề nghị như sau:", "CV"),
    ]
    for title, opening, code in cases:
        assert extract_record(base.format(title=title, opening=opening)).fields["doc_type"] == code, title


def test_noi_nhan_only_at_a_line_start_in_the_closing_part():
    text = "\n".join(
        [
            "KẾ HOẠCH",
            "Thi đua giảm nghèo năm 2024",
            "I. NỘI DUNG",
            "Tuyên dương các thôn, bản đã thoát nghèo và",
            "nơi thoát nghèo:",
            "- tổ chức gặp mặt biểu dương;",
            "- tặng giấy khen.",
            "II. TỔ CHỨC THỰC HIỆN",
            "Văn phòng theo dõi, tổng hợp./.",
            "Nơi nhận:",
            "- Như trên;",
            "- Lưu: VT.",
            "CHỦ TỊCH",
            "Đinh Văn Sơn ˆ",
        ]
    )
    record = extract_record(text)
    assert record.fields["recipients"] == ["Như trên", "Lưu: VT"]
    assert record.fields["signer_name"] == "Đinh Văn Sơn"
    assert [(s.number, s.label) for s in record.sections] == [("I", "noi_dung"), ("II", "to_chuc_thuc_hien")]
    assert "tặng giấy khen" in record.sections[0].text


def test_section_numerals_take_their_place_in_the_sequence():
    lines = ["1, MỤC ĐÍCH", "a", "H. PHẠM VI", "b", "HIỊ. NỘI DUNG", "c", "1V.THỜI GIAN", "d"]
    lines += ["V, KHEN THƯỞNG", "e", "'VI. TỔ CHỨC THỰC HIỆN", "f"]
    record = extract_record("\n".join(lines))
    assert [s.number for s in record.sections] == ["I", "II", "III", "IV", "V", "VI"]
    assert [s.heading for s in record.sections][3] == "THỜI GIAN"
    repeated = extract_record("I. MỤC ĐÍCH\nx\nI.PHẠM VI\ny\nIII. NỘI DUNG\nz")
    assert [s.number for s in repeated.sections] == ["I", "II", "III"]
    faded = extract_record("I. MỤC ĐÍCH\nx\nVỊ TỔ CHỨC THỰC HIỆN\ny")
    assert [s.number for s in faded.sections] == ["I", "II"]


def test_damaged_subsection_numbers_need_the_expected_number():
    text = "I. NỘI DUNG\n1. Đối với tập thể\nx\n+2. Đối với cá nhân\ny\n2, 3 lần mỗi năm\n_3. Đối với khối\n"
    text += "8) Thi đua\nb] Hoàn thành"
    sections = extract_record(text).sections
    want = [(1, "I"), (2, "1"), (2, "2"), (2, "3"), (3, "a"), (3, "b")]
    assert [(s.level, s.number) for s in sections] == want


def test_garbled_header_keeps_the_number_under_a_dollar_sign():
    text = "SO NOI VU\n$6: 153 /KH-SNV\nKE HOACH\nThi dua nam 2024\n1, MUC DICH\nx\nH. NOI DUNG THI PUA\ny"
    record = extract_record(text)
    assert (record.fields["doc_number"], record.fields["doc_symbol"]) == ("153", "KH-SNV")
    assert [(s.number, s.label) for s in record.sections] == [("I", "muc_dich_yeu_cau"), ("II", "noi_dung")]
    assert fold(record.sections[1].heading) == "NOI DUNG THI PUA"


def test_archive_line_as_read_on_a_photocopy():
    text = "Nội dung./.\nNơi nhận:\n- Như trên;\n- Lưu: VI; VP.-\nGIÁM ĐỐC ¬\n\nPhan Thị Mỹ Lệ -"
    fields = extract_record(text).fields
    assert fields["recipients"] == ["Như trên", "Lưu: VT, VP"]
    assert (fields["signer_title"], fields["signer_name"]) == ("GIÁM ĐỐC", "Phan Thị Mỹ Lệ")


def test_real_photocopy_ocr_keeps_every_section():
    """The pipeline's OCR of the two photocopied samples: all sections found, numbered by the sequence."""
    for path in sorted((PLANS / "ocr").glob("*.txt")):
        text, expected = _load(PLANS / "ocr", path.stem)
        record = extract_record(text).to_dict()
        assert [(s["level"], s["number"]) for s in record["sections"]] == [
            (s["level"], s["number"]) for s in expected["sections"]
        ]
        for field in ("doc_number", "doc_symbol", "doc_type", "issue_date", "issuer", "place", "campaign"):
            assert record["fields"][field] == expected["fields"][field], (path.stem, field)


def _closing(title_lines: list[str]) -> str:
    lines = ["KẾ HOẠCH", "Thi đua giảm nghèo năm 2024", "I. NỘI DUNG", "Các xã triển khai./."]
    lines += ["Nơi nhận:", "- Như trên;", "- Giám đốc, các.PGĐ Sở;", "- Lưu: VT."]
    return "\n".join([*lines, *title_lines, "Hoàng Văn Thắng"])


def test_signer_title_whose_first_word_the_copy_spoilt():
    record = extract_record(_closing(["é -KẾ GIÁM ĐỐC", "HỌ GIÁM ĐỐC"]))
    assert record.fields["signer_title"] == "KT. GIÁM ĐỐC / PHÓ GIÁM ĐỐC"
    assert record.fields["signer_name"] == "Hoàng Văn Thắng"
    # a real word before a title makes no title line
    assert extract_record(_closing(["Ông GIÁM ĐỐC"])).fields["signer_title"] is None


def test_a_speck_dot_glued_between_words_is_a_space_in_title_and_recipients():
    text = "KẾ HOẠCH\nThi đua “Nông thôn mới”.trong ngành năm 2024\nI. NỘI DUNG\nx./.\n"
    record = extract_record(text + "\n".join(_closing(["GIÁM ĐỐC"]).split("\n")[4:]))
    assert record.fields["title"] == "Thi đua “Nông thôn mới” trong ngành năm 2024"
    assert "Giám đốc, các PGĐ Sở" in record.fields["recipients"]


def test_a_c_item_read_as_e_takes_the_letter_the_sequence_expects():
    lines = [
        "I. MỤC ĐÍCH",
        "a) Tuyên truyền rộng rãi",
        "b) Vận động cán bộ",
        "e) Kịp thời phát hiện",
        "II. NỘI DUNG",
    ]
    record = extract_record("\n".join(lines))
    assert [s.number for s in record.sections] == ["I", "a", "b", "c", "II"]
    # after d) and đ) an e) is an e)
    lines[2:4] = ["b) x", "c) y", "d) z", "đ) w", "e) Kịp thời phát hiện"]
    assert [s.number for s in extract_record("\n".join(lines)).sections][-2:] == ["e", "II"]


def test_a_lone_kt_title_has_the_deputy_line_the_seal_took():
    for first in ("KT. GIÁM ĐỐC", "KT’ GIÁM ĐỐC", "KT  GIÁM ĐỐC"):
        record = extract_record(_closing([first, "oe ĐỘC ấy"]))
        assert record.fields["signer_title"] == "KT. GIÁM ĐỐC / PHÓ GIÁM ĐỐC", first
    # a head who signs himself has no deputy line
    assert extract_record(_closing(["GIÁM ĐỐC"])).fields["signer_title"] == "GIÁM ĐỐC"


def test_a_lone_word_in_capitals_with_a_marked_vowel_in_a_recipient_is_title_cased():
    lines = ["KẾ HOẠCH", "Thi đua năm 2024", "I. NỘI DUNG", "x./.", "Nơi nhận:"]
    lines += ["- Các phòng, đơn vị thuộc SỞ;", "- UBND TỈNH (để b/c);", "- Lưu: VT, BTĐKT."]
    lines += ["GIÁM ĐỐC", "Lê Văn An"]
    recipients = extract_record("\n".join(lines)).fields["recipients"]
    assert recipients == ["Các phòng, đơn vị thuộc Sở", "UBND TỈNH (để b/c)", "Lưu: VT, BTĐKT"]


def test_a_name_under_a_lost_title_is_found_past_the_seal_scrawl():
    # the seal took the title and left seven lines of scrawl between the recipients and the name
    scrawl = ["e AVS BO", "» i ĐƯỢC", "r", "Bỉ", "‘? ip", "NY", "was"]
    record = extract_record(_closing(scrawl))
    assert record.fields["signer_title"] is None
    assert record.fields["signer_name"] == "Hoàng Văn Thắng"
    assert record.fields["recipients"] == ["Như trên", "Giám đốc, các PGĐ Sở", "Lưu: VT"]


def test_a_title_stops_before_the_opening_paragraph_when_ocr_broke_a_quote():
    """A stamp over the title made OCR read "học”" as "“Bộ”": the quotes no longer pair, and the opening
    paragraph ("Nhằm ... như sau:") must still not become the end of the title."""
    opening = [
        "Nhằm cụ thể hóa nhiệm vụ trọng tâm của năm học mới và khơi",
        "dậy tinh thần chủ động, sáng tạo của đội ngũ nhà giáo, cán bộ",
        "quản lý, Sở Giáo dục và Đào tạo ban hành Kế hoạch phát động",
        "phong trào thi đua như sau:",
    ]
    for second, want in (
        ("học” năm học 2023 - 2024", "“Đổi mới, sáng tạo trong dạy và học” năm học 2023 - 2024"),
        ("“Bộ” năm học 2023 - 2024", "“Đổi mới, sáng tạo trong dạy và “Bộ” năm học 2023 - 2024"),
    ):
        for paragraph in (opening, opening[:1] + ["dậy tinh thần chủ động ban hành Kế hoạch như sau:"]):
            lines = ["SỞ GIÁO DỤC VÀ ĐÀO TẠO", "Số: 412/KH-SGDĐT", "An Giang, ngày 05 tháng 9 năm 2023"]
            lines += ["KẾ HOẠCH", "Phát động phong trào thi đua “Đổi mới, sáng tạo trong dạy và", second]
            lines += [*paragraph, "I. MỤC ĐÍCH, YÊU CẦU", "x"]
            fields = extract_record("\n".join(lines)).fields
            assert fields["title"] == f"Phát động phong trào thi đua {want}", paragraph


def test_a_title_stops_where_the_rest_of_a_half_lost_opening_paragraph_goes_on():
    """The stamp took the opening paragraph's first line: its rest goes on in lower case right under the
    title's last line (a year), and is not the end of the title."""
    lines = ["SỞ GIÁO DỤC VÀ ĐÀO TẠO", "Số: 87/KH-SGDĐT", "Bình Định, ngày 20 tháng 4 năm 2023", "KẾ HOẠCH"]
    lines += ["Phát động phong trào thi đua “Dạy tốt, học tốt” năm học 2023 -", "2024"]
    lines += ["phát động phong trào thi đua trong", "toàn ngành như sau:", "I. MỤC ĐÍCH, YÊU CẦU", "x"]
    want = "Phát động phong trào thi đua “Dạy tốt, học tốt” năm học 2023 - 2024"
    assert extract_record("\n".join(lines)).fields["title"] == want
    # a title that goes on in lower case after a year, with no paragraph glued under it, stays whole
    lines[4:8] = ["Thi đua năm 2024", "trên địa bàn tỉnh", "Thực hiện chỉ đạo của tỉnh, Sở ban hành như sau:"]
    assert extract_record("\n".join(lines)).fields["title"] == "Thi đua năm 2024 trên địa bàn tỉnh"


def test_a_lone_small_letter_before_the_title_is_a_stamp_edge():
    text = "SỞ NÔNG NGHIỆP\nSố: 87/KH-SNN\nKẾ HOẠCH\n{title}\n"
    text += "Thực hiện chủ trương của tỉnh như sau:\nI. MỤC ĐÍCH\nx"
    fields = extract_record(text.format(title="k Tổ chức thực hiện phong trào thi đua năm 2021")).fields
    assert fields["title"] == "Tổ chức thực hiện phong trào thi đua năm 2021"
    # a title whose first word is one capital letter keeps it
    fields = extract_record(text.format(title="A Lưới thi đua năm 2021")).fields
    assert fields["title"] == "A Lưới thi đua năm 2021"


def test_a_damaged_year_keeps_the_place_and_gives_a_flagged_date_or_none():
    """ "năm 2923" (a typewritten 0 read as 9): the place before ", ngày" is still read; the date is taken
    with its 9 read as 0 only because that is the one plausible reading, and it is flagged; "2966" is read
    as restoration reads it (2006: the fewest confusions), flagged; a year with no reading ("2188") gives no
    date, and says why."""
    text = "SỞ NỘI VỤ\nSố: 153/KH-SNV\nAn Giang, ngày {day} tháng 9 năm {year}\nKẾ HOẠCH\nThi đua năm 2024\n"
    record = extract_record(text.format(day="05", year="2923"))
    assert (record.fields["place"], record.fields["issue_date"]) == ("An Giang", "2023-09-05")
    assert "typewritten 0" in record.uncertain["issue_date"]
    record = extract_record(text.format(day="65", year="2923"))  # both the day's 6 and the year's 9
    assert record.fields["issue_date"] == "2023-09-05" and "issue_date" in record.uncertain
    record = extract_record(text.format(day="05", year="2966"))
    assert (record.fields["place"], record.fields["issue_date"]) == ("An Giang", "2006-09-05")
    assert "taken as 2006-09-05" in record.uncertain["issue_date"]
    record = extract_record(text.format(day="05", year="2188"))
    assert (record.fields["place"], record.fields["issue_date"]) == ("An Giang", None)
    assert "not a possible date" in record.uncertain["issue_date"]
    record = extract_record(text.format(day="05", year="2O23"))
    assert (record.fields["place"], record.fields["issue_date"]) == ("An Giang", "2023-09-05")
    assert "issue_date" not in record.uncertain  # O for 0 is read as 0 without doubt


def test_a_date_that_could_be_read_is_not_repaired_but_a_future_one_is_flagged():
    """A possible date is kept as written, even with a 6 or 9 in it; one after next year is kept and
    flagged; an impossible day with no 6 or 9 in it (31 February) gives no date, with the reason."""
    today = dt.date(2026, 11, 27)
    assert read_issue_date("26", "4", "2021", today) == ("2021-04-26", None)
    date, why = read_issue_date("12", "3", "2092", today)
    assert date == "2092-03-12" and why is not None and "future" in why
    date, why = read_issue_date("31", "2", "2023", today)
    assert date is None and why is not None
    assert read_issue_date("05", "19", "2023", today)[0] == "2023-10-05"  # month 19: only 10 is a month
    assert read_issue_date("19", "19", "2023", today)[0] is None  # 19 October or 10 October


def test_issuer_lines_lose_glued_marks_and_a_misread_so():
    text = "_UBND TỈNH NGHỆ AN\n{issuer}\nVÀ PHÁT TRIỂN NÔNG THÔN\nSố: 87/KH-SNN\n"
    text += "KẾ HOẠCH\nThi đua năm 2024\n"
    for issuer in ("SỬ NÔNG NGHIỆP", "SƠ NÔNG NGHIỆP", "|SỞ NÔNG NGHIỆP"):
        fields = extract_record(text.format(issuer=issuer)).fields
        assert fields["issuer_parent"] == "UBND TỈNH NGHỆ AN", issuer
        assert fields["issuer"] == "SỞ NÔNG NGHIỆP VÀ PHÁT TRIỂN NÔNG THÔN", issuer
    # a body whose name only begins like "Sở" keeps its name
    fields = extract_record(text.format(issuer="SƠN LA NÔNG NGHIỆP")).fields
    assert fields["issuer"].startswith("SƠN LA"), fields["issuer"]


def test_a_title_ending_with_its_period_stops_before_a_long_opening_paragraph():
    """The title's last line ends with its period ("giai đoạn 2019 - 2022") and the opening paragraph
    starts with a capital under it; its lines are long (wrapped), one of them starts with a capital (a name
    wrapped), and its colon comes several lines on."""
    lines = [
        "UBND TỈNH BẾN TRE",
        "SỞ TƯ PHÁP",
        "Số: 61/KH-STP",
        "Bến Tre, ngày 19 tháng 5 năm 2019",
        "KẾ HOẠCH",
    ]
    lines += [
        "Triển khai phong trào thi đua “Cải cách hành chính, nâng cao",
        "chất lượng phục vụ nhân dân” giai đoạn 2019 - 2022",
        "Nhằm cụ thể hóa các chỉ tiêu của phong trào thi đua “Cải cách",
        "hành chính, nâng cao chất lượng phục vụ nhân dân” giai đoạn 2019 - 2022, Sở",
        "Tư pháp xây dựng Kế hoạch tổ chức thực hiện trong toàn ngành",
        "như sau:",
        "I. MỤC ĐÍCH, YÊU CẦU",
        "x",
    ]
    want = " ".join(lines[5:7])
    assert extract_record("\n".join(lines)).fields["title"] == want
    # the rule under the title read as letters ends the title too
    lines.insert(7, "on deeeEIeeE")
    assert extract_record("\n".join(lines)).fields["title"] == want


def test_a_type_line_with_one_worn_letter_is_the_type_line_not_the_issuer():
    """A worn "Ế" read as "I" and a speck after the line ("KI HOẠCH °") is still the type line: the issuer
    stays the body above it and the title is the line under it."""
    lines = [
        "UBND TỈNH KON TUM",
        "SỞ GIAO THÔNG VẬN TẢI",
        "Số: 44/KH-SGTVT",
        "Kon Tum, ngày 3 tháng 3 năm 2020",
        "{type}",
        "Phát động phong trào thi đua “An toàn giao thông” năm 2020",
        "Căn cứ kế hoạch của Ủy ban nhân dân tỉnh, Sở xây dựng kế hoạch như sau:",
        "I. MỤC ĐÍCH, YÊU CẦU",
        "x",
    ]
    record = extract_record("\n".join(lines).format(type="KI HOẠCH °"))
    assert record.fields["issuer"] == "SỞ GIAO THÔNG VẬN TẢI"
    assert record.fields["title"] == lines[5]
    assert record.fields["doc_type"] == "KH"
    assert "issuer" not in record.uncertain


def test_an_issuer_that_reads_like_a_type_name_is_flagged():
    """When the type line is too damaged to be found it is taken for the issuer: that must be flagged."""
    from pipeline.structure.header import Header, _check_issuer

    for issuer, flagged in [("KẾ HOẠC", True), ("K HOẠCH", True), ("SỞ Y TẾ", False), ("BAN THI ĐUA", False)]:
        header = Header(issuer=issuer)
        _check_issuer(header)
        assert ("issuer" in header.doubts) is flagged, issuer
