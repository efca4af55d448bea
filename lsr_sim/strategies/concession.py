"""Time-based concession strategies: the Boulware, linear and conceder family.

Aspiration at normalised time ``t`` in [0, 1] (Faratin, Sierra and Jennings 1998):
``a(t) = r + (1 - r) (1 - t**e)``. ``e > 1`` concedes late (Boulware), ``e = 1`` linearly,
``e < 1`` early (conceder).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from lsr_sim.strategies.base import (
    NegotiatorObservation,
    Number,
    Strategy,
    StrategyKind,
    parameter,
)

__all__ = ["Boulware", "Conceder", "Linear", "TimeBased", "time_based_aspiration"]


def time_based_aspiration(t: Number, exponent: Number, floor: Number = 0.0) -> Number:
    """Aspiration ``floor + (1 - floor) * (1 - t**exponent)``, with ``t`` clipped to [0, 1].

    Examples
    --------
    >>> float(time_based_aspiration(0.5, 1.0))
    0.5
    >>> float(time_based_aspiration(0.5, 2.0, floor=0.2))
    0.8
    >>> time_based_aspiration(np.array([0.0, 1.0]), 4.0)
    array([1., 0.])
    """
    t = np.clip(t, 0.0, 1.0)
    return floor + (1.0 - floor) * (1.0 - t**exponent)


@dataclass(frozen=True)
class TimeBased(Strategy):
    """Concede along ``a(t) = floor + (1 - floor)(1 - t**exponent)``."""

    exponent: float = parameter(
        1.0, "e > 0 in a(t) = floor + (1 - floor)(1 - t**e): above 1 concedes late, below 1 early."
    )
    floor: float = parameter(
        0.0, "Aspiration it never goes below, in [0, 1] (reached at the talks' deadline)."
    )

    name: ClassVar[str] = "time_based"
    kind: ClassVar[StrategyKind] = "negotiator"
    description: ClassVar[str] = "Time-based concession with a chosen exponent."
    run_axis: ClassVar[bool] = True

    def __post_init__(self) -> None:
        if not 0 < self.exponent < np.inf:
            raise ValueError("exponent must be finite and > 0")
        if not 0 <= self.floor <= 1:
            raise ValueError("floor must be in [0, 1]")

    def decide(self, obs: NegotiatorObservation) -> Number:
        return time_based_aspiration(obs.time, self.exponent, self.floor)


@dataclass(frozen=True)
class Boulware(TimeBased):
    """Hold out and concede late (exponent > 1)."""

    exponent: float = 4.0
    name: ClassVar[str] = "boulware"
    description: ClassVar[str] = "Concedes little until the deadline nears."
    run_axis: ClassVar[bool] = True


@dataclass(frozen=True)
class Linear(TimeBased):
    """Concede at a steady rate (exponent 1)."""

    exponent: float = 1.0
    name: ClassVar[str] = "linear"
    description: ClassVar[str] = "Concedes at a constant rate."
    run_axis: ClassVar[bool] = True


@dataclass(frozen=True)
class Conceder(TimeBased):
    """Concede early (exponent < 1)."""

    exponent: float = 0.25
    name: ClassVar[str] = "conceder"
    description: ClassVar[str] = "Concedes most of the way early on."
    run_axis: ClassVar[bool] = True
