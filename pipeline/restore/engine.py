"""restore_text: garbled, unaccented or slightly wrong Vietnamese back to correct text, with confidences.

Flow per text: legacy-encoding conversion -> tokenisation -> per-document error rates (how many tokens
lost their marks, how many look OCR-garbled) -> candidates per token -> sentence-wise joint decoding with
the trigram LM (each token's most probable reading) -> document passes: repeated forms read jointly
(:mod:`.consistency`), names, offices and places decoded with their lexicons (:mod:`.names`) -> case
restored from the input token -> records. Lines are rebuilt by replacing tokens at their columns, so line
count and everything between tokens are preserved exactly.

This module holds the token policy (which tokens are decoded, which are fixed as numbers, codes, numerals
or non-syllables, how a decision becomes a record); the loaded models live in :mod:`.model`, the document
error rates and channel scores in :mod:`.doc_channel`, the lexicons in :mod:`.lexicon`, and every tuning
constant in :mod:`.config`.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from functools import lru_cache
from operator import itemgetter

import numpy as np

from pipeline.restore.candidates import Candidate, has_marks
from pipeline.restore.case import lower_inside_capitals
from pipeline.restore.channel import GARBLE_CHAR, GARBLE_SYMBOLS
from pipeline.restore.config import DEFAULT_CONFIG, RestoreConfig, decoding_config
from pipeline.restore.consistency import pool_repeated_words
from pipeline.restore.decode import Candidates, decode
from pipeline.restore.doc_channel import DocChannel, channel_logp, document_channel, mix_letters
from pipeline.restore.legacy_encodings import detect_legacy
from pipeline.restore.lexicon import UserLexicon
from pipeline.restore.lm import TrigramLM
from pipeline.restore.lm_units import sentences
from pipeline.restore.model import Models, model_loads, models
from pipeline.restore.names import NamePass
from pipeline.restore.noise import is_junk, mark_noise, noise_lines
from pipeline.restore.normalize import (
    TONE_STYLES,
    apply_case,
    case_pattern,
    nfc,
    normalize_syllable,
)
from pipeline.restore.protect import restore_code, restore_roman
from pipeline.restore.slot import Slot
from pipeline.restore.syllables import is_valid_syllable
from pipeline.restore.tokenize import LETTER, Piece, tokenize_line
from pipeline.restore.years import repair_years

__all__ = [
    "Models",
    "Restoration",
    "RestoreConfig",
    "TokenRecord",
    "UserLexicon",
    "model_loads",
    "models",
    "restore_text",
]

_DIGIT = re.compile(r"\d")
# Reasons a token keeps even when it comes out as printed (they say why it was not decoded, or flag it).
_KEEPS_REASON = frozenset({"protected", "code", "roman-numeral", "name", "lexicon", "number-repair"})
# Punctuation inside a word token makes it no syllable; apostrophes inside words are misread marks.
_INNER_PUNCT = re.compile(f"[^\\w{re.escape(GARBLE_SYMBOLS)}'’`]")


@dataclass
class TokenRecord:
    """One word token of the input and what became of it (the CLI's --explain prints these).

    ``col`` is the 0-based character offset of ``original`` in input line ``line`` (for legacy-encoded
    input: in the input as given, before conversion). ``reason`` is one of kept, normalized, diacritics,
    ocr-confusion, fuzzy, code, protected, roman-numeral, legacy-encoding, name (decoded with the
    personal-name lexicon), lexicon (a place, office or user-lexicon entry), noise (a line of OCR noise on
    a damaged page, taken out of the text: ``restored`` is empty; see :mod:`.noise`), number-repair (a
    year no document can carry, "2925" after "giai đoạn", read along the usual digit confusions, or kept
    as printed when no repair is clear; always to review; see :mod:`.years`).
    """

    line: int
    col: int
    original: str
    restored: str
    confidence: float
    changed: bool
    reason: str
    alternatives: list[str] = field(default_factory=list)


@dataclass
class Restoration:
    """The restored text (same line count as the input) and one record per word token, for review."""

    text: str
    tokens: list[TokenRecord]

    def low_confidence(self, threshold: float = 0.8) -> list[TokenRecord]:
        """Tokens whose restoration is less certain than ``threshold`` (candidates for human review)."""
        return [t for t in self.tokens if t.confidence < threshold]


_REASONS = {"same": "kept", "skeleton": "diacritics", "rewrite": "ocr-confusion", "fuzzy": "fuzzy"}


def _reason_for(kind: str) -> str:
    return _REASONS.get(kind, "kept")


# A numbered list item or heading at a line start: "2. ", "1.2. ", "3) ".
_NUMBERED_ITEM = re.compile(r"\d{1,3}(?:\.\d{1,3})*[.)](?:\s|$)")


def _is_line_break(lines: list[str], i: int, cfg: RestoreConfig, wrapped: bool = False) -> bool:
    """Whether the LM context should stop at the end of line i: a paragraph end, a heading, a list item
    next, or a capital. In ``wrapped`` text (a page's lines, most ending mid-sentence) a capital after a
    line that ends mid-sentence is the sentence going on with a name ("… đề nghị tặng" / "Bằng khen …"):
    there the context goes on."""
    line = lines[i].strip()
    if not line:
        return True
    nxt = lines[i + 1].strip() if i + 1 < len(lines) else ""
    if not nxt:
        return True
    if _is_heading(line, cfg) or _is_heading(nxt, cfg):
        return True
    first = nxt[0]
    mid_sentence = wrapped and line[-1] not in _SENTENCE_END
    if first.isdigit():
        # a numbered item ("2.", "1.2.", "3)") starts anew; in a page's lines a figure after a line that
        # ends mid-sentence goes on with it ("… Hướng dẫn số" / "633/HD-BTĐKT ngày …")
        return not mid_sentence or bool(_NUMBERED_ITEM.match(nxt))
    if first in "-+•*–—(" or bool(re.match(r"^[a-zđ]\)", nxt)):
        return True
    return first.isupper() and not mid_sentence


def _wrapped(lines: list[str]) -> bool:
    """Most lines end mid-sentence: the text is a page's lines, not one paragraph per line."""
    ends = [line.rstrip()[-1] in _SENTENCE_END for line in lines if line.strip()]
    return bool(ends) and sum(ends) < 0.5 * len(ends)


_SENTENCE_END = set(".:;!?…)\"”'")


@lru_cache(maxsize=8192)
def _is_heading(line: str, cfg: RestoreConfig) -> bool:
    """Mostly capitals (cached: every line is asked about as itself and as the next line of another)."""
    letters = [c for c in line if c.isalpha()]
    return bool(letters) and sum(c.isupper() for c in letters) > cfg.heading_upper_share * len(letters)


class _Trellis:
    """Decoder positions grouped in segments (sentences, cut at max_segment_len), kept as the flat lists
    the decoder reads (a position object per token would cost more than its decoding)."""

    def __init__(self, lm: TrigramLM, cfg: RestoreConfig):
        self.lm = lm
        self.cfg = cfg
        self.ids: list[int] = []  # every candidate's LM id, position after position
        self.chan: list[float] = []  # ... and its channel log10 score
        self.sizes: list[int] = []  # candidates per position
        self.per_seg: list[int] = [0]  # positions per segment (the last one open)
        self.first: list[int] = []  # index of each position's first candidate
        self.post = np.zeros(0)
        self.best = np.zeros(0, dtype=np.int64)

    def add(self, ids: list[int], chan: list[float]) -> int:
        if self.per_seg[-1] >= self.cfg.max_segment_len:
            self.per_seg.append(0)
        self.first.append(len(self.ids))
        self.ids.extend(ids)
        self.chan.extend(chan)
        self.sizes.append(len(ids))
        self.per_seg[-1] += 1
        return len(self.sizes) - 1

    def add_fixed(self, surface: str) -> None:
        """LM context from a token that is not decoded (a code gives "<num> kh ubnd")."""
        for sent in sentences(surface):
            for unit in sent:
                self.add([self.lm.id(unit)], [0.0])

    def end_segment(self) -> None:
        if self.per_seg[-1]:
            self.per_seg.append(0)

    def decode(self) -> None:
        per_seg = np.array([n for n in self.per_seg if n], dtype=np.int64)
        cands = Candidates.from_arrays(
            np.array(self.ids, dtype=np.int64),
            np.array(self.chan, dtype=np.float64),
            np.array(self.sizes, dtype=np.int64),
            per_seg,
        )
        self.post, self.best = decode(self.lm, cands, self.cfg) if per_seg.size else (self.post, self.best)

    def result(self, position: int) -> tuple[int, np.ndarray]:
        """(chosen candidate index, posterior over candidates) of one position."""
        lo = self.first[position]
        return int(self.best[position]), self.post[lo : lo + self.sizes[position]]


# A token's scored candidates: (score for the beam, channel, LM id, candidate), best first.
_Scored = list[tuple[float, float, int, Candidate]]
# What no page changes in a candidate's score: (candidate, LM id, corpus log10 frequency, charged the <unk>
# share, letter-model log10 P(token | word) or None), per token.
_Terms = list[tuple[Candidate, int, float, bool, float | None]]
# A token's candidates as the decoder takes them: (words, kinds, channel scores, LM ids).
_Kept = tuple[list[str], list[str], list[float], list[int]]
# Tokens whose terms are remembered across calls before the memo is emptied: bounds memory on huge batches
# (a token's terms take about 1.2 kB, so some 60 MB at the bound).
_TERMS_LIMIT = 50_000


@dataclass
class _Page:
    """What every token decision of one text shares."""

    m: Models
    doc: DocChannel
    trellis: _Trellis
    cfg: RestoreConfig
    # Scored candidates per (token, short number, rewrites): a word recurs many times in one text.
    memo: dict[tuple[str, bool, bool, bool], _Scored] = field(default_factory=dict)
    # The decoder's candidates per (token, short number, capitalised inside a sentence).
    kept: dict[tuple[str, bool, bool, bool], _Kept] = field(default_factory=dict)
    # Page-independent score terms per (token, rewrites, letter model), kept by the models across calls.
    terms: dict[tuple[str, bool, bool, bool], _Terms] = field(default_factory=dict)
    # Per line, the (start, end) column spans of the words a stamp lay over (restore_text's ``damaged``)
    damaged: dict[int, list[tuple[int, int]]] = field(default_factory=dict)

    def scored(
        self, lower: str, short_number: bool = False, rewrites: bool = False, damaged: bool = False
    ) -> _Scored:
        """Every candidate of a lowercase token with its channel score, best (channel + frequency) first.
        ``rewrites`` offers OCR-confusion readings even on a page that does not look garbled (names);
        ``damaged`` also every syllable one edit away (a stroke lost under a stamp: "hực" for "thực")."""
        key = (lower, short_number, rewrites, damaged)
        got = self.memo.get(key)
        if got is None:
            got = _score_candidates(lower, short_number, rewrites, self, damaged)
            self.memo[key] = got
        return got


def _is_short_number(k: int, pieces: list[Piece], page: _Page) -> bool:
    """In a garbled page a short standalone number may be a letter ("6" for "ở"), unless it numbers a
    list item ("2." / "3)") or starts the line."""
    piece = pieces[k]
    return (
        piece.kind == "number"
        and page.doc.garbled_doc
        and len(piece.text) <= page.cfg.short_number_len
        and k > 0
        and not (k + 1 < len(pieces) and pieces[k + 1].text in ".)")
    )


def _plan_fixed(slot: Slot, k: int, short_number: bool, page: _Page) -> bool:
    """Fix a token that is not decoded (number, code, numeral, abbreviation, no syllable); False if it
    must be decoded. A fixed token still gives the LM its context."""
    m, trellis, lm = page.m, page.trellis, page.m.lm
    piece = slot.piece
    core = piece.text
    if piece.kind in ("number", "protected") and not short_number:
        slot.fixed, slot.fixed_reason = core, "protected"
        trellis.add_fixed(core if piece.kind == "number" else "0")
        return True
    if piece.kind == "code":
        table = m.code_abbreviations if _DIGIT.search(core) else m.abbreviations
        slot.fixed, slot.fixed_reason = restore_code(core, table), "code"
        trellis.add_fixed(slot.fixed)
        return True
    roman = restore_roman(core) if k == 0 else None
    if roman is not None:
        slot.fixed, slot.fixed_reason = roman, "roman-numeral"
        trellis.add([lm.unk], [0.0])
        return True
    official = (m.garbled_abbreviations if page.doc.garbled_doc else m.abbreviations).get(core)
    if official and (official == core or not is_valid_syllable(_lower(core))):
        slot.fixed, slot.fixed_reason = official, "code"
        trellis.add([lm.id(official.lower())], [0.0])
        return True
    if _not_a_syllable(piece, page):
        slot.fixed, slot.fixed_reason = core, "protected"
        trellis.add([lm.unk], [0.0])
        return True
    return False


@lru_cache(maxsize=65_536)
def _lower(core: str) -> str:
    """The lowercase, NFC, tone-normalised form candidates are looked up by (cached: words recur)."""
    return normalize_syllable(nfc(core.lower()))


def _not_a_syllable(piece: Piece, page: _Page) -> bool:
    """Too long, no letters (and no garble), punctuation inside, or letters with digits ("4G") in a page
    that shows no OCR garble."""
    return _no_syllable(piece.text, piece.kind, page.doc.garbled_doc, page.cfg.max_token_len)


@lru_cache(maxsize=65_536)
def _no_syllable(core: str, kind: str, garbled_doc: bool, max_len: int) -> bool:
    """:func:`_not_a_syllable` of a token's text (cached: four regex searches, and words recur)."""
    return bool(
        len(core) > max_len
        or (not LETTER.search(core) and not GARBLE_CHAR.search(core))
        or _INNER_PUNCT.search(core)
        or (not garbled_doc and _DIGIT.search(core) and kind != "number")
    )


def _score_candidates(
    lower: str, short_number: bool, rewrites: bool, page: _Page, damaged: bool = False
) -> _Scored:
    """Channel score and channel + corpus frequency of every candidate of a token, best first."""
    doc, cfg, lm = page.doc, page.cfg, page.m.lm
    if damaged:
        doc = _damaged_channel(doc, cfg)
    oov_penalty = cfg.oov_penalty
    marked = has_marks(lower)
    log_keep_number = math.log10(cfg.keep_number_p)
    scored = []
    terms = _terms(page, lower, doc.garbled_doc or rewrites, doc.garbled_doc, damaged)
    for c, i, freq, oov, letters in terms:
        if short_number and c.kind == "keep":
            scored.append((log_keep_number + lm.uni_list[lm.num], log_keep_number, lm.num, c))
            continue
        chan = channel_logp(marked, c, doc)
        if letters is not None:
            chan = mix_letters(chan, letters, doc, cfg)
        # Out-of-vocabulary candidates would inherit the whole <unk> mass: charge their share of it.
        if oov:
            chan += oov_penalty
        scored.append((chan + freq, chan, i, c))
    # Stable and descending, as sorting by the negated score (ties keep the generator's order).
    scored.sort(key=itemgetter(0), reverse=True)
    return scored


def _damaged_channel(doc: DocChannel, cfg: RestoreConfig) -> DocChannel:
    """The channel of a word a stamp lay over: its strokes were lost with the stamp's ink far more often
    than the page's garble rate says, so its rewrites and one-edit neighbours cost less."""
    rates = replace(doc.rates, garble=max(doc.rates.garble, cfg.damaged_garble_rate))
    return DocChannel.from_rates(rates, cfg)


def _terms(page: _Page, lower: str, rewrites: bool, letters: bool, damaged: bool = False) -> _Terms:
    """The page-independent parts of a token's candidate scores, remembered across calls (a batch meets
    the same words on every page; only the document's error rates differ). ``letters``: with the learned
    letter model's score of the same-skeleton candidates (garbled pages)."""
    m, cfg, memo = page.m, page.cfg, page.terms
    key = (lower, rewrites, letters, damaged)
    got = memo.get(key)
    if got is None:
        lm = m.lm
        unk, uni, freq_of, id_of = lm.unk, lm.uni_list, m.log_freq.get, lm.index.get
        got = []
        for c in m.generator.candidates(lower, rewrites, cfg, damaged):
            i = id_of(c.word, unk)
            score = None
            if letters and c.kind in ("same", "skeleton"):
                score = m.letter_logp(lower, c.word, cfg.letter_floor)
            got.append((c, i, freq_of(c.word, uni[i]), i == unk and c.kind != "keep", score))
        if len(memo) >= _TERMS_LIMIT:
            memo.clear()
        memo[key] = got
    return got


# Grammatical words that are capitalised only at the start of a sentence: a capitalised token inside a
# sentence ("Văn phòng Sé là", "Sé" for "Sở") is a name, an office or a title word, not one of them.
NEVER_CAPITALISED_INSIDE = frozenset(
    ("sẽ", "đã", "đang", "là", "và", "của", "các", "những", "được", "bị", "thì", "mà", "với", "cho", "để")
    + ("từ", "tại", "trong", "này", "đó", "cũng", "vẫn", "còn", "rằng", "nếu", "khi", "hay", "hoặc", "nhưng")
)


def _capitalised_inside(k: int, pieces: list[Piece]) -> bool:
    """Token ``k`` is capitalised (not in capitals) right after a word or comma of the same line."""
    text = pieces[k].text
    return (
        k > 0
        and text[:1].isupper()
        and text[1:].lower() == text[1:]
        and pieces[k - 1].kind in ("word", "comma", "number")
    )


def _plan_decoded(
    slot: Slot, short_number: bool, page: _Page, inside: bool = False, damaged: bool = False
) -> None:
    """Keep the token's best few candidates within the beam and add them to the trellis as one position.
    ``inside``: the token is capitalised inside a sentence, which a grammatical word never is;
    ``damaged``: a stamp lay over it, so OCR-confusion readings are offered as on a garbled page."""
    lower = _lower(slot.piece.text)
    key = (lower, short_number, inside, damaged)
    got = page.kept.get(key)
    if got is None:
        limit = page.cfg.damaged_candidates if damaged else page.cfg.max_candidates
        got = page.kept[key] = _kept(
            page.scored(lower, short_number, damaged, damaged), inside, page.cfg, limit
        )
    # The lists are shared by every occurrence of the form on the page: nothing changes them.
    slot.words, slot.reasons, slot.chan, ids = got
    slot.position = page.trellis.add(ids, slot.chan)


def _kept(scored: _Scored, inside: bool, cfg: RestoreConfig, limit: int) -> _Kept:
    """A token's best ``limit`` candidates within the beam, as the decoder and the slot take them."""
    if inside and any(x[3].word in NEVER_CAPITALISED_INSIDE for x in scored[:limit]):
        pen = cfg.capitalised_function_word_logp
        scored = [
            (s + pen, ch + pen, i, c) if c.word in NEVER_CAPITALISED_INSIDE else (s, ch, i, c)
            for s, ch, i, c in scored
        ]
        scored.sort(key=itemgetter(0), reverse=True)
    floor = scored[0][0] - cfg.candidate_beam
    kept = [x for x in scored[:limit] if x[0] >= floor]
    return [x[3].word for x in kept], [x[3].kind for x in kept], [x[1] for x in kept], [x[2] for x in kept]


def _plan_token(slot: Slot, k: int, pieces: list[Piece], page: _Page) -> None:
    """Decide how one token is handled: fixed (number, code, numeral, abbreviation) or decoded."""
    short_number = _is_short_number(k, pieces, page)
    if not _plan_fixed(slot, k, short_number, page):
        damaged = bool(page.damaged) and _under_damage(slot, page)
        _plan_decoded(slot, short_number, page, _capitalised_inside(k, pieces), damaged)


def _under_damage(slot: Slot, page: _Page) -> bool:
    """Whether the token overlaps a word a stamp lay over. Not on a garbled page: its tokens have the
    OCR-confusion readings already, and one-edit neighbours of every word would only add noise there."""
    spans = page.damaged.get(slot.line)
    if not spans or page.doc.garbled_doc:
        return False
    start, end = slot.piece.col, slot.piece.col + len(slot.piece.text)
    return any(a < end and start < b for a, b in spans)


def _unsure_repairs(
    slots: list[Slot], source: _Source, page: _Page, damaged: list[tuple[int, int, int]]
) -> set[tuple[int, int, int]]:
    """The damaged spans whose word the decoder changed with less than ``damaged_min_confidence``: a
    hesitating context makes up words more often than it puts back a lost letter (a stamped title read
    "Phần Lớn phòng" for "Phát Jôn phong"), so they are read as if no stamp lay over them."""
    found: set[tuple[int, int, int]] = set()
    for slot in slots:
        if slot.fixed is not None or slot.words[slot.choice] == _lower(slot.piece.text):
            continue
        if slot.post is None or slot.post[slot.choice] >= page.cfg.damaged_min_confidence:
            continue
        if _under_damage(slot, page):
            original, col = source.original(slot.line, slot.piece)
            end = col + len(original)
            found.update(span for span in damaged if span[0] == slot.line and span[1] < end and col < span[2])
    return found


def _damaged_spans(
    source: _Source, damaged: Collection[tuple[int, int, int]]
) -> dict[int, list[tuple[int, int]]]:
    """restore_text's ``damaged`` (line, start, end in the input) per line, in the columns of the decoded
    lines (a legacy-encoded input is converted first, which moves its columns)."""
    spans: dict[int, list[tuple[int, int]]] = {}
    for line, start, end in damaged:
        if not 0 <= line < len(source.lines) or end <= start:
            continue
        if source.source_index is not None:  # the input column of each converted one, in order
            starts = source.source_index[line]
            start, end = bisect_left(starts, start), bisect_left(starts, end)
        spans.setdefault(line, []).append((start, end))
    return spans


def _decision(slot: Slot, tone_style: str, cfg: RestoreConfig) -> tuple[str, str, float, list[str]]:
    """(restored token, reason, confidence, alternatives) of a decoded, fixed or overridden token."""
    piece = slot.piece
    if slot.override is not None:
        o = slot.override
        text = o.text if tone_style == "modern" else _restyle(o.text, tone_style)
        alternatives = [a if tone_style == "modern" else _restyle(a, tone_style) for a in o.alternatives]
        return text, o.reason, o.confidence, alternatives
    if slot.fixed is not None:
        return slot.fixed, slot.fixed_reason, 1.0, []
    choice, post = slot.choice, slot.post
    assert post is not None
    pattern = case_pattern(piece.text)
    modern = tone_style == "modern"  # the candidates are modern already: no re-styling

    def surface(word: str) -> str:
        return apply_case(word if modern else normalize_syllable(word, tone_style), pattern)

    words = slot.words
    word = words[choice]
    # A kept token comes back exactly as written ("iPhone", "4G").
    if slot.reasons[choice] == "keep" or word == _nfc_lower(piece.text):
        restored = piece.text
    else:
        restored = surface(word)
    reason = _reason_for(slot.reasons[choice])
    if reason == "kept" and restored != piece.text:
        reason = "normalized"
    alternatives: list[str] = []
    probs = post.tolist()  # small lists: Python's stable sort beats numpy's per-call overhead
    limit = cfg.max_alternatives
    if len(probs) > 1 and limit != 0:
        as_written = modern and pattern == "lower"  # most tokens: the candidate is its own surface
        for i in sorted(range(len(probs)), key=probs.__getitem__, reverse=True):
            if i == choice:
                continue
            alt = words[i] if as_written else surface(words[i])
            if alt != restored and alt not in alternatives:
                alternatives.append(alt)
                if len(alternatives) == limit:
                    break
    return restored, reason, min(max(probs[choice], 0.0), 1.0), alternatives


@lru_cache(maxsize=65_536)
def _nfc_lower(text: str) -> str:
    """A token's lowercase NFC form (cached: every decoded token is compared with its chosen word)."""
    return nfc(text.lower())


def _restyle(text: str, tone_style: str) -> str:
    """A lexicon surface in another tone style, word by word, keeping each word's case."""
    return " ".join(
        apply_case(normalize_syllable(w.lower(), tone_style), case_pattern(w)) for w in text.split(" ")
    )


def _rebuild(line: str, replacements: list[tuple[int, int, str]]) -> str:
    """Replace token spans in one pass (long lines must not be copied once per token)."""
    parts: list[str] = []
    pos = 0
    for start, end, new in sorted(replacements):
        parts.append(line[pos:start])
        parts.append(new)
        pos = end
    parts.append(line[pos:])
    return "".join(parts)


@dataclass
class _Source:
    """The text as given and as decoded: legacy-encoded input is converted first, and records report
    tokens at their columns in the input as given."""

    input_lines: list[str]
    lines: list[str]  # converted (or the input lines themselves)
    source_index: list[list[int]] | None  # per line: input column of every converted column
    legacy: bool

    @classmethod
    def read(cls, text: str) -> _Source:
        input_lines = text.split("\n")
        convert = detect_legacy(text)
        if convert is None:
            return cls(input_lines, input_lines, None, False)
        mapped = [convert(line) for line in input_lines]
        return cls(input_lines, [conv for conv, _ in mapped], [starts for _, starts in mapped], True)

    def original(self, line: int, piece: Piece) -> tuple[str, int]:
        """(token as it stood in the input, its column there)."""
        if self.source_index is None:
            return piece.text, piece.col
        starts = self.source_index[line]
        col = starts[piece.col]
        return self.input_lines[line][col : starts[piece.col + len(piece.text)]], col


def _plan(source: _Source, line_pieces: list[list[Piece]], page: _Page) -> list[Slot]:
    """Walk all pieces in order: word tokens become slots (fixed or decoded), commas and sentence
    punctuation shape the LM context."""
    trellis = page.trellis
    slots: list[Slot] = []
    wrapped = _wrapped(source.lines)
    for li, pieces in enumerate(line_pieces):
        for k, piece in enumerate(pieces):
            if piece.kind == "comma":
                trellis.add([page.m.lm.comma], [0.0])
            elif piece.kind == "break":
                trellis.end_segment()
            elif piece.kind != "other":
                slot = Slot(li, piece, [], [])
                slots.append(slot)
                _plan_token(slot, k, pieces, page)
        if _is_line_break(source.lines, li, page.cfg, wrapped):
            trellis.end_segment()
    return slots


def _record(slot: Slot, source: _Source, page: _Page, tone_style: str) -> TokenRecord:
    """The output record of one token, reported at its place in the input as given."""
    restored, reason, conf, alternatives = _decision(slot, tone_style, page.cfg)
    if source.legacy and reason in ("kept", "normalized"):
        reason = "legacy-encoding"
    original, col = source.original(slot.line, slot.piece)
    changed = restored != original
    if not changed and reason not in _KEEPS_REASON:
        reason = "kept"
    if reason == "kept" and page.doc.garbled_doc and _garble_left(slot.piece.text):
        conf = min(conf, page.cfg.name_unknown_confidence)
    return TokenRecord(slot.line, col, original, restored, conf, changed, reason, alternatives)


@lru_cache(maxsize=65_536)
def _garble_left(text: str) -> bool:
    """A word kept as printed that still shows garble (a digit or symbol among its letters, marks no
    Vietnamese syllable carries: "LéHuy"): nothing better was found, it is not known to be right.
    Cached: it depends on the text alone, and most tokens are frequent words."""
    low = _lower(text)
    if not LETTER.search(text):
        return False
    return bool(GARBLE_CHAR.search(text)) or (has_marks(low) and not is_valid_syllable(low))


def _decode(slots: list[Slot], page: _Page) -> None:
    """Joint decoding of every sentence; each decoded slot gets its choice and posterior."""
    page.trellis.decode()
    for slot in slots:
        if slot.fixed is None:
            slot.choice, slot.post = page.trellis.result(slot.position)


def restore_text(
    text: str,
    *,
    tone_style: str = "modern",
    config: RestoreConfig = DEFAULT_CONFIG,
    lexicon: UserLexicon | None = None,
    damaged: Collection[tuple[int, int, int]] = (),
) -> Restoration:
    """Restore diacritics and undo OCR garble; same number of lines, per-token records.

    ``config`` holds every tuning constant (:class:`RestoreConfig`); the default is the shipped behaviour.
    ``lexicon`` is an archive's own names and terms (:class:`UserLexicon`), used with a high prior.
    ``damaged``: (line, start, end) column spans of words a stamp lay over in the scan (their strokes may be
    lost): on a page that is not garbled, their tokens are also offered the OCR-confusion readings and every
    syllable one edit away, and the channel and the LM decide; a change they are not sure of
    (``damaged_min_confidence``) is dropped and the text decoded again without that span (each pass drops
    at least one span, so this ends).

    After the joint decoding, two document-level passes: a word that occurs several times with the same
    OCR form and uncertain, disagreeing readings is read the same way everywhere (evidence pooled), and
    personal names (signer blocks, after "ông/bà/đồng chí"), offices and places (header, signer blocks)
    are decoded with the name, place and office lexicons and the user's lexicon.
    """
    if tone_style not in TONE_STYLES:
        raise ValueError(f"tone_style must be one of {TONE_STYLES}")
    if not isinstance(text, str):
        raise TypeError("text must be str")
    if not isinstance(config, RestoreConfig):
        raise TypeError("config must be a RestoreConfig")
    if lexicon is not None and not isinstance(lexicon, UserLexicon):
        raise TypeError("lexicon must be a UserLexicon")
    m = models(config)
    source = _Source.read(text)
    line_pieces = [tokenize_line(line) for line in source.lines]
    doc = document_channel(line_pieces, m, config)
    trellis = _Trellis(m.lm, decoding_config(config, doc.garbled_doc))  # the LM weighs more on garbled pages
    damaged = [(int(line), int(start), int(end)) for line, start, end in damaged]
    page = _Page(m, doc, trellis, config, terms=m.call_memo(config), damaged=_damaged_spans(source, damaged))
    slots = _plan(source, line_pieces, page)
    _decode(slots, page)
    unsure = _unsure_repairs(slots, source, page, damaged) if page.damaged else set()
    if unsure:  # the context did not settle those words: read them as if no stamp lay over them
        kept = [span for span in damaged if span not in unsure]
        return restore_text(text, tone_style=tone_style, config=config, lexicon=lexicon, damaged=kept)
    pool_repeated_words(slots, source.lines, page.doc.garbled_doc, config)
    names = NamePass(source.lines, slots, page.doc, m.lexicons(config, lexicon), page.scored, config)
    names.run()
    repair_years(slots, source.lines)

    records = [_record(slot, source, page, tone_style) for slot in slots]
    noise = _mark_noise(records, page, names.scrawl_lines) if page.doc.garbled_doc else set()
    if not source.legacy:  # a same-shape capital OCR read inside a sentence (:mod:`.case`)
        lower_inside_capitals(records, source.lines)
    replacements: dict[int, list[tuple[int, int, str]]] = {}
    for slot, record in zip(slots, records, strict=True):
        piece = slot.piece
        if record.restored != piece.text and slot.line not in noise:
            replacements.setdefault(slot.line, []).append(
                (piece.col, piece.col + len(piece.text), record.restored)
            )
    out_lines = ["" if li in noise else line for li, line in enumerate(source.lines)]
    for li, reps in replacements.items():
        out_lines[li] = _rebuild(out_lines[li], reps)
    return Restoration("\n".join(out_lines), records)


def _mark_noise(records: list[TokenRecord], page: _Page, scrawl: set[int]) -> set[int]:
    """On a garbled page: the lines of OCR noise (emptied in the text, their tokens marked ``noise``),
    with the signer blocks' scrawl lines (``scrawl``, :mod:`.signer_block`), and junk words elsewhere sent
    to review (:mod:`.noise`)."""
    lm, cfg = page.m.lm, page.cfg
    junk = []
    for record in records:
        lower = _lower(record.original)
        junk.append(is_junk(record, lower, lm.index.get(lower, lm.unk) != lm.unk))
    lines = noise_lines(records, junk, cfg.noise_max_tokens) | scrawl
    mark_noise(records, junk, lines, cfg.noise_confidence)
    return lines
