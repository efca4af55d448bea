"""The actors: thin Mesa agents whose verbs call the kernel's phases for their own index."""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

from lsr_sim.kernel import core as kernel
from lsr_sim.strategies import Strategy

if TYPE_CHECKING:
    from lsr_sim.model.model import NegotiationModel

__all__ = ["Actor"]


class Actor(mesa.Agent):
    """One party: it chooses its policy, convenes, complies or stalls, and revises its trust.

    The shared state (trust matrix, issue arrays) lives in the model's kernel; an actor's
    verbs are the kernel's phases for its own index (:mod:`lsr_sim.kernel.core`).
    """

    model: NegotiationModel

    def __init__(self, model: NegotiationModel, index: int) -> None:
        super().__init__(model)
        c = model.compiled
        self.index = index
        self.name = c.actors[index]
        self.role = c.roles[index]
        self.strategy: Strategy = c.strategies[index]

    def __repr__(self) -> str:
        return f"Actor({self.name!r}, role={self.role!r}, strategy={self.strategy.name!r})"

    def choose_policy(self) -> None:
        """A spoiler sets its pressure and a backer its support from what it observes."""
        kernel.choose_policy(self.model.kernel, self.index)

    def convene_talks(self) -> None:
        """A mediator may bring each table it reaches to talks on the open issues it cares about."""
        kernel.convene_talks(self.model.kernel, self.index, journal=self.model)

    def carry_out_commitments(self) -> None:
        """On every deal being implemented at which it is a party, comply or stall."""
        kernel.carry_out_commitments(self.model.kernel, self.index)

    def revise_trust(self) -> None:
        """Update its trust in the others from what they did and said this step."""
        kernel.revise_trust(self.model.kernel, self.index)
