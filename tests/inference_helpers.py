"""A tiny scenario whose one uncertain input sets the chance of an observable fact.

Two parties, no talks, no trust dynamics: the only thing that happens is a random incident
(rate ``incidents.strike.rate`` per weekly step) that lowers A's trust in B by 0.02. After 40
steps A's trust in B is ``1 - 0.02 N`` with N ~ Binomial(40, rate), so a fact "A's trust in
B lies in a band at the end" is a fact about N whose likelihood is known in closed form.
Shared by the inference test modules.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

STEPS = 40
DROP = 0.02
END = "2025-10-12"  # start + 40 weeks

COIN: dict[str, Any] = {
    "name": "coin",
    "description": "Trust drops by 0.02 with each incident; nothing else moves.",
    "run": {"start_date": "2025-01-05", "step_days": 7, "steps": STEPS, "seed": 3},
    "issues": {"talks": {"scale": {"low": "none", "high": "all"}, "parties": ["A", "B"]}},
    "actors": {
        "A": {
            "role": "principal",
            "capability": 0.5,
            "positions": {"talks": 0.2},
            "salience": {"talks": 1.0},
            "trust": {"B": 1.0},
        },
        "B": {
            "role": "principal",
            "capability": 0.5,
            "positions": {"talks": 0.8},
            "salience": {"talks": 1.0},
            "trust": {"A": 1.0},
        },
    },
    "incidents": {
        "strike": {
            "rate": 0.3,
            "effects": [{"type": "trust_shock", "from": ["A"], "to": ["B"], "delta": -DROP}],
        }
    },
    "dynamics": {
        "trust_gain_rate": 0.0,
        "trust_loss_rate": 0.0,
        "trust_decay": 0.0,
        "vouching_rate": 0.0,
        "direct_talks_rate": 0.0,
        "mediation_rate": 0.0,
    },
}


def count_fact(low: int, high: int) -> dict[str, Any]:
    """The fact "between `low` and `high` incidents happened by the end" (a trust band)."""
    return {
        "description": f"{low} to {high} incidents by the end",
        "date": END,
        "trust": {
            "truster": "A",
            "trustee": "B",
            "at_least": round(1 - DROP * high - DROP / 2, 10),
            "at_most": round(1 - DROP * low + DROP / 2, 10),
        },
    }


ALWAYS = {"date": END, "status": {"issue": "talks", "in": ["open"]}}


def coin(
    low: int = 10,
    high: int = 15,
    *,
    prior: dict[str, Any] | None = None,
    abc: dict[str, Any] | None = None,
    always: bool = True,
) -> dict[str, Any]:
    """The coin scenario with a calibration section: a count fact (and one that always holds)."""
    data = copy.deepcopy(COIN)
    facts: dict[str, Any] = {"strikes": count_fact(low, high)}
    if always:
        facts["talks_never_start"] = ALWAYS
    data["calibration"] = {
        "priors": {
            "incidents.strike.rate": prior or {"distribution": "uniform", "low": 0.0, "high": 1.0}
        },
        "observations": {"name": "coin_facts", "facts": facts},
        "abc": {"population": 100, "generations": 4, "seed": 1, "predictive_draws": 200}
        | (abc or {}),
    }
    return data


def write(data: dict[str, Any], folder: Path, name: str = "coin.yaml") -> Path:
    """Write a scenario mapping as YAML into `folder`."""
    path = folder / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path
