"""The same sweep of the baseline through mesa.batch_run and through lsr-sim sweep.

Usage::

    .venv/bin/python benchmarks/bench_sweep.py [--runs 1000 10000] [--steps N]
        [--mesa-max-runs 1000] [--skip-mesa-sweep] [--configs KIND ...]

Each configuration runs in a fresh Python process (so start-up, imports and pools are counted).
Prints seconds (the call, and the whole process from its start to its exit), runs per second,
peak memory (the largest process, and all of the configuration's processes summed, sampled
every 0.2 s) and the ratios to ``mesa.batch_run`` with one and with
two processes measured side by side, and to its rate when issue 14 was filed. The batch engine
runs summaries only and, in two more configurations, with trajectories every 4 steps; two
"warm" configurations load the compiled kernel (and start a pool of processes, passed to
``run_sweep`` as its `executor`) before the call is timed, as a script running several sweeps
would. The
Mesa-based configurations cost about 0.05 s per run per process (0.6 s before the Mesa model
stepped the compiled kernel), so ``--mesa-max-runs`` can leave them out above a size; a batch
engine row is then compared with the ``mesa.batch_run`` rate measured at the largest size at
or below its own (a Mesa run's cost does not depend on how many others there are).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from soak_sweep import TreeMemory  # benchmarks/ is on sys.path when this script runs

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
# mesa.batch_run's rate (one process, baseline) when issue 14 was filed: "about 1.6-2.5 runs/s";
# the Mesa model has since become faster (it steps the same compiled kernel), so each row is
# also compared with that rate, the midpoint of the range, as the issue asks.
FILED_BATCH_RUN_RATE = 2.0
CONFIGS = [
    ("mesa.batch_run, 1 process", "batch_run", 1),
    ("mesa.batch_run, 2 processes", "batch_run", 2),
    ("lsr-sim sweep --engine mesa, 1 worker", "sweep-mesa", 1),
    ("lsr-sim sweep --engine mesa, 2 workers", "sweep-mesa", 2),
    ("lsr-sim sweep (batch engine), 1 worker", "sweep-batch", 1),
    ("lsr-sim sweep (batch engine), 2 workers", "sweep-batch", 2),
    ("lsr-sim sweep (batch engine), trajectories every 4, 1 worker", "sweep-batch-traj", 1),
    ("lsr-sim sweep (batch engine), trajectories every 4, 2 workers", "sweep-batch-traj", 2),
    # Warm: the kernel loaded (and a pool's processes started) before the call is timed, as in
    # a notebook or script that runs several sweeps and passes its own pool as `executor`.
    ("lsr-sim sweep (batch engine), warm, 1 worker", "sweep-batch-warm", 1),
    ("lsr-sim sweep (batch engine), warm pool of 2 (executor=)", "sweep-batch-warm", 2),
]


def _peak_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024  # kilobytes on Linux


def baseline_sweep(folder: Path, runs: int, steps: int, *, seed: int = 1, every: int = 0) -> Path:
    """Write a sweep file of `runs` replications of the baseline (one point; trajectories
    every `every` steps if given) in `folder`; its path."""
    import yaml

    spec: dict[str, object] = {
        "name": "benchmark",
        "scenario": str(BASELINE),
        "steps": steps,
        "parameters": {"dynamics.talk_weight": {"values": [0.2]}},
        "replications": runs,
        "seed": seed,
    }
    if every:
        spec["trajectories"] = {"every": every}
    path = folder / "sweep.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


def load_kernel(hold: float = 0.0) -> None:
    """Load the compiled kernel in this process (two baseline runs), then wait `hold` s (so
    that each of a pool's processes takes one of these calls)."""
    from lsr_sim.batch import run_batch
    from lsr_sim.scenario import load_scenario

    scenario = load_scenario(BASELINE)
    run_batch([scenario] * 2, [1, 2], scenario.run.steps)
    time.sleep(hold)


def one(kind: str, workers: int, runs: int, steps: int | None) -> dict[str, float]:
    """Run one configuration in this process and return its figures."""
    import concurrent.futures as cf
    import multiprocessing

    from lsr_sim.experiment import derive_seeds
    from lsr_sim.scenario import load_scenario

    scenario = load_scenario(BASELINE)
    steps = steps or scenario.run.steps
    pool = None
    if kind == "sweep-batch-warm":
        load_kernel()
        if workers > 1:
            pool = cf.ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
            cf.wait([pool.submit(load_kernel, 1.0) for _ in range(workers)])
    start = time.perf_counter()
    if kind == "batch_run":
        from mesa.batchrunner import batch_run

        from lsr_sim.model import NegotiationModel

        rows = batch_run(
            NegotiationModel,
            parameters={"scenario": [scenario]},
            rng=derive_seeds(1, runs),
            max_steps=steps,
            number_processes=workers,
            data_collection_period=-1,
            display_progress=False,
        )
        assert len(rows) == runs
    else:
        from lsr_sim.sweep import load_sweep, run_sweep

        with tempfile.TemporaryDirectory() as tmp:
            sweep = baseline_sweep(Path(tmp), runs, steps, every=4 if kind.endswith("-traj") else 0)
            engine = "mesa" if kind == "sweep-mesa" else "batch"
            report = run_sweep(
                load_sweep(sweep),
                Path(tmp) / "out",
                workers=workers,
                progress=False,
                engine=engine,
                executor=pool,
            )
            assert report.complete and report.failed == 0
    seconds = time.perf_counter() - start
    if pool is not None:
        pool.shutdown()
    return {"seconds": seconds, "runs_per_second": runs / seconds, "peak_mb": _peak_mb()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, nargs="+", default=[1000])
    parser.add_argument("--steps", type=int)
    parser.add_argument("--one", nargs=2, metavar=("KIND", "WORKERS"), help=argparse.SUPPRESS)
    parser.add_argument(
        "--mesa-max-runs",
        type=int,
        help="run the mesa.batch_run and --engine mesa configurations only up to this size",
    )
    parser.add_argument(
        "--configs",
        nargs="+",
        choices=sorted({kind for _, kind, _ in CONFIGS}),
        help="run only these kinds of configuration (each with 1 and 2 processes)",
    )
    parser.add_argument(
        "--skip-mesa-sweep",
        action="store_true",
        help="leave out the two slow `--engine mesa` configurations",
    )
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.one[0], int(args.one[1]), args.runs[0], args.steps)))
        return
    results: list[tuple[int, str, str, int, dict[str, float]]] = []
    for runs in args.runs:
        for label, kind, workers in CONFIGS:
            mesa_based = kind in ("batch_run", "sweep-mesa")
            if args.skip_mesa_sweep and kind == "sweep-mesa":
                continue
            if args.configs and kind not in args.configs:
                continue
            if mesa_based and args.mesa_max_runs is not None and runs > args.mesa_max_runs:
                continue
            command = [sys.executable, __file__, "--runs", str(runs), "--one", kind, str(workers)]
            if args.steps:
                command += ["--steps", str(args.steps)]
            began = time.perf_counter()
            child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
            memory = TreeMemory(child.pid)
            out, _ = child.communicate()
            whole = time.perf_counter() - began
            summed = memory.stop()
            if child.returncode:
                raise SystemExit(f"{label}, {runs} runs: exit status {child.returncode}")
            figures = json.loads(out.strip().splitlines()[-1])
            figures["summed_mb"] = summed
            figures["whole"] = whole
            results.append((runs, label, kind, workers, figures))
            print(f"measured: {label}, {runs} runs", file=sys.stderr, flush=True)

    def reference(runs: int, workers: int) -> tuple[float, int]:
        """mesa.batch_run's rate with `workers` processes at the largest size <= runs (NaN if
        it was not measured)."""
        rows = [(n, r) for n, _, k, w, r in results if k == "batch_run" and w == workers]
        below = [row for row in rows if row[0] <= runs]
        if not below:
            return float("nan"), runs
        n, r = max(below, key=lambda row: row[0])
        return r["runs_per_second"], n

    steps = args.steps or "baseline"
    print(f"runs of the baseline ({steps} steps), each configuration in its own process")
    print(
        f"{'runs':>6} {'configuration':<62} {'seconds':>8} {'whole':>6} {'runs/s':>8} "
        f"{'peak MB':>8} "
        f"{'sum MB':>7} "
        f"{'vs batch_run 1':>15} {'vs batch_run 2':>15} {'vs filed':>9}"
    )
    notes = set()
    for runs, label, _, _, r in results:
        ratios = []
        for workers in (1, 2):
            rate, measured_at = reference(runs, workers)
            ratios.append(
                f"{r['runs_per_second'] / rate:>7.1f}x" + ("*" if measured_at != runs else " ")
            )
            if measured_at != runs:
                notes.add(measured_at)
        print(
            f"{runs:>6} {label:<62} {r['seconds']:>8.1f} {r['whole']:>6.1f} "
            f"{r['runs_per_second']:>8.2f} "
            f"{r['peak_mb']:>8.0f} {r['summed_mb']:>7.0f} {ratios[0]:>15} {ratios[1]:>15} "
            f"{r['runs_per_second'] / FILED_BATCH_RUN_RATE:>8.0f}x"
        )
    for n in sorted(notes):
        print(f"* against mesa.batch_run's rate measured at {n} runs")
    print(
        "seconds: from the start of the sweep (or batch_run) call to its return, in a process "
        "that has imported only the scenario loader; whole: the process, from its start to its "
        "exit (Python's start-up, every import, and the wait for a pool's processes to end)"
    )
    print(
        "peak MB: the largest process (its own or a child's maximum resident set); sum MB: all "
        "of the configuration's processes together, sampled every 0.2 s"
    )
    print(
        f"vs filed: against mesa.batch_run's {FILED_BATCH_RUN_RATE} runs/s in one process when "
        "issue 14 was filed (its 1.6-2.5 runs/s)"
    )


if __name__ == "__main__":
    main()
