"""The model's mechanisms, each checked where a reviewer would look (issue 11, section 2).

Each test builds the situation from the baseline with the other mechanisms switched off, runs
many seeds through the batch engine, and checks the direction and size of the effect.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from lsr_sim.dynamics import reliability_belief
from lsr_sim.experiment import derive_seeds, run_many
from lsr_sim.kernel import Kernel
from lsr_sim.kernel.core import choose_policy
from lsr_sim.model import NegotiationModel
from lsr_sim.scenario import load_scenario, scenario_from_dict
from lsr_sim.scenario.loader import deep_merge

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
RUNS = 300


@pytest.fixture(scope="module")
def base() -> dict[str, Any]:
    # The mechanics without the calibration: its facts name incidents some tests remove.
    return load_scenario(BASELINE).model_dump(
        mode="json", by_alias=True, exclude_unset=True, exclude={"calibration"}
    )


def quiet(data: dict[str, Any], **dynamics: Any) -> dict[str, Any]:
    """The baseline with no events, incidents or mediation, and compliance at reliability."""
    actors = {name: {"reciprocity": 0.0, "attention": 1.0} for name in ("Beirut", "Damascus")}
    edit = {
        "incidents": None,
        "actors": actors,
        "network": {"mediation": None, "patronage": None},
        "dynamics": {
            "compliance_trust_weight": 0.0,
            "spoiler_drag": 0.0,
            "direct_talks_rate": 0.0,
            "mediation_rate": 0.0,
            **dynamics,
        },
    }
    quieted = deep_merge(copy.deepcopy(data), edit)
    quieted["events"] = {"assad_falls": data["events"]["assad_falls"]}
    return quieted


def agreed_from_the_start(data: dict[str, Any], issue: str, terms: float) -> dict[str, Any]:
    """A deal on `issue` recorded in the first week."""
    event = {
        "date": str(data["run"]["start_date"]),
        "kind": "test",
        "source": "hypothetical",
        "effects": [{"type": "agree", "issue": issue, "terms": terms}],
    }
    return deep_merge(data, {"events": {"deal": event}})


def mean_trust_after(data: dict[str, Any], steps: int, i: str = "Beirut", j: str = "Damascus"):
    scenario = scenario_from_dict(data)
    ensemble = run_many(scenario, derive_seeds(11, RUNS), steps)
    names = list(scenario.actors)
    return float(ensemble.final["trust"][:, names.index(i), names.index(j)].mean())


# -- deeds build trust when parties keep their word ----------------------------------------------
@pytest.mark.parametrize("reliability", [0.6, 0.8, 0.95])
def test_trust_rises_when_parties_comply_at_their_stated_reliability(base, reliability) -> None:
    data = quiet(base)
    for name in ("Beirut", "Damascus"):
        data["actors"][name]["reliability"] = reliability
        data["actors"][name]["strategy"] = {"name": "boulware", "params": {"exponent": 50.0}}
    data = agreed_from_the_start(data, "officers", 0.8)
    before = base["actors"]["Beirut"]["trust"]["Damascus"]
    after = mean_trust_after(data, 12)  # 0.1 of the deal per compliant week
    assert after > before + 0.02, (reliability, before, after)


def test_break_even_compliance_is_where_the_belief_stays_put() -> None:
    # Evidence from a stream of milestones kept with share p (each broken one weighted w)
    # moves the belief toward p / (p + w (1 - p)); at p* = w T / (1 - T + w T) it stays.
    trust, weight, betrayal = 0.22, 2.0, 2.0
    p_star = betrayal * trust / (1 - trust + betrayal * trust)
    for p, direction in ((p_star - 0.05, -1), (p_star + 0.05, 1)):
        kept = broken = 0.0
        for _ in range(200):
            kept = 0.98 * kept + 0.01 * p
            broken = 0.98 * broken + 0.01 * (1 - p) * betrayal
        moved = reliability_belief(trust, weight, kept, broken) - trust
        assert np.sign(moved) == direction
    assert p_star == pytest.approx(0.3607, abs=1e-4)


@pytest.mark.parametrize(("reliability", "direction"), [(0.2, -1), (0.55, 1)])
def test_deeds_move_trust_up_above_break_even_and_down_below(base, reliability, direction):
    # Break-even at the initial trust 0.22 with betrayal weight 2 is 0.36 (test above).
    data = quiet(base)
    for name in ("Beirut", "Damascus"):
        data["actors"][name]["reliability"] = reliability
    data = agreed_from_the_start(data, "officers", 0.8)
    before = base["actors"]["Beirut"]["trust"]["Damascus"]
    assert np.sign(mean_trust_after(data, 10) - before) == direction


def test_bigger_deals_teach_more(base) -> None:
    # Deeds are scaled by the deal's size: the same compliance on a small deal moves trust less.
    small, large = (agreed_from_the_start(quiet(base), "officers", terms) for terms in (0.2, 0.9))
    for data in (small, large):
        for name in ("Beirut", "Damascus"):
            data["actors"][name]["reliability"] = 0.95
    before = base["actors"]["Beirut"]["trust"]["Damascus"]
    gained_small = mean_trust_after(small, 12) - before
    gained_large = mean_trust_after(large, 12) - before
    assert gained_large > 2 * gained_small > 0


def test_costly_signals_move_trust_more_than_cheap_talk(base) -> None:
    def signalled(channel: str) -> dict[str, Any]:
        event = {
            "date": "2025-01-05",
            "kind": "test",
            "source": "hypothetical",
            "effects": [
                {
                    "type": "signal",
                    "actor": "Damascus",
                    "toward": ["Beirut"],
                    "channel": channel,
                    "strength": 0.5,
                }
            ],
        }
        return deep_merge(quiet(base), {"events": {"gesture": event}})

    before = base["actors"]["Beirut"]["trust"]["Damascus"]
    deed = mean_trust_after(signalled("action"), 6) - before
    words = mean_trust_after(signalled("rhetoric"), 6) - before
    # Words count talk_weight of a deed (ODD 7.1): a deed moves trust about 1 / talk_weight
    # times as much (less than that, as the belief bends toward its bounds).
    talk = base["dynamics"]["talk_weight"]
    assert 0 < words < deed and 0.8 / talk < deed / words < 1.0 / talk


def test_without_new_evidence_trust_returns_to_its_prior(base) -> None:
    shock = {
        "date": "2025-01-05",
        "kind": "test",
        "source": "hypothetical",
        "effects": [{"type": "trust_shock", "from": ["Beirut"], "to": ["Damascus"], "delta": 0.3}],
    }
    data = deep_merge(quiet(base), {"events": {"shock": shock}})
    before = base["actors"]["Beirut"]["trust"]["Damascus"]
    soon, later = mean_trust_after(data, 6), mean_trust_after(data, 150)
    assert soon > before + 0.2 and abs(later - before) < 0.05
    assert mean_trust_after(quiet(base, trust_model="none") | {"events": data["events"]}, 150) > (
        before + 0.25
    )  # the null model keeps the shock for ever


# -- inputs that were inert ----------------------------------------------------------------------
def test_hezbollah_presses_harder_when_it_trusts_beirut_less(base) -> None:
    scenario = scenario_from_dict(base)
    kernel = Kernel.from_scenarios([scenario, scenario])
    h = list(scenario.actors).index("Hezbollah")
    b = list(scenario.actors).index("Beirut")
    kernel.state.trust[1, h, b] = 0.0  # run 1: a Hezbollah that has lost all trust in Beirut
    choose_policy(kernel, h)
    calm, aggrieved = kernel.state.pressure[:, h]
    grievance = base["actors"]["Hezbollah"]["strategy"]["params"]["grievance"]
    assert aggrieved - calm == pytest.approx(grievance * 0.3)  # its trust in Beirut was 0.3


def test_trust_in_a_patron_sets_what_its_support_is_worth(base) -> None:
    scenario = scenario_from_dict(base)
    model = NegotiationModel(scenario, rng=1)
    model.run_for(3)
    names = list(scenario.actors)
    beirut, washington = names.index("Beirut"), names.index("Washington")
    from lsr_sim.dynamics import backer_support

    state = model.kernel.state
    support = backer_support(state.links[0, 2], state.support[0], state.trust[0])
    distrusted = state.trust[0].copy()
    distrusted[beirut, washington] = 0.0
    assert backer_support(state.links[0, 2], state.support[0], distrusted)[beirut] < support[beirut]


def test_a_patrons_incentives_raise_a_partys_compliance(base) -> None:
    def complying(patronage: float) -> float:
        data = quiet(base)
        for name in ("Beirut", "Damascus"):
            data["actors"][name]["reliability"] = 0.5
        data["network"]["patronage"] = {"Washington": {"Damascus": patronage}}
        data["actors"]["Washington"]["trust"]["Damascus"] = 0.4
        data["actors"]["Damascus"]["trust"]["Washington"] = 0.9
        data = agreed_from_the_start(data, "detainees", 0.4)
        scenario = scenario_from_dict(data)
        ensemble = run_many(scenario, derive_seeds(3, RUNS), 6, history=True)
        k = list(scenario.issues).index("detainees")
        return float(ensemble.final["progress"][:, k].mean())

    # Damascus's incentive is 0.3 * support 0.5 * patronage 1 * trust 0.9: it complies 13.5%
    # more often, and the deal (both parties' mean compliance) moves 6.75% faster.
    assert complying(1.0) == pytest.approx(1.0675 * complying(0.0), rel=0.02)


def test_attention_limits_what_a_party_carries_out(base) -> None:
    def progress(attention: float) -> float:
        data = quiet(base)
        data["actors"]["Beirut"]["attention"] = attention
        data = agreed_from_the_start(data, "detainees", 0.4)
        scenario = scenario_from_dict(data)
        ensemble = run_many(scenario, derive_seeds(5, RUNS), 8)
        return float(ensemble.final["progress"][:, list(scenario.issues).index("detainees")].mean())

    assert progress(0.3) < progress(1.0) - 0.05


def test_a_priority_effect_shifts_salience_and_keeps_the_sum(base) -> None:
    scenario = scenario_from_dict(base)
    model = NegotiationModel(scenario, rng=1)
    model.run_until(scenario.run.step_of(scenario.events["officers_request"].date))
    d, k = list(scenario.actors).index("Damascus"), list(scenario.issues).index("officers")
    salience = model.kernel.state.salience[0, d]
    before = base["actors"]["Damascus"]["salience"]["officers"]
    assert salience[k] == pytest.approx((before + 0.1) / 1.1)
    assert salience.sum() == pytest.approx(1.0)


def test_talks_that_lapse_resume_from_the_last_offers(base) -> None:
    data = quiet(base, talks_timeout=3)
    scenario = scenario_from_dict(data)
    model = NegotiationModel(scenario, rng=2)
    k = list(scenario.issues).index("officers")
    from lsr_sim.kernel.compiled import convene

    issues = np.zeros(len(scenario.issues), dtype=bool)
    issues[k] = True
    convene(model.kernel.sref, model.kernel.pref, 0, issues, -1, np.zeros_like(issues))
    model.run_for(3)  # three rounds without a deal: the talks lapse
    assert model.status[k] == 0
    remembered = model.kernel.state.offers[0, k].copy()
    assert np.isfinite(remembered[:2]).all()
    convene(model.kernel.sref, model.kernel.pref, 0, issues, -1, np.zeros_like(issues))
    np.testing.assert_array_equal(model.kernel.state.offers[0, k], remembered)
    assert model.kernel.state.rounds[0, k] == 0  # the clock restarts, the positions do not


def test_refugees_return_without_an_agreement(base) -> None:
    scenario = scenario_from_dict(quiet(base))
    ensemble = run_many(scenario, derive_seeds(1, 20), 52)
    q = [q for issue in scenario.issues.values() for q in issue.quantities].index("returned")
    rate = base["issues"]["refugees"]["quantities"]["returned"]["spontaneous_rate"]
    total = base["issues"]["refugees"]["quantities"]["returned"]["total"]
    np.testing.assert_allclose(ensemble.final["delivered"][:, q], total * (1 - (1 - rate) ** 52))
