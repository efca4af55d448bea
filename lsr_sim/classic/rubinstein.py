"""Rubinstein (1982) alternating offers: two players split a unit, discounting delay.

Player 1 proposes a split at rounds 0, 2, 4, ...; player 2 at rounds 1, 3, ...; the responder
accepts or rejects, and a rejected offer is followed by the responder's own proposal in the
next round. A share ``x`` agreed in round ``n`` is worth ``d_i**n x`` to player ``i``.

With an infinite horizon the unique subgame-perfect equilibrium gives the first proposer
``(1 - d2) / (1 - d1 d2)`` and agreement is immediate (:func:`rubinstein_share`). With
``d1 = d2 = d`` that is ``1 / (1 + d)``, which tends to the Nash split 1/2 as ``d -> 1``.

:func:`alternating_offers` runs the game with a finite horizon of ``T`` rounds (no agreement
after the last: both get 0), solved by backward induction: the proposer of the last round
takes everything, and in every earlier round the proposer offers the responder exactly what
the responder would get by rejecting (its own proposer's share next round, discounted once).
The responder accepts, so agreement is in round 0; as ``T`` grows the first proposer's share
converges to the closed form, from above and below in turn (odd and even horizons).

References
----------
Rubinstein, A. (1982). Perfect equilibrium in a bargaining model. Econometrica 50(1), 97-109.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["AlternatingOffersResult", "alternating_offers", "rubinstein_share"]


def rubinstein_share(d1: float, d2: float) -> float:
    """The first proposer's share in the infinite-horizon equilibrium, ``(1 - d2) / (1 - d1 d2)``.

    Parameters
    ----------
    d1, d2 : float
        Discount factors per round of the first proposer and of the responder, in [0, 1],
        not both 1 (then every split is an equilibrium).

    Examples
    --------
    >>> rubinstein_share(0.9, 0.9)  # 1 / (1 + 0.9)
    0.526315789
    >>> rubinstein_share(0.9, 0.5)  # the more patient side gets more
    0.909090909
    >>> rubinstein_share(0.5, 0.9)
    0.181818182
    >>> rubinstein_share(0.999999, 0.999999)  # tends to the Nash split
    0.50000025
    """
    _check_discounts(d1, d2)
    if d1 == 1.0 and d2 == 1.0:
        raise ValueError("with d1 = d2 = 1 every split is an equilibrium: give a factor < 1")
    return float((1.0 - d2) / (1.0 - d1 * d2))


@dataclass(frozen=True, eq=False)
class AlternatingOffersResult:
    """A finite-horizon alternating-offers game solved by backward induction.

    Attributes
    ----------
    share : float
        Player 1's share of the unit (player 2 gets ``1 - share``).
    round : int
        The round of agreement (0: the first offer is accepted).
    rounds : pandas.DataFrame
        One row per round ``n`` of the horizon: ``proposer`` (1 or 2), ``proposer_share``
        (what the proposer demands in that subgame, undiscounted), ``share_1`` (player 1's
        share of that proposal) and ``accepted`` (only the round-0 offer is made on the
        equilibrium path, and accepted).
    """

    share: float
    round: int
    rounds: pd.DataFrame


def alternating_offers(d1: float, d2: float, horizon: int) -> AlternatingOffersResult:
    """Play alternating offers for at most `horizon` rounds, by backward induction.

    Parameters
    ----------
    d1, d2 : float
        Discount factors of the first proposer and the responder, in [0, 1].
    horizon : int
        Rounds before the talks end with nothing for either, >= 1.

    Examples
    --------
    One round: an ultimatum, the proposer takes all. Two rounds: player 2 will take all in
    the last round, worth ``d2`` today, so player 1 must leave it ``d2``.

    >>> alternating_offers(0.9, 0.8, 1).share
    1.0
    >>> alternating_offers(0.9, 0.8, 2).share
    0.2

    Three rounds: 2 can count on 0.1 in round 1 (1 must be left 0.9, its sure 1.0 discounted),
    worth 0.08 today, so 1 keeps 0.92.

    >>> alternating_offers(0.9, 0.8, 3).rounds
       proposer  proposer_share  share_1  accepted
    0         1            0.92     0.92      True
    1         2            0.10     0.90     False
    2         1            1.00     1.00     False

    Long horizons converge to :func:`rubinstein_share`:

    >>> round(alternating_offers(0.9, 0.8, 200).share, 10), round(rubinstein_share(0.9, 0.8), 10)
    (0.7142857143, 0.7142857143)
    """
    _check_discounts(d1, d2)
    if int(horizon) != horizon or horizon < 1:
        raise ValueError(f"horizon must be an integer >= 1, got {horizon}")
    horizon = int(horizon)
    proposer = np.where(np.arange(horizon) % 2 == 0, 1, 2)
    proposer_share = np.empty(horizon)
    proposer_share[-1] = 1.0  # the last proposer faces take-it-or-leave-it: it takes all
    for n in range(horizon - 2, -1, -1):
        responder_discount = d2 if proposer[n] == 1 else d1
        # leave the responder what it gets by rejecting: next round's proposer share, discounted
        proposer_share[n] = 1.0 - responder_discount * proposer_share[n + 1]
    share_1 = np.where(proposer == 1, proposer_share, 1.0 - proposer_share)
    rounds = pd.DataFrame(
        {
            "proposer": proposer,
            "proposer_share": proposer_share,
            "share_1": share_1,
            "accepted": np.arange(horizon) == 0,
        }
    )
    return AlternatingOffersResult(share=float(share_1[0]), round=0, rounds=rounds)


def _check_discounts(d1: float, d2: float) -> None:
    for name, value in (("d1", d1), ("d2", d2)):
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"discount factor {name} must be in [0, 1], got {value}")
