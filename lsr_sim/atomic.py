"""Writing results that survive a full disk, a SIGKILL and a second writer.

- :func:`atomic_write`: a sibling temporary file, flushed to disk, then a rename. A reader (or a
  resumed sweep) sees either the old file or the complete new one, never half a file. The
  temporary file is not made with ``mkstemp``: its 0600 mode would stick to the final file;
  exclusive-create mode still refuses to clobber and keeps the usual umask permissions.
- :func:`folder_writer`: one writer per results folder, through an operating-system lock
  (``filelock``) that the system releases when its holder dies, however it dies: a killed
  writer never blocks the next one. A second writer is refused with one line naming the first.
- :func:`staging_folder`: a hidden folder beside a results folder for a whole set of files,
  moved into place only once all of them are written; the next writer into the same folder
  removes the staging folders whose writer died.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import json
import os
import re
import secrets
import shutil
import socket
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO

from lsr_sim.errors import InputError

__all__ = [
    "LOCK_NAME",
    "atomic_write",
    "disk_full",
    "folder_writer",
    "format_size",
    "move_into",
    "staging_folder",
    "write_bytes_atomic",
    "write_csv_tables",
    "write_error",
    "write_folder_atomic",
]

#: The lock file inside a results folder; ``OWNER_NAME`` says who holds it (while held).
LOCK_NAME = ".lsr-sim.lock"
OWNER_NAME = ".lsr-sim.owner"

# A staging folder of results folder NAME is ".NAME.<16 hex digits>.staging", beside it.
_TOKEN_HEX = 8
# Those left by lsr_sim 0.1's RunResult.write: tempfile.mkdtemp(prefix=".NAME-").
_LEGACY_CONTENT = {"tables", "figures", "manifest.json"}


def atomic_write(path: str | os.PathLike[str], write: Callable[[BinaryIO], object]) -> Path:
    """Call ``write(handle)`` on a temporary file beside `path`, then rename it to `path`.

    The data is flushed to the disk (``fsync``) before the rename, so even a power cut leaves
    the old file or the new one. On any error (a full disk included) the temporary file is
    removed and `path` is as it was.

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
            handle.flush()
            os.fsync(handle.fileno())
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


# -- errors ---------------------------------------------------------------------------------


def disk_full(exc: BaseException) -> bool:
    """Whether `exc` says the disk (or the user's quota) is full.

    Examples
    --------
    >>> disk_full(OSError(errno.ENOSPC, "No space left on device"))
    True
    >>> disk_full(PermissionError(errno.EACCES, "Permission denied"))
    False
    """
    full = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}
    return isinstance(exc, OSError) and exc.errno in full


def format_size(size: float) -> str:
    """A byte count for people.

    Examples
    --------
    >>> format_size(512), format_size(2_500_000), format_size(3 * 1024**3)
    ('512 B', '2.4 MB', '3.0 GB')
    """
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def write_error(folder: Path, exc: OSError, option: str = "--out") -> InputError:
    """The one-line error for a write into `folder` that failed with `exc`.

    A full disk says how much room is left; anything else gives the system's reason.
    """
    if disk_full(exc):
        free = _free_space(folder)
        return InputError(
            str(folder),
            "",
            f"disk full ({free} free); no half-written file was left: free some space and "
            "run the same command again",
        )
    return InputError("command line", option, f"cannot write to {folder}: {exc.strerror or exc}")


def _free_space(folder: Path) -> str:
    for candidate in (folder, *folder.parents):
        if candidate.exists():
            return format_size(shutil.disk_usage(candidate).free)
    return "unknown space"


# -- one writer per folder --------------------------------------------------------------------


@contextlib.contextmanager
def folder_writer(
    folder: Path, command: Sequence[str] | None = None, what: str = "results"
) -> Iterator[Path]:
    """Hold the writer's lock of results folder `folder` (created if missing) while inside.

    Raises
    ------
    InputError
        If another process (or another call in this one) is writing into `folder`: the line
        names it and what to do.
    """
    from filelock import FileLock, Timeout

    created = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    lock = FileLock(folder / LOCK_NAME, timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise InputError(
            str(folder),
            "",
            f"another lsr-sim process is writing {what} into this folder ({_owner(folder)}); "
            "wait for it to finish (or stop it), or choose another --out",
        ) from None
    owner = folder / OWNER_NAME
    try:
        record = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "since": dt.datetime.now().isoformat(timespec="seconds"),
            "command": list(command) if command is not None else None,
        }
        with contextlib.suppress(OSError):  # who holds the lock is a courtesy, not the lock
            write_bytes_atomic(owner, json.dumps(record).encode("utf-8"))
        yield folder
    finally:
        with contextlib.suppress(OSError):
            owner.unlink(missing_ok=True)
        lock.release()
        if created:  # and nothing was written (a full disk, an error): leave no empty folder
            with contextlib.suppress(OSError):
                if {p.name for p in folder.iterdir()} <= {LOCK_NAME}:
                    (folder / LOCK_NAME).unlink()
                    folder.rmdir()


def _owner(folder: Path) -> str:
    try:
        record: dict[str, Any] = json.loads((folder / OWNER_NAME).read_text(encoding="utf-8"))
        text = f"process {int(record['pid'])} on {record['host']}, since {record['since']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "its process is still running"
    command = record.get("command")
    return f"{text}: {' '.join(command)}" if isinstance(command, list) else text


# -- staging folders --------------------------------------------------------------------------


@contextlib.contextmanager
def staging_folder(folder: Path) -> Iterator[Path]:
    """A fresh hidden folder beside `folder`, removed on the way out whatever happens.

    Call it while holding :func:`folder_writer` for `folder`: the staging folders of `folder`
    left by a writer that died (SIGKILL, power cut) are removed first, and only those (the
    lock proves their writer is gone; other folders' staging folders are never touched).
    """
    folder = Path(folder).resolve()  # a real name and parent, also for "." or a link
    remove_abandoned_staging(folder)
    name = f".{folder.name}.{secrets.token_hex(_TOKEN_HEX)}.staging"
    staging = _staging_parent(folder) / name
    staging.mkdir()
    try:
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _staging_parent(folder: Path) -> Path:
    """Where the staging folders of `folder` go: beside it, on its file system, or inside it
    when it is a mount point (a rename cannot cross file systems)."""
    try:
        if folder.stat().st_dev != folder.parent.stat().st_dev:
            return folder
    except OSError:
        pass
    return folder.parent


def remove_abandoned_staging(folder: Path) -> list[Path]:
    """Remove the staging folders of `folder` (see :func:`staging_folder`); return them."""
    folder = Path(folder).resolve()
    name = re.escape(folder.name)
    ours = re.compile(rf"^\.{name}\.[0-9a-f]{{{2 * _TOKEN_HEX}}}\.staging$")
    legacy = re.compile(rf"^\.{name}-[a-z0-9_]{{8}}$")
    removed: list[Path] = []
    places = [place for place in {folder.parent, folder} if place.is_dir()]
    for entry in (entry for place in places for entry in place.iterdir()):
        if not entry.is_dir() or entry.is_symlink():
            continue
        stale = bool(ours.match(entry.name)) or (
            bool(legacy.match(entry.name))
            and {child.name for child in entry.iterdir()} <= _LEGACY_CONTENT
        )
        if stale:
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    return removed


def write_folder_atomic(
    out_dir: str | os.PathLike[str],
    fill: Callable[[Path], list[Path]],
    command: Sequence[str] | None = None,
) -> list[Path]:
    """Write a results folder: ``fill(staging)`` writes every file into a staging folder and
    returns their paths, which then move into `out_dir` one rename each, while holding the
    folder's writer lock (see :func:`folder_writer`, :func:`staging_folder`). An interrupted
    write leaves no half-written file. Returns the final paths.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp()) / "out"
    >>> def fill(staging):
    ...     (staging / "a.txt").write_text("done")
    ...     return [staging / "a.txt"]
    >>> [p.name for p in write_folder_atomic(folder, fill)], (folder / "a.txt").read_text()
    (['a.txt'], 'done')
    """
    out_dir = Path(out_dir)
    with folder_writer(out_dir, command), staging_folder(out_dir) as staging:
        return move_into(staging, out_dir, fill(staging))


def move_into(staging: Path, folder: Path, written: Sequence[Path]) -> list[Path]:
    """Move the files `written` under `staging` to the same places under `folder`.

    Each move is a rename on one file system, so each file arrives whole.
    """
    final = []
    for path in written:
        target = folder / path.relative_to(staging)
        target.parent.mkdir(parents=True, exist_ok=True)
        path.replace(target)
        final.append(target)
    return final


def write_csv_tables(folder: Path, tables: Sequence[tuple[str, Any]]) -> list[Path]:
    """Write each ``(name, DataFrame)`` as ``folder/name.csv`` (no index, ``\n`` line ends),
    as the results folders do inside their staging folder; return the paths, in order."""
    written = []
    for name, table in tables:
        path = folder / f"{name}.csv"
        table.to_csv(path, index=False, lineterminator="\n")
        written.append(path)
    return written
