"""Stokman's exchange model: actors trade voting positions across linked issues.

Actors ``i`` hold positions ``x_id``, salience ``s_id`` in [0, 1] and capability ``c_id`` on
issues ``d`` (Stokman and Van Oosten 1994; Stokman and Van den Bos 1992). Per round:

1. **Expected outcome** of each issue: the capability-and-salience-weighted mean position,
   ``O_d = sum_i c_id s_id x_id / sum_i c_id s_id`` (:func:`expected_outcome`).
2. **Possible exchanges** (:func:`possible_exchanges`): actors ``i`` and ``j`` can exchange on
   issues ``p`` and ``q`` when they sit on opposite sides of ``O`` on both, and ``i`` cares
   relatively more about ``p`` and ``j`` about ``q`` (``s_ip s_jq > s_iq s_jp``). Then ``j``
   moves its vote on ``p`` toward ``x_ip``, in return for ``i``'s move on ``q`` toward
   ``x_jq``. Each actor values a shift of an expected outcome toward its own side at its
   salience times the shift: ``i`` gains ``s_ip dp - s_iq dq``, ``j`` gains ``s_jq dq - s_jp dp``.
   ``j`` moving fully to ``x_ip`` shifts ``O_p`` by ``dp = |x_ip - x_jp| c_jp s_jp / W_p``
   (``W_p = sum_i c_ip s_ip``). The **equal-gain rule** sets the two gains equal:
   ``dq = dp (s_ip + s_jp) / (s_iq + s_jq)``. If that asks ``i`` to move past ``x_jq``, ``i``
   moves fully instead and ``dp`` follows from ``dq`` by the same rule. Both gain
   ``dp (s_ip s_jq - s_iq s_jp) / (s_iq + s_jq) > 0``.
3. **Realisation**: the exchange with the largest gain is realised first (ties broken by the
   random generator passed in, drawn from only when there is a tie); every other exchange that
   involves one of the two actors' votes on one of the two issues conflicts with it and is
   dropped (an actor's vote on an issue enters at most one exchange per round); the expected
   outcomes and the remaining exchanges are recomputed from the new voting positions ``y``;
   repeat until none is left (:func:`exchange_round`).
4. **Next round**: each actor starts from ``x' = (1 - w) x + w y`` with
   ``w = 0.1 + 0.4 (1 - s)``: the less it cares about an issue, the more of its vote it adopts.

:func:`stokman_exchange` runs rounds until no exchange is possible or `rounds` have passed.
Positions stay within the range of the starting positions on each issue: votes only move
between two actors' positions.

Gains are measured as the model defines them, salience times the shift of the expected
outcome toward the actor's side; when an exchange pushes an outcome past an actor's own
position, the part beyond it still counts as gain (the model's linear simplification).

Note on the equal-gain rule: some statements of the rule write the ratio the other way up,
``(s_iq + s_jq) / (s_ip + s_jp)``, with ``dp`` the shift of ``j``'s move on ``p``; that
version does not equalise the gains defined above, and can leave ``j`` worse off. The form
here is derived from the gains and tested against them.

References
----------
Stokman, F. N. and Van den Bos, J. M. M. (1992). A two-stage model of policy making: with an
empirical test in the U.S. energy policy domain. In Moore and Whitt (eds), *The Political
Consequences of Social Networks*, Research in Politics and Society 4, 219-253.
Stokman, F. N. and Van Oosten, R. (1994). The exchange of voting positions: an
object-oriented model of policy networks. In Bueno de Mesquita and Stokman (eds),
*European Community Decision Making*, Yale University Press, 105-127.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

__all__ = [
    "Exchange",
    "ExchangeResult",
    "adopt_votes",
    "exchange_round",
    "expected_outcome",
    "possible_exchanges",
    "stokman_exchange",
    "stokman_exchange_table",
]

#: Gains within this relative distance of the largest count as ties.
TIE_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Exchange:
    """One exchange of voting positions between actors ``i`` and ``j`` on issues ``p``, ``q``.

    ``i`` cares relatively more about ``p``: ``j`` moves its vote on ``p`` toward ``i``
    (from ``j_from`` to ``j_to``), and ``i`` moves its vote on ``q`` toward ``j``
    (from ``i_from`` to ``i_to``). ``shift_p`` and ``shift_q`` are the resulting shifts of
    the expected outcomes, ``gain_i`` and ``gain_j`` what each side gains (equal, by the
    equal-gain rule).
    """

    i: int
    j: int
    p: int
    q: int
    j_from: float
    j_to: float
    i_from: float
    i_to: float
    shift_p: float
    shift_q: float
    gain_i: float
    gain_j: float


@dataclass(frozen=True, eq=False)
class ExchangeResult:
    """The rounds of an exchange-model run (``R`` rounds, ``p`` actors, ``k`` issues).

    Attributes
    ----------
    positions : (R + 1, p, k) array
        Positions at the start of each round; the last row: after the last round.
    votes : (R, p, k) array
        Voting positions after each round's exchanges.
    outcomes : (R + 1, k) array
        Expected outcomes of `positions`.
    voted_outcomes : (R, k) array
        Expected outcomes of `votes`: each round's forecast.
    exchanges : tuple of tuple of Exchange
        The exchanges realised in each round, in order.
    converged : bool
        Whether the run stopped because no exchange was left (rather than after `rounds`).
    actors, issues : tuple of str
        Names, for the tables.
    """

    positions: np.ndarray
    votes: np.ndarray
    outcomes: np.ndarray
    voted_outcomes: np.ndarray
    exchanges: tuple[tuple[Exchange, ...], ...]
    converged: bool
    actors: tuple[str, ...]
    issues: tuple[str, ...]

    @property
    def forecast(self) -> np.ndarray:
        """The model's forecast per issue: the expected outcome after the last round's votes."""
        return self.voted_outcomes[-1] if len(self.voted_outcomes) else self.outcomes[-1]

    def exchange_table(self) -> pd.DataFrame:
        """All realised exchanges, one row each, with the round and the names."""
        rows = [
            {
                "round": r,
                "i": self.actors[e.i],
                "j": self.actors[e.j],
                "p": self.issues[e.p],
                "q": self.issues[e.q],
                "j_from": e.j_from,
                "j_to": e.j_to,
                "i_from": e.i_from,
                "i_to": e.i_to,
                "shift_p": e.shift_p,
                "shift_q": e.shift_q,
                "gain_i": e.gain_i,
                "gain_j": e.gain_j,
            }
            for r, realised in enumerate(self.exchanges)
            for e in realised
        ]
        columns = ["round", "i", "j", "p", "q", "j_from", "j_to", "i_from", "i_to"]
        columns += ["shift_p", "shift_q", "gain_i", "gain_j"]
        return pd.DataFrame(rows, columns=columns)

    def outcome_table(self) -> pd.DataFrame:
        """Expected outcome per round and issue: at the ``start``, and ``voted`` after exchanges."""
        rounds = len(self.votes)
        return pd.DataFrame(
            {
                "round": np.repeat(np.arange(rounds), len(self.issues)),
                "issue": np.tile(self.issues, rounds),
                "start": self.outcomes[:rounds].ravel(),
                "voted": self.voted_outcomes.ravel(),
            }
        )


def expected_outcome(position: ArrayLike, salience: ArrayLike, capability: ArrayLike) -> np.ndarray:
    """The expected outcome of each issue: ``sum_i c_i s_i x_i / sum_i c_i s_i``.

    Parameters
    ----------
    position, salience : (p, k) arrays
        Positions (any scale) and salience in [0, 1].
    capability : (p,) or (p, k) array
        Capability, >= 0 (per actor, or per actor and issue).

    Examples
    --------
    >>> expected_outcome([[0.0, 1.0], [1.0, 0.0]], [[0.5, 1.0], [1.0, 0.5]], [2.0, 1.0])
    array([0.5, 0.8])
    """
    x, s, c = _inputs(position, salience, capability)
    return _outcome(x, s * c)


def possible_exchanges(
    position: ArrayLike,
    salience: ArrayLike,
    capability: ArrayLike,
    locked: ArrayLike | None = None,
) -> list[Exchange]:
    """Every exchange possible at these positions, largest gain first.

    Parameters
    ----------
    position, salience, capability
        As for :func:`expected_outcome`.
    locked : (p, k) bool array, optional
        Actor-issue votes already committed this round: exchanges involving them are left out.

    Examples
    --------
    A cares most about issue 0, B about issue 1, and they sit on opposite sides of both
    expected outcomes (0.353 and 0.692). B moving fully to A's position on issue 0 would shift
    it by ``1 * 0.4 / 1.7 = 0.235``; the equal-gain rule would then ask A for a shift of
    ``0.235 * (0.8 + 0.4) / (0.2 + 0.6) = 0.353`` on issue 1, more than A's full move gives
    (``1 * 0.2 / 1.3 = 0.154``). So A moves fully to B's position on issue 1, and B moves on
    issue 0 by ``0.154 / 1.5 = 0.103`` of outcome, ``0.103 * 1.7 / 0.4 = 0.436`` of position.
    Each gains ``0.8 * 0.103 - 0.2 * 0.154 = 0.6 * 0.154 - 0.4 * 0.103 = 0.0513``.

    >>> position = [[0.0, 0.0], [1.0, 1.0], [0.4, 0.6]]
    >>> salience = [[0.8, 0.2], [0.4, 0.6], [0.5, 0.5]]
    >>> [e] = possible_exchanges(position, salience, [1.0, 1.0, 1.0])
    >>> (e.i, e.j, e.p, e.q), (e.j_from, e.j_to), (e.i_from, e.i_to)
    ((0, 1, 0, 1), (1.0, 0.5641), (0.0, 1.0))
    >>> e.shift_p, e.shift_q, e.gain_i, e.gain_j
    (0.1026, 0.1538, 0.05128, 0.05128)
    """
    x, s, c = _inputs(position, salience, capability)
    lock = np.zeros(x.shape, dtype=bool) if locked is None else np.asarray(locked, dtype=bool)
    return _candidates(x, s, s * c, lock)


def exchange_round(
    position: ArrayLike,
    salience: ArrayLike,
    capability: ArrayLike,
    rng: np.random.Generator | int = 0,
) -> tuple[np.ndarray, tuple[Exchange, ...]]:
    """One round of exchanges: the voting positions after them and the exchanges, in order.

    Examples
    --------
    The example of :func:`possible_exchanges`: after A and B exchange, C could still trade
    with A, but A's votes on both issues are committed, so the round ends.

    >>> position = [[0.0, 0.0], [1.0, 1.0], [0.4, 0.6]]
    >>> salience = [[0.8, 0.2], [0.4, 0.6], [0.5, 0.5]]
    >>> votes, done = exchange_round(position, salience, [1.0, 1.0, 1.0])
    >>> votes
    array([[0.        , 1.        ],
           [0.56410256, 1.        ],
           [0.4       , 0.6       ]])
    >>> len(done)
    1
    """
    x, s, c = _inputs(position, salience, capability)
    return _round(x, s, s * c, _generator(rng))


def adopt_votes(position: ArrayLike, votes: ArrayLike, salience: ArrayLike) -> np.ndarray:
    """Next round's positions: ``x' = (1 - w) x + w y`` with ``w = 0.1 + 0.4 (1 - s)``.

    Examples
    --------
    An actor that voted 1 instead of 0 moves 0.42 toward its vote on an issue of salience 0.2,
    0.1 on one of salience 1:

    >>> adopt_votes([[0.0, 0.0]], [[1.0, 1.0]], [[0.2, 1.0]])
    array([[0.42, 0.1 ]])
    """
    x, y, s = (np.asarray(a, dtype=float) for a in (position, votes, salience))
    adopt = 0.1 + 0.4 * (1.0 - s)
    return (1.0 - adopt) * x + adopt * y


def stokman_exchange(
    position: ArrayLike,
    salience: ArrayLike,
    capability: ArrayLike,
    *,
    rounds: int = 10,
    rng: np.random.Generator | int = 0,
    actors: Sequence[str] | None = None,
    issues: Sequence[str] | None = None,
) -> ExchangeResult:
    """Run the exchange model for up to `rounds` rounds (fewer if no exchange is left).

    Parameters
    ----------
    position : (p, k) array
        Starting positions, any scale (each issue's own units).
    salience : (p, k) array
        Salience in [0, 1].
    capability : (p,) or (p, k) array
        Capability, >= 0; every issue needs an actor with capability and salience > 0.
    rounds : int
        The most rounds to run, >= 0.
    rng : numpy.random.Generator or int
        Breaks ties between exchanges of equal gain (a seed, or a generator, which is
        advanced). The same seed gives the same run; runs with different seeds can differ
        only where gains tie.
    actors, issues : sequences of str, optional
        Names for the tables (default ``"0"``, ``"1"``, ...).

    Examples
    --------
    The example of :func:`possible_exchanges`. Expected outcomes before any exchange are
    ``(0.4 * 1 + 0.5 * 0.4) / 1.7`` and ``(0.6 * 1 + 0.5 * 0.6) / 1.3``; after the first
    exchange B votes 0.564 on issue 0 and A votes 1 on issue 1. B starts the next round from
    ``0.66 * 1 + 0.34 * 0.564 = 0.852`` on issue 0 (``w = 0.1 + 0.4 * (1 - 0.4)``).

    >>> position = [[0.0, 0.0], [1.0, 1.0], [0.4, 0.6]]
    >>> salience = [[0.8, 0.2], [0.4, 0.6], [0.5, 0.5]]
    >>> result = stokman_exchange(
    ...     position, salience, [1.0, 1.0, 1.0], rounds=3, actors=["A", "B", "C"]
    ... )
    >>> result.outcomes[0]
    array([0.35294118, 0.69230769])
    >>> result.voted_outcomes[0]
    array([0.25037707, 0.84615385])
    >>> result.positions[1]
    array([[0.        , 0.42      ],
           [0.85179487, 1.        ],
           [0.4       , 0.6       ]])
    >>> result.exchange_table()[["round", "i", "j", "p", "q", "j_to", "i_to", "gain_i", "gain_j"]]
       round  i  j  p  q      j_to  i_to    gain_i    gain_j
    0      0  A  B  0  1  0.564103   1.0  0.051282  0.051282
    1      1  A  B  0  1  0.598974   1.0  0.029744  0.029744
    2      2  A  B  0  1  0.619200   1.0  0.017251  0.017251
    >>> result.forecast
    array([0.26334, 0.84615])
    """
    x, s, c = _inputs(position, salience, capability)
    if int(rounds) != rounds or rounds < 0:
        raise ValueError(f"rounds must be an integer >= 0, got {rounds}")
    p, k = x.shape
    actor_names = tuple(str(a) for a in (range(p) if actors is None else actors))
    issue_names = tuple(str(d) for d in (range(k) if issues is None else issues))
    if len(actor_names) != p or len(issue_names) != k:
        raise ValueError(f"expected {p} actor names and {k} issue names")
    generator = _generator(rng)
    weight = s * c
    positions, votes, realised = [x], [], []
    converged = False
    for _ in range(int(rounds)):
        y, done = _round(positions[-1], s, weight, generator)
        votes.append(y)
        realised.append(done)
        if not done:
            converged = True
            positions.append(positions[-1])
            break
        positions.append(adopt_votes(positions[-1], y, s))
    start = np.stack(positions)
    voted = np.stack(votes) if votes else np.empty((0, p, k))
    return ExchangeResult(
        positions=start,
        votes=voted,
        outcomes=np.stack([_outcome(xr, weight) for xr in start]),
        voted_outcomes=np.array([_outcome(yr, weight) for yr in voted]).reshape(-1, k),
        exchanges=tuple(realised),
        converged=converged,
        actors=actor_names,
        issues=issue_names,
    )


def stokman_exchange_table(
    table: pd.DataFrame, *, rounds: int = 10, rng: np.random.Generator | int = 0
) -> ExchangeResult:
    """Run the exchange model on a table of actors: one row per actor and issue.

    Parameters
    ----------
    table : pandas.DataFrame
        Columns ``actor``, ``capability``, ``position``, ``salience`` and ``issue`` (the long
        form of :func:`lsr_sim.classic.inputs.read_actor_table`; without ``issue``, one issue).
        Actors and issues are taken in the order they first appear; every actor needs a row
        on every issue.
    rounds, rng
        As for :func:`stokman_exchange`.

    Examples
    --------
    >>> table = pd.DataFrame({
    ...     "issue": ["tax", "tax", "tax", "aid", "aid", "aid"],
    ...     "actor": ["A", "B", "C", "A", "B", "C"],
    ...     "capability": [1.0, 1.0, 1.0, 1.0, 1.0, 1.0],
    ...     "position": [0.0, 1.0, 0.4, 0.0, 1.0, 0.6],
    ...     "salience": [0.8, 0.4, 0.5, 0.2, 0.6, 0.5],
    ... })
    >>> result = stokman_exchange_table(table, rounds=1)
    >>> result.issues, result.voted_outcomes[0]
    (('tax', 'aid'), array([0.25037707, 0.84615385]))
    """
    missing = [c for c in ("actor", "capability", "position", "salience") if c not in table]
    if missing:
        raise ValueError(f"the table lacks the column(s) {', '.join(missing)}")
    frame = table if "issue" in table else table.assign(issue="")
    actors = list(dict.fromkeys(frame["actor"].astype(str)))
    issues = list(dict.fromkeys(frame["issue"].astype(str)))
    keyed = frame.assign(actor=frame["actor"].astype(str), issue=frame["issue"].astype(str))
    if keyed.duplicated(["actor", "issue"]).any():
        raise ValueError("an actor has two rows on one issue")
    grids = {}
    for column in ("position", "salience", "capability"):
        wide = keyed.pivot(index="actor", columns="issue", values=column)
        wide = wide.reindex(index=actors, columns=issues)
        if wide.isna().to_numpy().any():
            raise ValueError("every actor needs a row on every issue")
        grids[column] = wide.to_numpy(dtype=float)
    return stokman_exchange(
        grids["position"],
        grids["salience"],
        grids["capability"],
        rounds=rounds,
        rng=rng,
        actors=actors,
        issues=issues,
    )


# --------------------------------------------------------------------------------------------
# Internals


def _inputs(
    position: ArrayLike, salience: ArrayLike, capability: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x = np.asarray(position, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or 0 in x.shape:
        raise ValueError(f"position must have shape (actors, issues), got {x.shape}")
    s = np.asarray(salience, dtype=float)
    if s.ndim == 1:
        s = s[:, None]
    if s.shape != x.shape:
        raise ValueError(f"salience must have the shape of position, {x.shape}, got {s.shape}")
    c = np.asarray(capability, dtype=float)
    if c.shape == (x.shape[0],):
        c = np.repeat(c[:, None], x.shape[1], axis=1)
    if c.shape != x.shape:
        raise ValueError(f"capability must have shape ({x.shape[0]},) or {x.shape}, got {c.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError("positions must be finite")
    if not np.all((s >= 0) & (s <= 1)):
        raise ValueError("salience must be in [0, 1] (rescale 0-100 scores by dividing by 100)")
    if not np.all(np.isfinite(c) & (c >= 0)):
        raise ValueError("capability must be finite and >= 0")
    empty = np.flatnonzero((s * c).sum(axis=0) <= 0)
    if empty.size:
        raise ValueError(
            f"issue {int(empty[0])} has no actor with capability and salience > 0: "
            "its expected outcome is undefined"
        )
    return x, s, c


def _outcome(x: np.ndarray, weight: np.ndarray) -> np.ndarray:
    return (weight * x).sum(axis=0) / weight.sum(axis=0)


def _generator(rng: np.random.Generator | int) -> np.random.Generator:
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise ValueError(f"rng must be a numpy Generator or an integer seed, got {rng!r}")


def _candidates(
    x: np.ndarray, s: np.ndarray, weight: np.ndarray, lock: np.ndarray
) -> list[Exchange]:
    """All possible exchanges at votes `x` not touching `lock`, largest gain first."""
    p, k = x.shape
    total = weight.sum(axis=0)  # W_d
    outcome = (weight * x).sum(axis=0) / total
    span = max(float(np.ptp(x)), 1.0)
    offset = x - outcome
    side = np.where(np.abs(offset) <= 1e-12 * span, 0.0, np.sign(offset))
    # arrays indexed [i, j, p, q]
    s_ip, s_iq = s[:, None, :, None], s[:, None, None, :]
    s_jp, s_jq = s[None, :, :, None], s[None, :, None, :]
    cross = s_ip * s_jq - s_iq * s_jp  # > 0: i cares relatively more about p, j about q
    opposite = side[:, None, :] * side[None, :, :] < 0  # [i, j, d]
    free = ~lock
    ok = (
        (cross > 1e-12)
        & opposite[:, :, :, None]
        & opposite[:, :, None, :]
        & (free[:, None, :, None] & free[:, None, None, :])  # i's votes on p and q
        & (free[None, :, :, None] & free[None, :, None, :])  # j's votes on p and q
    )
    ok &= ~np.eye(p, dtype=bool)[:, :, None, None] & ~np.eye(k, dtype=bool)[None, None]
    ok &= np.triu(np.ones((k, k), dtype=bool), 1)[None, None]  # each exchange once: p < q
    if not ok.any():
        return []
    i, j, dp_, dq_ = np.nonzero(ok)
    gap_p = np.abs(x[i, dp_] - x[j, dp_])
    gap_q = np.abs(x[i, dq_] - x[j, dq_])
    full_p = gap_p * weight[j, dp_] / total[dp_]  # j moves all the way to x_ip
    full_q = gap_q * weight[i, dq_] / total[dq_]  # i moves all the way to x_jq
    rate = (s[i, dp_] + s[j, dp_]) / (s[i, dq_] + s[j, dq_])  # dq = rate * dp
    shift_p = np.minimum(full_p, full_q / rate)
    shift_q = shift_p * rate
    gain_i = s[i, dp_] * shift_p - s[i, dq_] * shift_q
    gain_j = s[j, dq_] * shift_q - s[j, dp_] * shift_p
    equal_gain = shift_p * cross[i, j, dp_, dq_] / (s[i, dq_] + s[j, dq_])
    keep = equal_gain > 1e-12 * span
    found = []
    for n in np.flatnonzero(keep):
        a, b, ip, iq = int(i[n]), int(j[n]), int(dp_[n]), int(dq_[n])
        # the vote moves that make these shifts (all the way, where the shift is the full one)
        j_to = x[a, ip]
        if shift_p[n] < full_p[n]:
            j_to = _move(x[b, ip], x[a, ip], shift_p[n] * total[ip] / weight[b, ip])
        i_to = x[b, iq]
        if shift_q[n] < full_q[n]:
            i_to = _move(x[a, iq], x[b, iq], shift_q[n] * total[iq] / weight[a, iq])
        found.append(
            Exchange(
                i=a,
                j=b,
                p=ip,
                q=iq,
                j_from=float(x[b, ip]),
                j_to=float(j_to),
                i_from=float(x[a, iq]),
                i_to=float(i_to),
                shift_p=float(shift_p[n]),
                shift_q=float(shift_q[n]),
                gain_i=float(gain_i[n]),
                gain_j=float(gain_j[n]),
            )
        )
    # stable sort: equal gains keep the (i, j, p, q) order, so tie-breaking is reproducible
    found.sort(key=lambda e: -min(e.gain_i, e.gain_j))
    return found


def _move(start: float, target: float, distance: float) -> float:
    """From `start`, `distance` toward `target` (never past it)."""
    return float(start + np.sign(target - start) * min(distance, abs(target - start)))


def _round(
    x: np.ndarray, s: np.ndarray, weight: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, tuple[Exchange, ...]]:
    votes = x.copy()
    lock = np.zeros(x.shape, dtype=bool)
    done: list[Exchange] = []
    while True:
        found = _candidates(votes, s, weight, lock)
        if not found:
            return votes, tuple(done)
        best = min(found[0].gain_i, found[0].gain_j)
        ties = [e for e in found if min(e.gain_i, e.gain_j) >= best * (1.0 - TIE_TOLERANCE)]
        chosen = ties[int(rng.integers(len(ties)))] if len(ties) > 1 else ties[0]
        votes[chosen.j, chosen.p] = chosen.j_to
        votes[chosen.i, chosen.q] = chosen.i_to
        for actor in (chosen.i, chosen.j):  # both actors' votes on both issues are committed
            lock[actor, [chosen.p, chosen.q]] = True
        done.append(chosen)
