"""Time-based concession (Faratin, Sierra and Jennings 1998): two tactics bargain to a deadline.

On a unit split (A's ideal 1, B's 0) the terms are A's share; a side with aspiration a asks
for terms worth a to itself.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lsr_sim.classic.concession as concession_module
from lsr_sim.classic.concession import time_based_negotiation
from lsr_sim.strategies import Boulware, Conceder, Linear, TimeBased
from lsr_sim.strategies.concession import time_based_aspiration


def test_the_aspiration_rule_is_the_strategies_own() -> None:
    # One formula in the library: a(t) = r + (1 - r)(1 - t^e).
    assert concession_module.time_based_aspiration is time_based_aspiration
    assert time_based_aspiration(0.5, 2.0) == pytest.approx(0.75)
    assert time_based_aspiration(0.5, 2.0, 0.2) == pytest.approx(0.2 + 0.8 * 0.75)


def test_two_linear_sides_as_a_script() -> None:
    # Deadline 5: rounds at t = 0, 0.25, 0.5, ...; a(t) = 1 - t for both.
    talks = time_based_negotiation(1.0, 1.0, deadline=5)
    history = talks.history
    # Round 0, A asks for everything; B would itself ask 0.75 next, and 0 < 0.75: rejected.
    # Round 1, B asks 0.75 for itself (A's share 0.25); A would ask 0.5 next: rejected.
    # Round 2, A asks 0.5; worth 0.5 to B, who would ask 0.25 next: accepted.
    assert list(history["proposer"]) == ["a", "b", "a"]
    assert list(history["time"]) == pytest.approx([0.0, 0.25, 0.5])
    assert list(history["offer"]) == pytest.approx([1.0, 0.25, 0.5])
    assert list(history["receiver_asks"]) == pytest.approx([0.75, 0.5, 0.25])
    assert list(history["accepted"]) == [False, False, True]
    assert talks.agreement and talks.round == 2 and talks.proposer == "a"
    assert talks.point == pytest.approx(0.5)
    assert (talks.utility_a, talks.utility_b) == pytest.approx((0.5, 0.5))


def test_two_linear_sides_split_evenly_with_an_odd_deadline() -> None:
    # Deadline 11 (t in tenths): B's offer in round 5 asks 0.5; A would ask 0.4 next: accepted.
    talks = time_based_negotiation("linear", "linear", deadline=11)
    assert talks.round == 5 and talks.proposer == "b"
    assert talks.point == pytest.approx(0.5)


@pytest.mark.parametrize("exponent", [0.25, 0.5, 1.0, 2.0, 4.0])
@pytest.mark.parametrize("deadline", [20, 50, 101])
def test_equal_strategies_meet_near_the_middle(exponent: float, deadline: int) -> None:
    a_first = time_based_negotiation(exponent, exponent, deadline=deadline, first="a")
    b_first = time_based_negotiation(exponent, exponent, deadline=deadline, first="b")
    assert a_first.agreement
    assert abs(a_first.point - 0.5) <= 0.05
    # Who opens only mirrors the split: the game is symmetric.
    assert a_first.point + b_first.point == pytest.approx(1.0)
    assert a_first.round == b_first.round


def test_equal_strategies_meet_nearer_the_middle_as_rounds_get_finer() -> None:
    gaps = [abs(time_based_negotiation(1.0, 1.0, deadline=n).point - 0.5) for n in (10, 20, 40, 80)]
    assert gaps == pytest.approx([1 / 18, 1 / 38, 1 / 78, 1 / 158])  # half a round's concession


@pytest.mark.parametrize("first", ["a", "b"])
@pytest.mark.parametrize(
    ("tough", "soft"),
    [
        (Boulware(), Conceder()),
        (Boulware(), Linear()),
        (Linear(), Conceder()),
        (TimeBased(exponent=8.0), TimeBased(exponent=0.5)),
    ],
)
def test_against_a_conceder_the_tougher_side_gets_the_larger_share(
    tough: TimeBased, soft: TimeBased, first: str
) -> None:
    as_a = time_based_negotiation(tough, soft, first=first)
    as_b = time_based_negotiation(soft, tough, first=first)
    assert as_a.utility_a > 0.6 > as_a.utility_b
    assert as_b.utility_b > 0.6 > as_b.utility_a


def test_boulware_against_conceder_by_hand() -> None:
    # a_B(t) = 1 - t^0.25 (conceder), a_A(t) = 1 - t^4 (Boulware), 20 rounds, t = n / 19.
    # B proposes in odd rounds; in round 11 B asks (11/19)^0.25 less than all: A's share is
    # (11/19)^0.25 = 0.8723, and A would ask 1 - (12/19)^4 = 0.8409 next, so A accepts.
    # In round 9, B's offer (9/19)^0.25 = 0.8296 fell short of A's 1 - (10/19)^4 = 0.9233.
    talks = time_based_negotiation("boulware", "conceder", deadline=20)
    assert talks.round == 11 and talks.proposer == "b"
    assert talks.point == pytest.approx((11 / 19) ** 0.25)
    assert talks.history["receiver_asks"].iloc[-1] == pytest.approx(1 - (12 / 19) ** 4)
    assert talks.history["offer"].iloc[9] == pytest.approx((9 / 19) ** 0.25)
    assert talks.history["receiver_asks"].iloc[9] == pytest.approx(1 - (10 / 19) ** 4)


def test_reservation_values_that_leave_no_surplus_end_without_agreement() -> None:
    talks = time_based_negotiation(Linear(floor=0.6), Linear(floor=0.6), deadline=10)
    assert not talks.agreement
    assert talks.point is None and talks.round is None and talks.proposer is None
    assert len(talks.history) == 10 and not talks.history["accepted"].any()
    # At the deadline each still asks its reservation value: 0.6 each, more than the unit.
    assert talks.history["receiver_asks"].iloc[-1] == pytest.approx(0.6)


def test_reservation_values_are_respected_when_there_is_a_deal() -> None:
    talks = time_based_negotiation(Boulware(floor=0.3), Conceder(floor=0.45), deadline=30)
    assert talks.agreement
    assert talks.utility_a >= 0.3 and talks.utility_b >= 0.45


def test_one_issue_with_ideal_points_inside_the_scale() -> None:
    # Ideals 0.2 and 0.8: linear sides meet halfway, at 0.5; utilities measured on [0.2, 0.8].
    talks = time_based_negotiation(1.0, 1.0, deadline=11, ideal_a=0.2, ideal_b=0.8)
    assert talks.point == pytest.approx(0.5)
    assert (talks.utility_a, talks.utility_b) == pytest.approx((0.5, 0.5))
    same = time_based_negotiation(1.0, 1.0, ideal_a=0.4, ideal_b=0.4)
    assert same.agreement and same.round == 0 and same.point == pytest.approx(0.4)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"a": "tit_for_tat", "b": 1.0}, "not a time-based strategy"),
        ({"a": 1.0, "b": 1.0, "deadline": 1}, "deadline must be an integer >= 2"),
        ({"a": 1.0, "b": 1.0, "first": "c"}, "first must be"),
        ({"a": -1.0, "b": 1.0}, "exponent must be finite and > 0"),
        ({"a": None, "b": 1.0}, "expected an exponent"),
        ({"a": 1.0, "b": 1.0, "ideal_a": float("nan")}, "ideal_a must be finite"),
    ],
)
def test_bad_input_is_refused_clearly(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        time_based_negotiation(**kwargs)


@settings(max_examples=150, deadline=None)
@given(
    st.floats(0.05, 20),
    st.floats(0.05, 20),
    st.floats(0, 0.6),
    st.floats(0, 0.6),
    st.integers(2, 80),
    st.floats(0, 1),
    st.floats(0, 1),
    st.sampled_from(["a", "b"]),
)
def test_any_negotiation_follows_the_acceptance_rule(
    e_a: float,
    e_b: float,
    r_a: float,
    r_b: float,
    deadline: int,
    ideal_a: float,
    ideal_b: float,
    first: str,
) -> None:
    talks = time_based_negotiation(
        TimeBased(exponent=e_a, floor=r_a),
        TimeBased(exponent=e_b, floor=r_b),
        deadline=deadline,
        ideal_a=ideal_a,
        ideal_b=ideal_b,
        first=first,
    )
    history = talks.history
    assert not history.isna().any().any()
    low, high = min(ideal_a, ideal_b), max(ideal_a, ideal_b)
    assert history["offer"].between(low - 1e-12, high + 1e-12).all()
    # offers alternate, starting with `first`
    expected = [first, "b" if first == "a" else "a"] * deadline
    assert list(history["proposer"]) == expected[: len(history)]
    # every rejected offer was worth less to the receiver than what it would ask next
    receiver_value = np.where(
        history["proposer"] == "a", history["utility_b"], history["utility_a"]
    )
    rejected = ~history["accepted"].to_numpy()
    assert np.all(receiver_value[rejected] < history["receiver_asks"].to_numpy()[rejected])
    if talks.agreement:
        assert history["accepted"].iloc[-1] and history["accepted"].sum() == 1
        assert talks.utility_a >= r_a - 1e-9 and talks.utility_b >= r_b - 1e-9
    else:
        assert len(history) == deadline
        if ideal_a != ideal_b:
            assert r_a + r_b > 1 - 1e-9  # only when the reservations leave nothing to share
