"""The scenario schema: frozen, validated, typed objects.

A scenario is plain data. This module defines its shape with pydantic; `loader.py` reads
YAML files into it and `checks.py` verifies the cross-references (actor and issue names)
that pydantic cannot see. Nothing here reads files.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, model_validator

from lsr_sim.limits import (
    MAX_CALIBRATION_RUNS,
    MAX_QUANTITY,
    MAX_SCALE,
    MAX_SEED,
    MAX_STEPS,
    calendar_problem,
)
from lsr_sim.messages import field_error
from lsr_sim.scenario.estimation import ABCSettings, Prior
from lsr_sim.scenario.facts import ISSUE_STATUSES, Observations

__all__ = [
    "ISSUE_STATUSES",
    "LINK_TYPES",
    "ROLES",
    "Actor",
    "AgreeEffect",
    "AttentionEffect",
    "Calibration",
    "CalibrationPattern",
    "ConveneEffect",
    "Dynamics",
    "Effect",
    "Event",
    "Incident",
    "Issue",
    "LinkEffect",
    "PriorityEffect",
    "Quantity",
    "RunSettings",
    "Scale",
    "Scenario",
    "SetbackEffect",
    "SignalEffect",
    "StrategySpec",
    "TrustShockEffect",
]

ROLES = ("principal", "mediator", "spoiler", "backer", "other")
LINK_TYPES = ("channel", "mediation", "patronage", "pressure")

Unit = Annotated[StrictFloat, Field(ge=0.0, le=1.0)]
Signed = Annotated[StrictFloat, Field(ge=-1.0, le=1.0)]
Name = Annotated[str, Field(min_length=1)]


class _Frozen(BaseModel):
    # Every number is finite: .inf and .nan are refused wherever a number goes.
    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False
    )


class StrategySpec(_Frozen):
    """A behaviour rule chosen by name, with its parameters (see `lsr_sim.strategies`)."""

    name: Name = Field(description="Registered strategy name, e.g. boulware, tit_for_tat.")
    params: dict[str, StrictFloat] = Field(
        default_factory=dict, description="Parameters of the strategy; unknown ones are refused."
    )


class Actor(_Frozen):
    """One party: a government, a movement, a mediator or a backer."""

    role: Literal["principal", "mediator", "spoiler", "backer", "other"] = Field(
        description="principal (at the table), mediator, spoiler (veto player), backer, other."
    )
    description: str = ""
    capability: StrictFloat = Field(gt=0.0, le=1.0, description="Weight in the room, in (0, 1].")
    positions: dict[str, Unit] = Field(
        default_factory=dict,
        description="Ideal point on each issue's [0, 1] scale; an issue left out sits at its "
        "status quo.",
    )
    salience: dict[str, Annotated[StrictFloat, Field(ge=0.0)]] = Field(
        default_factory=dict, description="How much the actor cares about each issue; sums to 1."
    )
    trust: dict[str, Unit] = Field(
        default_factory=dict,
        description="Initial trust toward other actors; missing ones take dynamics.default_trust.",
    )
    reliability: Unit = Field(0.7, description="Baseline chance of keeping its word each step.")
    resolve: Unit = Field(0.5, description="Resistance to a veto player's pressure.")
    reservation: Unit = Field(
        0.02,
        description="Share of its best attainable value that a deal's trust-discounted value "
        "must reach for it to accept.",
    )
    reciprocity: Unit = Field(
        0.5, description="How far its compliance follows the other side's last compliance."
    )
    attention: Unit = Field(
        1.0,
        description="Share of its capacity this file gets (other priorities take the rest): "
        "scales its compliance with deals and its initiative for direct talks.",
    )
    strategy: StrategySpec = Field(
        default_factory=lambda: StrategySpec(name="linear"),
        description="Negotiating, spoiling, mediating or backing strategy by name.",
    )


class Scale(_Frozen):
    """What the ends of an issue's [0, 1] position scale mean."""

    low: str = Field(description="Meaning of 0 on the scale.")
    high: str = Field(description="Meaning of 1 on the scale.")


class Quantity(_Frozen):
    """A real-world quantity delivered as agreed terms move along part of the scale."""

    total: StrictFloat = Field(
        gt=0.0, le=MAX_QUANTITY, description="The full amount, in `unit` (at most 10**12)."
    )
    unit: Name
    range: tuple[Unit, Unit] = Field(
        (0.0, 1.0),
        description="Part of the issue scale over which this quantity is delivered, low < high.",
    )
    source: Name = Field(description="Where the figure comes from.")
    spontaneous_rate: Unit = Field(
        0.0,
        description="Share of what is still undelivered that is delivered per step outside any "
        "agreement (e.g. refugees returning on their own, as conditions allow).",
    )

    @model_validator(mode="after")
    def _range_increases(self) -> Quantity:
        if not self.range[0] < self.range[1]:
            raise field_error(
                "range", f"range {list(self.range)} must have low < high, for example [0.0, 0.5]"
            )
        return self


class Issue(_Frozen):
    """A negotiable issue and its real-world quantities."""

    description: str = ""
    scale: Scale
    status_quo: Unit = Field(0.0, description="Position of the status quo on the scale.")
    parties: list[Name] = Field(min_length=2, description="Actors who negotiate it.")
    veto_holders: list[Name] = Field(default_factory=list)
    linked_to: list[Name] = Field(
        default_factory=list, description="Issues it can be packaged with."
    )
    implementation_rate: StrictFloat = Field(
        0.1, gt=0.0, le=1.0, description="Progress per step when every party complies."
    )
    protocol: str | None = Field(
        None, description="Negotiation protocol for this issue; default dynamics.protocol."
    )
    phases: list[Unit] = Field(
        default_factory=list,
        description="Points of the scale where a phase of the issue ends, increasing, above the "
        "status quo: a deal settles the issue only up to the next one, and once it is "
        "implemented the issue reopens from there (e.g. [0.5]: convicted, then pre-trial "
        "detainees).",
    )
    quantities: dict[str, Quantity] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _phases_increase(self) -> Issue:
        points = [self.status_quo, *self.phases]
        if any(b <= a for a, b in itertools.pairwise(points)) or (
            self.phases and self.phases[-1] >= 1.0
        ):
            raise ValueError(
                f"phases {self.phases} must increase from above the status quo "
                f"({self.status_quo}) to below 1, for example [0.5]"
            )
        return self


class TrustShockEffect(_Frozen):
    """Trust of each actor in `from` toward each in `to` moves by `delta`."""

    type: Literal["trust_shock"]
    from_: list[Name] = Field(alias="from", min_length=1)
    to: list[Name] = Field(min_length=1)
    delta: Signed
    mutual: bool = Field(False, description="Also move the reverse direction.")


class SignalEffect(_Frozen):
    """An observed act (action) or statement (rhetoric) by `actor` toward others."""

    type: Literal["signal"]
    actor: Name
    toward: list[Name] = Field(min_length=1)
    channel: Literal["action", "rhetoric"]
    strength: Signed = Field(description="Positive: cooperative; negative: hostile.")


class ConveneEffect(_Frozen):
    """Issues are put on the table (by a mediator, or directly between the parties)."""

    type: Literal["convene"]
    issues: list[Name] = Field(min_length=1)
    mediator: Name | None = None


class AgreeEffect(_Frozen):
    """A recorded agreement on an issue at given terms."""

    type: Literal["agree"]
    issue: Name
    terms: Unit
    mediator: Name | None = None


class SetbackEffect(_Frozen):
    """Talks on an issue break down, or implementation loses ground."""

    type: Literal["setback"]
    issue: Name
    progress: Unit = Field(0.0, description="Implementation progress lost.")


class AttentionEffect(_Frozen):
    """An actor's attention to this file changes (another priority takes over, or recedes)."""

    type: Literal["attention"]
    actor: Name
    value: Unit = Field(description="Its new attention, in [0, 1].")


class PriorityEffect(_Frozen):
    """An actor's priorities shift toward (or away from) an issue: its salience of the issue
    moves by `delta` and its saliences are scaled back to sum to 1."""

    type: Literal["priority"]
    actor: Name
    issue: Name
    delta: Signed


class LinkEffect(_Frozen):
    """A network link is set to a new weight (0 removes its effect)."""

    type: Literal["link"]
    link: Literal["channel", "mediation", "patronage", "pressure"]
    from_: Name = Field(alias="from")
    to: Name
    weight: Unit


Effect = Annotated[
    TrustShockEffect
    | SignalEffect
    | ConveneEffect
    | AgreeEffect
    | SetbackEffect
    | LinkEffect
    | AttentionEffect
    | PriorityEffect,
    Field(discriminator="type"),
]


class Event(_Frozen):
    """A dated event from the timeline (or a hypothetical one in a variant)."""

    date: dt.date
    kind: Name = Field(description="A label: meeting, statement, request, raid, clash, ...")
    description: str = ""
    source: Name = Field(description="Where the event is reported, or 'hypothetical'.")
    effects: list[Effect] = Field(min_length=1)


class Incident(_Frozen):
    """A random incident type: happens each step with probability `rate`."""

    kind: Name = "incident"
    description: str = ""
    rate: Unit = Field(description="Probability per step.")
    spoiler_driven: bool = Field(
        False, description="Rate grows with the spoilers' pressure (see dynamics.spoiler_boost)."
    )
    effects: list[Effect] = Field(min_length=1)


class RunSettings(_Frozen):
    """Calendar and length of a run."""

    start_date: dt.date
    step_days: StrictInt = Field(7, gt=0, le=366, description="Length of one step in days.")
    steps: StrictInt = Field(gt=0, le=MAX_STEPS)
    seed: StrictInt = Field(0, ge=0, le=MAX_SEED)

    @model_validator(mode="after")
    def _ends_in_the_calendar(self) -> RunSettings:
        problem = calendar_problem(self.start_date, self.step_days, self.steps)
        if problem:
            raise field_error("steps", problem)
        return self

    def date_of(self, step: int) -> dt.date:
        """Date at the end of `step` (step 0 is the start date)."""
        return self.start_date + dt.timedelta(days=self.step_days * step)

    @property
    def end_date(self) -> dt.date:
        return self.date_of(self.steps)

    def step_of(self, date: dt.date) -> int:
        """The step during which `date` falls (1-based; the start date is in step 1)."""
        return (date - self.start_date).days // self.step_days + 1


class Dynamics(_Frozen):
    """Parameters of the dynamics, with documented defaults (see docs/ODD.md)."""

    protocol: str = Field("offers", description="Default negotiation protocol.")
    trust_model: Literal["evidence", "signals", "surprise", "none"] = Field(
        "evidence",
        description="How trust learns (docs/ODD.md 7.1): evidence (a belief about reliability "
        "from deeds and words, with forgetting), signals (the earlier net-signal rule), "
        "surprise (a delta rule on the same evidence), none (no learning: the null model).",
    )
    default_trust: Unit = Field(0.5, description="Initial trust where an actor gives none.")
    trust_memory: Unit = Field(
        0.98, description="evidence: share of past evidence kept each step (forgetting)."
    )
    trust_prior_weight: StrictFloat = Field(
        2.0,
        gt=0.0,
        description="evidence: how many observations the initial trust is worth.",
    )
    betrayal_weight: StrictFloat = Field(
        2.0,
        ge=1.0,
        le=100.0,
        description="evidence, surprise: weight of a broken commitment against a kept one.",
    )
    talk_weight: Unit = Field(
        0.1, description="evidence, surprise: weight of words (cheap talk) against deeds."
    )
    incentive_weight: Unit = Field(
        0.3,
        description="How far patrons' support raises a party's compliance (incentives).",
    )
    trust_gain_rate: Unit = Field(0.08, description="alpha+: share of the gap to 1 closed.")
    trust_loss_rate: Unit = Field(0.2, description="alpha-: share of trust lost; > gain.")
    action_weight: Unit = Field(1.0, description="Weight of deeds in the trust signal.")
    rhetoric_weight: Unit = Field(0.15, description="Weight of words in the trust signal.")
    concession_weight: Unit = Field(0.5, description="Weight of a concession as a deed.")
    concession_scale: StrictFloat = Field(
        0.1, gt=0.0, le=1.0, description="Concession (in utility) that counts as a full deed."
    )
    trust_decay: Unit = Field(0.01, description="Pull toward the initial trust per step.")
    vouching_rate: Unit = Field(0.05, description="How far a trusted mediator passes trust on.")
    mediation_rate: StrictFloat = Field(
        0.1, ge=0.0, le=MAX_SCALE, description="kappa: scale of a mediator's convening hazard."
    )
    backer_weight: Unit = Field(0.5, description="How much backers' support adds to mediation.")
    direct_talks_rate: Unit = Field(
        0.02,
        description="Chance per step of talks without a mediator, times the weakest channel "
        "weight between the parties and their mean mutual trust.",
    )
    talks_timeout: StrictInt = Field(
        26, gt=0, le=MAX_STEPS, description="Rounds on the table before talks lapse."
    )
    compliance_trust_weight: Unit = Field(
        0.3, description="How far compliance depends on trust in the other side."
    )
    collapse_after: StrictInt = Field(
        10, gt=0, le=MAX_STEPS, description="Consecutive stalls that collapse a deal."
    )
    reopen_after: StrictInt = Field(
        12, gt=0, le=MAX_STEPS, description="Steps before a collapsed issue reopens."
    )
    veto_strength: StrictFloat = Field(
        1.0, ge=0.0, le=MAX_SCALE, description="Scales a veto player's leverage over a party."
    )
    backing_weight: Unit = Field(
        0.5, description="How much a patron's support stiffens a party's resolve."
    )
    spoiler_boost: StrictFloat = Field(
        2.0,
        ge=0.0,
        le=MAX_SCALE,
        description="A spoiler-driven incident's rate is times 1 + boost * pressure.",
    )
    spoiler_drag: Unit = Field(
        0.25, description="Compliance lost by a pressured party at full spoiler pressure."
    )
    package_deals: bool = Field(True, description="Allow linked issues to be packaged.")
    logrolling: Unit = Field(
        0.5, description="How much more a party concedes on the issues it cares less about."
    )


class CalibrationPattern(_Frozen):
    """A stylised fact as a test on one run's state at the calibration date."""

    description: Name
    metric: Literal["status", "trust", "progress", "delivered"]
    issue: Name | None = None
    quantity: Name | None = None
    truster: Name | None = None
    trustee: Name | None = None
    in_: list[Literal[ISSUE_STATUSES]] | None = Field(None, alias="in")  # type: ignore[valid-type]
    at_most: StrictFloat | None = None
    at_least: StrictFloat | None = None
    target: StrictFloat = Field(gt=0.0, le=1.0, description="Share of runs that must match.")

    @model_validator(mode="after")
    def _fields_for_metric(self) -> CalibrationPattern:
        needed = {
            "status": ("issue", "in_"),
            "trust": ("truster", "trustee"),
            "progress": ("issue",),
            "delivered": ("issue", "quantity"),
        }[self.metric]
        missing = [name.rstrip("_") for name in needed if getattr(self, name) is None]
        if missing:
            raise ValueError(f"metric {self.metric!r} needs field(s) {', '.join(missing)}")
        bounded = self.at_most is not None or self.at_least is not None
        if self.metric != "status" and not bounded:
            raise ValueError(f"metric {self.metric!r} needs at_most or at_least")
        return self


class Calibration(_Frozen):
    """Stylised facts a calibrated scenario reproduces at a date (`patterns`), and what the
    estimation needs (`priors`, `observations`, `abc`: see lsr_sim.scenario.estimation)."""

    at: dt.date | None = None
    runs: StrictInt = Field(200, gt=0, le=MAX_CALIBRATION_RUNS)
    patterns: dict[str, CalibrationPattern] = Field(default_factory=dict)
    priors: dict[str, Prior] = Field(
        default_factory=dict, description="Dotted path of an input -> its prior distribution."
    )
    observations: Observations | None = Field(
        None, description="Dated facts, inline or the path of an observations file."
    )
    abc: ABCSettings = Field(default_factory=ABCSettings)

    @model_validator(mode="after")
    def _patterns_or_facts(self) -> Calibration:
        if not self.patterns and self.observations is None:
            raise ValueError("give patterns (checked at `at`) or observations (dated facts)")
        if self.patterns and self.at is None:
            raise ValueError("patterns are checked at a date: add at: YYYY-MM-DD")
        return self


class Scenario(_Frozen):
    """A whole scenario: actors, issues, network, events, incidents, dynamics, run settings."""

    name: Name
    description: str = ""
    source: str = Field("", description="Citation for the facts the scenario rests on.")
    run: RunSettings
    actors: dict[str, Actor] = Field(min_length=2)
    issues: dict[str, Issue] = Field(min_length=1)
    network: dict[
        Literal["channel", "mediation", "patronage", "pressure"],
        dict[str, dict[str, Annotated[StrictFloat, Field(ge=0.0, le=1.0)]]],
    ] = Field(default_factory=dict, description="type -> from -> to -> weight in [0, 1].")
    events: dict[str, Event] = Field(default_factory=dict)
    incidents: dict[str, Incident] = Field(default_factory=dict)
    dynamics: Dynamics = Field(default_factory=Dynamics)
    calibration: Calibration | None = None

    @property
    def actor_names(self) -> list[str]:
        return list(self.actors)

    @property
    def issue_names(self) -> list[str]:
        return list(self.issues)
