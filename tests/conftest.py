"""Shared fixtures: small documents written for the tests, rendered to real pages and files."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from PIL import Image

from devtools.synth import parse_source, render_document, truth_text
from devtools.synth.degrade import degrade
from devtools.synth.pdf import write_pdf

SOURCES = Path(__file__).parent / "data" / "sources"


@pytest.fixture(scope="session")
def short_plan():
    return parse_source((SOURCES / "short_plan.txt").read_text(encoding="utf-8"), "short_plan")


@pytest.fixture(scope="session")
def short_plan_truth(short_plan) -> str:
    return unicodedata.normalize("NFC", truth_text(short_plan))


@pytest.fixture(scope="session")
def short_plan_pages(short_plan) -> list[Image.Image]:
    return render_document(short_plan, dpi=300, seed=3)


@pytest.fixture(scope="session")
def scanned_plan_pdf(tmp_path_factory, short_plan_pages) -> Path:
    """The short plan as a 'scan'-level degraded PDF, as archives hold them."""
    path = tmp_path_factory.mktemp("scans") / "plan_scan.pdf"
    write_pdf([degrade(p, "scan", seed=11) for p in short_plan_pages], path, dpi=300)
    return path


@pytest.fixture(scope="session")
def scanned_plan_png(tmp_path_factory, short_plan_pages) -> Path:
    path = tmp_path_factory.mktemp("scans") / "plan_scan.png"
    degrade(short_plan_pages[0], "scan", seed=5).save(path, dpi=(300, 300))
    return path
