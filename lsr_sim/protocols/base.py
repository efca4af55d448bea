"""The negotiation-protocol contract.

A protocol runs one round of talks at one table: a set of parties negotiating a package of
one or more issues. It sees only arrays (no model), and returns the parties' offers, their
aspirations and, when the parties agree, the terms. Vetoes by outside players, trust and
implementation are the model's business, not the protocol's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from lsr_sim.strategies import Strategy

__all__ = ["NegotiationProtocol", "RoundResult", "Table"]


@dataclass(frozen=True)
class Table:
    """Everything a protocol may use for one round at one table (p parties, k issues).

    Attributes
    ----------
    ideal, salience : (p, k) arrays
        The parties' ideal points and saliences on the package's issues.
    status_quo : (k,) array
    capability, reservation : (p,) arrays
    trust : (p, p) array
        Trust among the parties (row trusts column).
    strategies : tuple of Strategy
        One negotiator strategy per party.
    round : int
        Rounds already held at this table (0 in the first round).
    deadline : int
        Rounds before the talks lapse.
    previous_offers : (p, k) array or None
        Last round's offers (None in the first round).
    previous_aspiration : (p,) array
    previous_concession : (p, p) array
        Last round's ``RoundResult.concession`` (zeros in the first round).
    logrolling : float
        How much more a party concedes on the issues it cares less about, in [0, 1].
    """

    ideal: np.ndarray
    salience: np.ndarray
    status_quo: np.ndarray
    capability: np.ndarray
    reservation: np.ndarray
    trust: np.ndarray
    strategies: tuple[Strategy, ...]
    round: int
    deadline: int
    previous_offers: np.ndarray | None
    previous_aspiration: np.ndarray
    previous_concession: np.ndarray
    logrolling: float = 0.5


@dataclass(frozen=True)
class RoundResult:
    """The outcome of one round.

    Attributes
    ----------
    offers : (p, k) array
    aspiration : (p,) array
    concession : (p, p) array
        ``concession[i, j]``: how far j's offer moved toward i this round, in i's
        salience-weighted utility (0 in the first round).
    terms : (k,) array or None
        Agreed terms, or None.
    value : (p,) array
        Each party's trust-discounted value of the agreed terms (zeros without agreement).
    """

    offers: np.ndarray
    aspiration: np.ndarray
    concession: np.ndarray
    terms: np.ndarray | None
    value: np.ndarray


class NegotiationProtocol:
    """Base class: a named protocol with one method, :meth:`negotiate`."""

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""

    def negotiate(self, table: Table) -> RoundResult:
        """Run one round of talks at `table`."""
        raise NotImplementedError
