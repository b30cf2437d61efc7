"""The per-user cache of built restoration models: same restorations, entries keyed by their sources,
and a cache that cannot be used is passed over.

Each case runs in a fresh Python process: the models are built (or read) once per process.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from pipeline.resources import dictionaries_dir

ROOT = Path(__file__).resolve().parents[1]
TEXTS = [
    "Phong trao thi dua Vi ngudi nghéo c6 hiéu qua",
    "S¢ Y té tinh An Giang t6 chirc hoi nghi tong ket",
    "Kế hoạch phát động phong trào thi đua năm 2024",
]
PROBE = f"""
import json
from pipeline.restore import restore_text
from pipeline.restore.model import models, model_loads
out = [restore_text(t).text for t in {TEXTS!r}]
print(json.dumps({{"from_cache": models().from_cache, "loads": model_loads(), "out": out}}))
"""


def _probe(cache: str | Path, **env: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "SOHOA_CACHE": str(cache), **env},
        timeout=300,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _entries(cache: Path) -> list[Path]:
    folder = cache / "models"
    return sorted(p for p in folder.iterdir() if not p.name.startswith(".")) if folder.is_dir() else []


def test_second_process_reads_the_cache_and_restores_the_same(tmp_path):
    built = _probe("off")
    first = _probe(tmp_path)
    second = _probe(tmp_path)
    assert (built["from_cache"], first["from_cache"], second["from_cache"]) == (False, False, True)
    assert second["loads"] == 1
    assert first["out"] == second["out"] == built["out"]
    assert second["out"][0].startswith("Phong trào thi đua")
    (entry,) = _entries(tmp_path)
    assert (entry / "tri_keys.npy").is_file() and (entry / "models.pickle").is_file()


def test_changed_dictionary_gives_a_new_entry(tmp_path):
    data = tmp_path / "dictionaries"
    shutil.copytree(dictionaries_dir(), data)
    cache = tmp_path / "cache"
    assert _probe(cache, SOHOA_DICTIONARIES=str(data))["from_cache"] is False
    abbreviations = data / "abbreviations.tsv"
    abbreviations.write_text(abbreviations.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert _probe(cache, SOHOA_DICTIONARIES=str(data))["from_cache"] is False
    assert len(_entries(cache)) == 2


def test_damaged_entry_is_rebuilt(tmp_path):
    reference = _probe(tmp_path)
    (entry,) = _entries(tmp_path)
    (entry / "models.pickle").write_bytes(b"not a pickle")
    again = _probe(tmp_path)
    assert again["from_cache"] is False and again["out"] == reference["out"]
    assert _probe(tmp_path)["from_cache"] is True  # the damaged entry was replaced


def test_unwritable_cache_is_passed_over(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder would be", encoding="utf-8")
    result = _probe(blocker)
    assert result["from_cache"] is False
    assert result["out"][0].startswith("Phong trào thi đua")
