"""Build dictionaries/names.tsv: person-name syllables, place names and office names with corpus counts.

Restoration decodes the words users look up first (who signed, which office, which province) with these
lexicons instead of the syllable language model, which knows names least (pipeline/restore/lexicon.py).

What is written by hand here (public facts, no corpus text): the common Vietnamese surnames and middle
names, the 63 provinces and centrally-run cities, and the fields of the provincial departments
(Sở/Phòng/Bộ + field) and other issuing bodies. What is counted from the training corpus:

- person names: runs of 3-4 capitalised syllables that start with a listed surname and go on with a
  listed middle name (or 2 after "ông/bà/đồng chí/anh/chị"), not after a place word ("tỉnh", "huyện",
  "đường" ...). Each distinct name counts once (a people count: "Hồ Chí Minh" is one person however
  often the corpus names him): its first syllable as a surname, its last as a given name (also as
  ``given_f`` when the name holds "Thị"), the ones between as middle names; ``pair`` counts the last two
  syllables ("middle given");
- districts: capitalised names after "huyện/quận/thị xã/thành phố" that are not provinces;
- every listed province and office: how often it occurs.

Columns: form (display spelling, modern tone placement), kind, count. Kinds: surname, middle, given,
given_f, pair, province, district, office, header (the national name and motto of every header),
title (signer titles such as "KT. GIÁM ĐỐC"). Usage:

    python scripts/build_names.py [--corpus-dir ../shared/corpus] [--out dictionaries/names.tsv]
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from devtools.corpus import DEFAULT_CORPUS_DIR, DEFAULT_FILES, training_lines  # noqa: E402
from pipeline.resources import DICTIONARIES  # noqa: E402
from pipeline.restore.normalize import normalize_syllable  # noqa: E402
from pipeline.restore.syllables import is_valid_syllable  # noqa: E402


def _list(text: str) -> list[str]:
    """The words of a hand-written list (one string, for readable tables)."""
    return text.split()


SURNAMES = _list("""
Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý Đào Đoàn Vương Trịnh Đinh Lâm
Phùng Mai Tô Trương Hà Cao Lương Lưu Tạ Hứa Châu Quách Thái Từ Tăng La Kiều Triệu Đàm Chu Khúc Mạc Nông
Lục Thân Tống Phí Kim Giang Hàn Lại Lã Âu Diệp Tôn Ông Quan Lò Sầm Bế Thạch Danh Ninh Đồng Nghiêm Khổng
Mạch Khương Vi Nhữ Trình Ung Cù Doãn Bạch Giáp Đậu Lạc Chế Tiêu Hầu Ngụy Bạc Cung Đường Phó Mã Ôn Nhan
Viên Lữ Mẫn Cấn Phương Thiều Thái Khổng Văn Hoàng Lư Lường Hoa Lăng Đàng Y Vy Trà Sơn Tiết Phó Quản
Đồng Kha Dư Khưu Tất Thang Mông Hạ Lộc Tưởng Yên Hồng Mạnh Đoàn Khuất Bành Lạng Thiệu Biện
""")

MIDDLES = _list("""
Văn Thị Đức Minh Ngọc Thanh Hữu Quang Xuân Hoàng Công Hồng Thu Kim Anh Tuấn Mạnh Đình Trọng Quốc Thành
Hải Thế Bá Duy Tiến Việt Phương Thúy Bích Mỹ Như Huy Khánh Gia Bảo Trung Tấn Chí Hoài Nhật Thái Diệu
Kiều Cẩm Lệ Thùy Hà Vân Mai Lan Phúc Đăng Đắc Viết Sỹ Sĩ Phú Quý Tường Nguyên Trường Vĩnh Tất Khắc
Thiện Hùng Huệ Hiền Tú Cao Sơn Bình Thạch Đại Hoa Nam Phước Kỳ Trí Long Tự Doãn Hồ Vũ Lê Trần Phạm
Nguyễn Đông Thúc Ích Khả Thiên Thụy Tố Ánh Diễm Hạnh Uyên Yến Trà Bảo Lương Ninh Quế Song
""")

PROVINCES = [
    "An Giang", "Bà Rịa - Vũng Tàu", "Bắc Giang", "Bắc Kạn", "Bạc Liêu", "Bắc Ninh", "Bến Tre", "Bình Định",
    "Bình Dương", "Bình Phước", "Bình Thuận", "Cà Mau", "Cần Thơ", "Cao Bằng", "Đà Nẵng", "Đắk Lắk",
    "Đắk Nông", "Điện Biên", "Đồng Nai", "Đồng Tháp", "Gia Lai", "Hà Giang", "Hà Nam", "Hà Nội", "Hà Tĩnh",
    "Hải Dương", "Hải Phòng", "Hậu Giang", "Hòa Bình", "Hưng Yên", "Khánh Hòa", "Kiên Giang", "Kon Tum",
    "Lai Châu", "Lâm Đồng", "Lạng Sơn", "Lào Cai", "Long An", "Nam Định", "Nghệ An", "Ninh Bình",
    "Ninh Thuận", "Phú Thọ", "Phú Yên", "Quảng Bình", "Quảng Nam", "Quảng Ngãi", "Quảng Ninh", "Quảng Trị",
    "Sóc Trăng", "Sơn La", "Tây Ninh", "Thái Bình", "Thái Nguyên", "Thanh Hóa", "Thừa Thiên Huế",
    "Tiền Giang", "Hồ Chí Minh", "Trà Vinh", "Tuyên Quang", "Vĩnh Long", "Vĩnh Phúc", "Yên Bái",
]  # fmt: skip

# Fields of provincial departments (Sở), district offices (Phòng) and ministries (Bộ): public facts.
FIELDS = [
    "Nội vụ", "Tư pháp", "Kế hoạch và Đầu tư", "Tài chính", "Công Thương",
    "Nông nghiệp và Phát triển nông thôn", "Nông nghiệp và Môi trường", "Giao thông vận tải", "Xây dựng",
    "Tài nguyên và Môi trường", "Thông tin và Truyền thông", "Lao động - Thương binh và Xã hội",
    "Văn hóa, Thể thao và Du lịch", "Văn hóa và Thể thao", "Văn hóa - Thông tin", "Khoa học và Công nghệ",
    "Giáo dục và Đào tạo", "Y tế", "Ngoại vụ", "Dân tộc", "Du lịch", "Kinh tế", "Kinh tế - Hạ tầng",
    "Quản lý đô thị", "Tài chính - Kế hoạch", "Văn hóa", "Khoa học, Công nghệ và Môi trường",
]  # fmt: skip
OFFICE_HEADS = ("Sở", "Phòng", "Bộ")
# The fixed lines of every header (national name and motto).
HEADER_LINES = ["Cộng hòa xã hội chủ nghĩa Việt Nam", "Độc lập - Tự do - Hạnh phúc"]
# Signer titles above the signature (public facts of the administrative style).
TITLES = [
    "KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC", "GIÁM ĐỐC", "TL. GIÁM ĐỐC", "Q. GIÁM ĐỐC", "KT. CHỦ TỊCH",
    "PHÓ CHỦ TỊCH", "CHỦ TỊCH", "TM. ỦY BAN NHÂN DÂN", "TM. BAN THƯỜNG VỤ", "TRƯỞNG BAN", "PHÓ TRƯỞNG BAN",
    "KT. TRƯỞNG BAN", "TRƯỞNG PHÒNG", "PHÓ TRƯỞNG PHÒNG", "CHÁNH VĂN PHÒNG", "HIỆU TRƯỞNG", "BÍ THƯ",
]  # fmt: skip
OTHER_OFFICES = [
    "Ủy ban nhân dân", "Hội đồng nhân dân", "Văn phòng", "Thanh tra", "Ban Thi đua - Khen thưởng",
    "Hội đồng Thi đua - Khen thưởng", "Ban Dân tộc", "Ban Tôn giáo", "Ban Tổ chức", "Ban Tuyên giáo",
    "Ban Dân vận", "Ban Quản lý", "Văn phòng Ủy ban nhân dân", "Văn phòng Hội đồng nhân dân", "Công an",
    "Bộ Chỉ huy Quân sự", "Bộ đội Biên phòng", "Liên đoàn Lao động", "Mặt trận Tổ quốc Việt Nam",
    "Hội Liên hiệp Phụ nữ", "Hội Nông dân", "Hội Cựu chiến binh", "Đoàn Thanh niên Cộng sản Hồ Chí Minh",
    "Kho bạc Nhà nước", "Cục Thuế", "Bảo hiểm xã hội", "Ngân hàng Nhà nước", "Đài Phát thanh và Truyền hình",
    "Chi cục Thuế", "Chi cục Kiểm lâm", "Chi cục Thống kê", "Cục Thống kê", "Trung tâm Y tế",
    "Tòa án nhân dân", "Viện Kiểm sát nhân dân", "Hội Chữ thập đỏ", "Liên minh Hợp tác xã",
    "Trường Chính trị", "Bệnh viện Đa khoa", "Ủy ban Mặt trận Tổ quốc Việt Nam", "Thanh tra tỉnh",
    "Văn phòng Điều phối nông thôn mới", "Ban Chỉ huy Quân sự", "Phòng Tổ chức cán bộ",
    "Phòng Kế hoạch - Tài chính", "Phòng Văn hóa - Xã hội",
]  # fmt: skip

_UPPER = "A-ZĐÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴ"
_LOWER = "a-zđàáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ"
_CAP = f"[{_UPPER}][{_LOWER}]*"
# A run of capitalised words (the name candidates).
_CAP_RUN = re.compile(rf"(?<![{_LOWER}{_UPPER}]){_CAP}(?: {_CAP}){{1,5}}(?![{_LOWER}{_UPPER}])")
_TITLES = {"ông", "bà", "đồng chí", "anh", "chị", "chí", "Ông", "Bà", "Đồng chí", "Anh", "Chị", "cô", "Cô"}
# Words before a capitalised run that make it a place or a thing, not a person.
_PLACE_WORDS = {
    "tỉnh", "huyện", "quận", "xã", "phường", "thị", "trấn", "phố", "đường", "sông", "núi", "cầu", "chợ",
    "trường", "làng", "thôn", "ấp", "bản", "đảo", "vịnh", "hồ", "đèo", "miền", "vùng", "khu", "cảng",
    "bệnh", "viện", "công", "ty", "hiệu", "nước", "tại", "ở", "đến", "từ", "về", "Tỉnh", "Huyện", "Quận",
    "Xã", "Phường", "Đường", "Sông", "Trường", "Thành", "Thị", "Bến", "Khu", "Cầu", "Chợ",
}  # fmt: skip
_DISTRICT = re.compile(
    rf"\b(?:huyện|quận|thị xã|thành phố|Huyện|Quận|Thị xã|Thành phố) ({_CAP}(?: {_CAP}){{0,2}})"
)


def _syllable(word: str) -> str:
    return normalize_syllable(word.lower())


def _valid(words: list[str]) -> bool:
    return all(is_valid_syllable(_syllable(w)) for w in words)


def _display(word: str) -> str:
    """Capitalised, tone-normalised spelling of one name syllable."""
    s = _syllable(word)
    return s[:1].upper() + s[1:]


class Counts:
    """Everything counted in one pass over the corpus."""

    def __init__(self) -> None:
        self.kind: dict[str, Counter[str]] = {
            k: Counter() for k in ("surname", "middle", "given", "given_f", "pair", "district")
        }
        self.phrases: Counter[str] = Counter()
        self.surnames = {_display(s) for s in SURNAMES}
        self.middles = {_display(s) for s in MIDDLES}
        self.seen: set[str] = set()
        self.provinces = {p for p in PROVINCES}

    def add_name(self, words: list[str]) -> None:
        names = [_display(w) for w in words]
        full = " ".join(names)
        if full in self.seen:
            return
        self.seen.add(full)
        self.kind["surname"][names[0]] += 1
        for w in names[1:-1]:
            self.kind["middle"][w] += 1
        self.kind["given"][names[-1]] += 1
        if "Thị" in names[1:-1]:
            self.kind["given_f"][names[-1]] += 1
        if len(names) >= 3:
            self.kind["pair"][f"{names[-2]} {names[-1]}"] += 1

    def scan_line(self, line: str) -> None:
        for m in _CAP_RUN.finditer(line):
            head = line[: m.start()].rsplit(None, 2)
            before = head[-1] if head else ""
            words = m.group().split()
            if words[0] in _TITLES and len(words) > 2:  # "Ông Nguyễn Văn An" at the start of a sentence
                before, words = words[0], words[1:]
            elif words[0] not in self.surnames and len(words) > 3 and words[1] in self.surnames:
                before, words = words[0], words[1:]  # "Theo Phạm Minh Tuấn, …"
            if before.strip('(“"') in _PLACE_WORDS or not _valid(words):
                continue
            titled = before in _TITLES or " ".join(head[-2:]) in _TITLES
            if words[0] not in self.surnames or len(words) > 4:
                continue
            # A Vietnamese name has a listed middle name (foreign names transliterated into Sino-Vietnamese
            # syllables rarely do), or is given after a title ("ông Nguyễn Hùng").
            named = len(words) >= 3 and words[1] in self.middles or titled and len(words) == 2
            if named and not any(w in self.provinces for w in (" ".join(words[:2]), " ".join(words[-2:]))):
                self.add_name(words)
        for m in _DISTRICT.finditer(line):
            name = m.group(1)
            if name not in self.provinces and _valid(name.split()):
                self.kind["district"][name] += 1


def phrase_counts(lines_text: list[str], phrases: list[str]) -> Counter[str]:
    """Occurrences of every listed phrase (case-sensitive; also inside longer ones) in a chunk of lines."""
    blob = "\n".join(lines_text)
    return Counter({p: blob.count(p) for p in phrases})


def offices() -> list[str]:
    return sorted({f"{head} {field}" for head in OFFICE_HEADS for field in FIELDS} | set(OTHER_OFFICES))


def count_corpus(corpus_dir: Path, files: tuple[str, ...]) -> tuple[Counts, Counter[str]]:
    counts = Counts()
    phrases = Counter[str]()
    listed = PROVINCES + offices() + HEADER_LINES + TITLES
    # Phrase counting is one regex per phrase: done over batches of lines, not per line.
    batch: list[str] = []
    for line in training_lines(corpus_dir, files):
        counts.scan_line(line)
        batch.append(line)
        if len(batch) >= 50_000:
            phrases.update(phrase_counts(batch, listed))
            batch = []
    phrases.update(phrase_counts(batch, listed))
    return counts, phrases


def rows(counts: Counts, phrases: Counter[str], min_count: int) -> list[tuple[str, str, int]]:
    """The table: hand-listed entries always (count at least 1), counted ones from ``min_count``."""
    out: list[tuple[str, str, int]] = []
    listed = {"surname": [_display(s) for s in SURNAMES], "middle": [_display(s) for s in MIDDLES]}
    for kind, counter in counts.kind.items():
        forms = set(listed.get(kind, ())) | {f for f, n in counter.items() if n >= min_count}
        if kind == "district":
            forms = {f for f in forms if counter[f] >= 3 * min_count}
        out.extend((f, kind, max(counter[f], 1)) for f in forms)
    out.extend((p, "province", max(phrases[p], 1)) for p in PROVINCES)
    out.extend((p, "office", max(phrases[p], 1)) for p in offices())
    out.extend((p, "header", max(phrases[p], 1)) for p in HEADER_LINES)
    out.extend((p, "title", max(phrases[p], 1)) for p in TITLES)
    return sorted(out, key=lambda r: (r[1], -r[2], r[0]))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus-dir", type=Path, default=DEFAULT_CORPUS_DIR)
    ap.add_argument("--files", nargs="*", default=list(DEFAULT_FILES))
    ap.add_argument("--min-count", type=int, default=2, help="counted entries seen fewer times are dropped")
    ap.add_argument("--out", type=Path, default=DICTIONARIES / "names.tsv")
    args = ap.parse_args(argv)
    t0 = time.time()
    counts, phrases = count_corpus(args.corpus_dir, tuple(args.files))
    table = rows(counts, phrases, args.min_count)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as fh:
        fh.write("# Name lexicons for restoration (scripts/build_names.py; counts from the corpus)\n")
        fh.write("# form\tkind\tcount   (kinds: see scripts/build_names.py)\n")
        for form, kind, n in table:
            fh.write(f"{form}\t{kind}\t{n}\n")
    by_kind = Counter(kind for _, kind, _ in table)
    print(f"{len(table)} entries written to {args.out} in {time.time() - t0:.0f}s: {dict(by_kind)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
