"""Protocol test helpers: a Table from plain lists, and the floor and value formulas."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from lsr_sim.protocols import Table
from lsr_sim.strategies import Strategy


def make_table(
    ideal: Sequence[Sequence[float]],
    strategies: Sequence[Strategy],
    status_quo: Sequence[float],
    salience: Sequence[Sequence[float]] | None = None,
    capability: Sequence[float] | None = None,
    reservation: float | Sequence[float] = 0.0,
    trust: float = 1.0,
    round: int = 0,
    deadline: int = 10,
    logrolling: float = 0.5,
    previous_offers: Sequence[Sequence[float]] | None = None,
    previous_aspiration: Sequence[float] | None = None,
    previous_concession: Sequence[Sequence[float]] | None = None,
) -> Table:
    ideal_ = np.array(ideal, dtype=float)
    p = len(ideal_)
    trust_ = np.full((p, p), float(trust))
    np.fill_diagonal(trust_, 1.0)
    return Table(
        ideal=ideal_,
        salience=np.ones_like(ideal_) if salience is None else np.array(salience, dtype=float),
        status_quo=np.array(status_quo, dtype=float),
        capability=np.ones(p) if capability is None else np.array(capability, dtype=float),
        reservation=np.broadcast_to(np.asarray(reservation, dtype=float), (p,)).copy(),
        trust=trust_,
        strategies=tuple(strategies),
        round=round,
        deadline=deadline,
        previous_offers=None if previous_offers is None else np.array(previous_offers, float),
        previous_aspiration=(
            np.ones(p) if previous_aspiration is None else np.array(previous_aspiration, float)
        ),
        previous_concession=(
            np.zeros((p, p))
            if previous_concession is None
            else np.array(previous_concession, dtype=float)
        ),
        logrolling=logrolling,
    )


def floors(table: Table) -> np.ndarray:
    """Reservation share of each party's own ideal at full trust: sum_k s_k |q_k - x_k|."""
    return table.reservation * np.sum(
        table.salience * np.abs(table.status_quo - table.ideal), axis=1
    )


def trust_discounted_value(table: Table, terms: np.ndarray) -> np.ndarray:
    """Each party's trust-discounted value of `terms`, straight from docs/ODD.md, Section 7.5."""
    gains = (1 - np.abs(terms - table.ideal)) - (1 - np.abs(table.status_quo - table.ideal))
    p = len(table.ideal)
    trust = np.where(np.eye(p, dtype=bool), np.inf, table.trust).min(axis=1)
    received = np.sum(table.salience * np.maximum(gains, 0), axis=1)
    given_up = np.sum(table.salience * np.maximum(-gains, 0), axis=1)
    return trust * received - given_up
