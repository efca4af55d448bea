"""The classic models of :mod:`lsr_sim.classic` as negotiation protocols of the model.

A scenario selects one by name, for every table (``dynamics.protocol``) or per issue
(``issues.<name>.protocol``): ``nash``, ``kalai_smorodinsky``, ``rubinstein``,
``time_based_concession``, ``bdm`` and ``stokman``. Each maps the table onto its model's
inputs the same way: a party's position on an issue is its ideal point (or, for the models
that move positions round by round, its last offer), its salience the issue's salience, its
capability its capability, and the status quo the disagreement point.

The classic model proposes the terms; whether the parties sign them is the model's
business, decided as in the ``offers`` protocol: every party must value the terms, discounted
by its trust in the least trusted of the others, at least at its reservation share of what
its own ideal would be worth (see docs/ODD.md, Section 7.5). So trust still gates agreement,
vetoes still apply, and talks lapse after ``talks_timeout`` rounds without a deal.

- ``nash`` / ``kalai_smorodinsky``: the (capability-weighted) Nash or the Kalai-Smorodinsky
  solution over the package, from the first round on. The solution does not change while the
  table's inputs do not, so it is computed once per table and kept.
- ``rubinstein`` (two parties): the subgame-perfect split with both sides' discount factor
  ``discount`` per round; the more capable party proposes first and gets the share
  ``(1 - d) / (1 - d**2)`` of the distance between the two ideals on every issue.
- ``time_based_concession`` (two parties): each issue is negotiated by alternating offers
  between the parties' time-based strategies (Boulware, linear, conceder; others count as
  linear) with the table's deadline, one offer per round; the terms are agreed in the round
  the last issue's accepted offer is made.
- ``bdm``: one round of Bueno de Mesquita's model (its default ``lsr`` variant) per round of
  talks, on each issue, among the parties at the table, on the whole [0, 1] scale; the
  parties agree on the capability-and-salience weighted median once their positions lie
  within ``tolerance`` of each other.
  On an issue no party at the table cares about (capability times salience 0 for all),
  nobody votes, so nobody moves; it does not hold up agreement on the others, and its terms
  are the capability-weighted median.
- ``stokman``: one round of exchanges of voting positions per round of talks, over the
  package's issues; once a round's exchanges shift no vote by more than ``tolerance`` (or
  none is left), the terms are the expected outcomes (the capability-and-salience weighted
  mean votes). Ties between equal exchanges are broken by a
  generator seeded with the round number, so a run stays a function of its own seed. An
  issue no party at the table cares about enters no exchange; its terms are the
  capability-weighted mean vote.

Protocols draw nothing from the run's generator. They take one run's table at a time: with
many runs, the kernel calls them once per run (see :mod:`lsr_sim.kernel.negotiation`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from lsr_sim.protocols.base import NegotiationProtocol, RoundResult, Table
from lsr_sim.protocols.offers import best_values, concession_seen, party_values

if TYPE_CHECKING:
    from lsr_sim.classic.concession import ConcessionResult
    from lsr_sim.classic.stokman import Exchange

__all__ = [
    "CLASSIC_PROTOCOLS",
    "BDMProtocol",
    "KalaiSmorodinskyProtocol",
    "NashProtocol",
    "RubinsteinProtocol",
    "StokmanProtocol",
    "TimeBasedConcessionProtocol",
]


class _ClassicProtocol(NegotiationProtocol):
    """Shared settling: the model's trust-discounted acceptance of the proposed terms."""

    #: Parties a table may have (None: any number).
    parties: ClassVar[int | None] = None

    def settle(self, table: Table, offers: np.ndarray, terms: np.ndarray | None) -> RoundResult:
        """The round's result: `offers` (p, k) made, `terms` (k,) proposed (None: none yet)."""
        p = table.capability.shape[-1]
        concession = concession_seen(table, offers)
        aspiration = np.ones(p)  # the classic models have no aspiration; strategies unused
        if terms is None:
            return RoundResult(offers, aspiration, concession, None, np.zeros(p))
        value = party_values(table, terms[None, :])[:, 0]
        floor = table.reservation * best_values(table)
        if np.all(value >= floor):
            return RoundResult(offers, aspiration, concession, terms, value)
        return RoundResult(offers, aspiration, concession, None, np.zeros(p))

    def check_parties(self, table: Table) -> None:
        p = table.capability.shape[-1]
        if self.parties is not None and p != self.parties:
            raise ValueError(f"protocol {self.name!r} needs {self.parties} parties, got {p}")

    @staticmethod
    def positions(table: Table) -> np.ndarray:
        """Each party's current position: its last offer, or its ideal in the first round."""
        return table.ideal if table.previous_offers is None else table.previous_offers


class _SolutionProtocol(_ClassicProtocol):
    """A bargaining solution over the package, computed once per table."""

    def __init__(self) -> None:
        self._solved: dict[bytes, np.ndarray | None] = {}

    def solve(self, table: Table) -> np.ndarray | None:
        raise NotImplementedError

    def negotiate(self, table: Table) -> RoundResult:
        self.check_parties(table)
        key = (
            b"".join(
                np.ascontiguousarray(a, dtype=float).tobytes()
                for a in (table.ideal, table.salience, table.status_quo, table.capability)
            )
            + str(table.ideal.shape).encode()
        )
        if key not in self._solved:
            self._solved[key] = self.solve(table)
        terms = self._solved[key]
        if terms is None:
            return self.settle(table, table.ideal.copy(), None)
        offers = np.broadcast_to(terms, table.ideal.shape).copy()
        return self.settle(table, offers, terms.copy())


class NashProtocol(_SolutionProtocol):
    """The capability-weighted Nash bargaining solution, with the status quo as disagreement."""

    name: ClassVar[str] = "nash"
    description: ClassVar[str] = "Weighted Nash bargaining solution over the package."

    def solve(self, table: Table) -> np.ndarray | None:
        from lsr_sim.classic.nash import nash_bargaining

        # Weights must be positive; a party without capability keeps a token weight.
        weights = np.maximum(table.capability, 1e-9)
        solution = nash_bargaining(
            table.ideal, table.salience, weights=weights, status_quo=table.status_quo
        )
        return solution.point if solution.agreement else None


class KalaiSmorodinskyProtocol(_SolutionProtocol):
    """The Kalai-Smorodinsky solution, with the status quo as disagreement."""

    name: ClassVar[str] = "kalai_smorodinsky"
    description: ClassVar[str] = "Kalai-Smorodinsky solution over the package."

    def solve(self, table: Table) -> np.ndarray | None:
        from lsr_sim.classic.nash import kalai_smorodinsky

        solution = kalai_smorodinsky(table.ideal, table.salience, status_quo=table.status_quo)
        return solution.point if solution.agreement else None


def _live_issues(table: Table) -> np.ndarray:
    """(k,) bool: the issues some party at the table weighs (capability times salience > 0)."""
    return np.any(table.capability[:, None] * np.clip(table.salience, 0.0, None) > 0, axis=0)


def _issue_weights(table: Table) -> np.ndarray:
    """Capability times salience per party and issue, shape (p, k), for the weighted median
    and mean; on an issue nobody at the table cares about, capability alone (equal weights if
    that is 0 too), so the forecast stays defined."""
    weight = table.capability[:, None] * np.clip(table.salience, 0.0, None)
    fallback = table.capability if np.sum(table.capability) > 0 else np.ones_like(table.capability)
    weight[:, ~_live_issues(table)] = fallback[:, None]
    return weight


def _first_proposer(table: Table) -> int:
    """The more capable of two parties (the first listed on a tie)."""
    return int(np.argmax(table.capability))


class RubinsteinProtocol(_SolutionProtocol):
    """Rubinstein's subgame-perfect split between two parties, immediate agreement."""

    name: ClassVar[str] = "rubinstein"
    description: ClassVar[str] = "Rubinstein alternating offers (two parties)."
    parties: ClassVar[int | None] = 2
    #: Both sides' discount factor per round of talks.
    discount: ClassVar[float] = 0.95

    def solve(self, table: Table) -> np.ndarray | None:
        from lsr_sim.classic.rubinstein import rubinstein_share

        first = _first_proposer(table)
        share = rubinstein_share(self.discount, self.discount)
        own, other = table.ideal[first], table.ideal[1 - first]
        return other + share * (own - other)


class TimeBasedConcessionProtocol(_ClassicProtocol):
    """Alternating offers between two time-based negotiators, issue by issue."""

    name: ClassVar[str] = "time_based_concession"
    description: ClassVar[str] = "Time-based concession with a deadline (two parties)."
    parties: ClassVar[int | None] = 2

    def __init__(self) -> None:
        # A whole negotiation depends only on its inputs, not on the round: run it once.
        self._negotiations: dict[tuple[Any, ...], ConcessionResult] = {}

    def negotiate(self, table: Table) -> RoundResult:
        from lsr_sim.classic.concession import time_based_negotiation
        from lsr_sim.strategies import TimeBased

        self.check_parties(table)
        tactics = [s if isinstance(s, TimeBased) else "linear" for s in table.strategies]
        first = _first_proposer(table)
        deadline = max(int(table.deadline), 2)
        k = table.ideal.shape[-1]
        offers = table.ideal.copy()
        points = np.full(k, np.nan)
        for col in range(k):
            a, b = table.ideal[:, col]
            if a == b:
                points[col] = a
                offers[:, col] = a
                continue
            key = (tactics[0], tactics[1], deadline, float(a), float(b), first)
            if key not in self._negotiations:
                self._negotiations[key] = time_based_negotiation(
                    tactics[0],
                    tactics[1],
                    deadline=deadline,
                    ideal_a=float(a),
                    ideal_b=float(b),
                    first="a" if first == 0 else "b",
                )
            result = self._negotiations[key]
            history = result.history
            made = history[history["round"] <= table.round]
            for party, side in ((0, "a"), (1, "b")):
                own = made[made["proposer"] == side]
                if len(own):
                    offers[party, col] = float(own["offer"].iloc[-1])
            done = result.round is not None and result.round <= table.round
            if result.agreement and done and result.point is not None:
                points[col] = float(result.point)
        terms = points if np.all(np.isfinite(points)) else None
        return self.settle(table, offers, terms)


class BDMProtocol(_ClassicProtocol):
    """One round of Bueno de Mesquita's model per round of talks, issue by issue."""

    name: ClassVar[str] = "bdm"
    description: ClassVar[str] = "Bueno de Mesquita's expected utility model (lsr variant)."
    #: Positions within this distance of each other on every issue count as agreement.
    tolerance: ClassVar[float] = 0.02

    def negotiate(self, table: Table) -> RoundResult:
        from lsr_sim.classic.bdm import bdm_round, weighted_median

        start = self.positions(table)
        p, k = start.shape
        names = [f"{i:04d}" for i in range(p)]  # sorting keeps the table's order
        weight = _issue_weights(table)
        live = _live_issues(table)
        moved = start.copy()
        for col in np.flatnonzero(live):  # on an idle issue nobody votes: no offers, no moves
            moved[:, col] = bdm_round(
                capability=table.capability,
                position=start[:, col],
                salience=table.salience[:, col],
                names=names,
                scale=(0.0, 1.0),
                round_number=table.round + 1,
            ).position
        spread = moved.max(axis=0) - moved.min(axis=0)
        if np.all(spread[live] <= self.tolerance):
            terms = np.array(
                [weighted_median(moved[:, col], weight[:, col]) for col in range(k)], dtype=float
            )
            return self.settle(table, moved, terms)
        return self.settle(table, moved, None)


class StokmanProtocol(_ClassicProtocol):
    """One round of Stokman's exchange of voting positions per round of talks.

    The round's votes are settled, and their expected outcome proposed, once no exchange is
    left or the round's exchanges shift no vote by more than `tolerance` (as for BDM): gains
    shrink geometrically but stay positive, and waiting for the last exchange would outlast
    ``talks_timeout`` on many packages.
    """

    name: ClassVar[str] = "stokman"
    description: ClassVar[str] = "Stokman's exchange model across the package's issues."
    #: Exchanges that shift no vote by more than this leave the votes settled.
    tolerance: ClassVar[float] = 0.02

    def negotiate(self, table: Table) -> RoundResult:
        from lsr_sim.classic.stokman import adopt_votes, exchange_round, expected_outcome

        start = self.positions(table)
        salience = np.clip(table.salience, 0.0, 1.0)
        # Issues nobody at the table cares about take part in no exchange (and would leave
        # the model's expected outcome undefined): they are left out of the round.
        live = _live_issues(table)
        votes = start.copy()
        exchanges: tuple[Exchange, ...] = ()
        if live.any():
            votes[:, live], exchanges = exchange_round(
                start[:, live],
                salience[:, live],
                table.capability,
                rng=np.random.default_rng(table.round),
            )
        offers = adopt_votes(start, votes, salience) if exchanges else votes
        if np.max(np.abs(votes - start), initial=0.0) > self.tolerance:
            return self.settle(table, offers, None)
        # The expected outcomes; on an idle issue, the capability-weighted mean vote.
        weight = _issue_weights(table)
        terms = np.sum(weight * votes, axis=0) / np.sum(weight, axis=0)
        if live.any():
            terms[live] = expected_outcome(votes[:, live], salience[:, live], table.capability)
        return self.settle(table, offers, terms)


CLASSIC_PROTOCOLS: tuple[type[_ClassicProtocol], ...] = (
    NashProtocol,
    KalaiSmorodinskyProtocol,
    RubinsteinProtocol,
    TimeBasedConcessionProtocol,
    BDMProtocol,
    StokmanProtocol,
)
"""The classic protocols, registered under their names by :mod:`lsr_sim.protocols`."""
