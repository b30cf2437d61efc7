"""Traps of real archives and real shells (issue 14), each run through the real ``sohoa`` command.

A file name that is not UTF-8, a 16-bit greyscale TIFF, a symbolic link looping back up the tree, a umask,
an unwritable or mistyped path, a pipe closed early, and what analysts and log readers see afterwards.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from devtools.fuzz_inputs import PLAN, render_page
from pipeline.scan import ingest
from tests.cli import sohoa

BAD_NAME = b"b\xe1o c\xe1o 2021.txt"  # "báo cáo" in Windows-1258 bytes: not UTF-8
BAD_NAME_SHOWN = "b\\xe1o c\\xe1o 2021.txt"
ISO_WITH_OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?[+-]\d\d:\d\d$")


def _run(*args: str | Path, umask: int = 0o022) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pipeline.cli", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=600,
        umask=umask,
    )


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Path:
    """A plan, the same plan under a name that is not UTF-8, a 16-bit scan, and links that loop."""
    root = tmp_path_factory.mktemp("traps")
    archive = root / "archive"
    (archive / "sub").mkdir(parents=True)
    (archive / "plan.txt").write_text(PLAN, encoding="utf-8")
    with open(os.path.join(os.fsencode(archive), BAD_NAME), "wb") as fh:
        fh.write((PLAN + "Nơi nhận: các trường trung học phổ thông.\n").encode("utf-8"))
    page = np.asarray(render_page(), dtype=np.uint16) * 257  # full 16-bit range, as scanners write it
    Image.fromarray(page).save(archive / "scan16.tif", dpi=(300, 300))
    (archive / "sub" / "up").symlink_to("..")  # a loop: sub/up/sub/up/...
    elsewhere = root / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "note.txt").write_text(PLAN.replace("112/KH", "113/KH"), encoding="utf-8")
    (archive / "sub" / "again").symlink_to(elsewhere)  # a folder outside, linked twice: read once
    (archive / "sub" / "other").symlink_to(elsewhere)
    return archive


EXPECTED_INPUTS = {"plan.txt", BAD_NAME_SHOWN, "scan16.tif", "sub/again/note.txt"}


@pytest.fixture(scope="module")
def first_run(archive: Path, tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    out = tmp_path_factory.mktemp("out") / "out"
    return out, _run("run", archive, "-o", out, "--workers", "2", "--quiet", umask=0o022)


def _relative(paths, archive: Path) -> set[str]:
    return {p[len(str(archive)) + 1 :] for p in paths}


def test_a_name_that_is_not_utf8_gets_its_row_shown_readably(first_run, archive: Path) -> None:
    out, run = first_run
    assert run.returncode == 0, run.stderr
    docs = pd.read_parquet(out / "documents.parquet")
    assert _relative(docs.source_path, archive) == EXPECTED_INPUTS
    assert set(docs.status) == {"ok"}
    odd = docs[docs.source_path.str.endswith(BAD_NAME_SHOWN)].iloc[0]
    stored = json.loads((out / "documents" / f"{odd.doc_id}.json").read_text(encoding="utf-8"))
    assert stored["source_path"] == odd.source_path
    from pipeline.results import load_manifest

    assert _relative(load_manifest(out).path, archive) == EXPECTED_INPUTS


def test_a_rerun_over_a_name_that_is_not_utf8_skips_it(first_run, archive: Path) -> None:
    out, _ = first_run
    rerun = _run("run", archive, "-o", out, "--workers", "1", "--log-format", "json")
    assert rerun.returncode == 0, rerun.stderr
    finished = [json.loads(line) for line in rerun.stderr.splitlines() if "run_finished" in line]
    assert "4 already done" in finished[-1]["message"]


def test_a_16_bit_greyscale_tiff_is_read_not_blank(first_run) -> None:
    out, _ = first_run
    docs = pd.read_parquet(out / "documents.parquet")
    scan = docs[docs.source_path.str.endswith("scan16.tif")].iloc[0]
    assert scan.status == "ok" and scan.ocr_mean_confidence > 60
    text = (out / "text" / f"{scan.doc_id}.txt").read_text(encoding="utf-8")
    assert "thi đua" in text and "giáo viên" in text


def test_16_bit_and_transparent_images_become_real_pages() -> None:
    ink = np.full((20, 30), 60000, np.uint16)
    ink[5:15, 5:25] = 2000
    rgb = np.asarray(ingest.to_rgb(Image.fromarray(ink)))
    assert rgb[0, 0, 0] > 200 and rgb[10, 10, 0] < 20  # paper stays light, ink stays dark
    twelve_bit = np.asarray(ingest.to_rgb(Image.fromarray((ink // 16).astype(np.uint16))))
    assert twelve_bit[0, 0, 0] > 200 and twelve_bit[10, 10, 0] < 20  # 12-bit data is not left dark
    floats = np.asarray(ingest.to_rgb(Image.fromarray(ink.astype(np.float32) / 65535, "F")))
    assert floats[0, 0, 0] > 200 and floats[10, 10, 0] < 20
    clear = Image.new("RGBA", (8, 8), (0, 0, 0, 0))  # a transparent background is paper, not black
    assert np.asarray(ingest.to_rgb(clear)).min() == 255


def test_symlinks_to_folders_are_followed_once_never_in_a_loop(archive: Path) -> None:
    found = list(ingest.discover([archive]))
    assert _relative([ingest.display_path(d.path) for d in found], archive) == EXPECTED_INPUTS
    assert all(d.error is None for d in found)


def test_outputs_follow_the_umask(first_run, archive: Path) -> None:
    out, _ = first_run
    written = [p for p in out.rglob("*") if p.is_file() and not p.name.startswith(".")]
    assert {p.name for p in written} >= {"documents.parquet", "sections.parquet", "run.json", "log.jsonl"}
    assert {oct(stat.S_IMODE(p.stat().st_mode)) for p in written} == {oct(0o644)}
    forced = _run("run", archive, "-o", out, "--workers", "1", "--quiet", "--force", umask=0o027)
    assert forced.returncode == 0, forced.stderr
    rewritten = [out / "documents.parquet", out / "run.json", *(out / "documents").glob("*.json")]
    assert {oct(stat.S_IMODE(p.stat().st_mode)) for p in rewritten} == {oct(0o640)}


def test_years_and_parent_order_are_integers_for_analysts(first_run) -> None:
    from pipeline import load_results

    out, _ = first_run
    for docs, sections in (
        (pd.read_parquet(out / "documents.parquet"), pd.read_parquet(out / "sections.parquet")),
        (load_results(out).documents, load_results(out).sections),
    ):
        assert str(docs.period_start.dtype) == "Int32" and str(sections.parent_order.dtype) == "Int32"
        plan = docs[docs.source_path.str.endswith("plan.txt")].iloc[0]
        assert (plan.period_start, plan.period_end) == (2022, 2023)
        assert str(plan.period_start) == "2022"
        assert sections.parent_order.isna().any() and sections.parent_order.notna().any()
        assert str(docs.n_pages.dtype) == "Int32"


def test_log_has_a_line_per_finished_file_and_times_with_their_offset(first_run, archive: Path) -> None:
    out, _ = first_run
    records = [json.loads(line) for line in (out / "log.jsonl").read_text(encoding="utf-8").splitlines()]
    assert all(ISO_WITH_OFFSET.match(r["time"]) for r in records)
    done = [r for r in records if r.get("event") == "file_done"]
    assert sorted(_relative([r["path"] for r in done[:4]], archive)) == sorted(EXPECTED_INPUTS)
    assert all(r["level"] == "info" and r["doc_id"] and r["status"] == "ok" for r in done)


def test_a_missing_input_is_a_usage_error_and_creates_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run = sohoa("run", tmp_path / "no_such_folder", "-o", out)
    assert run.returncode == 2
    assert run.stderr.strip().count("\n") == 0 and "no_such_folder" in run.stderr
    assert "Traceback" not in run.stderr and not out.exists()


def _unwritable(tmp_path: Path) -> Path:
    if os.geteuid() != 0:
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
        return locked / "out"
    return Path("/sys/sohoa-test/out")  # root may write anywhere but in sysfs


def test_an_unwritable_output_is_a_usage_error_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "plan.txt").write_text(PLAN, encoding="utf-8")
    for out in (_unwritable(tmp_path), tmp_path / "in" / "plan.txt" / "out"):
        run = sohoa("run", tmp_path / "in", "-o", out)
        assert run.returncode == 2, run.stderr
        assert run.stderr.startswith("sohoa run: cannot write to") and run.stderr.count("\n") == 1
        assert "Traceback" not in run.stderr


def test_a_pipe_closed_early_ends_quietly(tmp_path: Path) -> None:
    long_plan = tmp_path / "long.txt"
    items = "\n".join(f"{i}. Nội dung thi đua thứ {i} của các đơn vị trong tỉnh." for i in range(1, 3000))
    long_plan.write_text(PLAN.replace("III. TỔ CHỨC", items + "\nIII. TỔ CHỨC"), encoding="utf-8")
    extract = subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", "extract", str(long_plan)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert extract.stdout is not None and extract.stderr is not None
    assert extract.stdout.read(10).startswith(b"{")
    extract.stdout.close()  # like `| head -c 10`
    stderr = extract.stderr.read().decode()
    assert extract.wait(timeout=120) == 0
    assert stderr == ""
