"""`sohoa export OUT --xlsx FILE --csv DIR`: the tables of a run for spreadsheet users, read back as Excel
and a CSV reader would."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import shutil
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook

from pipeline.outputs import spreadsheets
from pipeline.results import load_results
from tests.cli import sohoa

PLANS = Path(__file__).parent / "data" / "plans"


@pytest.fixture(scope="module")
def run_out(tmp_path_factory) -> Path:
    inputs = tmp_path_factory.mktemp("inputs")
    for name in ("kh_angiang_syt_2022", "kh_bentre_sgddt_2023"):
        shutil.copy(PLANS / f"{name}.txt", inputs / f"{name}.txt")
    out = tmp_path_factory.mktemp("out")
    result = sohoa("run", inputs, "-o", out, "--workers", "1", "--quiet")
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture(scope="module")
def exported(run_out: Path, tmp_path_factory) -> tuple[Path, Path]:
    where = tmp_path_factory.mktemp("export")
    xlsx, folder = where / "ket_qua.xlsx", where / "csv"
    result = sohoa("export", run_out, "--xlsx", xlsx, "--csv", folder)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str(xlsx), str(folder / "documents.csv"), str(folder / "sections.csv")]
    return xlsx, folder


def test_workbook_has_typed_sheets_with_frozen_headers_and_filters(run_out: Path, exported) -> None:
    res = load_results(run_out)
    book = load_workbook(exported[0])
    assert book.sheetnames == ["documents", "sections"]
    for sheet, frame in ((book["documents"], res.documents), (book["sections"], res.sections)):
        assert [c.value for c in sheet[1]] == list(frame.columns)
        assert sheet.max_row == len(frame) + 1
        assert sheet.freeze_panes == "A2"
        assert sheet.auto_filter.ref == sheet.dimensions
    docs = book["documents"]
    header = [c.value for c in docs[1]]
    by_id = {row[0].value: row for row in docs.iter_rows(min_row=2)}
    for doc in res.documents.itertuples():
        row = by_id[doc.doc_id]
        date = row[header.index("issue_date")]
        assert date.is_date and date.value.date() == doc.issue_date.date()
        assert row[header.index("title")].value == doc.title  # Vietnamese text as it is
        tokens = row[header.index("n_tokens")]
        assert tokens.value == doc.n_tokens and tokens.data_type == "n"
        recipients = row[header.index("recipients")].value
        assert recipients.split("; ") == list(doc.recipients)
    sections = book["sections"]
    texts = [r[list(res.sections.columns).index("text")].value for r in sections.iter_rows(min_row=2)]
    assert texts == [t or None for t in res.sections.text]  # an empty cell is no value


def test_csv_files_open_in_excel_as_utf8(run_out: Path, exported) -> None:
    res = load_results(run_out)
    folder = exported[1]
    for name, frame in (("documents", res.documents), ("sections", res.sections)):
        data = (folder / f"{name}.csv").read_bytes()
        assert data.startswith(codecs.BOM_UTF8)
        rows = list(csv.reader(data.decode("utf-8-sig").splitlines(keepends=True)))
        assert rows[0] == list(frame.columns)
        assert len(rows) == len(frame) + 1
    docs = pd.read_csv(folder / "documents.csv", encoding="utf-8-sig", dtype=str)
    assert sorted(docs.doc_id) == sorted(res.documents.doc_id)
    assert set(docs.issue_date) == {d.date().isoformat() for d in res.documents.issue_date}
    assert set(docs.issuer) == set(res.documents.issuer)


def test_text_is_never_a_formula(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "title": ['=HYPERLINK("http://x")', "- Tổ chức thực hiện", "Kế hoạch"],
            "n": pd.array([1, None, 3], dtype="Int32"),
            "date": pd.to_datetime(["2024-03-05", None, "2023-12-31"]),
            "recipients": [["Sở Nội vụ", "Lưu: VT"], [], None],
        }
    )
    book = Workbook()
    spreadsheets._fill_sheet(book.active, frame)
    book.save(tmp_path / "t.xlsx")
    sheet = load_workbook(tmp_path / "t.xlsx").active
    cells = list(sheet.iter_rows(min_row=2, values_only=True))
    assert cells[0] == ('=HYPERLINK("http://x")', 1, dt.datetime(2024, 3, 5), "Sở Nội vụ; Lưu: VT")
    assert cells[1] == ("- Tổ chức thực hiện", None, None, None)
    assert sheet["A2"].data_type == "s"
    text = spreadsheets._csv_text(frame)
    assert "'=HYPERLINK" in text and "'- Tổ chức" in text and ",2024-03-05," in text


def test_export_needs_a_run_and_a_format(tmp_path: Path, run_out: Path) -> None:
    result = sohoa("export", tmp_path, "--csv", tmp_path / "csv")
    assert result.returncode == 2 and len(result.stderr.strip().split("\n")) == 1
    assert "documents.parquet" in result.stderr
    result = sohoa("export", run_out)
    assert result.returncode == 2 and "--xlsx" in result.stderr
