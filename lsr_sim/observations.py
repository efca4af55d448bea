"""Observations: dated facts about what happened, to estimate the model and score forecasts.

An observations file (YAML) lists facts, each about the state of the negotiation at a date:

.. code-block:: yaml

    name: source_facts
    source: This is Beirut, "Lebanon and Syria Seek Rapprochement Amid Lingering Distrust" (2026)
    facts:
      border_coordination_agreed:
        description: Border security coordination agreed through Saudi mediation
        date: 2025-07-31
        status: {issue: border_control, in: [agreed, implementing, implemented]}
      distrust_persists:
        date: 2026-01-19
        trust: {truster: Beirut, trustee: Damascus, at_most: 0.4}
      no_detainee_deal_yet:
        date: 2026-01-19
        agreed: {issue: detainees, by_then: false}
      demarcation_not_begun:
        date: 2026-01-19
        holds: false
        status: {issue: border_demarcation, in: [implementing, implemented]}
      convicted_transferred:
        date: 2026-06-30
        delivered: {issue: detainees, quantity: convicted, value: 370}

A fact holds in a run or not (``status`` in a set; ``progress``, ``trust`` or ``delivered``
within ``at_least``/``at_most``; an agreement reached by the date, or not); ``holds: false``
records that the condition did not hold (the issue was not in those statuses), so a file
can say what did not happen as well as what did. A ``delivered`` fact with a ``value`` is a
measured quantity instead, compared with the run's number. The state "at a date" is the
state at the end of the last step that ends on or before it.

:func:`load_observations` reads a file once, at the edge, into a frozen
:class:`Observations`; :func:`check_observations` checks its names and dates against a
scenario; :func:`fact_outcomes` evaluates every fact on an ensemble's history.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lsr_sim.dynamics.status import STATUS_NAMES
from lsr_sim.errors import ObservationsError
from lsr_sim.scenario.facts import (
    KINDS,
    OBSERVATIONS_FILE,
    Bounds,
    Fact,
    Observations,
    validate_observations,
)
from lsr_sim.scenario.schema import Scenario
from lsr_sim.scenario.yamlfile import read_yaml_mapping

__all__ = [
    "KINDS",
    "Fact",
    "Observations",
    "ObservationsError",
    "check_observations",
    "fact_outcomes",
    "fact_step",
    "load_observations",
    "observations_from_dict",
]


def observations_from_dict(data: Mapping[str, Any], source: str = "<observations>") -> Observations:
    """Validate observations given as a mapping (as read from YAML); ObservationsError if bad."""
    return validate_observations(data, source)


def load_observations(path: str | Path) -> Observations:
    """Read and validate an observations file; ObservationsError (one line) if it is bad."""
    path = Path(path)
    return observations_from_dict(read_yaml_mapping(path, OBSERVATIONS_FILE), str(path))


# -- against a scenario --------------------------------------------------------------------------
def fact_step(scenario: Scenario, date: dt.date) -> int:
    """The step whose end state is the state "at" `date`: the last step ending on or before it.

    Examples
    --------
    >>> from lsr_sim.scenario import load_scenario
    >>> baseline = load_scenario("scenarios/baseline.yaml")
    >>> fact_step(baseline, baseline.run.start_date), fact_step(baseline, dt.date(2025, 1, 5))
    (0, 4)
    """
    return (date - scenario.run.start_date).days // scenario.run.step_days


def check_observations(
    observations: Observations, scenario: Scenario, source: str = "<observations>"
) -> None:
    """ObservationsError naming the first fact that does not fit `scenario` (an unknown actor,
    issue or quantity, or a date outside the run)."""
    actors, issues = list(scenario.actors), list(scenario.issues)
    first, last = scenario.run.start_date, scenario.run.end_date
    for name, fact in observations.facts.items():
        where = f"facts.{name}"
        if not first <= fact.date <= last:
            raise ObservationsError(
                source, f"{where}.date", f"{fact.date} is outside the run ({first} to {last})"
            )
        part = getattr(fact, fact.kind)
        for field_name, known in (("issue", issues), ("truster", actors), ("trustee", actors)):
            value = getattr(part, field_name, None)
            if value is not None and value not in known:
                raise ObservationsError(
                    source,
                    f"{where}.{fact.kind}.{field_name}",
                    f"{value!r} is not in scenario {scenario.name!r}; expected one of "
                    f"{', '.join(known)}",
                )
        if fact.delivered is not None:
            names = list(scenario.issues[fact.delivered.issue].quantities)
            if fact.delivered.quantity not in names:
                raise ObservationsError(
                    source,
                    f"{where}.delivered.quantity",
                    f"{fact.delivered.quantity!r} is not a quantity of issue "
                    f"{fact.delivered.issue!r}; expected one of {', '.join(names) or '(none)'}",
                )


def _within(values: np.ndarray, bounds: Bounds) -> np.ndarray:
    ok = np.ones(values.shape, dtype=bool)
    if bounds.at_least is not None:
        ok &= values >= bounds.at_least - 1e-12
    if bounds.at_most is not None:
        ok &= values <= bounds.at_most + 1e-12
    return ok


def fact_outcomes(
    observations: Observations,
    scenario: Scenario,
    history: Mapping[str, np.ndarray],
    first_agreed: np.ndarray,
    *,
    offset: int = 0,
) -> pd.DataFrame:
    """Each fact in each run: one row per run, one column per fact.

    A yes/no fact gives whether the run agrees with it (True or False: for ``holds: false``,
    that the condition does not hold); a measured amount gives the run's number. `history`
    holds the state after every step with the run axis first (``status``, ``progress``,
    ``trust``, ``delivered``: as :attr:`lsr_sim.experiment.Ensemble.history`), long enough to
    reach every fact's date; `first_agreed` (runs, issues) is the step of each issue's first
    agreement, -1 for none (``Ensemble.final["first_agreed"]``). With `offset`, the history
    starts later: ``history[:, 0]`` is the state after step `offset` (a forecast keeps only
    the steps from its cut-off on), and a fact dated before it is refused.
    """
    from lsr_sim.model import compile_scenario

    c = compile_scenario(scenario)
    runs, length = history["status"].shape[:2]
    out: dict[str, np.ndarray] = {}
    for name, fact in observations.facts.items():
        step = fact_step(scenario, fact.date)
        if step < offset:
            raise ValueError(
                f"fact {name!r} ({fact.date}) is before step {offset}, where the history starts"
            )
        if step >= offset + length:
            last = offset + length - 1
            raise ValueError(f"fact {name!r} ({fact.date}) is beyond the {last} steps run")
        if fact.status is not None:
            k = c.issue_index(fact.status.issue)
            wanted = [STATUS_NAMES.index(label) for label in fact.status.in_]
            out[name] = np.isin(history["status"][:, step - offset, k], wanted)
        elif fact.progress is not None:
            k = c.issue_index(fact.progress.issue)
            out[name] = _within(history["progress"][:, step - offset, k], fact.progress)
        elif fact.trust is not None:
            i, j = c.actor_index(fact.trust.truster), c.actor_index(fact.trust.trustee)
            out[name] = _within(history["trust"][:, step - offset, i, j], fact.trust)
        elif fact.delivered is not None:
            k = c.issue_index(fact.delivered.issue)
            q = next(
                i
                for i, spec in enumerate(c.quantities)
                if spec.issue == k and spec.name == fact.delivered.quantity
            )
            values = history["delivered"][:, step - offset, q]
            out[name] = values if fact.measured else _within(values, fact.delivered)
        else:
            assert fact.agreed is not None
            k = c.issue_index(fact.agreed.issue)
            reached = (first_agreed[:, k] >= 0) & (first_agreed[:, k] <= step)
            out[name] = reached if fact.agreed.by_then else ~reached
        if not fact.holds:
            out[name] = ~out[name]
    return pd.DataFrame(out, index=pd.RangeIndex(runs, name="run"))
