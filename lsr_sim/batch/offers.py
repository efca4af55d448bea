"""The offers protocol over a leading run axis: one round at one table in G runs at once.

It calls the helpers of :class:`lsr_sim.protocols.offers.OffersProtocol` (targets, observed
concessions, values, the floor search, concessions), which accept leading axes, and follows
``OffersProtocol.negotiate`` step by step, with every array carrying a leading run axis of
length G. What differs is bookkeeping only: runs in their first round of talks (no previous
offers) are handled by masks instead of the ``None`` the single-run protocol receives, the
strategies decide for all G runs at once, and agreed terms are averaged with masks.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lsr_sim.dynamics.negotiation import offer, relative_salience
from lsr_sim.protocols.offers import (
    _best_value,
    _own_values,
    _respect_floor,
    _values,
    concession_seen,
    observed_concession,
    opponent_targets,
)
from lsr_sim.strategies import NegotiatorObservation, Strategy

__all__ = ["BatchRound", "BatchTable", "negotiate_offers"]


@dataclass
class BatchTable:
    """One table in G runs: p parties, k issues (see :class:`lsr_sim.protocols.Table`)."""

    ideal: np.ndarray  # (G, p, k)
    salience: np.ndarray  # (G, p, k)
    status_quo: np.ndarray  # (G, k)
    capability: np.ndarray  # (G, p)
    reservation: np.ndarray  # (G, p)
    trust: np.ndarray  # (G, p, p)
    strategies: Sequence[Strategy]  # one per party, parameters of shape (G,)
    round: np.ndarray  # (G,) int
    deadline: np.ndarray  # (G,) int
    first: np.ndarray  # (G,) bool: no previous offers
    previous_offers: np.ndarray  # (G, p, k), NaN where first
    previous_aspiration: np.ndarray  # (G, p)
    previous_concession: np.ndarray  # (G, p, p)
    logrolling: np.ndarray  # (G,)


@dataclass
class BatchRound:
    offers: np.ndarray  # (G, p, k)
    aspiration: np.ndarray  # (G, p)
    concession: np.ndarray  # (G, p, p)
    agreed: np.ndarray  # (G,) bool
    terms: np.ndarray  # (G, k), NaN where not agreed


def _rows(t: BatchTable, rows: np.ndarray) -> BatchTable:
    """The batch table restricted to some runs."""
    return BatchTable(
        **{
            f.name: (
                [_take(s, rows) for s in t.strategies]
                if f.name == "strategies"
                else getattr(t, f.name)[rows]
            )
            for f in dataclasses.fields(t)
        }
    )


def _take(strategy: Strategy, rows: np.ndarray) -> Strategy:
    obj = object.__new__(type(strategy))
    for f in dataclasses.fields(strategy):
        object.__setattr__(obj, f.name, getattr(strategy, f.name)[rows])
    return obj


def _aspiration(strategy: Strategy, obs: NegotiatorObservation, size: int) -> np.ndarray:
    value = np.broadcast_to(np.asarray(strategy.decide(obs), dtype=float), (size,))
    if not np.isfinite(value).all():
        raise ValueError(f"strategy {strategy!r} returned a non-finite aspiration")
    return np.minimum(np.maximum(value, 0.0), 1.0)


def negotiate_offers(t: BatchTable) -> BatchRound:
    """One round of the offers protocol in every run of the batch table."""
    g = t.capability.shape[0]
    first = t.first
    observed = observed_concession(t)  # type: ignore[arg-type]
    time = np.minimum(t.round / np.maximum(t.deadline, 1), 1.0)
    aspiration = np.stack(
        [
            _aspiration(
                strategy,
                NegotiatorObservation(
                    time=time,
                    aspiration=t.previous_aspiration[:, i],
                    opponent_concession=observed[:, i],
                    first_round=first,
                ),
                g,
            )
            for i, strategy in enumerate(t.strategies)
        ],
        axis=1,
    )
    targets = opponent_targets(t.ideal, t.capability)
    weight = 1.0 - t.logrolling[:, None, None] * (1.0 - relative_salience(t.salience))
    floor = t.reservation * _best_value(t)  # type: ignore[arg-type]
    # The floor search, in the runs where some party's offer falls short of its floor (each
    # run's numbers do not depend on the others in the batch).
    own = _own_values(t, offer(t.ideal, targets, aspiration[:, :, None], weight))  # type: ignore[arg-type]
    short = (own < floor).any(axis=-1)
    if short.all():
        aspiration = _respect_floor(t, targets, weight, aspiration, floor)  # type: ignore[arg-type]
    elif short.any():
        sub = _rows(t, short)
        aspiration = aspiration.copy()
        aspiration[short] = _respect_floor(
            sub,  # type: ignore[arg-type]
            targets[short],
            weight[short],
            aspiration[short],
            floor[short],
        )
    candidate = offer(t.ideal, targets, aspiration[:, :, None], weight)
    later = ~first
    if later.any():
        stuck = (_own_values(t, candidate) < floor) & later[:, None]  # type: ignore[arg-type]
        candidate = np.where(stuck[:, :, None], t.previous_offers, candidate)
    values = _values(t, candidate)  # type: ignore[arg-type]
    own = np.diagonal(values, axis1=-2, axis2=-1)
    acceptable = (values >= floor[:, :, None]) & (values >= own[:, :, None] - 1e-12)
    accepted_by_all = np.all(acceptable, axis=-2)  # (G, p): offer j accepted by everyone
    concession = _concession(t, candidate)
    agreed = accepted_by_all.any(axis=-1)
    count = accepted_by_all.sum(axis=-1)
    total = np.where(accepted_by_all[:, :, None], candidate, 0.0).sum(axis=-2)
    terms = np.where(agreed[:, None], total / np.maximum(count, 1)[:, None], np.nan)
    return BatchRound(candidate, aspiration, concession, agreed, terms)


def _concession(t: BatchTable, offers: np.ndarray) -> np.ndarray:
    moved = concession_seen(t, offers)  # type: ignore[arg-type]
    return np.where(t.first[:, None, None], 0.0, moved)
