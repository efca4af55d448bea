"""The comparison with the dummy on functions whose answer is known.

Morris: y = 2 x0 + 0.3 x1 + noise, with x2 and the dummy read by nothing. Sobol: the
Ishigami function (every input matters, x3 only through its interaction with x1) plus a
dummy. With noise added to every output, as replication noise is added to every point mean
of a sweep, the dummy's index is the noise floor: an input without effect is above it in
about 1 - confidence of the designs, and the floor falls as one over the square root of the
replications for Morris.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample

from lsr_sim.sweep.sensitivity import dummy_comparison

MORRIS = {"num_vars": 4, "names": ["x0", "x1", "x2", "dummy"], "bounds": [[0.0, 1.0]] * 4}
SOBOL = {
    "num_vars": 4,
    "names": ["x1", "x2", "x3", "dummy"],
    "bounds": [[-math.pi, math.pi]] * 3 + [[0.0, 1.0]],
}


def linear(X: np.ndarray, noise: float, rng: np.random.Generator) -> np.ndarray:
    return 2 * X[:, 0] + 0.3 * X[:, 1] + noise * rng.standard_normal(len(X))


def ishigami(X: np.ndarray) -> np.ndarray:
    return np.sin(X[:, 0]) + 7 * np.sin(X[:, 1]) ** 2 + 0.1 * X[:, 2] ** 4 * np.sin(X[:, 0])


def test_morris_without_noise_separates_exactly():
    X = morris_sample.sample(MORRIS, 12, num_levels=4, seed=3)
    table = dummy_comparison("morris", MORRIS, X, linear(X, 0.0, np.random.default_rng(0)))
    assert table["above_dummy"].tolist() == [True, True, False, False]
    # the effects of a linear function: 2 and 0.3 per unit range, exactly
    assert np.allclose(table["index"], [2.0, 0.3, 0.0, 0.0])
    assert table["dummy_index"].eq(0.0).all()
    assert table.loc[3, "p_dummy"] == 1.0  # the dummy never exceeds itself


def test_morris_with_noise_finds_the_real_effects():
    rng = np.random.default_rng(1)
    X = morris_sample.sample(MORRIS, 30, num_levels=4, seed=4)
    table = dummy_comparison("morris", MORRIS, X, linear(X, 0.05, rng), seed=2)
    assert table.set_index("parameter")["above_dummy"].to_dict() == {
        "x0": True,
        "x1": True,
        "x2": False,
        "dummy": False,
    }
    # the dummy's mu* is the noise floor: mean |difference of two noisy points| / step
    floor = 0.05 * math.sqrt(2) * math.sqrt(2 / math.pi) / (2 / 3)
    assert table.loc[3, "index"] == pytest.approx(floor, rel=0.35)


def test_an_input_without_effect_passes_as_distinguishable_about_alpha_of_the_time():
    hits = 0
    designs = 120
    for seed in range(designs):
        rng = np.random.default_rng(seed)
        X = morris_sample.sample(MORRIS, 15, num_levels=4, seed=seed)
        table = dummy_comparison(
            "morris", MORRIS, X, linear(X, 0.1, rng), num_resamples=300, seed=seed
        )
        hits += bool(table.loc[2, "above_dummy"])
    # binomial(120, 0.05): mean 6, sd 2.4; the bounds are about 2 and 4.5 sd away (a test
    # calibrated at 20% would give about 24)
    assert 1 <= hits <= 17, hits


def test_the_dummy_floor_falls_as_one_over_the_root_of_the_replications():
    X = morris_sample.sample(MORRIS, 400, num_levels=4, seed=5)
    floors = {}
    for reps in (1, 16):
        rng = np.random.default_rng(reps)
        Y = np.mean([linear(X, 0.1, rng) for _ in range(reps)], axis=0)
        floors[reps] = dummy_comparison("morris", MORRIS, X, Y, num_resamples=50)["dummy_index"][0]
    assert floors[1] / floors[16] == pytest.approx(4.0, rel=0.15)


def test_sobol_on_ishigami_with_a_dummy():
    X = sobol_sample.sample(SOBOL, 1024, calc_second_order=False, seed=6)
    table = dummy_comparison("sobol", SOBOL, X, ishigami(X), num_resamples=200, seed=1)
    assert table["above_dummy"].tolist() == [True, True, True, False]
    # ST of Ishigami (a = 7, b = 0.1): 0.558, 0.442, 0.244 (see tests/test_sensitivity.py)
    assert np.allclose(table["index"][:3], [0.558, 0.442, 0.244], atol=0.05)
    assert abs(table["index"][3]) < 1e-12


def test_sobol_dummy_with_noise_is_the_noise_share():
    rng = np.random.default_rng(7)
    X = sobol_sample.sample(SOBOL, 1024, calc_second_order=False, seed=7)
    clean = ishigami(X)
    noise = 0.5 * np.std(clean) * rng.standard_normal(len(X))  # noise variance: 0.25 V
    table = dummy_comparison("sobol", SOBOL, X, clean + noise, num_resamples=200, seed=1)
    assert table["index"][3] == pytest.approx(0.25 / 1.25, abs=0.04)
    assert table["above_dummy"].tolist() == [True, True, True, False]


@pytest.mark.parametrize(
    ("method", "problem", "message"),
    [
        ("fast", MORRIS, "method must be morris or sobol, got 'fast'"),
        ("morris", {**MORRIS, "names": ["a", "b", "c", "d"]}, "the problem has no dummy"),
    ],
)
def test_errors(method, problem, message):
    X = morris_sample.sample(MORRIS, 2, num_levels=4, seed=1)
    with pytest.raises(ValueError, match=message):
        dummy_comparison(method, problem, X, X[:, 0])


def test_several_dummies_pool_the_reference_and_check_the_test():
    problem = {
        "num_vars": 8,
        "names": ["x0", "x1", "x2", *(f"dummy.{i}" for i in range(1, 6))],
        "bounds": [[0.0, 1.0]] * 8,
    }
    rng = np.random.default_rng(11)
    X = morris_sample.sample(problem, 30, num_levels=4, seed=11)
    table = dummy_comparison("morris", problem, X, linear(X, 0.05, rng), seed=3)
    dummies = table[table["parameter"].str.startswith("dummy.")]
    # the reference of an input is the mean of the dummies; of a dummy, of the other four
    assert table.loc[0, "dummy_index"] == pytest.approx(dummies["index"].mean())
    for row in dummies.itertuples(index=False):
        others = dummies.loc[dummies["parameter"] != row.parameter, "index"].mean()
        assert row.dummy_index == pytest.approx(others)
    assert table["above_dummy"].tolist()[:3] == [True, True, False]
    assert dummies["above_dummy"].sum() <= 1  # about 5% of five by chance
    assert (table["dummy_conf"] > 0).all()
