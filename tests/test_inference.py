"""Estimation and model comparison on a case whose answer is known in closed form.

In the coin scenario (tests/inference_helpers.py) the number of incidents by the end is
N ~ Binomial(40, rate). A fact "lo <= N <= hi" under a uniform prior on the rate has the
posterior (1/(hi-lo+1)) sum_k Beta(k+1, 41-k), and a model's evidence is P(lo <= N <= hi)
averaged over its prior: the tests compare the machinery with these numbers.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from cli_helpers import run_cli
from inference_helpers import COIN, DROP, STEPS, coin, write
from scipy import stats

from lsr_sim.errors import InputError
from lsr_sim.experiment import run_many
from lsr_sim.inference import (
    NOT_EVIDENCE,
    estimate,
    fact_distances,
    load_estimation,
    simulate_facts,
)
from lsr_sim.scenario import scenario_from_dict

# Skip without pyabc, but do not import it at collection (it takes seconds): the tests do.
if importlib.util.find_spec("pyabc") is None:
    pytest.skip(
        "pyabc is not installed (pip install 'lsr_sim[inference]')", allow_module_level=True
    )

P_TRUE = 0.3


def _count(rate: float, seed: int) -> int:
    """Incidents by the end of one run at `rate` (the synthetic "observed" history)."""
    data = dict(COIN, incidents={"strike": {**COIN["incidents"]["strike"], "rate": rate}})
    ensemble = run_many(scenario_from_dict(data), [seed], STEPS, history=True)
    assert ensemble.history is not None
    count = int(ensemble.history["incidents"][0, -1, 0])
    assert round((1.0 - float(ensemble.history["trust"][0, -1, 0, 1])) / DROP) == count
    return count


def _posterior(low: int, high: int) -> tuple[float, float]:
    """Mean and sd of the exact posterior of the rate under a uniform prior."""
    parts = [stats.beta(k + 1, STEPS + 1 - k) for k in range(low, high + 1)]
    mean = float(np.mean([b.mean() for b in parts]))
    second = float(np.mean([b.var() + b.mean() ** 2 for b in parts]))
    return mean, float(np.sqrt(second - mean**2))


@pytest.fixture(scope="module")
def band() -> tuple[int, int]:
    n = _count(P_TRUE, seed=20260119)
    return max(n - 2, 0), n + 2


@pytest.fixture(scope="module")
def recovered(tmp_path_factory, band):
    folder = tmp_path_factory.mktemp("recovery")
    path = write(coin(*band), folder)
    estimation = load_estimation(path, model_options=["never=incidents.strike.rate=0"])
    return estimate(estimation)


def test_the_posterior_recovers_the_known_rate(recovered, band) -> None:
    mean, sd = _posterior(*band)
    summary = recovered.summary.set_index("parameter").loc["incidents.strike.rate"]
    assert summary["hdi_low"] < P_TRUE < summary["hdi_high"]  # covers the true value
    assert abs(summary["mean"] - mean) < 0.03  # agrees with the exact posterior
    assert 0.6 * sd < summary["sd"] < 1.4 * sd
    assert summary["sd"] < 0.5 * (1 / np.sqrt(12))  # concentrated well within the prior
    assert recovered.epsilon == 0.0  # every fact met: an exact posterior, not an approximate one
    weights = recovered.posterior["weight"]
    assert len(recovered.posterior) == 100 and abs(weights.sum() - 1) < 1e-9


def test_a_fact_no_model_can_fail_is_left_out(recovered) -> None:
    assert list(recovered.excluded) == ["talks_never_start"]
    assert (
        "holds in every prior-predictive run of every model"
        in recovered.excluded["talks_never_start"]
    )
    facts = recovered.facts.set_index("fact")
    assert not facts.loc["talks_never_start", "used"] and facts.loc["strikes", "used"]
    assert NOT_EVIDENCE in facts.loc["talks_never_start", "note"]


def test_predictive_checks_move_toward_the_facts(recovered, band) -> None:
    table = recovered.predictive.set_index("fact")
    prior = table.loc["strikes", "prior_share"]
    posterior = table.loc["strikes", "posterior_share"]
    # prior predictive: P(band) averaged over a uniform rate = (hi - lo + 1) / 41
    assert abs(prior - (band[1] - band[0] + 1) / (STEPS + 1)) < 0.06
    assert posterior > prior + 0.15
    assert table.loc["talks_never_start", "prior_share"] == 1.0


def test_the_model_that_cannot_produce_the_data_loses(recovered) -> None:
    models = recovered.comparison.set_index("model")
    assert models.loc["never", "within"] == 0 and models.loc["never", "probability"] == 0.0
    assert models.loc["coin", "probability"] == 1.0
    assert list(recovered.comparison["free_parameters"]) == [1, 0]


@pytest.mark.parametrize(("rate", "winner"), [(P_TRUE, "coin"), (0.05, "rare")])
def test_model_choice_favours_the_model_that_generated_the_data(
    tmp_path: Path, rate: float, winner: str
) -> None:
    n = _count(rate, seed=20260119)  # the recovery case's data seed: 1 and 10 incidents
    band = (max(n - 2, 0), n + 2)
    data = coin(
        *band,
        prior={"distribution": "uniform", "low": 0.2, "high": 0.5},
        always=False,
        # only the comparison matters here: stop the scenario's ABC-SMC early
        abc={"population": 50, "predictive_draws": 400, "min_acceptance_rate": 0.05},
    )
    models = tmp_path / "models.yaml"
    rare = {"distribution": "uniform", "low": 0.0, "high": 0.1}
    models.write_text(
        yaml.safe_dump({"models": {"rare": {"priors": {"incidents.strike.rate": rare}}}}),
        encoding="utf-8",
    )
    result = estimate(load_estimation(write(data, tmp_path), models_file=models))
    table = result.comparison.set_index("model")
    assert table.loc[winner, "probability"] > 0.9, table
    # the evidence is P(band) averaged over the prior: check it against the binomial
    grid = {"coin": np.linspace(0.2, 0.5, 301), "rare": np.linspace(0.0, 0.1, 301)}
    for model, rates in grid.items():
        exact = np.mean(
            [
                stats.binom(STEPS, p).cdf(band[1]) - stats.binom(STEPS, p).cdf(band[0] - 1)
                for p in rates
            ]
        )
        se = max(float(table.loc[model, "evidence_se"]), 1e-3)
        assert abs(table.loc[model, "evidence"] - exact) < 4 * se + 0.01, (model, exact)
    other = "rare" if winner == "coin" else "coin"
    bf = table.loc[winner, "bayes_factor"] / table.loc[other, "bayes_factor"]
    assert bf > 9


def test_a_seed_gives_the_same_estimation(tmp_path: Path, band) -> None:
    path = write(coin(*band, abc={"population": 30, "predictive_draws": 50}), tmp_path)
    first = estimate(load_estimation(path))
    again = estimate(load_estimation(path))
    pd.testing.assert_frame_equal(first.posterior, again.posterior)
    pd.testing.assert_frame_equal(first.generations, again.generations)
    pd.testing.assert_frame_equal(first.predictive, again.predictive)
    other = estimate(load_estimation(path, settings={"seed": 2}))
    assert not first.posterior.equals(other.posterior)
    # the global numpy state pyabc draws from is restored afterwards
    np.random.seed(5)  # noqa: NPY002
    expected = np.random.random()  # noqa: NPY002
    np.random.seed(5)  # noqa: NPY002
    estimate(load_estimation(path))
    assert np.random.random() == expected  # noqa: NPY002


def test_replications_weigh_particles_by_their_share_within(tmp_path: Path, band) -> None:
    path = write(
        coin(*band, abc={"population": 40, "replications": 4, "predictive_draws": 50}), tmp_path
    )
    result = estimate(load_estimation(path))
    assert result.simulations >= 4 * 40
    # weights of accepted particles are multiples of 1/4 before normalisation
    w = result.posterior["weight"].to_numpy()
    assert len(set(np.round(w / w.min(), 6))) > 1
    summary = result.summary.set_index("parameter").loc["incidents.strike.rate"]
    assert summary["hdi_low"] < P_TRUE < summary["hdi_high"]


def test_facts_nobody_can_fail_leave_nothing_to_estimate(tmp_path: Path) -> None:
    data = coin(always=True)
    del data["calibration"]["observations"]["facts"]["strikes"]
    with pytest.raises(InputError, match="no fact can discriminate between the models"):
        estimate(load_estimation(write(data, tmp_path)))


def test_the_simulator_runs_each_parameter_set_with_its_seeds(tmp_path: Path) -> None:
    estimation = load_estimation(write(coin(0, 40), tmp_path))
    seeds = np.array([[1, 2], [3, 4], [1, 2]], dtype=np.uint64)
    requests = [
        (0, {"incidents.strike.rate": 0.0}),
        (0, {"incidents.strike.rate": 1.0}),
        (0, {"incidents.strike.rate": 0.0}),
    ]
    runs = simulate_facts(estimation, requests, seeds)
    assert list(runs.outcomes["request"]) == [0, 0, 1, 1, 2, 2]
    assert list(runs.outcomes["seed"]) == [1, 2, 3, 4, 1, 2]
    # rate 0: no incident (0 incidents: in the band); rate 1: 40 incidents (in it)
    assert runs.outcomes["strikes"].all()
    d = runs.distances(2, {}, ["strikes"])
    assert d.shape == (3, 2) and not d.any()
    estimation = load_estimation(write(coin(1, 40), tmp_path))
    runs = simulate_facts(estimation, requests, seeds)
    np.testing.assert_array_equal(runs.distances(2, {}, ["strikes"]), [[1, 1], [0, 0], [1, 1]])
    # both facts together: talks_never_start holds everywhere, so a run off the band
    # violates one fact of two
    np.testing.assert_array_equal(fact_distances(runs.errors), [0.5, 0.5, 0, 0, 0.5, 0.5])


def test_calibrate_writes_the_estimation_folder(tmp_path: Path, capsys, band) -> None:
    path = write(coin(*band), tmp_path)
    out = tmp_path / "out"
    code, stdout, _ = run_cli(
        capsys,
        "calibrate",
        path,
        "--out",
        out,
        "--model",
        "never=incidents.strike.rate=0",
        "--population",
        40,
        "--draws",
        200,
        "--seed",
        4,
    )
    assert code == 0
    assert "posterior (90% HDI" in stdout and "model comparison at threshold 0" in stdout
    assert "left out: talks_never_start" in stdout and NOT_EVIDENCE in stdout
    posterior = pd.read_parquet(out / "posterior.parquet")
    assert list(posterior.columns) == ["particle", "incidents.strike.rate", "weight"]
    assert len(posterior) == 40
    models = pd.read_csv(out / "models.csv")
    assert list(models["model"]) == ["coin", "never"]
    for name in ("marginals", "generations", "predictive", "models"):
        assert (out / "figures" / f"{name}.png").stat().st_size > 1000
    assert not (out / "figures" / "pairs.png").exists()  # one parameter: no pairs
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["settings"]["population"] == 40 and manifest["settings"]["seed"] == 4
    assert manifest["facts_left_out"].keys() == {"talks_never_start"}
    assert manifest["command"][:2] == ["lsr-sim", "calibrate"]
    import hashlib

    for name, digest in manifest["files"].items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out-")]  # no staging left


def test_two_parameters_give_a_pair_plot(tmp_path: Path, band) -> None:
    data = coin(*band, abc={"population": 20, "predictive_draws": 30, "generations": 2})
    data["actors"]["A"]["trust"]["B"] = 1.0
    data["calibration"]["priors"]["actors.B.reliability"] = {
        "distribution": "beta",
        "a": 2.0,
        "b": 2.0,
    }
    from lsr_sim.inference import write_estimation

    result = estimate(load_estimation(write(data, tmp_path)))
    written = write_estimation(result, tmp_path / "out")
    assert tmp_path / "out" / "figures" / "pairs.png" in written
    assert list(result.summary["parameter"]) == ["incidents.strike.rate", "actors.B.reliability"]


def test_the_batch_sampler_keeps_the_first_n_accepted_in_proposal_order() -> None:
    from pyabc.population import Particle

    from lsr_sim.inference.smc import BatchedModel, BatchSampler

    batches: list[list[float]] = []

    def simulate(requests):
        batches.append([params["i"] for _, params in requests])
        return [{"x": params["i"]} for _, params in requests]

    model = BatchedModel(0, "toy", simulate)
    proposed = iter(range(10**6))

    def simulate_one():
        i = next(proposed)
        data = model.sample({"i": i})  # suspends until the batch is simulated
        return Particle(
            m=0,
            parameter={"i": i},
            weight=1.0,
            sum_stat=data,
            distance=0.0,
            accepted=data["x"] % 3 == 0,
        )

    sampler = BatchSampler(simulate)
    sampler.rate = 0.5  # as if the last generation had accepted half: the first batch is 12
    sample = sampler.sample_until_n_accepted(5, simulate_one, 1)
    accepted = [p.parameter["i"] for p in sample.all_particles if p.accepted]
    assert accepted == [0, 3, 6, 9, 12]  # the first five, in the order proposed
    assert sampler.nr_evaluations_ == 13  # what a one-at-a-time sampler would have run
    assert batches[0] == list(range(12)) and len(batches) == 2  # many particles per call
    assert model.sample({"i": 7}) == {"x": 7}  # outside a batch it simulates alone


def test_the_acceptor_weighs_by_the_share_of_replications_within() -> None:
    from lsr_sim.inference.smc import ReplicatedAcceptor

    def eps(t):
        return 0.25

    result = ReplicatedAcceptor()(None, eps, {"distance": [0.0, 0.5, 0.25, 1.0]}, {}, 1, {})
    assert result.accept and result.weight == 0.5 and result.distance == 0.0
    result = ReplicatedAcceptor()(None, eps, {"distance": [0.5, 1.0]}, {}, 1, {})
    assert not result.accept and result.weight == 0.0 and result.distance == 0.5


def test_the_threshold_steps_down_through_levels() -> None:
    from lsr_sim.inference.smc import LevelQuantileEpsilon

    def table(d):
        return pd.DataFrame({"distance": d, "w": np.ones(len(d))})

    eps = LevelQuantileEpsilon(0.5, levels=[0.0, 0.25, 0.5, 1.0])
    eps.initialize(0, lambda: table([1.0, 1.0, 1.0, 0.5]), list, 5, {})
    assert eps(0) == 1.0  # the median of the prior sample
    eps.update(1, lambda: table([1.0, 1.0, 1.0, 0.5]), list, 0.5, {})
    assert eps(1) == 0.5  # the median is stuck at 1: the next distance down
    eps.update(2, lambda: table([0.5, 0.5, 0.5]), list, 0.5, {})
    assert eps(2) == 0.25  # nobody below: the next known level
    eps.update(3, lambda: table([0.0, 0.0, 0.25]), list, 0.5, {})
    assert eps(3) == 0.0


def test_a_model_with_no_run_within_gets_an_upper_bound() -> None:
    from lsr_sim.inference import model_choice

    distances = {"a": np.repeat([[0.0], [1.0]], 50, axis=0), "b": np.ones((100, 1))}
    table = model_choice(distances, 0.0, bootstrap=200).set_index("model")
    assert table.loc["a", "evidence"] == 0.5 and table.loc["b", "evidence"] == 0.0
    assert table.loc["b", "probability"] == 0.0
    # rule of three: evidence below 3 / 100 draws, so BF below 0.03 / 0.5
    assert table.loc["b", "bayes_factor_high"] == pytest.approx(0.06)
    assert table.loc["b", "probability_high"] == pytest.approx(0.03 / 0.53)
    assert table.loc["a", "bayes_factor"] == 1.0


def test_a_measured_amount_that_never_varies_is_left_out() -> None:
    from lsr_sim.inference import non_discriminating_facts
    from lsr_sim.scenario.facts import Observations

    obs = Observations.model_validate(
        {
            "name": "x",
            "facts": {
                "freed": {
                    "date": "2025-01-01",
                    "delivered": {"issue": "d", "quantity": "q", "value": 370.0},
                },
                "freed_varies": {
                    "date": "2025-01-01",
                    "delivered": {"issue": "d", "quantity": "q", "value": 370.0},
                },
            },
        }
    )
    errors = {
        "a": pd.DataFrame({"freed": [1.0, 1.0], "freed_varies": [1.0, 0.2]}),
        "b": pd.DataFrame({"freed": [1.0], "freed_varies": [1.0]}),
    }
    assert list(non_discriminating_facts(errors, obs)) == ["freed"]


def test_without_the_extra_calibrate_says_what_to_install(
    tmp_path: Path, capsys, monkeypatch
) -> None:
    import sys

    from cli_helpers import one_error

    monkeypatch.setitem(sys.modules, "pyabc", None)  # import pyabc raises ImportError
    path = write(coin(), tmp_path)
    code, _, err = run_cli(capsys, "calibrate", path, "--out", tmp_path / "out")
    assert code == 2
    assert "pip install 'lsr_sim[inference]'" in one_error(err) and "pyabc is missing" in err
    assert not (tmp_path / "out").exists()
