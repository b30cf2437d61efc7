"""The signer block of a garbled page: the deputy's title the seal lay over, and the scrawl around it.

A signer block is the signer's title, the seal and the signature, then the name. When a deputy signs for
the head of the body, the title is two lines, "KT. GIÁM ĐỐC" (ký thay: signing for) and under it
"PHÓ GIÁM ĐỐC" (Decree 30/2020, appendix I): the second line is the one the seal is stamped over. English-
model OCR turns it and the seal and the signature into letter soup ("oe DOC", "Q", "2", "x ) : q ay"),
which restoration would otherwise decode into short words ("ở độc q 2 x"), passed off as text.

On a page that shows OCR garble:

* the line right under a "KT." title line, when it reads as no title and is not the name, is the deputy's
  title whatever OCR made of it ("oe DOC", "(RI c"): it is written as "PHÓ" and the head's title, with
  reason ``lexicon``, its OCR form as the alternative and a confidence that sends it to review;
* the lines between the title and the name made only of specks and letter soup (no word of three letters
  or more that is a Vietnamese syllable) are OCR noise: the engine takes them out of the text as it does
  the noise lines of :mod:`.noise`, their tokens kept in the records with reason ``noise``, for review.
  A line that says the copy was signed ("(Đã ký)", "Ký tên, đóng dấu") is text and stays.

The same holds for the rule under a header line: OCR may read the line a second time through it ("at ep ~
2 Co - Hanh phuc" under the motto), and :func:`is_ghost` tells such a line, which goes with the scrawl.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from pipeline.restore.lexicon import fold
from pipeline.restore.slot import Override, Slot
from pipeline.restore.syllables import is_valid_syllable

# The "ký thay" mark that opens a deputy's title line, folded ("KT." "KT ").
SIGNING_FOR = "kt"
DEPUTY = "PHÓ"
# Confidence of a deputy title written from the convention: a guess from a convention, to review.
DEPUTY_CONFIDENCE = 0.5
# A word this long that is a Vietnamese syllable is text, not a speck of the seal.
MIN_TEXT_LETTERS = 3
# Folded words that say the copy was signed: such a line is text ("(Đã ký)", "Ký tên, đóng dấu").
_SIGNED_WORDS = frozenset({"ky", "dau"})


def deputy_title(title_words: Sequence[str], below: Sequence[str] = ()) -> str | None:
    """The deputy's title under a signer title line (its restored words), else None: under "KT." always;
    under a title whose "KT." OCR spoilt ("RE GIÁM ĐỐC") when the line below ends as the title does
    ("oe DOC": what the seal left of "PHÓ GIÁM ĐỐC"). ``below``: the restored words of the line below."""
    if len(title_words) < 2:
        return None
    folded = [fold(w) for w in title_words]
    head = title_words[1:]
    if folded[0] != SIGNING_FOR:
        ends_alike = bool(below) and len(title_words) >= 3 and fold(below[-1]) == folded[-1]
        if not ends_alike:
            return None
    return " ".join([DEPUTY, *(w.upper() for w in head)])


def write_deputy(slots: Sequence[Slot], title: str) -> None:
    """Spell the deputy title over a line's word tokens, a word a token while there are tokens left, the
    rest of the title on the last one ("oe DOC": "PHÓ" "GIÁM ĐỐC"), extra tokens printing nothing."""
    words = title.split()
    n = len(slots)
    for k, slot in enumerate(slots):
        if k < n - 1:
            text = words[k] if k < len(words) else ""
        else:
            text = " ".join(words[k:]) if k < len(words) else ""
        slot.override = Override(text, "lexicon", DEPUTY_CONFIDENCE, [slot.piece.text])


def is_scrawl(words: Sequence[str], has_code: bool = False) -> bool:
    """A line of the signer block that holds no text: no syllable of three letters or more, no code or
    figure read as one (``has_code``: "KH-SYT", an address), and no word saying the copy was signed.
    ``words``: the line's restored word tokens (lowercase)."""
    folded = [fold(w) for w in words]
    if has_code or any(w in _SIGNED_WORDS for w in folded):
        return False
    pairs = zip(words, folded, strict=True)
    return not any(len(f) >= MIN_TEXT_LETTERS and is_valid_syllable(w) for w, f in pairs)


def scrawl_lines(top: int, name_line: int, is_scrawl_line: Callable[[int], bool]) -> set[int]:
    """The lines strictly between the block's top (the signer's title, or the line before the block) and
    the name line that are seal or signature scrawl."""
    return {li for li in range(top + 1, name_line) if is_scrawl_line(li)}


# Standalone marks that are no part of a header line ("at ep ~ 2 Co - Hanh phuc"): the rule under a line read
# as text. A dash or a comma is the header's own punctuation.
_STRAY = re.compile(r"(?:^|\s)(?:[^\w\s,\-–]+|\d{1,2})(?=\s|$)")


def is_ghost(line: str, words: Sequence[str], above: Sequence[str]) -> bool:
    """A header line that is the line above read a second time through the rule drawn under it: it ends
    with the same two words ("Độc lập - Tự do - Hạnh phúc" / "at ep ~ 2 Co - Hanh phuc", "SỞ VĂN HÓA, THỂ
    THAO VÀ" / "SU VARA EVA, THE THAO VA") and shows letter soup before them (a word that is no syllable,
    a stray mark or a lone figure). ``words`` and ``above``: the restored words of the line and the one
    above it."""
    if len(words) < 3 or len(above) < 3 or [fold(w) for w in words[-2:]] != [fold(w) for w in above[-2:]]:
        return False
    soup = any(not is_valid_syllable(w) for w in words[:-2])
    return soup or bool(_STRAY.search(line))
