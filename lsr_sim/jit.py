"""Numba set-up for the compiled code (the kernel, the rules, the offers protocol).

One cache folder per version of the compiled sources.

Every compiled function of the kernel is decorated with :func:`njit` from this module: machine
code is cached on disk, so a second process (a sweep worker, the next ``lsr-sim run``) loads
it instead of compiling. Numba keys its cache on each function's own source file only, so a
change in a rule it calls (``lsr_sim/dynamics``) would go unseen; the cache folder is therefore
named by a hash of all the sources the kernel compiles, and any change starts a fresh folder.

The folder is ``$LSR_SIM_NUMBA_CACHE`` if set, else ``$XDG_CACHE_HOME/lsr_sim/numba`` (default
``~/.cache/lsr_sim/numba``), with the hash as a subfolder. ``NUMBA_DISABLE_JIT=1`` runs the
kernel as plain Python (slow; for debugging).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numba
from numba.core import config

__all__ = ["cache_folder", "njit", "njit_inline", "sources_hash"]

_PACKAGE = Path(__file__).resolve().parent
# The sources whose functions are compiled (directly or through the rules they call).
_SOURCES = ("jit.py", "types.py", "dynamics", "protocols/offers.py", "kernel")

F = TypeVar("F", bound=Callable[..., Any])
# Every compiled function: cached on disk, numpy's arithmetic semantics (see njit).
_OPTIONS: dict[str, Any] = {"cache": True, "error_model": "numpy"}


def sources_hash() -> str:
    """A short hash of every source file the kernel compiles, and of numba's version."""
    digest = hashlib.sha256(numba.__version__.encode())
    for name in _SOURCES:
        path = _PACKAGE / name
        files = sorted(path.glob("*.py")) if path.is_dir() else [path]
        for file in files:
            digest.update(file.name.encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def cache_folder() -> Path:
    """Where compiled machine code is kept (see the module docstring)."""
    root = os.environ.get("LSR_SIM_NUMBA_CACHE")
    if root:
        base = Path(root)
    else:
        xdg = os.environ.get("XDG_CACHE_HOME")
        base = (Path(xdg) if xdg else Path.home() / ".cache") / "lsr_sim" / "numba"
    return base / sources_hash()


# Set before any function below is decorated: numba picks its cache locator at decoration.
config.CACHE_DIR = str(cache_folder())  # type: ignore[attr-defined]  # set at runtime


def njit[F: Callable[..., Any]](func: F) -> F:
    """Compile `func` in nopython mode, cached on disk, with numpy's arithmetic semantics.

    ``error_model="numpy"``: a division by zero gives inf or nan as in numpy (no exception);
    no ``fastmath``, so results are the IEEE results numpy would give, on every machine.
    """
    # A numba Dispatcher, called exactly as `func` is.
    compiled: F = numba.njit(**_OPTIONS)(func)
    return compiled


def njit_inline[F: Callable[..., Any]](func: F) -> F:
    """:func:`njit`, and inlined into every compiled caller (numba's ``inline="always"``).

    For the small helpers of the hot loops: numba updates the reference count of each array a
    function passes on to a call (atomically, twice), which costs more than a small helper's
    arithmetic; inlined, the helper's arrays are the caller's and nothing is counted.
    """
    compiled: F = numba.njit(**_OPTIONS, inline="always")(func)
    return compiled
