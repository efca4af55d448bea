"""Tests of the default negotiation protocol, ``offers``, on hand-built tables.

Offers, acceptance and terms are checked against values computed by hand from the docstrings
of :mod:`lsr_sim.protocols.offers` and :mod:`lsr_sim.dynamics.negotiation`; multi-round talks
are run as the model runs them (``negotiate_package`` feeds back offers, aspirations and
concessions); hypothesis checks invariants on random tables.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any, ClassVar

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from protocol_helpers import floors, make_table, trust_discounted_value

import lsr_sim.protocols as protocols_module
from lsr_sim.protocols import (
    NegotiationProtocol,
    OffersProtocol,
    RoundResult,
    Table,
    get_protocol,
    protocol_names,
    register_protocol,
)
from lsr_sim.protocols.offers import observed_concession, opponent_targets
from lsr_sim.strategies import (
    NegotiatorObservation,
    Strategy,
    TimeBased,
    TitForTat,
    make_strategy,
)


@dataclass(frozen=True)
class Fixed(Strategy):
    """A scripted negotiator: always the same aspiration (not registered)."""

    level: float = 1.0
    name: ClassVar[str] = "fixed_test"
    description: ClassVar[str] = "Constant aspiration."

    def decide(self, obs: NegotiatorObservation) -> Any:
        return self.level + 0.0 * np.asarray(obs.time)


@dataclass(frozen=True)
class Rogue(Strategy):
    """A badly written strategy whose aspiration leaves [0, 1]."""

    level: float = 1.5
    name: ClassVar[str] = "rogue_test"

    def decide(self, obs: NegotiatorObservation) -> Any:
        return self.level


def rounds(table: Table) -> Iterator[tuple[Table, RoundResult]]:
    """Rounds of talks as the model holds them (see ``Model.negotiate_package``): each
    round's table and result, until agreement or the deadline."""
    protocol = get_protocol("offers")
    for round_ in range(table.deadline):
        result = protocol.negotiate(table)
        yield table, result
        if result.terms is not None:
            return
        table = replace(
            table,
            round=round_ + 1,
            previous_offers=result.offers,
            previous_aspiration=result.aspiration,
            previous_concession=result.concession,
        )


def run_talks(table: Table) -> list[RoundResult]:
    """The results of :func:`rounds`."""
    return [result for _, result in rounds(table)]


# -- first round ---------------------------------------------------------------------------------


class TestFirstRound:
    def test_opponent_targets_are_capability_weighted(self) -> None:
        ideal = np.array([[0.0, 1.0], [1.0, 0.0], [0.4, 0.4]])
        targets = opponent_targets(ideal, np.array([0.5, 1.0, 3.0]))
        # party 0: (1 * [1, 0] + 3 * [0.4, 0.4]) / 4; party 1: (0.5 * [0, 1] + 3 * [.4, .4]) / 3.5
        expected = [[0.55, 0.3], [1.2 / 3.5, 1.7 / 3.5], [2 / 3, 1 / 3]]
        np.testing.assert_allclose(targets, expected)

    def test_two_parties_target_each_other(self) -> None:
        ideal = np.array([[0.1, 0.9], [0.7, 0.2]])
        targets = opponent_targets(ideal, np.array([0.2, 0.9]))
        np.testing.assert_allclose(targets, ideal[::-1])

    def test_offers_by_hand(self) -> None:
        table = make_table(
            ideal=[[0.2, 0.6], [0.8, 0.0]],
            salience=[[0.75, 0.25], [0.4, 0.6]],
            capability=[1.0, 2.0],
            status_quo=[0.5, 0.5],
            strategies=[Fixed(0.8), Fixed(0.5)],
            reservation=0.0,  # no floor binds: the offers follow the aspirations
            trust=0.5,
        )
        result = get_protocol("offers").negotiate(table)
        # relative salience: A [1, 1/3], B [2/3, 1]; weight 1 - 0.5 (1 - rel): A [1, 2/3],
        # B [5/6, 1]. Offer x + (1 - a w)(t - x), target = the other's ideal:
        # A: 0.2 + 0.2 * 0.6 = 0.32;  0.6 + (1 - 0.8 * 2/3) * (0 - 0.6) = 0.32
        # B: 0.8 + (1 - 0.5 * 5/6) * (0.2 - 0.8) = 0.45;  0 + 0.5 * 0.6 = 0.3
        np.testing.assert_allclose(result.offers, [[0.32, 0.32], [0.45, 0.3]])
        np.testing.assert_allclose(result.aspiration, [0.8, 0.5])
        np.testing.assert_array_equal(result.concession, np.zeros((2, 2)))
        assert result.terms is None
        np.testing.assert_array_equal(result.value, [0.0, 0.0])

    def test_no_logrolling_concedes_evenly(self) -> None:
        table = make_table(
            ideal=[[0.2, 0.6], [0.8, 0.0]],
            salience=[[0.75, 0.25], [0.4, 0.6]],
            status_quo=[0.5, 0.5],
            strategies=[Fixed(0.8), Fixed(0.5)],
            reservation=0.0,
            logrolling=0.0,
        )
        result = get_protocol("offers").negotiate(table)
        # weight 1 everywhere: A 0.2 + 0.2 * 0.6, 0.6 - 0.2 * 0.6; B 0.8 - 0.5 * 0.6, 0.3
        np.testing.assert_allclose(result.offers, [[0.32, 0.48], [0.5, 0.3]])

    @pytest.mark.parametrize("name", ["linear", "boulware", "conceder"])
    def test_time_based_strategies_open_at_their_ideals(self, name: str) -> None:
        ideal = [[0.2, 0.6], [0.8, 0.0], [0.5, 0.5]]
        table = make_table(ideal, [make_strategy(name)] * 3, status_quo=[0.5, 0.5])
        result = get_protocol("offers").negotiate(table)
        np.testing.assert_allclose(result.offers, ideal)
        np.testing.assert_array_equal(result.aspiration, [1.0, 1.0, 1.0])

    def test_rogue_aspiration_is_clipped(self) -> None:
        table = make_table([[0.2], [0.8]], [Rogue(1.5), Rogue(-0.5)], status_quo=[0.0])
        result = get_protocol("offers").negotiate(table)
        # 1.5 is clipped to 1; -0.5 to 0, whose offer (A's ideal 0.2) is still worth
        # u(0.2) - u(0) = 0.2 >= 0 to B (status quo 0), so no floor binds.
        np.testing.assert_allclose(result.aspiration, [1.0, 0.0])
        np.testing.assert_allclose(result.offers, [[0.2], [0.2]])

    def test_nan_aspiration_is_an_error(self) -> None:
        table = make_table([[0.2], [0.8]], [Rogue(float("nan")), Fixed()], status_quo=[0.5])
        with pytest.raises(ValueError, match="returned aspiration nan"):
            get_protocol("offers").negotiate(table)


# -- acceptance ----------------------------------------------------------------------------------

# Both sides want to move away from the status quo 0 (ideals 0.6 and 1.0), so there is a deal
# to be had. Aspirations 0.2 and 0.4 make the offers cross: A offers 0.6 + 0.8 * 0.4 = 0.92,
# B offers 1.0 - 0.6 * 0.4 = 0.76. At full trust, the value of terms y is u(y) - u(0):
# A values 0.92 at 0.6 - 0.32 = 0.28 and 0.76 at 0.44; B values 0.92 at 0.92, 0.76 at 0.76.
CROSSING = {
    "ideal": [[0.6], [1.0]],
    "status_quo": [0.0],
    "strategies": [Fixed(0.2), Fixed(0.4)],
}


class TestAcceptance:
    def test_full_trust_crossing_offers_agree_on_their_mean(self) -> None:
        # Floors: A 0.4 * 0.6 = 0.24, B 0.4 * 1.0 = 0.4. Each accepts both offers (each is
        # above its floor and at least as good as its own), so the terms are their mean.
        table = make_table(**CROSSING, trust=1.0, reservation=0.4)
        result = get_protocol("offers").negotiate(table)
        np.testing.assert_allclose(result.offers, [[0.92], [0.76]])
        np.testing.assert_allclose(result.terms, [0.84])
        # A: 0.6 - 0.24 = 0.36; B: 0.84.
        np.testing.assert_allclose(result.value, [0.36, 0.84])

    def test_a_party_concedes_only_down_to_its_floor(self) -> None:
        # A's floor is now 0.5 * 0.6 = 0.3 > 0.28, the value of the offer its aspiration 0.2
        # gives: it offers instead the terms worth exactly 0.3 to it, 1 - (y - 0.6) - 0.4 = 0.3,
        # y = 0.9. Both offers are then accepted by both: terms (0.9 + 0.76) / 2 = 0.83.
        table = make_table(**CROSSING, trust=1.0, reservation=0.5)
        result = get_protocol("offers").negotiate(table)
        np.testing.assert_allclose(result.offers, [[0.9], [0.76]])
        np.testing.assert_allclose(result.aspiration, [0.25, 0.4])
        np.testing.assert_allclose(result.terms, [0.83])
        np.testing.assert_allclose(result.value, [0.37, 0.83])

    def test_no_party_agrees_below_its_reservation(self) -> None:
        # A at trust 0.4 values even its own ideal at 0.4 * 0.6 = 0.24 < its floor 0.3:
        # it can accept nothing, even though B accepts A's opening at A's ideal.
        table = make_table(
            ideal=[[0.6], [1.0]],
            status_quo=[0.0],
            strategies=[Fixed(1.0), Fixed(0.0)],
            trust=0.4,
            reservation=[0.5, 0.1],
        )
        result = get_protocol("offers").negotiate(table)
        np.testing.assert_allclose(result.offers, [[0.6], [0.6]])
        assert result.terms is None
        np.testing.assert_array_equal(result.value, [0.0, 0.0])

    def test_no_agreement_without_trust(self) -> None:
        # At trust 0 what a party gets counts for nothing and what it gives up in full:
        # no offer is worth more than 0, below any positive reservation.
        table = make_table(**CROSSING, trust=0.0, reservation=0.1)
        result = get_protocol("offers").negotiate(table)
        assert result.terms is None
        np.testing.assert_array_equal(result.value, [0.0, 0.0])

    @pytest.mark.parametrize("name", ["linear", "conceder", "tit_for_tat"])
    def test_no_agreement_without_trust_however_long_the_talks(self, name: str) -> None:
        strategy = make_strategy(name)
        table = make_table(
            [[0.3], [0.7]], [strategy, strategy], status_quo=[0.0], trust=0.0, reservation=0.05
        )
        results = run_talks(table)
        assert len(results) == table.deadline
        assert all(r.terms is None for r in results)
        # Nothing is worth proposing at trust 0: after the opening, both hold their offers.
        for r in results[1:]:
            np.testing.assert_array_equal(r.offers, results[0].offers)

    def test_agreement_needs_every_party(self) -> None:
        # A third party at 0 (status quo 0 too) gains nothing from any move up: it never accepts.
        table = make_table(
            ideal=[[0.6], [1.0], [0.0]],
            status_quo=[0.0],
            strategies=[Fixed(0.2), Fixed(0.4), Fixed(0.0)],
            reservation=0.1,
        )
        assert get_protocol("offers").negotiate(table).terms is None


class TestHoldingAnOffer:
    def test_a_party_never_proposes_what_it_would_refuse(self) -> None:
        # A (ideal 0.6, floor 0.5 * 0.6 = 0.3) would concede all the way to B's ideal 1.0,
        # worth 0.6 - 0.4 = 0.2 to it: it concedes only to the terms worth its floor, 0.9
        # (aspiration 0.25: 0.6 + 0.75 * 0.4 = 0.9).
        table = make_table(
            ideal=[[0.6], [1.0]],
            status_quo=[0.0],
            strategies=[Fixed(0.0), Fixed(1.0)],
            reservation=0.5,
            round=3,
            previous_offers=[[0.7], [0.9]],
            previous_aspiration=[0.75, 0.25],
        )
        result = get_protocol("offers").negotiate(table)
        np.testing.assert_allclose(result.offers, [[0.9], [1.0]])
        np.testing.assert_allclose(result.aspiration, [0.25, 1.0])
        # concession[i, j]: how far j moved toward i. A moved from 0.7 to 0.9, toward B: B's
        # utility rose by 0.2; B moved from 0.9 to 1.0, away from A: A's fell by 0.1.
        np.testing.assert_allclose(result.concession, [[0.0, -0.1], [0.2, 0.0]])
        assert result.terms is None

    def test_a_party_holds_its_offer_when_even_that_is_below_its_floor(self) -> None:
        # Trust fell to 0.4: A's previous offer 0.7 is now worth 0.4 * 0.5 = 0.2 < 0.3; no
        # aspiration up to its previous one reaches the floor, so it holds its offer.
        table = make_table(
            ideal=[[0.6], [1.0]],
            status_quo=[0.0],
            strategies=[Fixed(0.0), Fixed(1.0)],
            reservation=0.5,
            trust=0.4,
            round=3,
            previous_offers=[[0.7], [0.9]],
            previous_aspiration=[0.75, 0.25],
        )
        result = get_protocol("offers").negotiate(table)
        np.testing.assert_allclose(result.offers[0], [0.7])

    def test_in_the_first_round_there_is_nothing_to_hold(self) -> None:
        table = make_table(
            ideal=[[0.6], [1.0]],
            status_quo=[0.0],
            strategies=[Fixed(0.0), Fixed(1.0)],
            reservation=0.5,
        )
        result = get_protocol("offers").negotiate(table)
        # In the first round the previous aspiration is 1: A concedes only to its floor, 0.9.
        np.testing.assert_allclose(result.offers, [[0.9], [1.0]])
        # B prefers its own offer (its ideal) to A's; A values B's at 0.2 < 0.3: no agreement.
        assert result.terms is None


class TestConcession:
    def test_concession_is_movement_toward_each_party(self) -> None:
        table = make_table(
            ideal=[[0.3, 0.3], [0.7, 0.7]],
            salience=[[0.75, 0.25], [0.5, 0.5]],
            status_quo=[0.0, 0.0],
            strategies=[Fixed(0.5), Fixed(0.5)],
            logrolling=0.0,
            round=1,
            previous_offers=[[0.3, 0.3], [0.7, 0.7]],
        )
        result = get_protocol("offers").negotiate(table)
        np.testing.assert_allclose(result.offers, [[0.5, 0.5], [0.5, 0.5]])
        # Each moved 0.2 toward the other on both issues: salience-weighted, 0.2.
        np.testing.assert_allclose(result.concession, [[0.0, 0.2], [0.2, 0.0]])

    def test_strategies_see_concession_as_a_share_of_the_distance(self) -> None:
        # B moved 0.1 toward A, 0.4 away: a quarter of the way. Tit-for-tat mirrors that
        # quarter in aspiration: 0.9 - 0.25.
        table = make_table(
            ideal=[[0.3], [0.7]],
            status_quo=[0.0],
            strategies=[TitForTat(), Fixed(0.75)],
            round=2,
            previous_offers=[[0.34], [0.6]],
            previous_aspiration=[0.9, 0.75],
            previous_concession=[[0.0, 0.1], [0.0, 0.0]],
        )
        np.testing.assert_allclose(observed_concession(table), [0.25, 0.0])
        result = get_protocol("offers").negotiate(table)
        assert float(result.aspiration[0]) == pytest.approx(0.65)

    def test_observed_concession_averages_over_the_others(self) -> None:
        table = make_table(
            ideal=[[0.0], [1.0], [0.5], [0.0]],
            status_quo=[0.0],
            strategies=[Fixed()] * 4,
            round=1,
            previous_offers=[[0.0], [1.0], [0.5], [0.0]],
            previous_concession=np.array(
                [[0, 0.5, -0.1, 0.3], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]], float
            ),
        )
        # Party 0: 0.5 of 1.0, -0.1 of 0.5, and nothing from party 3, at its own ideal.
        assert float(observed_concession(table)[0]) == pytest.approx((0.5 - 0.2 + 0.0) / 3)


# -- talks over several rounds -------------------------------------------------------------------


def agreed(results: list[RoundResult]) -> np.ndarray:
    terms = results[-1].terms
    assert terms is not None, f"no agreement in {len(results)} rounds"
    return terms


class TestTalks:
    @pytest.mark.parametrize("status_quo", [0.0, 1.0])
    @pytest.mark.parametrize("boulware_at", [0.3, 0.7])
    def test_boulware_gets_more_than_conceder(self, status_quo: float, boulware_at: float) -> None:
        conceder_at = 1.0 - boulware_at
        table = make_table(
            ideal=[[boulware_at], [conceder_at]],
            status_quo=[status_quo],
            strategies=[make_strategy("boulware"), make_strategy("conceder")],
            reservation=0.1,
            deadline=26,
        )
        terms = float(agreed(run_talks(table))[0])
        assert abs(terms - boulware_at) < abs(terms - conceder_at)

    @pytest.mark.parametrize("deadline", [5, 10, 26])
    def test_equal_linear_strategies_meet_in_the_middle(self, deadline: int) -> None:
        linear = make_strategy("linear")
        table = make_table(
            [[0.3], [0.7]], [linear, linear], status_quo=[0.0], reservation=0.1, deadline=deadline
        )
        results = run_talks(table)
        assert abs(float(agreed(results)[0]) - 0.5) <= 0.05
        # Offers cross when aspirations reach 1/2: at half time.
        assert len(results) - 1 == pytest.approx(deadline / 2, abs=1)

    def test_the_model_feedback_is_what_tit_for_tat_sees(self) -> None:
        tft = TitForTat()
        table = make_table([[0.3], [0.7]], [tft, tft], status_quo=[0.0], deadline=26)
        results = run_talks(table)
        aspirations = [float(r.aspiration[0]) for r in results]
        # Open at 0.9; the opening is no concession (no previous offers), so forgive: 0.88;
        # then mirror the other side's 0.02 each round.
        np.testing.assert_allclose(aspirations[:4], [0.9, 0.88, 0.86, 0.84])
        assert float(agreed(results)[0]) == pytest.approx(0.5)

    def test_high_trust_agrees_where_low_trust_does_not(self) -> None:
        linear = make_strategy("linear")
        high, low = (
            make_table([[0.3], [0.7]], [linear, linear], [0.0], reservation=0.3, trust=t)
            for t in (1.0, 0.2)
        )
        assert run_talks(high)[-1].terms is not None
        assert all(r.terms is None for r in run_talks(low))


OPPOSITE_PRIORITIES = {
    "ideal": [[0.2, 0.2], [0.8, 0.8]],
    "salience": [[0.8, 0.2], [0.2, 0.8]],
    "status_quo": [0.5, 0.5],
    "reservation": 0.1,
    "deadline": 26,
}


class TestPackageDeals:
    @pytest.mark.parametrize("logrolling", [0.5, 1.0])
    @pytest.mark.parametrize("name", ["linear", "tit_for_tat"])
    def test_each_side_gets_more_on_what_it_cares_about(self, name: str, logrolling: float):
        strategy = make_strategy(name)
        table = make_table(**OPPOSITE_PRIORITIES, strategies=[strategy] * 2, logrolling=logrolling)
        terms = agreed(run_talks(table))
        # A (ideal 0.2) cares about issue 0, B (ideal 0.8) about issue 1.
        assert abs(terms[0] - 0.2) < abs(terms[1] - 0.2)
        assert abs(terms[1] - 0.8) < abs(terms[0] - 0.8)
        assert terms[0] < 0.5 < terms[1]

    def test_more_logrolling_a_better_trade(self) -> None:
        linear = make_strategy("linear")
        some, full = (
            agreed(
                run_talks(make_table(**OPPOSITE_PRIORITIES, strategies=[linear] * 2, logrolling=x))
            )
            for x in (0.5, 1.0)
        )
        assert some[0] > full[0] and some[1] < full[1]

    def test_without_logrolling_no_package_deal(self) -> None:
        # Conceding evenly on both issues, the offers cross only at the status quo itself,
        # worth nothing to either side: below any positive reservation.
        linear = make_strategy("linear")
        table = make_table(**OPPOSITE_PRIORITIES, strategies=[linear] * 2, logrolling=0.0)
        assert all(r.terms is None for r in run_talks(table))

    def test_two_conceders_agree_on_a_package(self) -> None:
        conceder = make_strategy("conceder")
        table = make_table(**OPPOSITE_PRIORITIES, strategies=[conceder] * 2, logrolling=0.5)
        agreed(run_talks(table))


# -- invariants on random tables ---------------------------------------------------------------

STRATEGY_POOL = (
    make_strategy("linear"),
    make_strategy("boulware"),
    make_strategy("conceder"),
    make_strategy("tit_for_tat"),
    TitForTat(step=0.3, mirror=0.5, forgiveness=1.0, floor=0.2),
    TimeBased(exponent=2.0, floor=0.3),
    Fixed(0.0),
    Fixed(0.5),
)

unit = st.floats(0.0, 1.0, allow_nan=False)


@st.composite
def tables(draw: st.DrawFn, first_round: bool = True) -> Table:
    """A random valid table: 2-4 parties, 1-3 issues."""
    p = draw(st.integers(2, 4))
    k = draw(st.integers(1, 3))

    def matrix(rows: int, cols: int, elements: st.SearchStrategy[float]) -> np.ndarray:
        row = st.lists(elements, min_size=cols, max_size=cols)
        return np.array(draw(st.lists(row, min_size=rows, max_size=rows)), dtype=float)

    salience = matrix(p, k, st.floats(0.01, 1.0))
    salience /= salience.sum(axis=1, keepdims=True)
    trust = matrix(p, p, unit)
    np.fill_diagonal(trust, 1.0)
    deadline = draw(st.integers(1, 30))
    if first_round:
        previous, aspiration, concession, round_ = None, np.ones(p), np.zeros((p, p)), 0
    else:
        previous = matrix(p, k, unit)
        aspiration = matrix(1, p, unit)[0]
        concession = matrix(p, p, st.floats(-1.0, 1.0)) * (1 - np.eye(p))
        round_ = draw(st.integers(1, 40))
    return Table(
        ideal=matrix(p, k, unit),
        salience=salience,
        status_quo=matrix(1, k, unit)[0],
        capability=matrix(1, p, st.floats(0.05, 1.0))[0],
        reservation=matrix(1, p, unit)[0],
        trust=trust,
        strategies=tuple(draw(st.sampled_from(STRATEGY_POOL)) for _ in range(p)),
        round=round_,
        deadline=deadline,
        previous_offers=previous,
        previous_aspiration=aspiration,
        previous_concession=concession,
        logrolling=draw(unit),
    )


def check_round(table: Table, result: RoundResult) -> None:
    p, k = table.ideal.shape
    assert result.offers.shape == (p, k)
    assert result.aspiration.shape == (p,)
    assert result.concession.shape == (p, p)
    assert result.value.shape == (p,)
    for array in (result.offers, result.aspiration, result.concession, result.value):
        assert np.all(np.isfinite(array))
    assert np.all((result.offers >= 0) & (result.offers <= 1))
    assert np.all((result.aspiration >= 0) & (result.aspiration <= 1))
    np.testing.assert_array_equal(np.diagonal(result.concession), 0.0)
    if table.previous_offers is None:
        np.testing.assert_array_equal(result.concession, 0.0)
    if result.terms is None:
        np.testing.assert_array_equal(result.value, 0.0)
    else:
        assert result.terms.shape == (k,)
        assert np.all(np.isfinite(result.terms))
        np.testing.assert_allclose(
            result.value, trust_discounted_value(table, result.terms), atol=1e-12
        )
        # Nobody agrees to terms worth less to it than its reservation.
        assert np.all(result.value >= floors(table) - 1e-9)


@settings(max_examples=80, deadline=None)
@given(table=tables())
def test_talks_keep_their_invariants(table: Table) -> None:
    targets = opponent_targets(table.ideal, table.capability)
    low = np.minimum(table.ideal, targets) - 1e-9
    high = np.maximum(table.ideal, targets) + 1e-9
    for held, result in rounds(table):
        check_round(held, result)
        # Each offer lies between the party's ideal and its opponents' mean ideal.
        assert np.all((result.offers >= low) & (result.offers <= high))
    terms = result.terms
    if terms is not None:
        assert np.all(terms >= table.ideal.min(axis=0) - 1e-9)
        assert np.all(terms <= table.ideal.max(axis=0) + 1e-9)


@settings(max_examples=80, deadline=None)
@given(table=st.one_of(tables(first_round=True), tables(first_round=False)))
def test_one_round_keeps_its_invariants_and_is_deterministic(table: Table) -> None:
    first = get_protocol("offers").negotiate(table)
    check_round(table, first)
    second = OffersProtocol().negotiate(table)
    for a, b in zip(
        (first.offers, first.aspiration, first.concession, first.value),
        (second.offers, second.aspiration, second.concession, second.value),
        strict=True,
    ):
        np.testing.assert_array_equal(a, b)
    assert (first.terms is None) == (second.terms is None)
    if first.terms is not None:
        np.testing.assert_array_equal(first.terms, second.terms)


@settings(max_examples=50, deadline=None)
@given(table=tables())
def test_no_agreement_when_trust_is_below_every_reservation(table: Table) -> None:
    # Trust below a party's reservation share: even its own ideal falls short of its floor.
    p = len(table.capability)
    reservation = np.full(p, 0.6)
    trust = np.minimum(table.trust, 0.5)
    np.fill_diagonal(trust, 1.0)
    table = replace(table, reservation=reservation, trust=trust)
    if np.any(floors(table) <= 1e-9):
        return  # a party whose ideal is the status quo has nothing to lose by agreeing
    assert all(r.terms is None for r in run_talks(table))


# -- registry ------------------------------------------------------------------------------------


@pytest.fixture
def restore_protocols() -> Iterator[None]:
    saved = dict(protocols_module._REGISTRY)
    yield
    protocols_module._REGISTRY.clear()
    protocols_module._REGISTRY.update(saved)


class TestRegistry:
    def test_offers_is_the_default(self) -> None:
        assert "offers" in protocol_names()
        protocol = get_protocol("offers")
        assert isinstance(protocol, OffersProtocol)
        assert protocol.description
        assert get_protocol("offers") is not protocol  # a new instance each time

    def test_unknown_protocol(self) -> None:
        with pytest.raises(KeyError):
            get_protocol("auction")

    def test_register_a_protocol(self, restore_protocols: None) -> None:
        @register_protocol
        class SplitTheDifference(NegotiationProtocol):
            name: ClassVar[str] = "split_test"
            description: ClassVar[str] = "Agree on the mean ideal at once."

            def negotiate(self, table: Table) -> RoundResult:
                p = len(table.capability)
                terms = table.ideal.mean(axis=0)
                return RoundResult(table.ideal, np.ones(p), np.zeros((p, p)), terms, np.zeros(p))

        assert "split_test" in protocol_names()
        table = make_table([[0.2], [0.6]], [Fixed(), Fixed()], status_quo=[0.0])
        np.testing.assert_allclose(get_protocol("split_test").negotiate(table).terms, [0.4])
        register_protocol(SplitTheDifference)  # the same class again is harmless

    def test_duplicate_name(self, restore_protocols: None) -> None:
        class Impostor(OffersProtocol):
            name: ClassVar[str] = "offers"

        with pytest.raises(ValueError, match="already registered"):
            register_protocol(Impostor)
        assert isinstance(get_protocol("offers"), OffersProtocol)
        assert type(get_protocol("offers")) is OffersProtocol

    def test_needs_a_name_and_the_base_class(self, restore_protocols: None) -> None:
        class Nameless(NegotiationProtocol):
            pass

        class NotAProtocol:
            name = "not_a_protocol"

        for cls in (Nameless, NotAProtocol):
            with pytest.raises(ValueError, match="must subclass NegotiationProtocol"):
                register_protocol(cls)  # type: ignore[arg-type]
        assert "not_a_protocol" not in protocol_names()

    def test_registry_restored(self) -> None:
        from lsr_sim.protocols.classic import CLASSIC_PROTOCOLS

        assert protocol_names() == ["offers", *(cls.name for cls in CLASSIC_PROTOCOLS)]
