"""The end of a document: recipients ("Nơi nhận:", and "Kính gửi:" of a công văn), the signer's title and
name, and the digital-signature block that electronically signed copies carry.

In OCR output the footer's two columns (recipients left, signer right) come one after the other or merged
line by line ("Nơi nhận: KT. GIÁM ĐỐC", "- Như trên; PHÓ GIÁM ĐỐC"), so a signer's title is also looked
for at the end of recipient lines and split off from them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from . import markers
from .dates import iso_timestamp
from .doc import DocLines
from .text import key, squash, without_junk

_SIG_FIELDS = {
    "signer": ("nguoi ky", "ky boi", "signed by", "nguoi ky so"),
    "organization": ("co quan", "don vi", "organization"),
    "email": ("email", "e mail", "thu dien tu"),
    "timestamp": ("thoi gian ky", "ngay ky", "ky ngay", "signing time", "thoi gian"),
}
_SIG_WINDOW = 6
SIGNATURE_KEYS = ("signer", "organization", "email", "timestamp")
_SIGNED_MARK = re.compile(
    r"^\(?\s*(da ky|ky|ky ten|ky, ghi ro ho ten|da ky va dong dau)\b.*\)?$", re.IGNORECASE
)
_ITEM_SPLIT = re.compile(r";\s*(?=[-–+•]\s*\S)")


@dataclass
class Footer:
    recipients: list[str] = field(default_factory=list)
    signer_title: str | None = None
    signer_name: str | None = None
    stops: set[int] = field(default_factory=set)  # lines that are not content


def _sig_field(view: str) -> tuple[str, str] | None:
    label, colon, value = view.partition(":")
    if not colon or len(label) > 20:
        return None
    label_key = " ".join(label.replace("-", " ").split())
    best = max(
        ((fuzz.ratio(label_key, text), name) for name, labels in _SIG_FIELDS.items() for text in labels),
        default=(0.0, ""),
    )
    return (best[1], value) if best[0] >= 80 else None


def _sig_value(name: str, raw: str) -> str | None:
    """A field of the signature block without the stray marks a stamp or speck leaves after it."""
    value = without_junk(squash(raw), dash=True)
    if name == "email":
        value = value.rstrip(".,;:")
    return value or None


def find_digital_signature(doc: DocLines) -> tuple[dict | None, set[int]]:
    """The "Người ký / Ký bởi ... Thời gian ký ..." block: its fields and the lines it occupies."""
    for index in range(len(doc)):
        found = _sig_field(doc.views[index])
        if not found or found[0] != "signer":
            continue
        record: dict[str, str | None] = dict.fromkeys(SIGNATURE_KEYS)
        lines: set[int] = set()
        lo, hi = max(0, index - _SIG_WINDOW), min(len(doc), index + _SIG_WINDOW + 1)
        for i in range(lo, hi):
            field_found = _sig_field(doc.views[i])
            if not field_found or record.get(field_found[0]) is not None:
                continue
            name = field_found[0]
            raw = doc.head(i).partition(":")[2]
            value = iso_timestamp(raw) if name == "timestamp" else _sig_value(name, raw)
            if name == "timestamp" and value is None:
                value = squash(raw) or None
            record[name] = value
            lines.add(i)
        if record["signer"] and (record["timestamp"] or record["organization"] or record["email"]):
            return record, lines
    return None, set()


_ARCHIVE = re.compile(r"^(?P<word>\S{2,4}):\s*(?P<rest>.*)$")
_FIRST_ARCHIVE_CODE = re.compile(r"^V[IT1FLlí|](?=\s*(?:,|$))")


def _clean_item(text: str) -> str:
    """One recipient as written, with the fixed wordings "Lưu: VT ..." and "Như trên" written back when
    OCR or restoration damaged them (``Luu: VT``, ``Ldu: VT``, ``Nhu tren``)."""
    item = squash(markers.BULLET.sub("", text)).strip(" ;,._|¬~`'-:")
    archive = _ARCHIVE.match(item)
    if archive:
        rest = archive.group("rest")
        if fuzz.ratio(key(archive.group("word")), "luu") >= 60 or rest.upper().startswith("VT"):
            # the archive codes are listed with commas, the clerical office (VT) first: OCR reads a comma
            # as a semicolon and VT as VI, V1, VF on photocopies
            rest = _FIRST_ARCHIVE_CODE.sub("VT", rest.replace(";", ","))
            return f"Lưu: {rest}".rstrip()
    if fuzz.ratio(key(item), "nhu tren") >= 75:
        return "Như trên"
    return item


def _split_items(text: str) -> list[str]:
    return [item for item in (_clean_item(part) for part in _ITEM_SPLIT.split(text)) if item]


def _without_role(line: str) -> tuple[str, str | None]:
    """Split a recipient line from a signer title merged at its end."""
    span = markers.role_span(line)
    if span is None:
        return line, None
    return line[: span[0]], squash(line[span[0] : span[1]])


def _name_suffix(line: str) -> str | None:
    """A signer's name merged after a recipient item (``- Lưu: VT, TCCB. Trần Thị Mai``)."""
    for separator in (";", "."):
        head, sep, tail = line.rpartition(separator)
        if sep and head.strip() and markers.name_like(tail):
            return squash(tail)
    return None


def _recipient_block(doc: DocLines, index: int, footer: Footer, roles: list[tuple[int, str]]) -> int:
    """Recipients from the ``Nơi nhận:`` / ``Kính gửi:`` line at ``index`` on; returns its last line."""
    line, role = _without_role(doc.head(index))
    if role:
        roles.append((index, role))
    footer.recipients.extend(_split_items(line.partition(":")[2]))
    last = index
    i = index + 1
    while i < len(doc):
        if not doc.usable(i):
            i += 1
            continue
        text = doc.head(i)
        stripped = text.strip()
        bullet = markers.is_bullet(stripped)
        if not bullet and not stripped.endswith(";") and not markers.starts_with_phrase(doc.views[i], "luu"):
            break
        item, role = _without_role(text)
        if role:
            roles.append((i, role))
        footer.recipients.extend(_split_items(item))
        footer.stops.add(i)
        last = i
        i += 1
    return last


CLOSING_SHARE = 2 / 3  # a doubtful "Nơi nhận" is only taken in the last third of the text ...
CLOSING_WINDOW = 3  # ... or within a few lines after the end of the content


def _opens_recipients(doc: DocLines, index: int) -> bool:
    """The "Nơi nhận:" line: a clear reading anywhere (a decision's recipients come before the plan it
    issues), a doubtful one only in the closing part of the document."""
    score = markers.noi_nhan_score(doc.views[index])
    if score >= markers.STRONG_NOI_NHAN:
        return True
    if score == 0.0:
        return False
    if index >= len(doc) * CLOSING_SHARE:
        return True
    previous = [i for i in range(max(0, index - CLOSING_WINDOW), index) if doc.usable(i)]
    return any(_END_OF_CONTENT.search(doc.head(i)) or markers.is_role_line(doc.head(i)) for i in previous)


_END_OF_CONTENT = re.compile(r"\./\.?\s*\S{0,2}\s*$")


def parse_footer(doc: DocLines, body_start: int, first_heading: int | None) -> Footer:
    """Recipients, signer title and name, and the non-content lines they occupy."""
    footer = Footer()
    roles: list[tuple[int, str]] = []
    search_from = body_start
    for index in range(max(0, body_start - 1), len(doc)):
        if not doc.usable(index):
            continue
        view = doc.views[index]
        if markers.is_kinh_gui(view) and (first_heading is None or index < first_heading):
            footer.stops.add(index)
            _recipient_block(doc, index, footer, [])
            search_from = index + 1
            break
    noi_nhan_seen = False
    noi_nhan_end: int | None = None
    role_block_done = False
    index = search_from
    while index < len(doc):
        if not doc.usable(index):
            index += 1
            continue
        view = doc.views[index]
        if not noi_nhan_seen and _opens_recipients(doc, index):
            noi_nhan_seen = True
            footer.stops.add(index)
            noi_nhan_end = _recipient_block(doc, index, footer, roles)
            index = noi_nhan_end + 1
            continue
        title = None if role_block_done else markers.role_title(doc.head(index))
        if title is not None:
            roles.append((index, squash(title)))
            footer.stops.add(index)
        elif roles and not role_block_done:
            role_block_done = True
        index += 1
        if noi_nhan_seen and role_block_done:
            break
    if roles:
        roles = _one_block(roles)
        footer.signer_title = " / ".join(_deputy_prefix([canonical_title(title) for _, title in roles]))
        footer.stops.update(i for i, _ in roles)
        footer.signer_name = _signer_name(doc, roles[-1][0], footer)
    elif noi_nhan_end is not None:
        # the title was lost under the seal: a name after the recipients is still the signer's, past the
        # lines of scrawl the seal left (as far as after a title)
        footer.signer_name = _signer_name(doc, noi_nhan_end, footer)
    return footer


# Signer titles form a closed vocabulary: a damaged one ("KT.TRUENG BAN", "PHO GIAM DOC") is written back
# in its printed form. The organisation after "TM." is open, so only the listed ones are rewritten.
_TITLES = (
    "GIÁM ĐỐC", "PHÓ GIÁM ĐỐC", "CHỦ TỊCH", "PHÓ CHỦ TỊCH", "PHÓ CHỦ TỊCH THƯỜNG TRỰC", "TRƯỞNG BAN",
    "PHÓ TRƯỞNG BAN", "CHÁNH VĂN PHÒNG", "PHÓ CHÁNH VĂN PHÒNG", "TRƯỞNG PHÒNG", "PHÓ TRƯỞNG PHÒNG",
    "HIỆU TRƯỞNG", "PHÓ HIỆU TRƯỞNG", "TỔNG GIÁM ĐỐC", "VIỆN TRƯỞNG", "CỤC TRƯỞNG", "CHI CỤC TRƯỞNG",
    "CHÁNH THANH TRA", "BÍ THƯ", "PHÓ BÍ THƯ", "THỦ TRƯỞNG", "ỦY BAN NHÂN DÂN", "HỘI ĐỒNG", "BAN THƯỜNG VỤ",
    "BAN CHẤP HÀNH", "BAN CHỈ ĐẠO", "HỘI ĐỒNG THI ĐUA - KHEN THƯỞNG",
)  # fmt: skip
_TITLE_KEYS = {key(title): title for title in _TITLES}
_TITLE_PREFIX = re.compile(rf"^{markers.DELEGATION_PREFIX}\s*", re.IGNORECASE)


def canonical_title(title: str) -> str:
    """One line of a signer's title in its printed form: ``KT.TRUENG BAN`` → ``KT. TRƯỞNG BAN``."""
    prefix_match = _TITLE_PREFIX.match(title)
    prefix = f"{(prefix_match.group(1) or prefix_match.group(2)).upper()}. " if prefix_match else ""
    rest = title[prefix_match.end() :] if prefix_match else title
    best = max(((fuzz.ratio(key(rest), k), t) for k, t in _TITLE_KEYS.items()), default=(0.0, rest))
    return prefix + (best[1] if best[0] >= 85 else squash(rest))


def _deputy_prefix(titles: list[str]) -> list[str]:
    """A deputy signs for the head: "GIÁM ĐỐC" over "PHÓ GIÁM ĐỐC" is "KT. GIÁM ĐỐC" (its "KT." lost to
    the copy), and a lone "KT. GIÁM ĐỐC" has the deputy's line under it (lost under the seal)."""
    if len(titles) == 2 and titles[1] == f"PHÓ {titles[0]}" and not _TITLE_PREFIX.match(titles[0]):
        return [f"KT. {titles[0]}", titles[1]]
    if len(titles) == 1 and titles[0].startswith("KT. ") and titles[0][4:] in _TITLES:
        return [titles[0], f"PHÓ {titles[0][4:]}"]  # "KT." is signed by the deputy: the seal took that line
    return titles


def _one_block(roles: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Keep the first run of title lines: they sit within a few lines of each other."""
    roles = sorted(set(roles))
    block = [roles[0]]
    for item in roles[1:]:
        if item[0] - block[-1][0] > 4:
            break
        block.append(item)
    return block


def _signer_name(doc: DocLines, after: int, footer: Footer, window: int = 14) -> str | None:
    for i in range(after + 1, min(len(doc), after + window)):
        if not doc.usable(i):
            continue
        text = doc.head(i).strip()
        if markers.is_bullet(text) or text.endswith(";"):
            suffix = _name_suffix(text)
            if suffix:
                return suffix
            continue
        if _SIGNED_MARK.match(doc.views[i].strip()) or markers.is_noi_nhan(doc.views[i]):
            continue
        if markers.name_like(text):
            footer.stops.add(i)
            return squash(markers.without_trailing_mark(text)).strip(" .,;")
        _, role = _without_role(text)
        if role:
            continue
    return None
