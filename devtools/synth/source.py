"""A tiny marked-up source format for synthetic official documents, and its parser.

WHY: the OCR and restoration stages need page images whose exact text is known. We write documents in
this format (never copied from real ones), render them to pages and keep the text as ground truth.

Format (UTF-8, one printed paragraph or line per source line)::

    ; a comment
    [meta]
    id = ke_hoach_quang_tri
    [header-left]
    UBND TỈNH QUẢNG TRỊ
    #bu SỞ NỘI VỤ
    Số: 153/KH-SNV
    [header-right]
    #b12 CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
    #bu Độc lập - Tự do - Hạnh phúc
    #i Quảng Trị, ngày 12 tháng 3 năm 2022
    [body]
    #cb KẾ HOẠCH
    @rule
    Thực hiện ... (a justified paragraph with a first-line indent)
    [footer-left]
    #bi Nơi nhận:
    #s - UBND tỉnh;
    [footer-right]
    #b KT. GIÁM ĐỐC
    @seal SỞ NỘI VỤ * TỈNH QUẢNG TRỊ
    @signature
    #b Nguyễn Văn An

Sections are ``[meta]`` (``key = value``), ``[header-left]``, ``[header-right]``, ``[body]``,
``[footer-left]`` and ``[footer-right]``. A line may start with a style prefix ``#<letters><size> `` where
letters are ``c`` centre, ``l`` left, ``r`` right, ``j`` justify, ``n`` no first-line indent, ``b`` bold,
``i`` italic, ``u`` underline, ``s`` small (11 pt) and the optional number is the font size in points.
``# text`` keeps the section's default style (use it for text that itself starts with ``#``, ``@``, ``;``
or ``[``). An indented line continues the text of the line above (long paragraphs stay
readable in the source). Lines starting with ``@`` are directives: ``@space <pt>`` (vertical gap),
``@rule`` (short centred line under a title), ``@pagebreak``, ``@seal <ring text>`` (red round seal
stamped over the preceding signer title) and ``@signature`` (gap with a handwritten scrawl). Blank lines
are ignored. All text is normalised to NFC.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path

SECTIONS = ("header-left", "header-right", "body", "footer-left", "footer-right")
"""Block names in reading order (the order of the truth text)."""

SMALL_SIZE = 11.0

_DEFAULT_ALIGN = {
    "header-left": "center",
    "header-right": "center",
    "body": "justify",
    "footer-left": "left",
    "footer-right": "center",
}
_DEFAULT_SIZE = {
    "header-left": 13.0,
    "header-right": 13.0,
    "body": 14.0,
    "footer-left": 12.0,
    "footer-right": 14.0,
}
_PREFIX = re.compile(r"^#([a-z]*)(\d+(?:\.\d+)?)?(?: (.*))?$")
_ALIGN_LETTERS = {"c": "center", "l": "left", "r": "right", "j": "justify"}
_DIRECTIVES = ("space", "rule", "pagebreak", "seal", "signature")


class SourceError(ValueError):
    """The source text does not follow the format (message names the line)."""


@dataclass(frozen=True)
class Line:
    """One printed paragraph (body) or line (header/footer) with its style."""

    text: str
    align: str = "justify"
    bold: bool = False
    italic: bool = False
    underline: bool = False
    size: float = 14.0
    indent: bool = True


@dataclass(frozen=True)
class Directive:
    """A non-text element: ``space``, ``rule``, ``pagebreak``, ``seal`` or ``signature``."""

    kind: str
    arg: str = ""


Item = Line | Directive


@dataclass
class DocumentSource:
    """A parsed document: metadata and the items of each block in reading order."""

    meta: dict[str, str] = field(default_factory=dict)
    blocks: dict[str, list[Item]] = field(default_factory=lambda: {name: [] for name in SECTIONS})

    @property
    def doc_id(self) -> str:
        return self.meta.get("id", "document")

    def lines(self, block: str) -> list[Line]:
        """The text items of one block (directives left out)."""
        return [item for item in self.blocks[block] if isinstance(item, Line)]


def _parse_style(block: str, letters: str, size: str | None, text: str, where: str) -> Line:
    align = _DEFAULT_ALIGN[block]
    bold = italic = underline = False
    indent = block == "body"
    font_size = _DEFAULT_SIZE[block]
    for letter in letters:
        if letter in _ALIGN_LETTERS:
            align = _ALIGN_LETTERS[letter]
        elif letter == "b":
            bold = True
        elif letter == "i":
            italic = True
        elif letter == "u":
            underline = True
        elif letter == "n":
            indent = False
        elif letter == "s":
            font_size = SMALL_SIZE
        else:
            raise SourceError(f"{where}: unknown style letter {letter!r}")
    if size is not None:
        font_size = float(size)
    if align != "justify":
        indent = indent and align == "left" and block == "body"
    return Line(text, align, bold, italic, underline, font_size, indent)


def _parse_item(block: str, raw: str, where: str) -> Item:
    if raw.startswith("@"):
        kind, _, arg = raw[1:].partition(" ")
        if kind not in _DIRECTIVES:
            raise SourceError(f"{where}: unknown directive @{kind}")
        if kind == "space":
            try:
                float(arg)
            except ValueError:
                raise SourceError(f"{where}: @space needs a number of points") from None
        return Directive(kind, arg.strip())
    if raw.startswith("#"):
        match = _PREFIX.match(raw)
        if match is None or not (match.group(3) or "").strip():
            raise SourceError(f"{where}: bad style prefix in {raw!r}")
        letters, size, text = match.groups()
        return _parse_style(block, letters, size, text.strip(), where)
    return _parse_style(block, "", None, raw.strip(), where)


def parse_source(text: str, name: str = "<source>") -> DocumentSource:
    """Parse the marked-up text into a ``DocumentSource`` (raises ``SourceError`` on bad input)."""
    doc = DocumentSource()
    section: str | None = None
    for number, raw_line in enumerate(unicodedata.normalize("NFC", text).splitlines(), start=1):
        where = f"{name}:{number}"
        raw = raw_line.strip()
        if not raw or raw.startswith(";"):
            continue
        if raw.startswith("[") and raw.endswith("]"):
            section = raw[1:-1].strip()
            if section != "meta" and section not in SECTIONS:
                raise SourceError(f"{where}: unknown section [{section}]")
            continue
        if section is None:
            raise SourceError(f"{where}: text before the first [section]")
        if section == "meta":
            key, sep, value = raw.partition("=")
            if not sep:
                raise SourceError(f"{where}: meta lines are 'key = value'")
            doc.meta[key.strip()] = value.strip()
            continue
        items = doc.blocks[section]
        if raw_line[:1].isspace() and items and isinstance(items[-1], Line):
            items[-1] = replace(items[-1], text=f"{items[-1].text} {raw}")  # continuation line
            continue
        items.append(_parse_item(section, raw, where))
    return doc


def load_source(path: str | Path) -> DocumentSource:
    """Read and parse a source file; ``meta.id`` defaults to the file stem."""
    path = Path(path)
    doc = parse_source(path.read_text(encoding="utf-8"), name=str(path))
    doc.meta.setdefault("id", path.stem)
    return doc
