"""Header fields that may be wrong are flagged, never passed off as read (issue 11).

The text rules (a symbol's S read as § or $, marks glued to a title's words, words that are no Vietnamese
word, dates with a typewritten 0 read as 6 or 9) are checked on texts written for the purpose; the rules
that need the OCR words (a word under the stamp, figures read with low confidence) on their word records;
and the whole on generated archive pages read by real Tesseract: every header field of the record is either
the truth's or listed in ``uncertain_fields`` with a reason.
"""

from __future__ import annotations

import unicodedata

import pytest

from devtools.synth import truth_pages
from devtools.synth.archive import Conditions, make_document
from pipeline.scan import ingest
from pipeline.stages import ProcessOptions, finish_document, process_page
from pipeline.structure import extract_record
from pipeline.structure.doubts import (
    WordDoubt,
    field_doubts,
    issuer_initials,
    name_damage,
    odd_words,
    repair_symbol,
    symbol_doubt,
    word_doubts,
)
from pipeline.structure.header import without_glued_junk

HEADER = (
    "UBND TỈNH AN GIANG\nSỞ GIÁO DỤC VÀ ĐÀO TẠO\nSố: 412/KH-{symbol}\n"
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\n"
    "An Giang, ngày 05 tháng 9 năm 2023\nKẾ HOẠCH\n{title}\n"
    "Nhằm cụ thể hóa nhiệm vụ năm học mới, Sở ban hành Kế hoạch như sau:\nI. MỤC ĐÍCH, YÊU CẦU\n"
)
TITLE = "Phát động phong trào thi đua “Đổi mới, sáng tạo” năm học 2023 - 2024"


def _record(symbol: str = "SGDĐT", title: str = TITLE, doubts: dict | None = None):
    return extract_record(HEADER.format(symbol=symbol, title=title), terms=False, word_doubts=doubts)


@pytest.mark.parametrize("mark", ["§", "$"])
def test_a_symbol_s_read_as_a_section_or_dollar_sign_is_an_s_and_stays_out_of_the_issuer(mark) -> None:
    record = _record(symbol=f"{mark}GDĐT")
    assert record.fields["doc_symbol"] == "KH-SGDĐT"
    assert record.fields["issuer"] == "SỞ GIÁO DỤC VÀ ĐÀO TẠO"
    assert record.fields["doc_number"] == "412"


def test_a_clean_header_has_no_uncertain_field() -> None:
    assert _record().uncertain == {}


def test_marks_glued_to_title_words_are_taken_off_and_the_title_flagged() -> None:
    record = _record(title="Phát động phong ;rào thi đua| “Đổi mới, sáng tạo” năm học 2023 - 2024")
    assert record.fields["title"] == "Phát động phong rào thi đua “Đổi mới, sáng tạo” năm học 2023 - 2024"
    assert "';rào'" in record.uncertain["title"]
    assert without_glued_junk("Tổ chức .nực hiện") == ("Tổ chức nực hiện", [".nực"])
    # quotes, a dash between years and a "V/v" are the title's own
    assert without_glued_junk("V/v “Ngành Y tế” 2023 - 2024") == ("V/v “Ngành Y tế” 2023 - 2024", [])


def test_a_title_year_with_a_typewritten_zero_read_as_6_or_9_is_written_back_and_flagged() -> None:
    record = _record(title=TITLE.replace("2023 - 2024", "2923 - 2024"))
    assert record.fields["title"] == TITLE
    assert "year read as '2923', taken as 2023" in record.uncertain["title"]
    # a count is no year to repair
    count = TITLE.replace("thi đua", "hỗ trợ 2600 hộ, thi đua")
    assert _record(title=count).fields["title"] == count
    # a period that runs into the future is the plan's: its years are never changed
    future = TITLE.replace("2023 - 2024", "2024 - 2029")
    assert _record(title=future).fields["title"] == future and _record(title=future).uncertain == {}
    # "2966" is read by restoration's rule (the fewest confusions: 2006), so a title reads the same year
    # whether or not the text was restored first
    record = _record(title=TITLE.replace("2023 - 2024", "2966 - 2024"))
    assert "year read as '2966', taken as 2006" in record.uncertain["title"]
    from pipeline.restore import restore_text

    assert "2006 - 2024" in restore_text(TITLE.replace("2023 - 2024", "2966 - 2024")).text
    # no reading ("2188": no usual confusion leads to a year): kept as read, and flagged as no year
    record = _record(title=TITLE.replace("2023 - 2024", "2188 - 2024"))
    assert "2188" in record.fields["title"] and "'2188' is no year" in record.uncertain["title"]


def test_marks_a_title_does_not_hold_flag_it_and_stay() -> None:
    record = _record(title=TITLE.replace("sáng tạo”", "sáng tạo?”"))
    assert "sáng tạo?”" in record.fields["title"]
    assert "marks a title does not hold: 'tạo?”'" in record.uncertain["title"]
    record = _record(title=TITLE.replace("phong trào", "phong -trào"))
    assert record.fields["title"] == TITLE and "'-trào'" in record.uncertain["title"]


def test_a_title_word_that_is_no_vietnamese_word_flags_the_title() -> None:
    record = _record(title="Phát động phong trào “Nói không với Fác thải nhựa” năm 2024")
    assert "'Fác' is no Vietnamese word" in record.uncertain["title"]
    assert odd_words("V/v hưởng ng phong trào") == ["ng"]
    assert odd_words("V4 hưởng ứng phong trào năm 2O23") == ["V4", "2O23"]  # letters and figures glued
    # acronyms, codes with figures, names with spellings of their own are words
    assert odd_words("UBND TỈNH ĐẮK LẮK phòng chống Covid-19 HĐND THCS Bắc Kạn") == []


def test_doubtful_words_flag_the_fields_that_hold_them() -> None:
    """A doubtful word flags the field read from its line when the word is in the field's value: the title
    by its word, the date by its figures; the issuer's line holds neither."""
    lines = HEADER.format(symbol="SGDĐT", title=TITLE).split("\n")
    title_line, date_line = lines.index(TITLE), next(i for i, ln in enumerate(lines) if "ngày" in ln)
    doubts = {
        title_line: [WordDoubt("trào", "'trào' read under the stamp (OCR 29)")],
        date_line: [WordDoubt("05", "figures '05' read with OCR confidence 77")],
        0: [WordDoubt("trào", "elsewhere")],  # a word that is not in the issuer's value
    }
    record = _record(doubts=doubts)
    assert record.uncertain["title"] == "'trào' read under the stamp (OCR 29)"
    assert record.uncertain["issue_date"] == "figures '05' read with OCR confidence 77"
    assert set(record.uncertain) == {"title", "issue_date"}
    assert field_doubts({"title": "a b"}, {"title": [3]}, {3: [WordDoubt("c", "x")]}) == {}


def test_word_doubts_weigh_a_word_under_the_stamp_more_strictly() -> None:
    """The same confidences: doubtful under the stamp, not elsewhere; figures below 85 always."""
    raw = ["V/v hưởng giổi 2024", "hưởng giổi 26"]
    words = [
        [{"conf": 92}, {"conf": 90}, {"conf": 87, "under_stamp": True}, {"conf": 96}],
        [{"conf": 90}, {"conf": 87}, {"conf": 77}],
    ]
    tokens = [
        {"line": 0, "col": 4, "restored": "hưởng", "confidence": 1.0, "ocr_confidence": 90},
        {"line": 0, "col": 10, "restored": "giới", "confidence": 0.88, "ocr_confidence": 87},
        {"line": 0, "col": 15, "restored": "2024", "confidence": 1.0, "ocr_confidence": 96},
        {"line": 0, "col": 0, "restored": "V/v", "confidence": 1.0, "ocr_confidence": 80},
        {"line": 1, "col": 6, "restored": "giới", "confidence": 0.88, "ocr_confidence": 87},
        {"line": 1, "col": 11, "restored": "26", "confidence": 1.0, "ocr_confidence": 77},
    ]
    found = word_doubts(tokens, raw, words)
    assert [d.word for d in found[0]] == ["giới"] and "under the stamp" in found[0][0].reason
    assert [d.word for d in found[1]] == ["26"]


def test_a_symbol_that_names_no_part_of_the_issuer_is_flagged() -> None:
    """The symbol's issuer part is the issuer's initials ("SGDĐT") or a listed abbreviation of a word of
    its name ("TTg": Thủ tướng); a công văn's symbol begins with it ("SYT-TCCB")."""
    assert "names no part of the issuer" in _record(symbol="PQRT").uncertain["doc_symbol"]
    assert symbol_doubt("KH", "SỞ GIÁO DỤC VÀ ĐÀO TẠO") == "symbol 'KH' has no issuer's part"
    assert issuer_initials("SỞ GIÁO DỤC VÀ ĐÀO TẠO") == "SGDĐT"
    for symbol, issuer in (
        ("SYT-TCCB", "SỞ Y TẾ"),
        ("QĐ-TTg", "THỦ TƯỚNG CHÍNH PHỦ"),
        ("KH-UBND", "ỦY BAN NHÂN DÂN HUYỆN ĐỨC TRỌNG"),
        ("KH-SNN", "SỞ NÔNG NGHIỆP VÀ PHÁT TRIỂN NÔNG THÔN"),
        ("2020/NĐ-CP", "CHÍNH PHỦ"),
    ):
        assert symbol_doubt(symbol, issuer) is None, symbol


def test_a_symbol_one_letter_off_the_issuers_abbreviation_is_written_back_and_flagged() -> None:
    """ "87/KH SGDET" (the dash read as a space, Đ as E) under "SỞ GIÁO DỤC VÀ ĐÀO TẠO": the listed
    abbreviation SGDĐT is one letter away, so the symbol is KH-SGDĐT, flagged with what was read; a part
    far from any abbreviation of the issuer stays as read, flagged."""
    record = _record(symbol="SGDET")
    assert record.fields["doc_symbol"] == "KH-SGDĐT"
    assert "taken as 'KH-SGDĐT'" in record.uncertain["doc_symbol"]
    text = HEADER.format(symbol="SGDĐT", title=TITLE).replace("412/KH-SGDĐT", "412/KH SGDET")
    record = extract_record(text, terms=False)
    assert record.fields["doc_symbol"] == "KH-SGDĐT" and record.fields["issuer"] == "SỞ GIÁO DỤC VÀ ĐÀO TẠO"
    assert "a space for its dash" in record.uncertain["doc_symbol"]
    assert repair_symbol("KH-UBNO", "ỦY BAN NHÂN DÂN HUYỆN ĐỨC TRỌNG")[0] == "KH-UBND"
    assert repair_symbol("KH-XYZ", "SỞ Y TẾ") == ("KH-XYZ", None)
    assert repair_symbol("SYT-TCCB", "SỞ Y TẾ") == ("SYT-TCCB", None)


def test_a_typewriters_slashed_zero_is_a_zero_and_a_longer_number_is_no_year() -> None:
    text = HEADER.format(symbol="SGDĐT", title=TITLE)
    record = extract_record(text.replace("ngày 05 tháng 9 năm 2023", "ngày ø5 tháng 9 năm 2ø23"), terms=False)
    assert record.fields["issue_date"] == "2023-09-05" and "issue_date" not in record.uncertain
    record = extract_record(text.replace("năm 2023", "năm 20623"), terms=False)
    assert record.fields["issue_date"] is None
    assert record.uncertain["issue_date"] == "not found in the header"


@pytest.mark.parametrize("mark", ['"', "-", "„"])
def test_a_mark_glued_to_the_place_is_left_out_of_it(mark) -> None:
    text = HEADER.format(symbol="SGDĐT", title=TITLE).replace("An Giang, ngày", f"{mark}An Giang, ngày")
    record = extract_record(text, terms=False)
    assert (record.fields["place"], record.fields["issue_date"]) == ("An Giang", "2023-09-05")
    assert record.uncertain == {}


def test_a_damaged_body_name_flags_the_issuer_and_the_parent_it_may_hold() -> None:
    assert name_damage("UBND TỈNH.QUẢNG TRỊ") == ["'TỈNH.QUẢNG'"]
    assert name_damage("SỞ Y TẾ Y TẾ") == ["'Y TẾ' twice"]
    assert name_damage("ỦY BAN NHÂN DÂN. - HUYỆN ĐỨC TRỌNG") == ["'DÂN.'"]
    for name in (
        "UBND TP. HỒ CHÍ MINH",
        "SỞ LAO ĐỘNG - THƯƠNG BINH VÀ XÃ HỘI",
        "UBND TỈNH BÀ RỊA - VŨNG TÀU",
    ):
        assert name_damage(name) == [], name
    text = HEADER.format(symbol="SGDĐT", title=TITLE).replace(
        "UBND TỈNH AN GIANG\nSỞ GIÁO DỤC VÀ ĐÀO TẠO", "UBNDTỈNH AN GIANG - - SỞ GIÁO:-DỤC VÀ ĐÀO TẠO"
    )
    record = extract_record(text, terms=False)
    assert "issuer" in record.uncertain and "may hold it" in record.uncertain["issuer_parent"]


def test_a_dash_where_the_title_wraps_and_a_semicolon_flag_it_but_a_range_of_years_does_not() -> None:
    wrapped = "Phát động phong trào “Nói không với -\nrác thải nhựa” giai đoạn 2021 -\n2025"
    assert "a dash where a line of it wraps" in _record(title=wrapped).uncertain["title"]
    years = "Phát động phong trào “Nói không với rác thải nhựa” giai đoạn 2021 -\n2025"
    assert _record(title=years).uncertain == {}
    record = _record(title=TITLE.replace("Đổi mới,", "Đổi mới;"))
    assert "marks a title does not hold" in record.uncertain["title"]


def test_a_header_field_that_was_not_found_says_so_and_a_title_year_that_is_none_too() -> None:
    text = HEADER.format(symbol="SGDĐT", title=TITLE).replace("Số: 412/KH-SGDĐT\n", "")
    record = extract_record(text, terms=False)
    assert record.fields["doc_number"] is None
    assert record.uncertain["doc_number"] == record.uncertain["doc_symbol"] == "not found in the header"
    record = _record(title=TITLE.replace("2023 - 2024", "2188 - 2024"))
    assert "'2188' is no year" in record.uncertain["title"]
    # a text without a header at all has nothing to flag
    assert extract_record("Một đoạn văn bản không có phần đầu.", terms=False).uncertain == {}


# --- real Tesseract on generated archive pages: right or flagged

# grey 200-dpi scans with the received stamp pressed over the title (seeds where the stamp reaches it),
# typewritten and printed
ARCHIVE_PAGES = {
    "typed": (Conditions(dpi=200, grey=True, stamp=True, typewriter=True), 1),
    "printed": (Conditions(dpi=200, grey=True, stamp=True), 3),
}
HEADER_FIELDS = ("issuer_parent", "issuer", "doc_number", "doc_symbol", "place", "issue_date", "title")


@pytest.fixture(scope="module", params=sorted(ARCHIVE_PAGES))
def stamped_read(request, short_plan, tmp_path_factory):
    conditions, seed = ARCHIVE_PAGES[request.param]
    doc = make_document(short_plan, conditions, seed=seed)
    dpi = doc.meta["conditions"]["dpi"]
    path = tmp_path_factory.mktemp(f"doubts_{request.param}") / "page.png"
    doc.pages[0].save(path, dpi=(dpi, dpi))
    source = ingest.inspect(path)
    options = ProcessOptions()
    page = process_page(source, 0, options)
    result = finish_document(source, [page.text_only()], options)
    truth = unicodedata.normalize("NFC", truth_pages(short_plan)[0])
    return page, result, extract_record(truth, terms=False).fields


def test_every_header_field_is_right_or_flagged(stamped_read) -> None:
    _, result, truth = stamped_read
    record = result.record
    for name in HEADER_FIELDS:
        if truth[name] in (None, ""):
            continue
        got = record["fields"][name]
        assert got == truth[name] or name in record["uncertain_fields"], (name, got, truth[name])
    assert all(isinstance(why, str) and why for why in record["uncertain_fields"].values())


def test_the_words_under_the_stamp_say_so_and_only_those(stamped_read) -> None:
    page, _, _ = stamped_read
    (stamp,) = [a["box"] for a in page.annotations if a["kind"] == "stamp"]
    words = [w for line in page.lines for w in line["words"]]
    under = [w for w in words if w.get("under_stamp")]
    assert under, "the stamp lay over the number line and the title"
    for word in words:
        x0, y0, x1, y1 = word["bbox"]
        meets = x0 < stamp[2] and x1 > stamp[0] and y0 < stamp[3] and y1 > stamp[1]
        assert bool(word.get("under_stamp")) == meets, word


def test_uncertain_fields_reach_the_documents_table_and_a_correction_clears_its_field() -> None:
    from pipeline.outputs.corrections import Correction, apply_to_document
    from pipeline.record import DocumentResult, document_row

    record = _record(symbol="PQRT").to_dict()
    doc = DocumentResult(doc_id="d", source_path="x.png", record=record)
    row = document_row(doc)
    assert row.uncertain_fields and row.uncertain_fields[0].startswith("doc_symbol: symbol 'KH-PQRT'")
    assert document_row(DocumentResult.from_dict(doc.summary())).uncertain_fields == row.uncertain_fields
    fix = Correction(
        document="d", old="KH-PQRT", new="KH-SGDĐT", when="2026-01-01T00:00:00", field="doc_symbol"
    )
    apply_to_document(doc, [fix])
    assert doc.record["fields"]["doc_symbol"] == "KH-SGDĐT"
    assert "doc_symbol" not in doc.record["uncertain_fields"] and document_row(doc).uncertain_fields == []


CLOSING = (
    "V. TỔ CHỨC THỰC HIỆN\nCác đơn vị triển khai Kế hoạch này.\n"
    "Nơi nhận:\n- Ban Thi đua - Khen thưởng tỉnh;\n- Các trường trực thuộc;\n- Lưu: VT, VP.\n"
    "{title}Trần Văn Bình\n"
)


@pytest.mark.parametrize(
    ("title", "flagged"),
    [
        ("KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC\n", set()),  # the block as printed
        ("", {"signer_title"}),  # the title lost under the seal, the name read
        ("⁄4<T1-\n", {"signer_title"}),  # the title read as marks
    ],
)
def test_a_signer_block_read_in_part_is_flagged(title: str, flagged: set[str]) -> None:
    """The seal lies over the signer's title; on a faded or grey copy the title can be lost with it while
    the rest of the page reads well. A name with no title above it is flagged, never passed off as read."""
    text = HEADER.format(symbol="SGDĐT", title=TITLE) + CLOSING.format(title=title)
    record = extract_record(text, terms=False)
    assert record.fields["signer_name"] == "Trần Văn Bình"
    assert {name for name in record.uncertain if name.startswith("signer")} == flagged
    if flagged:
        assert "seal" in record.uncertain["signer_title"]


def test_recipients_with_no_signer_after_them_flag_the_signer() -> None:
    closing = CLOSING.format(title="").replace("Trần Văn Bình\n", "")
    text = HEADER.format(symbol="SGDĐT", title=TITLE) + closing
    record = extract_record(text, terms=False)
    assert record.fields["recipients"] and not record.fields["signer_name"]
    assert {"signer_title", "signer_name"} <= set(record.uncertain)


@pytest.mark.parametrize("opener", ["Nơi nhận:", "Nơi i nhận:", "' Nơi nhận :"])
def test_a_last_page_scanned_on_its_own_is_read_as_a_closing_block(opener: str) -> None:
    """An archive scans the last page as a file of its own: it holds only the recipients and the signer.
    Its "Nơi nhận:" is no title, even with a speck read as a letter in it (a copy of a copy), the
    recipients are read, and a title lost under the seal is flagged."""
    closing = CLOSING.format(title="")
    closing = closing[closing.index("Nơi nhận") :].replace("Nơi nhận:", opener, 1)
    record = extract_record(closing, terms=False)
    assert record.fields["title"] is None
    assert "Ban Thi đua - Khen thưởng tỉnh" in record.fields["recipients"]
    assert record.fields["signer_name"] == "Trần Văn Bình"
    assert "signer_title" in record.uncertain
