"""The negotiation-protocol contract.

A protocol runs one round of talks at one table: a set of parties negotiating a package of
one or more issues. It sees only arrays (no model), and returns the parties' offers, their
aspirations and, when the parties agree, the terms. Vetoes by outside players, trust and
implementation are the model's business, not the protocol's.

A table may carry a leading run axis: the same table in G runs at once (the kernel gathers
them so). A protocol that declares ``run_axis = True`` takes such tables whole; for any other,
the kernel calls :meth:`NegotiationProtocol.negotiate` once per run. A subclass does not
inherit the declaration (overriding ``negotiate`` may break it): see :func:`takes_run_axis`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from lsr_sim.strategies import Strategy

__all__ = ["NegotiationProtocol", "RoundResult", "Table", "takes_run_axis"]


@dataclass(frozen=True)
class Table:
    """Everything a protocol may use for one round at one table (p parties, k issues).

    With a run axis every array gains a leading axis of length G, ``round``, ``deadline``
    and ``logrolling`` become arrays of shape (G,), and ``previous_offers`` is an array whose
    entries are NaN in the runs that are in their first round of these talks.

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
    round : int or (G,) array
        Rounds already held at this table (0 in the first round).
    deadline : int or (G,) array
        Rounds before the talks lapse.
    previous_offers : (p, k) array or None
        Last round's offers (None in the first round).
    previous_aspiration : (p,) array
    previous_concession : (p, p) array
        Last round's ``RoundResult.concession`` (zeros in the first round).
    logrolling : float or (G,) array
        How much more a party concedes on the issues it cares less about, in [0, 1].
    """

    ideal: np.ndarray
    salience: np.ndarray
    status_quo: np.ndarray
    capability: np.ndarray
    reservation: np.ndarray
    trust: np.ndarray
    strategies: tuple[Strategy, ...]
    round: Any
    deadline: Any
    previous_offers: np.ndarray | None
    previous_aspiration: np.ndarray
    previous_concession: np.ndarray
    logrolling: Any = 0.5

    @property
    def has_run_axis(self) -> bool:
        """Whether the table holds G runs (arrays with a leading run axis)."""
        return bool(np.ndim(self.ideal) == 3)

    def first_round(self) -> np.ndarray:
        """(G,) bool with a run axis: the runs with no previous offers (else a 0-d array)."""
        if self.previous_offers is None:
            return np.ones(self.ideal.shape[:-2], dtype=bool)
        return ~np.isfinite(self.previous_offers).all(axis=(-2, -1))

    def with_run_axis(self) -> Table:
        """This single-run table as a table of one run (G = 1)."""
        if self.has_run_axis:
            return self
        p, k = self.ideal.shape
        previous = (
            np.full((1, p, k), np.nan)
            if self.previous_offers is None
            else np.asarray(self.previous_offers, dtype=float)[None]
        )
        return Table(
            ideal=np.asarray(self.ideal, dtype=float)[None],
            salience=np.asarray(self.salience, dtype=float)[None],
            status_quo=np.asarray(self.status_quo, dtype=float)[None],
            capability=np.asarray(self.capability, dtype=float)[None],
            reservation=np.asarray(self.reservation, dtype=float)[None],
            trust=np.asarray(self.trust, dtype=float)[None],
            strategies=self.strategies,
            round=np.array([self.round], dtype=np.int64),
            deadline=np.array([self.deadline], dtype=np.int64),
            previous_offers=previous,
            previous_aspiration=np.asarray(self.previous_aspiration, dtype=float)[None],
            previous_concession=np.asarray(self.previous_concession, dtype=float)[None],
            logrolling=np.array([self.logrolling], dtype=float),
        )


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
        Agreed terms, or None. With a run axis, a (G, k) array, NaN in the runs without
        agreement.
    value : (p,) array
        Each party's trust-discounted value of the agreed terms (zeros without agreement).
    """

    offers: np.ndarray
    aspiration: np.ndarray
    concession: np.ndarray
    terms: np.ndarray | None
    value: np.ndarray


class NegotiationProtocol:
    """Base class: a named protocol with one method, :meth:`negotiate`.

    ``run_axis``: whether :meth:`negotiate` takes tables with a leading run axis (see the
    module docstring); the default, False, is always correct.
    """

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    run_axis: ClassVar[bool] = False

    def negotiate(self, table: Table) -> RoundResult:
        """Run one round of talks at `table`."""
        raise NotImplementedError


def takes_run_axis(protocol: NegotiationProtocol) -> bool:
    """Whether the protocol's own class declares ``run_axis = True`` (see the module docstring)."""
    return vars(type(protocol)).get("run_axis", False) is True
