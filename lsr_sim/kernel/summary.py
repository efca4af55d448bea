"""A run's summary indicators, from its final state alone (one function for both engines)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lsr_sim.dynamics.status import STATUS_NAMES
from lsr_sim.model.compiled import CompiledScenario

if TYPE_CHECKING:
    from lsr_sim.kernel.core import Kernel
    from lsr_sim.scenario import Scenario

__all__ = ["summary_columns", "summary_rows"]

_COUNTS = ("agreements", "implemented", "collapsed", "incidents", "vetoes")


def _principal_pairs(c: CompiledScenario) -> list[tuple[int, int]]:
    principals = [i for i, role in enumerate(c.roles) if role == "principal"]
    return [(i, j) for i in principals for j in principals if i != j]


def summary_columns(c: CompiledScenario, *, numeric: bool = True) -> list[str]:
    """Names of the summary indicators of a run of the compiled scenario `c`, in order.

    They depend on the scenario (one column per issue, quantity and pair of principals);
    ``numeric=True`` leaves out the text columns (``scenario``, ``status_*``) and the run's
    identity (``seed``, ``steps``) and date (``end_date``).

    Examples
    --------
    >>> from lsr_sim.model import compile_scenario
    >>> from lsr_sim.scenario import load_scenario
    >>> c = compile_scenario(load_scenario("scenarios/baseline.yaml"))
    >>> summary_columns(c)[:4]
    ['rapprochement_index', 'mean_trust', 'agreements', 'implemented']
    """
    head = ["rapprochement_index", "mean_trust", *_COUNTS]
    trust = [f"trust_{c.actors[i]}_{c.actors[j]}" for i, j in _principal_pairs(c)]
    per_issue = []
    for issue in c.issues:
        per_issue.append(f"weeks_to_agreement_{issue}")
        if not numeric:
            per_issue.append(f"status_{issue}")
    delivered = [f"delivered_{c.issues[q.issue]}_{q.name}" for q in c.quantities]
    if numeric:
        return [*head, *trust, *per_issue, *delivered]
    return ["scenario", "seed", "steps", "end_date", *head, *trust, *per_issue, *delivered]


def summary_rows(
    k: Kernel, scenarios: Sequence[Scenario], seeds: Sequence[int], steps: int
) -> list[dict[str, Any]]:
    """One summary row per run of the kernel (after `steps` steps), keyed as
    :func:`summary_columns` with ``numeric=False``."""
    from lsr_sim.kernel.core import mean_trust, rapprochement

    s = k.state
    c = k.structure.compiled
    rapp = rapprochement(k)
    mean = mean_trust(k)
    pairs = _principal_pairs(c)
    counts = (s.n_agreements, s.n_implemented, s.n_collapsed, s.n_incidents, s.n_vetoes)
    rows = []
    for r, sc in enumerate(scenarios):
        row: dict[str, Any] = {
            "scenario": sc.name,
            "seed": int(seeds[r]),
            "steps": int(steps),
            "end_date": pd.Timestamp(sc.run.date_of(steps)),
            "rapprochement_index": float(rapp[r]),
            "mean_trust": float(mean[r]),
        }
        for name, values in zip(_COUNTS, counts, strict=True):
            row[name] = int(values[r])
        for i, j in pairs:
            row[f"trust_{c.actors[i]}_{c.actors[j]}"] = float(s.trust[r, i, j])
        for issue_index, issue in enumerate(c.issues):
            first = int(s.first_agreed[r, issue_index])
            row[f"weeks_to_agreement_{issue}"] = (
                first * sc.run.step_days / 7 if first >= 0 else np.nan
            )
            row[f"status_{issue}"] = STATUS_NAMES[s.status[r, issue_index]]
        for q, spec in enumerate(c.quantities):
            row[f"delivered_{c.issues[spec.issue]}_{spec.name}"] = float(s.delivered[r, q])
        rows.append(row)
    return rows
