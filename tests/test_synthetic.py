"""Synthetic scenarios: valid at any size, and the batch engine agrees with Mesa on them."""

from __future__ import annotations

import numpy as np
import pytest

from lsr_sim.batch import run_batch
from lsr_sim.experiment import summary_row
from lsr_sim.model import NegotiationModel
from lsr_sim.synthetic import synthetic_data, synthetic_scenario


@pytest.mark.parametrize(("n", "m", "parties"), [(5, 1, 2), (10, 5, 3), (20, 8, 2), (50, 3, 5)])
def test_synthetic_scenarios_are_valid(n: int, m: int, parties: int) -> None:
    scenario = synthetic_scenario(n, m, seed=1, parties_per_issue=parties)
    assert len(scenario.actors) == n and len(scenario.issues) == m
    assert all(len(issue.parties) == parties for issue in scenario.issues.values())
    for actor in scenario.actors.values():
        assert sum(actor.salience.values()) == pytest.approx(1.0)


def test_same_seed_same_scenario_and_other_seed_differs() -> None:
    assert synthetic_data(6, 3, seed=4) == synthetic_data(6, 3, seed=4)
    assert synthetic_data(6, 3, seed=4) != synthetic_data(6, 3, seed=5)


def test_too_few_actors_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 6 actors"):
        synthetic_data(5, 2, parties_per_issue=3)


@pytest.mark.parametrize(
    ("n", "m", "parties"), [(6, 3, 2), (8, 4, 3), (12, 6, 4), (20, 6, 3), (50, 6, 5)]
)
def test_batch_engine_agrees_with_mesa_on_multi_party_tables(n, m, parties) -> None:
    scenario = synthetic_scenario(n, m, seed=3, parties_per_issue=parties)
    seeds = [11, 12, 13]
    result = run_batch([scenario] * len(seeds), seeds, 52, keep_history=True)
    for r, seed in enumerate(seeds):
        model = NegotiationModel(scenario, rng=seed)
        model.run_for(52)
        recorded = model.datacollector.model_vars
        for name in ("trust", "progress", "delivered", "rapprochement", "mean_trust", "position"):
            mesa_values = np.array(recorded[name], dtype=float)
            np.testing.assert_allclose(result.history[name][r], mesa_values, rtol=0, atol=1e-12)
        np.testing.assert_array_equal(result.history["status"][r], np.array(recorded["status"]))
        expected = summary_row(model, seed=seed, steps=52)
        assert result.rows[r].keys() == expected.keys()
        for key, value in expected.items():
            if isinstance(value, float):
                assert result.rows[r][key] == pytest.approx(value, abs=1e-12, nan_ok=True)
            else:
                assert result.rows[r][key] == value, key
