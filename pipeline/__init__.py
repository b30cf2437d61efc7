"""sohoa: OCR and text restoration for scanned Vietnamese administrative documents.

The package is a chain of stages, one module each: ``ingest`` (files to pages), ``preprocess`` (OpenCV
clean-up), ``ocr`` (Tesseract, column-aware), ``restore`` (diacritics and OCR-confusion repair),
``structure`` (header fields and sections) and ``export`` (JSON, text, Parquet). ``batch`` drives them over
folders and ``cli`` is a thin command line over that API.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pipeline import results

__version__ = "0.1.0"


def load_results(out_dir: str | os.PathLike) -> results.Results:
    """Load a run's ``documents`` and ``sections`` tables: see :func:`pipeline.results.load_results`.

    Imported lazily so that worker processes, which never load tables, do not pay for pandas.
    """
    from pipeline.results import load_results as _load

    return _load(out_dir)


__all__ = ["__version__", "load_results"]
