"""Sweeps on MPI: ``mpi4py.futures.MPIPoolExecutor`` as the runner's executor.

The sweep runs under ``mpirun -n 3`` (rank 0 drives, two workers) on one machine, with Open
MPI's shared-memory transport and its out-of-band channel on the loopback interface only.
Its runs table must be the local one, run for run, with one Parquet part per task. Without
``mpirun`` or mpi4py the test skips, unless ``LSR_SIM_REQUIRE_MPI=1`` (set by ``.ci/run``),
which makes that a failure.
"""

from __future__ import annotations

import importlib.util
import math
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml
from cli_helpers import one_error, run_cli

from lsr_sim.sweep import load_sweep, run_sweep

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
RANKS = 3
RUNS_PER_TASK = 5


def _unavailable(reason: str) -> None:
    if os.environ.get("LSR_SIM_REQUIRE_MPI") == "1":
        pytest.fail(f"{reason}, and LSR_SIM_REQUIRE_MPI=1 requires the MPI test")
    pytest.skip(f"{reason} (install it with: apt-get install -y openmpi-bin libopenmpi-dev)")


def _mpi_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "OMPI_MCA_btl": "self,vader",  # shared memory between the ranks: no network
            "OMPI_MCA_oob_tcp_if_include": "lo",  # mpirun's own channel: loopback only
            "OMPI_MCA_btl_tcp_if_include": "lo",
            "OMPI_MCA_rmaps_base_oversubscribe": "1",  # three ranks on a two-core machine
        }
    )
    if os.geteuid() == 0:  # CI runs as root; Open MPI refuses that unless told
        env.update({"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"})
    return env


def write_sweep(folder: Path) -> Path:
    path = folder / "mpi_sweep.yaml"
    content = {
        "name": "mpi_sweep",
        "scenario": str(BASELINE),
        "steps": 24,
        "parameters": {
            "actors.Riyadh.capability": {"values": [0.4, 0.7, 1.0]},
            "dynamics.trust_loss_rate": {"values": [0.1, 0.2, 0.3]},
        },
        "replications": 4,
        "seed": 15,
        "outcomes": ["rapprochement_index", "trust_Beirut_Damascus", "agreements"],
        "trajectories": {"every": 6},
    }
    path.write_text(yaml.safe_dump(content, sort_keys=False))
    return path


def _table(out: Path, sub: str) -> pd.DataFrame:
    keys = ["run", "step"] if sub == "trajectories" else ["run"]
    return pd.read_parquet(out / sub).sort_values(keys).reset_index(drop=True)


def _mpirun(sweep: Path, out: Path) -> tuple[subprocess.CompletedProcess[str], float]:
    command = [
        "mpirun",
        "-n",
        str(RANKS),
        sys.executable,
        "-m",
        "mpi4py.futures",
        "-m",
        "lsr_sim",
        "sweep",
        str(sweep),
        "--out",
        str(out),
        "--executor",
        "mpi",
        "--runs-per-task",
        str(RUNS_PER_TASK),
        "--quiet",
    ]
    started = time.monotonic()
    done = subprocess.run(
        command, env=_mpi_env(), capture_output=True, text=True, timeout=600, check=False
    )
    return done, time.monotonic() - started


@pytest.mark.slow
def test_a_sweep_under_mpirun_matches_a_local_run_with_one_part_per_task(tmp_path: Path) -> None:
    if shutil.which("mpirun") is None:
        _unavailable("mpirun is not installed")
    if importlib.util.find_spec("mpi4py") is None:
        _unavailable("mpi4py is not installed (pip install 'lsr_sim[mpi]')")
    sweep = write_sweep(tmp_path)
    local = tmp_path / "local"
    assert run_sweep(load_sweep(sweep), local, workers=1, progress=False).complete

    out = tmp_path / "mpi"
    done, seconds = _mpirun(sweep, out)
    assert done.returncode == 0, done.stdout + done.stderr
    total = 9 * 4
    assert f"sweep mpi_sweep: {total} of {total} runs saved" in done.stdout
    # One part per task in each folder: file counts grow with tasks, not with runs.
    tasks = math.ceil(total / RUNS_PER_TASK)
    assert len(list((out / "runs").glob("part-*.parquet"))) == tasks
    assert len(list((out / "trajectories").glob("part-*.parquet"))) == tasks
    for sub in ("runs", "trajectories"):
        pd.testing.assert_frame_equal(_table(out, sub), _table(local, sub))
    print(f"mpirun -n {RANKS}: {total} runs, {tasks} parts per folder, {seconds:.1f} s")

    # Resume under MPI: a lost part is recomputed, nothing else, and the table is the same.
    lost = sorted((out / "runs").glob("part-*.parquet"))[2]
    lost.unlink()
    done, _ = _mpirun(sweep, out)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"({RUNS_PER_TASK} new in" in done.stdout
    pd.testing.assert_frame_equal(_table(out, "runs"), _table(local, "runs"))


@pytest.mark.slow
def test_without_mpirun_the_mpi_executor_is_refused_in_one_line(tmp_path: Path) -> None:
    if importlib.util.find_spec("mpi4py") is None or shutil.which("mpirun") is None:
        _unavailable("mpi4py or mpirun is not installed")
    sweep = write_sweep(tmp_path)
    # In a child process: importing mpi4py.MPI initialises MPI, which pytest's process avoids.
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "lsr_sim",
            "sweep",
            sweep,
            "--out",
            tmp_path / "o",
            "--executor",
            "mpi",
        ],
        env=_mpi_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2 and done.stdout == ""
    assert one_error(done.stderr) == (
        "command line: --executor: mpi needs the workers of mpi4py.futures, but this process "
        "runs without workers; start it as `mpirun -n N python -m mpi4py.futures -m lsr_sim "
        "sweep FILE --out DIR --executor mpi` (N - 1 workers)"
    )
    assert not (tmp_path / "o").exists()


def test_mpi_executor_conflicts_and_missing_mpi4py_are_one_line(
    tmp_path, capsys, monkeypatch
) -> None:
    sweep = write_sweep(tmp_path)
    out = tmp_path / "o"
    code, _, err = run_cli(
        capsys, "sweep", sweep, "--out", out, "--executor", "mpi", "--workers", "2"
    )
    assert code == 2
    assert one_error(err) == (
        "command line: --workers: with --executor mpi the workers are the MPI ranks "
        "(mpirun -n N gives N - 1); drop --workers"
    )
    code, _, err = run_cli(
        capsys,
        "sweep",
        sweep,
        "--out",
        out,
        "--executor",
        "mpi",
        "--scheduler",
        "tcp://127.0.0.1:1",
    )
    assert code == 2
    assert (
        one_error(err) == "command line: --executor: give --scheduler or --executor mpi, not both"
    )
    monkeypatch.setitem(sys.modules, "mpi4py", None)  # as if mpi4py were not installed
    code, _, err = run_cli(capsys, "sweep", sweep, "--out", out, "--executor", "mpi")
    assert code == 2
    assert one_error(err).startswith(
        "command line: --executor: mpi needs mpi4py and an MPI library ("
    )
    assert one_error(err).endswith(
        "): pip install 'lsr_sim[mpi]' and an MPI such as Open MPI (Debian: apt-get install "
        "openmpi-bin)"
    )
    code, _, err = run_cli(capsys, "sweep", sweep, "--out", out, "--executor", "threads")
    assert code == 2 and "command line: --executor: invalid choice: 'threads'" in err
    assert not out.exists()


def test_any_executor_the_caller_owns_runs_the_sweep_and_stays_open(tmp_path: Path) -> None:
    """The runner drives a caller's executor (here a thread pool) and never shuts it down."""
    import concurrent.futures as cf

    sweep = write_sweep(tmp_path)
    local = tmp_path / "local"
    run_sweep(load_sweep(sweep), local, workers=1, progress=False)
    with cf.ThreadPoolExecutor(2) as pool:
        report = run_sweep(
            load_sweep(sweep), tmp_path / "threads", executor=pool, runs_per_task=7, progress=False
        )
        assert pool.submit(sum, [1, 2]).result() == 3  # still open after the sweep
    assert report.complete
    assert len(list((tmp_path / "threads" / "runs").glob("part-*.parquet"))) == math.ceil(36 / 7)
    pd.testing.assert_frame_equal(_table(tmp_path / "threads", "runs"), _table(local, "runs"))
