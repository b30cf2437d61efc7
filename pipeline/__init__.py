"""sohoa: OCR and text restoration for scanned Vietnamese administrative documents.

The package is a chain of stages, one module each: ``ingest`` (files to pages), ``preprocess`` (OpenCV
clean-up), ``ocr`` (Tesseract, column-aware), ``restore`` (diacritics and OCR-confusion repair),
``structure`` (header fields and sections) and ``export`` (JSON, text, Parquet). ``batch`` drives them over
folders and ``cli`` is a thin command line over that API.
"""

__version__ = "0.1.0"
