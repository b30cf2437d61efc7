"""Structure extraction on photocopy-OCR damage: numbers, symbols, section numerals, footer marks.

``photocopy(text)`` imitates what Tesseract's Vietnamese model makes of a photocopied plan (seen on the
generated photocopies in ``samples/``): the words are read, but the section numerals are mangled (``1,``
``T,`` ``1L`` ``HIỊ.`` ``VỊ`` ``'VI.`` ``H.``, a lost space in ``I.PHẠM VI``), ``2.`` becomes ``2,`` or
``+2.``, ``a)`` becomes ``8)``, "Số:" turns into ``$6:`` or ``S6:``, a speck puts a mark on a letter of the
symbol (``KH-SÝT``), the type line may be lost, and stray marks sit at line ends and on the signer's name.
It is used by ``benchmarks/structure_bench.py``. The plans below are written by hand for these tests.
"""

from __future__ import annotations

import json
import random
import re
import unicodedata
from pathlib import Path

import pytest

from devtools.garble import garble
from pipeline.structure import FIELD_NAMES, extract_record
from pipeline.structure.text import fold

PLANS = Path(__file__).parent / "data" / "plans"
DAMAGED = PLANS / "damaged"

_ROMAN_READINGS = {
    "I": ["1,", "T,", "l.", "I,", "'I.", "|."],
    "II": ["H.", "1L", "11.", "Il.", "II,", "'II.", "I."],
    "III": ["HIỊ.", "IIl.", "HII.", "1II.", "HỊ.", "H."],
    "IV": ["1V.", "IV,", "lV.", "'IV.", "_ IV."],
    "V": ["V,", "'V.", "V:", "Y."],
    "VI": ["VỊ", "'VI.", "VI,", "Vl."],
    "VII": ["VIỊ.", "VlI.", "VII,"],
}
_SPECKS = {"Y": "Ý", "O": "Ó", "A": "Á", "E": "É", "U": "Ú", "I": "Í", "N": "Ñ", "T": "Ť", "S": "Š"}
_NUMBER_WORDS = ["$6:", "S6:", "S0:", "Sé:", "Sô:", "$ố:"]
_LINE_END_JUNK = [" .", " -", " :", " |", " ¬", " _", " '", "."]
_ROMAN_LINE = re.compile(r"^(\s*)(I|II|III|IV|V|VI|VII)\.\s+(?=\S)")
_ARABIC_LINE = re.compile(r"^(\s*)(\d{1,2})\.\s+(?=[^\W\d_])")
_LETTER_LINE = re.compile(r"^(\s*)([a-e])\)\s+")
_NUMBER_LINE = re.compile(r"^(\s*)Số:\s*(\d+)\s*/\s*(\S+)")
_TYPE_LINE = re.compile(r"^\s*(KẾ HOẠCH|QUYẾT ĐỊNH|HƯỚNG DẪN|CÔNG VĂN|THÔNG BÁO|BÁO CÁO)\s*$")
_NAME_LINE = re.compile(r"^[A-ZĐÂĂÊÔƠƯ][^\s\d]*(?: [A-ZĐÂĂÊÔƠƯ][^\s\d]*){1,4}$")


def _speck(symbol: str, rng: random.Random) -> str:
    """A mark on one letter of the issuer part of the symbol (``KH-SYT`` → ``KH-SÝT``)."""
    head, dash, tail = symbol.partition("-")
    if not dash:
        return symbol
    spots = [i for i, c in enumerate(tail) if c in _SPECKS]
    if not spots:
        return symbol
    spot = rng.choice(spots)
    return head + dash + tail[:spot] + _SPECKS[tail[spot]] + tail[spot + 1 :]


def _number_line(match: re.Match[str], rng: random.Random) -> str:
    word = rng.choice(_NUMBER_WORDS)
    symbol = _speck(match.group(3), rng) if rng.random() < 0.5 else match.group(3)
    number = match.group(2)
    if rng.random() < 0.15:
        number = number.replace("1", "l", 1).replace("0", "O", 1)
    gap = rng.choice(["", " "])
    return f"{match.group(1)}{word}{gap}{number}{rng.choice(['', ' '])}/{symbol}"


def _numeral(line: str, rng: random.Random) -> str:
    roman = _ROMAN_LINE.match(line)
    if roman and rng.random() < 0.85:
        reading = rng.choice(_ROMAN_READINGS[roman.group(2)])
        space = "" if rng.random() < 0.25 and reading.endswith(".") else " "
        return roman.group(1) + reading + space + line[roman.end() :]
    arabic = _ARABIC_LINE.match(line)
    if arabic and rng.random() < 0.35:
        number = arabic.group(2)
        reading = rng.choice([f"{number},", f"+{number}.", f"_{number}.", f"'{number}.", f".{number}.,"])
        return arabic.group(1) + reading + " " + line[arabic.end() :]
    letter = _LETTER_LINE.match(line)
    if letter and rng.random() < 0.3:
        item = {"a": "8)", "b": "b]", "c": "¢)"}.get(letter.group(2), letter.group(2) + "}")
        return letter.group(1) + item + " " + line[letter.end() :]
    return line


def photocopy(text: str, seed: int = 7) -> str:
    """Photocopy-OCR-style damage of a clean plan (deterministic for a given text and seed)."""
    rng = random.Random(f"{seed}:{len(text)}")
    lose_type_line = rng.random() < 0.35
    out = []
    for line in unicodedata.normalize("NFC", text).split("\n"):
        number = _NUMBER_LINE.match(line)
        if number:
            line = _number_line(number, rng) + line[number.end() :]
        elif _TYPE_LINE.match(line) and lose_type_line:
            out.append(rng.choice(["", "- .", "."]))
            continue
        else:
            line = _numeral(line, rng)
        if _NAME_LINE.match(line.strip()) and len(line.split()) >= 3 and rng.random() < 0.6:
            line = line.rstrip() + rng.choice([" -", " .", " '", " ˆ", "_"])
        elif line.strip() and rng.random() < 0.1:
            line = line.rstrip() + rng.choice(_LINE_END_JUNK)
        out.append(line)
    return "\n".join(out)


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
