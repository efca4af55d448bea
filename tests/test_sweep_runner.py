"""The sweep runner: identical results for any worker count and executor, resume, faults."""

from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import ClassVar

import pandas as pd
import pytest
import yaml
from cli_helpers import one_error, run_cli
from disk_helpers import fill, small_disk
from hypothesis import given
from hypothesis import strategies as st

from lsr_sim.cli import main
from lsr_sim.strategies import Linear, register_strategy, unregister_strategy
from lsr_sim.sweep import load_sweep, run_sweep
from lsr_sim.sweep.design import build_design
from lsr_sim.sweep.runner import plan_runs, saved_keys

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"


def write_sweep(folder: Path, name: str = "sweep.yaml", **overrides) -> Path:
    content = {
        "name": "test_sweep",
        "scenario": str(BASELINE),
        "steps": 12,
        "parameters": {
            "actors.Riyadh.capability": {"values": [0.4, 0.8]},
            "dynamics.vouching_rate": {"values": [0.1, 0.3]},
        },
        "replications": 3,
        "seed": 99,
        "outcomes": ["rapprochement_index", "trust_Beirut_Damascus", "agreements"],
    }
    content.update(overrides)
    path = folder / name
    path.write_text(yaml.safe_dump(content, sort_keys=False))
    return path


def read_runs(out: Path) -> pd.DataFrame:
    return pd.read_parquet(out / "runs").sort_values("run").reset_index(drop=True)


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> tuple[Path, pd.DataFrame]:
    """The small sweep run in-process with one worker: the reference result."""
    folder = tmp_path_factory.mktemp("reference")
    sweep = write_sweep(folder)
    out = folder / "out"
    report = run_sweep(load_sweep(sweep), out, workers=1, progress=False)
    assert report.complete and report.failed == 0
    return sweep, read_runs(out)


def test_runs_table_has_one_row_per_run(reference) -> None:
    _sweep, runs = reference
    assert len(runs) == 4 * 3
    assert runs["run"].tolist() == list(range(12))
    assert runs["run_key"].is_unique
    assert runs["seed"].is_unique
    assert set(runs.columns) >= {
        "run_key",
        "run",
        "point",
        "replication",
        "scenario",
        "seed",
        "actors.Riyadh.capability",
        "dynamics.vouching_rate",
        "rapprochement_index",
        "trust_Beirut_Damascus",
        "agreements",
        "error",
    }
    assert (runs["error"] == "").all()
    # Replications of a point share its parameters; points differ.
    by_point = runs.groupby("point")["actors.Riyadh.capability"].nunique()
    assert (by_point == 1).all()


def test_identical_for_one_and_two_workers(reference, tmp_path: Path) -> None:
    sweep, expected = reference
    run_sweep(load_sweep(sweep), tmp_path / "two", workers=2, runs_per_task=2, progress=False)
    pd.testing.assert_frame_equal(read_runs(tmp_path / "two"), expected)


def test_identical_on_a_dask_cluster(reference, tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    sweep, expected = reference
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            host="127.0.0.1",
            dashboard_address=None,
            processes=True,
        ) as cluster,
    ):
        report = run_sweep(
            load_sweep(sweep),
            tmp_path / "dask",
            scheduler=cluster.scheduler_address,
            runs_per_task=3,
            progress=False,
        )
    assert report.complete
    pd.testing.assert_frame_equal(read_runs(tmp_path / "dask"), expected)


def test_a_run_reproduces_with_lsr_sim_run(reference, tmp_path: Path, capsys) -> None:
    _sweep, runs = reference
    row = runs.iloc[5]
    variant = tmp_path / "variant.yaml"
    variant.write_text(
        yaml.safe_dump(
            {
                "extends": str(BASELINE),
                "actors": {"Riyadh": {"capability": float(row["actors.Riyadh.capability"])}},
                "dynamics": {"vouching_rate": float(row["dynamics.vouching_rate"])},
            }
        )
    )
    code = main(
        [
            "run",
            str(variant),
            "--seed",
            str(row["seed"]),
            "--steps",
            "12",
            "--no-figures",
            "--out",
            str(tmp_path / "one"),
        ]
    )
    assert code == 0
    summary = pd.read_csv(tmp_path / "one" / "tables" / "summary.csv")
    assert summary["rapprochement_index"].iloc[0] == pytest.approx(row["rapprochement_index"])


def test_rerun_computes_nothing_and_fresh_starts_over(reference, tmp_path: Path) -> None:
    sweep, expected = reference
    out = tmp_path / "out"
    loaded = load_sweep(sweep)
    run_sweep(loaded, out, workers=1, progress=False)
    again = run_sweep(loaded, out, workers=1, progress=False)
    assert again.done_now == 0 and again.done_before == 12
    assert len(read_runs(out)) == 12
    fresh = run_sweep(loaded, out, workers=1, progress=False, fresh=True)
    assert fresh.done_now == 12
    pd.testing.assert_frame_equal(read_runs(out), expected)


def test_partial_results_are_completed(reference, tmp_path: Path) -> None:
    sweep, expected = reference
    out = tmp_path / "out"
    loaded = load_sweep(sweep)
    run_sweep(loaded, out, workers=1, progress=False, runs_per_task=3)
    parts = sorted((out / "runs").glob("part-*.parquet"))
    assert len(parts) == 4
    for part in parts[1:3]:
        part.unlink()
    (out / "runs" / ".part-000000099-abc.parquet.123.tmp").write_bytes(b"half a file")
    report = run_sweep(loaded, out, workers=1, progress=False)
    assert report.done_before == 6 and report.done_now == 6
    pd.testing.assert_frame_equal(read_runs(out), expected)
    assert not list((out / "runs").glob(".*.tmp"))


def test_changed_sweep_file_is_refused_unless_fresh(tmp_path: Path, capsys) -> None:
    sweep = write_sweep(tmp_path)
    out = tmp_path / "out"
    assert main(["sweep", str(sweep), "--out", str(out), "--workers", "1", "--quiet"]) == 0
    write_sweep(tmp_path, replications=2)
    capsys.readouterr()
    assert main(["sweep", str(sweep), "--out", str(out), "--workers", "1", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "different sweep" in err and "--fresh" in err
    assert main(["sweep", str(sweep), "--out", str(out), "--quiet", "--fresh"]) == 0
    assert len(read_runs(out)) == 8


def test_manifest_and_design_are_written(reference, tmp_path: Path) -> None:
    sweep, _ = reference
    out = tmp_path / "out"
    run_sweep(load_sweep(sweep), out, workers=1, progress=False, command=["lsr-sim", "sweep"])
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["total_runs"] == 12
    assert manifest["replications"] == 3
    assert manifest["design"]["type"] == "grid"
    assert manifest["design"]["parameters"] == [
        "actors.Riyadh.capability",
        "dynamics.vouching_rate",
    ]
    assert len(manifest["sweep"]["sha256"]) == 64
    assert "baseline" in manifest["scenarios"]
    assert manifest["command"] == ["lsr-sim", "sweep"]
    assert {"mesa", "numpy", "pandas"} <= set(manifest["environment"])
    design = pd.read_parquet(out / "design.parquet")
    assert len(design) == 4 and {"point", "scenario"} <= set(design.columns)


def test_trajectories_are_kept_every_k_steps(tmp_path: Path) -> None:
    sweep = write_sweep(tmp_path, trajectories={"every": 4}, replications=1)
    out = tmp_path / "out"
    run_sweep(load_sweep(sweep), out, workers=1, progress=False)
    paths = pd.read_parquet(out / "trajectories")
    assert sorted(paths["step"].unique()) == [0, 4, 8, 12]
    assert len(paths) == 4 * 4
    assert {"trust_Beirut_Damascus", "status_detainees", "rapprochement_index"} <= set(paths)
    assert set(paths["run_key"]) == set(read_runs(out)["run_key"])


def test_plain_progress_lines_when_not_a_terminal(tmp_path: Path) -> None:
    stream = io.StringIO()
    run_sweep(load_sweep(write_sweep(tmp_path)), tmp_path / "out", workers=1, stream=stream)
    lines = stream.getvalue().strip().splitlines()
    assert lines and lines[-1].startswith("sweep: 12/12 runs (100%)")
    assert "runs/s" in lines[-1]


def test_failing_runs_are_recorded_and_the_sweep_goes_on(tmp_path: Path, capsys) -> None:
    # A vouching_rate above 1 is refused by the scenario schema at run time only if the
    # sweep checks did not catch it; instead, make some runs fail inside the model.
    from lsr_sim.model import NegotiationModel

    sweep = write_sweep(tmp_path)
    loaded = load_sweep(sweep)
    original = NegotiationModel.negotiate

    def flaky(self):
        if self.compiled.capability[self.compiled.actor_index("Riyadh")] > 0.5:
            raise RuntimeError("simulated failure")
        return original(self)

    NegotiationModel.negotiate = flaky
    try:
        report = run_sweep(loaded, tmp_path / "out", workers=1, progress=False, engine="mesa")
    finally:
        NegotiationModel.negotiate = original
    runs = read_runs(tmp_path / "out")
    failed = runs[runs["error"] != ""]
    assert report.failed == len(failed) == 6
    assert failed["error"].str.startswith("RuntimeError: simulated failure").all()
    assert failed["rapprochement_index"].isna().all()
    assert (runs.loc[runs["error"] == "", "rapprochement_index"].notna()).all()
    assert failed["seed"].notna().all()


# -- killed and interrupted sweeps ----------------------------------------------------------


def _slow_sweep(folder: Path) -> Path:
    return write_sweep(
        folder,
        steps=40,
        parameters={"actors.Riyadh.capability": {"range": [0.2, 0.9, 10]}},
        replications=4,
    )


def _start(sweep: Path, out: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "lsr_sim",
            "sweep",
            str(sweep),
            "--out",
            str(out),
            "--runs-per-task",
            "2",
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def _wait_for_parts(out: Path, count: int, proc: subprocess.Popen, limit: float = 120) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if len(list((out / "runs").glob("part-*.parquet"))) >= count:
            return
        if proc.poll() is not None:
            pytest.fail(f"sweep ended early: {proc.communicate()}")
        time.sleep(0.05)
    proc.kill()
    pytest.fail("no parts appeared in time")


@pytest.mark.slow
def test_resume_after_sigkill_gives_every_run_once(tmp_path: Path) -> None:
    sweep = _slow_sweep(tmp_path)
    out = tmp_path / "out"
    proc = _start(sweep, out, "--workers", "2")
    _wait_for_parts(out, 3, proc)
    os.killpg(proc.pid, signal.SIGKILL)  # the parent and its workers, without warning
    proc.wait()
    saved = len(saved_keys(out))
    assert 0 < saved < 40
    proc = _start(sweep, out, "--workers", "2")
    _stdout, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 0, stderr
    runs = read_runs(out)
    plan = plan_runs(load_sweep(sweep), build_design(load_sweep(sweep)))
    assert len(runs) == 40
    assert runs["run_key"].is_unique
    assert set(runs["run_key"]) == {spec.key for spec in plan}


def _contract_key(sha: str, params: dict[str, float], seed: int, steps: int) -> str:
    """docs/sweeps-contract.md: SHA-256 over canonical JSON of scenario sha256, parameters,
    seed, steps and version (a folder of an earlier session resumes only if this holds)."""
    import hashlib

    from lsr_sim import __version__

    identity = {"params": params, "scenario": sha, "seed": seed, "steps": steps}
    blob = json.dumps({**identity, "version": __version__}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def test_each_planned_run_key_is_the_hash_the_contract_defines(tmp_path: Path) -> None:
    from lsr_sim.experiment import derive_seeds

    loaded = load_sweep(write_sweep(tmp_path, steps=7))
    plan = plan_runs(loaded, build_design(loaded))
    sha = loaded.scenarios[plan[0].scenario].sha256
    assert [spec.seed for spec in plan] == derive_seeds(99, 12)
    for spec in plan:
        assert spec.key == _contract_key(sha, dict(sorted(spec.params)), spec.seed, 7)
    assert len({spec.key for spec in plan}) == 12


@given(
    params=st.dictionaries(
        st.sampled_from(["seed", "steps", "a.seed", "x"]),
        st.sampled_from([0.0, -1.0, 0.5, 1e300]),
        max_size=3,
    ),
    seed=st.integers(0, 2**64 - 1),
    steps=st.integers(1, 10_000),
)
def test_run_key_is_the_contract_s_hash_whatever_the_parameters_are_called(
    params: dict[str, float], seed: int, steps: int
) -> None:
    from lsr_sim.sweep.runner import run_key

    expected = _contract_key("abc", dict(sorted(params.items())), seed, steps)
    assert run_key("abc", params, seed, steps) == expected


@pytest.mark.slow
@pytest.mark.parametrize("workers", ["1", "2"])  # 1: the runs run in the sweep's own process
def test_ctrl_c_stops_cleanly_and_says_how_to_resume(tmp_path: Path, workers: str) -> None:
    sweep = _slow_sweep(tmp_path)
    out = tmp_path / "out"
    proc = _start(sweep, out, "--workers", workers)
    _wait_for_parts(out, 2, proc)
    os.killpg(proc.pid, signal.SIGINT)  # as a terminal's Ctrl-C does: the whole group
    _stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    last = stderr.strip().splitlines()[-1]  # after the progress lines
    assert last.startswith("interrupted: "), stderr
    assert "run the same command again to resume" in last
    saved = int(last.split("interrupted: ")[1].split(" of ")[0])
    assert 0 < saved < 40 and saved == len(saved_keys(out))
    proc = _start(sweep, out, "--workers", "1")
    proc.communicate(timeout=300)
    assert proc.returncode == 0
    assert len(read_runs(out)) == 40 and read_runs(out)["run_key"].is_unique


@pytest.mark.slow
def test_a_dask_worker_killed_mid_sweep_loses_nothing(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    sweep = _slow_sweep(tmp_path)
    out = tmp_path / "out"
    loaded = load_sweep(sweep)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        pids = list(client.run(os.getpid).values())
        killed = threading.Event()

        def kill_one_worker() -> None:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                if len(list((out / "runs").glob("part-*.parquet"))) >= 2:
                    os.kill(pids[0], signal.SIGKILL)
                    killed.set()
                    return
                time.sleep(0.05)

        killer = threading.Thread(target=kill_one_worker, daemon=True)
        killer.start()
        report = run_sweep(
            loaded, out, scheduler=cluster.scheduler_address, runs_per_task=2, progress=False
        )
        killer.join()
    assert killed.is_set(), "the worker was not killed during the sweep"
    assert report.complete
    runs = read_runs(out)
    assert len(runs) == 40 and runs["run_key"].is_unique
    assert (runs["error"] == "").all()


def test_varying_run_steps_changes_the_length_of_runs(tmp_path: Path) -> None:
    content = {
        "parameters": {"run.steps": {"values": [60, 70]}},
        "replications": 1,
        "trajectories": {"every": 10},
    }
    sweep = write_sweep(tmp_path, **content)
    text = yaml.safe_load(sweep.read_text())
    del text["steps"]
    sweep.write_text(yaml.safe_dump(text))
    out = tmp_path / "out"
    run_sweep(load_sweep(sweep), out, workers=1, progress=False)
    paths = pd.read_parquet(out / "trajectories")
    last = paths.groupby("run")["step"].max().sort_index().tolist()
    assert last == [60, 70]


@pytest.mark.parametrize("engine", ["batch", "mesa"])
def test_both_engines_give_the_same_runs_and_trajectories(reference, tmp_path, engine) -> None:
    sweep, expected = reference
    out = tmp_path / engine
    text = yaml.safe_load(sweep.read_text())
    text["trajectories"] = {"every": 3}
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text(yaml.safe_dump(text))
    run_sweep(load_sweep(sweep), out, workers=1, progress=False, engine=engine)
    pd.testing.assert_frame_equal(read_runs(out), expected)
    paths = pd.read_parquet(out / "trajectories").sort_values(["run", "step"])
    other = tmp_path / "other"
    run_sweep(
        load_sweep(sweep),
        other,
        workers=1,
        progress=False,
        engine="mesa" if engine == "batch" else "batch",
    )
    theirs = pd.read_parquet(other / "trajectories").sort_values(["run", "step"])
    pd.testing.assert_frame_equal(paths.reset_index(drop=True), theirs.reset_index(drop=True))


def test_batch_failure_falls_back_to_runs_one_by_one(reference, tmp_path, monkeypatch) -> None:
    import lsr_sim.batch

    sweep, expected = reference

    def broken(*args, **kwargs):
        raise RuntimeError("batch engine failure")

    monkeypatch.setattr(lsr_sim.batch, "run_batch", broken)
    report = run_sweep(load_sweep(sweep), tmp_path / "out", workers=1, progress=False)
    pd.testing.assert_frame_equal(read_runs(tmp_path / "out"), expected)
    # Not silently: the summary and the manifest say which runs were rerun, and why.
    notes = [note for note in report.notes if "raised RuntimeError: batch engine failure" in note]
    assert len(notes) == 1 and "rerun one at a time in the Mesa model" in notes[0]
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert notes[0] in manifest["notes"]


def test_runs_that_fail_before_they_start_sit_among_the_batch_s_in_run_order(
    reference, tmp_path, monkeypatch
) -> None:
    import lsr_sim.sweep.runner as runner

    sweep, expected = reference
    original = runner.apply_parameters

    def refuse_point_2(data, values):
        if values["actors.Riyadh.capability"] == 0.8 and values["dynamics.vouching_rate"] == 0.1:
            raise ValueError("refused point")
        return original(data, values)

    monkeypatch.setattr(runner, "apply_parameters", refuse_point_2)
    report = run_sweep(load_sweep(sweep), tmp_path / "out", workers=1, progress=False)
    runs = read_runs(tmp_path / "out")
    failed = runs["error"] != ""
    assert report.failed == 3 and list(runs.loc[failed, "point"]) == [2, 2, 2]
    assert runs.loc[failed, "error"].str.startswith("ValueError: refused point").all()
    assert runs.loc[failed, "rapprochement_index"].isna().all()
    # Identity columns of every run, and every number of the others, are the reference's.
    pd.testing.assert_frame_equal(
        runs.drop(columns=["rapprochement_index", "trust_Beirut_Damascus", "agreements", "error"]),
        expected.drop(
            columns=["rapprochement_index", "trust_Beirut_Damascus", "agreements", "error"]
        ),
    )
    pd.testing.assert_frame_equal(
        runs[~failed].reset_index(drop=True), expected[~failed].reset_index(drop=True)
    )
    assert runs["seed"].dtype == "uint64"
    # Within the task's part too (not only as read_runs sorts them), the rows are in run order.
    (part,) = (tmp_path / "out" / "runs").glob("part-*.parquet")
    assert pd.read_parquet(part)["run"].tolist() == list(range(12))


def test_a_user_strategy_falls_back_to_mesa_with_a_note(tmp_path) -> None:
    from dataclasses import dataclass
    from typing import ClassVar

    from lsr_sim.strategies import _REGISTRY as registry
    from lsr_sim.strategies import Linear, register_strategy

    @dataclass(frozen=True)
    class Patient(Linear):
        name: ClassVar[str] = "patient_test"

    register_strategy(Patient)
    try:
        scenario = tmp_path / "custom.yaml"
        scenario.write_text(
            yaml.safe_dump(
                {
                    "extends": str(BASELINE),
                    "actors": {"Beirut": {"strategy": {"name": "patient_test"}}},
                }
            )
        )
        sweep = write_sweep(tmp_path, scenario=str(scenario), replications=1)
        report = run_sweep(load_sweep(sweep), tmp_path / "out", workers=1, progress=False)
    finally:
        registry.pop("patient_test", None)
    assert report.complete and report.failed == 0
    assert any("Mesa model" in note and "Patient" in note for note in report.notes)


@pytest.fixture
def one_run_strategy():
    """A registered strategy class that does not declare run_axis (decides one run at a time)."""

    @register_strategy
    @dataclasses.dataclass(frozen=True)
    class Stubborn(Linear):
        name: ClassVar[str] = "test_runner_stubborn"

        def decide(self, obs):
            return 0.5 * super().decide(obs) + 0.5

    try:
        yield Stubborn
    finally:
        unregister_strategy(Stubborn.name)


def test_only_the_scenario_the_batch_engine_cannot_run_falls_back(tmp_path, one_run_strategy):
    """A sweep over the baseline and a variant whose Beirut uses a strategy that does not
    declare run_axis: the variant's runs use the Mesa model, the baseline's the batch engine,
    and both give the Mesa model's numbers."""
    variant = tmp_path / "stubborn.yaml"
    variant.write_text(
        yaml.safe_dump(
            {
                "extends": str(BASELINE),
                "name": "stubborn",
                "actors": {"Beirut": {"strategy": {"name": one_run_strategy.name, "params": {}}}},
            }
        )
    )
    spec = {
        "name": "mixed",
        "scenarios": [str(BASELINE), str(variant)],
        "steps": 12,
        "parameters": {"dynamics.spoiler_drag": {"values": [0.01, 0.02]}},
        "replications": 2,
        "seed": 3,
    }
    sweep = tmp_path / "mixed.yaml"
    sweep.write_text(yaml.safe_dump(spec))
    report = run_sweep(load_sweep(sweep), tmp_path / "batch", workers=1, progress=False)
    notes = [note for note in report.notes if "Mesa model" in note]
    assert len(notes) == 1 and "runs of 'stubborn' use the Mesa model" in notes[0]
    assert "Stubborn" in notes[0] and "run_axis" in notes[0]
    run_sweep(load_sweep(sweep), tmp_path / "mesa", workers=1, progress=False, engine="mesa")
    batch, mesa = read_runs(tmp_path / "batch"), read_runs(tmp_path / "mesa")
    assert len(batch) == 8 and set(batch["scenario"]) == {"baseline", "stubborn"}
    pd.testing.assert_frame_equal(
        batch.sort_values("run").reset_index(drop=True),
        mesa.sort_values("run").reset_index(drop=True),
    )


def test_a_batch_worker_does_not_import_mesa() -> None:
    # A spawned worker imports the runner and the batch engine; Mesa would add about a second
    # to every worker's start (and to every Dask worker's first task).
    code = (
        "import sys\n"
        "import lsr_sim.sweep.runner\n"
        "from lsr_sim.batch import run_batch, supports\n"
        "from lsr_sim.scenario import load_scenario\n"
        f"scenario = load_scenario({str(BASELINE)!r})\n"
        "assert supports(scenario)[0]\n"
        "run_batch([scenario] * 2, [1, 2], 5)\n"
        "assert 'mesa' not in sys.modules, 'the batch path imported Mesa'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


@pytest.fixture
def fragile_strategy():
    """A run-axis strategy that breaks (a NaN aspiration) when its `level` is above 0.5."""

    @register_strategy
    @dataclasses.dataclass(frozen=True)
    class Fragile(Linear):
        level: float = 0.4
        name: ClassVar[str] = "test_runner_fragile"
        run_axis: ClassVar[bool] = True

        def decide(self, obs):
            import numpy as np

            base = super().decide(obs)
            return np.where(np.asarray(self.level) > 0.5, np.nan, base)

    try:
        yield Fragile
    finally:
        unregister_strategy(Fragile.name)


def test_a_batch_that_raises_is_rerun_run_by_run_and_says_so(tmp_path, fragile_strategy):
    variant = tmp_path / "fragile.yaml"
    variant.write_text(
        yaml.safe_dump(
            {
                "extends": str(BASELINE),
                "name": "fragile",
                "actors": {"Beirut": {"strategy": {"name": fragile_strategy.name, "params": {}}}},
            }
        )
    )
    spec = {
        "name": "fragile",
        "scenarios": [str(variant)],
        "steps": 70,
        "parameters": {"actors.Beirut.strategy.params.level": {"values": [0.3, 0.7]}},
        "replications": 2,
        "seed": 5,
    }
    sweep = tmp_path / "fragile_sweep.yaml"
    sweep.write_text(yaml.safe_dump(spec))
    out = tmp_path / "out"
    report = run_sweep(load_sweep(sweep), out, workers=1, progress=False)
    runs = read_runs(out)
    broken = runs["actors.Beirut.strategy.params.level"] > 0.5
    assert (runs.loc[broken, "error"].str.contains("aspiration nan")).all()
    assert (runs.loc[~broken, "error"] == "").all() and runs.loc[
        ~broken, "mean_trust"
    ].notna().all()
    assert report.failed == int(broken.sum()) == 2
    notes = [note for note in report.notes if note.startswith("a batch")]
    assert len(notes) == 1
    assert "'fragile' raised ValueError" in notes[0] and "rerun one at a time" in notes[0]
    assert "(runs 0 to 3)" in notes[0]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["notes"] == report.notes
    # The runs that did not fail have the numbers they have alone.
    alone = run_sweep(load_sweep(sweep), tmp_path / "again", workers=1, progress=False)
    assert alone.failed == 2
    pd.testing.assert_frame_equal(read_runs(tmp_path / "again"), runs)


# -- Ctrl-C with one worker (in this process) -----------------------------------------------


@pytest.mark.slow
def test_ctrl_c_in_run_sweep_with_one_worker_returns_an_interrupted_report(tmp_path) -> None:
    """As notebook 04 calls it: `run_sweep(..., workers=1)` in the caller's own process."""
    sweep = _slow_sweep(tmp_path)
    out = tmp_path / "out"
    script = (
        "import json, sys\n"
        "from lsr_sim.sweep import load_sweep, run_sweep\n"
        f"report = run_sweep(load_sweep({str(sweep)!r}), {str(out)!r}, workers=1,\n"
        "                   runs_per_task=2, progress=False)\n"
        "print(json.dumps({'interrupted': report.interrupted, 'saved': report.saved,\n"
        "                  'total': report.total}))\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    _wait_for_parts(out, 2, proc)
    os.killpg(proc.pid, signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr
    assert "Traceback" not in stderr and "AttributeError" not in stderr
    report = json.loads(stdout)
    assert report["interrupted"] is True and report["total"] == 40
    assert 0 < report["saved"] < 40 and report["saved"] == len(saved_keys(out))


# -- one writer per folder ------------------------------------------------------------------


def _hold_lock(folder: Path) -> subprocess.Popen:
    """Another process that holds the writer's lock of `folder` until it is killed."""
    script = (
        "import time\n"
        "from pathlib import Path\n"
        "from lsr_sim.atomic import folder_writer\n"
        f"with folder_writer(Path({str(folder)!r}), ['lsr-sim', 'sweep', 'other.yaml']):\n"
        "    print('held', flush=True)\n"
        "    time.sleep(300)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def test_a_folder_another_process_writes_is_refused_until_that_process_dies(
    reference, tmp_path: Path, capsys
) -> None:
    sweep, expected = reference
    out = tmp_path / "out"
    holder = _hold_lock(out)
    # As if the holder were writing its first manifest (no manifest.json yet): still its folder.
    (out / ".manifest.json.4242.0badc0de.tmp").write_text("{")
    argv = ["sweep", str(sweep), "--out", str(out), "--workers", "1", "--quiet"]
    try:
        code, _, err = run_cli(capsys, *argv)
        assert code == 2
        message = one_error(err)
        assert message.startswith(f"{out}: another lsr-sim process is writing a sweep into")
        assert f"(process {holder.pid} on " in message and "lsr-sim sweep other.yaml" in message
        assert "choose another --out" in message
        assert not (out / "manifest.json").exists() and not (out / "runs").exists()
    finally:
        holder.kill()  # SIGKILL: the lock goes with the process, the owner file stays
        holder.wait()
    assert (out / ".lsr-sim.owner").exists()
    code, _, _ = run_cli(capsys, *argv)
    assert code == 0
    pd.testing.assert_frame_equal(read_runs(out), expected)


@pytest.mark.slow
def test_two_sweeps_started_into_one_folder_leave_one_row_per_run(tmp_path: Path) -> None:
    sweep = _slow_sweep(tmp_path)
    out = tmp_path / "out"
    first = _start(sweep, out, "--workers", "1", "--quiet")
    second = _start(sweep, out, "--workers", "1", "--quiet", "--runs-per-task", "3")
    results = {proc.pid: proc.communicate(timeout=300) for proc in (first, second)}
    codes = sorted(proc.returncode for proc in (first, second))
    assert codes == [0, 2], results
    refused = next(results[proc.pid][1] for proc in (first, second) if proc.returncode)
    assert "Traceback" not in refused
    [line] = refused.strip().splitlines()
    assert line.startswith(f"error: {out}: another lsr-sim process is writing a sweep into")
    runs = pd.read_parquet(out / "runs")  # the raw parts, as pandas reads the folder
    assert len(runs) == 40 and runs["run_key"].is_unique


def test_the_reader_keeps_one_row_per_run_key_whatever_is_on_disk(reference, tmp_path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from lsr_sim.sweep.analysis import read_runs as analysis_runs

    sweep, expected = reference
    out = tmp_path / "out"
    loaded = load_sweep(sweep)
    run_sweep(loaded, out, workers=1, progress=False, runs_per_task=3)
    parts = sorted((out / "runs").glob("part-*.parquet"))
    # The same part twice, runs 0-5 regrouped into one part, and a failed copy of run 7.
    shutil.copy(parts[0], out / "runs" / "part-000000000-copy000000.parquet")
    regrouped = pa.concat_tables([pq.read_table(parts[0]), pq.read_table(parts[1])])
    pq.write_table(regrouped, out / "runs" / "part-000000000-regrouped0.parquet")
    failed = pq.read_table(parts[2]).to_pandas().query("run == 7")
    failed["error"] = "RuntimeError: a retried run"
    failed["rapprochement_index"] = float("nan")
    failed.to_parquet(out / "runs" / "part-000000007-failedcopy.parquet", index=False)
    assert len(pd.read_parquet(out / "runs")) == 12 + 3 + 6 + 1
    runs = analysis_runs(out)
    assert len(runs) == 12 and runs["run_key"].is_unique
    pd.testing.assert_frame_equal(runs[expected.columns], expected, check_dtype=False)
    again = run_sweep(loaded, out, workers=1, progress=False)
    assert again.done_before == 12 and again.done_now == 0


# -- parts that cannot be read --------------------------------------------------------------


def _damage(part: Path, how: str) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    data = part.read_bytes()
    if how == "truncated":
        part.write_bytes(data[: len(data) // 2])
    elif how == "empty":
        part.write_bytes(b"")
    elif how == "garbage":
        part.write_bytes(np.random.default_rng(0).bytes(len(data)))
    elif how == "flipped byte":  # one bit of an outcome's data page: only its checksum tells
        meta = pq.ParquetFile(part).metadata.row_group(0)
        names = [meta.column(i).path_in_schema for i in range(meta.num_columns)]
        column = meta.column(names.index("rapprochement_index"))
        start = column.dictionary_page_offset or column.data_page_offset
        offset = start + column.total_compressed_size - 3
        damaged = bytearray(data)
        damaged[offset] ^= 0x01
        part.write_bytes(bytes(damaged))
    else:  # a valid Parquet file, but not a part of this sweep
        pq.write_table(pa.table({"x": [1, 2, 3]}), part)


@pytest.mark.parametrize("how", ["truncated", "empty", "garbage", "flipped byte", "foreign"])
def test_an_unreadable_part_is_set_aside_and_its_runs_run_again(
    reference, tmp_path: Path, capsys, how: str
) -> None:
    sweep, expected = reference
    out = tmp_path / "out"
    run_sweep(load_sweep(sweep), out, workers=1, progress=False, runs_per_task=3)
    part = sorted((out / "runs").glob("part-*.parquet"))[1]
    _damage(part, how)
    damaged = part.read_bytes()
    code, stdout, _ = run_cli(capsys, "sweep", sweep, "--out", out, "--workers", "1", "--quiet")
    assert code == 0
    notes = [line for line in stdout.splitlines() if line.startswith("note: set aside")]
    assert len(notes) == 1, stdout
    assert notes[0].startswith(
        f"note: set aside 1 unreadable part(s) in {out / 'quarantine'} (runs/{part.name}: "
    )
    assert notes[0].endswith("); their runs are run again")
    assert "runs saved" in stdout and "(3 new in" in stdout
    pd.testing.assert_frame_equal(read_runs(out), expected)
    assert (out / "quarantine" / "runs" / part.name).read_bytes() == damaged  # kept, not deleted


def _trajectory_sweep(folder: Path) -> Path:
    return write_sweep(folder, trajectories={"every": 4}, replications=1)


def _unique_trajectories(out: Path) -> pd.DataFrame:
    paths = pd.read_parquet(out / "trajectories")
    assert not paths.duplicated(["run_key", "step"]).any(), "a run's trajectory is there twice"
    return paths.sort_values(["run", "step"]).reset_index(drop=True)


def test_a_damaged_trajectories_part_is_set_aside_with_its_runs(tmp_path: Path) -> None:
    sweep = _trajectory_sweep(tmp_path)
    whole, out = tmp_path / "whole", tmp_path / "out"
    run_sweep(load_sweep(sweep), whole, workers=1, progress=False)
    run_sweep(load_sweep(sweep), out, workers=1, progress=False, runs_per_task=1)
    part = sorted((out / "trajectories").glob("part-*.parquet"))[1]
    _damage(part, "truncated")
    report = run_sweep(load_sweep(sweep), out, workers=1, progress=False, runs_per_task=2)
    assert report.done_now == 1
    assert any(f"(trajectories/{part.name}: " in note for note in report.notes), report.notes
    assert (out / "quarantine" / "runs" / part.name).exists()
    assert (out / "quarantine" / "trajectories" / part.name).exists()
    pd.testing.assert_frame_equal(read_runs(out), read_runs(whole))
    pd.testing.assert_frame_equal(_unique_trajectories(out), _unique_trajectories(whole))


def test_trajectories_whose_runs_part_never_arrived_are_set_aside(tmp_path: Path) -> None:
    """A sweep killed between writing a task's trajectories and its runs (runs are saved
    last): resumed with another grouping, those runs must not get their trajectories twice."""
    sweep = _trajectory_sweep(tmp_path)
    whole, out = tmp_path / "whole", tmp_path / "out"
    run_sweep(load_sweep(sweep), whole, workers=1, progress=False)
    run_sweep(load_sweep(sweep), out, workers=1, progress=False, runs_per_task=1)
    parts = sorted((out / "runs").glob("part-*.parquet"))
    for part in parts[1:3]:
        part.unlink()
    report = run_sweep(load_sweep(sweep), out, workers=1, progress=False, runs_per_task=2)
    assert report.done_now == 2
    assert any("no runs part of the same name" in note for note in report.notes)
    for part in parts[1:3]:
        assert (out / "quarantine" / "trajectories" / part.name).exists()
    pd.testing.assert_frame_equal(read_runs(out), read_runs(whole))
    pd.testing.assert_frame_equal(_unique_trajectories(out), _unique_trajectories(whole))


# -- a full disk ----------------------------------------------------------------------------


def _check_folder_is_whole(out: Path) -> None:
    """Every part reads back against its checksums, each trajectories part has its runs part,
    and no temporary file is left."""
    import pyarrow.parquet as pq

    runs = sorted(p.name for p in (out / "runs").glob("part-*.parquet"))
    paths = sorted(p.name for p in (out / "trajectories").glob("part-*.parquet"))
    assert paths == runs
    for sub, names in (("runs", runs), ("trajectories", paths)):
        for name in names:
            pq.read_table(out / sub / name, page_checksum_verification=True)
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_full_disk_stops_the_sweep_in_one_line_and_it_resumes_once_there_is_room(
    tmp_path: Path, capsys, workers: str
) -> None:
    sweep = write_sweep(tmp_path, trajectories={"every": 1})  # about 40 kB per run
    whole = tmp_path / "whole"
    run_sweep(load_sweep(sweep), whole, workers=1, progress=False)
    argv = ["sweep", sweep, "--workers", workers, "--runs-per-task", "1", "--quiet"]
    with small_disk(tmp_path / "disk") as disk:
        out = disk / "out"
        ballast = fill(disk, leave=200 * 1024)  # the manifest, the design and a few runs
        code, _, err = run_cli(capsys, *argv, "--out", out)
        assert code == 2
        message = one_error(err)
        saved = len(saved_keys(out))
        assert 0 < saved < 12
        assert message.startswith(
            f"{out}: disk full: {saved} of 12 runs are saved (every saved part is whole, "
            f"no partial part was left); the other {12 - saved} need about "
        )
        assert message.endswith("run the same command again to resume")
        need = message.split("need about ")[1].split(" more")[0]
        assert need.endswith(" kB") and 30 * (12 - saved) < float(need.split()[0]) < 80 * (
            12 - saved
        )
        _check_folder_is_whole(out)
        ballast.unlink()  # room again
        code, stdout, _ = run_cli(capsys, *argv, "--out", out)
        assert code == 0 and f"({12 - saved} new in" in stdout
        assert "set aside" not in stdout and not (out / "quarantine").exists()
        _check_folder_is_whole(out)
        pd.testing.assert_frame_equal(read_runs(out), read_runs(whole))
        pd.testing.assert_frame_equal(_unique_trajectories(out), _unique_trajectories(whole))


# -- progress -------------------------------------------------------------------------------


class _Terminal(io.StringIO):
    """A stream that says it is a terminal, so the sweep draws its progress bar."""

    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("workers", [1, 2])
def test_the_progress_bar_moves_with_runs_done_not_tasks(tmp_path: Path, workers: int) -> None:
    import re

    sweep = write_sweep(tmp_path, steps=30, replications=2)  # 8 runs: 2 tasks of 4
    stream = _Terminal()
    report = run_sweep(
        load_sweep(sweep),
        tmp_path / "out",
        workers=workers,
        runs_per_task=4,
        engine="mesa",  # runs finish one by one
        stream=stream,
    )
    assert report.complete
    shown = {int(n) for n in re.findall(r"\b(\d+)/8\b", stream.getvalue())}
    assert shown >= {0, 8}
    assert shown - {0, 4, 8}, f"the bar moved only when tasks ended: {sorted(shown)}"


@pytest.mark.slow
def test_a_local_worker_killed_mid_sweep_loses_nothing(tmp_path: Path) -> None:
    """The pool is rebuilt and the lost tasks rerun; the progress queue of the dead pool (whose
    lock the killed worker may hold) is not reused."""
    psutil = pytest.importorskip("psutil")
    sweep = _slow_sweep(tmp_path)
    out = tmp_path / "out"
    killed = threading.Event()

    def kill_one_worker() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not killed.is_set():
            if len(list((out / "runs").glob("part-*.parquet"))) >= 2:
                for child in psutil.Process().children():
                    if "spawn_main" in " ".join(child.cmdline()):
                        child.kill()
                        killed.set()
                        return
            time.sleep(0.05)

    killer = threading.Thread(target=kill_one_worker, daemon=True)
    killer.start()
    stream = _Terminal()
    report = run_sweep(load_sweep(sweep), out, workers=2, runs_per_task=2, stream=stream)
    killer.join()
    assert killed.is_set(), "no worker was killed during the sweep"
    assert report.complete and any("pool was rebuilt" in note for note in report.notes)
    runs = read_runs(out)
    assert len(runs) == 40 and runs["run_key"].is_unique and (runs["error"] == "").all()
    assert "40/40" in stream.getvalue()


def test_a_pool_that_breaks_between_two_submits_loses_no_task(
    reference, tmp_path: Path, monkeypatch
) -> None:
    """A pool can break after one wait and before the next submit: the task whose submit is
    refused must be run by the rebuilt pool, not dropped."""
    import concurrent.futures as cf
    from concurrent.futures.process import BrokenProcessPool

    import lsr_sim.sweep.runner as runner

    sweep, expected = reference
    pools: list[cf.Executor] = []

    class BreaksOnItsSecondSubmit(cf.Executor):
        def __init__(self) -> None:
            self.breaks, self.submits = not pools, 0  # only the first pool breaks

        def submit(self, fn, /, *args, **kwargs):
            self.submits += 1
            if self.breaks and self.submits == 2:
                raise BrokenProcessPool("a worker died")
            future: cf.Future = cf.Future()
            future.set_result(fn(*args, **kwargs))
            return future

    def executor(workers: int, progress=None) -> cf.Executor:
        pools.append(BreaksOnItsSecondSubmit())
        return pools[-1]

    monkeypatch.setattr(runner, "_local_executor", executor)
    report = run_sweep(load_sweep(sweep), tmp_path / "out", workers=2, runs_per_task=3)
    assert len(pools) == 2 and report.complete, report
    pd.testing.assert_frame_equal(read_runs(tmp_path / "out"), expected)


def test_a_disk_too_full_for_the_manifest_leaves_no_folder(tmp_path: Path, capsys) -> None:
    sweep = write_sweep(tmp_path)
    argv = ["sweep", sweep, "--workers", "1", "--quiet"]
    with small_disk(tmp_path / "disk") as disk:
        out = disk / "out"
        ballast = fill(disk)
        code, _, err = run_cli(capsys, *argv, "--out", out)
        assert code == 2
        assert one_error(err).startswith(f"{out}: disk full: 0 of 12 runs are saved")
        assert not out.exists()  # created for the lock, removed: nothing was written
        ballast.unlink()
        assert run_cli(capsys, *argv, "--out", out)[0] == 0
        assert len(read_runs(out)) == 12


def test_run_keys_are_those_earlier_sweeps_saved() -> None:
    # A run key hashes the version; moving the version to one place (lsr_sim.__version__,
    # read by pyproject.toml) must not change it, or existing sweep folders would not resume.
    # The key below is the one version 0.1.0 wrote; a new version changes it on purpose.
    from importlib.metadata import version

    import lsr_sim
    from lsr_sim.sweep.runner import run_key

    assert lsr_sim.__version__ == version("lsr_sim") == "0.1.0"
    assert run_key("abc", {"x": 0.5, "a.b": 2}, 7, 10) == "a6f68350d73b501a"


class _ThreadPool(cf.Executor):
    """A stand-in for the helpers' pool: one thread runs the submitted calls in turn. It counts
    the tasks (not the warm-ups) it was given and holds each task until `go` is set, so the
    test decides who computes first rather than the scheduler."""

    def __init__(self) -> None:
        self.tasks = 0
        self.fed, self.go = threading.Event(), threading.Event()
        self._thread = cf.ThreadPoolExecutor(1)

    def submit(self, fn, /, *args, **kwargs):
        import lsr_sim.sweep.runner as runner

        if fn is not runner._execute_in_worker:
            return self._thread.submit(fn, *args, **kwargs)
        self.tasks += 1
        self.fed.set()
        return self._thread.submit(self._held, fn, *args, **kwargs)

    def _held(self, fn, /, *args, **kwargs):
        assert self.go.wait(30)
        return fn(*args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._thread.shutdown(wait=wait, cancel_futures=cancel_futures)


def test_the_sweeps_own_process_and_a_ready_helper_share_the_tasks(
    reference, tmp_path: Path, monkeypatch
) -> None:
    """With two workers the sweep's process computes too, and a helper whose warm-up is done
    is handed tasks as well: both do some, every run is saved once, the same numbers."""
    import lsr_sim.sweep.runner as runner

    sweep, expected = reference
    pools: list[_ThreadPool] = []
    here = 0
    execute_here = runner._execute_here

    def pool(workers: int, progress=None) -> cf.Executor:
        pools.append(_ThreadPool())
        return pools[-1]

    def counted(task, tell):
        # The helper's first task waits for this process to start one; this process's first
        # task waits until the helper has been handed one: each then surely does some.
        nonlocal here
        here += 1
        pools[0].go.set()
        assert pools[0].fed.wait(30)
        return execute_here(task, tell)

    monkeypatch.setattr(runner, "_local_executor", pool)
    monkeypatch.setattr(runner, "_execute_here", counted)
    report = run_sweep(load_sweep(sweep), tmp_path / "out", workers=2, runs_per_task=1)
    assert report.complete and len(pools) == 1
    assert here >= 1 and pools[0].tasks >= 1 and here + pools[0].tasks == 12
    pd.testing.assert_frame_equal(read_runs(tmp_path / "out"), expected)


@pytest.mark.slow
def test_a_small_sweep_does_not_wait_for_a_helper_still_starting(
    reference, tmp_path: Path, monkeypatch
) -> None:
    """A sweep that the sweep's own process finishes before its helper is warm returns at
    once: the helper, still starting, is terminated rather than waited for."""
    psutil = pytest.importorskip("psutil")
    import lsr_sim.sweep.runner as runner

    sweep, expected = reference
    before = {child.pid for child in psutil.Process().children(recursive=True)}
    helpers: list[psutil.Process] = []

    def noted(task, tell):
        if not helpers:  # the helper spawned for this sweep, while it is still starting
            helpers.extend(
                child
                for child in psutil.Process().children(recursive=True)
                if child.pid not in before and "spawn_main" in " ".join(child.cmdline())
            )
        return runner.execute_task(task, tell)

    monkeypatch.setattr(runner, "_execute_here", noted)
    report = run_sweep(
        load_sweep(sweep), tmp_path / "out", workers=2, progress=False, runs_per_task=6
    )
    assert report.complete and helpers, "no helper process was started"
    for helper in helpers:
        assert not helper.is_running() or helper.status() == psutil.STATUS_ZOMBIE
    pd.testing.assert_frame_equal(read_runs(tmp_path / "out"), expected)


@given(
    total=st.integers(0, 200_000),
    processes=st.integers(1, 64),
    smallest=st.integers(1, 2_000),
    extra=st.integers(0, 10_000),
)
def test_guided_task_sizes_cover_the_plan_and_shrink(total, processes, smallest, extra) -> None:
    from lsr_sim.sweep.runner import _guided_sizes

    largest = smallest + extra
    sizes = _guided_sizes(total, processes, smallest, largest)
    assert sum(sizes) == total
    assert all(smallest <= size <= largest for size in sizes[:-2])
    assert all(0 < size <= largest for size in sizes)
    if total >= smallest:  # no small task at the end: the runs left make two even tasks
        assert all(size >= smallest // 2 for size in sizes)
    else:
        assert sizes == ([total] if total else [])
    assert sizes == sorted(sizes, reverse=True)


def test_a_plan_of_one_task_starts_no_helper(reference, tmp_path: Path, monkeypatch) -> None:
    """A helper takes a task only once the sweep's own process has one: with one task
    (a small plan, cut by the default sizes) no helper is started, and the result is the
    same."""
    import lsr_sim.sweep.runner as runner

    sweep, expected = reference

    def refused(*args, **kwargs):
        raise AssertionError("a helper was started for a plan of one task")

    monkeypatch.setattr(runner, "_Helpers", refused)
    report = run_sweep(load_sweep(sweep), tmp_path / "out", workers=2, progress=False)
    assert report.complete
    pd.testing.assert_frame_equal(read_runs(tmp_path / "out"), expected)


def test_guided_task_sizes_are_capped_below_the_smallest() -> None:
    from lsr_sim.sweep.runner import _guided_sizes

    # With trajectories tasks stop at 1,000 runs, below the baseline's smallest task.
    assert _guided_sizes(2_500, 2, 1024, 1_000) == [1000, 750, 750]


def test_the_smallest_task_is_a_measured_amount_of_work(tmp_path: Path) -> None:
    """1,024 runs of the baseline's 160 steps and 6 actors; fewer runs of a scenario with
    more steps or actors, more of one with fewer."""
    from lsr_sim.sweep.runner import _least_task_runs, plan_runs

    def least(steps: int, scenario: Path = BASELINE) -> int:
        sweep = write_sweep(
            tmp_path,
            f"least{steps}{scenario.stem}.yaml",
            steps=steps,
            scenario=str(scenario),
            parameters={"dynamics.vouching_rate": {"values": [0.1, 0.3]}},
            outcomes=["rapprochement_index"],
        )
        loaded = load_sweep(sweep)
        return _least_task_runs(loaded, plan_runs(loaded, build_design(loaded)))

    assert least(160) == 1024
    assert least(320) == 512
    assert least(40) == 4096
    # The river basin has 4 actors: (6 / 4) ** 2 times the baseline's runs.
    assert least(160, ROOT / "scenarios" / "examples" / "river_basin.yaml") == 2304


@pytest.mark.parametrize("workers", [1, 2])
def test_scenarios_of_different_actors_keep_every_trajectory_column(
    tmp_path: Path, workers: int
) -> None:
    """A sweep over scenarios with different actors and issues keeps trajectories through
    both engines: every part has one schema (every scenario's columns, null where a run's
    scenario lacks them), so the folder reads whole, the same through either engine."""
    river = ROOT / "scenarios" / "examples" / "river_basin.yaml"
    sweep = tmp_path / "mixed.yaml"
    sweep.write_text(
        yaml.safe_dump(
            {
                "name": "mixed",
                "scenarios": [str(BASELINE), str(river)],
                "steps": 12,
                "parameters": {"dynamics.talk_weight": {"values": [0.2, 0.3]}},
                "replications": 2,
                "seed": 3,
                "trajectories": {"every": 4},
            }
        )
    )
    tables = {}
    for engine in ("batch", "mesa"):
        out = tmp_path / engine
        report = run_sweep(load_sweep(sweep), out, workers=workers, progress=False, engine=engine)
        assert report.complete and report.failed == 0
        paths = pd.read_parquet(out / "trajectories")
        tables[engine] = paths.sort_values(["run", "step"]).reset_index(drop=True)
    paths = tables["batch"]
    pd.testing.assert_frame_equal(paths, tables["mesa"])
    assert set(paths["scenario"]) == {"baseline", "river_basin"}
    own = {
        name: {c for c in paths.columns if c.startswith("trust_") and rows[c].notna().all()}
        for name, rows in paths.groupby("scenario")
    }
    assert own["baseline"] and own["river_basin"] and own["baseline"] != own["river_basin"]
    for name, rows in paths.groupby("scenario"):
        others = [c for c in paths.columns if c.startswith("trust_") and c not in own[name]]
        assert rows[others].isna().all().all()
    assert len(paths) == 8 * 4  # 8 runs, steps 0, 4, 8 and 12
