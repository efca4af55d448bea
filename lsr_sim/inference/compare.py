"""Model comparison by ABC model choice, and the facts that cannot tell models apart.

Each candidate model's prior predictive (parameter sets drawn from its priors, each run
``replications`` times) is scored against the facts; at a common threshold epsilon (the
smallest distance that lets at least 10 runs of all models through, see
:func:`common_threshold`: 0 whenever that many runs meet every fact), a
model's ABC evidence is the share of its prior-predictive runs within epsilon (an estimate
of P(distance <= epsilon | model)), its posterior probability is its evidence over the sum
(equal prior odds), and the Bayes factor of two models is the ratio of their evidences.
Monte Carlo uncertainty comes from resampling the parameter sets (a bootstrap); a model
with no run within epsilon gets the rule of three (evidence below 3 / draws) as its upper
bound instead of the bootstrap's [0, 0].

A fact that holds in every prior-predictive run of every model (or in none) cannot
discriminate between them: :func:`non_discriminating_facts` finds such facts so that the
distance leaves them out. A calibration pattern that no plausible alternative can fail is
not evidence.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from lsr_sim.scenario.facts import Observations

__all__ = [
    "MIN_WITHIN",
    "NOT_EVIDENCE",
    "common_threshold",
    "fact_shares",
    "joint_shares",
    "model_choice",
    "non_discriminating_facts",
]

NOT_EVIDENCE = "a calibration pattern that no plausible alternative can fail is not evidence"

#: Prior-predictive runs (all models together) the common threshold must let through.
MIN_WITHIN = 10


def common_threshold(distances: Mapping[str, np.ndarray], minimum: int = MIN_WITHIN) -> float:
    """The smallest distance within which at least `minimum` runs of all models fall together.

    0 (every fact met) when enough runs meet every fact; larger when the facts are hard for
    every model. The same threshold for every model is what makes their evidences comparable.

    Examples
    --------
    >>> common_threshold({"a": np.array([[0.0, 0.5], [1.0, 0.5]]), "b": np.array([[0.5]])}, 2)
    0.5
    >>> common_threshold({"a": np.zeros((3, 1))}, 2)
    0.0
    """
    pooled = np.sort(
        np.concatenate([np.asarray(d, dtype=float).ravel() for d in distances.values()])
    )
    if not pooled.size:
        raise ValueError("no prior-predictive runs to choose a threshold from")
    return float(pooled[min(minimum, pooled.size) - 1])


def fact_shares(outcomes: pd.DataFrame, observations: Observations) -> dict[str, float]:
    """The share of runs meeting each yes/no fact; the mean of each measured amount.

    Examples
    --------
    >>> obs = Observations.model_validate({"name": "x", "facts": {
    ...     "deal": {"date": "2025-01-01", "agreed": {"issue": "a", "by_then": True}}}})
    >>> fact_shares(pd.DataFrame({"deal": [True, False, True, True]}), obs)
    {'deal': 0.75}
    """
    return {name: float(outcomes[name].astype(float).mean()) for name in observations.facts}


def non_discriminating_facts(
    errors_by_model: Mapping[str, pd.DataFrame], observations: Observations
) -> dict[str, str]:
    """The facts no model can fail, or none can meet, with the reason for each.

    `errors_by_model` holds each model's prior-predictive :func:`fact_errors` (one row per
    run). A fact whose error is the same in every run of every model (0: it always holds;
    1: it never does; for a measured amount, any one value) cannot discriminate.

    Examples
    --------
    >>> obs = Observations.model_validate({"name": "x", "facts": {
    ...     "a": {"date": "2025-01-01", "agreed": {"issue": "i", "by_then": True}},
    ...     "b": {"date": "2025-01-01", "agreed": {"issue": "j", "by_then": True}},
    ...     "c": {"date": "2025-01-01", "agreed": {"issue": "k", "by_then": True}}}})
    >>> m1 = pd.DataFrame({"a": [0.0, 0.0], "b": [0.0, 1.0], "c": [1.0, 1.0]})
    >>> m2 = pd.DataFrame({"a": [0.0, 0.0], "b": [0.0, 0.0], "c": [1.0, 1.0]})
    >>> sorted(non_discriminating_facts({"m1": m1, "m2": m2}, obs))
    ['a', 'c']
    """
    out: dict[str, str] = {}
    models = list(errors_by_model)
    for name, fact in observations.facts.items():
        values = np.concatenate([errors_by_model[m][name].to_numpy(float) for m in models])
        if values.size == 0 or np.ptp(values) > 0:
            continue
        which = "every model" if len(models) > 1 else f"model {models[0]!r}"
        if fact.measured:
            out[name] = f"the same error ({values[0]:.3g}) in every run of {which}"
        elif values[0] == 0:
            out[name] = f"holds in every prior-predictive run of {which}"
        else:
            out[name] = f"holds in no prior-predictive run of {which}"
    return out


def model_choice(
    distances: Mapping[str, np.ndarray],
    epsilon: float,
    *,
    free_parameters: Mapping[str, int] | None = None,
    reference: str | None = None,
    bootstrap: int = 2000,
    rng: np.random.Generator | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Posterior model probabilities and Bayes factors at a common threshold.

    Parameters
    ----------
    distances : mapping
        Model name -> prior-predictive joint distances, shape (parameter sets, replications).
    epsilon : float
        The common threshold.
    free_parameters : mapping, optional
        Model name -> number of free inputs (shown in the table).
    reference : str, optional
        The model Bayes factors are against (default the first).
    bootstrap : int
        Resamples of each model's parameter sets for the intervals.
    rng : numpy Generator, optional
        For the bootstrap (default seeded with 0).
    level : float
        Coverage of the intervals.

    Returns
    -------
    DataFrame
        One row per model: ``model``, ``free_parameters``, ``draws``, ``runs``,
        ``within`` (runs within epsilon), ``evidence`` and ``evidence_se``,
        ``probability`` with ``probability_low``/``_high``, ``bayes_factor`` (against the
        reference) with ``bayes_factor_low``/``_high``, and ``epsilon``.

    Examples
    --------
    >>> d = {"a": np.array([[0.0], [0.0], [0.5], [0.0]]), "b": np.array([[0.0], [0.5]] * 2)}
    >>> table = model_choice(d, 0.0, bootstrap=200)
    >>> table[["model", "within", "evidence", "probability", "bayes_factor"]]
      model  within  evidence  probability  bayes_factor
    0     a       3      0.75          0.6           1.0
    1     b       2      0.50          0.4      0.666667
    """
    rng = rng if rng is not None else np.random.default_rng(0)
    names = list(distances)
    reference = names[0] if reference is None else reference
    per_draw = {m: (np.asarray(distances[m]) <= epsilon + 1e-12).mean(axis=1) for m in names}
    evidence = np.array([per_draw[m].mean() for m in names])
    se = np.array(
        [
            per_draw[m].std(ddof=1) / np.sqrt(len(per_draw[m])) if len(per_draw[m]) > 1 else np.nan
            for m in names
        ]
    )
    boot = np.stack(
        [
            per_draw[m][rng.integers(0, len(per_draw[m]), size=(bootstrap, len(per_draw[m])))].mean(
                axis=1
            )
            for m in names
        ],
        axis=1,
    )  # (bootstrap, models)
    total = evidence.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        probability = evidence / total if total > 0 else np.full(len(names), np.nan)
        boot_p = boot / boot.sum(axis=1, keepdims=True)
        r = names.index(reference)
        bf = evidence / evidence[r]
        boot_bf = boot / boot[:, [r]]
    tail = (1 - level) / 2 * 100
    low_p, high_p = (
        np.nanpercentile(boot_p, [tail, 100 - tail], axis=0)
        if total > 0
        else (probability, probability)
    )
    finite = np.where(np.isfinite(boot_bf), boot_bf, np.nan)
    if evidence[r] > 0:
        low_bf, high_bf = np.nanpercentile(finite, [tail, 100 - tail], axis=0)
    else:
        low_bf = high_bf = np.full(len(names), np.nan)
    high_p, high_bf = np.array(high_p, dtype=float), np.array(high_bf, dtype=float)
    # A model with no run within epsilon: the bootstrap says [0, 0], which hides the Monte
    # Carlo error. Its evidence is below 3 / draws with 95% confidence (the rule of three,
    # over parameter sets), which bounds its probability and Bayes factor from above.
    for i, m in enumerate(names):
        if evidence[i] == 0 and len(per_draw[m]):
            upper = 3.0 / len(per_draw[m])
            high_p[i] = upper / (upper + total) if total > 0 else np.nan
            if evidence[r] > 0:
                high_bf[i] = upper / evidence[r]
    free = free_parameters or {}
    return pd.DataFrame(
        {
            "model": names,
            "free_parameters": [int(free.get(m, 0)) for m in names],
            "draws": [len(per_draw[m]) for m in names],
            "runs": [int(np.asarray(distances[m]).size) for m in names],
            "within": [int((np.asarray(distances[m]) <= epsilon + 1e-12).sum()) for m in names],
            "evidence": evidence,
            "evidence_se": se,
            "probability": probability,
            "probability_low": low_p,
            "probability_high": high_p,
            "bayes_factor": bf,
            "bayes_factor_low": low_bf,
            "bayes_factor_high": high_bf,
            "epsilon": epsilon,
        }
    )


def joint_shares(distances: Sequence[np.ndarray] | np.ndarray, epsilon: float = 0.0) -> float:
    """The share of runs whose joint distance is within `epsilon` (0: meeting every fact)."""
    d = np.asarray(distances, dtype=float)
    return float((d <= epsilon + 1e-12).mean())
