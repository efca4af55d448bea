"""Figures of a sweep analysis, drawn from its tables.

Like :mod:`lsr_sim.plotting`, every function works on pandas tables (those of
:func:`lsr_sim.sweep.analysis.analyze`), accepts an optional ``ax`` and returns the Axes it
drew on. Figures are :class:`matplotlib.figure.Figure` objects, never pyplot's, so nothing
here touches global state; :func:`save_sweep_figures` writes them atomically and without
time stamps, so the same tables give byte-identical PNG files.

Tables (the columns each function reads):

- ``points``: the parameters, ``scenario`` (optional), ``<outcome>_mean``, and for
  confidence bands ``<outcome>_sd`` and ``<outcome>_n`` (or ``n``).
- sobol indices: ``parameter``, ``S1``, ``S1_conf``, ``ST``, ``ST_conf`` (optionally
  ``scenario``, ``outcome``).
- morris indices: ``parameter``, ``mu_star``, ``mu_star_conf``, ``sigma`` (optionally
  ``scenario``, ``outcome``).
- a screening ranking (:func:`lsr_sim.sweep.sensitivity.screen`): ``outcome``,
  ``parameter``, the indices above, ``relative`` and ``above_dummy``
  (:func:`plot_screening`, :func:`plot_screening_overview`).

Scenario discovery (the tables of :func:`lsr_sim.sweep.discovery.discover`):

- ``prim_trajectory``: ``coverage``, ``density``, ``restricted``, optionally ``chosen``
  (:func:`plot_tradeoff`).
- ``prim_box``: ``input``, ``min``, ``max``, ``restricted``, ``qp_min``, ``qp_max``,
  ``sweep_min``, ``sweep_max`` (:func:`plot_box_limits`).
- ``scores``: ``input``, ``importance`` (:func:`plot_feature_scores`); the fitted CART tree
  for :func:`plot_tree`.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from lsr_sim.atomic import atomic_write
from lsr_sim.scenario.derived import is_dummy

__all__ = [
    "plot_box_limits",
    "plot_feature_scores",
    "plot_heatmap",
    "plot_response",
    "plot_screening",
    "plot_screening_overview",
    "plot_sensitivity",
    "plot_tradeoff",
    "plot_tree",
    "save_discovery_figures",
    "save_figure",
    "save_sweep_figures",
]

#: At most this many distinct parameter values make ``kind="auto"`` draw grid lines.
GRID_MAX_VALUES = 12
#: Panels per response figure in :func:`save_sweep_figures` (the first parameters).
MAX_PANELS = 12

_S1_COLOR = "#3182bd"
_ST_COLOR = "#fd8d3c"
_SIGMA_COLOR = "#969696"
_METADATA = {"Software": None}  # no version string: byte-reproducible PNGs


# --------------------------------------------------------------------------- helpers


def _new_axes(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    if ax is not None:
        return ax
    fig = Figure(figsize=figsize, layout="constrained")
    return fig.subplots()


def _require(table: Any, name: str, columns: Sequence[str]) -> pd.DataFrame:
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"{name} must be a pandas DataFrame, got {type(table).__name__}")
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValueError(f"{name} table is missing column(s): {', '.join(missing)}")
    return table


def _select(
    table: pd.DataFrame, column: str, value: str | None, name: str
) -> tuple[pd.DataFrame, str | None]:
    """Rows of ``table`` whose ``column`` is ``value``; the only value if there is one."""
    if column not in table.columns:
        return table, value
    values = list(dict.fromkeys(table[column].astype(str)))
    if value is None:
        if len(values) > 1:
            raise ValueError(
                f"{name} table holds several {column}s ({', '.join(values)}): pass {column}="
            )
        return table, values[0] if values else None
    if value not in values:
        raise ValueError(f"no {column} {value!r} in the {name} table; it has: {', '.join(values)}")
    return table[table[column].astype(str) == value], value


def _label(value: Any) -> str:
    return f"{value:g}" if isinstance(value, (float, np.floating, int, np.integer)) else str(value)


def _placeholder(ax: Axes, message: str) -> Axes:
    ax.text(0.5, 0.5, message, transform=ax.transAxes, ha="center", va="center", color="0.4")
    ax.set_xticks([])
    ax.set_yticks([])
    return ax


def _marginal(frame: pd.DataFrame, x: str, outcome: str, confidence: float) -> pd.DataFrame:
    """Mean of the point means at each ``x`` value (over the other parameters) and its CI.

    The interval reflects replication noise only: with point means m_i (i = 1..k) of
    standard errors s_i / sqrt(n_i), the marginal mean is mean(m_i), its standard error
    sqrt(sum s_i^2 / n_i) / k, and the t quantile uses Welch-Satterthwaite degrees of
    freedom (for one point this is its own t interval, df = n - 1).
    """
    from scipy import stats

    mean_col, sd_col = f"{outcome}_mean", f"{outcome}_sd"
    n_col = f"{outcome}_n" if f"{outcome}_n" in frame.columns else "n"
    rows = []
    for value, group in frame.groupby(x, sort=True):
        group = group[np.isfinite(group[mean_col].to_numpy(dtype=float))]
        if group.empty:
            continue
        k = len(group)
        mean = float(group[mean_col].mean())
        low = high = math.nan
        if sd_col in group.columns and n_col in group.columns:
            n = group[n_col].to_numpy(dtype=float)
            var = group[sd_col].to_numpy(dtype=float) ** 2 / n  # squared standard errors
            if np.all(n >= 2) and np.all(np.isfinite(var)):
                se2 = float(var.sum()) / k**2
                denominator = float(np.sum(var**2 / (n - 1)))
                df = float(var.sum()) ** 2 / denominator if denominator > 0 else float(n.min() - 1)
                half = float(stats.t.ppf(0.5 + confidence / 2, df)) * math.sqrt(se2)
                low, high = mean - half, mean + half
        rows.append({"x": float(value), "mean": mean, "low": low, "high": high})
    return pd.DataFrame(rows, columns=["x", "mean", "low", "high"])


def _binned(x: np.ndarray, y: np.ndarray, bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean of ``y`` in ``bins`` equal-count bins of ``x`` (bin position: mean x).

    An ``x`` with at most ``GRID_MAX_VALUES`` distinct values (a Morris design's levels) is
    binned by value instead, so that no bin mixes two levels.
    """
    levels = np.unique(x)
    if len(levels) <= GRID_MAX_VALUES:
        return levels, np.array([float(y[x == level].mean()) for level in levels])
    edges = np.unique(np.quantile(x, np.linspace(0.0, 1.0, bins + 1)))
    index = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, len(edges) - 2)
    xs, ys = [], []
    for b in range(len(edges) - 1):
        mask = index == b
        if mask.any():
            xs.append(float(x[mask].mean()))
            ys.append(float(y[mask].mean()))
    return np.asarray(xs), np.asarray(ys)


# --------------------------------------------------------------------------- response


def plot_response(
    points: pd.DataFrame,
    parameter: str,
    outcome: str,
    *,
    by: str | None = None,
    kind: Literal["auto", "grid", "scatter"] = "auto",
    scenario: str | None = None,
    confidence: float = 0.95,
    ax: Axes | None = None,
) -> Axes:
    """Plot the mean of an outcome against one parameter.

    ``kind="grid"``: one line of the outcome's mean at each value of ``parameter``,
    averaged over the other parameters (the marginal mean), with its confidence interval
    as a band (replication noise; see the note below). ``kind="scatter"`` (sampling
    designs): the point means as dots and a binned mean as a line. ``"auto"`` picks grid
    when ``parameter`` takes at most ``GRID_MAX_VALUES`` distinct values.

    Parameters
    ----------
    points : pandas.DataFrame
        Point table (:func:`lsr_sim.sweep.analysis.point_summary`): ``parameter``,
        ``<outcome>_mean``, and for the band ``<outcome>_sd`` and ``<outcome>_n`` (or ``n``).
    parameter : str
        Parameter on the x axis.
    outcome : str
        Outcome on the y axis.
    by : str, optional
        A second parameter: one line per value of it (grid), or dots coloured by it
        (scatter, when it has more than 8 values).
    kind : {"auto", "grid", "scatter"}
        Drawing, as above.
    scenario : str, optional
        Only this scenario's points. By default every scenario gets its own line.
    confidence : float
        Level of the bands.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on. Default: a new Axes on a new Figure.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on.

    Notes
    -----
    The band of a marginal mean mean(m_i) over k points is
    mean +/- t * sqrt(sum s_i^2 / n_i) / k, with Welch-Satterthwaite degrees of freedom: it
    is the uncertainty due to replication, not the spread over the other parameters. It is
    left out where a point has fewer than two runs.
    """
    mean_col = f"{outcome}_mean"
    columns = [parameter, mean_col, *([by] if by else [])]
    points = _require(points, "points", columns)
    if kind not in ("auto", "grid", "scatter"):
        raise ValueError(f"kind must be 'auto', 'grid' or 'scatter', got {kind!r}")
    if scenario is not None:
        points, _ = _select(points, "scenario", scenario, "points")
    ax = _new_axes(ax, (7, 4.5))
    points = points[np.isfinite(points[mean_col].to_numpy(dtype=float))]
    if points.empty:
        return _placeholder(ax, f"no value of {outcome}")
    if kind == "auto":
        kind = "grid" if points[parameter].nunique() <= GRID_MAX_VALUES else "scatter"

    keys: list[str] = []
    if "scenario" in points.columns and points["scenario"].nunique() > 1:
        keys.append("scenario")
    continuous_by = by is not None and kind == "scatter" and points[by].nunique() > 8
    if by is not None and not continuous_by:
        keys.append(by)
    series = list(points.groupby(keys, sort=True)) if keys else [((), points)]
    colors = [mpl.colormaps["tab10"](i % 10) for i in range(len(series))]

    for (key, frame), color in zip(series, colors, strict=True):
        key = key if isinstance(key, tuple) else (key,)
        label = ", ".join(
            f"{_label(v)}" if k == "scenario" else f"{k} = {_label(v)}"
            for k, v in zip(keys, key, strict=True)
        )
        if kind == "grid":
            line = _marginal(frame, parameter, outcome, confidence)
            ax.plot(line["x"], line["mean"], marker="o", color=color, label=label or "mean")
            if line["low"].notna().any():
                ax.fill_between(
                    line["x"],
                    line["low"],
                    line["high"],
                    color=color,
                    alpha=0.2,
                    linewidth=0,
                    label=f"{confidence:.0%} CI" if not label else None,
                )
        else:
            x = frame[parameter].to_numpy(dtype=float)
            y = frame[mean_col].to_numpy(dtype=float)
            if continuous_by:
                dots = ax.scatter(
                    x, y, c=frame[by].to_numpy(dtype=float), cmap="viridis", s=12, alpha=0.7
                )
                ax.figure.colorbar(dots, ax=ax, label=by)
                line_color: Any = "black"
            else:
                ax.scatter(x, y, color=color, s=12, alpha=0.45, linewidths=0)
                line_color = color
            if len(x) >= 6:
                bx, by_ = _binned(x, y, bins=min(10, max(3, len(x) // 8)))
                ax.plot(
                    bx, by_, color=line_color, linewidth=2, label=f"{label} binned mean".strip()
                )

    ax.set_xlabel(parameter)
    ax.set_ylabel(f"{outcome} (mean)")
    ax.set_title(f"{outcome} vs {parameter}", fontsize="medium")
    ax.grid(True, alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize="x-small", frameon=False, title=by if by and not continuous_by else None)
    return ax


# --------------------------------------------------------------------------- sensitivity


def plot_sensitivity(
    indices: pd.DataFrame,
    outcome: str | None = None,
    *,
    kind: Literal["sobol", "morris"] = "sobol",
    scenario: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Bar chart of the sensitivity indices of one outcome, one row per parameter.

    Sobol: first-order (S1) and total (ST) indices with their confidence half widths as
    error bars, most influential (largest ST) on top. Morris: mu* with its confidence half
    width, and sigma as a second bar (large sigma: interactions or non-linearity).

    Parameters
    ----------
    indices : pandas.DataFrame
        Sobol (``parameter``, ``S1``, ``S1_conf``, ``ST``, ``ST_conf``) or Morris
        (``parameter``, ``mu_star``, ``mu_star_conf``, ``sigma``) indices, as from
        :func:`lsr_sim.sweep.analysis.analyze` or the ``*_indices`` functions.
    outcome : str, optional
        Outcome to show, if the table has an ``outcome`` column holding several.
    kind : {"sobol", "morris"}
        Which indices the table holds.
    scenario : str, optional
        Scenario to show, if the table has a ``scenario`` column holding several.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on. Default: a new Axes on a new Figure.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on.

    Raises
    ------
    ValueError
        If a column is missing, the outcome or scenario is unknown or ambiguous, or there
        are no indices to draw.
    """
    if kind == "sobol":
        columns = ["parameter", "S1", "S1_conf", "ST", "ST_conf"]
    elif kind == "morris":
        columns = ["parameter", "mu_star", "mu_star_conf", "sigma"]
    else:
        raise ValueError(f"kind must be 'sobol' or 'morris', got {kind!r}")
    indices = _require(indices, f"{kind} indices", columns)
    indices, outcome = _select(indices, "outcome", outcome, f"{kind} indices")
    indices, scenario = _select(indices, "scenario", scenario, f"{kind} indices")
    if indices.empty:
        raise ValueError(f"no {kind} indices to draw for outcome {outcome!r}")

    key = "ST" if kind == "sobol" else "mu_star"
    # Most influential on top: barh draws row 0 at the bottom.
    frame = indices.sort_values([key, "parameter"], ascending=[True, False], kind="stable")
    y = np.arange(len(frame))
    height = 0.38
    ax = _new_axes(ax, (8, 1.2 + 0.55 * len(frame)))
    bars: dict[str, Any] = {"capsize": 3, "error_kw": {"elinewidth": 1, "ecolor": "0.25"}}
    # (column, its confidence column or None, colour, label): the upper bar, then the lower.
    series: list[tuple[str, str | None, str, str]]
    if kind == "sobol":
        series = [
            ("S1", "S1_conf", _S1_COLOR, "first order S1"),
            ("ST", "ST_conf", _ST_COLOR, "total ST"),
        ]
        xlabel = "Sobol' index (share of output variance)"
    else:
        series = [
            ("mu_star", "mu_star_conf", _S1_COLOR, "μ* (mean |elementary effect|)"),
            ("sigma", None, _SIGMA_COLOR, "σ (sd of elementary effects)"),
        ]
        xlabel = "elementary effect (outcome change over the parameter range)"
    for offset, (column, conf, color, label) in zip((height / 2, -height / 2), series, strict=True):
        if conf:
            ax.barh(y + offset, frame[column], height, color=color, label=label,
                    xerr=frame[conf], **bars)  # fmt: skip
        else:
            ax.barh(y + offset, frame[column], height, color=color, label=label)
    ax.axvline(0.0, color="0.3", linewidth=0.8)
    ax.set_xlabel(xlabel)
    ax.set_yticks(y, [str(p) for p in frame["parameter"]])
    ax.set_ylim(-0.7, len(frame) - 0.3)
    ax.grid(True, axis="x", alpha=0.3)
    title = f"{'Sobol' if kind == 'sobol' else 'Morris'} sensitivity"
    if outcome:
        title += f" of {outcome}"
    if scenario:
        title += f" ({scenario})"
    ax.set_title(title, fontsize="medium")
    ax.legend(fontsize="x-small", frameon=False, loc="lower right")
    return ax


# --------------------------------------------------------------------------- screening

_MATTERS_COLOR = "#3182bd"
_NOISE_COLOR = "#bdbdbd"
_DUMMY_COLOR = "#e6550d"


def _screening_key(kind: str) -> tuple[str, str, str]:
    if kind == "morris":
        return "mu_star", "mu_star_conf", "μ* (mean |elementary effect|)"
    if kind == "sobol":
        return "ST", "ST_conf", "total Sobol' index ST"
    raise ValueError(f"kind must be 'sobol' or 'morris', got {kind!r}")


def plot_screening(
    ranking: pd.DataFrame,
    outcome: str,
    *,
    kind: Literal["sobol", "morris"] = "morris",
    top: int = 20,
    ax: Axes | None = None,
) -> Axes:
    """The largest indices of one outcome against the dummies', most influential on top.

    Each of the `top` inputs with the largest index (mu* or ST) is a bar with its
    confidence half width; blue if it is distinguishable from the dummies
    (``above_dummy``), grey if not. The dummies' mean index and its interval
    (``dummy_index``, ``dummy_conf``) are the orange line and band: what the estimator
    reports for an input without effect. Dummy rows (``dummy``, ``dummy.<label>``) are not
    drawn as bars.

    Parameters
    ----------
    ranking : pandas.DataFrame
        ``outcome``, ``parameter``, the index and its ``*_conf`` column, ``above_dummy``,
        ``dummy_index``, ``dummy_conf``.
    outcome : str
        The outcome to draw.
    kind : {"morris", "sobol"}
        Which index the table holds.
    top : int
        How many inputs to draw (the dummy is drawn as a band, not a bar).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on. Default: a new Axes on a new Figure.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ValueError
        If a column is missing or the table has no input row for the outcome.
    """
    key, conf, label = _screening_key(kind)
    columns = ["outcome", "parameter", key, conf, "above_dummy", "dummy_index", "dummy_conf"]
    ranking = _require(ranking, "screening", columns)
    rows = ranking[ranking["outcome"].astype(str) == outcome]
    inputs = rows[~rows["parameter"].astype(str).map(is_dummy)]
    if inputs.empty:
        raise ValueError(f"no screening rows of inputs for outcome {outcome!r}")
    inputs = inputs.sort_values(key, ascending=False, kind="stable")
    shown = inputs.head(top).iloc[::-1]  # barh draws row 0 at the bottom
    ax = _new_axes(ax, (8, 1.4 + 0.32 * len(shown)))
    y = np.arange(len(shown))
    matters = shown["above_dummy"].astype(bool).to_numpy()
    colors = [_MATTERS_COLOR if m else _NOISE_COLOR for m in matters]
    ax.barh(
        y,
        shown[key],
        0.7,
        color=colors,
        xerr=shown[conf],
        capsize=2,
        error_kw={"elinewidth": 0.8, "ecolor": "0.3"},
    )
    level, half = float(inputs["dummy_index"].iloc[0]), float(inputs["dummy_conf"].iloc[0])
    # the dummy's band behind the bars, its line in front
    ax.axvspan(max(level - half, 0.0), level + half, color=_DUMMY_COLOR, alpha=0.15, lw=0, zorder=0)
    ax.axvline(level, color=_DUMMY_COLOR, linewidth=1.2, zorder=3)
    ax.set_yticks(y, [str(p) for p in shown["parameter"]], fontsize="small")
    ax.set_ylim(-0.7, len(shown) - 0.3)
    ax.set_xlabel(label)
    ax.grid(True, axis="x", alpha=0.3)
    count = int(inputs["above_dummy"].astype(bool).sum())
    ax.set_title(
        f"{outcome}: {count} of {len(inputs)} inputs above the dummies (largest {len(shown)})",
        fontsize="small",
    )
    handles = [
        Patch(color=_MATTERS_COLOR, label="distinguishable from the dummies"),
        Patch(color=_NOISE_COLOR, label="not distinguishable"),
        Line2D([], [], color=_DUMMY_COLOR, label=f"dummies' mean ({level:.3g})"),
    ]
    ax.legend(handles=handles, fontsize="x-small", frameon=False, loc="lower right")
    return ax


def plot_screening_overview(
    ranking: pd.DataFrame,
    *,
    kind: Literal["sobol", "morris"] = "morris",
    top: int = 30,
    ax: Axes | None = None,
) -> Axes:
    """Which inputs matter for which outcome: their relative index, as a heatmap.

    Rows: the `top` inputs with the largest relative index (index over the outcome's
    largest) for any outcome, among those distinguishable from the dummies somewhere; columns:
    the outcomes. A cell not distinguishable from the dummies is left blank; dummies are not
    drawn.

    Parameters
    ----------
    ranking : pandas.DataFrame
        ``outcome``, ``parameter``, ``relative``, ``above_dummy`` (and the index column).
    kind : {"morris", "sobol"}
        Which index the table holds (for the colour bar's label).
    top : int
        How many inputs to show.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on. Default: a new Axes on a new Figure.

    Returns
    -------
    matplotlib.axes.Axes
    """
    _, _, label = _screening_key(kind)
    ranking = _require(ranking, "screening", ["outcome", "parameter", "relative", "above_dummy"])
    rows = ranking[~ranking["parameter"].astype(str).map(is_dummy)]
    outcomes = list(dict.fromkeys(rows["outcome"].astype(str)))
    table = rows.pivot_table(index="parameter", columns="outcome", values="relative", sort=False)
    above = rows.pivot_table(
        index="parameter", columns="outcome", values="above_dummy", aggfunc="max", sort=False
    ).astype(bool)
    table, above = table.reindex(columns=outcomes), above.reindex(columns=outcomes)
    best = table.where(above).max(axis=1).dropna().sort_values(ascending=False, kind="stable")
    chosen = list(best.index[:top])
    longest = max((len(str(c)) for c in chosen), default=10)
    width = 2.5 + 0.075 * longest + 0.6 * max(len(outcomes), 1)  # room for the input names
    ax = _new_axes(ax, (width, 2.4 + 0.3 * max(len(chosen), 1)))
    if not chosen:
        return _placeholder(ax, "no input is distinguishable from the dummies")
    values = table.loc[chosen].where(above.loc[chosen]).to_numpy(dtype=float)
    image = ax.imshow(
        np.ma.masked_invalid(values), aspect="auto", cmap="viridis", norm=Normalize(0.0, 1.0)
    )
    ax.set_xticks(np.arange(len(outcomes)), outcomes, rotation=60, ha="right", fontsize="small")
    ax.set_yticks(np.arange(len(chosen)), chosen, fontsize="small")
    ax.set_title(
        "Inputs that matter (blank: not distinguishable from the dummies)", fontsize="medium"
    )
    _root_figure(ax).colorbar(image, ax=ax, label=f"{label}, relative to the outcome's largest")
    return ax


def save_figure(ax: Axes, path: str | os.PathLike[str], *, dpi: float = 150) -> Path:
    """Save the figure an Axes belongs to as a PNG, atomically and byte-reproducibly."""
    return _save_png(_root_figure(ax), Path(path), dpi)


# --------------------------------------------------------------------------- heatmap


def plot_heatmap(
    points: pd.DataFrame,
    x: str,
    y: str,
    outcome: str,
    *,
    scenario: str | None = None,
    annotate: bool = True,
    ax: Axes | None = None,
) -> Axes:
    """Heatmap of an outcome's mean over a two-parameter grid, with the values written in.

    Each cell is the mean of the point means at that ``(x, y)`` (over other parameters, if
    any); cells without a value are grey and marked "–".

    Parameters
    ----------
    points : pandas.DataFrame
        Point table with ``x``, ``y`` and ``<outcome>_mean``.
    x, y : str
        Parameters on the horizontal and vertical axes.
    outcome : str
        Outcome to show.
    scenario : str, optional
        Scenario to show, if the table holds several.
    annotate : bool
        Whether to write each cell's value in it.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on. Default: a new Axes on a new Figure.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on (a colour bar is added beside it).
    """
    mean_col = f"{outcome}_mean"
    points = _require(points, "points", [x, y, mean_col])
    points, scenario = _select(points, "scenario", scenario, "points")
    grid = points.groupby([y, x], sort=True)[mean_col].mean().unstack(x).sort_index()
    grid = grid.reindex(sorted(grid.columns), axis=1)
    values = grid.to_numpy(dtype=float)
    ax = _new_axes(ax, (1.6 + 0.9 * max(values.shape[1], 4), 1.4 + 0.6 * max(values.shape[0], 4)))
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return _placeholder(ax, f"no value of {outcome}")
    norm = Normalize(float(finite.min()), float(finite.max()))
    cmap = mpl.colormaps["viridis"].with_extremes(bad="0.85")
    image = ax.imshow(
        np.ma.masked_invalid(values), origin="lower", aspect="auto", cmap=cmap, norm=norm
    )
    ax.set_xticks(range(values.shape[1]), [_label(v) for v in grid.columns])
    ax.set_yticks(range(values.shape[0]), [_label(v) for v in grid.index])
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    title = f"{outcome} (mean)" + (f", {scenario}" if scenario else "")
    ax.set_title(title, fontsize="medium")
    ax.figure.colorbar(image, ax=ax, label=outcome)
    if annotate:
        for (i, j), value in np.ndenumerate(values):
            if np.isfinite(value):
                red, green, blue, _ = cmap(norm(value))
                dark = 0.299 * red + 0.587 * green + 0.114 * blue < 0.5
                ax.text(
                    j,
                    i,
                    f"{value:.3g}",
                    ha="center",
                    va="center",
                    fontsize="small",
                    color="white" if dark else "black",
                )
            else:
                ax.text(j, i, "–", ha="center", va="center", fontsize="small", color="0.3")
    return ax


# --------------------------------------------------------------------------- saving


def _save_png(fig: Figure, path: Path, dpi: float) -> Path:
    """Save ``fig`` to ``path`` atomically: write a sibling temporary file, then replace."""
    return atomic_write(
        path, lambda handle: fig.savefig(handle, format="png", dpi=dpi, metadata=_METADATA)
    )


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_") or "_"


def _panels(
    count: int, draw: Callable[[Axes, int], Any], *, size: tuple[float, float], ncols: int = 3
) -> Figure:
    ncols = max(1, min(ncols, count))
    nrows = math.ceil(count / ncols)
    fig = Figure(figsize=(size[0] * ncols, size[1] * nrows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    for i, ax in enumerate(axes):
        if i < count:
            draw(ax, i)
        else:
            ax.set_axis_off()
    return fig


def save_sweep_figures(
    tables: Mapping[str, pd.DataFrame],
    manifest: Mapping[str, Any],
    out_dir: str | os.PathLike[str],
    *,
    max_outcomes: int | None = 6,
    dpi: float = 120,
) -> list[Path]:
    """Write the standard figures of a sweep analysis as PNG files into ``out_dir``.

    Files, in this order, for each of the first ``max_outcomes`` outcomes of the manifest
    that have a value at some point:

    - ``response_<outcome>.png``: :func:`plot_response` against each parameter (one panel
      per parameter, at most ``MAX_PANELS``); grid lines for grid designs, scatter and
      binned means otherwise.
    - ``heatmap_<outcome>.png``: :func:`plot_heatmap`, for grid designs of exactly two
      parameters (one panel per scenario).

    then ``sobol_<outcome>.png`` or ``morris_<outcome>.png`` (:func:`plot_sensitivity`, one
    panel per scenario) for every outcome that has indices. Names keep only letters,
    digits, ``.``, ``_`` and ``-``. Each file is written atomically and without time
    stamps, so the same tables give byte-identical files.

    Parameters
    ----------
    tables : mapping of str to pandas.DataFrame
        Tables from :func:`lsr_sim.sweep.analysis.analyze` (``points`` required; ``sobol``
        or ``morris`` used if present).
    manifest : mapping
        The sweep's manifest (design type, parameters, outcomes).
    out_dir : str or os.PathLike
        Directory for the figures, created if needed.
    max_outcomes : int or None
        How many outcomes get response and heatmap figures (None: all).
    dpi : float
        Resolution.

    Returns
    -------
    list of pathlib.Path
        The files written, in the order above.
    """
    points = tables["points"]
    design = manifest.get("design") or {}
    design_type = str(design.get("type", ""))
    parameters = [p for p in design.get("parameters", []) if p in points.columns]
    outcomes = [
        o
        for o in manifest.get("outcomes", [])
        if f"{o}_mean" in points.columns and points[f"{o}_mean"].notna().any()
    ]
    shown = outcomes if max_outcomes is None else outcomes[:max_outcomes]
    scenarios = (
        list(dict.fromkeys(points["scenario"].astype(str))) if "scenario" in points else [None]
    )
    kind: Literal["grid", "scatter"] = "grid" if design_type == "grid" else "scatter"
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    panels = parameters[:MAX_PANELS]
    for outcome in shown:
        if panels:

            def response(ax: Axes, i: int, o: str = outcome) -> Axes:
                return plot_response(points, panels[i], o, kind=kind, ax=ax)

            fig = _panels(len(panels), response, size=(4.6, 3.6))
            fig.suptitle(f"Response of {outcome}")
            written.append(_save_png(fig, out / f"response_{_safe(outcome)}.png", dpi))
        if design_type == "grid" and len(parameters) == 2:

            def heatmap(ax: Axes, i: int, o: str = outcome) -> Axes:
                return plot_heatmap(
                    points, parameters[0], parameters[1], o, scenario=scenarios[i], ax=ax
                )

            fig = _panels(len(scenarios), heatmap, size=(6.5, 4.8), ncols=2)
            written.append(_save_png(fig, out / f"heatmap_{_safe(outcome)}.png", dpi))

    methods: tuple[Literal["sobol", "morris"], ...] = ("sobol", "morris")
    for sens in methods:
        indices = tables.get(sens)
        if indices is None or indices.empty:
            continue
        names = list(dict.fromkeys(indices["outcome"].astype(str)))
        for outcome in [o for o in outcomes if o in names] + [
            o for o in names if o not in outcomes
        ]:
            rows = indices[indices["outcome"].astype(str) == outcome]
            present = list(dict.fromkeys(rows["scenario"].astype(str)))
            n_params = rows["parameter"].nunique()

            def sensitivity(
                ax: Axes,
                i: int,
                o: str = outcome,
                r: pd.DataFrame = rows,
                s: list[str] = present,
                k: Literal["sobol", "morris"] = sens,
            ) -> Axes:
                return plot_sensitivity(r, o, kind=k, scenario=s[i], ax=ax)

            fig = _panels(
                len(present),
                sensitivity,
                size=(7.5, 1.4 + 0.55 * n_params),
                ncols=2,
            )
            written.append(_save_png(fig, out / f"{sens}_{_safe(outcome)}.png", dpi))
    return written


# --------------------------------------------------------------------------- scenario discovery

_BOX_COLOR = "#3182bd"


def _root_figure(ax: Axes) -> Figure:
    fig = ax.get_figure(root=True)
    if not isinstance(fig, Figure):
        raise ValueError("the axes belong to no figure")
    return fig


def plot_tradeoff(trajectory: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """PRIM's peeling trajectory: density against coverage, coloured by restricted inputs.

    The chosen box (``chosen`` column, if present) is circled and labelled.
    """
    table = _require(trajectory, "prim_trajectory", ["coverage", "density", "restricted"])
    ax = _new_axes(ax, (5.6, 4.6))
    dims = table["restricted"].to_numpy(dtype=int)
    top = int(dims.max()) if len(dims) else 0
    norm = mpl.colors.BoundaryNorm(np.arange(-0.5, top + 1.5), mpl.colormaps["viridis"].N)
    points = ax.scatter(
        table["coverage"], table["density"], c=dims, cmap="viridis", norm=norm, s=22, zorder=2
    )
    ax.plot(table["coverage"], table["density"], color="0.75", lw=0.8, zorder=1)
    if "chosen" in table and table["chosen"].any():
        row = table[table["chosen"]].iloc[0]
        ax.scatter(
            [row["coverage"]], [row["density"]], s=150, facecolors="none", edgecolors="crimson"
        )
        label = f"box {int(row['box'])}" if "box" in table else "chosen"
        ax.annotate(
            label,
            (row["coverage"], row["density"]),
            xytext=(8, 8),
            textcoords="offset points",
            color="crimson",
        )
    bar = ax.figure.colorbar(points, ax=ax, ticks=range(top + 1))
    bar.set_label("restricted inputs")
    ax.set_xlim(0, 1.05)
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("coverage (share of the runs of interest inside the box)")
    ax.set_ylabel("density (share of the box's runs of interest)")
    ax.set_title("PRIM peeling trajectory")
    ax.grid(True, color="0.92")
    return ax


def _qp_label(low: float, high: float) -> str:
    values = [f"{v:.2g}" for v in (low, high) if math.isfinite(v)]
    return f" (qp {', '.join(values)})" if values else ""


def plot_box_limits(
    box: pd.DataFrame,
    *,
    ax: Axes | None = None,
    title: str | None = None,
    only_restricted: bool = True,
) -> Axes:
    """A box's limits on each input, as a share of the swept range, with quasi-p-values.

    Each input is a row: the grey bar is the swept range, the blue bar the box, the numbers
    the limits; the label gives the quasi-p-values of the restricted limits.
    """
    table = _require(
        box,
        "prim_box",
        ["input", "min", "max", "restricted", "qp_min", "qp_max", "sweep_min", "sweep_max"],
    )
    if only_restricted and table["restricted"].any():
        table = table[table["restricted"]]
    ax = _new_axes(ax, (7.5, 1.2 + 0.55 * len(table)))
    labels = []
    for y, row in enumerate(table.to_dict("records")):
        lo, hi = float(row["min"]), float(row["max"])
        first, last = float(row["sweep_min"]), float(row["sweep_max"])
        span = last - first
        low = (lo - first) / span if span > 0 else 0.0
        high = (hi - first) / span if span > 0 else 1.0
        ax.barh(y, 1.0, left=0.0, height=0.5, color="0.88")
        ax.barh(y, high - low, left=low, height=0.5, color=_BOX_COLOR)
        ax.text(low, y + 0.33, f"{lo:.3g}", ha="center", va="top", fontsize=8)
        ax.text(high, y + 0.33, f"{hi:.3g}", ha="center", va="top", fontsize=8)
        ax.text(-0.02, y, f"{first:.3g}", ha="right", va="center", fontsize=8, color="0.4")
        ax.text(1.02, y, f"{last:.3g}", ha="left", va="center", fontsize=8, color="0.4")
        labels.append(f"{row['input']}{_qp_label(row['qp_min'], row['qp_max'])}")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_ylim(len(labels) - 0.4, -0.6)
    ax.set_xlim(-0.15, 1.15)
    ax.set_xticks([])
    ax.set_title(title or "PRIM box: limits within the swept range")
    for side in ("top", "right", "bottom"):
        ax.spines[side].set_visible(False)
    return ax


def plot_tree(
    tree: Any, inputs: Sequence[str], *, ax: Axes | None = None, max_depth: int | None = 3
) -> Axes:
    """The fitted CART tree (scikit-learn's ``plot_tree``), to `max_depth` levels."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from sklearn.tree import plot_tree as draw

    ax = _new_axes(ax, (16, 7))
    fig = _root_figure(ax)
    if not hasattr(fig.canvas, "get_renderer"):  # sklearn measures its text boxes
        FigureCanvasAgg(fig)
    draw(
        tree,
        feature_names=list(inputs),
        class_names=["other", "of interest"],
        filled=True,
        impurity=False,
        proportion=False,
        max_depth=max_depth,
        fontsize=7,
        ax=ax,
    )
    ax.set_title("CART tree")
    return ax


def plot_feature_scores(scores: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Extra-trees feature scores, most important input on top."""
    table = _require(scores, "scores", ["input", "importance"])
    table = table.sort_values("importance", ascending=True, kind="stable")
    ax = _new_axes(ax, (6.5, 1.2 + 0.4 * len(table)))
    ax.barh(table["input"], table["importance"], color=_BOX_COLOR)
    ax.set_xlabel("importance (extra trees)")
    ax.set_title("Feature scores")
    ax.grid(True, axis="x", color="0.92")
    return ax


def save_discovery_figures(
    tables: Mapping[str, pd.DataFrame],
    tree: Any,
    inputs: Sequence[str],
    out_dir: str | os.PathLike[str],
    *,
    title: str | None = None,
    dpi: float = 120,
) -> list[Path]:
    """Write ``prim_tradeoff.png``, ``prim_box.png``, ``cart_tree.png`` and
    ``feature_scores.png`` into `out_dir`, atomically and byte-reproducibly.

    `tables` holds ``prim_trajectory``, ``prim_box`` and ``scores`` (as
    :meth:`lsr_sim.sweep.discovery.Discovery.tables` gives them); `tree` is the fitted CART
    tree over `inputs`; `title` heads the box figure.
    """
    out = Path(out_dir)
    axes = {
        "prim_tradeoff": plot_tradeoff(tables["prim_trajectory"]),
        "prim_box": plot_box_limits(tables["prim_box"], title=title),
        "cart_tree": plot_tree(tree, inputs),
        "feature_scores": plot_feature_scores(tables["scores"]),
    }
    return [_save_png(_root_figure(ax), out / f"{name}.png", dpi) for name, ax in axes.items()]
