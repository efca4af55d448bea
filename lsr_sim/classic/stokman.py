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
3. **Realisation** (the default, ``variant="lsr"``): the exchange with the largest gain is
   realised first (ties broken by the random generator passed in, drawn from only when there
   is a tie); every other exchange that involves one of the two actors' votes on one of the
   two issues conflicts with it and is dropped (an actor's vote on an issue enters at most one
   exchange per round); the expected outcomes and the remaining exchanges are recomputed from
   the new voting positions ``y``; repeat until none is left (:func:`exchange_round`).
   ``variant="decide"`` realises them as decide does (below).
4. **Next round**: each actor starts from ``x' = (1 - w) x + w y`` with
   ``w = 0.1 + 0.4 (1 - s)``: the less it cares about an issue, the more of its vote it adopts.

:func:`stokman_exchange` runs rounds until no exchange is possible or `rounds` have passed.
Positions stay within the range of the starting positions on each issue: votes only move
between two actors' positions.

Gains are measured as the model defines them, salience times the shift of the expected
outcome toward the actor's side; when an exchange pushes an outcome past an actor's own
position, the part beyond it still counts as gain (the model's linear simplification) in
the default variant.

**The decide variant** (``variant="decide"``, :class:`StokmanVariant`) reproduces the
equal-gain model of decide-exchange-model (foarsitter/decide-exchange-model on GitHub, a
Python implementation of the Decide exchange model; read at commit 51dee66), so that
analyses made with it can be rerun here. Its two choices, which can also be set one by one:

- *shifts capped at the demanding actor's position* (``cap_shift=True``): once the equal-gain
  moves are found, if ``i``'s move would carry ``O_q`` across ``x_jq`` (the position of ``j``,
  who demanded it), the shift stops at ``x_jq`` and ``dp`` shrinks by the equal-gain rule;
  then the same for ``O_p`` and ``x_ip``. The outcomes are those of the round's starting
  votes and the votes this exchange knows to have moved (next point).
- *conflicting exchanges recalculated, not dropped* (``realisation="recalculate"``): the
  possible exchanges are found once, at the start of the round, with the sides taken against
  the starting outcomes (an actor exactly at ``O_d`` counts as below it, as in decide). After
  each realised exchange, every remaining exchange in which the same actor would move its
  vote on the same issue starts that vote from where the realised exchange left it, and every
  remaining one in which the same actor demands the same issue learns the moved vote for its
  outcomes (of two such records of one vote, decide keeps the one nearer the vote's start);
  those exchanges are recalculated, the others keep their numbers. An exchange is dropped
  when a move would be no move (``<= 1e-10``), would reverse the direction of the actor's
  earlier moves in it, would leave the scale, or when the moves recorded for it add up to
  more than the scale's width, or its gain is below ``1e-10`` (decide's tests). An actor's
  vote on an issue can so enter several exchanges in one round. The round's votes are the
  last ones realised; next round's positions follow from them as above.

The decide variant works, as decide does, on every issue rescaled to 0-100 between its
bounds (decide takes them from its input file; here `scale`, by default the range of the
starting positions), and its thresholds and gains are on that scale. Where decide breaks a
tie between the two best exchanges with Python's unseeded ``random``, both variants draw
uniformly among all exchanges within a relative 1e-9 of the best gain from the run's
generator. Not copied from decide: the second of two tied exchanges entering its list twice,
and its decimal arithmetic. Where an earlier capped exchange has left an outcome exactly at
a demanding actor's position, decide's test lets the next shift pass it uncapped in exact
arithmetic, and in decimal arithmetic decides by the last digit; this variant follows the
exact rule (an outcome within 1e-9 of the position counts as at it). On 200 random tables
without tied gains (3 to 8 actors, 2 to 4 issues, positions on 0-100, 10 rounds) the votes
and positions of this variant and of decide agreed to 7e-12 on 164; the other 36 all parted
at such a last-digit cap. The default variant, on the same tables, differs from decide on
189 (on 183 from the first round). These comparisons ran decide's own code, which is not
part of lsr_sim (docs/protocols.md says how). Actors without weight on the issue they would
move on (capability or salience 0) take part in no exchange (decide divides by saliences
and weights, and stops with an error on a table with a salience of 0). decide allows actors
without a position on some issues; here every actor needs every issue.

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
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from lsr_sim.classic.variants import resolve_variant

__all__ = [
    "VARIANTS",
    "Exchange",
    "ExchangeResult",
    "StokmanVariant",
    "adopt_votes",
    "exchange_round",
    "expected_outcome",
    "possible_exchanges",
    "stokman_exchange",
    "stokman_exchange_table",
]

#: Gains within this relative distance of the largest count as ties.
TIE_TOLERANCE = 1e-9

#: decide's thresholds on its 0-100 scale: a move this small is no move, a gain this small
#: no gain.
_DECIDE_SCALE, _DECIDE_TINY = 100.0, 1e-10
#: An expected outcome this close to a cap, or a vote this close to the position it moves
#: toward (on the 0-100 scale), is at it.
_AT_LIMIT = 1e-9


@dataclass(frozen=True)
class StokmanVariant:
    """The two choices in which the documented variants of the realisation differ.

    Attributes
    ----------
    realisation : {"drop", "recalculate"}
        ``"drop"``: after each realised exchange, every exchange that involves one of the two
        actors' votes on one of the two issues is dropped, and the possible exchanges are
        found afresh from the new votes. ``"recalculate"``: decide's procedure; the exchanges
        found at the start of the round are kept, and those that share a supplier's vote or
        a demand with the realised one are recalculated from the new votes (see the module's
        description).
    cap_shift : bool
        Whether an exchange may shift an expected outcome past the position of the actor who
        demanded the shift: with True the shift stops at that position (and the other side's
        shift shrinks by the equal-gain rule), as in decide.

    Examples
    --------
    >>> VARIANTS["decide"]
    StokmanVariant(realisation='recalculate', cap_shift=True)
    """

    realisation: Literal["drop", "recalculate"] = "drop"
    cap_shift: bool = False

    def __post_init__(self) -> None:
        if self.realisation not in ("drop", "recalculate"):
            raise ValueError(
                f"realisation must be 'drop' or 'recalculate', got {self.realisation!r}"
            )
        if not isinstance(self.cap_shift, bool):
            raise ValueError(f"cap_shift must be True or False, got {self.cap_shift!r}")


VARIANTS: dict[str, StokmanVariant] = {
    "lsr": StokmanVariant(),
    "decide": StokmanVariant("recalculate", cap_shift=True),
}
"""The named variants: ``lsr`` (default) and ``decide`` (see the module's description)."""


def _variant(variant: str | StokmanVariant) -> StokmanVariant:
    return resolve_variant(variant, VARIANTS, StokmanVariant, "Stokman")


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
    variant : StokmanVariant
        The variant the run used.
    """

    positions: np.ndarray
    votes: np.ndarray
    outcomes: np.ndarray
    voted_outcomes: np.ndarray
    exchanges: tuple[tuple[Exchange, ...], ...]
    converged: bool
    actors: tuple[str, ...]
    issues: tuple[str, ...]
    variant: StokmanVariant = VARIANTS["lsr"]

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
    *,
    variant: str | StokmanVariant = "lsr",
    scale: ArrayLike | None = None,
) -> tuple[np.ndarray, tuple[Exchange, ...]]:
    """One round of exchanges: the voting positions after them and the exchanges, in order.

    `variant` and `scale` are as for :func:`stokman_exchange` (here the default scale is the
    range of these positions).

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
    chosen = _variant(variant)
    bounds = _check_scale(scale, x, chosen)
    return _round(x, s, s * c, _generator(rng), chosen, bounds)


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
    variant: str | StokmanVariant = "lsr",
    scale: ArrayLike | None = None,
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
    variant : {"lsr", "decide"} or StokmanVariant
        How exchanges are realised: ``"lsr"`` (default) drops the exchanges that conflict
        with a realised one and lets shifts pass the demanding actor's position;
        ``"decide"`` follows decide-exchange-model (conflicting exchanges recalculated,
        shifts capped at the demanding actor's position; see the module's description). A
        :class:`StokmanVariant` sets the two choices one by one.
    scale : (k, 2) or (2,) array_like, optional
        ``(low, high)`` of each issue's scale (one pair: the same for every issue), for the
        recalculating realisation, which (as
        decide) works on every issue rescaled to 0-100 between these bounds; by default the
        range of the starting positions on each issue. (decide takes the bounds declared in
        its input file.) Refused with the ``"drop"`` realisation, which does not use it.

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
    chosen = _variant(variant)
    bounds = _check_scale(scale, x, chosen)
    if chosen.realisation == "recalculate" and bounds is None:
        bounds = np.stack([x.min(axis=0), x.max(axis=0)], axis=1)  # fixed for the whole run
    generator = _generator(rng)
    weight = s * c
    positions, votes, realised = [x], [], []
    converged = False
    for _ in range(int(rounds)):
        y, done = _round(positions[-1], s, weight, generator, chosen, bounds)
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
        variant=chosen,
    )


def stokman_exchange_table(
    table: pd.DataFrame,
    *,
    rounds: int = 10,
    rng: np.random.Generator | int = 0,
    variant: str | StokmanVariant = "lsr",
    scale: ArrayLike | None = None,
) -> ExchangeResult:
    """Run the exchange model on a table of actors: one row per actor and issue.

    Parameters
    ----------
    table : pandas.DataFrame
        Columns ``actor``, ``capability``, ``position``, ``salience`` and ``issue`` (the long
        form of :func:`lsr_sim.classic.inputs.read_actor_table`; without ``issue``, one issue).
        Actors and issues are taken in the order they first appear; every actor needs a row
        on every issue.
    rounds, rng, variant, scale
        As for :func:`stokman_exchange` (`scale` per issue in the order the issues first
        appear).

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
        variant=variant,
        scale=scale,
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
    x: np.ndarray, s: np.ndarray, weight: np.ndarray, lock: np.ndarray, cap: bool = False
) -> list[Exchange]:
    """All possible exchanges at votes `x` not touching `lock`, largest gain first (with
    `cap`, no shift carries an expected outcome past the demanding actor's position)."""
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
    if cap:  # as decide: first O_q up to x_jq, then O_p up to x_ip
        room_q = np.abs(x[j, dq_] - outcome[dq_])
        shift_q = np.minimum(shift_q, room_q)
        shift_p = shift_q / rate
        room_p = np.abs(x[i, dp_] - outcome[dp_])
        shift_p = np.minimum(shift_p, room_p)
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


def _pick(gains: Sequence[float], rng: np.random.Generator) -> int:
    """The index of the largest of `gains` (sorted, largest first); ties drawn from `rng`."""
    ties = sum(1 for g in gains if g >= gains[0] * (1.0 - TIE_TOLERANCE))
    return int(rng.integers(ties)) if ties > 1 else 0


def _round(
    x: np.ndarray,
    s: np.ndarray,
    weight: np.ndarray,
    rng: np.random.Generator,
    variant: StokmanVariant = VARIANTS["lsr"],
    bounds: np.ndarray | None = None,
) -> tuple[np.ndarray, tuple[Exchange, ...]]:
    if variant.realisation == "recalculate":
        low, high = _bounds(x, bounds)
        return _recalculating_round(x, s, weight, rng, low, high, variant.cap_shift)
    votes = x.copy()
    lock = np.zeros(x.shape, dtype=bool)
    done: list[Exchange] = []
    while True:
        found = _candidates(votes, s, weight, lock, variant.cap_shift)
        if not found:
            return votes, tuple(done)
        chosen = found[_pick([min(e.gain_i, e.gain_j) for e in found], rng)]
        votes[chosen.j, chosen.p] = chosen.j_to
        votes[chosen.i, chosen.q] = chosen.i_to
        for actor in (chosen.i, chosen.j):  # both actors' votes on both issues are committed
            lock[actor, [chosen.p, chosen.q]] = True
        done.append(chosen)


def _bounds(x: np.ndarray, bounds: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Each issue's (low, high): `bounds`, or the range of the positions `x`."""
    if bounds is None:
        return x.min(axis=0), x.max(axis=0)
    return bounds[:, 0], bounds[:, 1]


def _check_scale(
    scale: ArrayLike | None, x: np.ndarray, variant: StokmanVariant
) -> np.ndarray | None:
    """`scale` as a (k, 2) array of (low, high) per issue, checked against `x`."""
    if scale is None:
        return None
    if variant.realisation != "recalculate":
        raise ValueError(
            "scale is used only by the recalculating realisation (variant 'decide'); leave it out"
        )
    bounds = np.asarray(scale, dtype=float)
    k = x.shape[1]
    if bounds.shape == (2,):  # one scale for every issue
        bounds = np.tile(bounds, (k, 1))
    if bounds.shape != (k, 2) or not np.all(np.isfinite(bounds)):
        raise ValueError(f"scale must give (low, high) for each of the {k} issue(s)")
    if np.any(bounds[:, 0] > bounds[:, 1]):
        raise ValueError("scale must have low <= high on every issue")
    if np.any(x < bounds[:, 0]) or np.any(x > bounds[:, 1]):
        raise ValueError("positions must lie within the scale of their issue")
    return bounds


# --------------------------------------------------------------------------------------------
# The recalculating realisation (decide's)


@dataclass(eq=False)
class _Side:
    """One actor's part in a candidate exchange: it moves its vote on `supply` (from
    `position`, its vote as this exchange knows it) in return for a move on `demand`."""

    actor: int
    supply: int
    demand: int
    start: float  # its vote on `supply` at the start of the round
    position: float
    move: float = 0.0
    y: float = 0.0
    moves: list[float] = field(default_factory=list)  # decide's history of this side's moves


@dataclass(eq=False)
class _Deal:
    """A candidate exchange: `i` demands `p` and supplies `q`, `j` the reverse."""

    i: _Side
    j: _Side
    p: int
    q: int
    updates: dict[int, dict[int, float]] = field(default_factory=dict)  # votes it knows moved
    dp: float = 0.0
    dq: float = 0.0
    gain: float = 0.0
    valid: bool = True


class _Recalculation:
    """decide's round on positions rescaled to 0-100: candidates fixed at the start of the
    round, conflicting ones recalculated after each realised exchange."""

    def __init__(self, x: np.ndarray, s: np.ndarray, weight: np.ndarray, cap: bool) -> None:
        self.x, self.s, self.w, self.cap = x, s, weight, cap
        self.total = weight.sum(axis=0)

    # ----------------------------------------------------------------- pieces of decide
    def outcome(self, d: int, known: dict[int, float], actor: int, at: float, first: bool) -> float:
        """O_d with the round's starting votes, the votes `known` to have moved and `actor`
        at `at` (set before `known` when `first`, after it otherwise: decide does both)."""
        votes = self.x[:, d].copy()
        if first:
            votes[actor] = at
        for who, where in known.items():
            votes[who] = where
        if not first:
            votes[actor] = at
        return float(self.w[:, d] @ votes / self.total[d])

    def ratio(self, side: _Side, other: _Side) -> float:
        """Shift of `other`'s supply issue per unit shift of `side`'s (the equal-gain rule)."""
        a, b = side.supply, other.supply
        return float(
            (self.s[side.actor, a] + self.s[other.actor, a])
            / (self.s[side.actor, b] + self.s[other.actor, b])
        )

    def shift_to_move(self, side: _Side, shift: float) -> float:
        return float(shift * self.total[side.supply] / self.w[side.actor, side.supply])

    def target(self, side: _Side, other: _Side) -> float:
        """Where `side` moves its vote toward: `other`'s starting position on that issue."""
        return float(self.x[other.actor, side.supply])

    @staticmethod
    def move_ok(side: _Side) -> bool:
        """decide's test of a side's move (on the 0-100 scale)."""
        if not _DECIDE_TINY < abs(side.move) <= _DECIDE_SCALE:
            return False
        if not 0.0 <= side.position + side.move <= _DECIDE_SCALE:
            return False
        if sum(side.moves) > _DECIDE_SCALE:
            return False
        return all(m < 0 for m in side.moves) or all(m > 0 for m in side.moves)

    def set_moves(self, deal: _Deal, i_move: float, j_move: float, replace: bool) -> None:
        """Both sides' moves, signed toward their targets, recorded as decide does."""
        for side, other, move in ((deal.i, deal.j, i_move), (deal.j, deal.i, j_move)):
            target = self.target(side, other)
            side.move = -abs(move) if side.position > target else abs(move)
            if abs(side.position + side.move - target) <= _AT_LIMIT:  # all the way, exactly
                side.move = target - side.position
            if replace:
                side.moves.pop()
            side.moves.append(side.move)
            side.y = side.position + side.move

    def calculate(self, deal: _Deal) -> None:
        i, j = deal.i, deal.j
        rate = self.ratio(j, i)  # dq per unit dp
        gap_j = abs(self.target(j, i) - j.position)
        gap_i = abs(self.target(i, j) - i.position)
        dp = gap_j * self.w[j.actor, deal.p] / self.total[deal.p]  # j moves all the way
        dq = dp * rate
        i_move, j_move = self.shift_to_move(i, dq), gap_j
        if abs(i_move) > gap_i:  # i would pass j: i moves all the way instead
            dq = gap_i * self.w[i.actor, deal.q] / self.total[deal.q]
            dp = dq / rate
            i_move, j_move = gap_i, self.shift_to_move(j, dp)
        self.set_moves(deal, i_move, j_move, replace=False)
        deal.dp, deal.dq = float(dp), float(dq)
        deal.gain = abs(deal.dq * self.s[i.actor, deal.q] - deal.dp * self.s[i.actor, deal.p])
        deal.valid = self.move_ok(i) and self.move_ok(j) and deal.gain >= _DECIDE_TINY
        if deal.valid and self.cap:
            self.cap_shift(deal, i, j)
            self.cap_shift(deal, j, i)
            deal.valid = self.move_ok(i) and self.move_ok(j)

    def cap_shift(self, deal: _Deal, side: _Side, other: _Side) -> None:
        """Stop the shift of `side`'s supply issue at `other`'s position (decide's check)."""
        d = side.supply
        known = deal.updates.get(d, {})
        limit = float(self.x[other.actor, d])
        before = self.outcome(d, known, side.actor, side.position, first=False)
        after = self.outcome(d, known, side.actor, side.y, first=False)
        # decide caps only a shift that carries the outcome across the limit; one that
        # starts at the limit (as after an earlier capped exchange, to rounding) is not
        # capped in exact arithmetic (in decide's decimal arithmetic the last digit decides)
        if abs(limit - before) <= _AT_LIMIT or (limit - before) * (limit - after) >= 0:
            return
        start = self.outcome(d, known, side.actor, side.position, first=True)
        side_move = abs((limit - start) * self.total[d] / self.w[side.actor, d])
        shift = side_move * self.w[side.actor, d] / self.total[d]
        other_shift = shift * self.ratio(side, other)
        moves = {id(side): side_move, id(other): abs(self.shift_to_move(other, other_shift))}
        self.set_moves(deal, moves[id(deal.i)], moves[id(deal.j)], replace=True)
        shifts = {d: shift, other.supply: other_shift}
        deal.dp, deal.dq = float(shifts[deal.p]), float(shifts[deal.q])
        deal.gain = abs(
            deal.dq * self.s[deal.i.actor, deal.q] - deal.dp * self.s[deal.i.actor, deal.p]
        )

    @staticmethod
    def remember(deal: _Deal, issue: int, mover: _Side) -> None:
        """Record in `deal` that `mover`'s vote on `issue` moved (decide keeps, of two
        records of one vote, the one nearer the vote's starting position)."""
        known = deal.updates.setdefault(issue, {})
        if mover.actor not in known:
            known[mover.actor] = mover.y
            return
        old = known[mover.actor]
        if mover.start <= old:
            known[mover.actor] = old if old < mover.y else mover.y
        else:
            known[mover.actor] = old if old > mover.y else mover.y

    def recalculate(self, deal: _Deal, done: _Deal) -> None:
        """decide's update of `deal` after `done` is realised."""
        again = False
        for side in (deal.i, deal.j):  # the same vote moved by `done`
            for mover in (done.i, done.j):
                if (side.actor, side.supply) == (mover.actor, mover.supply):
                    side.position = mover.y
                    side.moves.append(mover.moves[-1])
                    again = True
                    break
        if again:
            deal.i.moves.pop()
            deal.j.moves.pop()
        demands = {(deal.i.actor, deal.i.demand), (deal.j.actor, deal.j.demand)}
        for wanting, mover in ((done.j, done.i), (done.i, done.j)):  # a demand `done` met
            if (wanting.actor, wanting.demand) in demands:
                self.remember(deal, wanting.demand, mover)
                if not again:
                    deal.i.moves.pop()
                    deal.j.moves.pop()
                    again = True
        if again:
            self.calculate(deal)

    # ----------------------------------------------------------------- the round
    def candidates(self) -> list[_Deal]:
        """decide's exchanges at the start of the round, in its order: per pair of issues,
        the actors below the outcome on both with those above on both, then the actors
        below on the first and above on the second with those the other way round."""
        k = self.x.shape[1]
        # decide's sides: at or below the expected outcome, or above it
        below = self.x <= ((self.w * self.x).sum(axis=0) / self.total)[None, :]
        deals = []
        for a in range(k):
            for b in range(a + 1, k):
                group = below[:, a].astype(int) | below[:, b].astype(int) * 2
                for g, h in ((0, 3), (1, 2)):
                    for m in np.flatnonzero(group == g):
                        for n in np.flatnonzero(group == h):
                            deal = self.deal(int(m), int(n), a, b)
                            if deal is not None:
                                deals.append(deal)
        return deals

    def deal(self, m: int, n: int, a: int, b: int) -> _Deal | None:
        """The exchange between actors m and n on issues a and b; None if a supplier's vote
        has no weight (its move would shift nothing)."""
        s = self.s
        if s[m, a] * s[n, b] < s[n, a] * s[m, b]:  # n cares relatively more about a
            m, n = n, m
        # m demands a and supplies b; n the reverse
        if self.w[m, b] <= 0 or self.w[n, a] <= 0:
            return None
        deal = _Deal(
            i=_Side(m, supply=b, demand=a, start=float(self.x[m, b]), position=float(self.x[m, b])),
            j=_Side(n, supply=a, demand=b, start=float(self.x[n, a]), position=float(self.x[n, a])),
            p=a,
            q=b,
        )
        self.calculate(deal)
        return deal if deal.valid else None

    def run(self, rng: np.random.Generator) -> list[_Deal]:
        deals, done = self.candidates(), []
        while deals:
            deals.sort(key=lambda d: -d.gain)  # stable: equal gains keep their order
            chosen = deals.pop(_pick([d.gain for d in deals], rng))
            done.append(chosen)
            for deal in deals:
                self.recalculate(deal, chosen)
            deals = [deal for deal in deals if deal.valid]
        return done


def _recalculating_round(
    x: np.ndarray,
    s: np.ndarray,
    weight: np.ndarray,
    rng: np.random.Generator,
    low: np.ndarray,
    high: np.ndarray,
    cap: bool,
) -> tuple[np.ndarray, tuple[Exchange, ...]]:
    """decide's round: positions rescaled to 0-100 between `low` and `high` per issue."""
    width = high - low
    # times 100 / width, as decide (exact on a 0-100 scale); for widths so small that
    # 100 / width would overflow, divided by the width first
    wide = width > 1e-300
    unit = np.divide(_DECIDE_SCALE, width, out=np.zeros_like(width), where=wide)
    share = np.divide(x - low, width, out=np.zeros_like(x), where=(width > 0) & ~wide)
    scaled = np.clip(np.where(wide, (x - low) * unit, share * _DECIDE_SCALE), 0.0, _DECIDE_SCALE)
    done = _Recalculation(scaled, s, weight, cap).run(rng)
    back = np.divide(width, _DECIDE_SCALE)  # raw units per scaled unit

    def raw(value: float, issue: int) -> float:
        return float(low[issue] + value * back[issue])

    votes = x.copy()
    found = []
    for deal in done:
        i, j = deal.i, deal.j
        votes[i.actor, i.supply] = raw(i.y, i.supply)
        votes[j.actor, j.supply] = raw(j.y, j.supply)
        found.append(
            Exchange(
                i=i.actor,
                j=j.actor,
                p=deal.p,
                q=deal.q,
                j_from=raw(j.position, deal.p),
                j_to=raw(j.y, deal.p),
                i_from=raw(i.position, deal.q),
                i_to=raw(i.y, deal.q),
                shift_p=float(deal.dp * back[deal.p]),
                shift_q=float(deal.dq * back[deal.q]),
                gain_i=float(deal.gain),
                gain_j=float(deal.gain),
            )
        )
    return votes, tuple(found)
