"""Figures drawn from the tidy tables of a simulation run.

Every function here works on pandas tables (never on a model object), so figures can be
redrawn from saved results. Plotting functions accept an optional ``ax`` and return the
Axes they drew on; :func:`plot_summary` returns a :class:`~matplotlib.figure.Figure`.

Figures are built as :class:`matplotlib.figure.Figure` objects rather than through pyplot,
so the module keeps no global state, never touches ``rcParams`` and works headless.
Time axes always show calendar dates (concise date formatting), never step numbers.

Tables (the columns each function reads; other columns are ignored):

- ``trust``: step, date, truster, trustee, trust
- ``issues``: step, date, issue, status, progress
- ``events``: date, event, origin, issues
- ``quantities``: step, date, issue, quantity, unit, total, delivered
- ``links`` (optional): source, target, type, weight
- ``actors`` (optional): name, role, capability
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date as _date
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO, Literal

import matplotlib as mpl
import matplotlib.dates as mdates
import networkx as nx
import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.text import Text
from matplotlib.ticker import PercentFormatter
from matplotlib.transforms import blended_transform_factory

from lsr_sim.atomic import atomic_write

__all__ = [
    "LINK_COLORS",
    "ROLE_COLORS",
    "STATUS_COLORS",
    "figure_of",
    "plot_issue_timeline",
    "plot_network",
    "plot_quantities",
    "plot_summary",
    "plot_trust",
    "save_figures",
]

type DateLike = str | datetime | _date | np.datetime64 | pd.Timestamp

#: Fill colour of each issue status lane segment (canonical status order).
STATUS_COLORS: dict[str, str] = {
    "open": "#c7c7c7",
    "on_table": "#9ecae1",
    "agreed": "#3182bd",
    "implementing": "#fdae6b",
    "implemented": "#31a354",
    "collapsed": "#de2d26",
}

#: Node colour of each actor role in the network drawing.
ROLE_COLORS: dict[str, str] = {
    "principal": "#1f77b4",
    "mediator": "#2ca02c",
    "spoiler": "#d62728",
    "backer": "#9467bd",
    "other": "#7f7f7f",
}

#: Colour of each structural link type drawn under the trust network.
LINK_COLORS: dict[str, str] = {
    "channel": "#6baed6",
    "mediation": "#74c476",
    "patronage": "#9e9ac8",
    "pressure": "#fb6a4a",
}

_FALLBACK_COLOR = "#969696"
_TRUST_CMAP = "RdYlGn"
_INCIDENT_COLOR = "#d62728"
_EVENT_COLOR = "#636363"

_TRUST_COLUMNS = ("step", "date", "truster", "trustee", "trust")
# Only the columns a function reads are required, so extra or trimmed-down tables still plot.
_ISSUE_COLUMNS = ("step", "date", "issue", "status", "progress")
_EVENT_COLUMNS = ("date", "event", "origin", "issues")
_QUANTITY_COLUMNS = ("step", "date", "issue", "quantity", "unit", "total", "delivered")
_LINK_COLUMNS = ("source", "target", "type", "weight")
_ACTOR_COLUMNS = ("name", "role", "capability")

# savefig metadata that removes the time stamps / version strings which would otherwise
# make two renders of the same figure differ byte for byte.
_METADATA: dict[str, dict[str, Any]] = {
    "png": {"Software": None},
    "pdf": {"CreationDate": None},
    "svg": {"Date": None},
}


# --------------------------------------------------------------------------- validation


def _check_table(
    table: Any, name: str, columns: Sequence[str], *, allow_empty: bool = False
) -> pd.DataFrame:
    """Return a copy of ``table`` with naive datetime ``date`` after checking its columns."""
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"{name} table must be a pandas DataFrame, got {type(table).__name__}")
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValueError(f"{name} table is missing required column(s): {', '.join(missing)}")
    if table.empty and not allow_empty:
        raise ValueError(f"{name} table is empty: nothing to plot")
    out = table.copy()
    if "date" in columns:
        out["date"] = _naive_dates(out["date"])
    return out


def _naive_dates(values: pd.Series) -> pd.Series:
    # Naive timestamps compare cleanly with user-given dates and with each other; dropping
    # the zone keeps local wall time, so calendar dates stay those of the data.
    dates = pd.to_datetime(values)
    if dates.dt.tz is not None:
        dates = dates.dt.tz_localize(None)
    return dates


def _to_timestamp(value: DateLike) -> pd.Timestamp:
    ts = pd.Timestamp(value)
    if ts.tz is not None:
        ts = ts.tz_localize(None)
    return ts


def _dates(values: pd.Series | pd.Index) -> np.ndarray:
    # numpy datetime64 data make matplotlib install its date converter on the axis.
    return pd.DatetimeIndex(values).to_numpy()


def _format_date_axis(ax: Axes) -> None:
    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def _new_axes(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    if ax is not None:
        return ax
    fig = Figure(figsize=figsize, layout="constrained")
    return fig.subplots()


def _distinct_colors(n: int) -> list[tuple[float, float, float, float]]:
    """``n`` colours, as distinct as possible, in a fixed order."""
    if n <= 10:
        return [mpl.colormaps["tab10"](i) for i in range(n)]
    if n <= 20:
        # Strong tab20 hues first, then their light partners, so the first ten differ most.
        order = [*range(0, 20, 2), *range(1, 20, 2)]
        return [mpl.colormaps["tab20"](i) for i in order[:n]]
    return [tuple(c) for c in mpl.colormaps["turbo"](np.linspace(0.03, 0.97, n))]


def _scheduled(events: pd.DataFrame) -> pd.DataFrame:
    return events[events["origin"].astype(str) == "scheduled"]


def _split_csv(value: Any) -> list[str]:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    return [part.strip() for part in str(value).split(",") if part.strip()]


def _shorten(text: str, width: int = 16) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _placeholder(ax: Axes, message: str) -> Axes:
    ax.text(0.5, 0.5, message, transform=ax.transAxes, ha="center", va="center", color="0.4")
    ax.set_axis_off()
    return ax


# --------------------------------------------------------------------------- trust


def plot_trust(
    trust: pd.DataFrame,
    *,
    pairs: Sequence[tuple[str, str]] | None = None,
    events: pd.DataFrame | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Plot trust over time, one line per ordered pair of actors.

    Parameters
    ----------
    trust : pandas.DataFrame
        Trust table with columns ``step``, ``date``, ``truster``, ``trustee``, ``trust``.
    pairs : sequence of (str, str), optional
        Ordered ``(truster, trustee)`` pairs to draw, in this order. Default: every pair in
        the table, sorted.
    events : pandas.DataFrame, optional
        Events table (columns ``date``, ``event``, ``origin``, ``issues``); its scheduled
        events (``origin == "scheduled"``) are marked as thin vertical lines.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on. Default: a new Axes on a new Figure.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on. Each pair's line is labelled ``"truster → trustee"``.

    Raises
    ------
    ValueError
        If a table is empty or lacks a required column, or if ``pairs`` names a pair that
        is not in ``trust``.
    """
    trust = _check_table(trust, "trust", _TRUST_COLUMNS)
    valid = sorted(
        {(str(a), str(b)) for a, b in zip(trust["truster"], trust["trustee"], strict=True)}
    )
    if pairs is None:
        selected = valid
    else:
        selected = [(str(a), str(b)) for a, b in pairs]
        unknown = sorted(set(selected) - set(valid))
        if unknown:
            listed = ", ".join(f"{a} → {b}" for a, b in valid)
            raise ValueError(
                f"unknown trust pair(s) {', '.join(f'{a} → {b}' for a, b in unknown)}; "
                f"valid pairs: {listed}"
            )
        if not selected:
            raise ValueError("pairs is empty: give at least one (truster, trustee) pair")

    ax = _new_axes(ax, (11, 5))
    names = trust[["truster", "trustee"]].astype(str)
    grouped = dict(list(trust.groupby([names["truster"], names["trustee"]], sort=False)))
    for (truster, trustee), color in zip(selected, _distinct_colors(len(selected)), strict=True):
        rows = grouped[(truster, trustee)].sort_values("step")
        ax.plot(
            _dates(rows["date"]),
            rows["trust"].to_numpy(dtype=float),
            color=color,
            linewidth=1.5,
            label=f"{truster} → {trustee}",
        )

    handles, _ = ax.get_legend_handles_labels()
    if events is not None:
        marked = _mark_scheduled_events(ax, events)
        if marked:
            # A proxy artist explains the event lines without adding a Line2D to the Axes.
            handles.append(
                Line2D(
                    [],
                    [],
                    color=_EVENT_COLOR,
                    linewidth=0.8,
                    linestyle=":",
                    label="scheduled event",
                )
            )

    ax.set_ylim(0.0, 1.0)
    ax.set_ylabel("trust")
    ax.set_title("Trust between actors")
    ax.grid(True, axis="y", alpha=0.3)
    _format_date_axis(ax)
    # Up to 16 small entries per column fit beside the plot; 20 pairs need two columns.
    ax.legend(
        handles=handles,
        fontsize="x-small",
        ncol=max(1, math.ceil(len(handles) / 16)),
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        borderaxespad=0.0,
        frameon=False,
    )
    return ax


def _mark_scheduled_events(ax: Axes, events: pd.DataFrame) -> int:
    """Draw one thin vertical line per date with scheduled events; return how many."""
    events = _check_table(events, "events", _EVENT_COLUMNS, allow_empty=True)
    dates = sorted(_scheduled(events)["date"].unique())
    for when in dates:
        ax.axvline(
            mdates.date2num(pd.Timestamp(when)),
            color=_EVENT_COLOR,
            linewidth=0.8,
            linestyle=":",
            alpha=0.8,
            zorder=0,
            label="_scheduled event",
        )
    return len(dates)


# --------------------------------------------------------------------------- network


def _resolve_step(trust: pd.DataFrame, when: DateLike | None) -> tuple[int, pd.Timestamp]:
    """The last step whose date is on or before ``when`` (default: the last step)."""
    steps = trust.groupby("step", sort=True)["date"].min()
    if when is None:
        return int(steps.index[-1]), pd.Timestamp(steps.iloc[-1])
    target = _to_timestamp(when)
    eligible = steps[steps <= target]
    if eligible.empty:
        raise ValueError(
            f"date {target:%Y-%m-%d} is before the first step of the trust table "
            f"({pd.Timestamp(steps.min()):%Y-%m-%d})"
        )
    # The latest date wins; ties (two steps on one date) go to the later step.
    last = eligible[eligible == eligible.max()]
    return int(last.index[-1]), pd.Timestamp(last.iloc[-1])


def plot_network(
    trust: pd.DataFrame,
    *,
    date: DateLike | None = None,
    links: pd.DataFrame | None = None,
    actors: pd.DataFrame | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Draw the directed trust network at one date.

    The drawing uses the last step whose date is on or before ``date``. Nodes are placed
    on a circle (deterministic), edges ``truster → trustee`` are curved so both directions
    of a pair are visible, and their width and colour grow with trust.

    Parameters
    ----------
    trust : pandas.DataFrame
        Trust table with columns ``step``, ``date``, ``truster``, ``trustee``, ``trust``.
    date : str, datetime, numpy.datetime64 or pandas.Timestamp, optional
        Date to show. Default: the last step.
    links : pandas.DataFrame, optional
        Structural links (``source``, ``target``, ``type``, ``weight``), drawn as thin
        dashed lines under the trust edges, coloured by type (see ``LINK_COLORS``).
    actors : pandas.DataFrame, optional
        Actor info (``name``, ``role``, ``capability``): nodes are coloured by role (see
        ``ROLE_COLORS``) and sized by capability.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on. Default: a new Axes on a new Figure.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on. Trust edges are arrow patches whose ``gid`` is
        ``"trust:truster→trustee"``; a colour bar for trust is added beside the Axes.

    Raises
    ------
    ValueError
        If a table is empty or lacks a required column, or if ``date`` is before the first
        step.
    """
    trust = _check_table(trust, "trust", _TRUST_COLUMNS)
    step, when = _resolve_step(trust, date)
    snapshot = trust[trust["step"] == step]
    if links is not None:
        links = _check_table(links, "links", _LINK_COLUMNS, allow_empty=True)
    if actors is not None:
        actors = _check_table(actors, "actors", _ACTOR_COLUMNS, allow_empty=True)

    # Sorted node order keeps the circular layout identical from run to run.
    names = set(trust["truster"].astype(str)) | set(trust["trustee"].astype(str))
    if actors is not None:
        names |= set(actors["name"].astype(str))
    if links is not None:
        names |= set(links["source"].astype(str)) | set(links["target"].astype(str))
    nodes = sorted(names)
    graph = nx.DiGraph()
    graph.add_nodes_from(nodes)
    pos = nx.circular_layout(graph)

    roles: dict[str, str] = {}
    capability: dict[str, float] = {}
    if actors is not None:
        for row in actors.itertuples(index=False):
            roles[str(row.name)] = str(row.role)
            if pd.notna(row.capability):
                capability[str(row.name)] = float(row.capability)
    max_cap = max((c for c in capability.values() if c > 0), default=1.0)
    sizes = [
        300.0 + 1200.0 * max(capability[n], 0.0) / max_cap if n in capability else 600.0
        for n in nodes
    ]
    colors = [ROLE_COLORS.get(roles.get(n, "other"), _FALLBACK_COLOR) for n in nodes]

    ax = _new_axes(ax, (7, 6))
    legend_handles: list[Any] = []

    if links is not None and not links.empty:
        max_weight = max(float(links["weight"].abs().max()), 1e-12)
        for kind, frame in links.groupby("type", sort=True):
            color = LINK_COLORS.get(str(kind), _FALLBACK_COLOR)
            # Links are drawn undirected: one line per unordered pair, at its largest weight.
            weights: dict[tuple[str, str], float] = {}
            for s, t, w in zip(frame["source"], frame["target"], frame["weight"], strict=True):
                if str(s) != str(t):
                    low, high = sorted((str(s), str(t)))
                    key = (low, high)
                    weights[key] = max(weights.get(key, 0.0), abs(float(w)))
            if not weights:
                continue
            nx.draw_networkx_edges(
                nx.Graph(list(weights)),
                pos,
                edgelist=list(weights),
                width=[0.8 + 1.7 * w / max_weight for w in weights.values()],
                edge_color=color,
                style="--",
                alpha=0.8,
                ax=ax,
            )
            legend_handles.append(Line2D([], [], color=color, linestyle="--", label=f"{kind} link"))

    nx.draw_networkx_nodes(
        graph,
        pos,
        nodelist=nodes,
        node_size=sizes,
        node_color=colors,
        edgecolors="white",
        ax=ax,
    )
    edges = [
        (str(a), str(b), float(t))
        for a, b, t in zip(snapshot["truster"], snapshot["trustee"], snapshot["trust"], strict=True)
        if str(a) != str(b)
    ]
    if edges:
        cmap = mpl.colormaps[_TRUST_CMAP]
        graph.add_weighted_edges_from(edges, weight="trust")
        patches = nx.draw_networkx_edges(
            graph,
            pos,
            edgelist=[(a, b) for a, b, _ in edges],
            width=[0.5 + 4.5 * t for _, _, t in edges],
            edge_color=[cmap(t) for _, _, t in edges],
            nodelist=nodes,
            node_size=sizes,
            arrows=True,
            arrowsize=12,
            connectionstyle="arc3,rad=0.15",
            ax=ax,
        )
        for patch, (a, b, _) in zip(patches, edges, strict=True):
            patch.set_gid(f"trust:{a}→{b}")
        mappable = ScalarMappable(norm=Normalize(0.0, 1.0), cmap=cmap)
        ax.figure.colorbar(mappable, ax=ax, shrink=0.6, label="trust")
    # Labels go last, on a translucent box, so arrows passing by do not hide them.
    nx.draw_networkx_labels(
        graph,
        pos,
        font_size=9,
        font_weight="bold",
        bbox={"facecolor": "white", "alpha": 0.7, "edgecolor": "none", "pad": 1.0},
        ax=ax,
    )

    present_roles = sorted({roles.get(n, "other") for n in nodes}) if actors is not None else []
    legend_handles = [
        Line2D(
            [],
            [],
            marker="o",
            linestyle="",
            markersize=8,
            color=ROLE_COLORS.get(r, _FALLBACK_COLOR),
            label=r,
        )
        for r in present_roles
    ] + legend_handles
    if legend_handles:
        ax.legend(
            handles=legend_handles,
            fontsize="x-small",
            # Below the drawing: inside it, the legend would cover nodes on the circle.
            loc="upper center",
            bbox_to_anchor=(0.5, 0.0),
            ncol=min(len(legend_handles), 4),
            frameon=False,
        )

    ax.set_title(f"Trust network on {when:%Y-%m-%d} (step {step})")
    ax.set_aspect("equal")
    ax.margins(0.12)
    ax.set_axis_off()
    return ax


# --------------------------------------------------------------------------- issues


def _segments(frame: pd.DataFrame, step_length: np.timedelta64) -> list[tuple[Any, Any, str]]:
    """Runs of equal status as ``(start, end, status)``; the last row lasts one step."""
    frame = frame.sort_values("step")
    starts = _dates(frame["date"])
    ends = np.append(starts[1:], starts[-1] + step_length)
    runs: list[tuple[Any, Any, str]] = []
    for start, end, status in zip(starts, ends, frame["status"].astype(str), strict=True):
        if runs and runs[-1][2] == status:
            runs[-1] = (runs[-1][0], end, status)
        else:
            runs.append((start, end, status))
    return runs


def _step_length(dates: pd.Series) -> np.timedelta64:
    unique = np.unique(_dates(dates))
    if len(unique) < 2:
        return np.timedelta64(1, "D")
    return np.median(np.diff(unique)).astype("timedelta64[s]")


def plot_issue_timeline(
    issues: pd.DataFrame,
    *,
    events: pd.DataFrame | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Draw one horizontal lane per issue, coloured by status over time.

    Parameters
    ----------
    issues : pandas.DataFrame
        Issues table with columns ``step``, ``date``, ``issue``, ``status``, ``progress``
        (``position`` is not drawn). A status holds from its row's date to the next row's
        date; the last row lasts one (median) step.
    events : pandas.DataFrame, optional
        Events table (columns ``date``, ``event``, ``origin``, ``issues``, the latter a
        comma-separated list of issue names). Scheduled events are drawn as thin vertical
        lines labelled with their ids (events on the same date share one line; the labels
        sit in rows above the lanes, laid out when the figure is drawn so that none overlaps
        another or leaves the Axes: one with no room is shortened, or hidden); incidents
        are drawn as small red markers in the lanes of the issues they name, or along the
        bottom edge if they name none.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on. Default: a new Axes on a new Figure.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on. One lane per issue in order of first appearance, the first on top
        (lane centres at y = n-1, ..., 0; ticks labelled with issue names); status bars have
        ``gid`` ``"status:issue:status"``. Implementation progress (0 at the bottom of a
        lane, 1 at the top) is overlaid as a thin black line for issues with any progress.

    Raises
    ------
    ValueError
        If a table is empty or lacks a required column.
    """
    issues = _check_table(issues, "issues", _ISSUE_COLUMNS)
    if events is not None:
        events = _check_table(events, "events", _EVENT_COLUMNS, allow_empty=True)
    ax = _new_axes(ax, (11, 2.5 + 0.7 * issues["issue"].nunique()))

    names = list(dict.fromkeys(issues["issue"].astype(str)))
    # First issue on top, like reading a list.
    lane = {name: len(names) - 1 - i for i, name in enumerate(names)}
    height = 0.6
    step_length = _step_length(issues["date"])
    seen_status: set[str] = set()

    for name, frame in issues.groupby(issues["issue"].astype(str), sort=False):
        y = lane[str(name)]
        runs = _segments(frame, step_length)
        for start, end, status in runs:
            ax.barh(
                y,
                width=end - start,
                left=start,
                height=height,
                color=STATUS_COLORS.get(status, _FALLBACK_COLOR),
                edgecolor="white",
                linewidth=0.5,
                gid=f"status:{name}:{status}",
            )
            seen_status.add(status)
        last_end = runs[-1][1]

        rows = frame.sort_values("step")
        progress = rows["progress"].to_numpy(dtype=float)
        if np.nanmax(progress, initial=0.0) > 0:
            xs = np.append(_dates(rows["date"]), last_end)
            ys = y - height / 2 + height * np.clip(np.append(progress, progress[-1]), 0, 1)
            ax.plot(xs, ys, drawstyle="steps-post", color="black", linewidth=1.0, label="_progress")

    handles: list[Any] = [
        Patch(color=STATUS_COLORS.get(s, _FALLBACK_COLOR), label=s)
        for s in [*STATUS_COLORS, *sorted(seen_status - set(STATUS_COLORS))]
        if s in seen_status
    ]
    if any(line.get_label() == "_progress" for line in ax.lines):
        handles.append(Line2D([], [], color="black", linewidth=1.0, label="progress"))

    if events is not None and not events.empty:
        handles += _mark_timeline_events(ax, events, lane, height)

    ax.set_yticks(range(len(names)), labels=names[::-1])
    # Lanes fill the lower ~70% of the Axes; the band above holds the event labels.
    ax.set_ylim(-0.5, -0.5 + len(names) / _LANES_SHARE)
    ax.tick_params(axis="y", length=0)
    ax.grid(True, axis="x", alpha=0.3)
    ax.set_axisbelow(True)
    ax.set_title("Issues: status over time")
    _format_date_axis(ax)
    ax.legend(
        handles=handles,
        fontsize="x-small",
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        borderaxespad=0.0,
        frameon=False,
    )
    return ax


_LANES_SHARE = 0.7  # of the issue timeline's height; the band above holds the event labels
type _Side = Literal["left", "right"]


class _EventLabels(Artist):
    """Lays out the event labels of an issue timeline each time the figure is drawn.

    Labels are horizontal, in rows from the top of the Axes down to the lanes: each goes in
    the highest row where it fits, starting at its event's line (or ending there, near the
    right edge), without touching another label or leaving the Axes. A label that fits
    nowhere is shortened (``"commission_su…"``), and hidden if even a few letters do not fit
    (its dotted line stays). Done at draw time, so it holds at any figure size and after
    constrained layout has moved the Axes.
    """

    def __init__(self, ax: Axes, texts: Sequence[Text], xs: Sequence[float]) -> None:
        super().__init__()
        self.axes = ax
        self._ax = ax  # typed: Artist.axes may be None
        self.set_zorder(-1000)  # draws before the texts it places
        self.set_in_layout(False)
        self._texts = list(texts)
        self._xs = list(xs)
        self._full = [t.get_text() for t in texts]

    def draw(self, renderer: Any) -> None:
        ax = self._ax
        box = ax.get_window_extent(renderer)
        pad = 2.0 * renderer.points_to_pixels(1.0)
        to_axes = ax.transAxes.inverted()
        rows: list[list[tuple[float, float]]] = []
        row_height = None
        for text, x, full in zip(self._texts, self._xs, self._full, strict=True):
            x_px = ax.transData.transform((x, 0.0))[0]
            text.set_visible(True)
            placed = False
            for label in _shortenings(full):
                text.set_text(label)
                text.set_horizontalalignment("left")
                extent = text.get_window_extent(renderer)
                width, height = extent.width, extent.height
                row_height = row_height or height + pad
                capacity = max(int(box.height * (1 - _LANES_SHARE) // row_height), 1)
                # Start at the event's line, or end there (near the right edge).
                spans: list[tuple[_Side, float, float]] = [
                    ("left", x_px + pad, x_px + pad + width),
                    ("right", x_px - pad - width, x_px - pad),
                ]
                for level in range(capacity):
                    if level == len(rows):
                        rows.append([])
                    for side, lo, hi in spans:
                        inside = box.x0 + pad / 2 <= lo and hi <= box.x1 - pad / 2
                        if inside and all(hi + pad < a or b + pad < lo for a, b in rows[level]):
                            rows[level].append((lo, hi))
                            top = box.y1 - pad - level * row_height
                            anchor = lo if side == "left" else hi
                            text.set_horizontalalignment(side)
                            text.set_transform(ax.transAxes)
                            text.set_position(tuple(to_axes.transform((anchor, top))))
                            placed = True
                            break
                    if placed:
                        break
                if placed:
                    break
            if not placed:
                text.set_visible(False)
        self.stale = False


def _shortenings(label: str, shortest: int = 4) -> Iterator[str]:
    """The label, then ever shorter versions of it ending in "…", down to `shortest` letters.

    Examples
    --------
    >>> list(_shortenings("convene_all", shortest=8))
    ['convene_all', 'convene_a…', 'convene_…', 'convene…']
    """
    yield label
    for n in range(len(label) - 2, shortest - 2, -1):
        yield label[:n] + "…"


def _mark_timeline_events(
    ax: Axes, events: pd.DataFrame, lane: Mapping[str, int], height: float
) -> list[Any]:
    """Mark events on the issue timeline; return legend proxies for what was drawn."""
    handles: list[Any] = []
    scheduled = _scheduled(events)
    top = blended_transform_factory(ax.transData, ax.transAxes)
    texts: list[Text] = []
    label_xs: list[float] = []
    for when, group in scheduled.groupby("date", sort=True):
        x = mdates.date2num(pd.Timestamp(when))
        ax.axvline(
            x, color=_EVENT_COLOR, linewidth=0.8, linestyle=":", zorder=0, label="_scheduled event"
        )
        # One label per date: events sharing a date would otherwise print on top of each other.
        ids = list(dict.fromkeys(group["event"].astype(str)))
        label = _shorten(ids[0], 18) + (f" +{len(ids) - 1}" if len(ids) > 1 else "")
        texts.append(
            ax.text(
                x,
                0.99,
                label,
                transform=top,
                ha="left",
                va="top",
                fontsize="x-small",
                color="0.25",
                clip_on=False,
                gid="event label",
            )
        )
        label_xs.append(x)
    if texts:
        ax.add_artist(_EventLabels(ax, texts, label_xs))
    if not scheduled.empty:
        handles.append(
            Line2D(
                [], [], color=_EVENT_COLOR, linewidth=0.8, linestyle=":", label="scheduled event"
            )
        )

    incidents = events[events["origin"].astype(str) != "scheduled"]
    xs: list[Any] = []
    ys: list[float] = []
    loose: list[Any] = []
    for row in incidents.itertuples(index=False):
        x = np.datetime64(pd.Timestamp(row.date))
        lanes = [lane[i] for i in _split_csv(row.issues) if i in lane]
        if lanes:
            for y in lanes:
                xs.append(x)
                ys.append(y + height / 2 + 0.08)
        else:
            loose.append(x)
    if xs:
        ax.plot(
            np.array(xs),
            ys,
            linestyle="",
            marker="v",
            markersize=5,
            color=_INCIDENT_COLOR,
            label="_incident",
        )
    if loose:
        bottom = blended_transform_factory(ax.transData, ax.transAxes)
        ax.plot(
            np.array(loose),
            np.full(len(loose), 0.02),
            linestyle="",
            marker="|",
            markersize=9,
            color=_INCIDENT_COLOR,
            transform=bottom,
            label="_incident",
        )
    if xs or loose:
        handles.append(
            Line2D(
                [],
                [],
                linestyle="",
                marker="v",
                markersize=5,
                color=_INCIDENT_COLOR,
                label="incident",
            )
        )
    return handles


# --------------------------------------------------------------------------- quantities


def plot_quantities(quantities: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Plot delivery over time as a share of each quantity's total.

    Parameters
    ----------
    quantities : pandas.DataFrame
        Quantities table with columns ``step``, ``date``, ``issue``, ``quantity``, ``unit``,
        ``total``, ``delivered``.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on. Default: a new Axes on a new Figure.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on, one line per ``(issue, quantity)`` showing ``delivered / total``
        (y axis in percent), labelled ``"issue: quantity (of <total> <unit>)"`` with the
        latest total. A total of zero gives no defined share: those points are left out.

    Raises
    ------
    ValueError
        If the table is empty or lacks a required column.
    """
    quantities = _check_table(quantities, "quantities", _QUANTITY_COLUMNS)
    ax = _new_axes(ax, (9, 5))
    groups = list(quantities.groupby(["issue", "quantity"], sort=True))
    top = 1.0
    for ((issue, quantity), frame), color in zip(
        groups, _distinct_colors(len(groups)), strict=True
    ):
        rows = frame.sort_values("step")
        total = rows["total"].to_numpy(dtype=float)
        delivered = rows["delivered"].to_numpy(dtype=float)
        share = np.divide(delivered, total, out=np.full_like(delivered, np.nan), where=total > 0)
        if np.isfinite(share).any():
            top = max(top, float(np.nanmax(share)))
        unit = str(rows["unit"].iloc[-1])
        ax.plot(
            _dates(rows["date"]),
            share,
            color=color,
            linewidth=1.5,
            marker="o",
            markersize=3,
            label=f"{issue}: {quantity} (of {total[-1]:g} {unit})",
        )
    ax.set_ylim(0.0, top * 1.05)
    ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0))
    ax.set_ylabel("delivered (% of total)")
    ax.set_title("Quantities delivered")
    ax.grid(True, axis="y", alpha=0.3)
    _format_date_axis(ax)
    ax.legend(
        fontsize="x-small", loc="upper left", frameon=False, ncol=max(1, math.ceil(len(groups) / 8))
    )
    return ax


# --------------------------------------------------------------------------- summary


def _optional(tables: Mapping[str, pd.DataFrame | None], key: str) -> pd.DataFrame | None:
    value = tables.get(key)
    return value if isinstance(value, pd.DataFrame) else None


def _principal_pairs(trust: pd.DataFrame, actors: pd.DataFrame | None) -> list[tuple[str, str]]:
    if actors is None or actors.empty:
        return []
    principals = set(actors.loc[actors["role"].astype(str) == "principal", "name"].astype(str))
    pairs = {
        (str(a), str(b))
        for a, b in zip(trust["truster"], trust["trustee"], strict=True)
        if str(a) in principals and str(b) in principals
    }
    return sorted(pairs)


def _check_tables(tables: Mapping[str, pd.DataFrame | None]) -> None:
    missing = [k for k in ("trust", "issues", "events", "quantities") if tables.get(k) is None]
    if missing:
        raise ValueError(f"tables is missing required table(s): {', '.join(missing)}")


def plot_summary(tables: Mapping[str, pd.DataFrame], *, title: str | None = None) -> Figure:
    """Draw a one-page 2x2 summary of a run.

    Panels: trust over time (between principals if ``actors`` names at least two, else
    all pairs) with scheduled events; the trust network at the last step; the issue
    timeline with events; quantities delivered.

    Parameters
    ----------
    tables : mapping of str to pandas.DataFrame
        Must hold ``"trust"``, ``"issues"``, ``"events"`` and ``"quantities"``; may hold
        ``"links"`` and ``"actors"``. An empty ``events`` or ``quantities`` table is
        allowed (no marks, or a "no quantities" panel).
    title : str, optional
        Figure title. Default: ``"Run summary: <first date> – <last date>"``.

    Returns
    -------
    matplotlib.figure.Figure
        A new Figure (not registered with pyplot) with four Axes.

    Raises
    ------
    ValueError
        If a required table is missing, or a table is invalid (see the panel functions).
    """
    _check_tables(tables)
    trust = _check_table(tables["trust"], "trust", _TRUST_COLUMNS)
    events = tables["events"]
    quantities = tables["quantities"]
    actors = _optional(tables, "actors")
    if actors is not None:
        actors = _check_table(actors, "actors", _ACTOR_COLUMNS, allow_empty=True)

    fig = Figure(figsize=(16, 10), layout="constrained")
    axes = fig.subplots(2, 2)

    pairs = _principal_pairs(trust, actors)
    plot_trust(trust, pairs=pairs or None, events=events, ax=axes[0, 0])
    if pairs:
        axes[0, 0].set_title("Trust between principals")
    plot_network(trust, links=_optional(tables, "links"), actors=actors, ax=axes[0, 1])
    plot_issue_timeline(tables["issues"], events=events, ax=axes[1, 0])
    if isinstance(quantities, pd.DataFrame) and quantities.empty:
        _check_table(quantities, "quantities", _QUANTITY_COLUMNS, allow_empty=True)
        _placeholder(axes[1, 1], "No quantities recorded")
    else:
        plot_quantities(quantities, ax=axes[1, 1])

    if title is None:
        first, last = trust["date"].min(), trust["date"].max()
        title = f"Run summary: {first:%Y-%m-%d} – {last:%Y-%m-%d}"
    fig.suptitle(title, fontsize="x-large")
    return fig


# --------------------------------------------------------------------------- saving


def figure_of(ax: Axes) -> Figure:
    """The figure an Axes is drawn on (the top-level one, for a subfigure's Axes).

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> fig = Figure()
    >>> figure_of(fig.subplots()) is fig
    True
    """
    fig = ax.get_figure(root=True)
    if fig is None:
        raise ValueError("these Axes are on no figure")
    return fig


def _save(fig: Figure, path: Path, fmt: str, dpi: float) -> Path:
    """Save ``fig`` to ``path`` atomically: write a sibling temp file, then replace."""

    def write(handle: BinaryIO) -> None:
        # A fixed SVG hash salt makes element ids reproducible; rc_context keeps it local.
        with mpl.rc_context({"svg.hashsalt": "lsr_sim"}):
            fig.savefig(handle, format=fmt, dpi=dpi, metadata=_METADATA[fmt])

    return atomic_write(path, write)


def _unique_dates(dates: Iterable[DateLike]) -> list[pd.Timestamp]:
    return list(dict.fromkeys(_to_timestamp(d) for d in dates))


def save_figures(
    tables: Mapping[str, pd.DataFrame],
    out_dir: str | os.PathLike[str],
    *,
    dates: Sequence[DateLike] | None = None,
    fmt: str = "png",
    dpi: float = 120,
) -> list[Path]:
    """Write the standard figures of a run into a directory.

    Files, in this order: ``trust.<fmt>``, ``network_<YYYY-MM-DD>.<fmt>`` for each of
    ``dates``, ``issues.<fmt>``, ``quantities.<fmt>``, ``summary.<fmt>``. Each file is
    written atomically (temporary file in ``out_dir``, then replaced), and without time
    stamps or version strings, so the same tables give byte-identical files.

    Parameters
    ----------
    tables : mapping of str to pandas.DataFrame
        As for :func:`plot_summary`.
    out_dir : str or os.PathLike
        Output directory, created if needed.
    dates : sequence of date-like, optional
        Dates of the network drawings (each shows the last step on or before it; the file
        is named after the date given). Duplicates are dropped. Default: the first and last
        dates of the trust table.
    fmt : {"png", "pdf", "svg"}
        File format.
    dpi : float
        Resolution for raster output.

    Returns
    -------
    list of pathlib.Path
        Paths of the files written, in the order above.

    Raises
    ------
    ValueError
        If ``fmt`` is not supported, a required table is missing or invalid, or a date is
        before the first step.
    """
    if fmt not in _METADATA:
        raise ValueError(f"unsupported format {fmt!r}; choose one of {', '.join(_METADATA)}")
    _check_tables(tables)
    trust = _check_table(tables["trust"], "trust", _TRUST_COLUMNS)
    links = _optional(tables, "links")
    actors = _optional(tables, "actors")
    events = tables["events"]
    quantities = tables["quantities"]

    wanted = _unique_dates(
        dates if dates is not None else [trust["date"].min(), trust["date"].max()]
    )
    # Fail on a bad date before writing anything.
    for when in wanted:
        _resolve_step(trust, when)

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    ax = plot_trust(trust, events=events)
    written.append(_save(figure_of(ax), out / f"trust.{fmt}", fmt, dpi))
    for when in wanted:
        ax = plot_network(trust, date=when, links=links, actors=actors)
        written.append(_save(figure_of(ax), out / f"network_{when:%Y-%m-%d}.{fmt}", fmt, dpi))
    ax = plot_issue_timeline(tables["issues"], events=events)
    written.append(_save(figure_of(ax), out / f"issues.{fmt}", fmt, dpi))
    if isinstance(quantities, pd.DataFrame) and quantities.empty:
        _check_table(quantities, "quantities", _QUANTITY_COLUMNS, allow_empty=True)
        ax = _placeholder(_new_axes(None, (9, 5)), "No quantities recorded")
    else:
        ax = plot_quantities(quantities)
    written.append(_save(figure_of(ax), out / f"quantities.{fmt}", fmt, dpi))
    written.append(_save(plot_summary(tables), out / f"summary.{fmt}", fmt, dpi))
    return written
