"""The default executor: a pool of spawned worker processes on this machine.

Spawned (not forked) workers start clean, so no lock or thread state of the main process leaks into them,
and each warms up once: single-threaded Tesseract and the language model loaded before the first task.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
from collections.abc import Collection
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context

from pipeline.batch.executors import EXECUTOR_LOCAL
from pipeline.batch.tasks import Outcome, Task, run_task, warm_up
from pipeline.errors import PoolBroken
from pipeline.stages import ProcessOptions


class LocalExecutor:
    def __init__(self, options: ProcessOptions, workers: int) -> None:
        self.options = options
        self.workers = workers
        self.pool = self._new_pool()
        self.generation = 0
        self._generation_of: dict[Future, int] = {}

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=get_context("spawn"),
            initializer=_init_worker,
            initargs=(os.getpid(), self.options.restore, self.options.structure),
        )

    def capacity(self) -> int:
        return max(2, 2 * self.workers)

    def submit(self, task: Task) -> Future:
        future = self.pool.submit(run_task, task, self.options)
        self._generation_of[future] = self.generation
        return future

    def wait_any(self, handles: Collection[Future]) -> list[Future]:
        done, _ = wait(handles, return_when=FIRST_COMPLETED)
        return list(done)

    def outcome(self, handle: Future) -> Outcome:
        generation = self._generation_of.pop(handle, self.generation)
        try:
            return handle.result()
        except BrokenProcessPool:
            # Every future of the dead pool fails the same way: replace the pool at the first of them only.
            if generation == self.generation:
                self.pool.shutdown(wait=False, cancel_futures=True)
                self.pool = self._new_pool()
                self.generation += 1
            raise PoolBroken("a worker process died") from None

    def describe(self) -> dict:
        return {"executor": EXECUTOR_LOCAL, "workers": self.workers}

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


_PR_SET_PDEATHSIG = 1


def _init_worker(parent_pid: int, load_language_model: bool, load_segmenter: bool) -> None:
    """Tie the worker's life to the batch process, then warm up.

    Pool workers do not notice their parent dying: after a ``kill -9`` of the batch they would sit idle
    forever, holding memory. Linux can kill them along with the parent (PR_SET_PDEATHSIG).
    """
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent_pid:  # the parent died before the line above took effect
        os._exit(1)
    warm_up(load_language_model, load_segmenter)
