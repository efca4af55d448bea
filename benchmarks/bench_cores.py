"""What two processes can give on this machine: the batch engine alone and two copies at once.

Usage::

    .venv/bin/python benchmarks/bench_cores.py [--runs 5000] [--small-runs 1000] [--repeats 3]

Two workers cannot beat what two processes running the kernel side by side give, whatever the
executor does. Each configuration runs :func:`lsr_sim.batch.run_batch` on the baseline in
child processes that load the compiled kernel first (a warm-up batch) and start computing
together on a signal, so only the runs are timed:

- ``alone``: one process, `--runs` runs;
- ``two at once``: two processes, `--runs` runs each (different seeds); their combined rate
  over the one process's is the ceiling of a two-worker sweep at that size;
- ``small, alone`` and ``small, beside a starting process``: one process runs `--small-runs`
  runs, alone, then while a second process starts from nothing (interpreter, imports,
  compiled kernel, two runs: what a sweep's helper does before it can take a task). A small
  sweep's own process computes through a helper's start-up; the second row shows what that
  start-up costs it;
- ``as a sweep, alone`` and ``as sweeps, two at once``: the same `--runs` runs as a whole
  one-worker :func:`lsr_sim.sweep.run_sweep` (plan, summary rows, Parquet part), alone and two
  at once: the sweep's cost over the bare kernel, and whether it changes side by side.

The configurations are interleaved `--repeats` times and the medians printed side by side.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_sweep import BASELINE, baseline_sweep, load_kernel  # benchmarks/ is on sys.path


def child(runs: int, seed: int, *, wait: bool, sweep: bool = False) -> None:
    """Load the kernel, then (after "go" on standard input if `wait`) time `runs` runs, with
    :func:`lsr_sim.batch.run_batch` or as a one-worker sweep."""
    from lsr_sim.batch import run_batch
    from lsr_sim.experiment import derive_seeds
    from lsr_sim.scenario import load_scenario
    from lsr_sim.sweep import load_sweep, run_sweep

    scenario = load_scenario(BASELINE)
    steps = scenario.run.steps
    load_kernel()
    with tempfile.TemporaryDirectory() as tmp:
        loaded = load_sweep(baseline_sweep(Path(tmp), max(runs, 1), steps, seed=seed))
        if wait:
            print("ready", flush=True)
            sys.stdin.readline()
        start = time.perf_counter()
        if runs and sweep:
            run_sweep(loaded, Path(tmp) / "out", workers=1, progress=False)
        elif runs:
            run_batch([scenario] * runs, derive_seeds(seed, runs), steps)
        seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds}), flush=True)


def _start(runs: int, seed: int, *, wait: bool, sweep: bool = False) -> subprocess.Popen[str]:
    command = [sys.executable, __file__, "--child", str(runs), str(seed)]
    if not wait:
        command.append("--no-wait")
    if sweep:
        command.append("--sweep")
    return subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


def _seconds(process: subprocess.Popen[str]) -> float:
    out, _ = process.communicate()
    if process.returncode != 0:
        raise SystemExit(f"a benchmark process failed (exit {process.returncode})")
    return float(json.loads(out.strip().splitlines()[-1])["seconds"])


def together(runs: list[int], *, sweep: bool = False) -> list[float]:
    """Warm processes of `runs` runs each, started on one signal; their seconds."""
    processes = [_start(n, 1 + 100_000 * i, wait=True, sweep=sweep) for i, n in enumerate(runs)]
    for process in processes:
        assert process.stdout is not None
        if process.stdout.readline().strip() != "ready":
            raise SystemExit("a benchmark process did not get ready")
    for process in processes:
        assert process.stdin is not None
        process.stdin.write("go\n")
        process.stdin.flush()
    return [_seconds(process) for process in processes]


def beside_a_start(runs: int) -> float:
    """Seconds of a warm process's `runs` runs while a second process starts cold."""
    warm = _start(runs, 1, wait=True)
    assert warm.stdout is not None and warm.stdin is not None
    if warm.stdout.readline().strip() != "ready":
        raise SystemExit("a benchmark process did not get ready")
    cold = _start(0, 7, wait=False)  # interpreter, imports, kernel, two runs
    warm.stdin.write("go\n")
    warm.stdin.flush()
    seconds = _seconds(warm)
    _seconds(cold)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5_000)
    parser.add_argument("--small-runs", type=int, default=1_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--child", nargs=2, type=int, help=argparse.SUPPRESS)
    parser.add_argument("--no-wait", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--sweep", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child, wait=not args.no_wait, sweep=args.sweep)
        return

    alone: list[float] = []
    pair: list[float] = []  # the slower of the two
    pair_each: list[float] = []
    small: list[float] = []
    small_beside: list[float] = []
    swept: list[float] = []
    swept_each: list[float] = []
    for _ in range(args.repeats):
        alone.append(together([args.runs])[0])
        both = together([args.runs, args.runs])
        pair.append(max(both))
        pair_each.extend(both)
        small.append(together([args.small_runs])[0])
        small_beside.append(beside_a_start(args.small_runs))
        swept.extend(together([args.runs], sweep=True))
        swept_each.extend(together([args.runs, args.runs], sweep=True))

    n, m = args.runs, args.small_runs
    rate_alone = n / statistics.median(alone)
    rate_pair = 2 * n / statistics.median(pair)
    rows = [
        (f"{n:,} runs, alone", statistics.median(alone), rate_alone, 1.0),
        (
            f"{n:,} runs each, two at once (each)",
            statistics.median(pair_each),
            n / statistics.median(pair_each),
            rate_alone / (n / statistics.median(pair_each)),
        ),
        (f"{n:,} runs each, two at once (together)", statistics.median(pair), rate_pair, None),
        (f"{m:,} runs, alone", statistics.median(small), m / statistics.median(small), 1.0),
        (
            f"{m:,} runs, beside a starting process",
            statistics.median(small_beside),
            m / statistics.median(small_beside),
            statistics.median(small_beside) / statistics.median(small),
        ),
        (
            f"{n:,} runs as a sweep, alone",
            statistics.median(swept),
            n / statistics.median(swept),
            statistics.median(swept) / statistics.median(alone),
        ),
        (
            f"{n:,} runs each as sweeps, two at once (each)",
            statistics.median(swept_each),
            n / statistics.median(swept_each),
            statistics.median(swept_each) / statistics.median(alone),
        ),
    ]
    print(f"baseline, batch engine, median of {args.repeats} interleaved repeats")
    print(f"{'configuration':48} {'seconds':>8} {'runs/s':>8} {'time vs alone':>14}")
    for label, secs, rate, ratio in rows:
        shown = f"{ratio:.2f}x" if ratio is not None else ""
        print(f"{label:48} {secs:8.2f} {rate:8.0f} {shown:>14}")
    print(
        f"two processes together / one alone: {rate_pair / rate_alone:.2f}x "
        "(the most two workers can give at this size, with nothing serial)"
    )


if __name__ == "__main__":
    main()
