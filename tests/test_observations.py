"""Observations files: dated facts, validated once, evaluated on an ensemble's history."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from lsr_sim.experiment import derive_seeds, run_many
from lsr_sim.observations import (
    ObservationsError,
    check_observations,
    fact_outcomes,
    fact_step,
    load_observations,
    observations_from_dict,
)
from lsr_sim.scenario import load_scenario

FACTS = {
    "name": "test",
    "facts": {
        "coordination": {
            "date": "2025-07-31",
            "status": {"issue": "border_control", "in": ["agreed", "implementing", "implemented"]},
        },
        "no_demarcation": {
            "date": "2026-01-19",
            "progress": {"issue": "border_demarcation", "at_most": 0},
        },
        "distrust": {
            "date": "2026-01-19",
            "trust": {"truster": "Beirut", "trustee": "Damascus", "at_most": 0.4},
        },
        "no_detainee_deal": {
            "date": "2026-01-19",
            "agreed": {"issue": "detainees", "by_then": False},
        },
        "convicted": {
            "date": "2026-01-19",
            "delivered": {"issue": "detainees", "quantity": "convicted", "value": 0},
        },
    },
}


@pytest.fixture(scope="module")
def baseline():
    return load_scenario("scenarios/baseline.yaml")


def test_a_file_loads_and_fits_the_baseline(tmp_path, baseline) -> None:
    import yaml

    path = tmp_path / "facts.yaml"
    path.write_text(yaml.safe_dump(FACTS, sort_keys=False))
    observations = load_observations(path)
    assert list(observations.facts) == list(FACTS["facts"])
    assert observations.facts["convicted"].measured and not observations.facts["distrust"].measured
    check_observations(observations, baseline)
    assert list(observations.up_to(dt.date(2025, 12, 31)).facts) == ["coordination"]
    assert "coordination" not in observations.after(dt.date(2025, 12, 31)).facts


def test_facts_are_evaluated_run_by_run(baseline) -> None:
    observations = observations_from_dict(FACTS)
    ensemble = run_many(baseline, derive_seeds(3, 40), 59, history=True)
    assert ensemble.history is not None
    table = fact_outcomes(observations, baseline, ensemble.history, ensemble.final["first_agreed"])
    assert table.shape == (40, 5)
    step = fact_step(baseline, dt.date(2026, 1, 19))
    trust = ensemble.history["trust"][:, step, 0, 1]
    np.testing.assert_array_equal(table["distrust"], trust <= 0.4 + 1e-12)
    agreed = ensemble.final["first_agreed"][:, 3]
    np.testing.assert_array_equal(table["no_detainee_deal"], ~((agreed >= 0) & (agreed <= step)))
    # The July 2025 agreement is a scheduled event: in every run it holds at the end of July.
    assert table["coordination"].all()
    assert table["convicted"].dtype == float


@pytest.mark.parametrize(
    ("edit", "path", "words"),
    [
        ({"facts": {}}, "facts", "at least 1"),
        ({"facts": {"x": {"date": "2025-01-01"}}}, "facts.x", "exactly one of"),
        (
            {"facts": {"x": {"date": "2025-01-01", "progress": {"issue": "a"}}}},
            "facts.x.progress",
            "at_least, at_most",
        ),
        (
            {"facts": {"x": {"date": "2025-01-01", "status": {"issue": "a", "in": ["done"]}}}},
            "facts.x.status.in[0]",
            "on_table",
        ),
    ],
)
def test_bad_facts_get_one_line(edit, path, words) -> None:
    with pytest.raises(ObservationsError) as caught:
        observations_from_dict({"name": "bad", **edit}, "bad.yaml")
    message = str(caught.value)
    assert message.startswith(f"bad.yaml: {path}") and words in message and "\n" not in message


def test_facts_must_fit_the_scenario(baseline) -> None:
    wrong_issue = {
        "name": "x",
        "facts": {"f": {"date": "2025-05-01", "agreed": {"issue": "water", "by_then": True}}},
    }
    with pytest.raises(
        ObservationsError, match=r"facts.f.agreed.issue: 'water' is not in scenario"
    ):
        check_observations(observations_from_dict(wrong_issue), baseline)
    late = {
        "name": "x",
        "facts": {"f": {"date": "2031-01-01", "agreed": {"issue": "detainees", "by_then": True}}},
    }
    with pytest.raises(ObservationsError, match=r"facts.f.date: 2031-01-01 is outside the run"):
        check_observations(observations_from_dict(late), baseline)
    quantity = {
        "name": "x",
        "facts": {
            "f": {
                "date": "2025-05-01",
                "delivered": {"issue": "detainees", "quantity": "x", "at_least": 1},
            }
        },
    }
    with pytest.raises(ObservationsError, match=r"not a quantity of issue 'detainees'"):
        check_observations(observations_from_dict(quantity), baseline)


def test_a_history_that_starts_late_is_read_from_its_offset(baseline) -> None:
    observations = observations_from_dict(FACTS)
    ensemble = run_many(baseline, derive_seeds(4, 6), 59, history=True)
    assert ensemble.history is not None
    first_agreed = ensemble.final["first_agreed"]
    whole = fact_outcomes(observations, baseline, ensemble.history, first_agreed)
    offset = fact_step(baseline, dt.date(2025, 7, 1))
    tail = {name: values[:, offset:] for name, values in ensemble.history.items()}
    late = fact_outcomes(observations, baseline, tail, first_agreed, offset=offset)
    assert late.equals(whole)
    with pytest.raises(ValueError, match=r"fact 'coordination' \(2025-07-31\) is before step"):
        fact_outcomes(observations, baseline, tail, first_agreed, offset=offset + 10)


def test_a_fact_that_did_not_hold_is_the_negation(baseline) -> None:
    facts = {
        "name": "x",
        "facts": {
            "on": {"date": "2026-01-19", "status": {"issue": "detainees", "in": ["on_table"]}},
            "not_on": {
                "date": "2026-01-19",
                "holds": False,
                "status": {"issue": "detainees", "in": ["on_table"]},
            },
        },
    }
    observations = observations_from_dict(facts)
    assert observations.facts["not_on"].event == "status condition"
    assert not observations.facts["not_on"].happened and observations.facts["on"].happened
    ensemble = run_many(baseline, derive_seeds(5, 20), 59, history=True)
    assert ensemble.history is not None
    table = fact_outcomes(observations, baseline, ensemble.history, ensemble.final["first_agreed"])
    np.testing.assert_array_equal(table["not_on"], ~table["on"])


@pytest.mark.parametrize(
    ("fact", "words"),
    [
        ({"agreed": {"issue": "detainees", "by_then": True}}, "by_then: false instead"),
        (
            {"delivered": {"issue": "detainees", "quantity": "convicted", "value": 3}},
            "always holds",
        ),
    ],
)
def test_holds_false_is_refused_where_it_has_no_meaning(fact, words) -> None:
    data = {"name": "x", "facts": {"f": {"date": "2026-01-19", "holds": False, **fact}}}
    with pytest.raises(ObservationsError, match=words):
        observations_from_dict(data, "x.yaml")
