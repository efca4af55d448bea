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
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    ValidationError,
    model_validator,
)

from lsr_sim.dynamics.status import STATUS_NAMES
from lsr_sim.errors import ObservationsError
from lsr_sim.messages import FileKind, format_validation_error
from lsr_sim.scenario.schema import Scenario
from lsr_sim.scenario.yamlfile import read_yaml_mapping

__all__ = [
    "Fact",
    "Observations",
    "ObservationsError",
    "check_observations",
    "fact_outcomes",
    "fact_step",
    "load_observations",
    "observations_from_dict",
]

KINDS = ("status", "progress", "trust", "delivered", "agreed")
OBSERVATIONS_FILE = FileKind(
    "observations", "observations/source_facts.yaml", "name: ..., facts: ...", ObservationsError
)


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class _Bounds(_Frozen):
    at_least: StrictFloat | None = None
    at_most: StrictFloat | None = None

    @model_validator(mode="after")
    def _bounded(self) -> _Bounds:
        value = getattr(self, "value", None)
        if self.at_least is None and self.at_most is None and value is None:
            raise ValueError("give at_least, at_most (or both)")
        both = self.at_least is not None and self.at_most is not None
        if both and self.at_least > self.at_most:  # type: ignore[operator]
            raise ValueError(f"at_least {self.at_least} is above at_most {self.at_most}")
        return self


class StatusFact(_Frozen):
    issue: str = Field(min_length=1)
    in_: list[Literal[STATUS_NAMES]] = Field(alias="in", min_length=1)  # type: ignore[valid-type]


class ProgressFact(_Bounds):
    issue: str = Field(min_length=1)


class TrustFact(_Bounds):
    truster: str = Field(min_length=1)
    trustee: str = Field(min_length=1)


class DeliveredFact(_Bounds):
    issue: str = Field(min_length=1)
    quantity: str = Field(min_length=1)
    value: StrictFloat | None = Field(
        None, ge=0.0, description="A measured amount (scored as a number, not a yes/no fact)."
    )

    @model_validator(mode="after")
    def _value_or_bounds(self) -> DeliveredFact:
        if self.value is not None and (self.at_least is not None or self.at_most is not None):
            raise ValueError("give either value (a measured amount) or at_least/at_most")
        return self


class AgreedFact(_Frozen):
    issue: str = Field(min_length=1)
    by_then: StrictBool = Field(
        description="True: an agreement on the issue was reached by the date; false: none was."
    )


class Fact(_Frozen):
    """One dated fact: exactly one of ``status``, ``progress``, ``trust``, ``delivered`` or
    ``agreed``; with ``holds: false``, what it describes did not hold at the date."""

    description: str = ""
    date: dt.date
    source: str = ""
    holds: StrictBool = Field(
        True,
        description="False: the condition did not hold at the date (the status was not in "
        "the set, the number was outside the bounds). Agreed facts say by_then instead.",
    )
    status: StatusFact | None = None
    progress: ProgressFact | None = None
    trust: TrustFact | None = None
    delivered: DeliveredFact | None = None
    agreed: AgreedFact | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Fact:
        given = [kind for kind in KINDS if getattr(self, kind) is not None]
        if len(given) != 1:
            what = ", ".join(given) if given else "none"
            raise ValueError(f"give exactly one of {', '.join(KINDS)} (got {what})")
        if not self.holds and self.agreed is not None:
            raise ValueError("an agreed fact says by_then: false instead of holds: false")
        if not self.holds and self.measured:
            raise ValueError("a measured value always holds; drop holds: false")
        return self

    @property
    def event(self) -> str:
        """The yes/no event the fact resolves: ``"agreed by the date"`` for an ``agreed``
        fact, the fact's condition otherwise (``holds`` says whether it happened)."""
        return "agreed by the date" if self.agreed is not None else f"{self.kind} condition"

    @property
    def happened(self) -> bool:
        """Whether the fact's event happened: ``by_then`` for an agreed fact, else ``holds``."""
        return self.agreed.by_then if self.agreed is not None else self.holds

    @property
    def kind(self) -> str:
        """Which kind of fact this is (``"status"``, ..., ``"agreed"``)."""
        return next(kind for kind in KINDS if getattr(self, kind) is not None)

    @property
    def measured(self) -> bool:
        """Whether this is a measured amount (a number) rather than a yes/no fact."""
        return self.delivered is not None and self.delivered.value is not None


class Observations(_Frozen):
    """Dated facts, by name (see the module docstring)."""

    name: str = Field(min_length=1)
    description: str = ""
    source: str = ""
    facts: dict[str, Fact] = Field(min_length=1)

    def up_to(self, date: dt.date) -> Observations:
        """The facts dated on or before `date` (what was known then)."""
        kept = {name: fact for name, fact in self.facts.items() if fact.date <= date}
        if not kept:
            raise ValueError(f"no fact of {self.name!r} is dated on or before {date}")
        return self.model_copy(update={"facts": kept})

    def after(self, date: dt.date) -> Observations:
        """The facts dated after `date` (what a forecast from `date` is scored against)."""
        kept = {name: fact for name, fact in self.facts.items() if fact.date > date}
        if not kept:
            raise ValueError(f"no fact of {self.name!r} is dated after {date}")
        return self.model_copy(update={"facts": kept})


def observations_from_dict(data: Mapping[str, Any], source: str = "<observations>") -> Observations:
    """Validate observations given as a mapping (as read from YAML); ObservationsError if bad."""
    try:
        return Observations.model_validate(dict(data))
    except ValidationError as exc:
        path, message = format_validation_error(exc, Observations)
        raise ObservationsError(source, path, message) from None


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


def _within(values: np.ndarray, bounds: _Bounds) -> np.ndarray:
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
