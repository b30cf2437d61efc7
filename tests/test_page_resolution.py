"""Page images whose recorded resolution is wrong or absent, and coarse scans, read as well as a proper scan.

Cameras and scanner drivers write 72 or 96 dpi into 300-dpi pages, PNG files often record none, and old
scans and faxes are 150 dpi. Before, such a page was read at a resolution that made it a 34-inch (or a
4-inch) page: every size-based step was off by that factor, and the same scan read at CER 6.4 % where it
read 0.2 % with its resolution right, worse than plain Tesseract. Each file here goes through the real
``sohoa run``; the truth is the generated plan's text.
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image
from rapidfuzz.distance import Levenshtein

from tests.cli import sohoa


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


@pytest.fixture(scope="module")
def resolution_run(scanned_plan_png: Path, tmp_path_factory) -> dict[str, dict]:
    """The same scan as recorded (300 dpi), as a JPEG recording 72 dpi, and at 150 dpi recording none."""
    folder = tmp_path_factory.mktemp("resolution")
    with Image.open(scanned_plan_png) as im:
        page = im.convert("L")
    page.save(folder / "proper.png", dpi=(300, 300))
    page.save(folder / "camera.jpg", quality=92, dpi=(72, 72))
    page.resize((page.width // 2, page.height // 2), Image.Resampling.LANCZOS).save(folder / "coarse.png")
    out = tmp_path_factory.mktemp("resolution_out")
    run = sohoa("run", folder, "-o", out, "--workers", "2", "--quiet")
    assert run.returncode == 0, run.stderr
    docs = pd.read_parquet(out / "documents.parquet")
    records = {}
    for row in docs.itertuples():
        records[Path(row.source_path).stem] = json.loads(
            (out / "documents" / f"{row.doc_id}.json").read_text()
        )
    return records


def test_wrong_or_missing_resolutions_read_as_well_as_the_proper_scan(
    resolution_run, short_plan_truth
) -> None:
    truth = _norm(short_plan_truth)
    cer = {
        name: Levenshtein.normalized_distance(truth, _norm(r["raw_text"]))
        for name, r in resolution_run.items()
    }
    assert cer["proper"] < 0.03
    assert cer["camera"] <= cer["proper"] + 0.005, cer
    assert cer["coarse"] <= cer["proper"] + 0.01, cer


def test_the_resolution_read_is_recorded_and_explained(resolution_run) -> None:
    assert [p["dpi"] for p in resolution_run["camera"]["pages"]] == [300]
    assert [p["dpi"] for p in resolution_run["coarse"]["pages"]] == [300]  # enlarged to be read
    assert any("72 dpi" in w for w in resolution_run["camera"]["warnings"])
    assert any("no resolution" in w for w in resolution_run["coarse"]["warnings"])
    assert not resolution_run["proper"]["warnings"]
