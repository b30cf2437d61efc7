"""`sohoa run` end to end: a folder of good and broken files, real Tesseract, real Parquet."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image
from rapidfuzz.distance import Levenshtein

from devtools.synth import parse_source, render_document
from devtools.synth.degrade import degrade
from tests import bad_inputs
from tests.cli import sohoa
from tests.legacy_text import random_bytes

ENGLISH_PAGE = """
[body]
#cb ANNUAL REPORT
The committee met on Tuesday to review the budget for the coming year and agreed that spending on roads and
schools should rise, while the cost of running the offices ought to fall by a tenth before the end of spring.
Members asked the treasurer to publish the accounts every quarter so that citizens can follow the money.
"""
ENGLISH_TEXT = (
    "This folder holds the minutes of the board. Every member should read them before the next meeting, "
    "which will take place in the large hall on the first floor of the town library next Thursday evening.\n"
)
VIETNAMESE_DUMP = (
    "Ke hoach to chuc thuc hien phong trao thi dua nam 2024\n"
    "I. MUC DICH, YEU CAU\n"
    "Dong vien can bo, cong chuc thi dua hoan thanh tot nhiem vu duoc giao.\n"
)


@pytest.fixture(scope="module")
def archive(tmp_path_factory, scanned_plan_pdf: Path, scanned_plan_png: Path) -> Path:
    """A folder as archivists have them: good scans and dumps mixed with every kind of broken file."""
    root = tmp_path_factory.mktemp("archive")
    good = root / "good"
    good.mkdir()
    shutil.copy(scanned_plan_pdf, good / "plan.pdf")
    shutil.copy(scanned_plan_png, good / "plan_page.pdf")  # a PNG with a .pdf name: read as PNG
    (good / "dump.txt").write_text(VIETNAMESE_DUMP, encoding="utf-8")
    (good / "dump.gt.txt").write_text(VIETNAMESE_DUMP, encoding="utf-8")  # ground truth: not an input
    bad = root / "bad"
    bad.mkdir()
    (bad / "empty.pdf").write_bytes(b"")
    bad_inputs.encrypted_pdf(bad / "locked.pdf")
    bad_inputs.zero_page_pdf(bad / "zero.pdf")
    bad_inputs.truncated_pdf(bad / "truncated.pdf")
    bad_inputs.huge_png(bad / "poster.png")
    (bad / "undecodable.txt").write_bytes(random_bytes())  # no encoding reads it as Vietnamese
    (bad / "english.txt").write_text(ENGLISH_TEXT, encoding="utf-8")
    english = render_document(parse_source(ENGLISH_PAGE, "english"), dpi=300, seed=1)[0]
    degrade(english, "scan", seed=2).convert("RGB").save(bad / "english_page.jpg", quality=85)
    return root


EXPECTED_ERRORS = {
    "empty.pdf": "empty file",
    "locked.pdf": "encrypted PDF",
    "zero.pdf": "PDF has no pages",
    "truncated.pdf": "corrupt or truncated PDF",
    "poster.png": "image too large",
    "undecodable.txt": "encoding not recognised",
    "english.txt": "does not look Vietnamese",
    "english_page.jpg": "does not look Vietnamese",
}


@pytest.fixture(scope="module")
def first_run(archive: Path, tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    out = tmp_path_factory.mktemp("out")
    return out, sohoa("run", archive, "-o", out, "--workers", "2", "--quiet", "--log-format", "json")


def test_every_file_gets_a_row_and_bad_ones_a_one_line_reason(first_run) -> None:
    out, result = first_run
    assert result.returncode == 1, result.stderr
    docs = pd.read_parquet(out / "documents.parquet")
    names = {Path(p).name: row for p, row in zip(docs.source_path, docs.itertuples(), strict=True)}
    assert set(names) == set(EXPECTED_ERRORS) | {"plan.pdf", "plan_page.pdf", "dump.txt"}
    for name, reason in EXPECTED_ERRORS.items():
        assert names[name].status == "error", name
        assert reason in names[name].error and "\n" not in names[name].error, (name, names[name].error)
    for name in ("plan.pdf", "plan_page.pdf", "dump.txt"):
        assert names[name].status == "ok", (name, names[name].error)
    assert names["plan_page.pdf"].kind == "png" and "content is PNG" in names["plan_page.pdf"].warning
    assert names["plan.pdf"].ocr_mean_confidence > 80


def test_failures_are_logged_as_json_lines(first_run) -> None:
    out, result = first_run
    stderr_events = [json.loads(line) for line in result.stderr.splitlines()]
    failed = {Path(e["path"]).name for e in stderr_events if e.get("event") == "file_failed"}
    assert failed == set(EXPECTED_ERRORS)
    logged = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert {Path(e["path"]).name for e in logged if e.get("event") == "file_failed"} == failed


def test_outputs_are_complete_and_no_partial_files_remain(first_run, short_plan_truth: str) -> None:
    out, _ = first_run
    docs = pd.read_parquet(out / "documents.parquet")
    plan = docs[docs.source_path.str.endswith("plan.pdf")].iloc[0]
    record = json.loads((out / "documents" / f"{plan.doc_id}.json").read_text())
    assert record["sha256"].startswith(plan.doc_id)
    page = record["pages"][0]
    assert page["dpi"] == 300 and "deskew" in page["preprocess"] and page["lines"][0]["words"][0]["conf"] > 0
    raw = " ".join(unicodedata.normalize("NFC", record["raw_text"]).split())
    truth = " ".join(short_plan_truth.split())
    assert Levenshtein.normalized_distance(truth, raw) < 0.03
    text = (out / "text" / f"{plan.doc_id}.txt").read_text(encoding="utf-8")
    assert len(text.splitlines()) == len(record["raw_text"].splitlines())
    assert not list(out.rglob("*.tmp"))
    run = json.loads((out / "run.json").read_text())
    assert (run["n_ok"], run["n_error"], run["exit_code"]) == (3, len(EXPECTED_ERRORS), 1)


def test_rerun_resumes_and_force_redoes(first_run, archive: Path) -> None:
    out, _ = first_run
    stamps = {p.name: p.stat().st_mtime_ns for p in (out / "documents").glob("*.json")}
    again = sohoa("run", archive, "-o", out, "--workers", "2", "--quiet")
    assert again.returncode == 1
    run = json.loads((out / "run.json").read_text())
    assert run["n_skipped"] == 3 and run["n_ok"] == 0 and run["n_error"] == len(EXPECTED_ERRORS)
    kept = {p.name: p.stat().st_mtime_ns for p in (out / "documents").glob("*.json")}
    ok_ids = set(pd.read_parquet(out / "documents.parquet").query("status == 'ok'").doc_id)
    assert all(kept[f"{d}.json"] == stamps[f"{d}.json"] for d in ok_ids)
    assert len(pd.read_parquet(out / "documents.parquet")) == len(stamps)
    forced = sohoa("run", archive / "good" / "dump.txt", "-o", out, "--force", "--quiet")
    assert forced.returncode == 0
    assert json.loads((out / "run.json").read_text())["n_ok"] == 1


def test_a_second_run_on_the_same_output_is_refused(tmp_path: Path, archive: Path) -> None:
    (tmp_path / ".sohoa.lock").write_text(str(os.getppid()))  # a live process holds the folder
    result = sohoa("run", archive / "good" / "dump.txt", "-o", tmp_path, "--quiet")
    assert result.returncode == 2
    assert "another sohoa run" in result.stderr
    assert not (tmp_path / "documents.parquet").exists()


def test_a_page_that_times_out_fails_alone(tmp_path: Path, archive: Path) -> None:
    result = sohoa(
        "run", archive / "good", "-o", tmp_path, "--quiet", "--page-timeout", "0.05", "--workers", "1"
    )
    assert result.returncode == 1
    docs = pd.read_parquet(tmp_path / "documents.parquet").set_index("kind")
    assert "timed out" in docs.loc["pdf", "error"]
    assert docs.loc["text", "status"] == "ok"


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert sohoa("run", tmp_path, "-o", tmp_path / "o", "--workers", "0").returncode == 2
    assert sohoa("frobnicate").returncode == 2
    image = tmp_path / "x.png"
    Image.new("L", (10, 10)).save(image)
    assert sohoa("run", image, "-o", image).returncode == 2


def test_header_fields_and_sections_reach_the_tables(first_run) -> None:
    out, _ = first_run
    docs = pd.read_parquet(out / "documents.parquet")
    plan = docs[docs.source_path.str.endswith("plan.pdf")].iloc[0]
    assert (plan.issuer, plan.doc_number, plan.doc_symbol, plan.doc_type) == (
        "SỞ GIÁO DỤC VÀ ĐÀO TẠO",
        "87",
        "KH-SGDĐT",
        "KH",
    )
    assert str(plan.issue_date) == "2023-04-20" and plan.place == "Bình Định"
    assert plan.signer_name == "Trần Thị Mai" and "GIÁM ĐỐC" in plan.signer_title
    assert list(plan.recipients)[:1] == ["Như trên"]
    sections = pd.read_parquet(out / "sections.parquet")
    labels = sections[sections.doc_id == plan.doc_id].sort_values("order").label.tolist()
    assert labels == ["muc_dich_yeu_cau", "to_chuc_thuc_hien"]
    dump = docs[docs.source_path.str.endswith("dump.txt")].iloc[0]
    assert dump.n_changed_tokens > 10  # the diacritic-less dump was restored
    restored = (out / "text" / f"{dump.doc_id}.txt").read_text(encoding="utf-8")
    assert "Kế hoạch tổ chức thực hiện phong trào thi đua" in restored


def test_load_results_gives_typed_tables(first_run) -> None:
    from pipeline import load_results

    out, _ = first_run
    res = load_results(out)
    assert len(res.documents) == 3 + len(EXPECTED_ERRORS)
    assert str(res.documents["issue_date"].dtype).startswith("datetime64")
    assert res.documents["doc_type"].dtype == "category" and res.sections["label"].dtype == "category"
    plan = res.documents[res.documents.source_path.str.endswith("plan.pdf")].iloc[0]
    assert plan.issue_date.year == 2023 and isinstance(plan.recipients, list)
    dump_id = res.documents[res.documents.source_path.str.endswith("dump.txt")].doc_id.iloc[0]
    tokens = res.tokens(dump_id)
    changed = tokens[tokens.changed]
    assert ("hoach", "hoạch") in set(zip(changed.original, changed.restored, strict=True))
    assert tokens.confidence.between(0, 1).all()
