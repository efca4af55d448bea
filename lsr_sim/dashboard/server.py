"""Start and stop the dashboard's server: ``solara run`` in a child process, on 127.0.0.1 only.

Nothing here imports Solara or Mesa's visualization (they take seconds to import), so
``lsr-sim dashboard`` can refuse a bad scenario file or a busy port at once. The child gets
the scenario file through ``LSR_SIM_DASHBOARD_SCENARIO``; Solara's telemetry and its check
for a newer release are switched off, and its front-end files come from the ``solara-assets``
package (Solara serves them from ``<prefix>/share/solara/cdn``, so no CDN is needed). On Linux
the child also stops when ``lsr-sim dashboard`` is killed outright (SIGKILL), so the port is
not left busy.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import FrameType
from typing import TextIO

from lsr_sim.dashboard import DEFAULT_PORT, SCENARIO_ENV
from lsr_sim.errors import InputError

__all__ = [
    "APP_MODULE",
    "DEFAULT_PORT",
    "HOST",
    "check_port",
    "check_requirements",
    "serve",
    "server_env",
    "solara_command",
    "wait_for_port",
]

#: The only interface the dashboard listens on.
HOST = "127.0.0.1"
#: The module ``solara run`` serves.
APP_MODULE = "lsr_sim.dashboard.app"


def solara_command(port: int, *, python: str | None = None) -> list[str]:
    """The command line that serves the dashboard on ``127.0.0.1:<port>``.

    Examples
    --------
    >>> solara_command(DEFAULT_PORT, python="python")[1:]  # doctest: +NORMALIZE_WHITESPACE
    ['-m', 'solara', 'run', 'lsr_sim.dashboard.app', '--host', '127.0.0.1', '--port', '8765',
     '--no-open', '--production', '--no-check-version']
    """
    return [
        python or sys.executable,
        "-m",
        "solara",
        "run",
        APP_MODULE,
        "--host",
        HOST,
        "--port",
        str(int(port)),
        "--no-open",
        "--production",
        "--no-check-version",
    ]


def server_env(scenario: str | Path, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The child's environment: `base` (default ``os.environ``) plus the dashboard's settings.

    Examples
    --------
    >>> env = server_env("scenarios/baseline.yaml", base={})
    >>> env["LSR_SIM_DASHBOARD_SCENARIO"].endswith("baseline.yaml")
    True
    >>> env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"]
    'False'
    """
    env = dict(os.environ if base is None else base)
    env[SCENARIO_ENV] = str(Path(scenario).resolve())
    env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"  # no usage reports to a third party
    env["SOLARA_ASSETS_PROXY"] = "True"  # serve front-end files from solara-assets' folder
    env["MPLBACKEND"] = "Agg"
    env["PYTHONUNBUFFERED"] = "1"
    # Solara warns on every page load that cookies over plain http fall back to SameSite=lax:
    # expected on 127.0.0.1, and only noise for a student's terminal.
    quiet = "ignore:Cookies with samesite=none:UserWarning"
    env["PYTHONWARNINGS"] = ",".join(filter(None, [env.get("PYTHONWARNINGS", ""), quiet]))
    return env


def check_requirements() -> None:
    """Refuse to start when the ``dashboard`` extra is not installed.

    Raises
    ------
    InputError
        Naming the missing package and the install command.
    """
    for package in ("solara", "solara_assets", "altair"):  # altair: for mesa.visualization
        if importlib.util.find_spec(package) is None:
            raise InputError(
                "command line",
                "dashboard",
                f"needs the {package} package: pip install 'lsr_sim[dashboard]' "
                "(or run `make setup`)",
            )


def check_port(port: int, host: str = HOST) -> None:
    """Refuse a port that is out of range or already in use on `host`.

    Raises
    ------
    InputError
        Naming ``--port`` and what to do.
    """
    if not 1 <= port <= 65535:
        raise InputError("command line", "--port", f"{port} is not a port; pick 1 to 65535")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As the server will: connections closing on the port (TIME_WAIT) do not block it.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise InputError(
                "command line",
                "--port",
                f"cannot listen on {host}:{port} ({exc.strerror or exc}); "
                "pick another port with --port N",
            ) from None


def wait_for_port(
    port: int, process: subprocess.Popen[bytes], timeout: float = 120.0, host: str = HOST
) -> bool:
    """Wait until something accepts connections on ``host:port``; False if `process` ends
    first or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with socket.create_connection((host, port), timeout=1.0):
                return True
        except OSError:
            time.sleep(0.25)
    return False


# The child runs this before it becomes the server. It is a wrapper rather than Popen's
# preexec_fn, which runs between fork and exec and is unsafe in a process with threads: ours
# has OpenBLAS's once numpy is imported. prctl(PR_SET_PDEATHSIG) has the kernel send SIGTERM
# when the parent dies, even by SIGKILL, when no handler of ours can run; it survives exec.
_PDEATHSIG_WRAPPER = """\
import ctypes, os, signal, sys
parent, argv = int(sys.argv[1]), sys.argv[2:]
signal.signal(signal.SIGTERM, signal.SIG_DFL)  # an inherited SIG_IGN would void the request
try:
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    prctl(1, ctypes.c_ulong(signal.SIGTERM), *[ctypes.c_ulong(0)] * 3)  # 1: PR_SET_PDEATHSIG
except (OSError, AttributeError):  # no prctl: the parent's own signal handlers still stop us
    pass
if os.getppid() != parent:  # the parent died before prctl took effect: no signal would come
    os.kill(os.getpid(), signal.SIGTERM)
os.execvp(argv[0], argv)
"""


def _stop_with_parent(argv: Sequence[str], parent: int | None = None) -> list[str]:
    """`argv` run through a wrapper that makes Linux send the child SIGTERM when `parent`
    (default: this process) dies, however it dies; `argv` itself elsewhere.

    Only Linux has ``prctl(PR_SET_PDEATHSIG)``: on other platforms nothing is added, and a
    child whose parent was killed with SIGKILL keeps running. The signal is tied to the thread
    that starts the child; :func:`serve` runs on the main thread (it sets signal handlers).
    """
    if not sys.platform.startswith("linux"):
        return list(argv)
    parent = os.getpid() if parent is None else parent
    # -I -S: the wrapper needs only the standard library, so it starts in a few milliseconds.
    return [sys.executable, "-I", "-S", "-c", _PDEATHSIG_WRAPPER, str(parent), *argv]


class _Stop(Exception):
    """Raised by the SIGTERM handler so that the child is stopped like on Ctrl-C."""


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    raise _Stop


def _stop(process: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
    """Stop the child: SIGTERM (uvicorn shuts down gracefully and quietly), then SIGKILL."""
    if process.poll() is not None:
        return
    for send in (process.terminate, process.kill):
        send()
        try:
            process.wait(timeout=timeout)
            return
        except subprocess.TimeoutExpired:
            continue


def serve(
    scenario: str | Path,
    port: int = DEFAULT_PORT,
    *,
    out: TextIO | None = None,
    command: Sequence[str] | None = None,
) -> int:
    """Serve the dashboard for `scenario` on ``http://127.0.0.1:<port>`` until Ctrl-C.

    Parameters
    ----------
    scenario : str or Path
        The scenario file the page opens with (checked before anything starts).
    port : int
        TCP port on 127.0.0.1.
    out : text stream, optional
        Where to print the address and the closing line; default ``sys.stdout``.
    command : sequence of str, optional
        Replaces :func:`solara_command` (for tests).

    Returns
    -------
    int
        0 when stopped by Ctrl-C or SIGTERM, 1 if the server failed.

    Raises
    ------
    InputError
        If the scenario does not load, the port is busy or the extra is missing.
    """
    from lsr_sim.scenario import load_scenario

    out = sys.stdout if out is None else out
    path = Path(scenario)
    load_scenario(path)  # a bad file fails here, with its one-line message
    check_requirements()
    check_port(port)
    url = f"http://{HOST}:{port}"
    print(f"starting the dashboard for {path} ...", file=out, flush=True)
    # The child gets a process group of its own: Ctrl-C reaches only us, and we stop the
    # child with SIGTERM (on SIGINT Solara would print "Aborted.").
    process = subprocess.Popen(
        _stop_with_parent(command if command is not None else solara_command(port)),
        env=server_env(path),
        process_group=0,
    )
    # Ctrl-C raises KeyboardInterrupt even where the shell started us with SIGINT ignored.
    previous_int = signal.signal(signal.SIGINT, signal.default_int_handler)
    previous = signal.signal(signal.SIGTERM, _raise_stop)
    try:
        if wait_for_port(port, process):
            print(f"dashboard ready: open {url} (Ctrl-C stops it)", file=out, flush=True)
        status = process.wait()
    except (KeyboardInterrupt, _Stop):
        _stop(process)
        print("dashboard stopped", file=out, flush=True)
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)
        signal.signal(signal.SIGINT, previous_int)
        _stop(process)
    print(f"the dashboard server exited with status {status}", file=sys.stderr, flush=True)
    return 1
