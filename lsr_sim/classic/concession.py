"""Time-based concession: two negotiators with Boulware, linear or conceder tactics and a deadline.

Each side's aspiration at normalised time ``t`` in [0, 1] is (Faratin, Sierra and Jennings 1998)
``a(t) = r + (1 - r) (1 - t**e)``, with reservation ``r`` (0 in the plain form
``a(t) = 1 - t**e``): ``e > 1`` Boulware (concedes late), ``e = 1`` linear, ``e < 1`` conceder.
This is :func:`lsr_sim.strategies.concession.time_based_aspiration`, the rule of the library's
``time_based``, ``boulware``, ``linear`` and ``conceder`` strategies, reused here.

The protocol (:func:`time_based_negotiation`), over one issue or a unit split:

- Two parties A and B with ideal points ``x_A`` and ``x_B`` on the issue (by default 1 and 0:
  the issue is A's share of a unit). Each values terms ``y`` at
  ``u(y) = 1 - |y - x| / |x_A - x_B|``: 1 at its own ideal, 0 at the other's.
- Offers **alternate**: A proposes in rounds 0, 2, 4, ... and B in rounds 1, 3, ... (or B first),
  for at most `deadline` rounds; round ``n`` is at time ``t_n = n / (deadline - 1)``, so the
  last round is at ``t = 1``, where aspirations reach the reservation values.
- The proposer asks for its current aspiration: the terms worth ``a(t_n)`` to it.
- The receiver accepts when the offer is worth at least what it would itself ask in its next
  offer, ``a(t_{n+1})`` (Faratin et al.'s acceptance rule); in the last round it has no next
  offer and compares with its reservation value ``a(1) = r``.
- No offer accepted by the deadline: no agreement.

References
----------
Faratin, P., Sierra, C. and Jennings, N. R. (1998). Negotiation decision functions for
autonomous agents. Robotics and Autonomous Systems 24(3-4), 159-182.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from lsr_sim.strategies import make_strategy
from lsr_sim.strategies.concession import TimeBased, time_based_aspiration

__all__ = ["ConcessionResult", "time_based_negotiation"]


@dataclass(frozen=True, eq=False)
class ConcessionResult:
    """The outcome of a time-based negotiation.

    Attributes
    ----------
    agreement : bool
        Whether an offer was accepted before the deadline.
    point : float or None
        The agreed terms on the issue (A's share, on a unit split); None without agreement.
    utility_a, utility_b : float or None
        What the agreed terms are worth to A and to B (see the module docstring).
    round : int or None
        The round in which the accepted offer was made (0-based).
    time : float or None
        That round's normalised time, in [0, 1].
    proposer : {"a", "b"} or None
        Who made the accepted offer.
    history : pandas.DataFrame
        One row per offer made: ``round``, ``time``, ``proposer``, ``offer`` (terms),
        ``utility_a``, ``utility_b``, ``receiver_asks`` (what the receiver would ask next,
        in its own utility) and ``accepted``.
    """

    agreement: bool
    point: float | None
    utility_a: float | None
    utility_b: float | None
    round: int | None
    time: float | None
    proposer: Literal["a", "b"] | None
    history: pd.DataFrame


def time_based_negotiation(
    a: float | str | TimeBased,
    b: float | str | TimeBased,
    *,
    deadline: int = 20,
    ideal_a: float = 1.0,
    ideal_b: float = 0.0,
    first: Literal["a", "b"] = "a",
) -> ConcessionResult:
    """Two time-based negotiators alternate offers until one is accepted or the deadline passes.

    Parameters
    ----------
    a, b : float, str or TimeBased
        Each side's tactic: an exponent ``e`` (reservation 0), the name of a time-based
        strategy (``"boulware"``, ``"linear"``, ``"conceder"``, ``"time_based"``, with their
        default parameters), or a :class:`~lsr_sim.strategies.TimeBased` strategy such as
        ``Boulware(exponent=3.0, floor=0.2)`` (its ``floor`` is the reservation value).
    deadline : int
        The most rounds (offers), >= 2.
    ideal_a, ideal_b : float
        The sides' ideal points on the issue (default 1 and 0: a unit split, terms = A's share).
    first : {"a", "b"}
        Who makes the first offer.

    Examples
    --------
    Two linear negotiators meet in the middle; a Boulware side facing a conceder gets more.

    >>> time_based_negotiation(1.0, 1.0, deadline=11).point
    0.5
    >>> result = time_based_negotiation("boulware", "conceder", deadline=20)
    >>> result.point, result.round, result.proposer
    (0.8723, 11, 'b')

    The history is a script of the talks:

    >>> time_based_negotiation(1.0, 1.0, deadline=5).history
       round  time proposer  offer  utility_a  utility_b  receiver_asks  accepted
    0      0  0.00        a   1.00       1.00       0.00           0.75     False
    1      1  0.25        b   0.25       0.25       0.75           0.50     False
    2      2  0.50        a   0.50       0.50       0.50           0.25      True

    Reservation values that leave nothing to share: no agreement by the deadline.

    >>> from lsr_sim.strategies import Linear
    >>> time_based_negotiation(Linear(floor=0.6), Linear(floor=0.6)).agreement
    False
    """
    tactic_a, tactic_b = _tactic(a, "a"), _tactic(b, "b")
    if int(deadline) != deadline or deadline < 2:
        raise ValueError(f"deadline must be an integer >= 2, got {deadline}")
    if first not in ("a", "b"):
        raise ValueError(f"first must be 'a' or 'b', got {first!r}")
    for name, value in (("ideal_a", ideal_a), ("ideal_b", ideal_b)):
        if not np.isfinite(value):
            raise ValueError(f"{name} must be finite, got {value}")
    deadline = int(deadline)
    ideal = {"a": float(ideal_a), "b": float(ideal_b)}
    tactic = {"a": tactic_a, "b": tactic_b}
    span = abs(ideal["a"] - ideal["b"])

    def utility(side: str, terms: float) -> float:
        return 1.0 if span == 0 else 1.0 - abs(terms - ideal[side]) / span

    def aspiration(side: str, time: float) -> float:
        rule = tactic[side]
        return float(time_based_aspiration(time, rule.exponent, rule.floor))

    rows = []
    other: dict[Literal["a", "b"], Literal["a", "b"]] = {"a": "b", "b": "a"}
    proposer = first
    for n in range(deadline):
        time = n / (deadline - 1)
        receiver = other[proposer]
        # the terms worth the proposer's aspiration to it: concede that far toward the other side
        terms = ideal[proposer] + (1.0 - aspiration(proposer, time)) * (
            ideal[receiver] - ideal[proposer]
        )
        asks = aspiration(receiver, (n + 1) / (deadline - 1))  # clipped to t = 1 at the end
        accepted = utility(receiver, terms) >= asks - 1e-12
        rows.append(
            {
                "round": n,
                "time": time,
                "proposer": proposer,
                "offer": terms,
                "utility_a": utility("a", terms),
                "utility_b": utility("b", terms),
                "receiver_asks": asks,
                "accepted": accepted,
            }
        )
        if accepted:
            history = pd.DataFrame(rows)
            return ConcessionResult(
                True, terms, utility("a", terms), utility("b", terms), n, time, proposer, history
            )
        proposer = receiver
    return ConcessionResult(False, None, None, None, None, None, None, pd.DataFrame(rows))


def _tactic(value: float | str | TimeBased, side: str) -> TimeBased:
    """A TimeBased strategy from an exponent, a strategy name or a strategy."""
    if isinstance(value, TimeBased):
        return value
    if isinstance(value, str):
        strategy = make_strategy(value)
        if not isinstance(strategy, TimeBased):
            raise ValueError(
                f"side {side}: {value!r} is not a time-based strategy; "
                "use boulware, linear, conceder or time_based"
            )
        return strategy
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return TimeBased(exponent=float(value))
    raise ValueError(
        f"side {side}: expected an exponent, a strategy name or a TimeBased, got {value!r}"
    )
