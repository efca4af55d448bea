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

The round is one compiled function per table (``_round``, over one run's arrays): the Mesa
model's tables and the kernel's tables with a run axis go through the same code, and the
public helpers below (used by the classic protocols too) call its parts.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from lsr_sim.dynamics import compiled as rules
from lsr_sim.jit import njit
from lsr_sim.protocols.base import NegotiationProtocol, RoundResult, Table
from lsr_sim.strategies import NegotiatorObservation, Strategy, decide_over_runs

__all__ = [
    "FLOOR_ITERATIONS",
    "OffersProtocol",
    "best_values",
    "concession_seen",
    "observed_concession",
    "opponent_targets",
    "party_values",
]

#: Bisection steps of the floor search: the floor aspiration to within 2**-40.
FLOOR_ITERATIONS = 40


# -- one run's table, compiled -----------------------------------------------------------------
@njit
def _targets(ideal, capability):
    p, k = ideal.shape
    out = np.empty((p, k))
    for i in range(p):
        total = 0.0
        for j in range(p):
            total += capability[j] * (1.0 - (i == j))
        for c in range(k):
            acc = 0.0
            for j in range(p):
                acc += capability[j] * (1.0 - (i == j)) * ideal[j, c]
            out[i, c] = acc / total
    return out


@njit
def _trust_in_others(trust):
    """Each party's trust in the least trusted of the others."""
    p = trust.shape[0]
    out = np.full(p, np.inf)
    for i in range(p):
        for j in range(p):
            if i != j:
                out[i] = min(out[i], trust[i, j])
    return out


@njit
def _value(ideal, salience, status_quo, trust, offer, gains):
    """One party's trust-discounted value of one offer (k,), `gains` a scratch (k,) array."""
    for c in range(offer.shape[0]):
        gains[c] = rules.gain(offer[c], ideal[c], status_quo[c])
    return rules.deal_value(gains, salience, trust)


@njit
def _values(ideal, salience, status_quo, trust_in, offers):
    """value[i, j]: party i's value of offer j (offers (q, k))."""
    p, k = ideal.shape
    gains = np.empty(k)
    out = np.empty((p, offers.shape[0]))
    for i in range(p):
        for j in range(offers.shape[0]):
            out[i, j] = _value(ideal[i], salience[i], status_quo, trust_in[i], offers[j], gains)
    return out


@njit
def _best(ideal, salience, status_quo):
    """What each party's own ideal terms would be worth to it with full trust."""
    p, k = ideal.shape
    out = np.empty(p)
    for i in range(p):
        total = 0.0
        for c in range(k):
            own = rules.gain(ideal[i, c], ideal[i, c], status_quo[c])
            total += salience[i, c] * max(own, 0.0)
        out[i] = total
    return out


@njit
def _concession(ideal, salience, offers, previous):
    """concession[i, j]: how far j's offer moved toward i since `previous`, in i's
    salience-weighted utility (0 on the diagonal)."""
    p, k = ideal.shape
    out = np.empty((p, p))
    for i in range(p):
        total = 0.0
        for c in range(k):
            total += salience[i, c]
        scale = max(total, 1e-12)
        for j in range(p):
            moved = 0.0
            for c in range(k):
                now = rules.utility(offers[j, c], ideal[i, c])
                before = rules.utility(previous[j, c], ideal[i, c])
                moved += salience[i, c] / scale * (now - before)
            out[i, j] = moved * (1.0 - (i == j))
    return out


@njit
def _observed(ideal, salience, previous_concession):
    """What each party saw the others concede last round, as a share of the distance
    between the two sides' ideals in its own utility, averaged over the others."""
    p, k = ideal.shape
    out = np.empty(p)
    for i in range(p):
        total = 0.0
        for c in range(k):
            total += salience[i, c]
        scale = max(total, 1e-12)
        seen = 0.0
        for j in range(p):
            gap = 0.0
            for c in range(k):
                gap += salience[i, c] / scale * abs(ideal[i, c] - ideal[j, c])
            share = previous_concession[i, j] / gap if gap > 1e-12 else 0.0
            seen += min(max(share, -1.0), 1.0) * (1.0 - (i == j))
        out[i] = seen / max(p - 1, 1)
    return out


@njit
def _own_value(a, ideal, target, weight, salience, trust, status_quo_utility, gains):
    """A party's value of the offer it makes at aspiration `a` (one party's (k,) rows)."""
    for c in range(ideal.shape[0]):
        y = rules.offer(ideal[c], target[c], a, weight[c])
        gains[c] = rules.utility(y, ideal[c]) - status_quo_utility[c]
    return rules.deal_value(gains, salience, trust)


@njit
def _respect_floor(ideal, targets, weight, salience, trust_in, sq, aspiration, previous, floor):
    """Raise each aspiration just enough that the party's own offer is worth its floor.

    A party never proposes what it would refuse: where the strategy's aspiration gives an
    offer worth less than its floor, it concedes only down to the floor. The value of its own
    offer rises with its aspiration, so bisection between the strategy's aspiration and the
    larger of it and the previous one (1 in the first round) finds that point. Where even that
    bound falls short, the bound is kept.
    """
    p, k = ideal.shape
    gains = np.empty(k)
    squ = np.empty(k)
    out = aspiration.copy()
    for i in range(p):
        for c in range(k):
            squ[c] = rules.utility(sq[c], ideal[i, c])
        row = (ideal[i], targets[i], weight[i], salience[i], trust_in[i], squ, gains)
        if _own_value(aspiration[i], *row) >= floor[i]:
            continue
        low = aspiration[i]
        high = max(previous[i], aspiration[i])
        for _ in range(FLOOR_ITERATIONS):
            mid = 0.5 * (low + high)
            if _own_value(mid, *row) >= floor[i]:
                high = mid
            else:
                low = mid
        out[i] = high
    return out


@njit
def _round(
    ideal,
    salience,
    sq,
    capability,
    reservation,
    trust,
    aspiration,
    previous_aspiration,
    previous_offers,
    first,
    logrolling,
    offers,
    aspiration_out,
    concession,
    terms,
    value,
):
    """One round at one table from the strategies' aspirations; writes the outputs, returns
    whether the parties agreed (`terms` NaN otherwise)."""
    p, k = ideal.shape
    targets = _targets(ideal, capability)
    weight = np.empty((p, k))
    for i in range(p):
        relative = rules.relative_salience(salience[i])
        for c in range(k):
            weight[i, c] = 1.0 - logrolling * (1.0 - relative[c])
    floor = reservation * _best(ideal, salience, sq)
    trust_in = _trust_in_others(trust)
    asp = _respect_floor(
        ideal, targets, weight, salience, trust_in, sq, aspiration, previous_aspiration, floor
    )
    for i in range(p):
        for c in range(k):
            offers[i, c] = rules.offer(ideal[i, c], targets[i, c], asp[i], weight[i, c])
    if not first:
        # If even the previous aspiration is now below the floor (trust fell), hold the
        # previous offer rather than make a worse one.
        gains = np.empty(k)
        for i in range(p):
            if _value(ideal[i], salience[i], sq, trust_in[i], offers[i], gains) < floor[i]:
                offers[i] = previous_offers[i]
    values = _values(ideal, salience, sq, trust_in, offers)
    accepted = np.empty(p, dtype=np.bool_)
    count = 0
    for j in range(p):
        # The proposer's own acceptance counts too: an offer below its own floor (possible in
        # the first round, or when a held offer lost value as trust fell) is no agreement.
        ok = True
        for i in range(p):
            ok = ok and values[i, j] >= floor[i] and values[i, j] >= values[i, i] - 1e-12
        accepted[j] = ok
        count += ok
    aspiration_out[:] = asp
    if first:
        concession[:] = 0.0
    else:
        concession[:] = _concession(ideal, salience, offers, previous_offers)
    if count == 0:
        terms[:] = np.nan
        value[:] = 0.0
        return False
    for c in range(k):
        total = 0.0
        for j in range(p):
            if accepted[j]:
                total += offers[j, c]
        terms[c] = total / count
    value[:] = _values(ideal, salience, sq, trust_in, terms.reshape(1, k))[:, 0]
    return True


@njit
def _round_runs(
    ideal,
    salience,
    sq,
    capability,
    reservation,
    trust,
    aspiration,
    previous_aspiration,
    previous_offers,
    first,
    logrolling,
    offers,
    aspiration_out,
    concession,
    terms,
    value,
):
    for g in range(ideal.shape[0]):
        _round(
            ideal[g],
            salience[g],
            sq[g],
            capability[g],
            reservation[g],
            trust[g],
            aspiration[g],
            previous_aspiration[g],
            previous_offers[g],
            first[g],
            logrolling[g],
            offers[g],
            aspiration_out[g],
            concession[g],
            terms[g],
            value[g],
        )


@njit
def _observed_runs(ideal, salience, previous_concession, out):
    for g in range(ideal.shape[0]):
        out[g] = _observed(ideal[g], salience[g], previous_concession[g])


# -- public helpers (one table) -----------------------------------------------------------------
def opponent_targets(ideal: np.ndarray, capability: np.ndarray) -> np.ndarray:
    """For each party, the capability-weighted mean ideal of the other parties, shape (p, k).

    Examples
    --------
    >>> opponent_targets(np.array([[0.0], [1.0], [0.5]]), np.array([1.0, 1.0, 2.0]))
    array([[0.66666667],
           [0.33333333],
           [0.5       ]])
    """
    return _targets(np.asarray(ideal, dtype=float), np.asarray(capability, dtype=float))


def observed_concession(table: Table) -> np.ndarray:
    """What each party saw the others concede last round, shape (p,) (or (G, p) with a run
    axis), in [-1, 1].

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
    runs = table.with_run_axis()
    out = np.empty(runs.capability.shape)
    _observed_runs(
        runs.ideal, runs.salience, np.ascontiguousarray(runs.previous_concession, dtype=float), out
    )
    return out if table.has_run_axis else out[0]


def party_values(table: Table, offers: np.ndarray) -> np.ndarray:
    """value[i, j]: party i's trust-discounted value of offer j (`offers` (q, k)), trusting
    the least trusted of the others (one table).

    Examples
    --------
    >>> from lsr_sim.strategies import make_strategy
    >>> t = Table(np.array([[0.0], [1.0]]), np.ones((2, 1)), np.array([0.5]), np.ones(2),
    ...           np.zeros(2), np.full((2, 2), 0.5), (make_strategy("linear"),) * 2, 0, 10,
    ...           None, np.ones(2), np.zeros((2, 2)))
    >>> party_values(t, np.array([[0.25], [0.75]]))
    array([[ 0.125, -0.25 ],
           [-0.25 ,  0.125]])
    """
    return _values(
        np.asarray(table.ideal, dtype=float),
        np.asarray(table.salience, dtype=float),
        np.asarray(table.status_quo, dtype=float),
        _trust_in_others(np.asarray(table.trust, dtype=float)),
        np.ascontiguousarray(offers, dtype=float),
    )


def best_values(table: Table) -> np.ndarray:
    """What each party's own ideal terms would be worth to it with full trust (one table).

    Examples
    --------
    >>> from lsr_sim.strategies import make_strategy
    >>> t = Table(np.array([[0.0], [1.0]]), np.ones((2, 1)), np.array([0.5]), np.ones(2),
    ...           np.zeros(2), np.ones((2, 2)), (make_strategy("linear"),) * 2, 0, 10,
    ...           None, np.ones(2), np.zeros((2, 2)))
    >>> best_values(t)
    array([0.5, 0.5])
    """
    return _best(
        np.asarray(table.ideal, dtype=float),
        np.asarray(table.salience, dtype=float),
        np.asarray(table.status_quo, dtype=float),
    )


def concession_seen(table: Table, offers: np.ndarray) -> np.ndarray:
    """concession[i, j]: how far j's offer moved toward i since the previous round, in i's
    salience-weighted utility (zeros in the first round; one table; see :class:`RoundResult`).
    """
    p = table.capability.shape[-1]
    if table.previous_offers is None:
        return np.zeros((p, p))
    return _concession(
        np.asarray(table.ideal, dtype=float),
        np.asarray(table.salience, dtype=float),
        np.ascontiguousarray(offers, dtype=float),
        np.ascontiguousarray(table.previous_offers, dtype=float),
    )


# -- the protocol -------------------------------------------------------------------------------
def _aspirations(strategy: Strategy, obs: NegotiatorObservation, runs: int) -> np.ndarray:
    """The strategy's aspiration in each of `runs` runs, clipped to [0, 1]; ValueError if a
    value is not a number."""
    value = decide_over_runs(strategy, obs, runs)
    if not np.isfinite(value).all():
        bad = float(value[~np.isfinite(value)][0])
        raise ValueError(
            f"strategy {strategy!r} returned aspiration {bad}; an aspiration is a number in [0, 1]"
        )
    return np.minimum(np.maximum(value, 0.0), 1.0)


class OffersProtocol(NegotiationProtocol):
    """Offers and counter-offers, accepted when trust-discounted value beats reservation."""

    name: ClassVar[str] = "offers"
    description: ClassVar[str] = "Simultaneous offers from strategies; trust-discounted acceptance."
    run_axis: ClassVar[bool] = True

    def negotiate(self, table: Table) -> RoundResult:
        t = table.with_run_axis()
        g, p, k = t.ideal.shape
        first = t.first_round()
        observed = observed_concession(t)
        time = np.minimum(t.round / np.maximum(t.deadline, 1), 1.0)
        aspiration = np.empty((g, p))
        for i, strategy in enumerate(t.strategies):
            obs = NegotiatorObservation(
                time=time,
                aspiration=t.previous_aspiration[:, i],
                opponent_concession=observed[:, i],
                first_round=first,
            )
            aspiration[:, i] = _aspirations(strategy, obs, g)
        previous = t.previous_offers
        assert previous is not None
        offers = np.empty((g, p, k))
        aspiration_out = np.empty((g, p))
        concession = np.empty((g, p, p))
        terms = np.empty((g, k))
        value = np.empty((g, p))
        _round_runs(
            t.ideal,
            t.salience,
            t.status_quo,
            t.capability,
            t.reservation,
            t.trust,
            aspiration,
            np.ascontiguousarray(t.previous_aspiration, dtype=float),
            previous,
            first,
            np.asarray(t.logrolling, dtype=float),
            offers,
            aspiration_out,
            concession,
            terms,
            value,
        )
        if table.has_run_axis:
            return RoundResult(offers, aspiration_out, concession, terms, value)
        agreed = np.isfinite(terms[0]).all()
        return RoundResult(
            offers[0], aspiration_out[0], concession[0], terms[0] if agreed else None, value[0]
        )
