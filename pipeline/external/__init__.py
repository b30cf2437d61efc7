"""Wrappers of the external programs sohoa runs: one module per program (Tesseract, poppler).

Each wrapper owns the program's command line, its version check, its timeouts and the translation of its
failures into one-line reasons, so no other module builds a command line or parses a program's stderr.
"""
