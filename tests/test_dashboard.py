"""The dashboard, in process: its model, its parameters, its page, the command and the server.

These checks pass even when a browser would show an empty main panel; the real browser
test is ``tests/test_dashboard_browser.py``.
"""

from __future__ import annotations

import inspect
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest
from matplotlib.figure import Figure

from lsr_sim.cli import main
from lsr_sim.dashboard.model import (
    DashboardModel,
    Knobs,
    apply_knobs,
    default_knobs,
    scenario_choices,
)
from lsr_sim.dashboard.server import (
    HOST,
    _stop_with_parent,
    check_port,
    server_env,
    solara_command,
)
from lsr_sim.errors import InputError, ScenarioError
from lsr_sim.model import NegotiationModel
from lsr_sim.scenario import load_scenario

if TYPE_CHECKING:
    import ipywidgets as w

# Solara, its widgets and Mesa's visualization take seconds to import: the tests of the page
# import them when they run, so that collecting the test suite stays quick.

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
VARIANTS = sorted(p.name for p in (ROOT / "scenarios" / "variants").glob("*.yaml"))


# ------------------------------------------------------------------------------- the model


def test_choices_are_the_scenario_then_its_variants() -> None:
    choices = scenario_choices(BASELINE)
    assert list(choices) == ["baseline.yaml", *(f"variants/{name}" for name in VARIANTS)]
    assert all(path.exists() for path in choices.values())
    # A variant opened directly offers its neighbours.
    variant = ROOT / "scenarios" / "variants" / VARIANTS[0]
    assert list(scenario_choices(variant)) == VARIANTS


def test_knobs_map_onto_the_scenario() -> None:
    base = load_scenario(BASELINE)
    assert default_knobs(base) == Knobs(mediation=0.7, veto_strength=1.5, trust_decay=0.01)
    new = apply_knobs(base, Knobs(mediation=0.25, veto_strength=2.5, trust_decay=0.05))
    assert new.actors["Riyadh"].capability == 0.25  # the mediator
    assert new.dynamics.veto_strength == 2.5
    assert new.dynamics.trust_decay == 0.05
    assert base.actors["Riyadh"].capability == 0.7  # the original is untouched
    # Everything else is unchanged.
    assert new.actors["Hezbollah"] == base.actors["Hezbollah"]
    assert new.events == base.events and new.network == base.network


def test_a_knob_out_of_range_is_refused_with_the_field() -> None:
    base = load_scenario(BASELINE)
    with pytest.raises(ScenarioError, match=r"actors\.Riyadh\.capability"):
        apply_knobs(base, Knobs(mediation=0.0, veto_strength=1.0, trust_decay=0.01))
    with pytest.raises(InputError, match="seed"):
        DashboardModel("baseline.yaml", str(BASELINE.parent), seed=-1)


def test_dashboard_model_takes_the_sidebar_values() -> None:
    model = DashboardModel(
        "variants/riyadh_steps_back.yaml",
        str(BASELINE.parent),
        mediation=0.30000000000000004,  # what a slider at 0.3 can send
        veto_strength=2.0,
        trust_decay=0.02,
        seed=5,
    )
    assert model.spec.name == "riyadh_steps_back"
    assert model.spec.actors["Riyadh"].capability == 0.3
    assert model.spec.dynamics.veto_strength == 2.0
    assert model.spec.dynamics.trust_decay == 0.02
    assert model.knobs.seed == 5
    # Seed 0 (the slider's start) means the scenario's own seed.
    assert DashboardModel("baseline.yaml", str(BASELINE.parent)).knobs.seed == 20241208


def test_dashboard_model_gives_the_library_s_numbers() -> None:
    dashboard = DashboardModel("baseline.yaml", str(BASELINE.parent))
    plain = NegotiationModel(load_scenario(BASELINE), rng=20241208)
    for _ in range(12):
        dashboard.step()
        plain.step()
    np.testing.assert_array_equal(dashboard.trust, plain.trust)
    assert dashboard.event_log == plain.event_log
    assert dashboard.date == plain.date


def test_dashboard_model_stops_at_the_last_step() -> None:
    model = DashboardModel("baseline.yaml", str(BASELINE.parent))
    assert model.running
    while model.running and model.steps < 1000:
        model.step()
    assert model.steps == model.spec.run.steps == 160


# ------------------------------------------------------------------------------- parameters


def test_model_params_are_the_model_s_arguments_with_the_scenario_s_values() -> None:
    from mesa.visualization import Slider
    from mesa.visualization.solara_viz import _check_model_params

    from lsr_sim.dashboard.app import model_params

    params = model_params(BASELINE)
    signature = inspect.signature(DashboardModel.__init__).parameters
    assert set(params) <= set(signature)
    assert "scenario" not in signature  # Mesa's Reset would pass its own Scenario object
    assert params["scenario_dir"] == str(BASELINE.parent)
    select = params["scenario_file"]
    assert select["type"] == "Select" and select["value"] == "baseline.yaml"
    assert select["values"] == list(scenario_choices(BASELINE))
    for name, value in [("mediation", 0.7), ("veto_strength", 1.5), ("trust_decay", 0.01)]:
        slider = params[name]
        assert isinstance(slider, Slider) and slider.is_float_slider
        assert slider.value == value and slider.min <= value <= slider.max
    assert params["seed"].value == 0 and not params["seed"].is_float_slider
    assert "Riyadh" in params["mediation"].label and "Hezbollah" in params["veto_strength"].label
    _check_model_params(DashboardModel.__init__, params)  # Mesa's own check


def test_mesa_reset_builds_the_model_from_the_inputs() -> None:
    from mesa.visualization.solara_viz import _build_model_init_kwargs

    from lsr_sim.dashboard.app import initial_kwargs, model_params

    params = model_params(BASELINE)
    model = DashboardModel(**initial_kwargs(params))
    chosen = {
        **initial_kwargs(params),
        "mediation": 0.4,
        "scenario_file": "variants/" + VARIANTS[1],
    }
    # What SolaraViz's Reset button does (mesa.visualization.solara_viz.ModelController).
    kwargs = _build_model_init_kwargs(
        model, chosen, add_scenario_when_empty=True, require_model_accepts_scenario=True
    )
    assert "scenario" not in kwargs
    again = type(model)(**kwargs)
    assert again.spec.name == Path(VARIANTS[1]).stem
    assert again.knobs.mediation == 0.4


def test_a_variant_that_does_not_load_is_left_out(tmp_path: Path) -> None:
    from lsr_sim.dashboard.app import model_params

    (tmp_path / "variants").mkdir()
    base = tmp_path / "base.yaml"
    base.write_text(BASELINE.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "variants" / "broken.yaml").write_text("name: [\n", encoding="utf-8")
    (tmp_path / "variants" / "ok.yaml").write_text(
        "extends: ../base.yaml\nname: ok\n", encoding="utf-8"
    )
    assert model_params(base)["scenario_file"]["values"] == ["base.yaml", "variants/ok.yaml"]


# ------------------------------------------------------------------------------- the page


def _widgets(root: w.Widget) -> Iterator[w.Widget]:
    """Every widget under `root`, including the items of Solara's draggable grid."""
    import ipywidgets as w

    yield root
    for name in ("children", "items"):
        kids = getattr(root, name, None)
        if isinstance(kids, list | tuple):
            for kid in kids:
                if isinstance(kid, w.Widget):
                    yield from _widgets(kid)


def _with_class(root: w.Widget, name: str) -> list[Any]:
    found = []
    for x in _widgets(root):
        classes = (getattr(x, "class_", None) or "").split() + list(getattr(x, "_dom_classes", ()))
        if name in classes:
            found.append(x)
    return found


def _text(root: w.Widget, name: str) -> str:
    (widget,) = _with_class(root, name)
    return "".join(str(c) for c in widget.children)


def _pngs(root: w.Widget) -> list[bytes]:
    return [bytes(x.value) for x in _with_class(root, "lsr-figure")]


def _click(root: w.Widget, label: str) -> None:
    import ipyvuetify as v

    (button,) = [x for x in _widgets(root) if isinstance(x, v.Btn) and x.children == [label]]
    button.click()


def _slider(root: w.Widget, label: str) -> Any:
    import ipyvuetify as v

    (slider,) = [x for x in _widgets(root) if isinstance(x, v.Slider) and x.label == label]
    return slider


@pytest.fixture(scope="module")
def page() -> Iterator[w.Widget]:
    import solara

    from lsr_sim.dashboard.app import make_page

    # AppLayout is what `solara run` wraps a page in; without it the sidebar is not rendered.
    box, rc = solara.render(solara.AppLayout(children=[make_page(BASELINE)]), handle_error=False)
    try:
        yield box
    finally:
        rc.close()


def test_page_renders_the_panels_with_the_start(page: w.Widget) -> None:
    for name in ("lsr-status", "lsr-network", "lsr-trust", "lsr-issues", "lsr-quantities"):
        assert len(_with_class(page, name)) == 1, name
    assert _text(page, "lsr-date") == "2024-12-08"
    assert "week 0 of 160" in _text(page, "lsr-step")
    pngs = _pngs(page)
    assert len(pngs) == 4 and all(p.startswith(b"\x89PNG") and len(p) > 10_000 for p in pngs)


def test_page_step_and_reset_with_new_values(page: w.Widget) -> None:
    import ipyvuetify as v

    before = _pngs(page)
    _click(page, "Step")
    assert _text(page, "lsr-date") == "2024-12-15"
    after = _pngs(page)
    assert all(a != b for a, b in zip(before, after, strict=True))
    _slider(page, "Riyadh's mediation strength").v_model = 0.45
    _slider(page, "Seed (0: the scenario's)").v_model = 9
    (select,) = [x for x in _widgets(page) if isinstance(x, v.Select)]
    select.v_model = "variants/hezbollah_weakened.yaml"
    assert "strength 0.70" in _text(page, "lsr-knobs")  # nothing changes before Reset
    _click(page, "Reset")
    assert _text(page, "lsr-date") == "2024-12-08"
    assert "scenario hezbollah_weakened" in _text(page, "lsr-step")
    knobs = _text(page, "lsr-knobs")
    assert "mediation strength 0.45" in knobs and "seed 9" in knobs, knobs


# ------------------------------------------------------------------------------- figures


def test_figures_draw_the_run_so_far_deterministically() -> None:
    from lsr_sim.dashboard import components

    model = DashboardModel("baseline.yaml", str(BASELINE.parent))
    for _ in range(30):
        model.step()
    draw = (
        components.network_figure,
        components.trust_figure,
        components.issues_figure,
        components.quantities_figure,
    )
    for fn in draw:
        fig = fn(model)
        assert isinstance(fig, Figure) and fig.axes, fn.__name__
        assert components.figure_png(fig) == components.figure_png(fn(model)), fn.__name__
    # Time axes span the whole run, so the picture fills in as the model steps.
    ax = components.trust_figure(model).axes[0]
    assert ax.get_xlim()[1] - ax.get_xlim()[0] == pytest.approx(160 * 7)


def test_status_shows_date_quantities_and_events_escaped() -> None:
    from lsr_sim.dashboard import components

    model = DashboardModel("baseline.yaml", str(BASELINE.parent))
    for _ in range(20):
        model.step()
    info = components.status_lines(model)
    assert info["date"] == "2025-04-27" and info["step"] == 20 and info["steps"] == 160
    assert [q[0] for q in info["quantities"]][:2] == ["officers: officers", "detainees: convicted"]
    assert any("saudi_meeting_march" in text for _, text in info["events"])
    info["description"] = "<script>alert(1)</script>"
    html = components.status_html(info)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "370 prisoners" in html


# ------------------------------------------------------------------------------- command and server


def test_cli_dashboard_refuses_a_missing_scenario(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dashboard", "missing.yaml"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "error: missing.yaml: file not found; check the path"
    assert len(err.splitlines()) == 1


def test_cli_dashboard_refuses_a_bad_scenario_naming_the_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"extends: {BASELINE}\nrun: {{steps: -3}}\n", encoding="utf-8")
    assert main(["dashboard", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {bad}: run.steps") and len(err.strip().splitlines()) == 1


def test_cli_dashboard_refuses_a_busy_port(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind((HOST, 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["dashboard", str(BASELINE), "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: command line: --port: cannot listen on 127.0.0.1:{port}")
    assert main(["dashboard", "--port", "0"]) == 2  # argparse: must be > 0
    with pytest.raises(InputError, match="--port"):
        check_port(70000)


def test_server_command_binds_loopback_only() -> None:
    command = solara_command(8765)
    assert command[:5] == [sys.executable, "-m", "solara", "run", "lsr_sim.dashboard.app"]
    assert command[command.index("--host") + 1] == "127.0.0.1"
    assert "0.0.0.0" not in command and "--production" in command
    assert "--no-open" in command and "--no-check-version" in command
    env = server_env(BASELINE, base={"PYTHONWARNINGS": "default"})
    assert env["LSR_SIM_DASHBOARD_SCENARIO"] == str(BASELINE)
    assert env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "False"
    assert env["PYTHONWARNINGS"].startswith("default,")


# A stand-in for `solara run`: listens on 127.0.0.1 until SIGTERM, like uvicorn.
_FAKE_SERVER = """
import signal, socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen()
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
signal.pause()
"""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _start_dashboard(port: int) -> subprocess.Popen[str]:
    """`serve` (what ``lsr-sim dashboard`` runs) with `_FAKE_SERVER` for Solara, in a session
    of its own, once it has printed that the dashboard is ready."""
    fake = [sys.executable, "-c", _FAKE_SERVER, str(port)]
    code = (
        "import sys; from lsr_sim.dashboard.server import serve; "
        f"sys.exit(serve({str(BASELINE)!r}, {port}, command={fake!r}))"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline(), process.stdout.readline()]
        assert (
            lines[1].strip() == f"dashboard ready: open http://127.0.0.1:{port} (Ctrl-C stops it)"
        )
    except BaseException:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise
    return process


def _port_freed(port: int, timeout: float) -> bool:
    """Wait up to `timeout` seconds for nothing to listen on `port`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            check_port(port)
            return True
        except InputError:
            time.sleep(0.2)
    return False


@pytest.mark.parametrize("how", ["ctrl-c", "sigterm"])
def test_ctrl_c_stops_the_server_cleanly(how: str) -> None:
    port = _free_port()
    process = _start_dashboard(port)
    try:
        if how == "ctrl-c":  # a terminal sends SIGINT to its foreground process group
            os.killpg(process.pid, signal.SIGINT)
        else:
            process.terminate()
        out, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == 0
    assert out.strip() == "dashboard stopped", out
    assert _port_freed(port, timeout=10), f"port {port} still in use: the child was left running"


def _proc_stat(pid: int) -> tuple[str, int, int] | None:
    """State, parent pid and start time of process `pid` from /proc; None if it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    fields = stat.rpartition(")")[2].split()  # after "pid (comm)": comm may hold anything
    return fields[0], int(fields[1]), int(fields[19])


def _children(pid: int) -> list[tuple[int, int]]:
    """(pid, start time) of each live child of `pid`, scanning /proc (the kernel's own
    ``/proc/<pid>/task/<pid>/children`` needs CONFIG_PROC_CHILDREN, which not every kernel has)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _proc_stat(int(entry.name))) is not None:
            state, parent, start = stat
            if parent == pid and state != "Z":
                found.append((int(entry.name), start))
    return found


def _running(pid: int, start: int) -> bool:
    """Whether process `pid`, started at `start`, still runs (a zombie has stopped)."""
    stat = _proc_stat(pid)
    return stat is not None and stat[2] == start and stat[0] != "Z"


_LINUX_ONLY = pytest.mark.skipif(
    not sys.platform.startswith("linux"),
    reason="needs Linux's prctl(PR_SET_PDEATHSIG); elsewhere the server outlives a SIGKILL",
)


@_LINUX_ONLY
def test_killing_the_command_outright_stops_the_server() -> None:
    port = _free_port()
    process = _start_dashboard(port)
    child: int | None = None
    start = 0
    try:
        (child, start), *others = _children(process.pid)
        assert not others, others
        os.kill(process.pid, signal.SIGKILL)  # no signal handler of serve() can run
        process.wait(timeout=10)
        deadline = time.monotonic() + 30
        while _running(child, start) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _running(child, start), "the server's child outlived `lsr-sim dashboard`"
        assert _port_freed(port, timeout=10), f"port {port} still in use"
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        if child is not None and _running(child, start):  # without the fix: the orphan
            os.killpg(child, signal.SIGKILL)  # it leads a process group of its own
        assert process.stdout is not None
        process.stdout.close()


@_LINUX_ONLY
def test_the_server_does_not_start_when_its_parent_is_already_gone() -> None:
    # The child prints the signal the kernel will send it when its parent dies (PR_GET_PDEATHSIG).
    show = (
        "import ctypes; sig = ctypes.c_int(-1); "
        "ctypes.CDLL(None).prctl(2, ctypes.byref(sig)); print(sig.value)"
    )
    done = subprocess.run(
        _stop_with_parent([sys.executable, "-c", show]), capture_output=True, text=True, timeout=60
    )
    assert (done.returncode, done.stdout) == (0, f"{int(signal.SIGTERM)}\n"), done.stderr
    # A parent pid other than the child's is what the wrapper sees when the parent died before
    # prctl took effect: then it stops itself instead of running the server as an orphan.
    gone = _stop_with_parent([sys.executable, "-c", show], parent=os.getppid())
    done = subprocess.run(gone, capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout) == (-signal.SIGTERM, ""), done.stderr


def test_importing_builds_nothing_and_the_cli_does_not_import_solara() -> None:
    code = (
        "import sys, lsr_sim.cli, lsr_sim.dashboard.server\n"
        "assert not {'solara', 'mesa'} & set(sys.modules), 'lsr-sim --help would be slow'\n"
        "import lsr_sim.dashboard.app  # must not read the (missing) scenario on import\n"
    )
    env = {**os.environ, "LSR_SIM_DASHBOARD_SCENARIO": "no/such/file.yaml"}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
