"""Atomic file writes: a sibling temporary file, then a rename.

A reader (or a resumed sweep) sees either the old file or the complete new one, never half a
file. The temporary file is not made with ``mkstemp``: its 0600 mode would stick to the final
file; exclusive-create mode still refuses to clobber and keeps the usual umask permissions.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

__all__ = ["atomic_write", "write_bytes_atomic", "write_folder_atomic"]


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
    return atomic_write(path, lambda handle: handle.write(data))


def write_folder_atomic(
    out_dir: str | os.PathLike[str], fill: Callable[[Path], list[Path]]
) -> list[Path]:
    """Call ``fill(staging)`` on a temporary folder beside `out_dir`, then move its files in.

    `fill` writes every file into the staging folder and returns their paths. A new `out_dir`
    is the staging folder renamed (all or nothing); into an existing one the files move one
    by one, each by a rename, so an interrupted write leaves no half-written file. Returns
    the final paths.

    Examples
    --------
    >>> folder = Path(tempfile.mkdtemp()) / "out"
    >>> def fill(staging):
    ...     (staging / "a.txt").write_text("done")
    ...     return [staging / "a.txt"]
    >>> [p.name for p in write_folder_atomic(folder, fill)], (folder / "a.txt").read_text()
    (['a.txt'], 'done')
    >>> [p.name for p in folder.parent.iterdir()]
    ['out']
    """
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-", dir=out_dir.parent))
    try:
        written = fill(staging)
        relative = [path.relative_to(staging) for path in written]
        if not out_dir.exists():
            umask = os.umask(0)
            os.umask(umask)
            staging.chmod(0o777 & ~umask)  # mkdtemp's 0700 would stick to the folder
            staging.rename(out_dir)
            return [out_dir / path for path in relative]
        final = []
        for path, rel in zip(written, relative, strict=True):
            target = out_dir / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            path.replace(target)
            final.append(target)
        return final
    finally:
        shutil.rmtree(staging, ignore_errors=True)
