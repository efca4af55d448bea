"""Where the batch engine's time goes: a cProfile of run_batch on the baseline or a synthetic
scenario.

Usage::

    .venv/bin/python benchmarks/profile_batch.py [--runs 5000] [--steps 160] [--top 15]
    .venv/bin/python benchmarks/profile_batch.py --synthetic 5 6 --runs 100 --steps 52 208

Prints the functions with the most own time and, for the engine's phases, calls and time per
call, so that cost per unit of work (one vectorised negotiation, one floor search) can be
compared across run lengths.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
from pathlib import Path

from lsr_sim.batch import run_batch
from lsr_sim.experiment import derive_seeds
from lsr_sim.scenario import load_scenario
from lsr_sim.synthetic import synthetic_scenario

ROOT = Path(__file__).resolve().parents[1]
PHASES = ("negotiate_packages", "_respect_floor", "negotiate_offers", "revise_trust")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5000)
    parser.add_argument("--steps", type=int, nargs="+", default=[160])
    parser.add_argument("--synthetic", type=int, nargs=2, metavar=("ACTORS", "ISSUES"))
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()
    if args.synthetic:
        scenario = synthetic_scenario(*args.synthetic, seed=1)
    else:
        scenario = load_scenario(ROOT / "scenarios" / "baseline.yaml")
    seeds = derive_seeds(1, args.runs)
    for steps in args.steps:
        profile = cProfile.Profile()
        profile.enable()
        run_batch([scenario] * args.runs, seeds, steps)
        profile.disable()
        stats = pstats.Stats(profile)
        print(f"\n{args.runs} runs x {steps} steps: {stats.total_tt:.2f} s under the profiler")
        for (_, _, name), (_, calls, _, cumulative, _) in stats.stats.items():  # type: ignore[attr-defined]
            if name in PHASES:
                print(
                    f"  {name:<20} {calls:>7} calls, {calls / steps:5.2f} per step, "
                    f"{1e3 * cumulative / calls:6.2f} ms each"
                )
        stats.sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()
