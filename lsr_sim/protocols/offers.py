"""The default protocol: simultaneous offers shaped by strategies, accepted on trust.

Each round every party proposes terms for the whole package from its aspiration (set by its
strategy), conceding more on the issues it cares less about. A party accepts another's offer
when the offer's trust-discounted value is at least its reservation share of what its own
ideal would be worth, and at least the value of its own current offer. Terms are agreed when
an offer is accepted by every party, its proposer included; when several are, the agreed terms
are their mean (value is concave in the terms, so the mean is acceptable to all as well).
A party never proposes terms it would itself refuse: it concedes only down to the point where
its own offer is worth its floor (and holds its previous offer if even that is now too low). (In
the first round it has none to repeat: its offer stands, but is not agreed.) Aspirations are
clipped to [0, 1], so offers stay between a party's ideal and its opponents' mean ideal.

Strategies see the other side's last move as a share of the distance between the two sides'
ideals (see :func:`observed_concession`), on the same scale as their aspiration.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from lsr_sim.dynamics.negotiation import deal_value, gain, offer, relative_salience, utility
from lsr_sim.protocols.base import NegotiationProtocol, RoundResult, Table
from lsr_sim.strategies import NegotiatorObservation, Strategy

__all__ = ["OffersProtocol", "concession_seen", "observed_concession", "opponent_targets"]


def opponent_targets(ideal: np.ndarray, capability: np.ndarray) -> np.ndarray:
    """For each party, the capability-weighted mean ideal of the other parties, shape (p, k).

    Like every helper of this protocol, it accepts leading axes (one per run, say): the batch
    engine (:mod:`lsr_sim.batch`) calls these same functions over many runs at once.

    Examples
    --------
    >>> opponent_targets(np.array([[0.0], [1.0], [0.5]]), np.array([1.0, 1.0, 2.0]))
    array([[0.66666667],
           [0.33333333],
           [0.5       ]])
    """
    weights = capability[..., None, :] * (1.0 - np.eye(capability.shape[-1]))
    return (weights @ ideal) / weights.sum(axis=-1, keepdims=True)


def observed_concession(table: Table) -> np.ndarray:
    """What each party saw the others concede last round, shape (p,), in [-1, 1].

    ``previous_concession[i, j]`` (in i's salience-weighted utility) as a share of the
    distance between the two sides' ideals in that same utility, averaged over the others:
    comparable with aspiration, so a tit-for-tat player mirrors its opponent's move.

    Examples
    --------
    The other side, 0.4 away, moved 0.1 toward the first party: a quarter of the way.

    >>> from lsr_sim.strategies import make_strategy
    >>> t = Table(np.array([[0.3], [0.7]]), np.ones((2, 1)), np.zeros(1), np.ones(2),
    ...           np.zeros(2), np.ones((2, 2)), (make_strategy("linear"),) * 2, 1, 10,
    ...           np.array([[0.3], [0.7]]), np.ones(2), np.array([[0.0, 0.1], [0.0, 0.0]]))
    >>> observed_concession(t)
    array([0.25, 0.  ])
    """
    p = table.capability.shape[-1]
    weights = table.salience / np.maximum(table.salience.sum(axis=-1, keepdims=True), 1e-12)
    ideal = table.ideal
    gap = np.sum(
        weights[..., :, None, :] * np.abs(ideal[..., :, None, :] - ideal[..., None, :, :]), -1
    )
    safe = np.where(gap > 1e-12, gap, 1.0)
    share = np.where(gap > 1e-12, table.previous_concession / safe, 0.0)
    share = np.clip(share, -1.0, 1.0) * (1.0 - np.eye(p))
    return share.sum(axis=-1) / max(p - 1, 1)


def _aspiration(strategy: Strategy, obs: NegotiatorObservation) -> float:
    """The strategy's aspiration, clipped to [0, 1]; ValueError if it is not a number."""
    value = float(strategy.decide(obs))
    if not np.isfinite(value):
        raise ValueError(f"strategy {strategy!r} returned aspiration {value} for {obs}")
    return min(max(value, 0.0), 1.0)


def _trust_in_others(table: Table) -> np.ndarray:
    """Each party's trust in the least trusted of the others."""
    p = table.capability.shape[-1]
    return np.where(np.eye(p, dtype=bool), np.inf, table.trust).min(axis=-1)


def _values(table: Table, offers: np.ndarray) -> np.ndarray:
    """value[i, j]: party i's trust-discounted value of party j's offer."""
    trust_in_others = _trust_in_others(table)
    # gains[i, j, k]: i's gain on issue k from j's offer.
    gains = gain(
        offers[..., None, :, :], table.ideal[..., :, None, :], table.status_quo[..., None, None, :]
    )
    return deal_value(gains, table.salience[..., :, None, :], trust_in_others[..., :, None])


def _own_values(
    table: Table, offers: np.ndarray, trust_in_others: np.ndarray | None = None
) -> np.ndarray:
    """value[i]: party i's trust-discounted value of its own offer (the diagonal of _values)."""
    if trust_in_others is None:
        trust_in_others = _trust_in_others(table)
    gains = gain(offers, table.ideal, table.status_quo[..., None, :])
    return deal_value(gains, table.salience, trust_in_others)


def _best_value(table: Table) -> np.ndarray:
    """What each party's own ideal terms would be worth to it with full trust."""
    own = gain(table.ideal, table.ideal, table.status_quo[..., None, :])
    return np.sum(table.salience * np.maximum(own, 0.0), axis=-1)


def _respect_floor(
    table: Table,
    targets: np.ndarray,
    weight: np.ndarray,
    aspiration: np.ndarray,
    floor: np.ndarray,
    iterations: int = 40,
) -> np.ndarray:
    """Raise each aspiration just enough that its own offer is worth its floor to it.

    A party never proposes what it would refuse: where the strategy's aspiration gives an
    offer worth less than the party's floor, it concedes only down to the floor. The value
    of its own offer rises with its aspiration, so bisection between the strategy's
    aspiration and the larger of it and the previous one (1 in the first round) finds that
    point. Where even that bound falls short, the bound is kept.
    """

    # gain() of an offer, with the status quo's utility computed once for the whole search.
    status_quo = np.broadcast_to(table.status_quo[..., None, :], table.ideal.shape)
    inputs = (
        table.ideal,
        targets,
        weight,
        table.salience,
        _trust_in_others(table),
        utility(status_quo, table.ideal),
    )

    def own_value(
        a: np.ndarray,
        ideal: np.ndarray,
        target: np.ndarray,
        w: np.ndarray,
        salience: np.ndarray,
        trust: np.ndarray,
        status_quo_utility: np.ndarray,
    ) -> np.ndarray:
        gains = utility(offer(ideal, target, a[..., None], w), ideal) - status_quo_utility
        return deal_value(gains, salience, trust)

    short = own_value(aspiration, *inputs) < floor
    if not short.any():
        return aspiration
    # A party's own value depends on its own aspiration alone, so the search runs over the
    # short parties only, flattened: the same arithmetic on fewer, contiguous numbers.
    subset = [x[short] for x in inputs]
    goal = floor[short]
    low = aspiration[short]
    high = np.maximum(table.previous_aspiration, aspiration)[short]
    for _ in range(iterations):
        mid = 0.5 * (low + high)
        ok = own_value(mid, *subset) >= goal
        high = np.where(ok, mid, high)
        low = np.where(ok, low, mid)
    raised = aspiration.copy()
    raised[short] = high
    return raised


class OffersProtocol(NegotiationProtocol):
    """Offers and counter-offers, accepted when trust-discounted value beats reservation."""

    name: ClassVar[str] = "offers"
    description: ClassVar[str] = "Simultaneous offers from strategies; trust-discounted acceptance."

    def negotiate(self, table: Table) -> RoundResult:
        p = len(table.capability)
        first = table.previous_offers is None
        observed = observed_concession(table)
        time = min(table.round / max(table.deadline, 1), 1.0)
        aspiration = np.array(
            [
                _aspiration(
                    strategy,
                    NegotiatorObservation(
                        time=time,
                        aspiration=float(table.previous_aspiration[i]),
                        opponent_concession=float(observed[i]),
                        first_round=first,
                    ),
                )
                for i, strategy in enumerate(table.strategies)
            ]
        )
        targets = opponent_targets(table.ideal, table.capability)
        weight = 1.0 - table.logrolling * (1.0 - relative_salience(table.salience))
        floor = table.reservation * _best_value(table)
        aspiration = _respect_floor(table, targets, weight, aspiration, floor)
        candidate = offer(table.ideal, targets, aspiration[:, None], weight)
        if not first:
            # If even the previous aspiration is now below the floor (trust fell), hold the
            # previous offer rather than make a worse one.
            stuck = _own_values(table, candidate) < floor
            candidate = np.where(stuck[:, None], table.previous_offers, candidate)
        values = _values(table, candidate)
        own = np.diagonal(values)
        acceptable = (values >= floor[:, None]) & (values >= own[:, None] - 1e-12)
        # The diagonal is the proposer's own acceptance: an offer below its own floor (possible
        # in the first round, or when a held offer lost value as trust fell) is no agreement.
        accepted_by_all = np.all(acceptable, axis=0)
        concession = self._concession(table, candidate)
        if accepted_by_all.any():
            terms = candidate[accepted_by_all].mean(axis=0)
            value = _values(table, terms[None, :])[:, 0]
            return RoundResult(candidate, aspiration, concession, terms, value)
        return RoundResult(candidate, aspiration, concession, None, np.zeros(p))

    @staticmethod
    def _concession(table: Table, offers: np.ndarray) -> np.ndarray:
        return concession_seen(table, offers)


def concession_seen(table: Table, offers: np.ndarray) -> np.ndarray:
    """concession[i, j]: how far j's offer moved toward i since the previous round, in i's
    salience-weighted utility (zeros in the first round; see :class:`RoundResult`)."""
    p = table.capability.shape[-1]
    if table.previous_offers is None:
        return np.zeros((p, p))
    weights = table.salience / np.maximum(table.salience.sum(axis=-1, keepdims=True), 1e-12)
    now = utility(offers[..., None, :, :], table.ideal[..., :, None, :])
    before = utility(table.previous_offers[..., None, :, :], table.ideal[..., :, None, :])
    moved = np.sum(weights[..., :, None, :] * (now - before), axis=-1)
    return moved * (1.0 - np.eye(p))
