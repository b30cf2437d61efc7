"""Restoration engine: legacy OCR garble, unaccented or slightly wrong Vietnamese back to correct text.

Public API: :func:`restore_text`, :class:`Restoration`, :class:`TokenRecord`, :class:`RestoreConfig`,
:func:`vietnamese_share`.
"""

from pipeline.restore.config import RestoreConfig
from pipeline.restore.engine import Restoration, TokenRecord, restore_text
from pipeline.restore.language_score import vietnamese_share

__all__ = ["RestoreConfig", "Restoration", "TokenRecord", "restore_text", "vietnamese_share"]
