"""Logging for people and for scripts.

People see short lines on stderr (through rich when it is a terminal); scripts get JSON lines, either on
stderr (``--log-format json``) or always in ``OUT/log.jsonl``. Each failed file is one line naming the file
and the reason, each finished one a ``file_done`` line (kept off the short stderr lines, where the
progress bar already counts them). Times are ISO 8601 with the UTC offset, so logs of machines in
different time zones (or a run across a daylight-saving change) sort and compare.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from pathlib import Path

LOGGER_NAME = "sohoa"
_EXTRA_KEYS = ("event", "path", "doc_id", "status", "page")
EVENT_FILE_DONE = "file_done"


class JsonLineFormatter(logging.Formatter):
    """One JSON object per record: time, level, message and the structured extras the batch attaches."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": log_time(record.created),
            "level": record.levelname.lower(),
            "message": record.getMessage(),
        }
        for key in _EXTRA_KEYS:
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        return json.dumps(entry, ensure_ascii=False)


def log_time(created: float) -> str:
    """Local time of a log record with its UTC offset, to the millisecond: 2024-05-02T14:03:07.412+07:00."""
    return dt.datetime.fromtimestamp(created).astimezone().isoformat(timespec="milliseconds")


def get_logger() -> logging.Logger:
    return logging.getLogger(LOGGER_NAME)


def file_done(path: str, doc_id: str, status: str) -> None:
    """The one log line of a file that went through every stage (failures have their own line)."""
    get_logger().info(
        "%s: done (%s)",
        path,
        doc_id,
        extra={"event": EVENT_FILE_DONE, "path": path, "doc_id": doc_id, "status": status},
    )


def _not_file_done(record: logging.LogRecord) -> bool:
    return getattr(record, "event", None) != EVENT_FILE_DONE


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
    if fmt != "json":
        stderr.addFilter(_not_file_done)  # one line per finished file is for the log file and scripts
    stderr.setLevel(logging.WARNING if quiet else logging.INFO)
    logger.addHandler(stderr)
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        # backslashreplace: a stray undecodable character must cost a character, never the log line.
        file_handler = logging.FileHandler(log_file, encoding="utf-8", errors="backslashreplace")
        file_handler.setFormatter(JsonLineFormatter())
        logger.addHandler(file_handler)
    return logger
