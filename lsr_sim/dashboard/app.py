"""The dashboard page, in Solara: a run you play, rewind, compare, put in its ensemble, export.

``lsr-sim dashboard`` serves :data:`Page` (see :mod:`lsr_sim.dashboard.server`); the scenario
file comes from ``LSR_SIM_DASHBOARD_SCENARIO`` (default ``scenarios/baseline.yaml``) and, with
its variants, makes the fixed list of scenarios the page offers
(:class:`~lsr_sim.dashboard.model.Catalog`). Importing this module builds nothing.

The page is Solara's own, not Mesa's SolaraViz: SolaraViz re-renders every component on
every step (four matplotlib figures, 1.3 to 4 s a week) and brings controls that mean
nothing here (page tabs, a model clock, threads). Here:

- the sidebar holds Reset, Play/Pause, Step and End, the play speed (live), and the model's
  parameters (on Reset; the page says which changed). Reset keeps the edited values and the
  seed; a run stops exactly at its last step and says so;
- the **Run** tab shows the status, the latest events and four charts drawn in the browser
  (ECharts, see :mod:`lsr_sim.dashboard.views`); the page pushes each frame's data straight
  into the chart widgets, so playing costs a few milliseconds of Python per frame, and it
  advances by the clock (``speed`` weeks per second) whatever a frame takes. A Rewind slider
  scrubs over the weeks recorded, without re-running;
- **Compare**, **Ensemble**, **Export** and **Load scenario** tabs.

Panels carry CSS classes (``lsr-panel``, ``lsr-<name>``) that the browser test looks for.
"""

from __future__ import annotations

import functools
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any, cast

import ipyvuetify as v
import ipywidgets as w
import solara
import solara.lab
from ipyvuetify.extra import FileInput
from solara.components.echarts import EchartsWidget

from lsr_sim.dashboard import SCENARIO_ENV
from lsr_sim.dashboard.ensemble import Ensemble, outcomes, run_ensemble
from lsr_sim.dashboard.export import EXPORTS, export_bytes, export_filename, reproduce_command
from lsr_sim.dashboard.model import (
    DEFAULT_SCENARIO,
    UPLOAD_PREFIX,
    Catalog,
    Knobs,
    LiveRun,
    default_knobs,
    mediators,
    scenario_from_upload,
    upload_name,
)
from lsr_sim.dashboard.views import (
    RunView,
    compare_option,
    events_html,
    fan_option,
    issues_option,
    network_option,
    quantities_option,
    status_html,
    trust_option,
)
from lsr_sim.dashboard.widgets import FrameClock
from lsr_sim.errors import InputError
from lsr_sim.experiment import summary_row
from lsr_sim.limits import MAX_FILE_BYTES
from lsr_sim.scenario import Scenario

__all__ = [
    "CHART_HEIGHT",
    "DEFAULT_SPEED",
    "MAX_COMPARE",
    "MAX_SPEED",
    "Page",
    "Session",
    "catalog_for",
    "scenario_path",
]

#: Weeks per second that Play advances by default, and at most.
DEFAULT_SPEED = 10
MAX_SPEED = 50
#: Height of a chart panel.
CHART_HEIGHT = 400
#: Runs that Compare draws together at most.
MAX_COMPARE = 4
_TABS = ("Run", "Compare", "Ensemble", "Export", "Load scenario")


def scenario_path() -> Path:
    """The scenario file named by ``LSR_SIM_DASHBOARD_SCENARIO`` (default the baseline)."""
    return Path(os.environ.get(SCENARIO_ENV) or DEFAULT_SCENARIO)


@functools.lru_cache(maxsize=4)
def catalog_for(path: str) -> Catalog:
    """The scenarios offered for `path`, loaded once per server (every page shares them)."""
    catalog = Catalog.from_path(path)
    for label, message in catalog.left_out.items():
        print(f"note: leaving out {label}: {message}")
    return catalog


def _knob_text(live: LiveRun) -> str:
    k = live.knobs
    who = " and ".join(mediators(live.scenario)) or "mediators"
    return (
        f"{who}'s mediation strength {k.mediation:.2f} · veto strength {k.veto_strength:.2f}"
        f" · trust memory {k.trust_memory:.2f} · seed {live.seed}"
    )


def _chart(name: str, height: int = CHART_HEIGHT) -> EchartsWidget:
    return EchartsWidget(
        option={},
        attributes={"style": f"height: {height}px; width: 100%", "class": f"lsr-chart-{name}"},
        responsive=True,
    )


@dataclass
class Compared:
    """One run of a comparison: its label, settings and what it gave."""

    label: str
    knobs: Knobs


class Session:
    """The state of one browser page: its run, its widgets and what it computed.

    The chart, status and events widgets are made once and updated in place by
    :meth:`draw` (setting a widget's value sends only that value to the browser), from the
    play loop's thread or the page's; one lock keeps the two from drawing at once.
    """

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.uploads: dict[str, Scenario] = {}
        self.lock = threading.RLock()
        first = catalog.first
        self.live = LiveRun(first, catalog[first], default_knobs(catalog[first]))
        self.view_week: int | None = None  # None: follow the run; else Rewind's week
        self.frames = 0
        self.ensemble: tuple[tuple[str, Knobs, int], Ensemble] | None = None
        self.compared: list[Compared] = []
        self.compare_views: list[tuple[str, RunView, dict[str, Any]]] = []
        self.date = w.HTML(_dom_classes=["lsr-date"], layout={"margin": "0"})
        self.step = w.HTML(_dom_classes=["lsr-step"], layout={"margin": "0"})
        self.status = w.HTML(_dom_classes=["lsr-status-body"])
        self.events = w.HTML(_dom_classes=["lsr-events-body"])
        self.rewind = v.Slider(
            v_model=0,
            min=0,
            max=0,
            step=1,
            thumb_label="always",
            hide_details=True,
            class_="lsr-rewind mt-6",
            label="Rewind (week)",
        )
        self.rewind.observe(self._on_rewind, "v_model")
        self.charts = {name: _chart(name) for name in ("network", "trust", "issues", "quantities")}
        self.clock = FrameClock()
        self.fan = _chart("fan", 300)
        self.compare = _chart("compare", 300)
        self.on_rewind: Callable[[], None] | None = None  # the page pauses Play on a scrub
        self._drawing = False
        self.draw()

    # -- the scenarios -----------------------------------------------------------------
    def labels(self) -> list[str]:
        """The scenarios this page offers: the catalog's, then this page's uploads."""
        return [*self.catalog, *self.uploads]

    def scenario(self, label: str) -> Scenario:
        """The scenario called `label` (an upload of this page, or one of the catalog)."""
        if label in self.uploads:
            return self.uploads[label]
        return self.catalog.scenario(label)

    # -- the run -------------------------------------------------------------------------
    def reset(self, label: str, knobs: Knobs) -> None:
        """A new run of `label` with `knobs`, at week 0."""
        live = LiveRun(label, self.scenario(label), knobs)
        with self.lock:
            self.live = live
            self.view_week = None
        self.draw()

    def advance(self, steps: int) -> int:
        """Run up to `steps` more weeks (never past the end), follow the run, draw."""
        done = self.live.advance(steps)
        with self.lock:
            self.view_week = None
        self.draw()
        return done

    def _on_rewind(self, change: dict[str, Any]) -> None:
        if self._drawing:  # our own update of the slider, not the student's
            return
        week = int(change["new"])
        with self.lock:
            self.view_week = None if week >= self.live.week else week
        if self.on_rewind is not None:
            self.on_rewind()
        self.draw()

    def view(self) -> RunView:
        """What the panels show: the run so far, or cut at Rewind's week."""
        with self.lock:
            full = RunView.of(self.live.model)
            return full if self.view_week is None else full.at(self.view_week)

    def draw(self) -> None:
        """Update every panel of the Run tab (and the fan chart's current run)."""
        with self.lock:
            view = self.view()
            live = self.live
            self._drawing = True
            try:
                self.rewind.max = live.week
                self.rewind.v_model = view.week
            finally:
                self._drawing = False
            rewound = view.week < live.week
            self.date.value = str(live.scenario.run.date_of(view.week))
            note = f" · rewound (the run is at week {live.week})" if rewound else ""
            self.step.value = (
                f"week {view.week} of {live.total} · scenario {live.scenario.name}{note}"
            )
            self.status.value = status_html(view, _knob_text(live))
            self.events.value = events_html(view)
            self.charts["network"].option = network_option(view)
            self.charts["trust"].option = trust_option(view)
            self.charts["issues"].option = issues_option(view)
            self.charts["quantities"].option = quantities_option(view)
            if self.ensemble is not None:
                self._draw_fan(view)
            self.frames += 1

    # -- ensemble --------------------------------------------------------------------------
    def settings(self) -> tuple[str, Knobs, int]:
        """What identifies the run's setup: scenario label, knobs, seed."""
        return (self.live.label, self.live.knobs, self.live.seed)

    def compute_ensemble(self, runs: int) -> Ensemble:
        """`runs` runs of the current setup by the batch engine (seeds from the run's)."""
        key = self.settings()
        ensemble = run_ensemble(self.live.scenario, self.live.seed, runs)
        with self.lock:
            self.ensemble = (key, ensemble)
        self.draw()
        return ensemble

    def _draw_fan(self, view: RunView) -> None:
        assert self.ensemble is not None
        _, ensemble = self.ensemble
        history = self.live.history()
        current = {
            label: values[0, : view.week + 1]
            for label, values in outcomes(history, self.live.scenario).items()
        }
        full = RunView.of(self.live.model)
        dates = [full.date_ms(i) for i in range(ensemble.steps + 1)]
        option, height = fan_option(dates, ensemble.bands, current, ensemble.runs)
        self.fan.attributes = {**self.fan.attributes, "style": f"height: {height}px; width: 100%"}
        self.fan.option = option

    # -- compare ---------------------------------------------------------------------------
    def compare_runs(self, progress: Callable[[str], None]) -> None:
        """Run each compared setup to its end with the current seed and draw them together."""
        seed = self.live.seed
        done: list[tuple[str, RunView, dict[str, Any]]] = []
        for i, item in enumerate(self.compared):
            progress(f"running {i + 1} of {len(self.compared)}: {item.label} ...")
            knobs = Knobs(
                item.knobs.mediation, item.knobs.veto_strength, item.knobs.trust_memory, seed
            )
            run = LiveRun(item.label, self.scenario(item.label), knobs)
            run.advance(run.total)
            row = summary_row(run.model, seed=seed, steps=run.total)
            name = f"{i + 1}. {item.label} ({_short(item.knobs, self.scenario(item.label))})"
            done.append((name, RunView.of(run.model), row))
        option, height = compare_option([(name, view) for name, view, _ in done])
        with self.lock:
            self.compare_views = done
        self.compare.attributes = {
            **self.compare.attributes,
            "style": f"height: {height}px; width: 100%",
        }
        self.compare.option = option


def _short(knobs: Knobs, scenario: Scenario) -> str:
    """The knobs that differ from the scenario's own values, briefly."""
    changed = default_knobs(scenario).changes(
        Knobs(knobs.mediation, knobs.veto_strength, knobs.trust_memory)
    )
    return ", ".join(changed) if changed else "its own values"


# ------------------------------------------------------------------------------- sidebar


@solara.component
def RunControls(
    session: Session,
    playing: solara.Reactive[bool],
    finished: solara.Reactive[bool],
    on_reset: Callable[[], None],
    on_moved: Callable[[], None],
) -> None:
    """Reset, Play/Pause, Step and End, the date and the week, and "run finished"."""

    def step() -> None:
        session.advance(1)
        finished.set(session.live.finished)
        on_moved()

    def to_end() -> None:
        session.advance(session.live.total)
        finished.set(True)
        on_moved()

    with solara.Card("Run", classes=["lsr-run-card"]):
        solara.Column(children=[session.date, session.step], gap="0px", style={"font-size": "1em"})
        with solara.Row(gap="6px", style={"flex-wrap": "wrap", "margin-top": "8px"}):
            solara.Button("Reset", color="primary", on_click=on_reset, classes=["lsr-reset"])
            solara.Button(
                "❚❚ Pause" if playing.value else "▶ Play",
                color="primary",
                on_click=lambda: playing.set(not playing.value),
                disabled=finished.value,
                classes=["lsr-play"],
            )
            solara.Button(
                "Step",
                color="primary",
                on_click=step,
                disabled=playing.value or finished.value,
                classes=["lsr-step-button"],
            )
            solara.Button(
                "End",
                on_click=to_end,
                disabled=playing.value or finished.value,
                classes=["lsr-end"],
            )
        if finished.value:
            live = session.live
            solara.Info(
                f"Run finished: week {live.total} of {live.total} ({live.date}), the scenario's "
                "last step. Reset starts it again from week 0 with the settings below.",
                classes=["lsr-finished"],
                dense=True,
            )


@solara.component
def Parameters(
    session: Session,
    label: solara.Reactive[str],
    knobs: solara.Reactive[Knobs],
    speed: solara.Reactive[int],
    revision: int,
) -> None:
    """The play speed (live) and the model's parameters (on Reset), each with its value.

    `revision` changes whenever the run does (Reset, Step, Pause): the page re-renders these
    panels only when an argument changes, and they compare the sidebar with the run.
    """
    scenario = session.scenario(label.value)
    k = knobs.value

    def choose(new: str) -> None:
        # A scenario brings its own values; the seed stays.
        label.set(new)
        base = default_knobs(session.scenario(new))
        knobs.set(Knobs(base.mediation, base.veto_strength, base.trust_memory, k.seed))

    def set_knob(name: str) -> Callable[[float], None]:
        def update(value: float) -> None:
            new = {"mediation": k.mediation, "veto_strength": k.veto_strength}
            new["trust_memory"] = k.trust_memory
            if name != "seed":
                new[name] = value
            seed = int(value) if name == "seed" else k.seed
            knobs.set(Knobs(new["mediation"], new["veto_strength"], new["trust_memory"], seed))

        return update

    with solara.Card("Live", classes=["lsr-live-card"]):
        solara.SliderInt(
            f"Play speed: {speed.value} weeks per second",
            value=speed,
            min=1,
            max=MAX_SPEED,
            thumb_label="always",
        )
        solara.Text("Takes effect at once, also while playing.", style={"font-size": "0.8em"})
    who = " and ".join(mediators(scenario)) or "mediator"
    spoilers = [n for n, a in scenario.actors.items() if a.role == "spoiler"]
    veto = f"Veto strength ({' and '.join(spoilers)})" if spoilers else "Veto strength"
    with solara.Card("On Reset", classes=["lsr-params-card"]):
        solara.Text("These take effect when you press Reset.", style={"font-size": "0.8em"})
        solara.Select(
            "Scenario",
            values=session.labels(),
            value=label.value,
            on_value=choose,
            classes=["lsr-scenario"],
        )
        sliders = (
            ("mediation", f"{who}'s mediation strength: {k.mediation:.2f}", 0.05, 1.0, 0.05),
            ("veto_strength", f"{veto}: {k.veto_strength:.1f}", 0.0, 3.0, 0.1),
            ("trust_memory", f"Trust memory per week: {k.trust_memory:.2f}", 0.8, 1.0, 0.01),
        )
        for name, text, low, high, step in sliders:
            solara.SliderFloat(
                text,
                value=getattr(k, name),
                min=low,
                max=high,
                step=step,
                on_value=set_knob(name),
                thumb_label="always",
            )
        own = scenario.run.seed
        solara.SliderInt(
            f"Seed: {k.seed or own}" + (" (the scenario's own)" if not k.seed else ""),
            value=k.seed,
            min=0,
            max=100,
            on_value=set_knob("seed"),
            thumb_label="always",
        )
        live = session.live
        pending = [f"scenario {live.label} → {label.value}"] if label.value != live.label else []
        pending += live.knobs.changes(k)
        if pending:
            solara.Warning(
                "Press Reset to apply: " + "; ".join(pending), dense=True, classes=["lsr-pending"]
            )
        else:
            solara.Text(
                "In effect in the current run.",
                classes=["lsr-in-effect"],
                style={"font-size": "0.8em"},
            )


# ------------------------------------------------------------------------------- main tabs


@solara.component
def RunTab(session: Session) -> None:
    """The status, the latest events, the Rewind slider and the four charts."""
    with solara.Columns([1, 1]):
        with solara.Card(
            "Status", classes=["lsr-panel", "lsr-status"], style={"min-height": "190px"}
        ):
            solara.Column(children=[session.status])
        with solara.Card(
            "Latest events",
            classes=["lsr-panel", "lsr-latest-events"],
            style={"min-height": "190px"},
        ):
            solara.Column(children=[session.events])
    solara.Column(children=[session.rewind], style={"padding": "0 16px"})
    solara.Text(
        "Drag to look back over the weeks run so far (nothing is re-run); Play or "
        "Step returns to the latest week.",
        style={"font-size": "0.8em", "padding": "0 16px"},
    )
    for pair in (("network", "trust"), ("issues", "quantities")):
        with solara.Columns([1, 1]):
            for name in pair:
                solara.Column(
                    children=[session.charts[name]],
                    classes=["lsr-panel", f"lsr-{name}"],
                    style={"padding": "4px"},
                )


@solara.component
def CompareTab(
    session: Session, label: solara.Reactive[str], knobs: solara.Reactive[Knobs], revision: int
) -> None:
    """Up to four setups, run with the current seed and drawn together on one date axis."""
    version = solara.use_reactive(0)  # re-render after the list changes
    trigger = solara.use_reactive(0)
    message = solara.use_reactive("")

    def add() -> None:
        if len(session.compared) < MAX_COMPARE:
            session.compared.append(Compared(label.value, knobs.value))
            version.set(version.value + 1)

    def add_variants() -> None:
        for name in session.labels():
            if len(session.compared) >= MAX_COMPARE:
                break
            if all(c.label != name for c in session.compared):
                session.compared.append(Compared(name, default_knobs(session.scenario(name))))
        version.set(version.value + 1)

    def clear() -> None:
        session.compared.clear()
        session.compare_views = []
        version.set(version.value + 1)

    def work(cancel: threading.Event) -> None:
        if trigger.value == 0:
            return
        began = time.perf_counter()
        session.compare_runs(message.set)
        message.set(
            f"{len(session.compared)} runs with seed {session.live.seed} in "
            f"{time.perf_counter() - began:.1f} s"
        )
        version.set(version.value + 1)

    result = solara.use_thread(work, dependencies=[trigger.value], intrusive_cancel=False)
    busy = result.state == solara.ResultState.RUNNING
    _ = version.value
    with solara.Card("Compare runs", classes=["lsr-compare-card"]):
        solara.Text(
            f"Two to {MAX_COMPARE} setups, each run to its end with the same seed "
            f"({session.live.seed}, the current run's). Set the sidebar, then add it."
        )
        with solara.Row(gap="6px", style={"flex-wrap": "wrap"}):
            solara.Button(
                "Add the sidebar's settings",
                on_click=add,
                classes=["lsr-compare-add"],
                disabled=busy or len(session.compared) >= MAX_COMPARE,
            )
            solara.Button(
                "Add the variants",
                on_click=add_variants,
                classes=["lsr-compare-variants"],
                disabled=busy or len(session.compared) >= MAX_COMPARE,
            )
            solara.Button("Clear", on_click=clear, disabled=busy, classes=["lsr-compare-clear"])
            solara.Button(
                "Compare",
                color="primary",
                classes=["lsr-compare-run"],
                on_click=lambda: trigger.set(trigger.value + 1),
                disabled=busy or len(session.compared) < 2,
            )
        solara.HTML(unsafe_innerHTML=_compare_list(session), classes=["lsr-compare-setups"])
        if message.value:
            solara.Text(message.value, classes=["lsr-compare-message"])
        if result.error:
            solara.Error(f"error: {result.error}", classes=["lsr-compare-error"])
    if session.compare_views and not busy:
        solara.HTML(unsafe_innerHTML=_compare_table(session), classes=["lsr-compare-table"])
        solara.Column(children=[session.compare], classes=["lsr-panel", "lsr-compare"])


def _compare_list(session: Session) -> str:
    if not session.compared:
        return "<p>No setups yet.</p>"
    items = "".join(
        f"<li>{escape(c.label)}: {escape(_short(c.knobs, session.scenario(c.label)))}</li>"
        for c in session.compared
    )
    return f"<ol class='lsr-compare-list'>{items}</ol>"


def _compare_table(session: Session) -> str:
    cell = "style='padding: 2px 10px; text-align: left'"
    head = ("run", "rapprochement index", "agreements", "implemented", "collapsed", "vetoes")
    rows = "".join(
        "<tr>"
        + "".join(
            f"<td {cell}>{escape(str(x))}</td>"
            for x in (
                name,
                f"{row['rapprochement_index']:.2f}",
                row["agreements"],
                row["implemented"],
                row["collapsed"],
                row["vetoes"],
            )
        )
        + "</tr>"
        for name, _, row in session.compare_views
    )
    header = "".join(f"<th {cell}>{h}</th>" for h in head)
    return f"<table><tr>{header}</tr>{rows}</table><p>At each run's last week.</p>"


@solara.component
def EnsembleTab(session: Session, revision: int) -> None:
    """A fan chart over a few hundred runs of the current setup, the current run over it."""
    runs = solara.use_reactive(200)
    trigger = solara.use_reactive(0)

    def work(cancel: threading.Event) -> Ensemble | None:
        if trigger.value == 0:
            return None
        return session.compute_ensemble(runs.value)

    result = solara.use_thread(work, dependencies=[trigger.value], intrusive_cancel=False)
    busy = result.state == solara.ResultState.RUNNING
    with solara.Card("Ensemble", classes=["lsr-ensemble-card"]):
        solara.Text(
            "The current setup run many times with other seeds (derived from this "
            "run's), by the batch engine: where does this run fall?"
        )
        solara.SliderInt(
            f"Runs: {runs.value}",
            value=runs,
            min=50,
            max=500,
            step=50,
            thumb_label="always",
            disabled=busy,
        )
        solara.Button(
            "Compute the ensemble",
            color="primary",
            classes=["lsr-ensemble-run"],
            on_click=lambda: trigger.set(trigger.value + 1),
            disabled=busy,
        )
        if busy:
            solara.Text(f"running {runs.value} runs ...", classes=["lsr-ensemble-busy"])
        if result.error:
            solara.Error(f"error: {result.error}", classes=["lsr-ensemble-error"])
        if session.ensemble is not None and not busy:
            key, ens = session.ensemble
            engine = "the batch engine" if ens.engine == "batch" else "the Mesa model"
            solara.Text(
                f"{ens.runs} runs of {ens.steps} weeks by {engine} in "
                f"{ens.seconds:.1f} s (seeds derived from {ens.seed})"
                + (f"; {ens.note}" if ens.note else ""),
                classes=["lsr-ensemble-info"],
            )
            if key != session.settings():
                solara.Warning(
                    "The run now has other settings than this ensemble: compute it "
                    "again to compare like with like.",
                    classes=["lsr-ensemble-stale"],
                )
    if session.ensemble is not None and not busy:
        solara.Column(children=[session.fan], classes=["lsr-panel", "lsr-fan"])


@solara.component
def ExportTab(session: Session, revision: int) -> None:
    """Downloads of the run so far: tables, figures, scenario, manifest, everything."""
    live = session.live
    result_at = live.week
    with solara.Card("Export the run", classes=["lsr-export-card"]):
        solara.Text(
            f"The run so far: {live.scenario.name}, week {result_at} of {live.total}, "
            f"seed {live.seed}. The scenario is exported with the sidebar's values "
            "applied, so this command reproduces the tables:"
        )
        command = " ".join(reproduce_command(live.tables()))
        solara.HTML(tag="pre", unsafe_innerHTML=escape(command), classes=["lsr-export-command"])
        with solara.Row(gap="6px", style={"flex-wrap": "wrap"}):
            for kind, (text, _, mime) in EXPORTS.items():
                solara.FileDownload(
                    functools.partial(_export, session, kind),
                    filename=export_filename(live.tables(), kind),
                    label=text,
                    mime_type=mime,
                    children=[
                        solara.Button(
                            text, icon_name="mdi-download", classes=[f"lsr-export-{kind}"]
                        )
                    ],
                )
        solara.Text(
            "Figures are drawn by the same code as lsr-sim run's (a few seconds).",
            style={"font-size": "0.8em"},
        )


def _export(session: Session, kind: str) -> bytes:
    return export_bytes(session.live.tables(), kind)


@solara.component
def YamlChooser(on_files: Callable[[list[dict[str, Any]]], None]) -> Any:
    """A file chooser for one YAML file; `on_files` gets its file objects (as solara's
    FileDrop wires them: the widget is reached during render, the bytes are read later,
    in a thread, while the browser sends them in chunks)."""
    file_info, set_file_info = solara.use_state(cast(list[dict[str, Any]], []))
    chooser = FileInput.element(
        on_file_info=set_file_info, multiple=False, accept=".yaml,.yml", show_progress=False
    )

    def wire() -> None:
        if not file_info:
            return
        widget = cast(FileInput, solara.get_widget(chooser))
        widget.version += 1
        widget.reset_stats()
        on_files(widget.get_files())

    solara.use_effect(wire, [file_info])
    return chooser


@solara.component
def LoadTab(session: Session, on_loaded: Callable[[str], None]) -> None:
    """Upload a scenario file: checked like ``lsr-sim validate``; a bad one changes nothing."""
    message = solara.use_reactive(("", ""))  # (kind, text)
    chosen, set_chosen = solara.use_state(cast(list[dict[str, Any]], []))

    def read(cancel: threading.Event) -> None:
        if not chosen:
            return
        name = upload_name(str(chosen[0]["name"]))
        # Never more than the cap (and one byte to tell that it is over).
        data = chosen[0]["file_obj"].read(MAX_FILE_BYTES + 1)
        try:
            scenario = scenario_from_upload(data, name, session.catalog)
        except InputError as exc:
            message.set(("error", f"error: {exc}"))
            return
        label = UPLOAD_PREFIX + name
        session.uploads[label] = scenario
        on_loaded(label)
        message.set(
            (
                "ok",
                f"Loaded {name}: scenario {scenario.name!r}, "
                f"{len(scenario.actors)} actors, {len(scenario.issues)} issues, "
                f"{scenario.run.steps} steps. The run starts over with it; it stays "
                "in this page's scenario list.",
            )
        )

    solara.use_thread(read, dependencies=[chosen], intrusive_cancel=False)
    with solara.Card("Load a scenario file", classes=["lsr-load-card"]):
        solara.Text(
            f"A YAML scenario file (at most {MAX_FILE_BYTES // (1024 * 1024)} MB), checked as "
            "lsr-sim validate checks it. It may extend one of this dashboard's "
            f"scenarios ({', '.join(session.catalog)}), e.g. extends: "
            f"{session.catalog.first}."
        )
        with solara.Column(classes=["lsr-upload"]):
            YamlChooser(set_chosen)
        kind, text = message.value
        if kind == "error":
            solara.Error(text, classes=["lsr-upload-error"])
        elif kind == "ok":
            solara.Success(text, classes=["lsr-upload-ok"])


# ------------------------------------------------------------------------------- the page


@solara.component
def Page() -> None:
    """The page ``lsr-sim dashboard`` serves: one :class:`Session` per browser page."""
    catalog = catalog_for(str(scenario_path()))
    session = solara.use_memo(lambda: Session(catalog), [])
    playing = solara.use_reactive(False)
    finished = solara.use_reactive(False)
    speed = solara.use_reactive(DEFAULT_SPEED)
    label = solara.use_reactive(session.live.label)
    knobs = solara.use_reactive(session.live.knobs)
    tab = solara.use_reactive(0)
    revision = solara.use_reactive(0)  # bumps when the run changes (Reset, Step, Pause...)

    def moved() -> None:
        revision.set(revision.value + 1)

    def pause() -> None:
        playing.set(False)

    session.on_rewind = pause

    def reset() -> None:
        playing.set(False)
        session.reset(label.value, knobs.value)
        finished.set(session.live.finished)
        moved()

    def loaded(new: str) -> None:
        playing.set(False)
        label.set(new)
        base = default_knobs(session.scenario(new))
        knobs.set(Knobs(base.mediation, base.veto_strength, base.trust_memory, knobs.value.seed))
        session.reset(new, knobs.value)
        finished.set(session.live.finished)
        moved()

    def play(cancel: threading.Event) -> None:
        if not playing.value:
            return
        live = session.live
        began, start, rate = time.monotonic(), live.week, speed.value
        while playing.value and not cancel.is_set() and not live.finished:
            if speed.value != rate:  # a new speed counts from now
                began, start, rate = time.monotonic(), live.week, speed.value
            due = start + int((time.monotonic() - began) * rate) + 1
            if due > live.week:
                session.advance(due - live.week)
                # Back-pressure: the next frame waits until the browser has painted this one;
                # the model keeps to the clock meanwhile, so the next frame shows every week
                # due by then.
                session.clock.shown(session.clock.ping(), timeout=2.0)
            wait = began + (live.week - start) / rate - time.monotonic()
            if wait > 0:
                cancel.wait(min(wait, 0.25))
        if live.finished:
            finished.set(True)
            playing.set(False)
        moved()

    solara.use_thread(play, dependencies=[playing.value], intrusive_cancel=False)

    solara.Title("lsr_sim dashboard")
    with solara.AppBar():
        solara.AppBarTitle(f"lsr_sim dashboard · {session.live.scenario.name}")
    with solara.Sidebar():
        solara.Column(children=[session.clock], style={"display": "none"})
        RunControls(session, playing, finished, reset, moved)
        Parameters(session, label, knobs, speed, revision.value)
    with solara.lab.Tabs(value=tab, lazy=True):
        with solara.lab.Tab(_TABS[0], classes=["lsr-tab-run"]):
            RunTab(session)
        with solara.lab.Tab(_TABS[1], classes=["lsr-tab-compare"]):
            CompareTab(session, label, knobs, revision.value)
        with solara.lab.Tab(_TABS[2], classes=["lsr-tab-ensemble"]):
            EnsembleTab(session, revision.value)
        with solara.lab.Tab(_TABS[3], classes=["lsr-tab-export"]):
            ExportTab(session, revision.value)
        with solara.lab.Tab(_TABS[4], classes=["lsr-tab-load"]):
            LoadTab(session, loaded)
