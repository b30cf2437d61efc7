"""RestoreConfig: every tuning constant of restoration in one frozen, documented place.

Restoration is a noisy-channel decoder: P(observed token | clean word) from per-document error rates and
OCR confusion rules, times a syllable trigram LM, decoded jointly per sentence. Its behaviour is set by a
few dozen numbers; they used to be module globals and bare literals spread over four modules. Here each
one has a name and a line saying why it has its value, and ``restore_text(text, config=...)`` lets a
benchmark or an experiment change one without editing code. The defaults reproduce the shipped behaviour
exactly.

Log values are log10. The ``channel_*`` and ``letter_min_count`` fields shape the learned channel when
the models are built; :func:`pipeline.restore.model.models` keeps one model set per distinct value of
them, so changing them costs a model load (the default config loads once per process).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class RestoreConfig:
    """Tuning constants of :func:`pipeline.restore.engine.restore_text` (frozen: safe to share)."""

    # --- joint decoding (decode.py) ---
    # LM scores are summed over a whole sentence and over-trust frequent phrases: the channel gets the
    # larger share (lowered from 1.0).
    lm_weight: float = 0.8
    # ... times this on a garbled page (OCR garble: the channel is far less sure of itself than on a clean
    # or stripped page, the LM gets 1.0; dev: garbled 5.90 -> 5.81 %, eng-OCR 6.02 -> 5.86 %; on clean
    # pages a higher weight would change correct words: 0.15 -> 0.29 % on dev).
    garbled_lm_scale: float = 1.25
    # 1: each token takes its most probable reading (max posterior marginal: fewest expected word errors);
    # 0: the single best path (Viterbi).
    posterior_decoding: int = 1
    # Posteriors are flattened by this factor so that reported confidence matches how often the decoder is
    # right (calibrated; the --explain confidences and the review threshold rely on it).
    temperature: float = 1.15
    # Positions per decoded segment: long enough for any sentence context (a longer one is cut, and the
    # LM context restarts there).
    max_segment_len: int = 60
    # Candidates per position that survive the bigram pre-pass: the trigram cube grows with K^3.
    prune_keep: int = 4
    # A candidate whose bigram max-marginal is this far below the best one cannot win under a trigram.
    prune_margin: float = 3.0

    # Weight of the 4-gram correction of uncertain positions (0: trigram posteriors only); see
    # decode_kernel._fourgram_rescore. Only a model built with a 4-gram table (build_lm --min-fourgram) has
    # one; the shipped model has none (on dev it helped stripped text, hurt real OCR).
    fourgram_weight: float = 1.0
    # Positions whose best trigram posterior is below this are uncertain enough to be rescored.
    fourgram_uncertain: float = 0.98
    # ... and of them, the candidates with at least this posterior (the others cannot win).
    fourgram_min_post: float = 0.001

    # Document cache (decode._topic_bonus): weight of the log ratio of a word's expected count in the
    # text to its LM unigram expectation, the cap of that log ratio, and the least expected count.
    topic_weight: float = 0.5
    topic_cap: float = 2.0
    topic_min_count: float = 2.0
    # 1: decode the changed sentences again with the bonus; 0: rescale the first pass' posteriors (nearly
    # the same decisions at a fraction of the cost; Viterbi decoding always decodes again).
    topic_redecode: int = 1
    # Rounds of the document cache: each counts the text's words again from the last decoding.
    topic_rounds: int = 1
    # A sentence is decoded again only if some candidate, lifted by its bonus over the chosen one's plus
    # this slack (log10), could overtake the chosen one ...
    topic_slack: float = 0.5
    # ... and only with the candidates the first pass gave at least this posterior.
    topic_keep_post: float = 1e-4

    # --- candidate list per token (engine.py) ---
    # Candidates decoded per token: room for all 15 syllables of a busy skeleton like "tho" plus a rewrite.
    max_candidates: int = 16
    # Candidates this far below the best (channel + corpus frequency) never win: not worth decoding.
    candidate_beam: float = 6.0
    # An in-dictionary candidate the LM does not know would inherit the whole <unk> mass: charge its share.
    oov_penalty: float = -3.5
    # In a garbled page a short standalone number is most often a real number, not a letter ("6" for ở).
    keep_number_p: float = 0.7
    # Standalone numbers up to this many digits may be a misread letter in a garbled page ("6", "1a").
    short_number_len: int = 2
    # Longer tokens are no syllable (URLs, glued words, tables): kept as they are and left out of the rates.
    max_token_len: int = 40

    # --- candidate generation (candidates.py) ---
    # Same-skeleton syllables offered per token, most frequent first: all of "tho" (15); only the rarest
    # forms of the few larger skeletons are left out.
    skeleton_candidates: int = 16
    # Rewrite rules applied in sequence: one or two confusions per syllable; three mostly finds noise.
    rewrite_depth: int = 2
    # A first rewrite this unlikely is not extended by a second one (keeps the search small).
    rewrite_expand_floor: float = -2.5
    # Skeletons reached by rewrites that are kept, best first.
    rewrite_skeletons: int = 8
    # Syllables offered per rewritten skeleton.
    rewrite_words: int = 10
    # Whole-token confusions ("cia" -> "của") offered per token, most likely first.
    token_map_words: int = 8
    # A whole-token confusion seen once is still worth this much: the synthetic pairs undercount rare ones.
    token_map_floor: float = -3.0
    # Fuzzy (one-edit) neighbours only for plausible syllable lengths: shorter or longer ones match noise.
    fuzzy_min_len: int = 2
    fuzzy_max_len: int = 7
    # Edit distance of a fuzzy neighbour: one edit; two turn most short words into most others.
    fuzzy_max_edits: int = 1
    # Fuzzy neighbour skeletons tried (the last resort when nothing else matched).
    fuzzy_skeletons: int = 5
    # ... and for a word a stamp lay over (restore_text's ``damaged``), whose lost stroke may be any letter:
    # all the skeletons one edit away that a short syllable has ("huc": thuc, chuc, hoc, ...), for the LM.
    damaged_skeletons: int = 60
    # Candidates a damaged word keeps for the decoder (``max_candidates`` for the others): its right reading
    # is one of many one-edit neighbours, ranked by frequency alone before the LM sees its context.
    damaged_candidates: int = 64
    # Share of the words under a stamp taken to have lost strokes (the channel's garble rate for them; the
    # page's own rate when higher).
    damaged_garble_rate: float = 0.1
    # Least posterior of a damaged word's new reading (rewrite or one-edit neighbour): below it the word is
    # read as if no stamp lay over it (the lost letters put back were 0.89-1.00 on generated stamped pages,
    # the words made up by a hesitating context 0.40-0.79).
    damaged_min_confidence: float = 0.8
    # Syllables offered per fuzzy neighbour skeleton.
    fuzzy_words: int = 4
    # Channel log10 probability of a fuzzy neighbour: about as unlikely as a mid-probability rewrite rule.
    fuzzy_logp: float = -1.5

    # --- per-document error rates (doc_channel.py) ---
    # Rates are clamped so no reading becomes impossible or certain (also the rates of a page without
    # evidence, e.g. one with no words).
    min_strip_rate: float = 0.003
    max_strip_rate: float = 0.97
    min_garble_rate: float = 0.002
    max_garble_rate: float = 0.5
    min_wrong_rate: float = 0.003
    max_wrong_rate: float = 0.5
    # A plain token that is not even a stripped syllable is garble or a foreign word: counts half.
    invalid_plain_garble_weight: float = 0.5
    # Above this garble rate the page is OCR garble: rewrites of valid-looking tokens and digits-as-letters
    # are allowed (clean pages stay well below it).
    garbled_doc_rate: float = 0.03
    # Floor of the keep/strip probabilities, so a nearly all-garbled page still scores kept tokens.
    channel_p_floor: float = 0.02
    # Above this strip rate the page was typed without marks: unknown tokens are penalised as in garble.
    unaccented_doc_strip: float = 0.3
    # An unknown token that rewrites into a real syllable is rarely a genuine word in a garbled page.
    keep_unknown_garbled_logp: float = -4.5
    # In a clean page keeping an unknown token costs P = 1 - factor x garble rate (names, foreign words) ...
    keep_unknown_garble_factor: float = 4.0
    # ... never less than this ...
    keep_unknown_min_p: float = 0.05
    # ... and an extra share of the <unk> LM mass, which every rare word shares.
    keep_unknown_extra_logp: float = -1.0
    # Weight of the learned English-model letter emissions in the same-skeleton channel of garbled pages;
    # the other half keeps legacy OCR from other engines safe.
    letter_mix_weight: float = 0.5
    # Per-letter log10 floor of the letter model: an unseen emission is rare, not impossible.
    letter_floor: float = -3.0

    # --- learned channel, applied when the models are built (channel.py) ---
    # Substitution rules rarer than this per clean skeleton letter are noise of the synthetic pairs.
    channel_min_p: float = 0.01
    # ... and so are rules seen fewer times than this.
    channel_min_count: int = 3
    # Garbled substrings longer than this are whole-word errors, covered by the whole-token confusions.
    channel_max_garbled_len: int = 3
    # A clean letter needs this many observations before its letter emissions are trusted.
    letter_min_count: int = 20

    # --- document-level consistency (consistency.py) ---
    # A repeated OCR form is re-read jointly (log posteriors of its occurrences summed), but an occurrence
    # only follows the pooled reading if its own posterior gives that reading at least this share of its
    # current choice: strong local context ("nhận thức" beside "thực hiện") is never overruled.
    consistency_ratio: float = 0.25
    # The same for a plain lowercase form ("thuc"), which is often several words: only near-ties follow.
    consistency_plain_ratio: float = 0.5
    # Posterior floor when the occurrences' log posteriors are summed (a reading one occurrence lacks).
    consistency_floor: float = 1e-3

    # --- names, places and offices (lexicon.py, names.py) ---
    # Name priors: share of the name lexicon against the plain syllable frequency; the rest keeps names
    # the corpus never showed possible.
    name_lexicon_share: float = 0.97
    # "Middle given" pair model: its share of the given-name prior grows with the pairs seen after the
    # middle name (half of the cap at this many) up to the cap; pairs are sparse, the rest is P(given).
    name_pair_strength: float = 20.0
    name_pair_cap: float = 0.4
    # A name with "Thị" among its middle names is a woman's: her given name is drawn this much from the
    # given names of such names (``given_f``, sparse), the rest from all given names.
    name_female_share: float = 0.7
    # log10 floor of every name prior.
    name_prior_floor: float = -9.0
    # A user-lexicon entry weighs this share of its kind's whole mass (times its weight): a high prior.
    user_lexicon_share: float = 0.2
    # Weight of the name prior against the channel in the name decoder (the LM's place for names).
    name_prior_weight: float = 1.0
    # Candidates per name token the name decoder considers.
    name_candidates: int = 24
    # Readings of a name line's first token searched for a listed surname ("Téng" -> "Tống").
    name_surname_readings: int = 12
    # ... whose channel score is at most this far (log10) below the token's best reading.
    name_surname_margin: float = 2.0
    # log10 name prior of a token kept as written (no Vietnamese syllable) on a clean page: a foreign or
    # unlisted name (on other pages such a token is mostly garble: keep_unknown_garbled_logp).
    name_unknown_logp: float = -2.0
    # log10 channel penalty of a grammatical word ("sẽ", "là") read from a token capitalised inside a
    # sentence.
    capitalised_function_word_logp: float = -4.0
    # Confidence of a name word read as no Vietnamese syllable on a damaged page, or of a word kept with its
    # garble for want of a better reading: a guess, for review.
    name_unknown_confidence: float = 0.5
    # Most tokens of one personal name ("Nguyễn Thị Thu Hồng Anh").
    max_name_tokens: int = 5
    # Lines after a signer title ("KT. GIÁM ĐỐC") searched for the signer's name (seal and scrawl noise
    # lines come between).
    signer_search_lines: int = 8
    # Lines at the top of a text that may hold the header (issuer, number, place and date).
    header_max_lines: int = 14
    # Confidence reported for a lexicon entry matched exactly in its context, and for a fuzzy match.
    lexicon_confidence: float = 0.9
    lexicon_fuzzy_confidence: float = 0.6
    # A fuzzy lexicon match (header lines, spans with a damaged token only) may differ by one edit per
    # this many folded letters ("Phi Yén" is "Phú Yên", "SOTAT CHIN" is "SỞ TÀI CHÍNH").
    lexicon_fuzzy_letters: int = 4
    # ... and one edit per this many letters when every token looks sound ("SONG HOA XA HOI CHU …").
    lexicon_clean_fuzzy_letters: int = 16
    # Most tokens of one lexicon phrase ("Sở Lao động - Thương binh và Xã hội").
    max_phrase_tokens: int = 10
    # Share of capitals that makes a line or span "in capitals" (signer titles, a header, a name).
    capitals_share: float = 0.6

    # --- OCR noise on garbled pages (noise.py) ---
    # Most tokens of a line of seal or speck noise taken out of the text (longer lines are text).
    noise_max_tokens: int = 4
    # Confidence of a noise token, and most confidence of a junk word kept as printed: to review.
    noise_confidence: float = 0.5

    # --- output (engine.py) ---
    # A line whose letters are mostly capitals is a heading: the LM context stops there.
    heading_upper_share: float = 0.7
    # Alternatives reported per token: enough for a reviewer, short enough for the --explain table.
    max_alternatives: int = 3

    def __post_init__(self) -> None:
        if self.max_candidates < 1 or self.max_segment_len < 1 or self.prune_keep < 1:
            raise ValueError("candidate, segment and prune counts must be at least 1")
        if self.temperature <= 0:
            raise ValueError("temperature must be positive")
        if not 0.0 <= self.letter_mix_weight <= 1.0:
            raise ValueError("letter_mix_weight must be within [0, 1]")

    def channel_key(self) -> tuple[float, int, int, int]:
        """The fields the models are built with: one model set per distinct key."""
        return (
            self.channel_min_p,
            self.channel_min_count,
            self.channel_max_garbled_len,
            self.letter_min_count,
        )


# The shipped behaviour; a default argument everywhere, created once so identity checks are cheap.
DEFAULT_CONFIG = RestoreConfig()


@lru_cache(maxsize=64)
def decoding_config(config: RestoreConfig, garbled: bool) -> RestoreConfig:
    """The config the decoder uses on a page: on a garbled page ``lm_weight`` times ``garbled_lm_scale``.
    Cached, so a batch of pages shares one object per (config, kind of page)."""
    if not garbled or config.garbled_lm_scale == 1.0:
        return config
    return dataclasses.replace(config, lm_weight=config.lm_weight * config.garbled_lm_scale)
