"""Calibration against stylised facts: share of runs whose state matches each pattern.

A scenario's ``calibration`` section lists patterns (for example "trust of Beirut in Damascus
at most 0.4") with a target share of runs. :func:`calibrate` runs the scenario many times to
the calibration date and reports, for each pattern, the share of runs that match it.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from lsr_sim.dynamics.status import STATUS_NAMES
from lsr_sim.experiment import date_step, derive_seeds
from lsr_sim.model import NegotiationModel
from lsr_sim.scenario import Scenario
from lsr_sim.scenario.schema import CalibrationPattern

__all__ = ["calibrate", "pattern_matches"]


def pattern_matches(model: NegotiationModel, pattern: CalibrationPattern) -> bool:
    """Whether the model's current state matches one pattern."""
    c = model.compiled
    if pattern.metric == "status":
        k = c.issue_index(pattern.issue)  # type: ignore[arg-type]
        return STATUS_NAMES[model.status[k]] in (pattern.in_ or [])
    if pattern.metric == "trust":
        value = model.trust[c.actor_index(pattern.truster), c.actor_index(pattern.trustee)]  # type: ignore[arg-type]
    elif pattern.metric == "progress":
        value = model.progress[c.issue_index(pattern.issue)]  # type: ignore[arg-type]
    else:
        k = c.issue_index(pattern.issue)  # type: ignore[arg-type]
        q = next(
            i
            for i, spec in enumerate(c.quantities)
            if spec.issue == k and spec.name == pattern.quantity
        )
        value = model.delivered[q]
    ok = True
    if pattern.at_most is not None:
        ok &= bool(value <= pattern.at_most + 1e-12)
    if pattern.at_least is not None:
        ok &= bool(value >= pattern.at_least - 1e-12)
    return ok


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
    runs = cal.runs if runs is None else runs
    if runs <= 0:
        raise ValueError(f"runs must be positive, got {runs}")
    step = date_step(scenario, at)
    if not 0 <= step <= scenario.run.steps:
        raise ValueError(
            f"date {at} is outside the run ({scenario.run.start_date} to {scenario.run.end_date})"
        )
    names = list(cal.patterns)
    hits = np.zeros((runs, len(names)), dtype=bool)
    master = scenario.run.seed if seed is None else seed
    for r, run_seed in enumerate(derive_seeds(master, runs)):
        model = NegotiationModel(scenario, rng=run_seed)
        if step:
            model.run_for(step)
        hits[r] = [pattern_matches(model, cal.patterns[name]) for name in names]
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
