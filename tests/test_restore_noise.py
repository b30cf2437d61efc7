"""OCR noise on damaged pages: seal and speck scrawl read as letters is taken out of the restored text and
sent to review, never passed off as text; text, codes and known words are never taken for it. The texts
are written for these tests (an invented plan, read as an English OCR model reads Vietnamese)."""

from __future__ import annotations

from pipeline.restore import restore_text

# The closing part of a plan as an English-model OCR reads it, with the seal's scrawl between the title and
# the name.
GARBLED_CLOSING = """2. Trong qua trinh thuc hién, néu cé khé khan, vudng mac, cac don vi phan
4nh vé S@ Giao thong Van tai dé xem xét, gidi quyét./.
Noi nhan:
- Ban Thi dua - Khen thuéng tinh;
- Lanh dao Sd;
- Luu: VT, VP.
KT. GIAM DOC
PHO GIAM DOC
SSIs
* MINA ,> a
mH YS
Nguyén Van Khoa"""

NOISE_LINES = (8, 9, 10)


def test_seal_scrawl_lines_are_taken_out_of_a_garbled_page_and_sent_to_review():
    res = restore_text(GARBLED_CLOSING)
    lines = res.text.split("\n")
    assert len(lines) == len(GARBLED_CLOSING.split("\n"))
    assert [lines[i] for i in NOISE_LINES] == ["", "", ""]
    noise = [t for t in res.tokens if t.line in NOISE_LINES]
    assert {t.original for t in noise} == {"SSIs", "MINA", "a", "mH", "YS"}
    assert all(t.reason == "noise" and t.restored == "" and t.changed and t.confidence <= 0.5 for t in noise)
    # the text around them is restored as usual
    assert lines[11] == "Nguyễn Văn Khoa" and lines[6:8] == ["KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"]
    assert lines[5] == "- Lưu: VT, VP."


CLEAN_BODY = """Các phòng, đơn vị thuộc Sở tổ chức triển khai thực hiện phong trào thi đua sát với tình hình
thực tế, gắn với thực hiện nhiệm vụ trọng tâm của phòng, đơn vị; kịp thời phát hiện, bồi dưỡng và nhân
rộng các điển hình tiên tiến, những cách làm hay, sáng tạo trong quá trình thực hiện nhiệm vụ.
Văn phòng Sở là cơ quan thường trực, có trách nhiệm theo dõi, đôn đốc, tổng hợp kết quả và tham mưu
sơ kết, tổng kết phong trào; định kỳ báo cáo Giám đốc Sở và Ban Thi đua - Khen thưởng tỉnh theo quy định.
Trong quá trình thực hiện, nếu có khó khăn, vướng mắc, các đơn vị phản ánh về Văn phòng Sở để tổng hợp,
báo cáo Giám đốc Sở xem xét, giải quyết./.
KT. GIÁM ĐỐC
PHÓ GIÁM ĐỐC"""


def test_the_same_lines_on_a_clean_page_are_left_as_printed():
    clean = CLEAN_BODY + "\nSSIs\n* MINA ,> a\nNguyễn Văn Khoa"
    res = restore_text(clean)
    assert res.text == clean
    assert "noise" not in {t.reason for t in res.tokens}


def test_known_words_codes_and_list_letters_are_no_noise():
    # short lines of the body's end (the signer block between its title and the name is the seal's place,
    # where a lone "a)" or "2" is a speck: test_restore_signer_block.py)
    kept = ["UNICEF", "- VT, VP.", "a)", "KH-SYT", "2", "www.soyte.gov.vn", "<b>dam</b>"]
    text = GARBLED_CLOSING.replace("Noi nhan:", "\n".join(kept) + "\nNoi nhan:")
    res = restore_text(text)
    lines = res.text.split("\n")
    assert lines[2 : 2 + len(kept)] == kept
    assert all(t.reason != "noise" for t in res.tokens if 2 <= t.line < 2 + len(kept))
    # an address or markup kept as written is no junk word either: it stays certain
    assert all(t.confidence == 1.0 for t in res.tokens if t.line in (7, 8) and t.reason == "protected")
    # in the signer block a code or an address is still text
    block = GARBLED_CLOSING.replace("SSIs", "KH-SYT\nwww.soyte.gov.vn")
    assert restore_text(block).text.split("\n")[8:10] == ["KH-SYT", "www.soyte.gov.vn"]


def test_a_junk_word_inside_a_line_of_text_is_kept_but_never_certain():
    text = GARBLED_CLOSING.replace("- Lanh dao Sd;", "- Lanh dao Sd xqzt;")
    res = restore_text(text)
    junk = next(t for t in res.tokens if t.original == "xqzt")
    assert junk.restored == "xqzt" and junk.reason == "kept" and junk.confidence <= 0.5
    assert "- Lãnh đạo Sở xqzt;" in res.text.split("\n")


def test_a_run_of_letters_restored_to_one_letter_is_a_speck_of_the_noise_line():
    res = restore_text(GARBLED_CLOSING.replace("mH YS", "eee ae ee a"))
    assert res.text.split("\n")[10] == ""
    assert {t.original for t in res.tokens if t.reason == "noise"} >= {"eee", "ae", "ee", "a"}


def test_syllables_run_together_are_text_not_scrawl():
    from pipeline.restore.noise import run_together

    assert run_together("yeucau") and run_together("tuphap")  # "YÊU CẦU", "TƯ PHÁP" without spaces
    assert not run_together("eae") and not run_together("ssis") and not run_together("deeeeieee")
    # a heading whose words OCR ran together stays in the text of a garbled page
    text = GARBLED_CLOSING.replace("Noi nhan:", "“ .MuCBICH, YEUCAU = = ee\nNoi nhan:")
    lines = restore_text(text).text.split("\n")
    assert "YEUCAU" in lines[2]
