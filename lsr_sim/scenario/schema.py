"""The scenario schema: frozen, validated, typed objects.

A scenario is plain data. This module defines its shape with pydantic; `loader.py` reads
YAML files into it and `checks.py` verifies the cross-references (actor and issue names)
that pydantic cannot see. Nothing here reads files.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Annotated, Any, Literal

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
    "TRUST_MODEL_INPUTS",
    "Actor",
    "AgreeEffect",
    "AttentionEffect",
    "Calibration",
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
    description: str = Field("", description="Free text: who the actor is.")
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
    unit: Name = Field(description="What is counted: people, officers, share of refugees, ...")
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

    description: str = Field("", description="Free text: what is at stake.")
    scale: Scale = Field(
        description="What 0 and 1 on the issue's position scale mean, e.g. "
        "{low: no handover, high: all requested officers handed over}."
    )
    status_quo: Unit = Field(0.0, description="Position of the status quo on the scale.")
    parties: list[Name] = Field(min_length=2, description="Actors who negotiate it.")
    veto_holders: list[Name] = Field(
        default_factory=list,
        description="Actors (usually spoilers) who can block a deal on it when their leverage "
        "over a party exceeds that party's resolve.",
    )
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
    quantities: dict[str, Quantity] = Field(
        default_factory=dict,
        description="Name -> a real-world amount delivered as the agreed terms are implemented.",
    )

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

    type: Literal["trust_shock"] = Field(description="Effect type: trust_shock.")
    from_: list[Name] = Field(
        alias="from", min_length=1, description="Actors whose trust moves (the trusters)."
    )
    to: list[Name] = Field(min_length=1, description="Actors they trust more or less (trustees).")
    delta: Signed = Field(description="Shock to trust, in [-1, 1]; negative: a loss.")
    mutual: bool = Field(False, description="Also move the reverse direction.")


class SignalEffect(_Frozen):
    """An observed act (action) or statement (rhetoric) by `actor` toward others."""

    type: Literal["signal"] = Field(description="Effect type: signal.")
    actor: Name = Field(description="The actor who acts or speaks.")
    toward: list[Name] = Field(min_length=1, description="The actors who observe it.")
    channel: Literal["action", "rhetoric"] = Field(
        description="action: a deed (weighs fully); rhetoric: words (cheap talk, weighs less)."
    )
    strength: Signed = Field(description="Positive: cooperative; negative: hostile.")


class ConveneEffect(_Frozen):
    """Issues are put on the table (by a mediator, or directly between the parties)."""

    type: Literal["convene"] = Field(description="Effect type: convene.")
    issues: list[Name] = Field(
        min_length=1,
        description="Issues put on the table (those open or collapsed; others are untouched).",
    )
    mediator: Name | None = Field(
        None, description="The mediator who convenes them; leave out for direct talks."
    )


class AgreeEffect(_Frozen):
    """A recorded agreement on an issue at given terms."""

    type: Literal["agree"] = Field(description="Effect type: agree.")
    issue: Name = Field(description="The issue agreed (if open, on the table or collapsed).")
    terms: Unit = Field(description="The agreed terms: a point on the issue's [0, 1] scale.")
    mediator: Name | None = Field(None, description="The mediator credited with the deal, if any.")


class SetbackEffect(_Frozen):
    """Talks on an issue break down, or implementation loses ground."""

    type: Literal["setback"] = Field(description="Effect type: setback.")
    issue: Name = Field(
        description="The issue: talks on the table lapse; implementation loses `progress`."
    )
    progress: Unit = Field(0.0, description="Implementation progress lost.")


class AttentionEffect(_Frozen):
    """An actor's attention to this file changes (another priority takes over, or recedes)."""

    type: Literal["attention"] = Field(description="Effect type: attention.")
    actor: Name = Field(description="The actor whose attention changes.")
    value: Unit = Field(description="Its new attention, in [0, 1].")


class PriorityEffect(_Frozen):
    """An actor's priorities shift toward (or away from) an issue: its salience of the issue
    moves by `delta` and its saliences are scaled back to sum to 1."""

    type: Literal["priority"] = Field(description="Effect type: priority.")
    actor: Name = Field(description="The actor whose priorities shift.")
    issue: Name = Field(description="The issue whose salience moves.")
    delta: Signed = Field(
        description="Change of its salience of the issue, in [-1, 1], before rescaling to sum 1."
    )


class LinkEffect(_Frozen):
    """A network link is set to a new weight (0 removes its effect)."""

    type: Literal["link"] = Field(description="Effect type: link.")
    link: Literal["channel", "mediation", "patronage", "pressure"] = Field(
        description="Link type: channel (who talks to whom), mediation (a mediator's reach), "
        "patronage (a backer's support), pressure (a spoiler's leverage)."
    )
    from_: Name = Field(alias="from", description="The actor the link starts from.")
    to: Name = Field(description="The actor the link points to.")
    weight: Unit = Field(description="The link's new weight, in [0, 1] (0: no effect).")


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

    date: dt.date = Field(description="When it happens (YYYY-MM-DD), within the run.")
    kind: Name = Field(description="A label: meeting, statement, request, raid, clash, ...")
    description: str = Field("", description="Free text: what happened.")
    source: Name = Field(description="Where the event is reported, or 'hypothetical'.")
    effects: list[Effect] = Field(
        min_length=1, description="What it does to the model, applied in order on its date."
    )


class Incident(_Frozen):
    """A random incident type: happens each step with probability `rate`."""

    kind: Name = Field("incident", description="A label: clash, raid, strike, ...")
    description: str = Field("", description="Free text: what such an incident is.")
    rate: Unit = Field(description="Probability per step.")
    spoiler_driven: bool = Field(
        False, description="Rate grows with the spoilers' pressure (see dynamics.spoiler_boost)."
    )
    effects: list[Effect] = Field(
        min_length=1, description="What each occurrence does to the model, applied in order."
    )


class RunSettings(_Frozen):
    """Calendar and length of a run."""

    start_date: dt.date = Field(description="Date of step 0 (YYYY-MM-DD).")
    step_days: StrictInt = Field(7, gt=0, le=366, description="Length of one step in days.")
    steps: StrictInt = Field(gt=0, le=MAX_STEPS, description="Number of steps in a run.")
    seed: StrictInt = Field(
        0, ge=0, le=MAX_SEED, description="Default seed (the command line's --seed overrides it)."
    )

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


#: The ``dynamics`` fields each trust model reads (docs/ODD.md 7.1); the others are inert
#: under it (tested against the kernel by the inertness audit, tests/test_inertness.py).
TRUST_MODEL_INPUTS: dict[str, frozenset[str]] = {
    "evidence": frozenset(
        {"trust_memory", "trust_prior_weight", "betrayal_weight", "talk_weight", "vouching_rate"}
        | {"concession_weight", "concession_scale"}
    ),
    "signals": frozenset(
        {"trust_gain_rate", "trust_loss_rate", "action_weight", "rhetoric_weight", "trust_decay"}
        | {"vouching_rate", "concession_weight", "concession_scale"}
    ),
    "surprise": frozenset(
        {"trust_gain_rate", "trust_loss_rate", "betrayal_weight", "talk_weight", "trust_decay"}
        | {"vouching_rate", "concession_weight", "concession_scale"}
    ),
    "none": frozenset(),
}


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
        le=1000.0,
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


class Calibration(_Frozen):
    """What the estimation needs (`priors`, `observations`, `abc`: see
    lsr_sim.scenario.estimation), the date it is made at, and the runs of the quick check."""

    at: dt.date | None = Field(
        None,
        description="The date the calibration is made at: every fact must be dated on or "
        "before it, so that nothing later leaks into the estimate.",
    )
    runs: StrictInt = Field(
        200, gt=0, le=MAX_CALIBRATION_RUNS, description="Runs of the quick check (no --out)."
    )
    priors: dict[str, Prior] = Field(
        default_factory=dict, description="Dotted path of an input -> its prior distribution."
    )
    observations: Observations = Field(
        description="Dated facts, inline or the path of an observations file."
    )
    abc: ABCSettings = Field(
        default_factory=ABCSettings, description="Settings of the ABC-SMC estimation (--out)."
    )

    @model_validator(mode="before")
    @classmethod
    def _no_patterns(cls, data: Any) -> Any:
        if isinstance(data, dict) and "patterns" in data:
            raise ValueError(
                "patterns (shares of runs against hand-set targets) were replaced by dated "
                "facts scored jointly: move them to observations (docs/estimation.md)"
            )
        return data


class Scenario(_Frozen):
    """A whole scenario: actors, issues, network, events, incidents, dynamics, run settings."""

    name: Name = Field(description="Short name; also the default results folder.")
    description: str = Field("", description="Free text: what the scenario models.")
    source: str = Field("", description="Citation for the facts the scenario rests on.")
    run: RunSettings = Field(description="Start date, step length, steps and default seed.")
    actors: dict[str, Actor] = Field(min_length=2, description="Name -> actor (at least two).")
    issues: dict[str, Issue] = Field(min_length=1, description="Name -> negotiable issue.")
    network: dict[
        Literal["channel", "mediation", "patronage", "pressure"],
        dict[str, dict[str, Annotated[StrictFloat, Field(ge=0.0, le=1.0)]]],
    ] = Field(default_factory=dict, description="type -> from -> to -> weight in [0, 1].")
    events: dict[str, Event] = Field(
        default_factory=dict, description="Name -> dated event of the timeline."
    )
    incidents: dict[str, Incident] = Field(
        default_factory=dict, description="Name -> random incident type, with its rate per step."
    )
    dynamics: Dynamics = Field(
        default_factory=Dynamics, description="Parameters of the rules (docs/ODD.md)."
    )
    calibration: Calibration | None = Field(
        None, description="Priors, dated facts and settings for lsr-sim calibrate."
    )

    @property
    def actor_names(self) -> list[str]:
        return list(self.actors)

    @property
    def issue_names(self) -> list[str]:
        return list(self.issues)
