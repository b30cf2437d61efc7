"""Logging for people and for scripts.

People see short lines on stderr (through rich when it is a terminal); scripts get JSON lines, either on
stderr (``--log-format json``) or always in ``OUT/log.jsonl``. Each failed file is one line naming the file
and the reason.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path

LOGGER_NAME = "sohoa"
_EXTRA_KEYS = ("event", "path", "doc_id", "status", "page")


class JsonLineFormatter(logging.Formatter):
    """One JSON object per record: time, level, message and the structured extras the batch attaches."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(record.created)),
            "level": record.levelname.lower(),
            "message": record.getMessage(),
        }
        for key in _EXTRA_KEYS:
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        return json.dumps(entry, ensure_ascii=False)


def get_logger() -> logging.Logger:
    return logging.getLogger(LOGGER_NAME)


def setup_logging(*, quiet: bool = False, fmt: str = "text", log_file: Path | None = None) -> logging.Logger:
    """Configure the ``sohoa`` logger; ``quiet`` keeps only warnings and errors on stderr."""
    logger = get_logger()
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()
    logger.setLevel(logging.INFO)
    logger.propagate = False
    if fmt == "json":
        stderr: logging.Handler = logging.StreamHandler(sys.stderr)
        stderr.setFormatter(JsonLineFormatter())
    elif sys.stderr.isatty():
        from rich.logging import RichHandler

        stderr = RichHandler(show_path=False, show_time=False, markup=False)
    else:
        stderr = logging.StreamHandler(sys.stderr)
        stderr.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    stderr.setLevel(logging.WARNING if quiet else logging.INFO)
    logger.addHandler(stderr)
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        file_handler = logging.FileHandler(log_file, encoding="utf-8")
        file_handler.setFormatter(JsonLineFormatter())
        logger.addHandler(file_handler)
    return logger
