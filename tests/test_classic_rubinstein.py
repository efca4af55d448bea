"""Rubinstein (1982) alternating offers: the closed form, and the game by backward induction."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lsr_sim.classic.rubinstein import alternating_offers, rubinstein_share

# (d1, d2, first proposer's share), computed by hand from (1 - d2) / (1 - d1 d2)
HAND_COMPUTED = [
    (0.9, 0.9, 1 / 1.9),  # 0.1 / 0.19
    (0.9, 0.5, 0.5 / 0.55),
    (0.5, 0.9, 0.1 / 0.55),
    (0.8, 0.6, 0.4 / 0.52),
    (0.5, 0.5, 2 / 3),  # 0.5 / 0.75
    (0.0, 0.7, 0.3),  # an impatient proposer still gets what the responder would lose
    (0.7, 0.0, 1.0),  # an impatient responder takes anything now
    (1.0, 0.5, 1.0),
    (0.5, 1.0, 0.0),
]

GRID = [0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 0.95, 0.99]


@pytest.mark.parametrize(("d1", "d2", "share"), HAND_COMPUTED)
def test_closed_form_matches_hand_computed_shares(d1: float, d2: float, share: float) -> None:
    assert rubinstein_share(d1, d2) == pytest.approx(share, abs=1e-12)


@pytest.mark.parametrize(("d1", "d2"), list(itertools.product(GRID, GRID)))
def test_the_played_game_converges_to_the_closed_form(d1: float, d2: float) -> None:
    limit = (1 - d2) / (1 - d1 * d2)
    assert rubinstein_share(d1, d2) == pytest.approx(limit, abs=1e-12)
    # The error shrinks by d1 * d2 every two rounds: 0.99^2 = 0.98, and 0.98^1500 < 1e-13.
    assert alternating_offers(d1, d2, 3001).share == pytest.approx(limit, abs=1e-10)
    assert alternating_offers(d1, d2, 3000).share == pytest.approx(limit, abs=1e-10)


def test_finite_horizons_bracket_the_limit_from_both_sides() -> None:
    # Odd horizons: player 1 proposes last and takes all, so it gets more than in the limit;
    # even horizons: player 2 does, so player 1 gets less.
    d1, d2 = 0.9, 0.8
    limit = rubinstein_share(d1, d2)
    gaps = [alternating_offers(d1, d2, horizon).share - limit for horizon in range(1, 60)]
    for horizon, gap in enumerate(gaps, start=1):
        assert (gap > 0) if horizon % 2 else (gap < 0)
    # two more rounds shrink the gap by the factor d1 * d2
    for shorter, longer in zip(gaps, gaps[2:], strict=False):
        assert longer == pytest.approx(d1 * d2 * shorter, rel=1e-9)


def test_a_three_round_game_as_a_script() -> None:
    # Round 2: player 1 proposes last and takes everything.
    # Round 1: player 2 must leave player 1 what 1 gets by waiting: 0.9 * 1, so keeps 0.1.
    # Round 0: player 1 must leave player 2 what 2 gets by waiting: 0.8 * 0.1 = 0.08.
    game = alternating_offers(0.9, 0.8, 3)
    assert list(game.rounds["proposer"]) == [1, 2, 1]
    assert list(game.rounds["proposer_share"]) == pytest.approx([0.92, 0.1, 1.0])
    assert list(game.rounds["share_1"]) == pytest.approx([0.92, 0.9, 1.0])
    assert list(game.rounds["accepted"]) == [True, False, False]
    assert game.share == pytest.approx(0.92)
    assert game.round == 0  # agreement is immediate


def test_an_ultimatum_gives_the_proposer_everything() -> None:
    assert alternating_offers(0.5, 0.5, 1).share == 1.0


def test_equal_patience_gives_one_over_one_plus_d_and_tends_to_a_half() -> None:
    shares = [rubinstein_share(d, d) for d in (0.5, 0.9, 0.99, 0.999, 0.9999)]
    assert shares == pytest.approx([1 / 1.5, 1 / 1.9, 1 / 1.99, 1 / 1.999, 1 / 1.9999])
    assert all(a > b > 0.5 for a, b in itertools.pairwise(shares))  # first-mover edge shrinks
    assert shares[-1] - 0.5 < 1e-4  # tends to the Nash split 1/2


def test_the_more_patient_side_gets_more() -> None:
    assert rubinstein_share(0.95, 0.5) > rubinstein_share(0.5, 0.5) > rubinstein_share(0.5, 0.95)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: rubinstein_share(1.2, 0.5), "d1 must be in"),
        (lambda: rubinstein_share(0.5, -0.1), "d2 must be in"),
        (lambda: rubinstein_share(1.0, 1.0), "every split is an equilibrium"),
        (lambda: alternating_offers(0.9, 0.9, 0), "horizon must be an integer >= 1"),
        (lambda: alternating_offers(0.9, 0.9, 2.5), "horizon must be an integer >= 1"),
    ],
)
def test_bad_input_is_refused_clearly(call, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


@settings(max_examples=200, deadline=None)
@given(st.floats(0, 1), st.floats(0, 1), st.integers(1, 400))
def test_any_game_splits_the_unit_within_the_convergence_bound(
    d1: float, d2: float, horizon: int
) -> None:
    game = alternating_offers(d1, d2, horizon)
    assert 0.0 <= game.share <= 1.0
    assert game.rounds.notna().all().all()
    assert ((game.rounds["proposer_share"] >= 0) & (game.rounds["proposer_share"] <= 1)).all()
    if d1 * d2 < 1:
        gap = abs(game.share - rubinstein_share(d1, d2))
        assert gap <= (d1 * d2) ** ((horizon - 1) // 2) + 1e-12
