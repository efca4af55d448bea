"""Inertness audit: which inputs change no outcome at all.

Each input is set to two values (the ends of its range) with everything else as in the
scenario, and the two are run with the same seeds. Runs share their random draws (one
generator per run, drawn up front per step), so an input that no rule reads gives
*bitwise identical* outcomes, and the audit can say "no effect" without a tolerance. An input
whose outcomes differ in any run is read; one whose outcomes never differ over the seeds is
reported with the outcomes it left unchanged. The audit says nothing about effect sizes (that
is the sensitivity analysis, ``lsr-sim sensitivity``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from lsr_sim.experiment import derive_seeds, run_many
from lsr_sim.scenario import Scenario
from lsr_sim.scenario.paths import override_scenario
from lsr_sim.whatif import what_if_outcomes

__all__ = ["InputEffect", "audit_inputs"]


@dataclass(frozen=True)
class InputEffect:
    """What changing one input did.

    Attributes
    ----------
    path : str
        The input's dotted path.
    low, high : float
        The two values compared.
    changed : tuple of str
        The outcomes that differed in at least one run (empty: the input is inert here).
    """

    path: str
    low: float
    high: float
    changed: tuple[str, ...]

    @property
    def inert(self) -> bool:
        """No outcome differed in any run."""
        return not self.changed


def audit_inputs(
    scenario: Scenario,
    inputs: Iterable[tuple[str, float, float]],
    *,
    runs: int = 8,
    seed: int = 0,
    steps: int | None = None,
) -> list[InputEffect]:
    """Run each input at its two values with the same seeds; report the outcomes it changed.

    Parameters
    ----------
    scenario : Scenario
        The configuration audited.
    inputs : iterable of (path, low, high)
        Dotted paths (as in sweep files) and the two values to compare, each valid for the
        scenario (for example the ranges of :func:`lsr_sim.sweep.inputs.free_inputs`).
    runs : int
        Seeds per value: ``derive_seeds(seed, runs)``, the same for every input and value.
    seed : int
        Master seed.
    steps : int, optional
        Steps per run (default the scenario's ``run.steps``).

    Returns
    -------
    list of InputEffect
        In the order of `inputs`. Outcomes are those of :func:`lsr_sim.what_if_outcomes`
        (every numeric summary column, and each issue agreed and implemented).

    Examples
    --------
    >>> from lsr_sim.scenario import load_scenario
    >>> baseline = load_scenario("scenarios/baseline.yaml")
    >>> found = audit_inputs(baseline, [("dynamics.trust_decay", 0.0, 0.05),
    ...                                 ("dynamics.betrayal_weight", 1.0, 4.0)], runs=4)
    >>> [(e.path, e.inert) for e in found]  # the evidence model never reads trust_decay
    [('dynamics.trust_decay', True), ('dynamics.betrayal_weight', False)]
    """
    listed = [(str(p), float(lo), float(hi)) for p, lo, hi in inputs]
    if not listed:
        return []
    members = [
        override_scenario(scenario, {path: value}, path)
        for path, low, high in listed
        for value in (low, high)
    ]
    seeds = derive_seeds(seed, runs)
    all_seeds: Sequence[int] = seeds * len(members)
    all_members = [m for m in members for _ in range(runs)]
    outcomes = what_if_outcomes(run_many(all_members, all_seeds, steps).summary)
    values = outcomes.to_numpy(dtype=float).reshape(len(listed), 2, runs, -1)
    names = list(outcomes.columns)
    found = []
    for i, (path, low, high) in enumerate(listed):
        a, b = values[i, 0], values[i, 1]
        same = (a == b) | (np.isnan(a) & np.isnan(b))
        changed = tuple(name for j, name in enumerate(names) if not same[:, j].all())
        found.append(InputEffect(path, low, high, changed))
    return found
