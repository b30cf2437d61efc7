"""The archive's corrected names (OUT/lexicon.tsv, kept by ``sohoa review``) serve the next documents."""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.restore.lexicon import UserLexicon
from pipeline.stages import ProcessOptions
from tests.cli import sohoa

# A signer whose given name is in none of the shipped lexicons: restored right only with a lexicon.
PLAN = "KE HOACH\nThi dua yeu nuoc nam 2024 cua co quan\n\nKT. GIAM DOC\nPHO GIAM DOC\n\nNguyen Thi Lua\n"


def _text(out: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted((out / "text").glob("*.txt")))


def test_the_next_run_uses_the_corrected_names_without_redoing_finished_documents(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    (first / "a.txt").write_text(PLAN, encoding="utf-8")
    out = tmp_path / "out"
    assert sohoa("run", first, "-o", out, "--quiet", "--workers", "1").returncode == 0
    assert "Nguyễn Thị Lụa" not in _text(out)
    # An archivist corrects the name in `sohoa review`, which keeps it in OUT/lexicon.tsv.
    (out / "lexicon.tsv").write_text("Nguyễn Thị Lụa\tname\t1\n", encoding="utf-8")
    (second / "b.txt").write_text(PLAN.replace("nam 2024", "nam 2025"), encoding="utf-8")
    again = sohoa("run", first, second, "-o", out, "--quiet", "--workers", "1")
    assert again.returncode == 0, again.stderr
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert run["n_skipped"] == 1 and run["n_ok"] == 1  # the first document is not redone
    texts = [p.read_text(encoding="utf-8") for p in (out / "text").glob("*.txt")]
    assert sum("Nguyễn Thị Lụa" in t for t in texts) == 1  # the new one has the corrected name


def test_an_unreadable_archive_lexicon_is_a_warning(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text(PLAN, encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    (out / "lexicon.tsv").write_text("Nguyễn Thị Lụa\tperson\n", encoding="utf-8")  # no such kind
    done = sohoa("run", tmp_path / "in", "-o", out, "--quiet", "--workers", "1")
    assert done.returncode == 0
    assert "archive lexicon not used" in done.stderr


def test_the_archive_lexicon_is_no_part_of_the_fingerprint() -> None:
    lexicon = UserLexicon.parse("Nguyễn Thị Lụa\tname\n")
    assert ProcessOptions(archive_lexicon=lexicon).fingerprint() == ProcessOptions().fingerprint()
    assert ProcessOptions(lexicon=lexicon).fingerprint() != ProcessOptions().fingerprint()
