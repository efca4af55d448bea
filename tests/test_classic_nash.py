"""Nash (1950) and Kalai-Smorodinsky (1975) bargaining solutions, against hand-computed results.

The unit split: A's ideal is the whole unit (position 1), B's none of it (position 0), so on
one issue with linear utilities A values terms y at y and B at 1 - y.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from lsr_sim.classic.nash import (
    BargainingSolution,
    kalai_smorodinsky,
    kalai_smorodinsky_split,
    nash_bargaining,
    nash_split,
    package_utility,
)

UNIT_SPLIT = [1.0, 0.0]  # ideal points of A and B on one issue


# ------------------------------------------------------------------------------ Nash, closed form


def test_equal_parties_split_a_unit_in_half() -> None:
    assert nash_split() == pytest.approx(0.5)
    assert nash_bargaining(UNIT_SPLIT).point == pytest.approx([0.5])


def test_a_better_outside_option_raises_a_share_to_point_six() -> None:
    # A can walk away with 0.2: it gets that plus half of the remaining 0.8.
    assert nash_split(d_a=0.2) == pytest.approx(0.6)
    solution = nash_bargaining(UNIT_SPLIT, disagreement=[0.2, 0.0])
    assert solution.agreement
    assert solution.point == pytest.approx([0.6])
    assert solution.utilities == pytest.approx([0.6, 0.4])
    assert solution.gains == pytest.approx([0.4, 0.4])


@pytest.mark.parametrize(
    ("d_a", "d_b", "w_a", "w_b", "share_a"),
    [
        (0.0, 0.0, 3.0, 1.0, 0.75),  # weight 3 of 4: three quarters of the surplus
        (0.0, 0.0, 1.0, 3.0, 0.25),
        (0.1, 0.3, 2.0, 1.0, 0.5),  # 0.1 + 2/3 * 0.6
        (0.3, 0.3, 1.0, 1.0, 0.5),  # 0.3 + 1/2 * 0.4
        (0.2, 0.0, 1.0, 4.0, 0.36),  # 0.2 + 1/5 * 0.8
        (0.0, 0.5, 1.0, 1.0, 0.25),  # B's outside option: A gets half of what is left
    ],
)
def test_weighted_nash_split(
    d_a: float, d_b: float, w_a: float, w_b: float, share_a: float
) -> None:
    assert nash_split(d_a, d_b, w_a, w_b) == pytest.approx(share_a)
    solution = nash_bargaining(UNIT_SPLIT, disagreement=[d_a, d_b], weights=[w_a, w_b])
    assert solution.point == pytest.approx([share_a], abs=1e-8)


def test_only_the_ratio_of_weights_matters() -> None:
    assert nash_split(w_a=3.0, w_b=1.0) == pytest.approx(nash_split(w_a=0.3, w_b=0.1))


def test_no_surplus_no_agreement() -> None:
    assert nash_split(d_a=0.6, d_b=0.4) is None
    assert nash_split(d_a=0.7, d_b=0.5) is None
    solution = nash_bargaining(UNIT_SPLIT, disagreement=[0.6, 0.4])
    assert not solution.agreement
    assert solution.point is None and solution.utilities is None and solution.gains is None
    assert solution.disagreement == pytest.approx([0.6, 0.4])


def test_a_status_quo_sets_the_disagreement_values() -> None:
    # Status quo 0.2: A would keep 0.2 and B 0.8; the surplus 0 leaves nothing to bargain over.
    assert not nash_bargaining(UNIT_SPLIT, status_quo=[0.2]).agreement
    # Each side's ideal is 0.5 away from a status quo of 0.5 on one of two issues.
    ideal = [[1.0, 1.0], [0.0, 0.0]]
    by_status_quo = nash_bargaining(ideal, [[0.9, 0.1], [0.1, 0.9]], status_quo=[0.5, 0.5])
    by_values = nash_bargaining(ideal, [[0.9, 0.1], [0.1, 0.9]], disagreement=[0.5, 0.5])
    assert by_status_quo.disagreement == pytest.approx([0.5, 0.5])
    assert by_status_quo.point == pytest.approx(by_values.point)


def test_a_logroll_each_side_wins_the_issue_it_cares_about() -> None:
    # A wants 1 on both issues and cares 9:1 about the first; B wants 0 and cares 1:9.
    solution = nash_bargaining([[1.0, 1.0], [0.0, 0.0]], [[0.9, 0.1], [0.1, 0.9]])
    assert solution.point == pytest.approx([1.0, 0.0])
    assert solution.utilities == pytest.approx([0.9, 0.9])


def test_three_parties_two_of_them_alike() -> None:
    # Two parties at 0 and one at 1, equal weights: maximise (1 - y)^2 y, so y = 1/3.
    solution = nash_bargaining([0.0, 0.0, 1.0])
    assert solution.point == pytest.approx([1.0 / 3.0], abs=1e-8)


def test_nash_and_ks_agree_with_package_utility() -> None:
    ideal = [[1.0, 0.0], [0.0, 1.0]]
    salience = [[3.0, 1.0], [1.0, 1.0]]  # normalised: A 0.75/0.25, B 0.5/0.5
    assert package_utility(ideal, salience, [0.5, 0.0]) == pytest.approx([0.625, 0.25])
    solution = nash_bargaining(ideal, salience)
    assert solution.utilities == pytest.approx(package_utility(ideal, salience, solution.point))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"ideal": [1.5, 0.0]}, "ideal points must be in"),
        ({"ideal": UNIT_SPLIT, "weights": [1.0, 0.0]}, "weights must be finite and > 0"),
        ({"ideal": UNIT_SPLIT, "salience": [[1.0], [-1.0]]}, "salience must be"),
        ({"ideal": UNIT_SPLIT, "disagreement": [0.1, 0.1], "status_quo": [0.5]}, "not both"),
        ({"ideal": [[0.5, 0.5]], "salience": [[1.0]]}, "salience has shape"),
    ],
)
def test_bad_input_is_refused_clearly(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        nash_bargaining(**kwargs)


# ------------------------------------------------------------------------- Kalai-Smorodinsky


def test_ks_gives_point_six_when_a_can_walk_away_with_point_two() -> None:
    # A's ideal gain: 1 - 0.2 = 0.8 (B keeps 0); B's: 0.8 (A keeps 0.2). Equal ratios: 0.6.
    assert kalai_smorodinsky_split(d_a=0.2) == pytest.approx(0.6)
    solution = kalai_smorodinsky(UNIT_SPLIT, disagreement=[0.2, 0.0])
    assert solution.point == pytest.approx([0.6])
    assert kalai_smorodinsky_split() == pytest.approx(0.5)
    assert kalai_smorodinsky_split(d_a=0.7, d_b=0.4) is None
    assert not kalai_smorodinsky(UNIT_SPLIT, disagreement=[0.7, 0.4]).agreement


def test_ks_equalises_shares_of_ideal_gains_where_nash_follows_numbers() -> None:
    # Two parties at 0, one at 1: each can gain at most 1, so KS meets at 1/2; Nash at 1/3.
    assert kalai_smorodinsky([0.0, 0.0, 1.0]).point == pytest.approx([0.5], abs=1e-7)
    assert nash_bargaining([0.0, 0.0, 1.0]).point == pytest.approx([1 / 3], abs=1e-7)


def test_ks_caps_ideal_gains_at_what_the_others_concede() -> None:
    # A needs 0.5 of the package, so B's ideal is 0.5; A's is 1: gains 0.25 each, in ratio.
    solution = kalai_smorodinsky([[1.0, 1.0], [0.0, 0.0]], disagreement=[0.5, 0.0])
    assert solution.utilities == pytest.approx([0.75, 0.25], abs=1e-7)


# ------------------------------------------------------------------ properties on random tables


def pareto_slack(ideal: np.ndarray, salience: np.ndarray, utilities: np.ndarray) -> float:
    """How much the sum of utilities can rise without anyone losing (0 if Pareto-efficient).

    An independent linear programme over terms y and e >= |y - x| in [0, 1]. Each party is
    held at its utility less only 1e-12: on a steep frontier a looser hold is amplified (a
    case found by hypothesis lets one party gain 1.1e-6 when two others give up 1e-9 each).
    """
    p, k = ideal.shape
    s = salience / salience.sum(axis=1, keepdims=True)
    n = k + p * k
    rows, rhs = [], []
    for i in range(p):
        for d in range(k):
            col = k + i * k + d
            up = np.zeros(n)
            up[d], up[col] = 1.0, -1.0  # y - e <= x
            down = np.zeros(n)
            down[d], down[col] = -1.0, -1.0  # -y - e <= -x
            rows += [up, down]
            rhs += [ideal[i, d], -ideal[i, d]]
        keep = np.zeros(n)
        keep[k + i * k : k + (i + 1) * k] = s[i]  # sum s e <= 1 - u_i  (u_i stays)
        rows.append(keep)
        rhs.append(1.0 - utilities[i] + 1e-12)
    cost = np.zeros(n)
    for i in range(p):
        cost[k + i * k : k + (i + 1) * k] += s[i]  # minimise total loss = maximise sum u
    res = linprog(cost, A_ub=np.array(rows), b_ub=np.array(rhs), bounds=[(0, 1)] * n)
    assert res.status == 0
    return float((p - res.fun) - utilities.sum())


def utilities_at(ideal: np.ndarray, salience: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Utilities of many points at once, shape (n, p): salience-weighted ``1 - |y - x|``."""
    s = salience / salience.sum(axis=1, keepdims=True)
    return 1.0 - np.einsum("ik,nik->ni", s, np.abs(points[:, None, :] - ideal[None]))


tables = st.integers(2, 4).flatmap(
    lambda p: st.integers(1, 3).flatmap(
        lambda k: st.tuples(
            st.lists(st.floats(0, 1), min_size=p * k, max_size=p * k),
            st.lists(st.floats(0.05, 1), min_size=p * k, max_size=p * k),
            st.lists(st.floats(0, 1), min_size=k, max_size=k),
            st.lists(st.floats(0.1, 5), min_size=p, max_size=p),
            st.just((p, k)),
        )
    )
)


@settings(max_examples=40, deadline=None)
@given(tables, st.floats(-0.2, 0.2))
@example(  # a steep frontier: see pareto_slack
    (
        [1.0, 1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0],
        [1.0, 1.0, 0.5, 0.64453125, 0.5078125, 1.0, 0.9765625, 0.765625, 1.0],
        [0.0, 0.0, 1.0],
        [1.0, 1.0, 1.0],
        (3, 3),
    ),
    0.0,
)
def test_solutions_are_efficient_and_individually_rational(table: tuple, shift: float) -> None:
    ideal_flat, salience_flat, status_quo, weights, (p, k) = table
    ideal = np.array(ideal_flat).reshape(p, k)
    salience = np.array(salience_flat).reshape(p, k)
    d = package_utility(ideal, salience, status_quo) + shift
    for solution in (
        nash_bargaining(ideal, salience, d, weights),
        kalai_smorodinsky(ideal, salience, d),
    ):
        assert isinstance(solution, BargainingSolution)
        if not solution.agreement:
            # Nobody can be made better off than disagreement on every sampled point.
            rng = np.random.default_rng(0)
            samples = np.vstack([rng.random((2000, k)), ideal])
            gains = utilities_at(ideal, salience, samples) - d
            assert gains.min(axis=1).max() <= 1e-6
            continue
        assert np.all(np.isfinite(solution.point)) and np.all(np.isfinite(solution.utilities))
        assert np.all((solution.point >= 0) & (solution.point <= 1))
        assert np.all(solution.utilities > d)  # individually rational
        assert pareto_slack(ideal, salience, solution.utilities) <= 1e-6  # Pareto-efficient


@settings(max_examples=25, deadline=None)
@given(tables)
def test_nash_maximises_the_weighted_product(table: tuple) -> None:
    ideal_flat, salience_flat, status_quo, weights, (p, k) = table
    ideal = np.array(ideal_flat).reshape(p, k)
    salience = np.array(salience_flat).reshape(p, k)
    d = package_utility(ideal, salience, status_quo) - 0.1
    solution = nash_bargaining(ideal, salience, d, weights)
    assert solution.agreement  # the status quo itself gains 0.1 for everyone
    w = np.array(weights) / np.sum(weights)
    best = w @ np.log(solution.utilities - d)
    rng = np.random.default_rng(1)
    nearby = solution.point + 1e-4 * rng.normal(size=(200, k))
    samples = np.clip(np.vstack([rng.random((5000, k)), ideal, nearby]), 0, 1)
    gains = utilities_at(ideal, salience, samples) - d
    feasible = np.all(gains > 0, axis=1)
    assert np.all(np.log(gains[feasible]) @ w <= best + 1e-9)


@settings(max_examples=40, deadline=None)
@given(st.floats(0, 0.49), st.floats(0, 0.49), st.floats(0.05, 10), st.floats(0.05, 10))
def test_general_solutions_match_the_closed_forms_on_a_unit_split(
    d_a: float, d_b: float, w_a: float, w_b: float
) -> None:
    nash = nash_bargaining(UNIT_SPLIT, disagreement=[d_a, d_b], weights=[w_a, w_b])
    assert nash.point == pytest.approx([nash_split(d_a, d_b, w_a, w_b)], abs=1e-7)
    ks = kalai_smorodinsky(UNIT_SPLIT, disagreement=[d_a, d_b])
    assert ks.point == pytest.approx([kalai_smorodinsky_split(d_a, d_b)], abs=1e-7)
