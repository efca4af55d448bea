"""The baseline's calibration facts can fail: a fact no plausible alternative can fail is not
evidence (issue 11). Each fact the estimation uses must fail in some prior-predictive runs of
some candidate model (calibration/trust_models.yaml) and hold in others; the facts left out
are exactly those the scenario's structure forces (FORCED, with the reason)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lsr_sim.experiment import derive_seeds
from lsr_sim.inference import (
    draw_prior,
    load_estimation,
    non_discriminating_facts,
    simulate_facts,
)

# Skip without the extra, but do not import it at collection (seconds): the tests do.
if importlib.util.find_spec("scipy") is None:
    pytest.skip("needs pip install 'lsr_sim[inference]'", allow_module_level=True)

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
MODELS = ROOT / "calibration" / "trust_models.yaml"
DRAWS = 150  # prior draws per model
MIN_SHARE = 0.01  # a fact must fail (and hold) in at least this share of some model's runs

#: Facts the scenario's structure decides at the calibration date, so no candidate can fail
#: them: the July 2025 agreement is a scripted event ("agreed by the end of July" holds in
#: every run), and the phased detainee deal moves pre-trial detainees only after the convicted,
#: so none is transferred by January 2026 in any run.
FORCED = {"coordination_agreed_july", "pre_trial_later"}


@pytest.fixture(scope="module")
def prior_predictive() -> tuple[object, dict[str, pd.DataFrame]]:
    estimation = load_estimation(BASELINE, models_file=MODELS)
    rng = np.random.default_rng(20260119)
    errors = {}
    for m, model in enumerate(estimation.models):
        draws = draw_prior(model, DRAWS, rng)
        requests = [(m, row) for row in draws.to_dict("records")]
        seeds = np.asarray(derive_seeds(1000 + m, DRAWS), dtype=np.uint64).reshape(-1, 1)
        errors[model.name] = simulate_facts(estimation, requests, seeds).errors
    return estimation, errors


def _facts() -> list[str]:
    from lsr_sim.observations import load_observations

    return list(load_observations(ROOT / "observations" / "source_facts.yaml").facts)


def test_the_candidates_are_the_baseline_and_three_trust_submodels(prior_predictive) -> None:
    estimation, _ = prior_predictive
    assert [m.name for m in estimation.models] == [
        "baseline",
        "signals",
        "surprise",
        "no_trust_dynamics",
    ]


@pytest.mark.parametrize("fact", _facts())
def test_every_fact_used_can_fail_and_can_hold(prior_predictive, fact) -> None:
    estimation, errors = prior_predictive
    left_out = non_discriminating_facts(errors, estimation.observations)
    if fact in left_out:
        assert fact in FORCED, f"{fact} is left out ({left_out[fact]}) but not known as forced"
        return
    measured = estimation.observations.facts[fact].measured
    fails = {name: float((table[fact] > 0).mean()) for name, table in errors.items()}
    holds = {name: float((table[fact] < 1).mean()) for name, table in errors.items()}
    assert max(fails.values()) >= MIN_SHARE, f"{fact} fails in too few runs: {fails}"
    if not measured:
        assert max(holds.values()) >= MIN_SHARE, f"{fact} holds in too few runs: {holds}"


def test_the_forced_facts_are_left_out(prior_predictive) -> None:
    estimation, errors = prior_predictive
    assert set(non_discriminating_facts(errors, estimation.observations)) == FORCED
