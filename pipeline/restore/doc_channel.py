"""Per-document error rates and the channel scores they set.

A clean page, a page typed without marks and a page of English-model OCR garble need very different
channels: "thuc" is certainly "thực" in the second, and "c6" is certainly "có" in the third, but in a clean
page both are more likely names or codes. So the rates are estimated from the document's own tokens
(:func:`estimate_rates`), turned into log10 scores once per document (:class:`DocChannel`), and every
candidate of every token is scored against them (:func:`candidate_channel`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from pipeline.restore.candidates import Candidate
from pipeline.restore.channel import GARBLE_CHAR
from pipeline.restore.config import RestoreConfig
from pipeline.restore.model import Models
from pipeline.restore.normalize import nfc, normalize_syllable, strip_diacritics
from pipeline.restore.syllables import is_skeleton, is_valid_syllable
from pipeline.restore.tokenize import LETTER, Piece

# "4G", "F0", "H2": product and variant names, not OCR garble (which is lowercase: "c6", "t6").
_MODEL_CODE = re.compile(r"^(?:\d+[A-Z]{1,2}|[A-Z]{1,2}\d+)$")


@dataclass(frozen=True)
class DocRates:
    """Per-document error rates that set the channel: estimated from the tokens themselves."""

    strip: float  # P(a marked syllable shows up without its marks)
    garble: float  # P(a token is OCR garble)
    wrong: float  # P(a marked letter shows the wrong mark)


@dataclass(frozen=True)
class DocChannel:
    """log10 channel scores of one document, from its rates and the config (computed once per document)."""

    rates: DocRates
    garbled_doc: bool  # enough garble that rewrites of valid-looking tokens are allowed
    log_keep_marked: float  # a marked candidate printed as it is
    log_keep_bare: float  # an unmarked candidate printed as it is
    log_strip: float  # an unmarked token that lost all its marks
    log_strip_partial: float  # per mark lost from a marked token
    log_wrong: float  # per wrong mark in a marked token
    log_garble: float  # a token that is OCR garble (plus the rule cost of the rewrite)
    log_keep_unknown: float  # an unknown token kept as it is

    @classmethod
    def from_rates(cls, rates: DocRates, cfg: RestoreConfig) -> DocChannel:
        floor = cfg.channel_p_floor
        garbled_doc = rates.garble > cfg.garbled_doc_rate
        # An unknown token that rewrites into a real syllable is rarely a genuine word in a garbled page.
        # (The <unk> LM mass is shared by every rare word, so an unknown token kept as it is pays extra.)
        if garbled_doc or rates.strip > cfg.unaccented_doc_strip:
            log_keep_unknown = cfg.keep_unknown_garbled_logp
        else:
            keep_p = max(1.0 - cfg.keep_unknown_garble_factor * rates.garble, cfg.keep_unknown_min_p)
            log_keep_unknown = math.log10(keep_p) + cfg.keep_unknown_extra_logp
        return cls(
            rates=rates,
            garbled_doc=garbled_doc,
            log_keep_marked=math.log10(max(1.0 - rates.garble - rates.strip, floor)),
            log_keep_bare=math.log10(max(1.0 - rates.garble, floor)),
            log_strip=math.log10(rates.strip),
            log_strip_partial=math.log10(max(rates.strip, floor)),
            log_wrong=math.log10(rates.wrong),
            log_garble=math.log10(rates.garble),
            log_keep_unknown=log_keep_unknown,
        )


def rate_words(line_pieces: list[list[Piece]], cfg: RestoreConfig) -> list[str]:
    """The word tokens the rates are read from: lowercase, normalised; over-long tokens and product codes
    ("4G") left out, since they say nothing about marks or garble."""
    return [
        normalize_syllable(nfc(p.text.lower()))
        for pieces in line_pieces
        for p in pieces
        if p.kind == "word" and len(p.text) <= cfg.max_token_len and not _MODEL_CODE.match(p.text)
    ]


def estimate_rates(words: list[str], m: Models, cfg: RestoreConfig) -> DocRates:
    """Error rates of this document, read off its own tokens.

    strip: of the tokens whose skeleton usually carries marks, the share that came without them (near 0
    for clean text, near 1 for unaccented typing). garble: tokens with digits/symbols inside letters,
    marked tokens that are no syllable, and (weighted) plain tokens that are not even a stripped syllable.
    wrong: the share of marked tokens that are no valid syllable. All clamped to the config's bounds.
    """
    n = len(words)
    if n == 0:
        return DocRates(cfg.min_strip_rate, cfg.min_garble_rate, cfg.min_wrong_rate)
    strong = invalid_plain = marked = marked_invalid = 0
    expect = bare_hits = 0.0
    for w in words:
        if GARBLE_CHAR.search(w) and LETTER.search(w):
            strong += 1
            continue
        valid = w in m.generator.known or is_valid_syllable(w)
        skel = strip_diacritics(w)
        if skel != w:
            marked += 1
            marked_invalid += not valid
        elif not valid and not is_skeleton(skel):
            invalid_plain += 1  # not even a stripped syllable ("chirc"): OCR garble or a foreign word
        pm = m.p_marked.get(skel)
        if pm is not None:
            expect += pm
            if skel == w:
                bare_hits += pm
    garble = (strong + marked_invalid + cfg.invalid_plain_garble_weight * invalid_plain) / n
    strip = bare_hits / expect if expect > 0 else cfg.min_strip_rate
    wrong = marked_invalid / marked if marked else cfg.min_wrong_rate
    return DocRates(
        strip=min(max(strip, cfg.min_strip_rate), cfg.max_strip_rate),
        garble=min(max(garble, cfg.min_garble_rate), cfg.max_garble_rate),
        wrong=min(max(wrong, cfg.min_wrong_rate), cfg.max_wrong_rate),
    )


def document_channel(line_pieces: list[list[Piece]], m: Models, cfg: RestoreConfig) -> DocChannel:
    """Estimate the document's rates from its tokens and turn them into channel scores."""
    return DocChannel.from_rates(estimate_rates(rate_words(line_pieces, cfg), m, cfg), cfg)


def channel_logp(token_marked: bool, cand: Candidate, doc: DocChannel) -> float:
    """log10 P(observed token | clean candidate) under the document's error rates."""
    if cand.kind == "same":
        return doc.log_keep_marked if cand.marked else doc.log_keep_bare
    if cand.kind == "skeleton":
        if not token_marked:
            return doc.log_strip
        return cand.n_missing * doc.log_strip_partial + max(cand.n_wrong, 1) * doc.log_wrong
    if cand.kind in ("rewrite", "fuzzy"):
        return doc.log_garble + cand.rule_logp
    # "keep": an unknown token stays as it is (names, foreign words) unless the context says garble.
    return doc.log_keep_unknown


def candidate_channel(
    m: Models, doc: DocChannel, token: str, token_marked: bool, cand: Candidate, cfg: RestoreConfig
) -> float:
    """Channel score of one candidate, with the learned letter model mixed in on garbled pages.

    The English-model letter emissions say how often each clean letter is printed as the observed one;
    mixing (rather than replacing) keeps real legacy OCR from other engines safe.
    """
    chan = channel_logp(token_marked, cand, doc)
    if doc.garbled_doc and cand.kind in ("same", "skeleton"):
        letters = m.letter_logp(token, cand.word, cfg.letter_floor)
        if letters is not None:
            chan = mix_letters(chan, letters, doc, cfg)
    return chan


def mix_letters(chan: float, letters: float, doc: DocChannel, cfg: RestoreConfig) -> float:
    """A same-skeleton channel score mixed with the learned letter model's log10 P(token | word)."""
    w = cfg.letter_mix_weight
    return math.log10((1.0 - w) * 10**chan + w * 10 ** (doc.log_keep_bare + letters))
