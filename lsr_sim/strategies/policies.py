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
)

__all__ = ["Backer", "Facilitator", "Spoiler"]


def _check_unit(strategy: Strategy, *names: str) -> None:
    for name in names:
        if not 0 <= getattr(strategy, name) <= 1:
            raise ValueError(f"{name} must be in [0, 1]")


@dataclass(frozen=True)
class Spoiler(Strategy):
    """Press harder the further the issues it opposes advance.

    ``pressure = clip(sensitivity * (threat - threshold), 0, 1)``: nothing below the
    threshold, then rising with the threat.
    """

    threshold: float = 0.1
    sensitivity: float = 2.0

    name: ClassVar[str] = "spoiler"
    kind: ClassVar[StrategyKind] = "spoiler"
    description: ClassVar[str] = "Pressure grows as the issues it opposes advance."
    run_axis: ClassVar[bool] = True

    def __post_init__(self) -> None:
        _check_unit(self, "threshold")
        if not 0 <= self.sensitivity < np.inf:
            raise ValueError("sensitivity must be finite and >= 0")

    def decide(self, obs: SpoilerObservation) -> Number:
        return np.clip(self.sensitivity * (obs.threat - self.threshold), 0.0, 1.0)


@dataclass(frozen=True)
class Facilitator(Strategy):
    """Work harder where the parties distrust each other most.

    ``effort = clip(base + urgency * trust_gap, 0, 1)``.
    """

    base: float = 0.6
    urgency: float = 0.4

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

    base: float = 0.5
    responsiveness: float = 0.5

    name: ClassVar[str] = "backer"
    kind: ClassVar[StrategyKind] = "backer"
    description: ClassVar[str] = "Support grows with progress on the issues it cares about."
    run_axis: ClassVar[bool] = True

    def __post_init__(self) -> None:
        _check_unit(self, "base", "responsiveness")

    def decide(self, obs: BackerObservation) -> Number:
        return np.clip(self.base + self.responsiveness * obs.progress, 0.0, 1.0)
