"""`sohoa eval`: a real run over one generated scan, scored against gold folders made from its truth."""

from __future__ import annotations

import json
import shutil
import unicodedata
from pathlib import Path

import pytest

from pipeline.outputs.evaluate import cer, evaluate, wer
from tests.cli import sohoa

# What the page of tests/data/sources/short_plan.txt says in its header (read off the source, not the run).
TRUE_FIELDS = {
    "issuer": "SỞ GIÁO DỤC VÀ ĐÀO TẠO",
    "doc_number": "87",
    "doc_symbol": "KH-SGDĐT",
    "issue_date": "2023-04-20",
    "place": "Bình Định",
    "signer_name": "Trần Thị Mai",
}
# A different text written for this test: scoring the page against it must fail badly.
UNRELATED_TEXT = (
    "Biên bản họp hội đồng nhà trường về việc sửa chữa mái nhà thi đấu, mua thêm bàn ghế cho thư viện "
    "và trồng cây xanh quanh sân vận động trước mùa mưa bão năm nay.\n"
)


@pytest.fixture(scope="module")
def run_out(tmp_path_factory, scanned_plan_png: Path) -> Path:
    scans = tmp_path_factory.mktemp("eval_scans")
    shutil.copy(scanned_plan_png, scans / "plan.png")
    out = tmp_path_factory.mktemp("eval_out")
    result = sohoa("run", scans, "-o", out, "--workers", "1", "--quiet")
    assert result.returncode == 0, result.stderr
    return out


def make_gold(root: Path, files: dict[str, str | dict]) -> Path:
    root.mkdir()
    for name, content in files.items():
        text = json.dumps(content, ensure_ascii=False) if isinstance(content, dict) else content
        (root / name).write_text(text, encoding="utf-8")
    return root


def test_rates_on_small_strings() -> None:
    assert cer("abcd", "abxd") == pytest.approx(0.25)
    assert cer("Hòa  bình\n", "Hòa bình") == 0.0  # whitespace runs and line breaks do not count
    assert cer("Hòa", "Hoà") > 0  # a misplaced tone mark is an error
    assert cer(unicodedata.normalize("NFD", "Việt Nam"), "Việt Nam") == 0.0
    assert wer("Kế hoạch, số 87.", "kế HOẠCH số 87") == 0.0  # case and punctuation ignored
    assert wer("một hai ba bốn", "một hai bà bốn") == pytest.approx(0.25)


def test_truth_scores_low_and_fields_all_match(run_out: Path, tmp_path: Path, short_plan_truth: str) -> None:
    gold = make_gold(tmp_path / "gold", {"plan.txt": short_plan_truth, "plan.json": {"fields": TRUE_FIELDS}})
    report = evaluate(gold, run_out)
    assert report.unmatched == []
    [doc] = report.documents
    assert Path(doc.source_path).name == "plan.png" and doc.status == "ok"
    assert doc.ref_chars > 500
    assert doc.cer < 0.03 and doc.wer < 0.08
    assert doc.field_accuracy == 1.0, [f for f in doc.fields if not f.match]
    assert report.cer == doc.cer and report.field_accuracy == 1.0


def test_nfd_gold_and_gt_naming(run_out: Path, tmp_path: Path, short_plan_truth: str) -> None:
    """`plan.gt.txt` is the gold even when `plan.txt` (an input text of that name) lies beside it."""
    gold = make_gold(
        tmp_path / "gold",
        {"plan.gt.txt": unicodedata.normalize("NFD", short_plan_truth), "plan.txt": UNRELATED_TEXT},
    )
    [doc] = evaluate(gold, run_out).documents
    assert doc.gold_path.endswith("plan.gt.txt")
    assert doc.cer < 0.03


def test_wrong_gold_gives_large_error(run_out: Path, tmp_path: Path) -> None:
    gold = make_gold(tmp_path / "gold", {"plan.txt": UNRELATED_TEXT})
    [doc] = evaluate(gold, run_out).documents
    assert doc.cer > 0.5 and doc.wer > 0.8


def test_field_mismatch_lowers_accuracy(run_out: Path, tmp_path: Path, short_plan_truth: str) -> None:
    wrong = {**TRUE_FIELDS, "signer_name": "Nguyễn Văn An", "issue_date": "2023-05-20"}
    gold = make_gold(tmp_path / "gold", {"plan.txt": short_plan_truth, "plan.json": {"fields": wrong}})
    [doc] = evaluate(gold, run_out).documents
    assert doc.field_accuracy == pytest.approx(4 / 6)
    assert {f.name for f in doc.fields if not f.match} == {"signer_name", "issue_date"}


def test_cli_exit_codes_json_and_unmatched(run_out: Path, tmp_path: Path, short_plan_truth: str) -> None:
    good = make_gold(tmp_path / "good", {"plan.txt": short_plan_truth})
    result = sohoa("eval", good, run_out)
    assert result.returncode == 0, result.stderr
    assert "plan.png" in result.stdout and "overall" in result.stdout

    mixed = make_gold(
        tmp_path / "mixed",
        {"plan.txt": short_plan_truth, "lost_page.txt": UNRELATED_TEXT},
    )
    result = sohoa("eval", mixed, run_out, "--json")
    assert result.returncode == 1, result.stderr
    data = json.loads(result.stdout)
    assert [u["name"] for u in data["unmatched"]] == ["lost_page"]
    assert [d["name"] for d in data["documents"]] == ["plan"]
    assert data["overall"]["cer"] == pytest.approx(evaluate(good, run_out).cer)
    assert "lost_page" in sohoa("eval", mixed, run_out).stdout  # listed in the table output too

    assert sohoa("eval", tmp_path / "nowhere", run_out).returncode == 2
    assert sohoa("eval", good, tmp_path / "not_a_run").returncode == 2
    assert sohoa("eval", make_gold(tmp_path / "empty", {}), run_out).returncode == 2


def test_unreadable_expected_record_is_reported(run_out: Path, tmp_path: Path, short_plan_truth: str) -> None:
    gold = make_gold(tmp_path / "gold", {"plan.txt": short_plan_truth, "plan.json": '{"issuer": "x"}'})
    report = evaluate(gold, run_out)
    assert report.documents == []
    [problem] = report.unmatched
    assert problem.name == "plan" and "fields" in problem.reason
