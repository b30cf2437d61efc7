"""Broken and oddly named inputs by the hundred, and the checks a batch over them must pass.

Seeds are small valid files of every kind the batch reads (scanned PDF, text PDF, TIFF, PNG, JPEG, text
dumps in UTF-8 and UTF-16), made here from Vietnamese text rendered with the Liberation fonts. Mutations
damage them the way archives do (truncation, flipped bits, inserted or zeroed chunks, a header from another
format, a wrong extension) and names are made odd (bytes that are not UTF-8, control characters, leading
dashes, 250-byte names, decomposed Vietnamese). :func:`check_run` then says whether a ``sohoa run`` over
them crashed, gave every input its one row, kept every error to one line and left nothing half-written.

Used by ``tests/test_fuzz_inputs.py`` and ``tests/test_archive_traps.py`` (a few dozen files) and by
``benchmarks/fuzz_ingest.py`` (hundreds). It lives in ``devtools`` so that benchmarks never import tests.
"""

from __future__ import annotations

import io
import json
import os
import random
import sqlite3
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
from PIL import Image, ImageDraw, ImageFont

FONT_DIR = Path("/usr/share/fonts/truetype/liberation2")

PLAN = """UBND TỈNH CAO BẰNG
SỞ GIÁO DỤC VÀ ĐÀO TẠO
Số: 112/KH-SGDĐT
Cao Bằng, ngày 5 tháng 4 năm 2022
KẾ HOẠCH
Phát động phong trào thi đua dạy tốt, học tốt năm học 2022 - 2023
I. MỤC ĐÍCH, YÊU CẦU
1. Mục đích
Khơi dậy tinh thần chủ động, sáng tạo của giáo viên và học sinh trong mọi hoạt động.
2. Yêu cầu
Các trường tổ chức thi đua thiết thực, gắn với nhiệm vụ chuyên môn của từng đơn vị.
II. NỘI DUNG THI ĐUA
Đổi mới phương pháp dạy học, nâng cao chất lượng giáo dục toàn diện cho học sinh.
III. TỔ CHỨC THỰC HIỆN
Phòng Giáo dục và Đào tạo các huyện triển khai kế hoạch này đến các trường học.
"""

PAGE_LINES = [
    "KẾ HOẠCH THI ĐUA NĂM 2022",
    "Khơi dậy tinh thần chủ động, sáng tạo của giáo viên",
    "và học sinh trong mọi hoạt động của nhà trường.",
    "Các trường tổ chức thi đua thiết thực, gắn với",
    "nhiệm vụ chuyên môn của từng đơn vị trong tỉnh.",
]

# Names an archive really has, or that a careless script makes; every one must reach the tables readably.
ODD_NAMES: list[bytes] = [
    b"b\xe1o c\xe1o 2021.pdf",  # Windows-1258 bytes, not UTF-8
    b"\xff\xfe\x01\x02.png",
    b"-rf --force.txt",
    b"line\nbreak.txt",
    b"tab\there.jpg",
    b"\x1b[31mred\x1b[0m.tif",
    b"quote'\"and`back\\slash.txt",
    b"100% *?[x].pdf",
    b"trailing space .txt ",
    unicodedata.normalize("NFD", "Kế hoạch thi đua.txt").encode(),
    "văn bản 📄.png".encode(),
    b"n" * 240 + b".txt",
    b"%s%n%x.jpg",
    b"CON",
]


def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    name = "LiberationSerif-Bold.ttf" if bold else "LiberationSerif-Regular.ttf"
    return ImageFont.truetype(str(FONT_DIR / name), size)


def render_page(lines: list[str] = PAGE_LINES, *, width: int = 1400, size: int = 42) -> Image.Image:
    """A small greyscale 'scan' of ``lines``: dark serif text on an off-white page, at about 300 dpi."""
    line_height = int(size * 1.6)
    page = Image.new("L", (width, 2 * 60 + line_height * len(lines)), 245)
    draw = ImageDraw.Draw(page)
    for i, line in enumerate(lines):
        draw.text((60, 60 + i * line_height), line, font=font(size, bold=i == 0), fill=25)
    return page


def _image_bytes(image: Image.Image, fmt: str, **params) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def _text_pdf() -> bytes:
    from reportlab.lib.pagesizes import A6
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    pdfmetrics.registerFont(TTFont("LiberationSerif", str(FONT_DIR / "LiberationSerif-Regular.ttf")))
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A6)
    pdf.setFont("LiberationSerif", 9)
    for i, line in enumerate(PLAN.splitlines()[:12]):
        pdf.drawString(14, 390 - 13 * i, line)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def seeds() -> dict[str, tuple[bytes, str]]:
    """Valid small files of every kind: name -> (content, extension)."""
    page = render_page()
    second = render_page(PAGE_LINES[::-1])
    deep = Image.fromarray((np.asarray(page, dtype=np.uint16) * 257).astype(np.uint16))
    return {
        "text_utf8": (PLAN.encode("utf-8"), ".txt"),
        "text_utf16": (PLAN.encode("utf-16"), ".txt"),
        "png": (_image_bytes(page, "PNG", dpi=(300, 300)), ".png"),
        "jpeg": (_image_bytes(page.convert("RGB"), "JPEG", quality=80, dpi=(300, 300)), ".jpg"),
        "tiff": (
            _image_bytes(
                page, "TIFF", dpi=(300, 300), compression="tiff_lzw", save_all=True, append_images=[second]
            ),
            ".tif",
        ),
        "tiff16": (_image_bytes(deep, "TIFF", dpi=(300, 300)), ".tif"),
        "pdf_scan": (
            _image_bytes(page.convert("RGB"), "PDF", resolution=300.0, save_all=True, append_images=[second]),
            ".pdf",
        ),
        "pdf_text": (_text_pdf(), ".pdf"),
    }


HEADERS = [
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff\xe0",
    b"II*\x00",
    b"MM\x00*",
    b"%PDF-1.4\n",
    b"\xff\xfe",
    b"\xef\xbb\xbf",
]
EXTENSIONS = [".pdf", ".tif", ".png", ".jpg", ".txt", "", ".PDF", ".docx"]


def truncate(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(1, max(2, len(data)))]


def flip_bits(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.choice((1, 2, 8, 64))):
        i = rng.randrange(len(out))
        out[i] ^= 1 << rng.randrange(8)
    return bytes(out)


def insert_chunk(data: bytes, rng: random.Random) -> bytes:
    at = rng.randrange(len(data) + 1)
    chunk = rng.choice([rng.randbytes(rng.randrange(1, 512)), b"\x00" * 4096, data[: rng.randrange(1, 256)]])
    return data[:at] + chunk + data[at:]


def zero_chunk(data: bytes, rng: random.Random) -> bytes:
    at = rng.randrange(len(data))
    n = min(len(data) - at, rng.randrange(1, 2048))
    return data[:at] + b"\x00" * n + data[at + n :]


def swap_header(data: bytes, rng: random.Random) -> bytes:
    header = rng.choice(HEADERS)
    return header + data[len(header) :] if rng.random() < 0.5 else header + data


def keep(data: bytes, rng: random.Random) -> bytes:
    return data  # with a wrong extension or an odd name, the content itself is fine


MUTATIONS: dict[str, Callable[[bytes, random.Random], bytes]] = {
    "truncate": truncate,
    "flip": flip_bits,
    "insert": insert_chunk,
    "zero": zero_chunk,
    "header": swap_header,
    "keep": keep,
}


@dataclass
class Corpus:
    folder: Path
    files: list[bytes] = field(default_factory=list)  # paths (bytes) of every input written
    mutations: Counter = field(default_factory=Counter)


def make_corpus(folder: Path, n: int, seed: int = 0) -> Corpus:
    """Write ``n`` mutated files into ``folder`` (some in subfolders, some with odd names)."""
    rng = random.Random(seed)
    valid = seeds()
    corpus = Corpus(folder)
    root = os.fsencode(folder)
    os.makedirs(root, exist_ok=True)
    for i in range(n):
        kind = rng.choice(sorted(valid))
        data, extension = valid[kind]
        mutation = rng.choice(sorted(MUTATIONS))
        content = MUTATIONS[mutation](data, rng)
        if rng.random() < 0.2:
            extension = rng.choice(EXTENSIONS)  # a wrong (or missing) extension
        name = f"{i:04d}_{kind}_{mutation}{extension}".encode()
        if rng.random() < 0.15:
            name = f"{i:04d}_".encode() + rng.choice(ODD_NAMES)
        sub = rng.choice([b"", b"", b"h\xf4 s\xf5", "hồ sơ 2021".encode(), b"a/b/c"])
        directory = os.path.join(root, sub) if sub else root
        os.makedirs(directory, exist_ok=True)
        path = os.path.join(directory, name)
        with open(path, "wb") as fh:
            fh.write(content)
        corpus.files.append(path)
        corpus.mutations[mutation] += 1
    return corpus


@dataclass
class RunCheck:
    """What a batch over a corpus did wrong (all zero when it did everything right)."""

    inputs: int = 0
    rows: int = 0  # rows of documents.parquet
    statuses: Counter = field(default_factory=Counter)
    crashes: list[str] = field(default_factory=list)  # exit code not 0/1, a traceback, or no tables
    missing_rows: list[str] = field(default_factory=list)  # inputs without their one ledger row / table row
    multi_line_errors: list[str] = field(default_factory=list)  # errors or log records over several lines
    log_mismatches: list[str] = field(default_factory=list)  # inputs without exactly one log line
    half_written: list[str] = field(default_factory=list)  # temporaries, unreadable JSON or tables

    @property
    def ok(self) -> bool:
        return not self.problems()

    def problems(self) -> list[str]:
        found = self.crashes + self.missing_rows + self.multi_line_errors
        return found + self.log_mismatches + self.half_written


def check_run(
    inputs: list[bytes], out: Path, returncode: int, stderr: str, *, log_from: int | None = 0
) -> RunCheck:
    """Check a finished ``sohoa run`` over ``inputs`` (their paths as bytes) into ``out``.

    ``log_from``: the length of ``log.jsonl`` before this run, or None to leave the log out (a rerun logs
    only what it redid).
    """
    from pipeline.scan.ingest import display_path

    check = RunCheck(inputs=len(inputs))
    if returncode not in (0, 1) or "Traceback" in stderr:
        check.crashes.append(f"exit {returncode}: {stderr.strip().splitlines()[-1:] or ''}")
    _check_half_written(out, check)
    if check.crashes or check.half_written or check.missing_rows:
        return check
    expected = {display_path(os.fsdecode(os.path.abspath(p))) for p in inputs}
    ledger = _ledger(out)
    counts = Counter(row["path"] for row in ledger)
    check.missing_rows += [f"no ledger row: {p}" for p in sorted(expected - set(counts))]
    check.missing_rows += [f"{n} ledger rows: {p}" for p, n in counts.items() if n != 1]
    check.missing_rows += [f"still running: {r['path']}" for r in ledger if r["status"] == "running"]
    documents = pq.read_table(out / "documents.parquet").to_pylist()
    check.rows = len(documents)
    check.statuses = Counter(d["status"] for d in documents)
    ids = Counter(d["doc_id"] for d in documents)
    check.missing_rows += [f"{n} table rows for {doc_id}" for doc_id, n in ids.items() if n != 1]
    check.missing_rows += [
        f"no table row: {r['path']}" for r in ledger if r["path"] in expected and r["doc_id"] not in ids
    ]
    for doc in documents:
        error = doc["error"] or ""
        if "\n" in error or "\r" in error or (doc["status"] != "ok" and not error.strip()):
            check.multi_line_errors.append(f"{doc['source_path']}: {error!r}")
    if log_from is not None:
        _check_log(out, ledger, check, log_from)
    return check


def _ledger(out: Path) -> list[dict]:
    with sqlite3.connect(f"file:{out / 'manifest.sqlite'}?mode=ro", uri=True) as db:
        db.row_factory = sqlite3.Row
        return [dict(row) for row in db.execute("SELECT path, doc_id, status FROM inputs")]


def _check_half_written(out: Path, check: RunCheck) -> None:
    for path in out.rglob("*"):
        if path.name.endswith(".tmp"):
            check.half_written.append(f"temporary left: {path}")
    for path in (out / "documents").glob("*.json"):
        try:
            json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            check.half_written.append(f"{path.name}: {exc}")
    for table in ("documents.parquet", "sections.parquet"):
        if not (out / table).exists():
            check.missing_rows.append(f"no {table}")
            continue
        try:
            pq.read_table(out / table)
        except Exception as exc:
            check.half_written.append(f"{table}: {exc}")


def _check_log(out: Path, ledger: list[dict], check: RunCheck, start: int) -> None:
    """One log record per input, each one line of JSON: done, failed, or a duplicate of another."""
    events: Counter = Counter()
    with (out / "log.jsonl").open("rb") as fh:
        fh.seek(start)
        text = fh.read().decode("utf-8")
    for line in text.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            check.multi_line_errors.append(f"log line is not one JSON record: {line[:80]!r}")
            continue
        if record.get("event") in ("file_done", "file_failed", "duplicate"):
            events[record["path"], record["event"]] += 1
    wanted = {"ok": "file_done", "partial": "file_failed", "error": "file_failed", "duplicate": "duplicate"}
    for row in ledger:
        event = wanted.get(row["status"])
        if event and events[row["path"], event] != 1:
            check.log_mismatches.append(f"{events[row['path'], event]} {event} lines for {row['path']}")
