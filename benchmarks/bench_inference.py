"""Time the estimation's simulator: parameter sets in batches against one at a time.

Usage::

    .venv/bin/python benchmarks/bench_inference.py [--sets 200] [--scenario FILE]

Draws `sets` parameter sets from the scenario's priors (default the worked example
docs/examples/estimation/baseline_trust.yaml) and simulates their facts twice, in the same
invocation: in one ``simulate_facts`` call (what the batching sampler does with a generation's
particles), and one call per parameter set (what a sampler evaluating one particle at a time
would do). Prints the time per parameter set of each and their ratio.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from lsr_sim.inference import draw_prior, load_estimation, simulate_facts

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", type=int, default=200)
    parser.add_argument(
        "--scenario",
        type=Path,
        default=ROOT / "docs" / "examples" / "estimation" / "baseline_trust.yaml",
    )
    args = parser.parse_args()
    estimation = load_estimation(args.scenario)
    rng = np.random.default_rng(0)
    draws = draw_prior(estimation.models[0], args.sets, rng)
    requests = [(0, {k: float(v) for k, v in row.items()}) for row in draws.to_dict("records")]
    seeds = rng.integers(0, 2**63, size=(len(requests), 1), dtype=np.uint64)
    simulate_facts(estimation, requests[:4], seeds[:4])  # compile and warm up

    start = time.perf_counter()
    batched = simulate_facts(estimation, requests, seeds)
    together = time.perf_counter() - start
    start = time.perf_counter()
    alone = [
        simulate_facts(estimation, [r], s[None, :]) for r, s in zip(requests, seeds, strict=True)
    ]
    one_by_one = time.perf_counter() - start
    same = all(
        a.outcomes.drop(columns="request").equals(
            batched.outcomes.iloc[[i]].drop(columns="request").reset_index(drop=True)
        )
        for i, a in enumerate(alone)
    )
    n = len(requests)
    print(f"{estimation.scenario.name}: {n} parameter sets, {estimation.steps} steps each")
    print(f"  one call for all : {together / n * 1000:7.2f} ms per set ({together:.2f} s)")
    print(f"  one call per set : {one_by_one / n * 1000:7.2f} ms per set ({one_by_one:.2f} s)")
    print(f"  ratio            : {one_by_one / together:7.1f}x; identical outcomes: {same}")


if __name__ == "__main__":
    main()
