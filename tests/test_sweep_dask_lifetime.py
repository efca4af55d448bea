"""A sweep on a Dask cluster whose workers retire mid-run, as dask-jobqueue workers do.

A worker started with ``--lifetime`` (the Slurm recipe in docs/clusters.md) closes gracefully
when its time is up: the scheduler moves its results to other workers and reruns what it
loses. Here a LocalCluster on 127.0.0.1 (no dashboard) has its workers retired the same way
(``Client.retire_workers``) as result parts arrive, one every few parts, until one is left. The runs
table must be exactly the planned set, each run once, identical to a local pool's.

(With ``lifetime=..., lifetime_restart=True`` on a LocalCluster, a lifetime of a few seconds
retires workers faster than they start; distributed's nanny then sometimes fails to restart
one and the sweep waits for workers that never come. Real lifetimes are tens of minutes.)
"""

from __future__ import annotations

import threading
from pathlib import Path

import pandas as pd
import pytest
import yaml

from lsr_sim.sweep import load_sweep, run_sweep
from lsr_sim.sweep.design import build_design
from lsr_sim.sweep.runner import plan_runs

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
DEADLINE = 300  # seconds: a sweep that stalls fails the test instead of hanging it
WORKERS = 3
# Retire a worker each time this many more result parts are on disk: tied to progress, not to a
# clock, so a faster engine or a slower machine cannot let the sweep finish first.
RETIRE_EVERY_PARTS = 8


def write_sweep(folder: Path) -> Path:
    path = folder / "lifetime.yaml"
    content = {
        "name": "lifetime",
        "scenario": str(BASELINE),
        "steps": 60,
        "parameters": {
            "actors.Riyadh.capability": {"values": [0.4, 0.6, 0.8, 1.0]},
            "dynamics.trust_loss_rate": {"values": [0.1, 0.2, 0.3]},
        },
        "replications": 10,
        "seed": 4,
        "outcomes": ["rapprochement_index", "trust_Beirut_Damascus", "agreements"],
    }
    path.write_text(yaml.safe_dump(content, sort_keys=False))
    return path


def _runs(out: Path) -> pd.DataFrame:
    return pd.read_parquet(out / "runs").sort_values("run").reset_index(drop=True)


@pytest.mark.slow
def test_a_sweep_survives_workers_retired_and_restarted_mid_run(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    loaded = load_sweep(write_sweep(tmp_path))
    planned = {spec.key for spec in plan_runs(loaded, build_design(loaded))}
    local = tmp_path / "local"
    assert run_sweep(loaded, local, workers=2, progress=False).complete

    out = tmp_path / "dask"
    retired: list[str] = []
    with (
        distributed.LocalCluster(
            n_workers=WORKERS,
            threads_per_worker=1,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        stop = threading.Event()

        def retire_as_parts_arrive() -> None:
            # As a worker past its --lifetime does: close gracefully, handing its results on.
            while not stop.wait(0.02) and len(retired) < WORKERS - 1:
                if len(list((out / "runs").glob("part-*.parquet"))) < RETIRE_EVERY_PARTS * (
                    len(retired) + 1
                ):
                    continue
                workers = sorted(client.scheduler_info()["workers"])
                busy = [w for w in workers if w not in retired]
                if len(busy) > 1:
                    client.retire_workers(workers=[busy[0]], close_workers=True)
                    retired.append(busy[0])

        reports = []
        sweeper = threading.Thread(
            target=lambda: reports.append(
                run_sweep(
                    loaded,
                    out,
                    scheduler=cluster.scheduler_address,
                    runs_per_task=3,
                    progress=False,
                )
            ),
            daemon=True,
        )
        timer = threading.Thread(target=retire_as_parts_arrive, daemon=True)
        sweeper.start()
        timer.start()
        sweeper.join(DEADLINE)
        stop.set()
        timer.join()
    assert reports, f"the sweep did not finish within {DEADLINE} s"
    assert len(retired) == WORKERS - 1, f"only {len(retired)} worker(s) retired mid-sweep"
    assert reports[0].complete and reports[0].failed == 0
    runs = _runs(out)
    assert runs["run_key"].is_unique
    assert set(runs["run_key"]) == planned
    pd.testing.assert_frame_equal(runs, _runs(local))
