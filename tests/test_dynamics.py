"""Rule functions against hand-computed tables, and their behaviour over a run axis."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from lsr_sim import dynamics as d
from lsr_sim.dynamics import compiled as compiled_rules
from lsr_sim.dynamics.status import (
    AGREED,
    ALLOWED,
    COLLAPSED,
    IMPLEMENTED,
    IMPLEMENTING,
    ON_TABLE,
    OPEN,
)

unit = st.floats(0.0, 1.0, allow_nan=False)


# -- trust ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("trust", "signal", "expected"),
    [
        # T + 0.1 * s * (1 - T) for s > 0; T + 0.3 * s * T for s < 0
        (0.5, 1.0, 0.55),
        (0.5, -1.0, 0.35),
        (0.2, 0.5, 0.24),
        (0.2, -0.5, 0.17),
        (0.0, -1.0, 0.0),
        (1.0, 1.0, 1.0),
        (0.4, 0.0, 0.4),
    ],
)
def test_update_trust_table(trust: float, signal: float, expected: float) -> None:
    assert d.update_trust(np.array(trust), np.array(signal), 0.1, 0.3) == pytest.approx(expected)


def test_trust_is_lost_faster_than_gained() -> None:
    up = d.update_trust(np.array(0.5), np.array(0.5), 0.1, 0.3) - 0.5
    down = 0.5 - d.update_trust(np.array(0.5), np.array(-0.5), 0.1, 0.3)
    assert down > up > 0


@pytest.mark.parametrize(
    ("actions", "rhetoric", "expected"),
    [(0.5, 0.0, 0.5), (0.0, 0.5, 0.075), (1.0, 1.0, 1.0), (-0.2, 0.4, -0.14), (0.0, -2.0, -0.3)],
)
def test_trust_signal_table(actions: float, rhetoric: float, expected: float) -> None:
    got = d.trust_signal(np.array(actions), np.array(rhetoric), 1.0, 0.15)
    assert got == pytest.approx(expected)


def test_deeds_count_more_than_words() -> None:
    deed = d.trust_signal(np.array(0.5), np.array(0.0), 1.0, 0.15)
    word = d.trust_signal(np.array(0.0), np.array(0.5), 1.0, 0.15)
    assert deed > word


def test_decay_toward_baseline() -> None:
    got = d.decay_toward(np.array([0.9, 0.1, 0.5]), np.array([0.5, 0.5, 0.5]), 0.25)
    np.testing.assert_allclose(got, [0.8, 0.2, 0.5])


def test_vouching_hand_computed() -> None:
    # Mediator 2 links to 0 (weight 1) and 1 (weight 0.5). T[0,1] moves toward T[2,1]:
    # 0.2 + 0.5 * (1 * 0.5) * T[0,2]=0.8 * (0.9 - 0.2) = 0.2 + 0.5 * 0.4 * 0.7 = 0.34
    trust = np.array([[1.0, 0.2, 0.8], [0.3, 1.0, 0.6], [0.9, 0.9, 1.0]])
    mediation = np.zeros((3, 3))
    mediation[2, 0], mediation[2, 1] = 1.0, 0.5
    got = d.vouch(trust, mediation, 0.5)
    assert got[0, 1] == pytest.approx(0.34)
    # T[1,0]: 0.3 + 0.5 * (0.5 * 1) * 0.6 * (0.9 - 0.3) = 0.39
    assert got[1, 0] == pytest.approx(0.39)
    # Nobody vouches to or for the mediator itself; the diagonal never moves.
    np.testing.assert_array_equal(got[:, 2], trust[:, 2])
    np.testing.assert_array_equal(got[2], trust[2])
    np.testing.assert_array_equal(np.diagonal(got), 1.0)


def test_vouching_without_mediators_changes_nothing() -> None:
    trust = np.array([[1.0, 0.2], [0.7, 1.0]])
    np.testing.assert_array_equal(d.vouch(trust, np.zeros((2, 2)), 0.5), trust)


def test_shock_clips() -> None:
    trust = np.array([[1.0, 0.95], [0.05, 1.0]])
    mask = np.array([[False, True], [True, False]])
    np.testing.assert_allclose(d.shock(trust, mask, 0.1), [[1.0, 1.0], [0.15, 1.0]])
    np.testing.assert_allclose(d.shock(trust, mask, -0.1), [[1.0, 0.85], [0.0, 1.0]])


# -- mediation -----------------------------------------------------------------------------
def test_convening_probability_table() -> None:
    # hazard = 0.5 * 1 * 0.8 * 0.7 * 0.6 * (1 + 0.5 * 0.4) = 0.2016
    p = d.convening_probability(0.7, 0.6, 0.4, 0.8, 1.0, 0.5, 0.5)
    assert p == pytest.approx(1 - np.exp(-0.2016))


@pytest.mark.parametrize("which", ["capability", "trust", "support", "reach", "effort"])
def test_convening_grows_with_each_input(which: str) -> None:
    base = {"capability": 0.5, "trust": 0.5, "support": 0.5, "reach": 0.5, "effort": 0.5}
    more = {**base, which: 0.9}

    def p(x: dict[str, float]) -> float:
        return float(
            d.convening_probability(
                x["capability"], x["trust"], x["support"], x["reach"], x["effort"], 1.0, 0.5
            )
        )

    assert p(more) > p(base)


def test_backer_support_caps_at_one() -> None:
    patronage = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    full = np.ones((3, 3))
    got = d.backer_support(patronage, np.array([0.8, 0.0, 0.7]), full)
    np.testing.assert_allclose(got, [0.0, 1.0, 0.0])


def test_backer_support_counts_as_far_as_the_patron_is_trusted() -> None:
    # Actor 1 gets 0.8 * 1.0 from actor 0, trusted 0.5, and 0.7 * 1.0 from actor 2, trusted
    # 0.2: 0.4 + 0.14 = 0.54. Nobody patronises actors 0 and 2.
    patronage = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    trust = np.array([[1.0, 0.5, 0.5], [0.5, 1.0, 0.2], [0.5, 0.5, 1.0]])
    got = d.backer_support(patronage, np.array([0.8, 0.0, 0.7]), trust)
    np.testing.assert_allclose(got, [0.0, 0.54, 0.0])


# -- trust as a belief about reliability (the evidence model) ------------------------------------
@pytest.mark.parametrize(
    ("prior", "weight", "kept", "broken", "expected"),
    [
        (0.2, 2.0, 0.0, 0.0, 0.2),  # no evidence: the initial trust
        (0.2, 2.0, 8.0, 2.0, (0.4 + 8.0) / 12.0),
        (0.5, 1.0, 0.0, 3.0, 0.5 / 4.0),
        (0.9, 10.0, 1.0, 0.0, 10.0 / 11.0),  # a strong prior moves little
    ],
)
def test_reliability_belief_table(prior, weight, kept, broken, expected) -> None:
    assert d.reliability_belief(prior, weight, kept, broken) == pytest.approx(expected)


@settings(max_examples=100, deadline=None)
@given(
    prior=st.floats(0.01, 0.99),
    weight=st.floats(0.1, 20.0),
    share=st.floats(0.0, 1.0),
)
def test_belief_converges_to_the_kept_share(prior, weight, share) -> None:
    # With forgetting memory m and a steady stream of evidence (share kept), the evidence
    # converges to stream / (1 - m) and the belief to (W T0 + k) / (W + k + b).
    kept = broken = 0.0
    for _ in range(2000):
        kept = 0.99 * kept + share
        broken = 0.99 * broken + (1.0 - share)
    belief = d.reliability_belief(prior, weight, kept, broken)
    assert belief == pytest.approx((weight * prior + 100 * share) / (weight + 100), rel=1e-6)
    # and the more evidence, the closer to the kept share
    assert abs(belief - share) <= abs(prior - share) + 1e-12


@pytest.mark.parametrize("delta", [-0.3, -0.05, 0.05, 0.3])
def test_a_shock_is_evidence_that_moves_the_belief_by_delta(delta: float) -> None:
    kept, broken = d.evidence_for_shift(0.4, 2.0, 1.0, 0.5, delta)
    before = d.reliability_belief(0.4, 2.0, 1.0, 0.5)
    after = d.reliability_belief(0.4, 2.0, kept, broken)
    assert after - before == pytest.approx(delta)
    # a fall adds broken evidence only, a rise kept evidence only
    assert (kept == 1.0) == (delta < 0) and (broken == 0.5) == (delta > 0)


def test_a_shock_beyond_the_scale_stops_short_of_certainty() -> None:
    kept, broken = d.evidence_for_shift(0.1, 2.0, 0.0, 0.0, -0.5)
    assert d.reliability_belief(0.1, 2.0, kept, broken) == pytest.approx(0.001)


def test_vouch_evidence_hand_computed() -> None:
    # One mediator (2) linked to 0 and 1 with weights 1 and 0.5; T[0,2] = 0.8, T[2,1] = 0.6:
    # 0 gets kept 0.5 * 1 * 0.5 * 0.8 * 0.6 = 0.12 and broken 0.5 * 0.4 * 0.4 = 0.08 about 1.
    trust = np.array([[1.0, 0.2, 0.8], [0.3, 1.0, 0.9], [0.7, 0.6, 1.0]])
    mediation = np.zeros((3, 3))
    mediation[2, 0], mediation[2, 1] = 1.0, 0.5
    kept, broken = d.vouch_evidence(trust, mediation, 0.5)
    assert kept[0, 1] == pytest.approx(0.12) and broken[0, 1] == pytest.approx(0.08)
    # 1 about 0: 0.5 * 0.5 * 1 * T[1,2] 0.9 * T[2,0] 0.7 and 0.5 * 0.5 * 0.9 * 0.3
    assert kept[1, 0] == pytest.approx(0.1575) and broken[1, 0] == pytest.approx(0.0675)
    # nobody vouches to or for the mediator itself, nor on the diagonal
    assert kept[:, 2].sum() == kept[2].sum() == np.trace(kept) == 0.0


def test_surprise_update_table() -> None:
    assert d.surprise_update(0.5, 1.0, 0.0, 0.1, 0.3) == pytest.approx(0.55)
    assert d.surprise_update(0.5, 0.0, 1.0, 0.1, 0.3) == pytest.approx(0.35)
    assert d.surprise_update(0.5, 1.0, 1.0, 0.1, 0.3) == pytest.approx(0.5 + 0.05 - 0.15)
    assert d.surprise_update(0.05, 0.0, 5.0, 0.1, 0.3) == 0.0  # clipped


def test_compliance_with_attention_and_incentives() -> None:
    # 0.8 * 0.75 * 1.0 * 1.0 * attention 0.5 * (1 + 0.2) = 0.36
    assert d.compliance_probability(0.8, 0.5, 0.0, 1.0, 0.5, 0.0, 0.5, 0.2) == pytest.approx(0.36)
    assert d.compliance_probability(1.0, 1.0, 0.0, 1.0, 0.5, 0.0, 1.0, 0.9) == 1.0  # capped


def test_reached_position_and_delivery_in_order() -> None:
    # Terms 0.75 from status quo 0, 60% carried out: position 0.45; the convicted (over
    # [0, 0.5]) are 90% delivered, the pre-trial (over [0.5, 1]) not yet.
    reached = d.reached_position(0.0, 0.75, 0.6)
    assert reached == pytest.approx(0.45)
    assert d.delivered(reached, 0.0, 0.5, 370.0) == pytest.approx(333.0)
    assert d.delivered(reached, 0.5, 1.0, 1650.0) == 0.0
    assert d.delivered(d.reached_position(0.5, 0.9, 1.0), 0.5, 1.0, 1650.0) == pytest.approx(1320.0)


def test_spontaneous_delivery_takes_a_share_of_what_is_left() -> None:
    assert d.spontaneous_delivery(1000.0, 0.015) == pytest.approx(15.0)
    left = 1000.0
    for _ in range(52):
        left -= d.spontaneous_delivery(left, 0.01)
    assert left == pytest.approx(1000.0 * 0.99**52)


def test_direct_talks_probability() -> None:
    assert d.direct_talks_probability(0.4, 0.5, 0.1) == pytest.approx(0.02)


# -- negotiation ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("terms", "ideal", "status_quo", "expected_gain"),
    [(0.5, 1.0, 0.0, 0.5), (0.5, 0.0, 0.0, -0.5), (0.35, 0.45, 0.0, 0.35), (0.7, 0.45, 0.0, 0.2)],
)
def test_gain_table(terms: float, ideal: float, status_quo: float, expected_gain: float) -> None:
    assert d.gain(np.array(terms), np.array(ideal), status_quo) == pytest.approx(expected_gain)


@pytest.mark.parametrize(
    ("gains", "salience", "trust", "expected"),
    [
        ([0.4, -0.2], [0.6, 0.4], 0.5, 0.5 * 0.24 - 0.08),
        ([0.4, -0.2], [0.6, 0.4], 1.0, 0.24 - 0.08),
        ([0.4, -0.2], [0.6, 0.4], 0.0, -0.08),
        ([0.3], [1.0], 0.2, 0.06),
    ],
)
def test_deal_value_table(gains, salience, trust, expected) -> None:
    got = d.deal_value(np.array(gains), np.array(salience), trust)
    assert got == pytest.approx(expected)


def test_offer_concedes_more_on_less_salient_issue() -> None:
    got = d.offer(np.array([0.0, 0.0]), np.array([1.0, 1.0]), 0.8, np.array([1.0, 0.5]))
    np.testing.assert_allclose(got, [0.2, 0.6])


def test_leverage_and_resolve() -> None:
    assert d.leverage(0.9, 0.35, 0.45, 1.0) == pytest.approx(0.9 * 0.35 / 0.8)
    assert d.effective_resolve(0.4, 0.5, 0.5) == pytest.approx(0.55)


def test_issue_stage_table() -> None:
    status = np.array([OPEN, ON_TABLE, AGREED, IMPLEMENTING, IMPLEMENTED, COLLAPSED])
    got = d.issue_stage(status, np.array([0, 0, 0, 0.4, 1, 0.3]))
    np.testing.assert_allclose(got, [0.0, 0.5, 0.75, 0.85, 1.0, 0.0])


def test_spoiler_threat_only_counts_vetoed_issues() -> None:
    stage = np.array([1.0, 0.5, 0.0])
    salience = np.array([0.5, 0.3, 0.2])
    vetoed = np.array([False, True, True])
    # (0.3 * 0.5 + 0.2 * 0) / 0.5 = 0.3
    assert d.spoiler_threat(stage, salience, vetoed) == pytest.approx(0.3)
    assert d.spoiler_threat(stage, salience, np.zeros(3, dtype=bool)) == 0.0


# -- implementation ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("reliability", "trust", "reciprocity", "other", "drag", "expected"),
    [
        (0.8, 0.5, 0.5, 1.0, 0.0, 0.8 * 0.85 * 1.0),
        (0.8, 0.5, 0.5, 0.0, 0.0, 0.8 * 0.85 * 0.5),
        (0.8, 1.0, 0.0, 0.0, 0.25, 0.8 * 1.0 * 1.0 * 0.75),
        (1.0, 0.0, 1.0, 0.0, 0.0, 0.0),
    ],
)
def test_compliance_probability_table(reliability, trust, reciprocity, other, drag, expected):
    got = d.compliance_probability(reliability, trust, reciprocity, other, 0.3, drag)
    assert got == pytest.approx(expected)


def test_progress_and_delivered() -> None:
    np.testing.assert_allclose(d.progress_step(np.array([0.0, 0.98]), 0.5, 0.1), [0.05, 1.0])
    # 370 convicted over [0, 0.5]; 1,650 pre-trial over [0.5, 1]
    assert d.delivered(d.reached_position(0.0, 0.25, 1.0), 0.0, 0.5, 370.0) == pytest.approx(185.0)
    # terms 0.75 half carried out reach 0.375: the pre-trial part ([0.5, 1]) is not reached yet
    assert d.delivered(d.reached_position(0.0, 0.75, 0.5), 0.5, 1.0, 1650.0) == 0.0
    assert d.delivered(0.75, 0.5, 1.0, 1650.0) == pytest.approx(825.0)
    assert d.delivered(0.4, 0.5, 1.0, 1650.0) == 0.0


def test_incident_probability() -> None:
    got = d.incident_probability(np.array([0.2, 0.2, 0.6]), np.array([False, True, True]), 1.0, 1.0)
    np.testing.assert_allclose(got, [0.2, 0.4, 1.0])


# -- statuses ------------------------------------------------------------------------------
def test_allowed_transitions() -> None:
    assert ALLOWED[OPEN, ON_TABLE] and ALLOWED[ON_TABLE, AGREED]
    assert ALLOWED[AGREED, IMPLEMENTING] and ALLOWED[IMPLEMENTING, IMPLEMENTED]
    assert ALLOWED[IMPLEMENTING, COLLAPSED] and ALLOWED[COLLAPSED, OPEN]
    assert not ALLOWED[OPEN, IMPLEMENTED]
    assert ALLOWED[IMPLEMENTED, OPEN]  # an issue in phases reopens for its next phase
    assert not ALLOWED[IMPLEMENTED, ON_TABLE] and not ALLOWED[IMPLEMENTED, COLLAPSED]
    assert not ALLOWED[OPEN, IMPLEMENTING]
    assert np.all(np.diagonal(ALLOWED))


# -- elementwise rules broadcast over runs; the compiled rules are the same functions --------
@settings(max_examples=50, deadline=None)
@given(
    trust=arrays(float, (4, 3, 3), elements=unit),
    signal=arrays(float, (4, 3, 3), elements=st.floats(-1, 1)),
    mediation=arrays(float, (4, 3, 3), elements=unit),
)
def test_trust_rules_batch_equals_one_by_one(trust, signal, mediation) -> None:
    # update_trust is elementwise: over a run axis it equals run by run; vouch takes one run's
    # matrices, as the kernel applies it (lsr_sim.dynamics.compiled: the same function, compiled).
    for r in range(4):
        np.fill_diagonal(trust[r], 1.0)
        np.fill_diagonal(mediation[r], 0.0)
    updated = d.update_trust(trust, signal, 0.1, 0.3)
    for r in range(4):
        alone = d.update_trust(trust[r], signal[r], 0.1, 0.3)
        np.testing.assert_array_equal(updated[r], alone)
        one = d.vouch(alone, mediation[r], 0.2)
        np.testing.assert_array_equal(compiled_rules.vouch(alone, mediation[r], 0.2), one)
        assert np.all((one >= 0) & (one <= 1))


@settings(max_examples=50, deadline=None)
@given(
    gains=arrays(float, (5, 3), elements=st.floats(-1, 1)),
    salience=arrays(float, (5, 3), elements=unit),
    trust=arrays(float, (5,), elements=unit),
)
def test_deal_value_compiled_equals_the_rule(gains, salience, trust) -> None:
    for r in range(5):
        value = d.deal_value(gains[r], salience[r], trust[r])
        assert compiled_rules.deal_value(gains[r], salience[r], trust[r]) == value
        # More trust never lowers the value of a deal.
        assert d.deal_value(gains[r], salience[r], 1.0) >= value - 1e-12


# -- the written-out forms of the rules equal their equations -------------------------------------
def _vouch_by_equation(trust: np.ndarray, mediation: np.ndarray, rate: float) -> np.ndarray:
    """docs/ODD.md's vouching over every actor m as a possible mediator (no skipping)."""
    link = np.einsum("mi,mj,im->ijm", mediation, mediation, trust)
    toward = np.einsum("ijm,mj->ij", link, trust)
    moved = trust + rate * (toward - link.sum(axis=2) * trust)
    np.fill_diagonal(moved, np.diagonal(trust))
    return np.clip(moved, 0.0, 1.0)


def _vouch_evidence_by_equation(
    trust: np.ndarray, mediation: np.ndarray, rate: float
) -> tuple[np.ndarray, np.ndarray]:
    link = np.einsum("mi,mj,im->ijm", mediation, mediation, trust)
    kept = rate * np.einsum("ijm,mj->ij", link, trust)
    broken = rate * np.einsum("ijm,mj->ij", link, 1.0 - trust)
    np.fill_diagonal(kept, 0.0)
    np.fill_diagonal(broken, 0.0)
    return kept, broken


_network = st.integers(2, 6).flatmap(
    lambda n: st.tuples(
        arrays(float, (n, n), elements=st.floats(0.0, 1.0)),
        arrays(float, (n, n), elements=st.sampled_from([0.0, 0.0, 0.3, 1.0])),
        st.floats(0.0, 1.0),
    )
)


@settings(max_examples=60, deadline=None)
@given(network=_network)
def test_vouching_over_the_mediators_only_equals_the_sum_over_everyone(network) -> None:
    # The rules sum over the actors linked to i as mediators (the others' terms are 0).
    trust, mediation, rate = network
    np.fill_diagonal(mediation, 0.0)
    np.fill_diagonal(trust, 1.0)
    expected = _vouch_by_equation(trust, mediation, rate)
    kept, broken = _vouch_evidence_by_equation(trust, mediation, rate)
    for rules in (d, compiled_rules):
        np.testing.assert_allclose(rules.vouch(trust, mediation, rate), expected, atol=1e-12)
        got_kept, got_broken = rules.vouch_evidence(trust, mediation, rate)
        np.testing.assert_allclose(got_kept, kept, atol=1e-12)
        np.testing.assert_allclose(got_broken, broken, atol=1e-12)


def test_vouching_rules_write_into_out_exactly_what_they_return() -> None:
    trust = np.array([[1.0, 0.2, 0.8], [0.3, 1.0, 0.6], [0.9, 0.9, 1.0]])
    mediation = np.zeros((3, 3))
    mediation[2, 0], mediation[2, 1] = 1.0, 0.5
    patronage = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    support = np.array([0.8, 0.0, 0.7])
    for rules in (d, compiled_rules):
        out = np.full((3, 3), 7.0)  # stale contents must not leak into the result
        assert rules.vouch(trust, mediation, 0.5, out) is out
        np.testing.assert_array_equal(out, rules.vouch(trust, mediation, 0.5))
        kept, broken = np.full((3, 3), 7.0), np.full((3, 3), 7.0)
        rules.vouch_evidence(trust, mediation, 0.5, kept, broken)
        fresh_pair = rules.vouch_evidence(trust, mediation, 0.5)
        for got, fresh in zip((kept, broken), fresh_pair, strict=True):
            np.testing.assert_array_equal(got, fresh)
        received = np.full(3, 7.0)
        assert rules.backer_support(patronage, support, trust, received) is received
        np.testing.assert_array_equal(received, rules.backer_support(patronage, support, trust))


def test_relative_salience_of_scalars_and_arrays() -> None:
    assert d.relative_salience(0.1, 0.4) == pytest.approx(0.25)
    assert d.relative_salience(0.0, 0.0) == 1.0  # an actor that cares about none: all count
    assert compiled_rules.relative_salience(0.1, 0.4) == d.relative_salience(0.1, 0.4)
    np.testing.assert_array_equal(d.relative_salience(np.array([0.4, 0.1]), 0.4), [1.0, 0.25])


@pytest.mark.parametrize("driven", [False, True])
def test_incident_probability_of_scalars_as_compiled(driven: bool) -> None:
    # rate 0.1, boost 2, pressure 0.5: 0.1 alone, 0.2 when a spoiler drives the incident
    expected = 0.2 if driven else 0.1
    assert d.incident_probability(0.1, driven, 0.5, 2.0) == pytest.approx(expected)
    assert compiled_rules.incident_probability(0.1, driven, 0.5, 2.0) == pytest.approx(expected)
    # capped at 1
    assert compiled_rules.incident_probability(0.8, True, 1.0, 2.0) == 1.0
