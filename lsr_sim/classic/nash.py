"""Axiomatic bargaining solutions: Nash (1950) and Kalai-Smorodinsky (1975).

Two forms of each:

- the closed forms for splitting a unit between two parties with linear utilities
  (:func:`nash_split`, :func:`kalai_smorodinsky_split`);
- the general case (:func:`nash_bargaining`, :func:`kalai_smorodinsky`): ``p`` parties choose
  one point ``y`` in ``[0, 1]**k`` (terms on ``k`` issues, a package), party ``i`` valuing it at

  ``u_i(y) = sum_k s_ik (1 - |y_k - x_ik|) / sum_k s_ik``

  (ideal points ``x``, salience ``s``; the linear utility of :mod:`lsr_sim.dynamics.negotiation`,
  averaged over the issues with the party's salience as weights), against disagreement values
  ``d_i`` (given, or the utility of a status quo).

**Nash** maximises ``prod_i (u_i - d_i)**w_i`` over the points every party prefers to
disagreement. The utilities are concave but not smooth in ``y`` (``|.|``), so the problem is
rewritten with one variable ``e_ik >= |y_k - x_ik|`` per party and issue: the objective
``sum_i w_i log(u_i - d_i)`` becomes smooth and concave over a polyhedron. A linear programme
first finds the point that maximises the smallest gain: when that gain is not positive (at
most ``GAIN_TOLERANCE``, 1e-7), no point beats disagreement for everyone and there is no
agreement. From that point a barrier (interior-point) method with Newton steps climbs to the
maximum; terms within 1e-7 of a kink (some party's ideal) or a bound are put on it when that
loses nothing, since optima of piecewise-linear utilities often sit exactly there.

**Kalai-Smorodinsky** equalises each party's gain over ``d`` as a share of its ideal gain
(the most it can get while every party stays at least at ``d``). With two parties on a unit
split the equal-ratio point is Pareto-efficient and is returned; with more parties or issues
the equal-ratio point can be only weakly efficient, so the solution is its lexicographic
extension (Imai 1983): maximise the smallest share, then, holding the parties that cannot
gain more at that level, the next smallest, and so on (a sequence of linear programmes). It
coincides with the equal-ratio point whenever that point is Pareto-efficient, and it is
always Pareto-efficient and individually rational.

References
----------
Nash, J. F. (1950). The bargaining problem. Econometrica 18(2), 155-162.
Kalai, E. and Smorodinsky, M. (1975). Other solutions to Nash's bargaining problem.
Econometrica 43(3), 513-518.
Imai, H. (1983). Individual monotonicity and lexicographic maxmin solution. Econometrica
51(2), 389-401.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import linprog

from lsr_sim.dynamics.negotiation import utility

__all__ = [
    "BargainingSolution",
    "kalai_smorodinsky",
    "kalai_smorodinsky_split",
    "nash_bargaining",
    "nash_split",
    "package_utility",
]

#: Gains at or below this (utility on the [0, 1] scale) count as none: agreement needs a point
#: that gives every party more (the linear programmes solve to about 1e-9).
GAIN_TOLERANCE = 1e-7
#: Slack on the levels already reached, as shares of the ideal gain, in the Kalai-Smorodinsky
#: linear programmes (the solver's feasibility tolerance is 1e-7 in absolute terms).
LEVEL_SLACK = 1e-8


@dataclass(frozen=True, eq=False)
class BargainingSolution:
    """The outcome of a bargaining solution over a package.

    Attributes
    ----------
    agreement : bool
        Whether some point gives every party more than its disagreement value. When not, the
        solution is disagreement and `point` and `utilities` are None.
    point : (k,) array or None
        The agreed terms, one per issue, in [0, 1].
    utilities : (p,) array or None
        Each party's utility of `point`.
    disagreement : (p,) array
        Each party's disagreement value.
    """

    agreement: bool
    point: np.ndarray | None
    utilities: np.ndarray | None
    disagreement: np.ndarray

    @property
    def gains(self) -> np.ndarray | None:
        """Each party's gain over disagreement (None without agreement)."""
        return None if self.utilities is None else self.utilities - self.disagreement


def nash_split(
    d_a: float = 0.0, d_b: float = 0.0, w_a: float = 1.0, w_b: float = 1.0
) -> float | None:
    """A's share of a unit under the weighted Nash solution, with linear utilities.

    ``x_A = d_A + w_A / (w_A + w_B) * (1 - d_A - d_B)``: each side gets its disagreement
    value plus its weight's share of the surplus.

    Parameters
    ----------
    d_a, d_b : float
        Disagreement values of A and B (what each gets if talks fail).
    w_a, w_b : float
        Bargaining weights, > 0.

    Returns
    -------
    float or None
        A's share (B gets the rest); None when there is no surplus to share
        (``d_a + d_b >= 1``).

    Examples
    --------
    >>> nash_split()
    0.5
    >>> nash_split(d_a=0.2)
    0.6
    >>> nash_split(w_a=3.0, w_b=1.0)
    0.75
    >>> nash_split(d_a=0.6, d_b=0.5) is None
    True
    """
    if not (w_a > 0 and w_b > 0 and np.isfinite(w_a) and np.isfinite(w_b)):
        raise ValueError(f"bargaining weights must be finite and > 0, got {w_a}, {w_b}")
    surplus = 1.0 - d_a - d_b
    if not surplus > 0:
        return None
    return float(d_a + w_a / (w_a + w_b) * surplus)


def kalai_smorodinsky_split(d_a: float = 0.0, d_b: float = 0.0) -> float | None:
    """A's share of a unit under the Kalai-Smorodinsky solution, with linear utilities.

    Each side's ideal is what is left when the other gets its disagreement value
    (``1 - d_B`` for A); the solution equalises the gains as shares of the ideal gains:
    ``(x - d_A) / (1 - d_B - d_A) = (1 - x - d_B) / (1 - d_A - d_B)``.

    Returns
    -------
    float or None
        A's share; None when there is no surplus (``d_a + d_b >= 1``).

    Examples
    --------
    >>> kalai_smorodinsky_split()
    0.5
    >>> kalai_smorodinsky_split(d_a=0.2)
    0.6
    """
    surplus = 1.0 - d_a - d_b
    if not surplus > 0:
        return None
    ideal_gain_a = (1.0 - d_b) - d_a
    ideal_gain_b = (1.0 - d_a) - d_b
    return float(d_a + surplus * ideal_gain_a / (ideal_gain_a + ideal_gain_b))


def package_utility(ideal: ArrayLike, salience: ArrayLike | None, point: ArrayLike) -> np.ndarray:
    """Each party's utility of terms `point`: salience-weighted mean of ``1 - |y - x|``.

    Parameters
    ----------
    ideal : (p, k) or (p,) array
        Ideal points in [0, 1] (a 1-d array: one issue).
    salience : (p, k) array or None
        Non-negative; only the ratios within a party matter (None: equal).
    point : (k,) array or float
        The terms.

    Examples
    --------
    >>> package_utility([[1.0, 0.0], [0.0, 1.0]], [[3.0, 1.0], [1.0, 1.0]], [0.5, 0.0])
    array([0.625, 0.25 ])
    """
    x, s = _package(ideal, salience)
    y = np.broadcast_to(np.asarray(point, dtype=float), (x.shape[1],))
    return np.sum(s * utility(y, x), axis=1)


def nash_bargaining(
    ideal: ArrayLike,
    salience: ArrayLike | None = None,
    disagreement: ArrayLike | None = None,
    weights: ArrayLike | None = None,
    *,
    status_quo: ArrayLike | None = None,
) -> BargainingSolution:
    """The weighted Nash bargaining solution over a package of issues.

    Maximises ``prod_i (u_i(y) - d_i)**w_i`` over terms ``y`` in ``[0, 1]**k`` that give every
    party more than ``d_i`` (see the module docstring for ``u`` and the method).

    Parameters
    ----------
    ideal : (p, k) or (p,) array
        The parties' ideal points in [0, 1] (1-d: one issue).
    salience : (p, k) array, optional
        Non-negative salience; each party's row is normalised to sum 1 (default: equal).
    disagreement : (p,) array or float, optional
        Disagreement values ``d`` in utility (default 0, or the utility of `status_quo`).
    weights : (p,) array, optional
        Bargaining weights ``w`` > 0 (default equal; only their ratios matter).
    status_quo : (k,) array, optional
        Terms that hold if talks fail: ``d_i = u_i(status_quo)``. Give this or
        `disagreement`, not both.

    Returns
    -------
    BargainingSolution
        ``agreement`` is False (``point`` None) when no terms beat disagreement for everyone.

    Examples
    --------
    Splitting a unit: A's ideal is all of it (1), B's none of it (0).

    >>> nash_bargaining([1.0, 0.0]).point
    array([0.5])
    >>> nash_bargaining([1.0, 0.0], disagreement=[0.2, 0.0]).point
    array([0.6])
    >>> nash_bargaining([1.0, 0.0], weights=[3.0, 1.0]).point
    array([0.75])

    Two issues, each party caring most about a different one: each gets its way there.

    >>> sol = nash_bargaining([[1.0, 1.0], [0.0, 0.0]], [[0.9, 0.1], [0.1, 0.9]])
    >>> sol.point
    array([1., 0.])
    >>> sol.utilities
    array([0.9, 0.9])

    Nothing beats a status quo that already suits both:

    >>> nash_bargaining([1.0, 0.0], disagreement=[0.6, 0.5]).agreement
    False
    """
    x, s = _package(ideal, salience)
    d = _disagreement(x, s, disagreement, status_quo)
    p, k = x.shape
    w = np.ones(p) if weights is None else np.broadcast_to(np.asarray(weights, dtype=float), (p,))
    if not np.all(np.isfinite(w) & (w > 0)):
        raise ValueError(f"bargaining weights must be finite and > 0, got {w}")
    w = w / w.sum()
    lp = _Epigraph(x, s, d)
    start = lp.max_min_gain()
    if start is None:
        return BargainingSolution(False, None, None, d)
    y = _barrier_nash(lp, w, start)[:k]
    if not np.all(np.isfinite(y)) or _nash_objective(lp, w, y) < _nash_objective(lp, w, start[:k]):
        y = start[:k]  # a guard: the barrier method climbs from the start
    point = _snap(lp, w, y)
    return BargainingSolution(True, point, package_utility(x, s, point), d)


def kalai_smorodinsky(
    ideal: ArrayLike,
    salience: ArrayLike | None = None,
    disagreement: ArrayLike | None = None,
    *,
    status_quo: ArrayLike | None = None,
) -> BargainingSolution:
    """The Kalai-Smorodinsky solution over a package (lexicographic extension for p > 2).

    Each party's ideal gain is the most it can gain over ``d_i`` while every party keeps at
    least its disagreement value; the solution maximises the smallest gain as a share of the
    ideal gain, then the next smallest, and so on (see the module docstring). Parameters are
    as for :func:`nash_bargaining` (there are no bargaining weights).

    Examples
    --------
    >>> kalai_smorodinsky([1.0, 0.0]).point
    array([0.5])
    >>> kalai_smorodinsky([1.0, 0.0], disagreement=[0.2, 0.0]).point
    array([0.6])

    A can walk away with 0.5 of a two-issue package: A's ideal gain is 0.5 (from 0.5 to 1),
    and so is B's (B can get at most what A leaves, 0.5). Each gets half of its ideal gain:

    >>> sol = kalai_smorodinsky([[1.0, 1.0], [0.0, 0.0]], disagreement=[0.5, 0.0])
    >>> sol.utilities
    array([0.75, 0.25])

    Two parties at 0 and one at 1: each could gain 1, so KS meets halfway, where Nash
    (maximising ``(1 - y)**2 y``) leans toward the pair, at 1/3:

    >>> kalai_smorodinsky([0.0, 0.0, 1.0]).point, nash_bargaining([0.0, 0.0, 1.0]).point
    (array([0.5]), array([0.33333333]))
    """
    x, s = _package(ideal, salience)
    d = _disagreement(x, s, disagreement, status_quo)
    p, k = x.shape
    lp = _Epigraph(x, s, d)
    if lp.max_min_gain() is None:
        return BargainingSolution(False, None, None, d)
    # Ideal gains: the most each can gain while nobody falls below disagreement.
    ideal_gain = np.empty(p)
    for i in range(p):
        z = lp.solve(lp.gain_matrix[i], lower=np.zeros(p))
        assert z is not None  # the max-min-gain point satisfies these constraints
        ideal_gain[i] = lp.gains(z)[i]
    # Leximin over gain / ideal gain: r_i(z) = gains_i(z) / ideal_gain_i.
    level = np.full(p, np.nan)
    z_best = None
    while np.isnan(level).any():
        free = np.isnan(level)
        # max lam  s.t.  gains_i >= lam * ideal_gain_i (free), gains_i >= level_i * ideal (fixed)
        lam, z_best = lp.max_level(ideal_gain, free, level)
        # A free party is blocked at lam if it cannot gain more while the others keep theirs.
        lower = (np.where(free, lam, level) - LEVEL_SLACK) * ideal_gain
        blocked = []
        for i in np.flatnonzero(free).tolist():
            z_i = lp.solve(lp.gain_matrix[i], lower=lower)
            if z_i is None or lp.gains(z_i)[i] / ideal_gain[i] <= lam + 10 * LEVEL_SLACK:
                blocked.append(i)
        if not blocked:  # cannot happen in exact arithmetic; a guard against round-off
            shares = lp.gains(z_best) / ideal_gain
            blocked = [int(np.flatnonzero(free)[np.argmin(shares[free])])]
        level[blocked] = lam
    assert z_best is not None
    point = np.clip(z_best[:k], 0.0, 1.0) + 0.0
    return BargainingSolution(True, point, package_utility(x, s, point), d)


# --------------------------------------------------------------------------------------------
# Internals


def _package(ideal: ArrayLike, salience: ArrayLike | None) -> tuple[np.ndarray, np.ndarray]:
    """Ideal points as (p, k) and salience normalised per party (rows summing to 1 or 0)."""
    x = np.asarray(ideal, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or x.shape[0] < 1 or x.shape[1] < 1:
        raise ValueError(f"ideal must have shape (parties, issues), got {x.shape}")
    if not np.all(np.isfinite(x) & (x >= 0) & (x <= 1)):
        raise ValueError("ideal points must be in [0, 1]")
    if salience is None:
        s = np.ones_like(x)
    else:
        s = np.asarray(salience, dtype=float)
        if s.ndim == 1 and x.shape[1] == 1:
            s = s[:, None]
        if s.shape != x.shape:
            raise ValueError(f"salience has shape {s.shape}, ideal {x.shape}")
        if not np.all(np.isfinite(s) & (s >= 0)):
            raise ValueError("salience must be finite and >= 0")
    total = s.sum(axis=1, keepdims=True)
    return x, np.divide(s, total, out=np.zeros_like(s), where=total > 0)


def _disagreement(
    x: np.ndarray, s: np.ndarray, disagreement: ArrayLike | None, status_quo: ArrayLike | None
) -> np.ndarray:
    if disagreement is not None and status_quo is not None:
        raise ValueError("give disagreement values or a status quo, not both")
    if status_quo is not None:
        q = np.asarray(status_quo, dtype=float)
        if q.size != x.shape[1] or not np.all(np.isfinite(q)):
            raise ValueError(f"status quo must have {x.shape[1]} finite values")
        return package_utility(x, s, q.reshape(-1))
    given = 0.0 if disagreement is None else disagreement
    d = np.broadcast_to(np.asarray(given, dtype=float), (x.shape[0],))
    if not np.all(np.isfinite(d)):
        raise ValueError("disagreement values must be finite")
    return d.copy()


class _Epigraph:
    """Linear pieces of the problem in the variables ``z = (y, e)``.

    ``y`` holds the terms (k,), ``e`` one variable per party and issue the party cares about
    (salience > 0), with ``e_ik >= |y_k - x_ik|`` as two linear inequalities. The gain
    ``g_i(z) = 1 - d_i - sum_k s_ik e_ik`` is then linear, and exact where ``e = |y - x|``.
    """

    def __init__(self, x: np.ndarray, s: np.ndarray, d: np.ndarray) -> None:
        p, k = x.shape
        self.p, self.k = p, k
        self.party, self.issue = np.nonzero(s > 0)  # the (i, k) pairs with an e variable
        m = self.party.size
        n = k + m
        pick_y = np.zeros((m, k))
        pick_y[np.arange(m), self.issue] = 1.0
        x_pairs = x[self.party, self.issue]
        self.x_pairs = x_pairs
        # e >= y - x, e >= x - y, 0 <= y <= 1, e <= 1: rows of  A z <= b
        self.matrix = np.vstack(
            [
                np.hstack([pick_y, -np.eye(m)]),
                np.hstack([-pick_y, -np.eye(m)]),
                np.hstack([-np.eye(k), np.zeros((k, m))]),
                np.hstack([np.eye(k), np.zeros((k, m))]),
                np.hstack([np.zeros((m, k)), np.eye(m)]),
            ]
        )
        self.rhs = np.concatenate([x_pairs, -x_pairs, np.zeros(k), np.ones(k), np.ones(m)])
        self.gain_matrix = np.zeros((p, n))  # gains = gain_rhs - gain_matrix @ z
        self.gain_matrix[self.party, k + np.arange(m)] = s[self.party, self.issue]
        self.gain_rhs = 1.0 - d

    def gains(self, z: np.ndarray) -> np.ndarray:
        return self.gain_rhs - self.gain_matrix @ z

    def tighten(self, z: np.ndarray) -> np.ndarray:
        """The same terms, clipped to [0, 1], with ``e = |y - x|`` (gains can only rise)."""
        y = np.clip(z[: self.k], 0.0, 1.0)
        return np.concatenate([y, np.abs(y[self.issue] - self.x_pairs)])

    def _linprog(
        self, cost: np.ndarray, a_ub: np.ndarray, b_ub: np.ndarray, *extra: tuple
    ) -> np.ndarray | None:
        """The solution, or None if infeasible; ``y`` and ``e`` in [0, 1], `extra` bounds after."""
        bounds = [(0.0, 1.0)] * self.gain_matrix.shape[1] + list(extra)
        res = linprog(cost, A_ub=a_ub, b_ub=b_ub, bounds=bounds, method="highs")
        if res.status == 2:
            return None
        if res.status != 0:
            raise RuntimeError(f"linear programme failed: {res.message}")
        return np.asarray(res.x)

    def solve(self, cost: np.ndarray, lower: np.ndarray) -> np.ndarray | None:
        """Minimise ``cost @ z`` subject to gains >= `lower` (None if infeasible)."""
        a_ub = np.vstack([self.matrix, self.gain_matrix])
        b_ub = np.concatenate([self.rhs, self.gain_rhs - lower])
        z = self._linprog(cost, a_ub, b_ub)
        return None if z is None else self.tighten(z)

    def max_level(
        self, scale: np.ndarray, free: np.ndarray, level: np.ndarray
    ) -> tuple[float, np.ndarray]:
        """Max ``lam`` with gains_i >= lam scale_i (free i), >= level_i scale_i (fixed i)."""
        rows = self.matrix.shape[0]
        a_ub = np.vstack(
            [
                np.hstack([self.matrix, np.zeros((rows, 1))]),
                np.hstack([self.gain_matrix, np.where(free, scale, 0.0)[:, None]]),
            ]
        )
        fixed = np.where(free, 0.0, (np.nan_to_num(level) - LEVEL_SLACK) * scale)
        b_ub = np.concatenate([self.rhs, self.gain_rhs - fixed])
        cost = np.zeros(a_ub.shape[1])
        cost[-1] = -1.0
        top = float(np.max(self.gain_rhs[free] / scale[free]))  # gains never exceed gain_rhs
        z = self._linprog(cost, a_ub, b_ub, (None, top))
        if z is None:  # the levels reached so far hold at the last point: never infeasible
            raise RuntimeError("linear programme failed: levels already reached became infeasible")
        return float(z[-1]), self.tighten(z[:-1])

    def max_min_gain(self) -> np.ndarray | None:
        """The point maximising the smallest gain, or None if that gain is not positive."""
        everyone = np.ones(self.p, dtype=bool)
        lam, z = self.max_level(np.ones(self.p), everyone, np.full(self.p, np.nan))
        return None if lam <= GAIN_TOLERANCE else z


def _nash_objective(lp: _Epigraph, w: np.ndarray, y: np.ndarray) -> float:
    """``sum_i w_i log(g_i)`` at terms `y` (-inf where a gain is not positive)."""
    g = lp.gains(lp.tighten(y))
    return float(w @ np.log(g)) if np.all(g > 0) else -np.inf


def _barrier_nash(lp: _Epigraph, w: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Maximise ``sum_i w_i log g_i(z)`` subject to ``A z <= b`` by a barrier method.

    Newton steps on ``t * (-sum w log g) - sum log(b - A z)`` for growing ``t`` (Boyd and
    Vandenberghe 2004, section 11.3), from a strictly feasible point near `start`, the
    max-min-gain point of the linear programme (whose gains are all positive).
    """
    a, b, gm = lp.matrix, lp.rhs, lp.gain_matrix
    smallest = float(lp.gains(start).min())
    step_in = min(0.25 * smallest, 0.25)
    y = np.clip(start[: lp.k], step_in, 1.0 - step_in)
    e = np.abs(y[lp.issue] - lp.x_pairs) + step_in
    z = np.concatenate([y, np.minimum(e, 1.0 - 0.5 * step_in)])
    m = a.shape[0]
    if np.any(b - a @ z <= 0) or np.any(lp.gains(z) <= 0):  # gains too small to work with
        return start

    def value(z: np.ndarray, t: float) -> float:
        r, g = b - a @ z, lp.gains(z)
        if np.any(r <= 0) or np.any(g <= 0):
            return np.inf
        return float(-t * (w @ np.log(g)) - np.sum(np.log(r)))

    t = 1.0
    while True:
        for _ in range(50):  # Newton's method on the barrier problem for this t
            r, g = b - a @ z, lp.gains(z)
            grad = t * ((w / g) @ gm) + (1.0 / r) @ a
            hess = t * (gm.T * (w / g**2)) @ gm + (a.T * (1.0 / r**2)) @ a
            try:
                step = -np.linalg.solve(hess, grad)
            except np.linalg.LinAlgError:
                return z
            decrement = float(-grad @ step)
            if decrement / 2.0 <= 1e-10:
                break
            # the longest step that keeps every slack and gain positive, then backtracking
            shrink = np.concatenate([a @ step / r, gm @ step / g])
            size = min(1.0, 0.99 / shrink.max()) if shrink.max() > 0 else 1.0
            current = value(z, t)
            while value(z + size * step, t) > current - 0.25 * size * decrement and size > 1e-12:
                size *= 0.5
            if size <= 1e-12:  # no progress left at this precision
                break
            z = z + size * step
        if m / t < 1e-10:
            return z
        t *= 20.0


def _snap(lp: _Epigraph, w: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Round terms that sit within 1e-7 of a kink or a bound onto it, if that loses nothing."""
    y = np.clip(y, 0.0, 1.0)
    best = _nash_objective(lp, w, y)
    for k in range(lp.k):
        kinks = np.concatenate([[0.0, 1.0], lp.x_pairs[lp.issue == k]])
        near = kinks[np.argmin(np.abs(kinks - y[k]))]
        if 0 < abs(near - y[k]) < 1e-7:
            trial = y.copy()
            trial[k] = near
            value = _nash_objective(lp, w, trial)
            if value >= best - 1e-15 * max(1.0, abs(best)):
                y, best = trial, value
    return y + 0.0  # no negative zeros
