"""Bytes of a text dump -> Unicode (NFC) text and the name of the encoding it was in.

Vietnamese offices typed for decades in 8-bit encodings, and their text dumps are still in them:
Windows-1258 (code page 1258: base letters and separate combining tone-mark bytes), TCVN3/ABC (one byte
per letter, for the ``.Vn`` fonts) and VNI-Windows (a letter followed by a mark byte, for the ``VNI-`` fonts).
Nothing in such a file says which one it is, and every byte string "decodes" in all of them, so the
encoding is found by reading the text: each candidate decoding is scored by the share of its words that are
well-formed Vietnamese syllables, and the best one is kept if it clearly reads as Vietnamese.

Order of the checks: a byte-order mark; strict UTF-8 (8-bit Vietnamese is never valid UTF-8 in practice);
UTF-16 without a byte-order mark, told by its zero bytes (the high byte of every ASCII character);
then the 8-bit encodings by score. What fits none of them is a :class:`TextEncodingError` with a one-line
reason: never text with replacement characters.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from pipeline.errors import TextEncodingError

UTF8 = "utf-8"
UTF8_BOM = "utf-8-sig"
UTF16_BOM = "utf-16"
UTF16_LE = "utf-16-le"
UTF16_BE = "utf-16-be"
WINDOWS_1258 = "windows-1258"
TCVN3 = "tcvn3"
VNI = "vni"
LEGACY_ENCODINGS = (WINDOWS_1258, TCVN3, VNI)  # in order of preference when two read equally well
ENCODINGS = (UTF8, UTF8_BOM, UTF16_BOM, UTF16_LE, UTF16_BE, *LEGACY_ENCODINGS)
_NAMES = {WINDOWS_1258: "Windows-1258", TCVN3: "TCVN3 (ABC)", VNI: "VNI"}

# An 8-bit decoding is accepted when at least this share of its words are Vietnamese syllables, overall
# and among the words with non-ASCII letters (the ones the encodings disagree on).
MIN_SYLLABLE_SHARE = 0.5
# Bytes scored per candidate: enough words to decide, and a 1 GB dump costs no more than a letter.
_SAMPLE_BYTES = 64 * 1024
# UTF-16 without a BOM: a zero byte in at least this share of the high-byte positions, almost none in the
# low-byte positions (Vietnamese letters are U+00xx, U+01xx or U+1Exx; spaces, digits and Latin letters are
# U+00xx, so most high bytes are zero).
_UTF16_MIN_ZERO_SHARE = 0.3
_UTF16_MAX_OTHER_ZERO_SHARE = 0.02
_WORD = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True)
class DecodedText:
    """A text dump's text (NFC for the 8-bit encodings) and the encoding it was read in."""

    text: str
    encoding: str


def decode_text(data: bytes) -> DecodedText:
    """Detect the encoding of ``data`` and decode it, or raise TextEncodingError saying why it cannot be."""
    encoding = detect_encoding(data)
    return DecodedText(decode_as(data, encoding), encoding)


def detect_encoding(data: bytes) -> str:
    """The name (one of :data:`ENCODINGS`) of the encoding ``data`` is in; TextEncodingError if none fits."""
    if data.startswith(codecs.BOM_UTF8):
        return UTF8_BOM
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return UTF16_BOM
    try:
        data.decode(UTF8)
        return UTF8
    except UnicodeDecodeError as exc:
        utf8_error = exc
    utf16 = utf16_without_bom(data)
    if utf16 is not None:
        return utf16
    return _legacy_encoding(data, utf8_error)


def decode_as(data: bytes, encoding: str) -> str:
    """``data`` decoded in a known encoding (a name from :data:`ENCODINGS`); TextEncodingError if it fails."""
    try:
        if encoding == WINDOWS_1258:
            # Tone marks are separate combining bytes after the letter: compose them ("e" + U+0323 = "ẹ").
            return unicodedata.normalize("NFC", data.decode("cp1258"))
        if encoding == TCVN3:
            return unicodedata.normalize("NFC", codecs.charmap_decode(data, "strict", _tcvn3_table())[0])
        if encoding == VNI:
            from pipeline.restore.legacy_encodings import vni_to_unicode

            text = codecs.charmap_decode(data, "strict", _FONT_BYTES)[0]
            return unicodedata.normalize("NFC", vni_to_unicode(text))
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise TextEncodingError(
            f"text is not valid {_NAMES.get(encoding, encoding.upper())} "
            f"(byte 0x{data[exc.start]:02X} at offset {exc.start})"
        ) from exc


def utf16_without_bom(data: bytes) -> str | None:
    """``utf-16-le`` or ``utf-16-be`` when the zero bytes of ``data`` fall like UTF-16 text's, else None."""
    head = data[:_SAMPLE_BYTES]
    head = head[: len(head) - len(head) % 2]
    if len(head) < 4:
        return None
    even, odd = head[0::2].count(0) / (len(head) // 2), head[1::2].count(0) / (len(head) // 2)
    if odd >= _UTF16_MIN_ZERO_SHARE and even <= _UTF16_MAX_OTHER_ZERO_SHARE:
        encoding = UTF16_LE
    elif even >= _UTF16_MIN_ZERO_SHARE and odd <= _UTF16_MAX_OTHER_ZERO_SHARE:
        encoding = UTF16_BE
    else:
        return None
    try:
        data[: len(data) - len(data) % 2].decode(encoding)
    except UnicodeDecodeError:
        return None
    return encoding if len(data) % 2 == 0 else None


def _legacy_encoding(data: bytes, utf8_error: UnicodeDecodeError) -> str:
    sample = _sample(data)
    scores: dict[str, tuple[float, float]] = {}
    for encoding in LEGACY_ENCODINGS:
        try:
            scores[encoding] = syllable_scores(decode_as(sample, encoding))
        except TextEncodingError:
            continue  # a byte this code page does not define
    # Words with non-ASCII letters decide between the encodings; the overall share breaks ties.
    best = max(scores, key=lambda e: (scores[e][1], scores[e][0]), default=None)
    if best is not None and min(scores[best]) >= MIN_SYLLABLE_SHARE:
        return best
    where = f"byte 0x{data[utf8_error.start]:02X} at offset {utf8_error.start}"
    raise TextEncodingError(
        f"text encoding not recognised: not UTF-8 ({where}) or UTF-16, and not Vietnamese in "
        "Windows-1258, TCVN3 (ABC) or VNI; save it as UTF-8"
    )


def syllable_scores(text: str) -> tuple[float, float]:
    """How well ``text`` reads as Vietnamese: (share of its visible characters that belong to a Vietnamese
    syllable, share of its words with non-ASCII letters that are Vietnamese syllables).

    The first is low for noise (symbols, one-letter "words"), the second tells the 8-bit encodings apart.
    """
    from pipeline.restore.syllables import is_valid_syllable

    text = text.lower()
    words = _WORD.findall(text)
    visible = sum(1 for c in text if not c.isspace())
    if not words or not visible:
        return 0.0, 0.0
    valid = [is_valid_syllable(w) for w in words]
    marked = [ok for w, ok in zip(words, valid, strict=True) if not w.isascii()]
    overall = sum(len(w) for w, ok in zip(words, valid, strict=True) if ok) / visible
    return overall, (sum(marked) / len(marked) if marked else overall)


def _sample(data: bytes) -> bytes:
    """The first bytes of ``data``, cut after a line break or space so no letter+mark pair is split."""
    if len(data) <= _SAMPLE_BYTES:
        return data
    head = data[:_SAMPLE_BYTES]
    cut = max(head.rfind(b"\n"), head.rfind(b" "))
    return head[: cut + 1] if cut > 0 else head


# TCVN3 and VNI are font encodings: the bytes are those of Windows-1252 text, shown in a Vietnamese font.
# Bytes 0x80-0x9F that Windows-1252 leaves undefined are kept as the Latin-1 characters.
_FONT_BYTES = "".join(bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in range(256))


@lru_cache(maxsize=1)
def _tcvn3_table() -> str:
    """Byte -> character of TCVN3: one letter per byte, so one decoding table."""
    from pipeline.restore.legacy_encodings import tcvn3_to_unicode

    return tcvn3_to_unicode(_FONT_BYTES)
