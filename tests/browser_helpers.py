"""Driving Debian's Chromium through Playwright, and starting ``lsr-sim dashboard``: shared by
the dashboard's browser test and its benchmark (``benchmarks/bench_dashboard.py``).

Playwright drives ``/usr/bin/chromium`` (``apt-get install -y chromium chromium-driver``);
never ``playwright install``.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1500, "height": 1400}
#: The chart panels of the Run tab.
FIGURES = ("network", "trust", "issues", "quantities")

# Records every change of the displayed date (time in ms, text), from the next frame on.
WATCH_DATE = """() => {
    window.__dates = [];
    let last = null;
    const tick = () => {
        const el = document.querySelector('.lsr-date');
        const text = el ? el.textContent.trim() : null;
        if (text !== last) { window.__dates.push([performance.now(), text]); last = text; }
        window.__watch = requestAnimationFrame(tick);
    };
    tick();
}"""
STOP_WATCH = "() => { cancelAnimationFrame(window.__watch); return window.__dates; }"

# A cheap fingerprint of each panel: its image or canvas drawn into 200 x 150 pixels (fine
# enough to see a line grow along an axis).
THUMBS = """(names) => {
    const c = document.createElement('canvas'); c.width = 200; c.height = 150;
    const g = c.getContext('2d', {willReadFrequently: true});
    return names.map(n => {
        const el = document.querySelector(`.lsr-${n} canvas, .lsr-${n} img`);
        if (!el) return null;
        g.clearRect(0, 0, 200, 150);
        try { g.drawImage(el, 0, 0, 200, 150); } catch (e) { return null; }
        const d = g.getImageData(0, 0, 200, 150).data;
        let h = 0;
        for (let i = 0; i < d.length; i++) h = (h * 31 + d[i]) | 0;
        return h;
    });
}"""

# SHA-256 of every canvas of each named panel, at full resolution.
HASHES = """async (names) => {
    const out = {};
    for (const name of names) {
        const canvases = [...document.querySelectorAll(`.lsr-${name} canvas`)];
        const text = canvases.map(c => c.toDataURL()).join('|');
        const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
        out[name] = canvases.length ? [...new Uint8Array(digest)]
            .map(b => b.toString(16).padStart(2, '0')).join('') : null;
    }
    return out;
}"""


def free_port() -> int:
    """A TCP port free on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def launch(pw: Any, profile: str) -> Any:
    """A headless Chromium context (Debian's binary) with the test viewport."""
    return pw.chromium.launch_persistent_context(
        profile,
        executable_path=str(CHROMIUM),
        args=CHROMIUM_ARGS,
        viewport=VIEWPORT,
        accept_downloads=True,
    )


@contextmanager
def dashboard(
    root: Path, log: Path, port: int, *, timeout: float = 240.0
) -> Iterator[subprocess.Popen[bytes]]:
    """``lsr-sim dashboard scenarios/baseline.yaml`` of the source tree `root` on `port`,
    once it says it is ready (output in `log`); stopped with SIGTERM afterwards.

    It runs in a session of its own, so nothing is left behind if the caller fails.
    """
    env = {**os.environ, "PYTHONPATH": str(root)}
    command = [sys.executable, "-m", "lsr_sim", "dashboard", "scenarios/baseline.yaml"]
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*command, "--port", str(port)],
            cwd=root,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        began = time.monotonic()
        while "dashboard ready" not in log.read_text(encoding="utf-8", errors="replace"):
            if process.poll() is not None:
                raise RuntimeError(f"the dashboard exited with {process.returncode}")
            if time.monotonic() - began > timeout:
                raise RuntimeError(f"the dashboard did not start in {timeout:.0f} s")
            time.sleep(0.25)
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
