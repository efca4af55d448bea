"""Calibration against stylised facts: share of runs whose state matches each pattern.

A scenario's ``calibration`` section lists patterns (for example "trust of Beirut in Damascus
at most 0.4") with a target share of runs. :func:`calibrate` runs the scenario many times to
the calibration date and reports, for each pattern, the share of runs that match it.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from lsr_sim.dynamics.status import STATUS_NAMES
from lsr_sim.experiment import date_step, derive_seeds, run_many
from lsr_sim.kernel import Kernel
from lsr_sim.model import CompiledScenario, compile_scenario
from lsr_sim.scenario import Scenario
from lsr_sim.scenario.schema import CalibrationPattern

if TYPE_CHECKING:
    from lsr_sim.model import NegotiationModel

__all__ = ["calibrate", "check_facts", "pattern_hits", "pattern_matches"]


def pattern_hits(
    final: dict[str, np.ndarray], compiled: CompiledScenario, pattern: CalibrationPattern
) -> np.ndarray:
    """Which runs match one pattern, from their state with a run axis (``trust``, ``status``,
    ``progress``, ``delivered``, as :attr:`lsr_sim.experiment.Ensemble.final` holds it)."""
    c = compiled
    if pattern.metric == "status":
        k = c.issue_index(pattern.issue)  # type: ignore[arg-type]
        wanted = [STATUS_NAMES.index(name) for name in (pattern.in_ or [])]
        return np.isin(final["status"][:, k], wanted)
    if pattern.metric == "trust":
        i, j = c.actor_index(pattern.truster), c.actor_index(pattern.trustee)  # type: ignore[arg-type]
        value = final["trust"][:, i, j]
    elif pattern.metric == "progress":
        value = final["progress"][:, c.issue_index(pattern.issue)]  # type: ignore[arg-type]
    else:
        k = c.issue_index(pattern.issue)  # type: ignore[arg-type]
        q = next(
            i
            for i, spec in enumerate(c.quantities)
            if spec.issue == k and spec.name == pattern.quantity
        )
        value = final["delivered"][:, q]
    ok = np.ones(value.shape, dtype=bool)
    if pattern.at_most is not None:
        ok &= value <= pattern.at_most + 1e-12
    if pattern.at_least is not None:
        ok &= value >= pattern.at_least - 1e-12
    return ok


def pattern_matches(model: NegotiationModel, pattern: CalibrationPattern) -> bool:
    """Whether the model's current state matches one pattern."""
    state = model.kernel.state
    final = {name: getattr(state, name) for name in ("trust", "status", "progress", "delivered")}
    return bool(pattern_hits(final, model.compiled, pattern)[0])


def calibrate(
    scenario: Scenario,
    *,
    runs: int | None = None,
    at: dt.date | None = None,
    seed: int | None = None,
) -> pd.DataFrame:
    """Share of runs matching each calibration pattern at a date.

    Parameters
    ----------
    scenario : Scenario
        Must have a ``calibration`` section.
    runs : int, optional
        Number of runs (default the section's ``runs``).
    at : date, optional
        Date of the check (default the section's ``at``); must lie within the run.
    seed : int, optional
        Master seed from which every run's seed is derived (default ``run.seed``).

    Returns
    -------
    DataFrame
        One row per pattern: pattern, description, target, share, met.
    """
    cal = scenario.calibration
    if cal is None:
        raise ValueError(f"scenario {scenario.name!r} has no calibration section")
    at = cal.at if at is None else at
    if at is None:
        raise ValueError(f"scenario {scenario.name!r} gives no calibration.at date; pass `at`")
    runs = cal.runs if runs is None else runs
    if runs <= 0:
        raise ValueError(f"runs must be positive, got {runs}")
    step = date_step(scenario, at)
    if not 0 <= step <= scenario.run.steps:
        raise ValueError(
            f"date {at} is outside the run ({scenario.run.start_date} to {scenario.run.end_date})"
        )
    names = list(cal.patterns)
    master = scenario.run.seed if seed is None else seed
    seeds = derive_seeds(master, runs)
    if step:
        final = run_many(scenario, seeds, step).final
    else:  # the start date: every run is still in its initial state
        initial = Kernel.from_scenarios([scenario]).state
        names_ = ("trust", "status", "progress", "delivered")
        final = {name: np.repeat(getattr(initial, name), runs, axis=0) for name in names_}
    c = compile_scenario(scenario)
    hits = np.stack([pattern_hits(final, c, cal.patterns[name]) for name in names], axis=1)
    share = hits.mean(axis=0)
    targets = np.array([cal.patterns[name].target for name in names])
    return pd.DataFrame(
        {
            "pattern": names,
            "description": [cal.patterns[name].description for name in names],
            "target": targets,
            "share": share,
            "met": share >= targets - 1e-12,
        }
    )


def check_facts(
    scenario: Scenario, *, runs: int | None = None, seed: int | None = None
) -> tuple[pd.DataFrame, float]:
    """Each calibration fact in runs of the scenario as it is, and all of them jointly.

    Parameters
    ----------
    scenario : Scenario
        Its ``calibration.observations`` are checked.
    runs : int, optional
        Number of runs (default the section's ``runs``).
    seed : int, optional
        Master seed (default ``run.seed``).

    Returns
    -------
    (DataFrame, float)
        One row per fact (``fact``, ``date``, ``measured``, ``share`` of runs in which it
        holds, or exactly matches for a measured amount, and ``mean`` of a measured amount),
        and the share of runs meeting every fact at once: the quantity the estimation
        (:mod:`lsr_sim.inference`) scores.
    """
    from lsr_sim.inference.simulate import fact_distances, fact_errors
    from lsr_sim.observations import fact_outcomes, fact_step

    cal = scenario.calibration
    if cal is None or cal.observations is None:
        raise ValueError(f"scenario {scenario.name!r} has no calibration.observations")
    observations = cal.observations
    runs = cal.runs if runs is None else runs
    if runs <= 0:
        raise ValueError(f"runs must be positive, got {runs}")
    master = scenario.run.seed if seed is None else seed
    steps = max(1, *(fact_step(scenario, f.date) for f in observations.facts.values()))
    ensemble = run_many(scenario, derive_seeds(master, runs), steps, history=True)
    assert ensemble.history is not None
    table = fact_outcomes(observations, scenario, ensemble.history, ensemble.final["first_agreed"])
    errors = fact_errors(table, observations, cal.abc.scales)
    rows = []
    for name, fact in observations.facts.items():
        rows.append(
            {
                "fact": name,
                "date": fact.date.isoformat(),
                "measured": fact.measured,
                "share": float((errors[name] == 0).mean()),
                "mean": float(table[name].astype(float).mean()),
            }
        )
    joint = float((fact_distances(errors) == 0).mean())
    return pd.DataFrame(rows), joint
