"""The error vocabulary: exit codes, and a missing program refuses the run with the command that fixes it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.errors import (
    ExitCode,
    IngestError,
    LockedError,
    MissingDependencyError,
    PageError,
    RunRefused,
    SohoaError,
)

DUMP = "Kế hoạch tổ chức phong trào thi đua yêu nước năm 2024 của Sở Nội vụ tỉnh.\n" * 3


def _run_with_path(tmp_path: Path, path_dirs: list[Path], *args: str | Path) -> subprocess.CompletedProcess:
    """``sohoa ARGS`` with PATH limited to ``path_dirs``: as on a machine where some program is missing."""
    env = {**os.environ, "PATH": os.pathsep.join(map(str, path_dirs)), "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "pipeline.cli", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=tmp_path,
    )


def _bin_with(tmp_path: Path, *programs: str) -> Path:
    """A folder holding links to just these programs."""
    folder = tmp_path / "bin"
    folder.mkdir(exist_ok=True)
    for name in programs:
        (folder / name).symlink_to(shutil.which(name))
    return folder


def test_one_hierarchy_and_exit_codes() -> None:
    assert [int(c) for c in ExitCode] == [0, 1, 2]
    for cls in (IngestError, PageError, RunRefused, MissingDependencyError, LockedError):
        assert issubclass(cls, SohoaError)
    error = MissingDependencyError("tesseract", "tesseract-ocr")
    assert isinstance(error, RunRefused)
    assert str(error) == "tesseract is not installed (apt-get install tesseract-ocr)"


def test_missing_tesseract_refuses_the_run_with_the_apt_command(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "plan.txt").write_text(DUMP, encoding="utf-8")
    empty_bin = tmp_path / "empty"
    empty_bin.mkdir()
    result = _run_with_path(tmp_path, [empty_bin], "run", "in", "-o", "out", "--quiet")
    assert result.returncode == ExitCode.USAGE
    assert "apt-get install tesseract-ocr" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_poppler_refuses_the_run_with_the_apt_command(tmp_path: Path, scanned_plan_pdf: Path) -> None:
    (tmp_path / "in").mkdir()
    shutil.copy(scanned_plan_pdf, tmp_path / "in" / "plan.pdf")
    only_tesseract = _bin_with(tmp_path, "tesseract")
    result = _run_with_path(tmp_path, [only_tesseract], "run", "in", "-o", "out", "--quiet", "--workers", "1")
    assert result.returncode == ExitCode.USAGE, result.stderr
    assert "apt-get install poppler-utils" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("lang", ["vie+xyz"])
def test_missing_language_data_names_its_package(tmp_path: Path, lang: str) -> None:
    (tmp_path / "plan.txt").write_text(DUMP, encoding="utf-8")
    result = _run_with_path(
        tmp_path, [Path(shutil.which("tesseract")).parent], "run", "plan.txt", "-o", "out", "--lang", lang
    )
    assert result.returncode == ExitCode.USAGE
    assert "apt-get install tesseract-ocr-xyz" in result.stderr


def test_script_models_count_as_installed(tmp_path, monkeypatch) -> None:
    """A script model (capitalised, as ``Vietnamese`` of tesseract-ocr-script-viet) is a language too."""
    from pipeline.external import tesseract

    (vie,) = list(Path("/usr/share/tesseract-ocr").glob("*/tessdata/vie.traineddata"))[:1]
    (tmp_path / "Vietnamese.traineddata").symlink_to(vie)
    (tmp_path / "vie.traineddata").symlink_to(vie)
    monkeypatch.setenv("TESSDATA_PREFIX", str(tmp_path))
    tesseract.available_languages.cache_clear()
    try:
        assert {"Vietnamese", "vie"} <= tesseract.available_languages()
        tesseract.check_language("vie+Vietnamese")  # refused before: pytesseract lists lower-case names only
    finally:
        tesseract.available_languages.cache_clear()
