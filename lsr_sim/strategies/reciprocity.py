"""Reciprocity: tit-for-tat over concessions, with forgiveness."""

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

__all__ = ["TitForTat"]


@dataclass(frozen=True)
class TitForTat(Strategy):
    """Open with a concession, then mirror the other side's last move.

    - first round: concede ``step`` (aspiration ``1 - step``);
    - the other side conceded ``c > 0``: concede ``mirror * c``, but at least
      ``forgiveness * step``;
    - the other side hardened by ``c``: harden by ``mirror * c`` (retaliate);
    - the other side stood still (``|c| <= tolerance``): concede ``forgiveness * step``
      anyway, so two tit-for-tat players do not deadlock (nor stall on ever smaller
      concessions when each sees less than the other gave, as in packages or with more
      than two parties).

    ``c`` is the other side's move as a share of the distance between the two sides'
    ideals, on the scale of aspiration. Aspiration stays within ``[floor, 1]``.

    Examples
    --------
    >>> tft = TitForTat()
    >>> float(tft.decide(NegotiatorObservation(time=0.0)))
    0.9
    >>> obs = NegotiatorObservation(time=0.1, aspiration=0.9, first_round=False)
    >>> round(float(tft.decide(obs)), 10)
    0.88
    """

    step: float = parameter(0.1, "Opening concession (aspiration 1 - step), in [0, 1].")
    mirror: float = parameter(
        1.0, "Share of the other side's last move it returns, in kind, in [0, 1]."
    )
    forgiveness: float = parameter(
        0.2, "Smallest concession, as a share of step, made when the other side stood still."
    )
    floor: float = parameter(0.0, "Aspiration it never goes below, in [0, 1].")
    tolerance: float = parameter(
        1e-9, "A move this small or smaller counts as standing still (>= 0)."
    )

    name: ClassVar[str] = "tit_for_tat"
    kind: ClassVar[StrategyKind] = "negotiator"
    description: ClassVar[str] = "Mirrors concessions; retaliates; forgives stalemates."
    run_axis: ClassVar[bool] = True

    def __post_init__(self) -> None:
        for field in ("step", "mirror", "forgiveness", "floor"):
            if not 0 <= getattr(self, field) <= 1:
                raise ValueError(f"{field} must be in [0, 1]")
        if not 0 <= self.tolerance < np.inf:
            raise ValueError("tolerance must be finite and >= 0")

    def decide(self, obs: NegotiatorObservation) -> Number:
        conceded = obs.opponent_concession
        forgive = self.forgiveness * self.step
        move = np.where(
            conceded < -self.tolerance,
            self.mirror * conceded,
            np.maximum(forgive, self.mirror * conceded),
        )
        later = obs.aspiration - move
        aspiration = np.where(obs.first_round, 1.0 - self.step, later)
        return np.clip(aspiration, self.floor, 1.0)
