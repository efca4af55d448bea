"""How fast the dashboard plays, measured in a real browser (headless Chromium, Playwright).

For each version it starts ``lsr-sim dashboard scenarios/baseline.yaml`` on 127.0.0.1, opens
the page in Debian's Chromium, clicks Step five times, then Play, and watches the page for
``--seconds`` (or until the run's last week):

- **weeks/s**: weeks the displayed date advanced per second while playing;
- **frames/s**: how often the displayed date changed (each change is a redrawn page);
- **live panels**: each figure panel is sampled once a second (a 200 x 150 thumbnail of its
  image or canvas); a panel is live when it changed in at least 80 % of the samples;
- **Step latency**: median seconds from a click on Step to the new date being shown.

``--before REV`` also measures the dashboard as it was at git revision REV (unpacked with
``git archive`` into a temporary folder and run with the same Python environment), so both
are measured in one invocation, side by side::

    nice -n 10 .venv/bin/python benchmarks/bench_dashboard.py --before fd6088d

(fd6088d: the SolaraViz dashboard with matplotlib panels, before issue 12). ``--speed N``
sets the new page's play speed (weeks per second) before playing; the default is the page's
own default. Needs ``/usr/bin/chromium`` and the ``playwright`` package (never
``playwright install``). The machine's load changes the figures: compare within one run.
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the browser test's helpers: one way to drive Chromium
from browser_helpers import (  # noqa: E402
    CHROMIUM,
    FIGURES,
    STOP_WATCH,
    THUMBS,
    WATCH_DATE,
    dashboard,
    free_port,
    launch,
)

TIMEOUT_MS = 180_000


@dataclass
class Figures:
    """What one version measured."""

    weeks_per_second: float
    frames_per_second: float
    live_panels: int
    step_latency: float
    weeks: int
    seconds: float


def _date(page: Any) -> str:
    return str(page.locator(".lsr-date").first.text_content()).strip()


def _wait_date_change(page: Any, before: str) -> None:
    page.wait_for_function(
        "d => { const e = document.querySelector('.lsr-date');"
        " return e && e.textContent.trim() !== d; }",
        arg=before,
        timeout=TIMEOUT_MS,
    )


def _measure(url: str, seconds: float, speed: int | None) -> Figures:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as profile, sync_playwright() as pw:
        context = launch(pw, profile)
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        page.goto(url)
        page.wait_for_function(
            "(names) => names.every(n => document.querySelector("
            "`.lsr-${n} canvas, .lsr-${n} img[src]`))",
            arg=list(FIGURES),
        )
        time.sleep(2.0)
        nav = page.locator("nav")
        step = nav.get_by_role("button", name="Step", exact=True)
        latencies = []
        for _ in range(5):
            shown = _date(page)
            began = time.monotonic()
            step.click()
            _wait_date_change(page, shown)
            latencies.append(time.monotonic() - began)
            time.sleep(0.3)
        if speed is not None:
            slider = nav.get_by_role("slider").first
            slider.focus()
            slider.press("Home")
            for _ in range(speed - 1):
                slider.press("ArrowRight")
        page.evaluate(WATCH_DATE)
        play = nav.locator("button", has_text="▶")
        play.click()
        samples = []
        began = time.monotonic()
        pause = nav.locator("button", has_text="❚❚")
        # Until --seconds pass or the run reaches its last week (Play then ends by itself).
        while time.monotonic() - began < seconds and page.locator(".lsr-finished").count() == 0:
            samples.append(page.evaluate(THUMBS, list(FIGURES)))
            time.sleep(1.0)
        if pause.count():
            pause.click()
        dates = page.evaluate(STOP_WATCH)
        context.close()
    changes = [(t, d) for t, d in dates if d]
    import datetime as dt

    first = dt.date.fromisoformat(changes[0][1])
    played = [(t, dt.date.fromisoformat(d)) for t, d in changes]
    moving = [(t, d) for t, d in played if d != first]
    if len(moving) < 2:
        return Figures(0.0, 0.0, 0, statistics.median(latencies), 0, seconds)
    t0, d0 = moving[0]
    t1, d1 = moving[-1]
    elapsed = max((t1 - t0) / 1000, 1e-9)
    weeks = (d1 - d0).days // 7
    changed = [
        sum(a[i] != b[i] for a, b in itertools.pairwise(samples)) for i in range(len(FIGURES))
    ]
    live = sum(c >= 0.8 * (len(samples) - 1) for c in changed)
    return Figures(
        weeks_per_second=weeks / elapsed,
        frames_per_second=(len(moving) - 1) / elapsed,
        live_panels=live,
        step_latency=statistics.median(latencies),
        weeks=weeks,
        seconds=elapsed,
    )


def _unpack(rev: str, into: Path) -> Path:
    archive = subprocess.run(
        ["git", "archive", "--format=tar", rev], cwd=ROOT, capture_output=True, check=True
    ).stdout
    import io

    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", metavar="REV", help="also measure git revision REV")
    parser.add_argument("--seconds", type=float, default=12.0, help="seconds of Play at most")
    parser.add_argument("--speed", type=int, help="play speed of the new page (weeks/s)")
    args = parser.parse_args()
    if not CHROMIUM.exists():
        raise SystemExit(f"{CHROMIUM} is missing: apt-get install -y chromium chromium-driver")
    results: dict[str, Figures] = {}
    with tempfile.TemporaryDirectory(prefix="bench-dashboard-") as tmp:
        versions = []
        if args.before:
            versions.append((f"before ({args.before})", _unpack(args.before, Path(tmp) / "old")))
        versions.append(("now", ROOT))
        for name, root in versions:
            log = Path(tmp) / f"{name.split()[0]}.log"
            port = free_port()
            with dashboard(root, log, port):
                speed = args.speed if name == "now" else None
                results[name] = _measure(f"http://127.0.0.1:{port}/", args.seconds, speed)
            print(f"measured {name}: {results[name]}", file=sys.stderr)
    names = list(results)
    rows = [
        ("Play: weeks per second", "weeks_per_second", "{:.2f}"),
        ("Play: frames per second", "frames_per_second", "{:.2f}"),
        (f"live panels (of {len(FIGURES)})", "live_panels", "{:d}"),
        ("Step: seconds to the new date", "step_latency", "{:.2f}"),
        ("weeks played", "weeks", "{:d}"),
    ]
    width = max(len(n) for n in names) + 2
    print(
        f"{'':32}"
        + "".join(f"{n:>{width}}" for n in names)
        + ("   ratio" if len(names) > 1 else "")
    )
    for label, attr, fmt in rows:
        values = [getattr(results[n], attr) for n in names]
        line = f"{label:32}" + "".join(f"{fmt.format(v):>{width}}" for v in values)
        if len(values) == 2 and attr in ("weeks_per_second", "frames_per_second") and values[0]:
            line += f"   {values[1] / values[0]:.1f}x"
        if len(values) == 2 and attr == "step_latency" and values[1]:
            line += f"   {values[0] / values[1]:.1f}x faster"
        print(line)
    print(
        f"(Play watched for {args.seconds:g} s per version; load average now "
        f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} cores)"
    )


if __name__ == "__main__":
    main()
