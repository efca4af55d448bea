"""How many of the calibration's facts each candidate model violates, over its prior predictive.

The model comparison of ``lsr-sim calibrate`` uses one common threshold; this table shows the
whole distribution, so that a reader can see whether any threshold would separate the models.
For each model (the baseline and calibration/trust_models.yaml), DRAWS parameter sets from its
priors, one run each: the share of runs violating at most k of the facts used, and the share
failing each of the facts that read trust or incidents. Run from the repository's root:

    .venv/bin/python calibration/violated_facts.py
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lsr_sim.experiment import derive_seeds
from lsr_sim.inference import (
    draw_prior,
    fact_distances,
    load_estimation,
    non_discriminating_facts,
    simulate_facts,
)

DRAWS = 1500
SEED = 5
SHOWN = [
    "beirut_distrusts_damascus",
    "damascus_distrusts_beirut",
    "july_agreement_survives",
    "clashes_before_jeddah",
    "few_clashes_after_jeddah",
]


def main() -> None:
    estimation = load_estimation(
        "scenarios/baseline.yaml", models_file="calibration/trust_models.yaml"
    )
    rng = np.random.default_rng(SEED)
    errors = {}
    for m, model in enumerate(estimation.models):
        draws = draw_prior(model, DRAWS, rng)
        seeds = np.asarray(derive_seeds(77 + m, DRAWS), dtype=np.uint64).reshape(-1, 1)
        requests = [(m, row) for row in draws.to_dict("records")]
        errors[model.name] = simulate_facts(estimation, requests, seeds).errors
    left_out = non_discriminating_facts(errors, estimation.observations)
    used = [f for f in estimation.observations.facts if f not in left_out]
    rows = []
    for name, table in errors.items():
        violated = fact_distances(table, estimation.settings.weights, used) * len(used)
        row: dict[str, object] = {"model": name}
        row |= {f"<= {k} violated": float(np.mean(violated <= k + 1e-9)) for k in range(4)}
        row |= {f"fails {f}": float((table[f] > 0).mean()) for f in SHOWN}
        rows.append(row)
    print(f"{DRAWS} prior draws per model, one run each; {len(used)} facts used")
    with pd.option_context("display.width", 250, "display.max_columns", 20):
        print(pd.DataFrame(rows).round(3).to_string(index=False))


if __name__ == "__main__":
    main()
