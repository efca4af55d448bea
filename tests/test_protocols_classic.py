"""The classic models as negotiation protocols (:mod:`lsr_sim.protocols.classic`).

Read top to bottom, this is the script of a researcher checking the wiring:

1. every protocol name is selectable in a scenario, for every table (``dynamics.protocol``)
   and per issue (``issues.<name>.protocol``); the scenario loads, validates and runs;
2. a two-party protocol on a three-party issue is refused, naming the field to change;
3. on hand-built tables, each protocol proposes what its classic model computes, and the
   parties sign only what the model's trust-discounted acceptance allows;
4. the same scenario and seed give identical tables under every protocol;
5. the batch engine runs these scenarios through the Mesa model, saying why, once.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from protocol_helpers import floors, trust_discounted_value
from protocol_helpers import make_table as protocol_table

import lsr_sim
from lsr_sim.batch import run_batch, supports
from lsr_sim.classic.bdm import bdm_round, weighted_median
from lsr_sim.classic.concession import time_based_negotiation
from lsr_sim.classic.nash import kalai_smorodinsky, nash_bargaining
from lsr_sim.classic.rubinstein import rubinstein_share
from lsr_sim.classic.stokman import adopt_votes, exchange_round, expected_outcome
from lsr_sim.errors import ScenarioError
from lsr_sim.model import NegotiationModel
from lsr_sim.protocols import (
    NegotiationProtocol,
    RoundResult,
    Table,
    get_protocol,
    protocol_names,
)
from lsr_sim.protocols.classic import (
    CLASSIC_PROTOCOLS,
    BDMProtocol,
    RubinsteinProtocol,
    StokmanProtocol,
)
from lsr_sim.scenario import Scenario, load_scenario, scenario_from_dict
from lsr_sim.scenario.loader import read_yaml_mapping
from lsr_sim.strategies import Strategy, TimeBased, make_strategy
from lsr_sim.synthetic import synthetic_data

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"

CLASSIC = [cls.name for cls in CLASSIC_PROTOCOLS]
TWO_PARTY = [cls.name for cls in CLASSIC_PROTOCOLS if cls.parties == 2]
ANY_PARTIES = [name for name in protocol_names() if name not in TWO_PARTY]

# Baseline steps: the March 2025 Saudi meeting convenes border_control and weapons_corridor
# in step 14, so 30 steps hold at least 16 rounds of talks on them.
STEPS = 30


@pytest.fixture(scope="module")
def baseline_data() -> dict[str, Any]:
    return read_yaml_mapping(BASELINE)


@pytest.fixture(scope="module")
def baseline() -> Scenario:
    return load_scenario(BASELINE)


def variant(data: dict[str, Any], edit: dict[str, Any], source: str = "variant.yaml") -> Scenario:
    """`data` with dotted-path fields set (``{"dynamics.protocol": "nash"}``), validated."""
    data = copy.deepcopy(data)
    for path, value in edit.items():
        *parents, last = path.split(".")
        node = data
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = value
    return scenario_from_dict(data, source)


def negotiate_calls(scenario: Scenario, seed: int, steps: int) -> dict[str, int]:
    """Run the Mesa model and count the rounds each protocol held."""
    model = NegotiationModel(scenario, rng=seed)
    calls = dict.fromkeys(model.protocols, 0)
    for name, protocol in model.protocols.items():
        inner = protocol.negotiate

        def counted(table: Table, _inner: Any = inner, _name: str = name) -> RoundResult:
            calls[_name] += 1
            return _inner(table)

        protocol.negotiate = counted
    model.run_for(steps)
    return calls


# -- 1. selectable in a scenario ---------------------------------------------------------------


def test_every_protocol_is_registered() -> None:
    assert protocol_names() == ["offers", *CLASSIC]
    for name in protocol_names():
        assert get_protocol(name).name == name


@pytest.mark.parametrize("name", protocol_names())
def test_every_protocol_is_selectable_for_every_table(baseline_data, name: str) -> None:
    scenario = variant(baseline_data, {"dynamics.protocol": name})
    assert scenario.dynamics.protocol == name
    assert {i.protocol for i in scenario.issues.values()} == {None}  # all follow the default
    result = lsr_sim.run(scenario, seed=5, steps=STEPS)
    assert len(result.issues) == (STEPS + 1) * len(scenario.issues)
    assert np.isfinite(result.trust["trust"]).all()
    calls = negotiate_calls(scenario, seed=5, steps=STEPS)
    assert set(calls) == {name} and calls[name] >= STEPS - 14


@pytest.mark.parametrize("name", CLASSIC)
def test_every_protocol_is_selectable_per_issue(baseline_data, name: str) -> None:
    scenario = variant(baseline_data, {"issues.border_control.protocol": name})
    assert scenario.issues["border_control"].protocol == name
    assert scenario.dynamics.protocol == "offers"
    result = lsr_sim.run(scenario, seed=5, steps=STEPS)
    assert set(result.issues["issue"]) == set(scenario.issues)
    calls = negotiate_calls(scenario, seed=5, steps=STEPS)
    assert set(calls) == {"offers", name}
    assert calls[name] > 0 and calls["offers"] > 0


def test_each_issue_its_own_classic_protocol(baseline_data) -> None:
    issues = list(baseline_data["issues"])
    assert len(issues) == len(CLASSIC) == 6
    edit = {f"issues.{i}.protocol": p for i, p in zip(issues, CLASSIC, strict=True)}
    scenario = variant(baseline_data, edit)
    model = NegotiationModel(scenario, rng=2)
    assert model.compiled.protocols == tuple(CLASSIC)
    model.run_for(STEPS)
    assert np.isfinite(model.trust).all()


def test_a_yaml_variant_selects_a_protocol(write_variant) -> None:
    path = write_variant("dynamics: {protocol: bdm}\nissues: {refugees: {protocol: nash}}\n")
    scenario = load_scenario(path)
    assert scenario.dynamics.protocol == "bdm"
    assert scenario.issues["refugees"].protocol == "nash"
    assert lsr_sim.run(scenario, seed=1, steps=5).steps == 5


# -- 2. two-party protocols need two parties -----------------------------------------------------


@pytest.fixture(scope="module")
def three_party_data() -> dict[str, Any]:
    """A synthetic scenario whose issues each have three parties (I00: A03, A04, A05)."""
    data = synthetic_data(7, 3, seed=4, parties_per_issue=3, steps=20)
    assert data["issues"]["I00"]["parties"] == ["A03", "A04", "A05"]
    return data


@pytest.mark.parametrize("name", TWO_PARTY)
def test_two_party_protocol_for_every_table_is_refused(three_party_data, name: str) -> None:
    with pytest.raises(ScenarioError) as info:
        variant(three_party_data, {"dynamics.protocol": name}, source="three.yaml")
    assert str(info.value) == (
        f"three.yaml: dynamics.protocol: protocol {name!r} is for 2 parties, but issue 'I00' "
        "has 3 (A03, A04, A05); give this issue another protocol (issues.I00.protocol)"
    )
    assert info.value.path == "dynamics.protocol"


@pytest.mark.parametrize("name", TWO_PARTY)
def test_two_party_protocol_on_one_issue_is_refused(three_party_data, name: str) -> None:
    with pytest.raises(ScenarioError) as info:
        variant(three_party_data, {"issues.I01.protocol": name}, source="three.yaml")
    parties = ", ".join(three_party_data["issues"]["I01"]["parties"])
    assert str(info.value) == (
        f"three.yaml: issues.I01.protocol: protocol {name!r} is for 2 parties, but issue 'I01' "
        f"has 3 ({parties}); give this issue another protocol (issues.I01.protocol)"
    )


def test_the_fix_the_message_names_works(three_party_data) -> None:
    """A two-party default with every three-party issue given its own protocol is fine."""
    issues = list(three_party_data["issues"])
    edit: dict[str, Any] = {"dynamics.protocol": "rubinstein"}
    edit |= {f"issues.{i}.protocol": "nash" for i in issues}
    scenario = variant(three_party_data, edit)
    assert lsr_sim.run(scenario, seed=1, steps=4).steps == 4


def test_a_two_party_issue_keeps_its_two_party_protocol(three_party_data) -> None:
    data = copy.deepcopy(three_party_data)
    data["issues"]["I02"]["parties"] = data["issues"]["I02"]["parties"][:2]
    edit = {"dynamics.protocol": "stokman", "issues.I02.protocol": "time_based_concession"}
    assert variant(data, edit).issues["I02"].protocol == "time_based_concession"
    with pytest.raises(ScenarioError, match=r"issues\.I01\.protocol: protocol 'rubinstein'"):
        variant(data, {"issues.I02.protocol": "rubinstein", "issues.I01.protocol": "rubinstein"})


@pytest.mark.parametrize("name", ANY_PARTIES)
def test_multi_party_protocols_run_on_three_party_tables(three_party_data, name: str) -> None:
    scenario = variant(three_party_data, {"dynamics.protocol": name})
    calls = negotiate_calls(scenario, seed=3, steps=20)
    assert calls[name] > 0


def test_a_yaml_file_gets_the_same_message_from_validate(write_yaml, three_party_data) -> None:
    from lsr_sim.cli import main

    data = copy.deepcopy(three_party_data)
    data["issues"]["I00"]["protocol"] = "rubinstein"
    path = write_yaml(yaml.safe_dump(data, sort_keys=False))
    assert main(["validate", str(path)]) == 2
    with pytest.raises(ScenarioError, match=r"issues\.I00\.protocol: protocol 'rubinstein' is"):
        load_scenario(path)


def test_check_parties_guards_the_tables_too() -> None:
    table = make_table([[0.1], [0.5], [0.9]], [0.0])
    with pytest.raises(ValueError, match="needs 2 parties, got 3"):
        RubinsteinProtocol().negotiate(table)


# -- 3. on tables: each protocol proposes its model's terms ---------------------------------------


def make_table(
    ideal: Sequence[Sequence[float]],
    status_quo: Sequence[float],
    *,
    salience: Sequence[Sequence[float]] | None = None,
    capability: Sequence[float] | None = None,
    reservation: float = 0.0,
    trust: float = 1.0,
    strategies: Sequence[Strategy] | None = None,
    deadline: int = 26,
) -> Table:
    """A first-round table; `trust` is every party's trust in every other."""
    return protocol_table(
        ideal,
        strategies or [make_strategy("linear")] * len(ideal),
        status_quo,
        salience=salience,
        capability=capability,
        reservation=reservation,
        trust=trust,
        deadline=deadline,
    )


def next_round(table: Table, result: RoundResult) -> Table:
    """The next round's table, as ``NegotiationModel.negotiate_package`` builds it."""
    return replace(
        table,
        round=table.round + 1,
        previous_offers=result.offers,
        previous_aspiration=result.aspiration,
        previous_concession=result.concession,
    )


def talks(
    name: str | NegotiationProtocol, table: Table, rounds: int = 60
) -> list[tuple[Table, RoundResult]]:
    """Rounds of talks with one protocol instance until terms are agreed (or `rounds`)."""
    protocol = get_protocol(name) if isinstance(name, str) else name
    held = []
    for _ in range(rounds):
        result = protocol.negotiate(table)
        held.append((table, result))
        if result.terms is not None:
            break
        table = next_round(table, result)
    return held


# Beirut and Damascus on border demarcation and detainees (the baseline's numbers), the
# status quo at 0: both gain from moving off it, Damascus more.
PAIR = {
    "ideal": [[0.6, 0.45], [0.7, 1.0]],
    "status_quo": [0.0, 0.0],
    "salience": [[0.2, 0.15], [0.1, 0.35]],
    "capability": [0.45, 0.5],
}


class TestNash:
    def test_proposes_the_weighted_nash_point(self) -> None:
        table = make_table(**PAIR)
        result = get_protocol("nash").negotiate(table)
        expected = nash_bargaining(
            table.ideal, table.salience, weights=table.capability, status_quo=table.status_quo
        ).point
        assert result.terms is not None and expected is not None
        np.testing.assert_array_equal(result.terms, expected)
        np.testing.assert_array_equal(result.offers, np.vstack([expected, expected]))
        np.testing.assert_allclose(result.value, trust_discounted_value(table, expected))

    def test_high_trust_agrees_no_trust_does_not(self) -> None:
        trusting = make_table(**PAIR, trust=0.9, reservation=0.25)
        assert get_protocol("nash").negotiate(trusting).terms is not None
        wary = replace(trusting, trust=np.eye(2))  # trust 0 in each other
        result = get_protocol("nash").negotiate(wary)
        assert result.terms is None
        np.testing.assert_array_equal(result.value, np.zeros(2))
        # the proposal stands (offers are the solution), it is just not signed
        np.testing.assert_array_equal(
            result.offers, get_protocol("nash").negotiate(trusting).offers
        )

    def test_agreement_needs_every_value_at_its_floor(self) -> None:
        table = make_table(**PAIR, trust=0.5)
        terms = get_protocol("nash").negotiate(table).terms
        assert terms is not None
        value = trust_discounted_value(table, terms)
        best = np.sum(table.salience * np.abs(table.ideal - table.status_quo), axis=1)
        # reservation shares that put the floor exactly at each party's value ...
        exact = value / best
        at_floor = replace(table, reservation=exact)
        np.testing.assert_allclose(floors(at_floor), value)
        assert get_protocol("nash").negotiate(at_floor).terms is not None
        # ... and a hair above it for either party: no deal
        for party in range(2):
            raised = exact.copy()
            raised[party] *= 1 + 1e-9
            above = replace(table, reservation=raised)
            assert get_protocol("nash").negotiate(above).terms is None

    def test_solved_once_per_table(self) -> None:
        protocol = get_protocol("nash")
        table = make_table(**PAIR)
        first = protocol.negotiate(table)
        later = protocol.negotiate(replace(table, round=5, previous_offers=first.offers))
        assert len(protocol._solved) == 1
        np.testing.assert_array_equal(first.terms, later.terms)

    def test_no_terms_beat_the_status_quo_no_proposal(self) -> None:
        # Both ideals sit at the status quo on their own side: any move costs someone.
        table = make_table([[0.0], [1.0]], [0.5])
        result = get_protocol("nash").negotiate(table)
        assert result.terms is None
        np.testing.assert_array_equal(result.offers, table.ideal)

    def test_three_parties(self) -> None:
        table = make_table([[0.2], [0.6], [1.0]], [0.0], capability=[0.5, 0.3, 0.2])
        result = get_protocol("nash").negotiate(table)
        expected = nash_bargaining(
            table.ideal, table.salience, weights=table.capability, status_quo=table.status_quo
        ).point
        np.testing.assert_array_equal(result.terms, expected)


def test_kalai_smorodinsky_proposes_its_solution() -> None:
    table = make_table(**PAIR)
    result = get_protocol("kalai_smorodinsky").negotiate(table)
    expected = kalai_smorodinsky(table.ideal, table.salience, status_quo=table.status_quo).point
    np.testing.assert_array_equal(result.terms, expected)


class TestRubinstein:
    @pytest.mark.parametrize("capability", [[0.45, 0.5], [0.5, 0.45]])
    def test_the_more_capable_proposes_first_and_gets_the_larger_share(
        self, capability: list[float]
    ) -> None:
        table = make_table(**{**PAIR, "capability": capability})
        result = get_protocol("rubinstein").negotiate(table)
        d = RubinsteinProtocol.discount
        share = (1 - d) / (1 - d**2)
        assert share == pytest.approx(rubinstein_share(d, d)) and share > 0.5
        first = int(np.argmax(capability))
        own, other = table.ideal[first], table.ideal[1 - first]
        np.testing.assert_allclose(result.terms, other + share * (own - other), rtol=1e-15)
        # the share of the distance, issue by issue, from the other's ideal
        np.testing.assert_allclose((result.terms - other) / (own - other), [share, share])

    def test_agreement_is_immediate_when_trust_allows(self) -> None:
        table = make_table(**PAIR, trust=1.0, reservation=0.2)
        assert get_protocol("rubinstein").negotiate(table).terms is not None
        wary = replace(table, trust=np.eye(2))
        assert get_protocol("rubinstein").negotiate(wary).terms is None


# Each party cares most about a different issue (BDM: each capitulates on its minor one;
# Stokman: they exchange votes).
CROSSED = {
    "ideal": [[0.2, 0.8], [0.9, 0.1]],
    "status_quo": [0.0, 0.0],
    "salience": [[0.8, 0.2], [0.3, 0.7]],
    "capability": [0.4, 0.6],
}


class TestBDM:
    def test_agrees_at_the_weighted_median_once_positions_converge(self) -> None:
        held = talks("bdm", make_table(**CROSSED))
        *before, (last_table, last) = held
        assert last.terms is not None
        assert len(before) >= 3
        weight = last_table.capability[:, None] * last_table.salience
        expected = [weighted_median(last.offers[:, k], weight[:, k]) for k in range(2)]
        np.testing.assert_array_equal(last.terms, expected)
        spread = np.ptp(last.offers, axis=0)
        assert np.all(spread <= BDMProtocol.tolerance)
        for _, result in before:  # not before: some issue still further apart
            assert result.terms is None
            assert np.ptp(result.offers, axis=0).max() > BDMProtocol.tolerance

    def test_each_round_is_one_bdm_round_from_the_last_positions(self) -> None:
        held = talks("bdm", make_table(**CROSSED))
        for table, result in held:
            start = table.ideal if table.previous_offers is None else table.previous_offers
            for k in range(2):
                step = bdm_round(
                    capability=table.capability,
                    position=start[:, k],
                    salience=table.salience[:, k],
                    names=["a", "b"],
                    scale=(0.0, 1.0),
                )
                np.testing.assert_array_equal(result.offers[:, k], step.position)

    def test_converged_but_refused_by_a_party_is_no_deal(self) -> None:
        table = make_table(**CROSSED, reservation=0.1)
        assert talks("bdm", table)[-1][1].terms is not None
        wary = replace(table, trust=np.eye(2))
        held = talks("bdm", wary, rounds=20)
        assert all(result.terms is None for _, result in held)
        assert np.ptp(held[-1][1].offers, axis=0).max() <= BDMProtocol.tolerance


class TestStokman:
    @staticmethod
    def replay(table: Table) -> tuple[np.ndarray, np.ndarray, tuple]:
        """The round's start, votes and exchanges, by the model's own functions."""
        start = table.ideal if table.previous_offers is None else table.previous_offers
        rng = np.random.default_rng(table.round)
        votes, exchanges = exchange_round(start, table.salience, table.capability, rng=rng)
        return start, votes, exchanges

    def test_settles_at_the_expected_outcome_once_exchanges_shift_votes_little(self) -> None:
        held = talks("stokman", make_table(**CROSSED), rounds=80)
        *before, (last_table, last) = held
        assert last.terms is not None
        start, votes, exchanges = self.replay(last_table)
        assert np.abs(votes - start).max() <= StokmanProtocol.tolerance
        offers = adopt_votes(start, votes, last_table.salience) if exchanges else votes
        np.testing.assert_array_equal(last.offers, offers)
        np.testing.assert_array_equal(
            last.terms, expected_outcome(votes, last_table.salience, last_table.capability)
        )
        assert len(before) >= 3
        for table, result in before:  # not before: some vote still shifts by more
            start, votes, exchanges = self.replay(table)
            assert exchanges and result.terms is None
            assert np.abs(votes - start).max() > StokmanProtocol.tolerance
            np.testing.assert_array_equal(result.offers, adopt_votes(start, votes, table.salience))

    def test_without_tolerance_it_waits_until_no_exchange_is_left(self) -> None:
        class Exhaustive(StokmanProtocol):
            tolerance = 0.0

        settled = talks("stokman", make_table(**CROSSED), rounds=80)
        held = talks(Exhaustive(), make_table(**CROSSED), rounds=80)
        last_table, last = held[-1]
        assert last.terms is not None
        assert self.replay(last_table)[2] == ()
        assert len(held) > 10 + len(settled)  # the exchanges dwindle, geometrically
        for table, result in held[:-1]:
            assert self.replay(table)[2] and result.terms is None

    def test_one_issue_has_no_exchange_agreed_at_once(self) -> None:
        table = make_table([[0.6], [0.9]], [0.0], salience=[[0.5], [0.4]], capability=[1, 2])
        result = get_protocol("stokman").negotiate(table)
        np.testing.assert_allclose(result.terms, [(0.5 * 0.6 + 0.8 * 0.9) / 1.3])


@pytest.mark.parametrize("name", ["bdm", "stokman"])
def test_an_issue_nobody_at_the_table_cares_about(name: str) -> None:
    """Regression: capability x salience 0 for every party used to raise ValueError."""
    table = make_table(
        [[0.6, 0.3], [0.9, 0.7]], [0.0, 0.0], salience=[[0.3, 0.0], [0.3, 0.0]], capability=[1, 3]
    )
    held = talks(name, table, rounds=30)
    for _, result in held:
        np.testing.assert_array_equal(result.offers[:, 1], [0.3, 0.7])  # nobody moves there
    # ... and it holds up nothing: terms there are weighted by capability alone
    terms = held[-1][1].terms
    assert terms is not None
    assert terms[1] == pytest.approx(0.7 if name == "bdm" else (0.3 + 3 * 0.7) / 4)


class TestTimeBasedConcession:
    @pytest.mark.parametrize(
        ("a", "b"), [("boulware", "conceder"), ("linear", "linear"), ("conceder", "tit_for_tat")]
    )
    def test_agrees_in_the_round_the_classic_protocol_reports(self, a: str, b: str) -> None:
        strategies = [make_strategy(a), make_strategy(b)]
        ideal = [[1.0, 0.6], [0.4, 0.9]]  # both gain from leaving the status quo (0, 0)
        table = make_table(ideal, [0.0, 0.0], capability=[0.4, 0.6], strategies=strategies)
        tactics = [s if isinstance(s, TimeBased) else "linear" for s in strategies]
        classic = [
            time_based_negotiation(
                *tactics, deadline=26, ideal_a=ideal[0][k], ideal_b=ideal[1][k], first="b"
            )
            for k in range(2)
        ]
        assert all(c.agreement for c in classic)
        agreed_in = max(c.round for c in classic)
        held = talks("time_based_concession", table)
        assert len(held) == agreed_in + 1
        assert all(result.terms is None for _, result in held[:-1])
        np.testing.assert_array_equal(held[-1][1].terms, [c.point for c in classic])

    def test_offers_follow_the_history(self) -> None:
        strategies = [make_strategy("boulware"), make_strategy("conceder")]
        table = make_table([[1.0], [0.4]], [0.0], capability=[0.6, 0.4], strategies=strategies)
        classic = time_based_negotiation(*strategies, deadline=26, ideal_a=1.0, ideal_b=0.4)
        history = classic.history
        for table_, result in talks("time_based_concession", table):
            made = history[history["round"] <= table_.round]
            for party, side in ((0, "a"), (1, "b")):
                own = made[made["proposer"] == side]["offer"]
                expected = own.iloc[-1] if len(own) else table.ideal[party, 0]
                assert result.offers[party, 0] == expected


# -- 4. reproducible -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", CLASSIC)
def test_same_scenario_and_seed_same_tables(baseline, name: str) -> None:
    scenario = baseline.model_copy(
        update={"dynamics": baseline.dynamics.model_copy(update={"protocol": name})}
    )
    first = lsr_sim.run(scenario, seed=11, steps=40)
    again = lsr_sim.run(scenario, seed=11, steps=40)
    for table, frame in first.tables().items():
        pd.testing.assert_frame_equal(frame, again.tables()[table], obj=f"{name}: {table}")


# -- 5. the batch engine runs them, one table per run -------------------------------------------


@pytest.mark.parametrize("name", CLASSIC)
def test_the_batch_engine_supports_every_protocol(baseline, name: str) -> None:
    assert supports(baseline) == (True, "")
    everywhere = baseline.model_copy(
        update={"dynamics": baseline.dynamics.model_copy(update={"protocol": name})}
    )
    assert supports(everywhere) == (True, "")
    issues = dict(baseline.issues)
    issues["refugees"] = issues["refugees"].model_copy(update={"protocol": name})
    one_issue = baseline.model_copy(update={"issues": issues})
    assert supports(one_issue) == (True, "")


@pytest.mark.parametrize("name", ["stokman", "nash", "time_based_concession"])
def test_run_batch_gives_the_mesa_results_without_falling_back(baseline, name: str) -> None:
    # A classic protocol takes one run's table at a time: the kernel calls it once per run,
    # inside the batch, and the numbers are the Mesa model's.
    scenario = baseline.model_copy(
        update={"dynamics": baseline.dynamics.model_copy(update={"protocol": name})}
    )
    seeds = [3, 4]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = run_batch([scenario, scenario], seeds, STEPS)
    assert [w for w in caught if issubclass(w.category, RuntimeWarning)] == []
    assert result.engine == ["batch", "batch"]
    expected = pd.concat(
        [lsr_sim.run(scenario, seed=s, steps=STEPS).summary for s in seeds], ignore_index=True
    )
    pd.testing.assert_frame_equal(result.summary(), expected)
