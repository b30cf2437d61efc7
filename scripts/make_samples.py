"""Regenerate ``samples/``: synthetic scans of our own sample documents, each with its ground truth.

WHY: the pipeline needs realistic inputs (image PDFs at three damage levels, a bilevel TIFF, single-page
images, and a legacy OCR text dump like the archive's) whose exact text is known, small enough to live in
the repository (< 5 MB in all). Everything is deterministic: same code and libraries, same files.

Usage: ``.venv/bin/python scripts/make_samples.py [--out samples]``
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

from devtools.synth import load_source, render_document, truth_pages, truth_text  # noqa: E402
from devtools.synth.degrade import degrade  # noqa: E402
from devtools.synth.pdf import jpeg_bytes, write_pdf, write_tiff  # noqa: E402

SOURCES = REPO / "scripts" / "sample_sources"
BUDGET_BYTES = 5_000_000


@dataclass(frozen=True)
class Sample:
    """One input file: which source, damage level, container format, resolution, seed, pages."""

    source: str
    level: str
    fmt: str  # pdf | pdf-flate | tiff-g4 | jpg | png | legacy-ocr
    dpi: int
    seed: int
    page: int | None = None  # one page only (images), else the whole document
    note: str = ""

    @property
    def stem(self) -> str:
        page = f"_p{self.page + 1}" if self.page is not None else ""
        if self.fmt == "legacy-ocr":
            return f"{self.source}_legacy_ocr"
        return f"{self.source}{page}_{self.level}"

    @property
    def suffix(self) -> str:
        return {"pdf": ".pdf", "pdf-flate": ".pdf", "tiff-g4": ".tif", "jpg": ".jpg", "png": ".png"}.get(
            self.fmt, ".txt"
        )


SAMPLES = (
    Sample("ke_hoach_quang_tri", "clean", "pdf-flate", 300, 11, note="no damage; Flate page images"),
    Sample("ke_hoach_quang_tri", "scan", "pdf", 300, 11, note="flatbed scan: skew, blur, noise"),
    Sample("ke_hoach_quang_tri", "photocopy", "pdf", 300, 11, note="scan of a photocopy, grayscale"),
    Sample("ke_hoach_nghe_an", "photocopy", "tiff-g4", 300, 23, note="3 pages, bilevel Group 4 TIFF"),
    Sample("cong_van_binh_dinh", "scan", "jpg", 300, 31, page=0, note="công văn (V/v, Kính gửi), one JPEG"),
    Sample("ke_hoach_an_giang", "clean", "png", 200, 41, page=0, note="first page, 200 dpi PNG"),
    Sample("ke_hoach_lam_dong", "scan", "pdf", 200, 53, note="district plan, 200 dpi scan"),
    Sample("ke_hoach_an_giang", "scan", "legacy-ocr", 300, 41, note="`tesseract -l eng` text of a scan"),
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
    pages = render_document(source, dpi=sample.dpi, seed=sample.seed)
    truth = truth_text(source)
    if sample.page is not None:
        pages = pages[sample.page : sample.page + 1]
        truth = truth_pages(source)[sample.page]
    pages = [degrade(page, sample.level, sample.seed * 100 + i) for i, page in enumerate(pages)]
    path = out / f"{sample.stem}{sample.suffix}"
    if sample.fmt == "pdf":
        write_pdf(pages, path, sample.dpi)
    elif sample.fmt == "pdf-flate":
        write_pdf(pages, path, sample.dpi, encoding="flate")
    elif sample.fmt == "tiff-g4":
        write_tiff(pages, path, sample.dpi, bilevel=True)
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
`.venv/bin/python scripts/make_samples.py` (deterministic).

How they are made: `devtools.synth` lays the marked-up source out on A4 (Liberation Serif, 13-14 pt
body, two-column header and signature block, red seal over the signer's title, pen signature), renders
it, then `degrade(level)` imitates a flatbed scan (`scan`) or the scan of a photocopy (`photocopy`).
PDFs are image-only (no text layer), one JPEG per page (< 400 KB a page) unless noted.

Every input `X.ext` has its ground truth `X.gt.txt`: one line per printed line, in reading order
(header left, header right, body lines as wrapped on the page, recipients, signer block); seal and
signature are not text. The batch skips `*.gt.txt`.

| file | pages | dpi | level | what |
|---|---|---|---|---|
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "samples")
    args = parser.parse_args()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    rows = []
    for sample in SAMPLES:
        files = make_sample(sample, out)
        written += files
        source = load_source(SOURCES / f"{sample.source}.txt")
        page_count = 1 if sample.page is not None else len(truth_pages(source))
        rows.append(f"| `{files[0].name}` | {page_count} | {sample.dpi} | {sample.level} | {sample.note} |")
        print(f"{files[0].name}: {files[0].stat().st_size / 1000:.0f} KB")
    readme = out / "README.md"
    readme.write_text(README_HEAD + "\n".join(rows) + "\n", encoding="utf-8")
    written.append(readme)
    for stale in sorted(set(out.iterdir()) - set(written)):
        if stale.is_file():
            stale.unlink()
    total = sum(path.stat().st_size for path in written)
    print(f"total {total / 1e6:.2f} MB in {len(written)} files")
    if total > BUDGET_BYTES:
        raise SystemExit(f"samples exceed the {BUDGET_BYTES / 1e6:.0f} MB budget")


if __name__ == "__main__":
    main()
