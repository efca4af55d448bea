"""The batch engine: many runs stepped at once through the kernel (:mod:`lsr_sim.kernel`).

Run r of a batch is the Mesa model's run of the same scenario and seed, number for number: it
goes through the same phases and the same compiled code (the Mesa model is the kernel with
one run), and it draws its uniforms from its own ``numpy.random.default_rng(seed)`` in the
Mesa model's layout (one block of ``draws_per_step`` numbers per step, see
:class:`lsr_sim.model.CompiledScenario`).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from lsr_sim import interrupts
from lsr_sim.kernel import Kernel, step, summary_rows
from lsr_sim.kernel.core import fire_events, mean_trust, position, rapprochement
from lsr_sim.scenario.schema import Scenario
from lsr_sim.strategies import declares_run_axis, get_strategy_class

__all__ = [
    "DRAW_BLOCK",
    "FINAL_NAMES",
    "HISTORY_NAMES",
    "RUN_BLOCK",
    "BatchResult",
    "run_batch",
    "step_counts",
    "supports",
]

#: Steps of random draws made at once per run (memory: runs x DRAW_BLOCK x draws per step).
DRAW_BLOCK = 16

#: Runs stepped together in one kernel: a step's phases each sweep the state of all its runs,
#: and the state of this many runs (about 3 kB each for the baseline) stays in the processor's
#: cache from phase to phase (docs/performance.md). Runs are independent, so the results do
#: not depend on it.
RUN_BLOCK = 2048

#: What the Mesa model's DataCollector records each step, and ``keep_history`` keeps.
HISTORY_NAMES = (
    "rapprochement",
    "mean_trust",
    "trust",
    "status",
    "position",
    "progress",
    "delivered",
    "incidents",
)
#: The final state a batch returns (see BatchResult.final).
FINAL_NAMES = (
    "trust",
    "status",
    "terms",
    "progress",
    "delivered",
    "pressure",
    "support",
    "first_agreed",
    "negotiated_step",
    "negotiated_terms",
    "vetoed",
)


@dataclass
class BatchResult:
    """What a batch of runs returns.

    Attributes
    ----------
    rows : list of dict
        One summary row per run (:func:`lsr_sim.kernel.summary_rows`), equal to
        :func:`lsr_sim.experiment.summary_row` of the Mesa model with the same scenario and
        seed.
    final : dict of arrays
        Final state with a leading run axis: ``trust`` (R, n, n), ``status`` (R, m),
        ``terms``, ``progress`` (R, m), ``delivered`` (R, q), ``pressure``, ``support`` (R, n),
        and per issue the step of its first agreement (``first_agreed``, -1 for none), the
        step and terms of its first agreement reached in talks
        (``negotiated_step``, -1 for none; ``negotiated_terms``) and the vetoes that blocked
        terms including it (``vetoed``).
    history : dict of arrays or None
        With ``keep_history``: what the Mesa DataCollector records, per name in
        ``HISTORY_NAMES``, shape (R, steps + 1, ...); runs shorter than the longest are padded
        (NaN, or -1 for ``status``).
    engine : list of str
        ``"batch"`` or ``"mesa"`` (fallback) for each run.
    """

    rows: list[dict[str, Any]]
    final: dict[str, np.ndarray]
    history: dict[str, np.ndarray] | None
    seeds: list[int]
    steps: list[int]
    engine: list[str] = field(default_factory=list)

    def summary(self) -> pd.DataFrame:
        """The summary rows as a table."""
        return pd.DataFrame(self.rows)


def supports(scenario: Scenario) -> tuple[bool, str]:
    """Whether the batch engine can step runs of `scenario` together; if not, a one-line reason.

    Every protocol is supported (a protocol that takes no run axis runs once per run); every
    strategy class that declares ``run_axis`` is supported. A strategy class that does not
    declare it makes the scenario's runs go through the Mesa model one by one.
    """
    for name, actor in scenario.actors.items():
        try:
            cls = get_strategy_class(actor.strategy.name)
        except KeyError:
            return False, f"actor {name!r} uses unknown strategy {actor.strategy.name!r}"
        if not declares_run_axis(cls):
            return False, (
                f"actor {name!r} uses strategy class {cls.__name__} ({actor.strategy.name!r}), "
                "which does not declare run_axis = True, so it decides one run at a time"
            )
    return True, ""


def step_counts(steps: int | Sequence[int] | None, scenarios: Sequence[Scenario]) -> list[int]:
    """Steps of each run: one count for all, one per run, or (None) each scenario's own.

    Examples
    --------
    >>> from lsr_sim.scenario import load_scenario
    >>> step_counts(None, [load_scenario("scenarios/baseline.yaml")]), step_counts(5, [0, 0])
    ([160], [5, 5])
    """
    if steps is None:
        counts = [sc.run.steps for sc in scenarios]
    elif isinstance(steps, int | np.integer):
        counts = [int(steps)] * len(scenarios)
    else:
        counts = [int(s) for s in steps]
    if len(counts) != len(scenarios):
        raise ValueError(f"{len(scenarios)} runs but {len(counts)} step counts")
    if counts and min(counts) <= 0:
        raise ValueError("steps must be positive")
    return counts


def _snapshot(k: Kernel) -> dict[str, np.ndarray]:
    s = k.state
    return {
        "rapprochement": rapprochement(k),
        "mean_trust": mean_trust(k),
        "trust": s.trust.copy(),
        "status": s.status.copy(),
        "position": position(k),
        "progress": s.progress.copy(),
        "delivered": s.delivered.copy(),
        "incidents": s.struck.copy(),
    }


def _run_kernel(
    k: Kernel, seeds: Sequence[int], steps: int, keep_history: bool
) -> dict[str, list[np.ndarray]]:
    """Step every run of `k` `steps` times; the history if asked."""
    width = k.structure.compiled.draws_per_step
    # One generator per run, drawn in the Mesa model's layout: rng.random((b, L)) is the
    # same stream as b successive rng.random(L) calls.
    generators = [np.random.default_rng(seed) for seed in seeds]
    block = np.empty((len(seeds), DRAW_BLOCK, width))
    history: dict[str, list[np.ndarray]] = {name: [] for name in HISTORY_NAMES}
    if keep_history:
        for name, value in _snapshot(k).items():
            history[name].append(value)
    for s in range(1, steps + 1):
        fire_events(k, s)
        if (s - 1) % DRAW_BLOCK == 0:
            size = min(DRAW_BLOCK, steps - s + 1)
            for run, g in enumerate(generators):  # in place: no list of arrays to stack
                g.random(out=block[run, :size])
        k.state.draws[:] = block[:, (s - 1) % DRAW_BLOCK]
        step(k, s)
        interrupts.check()
        if keep_history:
            for name, value in _snapshot(k).items():
                history[name].append(value)
    return history


def run_batch(
    scenarios: Sequence[Scenario],
    seeds: Sequence[int],
    steps: int | Sequence[int],
    *,
    keep_history: bool = False,
) -> BatchResult:
    """Run ``len(scenarios)`` runs at once; run r is ``scenarios[r]`` with seed ``seeds[r]``.

    The scenarios may differ in numeric values (actors, dynamics, network weights, incident
    rates, strategy parameters, effect values) but must share their structure (actors,
    issues, roles, parties, vetoes, links, link pattern, events and their steps, incidents,
    strategy classes, protocols); ValueError otherwise. If a scenario's strategies cannot be
    stepped together (see :func:`supports`) the batch runs through the Mesa model one run at a
    time, with a one-line warning saying why.
    """
    scenarios = list(scenarios)
    seeds = [int(s) for s in seeds]
    r = len(scenarios)
    if len(seeds) != r:
        raise ValueError(f"{r} scenarios but {len(seeds)} seeds")
    if r == 0:
        raise ValueError("run_batch needs at least one scenario")
    step_list = step_counts(steps, scenarios)
    for sc in {id(sc): sc for sc in scenarios}.values():
        ok, reason = supports(sc)
        if not ok:
            warnings.warn(
                f"batch engine: running {r} runs through the Mesa model instead: {reason}",
                RuntimeWarning,
                stacklevel=2,
            )
            return _run_mesa(scenarios, seeds, step_list, keep_history)
    rows: list[dict[str, Any]] = [{} for _ in range(r)]
    finals = {name: [] for name in FINAL_NAMES}  # type: dict[str, list[tuple[np.ndarray, np.ndarray]]]
    parts: list[tuple[np.ndarray, dict[str, list[np.ndarray]]]] = []
    for value in sorted(set(step_list)):
        same = np.flatnonzero(np.array(step_list) == value)
        for idx in np.array_split(same, -(-same.size // RUN_BLOCK)):
            group = [scenarios[i] for i in idx]
            k = Kernel.from_scenarios(group)
            history = _run_kernel(k, [seeds[i] for i in idx], value, keep_history)
            for pos, row in zip(
                idx, summary_rows(k, group, [seeds[i] for i in idx], value), strict=True
            ):
                rows[pos] = row
            for name in FINAL_NAMES:
                finals[name].append((idx, getattr(k.state, name).copy()))
            parts.append((idx, history))
    final = {name: _place(finals[name], r) for name in FINAL_NAMES}
    stacked = None
    if keep_history:
        length = max(step_list) + 1
        stacked = {
            name: _pad([(idx, np.stack(h[name], axis=1)) for idx, h in parts], r, length)
            for name in HISTORY_NAMES
        }
    return BatchResult(rows, final, stacked, seeds, step_list, ["batch"] * r)


def _place(parts: list[tuple[np.ndarray, np.ndarray]], r: int) -> np.ndarray:
    sample = parts[0][1]
    out = np.zeros((r, *sample.shape[1:]), dtype=sample.dtype)
    for idx, arr in parts:
        out[idx] = arr
    return out


def _pad(arrays: list[tuple[np.ndarray, np.ndarray]], r: int, length: int) -> np.ndarray:
    """Stack per-part (idx, array (len(idx), T, ...)) into (r, length, ...), padded."""
    sample = arrays[0][1]
    fill: Any = -1 if sample.dtype.kind in "iu" else np.nan
    out = np.full((r, length, *sample.shape[2:]), fill, dtype=sample.dtype)
    for idx, arr in arrays:
        out[idx, : arr.shape[1]] = arr
    return out


def _run_mesa(
    scenarios: list[Scenario], seeds: list[int], step_list: list[int], keep_history: bool
) -> BatchResult:
    from lsr_sim.model import NegotiationModel

    r = len(scenarios)
    rows = []
    finals: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {k: [] for k in FINAL_NAMES}
    hist: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {name: [] for name in HISTORY_NAMES}
    for pos, (sc, seed, steps) in enumerate(zip(scenarios, seeds, step_list, strict=True)):
        model = NegotiationModel(sc, rng=seed)
        for _ in range(steps):
            model.run_for(1)
            interrupts.check()
        rows.append(summary_rows(model.kernel, [sc], [seed], steps)[0])
        for name in FINAL_NAMES:
            finals[name].append((np.array([pos]), getattr(model.kernel.state, name).copy()))
        if keep_history:
            for name in HISTORY_NAMES:
                arr = np.array(model.datacollector.model_vars[name])
                hist[name].append((np.array([pos]), arr[None]))
    history = None
    if keep_history:
        length = max(step_list) + 1
        history = {name: _pad(hist[name], r, length) for name in HISTORY_NAMES}
    final = {name: _place(finals[name], r) for name in FINAL_NAMES}
    return BatchResult(rows, final, history, seeds, step_list, ["mesa"] * r)
