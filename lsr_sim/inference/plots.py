"""Figures of an estimation: functions of its tables (never of a model).

The table figures take an optional ``ax`` and return the Axes; the marginal and pair plots
are arviz's (``arviz.plot_prior_posterior``, ``arviz.plot_pair``) and return their Figure.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

__all__ = [
    "plot_generations",
    "plot_marginals",
    "plot_model_choice",
    "plot_pairs",
    "plot_predictive",
]


def _axes(ax: Axes | None, size: tuple[float, float]) -> Axes:
    if ax is not None:
        return ax
    fig = Figure(figsize=size, layout="constrained")
    return fig.add_subplot()


def plot_generations(generations: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Threshold (epsilon) and acceptance rate of each ABC-SMC generation."""
    ax = _axes(ax, (6.0, 3.5))
    x = generations["generation"].to_numpy()
    ax.plot(x, generations["epsilon"], marker="o", color="#1f77b4", label="threshold (epsilon)")
    ax.set_xlabel("generation")
    ax.set_ylabel("threshold (share of facts violated)", color="#1f77b4")
    ax.set_xticks(x)
    right = ax.twinx()
    right.plot(
        x, generations["acceptance_rate"], marker="s", color="#d62728", label="acceptance rate"
    )
    right.set_ylabel("acceptance rate", color="#d62728")
    right.set_ylim(0, max(1e-3, float(generations["acceptance_rate"].max()) * 1.15))
    ax.set_title("ABC-SMC: threshold and acceptance per generation")
    return ax


def plot_predictive(predictive: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Share of prior- and posterior-predictive runs in which each yes/no fact holds.

    `predictive` is the estimation's predictive table (``fact``, ``kind``, ``used``,
    ``prior_share``, ``posterior_share``); measured amounts are left out, facts left out of
    the distance are marked.
    """
    table = predictive[predictive["kind"] != "measured"]
    ax = _axes(ax, (7.0, 0.45 * len(table) + 1.5))
    y = np.arange(len(table))[::-1]
    h = 0.38
    ax.barh(y + h / 2, table["prior_share"], height=h, color="#bdbdbd", label="prior predictive")
    ax.barh(
        y - h / 2, table["posterior_share"], height=h, color="#3182bd", label="posterior predictive"
    )
    labels = [
        f"{fact} (not used)" if not used else str(fact)
        for fact, used in zip(table["fact"], table["used"], strict=True)
    ]
    ax.set_yticks(y, labels)
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of runs in which the fact holds")
    ax.legend(loc="lower right", fontsize="small")
    ax.set_title("Predictive checks")
    return ax


def plot_model_choice(table: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Posterior model probabilities at the common threshold, with their intervals."""
    ax = _axes(ax, (6.0, 0.5 * len(table) + 1.5))
    y = np.arange(len(table))[::-1]
    p = table["probability"].to_numpy(dtype=float)
    low = np.clip(p - table["probability_low"].to_numpy(dtype=float), 0, None)
    high = np.clip(table["probability_high"].to_numpy(dtype=float) - p, 0, None)
    ax.barh(y, np.nan_to_num(p), color="#31a354", xerr=np.nan_to_num([low, high]), capsize=3)
    ax.set_yticks(y, table["model"])
    ax.set_xlim(0, 1)
    epsilon = float(table["epsilon"].iloc[0])
    ax.set_xlabel(f"posterior model probability (threshold {epsilon:.3g}, equal prior odds)")
    ax.set_title("ABC model choice")
    return ax


def _tree(posterior: pd.DataFrame, prior: pd.DataFrame | None) -> Any:
    import arviz as az

    groups = {"posterior": {c: posterior[c].to_numpy()[None, :] for c in posterior.columns}}
    if prior is not None:
        groups["prior"] = {c: prior[c].to_numpy()[None, :] for c in posterior.columns}
    return az.from_dict(groups)


def plot_marginals(posterior: pd.DataFrame, prior: pd.DataFrame) -> Figure:
    """Each parameter's prior and posterior density (``arviz.plot_prior_posterior``).

    Both tables hold unweighted draws, one column per parameter.
    """
    import arviz as az

    plots = az.plot_prior_posterior(_tree(posterior, prior), backend="matplotlib")
    figure: Figure = plots.viz["figure"].item()
    return figure


def plot_pairs(posterior: pd.DataFrame) -> Figure:
    """Pairwise scatter of posterior draws with marginals on the diagonal (``arviz.plot_pair``)."""
    import arviz as az

    side = 2.6 * len(posterior.columns)  # square panels, room for long dotted names
    plots = az.plot_pair(
        _tree(posterior, None),
        backend="matplotlib",
        figure_kwargs={"figsize": (side, side), "layout": "constrained"},
    )
    figure: Figure = plots.viz["figure"].item()
    return figure
