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
    "Observations",
    "ProgressFact",
    "StatusFact",
    "TrustFact",
    "validate_observations",
]

KINDS = ("status", "progress", "trust", "delivered", "agreed")
#: The statuses an issue can be in, in the order of lsr_sim.dynamics.status.Status (tested);
#: spelled out here so that loading a scenario does not import the dynamics (and numpy).
ISSUE_STATUSES = ("open", "on_table", "agreed", "implementing", "implemented", "collapsed")


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Bounds(_Frozen):
    """Bounds a value must lie within: ``at_least``, ``at_most`` or both."""

    at_least: StrictFloat | None = None
    at_most: StrictFloat | None = None

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

    issue: str = Field(min_length=1)
    in_: list[Literal[ISSUE_STATUSES]] = Field(alias="in", min_length=1)  # type: ignore[valid-type]


class ProgressFact(Bounds):
    """An issue's implementation progress lies within bounds at the date."""

    issue: str = Field(min_length=1)


class TrustFact(Bounds):
    """Trust of `truster` in `trustee` lies within bounds at the date."""

    truster: str = Field(min_length=1)
    trustee: str = Field(min_length=1)


class DeliveredFact(Bounds):
    """A quantity delivered by the date: within bounds, or a measured `value`."""

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
    """An agreement on the issue was (or was not) reached by the date."""

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
