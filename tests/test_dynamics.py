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
    got = d.backer_support(patronage, np.array([0.8, 0.0, 0.7]))
    np.testing.assert_allclose(got, [0.0, 1.0, 0.0])


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
    assert d.delivered(0.25, 1.0, 0.0, 0.5, 370.0) == pytest.approx(185.0)
    assert d.delivered(0.75, 0.5, 0.5, 1.0, 1650.0) == pytest.approx(412.5)
    assert d.delivered(0.4, 1.0, 0.5, 1.0, 1650.0) == 0.0


def test_incident_probability() -> None:
    got = d.incident_probability(np.array([0.2, 0.2, 0.6]), np.array([False, True, True]), 1.0, 1.0)
    np.testing.assert_allclose(got, [0.2, 0.4, 1.0])


# -- statuses ------------------------------------------------------------------------------
def test_allowed_transitions() -> None:
    assert ALLOWED[OPEN, ON_TABLE] and ALLOWED[ON_TABLE, AGREED]
    assert ALLOWED[AGREED, IMPLEMENTING] and ALLOWED[IMPLEMENTING, IMPLEMENTED]
    assert ALLOWED[IMPLEMENTING, COLLAPSED] and ALLOWED[COLLAPSED, OPEN]
    assert not ALLOWED[OPEN, IMPLEMENTED]
    assert not ALLOWED[IMPLEMENTED, OPEN]
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
