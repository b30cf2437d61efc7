"""Synthetic scanned official documents with exact ground truth (for OCR tests and benchmarks).

``source`` parses our marked-up document format, ``layout`` sets it in points, ``render`` draws A4 pages
with seal and signature and gives the reading-order truth, ``degrade`` imitates scanners and photocopiers,
``pdf`` writes PDF and TIFF files.
"""

from devtools.synth.render import RenderedPage, render_document, render_pages, truth_pages, truth_text
from devtools.synth.source import Directive, DocumentSource, Line, SourceError, load_source, parse_source

__all__ = [
    "Directive",
    "DocumentSource",
    "Line",
    "RenderedPage",
    "SourceError",
    "load_source",
    "parse_source",
    "render_document",
    "render_pages",
    "truth_pages",
    "truth_text",
]
