"""The sweep runner: identical results for any worker count and executor, resume, faults."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from lsr_sim.cli import main
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
            "dynamics.trust_loss_rate": {"values": [0.1, 0.3]},
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
        "dynamics.trust_loss_rate",
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
                "dynamics": {"trust_loss_rate": float(row["dynamics.trust_loss_rate"])},
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
        "dynamics.trust_loss_rate",
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
    # A trust_loss_rate above 1 is refused by the scenario schema at run time only if the
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


@pytest.mark.slow
def test_ctrl_c_stops_cleanly_and_says_how_to_resume(tmp_path: Path) -> None:
    sweep = _slow_sweep(tmp_path)
    out = tmp_path / "out"
    proc = _start(sweep, out, "--workers", "2")
    _wait_for_parts(out, 2, proc)
    os.killpg(proc.pid, signal.SIGINT)  # as a terminal's Ctrl-C does: the whole group
    _stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert "interrupted:" in stderr and "run the same command again to resume" in stderr
    saved = int(stderr.split("interrupted: ")[1].split(" of ")[0])
    assert saved == len(saved_keys(out))
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
    run_sweep(load_sweep(sweep), tmp_path / "out", workers=1, progress=False)
    pd.testing.assert_frame_equal(read_runs(tmp_path / "out"), expected)


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


def test_only_the_scenario_the_batch_engine_cannot_run_falls_back(tmp_path) -> None:
    """A sweep over the baseline and a Nash-protocol variant: the variant's runs use the Mesa
    model, the baseline's the batch engine, and both give the Mesa model's numbers."""
    variant = tmp_path / "nash.yaml"
    variant.write_text(
        yaml.safe_dump({"extends": str(BASELINE), "name": "nash", "dynamics": {"protocol": "nash"}})
    )
    spec = {
        "name": "mixed",
        "scenarios": [str(BASELINE), str(variant)],
        "steps": 12,
        "parameters": {"dynamics.trust_decay": {"values": [0.01, 0.02]}},
        "replications": 2,
        "seed": 3,
    }
    sweep = tmp_path / "mixed.yaml"
    sweep.write_text(yaml.safe_dump(spec))
    report = run_sweep(load_sweep(sweep), tmp_path / "batch", workers=1, progress=False)
    notes = [note for note in report.notes if "Mesa model" in note]
    assert len(notes) == 1 and "'nash'" in notes[0] and "its runs use the Mesa model" in notes[0]
    run_sweep(load_sweep(sweep), tmp_path / "mesa", workers=1, progress=False, engine="mesa")
    batch, mesa = read_runs(tmp_path / "batch"), read_runs(tmp_path / "mesa")
    assert len(batch) == 8 and set(batch["scenario"]) == {"baseline", "nash"}
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


def test_run_keys_are_those_earlier_sweeps_saved() -> None:
    # A run key hashes the version; moving the version to one place (lsr_sim.__version__,
    # read by pyproject.toml) must not change it, or existing sweep folders would not resume.
    # The key below is the one version 0.1.0 wrote; a new version changes it on purpose.
    from importlib.metadata import version

    import lsr_sim
    from lsr_sim.sweep.runner import run_key

    assert lsr_sim.__version__ == version("lsr_sim") == "0.1.0"
    assert run_key("abc", {"x": 0.5, "a.b": 2}, 7, 10) == "a6f68350d73b501a"
