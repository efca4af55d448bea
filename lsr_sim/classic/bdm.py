"""Bueno de Mesquita's expected utility model, in two documented variants.

One issue, a scale of positions and `n` actors, each with a capability ``c``, a position
``x`` and a salience ``s`` in [0, 1]. Every round, each actor weighs challenging every other
one; the resulting offers move positions, all at once. The forecast each round is the
capability*salience weighted mean and the weighted median (the median voter) of the
positions.

The variants differ in four choices that the published descriptions leave open or that
the code behind the published tables makes differently (:class:`BDMVariant`):

- ``variant="lsr"`` (the default): each expected utility is computed by the actor whose it
  is, with its own risk exponent; the win probabilities use votes with ``r = 1`` throughout;
  among compromises an actor takes the smallest move, as among the other kinds of offer;
  of equally good offers, the one to the lower position. The results do not depend on the
  order the actors are listed in.
- ``variant="scholz"``: the form of the model behind the tables of Scholz, Calbert & Smith
  (2011). The challenger's expected utility is computed with the receiver's risk exponent
  (the receiver judges the offer from its own point of view); the win probabilities of the
  offer phase use each voter's own risk exponent in its votes; among compromises the
  receiver takes the one with the lowest ``|EU|``-weighted position
  ``(|EU_ij| x_i + |EU_ji| x_j) / (|EU_ij| + |EU_ji|)``; of equally good offers, the one
  whose offerer is listed first. These are the choices of the public replication
  jmckib/bdm-scholz-expected-utility-model, whose author reports (commit e9d86fe) that it
  reproduces Scholz et al.'s results for 10 rounds and marks the compromise rule and the
  probabilities' denominator as taken from "Scholz' original code"; we found no public copy
  of that code, so this variant rests on that replication. On the EC table shipped in
  ``data/classic`` it reproduces the replication's positions, risk exponents and means for
  40 rounds (see docs/protocols.md for the tables and the command). The replication's
  capitulation test (``EU_ji < |EU_ji|``, never true) is a defect and is not copied: both
  variants capitulate as defined below (on the EC table no capitulation arises in 40
  rounds either way). Nor is its median copied (it depends on the order of a set): the
  weighted median here is the median voter in both variants.

Scholz et al.'s paper, as that replication's author reads it, has each actor take the offer
that moves it least, the rule of the default variant; which risk exponent the paper puts in
the challenger's expected utility could not be determined from public material.

Equations (``R`` is the width of the issue's scale, by default the range of the starting
positions; ``d = |x_i - x_j| / R``; ``w_k = c_k s_k``):

- votes: ``v_k(j, m) = w_k [ (|x_k - x_m| / R)^r - (|x_k - x_j| / R)^r ]``, with ``r = 1``
  (``"scholz"``, offer phase: ``r = r_k``, the voter's exponent);
- win probability of i against j:
  ``P_ij = sum_k max(0, v_k(i, j)) / sum_k sum_a sum_b |v_k(a, b)|``. The denominator does
  not depend on i or j: it is computed once per round, in O(n^2 log n) by sorting;
- with i's risk exponent ``r``: ``U_s = 2 - 4 (0.5 - 0.5 d)^r``,
  ``U_f = 2 - 4 (0.5 + 0.5 d)^r``, ``U_sq = 2 - 4 (0.5)^r``;
- expected utility of i challenging j:
  ``EU_i(j) = s_j [P_ij U_s + (1 - P_ij) U_f] + (1 - s_j) U_s - U_sq``;
- risk: with every ``r = 1`` (votes included), ``danger_i = sum_{j != i} EU_j(i)``,
  ``R_i = (2 danger_i - max danger - min danger) / (max danger - min danger)`` and
  ``r_i = (1 - R_i / 3) / (1 + R_i / 3)``, in [0.5, 2]. When every actor is in the same
  danger (``max == min``, to a relative 1e-12), ``R_i = 0`` and ``r_i = 1``;
- offers to i from j, with ``EU_ij = EU_i(j)`` (with i's exponent) and ``EU_ji = EU_j(i)``
  (with j's exponent; ``"scholz"``: with i's):

  - confrontation, ``EU_ji > EU_ij > 0``: i moves to ``x_j``;
  - compromise, ``EU_ji > 0 > EU_ij`` and ``EU_ji > |EU_ij|``: i moves to
    ``x_i + (x_j - x_i) |EU_ij / EU_ji|``;
  - capitulation, ``EU_ji > 0 > EU_ij`` and ``EU_ji < |EU_ij|``: i moves to ``x_j``.

  The inequalities are strict: an exact tie makes no offer. i takes the offer it prefers:
  a confrontation, else a compromise, else a capitulation; within that kind the smallest
  move (``"scholz"``, among compromises: the lowest ``|EU|``-weighted position); then the
  lower new position, then the offerer whose name sorts first (``"scholz"``: the offerer
  listed first, so that a run there can depend on the order of the actors). Such ties
  are common with positions on a grid: two confrontations that move an actor one step up
  or one step down. Every offer of a round is
  computed from the positions at the start of the round, and all the moves are applied
  together.

The actors are put in a canonical order (by name) before anything is computed, so that
with the default variant the results do not depend on the order the actors are listed in,
to the last bit.

References
----------
Bueno de Mesquita, B. (1994). Political forecasting: an expected utility method. In
Bueno de Mesquita & Stokman (eds.), *European Community Decision Making*, ch. 4, 71-104.
Yale University Press.

Scholz, J. B., Calbert, G. J. & Smith, G. A. (2011). Unravelling Bueno de Mesquita's group
decision model. *Journal of Theoretical Politics* 23(4), 510-531.

Velev, J. (2014). bdm-scholz-expected-utility-model, a Python replication of Scholz et al.
(2011): https://github.com/jmckib/bdm-scholz-expected-utility-model (commit 55f63e9).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from lsr_sim.classic.variants import resolve_variant

__all__ = [
    "OFFER_KINDS",
    "VARIANTS",
    "BDMResult",
    "BDMRound",
    "BDMVariant",
    "bdm",
    "bdm_round",
    "expected_utilities",
    "risk_exponents",
    "weighted_mean",
    "weighted_median",
    "win_probabilities",
]

OFFER_KINDS = ("confrontation", "compromise", "capitulation")
"""The kinds of offer, in the order an actor prefers them."""

OFFER_COLUMNS = ("round", "kind", "from", "to", "old_position", "new_position", "accepted")
_BLOCK = 2_000_000  # floats per block of the n x n x n vote tensor (bounds the memory)


@dataclass(frozen=True)
class BDMVariant:
    """The four choices in which the documented variants of the model differ.

    Attributes
    ----------
    challenger_exponent : {"challenger", "receiver"}
        Whose risk exponent goes into the challenger's expected utility ``EU_ji`` when the
        receiver i weighs j's offer: j's own (``"challenger"``) or i's (``"receiver"``).
        The receiver's own ``EU_ij`` always uses i's exponent.
    offer_votes : {"linear", "own"}
        The votes behind the win probabilities of the offer phase: with ``r = 1``
        (``"linear"``, as in the risk phase) or with each voter's own risk exponent
        (``"own"``). The risk phase always votes with ``r = 1``.
    compromise : {"smallest_move", "weighted_position"}
        Which of several compromises the receiver takes: the smallest move, or the lowest
        ``|EU|``-weighted position ``(|EU_ij| x_i + |EU_ji| x_j) / (|EU_ij| + |EU_ji|)``.
    ties : {"lower_position", "listed_first"}
        Which of equally good offers the receiver takes (for instance two confrontations
        that move it equally far, one up and one down): the one with the lower new position
        (then the offerer whose name sorts first), or the one whose offerer is listed first
        in the input. With ``"listed_first"`` the run can depend on the order the actors are
        listed in, as the replication's does.

    Examples
    --------
    >>> VARIANTS["scholz"]  # doctest: +NORMALIZE_WHITESPACE
    BDMVariant(challenger_exponent='receiver', offer_votes='own',
               compromise='weighted_position', ties='listed_first')
    >>> BDMVariant(compromise="weighted_position") == VARIANTS["lsr"]
    False
    """

    challenger_exponent: Literal["challenger", "receiver"] = "challenger"
    offer_votes: Literal["linear", "own"] = "linear"
    compromise: Literal["smallest_move", "weighted_position"] = "smallest_move"
    ties: Literal["lower_position", "listed_first"] = "lower_position"

    def __post_init__(self) -> None:
        allowed = {
            "challenger_exponent": ("challenger", "receiver"),
            "offer_votes": ("linear", "own"),
            "compromise": ("smallest_move", "weighted_position"),
            "ties": ("lower_position", "listed_first"),
        }
        for field, values in allowed.items():
            value = getattr(self, field)
            if value not in values:
                raise ValueError(f"{field} must be {' or '.join(map(repr, values))}, got {value!r}")


VARIANTS: dict[str, BDMVariant] = {
    "lsr": BDMVariant(),
    "scholz": BDMVariant("receiver", "own", "weighted_position", "listed_first"),
}
"""The named variants (see the module's description): ``lsr`` (default) and ``scholz``."""


def _variant(variant: str | BDMVariant) -> BDMVariant:
    return resolve_variant(variant, VARIANTS, BDMVariant, "BDM")


# --------------------------------------------------------------------------- forecasts
def weighted_mean(position: Any, weight: Any) -> float:
    """The weighted mean of `position`: ``sum w x / sum w``.

    Examples
    --------
    >>> weighted_mean([4, 7, 10], [0.2, 0.3, 0.5])
    7.9
    """
    x, w = _as_vector(position, "position"), _as_vector(weight, "weight")
    total = w.sum()
    if not total > 0:
        raise ValueError("the weights sum to 0; at least one weight must be > 0")
    low = x.min()  # measured from the lowest position: exact when all positions are equal
    return float(np.clip(low + w @ (x - low) / total, low, x.max()))


def weighted_median(position: Any, weight: Any) -> float:
    """The weighted median of `position`: where the cumulative weight crosses half.

    Positions are taken in increasing order (whatever order they are given in), the
    weights of equal positions are pooled and positions without weight are left out. The
    median is the first position at which the cumulative weight reaches half the total. If
    it reaches exactly half there (within a relative 1e-12) every point up to the next
    position is a median; the midpoint of the two is returned, as for the ordinary median of
    an even count. In one dimension the
    weighted median is the Condorcet winner (Black 1948): no position beats it in a
    pairwise weighted vote.

    Examples
    --------
    >>> weighted_median([10, 4, 7], [0.4, 0.2, 0.4])
    7.0
    >>> weighted_median([4, 10], [1, 1])  # exactly half at 4: the midpoint
    7.0
    """
    x, w = _as_vector(position, "position"), _as_vector(weight, "weight")
    total = w.sum()
    if not total > 0:
        raise ValueError("the weights sum to 0; at least one weight must be > 0")
    values, where = np.unique(x, return_inverse=True)
    pooled = np.bincount(where, weights=w, minlength=values.size)
    values, pooled = values[pooled > 0], pooled[pooled > 0]  # weightless positions: no say
    cumulative = np.cumsum(pooled)
    half, tolerance = total / 2, 1e-12 * total
    k = int(np.searchsorted(cumulative, half - tolerance))
    k = min(k, values.size - 1)
    if abs(cumulative[k] - half) <= tolerance and k + 1 < values.size:
        return float((values[k] + values[k + 1]) / 2)
    return float(values[k])


# --------------------------------------------------------------------------- one round
def _distances(x: np.ndarray, width: float) -> np.ndarray:
    """``|x_a - x_b| / R`` for every pair (an n x n matrix; zeros when ``R == 0``)."""
    if width <= 0:
        return np.zeros((x.size, x.size))
    return np.abs(x[:, None] - x[None, :]) / width


def _vote_denominator(distance: np.ndarray, weight: np.ndarray) -> float:
    """``sum_k sum_a sum_b |v_k(a, b)|`` with ``r = 1``, computed once, by sorting.

    For one voter k with sorted distances ``d_(0) <= ... <= d_(n-1)``,
    ``sum_a sum_b |d_a - d_b| = 2 sum_i d_(i) (2 i - n + 1)``.
    """
    n = distance.shape[1]
    ordered = np.sort(distance, axis=1)
    coefficient = 2.0 * np.arange(n) - n + 1
    return float(2.0 * weight @ (ordered @ coefficient))


def _vote_numerator(distance: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """``N[i, j] = sum_k max(0, v_k(i, j))``, over blocks of voters to bound the memory."""
    n = distance.shape[0]
    numerator = np.zeros((n, n))
    block = max(1, _BLOCK // max(1, n * n))
    for start in range(0, n, block):
        d = distance[start : start + block]
        # v_k(i, j) / w_k = d[k, j] - d[k, i]; axis order (k, i, j)
        votes = np.maximum(d[:, None, :] - d[:, :, None], 0.0)
        numerator += np.tensordot(weight[start : start + block], votes, axes=1)
    return numerator


def _win_probabilities(distance: np.ndarray, weight: np.ndarray) -> np.ndarray:
    denominator = _vote_denominator(distance, weight)
    numerator = _vote_numerator(distance, weight)
    if denominator <= 0:  # no vote anywhere: all at one position, or every weight 0
        return np.zeros_like(numerator)
    return numerator / denominator


def _expected_utilities(
    distance: np.ndarray, salience: np.ndarray, prob: np.ndarray, exponent: np.ndarray
) -> np.ndarray:
    """``EU[i, j] = EU_i(j)``, with the risk exponent ``exponent[i, j]`` (broadcast: a column
    ``risk[:, None]`` gives row i i's exponent, a row ``risk[None, :]`` gives column j j's).

    Written as ``(U_s - U_sq) - s_j (1 - P_ij) (U_s - U_f)``, the same quantity as the
    definition, so that it is exactly 0 between actors at the same position.
    """
    r = exponent
    near = (0.5 - 0.5 * distance) ** r
    gain = 4.0 * (0.5**r - near)  # U_s - U_sq
    spread = 4.0 * ((0.5 + 0.5 * distance) ** r - near)  # U_s - U_f
    eu = gain - salience[None, :] * (1.0 - prob) * spread
    np.fill_diagonal(eu, 0.0)
    return eu


def _risk_from_danger(danger: np.ndarray) -> np.ndarray:
    high, low = danger.max(), danger.min()
    if not high - low > 1e-12 * max(abs(high), abs(low)):
        # everyone in the same danger (to rounding, which would otherwise be blown up to
        # exponents 0.5 and 2): R_i = 0, r_i = 1
        return np.ones_like(danger)
    # R_i = (2 danger_i - max - min) / (max - min) and r_i = (1 - R_i/3) / (1 + R_i/3),
    # written so that the extremes come out exactly: R = +-1, r = 0.5 and 2
    scaled = ((danger - low) - (high - danger)) / (high - low)
    scaled = np.clip(scaled, -1.0, 1.0)
    return (3.0 - scaled) / (3.0 + scaled)


def _risk(distance: np.ndarray, salience: np.ndarray, prob: np.ndarray) -> np.ndarray:
    ones = np.ones((salience.size, 1))
    danger = _expected_utilities(distance, salience, prob, ones).sum(axis=0)
    return _risk_from_danger(danger)


@dataclass(frozen=True)
class BDMRound:
    """What one round does: the risk exponents, every offer made, and the new positions.

    Attributes
    ----------
    position : numpy.ndarray
        Positions after the round (all moves applied together).
    risk : numpy.ndarray
        Each actor's risk exponent in the round, in [0.5, 2].
    offers : pandas.DataFrame
        One row per offer: ``kind``, ``from`` (the offerer j), ``to`` (the actor i who
        would move), ``old_position``, ``new_position`` and ``accepted``.
    """

    position: np.ndarray
    risk: np.ndarray
    offers: pd.DataFrame


@dataclass(frozen=True)
class _Step:
    """One round in canonical order; offers as arrays (receiver, offerer, kind indices)."""

    position: np.ndarray
    risk: np.ndarray
    receiver: np.ndarray
    offerer: np.ndarray
    kind: np.ndarray
    old: np.ndarray
    new: np.ndarray
    accepted: np.ndarray


def _round(
    x: np.ndarray,
    weight: np.ndarray,
    salience: np.ndarray,
    width: float,
    variant: BDMVariant,
    listed: np.ndarray,
) -> _Step:
    """One round on actors already in canonical order (so ties break by name); `listed[k]`
    is the place of canonical actor k in the caller's list (for ``ties="listed_first"``)."""
    n = x.size
    distance = _distances(x, width)
    prob = _win_probabilities(distance, weight)
    risk = _risk(distance, salience, prob)
    if variant.offer_votes == "own":  # voter k's votes with its own exponent (row k)
        prob = _win_probabilities(distance ** risk[:, None], weight)
    mine = _expected_utilities(distance, salience, prob, risk[:, None])  # EU_i(j), i's r
    if variant.challenger_exponent == "receiver":
        # theirs[i, j] = EU_j(i) with i's exponent: EU_a(b) with b's exponent, transposed
        theirs = _expected_utilities(distance, salience, prob, risk[None, :]).T
    else:
        theirs = mine.T  # [i, j]: EU_ji = EU_j(i) with j's exponent
    apart = x[:, None] != x[None, :]
    confrontation = apart & (theirs > mine) & (mine > 0)
    conceding = apart & (theirs > 0) & (mine < 0)
    compromise = conceding & (theirs > -mine)
    capitulation = conceding & (theirs < -mine)
    kind = np.full((n, n), -1)
    kind[capitulation] = 2
    kind[compromise] = 1
    kind[confrontation] = 0
    target = np.broadcast_to(x[None, :], (n, n)).copy()
    ratio = np.divide(-mine, theirs, out=np.zeros((n, n)), where=compromise)
    target[compromise] = (x[:, None] + (x[None, :] - x[:, None]) * ratio)[compromise]

    receiver, offerer = np.nonzero(kind >= 0)
    new_position = x.copy()
    accepted = np.zeros(receiver.size, dtype=bool)
    if receiver.size:
        to = target[receiver, offerer]
        rank = np.abs(to - x[receiver])  # within a kind: the smallest move first
        if variant.compromise == "weighted_position":
            low, high = np.abs(mine[receiver, offerer]), np.abs(theirs[receiver, offerer])
            weighted = (low * x[receiver] + high * x[offerer]) / (low + high)
            rank = np.where(kind[receiver, offerer] == 1, weighted, rank)
        # per receiver: preferred kind, then its rank, then lower position and name (or
        # the offerer listed first)
        if variant.ties == "listed_first":
            order = np.lexsort((listed[offerer], rank, kind[receiver, offerer], receiver))
        else:
            order = np.lexsort((offerer, to, rank, kind[receiver, offerer], receiver))
        first = order[np.unique(receiver[order], return_index=True)[1]]
        accepted[first] = True
        new_position[receiver[first]] = to[first]
    return _Step(
        position=new_position,
        risk=risk,
        receiver=receiver,
        offerer=offerer,
        kind=kind[receiver, offerer],
        old=x[receiver],
        new=target[receiver, offerer],
        accepted=accepted,
    )


def _offer_table(
    steps: Sequence[_Step], canonical: Sequence[str], rank: np.ndarray
) -> pd.DataFrame:
    """All offers of `steps` (round 1, 2, ...) as one table, sorted by round, then by
    receiver and offerer in the caller's order of actors (`rank[k]`: the caller's index of
    canonical actor k)."""
    rounds = np.concatenate(
        [np.full(step.receiver.size, t, dtype=int) for t, step in enumerate(steps, 1)]
        or [np.empty(0, dtype=int)]
    )

    def joined(field: str, dtype: Any) -> np.ndarray:
        parts = [getattr(step, field) for step in steps]
        return np.concatenate(parts).astype(dtype) if parts else np.empty(0, dtype=dtype)

    receiver, offerer = joined("receiver", int), joined("offerer", int)
    order = np.lexsort((rank[offerer], rank[receiver], rounds))
    names = np.array(canonical, dtype=object)
    kinds = np.array(OFFER_KINDS, dtype=object)
    return pd.DataFrame(
        {
            "round": rounds[order],
            "kind": kinds[joined("kind", int)[order]],
            "from": names[offerer[order]],
            "to": names[receiver[order]],
            "old_position": joined("old", float)[order],
            "new_position": joined("new", float)[order],
            "accepted": joined("accepted", bool)[order],
        },
        columns=list(OFFER_COLUMNS),
    )


# --------------------------------------------------------------------------- inputs
def _as_vector(values: Any, what: str) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    if array.ndim != 1:
        raise ValueError(f"{what} must be a one-dimensional sequence of numbers")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{what} has a value that is not a finite number")
    return array


@dataclass(frozen=True)
class _Actors:
    names: tuple[str, ...]
    capability: np.ndarray
    position: np.ndarray
    salience: np.ndarray


def _actors(
    actors: Any = None,
    *,
    capability: Any = None,
    position: Any = None,
    salience: Any = None,
    names: Sequence[str] | None = None,
) -> _Actors:
    """Actors from a table (DataFrame or mapping of columns) or from three arrays."""
    if actors is not None:
        if any(v is not None for v in (capability, position, salience)):
            raise ValueError("give either a table of actors or the three arrays, not both")
        table = actors if isinstance(actors, pd.DataFrame) else pd.DataFrame(dict(actors))
        missing = [c for c in ("capability", "position", "salience") if c not in table]
        if missing:
            raise ValueError(
                f"the table of actors has no column {', '.join(missing)}; it needs "
                "actor, capability, position and salience"
            )
        if "issue" in table and table["issue"].nunique() > 1:
            raise ValueError(
                "the table has several issues; BDM takes one: select the rows of one issue"
            )
        capability, position, salience = (
            table["capability"],
            table["position"],
            table["salience"],
        )
        if "actor" in table:
            names = [str(a) for a in table["actor"]]
    if capability is None or position is None or salience is None:
        raise ValueError("give a table of actors, or capability, position and salience")
    c = _as_vector(capability, "capability")
    x = _as_vector(position, "position")
    s = _as_vector(salience, "salience")
    if not c.size == x.size == s.size:
        raise ValueError(
            f"capability, position and salience have different lengths "
            f"({c.size}, {x.size}, {s.size})"
        )
    if names is None:
        names = [f"actor {i + 1}" for i in range(x.size)]
    names = tuple(str(name) for name in names)
    if len(names) != x.size:
        raise ValueError(f"{len(names)} names for {x.size} actors")
    if x.size < 2:
        raise ValueError(f"{x.size} actor(s); the model needs at least 2")
    if len(set(names)) != len(names):
        twice = sorted({name for name in names if names.count(name) > 1})
        raise ValueError(f"actor names must be unique; repeated: {', '.join(twice)}")
    if np.any(c < 0):
        raise ValueError("capability must be >= 0")
    if np.any((s < 0) | (s > 1)):
        raise ValueError("salience must be within [0, 1]")
    if not np.sum(c * s) > 0:
        raise ValueError("every actor has capability or salience 0; at least one needs both > 0")
    return _Actors(names, c, x, s)


def _scale(position: np.ndarray, scale: tuple[float, float] | None) -> tuple[float, float]:
    if scale is None:
        return float(position.min()), float(position.max())
    low, high = (float(v) for v in scale)
    if not (np.isfinite(low) and np.isfinite(high) and low <= high):
        raise ValueError(f"scale must be (low, high) with low <= high, got {scale!r}")
    if position.min() < low or position.max() > high:
        raise ValueError(f"positions must lie within the scale [{low}, {high}]")
    return low, high


# --------------------------------------------------------------------------- public API
def win_probabilities(
    position: Any, capability: Any, salience: Any, *, scale: tuple[float, float] | None = None
) -> np.ndarray:
    """``P[i, j]``: the probability that i beats j (votes with ``r = 1``).

    ``P_ij = sum_k max(0, v_k(i, j)) / sum_k sum_a sum_b |v_k(a, b)|``. The denominator is
    the same for every pair and is computed once.

    Examples
    --------
    >>> p = win_probabilities([0, 1], [1, 1], [1, 1])
    >>> p
    array([[0.  , 0.25],
           [0.25, 0.  ]])
    """
    x = _as_vector(position, "position")
    low, high = _scale(x, scale)
    weight = _as_vector(capability, "capability") * _as_vector(salience, "salience")
    return _win_probabilities(_distances(x, high - low), weight)


def expected_utilities(
    position: Any,
    capability: Any,
    salience: Any,
    risk: Any = None,
    *,
    scale: tuple[float, float] | None = None,
) -> np.ndarray:
    """``EU[i, j] = EU_i(j)``: i's expected utility of challenging j.

    `risk` holds each actor's risk exponent (default 1 for everyone); row i uses i's.

    Examples
    --------
    >>> expected_utilities([0, 1], [1, 1], [0.5, 1.0]).round(3)
    array([[ 0.   , -1.333],
           [ 0.667,  0.   ]])
    """
    x = _as_vector(position, "position")
    s = _as_vector(salience, "salience")
    low, high = _scale(x, scale)
    distance = _distances(x, high - low)
    prob = _win_probabilities(distance, _as_vector(capability, "capability") * s)
    r = np.ones(x.size) if risk is None else _as_vector(risk, "risk")
    return _expected_utilities(distance, s, prob, r[:, None])


def risk_exponents(
    position: Any, capability: Any, salience: Any, *, scale: tuple[float, float] | None = None
) -> np.ndarray:
    """Each actor's risk exponent ``r_i`` in [0.5, 2], from its danger (with ``r = 1``).

    The actor in most danger gets 0.5, the one in least danger 2; when all are in the same
    danger every exponent is 1.

    Examples
    --------
    >>> risk_exponents([0, 1, 1], [1, 1, 1], [1, 1, 1])
    array([2. , 0.5, 0.5])
    """
    x = _as_vector(position, "position")
    s = _as_vector(salience, "salience")
    low, high = _scale(x, scale)
    distance = _distances(x, high - low)
    prob = _win_probabilities(distance, _as_vector(capability, "capability") * s)
    return _risk(distance, s, prob)


def bdm_round(
    actors: Any = None,
    *,
    capability: Any = None,
    position: Any = None,
    salience: Any = None,
    names: Sequence[str] | None = None,
    scale: tuple[float, float] | None = None,
    round_number: int = 1,
    variant: str | BDMVariant = "lsr",
) -> BDMRound:
    """One round of the model from the given positions (see :func:`bdm` for the inputs).

    Every offer is computed from the given positions and the moves are applied together.

    Examples
    --------
    >>> step = bdm_round(capability=[4, 3, 2], position=[0, 7, 10], salience=[.6, .4, .4],
    ...                  names=["a", "b", "c"])
    >>> step.position.round(3)
    array([5.859, 7.   , 7.   ])
    >>> step.risk.round(3)
    array([2.   , 0.699, 0.5  ])
    >>> step.offers[["kind", "from", "to", "new_position", "accepted"]].round(3)
                kind from to  new_position  accepted
    0   capitulation    b  a         7.000     False
    1     compromise    c  a         5.859      True
    2  confrontation    b  c         7.000      True

    a prefers c's compromise to capitulating to b; c takes b's confrontation.
    """
    chosen = _variant(variant)
    act = _actors(actors, capability=capability, position=position, salience=salience,
                  names=names)  # fmt: skip
    low, high = _scale(act.position, scale)
    order = np.argsort(np.array(act.names, dtype=object), kind="stable")
    back = np.argsort(order)
    step = _round(
        act.position[order],
        (act.capability * act.salience)[order],
        act.salience[order],
        high - low,
        chosen,
        order,
    )
    offers = _offer_table([step], [act.names[i] for i in order], order)
    return BDMRound(step.position[back], step.risk[back], offers.assign(round=round_number))


@dataclass(frozen=True)
class BDMResult:
    """A run of the BDM model: positions, forecasts, risk exponents and offers per round.

    Attributes
    ----------
    actors : tuple of str
        Actor names, in the order they were given.
    capability, salience : numpy.ndarray
        The inputs, in that order.
    scale : tuple of float
        ``(low, high)`` of the issue's scale; ``R = high - low``.
    positions : numpy.ndarray
        Shape ``(rounds + 1, n)``: row 0 the starting positions, row t after round t.
    mean, median : numpy.ndarray
        The capability*salience weighted mean and median of each row of `positions`.
    risk : numpy.ndarray
        Shape ``(rounds, n)``: row t - 1 the risk exponents used in round t.
    offers : pandas.DataFrame
        Every offer of every round: ``round``, ``kind``, ``from``, ``to``,
        ``old_position``, ``new_position``, ``accepted``.
    variant : BDMVariant
        The variant the run used.
    """

    actors: tuple[str, ...]
    capability: np.ndarray
    salience: np.ndarray
    scale: tuple[float, float]
    positions: np.ndarray
    mean: np.ndarray
    median: np.ndarray
    risk: np.ndarray
    offers: pd.DataFrame
    variant: BDMVariant = VARIANTS["lsr"]

    @property
    def rounds(self) -> int:
        """The number of rounds run."""
        return self.positions.shape[0] - 1

    def moves(self) -> np.ndarray:
        """How many actors moved in each round (length `rounds`).

        A move counts when it is larger than 1e-9 of the scale's width: positions that
        approach a point geometrically (repeated compromises) stop counting once they are
        there to nine digits.
        """
        tolerance = 1e-9 * max(self.scale[1] - self.scale[0], np.finfo(float).tiny)
        return np.count_nonzero(np.abs(np.diff(self.positions, axis=0)) > tolerance, axis=1)

    def to_frame(self, *, positions: bool = True) -> pd.DataFrame:
        """The round-by-round forecast: ``round``, ``mean``, ``median``, ``moved`` and,
        with `positions`, one column per actor.

        Examples
        --------
        >>> result = bdm({"actor": ["a", "b", "c"], "capability": [4, 3, 2],
        ...               "position": [0, 7, 10], "salience": [.6, .4, .4]}, rounds=2)
        >>> result.to_frame().round(3)
           round   mean  median  moved      a      b       c
        0      0  3.727   0.000      0  0.000  7.000  10.000
        1      1  6.377   5.859      2  5.859  7.000   7.000
        2      2  6.326   5.859      2  5.859  6.888   6.888
        """
        frame = pd.DataFrame(
            {
                "round": np.arange(self.rounds + 1),
                "mean": self.mean,
                "median": self.median,
                "moved": np.concatenate([[0], self.moves()]),
            }
        )
        if positions:
            columns = pd.DataFrame(self.positions, columns=list(self.actors))
            frame = pd.concat([frame, columns], axis=1)
        return frame


def bdm(
    actors: pd.DataFrame | Mapping[str, Sequence[Any]] | None = None,
    rounds: int = 10,
    *,
    capability: Any = None,
    position: Any = None,
    salience: Any = None,
    names: Sequence[str] | None = None,
    scale: tuple[float, float] | None = None,
    variant: str | BDMVariant = "lsr",
) -> BDMResult:
    """Run Bueno de Mesquita's expected utility model for `rounds` rounds.

    Parameters
    ----------
    actors : pandas.DataFrame or mapping of columns, optional
        A table with columns ``actor`` (optional names), ``capability`` (>= 0),
        ``position`` and ``salience`` (in [0, 1]), one row per actor, as read by
        :func:`lsr_sim.classic.inputs.read_actor_table`. Or give the arrays instead:
    capability, position, salience : array_like, optional
        One value per actor.
    names : sequence of str, optional
        Actor names for the arrays (default ``actor 1``, ``actor 2``, ...).
    rounds : int
        Number of rounds (>= 0).
    scale : (float, float), optional
        The issue's scale ``(low, high)``; default the range of the starting positions.
    variant : {"lsr", "scholz"} or BDMVariant
        ``"lsr"`` (default): each expected utility with its own actor's risk exponent, votes
        with ``r = 1``, the smallest move among compromises. ``"scholz"``: the choices of the
        code behind Scholz et al.'s (2011) tables (see the module's description). A
        :class:`BDMVariant` sets the three choices one by one.

    Returns
    -------
    BDMResult

    Raises
    ------
    ValueError
        Fewer than 2 actors, repeated names, a value that is not a finite number, a negative
        capability, a salience outside [0, 1], no actor with both capability and salience
        above 0, positions outside `scale`, or an unknown variant.

    Examples
    --------
    The EC emission-standards example of Bueno de Mesquita (1994), positions in years:

    >>> ec = pd.DataFrame({
    ...     "actor": ["Netherlands", "Belgium", "Luxembourg", "Germany", "France",
    ...               "Italy", "UK", "Ireland", "Denmark", "Greece"],
    ...     "capability": [.08, .08, .03, .16, .16, .16, .16, .05, .05, .08],
    ...     "position": [4, 7, 4, 4, 10, 10, 10, 7, 4, 7],
    ...     "salience": [.8, .4, .2, .8, .6, .6, .9, .1, 1.0, .7]})
    >>> result = bdm(ec, rounds=5)
    >>> print(f"{result.mean[0]:.3f} {result.median[0]:.3f}")
    7.390 7.000
    >>> print(result.risk[0].min(), result.risk[0].max())
    0.5 2.0
    >>> result.to_frame(positions=False).round(3)
       round   mean  median  moved
    0      0  7.390   7.000      0
    1      1  7.479   8.790      3
    2      2  7.565   9.804      3
    3      3  7.595   9.974      3
    4      4  7.605   9.997      3
    5      5  7.607  10.000      3

    The same table in Scholz et al.'s form: in round 4 Belgium takes the Netherlands'
    compromise (its ``|EU|``-weighted position is the lower), not France's smaller move:

    >>> scholz = bdm(ec, rounds=5, variant="scholz")
    >>> scholz.positions[:, 1].round(3)  # Belgium
    array([7.   , 8.416, 9.611, 9.962, 4.801, 5.524])
    """
    chosen = _variant(variant)
    if isinstance(rounds, bool) or not isinstance(rounds, int | np.integer) or rounds < 0:
        raise ValueError(f"rounds must be a whole number >= 0, got {rounds!r}")
    act = _actors(actors, capability=capability, position=position, salience=salience,
                  names=names)  # fmt: skip
    low, high = _scale(act.position, scale)
    order = np.argsort(np.array(act.names, dtype=object), kind="stable")
    back = np.argsort(order)
    names_sorted = [act.names[i] for i in order]
    weight = (act.capability * act.salience)[order]
    salience_sorted = act.salience[order]
    x = act.position[order]
    history, risks, steps = [x], [], []
    for _ in range(int(rounds)):
        step = _round(x, weight, salience_sorted, high - low, chosen, order)
        x = step.position
        history.append(x)
        risks.append(step.risk)
        steps.append(step)
    canonical = np.vstack(history)
    positions = canonical[:, back]
    return BDMResult(
        actors=act.names,
        capability=act.capability,
        salience=act.salience,
        scale=(low, high),
        positions=positions,
        mean=np.array([weighted_mean(row, weight) for row in canonical]),
        median=np.array([weighted_median(row, weight) for row in canonical]),
        risk=np.vstack(risks)[:, back] if risks else np.empty((0, len(act.names))),
        offers=_offer_table(steps, names_sorted, order),
        variant=chosen,
    )
