"""Estimation of uncertain inputs from dated facts, and model comparison (ABC).

A scenario's ``calibration`` section declares priors over inputs (dotted paths), the
observed facts and ABC settings; :func:`load_estimation` checks them with the candidate
models, :func:`estimate` runs ABC-SMC (pyabc, with the batch engine as a batched simulator),
ABC model choice and predictive checks, and :func:`write_estimation` writes the folder.
pyabc, arviz and greenlet are an optional extra: ``pip install 'lsr_sim[inference]'``.
"""

from lsr_sim.inference.compare import (
    NOT_EVIDENCE,
    fact_shares,
    model_choice,
    non_discriminating_facts,
)
from lsr_sim.inference.run import (
    EstimationResult,
    estimate,
    format_estimation,
    require_inference_libraries,
    write_estimation,
)
from lsr_sim.inference.simulate import (
    FactRuns,
    draw_prior,
    fact_distances,
    fact_errors,
    simulate_facts,
)
from lsr_sim.inference.spec import (
    CandidateModel,
    Estimation,
    estimation_from_scenario,
    load_estimation,
    load_models_file,
    parse_model_option,
)

__all__ = [
    "NOT_EVIDENCE",
    "CandidateModel",
    "Estimation",
    "EstimationResult",
    "FactRuns",
    "draw_prior",
    "estimate",
    "estimation_from_scenario",
    "fact_distances",
    "fact_errors",
    "fact_shares",
    "format_estimation",
    "load_estimation",
    "load_models_file",
    "model_choice",
    "non_discriminating_facts",
    "parse_model_option",
    "require_inference_libraries",
    "simulate_facts",
    "write_estimation",
]
