"""Time each phase of the kernel's step in the batch engine (wall time, compiled code included).

Usage::

    .venv/bin/python benchmarks/profile_phases.py [--runs 10000] [--steps 160] [--parts]

Steps the baseline through :func:`lsr_sim.batch.run_batch` with every phase of
:func:`lsr_sim.kernel.step` timed, and prints each phase's seconds and nanoseconds per
run-step, after a warm-up batch (so numba's compile or cache load is not counted).

``--parts`` also times the compiled functions called from Python by the phases that run the
strategies (the negotiation: planning, gathering, the offers round, settling; the policies'
and the mediators' views) and prints what is left of each phase: the Python and numpy between
them (grouping, building tables, the strategies' ``decide`` over the run axis), the most that
compiling the phase into one call could save.
"""

from __future__ import annotations

import argparse
import collections
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lsr_sim.batch import engine
from lsr_sim.experiment import derive_seeds
from lsr_sim.kernel import compiled as kc
from lsr_sim.kernel import core, negotiation
from lsr_sim.protocols import offers
from lsr_sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
SPENT: dict[str, float] = collections.defaultdict(float)


def _timed(name: str, fn: Callable[..., Any], *args: Any) -> None:
    start = time.perf_counter()
    fn(*args)
    SPENT[name] += time.perf_counter() - start


def timed_step(k: core.Kernel, s: int) -> None:
    """core.step, phase by phase, with each phase's time added to SPENT."""
    actors = range(k.structure.compiled.n)
    for i in actors:
        _timed("choose_policy", core.choose_policy, k, i)
    _timed("strike_incidents", core.strike_incidents, k, s)
    for i in actors:
        _timed("convene_talks", core.convene_talks, k, i)
    _timed("hold_direct_talks", core.hold_direct_talks, k)
    _timed("negotiate", core.negotiate, k, s)
    _timed("start_implementation", core.start_implementation, k, s)
    for i in actors:
        _timed("carry_out_commitments", core.carry_out_commitments, k, i)
    _timed("record_implementation", core.record_implementation, k)
    _timed("reopen_collapsed", core.reopen_collapsed, k)
    _timed("vouch", core.vouch, k)
    for i in actors:
        _timed("revise_trust", core.revise_trust, k, i)
    _timed("commit_trust", core.commit_trust, k)


# The compiled functions each phase that runs strategies calls from Python, by phase.
COMPILED: dict[str, tuple[tuple[Any, str], ...]] = {
    "negotiate": (
        (negotiation, "plan_packages"),
        (negotiation, "gather"),
        (negotiation, "settle"),
        (offers, "_round_runs"),
        (offers, "_observed_runs"),
    ),
    "choose_policy": ((kc, "spoiler_view"), (kc, "backer_view")),
    "convene_talks": ((kc, "mediation_view"), (kc, "mediate")),
}


def _timing(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    def timed(*args: Any) -> Any:
        start = time.perf_counter()
        result = fn(*args)
        SPENT[name] += time.perf_counter() - start
        return result

    return timed


def time_compiled_parts() -> dict[str, list[str]]:
    """Replace those compiled functions by timed wrappers; their timers' names by phase."""
    names: dict[str, list[str]] = {}
    for phase, functions in COMPILED.items():
        for module, function in functions:
            name = f"{phase}: {function}"
            setattr(module, function, _timing(name, getattr(module, function)))
            names.setdefault(phase, []).append(name)
    return names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--steps", type=int, default=160)
    parser.add_argument(
        "--parts", action="store_true", help="time the compiled parts of the phases"
    )
    args = parser.parse_args()
    scenario = load_scenario(ROOT / "scenarios" / "baseline.yaml")
    engine.step = timed_step
    parts = time_compiled_parts() if args.parts else {}
    engine.run_batch([scenario] * 10, derive_seeds(1, 10), args.steps)  # warm-up
    SPENT.clear()
    start = time.perf_counter()
    engine.run_batch([scenario] * args.runs, derive_seeds(1, args.runs), args.steps)
    seconds = time.perf_counter() - start
    work = args.runs * args.steps
    inside = {phase: {n: SPENT.pop(n, 0.0) for n in names} for phase, names in parts.items()}
    print(
        f"{args.runs} runs x {args.steps} steps: {seconds:.2f} s, {args.runs / seconds:.0f} "
        f"runs/s; phases {sum(SPENT.values()):.2f} s, outside them (draws, summaries, "
        f"set-up) {seconds - sum(SPENT.values()):.2f} s"
    )
    print(f"{'phase':<24} {'seconds':>8} {'share':>6} {'ns/run-step':>12}")

    def row(name: str, spent: float) -> None:
        print(f"{name:<24} {spent:>8.2f} {spent / seconds:>6.1%} {1e9 * spent / work:>12.0f}")

    for name, spent in sorted(SPENT.items(), key=lambda item: -item[1]):
        row(name, spent)
        if name in inside:
            for part, part_spent in sorted(inside[name].items(), key=lambda item: -item[1]):
                row("  " + part.split(": ")[1], part_spent)
            row("  the rest (Python)", spent - sum(inside[name].values()))


if __name__ == "__main__":
    main()
