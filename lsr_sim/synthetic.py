"""Synthetic scenarios of any size, for scaling benchmarks and tests.

``synthetic_scenario(n_actors, n_issues, seed=...)`` builds a valid scenario with the same
ingredients as the baseline (principals, a mediator, a spoiler with vetoes, a backer, links,
a dated event and a random incident), with values drawn from a seeded generator.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from lsr_sim.scenario import Scenario, scenario_from_dict

__all__ = ["synthetic_data", "synthetic_scenario"]


def synthetic_data(
    n_actors: int,
    n_issues: int,
    *,
    seed: int = 0,
    parties_per_issue: int = 2,
    steps: int = 52,
) -> dict[str, Any]:
    """The mapping of a synthetic scenario (see :func:`synthetic_scenario`).

    Actor 0 mediates, actor 1 spoils (veto on every third issue), actor 2 backs the mediator
    and the others are principals; each issue is negotiated by `parties_per_issue`
    principals, chosen in turn. Needs ``n_actors >= 3 + parties_per_issue``.

    Examples
    --------
    >>> data = synthetic_data(6, 3, seed=1)
    >>> sorted(data["actors"])[:3], len(data["issues"])
    (['A00', 'A01', 'A02'], 3)
    """
    if parties_per_issue < 2:
        raise ValueError("parties_per_issue must be >= 2")
    if n_actors < 3 + parties_per_issue:
        raise ValueError(f"need at least {3 + parties_per_issue} actors, got {n_actors}")
    if n_issues < 1:
        raise ValueError("need at least one issue")
    rng = np.random.default_rng(seed)
    names = [f"A{i:02d}" for i in range(n_actors)]
    issues = [f"I{k:02d}" for k in range(n_issues)]
    principals = names[3:]
    mediator, spoiler, backer = names[0], names[1], names[2]

    issue_data: dict[str, Any] = {}
    for k, issue in enumerate(issues):
        parties = [principals[(k + j) % len(principals)] for j in range(parties_per_issue)]
        issue_data[issue] = {
            "scale": {"low": "nothing", "high": "everything"},
            "parties": parties,
            "veto_holders": [spoiler] if k % 3 == 0 else [],
            "linked_to": [issues[(k + 1) % n_issues]] if n_issues > 1 else [],
            "implementation_rate": 0.1,
            "quantities": {"units": {"total": 100.0, "unit": "units", "source": "synthetic"}},
        }

    def salience() -> dict[str, float]:
        raw = rng.random(n_issues) + 0.05
        values = np.round(raw / raw.sum(), 6)
        values[-1] = round(1.0 - float(values[:-1].sum()), 6)
        return {issue: float(v) for issue, v in zip(issues, values, strict=True)}

    roles = {mediator: "mediator", spoiler: "spoiler", backer: "backer"}
    strategies = {
        "mediator": {"name": "mediator"},
        "spoiler": {"name": "spoiler"},
        "backer": {"name": "backer"},
    }
    negotiators = ["boulware", "linear", "conceder", "tit_for_tat"]
    actors: dict[str, Any] = {}
    for i, name in enumerate(names):
        role = roles.get(name, "principal")
        positions = {issue: float(np.round(rng.random(), 3)) for issue in issues}
        if role == "spoiler":
            positions = dict.fromkeys(issues, 0.0)
        trust = {
            other: float(np.round(rng.uniform(0.1, 0.8), 3)) for other in names if other != name
        }
        actors[name] = {
            "role": role,
            "capability": float(np.round(rng.uniform(0.2, 0.9), 3)),
            "positions": positions,
            "salience": salience(),
            "trust": trust,
            "reliability": float(np.round(rng.uniform(0.6, 0.95), 3)),
            "resolve": float(np.round(rng.uniform(0.2, 0.7), 3)),
            "reservation": float(np.round(rng.uniform(0.05, 0.3), 3)),
            "strategy": strategies.get(role, {"name": negotiators[i % len(negotiators)]}),
        }

    network: dict[str, Any] = {
        "channel": {p: {q: 0.5 for q in principals if q != p} for p in principals},
        "mediation": {mediator: dict.fromkeys(principals, 0.8)},
        "patronage": {backer: {mediator: 0.8}},
        "pressure": {spoiler: dict.fromkeys(principals[::2], 0.6)},
    }
    start = dt.date(2025, 1, 5)
    return {
        "name": f"synthetic_{n_actors}x{n_issues}",
        "description": "Synthetic scenario for scaling benchmarks.",
        "run": {"start_date": start.isoformat(), "step_days": 7, "steps": steps, "seed": seed},
        "actors": actors,
        "issues": issue_data,
        "network": network,
        "events": {
            "opening": {
                "date": (start + dt.timedelta(days=20)).isoformat(),
                "kind": "meeting",
                "source": "synthetic",
                "effects": [{"type": "convene", "issues": issues[:2], "mediator": mediator}],
            }
        },
        "incidents": {
            "clash": {
                "rate": 0.05,
                "spoiler_driven": True,
                "effects": [
                    {
                        "type": "trust_shock",
                        "from": principals[:1],
                        "to": principals[1:2],
                        "delta": -0.05,
                    }
                ],
            }
        },
    }


def synthetic_scenario(
    n_actors: int,
    n_issues: int,
    *,
    seed: int = 0,
    parties_per_issue: int = 2,
    steps: int = 52,
) -> Scenario:
    """A valid synthetic scenario with `n_actors` actors and `n_issues` issues.

    Examples
    --------
    >>> sc = synthetic_scenario(8, 4, seed=2, parties_per_issue=3)
    >>> len(sc.actors), len(sc.issues), len(sc.issues["I00"].parties)
    (8, 4, 3)
    """
    data = synthetic_data(
        n_actors, n_issues, seed=seed, parties_per_issue=parties_per_issue, steps=steps
    )
    return scenario_from_dict(data, f"synthetic({n_actors}, {n_issues})")
