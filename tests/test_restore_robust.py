"""restore_text must never crash and must keep the line structure, whatever it is given."""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.restore import restore_text, vietnamese_share


def _check(text: str) -> None:
    res = restore_text(text)
    assert len(res.text.split("\n")) == len(text.split("\n"))
    lines = text.split("\n")
    for t in res.tokens:
        assert 0.0 <= t.confidence <= 1.0
        assert 0 <= t.line < len(lines)
        assert lines[t.line][t.col : t.col + len(t.original)] == t.original
    assert 0.0 <= vietnamese_share(text) <= 1.0


def test_empty_and_whitespace_only():
    for text in ("", "\n", "\n\n\n", "   ", "\t\r\n \r", "\r\n"):
        res = restore_text(text)
        assert res.text == text
        assert res.tokens == []


def test_binary_junk():
    rng = random.Random(7)
    junk = bytes(rng.randrange(256) for _ in range(50_000)).decode("latin-1")
    _check(junk)
    _check(junk.replace("\n", ""))


def test_mixed_scripts_and_odd_code_points():
    text = (
        "Kế hoạch 計劃 план خطة 🙂 thuc hien\u200b phong\u00a0trao\n"
        "e\u0301 \u0301 \ufeffUBND \x00 ﬁ \ud800 ＡＢＣ ｄｕｎｇ Ⅻ ① ²³ ǅ\n"
        "ΑΒΓ déjà vu, naïve café — straße İstanbul"
    )
    _check(text)


def test_one_megabyte_single_line():
    rng = random.Random(3)
    vocab = ["thuc", "hien", "ke", "hoach", "2024", "c6", "ngudi", "UBND", "12/QD-UBND", "—", "x" * 60]
    parts = []
    size = 0
    while size < 1_000_000:
        word = (
            rng.choice(vocab) if rng.random() < 0.3 else "".join(rng.choice("abcxyz#$%") for _ in range(80))
        )
        parts.append(word)
        size += len(word) + 1
    _check(" ".join(parts))


def test_very_long_token_and_many_short_lines():
    _check("a" * 200_000)
    _check("\n".join(["thi dua"] * 3000))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_arbitrary_text(text):
    _check(text)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.sampled_from(["thuc", "hién", "c6", "1a", "I1.", "&", "¢)", "\n", ",", "QD-UBND", "2.", "Đ"]),
        max_size=60,
    )
)
def test_arbitrary_garble_sequences(parts):
    _check(" ".join(parts))
