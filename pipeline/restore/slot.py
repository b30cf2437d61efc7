"""One word token waiting for its decision, shared by the engine and the document-level passes.

The first pass (:mod:`.engine`) fills the candidates and the decoder's choice; the document passes
(:mod:`.consistency`, :mod:`.names`) may then change the choice or set an :class:`Override`: a surface
spelled from a lexicon (names, offices, places) that the candidate list need not contain.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from pipeline.restore.tokenize import Piece


@dataclass
class Override:
    """A decision made by a document pass: the printed form, why, how sure, what else was considered."""

    text: str
    # "name" (personal-name lexicon), "lexicon" (places, offices, the user's lexicon) or "number-repair"
    reason: str
    confidence: float
    alternatives: list[str] = field(default_factory=list)


@dataclass
class Slot:
    """One word token and its decision."""

    line: int
    piece: Piece
    words: list[str]  # candidate clean forms (lowercase)
    reasons: list[str]  # candidate kinds: same, skeleton, rewrite, fuzzy, keep
    chan: list[float] = field(default_factory=list)  # channel log10 score of each candidate
    fixed: str | None = None  # output when the token is not decoded
    fixed_reason: str = "kept"
    position: int = -1  # index in the trellis' flat position list
    choice: int = 0  # the decoder's (or the consistency pass') candidate
    post: np.ndarray | None = None  # posterior over the candidates
    override: Override | None = None

    @property
    def decoded(self) -> bool:
        return self.fixed is None and self.override is None

    def word(self) -> str:
        """The chosen lowercase word (the fixed text or override for tokens that were not decoded)."""
        if self.override is not None:
            return self.override.text.lower()
        if self.fixed is not None:
            return self.fixed.lower()
        if self.reasons[self.choice] == "keep":
            return self.piece.text.lower()
        return self.words[self.choice]
