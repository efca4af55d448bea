"""Atomic file writes: a sibling temporary file, then a rename.

A reader (or a resumed sweep) sees either the old file or the complete new one, never half a
file. The temporary file is not made with ``mkstemp``: its 0600 mode would stick to the final
file; exclusive-create mode still refuses to clobber and keeps the usual umask permissions.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

__all__ = ["atomic_write", "write_bytes_atomic"]


def atomic_write(path: str | os.PathLike[str], write: Callable[[BinaryIO], None]) -> Path:
    """Call ``write(handle)`` on a temporary file beside `path`, then rename it to `path`.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> atomic_write(folder / "a.txt", lambda f: f.write(b"done")).read_text()
    'done'
    >>> [p.name for p in folder.iterdir()]
    ['a.txt']
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        with tmp.open("xb") as handle:
            write(handle)
        tmp.replace(path)  # atomic within one directory
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    return path


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write `data` to `path` atomically (see :func:`atomic_write`)."""

    def write(handle: BinaryIO) -> None:
        handle.write(data)

    return atomic_write(path, write)
