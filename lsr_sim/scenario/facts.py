"""Dated facts: the shape of an observations file and of a calibration's ``observations``.

Plain data, validated by pydantic (see :mod:`lsr_sim.observations` for the file format,
loading and evaluating facts on runs). It lives in the scenario package so that a scenario's
``calibration.observations`` holds the same frozen objects as an observations file; nothing
here reads files.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    ValidationError,
    model_validator,
)

from lsr_sim.errors import ObservationsError
from lsr_sim.messages import FileKind, format_validation_error

__all__ = [
    "ISSUE_STATUSES",
    "KINDS",
    "OBSERVATIONS_FILE",
    "AgreedFact",
    "Bounds",
    "DeliveredFact",
    "Fact",
    "IncidentsFact",
    "Observations",
    "ProgressFact",
    "StatusFact",
    "TrustFact",
    "UnitBounds",
    "validate_observations",
]

KINDS = ("status", "progress", "trust", "delivered", "agreed", "incidents")
#: The statuses an issue can be in, in the order of lsr_sim.dynamics.status.Status (tested);
#: spelled out here so that loading a scenario does not import the dynamics (and numpy).
ISSUE_STATUSES = ("open", "on_table", "agreed", "implementing", "implemented", "collapsed")


class _Frozen(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False
    )


class Bounds(_Frozen):
    """Bounds a value must lie within: ``at_least``, ``at_most`` or both."""

    at_least: StrictFloat | None = Field(None, description="The value is at least this.")
    at_most: StrictFloat | None = Field(None, description="The value is at most this.")

    @model_validator(mode="after")
    def _bounded(self) -> Bounds:
        value = getattr(self, "value", None)
        if self.at_least is None and self.at_most is None and value is None:
            raise ValueError("give at_least, at_most (or both)")
        both = self.at_least is not None and self.at_most is not None
        if both and self.at_least > self.at_most:  # type: ignore[operator]
            raise ValueError(f"at_least {self.at_least} is above at_most {self.at_most}")
        return self


class StatusFact(_Frozen):
    """An issue's status is one of `in` at the date."""

    issue: str = Field(min_length=1, description="The issue (a name in the scenario).")
    in_: list[Literal[ISSUE_STATUSES]] = Field(  # type: ignore[valid-type]
        alias="in",
        min_length=1,
        description="Statuses it may be in: open, on_table, agreed, implementing, implemented, "
        "collapsed.",
    )


class UnitBounds(Bounds):
    """Bounds on a value in [0, 1]: each bound must lie in [0, 1] too."""

    at_least: StrictFloat | None = Field(
        None, ge=0.0, le=1.0, description="The value is at least this, in [0, 1]."
    )
    at_most: StrictFloat | None = Field(
        None, ge=0.0, le=1.0, description="The value is at most this, in [0, 1]."
    )


class ProgressFact(UnitBounds):
    """An issue's implementation progress lies within bounds at the date."""

    issue: str = Field(min_length=1, description="The issue (a name in the scenario).")


class TrustFact(UnitBounds):
    """Trust of `truster` in `trustee` lies within bounds at the date."""

    truster: str = Field(min_length=1, description="The actor who trusts.")
    trustee: str = Field(min_length=1, description="The actor trusted.")


class DeliveredFact(Bounds):
    """A quantity delivered by the date: within bounds, or a measured `value`."""

    issue: str = Field(min_length=1, description="The issue the quantity belongs to.")
    quantity: str = Field(min_length=1, description="The quantity (a name under the issue).")
    value: StrictFloat | None = Field(
        None, ge=0.0, description="A measured amount (scored as a number, not a yes/no fact)."
    )

    @model_validator(mode="after")
    def _value_or_bounds(self) -> DeliveredFact:
        if self.value is not None and (self.at_least is not None or self.at_most is not None):
            raise ValueError("give either value (a measured amount) or at_least/at_most")
        return self


class AgreedFact(_Frozen):
    """An agreement on the issue was (or was not) reached by the date."""

    issue: str = Field(min_length=1, description="The issue (a name in the scenario).")
    by_then: StrictBool = Field(
        description="True: an agreement on the issue was reached by the date; false: none was."
    )


class IncidentsFact(Bounds):
    """How often the scenario's incident `incident` struck after `since` (default: the start
    of the run) and up to the date, within bounds: a count of episodes such as clashes."""

    incident: str = Field(min_length=1, description="The incident type (a name in the scenario).")
    since: dt.date | None = Field(
        None, description="Count the incidents after this date only (default: from the start)."
    )


class Fact(_Frozen):
    """One dated fact: exactly one of ``status``, ``progress``, ``trust``, ``delivered``,
    ``agreed`` or ``incidents``; with ``holds: false``, what it describes did not hold at the
    date."""

    description: str = Field("", description="Free text: what the fact says.")
    date: dt.date = Field(description="The date the fact refers to (YYYY-MM-DD).")
    source: str = Field("", description="Where the fact is reported.")
    holds: StrictBool = Field(
        True,
        description="False: the condition did not hold at the date (the status was not in "
        "the set, the number was outside the bounds). Agreed facts say by_then instead.",
    )
    status: StatusFact | None = Field(None, description="An issue's status at the date.")
    progress: ProgressFact | None = Field(
        None, description="An issue's implementation progress at the date."
    )
    trust: TrustFact | None = Field(None, description="One actor's trust in another at the date.")
    delivered: DeliveredFact | None = Field(
        None, description="A quantity delivered by the date (bounds or a measured value)."
    )
    agreed: AgreedFact | None = Field(
        None, description="Whether an agreement on an issue was reached by the date."
    )
    incidents: IncidentsFact | None = Field(
        None, description="How often an incident type struck by the date."
    )

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
        since = self.incidents.since if self.incidents is not None else None
        if since is not None and since >= self.date:
            raise ValueError(f"incidents.since {since} is not before the fact's date {self.date}")
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

    name: str = Field(min_length=1, description="Short name of this set of facts.")
    description: str = Field("", description="Free text: what the facts cover.")
    source: str = Field("", description="Where the facts come from.")
    facts: dict[str, Fact] = Field(min_length=1, description="Name -> one dated fact.")

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


#: Observations files, as the one-line messages speak of them.
OBSERVATIONS_FILE = FileKind(
    "observations", "observations/source_facts.yaml", "name: ..., facts: ...", ObservationsError
)


def validate_observations(data: Mapping[str, Any], source: str = "<observations>") -> Observations:
    """Validate dated facts given as a mapping; ObservationsError (one line) naming `source`."""
    try:
        return Observations.model_validate(dict(data))
    except ValidationError as exc:
        path, message = format_validation_error(exc, Observations)
        raise ObservationsError(source, path, message) from None
