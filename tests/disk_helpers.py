"""A small real disk for tests of a full disk: a tmpfs mounted for the test, then filled.

Mounting needs root (CI runs as root). Without it the tests skip and say why, unless
``LSR_SIM_REQUIRE_TMPFS=1`` (set by ``.ci/run``): then they fail, so CI never skips them.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

BALLAST = "ballast.bin"


@contextlib.contextmanager
def small_disk(folder: Path, size: str = "2M") -> Iterator[Path]:
    """A tmpfs of `size` mounted on `folder` (created) while inside; unmounted after."""
    folder.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        reason = (
            f"cannot mount a {size} tmpfs on {folder} to fill a disk "
            f"({done.stderr.strip() or 'mount failed'}); run as root to test a full disk"
        )
        if os.environ.get("LSR_SIM_REQUIRE_TMPFS"):
            pytest.fail(reason)
        pytest.skip(reason)
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def fill(disk: Path, leave: int = 0) -> Path:
    """Fill `disk` with a ballast file, then give back about `leave` bytes."""
    ballast = disk / BALLAST
    block = b"\0" * 65536
    with ballast.open("ab", buffering=0) as handle:
        try:
            while True:
                handle.write(block)
                handle.flush()
        except OSError as exc:
            assert exc.errno == errno.ENOSPC, exc
    size = ballast.stat().st_size
    with ballast.open("r+b") as handle:
        handle.truncate(max(size - leave, 0))
    return ballast


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under `folder` (hidden ones too, the writer's lock files aside) with the
    SHA-256 of its bytes."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.name.startswith(".lsr-sim.")
    }
