"""Tests for the OCR-confusion builder, the corpus split and the synthetic OCR renderer.

All sentences here are written for the tests, in the style of provincial emulation plans.
"""

from __future__ import annotations

import gzip
import random
import sys
from collections import Counter, defaultdict
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"
sys.path.insert(0, str(SCRIPTS))

import build_confusions as bc  # noqa: E402
import synth_ocr_pairs as synth  # noqa: E402

from devtools import corpus_split  # noqa: E402

SHIPPED = Path(__file__).resolve().parent.parent / "dictionaries" / "ocr_confusions.tsv"


def test_char_alignment_puts_each_clean_character_in_one_emission():
    emissions = bc.align_chars("trường", "truong")
    assert [c for c, _ in emissions] == list("trường")
    assert dict(emissions)["ư"] == "u"
    assert dict(emissions)["ờ"] == "o"
    # a letter read as two characters: the extra one stays with the misread letter
    assert bc.align_chars("cực", "cuvc") == [("c", "c"), ("ự", "uv"), ("c", "c")]
    # a mark read as a digit
    assert bc.align_chars("tổ", "t6") == [("t", "t"), ("ổ", "6")]
    # a deleted letter emits nothing
    assert bc.align_chars("nghiêng", "nghieg")[-2] == ("n", "")


def test_counts_from_hand_written_pairs():
    counts = bc.ConfusionCounts()
    counts.add_line(
        "eng", "Ủy ban nhân dân xã tổ chức hội nghị sơ kết.", "Uy ban nhan dan x4 t6 chirc h6i nghi so két."
    )
    counts.add_line(
        "eng", "Các tổ chức đoàn thể tham gia tích cực.", "Cac t6 chitc doan thé tham gia tich cuc."
    )
    c = counts.counts
    assert c[("meta", "eng", "pairs", "")] == 2
    assert c[("meta", "eng", "tokens", "")] == 20
    assert c[("meta", "eng", "tokens_aligned", "")] == 20
    assert c[("syl", "eng", "tổ", "t6")] == 2
    assert c[("syl", "eng", "chức", "chirc")] == 1
    assert c[("syl", "eng", "chức", "chitc")] == 1
    assert c[("syl", "eng", "kết", "két")] == 1  # trailing full stop stripped from both sides
    assert c[("syl", "eng", "ủy", "uy")] == 1  # lowercased
    assert c[("chr", "eng", "ổ", "6")] == 2  # tổ twice
    assert c[("chr", "eng", "ộ", "6")] == 1  # hội
    assert c[("chr", "eng", "ứ", "ir")] == 1
    # identity counts are kept so that rows normalise to probabilities
    assert c[("chr", "eng", "n", "n")] >= 6
    per_char = defaultdict(int)
    for (kind, _, clean, _), n in c.items():
        if kind == "chr":
            per_char[clean] += n
    assert per_char["ổ"] == 2
    assert c[("chr2", "eng", "ức", "irc")] == 1


def test_lone_substitution_between_anchors_is_kept_but_not_in_a_wrecked_line():
    ops = bc.align_tokens(["việc", "này", "là", "nòng", "cốt"], ["viéc", "nay", "12", "nong", "cot"])
    pairs = {(op.clean, op.garbled): op.accepted for op in ops}
    assert pairs[(("là",), ("12",))] is True
    ops = bc.align_tokens(["việc", "này", "là", "nòng", "cốt"], ["xx", "yy", "12", "zz", "ww"])
    assert not any(op.accepted for op in ops)


def test_split_and_merge_are_counted_apart_from_syllables():
    counts = bc.ConfusionCounts()
    counts.add_line("eng", "phụ trách trực tiếp", "phu tr ach truc tiép")
    counts.add_line("eng", "báo cáo kết quả", "bao caoket qua")
    c = counts.counts
    assert c[("split", "eng", "trách", "tr ach")] == 1
    assert c[("merge", "eng", "cáo kết", "caoket")] == 1
    assert not any(k[0] == "syl" and k[2] == "trách" for k in c)
    assert c[("meta", "eng", "tokens_split_merge", "")] == 3


def test_uppercase_tokens_go_to_their_own_partition():
    counts = bc.ConfusionCounts()
    counts.add_line("eng", "PHONG TRÀO THI ĐUA yêu nước", "PHONG TRAO THI PUA yéu nudc")
    c = counts.counts
    assert c[("syl", "eng_upper", "đua", "pua")] == 1
    assert c[("syl", "eng", "yêu", "yéu")] == 1
    assert not any(k[1] == "eng" and k[2] == "đua" for k in c)


def test_table_round_trip(tmp_path):
    counts = bc.ConfusionCounts()
    for _ in range(2):
        counts.add_line("vie", "Ban chỉ đạo họp định kỳ", "Ban chi đạo họp định kỳ")
    counts.add_line("vie", "một lần duy nhất", "một lân duy nhất")
    path = tmp_path / "t.tsv"
    bc.write_table(counts.pruned_rows(min_count=2), path)
    rows = list(bc.read_table(path))
    assert ("syl", "vie", "chỉ", "chi", 2) in rows
    assert not any(r[0] == "syl" and r[2] == "lần" for r in rows)  # seen once: pruned
    assert ("chr", "vie", "ầ", "â", 1) in rows  # chr rows are never pruned


def test_tone_placement_follows_traditional_style():
    norm = corpus_split.normalize_clean_text
    assert norm("hoà giải, khoẻ mạnh, thuỷ lợi") == "hòa giải, khỏe mạnh, thủy lợi"
    assert norm("HOÁ CHẤT") == "HÓA CHẤT"
    # closed syllables, qu-/gi- initials and other nuclei are the same in both styles
    assert norm("hoàng quý quỳnh già hoài thuở") == "hoàng quý quỳnh già hoài thuở"


def test_held_out_slice_is_the_last_fifth_by_line_index(tmp_path):
    lines = [f"dòng số {k} của bản tin" for k in range(10)]
    with gzip.open(tmp_path / "news_dantri.txt.gz", "wt", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    assert corpus_split.HELD_OUT["news_dantri"] == (0.8, 1.0)
    held = list(corpus_split.iter_corpus_lines("news_dantri", "heldout", tmp_path))
    train = list(corpus_split.iter_corpus_lines("news_dantri", "train", tmp_path))
    assert held == lines[8:]
    assert train == lines[:8]
    with pytest.raises(ValueError):
        list(corpus_split.iter_corpus_lines("news_dantri", "test", tmp_path))


def test_rendered_page_ocr_keeps_one_output_row_per_source_row(tmp_path):
    """Real Tesseract: the English model drops marks, and every row maps back to its source line."""
    text = [
        "Ủy ban nhân dân tỉnh phát động phong trào thi đua yêu nước trong toàn tỉnh năm nay.",
        "Các sở, ban, ngành xây dựng kế hoạch cụ thể và báo cáo kết quả thực hiện hằng quý.",
        "KẾ HOẠCH TỔ CHỨC",
        "Khen thưởng kịp thời những tập thể, cá nhân có thành tích xuất sắc trong phong trào.",
    ]
    rng = random.Random(3)
    layout, _ = synth.layout_page((("own", t) for t in text * 3), rng, max_rows=8)
    damage = synth.Degradation.sample(rng, heavy=False, dpi=300)
    rows = synth.ocr_page(layout, 300, damage, "eng", rng, tmp_path)
    assert len(rows) == len(layout.rows) == 8
    counts = bc.ConfusionCounts()
    for row, ocr in zip(layout.rows, rows, strict=True):
        counts.add_line("eng", row.text, ocr)
    c = counts.counts
    assert c[("meta", "eng", "tokens_aligned", "")] >= 0.8 * c[("meta", "eng", "tokens", "")]
    marked_kept = sum(
        n for (k, _, cl, g), n in c.items() if k == "chr" and cl == g and cl in "ạảấầậểếệỉịọỏốồộớờởợụủứừửự"
    )
    marked_lost = sum(
        n for (k, _, cl, g), n in c.items() if k == "chr" and cl != g and cl in "ạảấầậểếệỉịọỏốồộớờởợụủứừửự"
    )
    assert marked_lost > marked_kept  # the English model cannot read Vietnamese marks


def test_shipped_table_parses_and_has_the_legacy_confusions():
    rows = list(bc.read_table(SHIPPED))
    kinds = Counter(r[0] for r in rows)
    assert kinds["syl"] > 1000 and kinds["chr"] > 200
    meta = {(r[1], r[2]): r[4] for r in rows if r[0] == "meta"}
    assert meta[("eng", "pairs")] >= 1000 and meta[("vie", "pairs")] >= 100
    chr_eng = defaultdict(Counter)
    for kind, source, clean, garbled, count in rows:
        assert count > 0
        if kind == "chr" and source == "eng":
            chr_eng[clean][garbled] += count
    # digit-for-mark confusions of the English model: ổ/ộ/ố read as 6
    assert any(chr_eng[ch]["6"] >= 10 for ch in "ổộố")
    # the English model rarely keeps a hook-above or dot-below vowel
    for ch in "ảạọụ":
        total = sum(chr_eng[ch].values())
        assert total >= 20
        assert chr_eng[ch][ch] / total < 0.5
    syl_eng = Counter({r[3]: r[4] for r in rows if r[0] == "syl" and r[1] == "eng" and r[2] == "có"})
    assert syl_eng["c6"] > 0 and syl_eng["co"] > 0
