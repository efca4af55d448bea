"""Tests for lsr_sim.sweep.analysis and lsr_sim.sweep.plots on synthetic sweep folders.

The folders are written here exactly as docs/sweeps-contract.md describes them
(manifest.json, design.parquet, runs/part-*.parquet), with known outcome values, failed
runs and NaN outcomes, so every statistic can be checked against a hand computation.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from lsr_sim.errors import InputError
from lsr_sim.sweep import analysis, plots
from lsr_sim.sweep.analysis import (
    analyze,
    format_report,
    point_summary,
    read_design,
    read_manifest,
    read_runs,
    sobol_indices,
    write_analysis,
)


def salib_sample(method: str) -> Any:
    """SALib's ``sample`` function of `method` (imported on use: SALib takes a second)."""
    import importlib

    return importlib.import_module(f"SALib.sample.{method}").sample


# Student t quantiles for a 95 % two-sided interval (statistical tables: 12.706, 4.303).
T975_DF1 = 12.706204736174705
T975_DF2 = 4.302652729749464

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
LOSS = "dynamics.vouching_rate"
CAPABILITY = "actors.Riyadh.capability"
RAPPROCHEMENT = "rapprochement_index"
WEEKS = "weeks_to_agreement_border"


# --------------------------------------------------------------------------- folder builder


def write_sweep(
    folder: Path,
    *,
    design_type: str,
    design: pd.DataFrame,
    parameters: Sequence[str],
    outcomes: Sequence[str],
    rows: Sequence[Mapping[str, Any]],
    replications: int,
    problem: Mapping[str, Any] | None = None,
    second_order: bool = False,
    levels: int = 4,
    samples: int | None = None,
    seed: int = 1234,
    parts: int = 2,
    total_runs: int | None = None,
) -> Path:
    """Write a sweep output folder per the contract; `rows` are the runs (dicts)."""
    folder.mkdir(parents=True, exist_ok=True)
    scenarios = list(dict.fromkeys(design["scenario"]))
    manifest = {
        "sweep": {
            "name": "synthetic",
            "file": "/nowhere/synthetic.yaml",
            "sha256": "0" * 64,
            "content": "name: synthetic\n",
        },
        "scenarios": {
            name: {"file": f"/nowhere/{name}.yaml", "sha256": "1" * 64} for name in scenarios
        },
        "design": {
            "type": design_type,
            "samples": samples,
            "second_order": second_order,
            "levels": levels,
            "parameters": list(parameters),
            "problem": dict(problem) if problem is not None else None,
            "points": len(design),
        },
        "replications": replications,
        "total_runs": total_runs if total_runs is not None else len(design) * replications,
        "seed": seed,
        "steps": dict.fromkeys(scenarios, 52),
        "outcomes": list(outcomes),
        "trajectories": None,
        "environment": {"python": "3.12"},
        "command": ["lsr-sim", "sweep", "synthetic.yaml"],
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    design.to_parquet(folder / "design.parquet", index=False)

    fields = [
        ("run_key", pa.string()),
        ("run", pa.int64()),
        ("point", pa.int64()),
        ("replication", pa.int64()),
        ("scenario", pa.string()),
        ("seed", pa.uint64()),
        *[(p, pa.float64()) for p in parameters],
        *[(o, pa.float64()) for o in outcomes],
        ("error", pa.string()),
    ]
    schema = pa.schema(fields)
    runs_dir = folder / "runs"
    runs_dir.mkdir()
    # Parts written in reverse order of runs: the reader must sort.
    chunks = np.array_split(np.arange(len(rows)), parts)
    for chunk in reversed(chunks):
        if not len(chunk):
            continue
        part_rows = [rows[i] for i in chunk]
        table = pa.Table.from_pylist(
            [{name: row.get(name) for name, _ in fields} for row in part_rows], schema=schema
        )
        first = int(part_rows[0]["run"])
        digest = hashlib.sha256(str(first).encode()).hexdigest()[:10]
        pq.write_table(table, runs_dir / f"part-{first:09d}-{digest}.parquet")
    # Debris of an interrupted runner, and a stray file: never read.
    (runs_dir / ".part-000099999-deadbeef00.parquet.4242.tmp").write_bytes(b"not parquet")
    (runs_dir / "README").write_text("not a part\n", encoding="utf-8")
    return folder


def run_row(
    run: int,
    point: int,
    replication: int,
    scenario: str,
    params: Mapping[str, float],
    outcomes: Mapping[str, float],
    error: str = "",
    seed: int | None = None,
) -> dict[str, Any]:
    return {
        "run_key": hashlib.sha256(f"run {run}".encode()).hexdigest()[:16],
        "run": run,
        "point": point,
        "replication": replication,
        "scenario": scenario,
        "seed": seed if seed is not None else 1_000_003 * (run + 1),
        **params,
        **outcomes,
        "error": error,
    }


# --------------------------------------------------------------------------- grid sweep

# 2 x 3 grid, 3 replications. Hand-chosen values per (point, replication); None = failed.
GRID_LOSS = [0.1, 0.3]
GRID_CAPABILITY = [0.5, 0.7, 0.9]
GRID_RAPPROCHEMENT = {
    0: [1.0, 2.0, 4.0],  # mean 7/3, sd sqrt(7/3)
    1: [3.0, 5.0, None],  # replication 2 failed: mean 4, sd sqrt(2), t with df 1
    2: [0.5, 0.5, 0.5],
    3: [2.0, 2.5, 3.0],
    4: [6.0, 6.0, 9.0],
    5: [None, None, None],  # every run failed
}
GRID_WEEKS = {
    0: [10.0, math.nan, 20.0],  # undefined in one successful run
    1: [8.0, 12.0, None],
    2: [math.nan] * 3,  # never defined
    3: [5.0, 6.0, 7.0],
    4: [4.0, 4.0, 4.0],
    5: [None, None, None],
}
HUGE_SEED = 2**64 - 5  # uint64 beyond int64: must survive into failures.csv


def grid_design() -> pd.DataFrame:
    combos = list(itertools.product(GRID_LOSS, GRID_CAPABILITY))
    return pd.DataFrame(
        {
            "point": np.arange(len(combos), dtype=np.int64),
            "scenario": "baseline",
            LOSS: [c[0] for c in combos],
            CAPABILITY: [c[1] for c in combos],
        }
    )


def grid_rows() -> list[dict[str, Any]]:
    design = grid_design()
    rows = []
    for point in design["point"]:
        params = {LOSS: design.loc[point, LOSS], CAPABILITY: design.loc[point, CAPABILITY]}
        for rep in range(3):
            run = int(point) * 3 + rep
            value, weeks = GRID_RAPPROCHEMENT[point][rep], GRID_WEEKS[point][rep]
            if value is None:
                # A failed run; junk outcome values must still be ignored.
                rows.append(
                    run_row(
                        run,
                        int(point),
                        rep,
                        "baseline",
                        params,
                        {RAPPROCHEMENT: 1000.0, WEEKS: math.nan},
                        error="RuntimeError: solver diverged",
                        seed=HUGE_SEED if run == 5 else None,
                    )
                )
            else:
                rows.append(
                    run_row(
                        run,
                        int(point),
                        rep,
                        "baseline",
                        params,
                        {RAPPROCHEMENT: value, WEEKS: weeks},
                    )
                )
    return rows


@pytest.fixture
def grid_sweep(tmp_path: Path) -> Path:
    return write_sweep(
        tmp_path / "grid",
        design_type="grid",
        design=grid_design(),
        parameters=[LOSS, CAPABILITY],
        outcomes=[RAPPROCHEMENT, WEEKS],
        rows=grid_rows(),
        replications=3,
        parts=3,
    )


# --------------------------------------------------------------------------- sobol sweep

SOBOL_NAMES = ["a.x1", "a.x2", "a.x3"]
SOBOL_PROBLEM = {"num_vars": 3, "names": SOBOL_NAMES, "bounds": [[-math.pi, math.pi]] * 3}


def ishigami(x: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def ishigami_exact(a: float = 7.0, b: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    pi = math.pi
    v1, v2, v13 = 0.5 * (1 + b * pi**4 / 5) ** 2, a**2 / 8, 8 * b**2 * pi**8 / 225
    v = v1 + v2 + v13
    return np.array([v1, v2, 0.0]) / v, np.array([v1 + v13, v2, v13]) / v


def build_sobol_sweep(
    folder: Path, *, n: int, second_order: bool, noise: float = 0.05
) -> dict[str, Any]:
    """Two scenarios: alpha = Ishigami(a=7), beta = Ishigami(a=0); 2 replications (+/-noise).

    Run (alpha, point 3, replication 1) fails; point 7 of alpha never defines `WEEKS`.
    """
    x = salib_sample("sobol")(dict(SOBOL_PROBLEM), n, calc_second_order=second_order, seed=11)
    per = len(x)
    frames, rows, expected_y = [], [], {}
    for s, (scenario, a) in enumerate([("alpha", 7.0), ("beta", 0.0)]):
        points = np.arange(per) + s * per
        frames.append(
            pd.DataFrame(
                {"point": points, "scenario": scenario, **dict(zip(SOBOL_NAMES, x.T, strict=True))}
            )
        )
        base = ishigami(x, a=a)
        y = base.copy()
        for i, point in enumerate(points):
            params = dict(zip(SOBOL_NAMES, x[i], strict=True))
            weeks = x[i, 0] + 4.0 if not (scenario == "alpha" and i == 7) else math.nan
            for rep, offset in enumerate((noise, -noise)):
                run = int(point) * 2 + rep
                if scenario == "alpha" and i == 3 and rep == 1:
                    rows.append(
                        run_row(
                            run,
                            int(point),
                            rep,
                            scenario,
                            params,
                            {"ishigami": math.nan, WEEKS: math.nan, "constant": math.nan},
                            error="ValueError: bad draw",
                        )
                    )
                    y[i] = base[i] + noise  # replication 0 only
                    continue
                rows.append(
                    run_row(
                        run,
                        int(point),
                        rep,
                        scenario,
                        params,
                        {"ishigami": base[i] + offset, WEEKS: weeks, "constant": 1.0},
                    )
                )
        expected_y[scenario] = y
    design = pd.concat(frames, ignore_index=True)
    write_sweep(
        folder,
        design_type="sobol",
        design=design,
        parameters=SOBOL_NAMES,
        outcomes=["ishigami", WEEKS, "constant"],
        rows=rows,
        replications=2,
        problem=SOBOL_PROBLEM,
        second_order=second_order,
        samples=n,
        seed=99,
        parts=4,
    )
    return {"x": x, "y": expected_y, "folder": folder}


@pytest.fixture(scope="module")
def sobol_sweep(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return build_sobol_sweep(tmp_path_factory.mktemp("sobol") / "out", n=256, second_order=False)


# --------------------------------------------------------------------------- reading


def test_read_runs_reads_every_part_sorted_and_skips_temporaries(grid_sweep: Path) -> None:
    runs = read_runs(grid_sweep)
    assert runs["run"].tolist() == list(range(18))
    assert runs["seed"].dtype == np.uint64
    assert int(runs.loc[5, "seed"]) == HUGE_SEED
    assert (runs["error"] != "").sum() == 4
    assert list(runs.columns[:6]) == ["run_key", "run", "point", "replication", "scenario", "seed"]


def test_read_manifest_and_design(grid_sweep: Path) -> None:
    manifest = read_manifest(grid_sweep)
    assert manifest["design"]["type"] == "grid"
    design = read_design(grid_sweep)
    pd.testing.assert_frame_equal(design, grid_design(), check_dtype=False)


def test_read_runs_keeps_the_successful_copy_of_a_repeated_run(grid_sweep: Path) -> None:
    runs = read_runs(grid_sweep)
    retry = runs[runs["run"] == 5].copy()  # failed in the sweep ...
    retry["error"] = ""  # ... succeeded when retried
    retry[RAPPROCHEMENT] = 7.0
    retry.to_parquet(grid_sweep / "runs" / "part-000000005-retry00000.parquet", index=False)
    again = read_runs(grid_sweep)
    assert again["run"].tolist() == list(range(18))
    assert again.loc[5, "error"] == ""
    assert again.loc[5, RAPPROCHEMENT] == 7.0


def test_read_runs_of_a_sweep_without_parts_is_empty_with_the_columns(tmp_path: Path) -> None:
    folder = write_sweep(
        tmp_path / "fresh",
        design_type="grid",
        design=grid_design(),
        parameters=[LOSS, CAPABILITY],
        outcomes=[RAPPROCHEMENT],
        rows=[],
        replications=3,
    )
    runs = read_runs(folder)
    assert runs.empty
    assert {LOSS, CAPABILITY, RAPPROCHEMENT, "error", "point"} <= set(runs.columns)
    tables = analyze(folder)
    assert (tables["points"]["n"] == 0).all()
    assert any("0 of 18 runs saved" in note for note in tables["notes"]["note"])


def test_a_folder_that_is_not_a_sweep_gives_a_clear_error(tmp_path: Path) -> None:
    folder = tmp_path / "results_of_a_single_run"
    (folder / "tables").mkdir(parents=True)
    for reader in (read_runs, read_manifest, read_design, analyze, write_analysis):
        with pytest.raises(InputError, match="not a sweep output folder") as info:
            reader(folder)
        assert str(folder) in str(info.value)
        assert info.value.source == str(folder)
    with pytest.raises(InputError, match="no such folder"):
        read_runs(tmp_path / "missing")


def test_a_sweep_folder_without_runs_gives_a_clear_error(grid_sweep: Path) -> None:
    for part in (grid_sweep / "runs").iterdir():
        part.unlink()
    (grid_sweep / "runs").rmdir()
    with pytest.raises(InputError, match=r"no runs/ inside") as info:
        read_runs(grid_sweep)
    assert str(grid_sweep) in str(info.value)


def test_a_broken_part_is_named(grid_sweep: Path) -> None:
    bad = grid_sweep / "runs" / "part-000000100-0000000000.parquet"
    bad.write_bytes(b"garbage")
    with pytest.raises(InputError, match="cannot read") as info:
        read_runs(grid_sweep)
    assert str(bad) in str(info.value)


# --------------------------------------------------------------------------- point summary


def test_point_summary_matches_hand_computed_t_intervals(grid_sweep: Path) -> None:
    runs = read_runs(grid_sweep)
    table = point_summary(runs, [LOSS, CAPABILITY], [RAPPROCHEMENT, WEEKS])
    table = table.set_index("point")

    assert table["n"].tolist() == [3, 2, 3, 3, 3, 0]
    assert table["failed"].tolist() == [0, 1, 0, 0, 0, 3]
    assert table.loc[1, LOSS] == 0.1 and table.loc[1, CAPABILITY] == 0.7

    # Point 0: 1, 2, 4 -> mean 7/3, sd sqrt(7/3), half width t(2) * sd / sqrt(3).
    sd0 = math.sqrt(7 / 3)
    row = table.loc[0]
    assert row[f"{RAPPROCHEMENT}_mean"] == pytest.approx(7 / 3)
    assert row[f"{RAPPROCHEMENT}_sd"] == pytest.approx(sd0)
    assert row[f"{RAPPROCHEMENT}_ci_low"] == pytest.approx(7 / 3 - T975_DF2 * sd0 / math.sqrt(3))
    assert row[f"{RAPPROCHEMENT}_ci_high"] == pytest.approx(7 / 3 + T975_DF2 * sd0 / math.sqrt(3))
    assert row[f"{RAPPROCHEMENT}_ci_high"] == pytest.approx(6.1279, abs=1e-4)

    # Point 1: the failed run (junk value 1000) is left out: 3, 5 -> mean 4, sd sqrt 2, df 1.
    row = table.loc[1]
    assert row[f"{RAPPROCHEMENT}_n"] == 2
    assert row[f"{RAPPROCHEMENT}_mean"] == pytest.approx(4.0)
    assert row[f"{RAPPROCHEMENT}_sd"] == pytest.approx(math.sqrt(2))
    assert row[f"{RAPPROCHEMENT}_ci_low"] == pytest.approx(4.0 - T975_DF1)
    assert row[f"{RAPPROCHEMENT}_ci_high"] == pytest.approx(4.0 + T975_DF1)

    # Point 2: constant -> zero-width interval.
    row = table.loc[2]
    assert row[f"{RAPPROCHEMENT}_ci_low"] == row[f"{RAPPROCHEMENT}_ci_high"] == 0.5

    # Point 5: all runs failed -> no statistics.
    row = table.loc[5]
    assert row[f"{RAPPROCHEMENT}_n"] == 0
    stats = row[[f"{RAPPROCHEMENT}_{s}" for s in ("mean", "sd", "ci_low", "ci_high")]]
    assert np.isnan(stats.astype(float)).all()

    # NaN outcomes: point 0 has weeks in 2 of its 3 successful runs; point 2 in none.
    assert table.loc[0, f"{WEEKS}_n"] == 2
    assert table.loc[0, f"{WEEKS}_mean"] == pytest.approx(15.0)
    assert table.loc[0, f"{WEEKS}_ci_high"] == pytest.approx(
        15 + T975_DF1 * math.sqrt(50) / math.sqrt(2)
    )
    assert table.loc[2, f"{WEEKS}_n"] == 0 and np.isnan(table.loc[2, f"{WEEKS}_mean"])


def test_point_summary_with_one_run_has_no_interval() -> None:
    runs = pd.DataFrame({"point": [0], "scenario": ["s"], "x": [1.0], "y": [3.0], "error": [""]})
    table = point_summary(runs, ["x"], ["y"])
    assert table.loc[0, "y_mean"] == 3.0
    assert np.isnan(table.loc[0, ["y_sd", "y_ci_low", "y_ci_high"]].astype(float)).all()


def test_point_summary_other_confidence_levels_and_checks(grid_sweep: Path) -> None:
    runs = read_runs(grid_sweep)
    table = point_summary(runs, [LOSS], [RAPPROCHEMENT], confidence=0.9)
    half = 2.919985580355516 * math.sqrt(7 / 3) / math.sqrt(3)  # t(0.95, df 2)
    assert table.loc[0, f"{RAPPROCHEMENT}_ci_high"] == pytest.approx(7 / 3 + half)
    with pytest.raises(ValueError, match="confidence"):
        point_summary(runs, [LOSS], [RAPPROCHEMENT], confidence=95)
    with pytest.raises(ValueError, match="missing"):
        point_summary(runs, [LOSS], ["nope"])
    with pytest.raises(ValueError, match="not numeric"):
        point_summary(runs, [LOSS], ["scenario"])


def test_point_summary_with_design_lists_points_without_runs(grid_sweep: Path) -> None:
    runs = read_runs(grid_sweep)
    runs = runs[runs["point"] != 4]
    table = point_summary(runs, [LOSS, CAPABILITY], [RAPPROCHEMENT], design=grid_design())
    assert table["point"].tolist() == list(range(6))
    assert table.loc[4, "n"] == 0 and table.loc[4, "failed"] == 0
    assert table.loc[4, CAPABILITY] == 0.7


# --------------------------------------------------------------------------- analyze


def test_analyze_grid_lists_failures_and_notes_nan_outcomes(grid_sweep: Path) -> None:
    tables = analyze(grid_sweep)
    assert set(tables) == {"points", "failures", "notes"}  # no indices for a grid

    failures = tables["failures"]
    assert list(failures.columns) == ["run", "seed", "scenario", "error"]
    assert failures["run"].tolist() == [5, 15, 16, 17]
    assert int(failures.loc[0, "seed"]) == HUGE_SEED
    assert set(failures["scenario"]) == {"baseline"}
    assert set(failures["error"]) == {"RuntimeError: solver diverged"}

    notes = tables["notes"]
    assert list(notes.columns) == ["scenario", "outcome", "note"]
    assert notes["note"].str.contains("4 run\\(s\\) failed").any()
    weeks = notes[notes["outcome"] == WEEKS]["note"]
    assert weeks.str.contains("NaN in some successful runs of 1 point").any()


def test_analyze_sobol_per_scenario_and_outcome(sobol_sweep: dict[str, Any]) -> None:
    folder = sobol_sweep["folder"]
    tables = analyze(folder)
    assert {"points", "sobol", "failures", "notes"} == set(tables)

    sobol = tables["sobol"]
    assert list(sobol.columns) == [
        "scenario",
        "outcome",
        "parameter",
        "S1",
        "S1_conf",
        "ST",
        "ST_conf",
    ]
    # ishigami in both scenarios, weeks only in beta (alpha has a point without a value),
    # constant nowhere.
    combos = sobol[["scenario", "outcome"]].drop_duplicates().apply(tuple, axis=1).tolist()
    assert combos == [("alpha", "ishigami"), ("beta", "ishigami"), ("beta", WEEKS)]

    # Exactly what sobol_indices gives for the hand-computed Y, with the manifest's seed.
    for scenario in ("alpha", "beta"):
        expected, _ = sobol_indices(SOBOL_PROBLEM, sobol_sweep["y"][scenario], seed=99)
        got = sobol[(sobol["scenario"] == scenario) & (sobol["outcome"] == "ishigami")]
        np.testing.assert_allclose(got[["S1", "S1_conf", "ST", "ST_conf"]], expected.iloc[:, 1:])
        assert got["parameter"].tolist() == SOBOL_NAMES

    # And close to the analytic values (N = 256 only: the check of test_sensitivity).
    for scenario, a in (("alpha", 7.0), ("beta", 0.0)):
        s1, st = ishigami_exact(a=a)
        got = sobol[(sobol["scenario"] == scenario) & (sobol["outcome"] == "ishigami")]
        assert (np.abs(got["S1"] - s1) <= np.maximum(2 * got["S1_conf"], 0.02)).all()
        assert (np.abs(got["ST"] - st) <= np.maximum(2 * got["ST_conf"], 0.02)).all()

    # Weeks in beta = x1 + 4: all of the variance is x1's.
    weeks = sobol[(sobol["scenario"] == "beta") & (sobol["outcome"] == WEEKS)]
    np.testing.assert_allclose(weeks["S1"], [1.0, 0.0, 0.0], atol=0.05)

    notes = tables["notes"]
    skipped = notes[notes["note"].str.contains("indices skipped")]
    assert set(zip(skipped["scenario"], skipped["outcome"], strict=True)) == {
        ("alpha", WEEKS),
        ("alpha", "constant"),
        ("beta", "constant"),
    }
    assert (
        skipped[skipped["outcome"] == WEEKS]["note"]
        .iloc[0]
        .startswith("sobol indices skipped: 1 of 1280 point(s) have no value")
    )
    assert tables["failures"]["run"].tolist() == [7]


def test_analyze_notes_replication_noise(tmp_path: Path, sobol_sweep: dict[str, Any]) -> None:
    quiet = analyze(sobol_sweep["folder"])["notes"]["note"]  # noise +/-0.05: negligible
    assert not quiet.str.contains("replication noise").any()
    assert not quiet.str.contains("one run per point").any()

    noisy = build_sobol_sweep(tmp_path / "noisy", n=32, second_order=False, noise=5.0)
    notes = analyze(noisy["folder"], num_resamples=100)["notes"]
    flagged = notes[notes["note"].str.contains("replication noise is about")]
    # Only the outcome that has noise, in both scenarios.
    assert set(zip(flagged["scenario"], flagged["outcome"], strict=True)) == {
        ("alpha", "ishigami"),
        ("beta", "ishigami"),
    }


def test_analyze_sobol_second_order(tmp_path: Path) -> None:
    built = build_sobol_sweep(tmp_path / "s2", n=64, second_order=True)
    tables = analyze(built["folder"], num_resamples=100)
    second = tables["sobol_second"]
    assert list(second.columns) == [
        "scenario",
        "outcome",
        "parameter_1",
        "parameter_2",
        "S2",
        "S2_conf",
    ]
    alpha = second[(second["scenario"] == "alpha") & (second["outcome"] == "ishigami")]
    assert list(zip(alpha["parameter_1"], alpha["parameter_2"], strict=True)) == [
        ("a.x1", "a.x2"),
        ("a.x1", "a.x3"),
        ("a.x2", "a.x3"),
    ]
    assert len(tables["sobol"]) == len(second) == 9  # 3 (scenario, outcome) x 3


def test_analyze_morris(tmp_path: Path) -> None:
    names = ["x1", "x2", "x3"]
    problem = {"num_vars": 3, "names": names, "bounds": [[0.0, 1.0]] * 3}
    x = salib_sample("morris")(dict(problem), 12, num_levels=4, seed=2)
    design = pd.DataFrame(
        {"point": np.arange(len(x)), "scenario": "baseline", **dict(zip(names, x.T, strict=True))}
    )
    rows = [
        run_row(
            i, i, 0, "baseline", dict(zip(names, x[i], strict=True)), {"y": 5 * x[i, 0] + x[i, 1]}
        )
        for i in range(len(x))
    ]
    folder = write_sweep(
        tmp_path / "morris",
        design_type="morris",
        design=design,
        parameters=names,
        outcomes=["y"],
        rows=rows,
        replications=1,
        problem=problem,
        samples=12,
    )
    tables = analyze(folder)
    assert "morris" in tables and "sobol" not in tables
    morris = tables["morris"]
    assert list(morris.columns) == [
        "scenario",
        "outcome",
        "parameter",
        "mu",
        "mu_star",
        "mu_star_conf",
        "sigma",
    ]
    np.testing.assert_allclose(morris["mu_star"], [5.0, 1.0, 0.0], atol=1e-9)
    assert tables["notes"]["note"].str.startswith("one run per point").any()
    report = format_report(tables, read_manifest(folder))
    assert "Morris screening" in report and "x1" in report


def test_analyze_incomplete_sweep(grid_sweep: Path) -> None:
    parts = sorted((grid_sweep / "runs").glob("part-*.parquet"))
    parts[-1].unlink()  # the last 6 runs: points 4 and 5
    tables = analyze(grid_sweep)
    points = tables["points"]
    assert points["point"].tolist() == list(range(6))
    assert points.loc[5, "n"] == 0 and points.loc[5, "failed"] == 0
    assert tables["notes"]["note"].str.contains("12 of 18 runs saved").any()
    report = format_report(tables, read_manifest(grid_sweep))
    assert "Runs: 11 done, 1 failed, 6 not saved" in report


def test_format_report(grid_sweep: Path, sobol_sweep: dict[str, Any]) -> None:
    report = format_report(analyze(grid_sweep), read_manifest(grid_sweep))
    lines = report.splitlines()
    assert lines[0] == "Sweep synthetic: grid design, 6 point(s) x 3 replication(s) = 18 run(s)"
    assert lines[1] == "Runs: 14 done, 4 failed, 0 not saved"
    assert f"  {RAPPROCHEMENT:<25}  0.5 .. 7  (1 point(s) without a value)" in lines
    assert "Notes:" in report

    folder = sobol_sweep["folder"]
    report = format_report(analyze(folder), read_manifest(folder))
    assert "Sobol' indices" in report
    assert "scenario alpha:" in report and "scenario beta:" in report
    assert "a.x2" in report and "±" in report


# --------------------------------------------------------------------------- writing


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def test_write_analysis_grid_files_are_deterministic(grid_sweep: Path) -> None:
    written = write_analysis(grid_sweep)
    target = grid_sweep / "analysis"
    names = [str(p.relative_to(target)) for p in written]
    assert names == [
        "points.csv",
        "failures.csv",
        "notes.csv",
        "report.txt",
        f"figures/response_{RAPPROCHEMENT}.png",
        f"figures/heatmap_{RAPPROCHEMENT}.png",
        f"figures/response_{WEEKS}.png",
        f"figures/heatmap_{WEEKS}.png",
    ]
    for path in written:
        assert path.is_file()
        if path.suffix == ".png":
            assert path.read_bytes()[:8] == PNG_MAGIC
    first = _snapshot(target)
    assert set(first) == set(names)  # no temporary files left behind

    again = write_analysis(grid_sweep)
    assert again == written
    assert _snapshot(target) == first  # byte-identical

    points = pd.read_csv(target / "points.csv")
    assert points["n"].tolist() == [3, 2, 3, 3, 3, 0]
    failures = pd.read_csv(target / "failures.csv", dtype={"seed": "uint64"})
    assert int(failures.loc[0, "seed"]) == HUGE_SEED
    assert (target / "report.txt").read_text(encoding="utf-8").startswith("Sweep synthetic")


def test_write_analysis_sobol_and_given_tables(sobol_sweep: dict[str, Any], tmp_path: Path) -> None:
    folder = sobol_sweep["folder"]
    tables = analyze(folder)
    written = write_analysis(folder, tables, figures=True)
    names = {p.name for p in written}
    assert {"points.csv", "sobol.csv", "failures.csv", "notes.csv", "report.txt"} <= names
    assert {"sobol_ishigami.png", f"sobol_{WEEKS}.png", "response_ishigami.png"} <= names
    assert not any(n.startswith("heatmap") for n in names)  # not a two-parameter grid
    sobol = pd.read_csv(folder / "analysis" / "sobol.csv")
    pd.testing.assert_frame_equal(sobol, tables["sobol"], check_dtype=False)

    only_csv = write_analysis(folder, tables, figures=False)
    assert all(p.suffix in (".csv", ".txt") for p in only_csv)


# --------------------------------------------------------------------------- plots


def _axes() -> Axes:
    return Figure(layout="constrained").subplots()


def test_plot_functions_return_the_axes_given(
    grid_sweep: Path, sobol_sweep: dict[str, Any]
) -> None:
    points = analyze(grid_sweep)["points"]
    ax = _axes()
    assert plots.plot_response(points, LOSS, RAPPROCHEMENT, ax=ax) is ax
    ax = _axes()
    assert plots.plot_response(points, CAPABILITY, RAPPROCHEMENT, by=LOSS, ax=ax) is ax
    ax = _axes()
    assert plots.plot_heatmap(points, CAPABILITY, LOSS, RAPPROCHEMENT, ax=ax) is ax

    tables = analyze(sobol_sweep["folder"])
    ax = _axes()
    assert plots.plot_sensitivity(tables["sobol"], "ishigami", scenario="alpha", ax=ax) is ax
    ax = _axes()
    assert plots.plot_response(tables["points"], "a.x2", "ishigami", scenario="alpha", ax=ax) is ax
    # Without ax: a new Axes on a new (non-pyplot) Figure.
    made = plots.plot_response(tables["points"], "a.x1", "ishigami")
    assert isinstance(made, Axes) and isinstance(made.figure, Figure)


def test_plot_response_grid_marginal_mean_and_band(grid_sweep: Path) -> None:
    points = analyze(grid_sweep)["points"]
    ax = plots.plot_response(points, CAPABILITY, RAPPROCHEMENT, scenario="baseline")
    (line,) = ax.get_lines()
    # Marginal means over the loss rates: capability 0.5 -> points 0 and 3, etc.
    # Point 5 (capability 0.9, loss 0.3) has no value: 0.9 is point 2 alone.
    np.testing.assert_allclose(line.get_xdata(), [0.5, 0.7, 0.9])
    np.testing.assert_allclose(line.get_ydata(), [(7 / 3 + 2.5) / 2, (4.0 + 7.0) / 2, 0.5])
    assert len(ax.collections) == 1  # the CI band


def test_plot_response_by_draws_one_line_per_value(grid_sweep: Path) -> None:
    points = analyze(grid_sweep)["points"]
    ax = plots.plot_response(points, CAPABILITY, RAPPROCHEMENT, by=LOSS)
    lines = ax.get_lines()
    assert len(lines) == 2
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == [f"{LOSS} = 0.1", f"{LOSS} = 0.3"]
    np.testing.assert_allclose(lines[1].get_ydata(), [2.5, 7.0])  # loss 0.3: points 3 and 4


def test_plot_response_marginal_band_is_welch_satterthwaite() -> None:
    # Two points at x = 1: (mean 1, sd 1, n 4) and (mean 3, sd 2, n 4).
    points = pd.DataFrame(
        {"x": [1.0, 1.0], "z": [0.0, 1.0], "y_mean": [1.0, 3.0], "y_sd": [1.0, 2.0], "y_n": [4, 4]}
    )
    ax = plots.plot_response(points, "x", "y", kind="grid")
    band = ax.collections[0].get_paths()[0].vertices[:, 1]
    se2 = (1 / 4 + 4 / 4) / 4
    df = (1 / 4 + 4 / 4) ** 2 / ((1 / 4) ** 2 / 3 + (4 / 4) ** 2 / 3)
    from scipy import stats

    half = stats.t.ppf(0.975, df) * math.sqrt(se2)
    assert band.min() == pytest.approx(2.0 - half)
    assert band.max() == pytest.approx(2.0 + half)


def test_plot_sensitivity_bars(sobol_sweep: dict[str, Any]) -> None:
    tables = analyze(sobol_sweep["folder"])
    ax = plots.plot_sensitivity(tables["sobol"], "ishigami", scenario="alpha")
    assert len(ax.patches) == 6  # S1 and ST for three parameters
    # Most influential (largest ST: x1) on top.
    assert ax.get_yticklabels()[-1].get_text() == "a.x1"
    with pytest.raises(ValueError, match="several scenarios"):
        plots.plot_sensitivity(tables["sobol"], "ishigami")
    with pytest.raises(ValueError, match="no outcome 'nope'"):
        plots.plot_sensitivity(tables["sobol"], "nope", scenario="alpha")

    morris = pd.DataFrame(
        {
            "parameter": ["a", "b"],
            "mu_star": [2.0, 1.0],
            "mu_star_conf": [0.1, 0.1],
            "sigma": [0.5, 0.0],
        }
    )
    ax = plots.plot_sensitivity(morris, kind="morris")
    assert len(ax.patches) == 4
    assert ax.get_yticklabels()[-1].get_text() == "a"


def test_plot_heatmap_annotates_every_cell(grid_sweep: Path) -> None:
    points = analyze(grid_sweep)["points"]
    ax = plots.plot_heatmap(points, CAPABILITY, LOSS, RAPPROCHEMENT)
    texts = [t.get_text() for t in ax.texts]
    assert len(texts) == 6
    assert texts[:3] == ["2.33", "4", "0.5"]  # loss 0.1 row (bottom)
    assert texts[-1] == "–"  # point 5: no value
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0.5", "0.7", "0.9"]


def test_save_sweep_figures_returns_pngs(grid_sweep: Path, tmp_path: Path) -> None:
    tables = analyze(grid_sweep)
    out = tmp_path / "figs"
    paths = plots.save_sweep_figures(tables, read_manifest(grid_sweep), out, max_outcomes=1)
    assert [p.name for p in paths] == [
        f"response_{RAPPROCHEMENT}.png",
        f"heatmap_{RAPPROCHEMENT}.png",
    ]
    assert all(p.read_bytes()[:8] == PNG_MAGIC for p in paths)
    assert sorted(out.iterdir()) == sorted(paths)


def test_module_exports() -> None:
    assert set(analysis.__all__) == {
        "analyze",
        "format_report",
        "morris_indices",
        "point_summary",
        "read_design",
        "read_manifest",
        "read_runs",
        "sobol_indices",
        "write_analysis",
    }
    assert set(plots.__all__) == {
        "plot_box_limits",
        "plot_feature_scores",
        "plot_heatmap",
        "plot_response",
        "plot_screening",
        "plot_screening_overview",
        "plot_sensitivity",
        "plot_tradeoff",
        "plot_tree",
        "save_discovery_figures",
        "save_figure",
        "save_sweep_figures",
    }


def test_plot_response_scatter_bins_discrete_levels_by_value() -> None:
    # Morris-like levels: the binned mean must not merge two levels into one bin.
    x = np.repeat([0.0, 1 / 3, 2 / 3, 1.0], 10)
    points = pd.DataFrame({"x": x, "y_mean": 2.0 * x})
    ax = plots.plot_response(points, "x", "y", kind="scatter")
    (line,) = ax.get_lines()
    np.testing.assert_allclose(line.get_xdata(), [0.0, 1 / 3, 2 / 3, 1.0])
    np.testing.assert_allclose(line.get_ydata(), [0.0, 2 / 3, 4 / 3, 2.0])
    assert len(ax.collections) == 1  # the dots


def test_plot_response_scatter_bins_continuous_values() -> None:
    rng = np.random.default_rng(3)
    x = rng.uniform(0.0, 1.0, 200)
    points = pd.DataFrame({"x": x, "y_mean": 3.0 * x})
    ax = plots.plot_response(points, "x", "y")  # auto: 200 distinct values -> scatter
    (line,) = ax.get_lines()
    assert len(line.get_xdata()) == 10
    np.testing.assert_allclose(line.get_ydata(), 3.0 * np.asarray(line.get_xdata()))
