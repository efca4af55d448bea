"""The Mesa model: scenario files run, invariants hold, events fire on their dates."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import mesa
import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lsr_sim.dynamics.status import (
    ALLOWED,
    IMPLEMENTED,
    IMPLEMENTING,
    ON_TABLE,
    OPEN,
    STATUS_NAMES,
)
from lsr_sim.model import Actor, NegotiationModel, build_network, compile_scenario
from lsr_sim.scenario import deep_merge, load_scenario, scenario_from_dict
from lsr_sim.scenario.loader import read_yaml_mapping

ROOT = Path(__file__).resolve().parents[1]
SCENARIO_FILES = sorted(p for p in (ROOT / "scenarios").rglob("*.yaml") if "sweeps" not in p.parts)


@pytest.fixture(scope="module")
def baseline():
    return load_scenario(ROOT / "scenarios" / "baseline.yaml")


@pytest.fixture(scope="module")
def baseline_dict():
    # The mechanics without the calibration: its facts name incidents some tests remove.
    return load_scenario(ROOT / "scenarios" / "baseline.yaml").model_dump(
        mode="json", by_alias=True, exclude_unset=True, exclude={"calibration"}
    )


def history(model: NegotiationModel, name: str) -> np.ndarray:
    return np.stack(model.datacollector.model_vars[name])


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=lambda p: p.stem)
def test_every_scenario_file_loads_and_runs(path: Path) -> None:
    scenario = load_scenario(path)
    model = NegotiationModel(scenario, rng=3)
    model.run_for(8)
    assert model.steps == 8
    assert len(model.datacollector.model_vars["trust"]) == 9
    assert np.isfinite(model.trust).all()


def test_there_are_at_least_four_variants() -> None:
    variants = [p for p in SCENARIO_FILES if "extends" in read_yaml_mapping(p)]
    assert len(variants) >= 4


def test_model_is_mesa_idiomatic(baseline) -> None:
    model = NegotiationModel(baseline, rng=1)
    assert isinstance(model, mesa.Model)
    assert [a.name for a in model.actors] == list(baseline.actors)
    assert all(isinstance(a, Actor) for a in model.agents)
    assert isinstance(model.network, mesa.discrete_space.Network)
    graph = model.network.G
    assert sorted(graph.nodes) == list(range(len(baseline.actors)))
    assert nx.get_node_attributes(graph, "name")[0] == "Beirut"
    assert graph.edges[3, 0]["pressure"] == pytest.approx(0.9)  # Hezbollah -> Beirut
    assert "rapprochement" in model.datacollector.model_reporters


def test_build_network_has_integer_nodes_and_names(baseline) -> None:
    graph = build_network(compile_scenario(baseline))
    assert all(isinstance(node, int) for node in graph.nodes)
    assert {graph.nodes[i]["name"] for i in graph.nodes} == set(baseline.actors)


def test_compiled_salience_rows_sum_to_one(baseline) -> None:
    c = compile_scenario(baseline)
    np.testing.assert_allclose(c.salience.sum(axis=1), 1.0)
    np.testing.assert_array_equal(np.diagonal(c.trust0), 1.0)


def test_dates_follow_weekly_steps(baseline) -> None:
    model = NegotiationModel(baseline, rng=1)
    assert model.date == dt.date(2024, 12, 8)
    model.run_for(3)
    assert model.date == dt.date(2024, 12, 29)


def test_july_2025_agreement_fires_in_its_week(baseline_dict) -> None:
    # Without mediation or direct talks, only the scheduled events move the border file.
    quiet = deep_merge(baseline_dict, {"dynamics": {"mediation_rate": 0, "direct_talks_rate": 0}})
    baseline = scenario_from_dict(quiet)
    model = NegotiationModel(baseline, rng=5)
    k = baseline.issue_names.index("border_control")
    step = baseline.run.step_of(dt.date(2025, 7, 15))
    model.run_for(step)
    status = history(model, "status")[:, k]
    # The March meeting put it on the table; in the July week it is agreed at terms 0.35.
    assert STATUS_NAMES[status[step - 1]] == "on_table"
    assert STATUS_NAMES[status[step]] == "agreed"
    deal = next(d for d in model.deal_log if d["issue"] == "border_control")
    assert deal["step"] == step
    assert deal["terms"] == pytest.approx(0.35)
    assert deal["origin"] == "event"
    model.run_for(1)
    assert model.status[k] == IMPLEMENTING


def test_scheduled_events_are_logged_at_their_step(baseline) -> None:
    model = NegotiationModel(baseline, rng=2)
    model.run_for(70)
    logged = {e["event"]: e["step"] for e in model.event_log if e["origin"] == "scheduled"}
    for name, event in baseline.events.items():
        if baseline.run.step_of(event.date) <= 70:
            assert logged[name] == baseline.run.step_of(event.date), name


def test_convene_event_puts_issue_on_the_table(baseline) -> None:
    model = NegotiationModel(baseline, rng=4)
    k = baseline.issue_names.index("detainees")
    step = baseline.run.step_of(dt.date(2026, 1, 8))
    model.run_for(step)
    assert model.status[k] in (ON_TABLE, 2, IMPLEMENTING)


def test_trust_shock_event_moves_trust(baseline_dict) -> None:
    data = deep_merge(
        baseline_dict,
        {
            "events": {
                "shock": {
                    "date": "2024-12-20",
                    "kind": "test",
                    "source": "test",
                    "effects": [
                        {"type": "trust_shock", "from": ["Beirut"], "to": ["Riyadh"], "delta": -0.5}
                    ],
                }
            },
            "incidents": None,
        },
    )
    scenario = scenario_from_dict(data)
    plain = scenario_from_dict({**data, "events": {}})
    a, b = NegotiationModel(scenario, rng=1), NegotiationModel(plain, rng=1)
    a.run_for(2)
    b.run_for(2)
    assert a.trust[0, 2] < b.trust[0, 2] - 0.3


def test_link_event_changes_network_weight(baseline) -> None:
    variant = load_scenario(ROOT / "scenarios" / "variants" / "riyadh_steps_back.yaml")
    model = NegotiationModel(variant, rng=1)
    step = variant.run.step_of(dt.date(2026, 2, 1))
    model.run_for(step)
    riyadh, beirut = variant.actor_names.index("Riyadh"), variant.actor_names.index("Beirut")
    assert model.links["mediation"][riyadh, beirut] == pytest.approx(0.2)


def test_veto_blocks_when_leverage_exceeds_resolve(baseline_dict) -> None:
    # A powerful Hezbollah at full pressure over a weak-willed Beirut blocks border deals.
    strong = deep_merge(
        baseline_dict,
        {
            "actors": {
                "Hezbollah": {"capability": 1.0, "strategy": {"params": {"sensitivity": 100}}},
                "Beirut": {"resolve": 0.0},
            },
            "dynamics": {"veto_strength": 2.0},
        },
    )
    model = NegotiationModel(scenario_from_dict(strong), rng=1)
    c = model.compiled
    k = c.issue_index("border_demarcation")
    model.status[k] = ON_TABLE
    model.pressure[c.actor_index("Hezbollah")] = 1.0
    blocker = model.find_veto([k], [0, 1], np.array([0.9]))
    assert blocker == (c.actor_index("Hezbollah"), c.actor_index("Beirut"))
    # Terms the veto holder likes (its ideal) are never blocked.
    assert model.find_veto([k], [0, 1], np.array([0.0])) is None
    # A resolute Beirut resists.
    firm = deep_merge(
        strong, {"actors": {"Beirut": {"resolve": 1.0}}, "dynamics": {"veto_strength": 1.0}}
    )
    model = NegotiationModel(scenario_from_dict(firm), rng=1)
    model.pressure[c.actor_index("Hezbollah")] = 1.0
    assert model.find_veto([k], [0, 1], np.array([0.9])) is None


def test_packages_need_links_and_differing_priorities(baseline) -> None:
    model = NegotiationModel(baseline, rng=1)
    c = model.compiled
    det, dem = c.issue_index("detainees"), c.issue_index("border_demarcation")
    ref = c.issue_index("refugees")
    model.status[[det, dem, ref]] = ON_TABLE
    groups = model.packages()
    # Detainees and demarcation are linked, and Damascus cares most about the first while
    # Beirut cares most about the second: a package. Refugees is linked to nothing.
    assert sorted([det, dem]) in groups
    assert [ref] in groups
    # Officers and detainees are linked, but both sides put detainees first: no package.
    off = c.issue_index("officers")
    model.status[:] = OPEN
    model.status[[det, off]] = ON_TABLE
    assert sorted(model.packages()) == sorted([[det], [off]])


def test_mediator_convenes_over_time(baseline) -> None:
    model = NegotiationModel(baseline, rng=11)
    model.run_for(150)
    talks = [e for e in model.event_log if e["event"] == "talks" and e["origin"] == "mediation"]
    assert talks, "Riyadh never convened talks in 150 weeks"
    assert all("Riyadh" in e["description"] for e in talks)


def test_implementation_completes_with_perfect_compliance(baseline_dict) -> None:
    data = deep_merge(
        baseline_dict,
        {
            "actors": {
                "Beirut": {"reliability": 1.0, "reciprocity": 0.0, "attention": 1.0},
                "Damascus": {"reliability": 1.0, "reciprocity": 0.0, "attention": 1.0},
            },
            "dynamics": {"compliance_trust_weight": 0.0, "spoiler_drag": 0.0},
            "incidents": None,
        },
    )
    model = NegotiationModel(scenario_from_dict(data), rng=1)
    k = model.compiled.issue_index("officers")
    model.agree([k], np.array([0.5]), [0, 1], origin="test")
    model.run_for(12)  # 0.1 per week: done in the eleventh week of implementation
    assert model.status[k] == IMPLEMENTED
    junior = next(i for i, s in enumerate(model.compiled.quantities) if s.name == "junior")
    assert model.delivered[junior] == pytest.approx(195.0 * 0.5 / 0.9)
    model.run_for(5)
    assert model.status[k] == IMPLEMENTED  # an issue without phases stays implemented


def test_a_phased_deal_settles_the_convicted_then_reopens_for_the_pre_trial(baseline_dict) -> None:
    data = deep_merge(
        baseline_dict,
        {
            "actors": {
                "Beirut": {"reliability": 1.0, "reciprocity": 0.0, "attention": 1.0},
                "Damascus": {"reliability": 1.0, "reciprocity": 0.0, "attention": 1.0},
            },
            "dynamics": {"compliance_trust_weight": 0.0, "spoiler_drag": 0.0},
            "incidents": None,
        },
    )
    model = NegotiationModel(scenario_from_dict(data), rng=1)
    k = model.compiled.issue_index("detainees")
    state = model.kernel.state
    assert state.cap[0, k] == 0.5  # the first phase ends at 0.5: the convicted
    model.agree([k], np.array([0.5]), [0, 1], origin="test")
    for _ in range(20):
        model.step()
        if model.status[k] == IMPLEMENTED:
            break
    assert model.status[k] == IMPLEMENTED
    quantity = {s.name: i for i, s in enumerate(model.compiled.quantities)}
    assert model.delivered[quantity["convicted"]] == pytest.approx(370.0)
    assert model.delivered[quantity["pre_trial"]] == 0.0
    model.step()  # the next phase opens from the position reached
    assert model.status[k] in (OPEN, ON_TABLE)
    assert state.status_quo[0, k] == pytest.approx(0.5) and state.cap[0, k] == 1.0
    assert model.delivered[quantity["convicted"]] == pytest.approx(370.0)  # stays delivered


def test_implementation_collapses_when_nobody_complies(baseline_dict) -> None:
    data = deep_merge(
        baseline_dict,
        {
            "actors": {"Beirut": {"reliability": 0.0}, "Damascus": {"reliability": 0.0}},
            "incidents": None,
        },
    )
    model = NegotiationModel(scenario_from_dict(data), rng=1)
    k = model.compiled.issue_index("refugees")
    model.agree([k], np.array([0.5]), [0, 1], origin="test")
    after = model.dynamics.collapse_after
    model.run_for(after + 1)
    assert STATUS_NAMES[model.status[k]] == "collapsed"
    model.run_for(model.dynamics.reopen_after + 1)
    assert model.status[k] in (OPEN, ON_TABLE)


# -- invariants over random scenarios and seeds ----------------------------------------------
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    seed=st.integers(0, 2**32 - 1),
    gain_rate=st.floats(0.0, 1.0),
    loss_rate=st.floats(0.0, 1.0),
    mediation_rate=st.floats(0.0, 5.0),
    direct=st.floats(0.0, 1.0),
    clash=st.floats(0.0, 1.0),
    reliability=st.floats(0.0, 1.0),
    reservation=st.floats(0.0, 1.0),
)
def test_model_invariants(
    baseline_dict,
    seed,
    gain_rate,
    loss_rate,
    mediation_rate,
    direct,
    clash,
    reliability,
    reservation,
) -> None:
    data = deep_merge(
        baseline_dict,
        {
            "dynamics": {
                "trust_gain_rate": gain_rate,
                "trust_loss_rate": loss_rate,
                "mediation_rate": mediation_rate,
                "direct_talks_rate": direct,
            },
            "incidents": {"border_clash": {"rate": clash}},
            "actors": {
                "Beirut": {"reliability": reliability, "reservation": reservation},
                "Damascus": {"reservation": reservation},
            },
        },
    )
    model = NegotiationModel(scenario_from_dict(data), rng=seed)
    model.run_for(60)
    trust = history(model, "trust")
    assert np.isfinite(trust).all()
    assert ((trust >= 0) & (trust <= 1)).all()
    assert (np.diagonal(trust, axis1=1, axis2=2) == 1).all()
    status = history(model, "status")
    assert ALLOWED[status[:-1], status[1:]].all(), "an issue made a forbidden transition"
    progress = history(model, "progress")
    assert ((progress >= 0) & (progress <= 1)).all()
    position = history(model, "position")
    assert np.isfinite(position).all() and ((position >= 0) & (position <= 1)).all()
    delivered = history(model, "delivered")
    totals = np.array([q.total for q in model.compiled.quantities])
    assert (delivered <= totals + 1e-9).all()
    assert (np.diff(delivered, axis=0) >= -1e-12).all(), "delivered quantities went down"
    np.testing.assert_allclose(model.compiled.salience.sum(axis=1), 1.0)
    for key in ("rapprochement", "mean_trust"):
        values = np.array(model.datacollector.model_vars[key])
        assert ((values >= 0) & (values <= 1)).all()


def test_no_global_random_state_is_used(baseline) -> None:
    import random

    np_state = np.random.get_state()[1].copy()  # noqa: NPY002 - checking it is untouched
    py_state = random.getstate()
    NegotiationModel(baseline, rng=1).run_for(30)
    assert (np.random.get_state()[1] == np_state).all()  # noqa: NPY002
    assert random.getstate() == py_state


def test_batch_run_returns_rows(baseline) -> None:
    from mesa.batchrunner import batch_run

    rows = batch_run(
        NegotiationModel,
        parameters={"scenario": [baseline]},
        rng=[1, 2],
        max_steps=5,
        number_processes=1,
        data_collection_period=-1,
        display_progress=False,
    )
    assert len(rows) == 2
    assert {"rapprochement", "mean_trust", "Step"} <= set(rows[0])
    assert rows[0]["Step"] == 5
