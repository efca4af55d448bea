"""The dashboard in a real browser: ``lsr-sim dashboard`` driven by headless Chromium.

In-process Solara tests pass even when the browser shows an empty main panel (mesa issue
3806), so this test starts the real command on 127.0.0.1, opens the page in Debian's
Chromium through Playwright (never ``playwright install``) and checks what a student sees:
the panels in the main area, Step, Play, Reset, a slider and the scenario Select.

Screenshots go to ``$LSR_SIM_ARTIFACTS/dashboard`` (default: pytest's temporary folder,
``test-artifacts``); with ``LSR_SIM_UPDATE_SCREENSHOTS=1`` the README's screenshots in
``docs/img/`` are replaced by this run's. Without ``/usr/bin/chromium`` the tests skip, unless
``LSR_SIM_REQUIRE_BROWSER=1`` (set by ``.ci/run``), which makes that a failure.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
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
PANELS = ("status", "network", "trust", "issues", "quantities")
FIGURES = ("network", "trust", "issues", "quantities")
START = dt.date(2024, 12, 8)  # scenarios/baseline.yaml: run.start_date, weekly steps
README_SHOTS = ("dashboard-start.png", "dashboard-one-year.png")
SERVER_TIMEOUT = 240.0  # seconds; about 11 s on an idle 2-core machine
UI_TIMEOUT = 120_000  # milliseconds

pytestmark = pytest.mark.slow


def _unavailable(reason: str) -> None:
    if os.environ.get("LSR_SIM_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason}, and LSR_SIM_REQUIRE_BROWSER=1 requires the browser test")
    pytest.skip(f"{reason} (install it with: apt-get install -y chromium chromium-driver)")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _listening(port: int) -> list[str]:
    """Addresses with a socket listening on `port` (from /proc/net/tcp and tcp6)."""
    found = []
    for name in ("tcp", "tcp6"):
        table = Path("/proc/net") / name
        if not table.exists():
            continue
        for line in table.read_text().splitlines()[1:]:
            fields = line.split()
            address, port_hex = fields[1].rsplit(":", 1)
            if fields[3] != "0A" or int(port_hex, 16) != port:  # 0A: LISTEN
                continue
            raw = bytes.fromhex(address)
            if len(raw) == 4:
                found.append(socket.inet_ntop(socket.AF_INET, raw[::-1]))
            else:
                words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
                found.append(socket.inet_ntop(socket.AF_INET6, words))
    return found


@dataclass
class Server:
    """The running ``lsr-sim dashboard`` process."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path
    started: float
    ready_after: float = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@dataclass
class Browser:
    """The page and what it fetched."""

    page: Any
    shots: Path
    requests: list[str] = field(default_factory=list)
    bad_responses: list[str] = field(default_factory=list)
    load_seconds: float = 0.0
    start: dict[str, str] = field(default_factory=dict)  # figure hashes at the first load


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = os.environ.get("LSR_SIM_ARTIFACTS")
    folder = Path(root) / "dashboard" if root else tmp_path_factory.mktemp("test-artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def server(artifacts: Path) -> Iterator[Server]:
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing")
    log = artifacts / "server.log"
    port = _free_port()
    command = [sys.executable, "-m", "lsr_sim", "dashboard", "scenarios/baseline.yaml"]
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*command, "--port", str(port)],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # our own group: nothing is left behind on failure
        )
    started = time.monotonic()
    srv = Server(process, port, log, started)
    try:
        while "dashboard ready" not in srv.output():
            if process.poll() is not None:
                pytest.fail(f"the dashboard exited with {process.returncode}:\n{srv.output()}")
            if time.monotonic() - started > SERVER_TIMEOUT:
                pytest.fail(f"the dashboard did not start in {SERVER_TIMEOUT} s:\n{srv.output()}")
            time.sleep(0.25)
        srv.ready_after = time.monotonic() - started
        print(f"\nserver ready after {srv.ready_after:.1f} s on {srv.url}")
        yield srv
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@pytest.fixture(scope="module")
def browser(server: Server, artifacts: Path) -> Iterator[Browser]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is missing")
    with (
        tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile,
        sync_playwright() as pw,
    ):
        context = pw.chromium.launch_persistent_context(
            profile, executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, viewport=VIEWPORT
        )
        context.set_default_timeout(UI_TIMEOUT)
        try:
            page = context.new_page()
            view = Browser(page, artifacts)
            page.on("request", lambda r: view.requests.append(r.url))
            page.on("requestfailed", lambda r: view.bad_responses.append(f"failed {r.url}"))
            page.on("response", lambda r: _note_bad(view, r))
            began = time.monotonic()
            page.goto(server.url)
            page.locator(".lsr-network img").wait_for(state="visible")
            _wait_images_loaded(page)
            view.load_seconds = time.monotonic() - began
            print(f"page with its panels shown after {view.load_seconds:.1f} s")
            yield view
        finally:
            context.close()


# ------------------------------------------------------------------------------- helpers


def _note_bad(view: Browser, response: Any) -> None:
    if response.status >= 400:
        view.bad_responses.append(f"{response.status} {response.url}")


def _wait_images_loaded(page: Any) -> None:
    page.wait_for_function(
        "() => [...document.querySelectorAll('.lsr-figure img, img.lsr-figure')]"
        ".filter(i => i.complete && i.naturalWidth > 0).length >= 4"
    )


def _date(page: Any) -> str:
    return page.locator(".lsr-date").inner_text().strip()


def _wait_date(page: Any, expected: dt.date) -> None:
    page.wait_for_function(
        "d => document.querySelector('.lsr-date')?.innerText.trim() === d", arg=str(expected)
    )


def _settled_date(page: Any, quiet: float) -> str:
    """The date once it has not changed for `quiet` seconds."""
    deadline = time.monotonic() + UI_TIMEOUT / 1000
    shown, since = _date(page), time.monotonic()
    while time.monotonic() - since < quiet and time.monotonic() < deadline:
        time.sleep(0.25)
        now = _date(page)
        if now != shown:
            shown, since = now, time.monotonic()
    return shown


def _wait_text(page: Any, selector: str, text: str) -> None:
    page.wait_for_function(
        "([sel, text]) => document.querySelector(sel)?.innerText.includes(text)",
        arg=[selector, text],
    )


def _hashes(page: Any) -> dict[str, str]:
    """SHA-256 of the PNG bytes each figure panel shows."""
    return page.evaluate(
        """async (names) => {
            const out = {};
            for (const name of names) {
                const img = document.querySelector(`.lsr-${name} img`);
                const bytes = await (await fetch(img.src)).arrayBuffer();
                const digest = await crypto.subtle.digest('SHA-256', bytes);
                out[name] = [...new Uint8Array(digest)]
                    .map(b => b.toString(16).padStart(2, '0')).join('');
            }
            return out;
        }""",
        list(FIGURES),
    )


def _wait_figures(page: Any, check: Any, what: str) -> dict[str, str]:
    """Wait until the figures' hashes pass `check`; return them (fail after the timeout)."""
    deadline = time.monotonic() + UI_TIMEOUT / 1000
    while True:
        _wait_images_loaded(page)
        now = _hashes(page)
        if check(now):
            return now
        if time.monotonic() > deadline:
            pytest.fail(f"the figures never {what}")
        time.sleep(0.5)


def _wait_changed(page: Any, before: dict[str, str], names: tuple[str, ...]) -> dict[str, str]:
    """Wait until every named figure differs from `before`; return the new hashes."""
    return _wait_figures(
        page, lambda now: all(now[n] != before[n] for n in names), f"changed: {names}"
    )


def _button(page: Any, label: str) -> Any:
    return page.locator("nav").get_by_role("button", name=label, exact=True)


def _slider(page: Any, label: str) -> Any:
    return page.locator("nav").get_by_role("slider", name=label)


def _set_slider(page: Any, label: str, key: str, presses: int, expected: str) -> None:
    slider = _slider(page, label)
    slider.focus()
    for _ in range(presses):
        slider.press(key)
    page.wait_for_function(
        "([label, value]) => [...document.querySelectorAll('nav [role=slider]')]"
        ".some(s => s.getAttribute('aria-label') === label "
        "&& s.getAttribute('aria-valuenow') === value)",
        arg=[label, expected],
    )


def _shot(view: Browser, name: str) -> Path:
    path = view.shots / name
    view.page.screenshot(path=str(path))
    return path


# ------------------------------------------------------------------------------- tests


def test_server_listens_on_loopback_only(server: Server) -> None:
    if not Path("/proc/net/tcp").exists():
        pytest.skip("no /proc/net/tcp to read listening sockets from")
    assert _listening(server.port) == ["127.0.0.1"]


def test_main_area_shows_the_network_and_the_plots(browser: Browser, server: Server) -> None:
    page = browser.page
    sidebar = page.locator("nav").first.bounding_box()
    assert sidebar is not None
    for name in PANELS:
        panel = page.locator(f".lsr-{name}")
        assert panel.count() == 1, f"panel {name} is not on the page"
        assert panel.evaluate("e => e.closest('nav') === null"), f"{name} is in the sidebar"
        box = panel.bounding_box()
        assert box is not None and box["x"] >= sidebar["x"] + sidebar["width"] - 1, name
        assert box["width"] > 300 and box["height"] > 200, (name, box)
    for name in FIGURES:
        img = page.locator(f".lsr-{name} img")
        natural = img.evaluate("i => [i.naturalWidth, i.naturalHeight]")
        assert natural[0] > 400 and natural[1] > 250, (name, natural)
        box = img.bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] > 200, (name, box)
    assert _date(page) == str(START)
    assert "week 0 of 160" in page.locator(".lsr-step").inner_text()
    assert "seed 20241208" in page.locator(".lsr-knobs").inner_text()
    assert "officers" in page.locator(".lsr-status").inner_text()  # quantities delivered
    browser.start = _hashes(page)
    _shot(browser, "dashboard-start.png")
    # Everything the page loaded came from our server: no CDN, nothing failed.
    outside = [
        u for u in browser.requests if not u.startswith((server.url, "blob:", "data:", "ws://127"))
    ]
    assert outside == [], outside
    assert browser.bad_responses == [], browser.bad_responses
    assert "Could not load URL" not in server.output()


def test_three_steps_advance_the_date_and_change_the_plots(browser: Browser) -> None:
    page = browser.page
    before = _hashes(page)
    for k in range(1, 4):
        _button(page, "Step").click()
        _wait_date(page, START + dt.timedelta(weeks=k))
    after = _wait_changed(page, before, FIGURES)
    assert "week 3 of 160" in page.locator(".lsr-step").inner_text()
    changed = [n for n in FIGURES if after[n] != before[n]]
    assert changed == list(FIGURES), f"unchanged after 3 steps: {set(FIGURES) - set(changed)}"
    _shot(browser, "dashboard-3-steps.png")


def test_play_runs_and_pauses(browser: Browser) -> None:
    page = browser.page
    shown = dt.date.fromisoformat(_date(page))
    _button(page, "▶").click()
    _wait_date(page, shown + dt.timedelta(weeks=1))
    began = time.monotonic()
    _wait_date(page, shown + dt.timedelta(weeks=2))
    per_step = time.monotonic() - began  # one step and its drawing, as played here
    _button(page, "❚❚").click()
    _button(page, "▶").wait_for(state="visible")
    # The step under way when Pause is clicked still finishes (and is drawn): wait for the
    # date to settle, then check that it stays.
    paused = _settled_date(page, quiet=max(3.0, 2.5 * per_step))
    time.sleep(max(3.0, 1.5 * per_step))
    assert _date(page) == paused, "the model kept running after pause"
    assert dt.date.fromisoformat(paused) >= shown + dt.timedelta(weeks=2)


def test_reset_then_a_year_in_one_step(browser: Browser) -> None:
    page = browser.page
    _button(page, "Reset").click()
    _wait_date(page, START)
    _wait_text(page, ".lsr-step", "week 0 of 160")
    # Reset draws exactly the first picture again.
    _wait_figures(page, lambda now: now == browser.start, "came back to the start")
    # Mesa's "Render Interval" makes one Step run that many steps: 1 + 2 * 26 = 53 weeks.
    _set_slider(page, "Render Interval (steps)", "ArrowRight", 26, "53")
    before = _hashes(page)
    _button(page, "Step").click()
    _wait_date(page, START + dt.timedelta(weeks=53))
    _wait_changed(page, before, FIGURES)
    _shot(browser, "dashboard-one-year.png")


def test_sliders_select_and_reset_take_effect(browser: Browser) -> None:
    page = browser.page
    _set_slider(page, "Riyadh's mediation strength", "ArrowLeft", 8, "0.3")
    _set_slider(page, "Seed (0: the scenario's)", "ArrowRight", 5, "5")
    page.locator("nav .v-select").click()
    page.locator(".v-menu__content .v-list-item", has_text="riyadh_steps_back").click()
    # Nothing changes until Reset ...
    assert "mediation strength 0.70" in page.locator(".lsr-knobs").inner_text()
    _button(page, "Reset").click()
    _wait_text(page, ".lsr-knobs", "strength 0.30")
    knobs = page.locator(".lsr-knobs").inner_text()
    assert "seed 5" in knobs and "veto strength 1.50" in knobs, knobs
    assert "scenario riyadh_steps_back" in page.locator(".lsr-step").inner_text()
    assert _date(page) == str(START)
    # ... then the network at the start shows Riyadh smaller (node size is capability).
    _wait_changed(page, browser.start, ("network",))
    _shot(browser, "dashboard-after-reset.png")


def test_screenshots_saved_and_ctrl_c_stops_the_server(browser: Browser, server: Server) -> None:
    for name in ("dashboard-start.png", "dashboard-3-steps.png", "dashboard-one-year.png"):
        path = browser.shots / name
        assert path.exists() and path.stat().st_size > 10_000, path
    print(f"screenshots in {browser.shots}")
    if os.environ.get("LSR_SIM_UPDATE_SCREENSHOTS") == "1":
        target = ROOT / "docs" / "img"
        target.mkdir(parents=True, exist_ok=True)
        for name in README_SHOTS:
            shutil.copyfile(browser.shots / name, target / name)
        print(f"copied {', '.join(README_SHOTS)} to {target}")
    server.process.send_signal(signal.SIGINT)  # what Ctrl-C in a terminal sends
    assert server.process.wait(timeout=60) == 0
    output = server.output()
    assert "dashboard stopped" in output
    assert "Traceback" not in output, output
    assert "Could not load URL" not in output  # no CDN needed, ever
