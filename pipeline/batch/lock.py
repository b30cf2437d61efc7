"""One run at a time per output folder.

Two runs writing the same OUT would interleave documents and rewrite the tables under each other. The lock
is a file created exclusively, holding the owner's PID; a lock whose process is gone (a killed run) is
taken over, so ``kill -9`` never blocks the resume.
"""

from __future__ import annotations

import os
from pathlib import Path

from pipeline.errors import LockedError

LOCK_NAME = ".sohoa.lock"


class OutputLock:
    def __init__(self, out_dir: Path) -> None:
        self.path = out_dir / LOCK_NAME

    def __enter__(self) -> OutputLock:
        for _ in range(2):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                owner = self._owner()
                if owner is not None and _alive(owner):
                    raise LockedError(
                        f"another sohoa run (pid {owner}) is writing to {self.path.parent}; "
                        "wait for it to finish or use another output folder"
                    ) from None
                self.path.unlink(missing_ok=True)
                continue
            with os.fdopen(fd, "w") as fh:
                fh.write(str(os.getpid()))
            return self
        raise LockedError(f"cannot take the lock {self.path}")

    def __exit__(self, *exc: object) -> None:
        if self._owner() == os.getpid():
            self.path.unlink(missing_ok=True)

    def _owner(self) -> int | None:
        try:
            return int(self.path.read_text().strip())
        except (OSError, ValueError):
            return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
