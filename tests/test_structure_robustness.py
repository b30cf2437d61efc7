"""Structure extraction on OCR-shaped layouts and on input that is not a document at all."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.resources import DICTIONARIES
from pipeline.structure import FIELD_NAMES, extract_record
from pipeline.structure.dates import iso_timestamp
from pipeline.structure.extract import extract_fields_and_sections
from pipeline.structure.numerals import roman_value

REPO = Path(__file__).resolve().parents[1]

MANGLED = """UBND TINH AN GIANG CONG HOA XA HQI CHU NGHIA VIET NAM
SO Y TE Doc lap - Tu do - Hanh phuc
So: 1204/KH-SYT An Giang, ngay 5 thang 6 nam 2023
KE HOACH
Hoc tap va lam theo guong nguoi tot viec tot nam 2023
I. MUC DICH, YEU CAU
Tao khi the thi dua soi noi trong toan nganh.
I1. NOI DUNG THI PUA
1. Moi don vi dang ky it nhat mot mo hinh.
I11. THOI GIAN
Tu thang 6 den thang 12.
IV. HINH THUC KHEN THUONG
Giay khen cua Giam doc So.
V.TO CHUC THUC HIEN
Van phong So theo doi, tong hop./.
Noi nhan: KT. GIAM DOC
- Nhu tren; PHO GIAM DOC
- Luu: VT.

Tran Quoc Bao
"""


def test_ocr_mangled_numerals_and_merged_columns():
    record = extract_record(MANGLED)
    fields = record.fields
    assert fields["issuer_parent"] == "UBND TINH AN GIANG"
    assert fields["issuer"] == "SO Y TE"
    assert (fields["doc_number"], fields["doc_symbol"], fields["doc_type"]) == ("1204", "KH-SYT", "KH")
    assert (fields["place"], fields["issue_date"]) == ("An Giang", "2023-06-05")
    assert fields["title"] == "Hoc tap va lam theo guong nguoi tot viec tot nam 2023"
    assert fields["signer_title"] == "KT. GIÁM ĐỐC / PHÓ GIÁM ĐỐC"  # closed vocabulary, written back
    assert fields["signer_name"] == "Tran Quoc Bao"
    assert fields["recipients"] == ["Như trên", "Lưu: VT"]  # fixed wordings written back
    top = [(s.number, s.label) for s in record.sections if s.level == 1]
    assert top == [
        ("I", "muc_dich_yeu_cau"),
        ("II", "noi_dung"),
        ("III", "thoi_gian"),
        ("IV", "khen_thuong"),
        ("V", "to_chuc_thuc_hien"),
    ]
    assert record.sections[-1].heading == "TO CHUC THUC HIEN"


def test_column_by_column_header_of_a_cong_van():
    text = "\n".join(
        [
            "UBND TỈNH KIÊN GIANG",
            "SỞ Y TẾ",
            "Số: 98/SYT-TCCB",
            "V/v góp ý dự thảo tiêu chí",
            "chấm điểm thi đua",
            "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
            "Độc lập - Tự do - Hạnh phúc",
            "Kiên Giang, ngày 2 tháng 11 năm 2020",
            "Kính gửi: Các đơn vị y tế trực thuộc.",
            "Sở Y tế đề nghị các đơn vị nghiên cứu, góp ý bằng văn bản./.",
        ]
    )
    fields = extract_record(text).fields
    assert fields["doc_type"] == "CV"
    assert fields["title"] == "V/v góp ý dự thảo tiêu chí chấm điểm thi đua"
    assert (fields["issuer_parent"], fields["issuer"]) == ("UBND TỈNH KIÊN GIANG", "SỞ Y TẾ")
    assert fields["place"] == "Kiên Giang" and fields["issue_date"] == "2020-11-02"
    assert fields["recipients"] == ["Các đơn vị y tế trực thuộc"]


def test_type_code_comes_from_the_symbol_then_the_type_line():
    base = (
        "SỞ TƯ PHÁP\nSố: {symbol}\nHà Nội, ngày 1 tháng 3 năm 2022\n{type_line}\nTổng kết công tác thi đua\n"
    )
    cases = [
        ("15/2022/QĐ-UBND", "QUYẾT ĐỊNH", "QĐ"),
        ("33/BC-STP", "BÁO CÁO", "BC"),
        ("7/CTr-STP", "CHƯƠNG TRÌNH", "CTr"),
        ("8/STP", "THÔNG BÁO", "TB"),
        ("9/STP-VP", "", "CV"),
    ]
    for symbol, type_line, code in cases:
        fields = extract_record(base.format(symbol=symbol, type_line=type_line)).fields
        assert fields["doc_type"] == code, symbol


def test_ocr_readings_of_roman_numerals():
    assert [roman_value(t) for t in ("I", "I1", "I11", "1I1", "IV", "V", "VI", "lX")] == [
        1,
        2,
        3,
        3,
        4,
        5,
        6,
        9,
    ]
    assert roman_value("IIII") is None and roman_value("") is None and roman_value("ABC") is None


def test_signing_time_formats():
    assert iso_timestamp("15.09.2022 09:12:33 +07:00") == "2022-09-15T09:12:33+07:00"
    assert iso_timestamp("12-04-2019 08:47") == "2019-04-12T08:47:00"
    assert iso_timestamp("2021-01-05T10:00:00+07:00") == "2021-01-05T10:00:00+07:00"
    assert iso_timestamp("31/02/2021") is None


def _assert_blank_record(record) -> None:
    data = json.loads(json.dumps(record.to_dict(), ensure_ascii=False))
    assert list(data["fields"]) == list(FIELD_NAMES)


def test_empty_and_whitespace_text():
    for text in ("", "\n", "   \n\t\n", "\x0c"):
        record = extract_record(text)
        _assert_blank_record(record)
        assert record.sections == []
        assert record.fields["title"] is None and record.fields["recipients"] == []


def test_prose_that_is_not_a_document():
    rng = random.Random(5)
    words = ["trời", "mưa", "rơi", "trên", "mái", "nhà", "người", "lữ", "khách", "bên", "quán", "ven"]
    chapters = []
    for number in range(1, 40):
        body = "\n".join(" ".join(rng.choice(words) for _ in range(rng.randint(5, 30))) for _ in range(30))
        chapters.append(f"Chương {number}\n\n{body}\n")
    record = extract_record("\n".join(chapters))
    _assert_blank_record(record)
    assert record.fields["doc_number"] is None and record.fields["issue_date"] is None


def test_binary_junk_and_a_megabyte_line():
    rng = random.Random(1)
    junk = bytes(rng.randrange(256) for _ in range(200_000)).decode("latin-1")
    assert junk.count("\n") > 100
    _assert_blank_record(extract_record(junk))
    _assert_blank_record(extract_record(bytes(range(256)).decode("utf-8", "replace") * 50))
    long_line = "I. " + "MỤC ĐÍCH " * 120_000
    record = extract_record(long_line + "\n1. Mục đích\n" + "a" * 1_000_000)
    _assert_blank_record(record)
    assert record.sections[0].number == "I"


FRAGMENTS = [
    "I.", "II. NỘI DUNG", "1.", "a)", "Nơi nhận:", "- Lưu: VT.", "KT. GIÁM ĐỐC", "Số: /", "V/v", "Ký bởi: X",
    "Thời gian ký: 99.99.9999", "“", "Căn cứ số 1/ ngày của", ", ngày tháng năm 2020", "KẾ HOẠCH", "Điều 1.",
    "¢)", "./.",
]  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.one_of(
            st.text(max_size=80),
            st.sampled_from(FRAGMENTS),
        ),
        max_size=40,
    ),
    st.one_of(st.none(), st.lists(st.floats(allow_nan=True), max_size=50)),
)
def test_arbitrary_line_soup_never_raises(lines, confidences):
    """The inner function (without the never-raise guard) survives any mixture of format fragments."""
    record = extract_fields_and_sections("\n".join(lines), confidences)
    json.dumps(record.to_dict())
    for section in record.sections:
        assert section.start_line <= section.end_line


def test_label_rules_are_extended_from_the_table_without_code(tmp_path):
    custom = tmp_path / "dictionaries"
    custom.mkdir()
    for name in ("section_labels.tsv", "doc_types.tsv"):
        shutil.copy(DICTIONARIES / name, custom / name)
    with (custom / "section_labels.tsv").open("a", encoding="utf-8") as handle:
        handle.write("kinh_phi\tKinh phí thực hiện\t3\n")
    script = (
        "from pipeline.structure import extract_record, SECTION_LABELS\n"
        "r = extract_record('I. MỤC ĐÍCH\\nx\\nII. KINH PHÍ THỰC HIỆN\\ny')\n"
        "print(SECTION_LABELS[-2], [s.label for s in r.sections])\n"
    )
    env = {**os.environ, "SOHOA_DICTIONARIES": str(custom)}
    out = subprocess.run([sys.executable, "-c", script], env=env, cwd=REPO, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "kinh_phi ['muc_dich_yeu_cau', 'kinh_phi']"
