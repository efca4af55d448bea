"""Ctrl-C at safe points: a sweep run in this process defers SIGINT to the end of a step.

Compiled code is called with numba structures, and a KeyboardInterrupt raised while numba is
typing an argument is swallowed there ("Exception ignored in ..."). Inside :func:`deferred`,
SIGINT only sets a flag, and the step loops call :func:`check`, which raises the
KeyboardInterrupt between two steps. Outside it, :func:`check` does nothing and SIGINT acts
as usual.

Examples
--------
>>> with deferred():
...     check()  # no Ctrl-C yet: nothing happens
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

__all__ = ["check", "deferred"]

_requested = threading.Event()


def _request(signum: int, frame: FrameType | None) -> None:
    del signum, frame
    _requested.set()


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Defer SIGINT to the next :func:`check` while inside (main thread only; elsewhere a
    no-op, since only the main thread receives signals)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, _request)
    _requested.clear()
    try:
        yield
        check()  # a Ctrl-C that came after the last check
    finally:
        signal.signal(signal.SIGINT, previous)
        _requested.clear()


def check() -> None:
    """Raise KeyboardInterrupt if Ctrl-C was pressed inside :func:`deferred`."""
    if _requested.is_set():
        _requested.clear()
        raise KeyboardInterrupt
