"""Fuzzing the batch with damaged files and any file names: it never crashes and loses nothing.

Small and quick on purpose (about thirty files, one ``sohoa run``, a few Hypothesis examples of names);
``benchmarks/fuzz_ingest.py`` runs the same checks over hundreds of files, and reruns each batch.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from devtools.fuzz_inputs import ODD_NAMES, PLAN, check_run, make_corpus
from pipeline.scan.ingest import GROUND_TRUTH_SUFFIXES
from tests.cli import sohoa


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory) -> tuple[list[bytes], Path, object]:
    root = tmp_path_factory.mktemp("fuzz")
    corpus = make_corpus(root / "in", 18, seed=14)
    names = os.path.join(os.fsencode(root / "in"), b"names")
    os.mkdir(names)
    for i, name in enumerate(ODD_NAMES):  # every odd name at least once, on a readable text dump
        path = os.path.join(names, name)
        with open(path, "wb") as fh:
            fh.write(f"{PLAN}Hồ sơ số {i}.\n".encode())
        corpus.files.append(path)
    out = root / "out"
    run = sohoa("run", root / "in", "-o", out, "--workers", "2", "--quiet", "--log-format", "json")
    return corpus.files, out, run


def test_damaged_files_and_odd_names_never_crash_the_batch(fuzzed) -> None:
    files, out, run = fuzzed
    check = check_run(files, out, run.returncode, run.stderr)
    assert check.ok, "\n".join(check.problems())
    assert check.statuses["error"] and check.statuses["ok"]  # the corpus has both, so both were checked
    assert run.returncode == 1  # some files failed, the rest is complete


GROUND_TRUTH = tuple(suffix.encode() for suffix in GROUND_TRUTH_SUFFIXES)


def _valid_name(name: bytes) -> bool:
    return b"/" not in name and b"\x00" not in name and name not in (b".", b"..")


NAMES = st.lists(st.binary(min_size=1, max_size=80).filter(_valid_name), min_size=1, max_size=8, unique=True)


@settings(
    max_examples=2,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@example(names=[b"\xff", b".hidden", b"-", b"a\\x41", b"\xc3", b"notes.gt.txt"])
@given(names=NAMES)
def test_any_file_name_gets_exactly_its_row(tmp_path_factory, names: list[bytes]) -> None:
    """Any bytes a Linux name can hold; hidden files and ground-truth transcriptions are not inputs."""
    from pipeline.batch.run import BatchOptions, run_batch
    from pipeline.logs import get_logger, setup_logging
    from pipeline.stages import ProcessOptions

    root = tmp_path_factory.mktemp("names")
    folder = os.path.join(os.fsencode(root), b"in")
    os.mkdir(folder)
    inputs = []
    for i, name in enumerate(names):
        path = os.path.join(folder, name)
        with open(path, "wb") as fh:
            fh.write(f"{PLAN}Hồ sơ số {i}.\n".encode())
        if not name.startswith(b".") and not name.lower().endswith(
            tuple(s.encode() for s in GROUND_TRUTH_SUFFIXES)
        ):
            inputs.append(path)
    out = root / "out"
    out.mkdir()
    setup_logging(quiet=True, log_file=out / "log.jsonl")
    try:
        summary = run_batch([Path(os.fsdecode(folder))], out, ProcessOptions(), BatchOptions(workers=1))
    finally:
        for handler in list(get_logger().handlers):
            get_logger().removeHandler(handler)
            handler.close()
        logging.getLogger("sohoa").propagate = True
    check = check_run(inputs, out, summary.exit_code, "")
    assert check.ok, "\n".join(check.problems())
    assert summary.n_inputs == len(inputs) and check.statuses.get("ok") == len(inputs)


# --- what fuzzing found, kept as regression tests -------------------------------------------------------


def test_a_page_too_small_to_read_fails_alone_in_one_line(tmp_path: Path) -> None:
    """A damaged PDF page renders as 1x1 px; OpenCV's resize then failed with a two-line message."""
    from PIL import Image

    from pipeline.scan import ingest
    from pipeline.stages import ProcessOptions, process_page

    Image.new("L", (1, 1), 255).save(tmp_path / "dot.png")
    page = process_page(ingest.inspect(tmp_path / "dot.png"), 0, ProcessOptions())
    assert page.status == "error" and page.error == "page image too small to read (1x1 px)"


def test_failure_reasons_are_always_one_line() -> None:
    from pipeline.record import DocumentResult, PageResult

    assert PageResult.failed(0, "error: (-215:Assertion failed)\n").error == "error: (-215:Assertion failed)"
    doc = DocumentResult.failed("/a/b.pdf", "first\nsecond  ")
    assert doc.error == "first second"
    assert DocumentResult(doc_id="x", source_path="y").fail("a\r\nb").error == "a b"


def test_a_text_whose_bom_lies_is_refused_at_inspection(tmp_path: Path) -> None:
    """A UTF-8 byte-order mark in front of a PNG used to pass inspection and crash the batch later."""
    from pipeline.errors import IngestError
    from pipeline.scan import ingest

    lying = tmp_path / "lying.txt"
    lying.write_bytes(b"\xef\xbb\xbf" + b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    with pytest.raises(IngestError) as caught:
        ingest.inspect(lying)
    assert "\n" not in str(caught.value) and "UTF-8" in str(caught.value)


def test_a_task_that_raises_costs_its_document_not_the_batch(tmp_path: Path) -> None:
    import dataclasses

    from pipeline.batch.executors import open_executor
    from pipeline.batch.manifest import Manifest
    from pipeline.batch.scheduler import DocumentDone, Scheduler
    from pipeline.scan import ingest
    from pipeline.stages import ProcessOptions

    (tmp_path / "good.txt").write_text(PLAN, encoding="utf-8")
    (tmp_path / "odd.txt").write_text(PLAN + "Hồ sơ lẻ.\n", encoding="utf-8")
    good = ingest.inspect(tmp_path / "good.txt")
    broken = dataclasses.replace(ingest.inspect(tmp_path / "odd.txt"), text_encoding="no-such-codec")
    options = ProcessOptions(restore=False)  # no language model to load: the point is the scheduler
    executor = open_executor("local", options, workers=1, scheduler=None)
    try:
        with Manifest(tmp_path, options.fingerprint()) as manifest:
            events = list(Scheduler(executor, manifest).run(iter([broken, good])))
    finally:
        executor.close()
    done = {e.doc.doc_id: e.doc for e in events if isinstance(e, DocumentDone)}
    assert done[good.doc_id].status == "ok"
    assert done[broken.doc_id].status == "error"
    assert done[broken.doc_id].error.startswith("internal error: LookupError")
