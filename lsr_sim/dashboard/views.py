"""What the dashboard's panels show, as plain data: ECharts options and escaped HTML.

The page draws its charts in the browser with Apache ECharts (shipped with Solara, served
by our own server): Python sends the data of a picture, a few tens of kilobytes, and the
browser draws it on a canvas, instead of Python drawing four matplotlib figures per step
(about 0.2 s each, the old dashboard's bottleneck). The functions here return JSON-ready
``dict`` s in ECharts' option format (https://echarts.apache.org/en/option.html), with the
exported figures' colours (:data:`lsr_sim.plotting.STATUS_COLORS`, ``ROLE_COLORS``,
``LINK_COLORS``); the exported PNG/SVG figures themselves come from :mod:`lsr_sim.plotting`.

They read a :class:`RunView`: a run's recorded history as arrays (what the model's
DataCollector and event log hold, the data :func:`lsr_sim.experiment.collect_tables` turns
into tables), cut at any week for Rewind. Building one takes a millisecond where the tidy
tables take tens, so a frame costs a few milliseconds of Python.

What does not move is computed once: the network's node positions (a circle, in name
order, as :func:`lsr_sim.plotting.plot_network` places them) and the colour ramp of trust.
Nothing here imports Solara.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, replace
from html import escape
from typing import TYPE_CHECKING, Any

import numpy as np

from lsr_sim.dynamics.status import STATUS_NAMES
from lsr_sim.plotting import LINK_COLORS, ROLE_COLORS, STATUS_COLORS
from lsr_sim.scenario import Scenario

if TYPE_CHECKING:
    from lsr_sim.model import NegotiationModel

__all__ = [
    "RUN_COLORS",
    "RunView",
    "Span",
    "compare_option",
    "events_html",
    "fan_option",
    "issues_option",
    "network_option",
    "quantities_option",
    "status_html",
    "trust_option",
    "trust_pairs",
]

#: Colours of the runs drawn together (Compare) and of the current run over its ensemble.
RUN_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e")
_GREY = "#636363"
_INCIDENT = "#d62728"
_FALLBACK = "#969696"
_DAY_MS = 86_400_000
_LINK_BOW = {"channel": 0.03, "mediation": 0.08, "patronage": -0.08, "pressure": 0.12}


@dataclass(frozen=True)
class Span:
    """The dates a time axis spans, in milliseconds since 1970 (what ECharts' time axes take).

    The live charts span the whole run from the start, so the picture fills in as it plays.
    """

    start: int
    end: int

    def union(self, other: Span) -> Span:
        """The span covering both."""
        return Span(min(self.start, other.start), max(self.end, other.end))


def _ms_one(value: Any) -> int:
    return int(np.datetime64(value, "ms").astype("int64"))


def _rounded(values: Any, digits: int = 4) -> list[float | None]:
    """Numbers as JSON-ready floats (NaN as None), rounded: fewer bytes to send."""
    array = np.round(np.asarray(values, dtype=float), digits)
    return [None if not np.isfinite(v) else float(v) for v in array]


def _points(dates: list[int], values: Any, digits: int = 4) -> list[list[Any]]:
    return [[d, v] for d, v in zip(dates, _rounded(values, digits), strict=False)]


@dataclass(frozen=True)
class RunView:
    """A run's history up to week :attr:`week`, as arrays: what the panels draw.

    Attributes
    ----------
    scenario : Scenario
        The scenario run (knobs applied).
    actors, roles, issues : tuple of str
        In the model's order; ``capability`` (n,) the actors' capabilities.
    quantities : tuple of (issue, name, unit, total)
    links : tuple of (source, target, type, weight)
    trust : array (T, n, n); ``status`` (T, m) status codes; ``progress`` (T, m);
        ``delivered`` (T, q); ``rapprochement`` (T,); T = week + 1.
    events : tuple of dict
        The event log (``step``, ``event``, ``kind``, ``origin``, ``description``,
        ``actors``, ``issues``), all of it; :meth:`at` keeps those up to the week.
    """

    scenario: Scenario
    actors: tuple[str, ...]
    roles: tuple[str, ...]
    capability: np.ndarray
    issues: tuple[str, ...]
    quantities: tuple[tuple[str, str, str, float], ...]
    links: tuple[tuple[str, str, str, float], ...]
    trust: np.ndarray
    status: np.ndarray
    progress: np.ndarray
    delivered: np.ndarray
    rapprochement: np.ndarray
    events: tuple[dict[str, Any], ...]

    @classmethod
    def of(cls, model: NegotiationModel) -> RunView:
        """The model's run so far, from its DataCollector and event log."""
        sc = model.spec
        c = model.compiled
        data = model.datacollector.model_vars
        steps = len(data["trust"])
        quantities = tuple(
            (c.issues[q.issue], q.name, q.unit, float(q.total)) for q in c.quantities
        )
        delivered = (
            np.asarray(data["delivered"], dtype=float) if quantities else np.zeros((steps, 0))
        )
        return cls(
            scenario=sc,
            actors=tuple(c.actors),
            roles=tuple(c.roles),
            capability=np.asarray(c.capability, dtype=float),
            issues=tuple(c.issues),
            quantities=quantities,
            links=tuple(
                (s, t, kind, float(w))
                for kind, sources in sc.network.items()
                for s, targets in sources.items()
                for t, w in targets.items()
            ),
            trust=np.asarray(data["trust"], dtype=float),
            status=np.asarray(data["status"], dtype=int),
            progress=np.asarray(data["progress"], dtype=float),
            delivered=delivered.reshape(steps, len(quantities)),
            rapprochement=np.asarray(data["rapprochement"], dtype=float),
            events=tuple(dict(e) for e in model.event_log),
        )

    @property
    def week(self) -> int:
        """The last week recorded."""
        return len(self.trust) - 1

    def at(self, week: int) -> RunView:
        """The same run cut at `week` (Rewind): arrays and events up to it."""
        k = max(0, min(int(week), self.week)) + 1
        return replace(
            self,
            trust=self.trust[:k],
            status=self.status[:k],
            progress=self.progress[:k],
            delivered=self.delivered[:k],
            rapprochement=self.rapprochement[:k],
            events=tuple(e for e in self.events if e["step"] < k),
        )

    @property
    def span(self) -> Span:
        """From the start date to the date of the scenario's last step."""
        run = self.scenario.run
        return Span(_ms_one(run.start_date), _ms_one(run.date_of(max(run.steps, self.week))))

    def dates(self) -> list[int]:
        """The date of each recorded step, in ms."""
        start = _ms_one(self.scenario.run.start_date)
        step = int(self.scenario.run.step_days) * _DAY_MS
        return [start + i * step for i in range(self.week + 1)]

    def date_ms(self, step: int) -> int:
        """The date of `step`, in ms."""
        run = self.scenario.run
        return _ms_one(run.start_date) + int(step) * int(run.step_days) * _DAY_MS

    def trust_of(self, truster: str, trustee: str) -> np.ndarray:
        """Trust of `truster` in `trustee` at each recorded step."""
        return self.trust[:, self.actors.index(truster), self.actors.index(trustee)]


def _time_axis(span: Span, grid: int = 0, *, labels: bool = True) -> dict[str, Any]:
    return {
        "type": "time",
        "gridIndex": grid,
        "min": span.start,
        "max": span.end,
        "axisLabel": {"show": labels, "hideOverlap": True},
        "splitLine": {"show": True, "lineStyle": {"opacity": 0.3}},
    }


def _base(title: str, subtitle: str = "") -> dict[str, Any]:
    # No animation: every frame is a new picture, and tweening them would lag behind.
    return {
        "animation": False,
        "title": {"text": title, "subtext": subtitle, "left": 8, "textStyle": {"fontSize": 14}},
        "tooltip": {"trigger": "axis"},
    }


def _event_lines(view: RunView, *, labels: bool) -> dict[str, Any]:
    """A series without data that carries a dotted vertical line per scheduled event date."""
    by_step: dict[int, list[str]] = {}
    for e in view.events:
        if e["origin"] == "scheduled":
            by_step.setdefault(int(e["step"]), []).append(str(e["event"]))
    marks = [
        {
            "xAxis": view.date_ms(step),
            "name": ids[0] + (f" +{len(ids) - 1}" if len(ids) > 1 else ""),
        }
        for step, ids in sorted(by_step.items())
    ]
    return {
        "type": "line",
        "name": "scheduled event",
        "data": [],
        "color": _GREY,
        "markLine": {
            "silent": True,
            "symbol": ["none", "none"],
            "lineStyle": {"type": "dotted", "color": _GREY, "width": 1},
            "label": {
                "show": labels,
                "formatter": "{b}",
                "position": "insideEndTop",
                "fontSize": 9,
                "color": "#444",
            },
            "data": marks,
        },
    }


# -------------------------------------------------------------------------------- network


@functools.lru_cache(maxsize=64)
def _circle(names: tuple[str, ...]) -> dict[str, tuple[float, float]]:
    """Node positions on a circle in name order (networkx's circular layout), computed once
    per set of actors: the layout never moves."""
    import networkx as nx

    graph = nx.DiGraph()
    graph.add_nodes_from(names)
    pos = nx.circular_layout(graph)
    # ECharts' y axis points down: flip, so the picture matches the exported figure.
    return {n: (round(float(x), 4), round(-float(y), 4)) for n, (x, y) in pos.items()}


@functools.lru_cache(maxsize=1)
def _trust_ramp() -> tuple[str, ...]:
    """101 colours of the figures' trust colour map (red low, green high), computed once."""
    import matplotlib as mpl
    from matplotlib.colors import to_hex

    cmap = mpl.colormaps["RdYlGn"]
    return tuple(to_hex(cmap(i / 100)) for i in range(101))


def _structural_links(view: RunView) -> list[dict[str, Any]]:
    """The scenario's links, one dashed line per unordered pair and type (they never move)."""
    weights: dict[tuple[str, str, str], float] = {}
    for s, t, kind, w in view.links:
        if s != t:
            a, b = sorted((s, t))
            weights[(a, b, kind)] = max(weights.get((a, b, kind), 0.0), abs(w))
    heaviest = max(weights.values(), default=1.0) or 1.0
    return [
        {
            "source": a,
            "target": b,
            "symbol": ["none", "none"],
            "lineStyle": {
                "type": "dashed",
                "color": LINK_COLORS.get(kind, _FALLBACK),
                "width": round(0.8 + 1.7 * w / heaviest, 2),
                # Links of different types between one pair bow apart instead of overlapping.
                "curveness": _LINK_BOW.get(kind, 0.0),
                "opacity": 0.7,
            },
        }
        for (a, b, kind), w in sorted(weights.items())
    ]


def network_option(view: RunView) -> dict[str, Any]:
    """The directed trust network at the view's last week: arrow width and colour grow with
    trust.

    Nodes are the actors on a circle in name order (as in the exported figure), coloured by
    role and sized by capability; dashed lines beneath are the structural links.

    Examples
    --------
    >>> from lsr_sim.model import NegotiationModel
    >>> from lsr_sim.scenario import load_scenario
    >>> view = RunView.of(NegotiationModel(load_scenario("scenarios/baseline.yaml"), rng=1))
    >>> [node["name"] for node in network_option(view)["series"][0]["data"]]
    ['Beirut', 'Damascus', 'Gulf_EU', 'Hezbollah', 'Riyadh', 'Washington']
    """
    names = tuple(sorted(view.actors))
    pos = _circle(names)
    role = dict(zip(view.actors, view.roles, strict=True))
    capability = dict(zip(view.actors, view.capability.tolist(), strict=True))
    top = max(max(capability.values()), 1e-12)
    categories = sorted(set(view.roles))
    nodes = [
        {
            "name": n,
            "x": pos[n][0],
            "y": pos[n][1],
            "symbolSize": round(22 + 30 * max(capability[n], 0.0) / top, 1),
            "category": categories.index(role[n]),
            "value": capability[n],
        }
        for n in names
    ]
    links = _structural_links(view)
    ramp = _trust_ramp()
    now = view.trust[-1]
    for i, a in enumerate(view.actors):
        for j, b in enumerate(view.actors):
            if i == j:
                continue
            value = float(np.clip(now[i, j], 0.0, 1.0))
            links.append(
                {
                    "source": a,
                    "target": b,
                    "value": round(float(now[i, j]), 3),
                    "symbol": ["none", "arrow"],
                    "symbolSize": [0, 9],
                    "lineStyle": {
                        "width": round(0.5 + 4.5 * value, 2),
                        "color": ramp[round(100 * value)],
                        "curveness": 0.18,
                        "opacity": 0.95,
                    },
                }
            )
    date = view.scenario.run.date_of(view.week)
    option = _base(
        f"Trust network on {date} (week {view.week})",
        "arrow width and colour: trust (red low, green high); dashed: links",
    )
    option["tooltip"] = {"trigger": "item"}
    option["legend"] = {"data": categories, "bottom": 0}
    option["series"] = [
        {
            "type": "graph",
            "layout": "none",
            "roam": False,
            # A square box: the circle stays a circle whatever the panel's width.
            "top": 70,
            "left": "center",
            "width": 280,
            "height": 280,
            "label": {"show": True, "fontWeight": "bold", "position": "right"},
            "categories": [
                {"name": r, "itemStyle": {"color": ROLE_COLORS.get(r, _FALLBACK)}}
                for r in categories
            ],
            "data": nodes,
            "links": links,
        }
    ]
    return option


# -------------------------------------------------------------------------------- trust


def trust_pairs(view: RunView) -> list[tuple[str, str]]:
    """The principals' trust in every other actor (all pairs if there are no principals)."""
    principals = [a for a, r in zip(view.actors, view.roles, strict=True) if r == "principal"]
    return [(a, b) for a in principals or view.actors for b in view.actors if a != b]


def trust_option(view: RunView) -> dict[str, Any]:
    """Trust over time: the principals' trust in each other actor (:func:`trust_pairs`);
    dotted vertical lines are the scheduled events that have happened."""
    dates = view.dates()
    series: list[dict[str, Any]] = [
        {
            "type": "line",
            "name": f"{a} → {b}",
            "showSymbol": False,
            "data": _points(dates, view.trust_of(a, b)),
        }
        for a, b in trust_pairs(view)
    ]
    series.append(_event_lines(view, labels=False))
    option = _base("Trust over time", "the principals' trust in each actor; dotted: events")
    option.update(
        legend={"type": "scroll", "bottom": 0},
        grid={"left": 50, "right": 20, "top": 60, "bottom": 60},
        xAxis=_time_axis(view.span),
        yAxis={"type": "value", "min": 0, "max": 1, "name": "trust"},
        series=series,
    )
    return option


# -------------------------------------------------------------------------------- issues


def _segments(codes: np.ndarray, dates: list[int], step_ms: int) -> list[tuple[int, int, str]]:
    """Runs of equal status as ``(start, end, status name)`` in ms; the last lasts one step."""
    change = np.flatnonzero(np.diff(codes)) + 1
    starts = [0, *change.tolist()]
    ends = [*change.tolist(), len(codes)]
    return [
        (
            dates[a],
            dates[b] if b < len(dates) else dates[-1] + step_ms,
            STATUS_NAMES[int(codes[a])],
        )
        for a, b in zip(starts, ends, strict=True)
    ]


def _lanes(
    view: RunView, grid: int, *, labels: bool = True
) -> tuple[list[dict[str, Any]], list[str]]:
    """The status lanes of one run on grid `grid` (one lane per issue, first on top), its
    incidents and its scheduled events: the series and the statuses seen."""
    dates = view.dates()
    step_ms = int(view.scenario.run.step_days) * _DAY_MS
    series: list[dict[str, Any]] = []
    seen: list[str] = []
    for k in range(len(view.issues)):
        for start, end, status in _segments(view.status[:, k], dates, step_ms):
            if status not in seen:
                seen.append(status)
            series.append(
                {
                    "type": "line",
                    "name": status,
                    "xAxisIndex": grid,
                    "yAxisIndex": grid,
                    "symbol": "none",
                    "silent": True,
                    "color": STATUS_COLORS.get(status, _FALLBACK),
                    "lineStyle": {"width": 14, "cap": "butt"},
                    "data": [[start, k], [end, k]],
                }
            )
    marks = [
        [view.date_ms(int(e["step"])), view.issues.index(issue)]
        for e in view.events
        if e["origin"] != "scheduled"
        for issue in str(e["issues"]).split(",")
        if issue in view.issues
    ]
    if marks:
        series.append(
            {
                "type": "scatter",
                "name": "incident",
                "xAxisIndex": grid,
                "yAxisIndex": grid,
                "symbol": "triangle",
                "symbolRotate": 180,
                "symbolSize": 8,
                "symbolOffset": [0, -10],
                "color": _INCIDENT,
                "data": marks,
            }
        )
    lines = _event_lines(view, labels=labels)
    lines.update(xAxisIndex=grid, yAxisIndex=grid)
    series.append(lines)
    ordered = [s for s in STATUS_COLORS if s in seen] + [s for s in seen if s not in STATUS_COLORS]
    return series, ordered


def _issue_axis(view: RunView, grid: int) -> dict[str, Any]:
    return {
        "type": "category",
        "gridIndex": grid,
        "data": list(view.issues),
        "inverse": True,
        "axisTick": {"show": False},
    }


def issues_option(view: RunView) -> dict[str, Any]:
    """The issues: one lane per issue coloured by status, dated events (dotted, labelled),
    incidents (red marks in the lanes they touch), and implementation progress beneath, on
    the same dates."""
    series, seen = _lanes(view, 0)
    dates = view.dates()
    for k, name in enumerate(view.issues):
        if float(view.progress[:, k].max(initial=0.0)) > 0:
            series.append(
                {
                    "type": "line",
                    "name": f"progress: {name}",
                    "xAxisIndex": 1,
                    "yAxisIndex": 1,
                    "step": "end",
                    "showSymbol": False,
                    "data": _points(dates, view.progress[:, k], 3),
                }
            )
    span = view.span
    option = _base("Issues: status over time", "lanes: status; below: implementation progress")
    option.update(
        legend={"data": [*seen, "incident", "scheduled event"], "bottom": 0, "type": "scroll"},
        grid=[
            {"left": 150, "right": 20, "top": 60, "height": "48%"},
            {"left": 150, "right": 20, "bottom": 60, "height": "16%"},
        ],
        xAxis=[_time_axis(span, 0, labels=False), _time_axis(span, 1)],
        yAxis=[
            _issue_axis(view, 0),
            {"type": "value", "gridIndex": 1, "min": 0, "max": 1, "name": "progress"},
        ],
        axisPointer={"link": [{"xAxisIndex": "all"}]},
        series=series,
    )
    option["tooltip"] = {"trigger": "item"}
    return option


# -------------------------------------------------------------------------------- quantities


def quantities_option(view: RunView) -> dict[str, Any]:
    """The real-world quantities delivered so far, as a share of each total."""
    option = _base("Quantities delivered", "share of each total")
    dates = view.dates()
    series: list[dict[str, Any]] = []
    top = 100.0
    for q, (issue, name, unit, total) in sorted(
        enumerate(view.quantities), key=lambda item: item[1][:2]
    ):
        share = 100 * view.delivered[:, q] / total if total > 0 else np.full(len(dates), np.nan)
        if np.isfinite(share).any():
            top = max(top, float(np.nanmax(share)))
        series.append(
            {
                "type": "line",
                "name": f"{issue}: {name} (of {total:,.0f} {unit})",
                "showSymbol": False,
                "data": _points(dates, share, 2),
            }
        )
    if not series:
        option["title"]["subtext"] = "no quantities in this scenario"
    option.update(
        legend={"type": "scroll", "bottom": 0},
        grid={"left": 50, "right": 20, "top": 60, "bottom": 60},
        xAxis=_time_axis(view.span),
        yAxis={
            "type": "value",
            "min": 0,
            "max": round(top * 1.05, 1),
            "name": "% delivered",
            "axisLabel": {"formatter": "{value} %"},
        },
        series=series,
    )
    return option


# -------------------------------------------------------------------------------- compare


def _panels(
    titles: list[dict[str, Any]],
    grids: list[dict[str, Any]],
    x_axes: list[dict[str, Any]],
    y_axes: list[dict[str, Any]],
    series: list[dict[str, Any]],
    legend: dict[str, Any],
) -> dict[str, Any]:
    """An option of panels stacked one above the other, their date axes linked (hovering
    one points at the same date in all)."""
    return {
        "animation": False,
        "title": titles,
        "tooltip": {"trigger": "axis"},
        "axisPointer": {"link": [{"xAxisIndex": "all"}]},
        "legend": legend,
        "grid": grids,
        "xAxis": x_axes,
        "yAxis": y_axes,
        "series": series,
    }


def _panel_title(text: str, top: int, color: str = "#333") -> dict[str, Any]:
    return {"text": text, "top": top, "left": 170, "textStyle": {"fontSize": 12, "color": color}}


def compare_option(runs: Sequence[tuple[str, RunView]]) -> tuple[dict[str, Any], int]:
    """Two to four runs on one date axis: the principals' trust in each other overlaid (one
    panel per pair, one colour per run), then each run's issue lanes, aligned on the same
    dates (hovering one panel points at the same date in all).

    Returns
    -------
    (dict, int)
        The option and the height in pixels it needs.
    """
    span = runs[0][1].span
    for _, view in runs[1:]:
        span = span.union(view.span)
    pairs = list(
        dict.fromkeys(
            (a, b)
            for _, view in runs
            for a, b in trust_pairs(view)
            if view.roles[view.actors.index(b)] == "principal"
        )
    )
    panel, lane_px, gap = 150, 26, 46
    grids: list[dict[str, Any]] = []
    x_axes: list[dict[str, Any]] = []
    y_axes: list[dict[str, Any]] = []
    series: list[dict[str, Any]] = []
    titles: list[dict[str, Any]] = [
        {
            "text": "Compare: the same seed under different settings",
            "subtext": "trust overlaid per pair; below, each run's issues on the same dates",
            "left": 8,
            "textStyle": {"fontSize": 14},
        }
    ]
    color = {label: RUN_COLORS[i % len(RUN_COLORS)] for i, (label, _) in enumerate(runs)}
    y = 100
    for a, b in pairs:
        g = len(grids)
        grids.append({"left": 170, "right": 30, "top": y, "height": panel})
        titles.append(_panel_title(f"trust {a} → {b}", y - 22))
        x_axes.append(_time_axis(span, g))
        y_axes.append({"type": "value", "gridIndex": g, "min": 0, "max": 1})
        for label, view in runs:
            if a in view.actors and b in view.actors:
                series.append(
                    {
                        "type": "line",
                        "name": label,
                        "xAxisIndex": g,
                        "yAxisIndex": g,
                        "showSymbol": False,
                        "color": color[label],
                        "data": _points(view.dates(), view.trust_of(a, b)),
                    }
                )
        y += panel + gap
    statuses: list[str] = []
    for label, view in runs:
        g = len(grids)
        lanes, seen = _lanes(view, g, labels=False)
        statuses += [s for s in seen if s not in statuses]
        height = lane_px * len(view.issues) + 10
        grids.append({"left": 170, "right": 30, "top": y, "height": height})
        titles.append(_panel_title(f"issues: {label}", y - 22, color[label]))
        x_axes.append(_time_axis(span, g))
        y_axes.append(_issue_axis(view, g))
        series.extend(lanes)
        y += height + gap
    legend = {
        "data": [label for label, _ in runs] + statuses,
        "top": 50,
        "left": 170,
        "type": "scroll",
    }
    option = _panels(titles, grids, x_axes, y_axes, series, legend)
    return option, y


# -------------------------------------------------------------------------------- ensemble


def fan_option(
    dates: Sequence[int],
    bands: dict[str, np.ndarray],
    current: dict[str, np.ndarray],
    runs: int,
) -> tuple[dict[str, Any], int]:
    """Fan charts: for each outcome, the 5-95 % and 25-75 % bands and the median over an
    ensemble's runs, with the current run drawn over them.

    Parameters
    ----------
    dates : sequence of int
        The date of each step, in ms since 1970 (step 0 first).
    bands : dict of str to array of shape (5, steps + 1)
        Per outcome (its label), the 5 %, 25 %, 50 %, 75 % and 95 % quantiles per step.
    current : dict of str to array
        Per outcome, the current run's values so far (shorter while it runs).
    runs : int
        How many runs the bands are over (for the title).

    Returns
    -------
    (dict, int)
        The option and the height in pixels it needs.
    """
    dates = list(dates)
    span = Span(int(dates[0]), int(dates[-1]))
    panel, gap = 130, 64
    grids: list[dict[str, Any]] = []
    x_axes: list[dict[str, Any]] = []
    y_axes: list[dict[str, Any]] = []
    series: list[dict[str, Any]] = []
    titles: list[dict[str, Any]] = [
        {
            "text": f"Ensemble: {runs} runs, and the current run over them",
            "subtext": "bands: 5-95 % and 25-75 % of runs; dashed: median; red: this run",
            "left": 8,
            "textStyle": {"fontSize": 14},
        }
    ]
    y = 100
    for g, (label, q) in enumerate(bands.items()):
        grids.append({"left": 60, "right": 30, "top": y, "height": panel})
        titles.append({"text": label, "top": y - 22, "left": 60, "textStyle": {"fontSize": 12}})
        x_axes.append(_time_axis(span, g))
        y_axes.append({"type": "value", "gridIndex": g, "scale": True})
        common = {"type": "line", "xAxisIndex": g, "yAxisIndex": g, "showSymbol": False}
        for stack, lo, hi, band, opacity in (
            ("outer", 0, 4, "5-95 %", 0.22),
            ("inner", 1, 3, "25-75 %", 0.45),
        ):
            hidden = {**common, "stack": f"{stack}{g}", "silent": True, "lineStyle": {"opacity": 0}}
            series.append({**hidden, "name": f"_{band}", "data": _points(dates, q[lo])})
            series.append(
                {
                    **hidden,
                    "name": band,
                    "color": RUN_COLORS[0],
                    "areaStyle": {"opacity": opacity},
                    "data": _points(dates, q[hi] - q[lo]),
                }
            )
        series.append(
            {
                **common,
                "name": "median",
                "color": "#08306b",
                "lineStyle": {"type": "dashed", "width": 1},
                "data": _points(dates, q[2]),
            }
        )
        if label in current:
            series.append(
                {
                    **common,
                    "name": "this run",
                    "color": RUN_COLORS[1],
                    "lineStyle": {"width": 2.5},
                    "data": _points(dates, current[label]),
                }
            )
        y += panel + gap
    legend = {"data": ["5-95 %", "25-75 %", "median", "this run"], "top": 50, "right": 30}
    option = _panels(titles, grids, x_axes, y_axes, series, legend)
    return option, y - gap + 50


# -------------------------------------------------------------------------------- text panels


def _amount(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 10 or value == 0 else f"{value:.1f}"


def status_html(view: RunView, knobs: str) -> str:
    """The status panel at the view's last week: the indicators, the knobs in effect and the
    quantities delivered so far; every text escaped."""
    pairs = [
        (a, b) for a, b in trust_pairs(view) if view.roles[view.actors.index(b)] == "principal"
    ]
    shown = [f"rapprochement index <b>{view.rapprochement[-1]:.2f}</b>"]
    shown += [
        f"trust {escape(a)} → {escape(b)} <b>{view.trust_of(a, b)[-1]:.2f}</b>" for a, b in pairs
    ]
    parts = [
        f"<p class='lsr-indicators' style='margin: 0 0 4px'>{' · '.join(shown)}</p>",
        f"<p class='lsr-knobs' style='margin: 0 0 6px; color: #444'>{escape(knobs)}</p>",
    ]
    if view.quantities:
        cell = "style='padding: 0 10px 0 0'"
        right = "style='padding: 0 10px 0 0; text-align: right'"
        rows = "".join(
            f"<tr><td {cell}>{escape(f'{issue}: {name}')}</td>"
            f"<td {right}>{escape(_amount(float(view.delivered[-1, q])))}</td>"
            f"<td {cell}>of {escape(f'{total:,.0f} {unit}')}</td></tr>"
            for q, (issue, name, unit, total) in enumerate(view.quantities)
        )
        parts.append(
            "<table class='lsr-quantities-table'>"
            f"<tr><th {cell} colspan='3' style='text-align: left'>Delivered so far</th></tr>"
            f"{rows}</table>"
        )
    if view.scenario.description:
        parts.append(f"<p style='margin: 6px 0 0'><em>{escape(view.scenario.description)}</em></p>")
    return "".join(parts)


def events_html(view: RunView, count: int = 6) -> str:
    """The latest `count` events of the view, newest first, every text escaped: a short
    list, so the latest events show without scrolling."""
    latest = view.events[-count:][::-1]
    if not latest:
        return "<p class='lsr-no-events' style='margin: 0'>No events yet.</p>"
    run = view.scenario.run
    items = "".join(
        f"<li><b>{run.date_of(int(e['step']))}</b> {escape(str(e['event']))} "
        f"<span style='color: #666'>({escape(str(e['kind']))})</span>: "
        f"{escape(str(e['description']))}</li>"
        for e in latest
    )
    return f"<ul class='lsr-events' style='margin: 0; padding-left: 18px'>{items}</ul>"
