"""Policies of actors who do not bargain at the table: spoilers, mediators and backers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from lsr_sim.strategies.base import (
    BackerObservation,
    MediatorObservation,
    Number,
    SpoilerObservation,
    Strategy,
    StrategyKind,
    parameter,
)

__all__ = ["Backer", "Facilitator", "Spoiler"]


def _check_unit(strategy: Strategy, *names: str) -> None:
    for name in names:
        if not 0 <= getattr(strategy, name) <= 1:
            raise ValueError(f"{name} must be in [0, 1]")


@dataclass(frozen=True)
class Spoiler(Strategy):
    """Press harder the further the issues it opposes advance, and the less it trusts the
    actors it presses.

    ``pressure = clip(sensitivity * (threat - threshold) + grievance * distrust, 0, 1)``.

    Examples
    --------
    >>> float(Spoiler().decide(SpoilerObservation(threat=0.35, distrust=0.5)))
    0.65
    """

    threshold: float = parameter(
        0.1, "Advance of the issues it opposes (threat, in [0, 1]) before it presses at all."
    )
    sensitivity: float = parameter(2.0, "Pressure per unit of threat above the threshold (>= 0).")
    grievance: float = parameter(
        0.3, "Pressure per unit of distrust of the actors it presses, in [0, 1]."
    )

    name: ClassVar[str] = "spoiler"
    kind: ClassVar[StrategyKind] = "spoiler"
    description: ClassVar[str] = "Pressure grows as the issues it opposes advance."
    run_axis: ClassVar[bool] = True

    def __post_init__(self) -> None:
        _check_unit(self, "threshold", "grievance")
        if not 0 <= self.sensitivity < np.inf:
            raise ValueError("sensitivity must be finite and >= 0")

    def decide(self, obs: SpoilerObservation) -> Number:
        pressed = self.sensitivity * (obs.threat - self.threshold) + self.grievance * obs.distrust
        return np.clip(pressed, 0.0, 1.0)


@dataclass(frozen=True)
class Facilitator(Strategy):
    """Work harder where the parties distrust each other most.

    ``effort = clip(base + urgency * trust_gap, 0, 1)``.
    """

    base: float = parameter(0.6, "Convening effort when the parties trust each other fully.")
    urgency: float = parameter(
        0.4, "Effort added per unit of the parties' distrust of each other (trust gap)."
    )

    name: ClassVar[str] = "mediator"
    kind: ClassVar[StrategyKind] = "mediator"
    description: ClassVar[str] = "Convening effort rises with the parties' distrust."
    run_axis: ClassVar[bool] = True

    def __post_init__(self) -> None:
        _check_unit(self, "base", "urgency")

    def decide(self, obs: MediatorObservation) -> Number:
        return np.clip(self.base + self.urgency * obs.trust_gap, 0.0, 1.0)


@dataclass(frozen=True)
class Backer(Strategy):
    """Back the process steadily, and more as it delivers.

    ``support = clip(base + responsiveness * progress, 0, 1)``.
    """

    base: float = parameter(0.5, "Support it gives before any progress, in [0, 1].")
    responsiveness: float = parameter(
        0.5, "Support added per unit of progress on the issues it cares about, in [0, 1]."
    )

    name: ClassVar[str] = "backer"
    kind: ClassVar[StrategyKind] = "backer"
    description: ClassVar[str] = "Support grows with progress on the issues it cares about."
    run_axis: ClassVar[bool] = True

    def __post_init__(self) -> None:
        _check_unit(self, "base", "responsiveness")

    def decide(self, obs: BackerObservation) -> Number:
        return np.clip(self.base + self.responsiveness * obs.progress, 0.0, 1.0)
