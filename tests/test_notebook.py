"""notebooks/explore.ipynb runs top to bottom (real kernel, real run outputs) and is committed clean."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "explore.ipynb"

# A plan typed without diacritics, as old text dumps are (written for this test).
DUMP = (
    "UY BAN NHAN DAN TINH PHU YEN\n"
    "So: 12/KH-UBND\n"
    "Phu Yen, ngay 3 thang 3 nam 2022\n"
    "KE HOACH\n"
    "Phat dong phong trao thi dua lao dong gioi nam 2022\n"
    "I. MUC DICH, YEU CAU\n"
    "Dong vien nguoi lao dong thi dua hoan thanh ke hoach san xuat, bao dam an toan lao dong.\n"
    "II. TO CHUC THUC HIEN\n"
    "Cac so, ban, nganh xay dung ke hoach cu the va bao cao ket qua ve Ban Thi dua truoc ngay 15 thang 11.\n"
)


def execute(env: dict[str, str]) -> nbformat.NotebookNode:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)  # the kernel inherits the environment; the parameter cell reads it
    try:
        NotebookClient(
            notebook,
            timeout=600,
            kernel_name="python3",
            resources={"metadata": {"path": str(NOTEBOOK.parent)}},
        ).execute()
    finally:
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return notebook


def outputs_text(notebook: nbformat.NotebookNode) -> str:
    parts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            parts.append(output.get("text", ""))
            parts += [str(v) for k, v in output.get("data", {}).items() if k.startswith("text/")]
    return "\n".join(parts)


@pytest.fixture(scope="module")
def small_out(tmp_path_factory, scanned_plan_png: Path) -> Path:
    inputs = tmp_path_factory.mktemp("nb_inputs")
    shutil.copy(scanned_plan_png, inputs / "plan.png")
    (inputs / "phu_yen_dump.txt").write_text(DUMP, encoding="utf-8")
    out = tmp_path_factory.mktemp("nb_out")
    result = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "run", inputs, "-o", out, "--workers", "2", "--quiet"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr
    return out


def test_notebook_is_committed_without_outputs() -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)


def test_notebook_runs_on_an_existing_output(small_out: Path, tmp_path: Path) -> None:
    figures = tmp_path / "figures"
    notebook = execute({"SOHOA_NOTEBOOK_OUT": str(small_out), "SOHOA_NOTEBOOK_FIGURES": str(figures)})
    text = outputs_text(notebook)
    assert "2 documents (2 readable)" in text
    assert "plan.png" in text and "SỞ GIÁO DỤC VÀ ĐÀO TẠO" in text  # the side-by-side view and issuer table
    assert "to_chuc_thuc_hien" in text
    assert "running:" not in text  # the existing output was read, not rebuilt
    assert (figures / "notebook_sections.png").stat().st_size > 1000


def test_notebook_runs_the_batch_when_the_output_is_empty(tmp_path: Path) -> None:
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    (inputs / "phu_yen_dump.txt").write_text(DUMP, encoding="utf-8")
    out = tmp_path / "out"
    notebook = execute({"SOHOA_NOTEBOOK_OUT": str(out), "SOHOA_NOTEBOOK_INPUTS": str(inputs)})
    text = outputs_text(notebook)
    assert "running:" in text and "1 documents (1 readable)" in text
    assert (out / "documents.parquet").is_file()
    assert "Kế hoạch" in text or "KẾ HOẠCH" in text  # restored text is shown beside the sections
