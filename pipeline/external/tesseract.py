"""Wrapper around the Tesseract program (through pytesseract).

One place knows how Tesseract is called: single-threaded (``OMP_THREAD_LIMIT=1``, as OCRmyPDF does, because
parallelism comes from running pages in separate processes), with a timeout, returning words with their
boxes and confidences. Failures become :class:`PageError` with a one-line reason.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image

from pipeline.errors import MissingDependencyError, PageError


def _import_pytesseract():
    """pytesseract, imported without pandas when pandas is not loaded yet.

    pytesseract imports pandas at once for an output type never asked for here; in a worker process that
    is a second of CPU and some 60 MB, before the first page. A process that already has pandas (the
    batch's main process) keeps it, and pandas can be imported afterwards as usual.
    """
    if "pandas" in sys.modules:
        import pytesseract
    else:
        sys.modules["pandas"] = None  # type: ignore[assignment]  # "import pandas" fails: not installed
        try:
            import pytesseract
        finally:
            del sys.modules["pandas"]
    return pytesseract


pytesseract = _import_pytesseract()

# Tesseract's OpenMP threads would only fight over the cores that the worker processes already share out.
SINGLE_THREAD_ENV = {"OMP_THREAD_LIMIT": "1"}


def run_single_threaded() -> None:
    """Make every Tesseract this process starts single-threaded (called once when a worker starts)."""
    os.environ.update(SINGLE_THREAD_ENV)


@dataclass(frozen=True)
class TesseractWord:
    """One recognised word in the coordinates of the image given to Tesseract."""

    text: str
    conf: float  # 0..100 as Tesseract reports it
    left: int
    top: int
    width: int
    height: int
    block: int
    par: int
    line: int


@lru_cache(maxsize=1)
def available_languages() -> frozenset[str]:
    """Languages installed for Tesseract (empty when the program is missing).

    Read from ``tesseract --list-langs`` here: pytesseract's own list keeps lower-case names only, and so
    misses the script models (``Vietnamese`` of tesseract-ocr-script-viet, ``Latin``).
    """
    program = shutil.which(pytesseract.pytesseract.tesseract_cmd)
    if program is None:
        return frozenset()
    try:
        listed = subprocess.run([program, "--list-langs"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return frozenset()
    lines = (listed.stdout + listed.stderr).splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and " " not in line.strip())


def check_language(lang: str) -> None:
    """Fail early, once, with the apt package to install, instead of once per page."""
    installed = available_languages()
    if not installed:
        raise MissingDependencyError("tesseract", "tesseract-ocr")
    missing = [code for code in lang.split("+") if code not in installed]
    if missing:
        packages = " ".join(f"tesseract-ocr-{code}" for code in missing)
        raise MissingDependencyError(f"Tesseract language data for {', '.join(missing)}", packages)


def version() -> str:
    try:
        return str(pytesseract.get_tesseract_version())
    except Exception:
        return "unknown"


def recognize_words(image: np.ndarray, *, lang: str, psm: int, timeout_s: float) -> list[TesseractWord]:
    """Run Tesseract on ``image`` and return its words (empty strings dropped) in Tesseract's order."""
    data = _call(
        pytesseract.image_to_data,
        image,
        timeout_s,
        lang=lang,
        config=f"--psm {psm}",
        output_type=pytesseract.Output.DICT,
    )
    words = []
    for i, text in enumerate(data["text"]):
        text = (text or "").strip()
        if not text:
            continue
        words.append(
            TesseractWord(
                text=text,
                conf=max(0.0, float(data["conf"][i])),
                left=int(data["left"][i]),
                top=int(data["top"][i]),
                width=int(data["width"][i]),
                height=int(data["height"][i]),
                block=int(data["block_num"][i]),
                par=int(data["par_num"][i]),
                line=int(data["line_num"][i]),
            )
        )
    return words


@dataclass(frozen=True)
class OrientationGuess:
    """Tesseract's orientation and script detection (``--psm 0``) for one page."""

    rotate: int  # degrees clockwise that turn the page upright: 0, 90, 180 or 270
    confidence: float  # Tesseract's orientation confidence; about 2 or more is a clear decision
    script: str


def detect_orientation(
    image: np.ndarray, *, dpi: int, timeout_s: float, min_characters: int = 50
) -> OrientationGuess | None:
    """Tesseract OSD on ``image``; None when the page holds too few characters to decide.

    OSD needs no language model; its cost is about 35 ms of CPU per character it classifies (it stops
    after ``min_characters`` once it is sure), plus 0.2 s to start, whatever the image size.
    """
    try:
        data = _call(
            pytesseract.image_to_osd,
            image,
            timeout_s,
            config=f"--psm 0 --dpi {int(dpi)} -c min_characters_to_try={int(min_characters)}",
            output_type=pytesseract.Output.DICT,
        )
    except PageError as exc:
        if "too few characters" in str(exc).lower():
            return None
        raise
    return OrientationGuess(int(data["rotate"]) % 360, float(data["orientation_conf"]), str(data["script"]))


def _uncompressed(image: np.ndarray) -> Image.Image:
    """The image as pytesseract will hand it over in a file: uncompressed TIFF, not PNG.

    pytesseract writes PNG by default: compressing a binarised 300-dpi page costs 0.1-0.15 s of CPU (a
    grey one 0.3-0.5 s) for a file that is read once and deleted. An uncompressed TIFF is written in a
    few ms and read by Leptonica as fast (a PGM, as quick to write, is read 0.4 s slower).
    """
    picture = Image.fromarray(image)
    picture.format = "TIFF"  # Pillow writes TIFF uncompressed
    return picture


def _call(function, image: np.ndarray, timeout_s: float, **kwargs):
    """One Tesseract run; a crash, a timeout or an error becomes a :class:`PageError` with one line."""
    try:
        return function(_uncompressed(image), timeout=timeout_s, **kwargs)
    except pytesseract.TesseractError as exc:  # a RuntimeError too: caught first
        if isinstance(exc.status, int) and exc.status < 0:
            raise PageError(f"Tesseract crashed ({_signal_name(-exc.status)})") from exc
        raise PageError(f"Tesseract failed: {_first_line(exc)}") from exc
    except RuntimeError as exc:
        if "timeout" in str(exc).lower():
            raise PageError(f"Tesseract timed out after {timeout_s:.0f} s") from exc
        raise PageError(f"Tesseract failed: {_first_line(exc)}") from exc


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _first_line(exc: BaseException) -> str:
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    return lines[0] if lines else type(exc).__name__
