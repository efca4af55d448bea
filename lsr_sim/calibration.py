"""The quick check of a calibration: how often runs of a scenario, as it is, meet its facts.

A scenario's ``calibration.observations`` are dated facts (``observations/source_facts.yaml``
for the baseline). :func:`check_facts` runs the scenario as it is and reports each fact's share
of runs and the share of runs meeting all of them at once, the quantity the estimation
(:mod:`lsr_sim.inference`, ``lsr-sim calibrate --out``) scores across parameter sets.
"""

from __future__ import annotations

import pandas as pd

from lsr_sim.experiment import derive_seeds, run_many
from lsr_sim.scenario import Scenario

__all__ = ["check_facts"]


def check_facts(
    scenario: Scenario,
    *,
    runs: int | None = None,
    seed: int | None = None,
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
        and the share of runs meeting every yes/no fact at once (NaN if there is none): with
        measured amounts at their observed values, the quantity the estimation
        (:mod:`lsr_sim.inference`) scores at threshold 0.
    """
    from lsr_sim.inference.simulate import fact_distances, fact_errors
    from lsr_sim.observations import fact_outcomes, fact_step

    cal = scenario.calibration
    if cal is None:
        raise ValueError(f"scenario {scenario.name!r} has no calibration section")
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
    yes_no = [name for name, fact in observations.facts.items() if not fact.measured]
    joint = float((fact_distances(errors, facts=yes_no) == 0).mean()) if yes_no else float("nan")
    return pd.DataFrame(rows), joint
