"""The simulator of the estimation: many parameter sets of many models in one ensemble call.

:func:`simulate_facts` turns a list of (model, parameter set) requests into fact outcomes,
``replications`` runs each, stepping every run together through
:func:`lsr_sim.experiment.run_many` (the batch engine steps scenarios that differ only in
numbers as one batch). :func:`fact_distances` scores each run against the facts jointly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lsr_sim.experiment import run_many
from lsr_sim.inference.spec import CandidateModel, Estimation, scipy_prior
from lsr_sim.observations import fact_outcomes
from lsr_sim.scenario import Scenario, scenario_from_dict
from lsr_sim.scenario.facts import Observations
from lsr_sim.scenario.paths import apply_parameters

__all__ = [
    "FactRuns",
    "draw_prior",
    "fact_distances",
    "fact_errors",
    "prior_logpdf",
    "simulate_facts",
]

#: Runs stepped by one ensemble call at most (memory of the kept histories).
MAX_RUNS_PER_CALL = 2048


def fact_errors(
    table: pd.DataFrame, observations: Observations, scales: Mapping[str, float] | None = None
) -> pd.DataFrame:
    """How far each run is from each fact, in [0, 1]: 0 where it holds, 1 where it fails.

    A yes/no fact gives 0 or 1; a measured amount gives its absolute error divided by its
    scale (default ``max(|observed|, 1)``), capped at 1: an amount off by its scale or more
    counts as one violated fact.

    Examples
    --------
    >>> from lsr_sim.scenario.facts import Observations
    >>> obs = Observations.model_validate({"name": "x", "facts": {
    ...     "deal": {"date": "2025-01-01", "agreed": {"issue": "a", "by_then": True}},
    ...     "freed": {"date": "2025-01-01",
    ...               "delivered": {"issue": "a", "quantity": "q", "value": 100.0}}}})
    >>> table = pd.DataFrame({"deal": [True, False, True], "freed": [100.0, 50.0, 400.0]})
    >>> fact_errors(table, obs)
       deal  freed
    0   0.0    0.0
    1   1.0    0.5
    2   0.0    1.0
    """
    scales = scales or {}
    out = {}
    for name, fact in observations.facts.items():
        values = table[name].to_numpy()
        if fact.measured:
            assert fact.delivered is not None and fact.delivered.value is not None
            observed = fact.delivered.value
            scale = scales.get(name, max(abs(observed), 1.0))
            error = np.abs(values.astype(float) - observed) / scale
            out[name] = np.minimum(np.nan_to_num(error, nan=1.0), 1.0)
        else:
            out[name] = np.where(values.astype(bool), 0.0, 1.0)
    return pd.DataFrame(out, index=table.index)


def fact_distances(
    errors: pd.DataFrame, weights: Mapping[str, float] | None = None, facts: Sequence[str] = ()
) -> np.ndarray:
    """The joint distance of each run to the facts: the weighted share of facts it violates.

    0 means the run meets every fact (every measured amount exactly), 1 that it fails every
    one. `facts` picks the facts that count (default all columns); `weights` maps fact names
    to weights (default 1).

    Examples
    --------
    >>> errors = pd.DataFrame({"a": [0.0, 1.0, 1.0], "b": [0.0, 0.0, 1.0]})
    >>> fact_distances(errors)
    array([0. , 0.5, 1. ])
    >>> fact_distances(errors, {"a": 3.0})
    array([0.  , 0.75, 1.  ])
    >>> fact_distances(errors, facts=["b"])
    array([0., 0., 1.])
    """
    names = list(facts) or list(errors.columns)
    weights = weights or {}
    w = np.array([weights.get(name, 1.0) for name in names], dtype=float)
    return errors[names].to_numpy(dtype=float) @ w / w.sum()


def draw_prior(model: CandidateModel, size: int, rng: np.random.Generator) -> pd.DataFrame:
    """`size` parameter sets drawn from a model's priors (one column per path)."""
    from scipy import stats

    out = {}
    for path, prior in model.priors.items():
        name, args = scipy_prior(prior)
        out[path] = getattr(stats, name)(*args).rvs(size=size, random_state=rng)
    return pd.DataFrame(out, index=pd.RangeIndex(size), columns=model.parameters)


def prior_logpdf(model: CandidateModel, draws: pd.DataFrame) -> np.ndarray:
    """The log prior density of each row of `draws` (independent priors)."""
    from scipy import stats

    total = np.zeros(len(draws))
    for path, prior in model.priors.items():
        name, args = scipy_prior(prior)
        total += getattr(stats, name)(*args).logpdf(draws[path].to_numpy(dtype=float))
    return total


@dataclass
class FactRuns:
    """Fact outcomes of simulated parameter sets.

    Attributes
    ----------
    outcomes : DataFrame
        One row per run: ``request`` (the index of its parameter set), ``replication``,
        ``seed``, then one column per fact (True/False, or the measured amount).
    errors : DataFrame
        :func:`fact_errors` of each run (same rows).
    """

    outcomes: pd.DataFrame
    errors: pd.DataFrame

    def distances(
        self, replications: int, weights: Mapping[str, float] | None, facts: Sequence[str]
    ) -> np.ndarray:
        """Joint distances as an array (parameter sets, replications)."""
        d = fact_distances(self.errors, weights, facts)
        return d.reshape(-1, replications)


def _scenario(
    model: CandidateModel, data: Mapping[str, object], params: Mapping[str, float]
) -> Scenario:
    if not params:
        return model.scenario
    return scenario_from_dict(apply_parameters(data, params), model.name)


def simulate_facts(
    estimation: Estimation,
    requests: Sequence[tuple[int, Mapping[str, float]]],
    seeds: np.ndarray,
) -> FactRuns:
    """Run each requested (model index, parameter set) `seeds.shape[1]` times; facts of each run.

    Parameters
    ----------
    estimation : Estimation
        The models and facts.
    requests : sequence of (int, mapping)
        Model index (into ``estimation.models``) and its parameter values by dotted path.
    seeds : array of int, shape (len(requests), replications)
        The seed of each run.

    Returns
    -------
    FactRuns
        Outcomes and errors, ordered by request, then replication.
    """
    seeds = np.asarray(seeds, dtype=np.uint64)
    replications = seeds.shape[1]
    dumps = {}
    scenarios: list[Scenario] = []
    for m, params in requests:
        model = estimation.models[m]
        if m not in dumps:
            dumps[m] = model.scenario.model_dump(mode="json", by_alias=True, exclude_unset=True)
        scenarios.append(_scenario(model, dumps[m], params))
    run_scenarios = [sc for sc in scenarios for _ in range(replications)]
    run_seeds = [int(s) for s in seeds.ravel()]
    model_of_run = np.repeat([m for m, _ in requests], replications)
    tables = []
    for start in range(0, len(run_seeds), MAX_RUNS_PER_CALL):
        chunk = slice(start, start + MAX_RUNS_PER_CALL)
        ensemble = run_many(run_scenarios[chunk], run_seeds[chunk], estimation.steps, history=True)
        assert ensemble.history is not None
        first = ensemble.final["first_agreed"]
        models = model_of_run[chunk]
        part = pd.DataFrame(
            index=pd.RangeIndex(len(models)), columns=list(estimation.observations.facts)
        )
        for m in np.unique(models):
            rows = np.flatnonzero(models == m)
            history = {name: values[rows] for name, values in ensemble.history.items()}
            table = fact_outcomes(
                estimation.observations, estimation.models[m].scenario, history, first[rows]
            )
            part.iloc[rows] = table.to_numpy(dtype=object)
        tables.append(part)
    facts = pd.concat(tables, ignore_index=True)
    for name, fact in estimation.observations.facts.items():
        facts[name] = facts[name].astype(float if fact.measured else bool)
    outcomes = pd.concat(
        [
            pd.DataFrame(
                {
                    "request": np.repeat(np.arange(len(requests)), replications),
                    "replication": np.tile(np.arange(replications), len(requests)),
                    "seed": seeds.ravel(),
                }
            ),
            facts,
        ],
        axis=1,
    )
    errors = fact_errors(facts, estimation.observations, estimation.settings.scales)
    return FactRuns(outcomes, errors)
