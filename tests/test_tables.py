"""The Parquet tables are written row group by row group, as the summaries come: bounded memory on a big
archive, the same tables as written at once, and a run that breaks off leaves the old tables whole."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from pipeline.outputs import export
from pipeline.record import DocumentResult


def _summary(i: int) -> dict:
    sections = [
        {"order": k, "numeral": "I" * (k + 1), "label": "muc_dich", "heading": f"Mục {k}", "level": 1}
        for k in range(3)
    ]
    terms = [{"section_order": k % 3, "term": f"thi đua {k}", "count": k + 1} for k in range(7)]
    doc = DocumentResult(
        doc_id=f"{i:016x}",
        source_path=f"/archive/plan_{i:03d}.txt",
        kind="text",
        text="Phong trào thi đua",
        record={
            "fields": {"issuer": "SỞ NỘI VỤ", "period_start": "2024" if i % 2 else None},
            "sections": sections,
            "terms": terms,
        },
    )
    return doc.summary()


def _tables(folder: Path) -> dict[str, pd.DataFrame]:
    return {name: pd.read_parquet(folder / f"{name}.parquet") for name in ("documents", "sections", "terms")}


def test_tables_in_small_row_groups_equal_the_tables_in_one(tmp_path, monkeypatch) -> None:
    summaries = [_summary(i) for i in range(10)]
    export.write_tables(tmp_path / "whole", summaries)
    monkeypatch.setattr(export, "TABLE_BATCH_ROWS", 4)
    counts = export.write_tables(tmp_path / "grouped", summaries)
    assert counts == (10, 30, 70)
    assert pq.ParquetFile(tmp_path / "grouped" / "terms.parquet").num_row_groups > 1
    whole, grouped = _tables(tmp_path / "whole"), _tables(tmp_path / "grouped")
    for name in whole:
        pd.testing.assert_frame_equal(whole[name], grouped[name])
    # integers with gaps stay integers (pandas' nullable Int), not floats
    assert str(grouped["documents"]["period_start"].dtype) == "Int32"
    assert grouped["terms"]["doc_id"].tolist()[:7] == [f"{0:016x}"] * 7


def test_a_broken_off_rewrite_leaves_the_old_tables(tmp_path) -> None:
    export.write_tables(tmp_path, [_summary(i) for i in range(3)])

    def breaking():
        yield _summary(5)
        raise RuntimeError("ledger read failed")

    with pytest.raises(RuntimeError):
        export.write_tables(tmp_path, breaking())
    assert len(_tables(tmp_path)["documents"]) == 3
    assert not list(tmp_path.glob(".*.tmp"))
