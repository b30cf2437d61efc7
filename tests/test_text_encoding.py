"""Text dumps in the encodings Vietnamese offices used: detected from their bytes and read as NFC Unicode.

The legacy files are made from Unicode text by the encoders of ``tests.legacy_text``.
"""

from __future__ import annotations

import codecs

import pytest

from pipeline.errors import TextEncodingError
from pipeline.scan import text_encoding
from tests.cli import sohoa
from tests.legacy_text import random_bytes, to_cp1258, to_tcvn3, to_vni

# Capitals with tone marks do not exist in TCVN3 (they were a second font), so the text has none.
TEXT = (
    "Kế hoạch tổ chức phong trào thi đua yêu nước năm 2024\n"
    "Căn cứ Luật Thi đua, khen thưởng ngày 15 tháng 6 năm 2022;\n"
    "Để động viên cán bộ, công chức, viên chức và người lao động hăng hái thi đua hoàn thành tốt nhiệm vụ "
    "được giao, ủy ban nhân dân tỉnh ban hành kế hoạch như sau:\n"
    "1. Phát huy truyền thống yêu nước, tinh thần đoàn kết, sáng tạo của các tầng lớp nhân dân.\n"
    "Đơn vị: Sở Giáo dục và Đào tạo; ông Nguyễn Văn Ân, Ơn, Ưng, quỹ khuyến học, kỷ luật, nghỉ phép.\n"
)
ENCODED = {
    "utf-8": TEXT.encode(),
    "utf-8-sig": codecs.BOM_UTF8 + TEXT.encode(),
    "utf-16": codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"),
    "utf-16-le": TEXT.encode("utf-16-le"),
    "utf-16-be": TEXT.encode("utf-16-be"),
    "windows-1258": to_cp1258(TEXT),
    "tcvn3": to_tcvn3(TEXT),
    "vni": to_vni(TEXT),
}


@pytest.mark.parametrize("encoding", list(ENCODED))
def test_each_encoding_is_detected_and_read_as_nfc(encoding: str) -> None:
    decoded = text_encoding.decode_text(ENCODED[encoding])
    assert decoded.encoding == encoding
    assert decoded.text == TEXT


def test_the_legacy_files_are_what_they_claim() -> None:
    assert not ENCODED["windows-1258"].isascii()
    for tone_byte in (b"\xcc", b"\xec", b"\xd2", b"\xde", b"\xf2"):  # huyền sắc hỏi ngã nặng as bytes
        assert tone_byte in ENCODED["windows-1258"]
    assert ENCODED["tcvn3"].startswith(b"K\xd5 ho\xb9ch")
    assert ENCODED["vni"].startswith("Keá hoaïch".encode("cp1252"))
    for encoding in ("windows-1258", "tcvn3", "vni"):
        with pytest.raises(UnicodeDecodeError):
            ENCODED[encoding].decode("utf-8")


def test_long_legacy_files_are_scored_on_a_sample() -> None:
    data = to_vni(TEXT * 2000)
    assert len(data) > 4 * 64 * 1024
    decoded = text_encoding.decode_text(data)
    assert (decoded.encoding, decoded.text) == ("vni", TEXT * 2000)


@pytest.mark.parametrize("seed", range(5))
def test_noise_is_refused_with_one_line(seed: int) -> None:
    with pytest.raises(TextEncodingError) as err:
        text_encoding.decode_text(random_bytes(seed))
    message = str(err.value)
    assert "encoding not recognised" in message and "save it as UTF-8" in message
    assert "\n" not in message and "\ufffd" not in message


def test_8bit_text_that_is_not_vietnamese_is_refused() -> None:
    french = "Le conseil municipal a décidé de créer une école élémentaire près de la forêt.\n" * 5
    with pytest.raises(TextEncodingError):
        text_encoding.decode_text(french.encode("cp1252"))


def test_restore_reads_every_encoding(tmp_path) -> None:
    expected = None
    for encoding in ("utf-8", "windows-1258", "tcvn3", "vni", "utf-16-le"):
        path = tmp_path / f"{encoding}.txt"
        path.write_bytes(ENCODED[encoding])
        result = sohoa("restore", path)
        assert result.returncode == 0, result.stderr
        assert "\ufffd" not in result.stdout
        expected = expected or result.stdout
        assert result.stdout == expected, encoding
    assert "Kế hoạch tổ chức phong trào thi đua" in expected


def test_restore_refuses_an_unknown_encoding_in_one_line(tmp_path) -> None:
    path = tmp_path / "noise.txt"
    path.write_bytes(random_bytes())
    result = sohoa("restore", path)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().split("\n")
    assert len(lines) == 1 and lines[0].startswith("sohoa restore: ") and "not recognised" in lines[0]


def test_run_reads_legacy_dumps_and_records_their_encoding(tmp_path) -> None:
    from pipeline.outputs import export
    from pipeline.results import load_results

    inputs = tmp_path / "in"
    inputs.mkdir()
    for encoding in ("windows-1258", "tcvn3", "vni", "utf-16-le", "utf-8"):
        (inputs / f"{encoding}.txt").write_bytes(ENCODED[encoding])
    (inputs / "noise.txt").write_bytes(random_bytes())
    out = tmp_path / "out"
    result = sohoa("run", inputs, "-o", out, "--workers", "1", "--quiet", "--no-structure")
    assert result.returncode == 1, result.stderr  # the noise fails, every encoded text is read
    docs = load_results(out).documents
    docs.index = [path.rsplit("/", 1)[-1] for path in docs.source_path]
    noise = docs.loc["noise.txt"]
    assert noise.status == "error" and "encoding not recognised" in noise.error
    for encoding in ("windows-1258", "tcvn3", "vni", "utf-16-le", "utf-8"):
        row = docs.loc[f"{encoding}.txt"]
        assert (row.status, row.encoding) == ("ok", encoding)
        doc = export.read_document(out, row.doc_id)
        assert doc["encoding"] == encoding
        assert doc["raw_text"] == TEXT.rstrip("\n")
