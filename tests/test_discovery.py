"""Scenario discovery: PRIM and CART recover a known box, feature scores rank its inputs first,
outcome expressions mean what the docs say, every refusal is one clear line, and
``lsr-sim discover`` writes its tables and figures atomically and reproducibly."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from cli_helpers import one_error, run_cli
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from lsr_sim.sweep import load_sweep, run_sweep
from lsr_sim.sweep.discovery import (
    TABLES,
    DiscoveryError,
    discover,
    discover_sweep,
    discovery_table,
    format_discovery,
    parse_outcome,
)
from lsr_sim.sweep.plots import (
    plot_box_limits,
    plot_feature_scores,
    plot_tradeoff,
    plot_tree,
)

# Skip without the extra, but do not import it at collection (seconds): the tests do.
if importlib.util.find_spec("ema_workbench") is None or importlib.util.find_spec("sklearn") is None:
    pytest.skip("needs pip install 'lsr_sim[discover]'", allow_module_level=True)

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"

# The known box: the outcome is true exactly where 0.2 <= x1 <= 0.6 and 0.3 <= x3 <= 0.9.
BOX = {"x1": (0.2, 0.6), "x3": (0.3, 0.9)}
INPUTS = ["x1", "x2", "x3", "x4", "x5"]
TOLERANCE = 0.05  # of each input's [0, 1] range: one peel of 5% is the resolution of PRIM


def synthetic(n: int = 1000, seed: int = 42) -> pd.DataFrame:
    """Four uniform inputs on [0, 1] and an integer one (0..9); ``hit`` inside BOX only."""
    rng = np.random.default_rng(seed)
    table = pd.DataFrame({name: rng.uniform(0.0, 1.0, n) for name in INPUTS[:4]})
    table["x5"] = rng.integers(0, 10, n)  # int64: PRIM must see floats under pandas 3
    inside = np.ones(n, dtype=bool)
    for name, (low, high) in BOX.items():
        inside &= (table[name] >= low) & (table[name] <= high)
    table["hit"] = inside.astype(int)
    table["score"] = np.where(inside, 0.8, 0.2) + rng.normal(0.0, 0.01, n)
    table["status"] = np.where(inside, "implemented", "open")
    table["error"] = ""
    return table


@pytest.fixture(scope="module")
def found():
    return discover(synthetic(), "hit", INPUTS)


# --------------------------------------------------------------------------- recovery


def test_prim_recovers_the_known_box(found) -> None:
    box = found.prim_box.set_index("input")
    assert set(box.index[box["restricted"]]) == set(BOX)
    for name, (low, high) in BOX.items():
        assert abs(box.loc[name, "min"] - low) <= TOLERANCE, box.loc[name]
        assert abs(box.loc[name, "max"] - high) <= TOLERANCE, box.loc[name]
        # Restrictions of a real box are far from chance: tiny quasi-p-values.
        assert box.loc[name, "qp_min"] < 1e-6 and box.loc[name, "qp_max"] < 1e-6
    for name in set(INPUTS) - set(BOX):
        assert box.loc[name, "min"] == box.loc[name, "sweep_min"]
        assert box.loc[name, "max"] == box.loc[name, "sweep_max"]
        assert np.isnan(box.loc[name, "qp_min"]) and np.isnan(box.loc[name, "qp_max"])
    chosen = found.prim_trajectory.iloc[found.chosen]
    assert chosen["density"] == 1.0 and chosen["coverage"] >= 0.9
    assert found.prim_trajectory["chosen"].sum() == 1


def test_prim_statistics_are_counts_of_the_runs_in_the_box(found) -> None:
    table = synthetic()
    box = found.prim_box.set_index("input")
    inside = np.ones(len(table), dtype=bool)
    for name in INPUTS:
        inside &= (table[name] >= box.loc[name, "min"]) & (table[name] <= box.loc[name, "max"])
    chosen = found.prim_trajectory.iloc[found.chosen]
    assert chosen["runs"] == inside.sum()
    assert chosen["cases"] == table["hit"][inside].sum()
    assert chosen["coverage"] == pytest.approx(chosen["cases"] / table["hit"].sum())
    assert chosen["density"] == pytest.approx(chosen["cases"] / chosen["runs"])
    assert chosen["mass"] == pytest.approx(chosen["runs"] / len(table))
    assert found.runs == len(table) and found.cases == table["hit"].sum()


def test_the_trajectory_starts_with_the_whole_space_and_only_gains_density(found) -> None:
    path = found.prim_trajectory
    first = path.iloc[0]
    assert first["coverage"] == 1.0 and first["mass"] == 1.0 and first["restricted"] == 0
    assert first["density"] == pytest.approx(found.cases / found.runs)
    assert path["box"].tolist() == list(range(len(path)))
    assert len(found.prim_boxes) == len(path) * len(INPUTS)


def test_feature_scores_rank_the_true_inputs_first(found) -> None:
    scores = found.scores
    assert set(scores["input"].head(2)) == set(BOX)
    assert scores["rank"].tolist() == list(range(1, len(INPUTS) + 1))
    assert set(scores["input"]) == set(INPUTS)
    assert scores["importance"].sum() == pytest.approx(1.0)


def test_cart_has_one_leaf_predicting_the_box(found) -> None:
    leaves = found.cart_leaves
    predicting = leaves[leaves["predicts"]]
    assert len(predicting) == 1
    leaf = predicting.iloc[0]
    assert leaf["density"] == 1.0 and leaf["coverage"] >= 0.9
    limits = found.cart_limits[found.cart_limits["leaf"] == leaf["leaf"]].set_index("input")
    assert set(limits.index[limits["restricted"]]) == set(BOX)
    for name, (low, high) in BOX.items():
        assert abs(limits.loc[name, "min"] - low) <= TOLERANCE
        assert abs(limits.loc[name, "max"] - high) <= TOLERANCE
    assert leaves["mass"].sum() == pytest.approx(1.0)


def test_integer_inputs_give_the_same_result_as_floats(found) -> None:
    table = synthetic()
    table["x5"] = table["x5"].astype(float)
    again = discover(table, "hit", INPUTS)
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(again, name), getattr(found, name))


def test_the_same_table_gives_the_same_result(found) -> None:
    again = discover(synthetic(), "hit", INPUTS)
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(again, name), getattr(found, name))
    assert format_discovery(again) == format_discovery(found)


def test_a_threshold_a_text_value_and_an_indicator_find_the_same_box(found) -> None:
    for outcome in ("score > 0.5", "status == implemented", "status == 'implemented'"):
        other = discover(synthetic(), outcome, INPUTS)
        pd.testing.assert_frame_equal(other.prim_box, found.prim_box)
        assert other.outcome == outcome


def test_a_named_box_and_min_coverage_choose_the_box(found) -> None:
    named = discover(synthetic(), "hit", INPUTS, box=3)
    assert named.chosen == 3
    assert named.prim_trajectory["chosen"].tolist() == [
        b == 3 for b in range(len(named.prim_trajectory))
    ]
    everything = discover(synthetic(), "hit", INPUTS, min_coverage=1.0)
    path = everything.prim_trajectory
    full = path[path["coverage"] == 1.0]
    assert everything.chosen == int(full.sort_values("density").iloc[-1]["box"])


def test_failed_runs_and_constant_inputs_are_left_out_with_a_note() -> None:
    table = synthetic()
    table.loc[:9, "error"] = "RuntimeError: boom"
    table.loc[:9, "hit"] = np.nan
    table["x6"] = 0.5
    result = discover(table, "hit", [*INPUTS, "x6"])
    assert result.runs == len(table) - 10
    assert result.inputs == tuple(INPUTS)
    assert result.notes == (
        "10 failed run(s) left out",
        "input x6 takes one value in these runs and is left out",
    )


# --------------------------------------------------------------------------- outcomes


def test_outcome_expressions_evaluate_as_documented() -> None:
    table = pd.DataFrame(
        {
            "x": [0.2, 0.5, np.nan, 0.9],
            "flag": [1, 0, 1, 0],
            "yes": [True, False, False, True],
            "s": ["open", "implemented", None, "open"],
        }
    )

    def ev(text: str) -> list[bool]:
        return parse_outcome(text).evaluate(table).tolist()

    assert ev("x > 0.5") == [False, False, False, True]
    assert ev("x >= 0.5") == [False, True, False, True]
    assert ev("x<0.5") == [True, False, False, False]
    assert ev("x <= 0.5") == [True, True, False, False]
    assert ev("x == 0.5") == [False, True, False, False]
    assert ev("x != 0.5") == [True, False, False, True]  # NaN satisfies no comparison
    assert ev("x > -1e9") == [True, True, False, True]
    assert ev("flag") == [True, False, True, False]
    assert ev("yes") == [True, False, False, True]
    assert ev("s == open") == [True, False, False, True]
    assert ev('s != "open"') == [False, True, False, False]  # missing text is not "not open"
    assert parse_outcome("  x   >   0.5 ").text == "x   >   0.5"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a + b > 1", "'a + b > 1' is not an outcome expression; write COLUMN (a 0/1 column)"),
        ("x >", "'x >' is not an outcome expression"),
        ("x > y z", "'x > y z' is not an outcome expression"),
        ("x and y", "'x and y' is not an outcome expression"),
        ("1 < x", "'1 < x' is not an outcome expression"),
        ("", "'' is not an outcome expression"),
        ("s > open", "'s > open' compares text with >; text is compared only with == or !="),
        ("x > inf", "'x > inf' compares with inf; use a finite number"),
        ("x == nan", "'x == nan' compares with nan; use a finite number"),
    ],
)
def test_malformed_expressions_are_refused(text: str, message: str) -> None:
    with pytest.raises(DiscoveryError) as info:
        parse_outcome(text)
    assert str(info.value).startswith(message)
    assert info.value.option == "outcome"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("hti", "no column 'hti' in the runs table (did you mean 'hit'?); columns: x1, x2"),
        ("x1 == high", "'x1' holds numbers; compare it with a number, e.g. 'x1 > 0.5'"),
        (
            "status > 0.5",
            "'status' holds text; compare it with == or != and one of its values, e.g. "
            "'status == implemented' (values: implemented, open)",
        ),
        ("status", "'status' holds text; compare it with == or != and one of its values"),
        (
            "score",
            "'score' holds values other than 0 and 1 (e.g. 0.2",
        ),
        (
            "status == implmented",
            "'implmented' is not a value of 'status' (did you mean 'implemented'?); "
            "its values: implemented, open",
        ),
        (
            "score > 5",
            "'score > 5' is true in none of the 1000 runs; nothing to discover (choose a "
            "threshold that some runs meet and some do not)",
        ),
        ("score > -5", "'score > -5' is true in all of the 1000 runs; nothing to discover"),
    ],
)
def test_outcomes_that_do_not_fit_the_table_are_refused(text: str, message: str) -> None:
    with pytest.raises(DiscoveryError) as info:
        discover(synthetic(), text, INPUTS)
    assert str(info.value).startswith(message), str(info.value)
    assert info.value.option == "outcome"


@pytest.mark.parametrize(
    ("inputs", "options", "option", "message"),
    [
        ([], {}, "inputs", "no inputs given; name the swept parameters to look at"),
        (["x1", "x11"], {}, "inputs", "no column 'x11' in the runs table (did you mean 'x1'?)"),
        (["x1", "status"], {}, "inputs", "input 'status' is not numeric"),
        (["const"], {}, "inputs", "every input is constant in these runs; nothing to split"),
        (INPUTS, {"box": 99}, "box", "box 99 is not on the peeling trajectory; pick one of 0.."),
        (INPUTS, {"min_coverage": 1.5}, "min-coverage", "must be between 0 and 1, got 1.5"),
        (INPUTS, {"peel_alpha": 0.0}, "peel_alpha", "must be between 0 and 1 (exclusive)"),
        (INPUTS, {"paste_alpha": 1.0}, "paste_alpha", "must be between 0 and 1 (exclusive)"),
        (INPUTS, {"mass_min": 1.0}, "mass_min", "must be between 0 and 1 (exclusive)"),
        (INPUTS, {"trees": 0}, "trees", "must be >= 1, got 0"),
    ],
)
def test_bad_inputs_and_options_are_refused(inputs, options, option, message) -> None:
    table = synthetic().assign(const=1.0)
    with pytest.raises(DiscoveryError) as info:
        discover(table, "hit", inputs, **options)
    assert str(info.value).startswith(message), str(info.value)
    assert info.value.option == option


def test_a_table_of_failed_runs_only_is_refused() -> None:
    table = synthetic().assign(error="ValueError: x")
    with pytest.raises(DiscoveryError, match="holds no successful run; nothing to discover"):
        discover(table, "hit", INPUTS)


# --------------------------------------------------------------------------- figures


def test_plots_draw_on_a_given_axes_or_a_new_figure(found) -> None:
    fig = Figure()
    axes = fig.subplots(1, 4)
    assert plot_tradeoff(found.prim_trajectory, ax=axes[0]) is axes[0]
    assert plot_box_limits(found.prim_box, ax=axes[1]) is axes[1]
    assert plot_tree(found.tree, found.inputs, ax=axes[2]) is axes[2]
    assert plot_feature_scores(found.scores, ax=axes[3]) is axes[3]
    # Only the restricted inputs are drawn, with their quasi-p-values in the labels.
    labels = [t.get_text() for t in axes[1].get_yticklabels()]
    assert [label.split(" ")[0] for label in labels] == ["x1", "x3"]
    assert all("(qp " in label for label in labels)
    assert isinstance(plot_tradeoff(found.prim_trajectory), Axes)
    assert isinstance(plot_box_limits(found.prim_box), Axes)
    assert isinstance(plot_tree(found.tree, found.inputs), Axes)
    assert isinstance(plot_feature_scores(found.scores), Axes)
    with pytest.raises(ValueError, match="prim_trajectory table is missing column"):
        plot_tradeoff(pd.DataFrame({"coverage": [1.0]}))


# --------------------------------------------------------------------------- sweep folders


def fake_sweep(folder: Path, table: pd.DataFrame, *, steps: int = 10, last_step: int = 10) -> Path:
    """A sweep output folder in the documented layout (docs/sweeps-contract.md)."""
    folder.mkdir(parents=True)
    runs = table.drop(columns=["status"]).copy()
    n = len(runs)
    runs.insert(0, "run_key", [f"k{i:05d}" for i in range(n)])
    runs.insert(1, "run", np.arange(n))
    runs.insert(2, "point", np.arange(n))
    runs.insert(3, "replication", 0)
    runs.insert(4, "scenario", "synthetic")
    runs.insert(5, "seed", np.arange(n, dtype="uint64"))
    (folder / "runs").mkdir()
    runs.to_parquet(folder / "runs" / "part-000000000-abc.parquet", index=False)
    paths = pd.DataFrame(
        {
            "run_key": np.repeat(runs["run_key"].to_numpy(), 2),
            "step": np.tile([0, last_step], n),
            # open at step 0, the table's status at the last step
            "status_detainees": np.column_stack([np.repeat("open", n), table["status"]]).ravel(),
        }
    )
    (folder / "trajectories").mkdir()
    paths.to_parquet(folder / "trajectories" / "part-000000000-abc.parquet", index=False)
    manifest = {
        "design": {"type": "lhs", "parameters": INPUTS},
        "steps": {"synthetic": steps},
        "outcomes": ["hit", "score"],
    }
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


def test_discovery_table_adds_the_end_state_from_trajectories(tmp_path: Path) -> None:
    table = synthetic()
    folder = fake_sweep(tmp_path / "sweep", table)
    joined = discovery_table(folder)
    assert joined["status_detainees"].tolist() == table["status"].tolist()
    result = discover_sweep(folder, "status_detainees == implemented")
    pd.testing.assert_frame_equal(result.prim_box, discover(table, "hit", INPUTS).prim_box)


def test_trajectories_that_stop_before_the_end_add_nothing(tmp_path: Path) -> None:
    folder = fake_sweep(tmp_path / "sweep", synthetic(), steps=10, last_step=8)
    assert "status_detainees" not in discovery_table(folder)
    with pytest.raises(DiscoveryError, match="is an end state kept only in trajectories; add"):
        discover_sweep(folder, "status_detainees == implemented")


# --------------------------------------------------------------------------- the command


@pytest.fixture(scope="module")
def sweep_dir(tmp_path_factory) -> Path:
    return fake_sweep(tmp_path_factory.mktemp("discover") / "sweep", synthetic())


def test_cli_writes_tables_report_and_figures(sweep_dir: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "found"
    code, stdout, err = run_cli(
        capsys, "discover", sweep_dir, "--outcome", "status_detainees == implemented", "--out", out
    )
    assert code == 0, err
    assert "scenario discovery: status_detainees == implemented" in stdout
    assert "1000 runs, 228 of interest (22.8%)" in stdout
    assert f"wrote {len(TABLES) + 5} files to {out}" in stdout
    names = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert names == sorted(
        [f"{t}.csv" for t in TABLES]
        + ["report.txt"]
        + [f"figures/{f}.png" for f in ("prim_tradeoff", "prim_box", "cart_tree", "feature_scores")]
    )
    box = pd.read_csv(out / "prim_box.csv").set_index("input")
    assert set(box.index[box["restricted"]]) == set(BOX)
    assert (out / "report.txt").read_text() == stdout.split("wrote ")[0]
    # The same command again gives byte-identical files (no time stamps, seeded CART).
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    run_cli(
        capsys, "discover", sweep_dir, "--outcome", "status_detainees == implemented", "--out", out
    )
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_cli_default_folder_parquet_box_and_no_figures(
    sweep_dir: Path, tmp_path: Path, capsys
) -> None:
    import shutil

    folder = tmp_path / "sweep"
    shutil.copytree(sweep_dir, folder)
    code, stdout, err = run_cli(
        capsys,
        "discover",
        folder,
        "--outcome",
        "score>0.5",
        "--format",
        "parquet",
        "--no-figures",
        "--box",
        "2",
        "--seed",
        "3",
    )
    assert code == 0, err
    out = folder / "discovery"
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [f"{t}.parquet" for t in TABLES] + ["report.txt"]
    )
    trajectory = pd.read_parquet(out / "prim_trajectory.parquet")
    assert trajectory.loc[trajectory["chosen"], "box"].tolist() == [2]
    assert "box 2 chosen" in stdout


def _error(capsys, *argv) -> str:
    code, out, err = run_cli(capsys, "discover", *argv)
    assert code == 2
    assert out == ""
    return one_error(err)


def test_cli_errors_are_one_line(sweep_dir: Path, tmp_path: Path, capsys) -> None:
    assert _error(capsys, sweep_dir, "--outcome", "x1 +") == (
        "command line: --outcome: 'x1 +' is not an outcome expression; write COLUMN (a 0/1 "
        "column), COLUMN OP NUMBER with OP one of < <= > >= == != (e.g. 'rapprochement_index "
        "> 0.5'), or COLUMN == WORD for a text column (e.g. 'status_detainees == implemented')"
    )
    assert _error(capsys, sweep_dir, "--outcome", "hti", "--no-figures").startswith(
        "command line: --outcome: no column 'hti' in the runs table (did you mean 'hit'?)"
    )
    assert _error(capsys, sweep_dir, "--outcome", "hit", "--box", "500").startswith(
        "command line: --box: box 500 is not on the peeling trajectory; pick one of 0.."
    )
    assert _error(capsys, sweep_dir, "--outcome", "hit", "--scenario", "synthetc") == (
        "command line: --scenario: no scenario 'synthetc' in this sweep (did you mean "
        "'synthetic'?); it has: synthetic"
    )
    missing = tmp_path / "nowhere"
    assert _error(capsys, missing, "--outcome", "hit") == (
        f"{missing}: no such folder; give the output folder of a sweep"
    )
    assert _error(capsys, tmp_path, "--outcome", "hit", "--out", tmp_path / "o") == (
        f"{tmp_path}: not a sweep output folder (no manifest.json inside); give the folder a "
        "sweep wrote"
    )
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    assert _error(capsys, sweep_dir, "--outcome", "hit", "--out", a_file) == (
        f"command line: --out: {a_file} is a file; expected a folder (new or existing)"
    )


def test_cli_refuses_a_sweep_that_varied_nothing(tmp_path: Path, capsys) -> None:
    folder = fake_sweep(tmp_path / "sweep", synthetic())
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["design"]["parameters"] = []
    (folder / "manifest.json").write_text(json.dumps(manifest))
    assert _error(capsys, folder, "--outcome", "hit") == (
        f"{folder}: manifest.json: the sweep varied no parameter; nothing to discover"
    )


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (
            ["--min-coverage", "1.5"],
            "command line: --min-coverage: must be between 0 and 1, got 1.5",
        ),
        (
            ["--min-coverage", "x"],
            "command line: --min-coverage: expected a number between 0 and 1",
        ),
        (["--box", "-1"], "command line: --box: must be >= 0, got -1"),
        (["--format", "xlsx"], "command line: --format: invalid choice: 'xlsx'"),
    ],
)
def test_cli_bad_options_name_the_option(sweep_dir: Path, capsys, option, message) -> None:
    code, out, err = run_cli(capsys, "discover", sweep_dir, "--outcome", "hit", *option)
    assert code == 2 and out == ""
    assert err.startswith(f"error: {message}") and err.count("\n") == 1


def test_cli_without_the_libraries_says_how_to_install_them(sweep_dir, capsys, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "ema_workbench", None)  # import raises ImportError
    assert _error(capsys, sweep_dir, "--outcome", "hit") == (
        "command line: discover: lsr-sim discover needs EMA Workbench and scikit-learn "
        "(ema_workbench is missing): pip install 'lsr_sim[discover]'"
    )


def test_a_real_sweep_end_to_end(tmp_path: Path, capsys) -> None:
    """A small sweep of the baseline, its end state kept, then discovery from the command line."""
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text(
        yaml.safe_dump(
            {
                "name": "small_discovery",
                "scenario": str(BASELINE),
                "steps": 30,
                "parameters": {
                    "dynamics.talk_weight": {"range": [0.0, 0.5]},
                    "actors.Riyadh.capability": {"range": [0.3, 1.0]},
                },
                "design": {"type": "lhs", "samples": 80},
                "seed": 5,
                "outcomes": ["rapprochement_index", "mean_trust"],
                "trajectories": {"every": 30},
            }
        )
    )
    out = tmp_path / "results"
    assert run_sweep(load_sweep(sweep), out, workers=1, progress=False).complete
    table = discovery_table(out)
    assert len(table) == 80 and "status_border_control" in table and "progress_detainees" in table
    threshold = float(table["mean_trust"].median())
    code, stdout, err = run_cli(
        capsys, "discover", out, "--outcome", f"mean_trust > {threshold}", "--no-figures"
    )
    assert code == 0, err
    assert "80 runs, 40 of interest (50.0%)" in stdout
    scores = pd.read_csv(out / "discovery" / "scores.csv")
    assert set(scores["input"]) == {"dynamics.talk_weight", "actors.Riyadh.capability"}
