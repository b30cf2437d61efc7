"""The tables of a run for people who work in spreadsheets: an Excel workbook, or CSV files Excel opens.

``sohoa export OUT --xlsx FILE`` writes a workbook with a ``documents`` and a ``sections`` sheet (dates as
date cells, the header row frozen, an autofilter on every column); ``--csv DIR`` writes ``documents.csv`` and
``sections.csv`` in UTF-8 with a byte-order mark, without which Excel reads Vietnamese as Windows-1252
mojibake. Both come from :func:`pipeline.results.load_results`, with list and struct columns (recipients,
legal bases, digital signature) flattened to text, items separated by "; ".
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.outputs import export

SHEETS = ("documents", "sections")
# Excel refuses longer cells; longer section texts are cut with a note (the full text is in text/ and JSON).
MAX_CELL_CHARS = 32_767
_CUT_NOTE = " … [cut: see text/<doc_id>.txt]"
# A CSV value starting with these is a formula to Excel; a leading apostrophe keeps it text (OWASP advice).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_DATE_FORMAT = "dd/mm/yyyy"
_MAX_WIDTH = 60


def load_tables(out_dir: Path) -> dict[str, pd.DataFrame]:
    """The documents and sections tables of ``out_dir``; FileNotFoundError when it holds no finished run."""
    from pipeline.results import load_results

    out_dir = Path(out_dir)
    for name in SHEETS:
        if not (out_dir / f"{name}.parquet").is_file():
            raise FileNotFoundError(
                f"{out_dir / f'{name}.parquet'} not found: not the output folder of a finished sohoa run"
            )
    results = load_results(out_dir)
    return {"documents": results.documents, "sections": results.sections}


def rows(frame: pd.DataFrame) -> Iterator[list[Any]]:
    """The rows of a table as plain cell values: None for missing, dates as ``date``, lists as text."""
    for record in frame.itertuples(index=False, name=None):
        yield [cell_value(v) for v in record]


def cell_value(value: Any) -> Any:
    """One value as a spreadsheet cell holds it (str, int, float, bool, date or None)."""
    if isinstance(value, (list, tuple)) or type(value).__name__ == "ndarray":
        return "; ".join(s for s in (_flat(v) for v in value) if s) or None
    if isinstance(value, dict):
        return _flat(value) or None
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def _flat(value: Any) -> str:
    if isinstance(value, dict):
        value = dict(value)
        if value.get("number") and value.get("symbol"):  # a cited document: "1187/KH-UBND"
            value["number"] = f"{value['number']}/{value.pop('symbol')}"
        return " ".join(str(v) for v in value.values() if v)
    return "" if value is None else str(value)


def write_xlsx(out_dir: Path, path: Path) -> Path:
    """Write the workbook (atomically) and return its path."""
    from openpyxl import Workbook

    tables = load_tables(out_dir)
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name in SHEETS:
        _fill_sheet(workbook.create_sheet(name), tables[name])

    buffer = io.BytesIO()
    workbook.save(buffer)
    export.atomic_write_bytes(Path(path), buffer.getvalue())
    return Path(path)


def _fill_sheet(sheet: Any, frame: pd.DataFrame) -> None:
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    sheet.append(list(frame.columns))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    widths = [len(str(c)) for c in frame.columns]
    for values in rows(frame):
        sheet.append([_xlsx_value(v) for v in values])
        for i, value in enumerate(values):
            if value is not None:
                widths[i] = max(widths[i], min(_MAX_WIDTH, len(str(value).split("\n")[0])))
    for index, column in enumerate(frame.columns, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = min(_MAX_WIDTH, widths[index - 1] + 2)
        if _is_date_column(frame[column]):
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = _DATE_FORMAT
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if cell.data_type == "f":  # a text starting with "=" is text here, not a formula
                cell.data_type = "s"
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions


def _is_date_column(series: pd.Series) -> bool:
    return pd.api.types.is_datetime64_any_dtype(series)


def _xlsx_value(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    value = ILLEGAL_CHARACTERS_RE.sub("", value)  # control characters the XML of a workbook cannot hold
    if len(value) > MAX_CELL_CHARS:
        value = value[: MAX_CELL_CHARS - len(_CUT_NOTE)] + _CUT_NOTE
    return value


def write_csv(out_dir: Path, folder: Path) -> list[Path]:
    """Write ``documents.csv`` and ``sections.csv`` (UTF-8 with BOM) into ``folder``; return their paths."""
    tables = load_tables(out_dir)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in SHEETS:
        path = folder / f"{name}.csv"
        export.atomic_write_bytes(path, _csv_text(tables[name]).encode("utf-8-sig"))
        written.append(path)
    return written


def _csv_text(frame: pd.DataFrame) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)  # "\r\n" line ends and quoting as Excel writes them
    writer.writerow(frame.columns)
    for values in rows(frame):
        writer.writerow([_csv_value(v) for v in values])
    return buffer.getvalue()


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value
