"""The distributed executor: the same tasks on a Dask cluster (dask.distributed).

Without a scheduler address a LocalCluster of single-threaded worker processes is started on this
machine, which is also how the tests compare Dask with the local pool. With ``--scheduler tcp://HOST:8786``
the work goes to an existing cluster; its workers need the same ``sohoa`` package and Debian packages
(see the README). Only this process writes to OUT: workers receive a task (a file path, a page number) and
send back plain records, so the output folder never needs to be shared, only the input files.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Collection

import dask
from distributed import Client, Future, LocalCluster, wait
from distributed.diagnostics.plugin import WorkerPlugin

from pipeline.batch.executors import EXECUTOR_DASK
from pipeline.batch.tasks import Outcome, Task, run_task, warm_up
from pipeline.errors import TaskCrashed
from pipeline.external import tesseract
from pipeline.stages import ProcessOptions

# A task whose worker dies is tried once more on another worker, as with the local pool; a second death
# marks it failed instead of taking down worker after worker.
ALLOWED_FAILURES = 1
# Worker settings for the LocalCluster. Dask's housekeeping (a statistical profiler sampling every task's
# stack every 10 ms, a 20 ms event-loop tick, frequent system and memory monitors) is useful on a dashboard
# but takes CPU from the OCR on a small machine: with these, a 36-document run went from 35.0 to 32.5 s
# (single runs, benchmarks/batch_bench.py inputs). Configure external workers the same way (README).
LOCAL_WORKER_CONFIG = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "500ms",
    "distributed.admin.system-monitor.interval": "2s",
    "distributed.worker.memory.monitor-interval": "1s",
}
# How often the number of cluster threads is asked again: workers may join or leave a long run.
CAPACITY_REFRESH_S = 10.0


class WarmUpPlugin(WorkerPlugin):
    """Runs once in every worker process as it joins: the models are loaded there, once."""

    name = "sohoa-warm-up"

    def __init__(self, load_language_model: bool, load_segmenter: bool = False) -> None:
        self.load_language_model = load_language_model
        self.load_segmenter = load_segmenter

    def setup(self, worker) -> None:  # noqa: ANN001 - distributed's Worker
        warm_up(self.load_language_model, self.load_segmenter)


class DaskExecutor:
    def __init__(self, options: ProcessOptions, workers: int, scheduler: str | None) -> None:
        self.options = options
        self.scheduler = scheduler
        self.cluster: LocalCluster | None = None
        if scheduler:
            self.client = Client(scheduler, timeout="30s")
        else:
            with dask.config.set(LOCAL_WORKER_CONFIG):
                self.cluster = self._local_cluster(workers)
            self.client = Client(self.cluster)
        self.client.register_plugin(WarmUpPlugin(options.restore, options.structure))
        self._threads = 1
        self._threads_checked = 0.0

    @staticmethod
    def _local_cluster(workers: int) -> LocalCluster:
        return LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.ERROR,
            scheduler_kwargs={"allowed_failures": ALLOWED_FAILURES},
            env=dict(tesseract.SINGLE_THREAD_ENV),
        )

    def capacity(self) -> int:
        now = time.monotonic()
        if now - self._threads_checked > CAPACITY_REFRESH_S:
            self._threads = max(1, sum(self.client.nthreads().values()))
            self._threads_checked = now
        return max(2, 2 * self._threads)

    def submit(self, task: Task) -> Future:
        # pure=False: a rerun of the same page (after a crash) must run again, not hit a cached result.
        return self.client.submit(
            run_task, task, self.options, pure=False, key=f"{task.label}-{time.time_ns()}"
        )

    def wait_any(self, handles: Collection[Future]) -> list[Future]:
        done, _ = wait(list(handles), return_when="FIRST_COMPLETED")
        return list(done)

    def outcome(self, handle: Future) -> Outcome:
        try:
            return handle.result()
        except Exception as exc:  # KilledWorker, or a worker that could not run the task at all
            raise TaskCrashed(f"worker failed: {type(exc).__name__}: {exc}") from None
        finally:
            handle.release()

    def describe(self) -> dict:
        workers = self.client.scheduler_info().get("workers", {})
        return {
            "executor": EXECUTOR_DASK,
            "scheduler": self.scheduler or "LocalCluster",
            "workers": len(workers),
            "threads": sum(w.get("nthreads", 0) for w in workers.values()),
        }

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()
