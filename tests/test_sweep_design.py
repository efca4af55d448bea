"""Designs: grids in a fixed order, SALib samples of the documented sizes, seeded, in bounds."""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lsr_sim.sweep import SweepSpec, load_sweep
from lsr_sim.sweep.design import Design, build_design, grid, problem_for, sample

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS_DIR = ROOT / "scenarios"
BASELINE = SCENARIOS_DIR / "baseline.yaml"
SWEEPS = SCENARIOS_DIR / "sweeps"


def problem(k: int) -> dict[str, Any]:
    """k uniform parameters, the i-th on [i, i + 1 + i]."""
    return {
        "num_vars": k,
        "names": [f"p{i}" for i in range(k)],
        "bounds": [[float(i), float(2 * i + 1)] for i in range(k)],
    }


def in_bounds(x: np.ndarray, bounds: list[list[float]]) -> bool:
    low = np.array([b[0] for b in bounds])
    high = np.array([b[1] for b in bounds])
    return bool(((x >= low) & (x <= high)).all())


# ------------------------------------------------------------------------ grid


def test_grid_order_first_parameter_slowest() -> None:
    x = grid({"a": [1.0, 2.0], "b": [10.0, 20.0, 30.0], "c": [0.5, 0.6]})
    assert x.shape == (12, 3)
    assert x[:, 0].tolist() == [1.0] * 6 + [2.0] * 6
    assert x[:6, 1].tolist() == [10.0, 10.0, 20.0, 20.0, 30.0, 30.0]
    assert x[:, 2].tolist() == [0.5, 0.6] * 6
    assert x.dtype == np.float64


def test_grid_of_one_parameter() -> None:
    assert grid({"a": [3, 1, 2]}).tolist() == [[3.0], [1.0], [2.0]]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=5), min_size=1, max_size=4))
def test_grid_size_is_the_product_of_the_lengths(lengths: list[int]) -> None:
    values = {f"p{i}": [float(10 * i + j) for j in range(n)] for i, n in enumerate(lengths)}
    x = grid(values)
    assert x.shape == (math.prod(lengths), len(lengths))
    # Every combination once, in lexicographic (first slowest) order.
    rows = [tuple(r) for r in x.tolist()]
    assert len(set(rows)) == len(rows)
    assert rows == sorted(rows)


# ------------------------------------------------------------------------ samplers


@settings(max_examples=20, deadline=None)
@given(k=st.integers(min_value=1, max_value=5), exponent=st.integers(min_value=0, max_value=6))
def test_sobol_sizes(k: int, exponent: int) -> None:
    n = 2**exponent
    first = sample(problem(k), "sobol", n, seed=3)
    second = sample(problem(k), "sobol", n, seed=3, second_order=True)
    assert first.shape == (n * (k + 2), k)
    assert second.shape == (n * (2 * k + 2), k)
    assert in_bounds(first, problem(k)["bounds"])


@settings(max_examples=20, deadline=None)
@given(
    k=st.integers(min_value=1, max_value=5),
    n=st.integers(min_value=1, max_value=12),
    levels=st.sampled_from([2, 4, 6]),
)
def test_morris_size_and_levels(k: int, n: int, levels: int) -> None:
    p = problem(k)
    x = sample(p, "morris", n, seed=5, levels=levels)
    assert x.shape == (n * (k + 1), k)
    for j, (low, high) in enumerate(p["bounds"]):
        grid_levels = low + (high - low) * np.arange(levels) / (levels - 1)
        assert np.isclose(x[:, j, None], grid_levels[None, :]).any(axis=1).all()


@settings(max_examples=30, deadline=None)
@given(
    k=st.integers(min_value=1, max_value=4),
    n=st.integers(min_value=2, max_value=40),
    seed=st.integers(min_value=0, max_value=2**32),
)
def test_lhs_hits_each_stratum_once_per_dimension(k: int, n: int, seed: int) -> None:
    p = problem(k)
    x = sample(p, "lhs", n, seed=seed)
    assert x.shape == (n, k)
    for j, (low, high) in enumerate(p["bounds"]):
        strata = np.floor((x[:, j] - low) / (high - low) * n).astype(int)
        assert sorted(strata.tolist()) == list(range(n))


def test_lhs_normal_distribution() -> None:
    p = {"num_vars": 2, "names": ["u", "z"], "bounds": [[0.0, 1.0], [0.3, 0.05]]}
    p["dists"] = ["unif", "norm"]
    x = sample(p, "lhs", 200, seed=1)
    assert in_bounds(x[:, :1], [[0.0, 1.0]])
    assert abs(x[:, 1].mean() - 0.3) < 0.01
    assert abs(x[:, 1].std() - 0.05) < 0.01
    # Stratified in probability: each of the 200 normal quantile strata is hit once.
    from scipy.stats import norm

    strata = np.floor(norm.cdf(x[:, 1], loc=0.3, scale=0.05) * 200).astype(int)
    assert sorted(strata.tolist()) == list(range(200))


@pytest.mark.parametrize(
    ("kind", "n", "options"),
    [("lhs", 16, {}), ("sobol", 16, {}), ("sobol", 8, {"second_order": True}), ("morris", 6, {})],
)
def test_same_seed_same_sample_different_seed_different(kind, n, options) -> None:
    a = sample(problem(3), kind, n, seed=42, **options)
    b = sample(problem(3), kind, n, seed=42, **options)
    c = sample(problem(3), kind, n, seed=43, **options)
    np.testing.assert_array_equal(a, b)
    assert a.shape == c.shape
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("kind", ["lhs", "sobol", "morris"])
def test_sample_does_not_modify_the_problem(kind: str) -> None:
    p = problem(2)
    before = copy.deepcopy(p)
    sample(p, kind, 4, seed=0)
    assert p == before


def test_morris_levels_stay_within_bounds_despite_rounding() -> None:
    p = {"num_vars": 2, "names": ["a", "b"], "bounds": [[0.05, 0.15], [0.3, 0.9]]}
    x = sample(p, "morris", 3, seed=0, levels=6)  # unclipped, SALib gives 0.9000000000000001
    assert x[:, 1].max() == 0.9
    assert in_bounds(x, p["bounds"])


def test_sample_refuses_a_grid() -> None:
    with pytest.raises(ValueError, match="grid"):
        sample(problem(2), "grid", 4, seed=0)


# ------------------------------------------------------------------------ problem


def spec(design: dict[str, Any], parameters: dict[str, Any], **extra: Any) -> SweepSpec:
    return SweepSpec.model_validate(
        {"name": "t", "scenario": "s.yaml", "design": design, "parameters": parameters, **extra}
    )


def test_problem_of_a_grid_is_none() -> None:
    assert problem_for(spec({"type": "grid"}, {"a.b": {"values": [1]}})) is None


def test_problem_all_uniform_has_no_dists() -> None:
    s = spec(
        {"type": "sobol", "samples": 8},
        {
            "a.b": {"range": [0.1, 0.4]},
            "c.d": {"distribution": "uniform", "low": 1, "high": 2},
            "e.f": {"range": [0, 1, 5]},
        },
    )
    assert problem_for(s) == {
        "num_vars": 3,
        "names": ["a.b", "c.d", "e.f"],
        "bounds": [[0.1, 0.4], [1.0, 2.0], [0.0, 1.0]],
    }


# ------------------------------------------------------------------------ build_design


@pytest.fixture(scope="module")
def designs() -> dict[str, Design]:
    return {path.stem: build_design(load_sweep(path)) for path in sorted(SWEEPS.glob("*.yaml"))}


def test_points_table_columns(designs: dict[str, Design]) -> None:
    for name, design in designs.items():
        points = design.points
        assert list(points.columns) == ["point", "scenario", *design.parameters], name
        assert points["point"].dtype == np.int64
        assert points["point"].tolist() == list(range(len(points)))
        assert pd.api.types.is_string_dtype(points["scenario"])
        for column in design.parameters:
            assert points[column].dtype == np.float64
        assert points.index.equals(pd.RangeIndex(len(points)))


def test_grid_example_design(designs: dict[str, Design]) -> None:
    design = designs["riyadh_trust_grid"]
    assert (design.type, design.samples, design.second_order, design.levels) == (
        "grid",
        None,
        False,
        None,
    )
    assert design.problem is None
    assert design.scenarios == ["baseline"]
    assert design.parameters == ["actors.Riyadh.capability", "dynamics.trust_loss_rate"]
    rows = design.points[design.parameters].values.tolist()
    assert rows == [[c, r] for c in (0.4, 0.7, 1.0) for r in (0.1, 0.2, 0.3)]


def test_sobol_example_design_is_salibs_matrix(designs: dict[str, Design]) -> None:
    design = designs["sobol_baseline"]
    k = len(design.parameters)
    assert len(design.points) == 64 * (k + 2)
    assert (design.type, design.samples, design.second_order, design.levels) == (
        "sobol",
        64,
        False,
        None,
    )
    assert design.problem is not None and "dists" not in design.problem
    assert design.problem["names"] == design.parameters
    expected = sample(design.problem, "sobol", 64, seed=7)
    np.testing.assert_array_equal(design.points[design.parameters].to_numpy(), expected)
    assert in_bounds(design.points[design.parameters].to_numpy(), design.problem["bounds"])


def test_multi_scenario_design_is_scenario_major(designs: dict[str, Design]) -> None:
    design = designs["variants_lhs"]
    assert design.scenarios == ["baseline", "riyadh_steps_back"]
    assert design.problem is not None and design.problem["dists"] == ["unif", "norm"]
    points = design.points
    assert len(points) == 40
    assert points["scenario"].tolist() == ["baseline"] * 20 + ["riyadh_steps_back"] * 20
    first = points.iloc[:20][design.parameters].to_numpy()
    second = points.iloc[20:][design.parameters].to_numpy()
    np.testing.assert_array_equal(first, second)
    assert in_bounds(first[:, :1], [[0.04, 0.16]])


def test_design_is_reproducible() -> None:
    path = SWEEPS / "variants_lhs.yaml"
    a = build_design(load_sweep(path)).points
    b = build_design(load_sweep(path)).points
    pd.testing.assert_frame_equal(a, b)


def test_seed_changes_a_sampled_design(write_yaml) -> None:
    text = (SWEEPS / "sobol_baseline.yaml").read_text(encoding="utf-8")
    text = text.replace("../baseline.yaml", str(BASELINE))
    a = build_design(load_sweep(write_yaml(text, "a.yaml")))
    b = build_design(load_sweep(write_yaml(text.replace("seed: 7", "seed: 8"), "b.yaml")))
    assert a.points.shape == b.points.shape
    assert not a.points.equals(b.points)


@pytest.mark.parametrize(
    ("design", "rows"),
    [
        ({"type": "morris", "samples": 3, "levels": 6}, 3 * (2 + 1)),
        ({"type": "sobol", "samples": 4, "second_order": True}, 4 * (2 * 2 + 2)),
        ({"type": "lhs", "samples": 7}, 7),
    ],
)
def test_build_design_sizes_and_fields(write_yaml, design: dict, rows: int) -> None:
    path = write_yaml(
        {
            "name": "t",
            "scenarios": [
                str(BASELINE),
                str(SCENARIOS_DIR / "variants" / "riyadh_steps_back.yaml"),
            ],
            "steps": 5,
            "design": design,
            "parameters": {
                "dynamics.trust_gain_rate": {"range": [0.05, 0.15]},
                "actors.Riyadh.capability": {"distribution": "uniform", "low": 0.3, "high": 0.9},
            },
        },
        "sweep.yaml",
    )
    built = build_design(load_sweep(path))
    assert len(built.points) == 2 * rows
    assert built.type == design["type"]
    assert built.samples == design["samples"]
    assert built.second_order is design.get("second_order", False)
    assert built.levels == (design.get("levels") if design["type"] == "morris" else None)
    x = built.points[built.parameters].to_numpy()
    assert in_bounds(x, [[0.05, 0.15], [0.3, 0.9]])
    if design["type"] == "morris":
        np.testing.assert_array_equal(
            x[:rows], sample(built.problem, "morris", 3, seed=0, levels=6)
        )
