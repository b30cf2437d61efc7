"""Regenerate ``samples/``: synthetic scans of our own sample documents, each with its ground truth.

WHY: the pipeline needs realistic inputs (image PDFs at three damage levels, a bilevel TIFF, single-page
images, a legacy OCR text dump like the archive's, and archive copies: turned pages, received stamps,
handwriting, typewriter, aged paper, 200-dpi grey, a photocopy of a photocopy) whose exact text is known,
small enough to live in the repository (< 5 MB in all). Everything is deterministic: same code and
libraries, same files. The archive samples carry the record of their conditions inside the file (see
``devtools.synth.pdf.sample_record``); ``docs/samples.md`` lists every sample with its conditions.

Usage: ``.venv/bin/python scripts/make_samples.py [--out samples] [--docs docs/samples.md] [--only STEM...]``
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the repository root, for devtools

from devtools.synth import load_source, truth_pages  # noqa: E402
from devtools.synth.archive import Conditions, make_document  # noqa: E402
from devtools.synth.pdf import jpeg_bytes, write_pdf, write_tiff  # noqa: E402

SOURCES = REPO / "scripts" / "sample_sources"
BUDGET_BYTES = 5_000_000
ARCHIVE_PAGE_BYTES = 220_000  # JPEG budget of a 200-dpi grey archive page


@dataclass(frozen=True)
class Sample:
    """One input file: which source, damage level, container format, resolution, seed, pages."""

    source: str
    level: str
    fmt: str  # pdf | pdf-flate | tiff-g4 | tiff-jpeg | jpg | png | legacy-ocr
    dpi: int
    seed: int
    page: int | None = None  # one page only (images), else the whole document
    note: str = ""
    archive: Conditions | None = None  # archive conditions (recorded in the file), else a plain level

    @property
    def stem(self) -> str:
        page = f"_p{self.page + 1}" if self.page is not None else ""
        if self.fmt == "legacy-ocr":
            return f"{self.source}_legacy_ocr"
        return f"{self.source}{page}_{self.level}"

    @property
    def suffix(self) -> str:
        suffixes = {"pdf": ".pdf", "pdf-flate": ".pdf", "tiff-g4": ".tif", "tiff-jpeg": ".tif"}
        return {**suffixes, "jpg": ".jpg", "png": ".png"}.get(self.fmt, ".txt")

    @property
    def conditions(self) -> Conditions:
        return self.archive or Conditions(scan=self.level, dpi=self.dpi)


SAMPLES = (
    Sample("ke_hoach_quang_tri", "clean", "pdf-flate", 300, 11, note="no damage; Flate page images"),
    Sample("ke_hoach_quang_tri", "scan", "pdf", 300, 11, note="flatbed scan: skew, blur, noise"),
    Sample("ke_hoach_quang_tri", "photocopy", "pdf", 300, 11, note="scan of a photocopy, grayscale"),
    Sample("ke_hoach_nghe_an", "photocopy", "tiff-g4", 300, 23, note="3 pages, bilevel Group 4 TIFF"),
    Sample("cong_van_binh_dinh", "scan", "jpg", 300, 31, page=0, note="công văn (V/v, Kính gửi), one JPEG"),
    Sample("ke_hoach_an_giang", "clean", "png", 200, 41, page=0, note="first page, 200 dpi PNG"),
    Sample("ke_hoach_lam_dong", "scan", "pdf", 200, 53, note="district plan, 200 dpi scan"),
    Sample("ke_hoach_an_giang", "scan", "legacy-ocr", 300, 41, note="`tesseract -l eng` text of a scan"),
    Sample(
        "ke_hoach_lam_dong",
        "archive",
        "pdf",
        200,
        61,
        note="archive copy of the district plan; JPEG pages (< 220 KB a page)",
        archive=Conditions(
            dpi=200, grey=True, skew=2.4, turns=((2, 180),), stamp=True, handwriting=(2,), aged=True
        ),
    ),
    Sample(
        "ke_hoach_an_giang",
        "typewriter",
        "tiff-jpeg",
        200,
        71,
        note="the plan as typed in the old days; JPEG-compressed TIFF",
        archive=Conditions(
            dpi=200,
            grey=True,
            skew=-1.6,
            turns=((2, 90),),
            stamp=True,
            handwriting=(1,),
            typewriter=True,
            aged=True,
        ),
    ),
    Sample(
        "ke_hoach_quang_tri",
        "copy2",
        "pdf-flate",
        300,
        11,
        note="the stamped copy photocopied twice; 1-bit Flate pages",
        archive=Conditions(scan="copy2", turns=((2, 270),), stamp=True),
    ),
)


def _legacy_ocr(images: list[Image.Image]) -> str:
    """What the archive's old OCR produced: Tesseract's English model on the page images."""
    texts = []
    with tempfile.TemporaryDirectory() as tmp:
        for index, image in enumerate(images):
            path = Path(tmp) / f"page{index}.png"
            image.save(path)
            run = subprocess.run(
                ["tesseract", str(path), "stdout", "-l", "eng"], capture_output=True, text=True, check=True
            )
            texts.append(run.stdout.replace("\f", "").rstrip("\n"))
    return "\n".join(texts) + "\n"


def make_sample(sample: Sample, out: Path) -> list[Path]:
    """Write one sample file and its ``.gt.txt`` truth; returns both paths."""
    source = load_source(SOURCES / f"{sample.source}.txt")
    doc = make_document(source, sample.conditions, seed=sample.seed)
    pages, truth = doc.pages, doc.truth
    if sample.page is not None:
        pages, truth = pages[sample.page : sample.page + 1], doc.truths[sample.page]
    record = (
        {**doc.meta, "file": f"{sample.stem}{sample.suffix}", "dpi": sample.dpi} if sample.archive else None
    )
    path = out / f"{sample.stem}{sample.suffix}"
    if sample.fmt == "pdf":
        budget = ARCHIVE_PAGE_BYTES if sample.archive else 400_000
        write_pdf(pages, path, sample.dpi, max_page_bytes=budget, record=record)
    elif sample.fmt == "pdf-flate":
        write_pdf(pages, path, sample.dpi, encoding="flate", record=record)
    elif sample.fmt == "tiff-g4":
        write_tiff(pages, path, sample.dpi, bilevel=True, record=record)
    elif sample.fmt == "tiff-jpeg":
        write_tiff(pages, path, sample.dpi, jpeg_quality=45, record=record)
    elif sample.fmt == "jpg":
        path.write_bytes(jpeg_bytes(pages[0], dpi=sample.dpi))
    elif sample.fmt == "png":
        pages[0].save(path, optimize=True, dpi=(sample.dpi, sample.dpi))
    else:
        path.write_text(_legacy_ocr(pages), encoding="utf-8")
    gt = out / f"{sample.stem}.gt.txt"
    gt.write_text(truth + "\n", encoding="utf-8")
    return [path, gt]


README_HEAD = """# Sample inputs (generated)

Synthetic scans of documents we wrote ourselves (`scripts/sample_sources/*.txt`, invented text in the
style of provincial emulation plans; no real document is copied). Regenerate with
`.venv/bin/python scripts/make_samples.py` (deterministic; this page is written by it too).

How they are made: `devtools.synth` lays the marked-up source out on A4 (Liberation Serif, 13-14 pt
body, two-column header and signature block, red seal over the signer's title, pen signature), renders
it, then `degrade(level)` imitates a flatbed scan (`scan`), the scan of a photocopy (`photocopy`) or of a
photocopy of a photocopy stored black-and-white (`copy2`). PDFs are image-only (no text layer), one JPEG
per page (< 400 KB a page) unless noted.

Archive conditions (`devtools.synth.archive.Conditions`, each a switch): pages fed turned by 90, 180 or
270° inside a multi-page file; the receiving office's rectangular "ĐẾN" stamp (blue or violet) in the
header area with its number, date and routing filled in by hand (it may touch the number line or the
title); 2-3 handwritten lines in a margin or blank space (blue, violet or black pen); a typewriter
(Liberation Mono 12 pt, ragged right, uneven ink, wandering lines); aged paper (yellowing, fold creases,
foxing spots); 200-dpi 8-bit grey scans; a skew of up to 3°; a photocopy of a photocopy (1-bit). The
samples with archive conditions carry the record of what was done (the switches, and per page the stamp
and note boxes in points, ink, skew, turn) as JSON inside the file: the PDF document information key
`/SohoaSynth` or the TIFF ImageDescription; read it with `devtools.synth.pdf.sample_record(path)`.

Every input `X.ext` has its ground truth `X.gt.txt`: one line per printed line, in reading order
(header left, header right, body lines as wrapped on the page, recipients, signer block), as if every
page were upright; seal, signature, received stamp and handwriting are graphics, never text. The batch
skips `*.gt.txt`.

| file | pages | dpi | level | conditions | what |
|---|---|---|---|---|---|
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "samples")
    parser.add_argument(
        "--docs", type=Path, default=REPO / "docs" / "samples.md", help="the sample list page"
    )
    parser.add_argument("--only", nargs="+", metavar="STEM", help="write only these samples (no clean-up)")
    args = parser.parse_args()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    rows = []
    for sample in SAMPLES:
        source = load_source(SOURCES / f"{sample.source}.txt")
        page_count = 1 if sample.page is not None else len(truth_pages(source, sample.conditions.face))
        name = f"{sample.stem}{sample.suffix}"
        conditions = sample.archive.summary() if sample.archive else "-"
        rows.append(
            f"| `{name}` | {page_count} | {sample.dpi} | {sample.level} | {conditions} | {sample.note} |"
        )
        if args.only and sample.stem not in args.only:
            written += [out / name, out / f"{sample.stem}.gt.txt"]
            continue
        files = make_sample(sample, out)
        written += files
        print(f"{files[0].name}: {files[0].stat().st_size / 1000:.0f} KB")
    args.docs.parent.mkdir(parents=True, exist_ok=True)
    args.docs.write_text(README_HEAD + "\n".join(rows) + "\n", encoding="utf-8")
    if not args.only:
        for stale in sorted(set(out.iterdir()) - set(written)):
            if stale.is_file():
                stale.unlink()
    total = sum(path.stat().st_size for path in written if path.exists())
    print(f"total {total / 1e6:.2f} MB in {len(written)} files")
    if total > BUDGET_BYTES:
        raise SystemExit(f"samples exceed the {BUDGET_BYTES / 1e6:.0f} MB budget")


if __name__ == "__main__":
    main()
