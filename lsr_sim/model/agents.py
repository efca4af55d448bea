"""The actors: thin Mesa agents whose verbs call the rule functions."""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from lsr_sim.dynamics import (
    compliance_probability,
    convening_probability,
    decay_toward,
    issue_stage,
    spoiler_threat,
    trust_signal,
    update_trust,
)
from lsr_sim.dynamics.status import IMPLEMENTING, OPEN
from lsr_sim.strategies import (
    BackerObservation,
    MediatorObservation,
    SpoilerObservation,
    Strategy,
)

if TYPE_CHECKING:
    from lsr_sim.model.model import NegotiationModel

__all__ = ["Actor"]


class Actor(mesa.Agent):
    """One party: it chooses its policy, convenes, complies or stalls, and revises its trust.

    The shared state (trust matrix, issue arrays) lives on the model; an actor reads and
    writes its own row and entries through the rule functions.
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

    # -- policies ---------------------------------------------------------------------------
    def choose_policy(self) -> None:
        """Spoilers set their pressure and backers their support from what they observe."""
        m = self.model
        if self.strategy.kind == "spoiler":
            threat = spoiler_threat(
                issue_stage(m.status, m.progress),
                m.compiled.salience[self.index],
                m.compiled.vetoes[:, self.index],
            )
            m.pressure[self.index] = self.strategy.decide(SpoilerObservation(threat=threat))
        elif self.strategy.kind == "backer":
            stage = issue_stage(m.status, m.progress)
            progress = float(np.dot(m.compiled.salience[self.index], stage))
            m.support[self.index] = self.strategy.decide(BackerObservation(progress=progress))

    def convene_talks(self) -> None:
        """A mediator may bring each table it reaches to talks on the open issues it cares about."""
        if self.strategy.kind != "mediator":
            return
        m = self.model
        c = m.compiled
        reach_links = m.links["mediation"][self.index]  # current weights: events change them
        draws = m.draws[c.mediation_slice].reshape(c.n, len(c.tables))[self.index]
        received = m.received_support()[self.index]
        for t, parties in enumerate(c.tables):
            cares = c.salience[self.index] > 0
            waiting = (c.table_of_issue == t) & (m.status == OPEN) & cares
            reach = min(reach_links[list(parties)])
            if not waiting.any() or reach <= 0 or self.index in parties:
                continue
            trust_in_me = m.trust[list(parties), self.index].mean()
            effort = self.strategy.decide(MediatorObservation(m.trust_gap(parties), received))
            p = convening_probability(
                c.capability[self.index],
                trust_in_me,
                received,
                reach,
                effort,
                m.dynamics.mediation_rate,
                m.dynamics.backer_weight,
            )
            if draws[t] < p:
                m.convene(np.flatnonzero(waiting), mediator=self.index, origin="mediation")

    # -- implementation ---------------------------------------------------------------------
    def carry_out_commitments(self) -> None:
        """On every deal being implemented at which it is a party, comply or stall."""
        m = self.model
        c = m.compiled
        i = self.index
        draws = m.draws[c.compliance_slice].reshape(c.m, c.n)
        for k in np.flatnonzero((m.status == IMPLEMENTING) & c.parties[:, i]):
            others = [j for j in np.flatnonzero(c.parties[k]) if j != i]
            drag = m.spoiler_drag(i, k)
            p = compliance_probability(
                c.reliability[i],
                m.trust[i, others].mean(),
                c.reciprocity[i],
                m.other_complied[k, i],
                m.dynamics.compliance_trust_weight,
                drag,
            )
            m.complied[k, i] = bool(draws[k, i] < p)

    # -- trust ------------------------------------------------------------------------------
    def revise_trust(self) -> None:
        """Update its trust in the others from what they did and said this step."""
        m = self.model
        d = m.dynamics
        i = self.index
        signal = trust_signal(m.actions[i], m.rhetoric[i], d.action_weight, d.rhetoric_weight)
        row = update_trust(m.trust[i], signal, d.trust_gain_rate, d.trust_loss_rate)
        row = row + m.vouched[i] - m.trust[i]
        row = decay_toward(np.clip(row, 0.0, 1.0), m.compiled.trust0[i], d.trust_decay)
        row[i] = 1.0
        m.next_trust[i] = row
