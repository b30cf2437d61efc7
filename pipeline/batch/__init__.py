"""Orchestration: the batch over folders, its scheduler, executors, run ledger, lock and progress.

``run.py`` drives a batch, ``scheduler.py`` feeds tasks (``tasks.py``, what runs in a worker) to an executor
(``executors/``: a local process pool or Dask), ``manifest.py`` is the run ledger that makes a batch
resumable, ``lock.py`` keeps two runs off one OUT, and ``progress.py`` draws the progress bar.

``run_batch`` and ``BatchOptions`` are importable from here; they are loaded on first use so that worker
processes, which import ``pipeline.batch.tasks``, do not pay for the batch's own imports (pyarrow).
"""

from __future__ import annotations

from typing import Any

__all__ = ["BatchOptions", "run_batch"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from pipeline.batch import run

        return getattr(run, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
