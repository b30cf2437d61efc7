"""The text being analysed, line by line, with the folded views the matchers work on."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from .text import fold, match_view, split_lines

# Only this many characters of a line are examined by the keyword matchers: real headings, header lines and
# recipients are far shorter, and it keeps a megabyte-long line from making the fuzzy matchers slow.
ANALYSIS_CHARS = 600


@dataclass
class DocLines:
    lines: list[str]
    folded: list[str] = field(init=False)
    views: list[str] = field(init=False)
    masked: set[int] = field(default_factory=set)  # lines owned by a block that is not content

    def __post_init__(self) -> None:
        heads = [line[:ANALYSIS_CHARS] for line in self.lines]
        self.folded = [fold(h) for h in heads]
        self.views = [match_view(h) for h in heads]

    @classmethod
    def from_text(cls, text: str) -> DocLines:
        return cls([unicodedata.normalize("NFC", line) for line in split_lines(text)])

    def __len__(self) -> int:
        return len(self.lines)

    def blank(self, index: int) -> bool:
        return not self.lines[index].strip()

    def usable(self, index: int) -> bool:
        """Non-blank and not owned by a non-content block (digital signature ...)."""
        return index not in self.masked and not self.blank(index)

    def head(self, index: int) -> str:
        """The examined part of a line, as written."""
        return self.lines[index][:ANALYSIS_CHARS]
