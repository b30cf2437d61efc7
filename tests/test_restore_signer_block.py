"""The signer block of a garbled page: the deputy's title under "KT." and the seal's scrawl (signer_block.py).

The texts are written for these tests in the English-model garble the legacy OCR shows (``c6`` for "có",
``Sé`` for "Sở"), ending in a signer block whose second title line and the seal came out as letter soup.
"""

from __future__ import annotations

from pipeline.restore import restore_text
from pipeline.restore.signer_block import deputy_title, is_ghost, is_scrawl
from pipeline.review import to_review

BODY = (
    "Cac don vi c6 trach nhiém t6 chirc thuc hién Ké hoach nay, bdo cdo két qua vé S¢ truéc ngay 15\n"
    "hang thang.\n"
    "Trong qua trinh thuc hién, néu c6 khé khan, cdc don vi phan anh vé S¢ dé xem xét, gidi quyét./.\n"
    "Noi nhan:\n"
    "- Lanh dao S¢;\n"
    "- Luu: VT, VP.\n"
)


def test_the_deputy_title_is_the_head_title_with_pho_and_only_under_kt():
    assert deputy_title(["KT.", "giám", "đốc"]) == "PHÓ GIÁM ĐỐC"
    assert deputy_title(["kt", "chủ", "tịch"]) == "PHÓ CHỦ TỊCH"
    assert deputy_title(["TM.", "ủy", "ban", "nhân", "dân"]) is None
    assert deputy_title(["giám", "đốc"]) is None
    # "KT." spoilt by the seal: the line below that ends as the title does is the deputy's
    assert deputy_title(["re", "giám", "đốc"], ["ở", "độc"]) == "PHÓ GIÁM ĐỐC"
    assert deputy_title(["re", "giám", "đốc"], ["x"]) is None


def test_scrawl_is_a_line_without_a_word_of_three_letters_and_a_signed_mark_is_text():
    assert is_scrawl(["q"]) and is_scrawl([]) and is_scrawl(["x", "q", "ấy"])
    assert not is_scrawl(["đã", "ký"])  # "(Đã ký)": the copy says it was signed
    assert not is_scrawl(["nguyễn", "q"])


def test_a_garbled_signer_block_gets_its_deputy_title_and_loses_the_scrawl_for_review():
    text = BODY + "KT. GIAM DOC\noe DOC\nQ\n2\nx ) : q ay\nNguyén Van Khoa"
    res = restore_text(text)
    lines = res.text.split("\n")
    start = BODY.count("\n")
    assert lines[start] == "KT. GIÁM ĐỐC"
    assert lines[start + 1] == "PHÓ GIÁM ĐỐC"
    assert lines[start + 2 : start + 5] == ["", "", ""]
    assert lines[start + 5] == "Nguyễn Văn Khoa"
    deputy = [t for t in res.tokens if t.line == start + 1]
    assert deputy[0].reason == "lexicon" and to_review(None, deputy[0].confidence, deputy[0].reason)
    assert "oe" in deputy[0].alternatives  # what OCR printed stays on record
    scrawl = [t for t in res.tokens if start + 2 <= t.line <= start + 4]
    assert scrawl and all(t.reason == "noise" and to_review(None, t.confidence) for t in scrawl)


def test_without_a_title_line_the_scrawl_between_the_recipients_and_the_name_goes():
    text = BODY + "S a\n+\nc\nHoang Nhat Minh"
    lines = restore_text(text).text.split("\n")
    start = BODY.count("\n")
    assert lines[start : start + 3] == ["", "", ""] and lines[start + 3] == "Hoàng Nhật Minh"
    assert lines[start - 1] == "- Lưu: VT, VP."  # the recipients' list is no part of the block


def test_a_read_deputy_title_and_a_signed_mark_stay_and_a_clean_block_is_untouched():
    text = BODY + "KT. GIAM DOC\nPHO GIAM DOC\n(Da ky)\nNguyén Van Khoa"
    lines = restore_text(text).text.split("\n")
    start = BODY.count("\n")
    assert lines[start + 1 : start + 3] == ["PHÓ GIÁM ĐỐC", "(Đã ký)"]
    clean = "Các đơn vị báo cáo kết quả về Sở.\nKT. GIÁM ĐỐC\nx q\nNguyễn Văn Khoa"
    assert restore_text(clean).text == clean  # a page without garble: nothing is taken out


def test_a_header_line_read_again_through_its_rule_is_noise_and_a_real_line_is_not():
    motto = ["độc", "lập", "tự", "do", "hạnh", "phúc"]
    assert is_ghost("at ep ~ 2 Co - Hanh phuc", ["ất", "ép", "có", "hạnh", "phúc"], motto)
    assert is_ghost(
        "SU VARA EVA, THE THAO VA",
        ["sự", "vara", "và", "thể", "thao", "và"],
        ["sở", "văn", "hóa", "thể", "thao", "và"],
    )
    # two issuers that end alike are no ghost: no letter soup before the shared words
    assert not is_ghost(
        "BAN THI ĐUA TỈNH AN GIANG",
        ["ban", "thi", "đua", "tỉnh", "an", "giang"],
        ["ubnd", "tỉnh", "an", "giang"],
    )
    header = (
        "UBND TINH TAY NINH\nSO NOI VU\nS6: 85/KH-SNV\nCONG HOA XA HOI CHU NGHIA VIET NAM\n"
        "Doc lap - Tw do - Hanh phic\nat ep ~ 2 Co - Hanh phuc\nTay Ninh, ngay 2 thang 4 ndm 2019\nKE HOACH\n"
    )
    res = restore_text(header + BODY + "GIAM DOC\nNguyén Van Khoa")
    lines = res.text.split("\n")
    assert lines[4] == "Độc lập - Tự do - Hạnh phúc" and lines[5] == "" and lines[6].startswith("Tây Ninh")
    assert all(t.reason == "noise" for t in res.tokens if t.line == 5)
