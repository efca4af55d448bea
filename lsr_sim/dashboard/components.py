"""The dashboard's panels: the trust network, trust over time, the issues, the quantities.

Each figure is drawn by :mod:`lsr_sim.plotting` from the tidy tables of the model's run so
far (:func:`lsr_sim.experiment.collect_tables`), on a time axis that spans the whole run, so
the picture fills in as the model steps. The ``*_figure`` functions return plain matplotlib
figures (usable without Solara); the ``*Panel`` components show them in SolaraViz's main
area as PNG images, redrawn only when the model or its step changes.

Every panel carries CSS classes (``lsr-panel`` and ``lsr-<name>``) that the browser test
looks for.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from html import escape
from typing import Any

import ipywidgets as widgets
import matplotlib.dates as mdates
import solara
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from mesa.visualization.utils import update_counter

from lsr_sim import plotting
from lsr_sim.experiment import RunResult, collect_tables
from lsr_sim.model import NegotiationModel

__all__ = [
    "PANELS",
    "PANEL_HEIGHT",
    "IssuesPanel",
    "NetworkPanel",
    "QuantitiesPanel",
    "StatusPanel",
    "TrustPanel",
    "figure_png",
    "issues_figure",
    "network_figure",
    "quantities_figure",
    "run_tables",
    "status_html",
    "status_lines",
    "trust_figure",
]

_DPI = 90
#: Height of a panel: SolaraViz's grid cells are 10 rows of 30 px with 10 px gaps (390 px).
PANEL_HEIGHT = "380px"


def run_tables(model: NegotiationModel) -> RunResult:
    """The tidy tables of the model's run so far (step 0 to ``model.steps``)."""
    seed = getattr(getattr(model, "knobs", None), "seed", model.spec.run.seed)
    return collect_tables(model, seed=int(seed), steps=model.steps)


def _span(model: NegotiationModel) -> tuple[float, float]:
    """The whole run's dates (as Matplotlib date numbers): the time axes stay put."""
    run = model.spec.run
    last = run.date_of(max(run.steps, model.steps))
    return float(mdates.date2num(run.start_date)), float(mdates.date2num(last))


def _new_figure(size: tuple[float, float]) -> tuple[Figure, Axes]:
    fig = Figure(figsize=size, layout="constrained", dpi=_DPI)
    return fig, fig.subplots()


def network_figure(model: NegotiationModel, tables: RunResult | None = None) -> Figure:
    """The directed trust network now: edge width and colour grow with trust.

    Nodes are the actors (placed on a circle, in name order, so the layout never moves),
    coloured by role and sized by capability, with the structural links dashed beneath.
    """
    tables = run_tables(model) if tables is None else tables
    fig, ax = _new_figure((6.4, 4.6))
    plotting.plot_network(tables.trust, links=tables.links, actors=tables.actors, ax=ax)
    return fig


def _trust_pairs(model: NegotiationModel) -> list[tuple[str, str]]:
    """The principals' trust in every other actor (all pairs if there are no principals)."""
    c = model.compiled
    principals = [a for a, role in zip(c.actors, c.roles, strict=True) if role == "principal"]
    trusters = principals or list(c.actors)
    return [(a, b) for a in trusters for b in c.actors if a != b]


def trust_figure(model: NegotiationModel, tables: RunResult | None = None) -> Figure:
    """Trust over time: the principals' trust in each other actor; dotted lines are events."""
    tables = run_tables(model) if tables is None else tables
    fig, ax = _new_figure((7.2, 4.6))
    plotting.plot_trust(tables.trust, pairs=_trust_pairs(model), events=tables.events, ax=ax)
    ax.set_xlim(*_span(model))
    return fig


def issues_figure(model: NegotiationModel, tables: RunResult | None = None) -> Figure:
    """The issues on a date axis: status lanes, implementation progress, events marked."""
    tables = run_tables(model) if tables is None else tables
    fig, ax = _new_figure((7.2, 4.6))
    plotting.plot_issue_timeline(tables.issues, events=tables.events, ax=ax)
    ax.set_xlim(*_span(model))
    return fig


def quantities_figure(model: NegotiationModel, tables: RunResult | None = None) -> Figure:
    """The real-world quantities delivered so far, as a share of each total."""
    tables = run_tables(model) if tables is None else tables
    fig, ax = _new_figure((7.2, 4.6))
    if tables.quantities.empty:
        ax.text(0.5, 0.5, "no quantities in this scenario", ha="center", va="center")
        ax.set_axis_off()
        return fig
    plotting.plot_quantities(tables.quantities, ax=ax)
    ax.set_xlim(*_span(model))
    return fig


def figure_png(fig: Figure) -> bytes:
    """The figure as PNG bytes (no time stamp, so equal figures give equal bytes)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=_DPI, metadata={"Software": None})
    return buffer.getvalue()


def _format_amount(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 10 or value == 0 else f"{value:.1f}"


def status_lines(model: NegotiationModel) -> dict[str, Any]:
    """What the status panel shows, as plain values (the date, indicators, quantities, events).

    Returns
    -------
    dict
        ``date`` (``YYYY-MM-DD``), ``step``, ``steps``, ``scenario``, ``description``,
        ``indicators`` (label to text), ``knobs`` (text), ``quantities`` (rows of
        ``(issue: quantity, delivered, total with unit)``) and ``events`` (the last five
        as ``(date, text)``).
    """
    spec = model.spec
    c = model.compiled
    indicators = {"rapprochement index": f"{model.rapprochement_index:.2f}"}
    principals = [i for i, role in enumerate(c.roles) if role == "principal"]
    for i in principals:
        for j in principals:
            if i != j:
                label = f"trust {c.actors[i]} → {c.actors[j]}"
                indicators[label] = f"{model.trust[i, j]:.2f}"
    quantities = [
        (
            f"{c.issues[q.issue]}: {q.name}",
            _format_amount(float(model.delivered[k])),
            f"{q.total:,.0f} {q.unit}",
        )
        for k, q in enumerate(c.quantities)
    ]
    events = [
        (
            str(spec.run.date_of(row["step"])),
            f"{row['event']} ({row['kind']}): {row['description']}",
        )
        for row in model.event_log[-5:]
    ]
    knobs = getattr(model, "knobs", None)
    knob_text = ""
    if knobs is not None:
        mediators = [a for a, role in zip(c.actors, c.roles, strict=True) if role == "mediator"]
        who = " and ".join(mediators) or "mediators"
        knob_text = (
            f"{who}'s mediation strength {knobs.mediation:.2f} · veto strength "
            f"{knobs.veto_strength:.2f} · trust decay {knobs.trust_decay:.3f} · seed {knobs.seed}"
        )
    return {
        "date": str(model.date),
        "step": int(model.steps),
        "steps": int(spec.run.steps),
        "scenario": spec.name,
        "description": spec.description,
        "indicators": indicators,
        "knobs": knob_text,
        "quantities": quantities,
        "events": events,
    }


def status_html(info: dict[str, Any]) -> str:
    """The body of the status panel (from :func:`status_lines`) as escaped HTML.

    Plain HTML rather than ``solara.Markdown``: Solara's Markdown fetches KaTeX from a CDN,
    which ``solara-assets`` does not ship.
    """
    cell = "style='padding: 0 10px 0 0'"
    shown = " · ".join(f"{escape(k)} <b>{escape(v)}</b>" for k, v in info["indicators"].items())
    parts = [f"<p>{shown}</p>"]
    if info["quantities"]:
        rows = "".join(
            f"<tr><td {cell}>{escape(a)}</td>"
            f"<td style='padding: 0 10px 0 0; text-align: right'>{escape(b)}</td>"
            f"<td {cell}>{escape(c)}</td></tr>"
            for a, b, c in info["quantities"]
        )
        parts.append(
            "<p style='margin-bottom: 2px'><b>Delivered so far</b></p>"
            "<table class='lsr-quantities-table' style='margin-bottom: 12px'>"
            f"<tr><th {cell}>quantity</th><th {cell}>delivered</th><th {cell}>of</th></tr>"
            f"{rows}</table>"
        )
    if info["events"]:
        items = "".join(
            f"<li>{escape(when)}: {escape(text)}</li>" for when, text in reversed(info["events"])
        )
        parts.append("<p style='margin-bottom: 2px'><b>Latest events</b></p>")
        parts.append(f"<ul class='lsr-events'>{items}</ul>")
    if info["description"]:
        parts.append(f"<p><em>{escape(info['description'])}</em></p>")
    return "".join(parts)


@solara.component
def StatusPanel(model: NegotiationModel) -> None:
    """The current date, the indicators, the quantities delivered and the latest events."""
    update_counter.get()  # redraw after every Step (SolaraViz bumps this counter)
    info = status_lines(model)
    style = {"padding": "8px", "height": PANEL_HEIGHT, "overflow-y": "auto"}
    with solara.Column(classes=["lsr-panel", "lsr-status"], style=style):
        solara.Text(info["date"], classes=["lsr-date"], style={"font-size": "1.6em"})
        solara.Text(
            f"week {info['step']} of {info['steps']} · scenario {info['scenario']}",
            classes=["lsr-step"],
        )
        if info["knobs"]:
            solara.Text(info["knobs"], classes=["lsr-knobs"], style={"font-size": "0.85em"})
        solara.HTML(unsafe_innerHTML=status_html(info), style="font-size: 0.85em")


def _figure_panel(
    model: NegotiationModel, draw: Callable[[NegotiationModel], Figure], name: str
) -> None:
    update_counter.get()  # redraw after every Step (SolaraViz bumps this counter)

    def render() -> bytes:
        return figure_png(draw(model))

    # The model object changes on Reset and its step count on Step: redraw only then.
    png = solara.use_memo(render, dependencies=[model, model.steps, name])
    with solara.Column(classes=["lsr-panel", f"lsr-{name}"], style={"padding": "4px"}):
        # Fit the cell both ways (a student can resize cells by dragging their corner).
        layout = {"max_width": "100%", "max_height": PANEL_HEIGHT, "object_fit": "contain"}
        # ipywidgets' own element(): reacton's typed rw.Image has no _dom_classes argument.
        widgets.Image.element(
            value=png, format="png", layout=widgets.Layout(**layout), _dom_classes=["lsr-figure"]
        )


@solara.component
def NetworkPanel(model: NegotiationModel) -> None:
    """The trust network now (see :func:`network_figure`)."""
    _figure_panel(model, network_figure, "network")


@solara.component
def TrustPanel(model: NegotiationModel) -> None:
    """Trust over time (see :func:`trust_figure`)."""
    _figure_panel(model, trust_figure, "trust")


@solara.component
def IssuesPanel(model: NegotiationModel) -> None:
    """The issues on a date axis with events (see :func:`issues_figure`)."""
    _figure_panel(model, issues_figure, "issues")


@solara.component
def QuantitiesPanel(model: NegotiationModel) -> None:
    """Quantities delivered over time (see :func:`quantities_figure`)."""
    _figure_panel(model, quantities_figure, "quantities")


#: The main area's panels, in the order SolaraViz lays them out (two per row).
PANELS = (StatusPanel, NetworkPanel, TrustPanel, IssuesPanel, QuantitiesPanel)
