"""Cost of the batch engine against actors, steps and runs, on synthetic scenarios.

Usage::

    .venv/bin/python benchmarks/bench_scaling.py [--actors 5 10 20 50] [--runs 200] [--steps 52]

Prints seconds per run-step for each size and the growth ratios: cost should grow no faster
than the pairwise trust matrix in n (n**2) and linearly in steps and in runs.

A step costs more when more issues are under negotiation (each table on the table runs the
offers protocol), and that number changes as a run goes on. So for steps the benchmark also
prints the time per issue-step on the table (counted from the runs' status histories, in a
separate untimed pass): if that stays flat, the engine is linear in the work the model asks of
it, and any growth beyond linear in steps is the model's own dynamics.
"""

from __future__ import annotations

import argparse
import time

from lsr_sim.batch import run_batch
from lsr_sim.dynamics.status import ON_TABLE
from lsr_sim.synthetic import synthetic_scenario


def seconds(n: int, m: int, runs: int, steps: int) -> float:
    scenario = synthetic_scenario(n, m, seed=1)
    start = time.perf_counter()
    run_batch([scenario] * runs, list(range(runs)), steps)
    return time.perf_counter() - start


def issue_steps_on_table(n: int, m: int, runs: int, steps: int) -> int:
    """How many (run, step, issue) triples were under negotiation (untimed)."""
    scenario = synthetic_scenario(n, m, seed=1)
    result = run_batch([scenario] * runs, list(range(runs)), steps, keep_history=True)
    assert result.history is not None
    return int((result.history["status"][:, :-1] == ON_TABLE).sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actors", type=int, nargs="+", default=[5, 10, 20, 50])
    parser.add_argument("--issues", type=int, default=6)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--steps", type=int, default=52)
    args = parser.parse_args()

    seconds(args.actors[0], args.issues, 10, 5)  # warm-up: numba's cache is loaded once
    print(f"actors (issues {args.issues}, {args.runs} runs, {args.steps} steps)")
    print(f"{'n':>4} {'seconds':>8} {'us/run-step':>12} {'vs n=first':>11} {'(n/n0)^2':>9}")
    first = None
    for n in args.actors:
        t = seconds(n, args.issues, args.runs, args.steps)
        first = first or (n, t)
        print(
            f"{n:>4} {t:>8.2f} {1e6 * t / (args.runs * args.steps):>12.1f} "
            f"{t / first[1]:>11.2f} {(n / first[0]) ** 2:>9.2f}"
        )
    n = args.actors[0]
    print(f"\nsteps (n {n}, {args.runs} runs)")
    print(
        f"{'steps':>6} {'seconds':>8} {'vs first':>9} {'on-table issue-steps':>21} {'us each':>8}"
    )
    base = None
    for factor in (1, 2, 4):
        steps = args.steps * factor
        t = seconds(n, args.issues, args.runs, steps)
        work = issue_steps_on_table(n, args.issues, args.runs, steps)
        base = base or t
        print(f"{steps:>6} {t:>8.2f} {t / base:>9.2f} {work:>21} {1e6 * t / max(work, 1):>8.1f}")
    print(f"\nruns (n {n}, {args.steps} steps)")
    for factor in (2, 4):
        t = seconds(n, args.issues, args.runs * factor, args.steps)
        print(f"  x{factor} runs: {t / base:.2f} times the time")


if __name__ == "__main__":
    main()
