"""sohoa's exit codes and its one hierarchy of exceptions.

Every exception here carries a one-line, user-facing reason: the batch writes ``str(error)`` into
``documents.parquet`` and the log, so messages name the problem in the archivist's terms ("encrypted PDF: a
password is needed") rather than the library's. The classes say what the batch does with the failure: a
file that cannot be read is recorded and the batch goes on; a page that fails leaves its document
``partial``; a run that cannot start is refused with exit code 2; a worker that dies is retried.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """What ``sohoa`` exits with, so scripts can tell 'all done' from 'some files failed' from 'refused'."""

    OK = 0
    SOME_FAILED = 1  # every file was tried; those that failed are in documents.parquet and the log
    USAGE = 2  # nothing (more) was done: a bad option, unreadable input, a locked OUT, a missing program


class SohoaError(Exception):
    """Base of every error sohoa raises on purpose; ``str()`` is the one-line reason."""


class IngestError(SohoaError):
    """A file, or one of its pages, cannot be read as a document."""


class PopplerError(IngestError):
    """poppler could not open or render the PDF; the message is the one-line reason."""


class TextEncodingError(IngestError):
    """A text dump is in an encoding that cannot be told apart or decoded."""


class PageError(SohoaError):
    """One page failed (OCR crash or timeout) while the rest of its document may be fine."""


class RunRefused(SohoaError):
    """The run as a whole cannot start or go on: nothing is processed, exit code 2."""


class MissingDependencyError(RunRefused):
    """An external program (or its data) is not installed; the message gives the command that fixes it."""

    def __init__(self, what: str, apt_packages: str) -> None:
        super().__init__(f"{what} is not installed (apt-get install {apt_packages})")
        self.apt_packages = apt_packages


class LockedError(RunRefused):
    """Another live run holds the output folder."""


class ExecutorError(RunRefused):
    """The executor cannot start (a Dask scheduler that cannot be reached, for instance)."""


class WorkerLost(SohoaError):
    """A worker process died under a task; the scheduler retries or records the task as crashed."""


class PoolBroken(WorkerLost):
    """A local worker died: every task in flight is lost and the pool has been replaced."""


class TaskCrashed(WorkerLost):
    """A task cannot complete: its worker died every time it was tried (Dask gave up on it)."""
