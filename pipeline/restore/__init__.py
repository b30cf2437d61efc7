"""Restoration engine: legacy OCR garble, unaccented or slightly wrong Vietnamese back to correct text.

Public API: :func:`restore_text`, :class:`Restoration`, :class:`TokenRecord`, :func:`vietnamese_share`.
"""

from pipeline.restore.engine import Restoration, TokenRecord, restore_text
from pipeline.restore.share import vietnamese_share

__all__ = ["Restoration", "TokenRecord", "restore_text", "vietnamese_share"]
