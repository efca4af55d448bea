"""The batch engine reproduces the Mesa model run for run: same scenario and seed, same numbers.

Every checked run sits inside a batch with runs of other seeds and other parameter values, so
the tests also show that runs in a batch do not influence each other.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest

from lsr_sim.batch import HISTORY_NAMES, run_batch, supports
from lsr_sim.model import NegotiationModel
from lsr_sim.scenario import load_scenario, read_scenario_data, scenario_from_dict
from lsr_sim.scenario.paths import apply_parameters
from lsr_sim.strategies import Linear, register_strategy, unregister_strategy

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
SCENARIO_FILES = [BASELINE, *sorted((ROOT / "scenarios" / "variants").glob("*.yaml"))]
SEEDS = (1, 20241208, 987654321)
STEPS = 120  # the baseline's dated events all fire by step 59


def mesa_run(scenario, seed: int, steps: int) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    from lsr_sim.experiment import summary_row

    model = NegotiationModel(scenario, rng=seed)
    model.run_for(steps)
    history = {k: np.array(v) for k, v in model.datacollector.model_vars.items()}
    return summary_row(model, seed=seed, steps=steps), history


def assert_rows_equal(got: dict[str, Any], want: dict[str, Any]) -> None:
    assert list(got) == list(want)
    for key, value in want.items():
        other = got[key]
        if isinstance(value, float) and not isinstance(value, bool):
            assert isinstance(other, float), key
            if math.isnan(value):
                assert math.isnan(other), key
            else:
                assert abs(other - value) <= 1e-12, (key, other, value)
        else:
            assert type(other) is type(value), (key, type(other), type(value))
            assert other == value, (key, other, value)


def assert_history_equal(got: dict[str, np.ndarray], r: int, want: dict[str, np.ndarray]) -> None:
    for name in HISTORY_NAMES:
        expected = want[name]
        actual = got[name][r, : len(expected)]
        assert actual.shape == expected.shape, name
        if name == "status":
            np.testing.assert_array_equal(actual, expected)
        else:
            np.testing.assert_allclose(actual, expected, rtol=0, atol=1e-12, err_msg=name)


def perturbed(data: dict[str, Any], k: int):
    """The scenario with several numeric values moved (k picks the values)."""
    gen = np.random.default_rng(1000 + k)
    u = lambda lo, hi: float(gen.uniform(lo, hi))  # noqa: E731
    params = {
        "actors.Beirut.capability": u(0.3, 0.7),
        "actors.Beirut.resolve": u(0.1, 0.6),
        "actors.Beirut.reservation": u(0.1, 0.4),
        "actors.Beirut.strategy.params.exponent": u(1.0, 6.0),
        "actors.Damascus.reliability": u(0.5, 0.95),
        "actors.Damascus.strategy.params.step": u(0.04, 0.2),
        "actors.Riyadh.capability": u(0.4, 1.0),
        "actors.Riyadh.strategy.params.base": u(0.3, 0.9),
        "actors.Hezbollah.strategy.params.sensitivity": u(1.0, 3.0),
        "actors.Washington.strategy.params.responsiveness": u(0.2, 0.8),
        "dynamics.trust_gain_rate": u(0.04, 0.16),
        "dynamics.trust_loss_rate": u(0.1, 0.4),
        "dynamics.vouching_rate": u(0.0, 0.15),
        "dynamics.mediation_rate": u(0.05, 0.3),
        "dynamics.talks_timeout": float(gen.integers(8, 30)),
        "dynamics.collapse_after": float(gen.integers(3, 12)),
        "network.mediation.Riyadh.Beirut": u(0.3, 1.0),
        "network.pressure.Hezbollah.Beirut": u(0.3, 1.0),
        "incidents.border_clash.rate": u(0.02, 0.2),
    }
    return scenario_from_dict(apply_parameters(data, params), f"perturbed {k}")


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=lambda p: p.stem)
def test_batch_equals_mesa_inside_a_mixed_batch(path: Path) -> None:
    scenario = load_scenario(path)
    data = read_scenario_data(path)
    others = [perturbed(data, k) for k in range(3)]
    scenarios = [scenario] * len(SEEDS) + others
    seeds = [*SEEDS, 11, 12, 13]
    result = run_batch(scenarios, seeds, STEPS, keep_history=True)
    assert result.engine == ["batch"] * len(scenarios)
    assert result.history is not None
    for r, (sc, seed) in enumerate(zip(scenarios, seeds, strict=True)):
        row, history = mesa_run(sc, seed, STEPS)
        assert_rows_equal(result.rows[r], row)
        assert_history_equal(result.history, r, history)


def test_batch_runs_meet_agreements_incidents_and_vetoes() -> None:
    """The checked runs are not trivial: deals, incidents and vetoes do happen in them."""
    scenario = load_scenario(BASELINE)
    data = read_scenario_data(BASELINE)
    scenarios = [perturbed(data, k) for k in range(8)] + [scenario] * 8
    result = run_batch(scenarios, list(range(16)), 160)
    table = result.summary()
    assert table["agreements"].sum() > 0
    assert table["incidents"].sum() > 0
    assert (table["implemented"] + table["collapsed"]).sum() > 0
    # and the longest (160-step) runs still agree with the Mesa model
    for r in (0, 3, 8, 15):
        row, _ = mesa_run(scenarios[r], r, 160)
        assert_rows_equal(result.rows[r], row)


def test_runs_of_different_lengths_and_scenarios_in_one_batch() -> None:
    base = load_scenario(BASELINE)
    weak = load_scenario(ROOT / "scenarios" / "variants" / "hezbollah_weakened.yaml")
    scenarios = [base, weak, base, weak]
    seeds = [5, 5, 6, 7]
    steps = [80, 100, 100, 60]
    result = run_batch(scenarios, seeds, steps, keep_history=True)
    assert result.history is not None
    assert result.history["trust"].shape[:2] == (4, 101)
    for r in range(4):
        row, history = mesa_run(scenarios[r], seeds[r], steps[r])
        assert_rows_equal(result.rows[r], row)
        assert_history_equal(result.history, r, history)
        assert np.isnan(result.history["mean_trust"][r, steps[r] + 1 :]).all()


def test_a_run_alone_equals_the_same_run_in_a_batch() -> None:
    base = load_scenario(BASELINE)
    alone = run_batch([base], [42], 90)
    data = read_scenario_data(BASELINE)
    batch = run_batch([perturbed(data, 1), base, perturbed(data, 2)], [1, 42, 3], 90)
    row, other = alone.rows[0], batch.rows[1]
    assert list(row) == list(other)
    for key, value in row.items():  # bit for bit (NaN where NaN)
        assert value == other[key] or (value != value and other[key] != other[key]), key
    np.testing.assert_array_equal(alone.final["trust"][0], batch.final["trust"][1])


# -- random draws ----------------------------------------------------------------------------
@pytest.mark.parametrize("seed", [0, 7, 20241208, 2**63 + 5])
def test_mesa_model_draws_from_a_fresh_default_rng(seed: int) -> None:
    scenario = load_scenario(BASELINE)
    model = NegotiationModel(scenario, rng=seed)
    fresh = np.random.default_rng(seed)
    assert model.rng.bit_generator.state == fresh.bit_generator.state
    width = model.compiled.draws_per_step
    block = np.random.default_rng(seed).random((30, width))
    singles = np.random.default_rng(seed)
    np.testing.assert_array_equal(block, np.stack([singles.random(width) for _ in range(30)]))
    # and the model's step s uses row s - 1 of the block
    for s in (1, 2, 17, 30):
        model.run_until(s)
        np.testing.assert_array_equal(model.draws, block[s - 1])


# -- fallback and structure ------------------------------------------------------------------
@pytest.fixture
def custom_strategy():
    @register_strategy
    @dataclasses.dataclass(frozen=True)
    class Stubborn(Linear):
        name: ClassVar[str] = "test_batch_stubborn"

        def decide(self, obs):
            return 0.5 * super().decide(obs) + 0.5

    try:
        yield Stubborn
    finally:
        unregister_strategy(Stubborn.name)


def test_user_strategy_falls_back_to_mesa_with_a_reason(custom_strategy) -> None:
    data = read_scenario_data(BASELINE)
    data["actors"]["Beirut"]["strategy"] = {"name": custom_strategy.name}
    scenario = scenario_from_dict(data, "custom")
    ok, reason = supports(scenario)
    assert not ok
    assert "Beirut" in reason and "Stubborn" in reason and "\n" not in reason
    assert supports(load_scenario(BASELINE)) == (True, "")
    with pytest.warns(RuntimeWarning, match="Mesa model.*Stubborn"):
        result = run_batch([scenario, scenario], [1, 2], 40, keep_history=True)
    assert result.engine == ["mesa", "mesa"]
    for r, seed in enumerate((1, 2)):
        row, history = mesa_run(scenario, seed, 40)
        assert_rows_equal(result.rows[r], row)
        assert_history_equal(result.history, r, history)


def test_structure_mismatch_raises() -> None:
    base = load_scenario(BASELINE)
    goodwill = load_scenario(ROOT / "scenarios" / "variants" / "damascus_goodwill.yaml")
    with pytest.raises(ValueError, match="events"):
        run_batch([base, goodwill], [1, 2], 10)
    data = read_scenario_data(BASELINE)
    data["network"]["channel"]["Hezbollah"]["Damascus"] = 0.3
    with pytest.raises(ValueError, match="link pattern"):
        run_batch([base, scenario_from_dict(data)], [1, 2], 10)
    data = read_scenario_data(BASELINE)
    data["actors"]["Damascus"]["strategy"] = {"name": "conceder"}
    with pytest.raises(ValueError, match="strategy classes"):
        run_batch([base, scenario_from_dict(data)], [1, 2], 10)
    with pytest.raises(ValueError, match="seeds"):
        run_batch([base, base], [1], 10)
