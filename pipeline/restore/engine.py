"""restore_text: garbled, unaccented or slightly wrong Vietnamese back to correct text, with confidences.

Flow per text: legacy-encoding conversion -> tokenisation -> per-document error rates (how many tokens
lost their marks, how many look OCR-garbled) -> candidates per token -> sentence-wise joint decoding with
the trigram LM -> case restored from the input token -> records. Lines are rebuilt by replacing tokens at
their columns, so line count and everything between tokens are preserved exactly.
"""

from __future__ import annotations

import math
import re
import threading
from dataclasses import dataclass, field

import numpy as np

from pipeline.resources import dictionary_file
from pipeline.restore.candidates import Candidate, CandidateGenerator, has_marks
from pipeline.restore.channel import SEED_RULES, load_learned_channel, merge_rules
from pipeline.restore.decode import MAX_LEN, Decoded, Position, decode_segments
from pipeline.restore.legacy_encodings import detect_legacy
from pipeline.restore.lm import TrigramLM
from pipeline.restore.lm_units import sentences
from pipeline.restore.normalize import (
    TONE_STYLES,
    apply_case,
    case_pattern,
    nfc,
    normalize_syllable,
    strip_diacritics,
)
from pipeline.restore.protect import code_variants, load_abbreviations, restore_code, restore_roman
from pipeline.restore.syllables import Inventory, is_skeleton, is_valid_syllable
from pipeline.restore.tokenize import Piece, tokenize_line

MAX_CANDIDATES = 16
BEAM = 6.0  # log10: candidates this far below the best (channel + unigram) are not decoded
LM_WEIGHT = 0.8
TEMPERATURE = 1.15
LOG_KEEP_NUMBER = math.log10(0.7)  # a short number in a garbled page is a real number
OOV_PENALTY = -3.5  # log10, for a dictionary syllable the LM does not know
_GARBLE_CHAR = re.compile(r"[0-9&¢§@£©®°¥$?]")
_LETTER = re.compile(r"[^\W\d_]")
_DIGIT = re.compile(r"\d")
# "4G", "F0", "H2": product and variant names, not OCR garble (which is lowercase: "c6", "t6").
_MODEL_CODE = re.compile(r"^(?:\d+[A-Z]{1,2}|[A-Z]{1,2}\d+)$")
_INNER_PUNCT = re.compile(r"[^\w&¢§@£©®°¥$?'’`]")  # apostrophes inside words are misread marks


@dataclass
class TokenRecord:
    """One word token of the input and what became of it (the CLI's --explain prints these).

    ``col`` is the 0-based character offset of ``original`` in input line ``line`` (for legacy-encoded
    input: in the input as given, before conversion). ``reason`` is one of kept, normalized, diacritics,
    ocr-confusion, fuzzy, code, protected, roman-numeral, legacy-encoding.
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
    text: str
    tokens: list[TokenRecord]

    def low_confidence(self, threshold: float = 0.8) -> list[TokenRecord]:
        """Tokens whose restoration is less certain than ``threshold`` (candidates for human review)."""
        return [t for t in self.tokens if t.confidence < threshold]


class Models:
    """Everything loaded from dictionaries/, once per process."""

    def __init__(self) -> None:
        self.inventory = Inventory.load(dictionary_file("syllables.tsv"))
        self.lm = TrigramLM(dictionary_file("lm_syllable3.npz"))
        learned = load_learned_channel(dictionary_file("ocr_confusions.tsv"))
        self.letter_channel = learned.same_length_logp if learned and learned.char_logp else None
        self._letter_cache: dict[tuple[str, str], float | None] = {}
        self.rules = merge_rules(learned.rules, SEED_RULES) if learned else SEED_RULES
        token_map = learned.token_map if learned else {}
        skeletons = set(self.inventory.by_skeleton)
        known = set(self.inventory.counts) | {
            w for w in self.lm.vocab if w.isalpha() and w.isascii() and w not in skeletons
        }
        self.generator = CandidateGenerator(self.inventory.by_skeleton, known, self.rules, token_map)
        self.abbreviations = load_abbreviations(dictionary_file("abbreviations.tsv"))
        self.code_abbreviations = code_variants(self.abbreviations)
        total = {}
        for skel, words in self.inventory.by_skeleton.items():
            counts = [self.inventory.counts[w] for w in words]
            bare = sum(self.inventory.counts[w] for w in words if w == skel)
            total[skel] = 1.0 - bare / max(sum(counts), 1)
        self.p_marked = total  # P(a token with this skeleton should carry marks)
        # Raw corpus frequency (not the LM's Kneser-Ney unigram, which underrates "dõi": it follows
        # "theo" almost always) orders candidates before the decoder sees them.
        n_total = float(sum(self.inventory.counts.values()) or 1)
        self.log_freq = {w: math.log10((c + 1) / n_total) for w, c in self.inventory.counts.items()}


_MODELS: Models | None = None
_LOCK = threading.Lock()
# How many times this process has built the models; batch workers report it to show it stays at one.
MODEL_LOADS = 0


def models() -> Models:
    global _MODELS, MODEL_LOADS
    if _MODELS is None:
        with _LOCK:
            if _MODELS is None:
                _MODELS = Models()
                MODEL_LOADS += 1
    return _MODELS


@dataclass
class DocParams:
    """Per-document error rates that set the channel: estimated from the tokens themselves."""

    strip: float  # P(a marked syllable shows up without its marks)
    garble: float  # P(a token is OCR garble)
    wrong: float  # P(a marked letter shows the wrong mark)

    def __post_init__(self) -> None:
        self.log_keep_marked = math.log10(max(1.0 - self.garble - self.strip, 0.02))
        self.log_keep_bare = math.log10(max(1.0 - self.garble, 0.02))
        self.log_strip = math.log10(self.strip)
        self.log_strip_partial = math.log10(max(self.strip, 0.02))
        self.log_wrong = math.log10(self.wrong)
        self.log_garble = math.log10(self.garble)
        # An unknown token that rewrites into a real syllable is rarely a genuine word in a garbled page.
        # (The <unk> LM mass is shared by every rare word, so an unknown token kept as it is pays extra.)
        self.log_keep_unknown = (
            -4.5
            if self.garbled_doc or self.strip > 0.3
            else math.log10(max(1.0 - 4.0 * self.garble, 0.05)) - 1.0
        )

    @property
    def garbled_doc(self) -> bool:
        return self.garble > 0.03


def estimate_params(words: list[str], m: Models) -> DocParams:
    """Error rates of this document, read off its own tokens.

    strip: of the tokens whose skeleton usually carries marks, the share that came without them (near 0
    for clean text, near 1 for unaccented typing). garble: tokens with digits/symbols inside letters,
    marked tokens that are no syllable, half of the plain tokens that are not even a stripped syllable.
    wrong: the share of marked tokens that are no valid syllable.
    """
    n = len(words)
    if n == 0:
        return DocParams(0.003, 0.002, 0.003)
    strong = invalid_plain = marked = marked_invalid = 0
    expect = bare_hits = 0.0
    for w in words:
        if _GARBLE_CHAR.search(w) and _LETTER.search(w):
            strong += 1
            continue
        valid = w in m.generator.known or is_valid_syllable(w)
        skel = strip_diacritics(w)
        if skel != w:
            marked += 1
            if not valid:
                marked_invalid += 1
        elif not valid and not is_skeleton(skel):
            invalid_plain += 1  # not even a stripped syllable ("chirc"): OCR garble or a foreign word
        pm = m.p_marked.get(skel)
        if pm is not None:
            expect += pm
            if skel == w:
                bare_hits += pm
    garble = (strong + marked_invalid + 0.5 * invalid_plain) / n
    strip = bare_hits / expect if expect > 0 else 0.003
    wrong = marked_invalid / marked if marked else 0.003
    return DocParams(
        strip=min(max(strip, 0.003), 0.97),
        garble=min(max(garble, 0.002), 0.5),
        wrong=min(max(wrong, 0.003), 0.5),
    )


def letter_logp(m: Models, token: str, word: str) -> float | None:
    """Learned letter-by-letter log10 P(token | word) of the English OCR model (cached), or None."""
    if m.letter_channel is None:
        return None
    key = (token, word)
    got = m._letter_cache.get(key, False)
    if got is False:
        if len(m._letter_cache) > 500_000:
            m._letter_cache.clear()
        got = m.letter_channel(token, word)
        m._letter_cache[key] = got
    return got  # type: ignore[return-value]


def channel_logp(token_marked: bool, cand: Candidate, p: DocParams) -> float:
    """log10 P(observed token | clean candidate) under the document's error rates."""
    if cand.kind == "same":
        return p.log_keep_marked if cand.marked else p.log_keep_bare
    if cand.kind == "skeleton":
        if not token_marked:
            return p.log_strip
        return cand.n_missing * p.log_strip_partial + max(cand.n_wrong, 1) * p.log_wrong
    if cand.kind in ("rewrite", "fuzzy"):
        return p.log_garble + cand.rule_logp
    # "keep": an unknown token stays as it is (names, foreign words) unless the context says garble.
    return p.log_keep_unknown


@dataclass
class _Slot:
    """One word token waiting for its decision."""

    line: int
    piece: Piece
    words: list[str]  # candidate clean forms (lowercase)
    reasons: list[str]
    fixed: str | None = None  # output when the token is not decoded
    fixed_reason: str = "kept"
    positions: list[int] = field(default_factory=list)  # indices in the flat position list


def _reason_for(kind: str) -> str:
    return {"same": "kept", "skeleton": "diacritics", "rewrite": "ocr-confusion", "fuzzy": "fuzzy"}.get(
        kind, "kept"
    )


def _is_line_break(lines: list[str], i: int) -> bool:
    """Whether the LM context should stop at the end of line i (paragraph end, heading, list item next)."""
    line = lines[i].strip()
    if not line:
        return True
    nxt = lines[i + 1].strip() if i + 1 < len(lines) else ""
    if not nxt:
        return True
    letters = [c for c in line if c.isalpha()]
    if letters and sum(c.isupper() for c in letters) > 0.7 * len(letters):
        return True
    first = nxt[0]
    return first.isupper() or first.isdigit() or first in "-+•*–—(" or bool(re.match(r"^[a-zđ]\)", nxt))


class _Trellis:
    """Decoder positions grouped in segments (sentences, cut at MAX_LEN), and where each position went."""

    def __init__(self, lm: TrigramLM):
        self.lm = lm
        self.segments: list[list[Position]] = [[]]
        self.where: list[tuple[int, int]] = []  # (segment, index in segment) per position
        self.decoded: list[Decoded | None] = []

    def add(self, ids: list[int], chan: list[float]) -> int:
        if len(self.segments[-1]) >= MAX_LEN:
            self.segments.append([])
        seg = self.segments[-1]
        seg.append(Position(np.asarray(ids, dtype=np.int64), np.asarray(chan, dtype=np.float64)))
        self.where.append((len(self.segments) - 1, len(seg) - 1))
        return len(self.where) - 1

    def add_fixed(self, surface: str) -> None:
        """LM context from a token that is not decoded (a code gives "<num> kh ubnd")."""
        for sent in sentences(surface):
            for unit in sent:
                self.add([self.lm.id(unit)], [0.0])

    def end_segment(self) -> None:
        if self.segments[-1]:
            self.segments.append([])

    def decode(self) -> None:
        nonempty = [i for i, seg in enumerate(self.segments) if seg]
        todo = [self.segments[i] for i in nonempty]
        results = decode_segments(self.lm, todo, LM_WEIGHT, TEMPERATURE) if todo else []
        self.decoded = [None] * len(self.segments)
        for i, res in zip(nonempty, results, strict=True):
            self.decoded[i] = res

    def result(self, position: int) -> tuple[int, np.ndarray]:
        """(chosen candidate index, posterior over candidates) of one position."""
        s_idx, p_idx = self.where[position]
        dec = self.decoded[s_idx]
        assert dec is not None
        return dec.best[p_idx], dec.posterior[p_idx]


def _plan_token(
    slot: _Slot, k: int, pieces: list[Piece], params: DocParams, m: Models, trellis: _Trellis
) -> None:
    """Decide how one token is handled: fixed (number, code, numeral, abbreviation) or decoded."""
    lm = m.lm
    piece = slot.piece
    core = piece.text
    # In a garbled page a short standalone number may be a letter ("6" for "ở"), unless it numbers a
    # list item ("2." / "3)") or starts the line.
    short_number = (
        piece.kind == "number"
        and params.garbled_doc
        and len(core) <= 2
        and k > 0
        and not (k + 1 < len(pieces) and pieces[k + 1].text in ".)")
    )
    if piece.kind in ("number", "protected") and not short_number:
        slot.fixed, slot.fixed_reason = core, "protected"
        trellis.add_fixed(core if piece.kind == "number" else "0")
        return
    if piece.kind == "code":
        table = m.code_abbreviations if _DIGIT.search(core) else m.abbreviations
        slot.fixed, slot.fixed_reason = restore_code(core, table), "code"
        trellis.add_fixed(slot.fixed)
        return
    roman = restore_roman(core) if k == 0 else None
    if roman is not None:
        slot.fixed, slot.fixed_reason = roman, "roman-numeral"
        trellis.add([lm.unk], [0.0])
        return
    official = m.abbreviations.get(core)
    lower = normalize_syllable(nfc(core.lower()))
    if official and (official == core or not is_valid_syllable(lower)):
        slot.fixed, slot.fixed_reason = official, "code"
        trellis.add([lm.id(official.lower())], [0.0])
        return
    if (
        len(core) > 40
        or (not _LETTER.search(core) and not _GARBLE_CHAR.search(core))
        or _INNER_PUNCT.search(core)
        or (not params.garbled_doc and _DIGIT.search(core) and piece.kind != "number")
    ):
        # Not a syllable: too long, punctuation inside, or letters with digits ("4G") in a page that
        # shows no OCR garble.
        slot.fixed, slot.fixed_reason = core, "protected"
        trellis.add([lm.unk], [0.0])
        return
    unk, uni, log_freq = lm.unk, lm.uni_list, m.log_freq
    marked = has_marks(lower)
    scored = []
    for c in m.generator.candidates(lower, params.garbled_doc):
        if short_number and c.kind == "keep":
            scored.append((LOG_KEEP_NUMBER + uni[lm.num], LOG_KEEP_NUMBER, lm.num, c))
            continue
        i = lm.index.get(c.word, unk)
        chan = channel_logp(marked, c, params)
        if params.garbled_doc and c.kind in ("same", "skeleton"):
            # Mix in the learned English-model letter emissions (how often each clean letter is printed
            # as the observed one); the mixture keeps real legacy OCR from other engines safe.
            letters = letter_logp(m, lower, c.word)
            if letters is not None:
                chan = math.log10(0.5 * 10**chan + 0.5 * 10 ** (params.log_keep_bare + letters))
        # Out-of-vocabulary candidates would inherit the whole <unk> mass: charge their share of it.
        chan += OOV_PENALTY if i == unk and c.kind != "keep" else 0.0
        scored.append((chan + log_freq.get(c.word, uni[i]), chan, i, c))
    scored.sort(key=lambda x: -x[0])
    floor = scored[0][0] - BEAM
    kept = [x for x in scored[:MAX_CANDIDATES] if x[0] >= floor]
    slot.words = [x[3].word for x in kept]
    slot.reasons = [x[3].kind for x in kept]
    slot.positions.append(trellis.add([x[2] for x in kept], [x[1] for x in kept]))


def _decision(slot: _Slot, trellis: _Trellis, tone_style: str) -> tuple[str, str, float, list[str]]:
    """(restored token, reason, confidence, alternatives) of a decoded or fixed token."""
    piece = slot.piece
    if slot.fixed is not None:
        return slot.fixed, slot.fixed_reason, 1.0, []
    choice, post = trellis.result(slot.positions[0])
    pattern = case_pattern(piece.text)

    def surface(word: str) -> str:
        if tone_style != "modern":
            word = normalize_syllable(word, tone_style)
        return apply_case(word, pattern)

    word = slot.words[choice]
    # A kept token comes back exactly as written ("iPhone", "4G").
    if slot.reasons[choice] == "keep" or word == nfc(piece.text.lower()):
        restored = piece.text
    else:
        restored = surface(word)
    reason = _reason_for(slot.reasons[choice])
    if reason == "kept" and restored != piece.text:
        reason = "normalized"
    alternatives: list[str] = []
    for i in np.argsort(-post, kind="stable"):
        alt = surface(slot.words[int(i)])
        if int(i) != choice and alt != restored and alt not in alternatives:
            alternatives.append(alt)
        if len(alternatives) == 3:
            break
    return restored, reason, float(min(max(post[choice], 0.0), 1.0)), alternatives


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


def restore_text(text: str, *, tone_style: str = "modern") -> Restoration:
    """Restore diacritics and undo OCR garble; same number of lines, per-token records."""
    if tone_style not in TONE_STYLES:
        raise ValueError(f"tone_style must be one of {TONE_STYLES}")
    if not isinstance(text, str):
        raise TypeError("text must be str")
    m = models()
    input_lines = text.split("\n")
    convert = detect_legacy(text)
    source_index: list[list[int]] | None = None
    lines = input_lines
    if convert is not None:
        mapped = [convert(line) for line in input_lines]
        lines = [conv for conv, _ in mapped]
        source_index = [starts for _, starts in mapped]
    line_pieces = [tokenize_line(line) for line in lines]
    words = [
        normalize_syllable(nfc(p.text.lower()))
        for pieces in line_pieces
        for p in pieces
        if p.kind == "word" and len(p.text) <= 40 and not _MODEL_CODE.match(p.text)
    ]
    params = estimate_params(words, m)

    trellis = _Trellis(m.lm)
    slots: list[_Slot] = []
    for li, pieces in enumerate(line_pieces):
        for k, piece in enumerate(pieces):
            if piece.kind == "comma":
                trellis.add([m.lm.comma], [0.0])
            elif piece.kind == "break":
                trellis.end_segment()
            elif piece.kind != "other":
                slot = _Slot(li, piece, [], [])
                slots.append(slot)
                _plan_token(slot, k, pieces, params, m, trellis)
        if _is_line_break(lines, li):
            trellis.end_segment()
    trellis.decode()

    records: list[TokenRecord] = []
    replacements: dict[int, list[tuple[int, int, str]]] = {}
    for slot in slots:
        piece = slot.piece
        restored, reason, conf, alternatives = _decision(slot, trellis, tone_style)
        if convert is not None and reason in ("kept", "normalized"):
            reason = "legacy-encoding"
        original, col = piece.text, piece.col
        if source_index is not None:  # report the token as it stood in the legacy-encoded input
            starts = source_index[slot.line]
            col = starts[piece.col]
            original = input_lines[slot.line][col : starts[piece.col + len(piece.text)]]
        changed = restored != original
        if not changed and reason not in ("protected", "code", "roman-numeral"):
            reason = "kept"
        records.append(TokenRecord(slot.line, col, original, restored, conf, changed, reason, alternatives))
        if restored != piece.text:
            replacements.setdefault(slot.line, []).append((piece.col, piece.col + len(piece.text), restored))
    out_lines = list(lines)
    for li, reps in replacements.items():
        out_lines[li] = _rebuild(out_lines[li], reps)
    return Restoration("\n".join(out_lines), records)
