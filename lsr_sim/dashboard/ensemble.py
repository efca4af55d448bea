"""The ensemble behind the dashboard's fan chart: a few hundred runs of the current setup by
:func:`lsr_sim.experiment.run_many` (the batch engine), reduced to quantiles per step, and the
same outcomes for the current run.

:func:`outcomes` reads a history in the batch engine's layout (arrays with a leading run
axis, see :attr:`lsr_sim.experiment.Ensemble.history`); the current run's DataCollector gives
the same layout (:meth:`lsr_sim.dashboard.model.LiveRun.history`), so both go through the
one function. Nothing here imports Solara.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from lsr_sim.dashboard.model import principal_pairs
from lsr_sim.dynamics.status import AGREED, IMPLEMENTED, IMPLEMENTING
from lsr_sim.experiment import derive_seeds, run_many
from lsr_sim.scenario import Scenario

__all__ = ["QUANTILES", "Ensemble", "outcomes", "run_ensemble"]

#: The quantiles a fan chart draws: its outer band, inner band and median.
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
_SETTLED = (AGREED, IMPLEMENTING, IMPLEMENTED)


def outcomes(history: dict[str, np.ndarray], scenario: Scenario) -> dict[str, np.ndarray]:
    """The fan chart's outcomes per run and step, from a recorded history.

    Parameters
    ----------
    history : dict of str to array
        ``rapprochement`` and ``mean_trust`` of shape (R, T), ``trust`` (R, T, n, n) and
        ``status`` (R, T, m), actors in the scenario's order.
    scenario : Scenario
        The scenario the runs are of (for the actors' names and roles).

    Returns
    -------
    dict of str to array of shape (R, T)
        By label: the rapprochement index, the mean trust, the trust of each principal in
        the other (one per ordered pair) and the number of issues agreed or beyond (agreed,
        implementing, implemented).
    """
    names = list(scenario.actors)
    out = {
        "rapprochement index": np.asarray(history["rapprochement"], dtype=float),
        "mean trust": np.asarray(history["mean_trust"], dtype=float),
    }
    trust = np.asarray(history["trust"], dtype=float)
    for a, b in principal_pairs(scenario):
        out[f"trust {a} → {b}"] = trust[:, :, names.index(a), names.index(b)]
    status = np.asarray(history["status"])
    out["issues agreed or beyond"] = np.isin(status, _SETTLED).sum(axis=-1).astype(float)
    return out


@dataclass(frozen=True)
class Ensemble:
    """Quantiles over an ensemble's runs, per outcome and step.

    Attributes
    ----------
    bands : dict of str to array of shape (len(QUANTILES), steps + 1)
    runs, steps, seed : int
        How many runs, of how many steps; the master seed their seeds derive from.
    seconds : float
        Wall time of the batch.
    engine : str
        ``"batch"``, or ``"mesa"`` where the batch engine fell back (with ``note``).
    note : str
        Why it fell back, or "".
    """

    bands: dict[str, np.ndarray]
    runs: int
    steps: int
    seed: int
    seconds: float
    engine: str
    note: str = ""


def run_ensemble(scenario: Scenario, seed: int, runs: int) -> Ensemble:
    """`runs` runs of `scenario` for its whole length by :func:`lsr_sim.experiment.run_many`,
    with seeds derived from `seed` (:func:`lsr_sim.experiment.derive_seeds`).

    Examples
    --------
    >>> from lsr_sim.scenario import load_scenario
    >>> ens = run_ensemble(load_scenario("scenarios/baseline.yaml"), seed=1, runs=8)
    >>> ens.bands["mean trust"].shape, ens.engine
    ((5, 161), 'batch')
    """
    steps = int(scenario.run.steps)
    began = time.perf_counter()
    ensemble = run_many(scenario, derive_seeds(seed, runs), steps, history=True)
    seconds = time.perf_counter() - began
    assert ensemble.history is not None  # history=True
    per_run = outcomes(ensemble.history, scenario)
    bands = {label: np.quantile(v, QUANTILES, axis=0) for label, v in per_run.items()}
    engine = "mesa" if (ensemble.summary["engine"] == "mesa").any() else "batch"
    return Ensemble(bands, runs, steps, seed, seconds, engine, "; ".join(ensemble.notes))
