"""Where tasks run: a local process pool (default) or a Dask distributed cluster.

Both executors offer the same small interface to the batch scheduler: submit a task, wait for any to
finish, collect an outcome. They differ in how a dying worker shows up, and the scheduler needs to know:
the local pool breaks as a whole (every task in flight is lost and is resubmitted to a fresh pool), while
Dask reschedules a dead worker's tasks itself and only gives up on a task that kills workers repeatedly.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, Protocol

from pipeline.batch.tasks import Outcome, Task
from pipeline.errors import ExecutorError
from pipeline.stages import ProcessOptions

EXECUTOR_LOCAL = "local"
EXECUTOR_DASK = "dask"
EXECUTORS = (EXECUTOR_LOCAL, EXECUTOR_DASK)


class Executor(Protocol):
    def capacity(self) -> int:
        """How many tasks to keep in flight: enough to keep every worker busy, few enough to bound memory."""
        ...

    def submit(self, task: Task) -> Any: ...

    def wait_any(self, handles: Collection[Any]) -> list[Any]:
        """Block until at least one of ``handles`` is done; return the done ones."""
        ...

    def outcome(self, handle: Any) -> Outcome:
        """The task's outcome; raises PoolBroken or TaskCrashed when its worker died."""
        ...

    def describe(self) -> dict:
        """What run.json records about the executor."""
        ...

    def close(self) -> None: ...


def open_executor(
    name: str, options: ProcessOptions, *, workers: int, scheduler: str | None = None
) -> Executor:
    """Start the named executor; Dask is imported only when asked for."""
    if name == EXECUTOR_LOCAL:
        from pipeline.batch.executors.local import LocalExecutor

        return LocalExecutor(options, workers)
    if name == EXECUTOR_DASK:
        from pipeline.batch.executors.dask_cluster import DaskExecutor

        try:
            return DaskExecutor(options, workers, scheduler)
        except (OSError, TimeoutError, RuntimeError) as exc:  # unreachable scheduler, workers not starting
            where = scheduler or "a local cluster"
            raise ExecutorError(f"cannot start the Dask executor on {where}: {exc}") from exc
    raise ValueError(f"unknown executor {name!r}; choose one of {', '.join(EXECUTORS)}")
