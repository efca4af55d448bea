"""The equations of docs/ODD.md, section 7, against the kernel's compiled phases.

Each test sets a kernel's state by hand, runs one phase, and compares what the phase wrote with
the equation as the ODD states it (written out here in numpy, not by calling the rule the
phase calls), so that the document and the code cannot drift apart unnoticed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lsr_sim.dynamics import reliability_belief
from lsr_sim.dynamics.status import IMPLEMENTING, ON_TABLE, OPEN
from lsr_sim.kernel import Kernel
from lsr_sim.kernel import compiled as kc
from lsr_sim.scenario import load_scenario
from lsr_sim.scenario.paths import override_scenario

BASELINE = Path(__file__).resolve().parents[1] / "scenarios" / "baseline.yaml"
MEDIATION, PATRONAGE, PRESSURE = 1, 2, 3


@pytest.fixture(scope="module")
def baseline():
    return load_scenario(BASELINE)


def kernel_of(scenario, **dynamics) -> Kernel:
    values = {f"dynamics.{name}": value for name, value in dynamics.items()}
    return Kernel.from_scenarios([override_scenario(scenario, values) if values else scenario])


def random_observations(k: Kernel, rng: np.random.Generator) -> None:
    """Fill this step's observation buffers and past evidence of run 0 at random."""
    s = k.state
    n = s.trust.shape[1]
    for name in ("deeds_pos", "deeds_neg", "words_pos", "words_neg"):
        getattr(s, name)[0] = rng.random((n, n)) * 0.5
    s.actions[0] = rng.uniform(-1, 1, (n, n))
    s.rhetoric[0] = rng.uniform(-1, 1, (n, n))
    s.kept[0] = rng.random((n, n)) * 3
    s.broken[0] = rng.random((n, n)) * 3


def revise_all(k: Kernel) -> np.ndarray:
    kc.vouch_all(k.sref, k.pref)
    for i in range(k.state.trust.shape[1]):
        kc.revise_trust(k.sref, k.pref, i)
    return k.state.next_trust[0].copy()


def off_diagonal(x: np.ndarray) -> np.ndarray:
    return x[~np.eye(x.shape[0], dtype=bool)]


# -- 7.1 trust ---------------------------------------------------------------------------------
def test_evidence_update_is_the_odd_equation(baseline) -> None:
    k = kernel_of(baseline)
    rng = np.random.default_rng(1)
    random_observations(k, rng)
    s, d = k.state, baseline.dynamics
    T0 = k.params.trust0[0]
    W, m, w, lam, nu = (
        d.trust_prior_weight,
        d.trust_memory,
        d.betrayal_weight,
        d.talk_weight,
        d.vouching_rate,
    )
    # Trust is the belief of the evidence (the state is consistent before the step).
    s.trust[0] = (W * T0 + s.kept[0]) / (W + s.kept[0] + s.broken[0])
    np.fill_diagonal(s.trust[0], 1.0)
    T, M = s.trust[0].copy(), s.links[0, MEDIATION].copy()
    n = T.shape[0]
    vk, vb = np.zeros((n, n)), np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            if i != j:
                link = M[:, i] * M[:, j] * T[i, :]
                vk[i, j] = nu * np.sum(link * T[:, j])
                vb[i, j] = nu * np.sum(link * (1 - T[:, j]))
    K = m * s.kept[0] + s.deeds_pos[0] + lam * s.words_pos[0] + vk
    B = m * s.broken[0] + w * (s.deeds_neg[0] + lam * s.words_neg[0]) + vb
    expected = (W * T0 + K) / (W + K + B)
    got = revise_all(k)
    np.testing.assert_allclose(off_diagonal(got), off_diagonal(expected), rtol=1e-12)
    assert np.all(np.diag(got) == 1.0)


@pytest.mark.parametrize("model", ["signals", "surprise"])
def test_rate_models_are_the_odd_equations(baseline, model: str) -> None:
    k = kernel_of(baseline, trust_model=model)
    rng = np.random.default_rng(2)
    random_observations(k, rng)
    s, d = k.state, baseline.dynamics
    n = s.trust.shape[1]
    s.trust[0] = rng.random((n, n))
    np.fill_diagonal(s.trust[0], 1.0)
    T, T0, M = s.trust[0].copy(), k.params.trust0[0], s.links[0, MEDIATION]
    a_up, a_down = d.trust_gain_rate, d.trust_loss_rate
    if model == "signals":
        S = np.clip(d.action_weight * s.actions[0] + d.rhetoric_weight * s.rhetoric[0], -1, 1)
        U = np.clip(T + a_up * np.maximum(S, 0) * (1 - T) + a_down * np.minimum(S, 0) * T, 0, 1)
    else:
        kept = s.deeds_pos[0] + d.talk_weight * s.words_pos[0]
        broken = d.betrayal_weight * (s.deeds_neg[0] + d.talk_weight * s.words_neg[0])
        U = np.clip(T + a_up * kept * (1 - T) - a_down * broken * T, 0, 1)
    V = T.copy()
    for i in range(n):
        for j in range(n):
            if i != j:
                link = M[:, i] * M[:, j] * T[i, :]
                V[i, j] = np.clip(
                    T[i, j] + d.vouching_rate * np.sum(link * (T[:, j] - T[i, j])), 0, 1
                )
    tilde = np.clip(U + V - T, 0, 1)
    expected = tilde + d.trust_decay * (T0 - tilde)
    got = revise_all(k)
    np.testing.assert_allclose(off_diagonal(got), off_diagonal(expected), rtol=1e-12, atol=1e-15)


def test_the_null_model_learns_nothing(baseline) -> None:
    k = kernel_of(baseline, trust_model="none")
    random_observations(k, np.random.default_rng(3))
    before = k.state.trust[0].copy()
    np.testing.assert_array_equal(revise_all(k), before)


def break_even(T: float, T0: float, W: float, m: float, w: float, u: float) -> float:
    """ODD 7.1: the kept share of one step's deeds (u in all) that leaves the belief put."""
    return (w * T + (1 - m) * W * (T - T0) / u) / (1 - T + w * T)


@pytest.mark.parametrize(
    ("T0", "kept", "broken", "memory"),
    [
        (0.22, 0.0, 0.0, 0.98),
        (0.22, 0.0, 0.0, 1.0),
        (0.22, 3.0, 1.0, 1.0),
        (0.22, 3.0, 1.0, 0.98),
        (0.6, 0.5, 2.0, 0.99),
    ],
)
def test_break_even_share_of_kept_commitments(baseline, T0, kept, broken, memory) -> None:
    """One step of deeds of size u, a share p kept: through the kernel, trust stays put at p*."""
    W, w, u = 2.0, 2.0, 0.05
    T = (W * T0 + kept) / (W + kept + broken)
    p_star = break_even(T, T0, W, memory, w, u)
    assert 0 < p_star < 1
    if memory == 1.0 or kept == broken == 0.0:
        assert p_star == pytest.approx(w * T / (1 - T + w * T), rel=1e-12)
    for p, direction in ((p_star - 0.01, -1), (p_star, 0), (p_star + 0.01, 1)):
        k = kernel_of(
            baseline,
            trust_memory=memory,
            trust_prior_weight=W,
            betrayal_weight=w,
            vouching_rate=0.0,
        )
        s = k.state
        b, d = list(baseline.actors).index("Beirut"), list(baseline.actors).index("Damascus")
        k.params.trust0[0, b, d] = T0
        s.kept[0, b, d], s.broken[0, b, d] = kept, broken
        s.trust[0, b, d] = T
        s.deeds_pos[0, b, d], s.deeds_neg[0, b, d] = p * u, (1 - p) * u
        moved = revise_all(k)[b, d] - T
        if direction == 0:
            assert moved == pytest.approx(0.0, abs=1e-12)
        else:
            assert np.sign(moved) == direction


def test_below_its_prior_forgetting_can_outpull_broken_commitments(baseline) -> None:
    """ODD 7.1: with p* <= 0, trust rises even when every commitment of the step is broken."""
    W, w, u, memory, T0, kept, broken = 2.0, 2.0, 0.05, 0.9, 0.6, 0.5, 2.0
    T = (W * T0 + kept) / (W + kept + broken)
    assert break_even(T, T0, W, memory, w, u) < 0
    k = kernel_of(baseline, trust_memory=memory, vouching_rate=0.0)
    s = k.state
    b, d = list(baseline.actors).index("Beirut"), list(baseline.actors).index("Damascus")
    k.params.trust0[0, b, d] = T0
    s.kept[0, b, d], s.broken[0, b, d], s.trust[0, b, d] = kept, broken, T
    s.deeds_neg[0, b, d] = u  # every milestone missed
    assert revise_all(k)[b, d] > T


@pytest.mark.parametrize("T0", [0.1, 0.3, 1 / 3, 0.4, 0.8])
def test_a_broken_commitment_outweighs_a_kept_one_only_above_one_over_one_plus_w(T0) -> None:
    W, w, u = 2.0, 2.0, 1e-4
    gain = reliability_belief(T0, W, u, 0.0) - T0
    loss = T0 - reliability_belief(T0, W, 0.0, w * u)
    exact = w * T0 * (W + u) > (1 - T0) * (W + w * u)
    assert (loss > gain) == exact
    if abs(T0 - 1 / (1 + w)) > 1e-3:
        assert exact == (1 / (1 + w) < T0)


# -- 7.3, 7.6, 7.7 -------------------------------------------------------------------------------
def received(P: np.ndarray, sigma: np.ndarray, T: np.ndarray) -> np.ndarray:
    """B_x = min(sum_b P[b, x] sigma_b T[x, b], 1)."""
    return np.minimum(np.einsum("bx,b,xb->x", P, sigma, T), 1.0)


def test_compliance_probability_with_attention_and_incentives(baseline) -> None:
    k = kernel_of(baseline)
    s, p, d = k.state, k.params, baseline.dynamics
    names, issues = list(baseline.actors), list(baseline.issues)
    b, q = names.index("Beirut"), issues.index("border_control")
    h = names.index("Hezbollah")
    s.status[0, q] = IMPLEMENTING
    s.support[0, names.index("Washington")] = 0.7
    s.support[0, names.index("Gulf_EU")] = 0.6
    s.pressure[0, h] = 0.4
    s.other_complied[0, q, b] = 0.5
    T = s.trust[0]
    B = received(s.links[0, PATRONAGE], s.support[0], T)[b]
    drag = d.spoiler_drag * s.links[0, PRESSURE, h, b] * s.pressure[0, h]
    chance = min(
        p.reliability[0, b]
        * (
            (1 - d.compliance_trust_weight)
            + d.compliance_trust_weight * T[b, names.index("Damascus")]
        )
        * ((1 - p.reciprocity[0, b]) + p.reciprocity[0, b] * 0.5)
        * (1 - drag)
        * s.attention[0, b]
        * (1 + d.incentive_weight * B),
        1.0,
    )
    assert drag > 0 and B > 0 and s.attention[0, b] < 1  # every factor is at work
    n = len(names)
    slot = p.draw_offsets[3] + q * n + b
    for draw, complies in ((chance - 1e-9, True), (chance + 1e-9, False)):
        s.draws[0, slot] = draw
        kc.carry_out(k.sref, k.pref, b)
        assert bool(s.complied[0, q, b]) is complies


def test_direct_talks_probability_with_attention(baseline) -> None:
    k = kernel_of(baseline, direct_talks_rate=0.5)
    s, p = k.state, k.params
    names = list(baseline.actors)
    b, d = names.index("Beirut"), names.index("Damascus")
    T = s.trust[0]
    mutual = (T[b, d] + T[d, b]) / 2
    channel = min(s.links[0, 0, b, d], s.links[0, 0, d, b])
    attention = (s.attention[0, b] + s.attention[0, d]) / 2
    chance = attention * min(max(0.5 * channel * mutual, 0.0), 1.0)
    for draw, meets in ((chance - 1e-9, True), (chance + 1e-9, False)):
        s.status[0] = OPEN
        s.draws[0, p.draw_offsets[2]] = draw
        kc.direct_talks(k.sref, k.pref, np.zeros(s.status.shape, dtype=bool))
        assert bool((s.status[0] == ON_TABLE).all()) is meets


@pytest.mark.parametrize(("sigma_w", "sigma_g"), [(0.5, 0.4), (1.0, 0.8)])
def test_baseline_veto_binds_above_the_stated_pressure(baseline, sigma_w, sigma_g) -> None:
    """ODD 7.6: Hezbollah blocks through Beirut iff c pi > 0.3 + 0.35 B_Beirut, with the
    leverage coefficient c = k w C_h / (C_h + C_B) of the baseline's values (0.782892)."""
    k = kernel_of(baseline)
    s = k.state
    names, issues = list(baseline.actors), list(baseline.issues)
    b, h = names.index("Beirut"), names.index("Hezbollah")
    s.support[0, names.index("Washington")], s.support[0, names.index("Gulf_EU")] = sigma_w, sigma_g
    B = 0.5 * sigma_w * 0.6 + 0.3 * sigma_g * 0.6  # Beirut trusts both patrons 0.6 at the start
    assert received(s.links[0, PATRONAGE], s.support[0], s.trust[0])[b] == pytest.approx(B)
    k_veto, c_h = baseline.dynamics.veto_strength, baseline.actors["Hezbollah"].capability
    c_b = baseline.actors["Beirut"].capability
    coefficient = k_veto * 0.9 * c_h / (c_h + c_b)
    assert coefficient == pytest.approx(0.782892, abs=1e-6)  # the figure ODD 7.6 gives
    threshold = (0.3 + 0.5 * B * 0.7) / coefficient
    package = np.array([issues.index("weapons_corridor")])
    parties = np.array([b, names.index("Damascus")])
    for pressure, blocks in ((threshold - 1e-9, False), (threshold + 1e-9, True)):
        s.pressure[0, h] = pressure
        holder, party = kc.find_veto(k.sref, k.pref, 0, package, parties, np.array([0.5]))
        assert (holder == h and party == b) is blocks


# -- 7.8 ---------------------------------------------------------------------------------------
def test_spontaneous_delivery_takes_a_share_of_what_is_left(baseline) -> None:
    k = kernel_of(baseline)
    s, p = k.state, k.params
    quantities = [q for issue in baseline.issues.values() for q in issue.quantities]
    r = quantities.index("returned")
    rate, total = p.q_spontaneous[0, r], p.q_total[0, r]
    for week in range(1, 4):
        kc.record_implementation(
            k.sref, k.pref, np.zeros(s.status.shape, bool), np.zeros(s.status.shape, bool)
        )
        assert s.delivered[0, r] == pytest.approx(total * (1 - (1 - rate) ** week), rel=1e-12)
