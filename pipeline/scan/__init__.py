"""Stages 1-3 for scanned input: read files into pages (``ingest``), clean page images (``preprocess``),
find the column blocks of the header and signature (``layout``) and OCR them with Tesseract (``ocr``).
"""
