"""Figures of forecasts and scores, drawn from their tables (never from a model).

Each function takes tables and an optional ``ax`` and returns the Axes it drew on:
:func:`plot_event_probability` (P(agreed by date) or P(implemented by date) per issue, with
its Monte Carlo band), :func:`plot_status_probabilities` (the chance of each status over time,
stacked), :func:`plot_fan` (a fan chart of a delivered quantity: 5-95 % and 25-75 % bands and
the median) and :func:`plot_reliability` (a reliability diagram with the count in each bin).
:func:`save_forecast_figures` writes a forecast's figures.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib as mpl
import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from lsr_sim.atomic import atomic_write

__all__ = [
    "plot_event_probability",
    "plot_fan",
    "plot_reliability",
    "plot_status_probabilities",
    "save_figure",
    "save_forecast_figures",
]

_TITLES = {
    "agreed_by_date": "P(agreed by the date)",
    "implemented_by_date": "P(implemented by the date)",
}


def _new_axes(ax: Axes | None, figsize: tuple[float, float] = (7.0, 4.0)) -> Axes:
    if ax is not None:
        return ax
    return Figure(figsize=figsize, layout="constrained").subplots()


def _check(table: pd.DataFrame, name: str, columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValueError(f"{name} table is missing required column(s): {', '.join(missing)}")


def _date_axis(ax: Axes) -> None:
    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def plot_event_probability(
    probabilities: pd.DataFrame,
    event: str = "agreed_by_date",
    *,
    issues: Sequence[str] | None = None,
    ax: Axes | None = None,
) -> Axes:
    """The chance of `event` by each forecast date, one line per issue, with its interval.

    Reads ``date``, ``issue``, ``event``, ``probability``, ``low`` and ``high`` of a forecast's
    ``probabilities`` table.
    """
    _check(probabilities, "probabilities", ("date", "issue", "event", "probability", "low", "high"))
    ax = _new_axes(ax)
    rows = probabilities[probabilities["event"] == event]
    if rows.empty:
        raise ValueError(f"probabilities table has no rows for event {event!r}")
    names = list(dict.fromkeys(rows["issue"])) if issues is None else list(issues)
    colors = mpl.colormaps["tab10"]
    for i, issue in enumerate(names):
        part = rows[rows["issue"] == issue].sort_values("date")
        dates = pd.to_datetime(part["date"]).to_numpy()
        color = colors(i % 10)
        ax.fill_between(dates, part["low"], part["high"], color=color, alpha=0.2, linewidth=0)
        ax.plot(dates, part["probability"], color=color, label=issue)
    ax.set_ylim(-0.02, 1.02)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_ylabel(_TITLES.get(event, event))
    ax.set_title(f"{_TITLES.get(event, event)}, with Monte Carlo intervals")
    ax.legend(fontsize="small", loc="upper left")
    _date_axis(ax)
    return ax


def plot_status_probabilities(
    probabilities: pd.DataFrame, issue: str, *, ax: Axes | None = None
) -> Axes:
    """The chance of each status of `issue` at each forecast date, stacked to 1."""
    from lsr_sim.plotting import STATUS_COLORS

    _check(probabilities, "probabilities", ("date", "issue", "event", "probability"))
    ax = _new_axes(ax)
    rows = probabilities[
        (probabilities["issue"] == issue) & probabilities["event"].str.startswith("status_")
    ]
    if rows.empty:
        raise ValueError(f"probabilities table has no status rows for issue {issue!r}")
    wide = rows.pivot(index="date", columns="event", values="probability").sort_index()
    statuses = [s for s in STATUS_COLORS if f"status_{s}" in wide.columns]
    ax.stackplot(
        pd.to_datetime(wide.index).to_numpy(),
        *(wide[f"status_{s}"].to_numpy() for s in statuses),
        labels=statuses,
        colors=[STATUS_COLORS[s] for s in statuses],
    )
    ax.set_ylim(0, 1)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_title(f"{issue}: chance of each status")
    ax.legend(fontsize="x-small", loc="upper left")
    _date_axis(ax)
    return ax


def plot_fan(quantiles: pd.DataFrame, issue: str, quantity: str, *, ax: Axes | None = None) -> Axes:
    """Fan chart of a delivered quantity: 5-95 % and 25-75 % bands and the median."""
    _check(quantiles, "quantiles", ("date", "issue", "quantity", "q05", "q25", "q50", "q75", "q95"))
    ax = _new_axes(ax)
    rows = quantiles[(quantiles["issue"] == issue) & (quantiles["quantity"] == quantity)]
    if rows.empty:
        raise ValueError(f"quantiles table has no rows for {issue}.{quantity}")
    rows = rows.sort_values("date")
    dates = pd.to_datetime(rows["date"]).to_numpy()
    ax.fill_between(
        dates, rows["q05"], rows["q95"], color="#3182bd", alpha=0.2, lw=0, label="5-95 %"
    )
    ax.fill_between(
        dates, rows["q25"], rows["q75"], color="#3182bd", alpha=0.4, lw=0, label="25-75 %"
    )
    ax.plot(dates, rows["q50"], color="#08519c", label="median")
    unit = str(rows["unit"].iloc[0]) if "unit" in rows else ""
    if "total" in rows:
        ax.set_ylim(0, max(float(rows["total"].iloc[0]), float(rows["q95"].max())) * 1.02)
    ax.set_ylabel(unit)
    ax.set_title(f"{issue}: {quantity} delivered")
    ax.legend(fontsize="x-small", loc="upper left")
    _date_axis(ax)
    return ax


def plot_reliability(
    reliability: pd.DataFrame,
    *,
    forecasters: Sequence[str] | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Reliability diagram: observed frequency against mean forecast in each bin, each point
    labelled with its count of facts; the diagonal is perfect reliability.

    Reads ``forecaster``, ``count``, ``mean_forecast`` and ``observed`` of a scores'
    ``reliability`` table; default forecasters: ``model`` only.
    """
    _check(reliability, "reliability", ("forecaster", "count", "mean_forecast", "observed"))
    ax = _new_axes(ax, (5.0, 5.0))
    names = ["model"] if forecasters is None else list(forecasters)
    ax.plot([0, 1], [0, 1], color="0.6", linestyle="--", linewidth=1, label="perfect")
    markers = "osD^v<>"
    for i, name in enumerate(names):
        rows = reliability[(reliability["forecaster"] == name) & (reliability["count"] > 0)]
        if rows.empty:
            continue
        color = mpl.colormaps["tab10"](i % 10)
        ax.plot(
            rows["mean_forecast"], rows["observed"], marker=markers[i % 7], color=color, label=name
        )
        for row in rows.itertuples():
            ax.annotate(
                str(row.count),
                (row.mean_forecast, row.observed),
                textcoords="offset points",
                xytext=(4, 4),
                fontsize="x-small",
                color=color,
            )
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("forecast probability (bin mean)")
    ax.set_ylabel("observed frequency")
    ax.set_title("Reliability (numbers: facts in the bin)")
    ax.legend(fontsize="small", loc="upper left")
    return ax


def save_figure(fig: Figure, path: Path, dpi: float = 120) -> Path:
    """Save `fig` as PNG at `path` atomically, without time stamps (byte-identical renders)."""
    return atomic_write(
        path, lambda handle: fig.savefig(handle, format="png", dpi=dpi, metadata={"Software": None})
    )


def _grid(count: int, width: float = 5.0, height: float = 3.2) -> tuple[Figure, list[Axes]]:
    cols = min(count, 2)
    rows = int(np.ceil(count / cols))
    fig = Figure(figsize=(width * cols, height * rows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, cols)).ravel().tolist()
    for ax in axes[count:]:
        ax.set_axis_off()
    return fig, axes[:count]


def save_forecast_figures(
    tables: Mapping[str, pd.DataFrame], folder: Path, dpi: float = 120
) -> list[Path]:
    """Write a forecast's figures into `folder`: ``agreed.png``, ``implemented.png``,
    ``status.png`` (one panel per issue) and, if the scenario has quantities,
    ``delivered.png`` (a fan chart per quantity)."""
    probabilities, quantiles = tables["probabilities"], tables["quantiles"]
    written = []
    for name, event in (("agreed", "agreed_by_date"), ("implemented", "implemented_by_date")):
        ax = plot_event_probability(probabilities, event)
        written.append(save_figure(ax.figure, folder / f"{name}.png", dpi))  # type: ignore[arg-type]
    issues = list(dict.fromkeys(probabilities["issue"]))
    fig, axes = _grid(len(issues))
    for issue, ax in zip(issues, axes, strict=True):
        plot_status_probabilities(probabilities, issue, ax=ax)
    written.append(save_figure(fig, folder / "status.png", dpi))
    pairs = list(dict.fromkeys(zip(quantiles["issue"], quantiles["quantity"], strict=True)))
    if pairs:
        fig, axes = _grid(len(pairs))
        for (issue, quantity), ax in zip(pairs, axes, strict=True):
            plot_fan(quantiles, issue, quantity, ax=ax)
        written.append(save_figure(fig, folder / "delivered.png", dpi))
    return written
