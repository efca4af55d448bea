"""The dashboard in a real browser: ``lsr-sim dashboard`` driven by headless Chromium.

In-process tests pass even when a browser would show nothing, so this test starts the real
command on 127.0.0.1, sends it real requests (a foreign Host, WebSocket upgrades from
foreign Origins) and opens the page in Debian's Chromium through Playwright (never
``playwright install``) to check what a student sees and does: the panels, Step, Play and
Pause, a run that stops exactly at its end, Reset keeping the edited values, Rewind,
Compare, Ensemble, every Export and loading a scenario file (a bad one and a good one).

The tests run in order on one page. Screenshots and downloads go to
``$LSR_SIM_ARTIFACTS/dashboard`` (default: pytest's temporary folder, ``test-artifacts``);
with ``LSR_SIM_UPDATE_SCREENSHOTS=1`` the README's screenshots in ``docs/img/`` are replaced
by this run's. Without ``/usr/bin/chromium`` the browser tests skip, unless
``LSR_SIM_REQUIRE_BROWSER=1`` (set by ``.ci/run``), which makes that a failure.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
import shutil
import signal
import socket
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from browser_helpers import (
    CHROMIUM,
    FIGURES,
    HASHES,
    STOP_WATCH,
    VIEWPORT,
    WATCH_DATE,
    dashboard,
    free_port,
    launch,
)
from cli_helpers import one_error, run_cli

from lsr_sim.scenario import load_scenario, scenario_hash

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or fails) and says why
    expect = None

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
START = dt.date(2024, 12, 8)  # scenarios/baseline.yaml: run.start_date, weekly steps
END = START + dt.timedelta(weeks=160)
README_SHOTS = (
    "dashboard-start.png",
    "dashboard-one-year.png",
    "dashboard-compare.png",
    "dashboard-ensemble.png",
)
SHOTS = (*README_SHOTS, "dashboard-rewind.png", "dashboard-upload-error.png")
UI_TIMEOUT = 180_000  # milliseconds
LEFTOVERS = ("Page 0", "PAGE 0", "Time: 0.0", "Time:", "Use Threads", "Render Interval")

pytestmark = pytest.mark.slow


def _unavailable(reason: str) -> None:
    if os.environ.get("LSR_SIM_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason}, and LSR_SIM_REQUIRE_BROWSER=1 requires the browser test")
    pytest.skip(f"{reason} (install it with: apt-get install -y chromium chromium-driver)")


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

    process: Any
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@dataclass
class Browser:
    """The page, what it fetched, and what the tests noted on the way."""

    page: Any
    shots: Path
    requests: list[str] = field(default_factory=list)
    bad_responses: list[str] = field(default_factory=list)
    hashes: dict[int, dict[str, str]] = field(default_factory=dict)  # by week


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = os.environ.get("LSR_SIM_ARTIFACTS")
    folder = Path(root) / "dashboard" if root else tmp_path_factory.mktemp("test-artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def server(artifacts: Path) -> Iterator[Server]:
    port = free_port()
    log = artifacts / "server.log"
    began = time.monotonic()
    try:
        with dashboard(ROOT, log, port) as process:
            print(f"\nserver ready after {time.monotonic() - began:.1f} s on port {port}")
            yield Server(process, port, log)
    except RuntimeError as exc:
        pytest.fail(f"{exc}:\n{log.read_text(errors='replace')}")


@pytest.fixture(scope="module")
def browser(server: Server, artifacts: Path) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is missing")
    expect.set_options(timeout=UI_TIMEOUT)
    with (
        tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile,
        sync_playwright() as pw,
    ):
        context = launch(pw, profile)
        context.set_default_timeout(UI_TIMEOUT)
        try:
            page = context.new_page()
            view = Browser(page, artifacts)
            page.on("request", lambda r: view.requests.append(r.url))
            page.on("requestfailed", lambda r: view.bad_responses.append(f"failed {r.url}"))
            page.on("response", lambda r: _note_bad(view, r))
            began = time.monotonic()
            page.goto(server.url)
            _wait_charts(page)
            print(f"page with its charts shown after {time.monotonic() - began:.1f} s")
            yield view
        finally:
            context.close()


# ------------------------------------------------------------------------------- helpers


def _note_bad(view: Browser, response: Any) -> None:
    if response.status >= 400:
        view.bad_responses.append(f"{response.status} {response.url}")


def _wait_charts(page: Any, names: tuple[str, ...] = FIGURES) -> None:
    page.wait_for_function(
        "(names) => names.every(n => { const c = document.querySelector(`.lsr-${n} canvas`);"
        " return c && c.width > 300 && c.height > 200; })",
        arg=list(names),
    )


def _date(page: Any) -> str:
    return str(page.locator(".lsr-date").inner_text()).strip()


def _step_text(page: Any) -> str:
    return str(page.locator(".lsr-step").inner_text())


def _wait_date(page: Any, expected: dt.date) -> None:
    page.wait_for_function(
        "d => document.querySelector('.lsr-date')?.innerText.trim() === d", arg=str(expected)
    )


def _wait_text(page: Any, selector: str, text: str) -> None:
    """Wait until an element matching `selector` contains `text`; on a timeout, fail with
    what those elements say instead (and a screenshot, ``failed-wait.png``)."""
    try:
        page.wait_for_function(
            "([sel, text]) => [...document.querySelectorAll(sel)]"
            ".some(e => e.innerText.includes(text))",
            arg=[selector, text],
        )
    except Exception:  # playwright's TimeoutError, whatever its module
        shown = page.evaluate(
            "(sel) => [...document.querySelectorAll(sel)].map(e => e.innerText)", selector
        )
        folder = os.environ.get("LSR_SIM_ARTIFACTS")
        if folder:
            page.screenshot(path=str(Path(folder) / "dashboard" / "failed-wait.png"))
        pytest.fail(f"{selector} never said {text!r}; it says {shown!r}")


def _hashes(page: Any, names: tuple[str, ...] = FIGURES) -> dict[str, str]:
    return dict(page.evaluate(HASHES, list(names)))


def _wait_hashes(
    page: Any, check: Callable[[dict[str, str]], bool], what: str, names: tuple[str, ...] = FIGURES
) -> dict[str, str]:
    """Wait until the panels' hashes pass `check`; return them (fail after the timeout)."""
    deadline = time.monotonic() + UI_TIMEOUT / 1000
    while True:
        now = _hashes(page, names)
        if check(now):
            return now
        if time.monotonic() > deadline:
            pytest.fail(f"the charts never {what}")
        time.sleep(0.3)


def _settled_hashes(
    page: Any, quiet: float = 1.0, names: tuple[str, ...] = FIGURES
) -> dict[str, str]:
    """The panels' hashes once they have stayed the same for `quiet` seconds (every frame
    sent has been drawn)."""
    deadline = time.monotonic() + UI_TIMEOUT / 1000
    last = _hashes(page, names)
    while time.monotonic() < deadline:
        time.sleep(quiet)
        now = _hashes(page, names)
        if now == last:
            return now
        last = now
    pytest.fail("the charts never settled")


def _button(page: Any, label: str, where: str = "nav") -> Any:
    return page.locator(where).get_by_role("button", name=label, exact=True)


def _slider(page: Any, name: str) -> Any:
    return page.locator("nav").get_by_role("slider", name=re.compile(name))


_SLIDER_VALUE = (
    "(name) => [...document.querySelectorAll('nav [role=slider]')]"
    ".find(s => (s.getAttribute('aria-label') || '').includes(name))"
    "?.getAttribute('aria-valuenow')"
)


def _set_slider(page: Any, name: str, keys: list[str], expected: str) -> None:
    """Press `keys` on the sidebar slider whose label contains `name`, one at a time (each
    waits for the page to take the value: a key pressed while the page redraws the sidebar
    could be lost), then check that it shows `expected` and keeps it."""
    slider = _slider(page, name)
    slider.focus()
    for key in keys:
        before = page.evaluate(_SLIDER_VALUE, name)
        slider.press(key)
        page.wait_for_function(f"(name) => ({_SLIDER_VALUE})(name) !== {before!r}", arg=name)
        time.sleep(0.2)
    time.sleep(0.5)
    assert page.evaluate(_SLIDER_VALUE, name) == expected, name


def _tab(page: Any, name: str) -> None:
    page.get_by_role("tab", name=name).click()
    time.sleep(1.0)  # the tab's content replaces the last one's (a short transition)


def _rewind(page: Any, keys: list[str], expected: dt.date) -> Any:
    """Press `keys` on the Rewind slider until the page shows `expected`; return the slider.

    A key pressed while the Run tab is still coming in can land nowhere: then press again.
    """
    _wait_charts(page)
    rewind = page.locator(".lsr-rewind [role=slider]")
    for _attempt in range(3):
        rewind.focus()
        for key in keys:
            rewind.press(key)
        try:
            _wait_date_within(page, expected, 10_000)
            return rewind
        except Exception:  # playwright's TimeoutError: try again from the start
            continue
    pytest.fail(f"Rewind never showed {expected}")


def _wait_date_within(page: Any, expected: dt.date, timeout: float) -> None:
    page.wait_for_function(
        "d => document.querySelector('.lsr-date')?.innerText.trim() === d",
        arg=str(expected),
        timeout=timeout,
    )


def _shot(view: Browser, name: str, *, full: bool = False) -> Path:
    path = view.shots / name
    view.page.screenshot(path=str(path), full_page=full)
    return path


def _sidebar_state(page: Any) -> dict[str, Any]:
    """What the sidebar shows: slider values, the scenario chosen, the week, all its text."""
    return {
        "sliders": page.evaluate(
            "() => [...document.querySelectorAll('nav [role=slider]')]"
            ".map(s => [s.getAttribute('aria-label'), s.getAttribute('aria-valuenow')])"
        ),
        "scenario": page.locator("nav .v-select .v-select__selection").inner_text(),
        "step": _step_text(page),
        "date": _date(page),
        "sidebar": page.locator("nav").inner_text(),
    }


def _raw_request(port: int, request: str) -> str:
    """Send `request` to the server as it is; return the status line of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(request.encode("latin-1"))
        answer = b""
        while b"\r\n" not in answer:
            chunk = sock.recv(4096)
            if not chunk:
                break
            answer += chunk
    return answer.split(b"\r\n", 1)[0].decode("latin-1")


def _upgrade(port: int, host: str, origin: str | None) -> str:
    """A WebSocket upgrade to the kernel's channel, as a browser would send it."""
    lines = [
        "GET /jupyter/api/kernels/test-kernel/channels?session_id=test HTTP/1.1",
        f"Host: {host}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version: 13",
    ]
    if origin is not None:
        lines.append(f"Origin: {origin}")
    return _raw_request(port, "\r\n".join(lines) + "\r\n\r\n")


# ------------------------------------------------------------------------------- the server


def test_server_listens_on_loopback_only(server: Server) -> None:
    if not Path("/proc/net/tcp").exists():
        pytest.skip("no /proc/net/tcp to read listening sockets from")
    assert _listening(server.port) == ["127.0.0.1"]


def test_a_foreign_host_is_refused(server: Server) -> None:
    get = "GET / HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n"
    assert _raw_request(server.port, get.format(f"127.0.0.1:{server.port}")).endswith("200 OK")
    assert _raw_request(server.port, get.format(f"localhost:{server.port}")).endswith("200 OK")
    for host in ("evil.example", f"evil.example:{server.port}", "127.0.0.1:1"):
        status = _raw_request(server.port, get.format(host))
        assert status.startswith("HTTP/1.1 403"), (host, status)


def test_a_websocket_from_a_foreign_origin_is_never_upgraded(server: Server) -> None:
    ours = f"127.0.0.1:{server.port}"
    # The page's own Origin is upgraded (so the refusals below are the guard's doing) ...
    assert _upgrade(server.port, ours, f"http://{ours}").startswith("HTTP/1.1 101")
    # ... a foreign page's, a missing or sandboxed Origin, and DNS rebinding are not.
    for host, origin in [
        (ours, "http://evil.example"),
        (ours, "https://evil.example"),
        (ours, "null"),
        (ours, None),
        (ours, "http://127.0.0.1:1"),
        (f"evil.example:{server.port}", f"http://evil.example:{server.port}"),
    ]:
        status = _upgrade(server.port, host, origin)
        assert not status.startswith("HTTP/1.1 101"), (host, origin, status)
        assert status.startswith("HTTP/1.1 403"), (host, origin, status)


# ------------------------------------------------------------------------------- the page


def test_page_shows_the_run_with_nothing_left_over_from_mesa(
    browser: Browser, server: Server
) -> None:
    page = browser.page
    sidebar = page.locator("nav").first.bounding_box()
    assert sidebar is not None
    for name in ("status", "latest-events", *FIGURES):
        panel = page.locator(f".lsr-{name}")
        assert panel.count() == 1, f"panel {name} is not on the page"
        box = panel.bounding_box()
        assert box is not None and box["x"] >= sidebar["x"] + sidebar["width"] - 1, name
        assert box["width"] > 300 and box["height"] > 150, (name, box)
    assert _date(page) == str(START)
    assert "week 0 of 160 · scenario baseline" in _step_text(page)
    assert "seed 20241208" in page.locator(".lsr-knobs").inner_text()
    assert "officers" in page.locator(".lsr-status").inner_text()  # quantities delivered
    text = page.locator("body").inner_text()
    for leftover in LEFTOVERS:
        assert leftover not in text, leftover
    # Every slider shows its value, and says whether it acts live or on Reset.
    sliders = page.evaluate(
        "() => [...document.querySelectorAll('nav [role=slider]')].map(s => [s.getAttribute("
        "'aria-valuenow'), s.closest('.v-input').querySelector('.v-slider__thumb-label')"
        "?.innerText.trim()])"
    )
    assert len(sliders) == 5 and all(now == shown for now, shown in sliders), sliders
    nav = page.locator("nav").inner_text()
    assert "Takes effect at once, also while playing." in nav
    assert "These take effect when you press Reset." in nav
    browser.hashes[0] = _settled_hashes(page)
    _shot(browser, "dashboard-start.png", full=True)
    outside = [
        u
        for u in browser.requests
        if not u.startswith((server.url, "blob:", "data:", f"ws://127.0.0.1:{server.port}"))
    ]
    assert outside == [], outside  # no CDN: everything from our own server
    assert browser.bad_responses == [], browser.bad_responses


def test_step_advances_a_week_and_every_chart_changes(browser: Browser) -> None:
    page = browser.page
    for week in range(1, 4):
        _button(page, "Step").click()
        _wait_date(page, START + dt.timedelta(weeks=week))
        browser.hashes[week] = _settled_hashes(page)
    for week in range(1, 4):  # every chart changed at every step
        changed = [n for n in FIGURES if browser.hashes[week][n] != browser.hashes[week - 1][n]]
        assert changed == list(FIGURES), (week, changed)
    assert "week 3 of 160" in _step_text(page)
    _shot(browser, "dashboard-3-steps.png")


def test_play_keeps_every_chart_live_and_pause_stops(browser: Browser) -> None:
    page = browser.page
    page.evaluate(WATCH_DATE)
    _button(page, "▶ Play").click()
    samples = []
    for _ in range(6):
        time.sleep(1.0)
        samples.append(_hashes(page))
    _button(page, "❚❚ Pause").click()
    _button(page, "▶ Play").wait_for(state="visible")
    dates = page.evaluate(STOP_WATCH)
    shown = [dt.date.fromisoformat(d) for _, d in dates if d]
    weeks = (shown[-1] - shown[0]).days // 7
    seconds = (dates[-1][0] - dates[0][0]) / 1000
    print(f"played {weeks} weeks in {seconds:.1f} s, {len(shown) - 1} frames (not a benchmark)")
    assert weeks >= 6 and len(shown) >= 4  # it moved, frame after frame
    for name in FIGURES:  # every panel changed while playing
        assert len({s[name] for s in samples}) >= 3, name
    # The latest events show without scrolling: six, newest first, the card on screen whole.
    events = page.locator(".lsr-latest-events")
    assert page.locator(".lsr-latest-events li").count() == 6
    box = events.bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= VIEWPORT["height"]
    assert events.evaluate("e => e.scrollHeight <= e.clientHeight + 1")
    dates = [li.split(" ")[0] for li in page.locator(".lsr-latest-events li").all_inner_texts()]
    assert dates == sorted(dates, reverse=True), dates
    # Nothing is queued behind Pause: the date settles at once and stays.
    settled = _date(page)
    time.sleep(3.0)
    assert _date(page) == settled, "the page kept moving after Pause"
    assert f"week {(dt.date.fromisoformat(settled) - START).days // 7} of 160" in _step_text(page)


def test_rewind_scrubs_back_over_the_recorded_weeks_without_rerunning(browser: Browser) -> None:
    page = browser.page
    week = (dt.date.fromisoformat(_date(page)) - START).days // 7
    assert page.locator(".lsr-rewind [role=slider]").get_attribute("aria-valuemax") == str(week)
    rewind = _rewind(page, ["Home", "ArrowRight"], START + dt.timedelta(weeks=1))
    assert f"week 1 of 160 · scenario baseline · rewound (the run is at week {week})" in (
        _step_text(page)
    )
    # Exactly the pictures the page showed when the run was at week 1.
    _wait_hashes(page, lambda now: now == browser.hashes[1], "came back to week 1")
    rewind.press("ArrowRight")
    rewind.press("ArrowRight")
    _wait_hashes(page, lambda now: now == browser.hashes[3], "came back to week 3")
    _shot(browser, "dashboard-rewind.png", full=True)
    rewind.press("End")
    _wait_date(page, START + dt.timedelta(weeks=week))
    assert "rewound" not in _step_text(page)


def test_play_stops_exactly_at_the_last_week_and_says_so(browser: Browser) -> None:
    page = browser.page
    _set_slider(page, "Play speed", ["End"], "50")
    _button(page, "▶ Play").click()
    _wait_text(page, ".lsr-finished", "Run finished: week 160 of 160 (2028-01-02)")
    assert _date(page) == str(END)
    assert "week 160 of 160" in _step_text(page)
    assert "Reset starts it again" in page.locator(".lsr-finished").inner_text()
    for label in ("▶ Play", "Step", "End"):
        expect(_button(page, label)).to_be_disabled()
    time.sleep(2.0)
    assert _date(page) == str(END)  # nothing runs past the end
    # A year after the start, for the README: scrub back to week 52.
    rewind = _rewind(page, ["Home"] + ["ArrowRight"] * 52, START + dt.timedelta(weeks=52))
    time.sleep(1.0)
    _shot(browser, "dashboard-one-year.png", full=True)
    rewind.press("End")
    _wait_date(page, END)


def test_reset_applies_the_edited_values_and_keeps_them(browser: Browser) -> None:
    page = browser.page
    _set_slider(page, "mediation strength", ["ArrowLeft"] * 8, "0.3")
    _set_slider(page, "Seed", ["ArrowRight"] * 5, "5")
    _wait_text(page, ".lsr-pending", "Press Reset to apply: mediation 0.7 → 0.3; seed 0 → 5")
    assert "mediation strength 0.70" in page.locator(".lsr-knobs").inner_text()  # not yet
    _button(page, "Reset").click()
    _wait_date(page, START)
    _wait_text(page, ".lsr-knobs", "strength 0.30")
    knobs = page.locator(".lsr-knobs").inner_text()
    assert "seed 5" in knobs and "veto strength 1.90" in knobs, knobs
    assert "week 0 of 160" in _step_text(page)
    expect(page.locator(".lsr-finished")).to_have_count(0)
    expect(_button(page, "Step")).to_be_enabled()
    # The sliders keep the edited values after Reset, and say they are in effect.
    assert _slider(page, "mediation strength").get_attribute("aria-valuenow") == "0.3"
    assert _slider(page, "Seed").get_attribute("aria-valuenow") == "5"
    _wait_text(page, "nav", "In effect in the current run.")
    _wait_hashes(page, lambda now: now["network"] != browser.hashes[0]["network"], "differed")
    _shot(browser, "dashboard-after-reset.png")


def test_a_variant_brings_its_values_and_keeps_the_seed(browser: Browser) -> None:
    page = browser.page
    page.locator("nav .v-select").click()
    page.locator(".v-menu__content .v-list-item", has_text="riyadh_steps_back").click()
    _wait_text(page, ".lsr-pending", "scenario baseline.yaml → variants/riyadh_steps_back.yaml")
    assert _slider(page, "mediation strength").get_attribute("aria-valuenow") == "0.7"
    assert _slider(page, "Seed").get_attribute("aria-valuenow") == "5"
    _button(page, "Reset").click()
    _wait_text(page, ".lsr-step", "scenario riyadh_steps_back")
    assert "seed 5" in page.locator(".lsr-knobs").inner_text()


def test_compare_draws_runs_of_one_seed_on_the_same_dates(browser: Browser) -> None:
    page = browser.page
    _tab(page, "Compare")
    main = "main"
    _button(page, "Add the sidebar's settings", main).click()  # the variant, seed 5
    page.locator("nav .v-select").click()
    page.locator(".v-menu__content .v-list-item", has_text="baseline.yaml").click()
    _set_slider(page, "Veto strength", ["ArrowRight"] * 6, "2.5")
    _button(page, "Add the sidebar's settings", main).click()  # the baseline, veto 2.5
    _wait_text(page, ".lsr-compare-list", "baseline.yaml: veto_strength 1.9 → 2.5")
    _button(page, "Compare", main).click()
    _wait_text(page, ".lsr-compare-message", "2 runs with seed 5 in")
    _wait_charts(page, ("compare",))
    table = page.locator(".lsr-compare-table").inner_text()
    assert "1. variants/riyadh_steps_back.yaml (its own values)" in table
    assert "2. baseline.yaml (veto_strength 1.9 → 2.5)" in table
    box = page.locator(".lsr-compare canvas").first.bounding_box()
    assert box is not None and box["height"] > 600  # trust panels, then one lane per run
    page.locator(".lsr-compare").scroll_into_view_if_needed()
    _shot(browser, "dashboard-compare.png", full=True)


def test_ensemble_draws_the_fan_with_the_current_run_over_it(browser: Browser) -> None:
    page = browser.page
    _button(page, "End").click()  # the current run (the variant, seed 5), to its end
    _wait_text(page, ".lsr-step", "week 160 of 160")
    _tab(page, "Ensemble")
    _button(page, "Compute the ensemble", "main").click()
    _wait_text(page, ".lsr-ensemble-info", "200 runs of 160 weeks by the batch engine in")
    _wait_charts(page, ("fan",))
    print(page.locator(".lsr-ensemble-info").inner_text())
    fan = _settled_hashes(page, names=("fan",))
    _shot(browser, "dashboard-ensemble.png", full=True)
    # The current run is drawn over the fan as far as the page shows it: Rewind cuts it.
    _tab(page, "Run")
    _rewind(page, ["Home"], START)
    _tab(page, "Ensemble")
    _wait_hashes(page, lambda now: now["fan"] != fan["fan"], "cut the current run", ("fan",))


def test_every_export_downloads_what_it_says(browser: Browser, artifacts: Path) -> None:
    page = browser.page
    # The sidebar holds the baseline with veto strength 2.5 and seed 5 (set for Compare).
    _tab(page, "Run")
    _button(page, "Reset").click()
    _wait_text(page, ".lsr-knobs", "veto strength 2.50")
    _button(page, "Step").click()
    _wait_date(page, START + dt.timedelta(weeks=1))
    _tab(page, "Export")
    command = page.locator(".lsr-export-command").inner_text().strip()
    assert command == "lsr-sim run scenario.yaml --seed 5 --steps 1 --out results/baseline"
    files = {}
    for kind in ("tables", "figures-png", "figures-svg", "scenario", "manifest", "all"):
        with page.expect_download(timeout=UI_TIMEOUT) as download:
            page.locator(f".lsr-export-{kind}").click()
        path = artifacts / download.value.suggested_filename
        download.value.save_as(path)
        files[kind] = path
    assert files["tables"].name == "baseline-week1-seed5-tables.zip"
    tables = zipfile.ZipFile(files["tables"]).namelist()
    assert "tables/trust.csv" in tables and len(tables) == 6
    for fmt in ("png", "svg"):
        names = zipfile.ZipFile(files[f"figures-{fmt}"]).namelist()
        assert "figures/trust." + fmt in names and all(n.endswith(fmt) for n in names)
    scenario = load_scenario(files["scenario"])
    assert scenario.dynamics.veto_strength == 2.5 and scenario.name == "baseline"
    manifest = json.loads(files["manifest"].read_text())
    assert manifest["command"] == command.split() and manifest["steps"] == 1
    everything = zipfile.ZipFile(io.BytesIO(files["all"].read_bytes()))
    assert {"manifest.json", "scenario.yaml", "tables/trust.csv"} <= set(everything.namelist())
    assert (
        scenario_hash(scenario) == json.loads(everything.read("manifest.json"))["scenario_sha256"]
    )


def test_a_bad_upload_shows_the_cli_s_line_and_changes_nothing(
    browser: Browser,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    page = browser.page
    _tab(page, "Load scenario")
    before = _sidebar_state(page)
    folder = tmp_path / "scenarios"  # beside a copy of the baseline's observations
    (folder / "variants").mkdir(parents=True)
    shutil.copyfile(BASELINE, folder / "baseline.yaml")
    shutil.copytree(BASELINE.parents[1] / "observations", tmp_path / "observations")
    monkeypatch.chdir(folder / "variants")
    cases = {
        "mine.yaml": b"extends: ../baseline.yaml\nrun: {steps: -3}\n",
        "big.yaml": b"name: x\n" + b"#" * 2_500_000,  # over the cap
    }
    for name, data in cases.items():
        # What the command line says for a file with these bytes, beside the baseline.
        (folder / "variants" / name).write_bytes(data)
        code, _, err = run_cli(capsys, "validate", name)
        assert code == 2
        expected = f"error: {one_error(err)}"
        page.locator(".lsr-upload input[type=file]").set_input_files(
            {"name": name, "mimeType": "application/yaml", "buffer": data}
        )
        _wait_text(page, ".lsr-upload-error", f"error: {name}")
        assert page.locator(".lsr-upload-error").inner_text().strip() == expected
        time.sleep(1.0)
        assert _sidebar_state(page) == before  # nothing else changed
    _shot(browser, "dashboard-upload-error.png")


def test_a_good_upload_becomes_the_run(browser: Browser) -> None:
    page = browser.page
    good = (
        b"extends: ../baseline.yaml\nname: my_case\n"
        b"description: The baseline with a stronger Hezbollah veto.\n"
        b"dynamics: {veto_strength: 2.8}\n"
    )
    page.locator(".lsr-upload input[type=file]").set_input_files(
        {"name": "my_case.yaml", "mimeType": "application/yaml", "buffer": good}
    )
    _wait_text(page, ".lsr-upload-ok", "Loaded my_case.yaml: scenario 'my_case'")
    _wait_text(page, ".lsr-step", "week 0 of 160 · scenario my_case")
    assert _slider(page, "Veto strength").get_attribute("aria-valuenow") == "2.8"
    _wait_text(page, "nav", "In effect in the current run.")
    assert "uploaded: my_case.yaml" in page.locator("nav .v-select").inner_text()
    expect(page.locator(".lsr-upload-error")).to_have_count(0)
    _shot(browser, "dashboard-upload.png")
    _tab(page, "Run")
    _wait_text(page, ".lsr-knobs", "veto strength 2.80")


def test_screenshots_saved_and_ctrl_c_stops_the_server(browser: Browser, server: Server) -> None:
    for name in SHOTS:
        path = browser.shots / name
        assert path.exists() and path.stat().st_size > 10_000, path
    print(f"screenshots in {browser.shots}")
    if os.environ.get("LSR_SIM_UPDATE_SCREENSHOTS") == "1":
        target = ROOT / "docs" / "img"
        target.mkdir(parents=True, exist_ok=True)
        for name in README_SHOTS:
            shutil.copyfile(browser.shots / name, target / name)
        print(f"copied {', '.join(README_SHOTS)} to {target}")
    text = browser.page.locator("body").inner_text()
    for leftover in LEFTOVERS:
        assert leftover not in text, leftover
    server.process.send_signal(signal.SIGINT)  # what Ctrl-C in a terminal sends
    assert server.process.wait(timeout=60) == 0
    output = server.output()
    assert "dashboard stopped" in output
    assert "Traceback" not in output, output
    assert "Could not load URL" not in output  # no CDN needed, ever
