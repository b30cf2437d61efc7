"""Synthetic scanned official documents with exact ground truth (for OCR tests and benchmarks).

``source`` parses our marked-up document format, ``layout`` sets it in points (Liberation Serif, or Mono
for a typewriter), ``render`` draws A4 pages with seal and signature and gives the reading-order truth,
``typewriter`` strikes typed lines with uneven ink, ``marks`` draws the non-text ink (seal, signature, the
received "ĐẾN" stamp, handwriting), ``paper`` ages the sheet, ``degrade`` imitates scanners and
photocopiers (and copies of copies), ``archive`` combines all of these as switchable, recorded archive
conditions (``Conditions``, ``make_document``, the benchmark levels), ``pdf`` writes PDF and TIFF files.
"""

from devtools.synth.archive import Conditions, SyntheticDocument, make_document
from devtools.synth.render import RenderedPage, render_document, render_pages, truth_pages, truth_text
from devtools.synth.source import Directive, DocumentSource, Line, SourceError, load_source, parse_source

__all__ = [
    "Conditions",
    "Directive",
    "DocumentSource",
    "Line",
    "RenderedPage",
    "SourceError",
    "SyntheticDocument",
    "load_source",
    "make_document",
    "parse_source",
    "render_document",
    "render_pages",
    "truth_pages",
    "truth_text",
]
