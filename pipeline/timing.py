"""Per-stage CPU time of a page or a document, kept in its result (``PageResult.timings``).

CPU time rather than wall time: on a shared machine a stage's wall time says more about the neighbours
than about the stage. A stage's time is this process's CPU (all its threads) plus that of the programs it
ran and waited for (Tesseract, poppler), in milliseconds. Reading the clocks costs a few microseconds.
"""

from __future__ import annotations

import resource
from collections.abc import Iterator
from contextlib import contextmanager


def cpu_seconds() -> float:
    """CPU seconds used so far by this process and by its finished children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


class Stopwatch:
    """Adds up the CPU milliseconds spent in named stages: ``with clock("deskew"): ...``."""

    def __init__(self) -> None:
        self.ms: dict[str, float] = {}

    @contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        started = cpu_seconds()
        try:
            yield
        finally:
            self.add(stage, cpu_seconds() - started)

    def add(self, stage: str, seconds: float) -> None:
        self.ms[stage] = round(self.ms.get(stage, 0.0) + seconds * 1000.0, 1)

    def update(self, other: dict[str, float]) -> None:
        for stage, ms in other.items():
            self.ms[stage] = round(self.ms.get(stage, 0.0) + ms, 1)
