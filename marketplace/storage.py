"""Where uploaded media lives. Local disk now; object storage later behind the same methods.

Names are relative POSIX paths (``products/ab/<key>-640.webp``). Anything that could escape the
root (absolute paths, ``..``, backslashes) is refused, so a crafted name can never read or
overwrite files outside it.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path, PurePosixPath
from typing import Protocol


class Storage(Protocol):
    def save(self, name: str, data: bytes) -> None: ...
    def open(self, name: str) -> bytes: ...
    def exists(self, name: str) -> bool: ...
    def delete(self, name: str) -> None: ...
    def path(self, name: str) -> Path | None: ...


def _checked(name: str) -> PurePosixPath:
    if not name or "\\" in name or "\x00" in name:
        raise ValueError(f"invalid storage name: {name!r}")
    pure = PurePosixPath(name)
    if pure.is_absolute() or any(part in ("..", ".", "") for part in pure.parts):
        raise ValueError(f"invalid storage name: {name!r}")
    return pure


class LocalStorage:
    """Files under one root directory."""

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, name: str) -> Path:
        return self.root.joinpath(*_checked(name).parts)

    def save(self, name: str, data: bytes) -> None:
        """Write to a temporary file and rename: readers never see half a file."""
        target = self.path(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def open(self, name: str) -> bytes:
        return self.path(name).read_bytes()

    def exists(self, name: str) -> bool:
        return self.path(name).is_file()

    def delete(self, name: str) -> None:
        self.path(name).unlink(missing_ok=True)
