"""Errors that carry a one-line, user-facing reason.

The batch writes ``str(error)`` into ``documents.parquet`` and the log, so messages name the problem in the
archivist's terms ("encrypted PDF: a password is needed") rather than the library's.
"""


class IngestError(Exception):
    """A file, or one of its pages, cannot be read as a document."""


class PageError(Exception):
    """One page failed (OCR crash or timeout) while the rest of its document may be fine."""
