"""Synthesize aligned (clean, OCR) line pairs by rendering clean Vietnamese text and running Tesseract on it.

WHY: the restoration engine needs to know how OCR mangles Vietnamese. Real legacy OCR of Vietnamese scans
was made with an English model (`c6` for "có", `ngudi` for "người"); rendering clean corpus text to page
images and running ``tesseract -l eng`` reproduces that garble, and ``-l vie`` on degraded renders gives
the "mostly right, a few marks wrong" flavour. Each source line is rendered as exactly one image row and
every OCR word is assigned back to its row by the position of its box, so the pairing stays exact even when
Tesseract merges, splits or drops lines.

Modes:
  (default)  training pairs -> work/pairs/{eng,vie}.tsv, resumable (pages already listed in
             work/pairs/{eng,vie}.done are skipped), from the TRAIN split of the corpus only.
  --eval     held-out evaluation set -> work/eval/heldout_{clean,eng_ocr,vie_ocr}.txt (news_dantri's
             held-out slice, see devtools/corpus_split.py), one output line per input line.

Pair file columns (tab-separated, no header): page, row, corpus, style, clean, ocr.
Corpus-derived text lives only under work/ (gitignored): never commit it.

Run long jobs niced, e.g.  nohup nice -n 10 .venv/bin/python scripts/synth_ocr_pairs.py &
"""

from __future__ import annotations

import argparse
import io
import math
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root, for devtools
from devtools.corpus_split import (  # noqa: E402
    CORPORA,
    DEFAULT_CORPUS_DIR,
    REPO_ROOT,
    iter_corpus_lines,
    normalize_clean_text,
)

FONT_DIR = Path("/usr/share/fonts/truetype/liberation2")
FONT_FILES = {False: FONT_DIR / "LiberationSerif-Regular.ttf", True: FONT_DIR / "LiberationSerif-Bold.ttf"}
LAYOUT_DPI = 300  # rows are laid out with 300-dpi font metrics, then drawn at any dpi by scaling
A4_INCHES = (8.27, 11.69)
CM = 1 / 2.54  # inches per centimetre

# Training mix: administrative/legal text dominates the target documents.
TRAIN_WEIGHTS = {"legal_phapdien": 0.45, "legal_vlc": 0.10, "news_dantri": 0.20, "wiki_viwiki": 0.25}
POOL_CAP = 120_000  # paragraphs kept per corpus (uniform sample), enough variety, bounded memory
EVAL_LINES = 2000

# Characters the font renders and real documents contain; lines with anything else are skipped.
_ALLOWED = re.compile(
    r"^[\u0020-\u007e\u00a0-\u024f\u1e00-\u1eff\u2010-\u2027\u2030-\u203a\u20ab\u20ac\u2116]+$"
)
_VIET_MARKED = re.compile(r"[à-ỹđ]", re.IGNORECASE)


# --- source text ------------------------------------------------------------------------------------------


def usable_paragraph(text: str) -> bool:
    """Keep Vietnamese lines the font can draw; drop foreign/undiacritised lines (wiki residue)."""
    if not (3 <= len(text) <= 1200) or not _ALLOWED.match(text):
        return False
    words = [w for w in text.split() if any(ch.isalpha() for ch in w)]
    if not words:
        return False
    marked = sum(1 for w in words if _VIET_MARKED.search(w))
    return marked / len(words) >= 0.3


def clean_paragraph(text: str) -> str:
    return " ".join(normalize_clean_text(text).split())


def load_pool(
    names: Iterable[str], split: str, corpus_dir: Path, cap: int, seed: int
) -> dict[str, list[str]]:
    """Uniform sample (at most ``cap``) of usable paragraphs of each corpus in ``split``."""
    pool: dict[str, list[str]] = {}
    for name in names:
        kept = [line for line in iter_corpus_lines(name, split, corpus_dir) if usable_paragraph(line.strip())]
        random.Random(f"{seed}-{name}").shuffle(kept)
        pool[name] = [clean_paragraph(line) for line in kept[:cap]]
    return pool


# --- layout -----------------------------------------------------------------------------------------------


@dataclass
class Row:
    text: str
    bold: bool = False
    upper: bool = False
    align: str = "left"  # left | center | justify
    indent_px: int = 0  # at LAYOUT_DPI
    y_px: int = 0  # top of the row at LAYOUT_DPI
    corpus: str = ""

    @property
    def style(self) -> str:
        return ",".join(
            flag for flag, on in (("b", self.bold), ("u", self.upper), ("c", self.align == "center")) if on
        )


@dataclass
class PageLayout:
    font_pt: float
    line_spacing: float
    left_px: int
    width_px: int
    rows: list[Row] = field(default_factory=list)

    def font_px(self, dpi: int) -> int:
        return round(self.font_pt / 72 * dpi)


_FONT_CACHE: dict[tuple[bool, int], ImageFont.FreeTypeFont] = {}


def font(bold: bool, size_px: int) -> ImageFont.FreeTypeFont:
    key = (bold, size_px)
    if key not in _FONT_CACHE:
        _FONT_CACHE[key] = ImageFont.truetype(str(FONT_FILES[bold]), size_px)
    return _FONT_CACHE[key]


def wrap_words(
    words: list[str], face: ImageFont.FreeTypeFont, width: float, first_indent: float
) -> list[str]:
    """Greedy word wrap as a word processor does; a word longer than the line is put on its own row."""
    rows: list[str] = []
    current: list[str] = []
    space = face.getlength(" ")
    used = 0.0
    for word in words:
        w = face.getlength(word)
        limit = width - (first_indent if not rows else 0)
        if current and used + space + w > limit:
            rows.append(" ".join(current))
            current, used = [word], w
        else:
            used = used + space + w if current else w
            current.append(word)
    if current:
        rows.append(" ".join(current))
    return rows


def shape_paragraph(text: str, rng: random.Random) -> tuple[str, bool, bool, str]:
    """Turn a corpus paragraph into a heading, a bold lead-in or body text, as plans mix them."""
    r = rng.random()
    words = text.split()
    if r < 0.12:  # UPPERCASE heading (title, section heading, "KẾ HOẠCH")
        if len(words) > 14:
            words = words[: rng.randint(3, 12)]
        return " ".join(words).upper(), rng.random() < 0.7, True, "center" if rng.random() < 0.5 else "left"
    if r < 0.20:  # bold sentence-case lead-in ("1. Mục đích")
        if len(words) > 12 and rng.random() < 0.6:
            words = words[: rng.randint(2, 10)]
        return " ".join(words), True, False, "left"
    return text, False, False, "justify"


def layout_page(
    paragraphs: Iterable[tuple[str, str]], rng: random.Random, max_rows: int | None = None
) -> tuple[PageLayout, int]:
    """Lay out paragraphs (corpus, text) on one A4 page; returns the layout and paragraphs consumed."""
    dpi = LAYOUT_DPI
    font_pt = rng.choice([12, 13, 13, 14, 14])
    layout = PageLayout(
        font_pt=font_pt,
        line_spacing=rng.uniform(1.15, 1.5),
        left_px=round(rng.uniform(2.0, 3.0) * CM * dpi),
        width_px=0,
    )
    right_px = round(rng.uniform(1.5, 2.0) * CM * dpi)
    layout.width_px = round(A4_INCHES[0] * dpi) - layout.left_px - right_px
    top, bottom = round(2.0 * CM * dpi), round((A4_INCHES[1] - 2.0 * CM) * dpi)
    size = layout.font_px(dpi)
    pitch = size * layout.line_spacing
    y = float(top)
    consumed = 0
    for corpus, text in paragraphs:
        consumed += 1
        shaped, bold, upper, align = shape_paragraph(text, rng)
        face = font(bold, size)
        indent = round(1.27 * CM * dpi) if align == "justify" and rng.random() < 0.6 else 0
        rows = wrap_words(shaped.split(), face, layout.width_px * 0.97, indent)[: rng.randint(1, 6)]
        for i, row_text in enumerate(rows):
            if y + pitch > bottom or (max_rows is not None and len(layout.rows) >= max_rows):
                return layout, consumed
            row_align = "left" if (align == "justify" and i == len(rows) - 1) else align
            layout.rows.append(
                Row(row_text, bold, upper, row_align, indent if i == 0 else 0, round(y), corpus)
            )
            y += pitch
        y += pitch * rng.choice([0, 0, 0.3, 0.5])  # paragraph spacing
    return layout, consumed


# --- rendering and degradation ------------------------------------------------------------------------------


def render_page(layout: PageLayout, dpi: int) -> tuple[Image.Image, list[float], float]:
    """Draw the page at ``dpi``; returns the image, the x-height centre (px) of every row, half x-height."""
    scale = dpi / LAYOUT_DPI
    width, height = round(A4_INCHES[0] * dpi), round(A4_INCHES[1] * dpi)
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    size = layout.font_px(dpi)
    centres = []
    for row in layout.rows:
        face = font(row.bold, size)
        x0 = (layout.left_px + row.indent_px) * scale
        y0 = row.y_px * scale
        avail = layout.width_px * scale - row.indent_px * scale
        words = row.text.split(" ")
        widths = [face.getlength(w) for w in words]
        space = face.getlength(" ")
        natural = sum(widths) + space * (len(words) - 1)
        gap = space
        if row.align == "justify" and len(words) > 1 and natural < avail:
            gap = space + (avail - natural) / (len(words) - 1)
        elif row.align == "center":
            x0 += max(0.0, (avail - natural) / 2)
        x = x0
        for word, w in zip(words, widths, strict=True):
            draw.text((x, y0), word, font=face, fill=0)
            x += w + gap
        _, top, _, bottom = face.getbbox("x")
        centres.append(y0 + (top + bottom) / 2)
    _, top, _, bottom = font(False, size).getbbox("x")
    return image, centres, (bottom - top) / 2


@dataclass
class Degradation:
    """Scan-like damage; ``heavy`` is tuned so that ``-l vie`` makes a few mark errors per line."""

    angle: float
    resample: float  # <1: scanned at this fraction of the resolution, then upsampled (soft, blocky marks)
    blur: float
    paper: float
    ink: float
    noise: float
    threshold: float | None
    speckles: float
    jpeg_quality: int | None

    @classmethod
    def sample(cls, rng: random.Random, heavy: bool, dpi: int) -> Degradation:
        if heavy:
            return cls(
                angle=rng.uniform(-0.4, 0.4),
                resample=rng.uniform(0.45, 0.7) if dpi >= 300 else 1.0,
                blur=rng.uniform(0.5, 1.2) * dpi / 300,
                paper=rng.uniform(210, 250),
                ink=rng.uniform(10, 70),
                noise=rng.uniform(5, 18),
                threshold=rng.uniform(100, 160) if rng.random() < 0.5 else None,
                speckles=rng.uniform(0, 2e-4),
                jpeg_quality=rng.randint(35, 75),
            )
        return cls(
            angle=rng.uniform(-0.3, 0.3) if rng.random() < 0.5 else 0.0,
            resample=1.0,
            blur=rng.uniform(0.2, 0.9) * dpi / 300,
            paper=rng.uniform(225, 255),
            ink=rng.uniform(0, 45),
            noise=rng.uniform(2, 12),
            threshold=rng.uniform(120, 160) if rng.random() < 0.3 else None,
            speckles=rng.uniform(0, 1e-4),
            jpeg_quality=rng.randint(55, 92) if rng.random() < 0.7 else None,
        )

    def apply(self, image: Image.Image, rng: random.Random) -> bytes:
        """Return the damaged page as encoded image bytes (JPEG or PNG) ready for Tesseract."""
        if self.angle:
            image = image.rotate(self.angle, resample=Image.BICUBIC, fillcolor=255)
        if self.resample < 1.0:
            small = (round(image.width * self.resample), round(image.height * self.resample))
            image = image.resize(small, Image.BILINEAR).resize(image.size, Image.BILINEAR)
        image = image.filter(ImageFilter.GaussianBlur(self.blur))
        arr = np.asarray(image, dtype=np.float32) / 255.0
        arr = self.ink + arr * (self.paper - self.ink)
        nrng = np.random.default_rng(rng.getrandbits(32))
        arr += nrng.normal(0.0, self.noise, arr.shape).astype(np.float32)
        if self.speckles:
            dots = nrng.random(arr.shape) < self.speckles
            arr[dots] = self.ink
        if self.threshold is not None:
            arr = np.where(arr < self.threshold, 0.0, 255.0)
        out = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))
        buffer = io.BytesIO()
        if self.jpeg_quality is not None:
            out.save(buffer, format="JPEG", quality=self.jpeg_quality)
        else:
            out.save(buffer, format="PNG")
        return buffer.getvalue()


# --- OCR and row assignment -----------------------------------------------------------------------------


def ocr_words(encoded: bytes, lang: str, tmp_dir: Path) -> list[tuple[float, float, float, float, int, str]]:
    """Run Tesseract (one thread) on an encoded page: [(x_mid, y_mid, top, bottom, order, text)] per word."""
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    with tempfile.NamedTemporaryFile(dir=tmp_dir, suffix=".img", delete=False) as handle:
        handle.write(encoded)
        path = handle.name
    try:
        proc = subprocess.run(
            ["tesseract", path, "stdout", "-l", lang, "--psm", "6", "tsv"],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
    finally:
        os.unlink(path)
    words = []
    for order, line in enumerate(proc.stdout.splitlines()[1:]):
        cols = line.split("\t")
        if len(cols) < 12 or cols[0] != "5" or not cols[11].strip():
            continue
        left, top, width, height = (int(c) for c in cols[6:10])
        words.append((left + width / 2, top + height / 2, top, top + height, order, cols[11].strip()))
    return words


def assign_rows(
    words: list[tuple[float, float, float, float, int, str]],
    centres: list[float],
    half_band: float,
    size: tuple[int, int],
    angle: float,
) -> list[str]:
    """Give each word to the row whose x-height band its box overlaps most (after undoing the rotation).

    Overlap rather than nearest centre: on noisy pages Tesseract sometimes stretches a word box over a
    speck below the line, which moves its centre but not its overlap with the true row.
    """
    cx, cy = size[0] / 2, size[1] / 2
    theta = math.radians(angle)
    rows: list[list[tuple[float, int, str]]] = [[] for _ in centres]
    centre_arr = np.asarray(centres)
    for x, y, top, bottom, order, text in words:
        dx, dy = x - cx, y - cy
        # PIL rotates counter-clockwise on screen; rotate the point back clockwise.
        ux = cx + dx * math.cos(theta) - dy * math.sin(theta)
        shift = cy + dx * math.sin(theta) + dy * math.cos(theta) - y
        overlap = np.minimum(bottom + shift, centre_arr + half_band) - np.maximum(
            top + shift, centre_arr - half_band
        )
        best = int(overlap.argmax())
        if overlap[best] <= 0:
            best = int(np.abs(centre_arr - (y + shift)).argmin())
        rows[best].append((ux, order, text))
    return [" ".join(t for _, _, t in sorted(r)) for r in rows]


def ocr_page(
    layout: PageLayout, dpi: int, damage: Degradation, lang: str, rng: random.Random, tmp: Path
) -> list[str]:
    image, centres, half_band = render_page(layout, dpi)
    encoded = damage.apply(image, rng)
    words = ocr_words(encoded, lang, tmp)
    return assign_rows(words, centres, half_band, image.size, damage.angle)


def sample_dpi(rng: random.Random, heavy: bool) -> int:
    if heavy:
        return rng.choice([150, 150, 200, 200, 300])
    return 300 if rng.random() < 0.7 else 200


# --- training pairs ---------------------------------------------------------------------------------------


def _sanitize(text: str) -> str:
    return text.replace("\t", " ").replace("\r", " ").replace("\n", " ")


def _load_done(done_path: Path, tsv_path: Path) -> tuple[set[int], int]:
    """Pages fully written before; drops TSV rows of a page interrupted mid-write."""
    done = {int(x) for x in done_path.read_text().split()} if done_path.exists() else set()
    lines = 0
    if tsv_path.exists():
        kept = []
        dirty = False
        with tsv_path.open(encoding="utf-8") as handle:
            for line in handle:
                cols = line.rstrip("\n").split("\t")
                if len(cols) == 6 and line.endswith("\n") and int(cols[0]) in done:
                    kept.append(line)
                else:
                    dirty = True
        if dirty:
            tsv_path.write_text("".join(kept), encoding="utf-8")
        lines = len(kept)
    return done, lines


def make_training_pairs(args: argparse.Namespace) -> None:
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = out_dir / "tmp"
    tmp.mkdir(exist_ok=True)
    targets = {"eng": args.eng_lines, "vie": args.vie_lines}
    state = {f: _load_done(out_dir / f"{f}.done", out_dir / f"{f}.tsv") for f in targets}
    lines = {f: state[f][1] for f in targets}
    if all(lines[f] >= targets[f] for f in targets):
        print(f"already complete: {lines}")
        return
    t0 = time.time()
    pool = load_pool(TRAIN_WEIGHTS, "train", Path(args.corpus_dir), POOL_CAP, args.seed)
    print(f"pool loaded in {time.time() - t0:.0f}s: " + ", ".join(f"{k}={len(v)}" for k, v in pool.items()))
    names = list(TRAIN_WEIGHTS)
    weights = [TRAIN_WEIGHTS[n] for n in names]
    start, pages = time.time(), 0
    deadline = start + args.max_minutes * 60 if args.max_minutes else None
    next_id = {f: 0 for f in targets}
    while True:
        pending = [f for f in targets if lines[f] < targets[f]]
        if not pending or (deadline and time.time() > deadline) or (args.pages and pages >= args.pages):
            break
        flavour = min(pending, key=lambda f: lines[f] / max(1, targets[f]))
        done = state[flavour][0]
        while next_id[flavour] in done:
            next_id[flavour] += 1
        page_id = next_id[flavour]
        rng = random.Random(f"{args.seed}-{flavour}-{page_id}")

        def paragraphs(rng: random.Random = rng) -> Iterable[tuple[str, str]]:
            while True:
                name = rng.choices(names, weights)[0]
                yield name, rng.choice(pool[name])

        layout, _ = layout_page(paragraphs(), rng)
        heavy = flavour == "vie"
        dpi = sample_dpi(rng, heavy)
        damage = Degradation.sample(rng, heavy, dpi)
        ocr = ocr_page(layout, dpi, damage, flavour, rng, tmp)
        style = f"dpi{dpi}"
        block = "".join(
            f"{page_id}\t{i}\t{row.corpus}\t{','.join(filter(None, [style, row.style]))}\t"
            f"{_sanitize(row.text)}\t{_sanitize(text)}\n"
            for i, (row, text) in enumerate(zip(layout.rows, ocr, strict=True))
        )
        with (out_dir / f"{flavour}.tsv").open("a", encoding="utf-8") as handle:
            handle.write(block)
        with (out_dir / f"{flavour}.done").open("a") as handle:
            handle.write(f"{page_id}\n")
        done.add(page_id)
        lines[flavour] += len(layout.rows)
        pages += 1
        if pages % 10 == 0:
            rate = pages / (time.time() - start) * 60
            print(f"{pages} pages ({rate:.1f}/min) lines eng={lines['eng']} vie={lines['vie']}", flush=True)
    print(f"done: {pages} pages this run in {(time.time() - start) / 60:.1f} min; lines {lines}")


# --- held-out evaluation set --------------------------------------------------------------------------------


def make_eval_set(args: argparse.Namespace) -> None:
    """Render news_dantri's held-out slice one line per row, OCR it with eng (mild) and vie (degraded)."""
    out_dir = Path(args.eval_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = out_dir / "tmp"
    tmp.mkdir(exist_ok=True)
    paragraphs = load_pool(["news_dantri"], "heldout", Path(args.corpus_dir), 10**9, args.seed)["news_dantri"]
    stream = iter(("news_dantri", p) for p in paragraphs)
    clean: list[str] = []
    outputs: dict[str, list[str]] = {"eng": [], "vie": []}
    page_id = 0
    while len(clean) < args.eval_lines:
        rng = random.Random(f"{args.seed}-eval-{page_id}")
        layout, _ = layout_page(stream, rng, max_rows=args.eval_lines - len(clean))
        for flavour in ("eng", "vie"):
            heavy = flavour == "vie"
            frng = random.Random(f"{args.seed}-eval-{page_id}-{flavour}")
            dpi = sample_dpi(frng, heavy)
            damage = Degradation.sample(frng, heavy, dpi)
            outputs[flavour].extend(ocr_page(layout, dpi, damage, flavour, frng, tmp))
        clean.extend(row.text for row in layout.rows)
        page_id += 1
        print(f"eval page {page_id}: {len(clean)} lines", flush=True)
    (out_dir / "heldout_clean.txt").write_text("\n".join(map(_sanitize, clean)) + "\n", encoding="utf-8")
    for flavour, rows in outputs.items():
        text = "\n".join(map(_sanitize, rows)) + "\n"
        (out_dir / f"heldout_{flavour}_ocr.txt").write_text(text, encoding="utf-8")
    print(f"wrote {len(clean)} lines x 3 files to {out_dir} from {page_id} pages")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus-dir", default=str(DEFAULT_CORPUS_DIR))
    parser.add_argument("--out-dir", default=str(REPO_ROOT / "work" / "pairs"))
    parser.add_argument("--eval-dir", default=str(REPO_ROOT / "work" / "eval"))
    parser.add_argument("--eval", action="store_true", help="build the held-out evaluation set instead")
    parser.add_argument("--eval-lines", type=int, default=EVAL_LINES)
    parser.add_argument("--eng-lines", type=int, default=60_000, help="stop when eng.tsv has this many lines")
    parser.add_argument("--vie-lines", type=int, default=20_000, help="stop when vie.tsv has this many lines")
    parser.add_argument("--pages", type=int, default=0, help="stop after this many pages in this run")
    parser.add_argument("--max-minutes", type=float, default=0, help="stop after this many minutes")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    assert set(TRAIN_WEIGHTS) <= set(CORPORA)
    if args.eval:
        make_eval_set(args)
    else:
        make_training_pairs(args)


if __name__ == "__main__":
    main()
