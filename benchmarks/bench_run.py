"""Time single baseline runs: lsr_sim.run against mesa.batch_run, side by side.

Usage::

    .venv/bin/python benchmarks/bench_run.py [--repeats 5] [--steps N] [--scenario FILE]

Prints the median wall time of one run, steps per second, and the ratio to the same run
driven by ``mesa.batch_run`` (one process), measured in the same invocation.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from lsr_sim.experiment import run
from lsr_sim.model import NegotiationModel
from lsr_sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]


def _time(fn, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--steps", type=int)
    parser.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "baseline.yaml")
    args = parser.parse_args()

    from mesa.batchrunner import batch_run

    scenario = load_scenario(args.scenario)
    steps = args.steps or scenario.run.steps
    seeds = iter(range(10_000))

    def model_only() -> None:
        NegotiationModel(scenario, rng=next(seeds)).run_for(steps)

    def with_tables() -> None:
        run(scenario, seed=next(seeds), steps=steps)

    def via_batch_run() -> None:
        batch_run(
            NegotiationModel,
            parameters={"scenario": [scenario]},
            rng=[next(seeds)],
            max_steps=steps,
            number_processes=1,
            data_collection_period=-1,
            display_progress=False,
        )

    rows = []
    for label, fn in [
        ("mesa.batch_run (1 process)", via_batch_run),
        ("NegotiationModel.run_for", model_only),
        ("lsr_sim.run (with tables)", with_tables),
    ]:
        fn()  # warm up imports and caches
        median = statistics.median(_time(fn, args.repeats))
        rows.append((label, median))
    reference = rows[0][1]
    print(f"scenario {scenario.name}: {steps} steps, median of {args.repeats} runs each")
    print(f"{'driver':<30} {'median s':>9} {'steps/s':>9} {'vs batch_run':>13}")
    for label, median in rows:
        print(f"{label:<30} {median:>9.3f} {steps / median:>9.0f} {reference / median:>12.2f}x")


if __name__ == "__main__":
    main()
