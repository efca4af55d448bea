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

The round is one compiled function over a group of tables with a leading run axis
(``_round_runs``): the Mesa model's table (a group of one) and the kernel's groups go through
the same code, and the public helpers below (used by the classic protocols too) call its parts.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from lsr_sim.dynamics import compiled as rules
from lsr_sim.jit import njit, njit_inline
from lsr_sim.protocols.base import NegotiationProtocol, RoundResult, Table
from lsr_sim.strategies import NegotiatorObservation, decide_over_runs

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


# -- run g of a group of tables, compiled ----------------------------------------------------
# Each function reads run g of arrays with a leading run axis (G, ...) element by element and
# works in arrays of one table's shape that _round_runs allocates once per group. No row views
# (`ideal[g]`, `salience[i]`): each view costs two atomic reference-count updates, which at a
# table of two parties and one issue cost more than the round's arithmetic.
@njit_inline
def _targets_into(ideal, capability, g, out):
    p, k = ideal.shape[1], ideal.shape[2]
    for i in range(p):
        total = 0.0
        for j in range(p):
            total += capability[g, j] * (1.0 - (i == j))
        for c in range(k):
            acc = 0.0
            for j in range(p):
                acc += capability[g, j] * (1.0 - (i == j)) * ideal[g, j, c]
            out[i, c] = acc / total


@njit_inline
def _weights_into(salience, g, logrolling, out):
    """Each party's logrolling weight per issue (docs/ODD.md): 1 on its most salient issue,
    less on the ones it cares less about, where its offer therefore concedes more."""
    p, k = salience.shape[1], salience.shape[2]
    for i in range(p):
        top = salience[g, i, 0]
        for c in range(1, k):
            top = max(top, salience[g, i, c])
        for c in range(k):
            out[i, c] = 1.0 - logrolling * (1.0 - rules.relative_salience(salience[g, i, c], top))


@njit_inline
def _trust_in_others_into(trust, g, out):
    """Each party's trust in the least trusted of the others."""
    p = trust.shape[1]
    for i in range(p):
        out[i] = np.inf
        for j in range(p):
            if i != j:
                out[i] = min(out[i], trust[g, i, j])


@njit_inline
def _value(ideal, salience, status_quo, g, i, trust, terms, j, gains, row):
    """Party i's trust-discounted value of terms[j] (`gains`, `row`: scratch (k,) arrays)."""
    for c in range(gains.shape[0]):
        gains[c] = rules.gain(terms[j, c], ideal[g, i, c], status_quo[g, c])
        row[c] = salience[g, i, c]
    return rules.deal_value(gains, row, trust)


@njit_inline
def _values_into(ideal, salience, status_quo, g, trust_in, terms, out, gains, row):
    """out[i, j]: party i's value of terms[j], for the first out.shape[1] rows of `terms`."""
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = _value(ideal, salience, status_quo, g, i, trust_in[i], terms, j, gains, row)


@njit_inline
def _best_into(ideal, salience, status_quo, g, out):
    """What each party's own ideal terms would be worth to it with full trust."""
    p, k = ideal.shape[1], ideal.shape[2]
    for i in range(p):
        total = 0.0
        for c in range(k):
            own = rules.gain(ideal[g, i, c], ideal[g, i, c], status_quo[g, c])
            total += salience[g, i, c] * max(own, 0.0)
        out[i] = total


@njit_inline
def _concession_into(ideal, salience, g, offers, previous, out):
    """out[g, i, j]: how far j's offer (offers[j]) moved toward i since previous[g, j], in i's
    salience-weighted utility (0 on the diagonal)."""
    p, k = ideal.shape[1], ideal.shape[2]
    for i in range(p):
        total = 0.0
        for c in range(k):
            total += salience[g, i, c]
        scale = max(total, 1e-12)
        for j in range(p):
            moved = 0.0
            for c in range(k):
                now = rules.utility(offers[j, c], ideal[g, i, c])
                before = rules.utility(previous[g, j, c], ideal[g, i, c])
                moved += salience[g, i, c] / scale * (now - before)
            out[g, i, j] = moved * (1.0 - (i == j))


@njit
def _observed_into(ideal, salience, previous_concession, g, out):
    """What each party saw the others concede last round, as a share of the distance
    between the two sides' ideals in its own utility, averaged over the others."""
    p, k = ideal.shape[1], ideal.shape[2]
    for i in range(p):
        total = 0.0
        for c in range(k):
            total += salience[g, i, c]
        scale = max(total, 1e-12)
        seen = 0.0
        for j in range(p):
            gap = 0.0
            for c in range(k):
                gap += salience[g, i, c] / scale * abs(ideal[g, i, c] - ideal[g, j, c])
            share = previous_concession[g, i, j] / gap if gap > 1e-12 else 0.0
            seen += min(max(share, -1.0), 1.0) * (1.0 - (i == j))
        out[g, i] = seen / max(p - 1, 1)


@njit_inline
def _own_value(a, i, ideal, g, targets, weight, salience, trust, squ):
    """Party i's value of the offer it makes at aspiration `a` (`squ[i]`: its utility of the
    status quo per issue)."""
    received = 0.0
    given = 0.0
    for c in range(ideal.shape[2]):
        y = rules.offer(ideal[g, i, c], targets[i, c], a, weight[i, c])
        u = rules.utility(y, ideal[g, i, c]) - squ[i, c]
        received += salience[g, i, c] * max(u, 0.0)
        given += salience[g, i, c] * max(-u, 0.0)
    return trust * received - given


@njit_inline
def _respect_floor(
    ideal,
    salience,
    sq,
    g,
    targets,
    weight,
    trust_in,
    aspiration,
    previous,
    floor,
    out,
    squ,
    bracket,
    searching,
):
    """Raise each aspiration just enough that the party's own offer is worth its floor
    (into `out`; `squ`, `bracket` and `searching` are scratch arrays).

    A party never proposes what it would refuse: where the strategy's aspiration gives an
    offer worth less than its floor, it concedes only down to the floor. The value of its own
    offer rises with its aspiration, so bisection between the strategy's aspiration and the
    larger of it and the previous one (1 in the first round) finds that point. Where even that
    bound falls short, the bound is kept.
    """
    p, k = ideal.shape[1], ideal.shape[2]
    any_search = False
    for i in range(p):
        a = aspiration[g, i]
        out[i] = a
        for c in range(k):
            squ[i, c] = rules.utility(sq[g, c], ideal[g, i, c])
        value = _own_value(a, i, ideal, g, targets, weight, salience, trust_in[i], squ)
        searching[i] = value < floor[i]
        any_search = any_search or searching[i]
        bracket[0, i] = a
        bracket[1, i] = max(previous[g, i], a)
    if not any_search:
        return
    # The parties' searches are independent; stepped together, their chains of dependent
    # operations overlap in the processor.
    for _ in range(FLOOR_ITERATIONS):
        for i in range(p):
            if searching[i]:
                mid = 0.5 * (bracket[0, i] + bracket[1, i])
                value = _own_value(mid, i, ideal, g, targets, weight, salience, trust_in[i], squ)
                if value >= floor[i]:
                    bracket[1, i] = mid
                else:
                    bracket[0, i] = mid
    for i in range(p):
        if searching[i]:
            out[i] = bracket[1, i]


@njit
def _scratch(p, k):
    """The work arrays of one round at a table of p parties and k issues (see _round)."""
    return (
        np.empty((p, k)),  # targets
        np.empty((p, k)),  # weight
        np.empty((p, p)),  # values
        np.empty(p),  # floor
        np.empty(p),  # trust_in
        np.empty(p),  # aspiration after the floor
        np.empty((p + 1, k)),  # the offers, then the agreed terms
        np.empty(k),  # gains
        np.empty(k),  # one party's saliences
        np.empty(p, dtype=np.bool_),  # accepted
        np.empty((p, k)),  # the floor search: each party's utility of the status quo,
        np.empty((2, p)),  # its bracket (low, high),
        np.empty(p, dtype=np.bool_),  # whether it searches
    )


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
    """One round at each table of a group from the strategies' aspirations (arrays with a
    leading run axis); writes the outputs (`terms[g]` NaN where the parties did not agree).

    The work arrays are allocated once and reused from run to run: the round allocates
    nothing, and (its helpers inlined, the loop in one function) counts no references.
    """
    p, k = ideal.shape[1], ideal.shape[2]
    (targets, weight, values, floor, trust_in, asp, candidates, gains, row, accepted, squ,
     bracket, searching) = _scratch(p, k)  # fmt: skip
    for g in range(ideal.shape[0]):
        _targets_into(ideal, capability, g, targets)
        _weights_into(salience, g, logrolling[g], weight)
        _best_into(ideal, salience, sq, g, floor)
        for i in range(p):
            floor[i] = reservation[g, i] * floor[i]
        _trust_in_others_into(trust, g, trust_in)
        _respect_floor(
            ideal, salience, sq, g, targets, weight, trust_in, aspiration, previous_aspiration,
            floor, asp, squ, bracket, searching,
        )  # fmt: skip
        for i in range(p):
            for c in range(k):
                candidates[i, c] = rules.offer(ideal[g, i, c], targets[i, c], asp[i], weight[i, c])
        if not first[g]:
            # If even the previous aspiration is now below the floor (trust fell), hold the
            # previous offer rather than make a worse one.
            for i in range(p):
                held = _value(ideal, salience, sq, g, i, trust_in[i], candidates, i, gains, row)
                if held < floor[i]:
                    for c in range(k):
                        candidates[i, c] = previous_offers[g, i, c]
        _values_into(ideal, salience, sq, g, trust_in, candidates, values, gains, row)
        count = 0
        for j in range(p):
            # The proposer's own acceptance counts too: an offer below its own floor (possible in
            # the first round, or when a held offer lost value as trust fell) is no agreement.
            ok = True
            for i in range(p):
                ok = ok and values[i, j] >= floor[i] and values[i, j] >= values[i, i] - 1e-12
            accepted[j] = ok
            count += ok
        for i in range(p):
            aspiration_out[g, i] = asp[i]
            for c in range(k):
                offers[g, i, c] = candidates[i, c]
        if first[g]:
            for i in range(p):
                for j in range(p):
                    concession[g, i, j] = 0.0
        else:
            _concession_into(ideal, salience, g, candidates, previous_offers, concession)
        if count == 0:
            for c in range(k):
                terms[g, c] = np.nan
            for i in range(p):
                value[g, i] = 0.0
            continue
        for c in range(k):
            total = 0.0
            for j in range(p):
                if accepted[j]:
                    total += candidates[j, c]
            candidates[p, c] = total / count
            terms[g, c] = candidates[p, c]
        for i in range(p):
            value[g, i] = _value(ideal, salience, sq, g, i, trust_in[i], candidates, p, gains, row)


@njit
def _observed_runs(ideal, salience, previous_concession, out):
    for g in range(ideal.shape[0]):
        _observed_into(ideal, salience, previous_concession, g, out)


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
    ideal = np.asarray(ideal, dtype=float)
    out = np.empty(ideal.shape)
    _targets_into(ideal[None], np.asarray(capability, dtype=float)[None], 0, out)
    return out


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
    ideal = np.asarray(table.ideal, dtype=float)[None]
    p, k = ideal.shape[1:]
    trust_in = np.empty(p)
    _trust_in_others_into(np.asarray(table.trust, dtype=float)[None], 0, trust_in)
    terms = np.ascontiguousarray(offers, dtype=float)
    out = np.empty((p, terms.shape[0]))
    salience = np.asarray(table.salience, dtype=float)[None]
    status_quo = np.asarray(table.status_quo, dtype=float)[None]
    _values_into(ideal, salience, status_quo, 0, trust_in, terms, out, np.empty(k), np.empty(k))
    return out


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
    ideal = np.asarray(table.ideal, dtype=float)[None]
    out = np.empty(ideal.shape[1])
    salience = np.asarray(table.salience, dtype=float)[None]
    _best_into(ideal, salience, np.asarray(table.status_quo, dtype=float)[None], 0, out)
    return out


def concession_seen(table: Table, offers: np.ndarray) -> np.ndarray:
    """concession[i, j]: how far j's offer moved toward i since the previous round, in i's
    salience-weighted utility (zeros in the first round; one table; see :class:`RoundResult`).
    """
    p = table.capability.shape[-1]
    if table.previous_offers is None:
        return np.zeros((p, p))
    out = np.empty((1, p, p))
    _concession_into(
        np.asarray(table.ideal, dtype=float)[None],
        np.asarray(table.salience, dtype=float)[None],
        0,
        np.ascontiguousarray(offers, dtype=float),
        np.ascontiguousarray(table.previous_offers, dtype=float)[None],
        out,
    )
    return out[0]


# -- the protocol -------------------------------------------------------------------------------
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
            aspiration[:, i] = decide_over_runs(strategy, obs, g)
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
