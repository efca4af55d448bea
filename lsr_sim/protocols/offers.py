"""The default protocol: simultaneous offers shaped by strategies, accepted on trust.

Each round every party proposes terms for the whole package from its aspiration (set by its
strategy), conceding more on the issues it cares less about. A party accepts another's offer
when the offer's trust-discounted value is at least its reservation share of what its own
ideal would be worth, and at least the value of its own current offer. Terms are agreed when
an offer is accepted by every other party; when several are, the agreed terms are their mean.
A party never proposes terms it would itself refuse: it then repeats its previous offer.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from lsr_sim.dynamics.negotiation import deal_value, gain, offer, relative_salience, utility
from lsr_sim.protocols.base import NegotiationProtocol, RoundResult, Table
from lsr_sim.strategies import NegotiatorObservation

__all__ = ["OffersProtocol", "opponent_targets"]


def opponent_targets(ideal: np.ndarray, capability: np.ndarray) -> np.ndarray:
    """For each party, the capability-weighted mean ideal of the other parties, shape (p, k).

    Examples
    --------
    >>> opponent_targets(np.array([[0.0], [1.0], [0.5]]), np.array([1.0, 1.0, 2.0]))
    array([[0.66666667],
           [0.33333333],
           [0.5       ]])
    """
    weights = capability[None, :] * (1.0 - np.eye(len(capability)))
    return (weights @ ideal) / weights.sum(axis=1, keepdims=True)


def _values(table: Table, offers: np.ndarray) -> np.ndarray:
    """value[i, j]: party i's trust-discounted value of party j's offer."""
    p = len(table.capability)
    trust_in_others = np.where(np.eye(p, dtype=bool), np.inf, table.trust).min(axis=1)
    # gains[i, j, k]: i's gain on issue k from j's offer.
    gains = gain(offers[None, :, :], table.ideal[:, None, :], table.status_quo[None, None, :])
    return deal_value(gains, table.salience[:, None, :], trust_in_others[:, None])


def _best_value(table: Table) -> np.ndarray:
    """What each party's own ideal terms would be worth to it with full trust."""
    own = gain(table.ideal, table.ideal, table.status_quo[None, :])
    return np.sum(table.salience * np.maximum(own, 0.0), axis=-1)


class OffersProtocol(NegotiationProtocol):
    """Offers and counter-offers, accepted when trust-discounted value beats reservation."""

    name: ClassVar[str] = "offers"
    description: ClassVar[str] = "Simultaneous offers from strategies; trust-discounted acceptance."

    def negotiate(self, table: Table) -> RoundResult:
        p = len(table.capability)
        first = table.previous_offers is None
        # What each party saw the others concede last round (mean over the others).
        observed = table.previous_concession.sum(axis=1) / max(p - 1, 1)
        time = min(table.round / table.deadline, 1.0)
        aspiration = np.array(
            [
                float(
                    strategy.decide(
                        NegotiatorObservation(
                            time=time,
                            aspiration=float(table.previous_aspiration[i]),
                            opponent_concession=float(observed[i]),
                            first_round=first,
                        )
                    )
                )
                for i, strategy in enumerate(table.strategies)
            ]
        )
        targets = opponent_targets(table.ideal, table.capability)
        weight = 1.0 - table.logrolling * (1.0 - relative_salience(table.salience))
        candidate = offer(table.ideal, targets, aspiration[:, None], weight)
        floor = table.reservation * _best_value(table)
        own_value = np.diagonal(_values(table, candidate))
        if not first:
            # Never propose what one would refuse: hold the previous offer instead.
            keep = own_value < floor
            candidate = np.where(keep[:, None], table.previous_offers, candidate)
            aspiration = np.where(keep, table.previous_aspiration, aspiration)
        values = _values(table, candidate)
        own = np.diagonal(values)
        acceptable = (values >= floor[:, None]) & (values >= own[:, None] - 1e-12)
        accepted_by_all = np.all(acceptable | np.eye(p, dtype=bool), axis=0)
        concession = self._concession(table, candidate)
        if accepted_by_all.any():
            terms = candidate[accepted_by_all].mean(axis=0)
            value = _values(table, terms[None, :])[:, 0]
            return RoundResult(candidate, aspiration, concession, terms, value)
        return RoundResult(candidate, aspiration, concession, None, np.zeros(p))

    @staticmethod
    def _concession(table: Table, offers: np.ndarray) -> np.ndarray:
        p = len(table.capability)
        if table.previous_offers is None:
            return np.zeros((p, p))
        weights = table.salience / np.maximum(table.salience.sum(axis=1, keepdims=True), 1e-12)
        now = utility(offers[None, :, :], table.ideal[:, None, :])
        before = utility(table.previous_offers[None, :, :], table.ideal[:, None, :])
        moved = np.sum(weights[:, None, :] * (now - before), axis=-1)
        return moved * (1.0 - np.eye(p))
