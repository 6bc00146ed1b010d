"""A lock around replacing a search index directory, held across threads and processes.

Whoosh's own write lock is a file *inside* the index directory, so it cannot guard the moments
when that directory is created, rebuilt or swapped: several gunicorn workers that all find the
index missing at start-up would otherwise each wipe and rebuild it while the others read or
write. This lock is a file beside the directory, taken with ``flock`` (released by the kernel
if the holder dies). Re-entrant within a process: a rebuild started while opening the index
takes it again. Where ``fcntl`` does not exist (Windows) it only serialises threads.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Linux or macOS
    fcntl = None  # type: ignore[assignment]  # the lock then does nothing: one process


class IndexLock:
    def __init__(self, path: Path):
        self.path = path
        self._thread = threading.RLock()
        self._depth = 0
        self._fd: int | None = None

    @contextmanager
    def hold(self) -> Iterator[None]:
        with self._thread:
            if self._depth == 0 and fcntl is not None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX)
                except BaseException:
                    os.close(fd)
                    raise
                self._fd = fd
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0 and self._fd is not None:
                    fcntl.flock(self._fd, fcntl.LOCK_UN)
                    os.close(self._fd)
                    self._fd = None
