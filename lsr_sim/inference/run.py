"""The estimation end to end: prior predictive, ABC-SMC, model choice, predictive checks.

:func:`estimate` runs, in this order, with seeds all derived from ``abc.seed``:

1. the prior predictive of every candidate model (``predictive_draws`` parameter sets from
   its priors, ``replications`` runs each): the facts that hold in every run of every model
   (or in none) cannot discriminate and are left out of the distance;
2. ABC-SMC (pyabc) over the scenario's own priors, the distance being the weighted share of
   facts a run violates (measured amounts as scaled absolute errors), jointly;
3. ABC model choice from the prior predictives, at a common threshold: the smallest
   distance that lets at least 10 of their runs through (0, every fact met, when it can),
   or ``abc.threshold``;
4. posterior predictive checks: ``predictive_draws`` runs from posterior draws, the share
   in which each fact holds, against the prior predictive.

:func:`write_estimation` writes the tables (posterior samples as Parquet), figures and a
manifest into a folder, atomically; :func:`format_estimation` is the text the command
prints.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lsr_sim.atomic import write_csv_tables, write_folder_atomic
from lsr_sim.errors import InputError
from lsr_sim.experiment import environment
from lsr_sim.inference.compare import (
    NOT_EVIDENCE,
    common_threshold,
    model_choice,
    non_discriminating_facts,
)
from lsr_sim.inference.simulate import FactRuns, draw_prior, fact_distances, simulate_facts
from lsr_sim.inference.spec import Estimation
from lsr_sim.scenario import scenario_hash
from lsr_sim.scenario.estimation import Prior

__all__ = [
    "EstimationResult",
    "describe_prior",
    "estimate",
    "format_estimation",
    "require_inference_libraries",
    "write_estimation",
]

HDI_PROB = 0.9
RESAMPLED_DRAWS = 4000


def require_inference_libraries(what: str = "lsr-sim calibrate --out") -> None:
    """Raise :class:`InputError` with the install line if pyabc, arviz or greenlet is absent."""
    for name in ("pyabc", "arviz", "greenlet", "pyarrow"):
        try:
            __import__(name)
        except ImportError:
            raise InputError(
                "command line",
                "calibrate",
                f"{what} needs pyabc, arviz, greenlet and pyarrow ({name} is missing): "
                "pip install 'lsr_sim[inference]'",
            ) from None


def describe_prior(prior: Prior) -> str:
    """A prior in a few characters.

    Examples
    --------
    >>> describe_prior(Prior(distribution="uniform", low=0.0, high=0.2))
    'uniform(0, 0.2)'
    >>> describe_prior(Prior(distribution="truncnorm", mean=1.0, sd=0.3, low=0.0))
    'truncnorm(1, 0.3; 0, inf)'
    """

    def n(x: float) -> str:
        return f"{x:.4g}"

    lo, hi = prior.support
    kind = prior.distribution
    if kind in ("uniform", "loguniform"):
        return f"{kind}({n(lo)}, {n(hi)})"
    if kind == "normal":
        return f"normal({n(prior.mean or 0.0)}, {n(prior.sd or 0.0)})"
    if kind == "truncnorm":
        return f"truncnorm({n(prior.mean or 0.0)}, {n(prior.sd or 0.0)}; {n(lo)}, {n(hi)})"
    ends = "" if (lo, hi) == (0.0, 1.0) else f"; {n(lo)}, {n(hi)}"
    return f"beta({n(prior.a or 0.0)}, {n(prior.b or 0.0)}{ends})"


@dataclass
class EstimationResult:
    """Everything :func:`estimate` found (tables are pandas DataFrames).

    Attributes
    ----------
    estimation : Estimation
        What was estimated.
    posterior : DataFrame
        The last generation's particles: one column per parameter, ``weight`` (sums to 1).
    generations : DataFrame
        Threshold, simulations, acceptance rate and ESS of each ABC-SMC generation.
    epsilon : float
        The last generation's threshold.
    summary : DataFrame
        Per parameter: prior, scenario value, posterior mean, sd, 90% HDI, ESS.
    facts : DataFrame
        Per fact: kind, date, observed, weight, whether the distance used it and why not.
    predictive : DataFrame
        Per fact: prior- and posterior-predictive share (the mean, for a measured amount);
        then the share meeting every yes/no fact used, and the share within the final
        threshold.
    comparison : DataFrame
        :func:`lsr_sim.inference.compare.model_choice` of the candidate models (its
        ``epsilon`` column is the common threshold).
    excluded : dict
        Facts left out of the distance, with the reason.
    prior_draws, posterior_draws : DataFrame
        Unweighted draws of the scenario's parameters (for figures and summaries).
    seconds : float
        Wall time.
    simulations : int
        Runs of the model, all stages together.
    history_db : bytes
        pyabc's history (an SQLite database), for ``pyabc.History``.
    """

    estimation: Estimation
    posterior: pd.DataFrame
    generations: pd.DataFrame
    epsilon: float
    summary: pd.DataFrame
    facts: pd.DataFrame
    predictive: pd.DataFrame
    comparison: pd.DataFrame
    excluded: dict[str, str]
    prior_draws: pd.DataFrame
    posterior_draws: pd.DataFrame
    seconds: float
    simulations: int
    history_db: bytes = field(default=b"", repr=False)


class _Runs:
    """Simulations with seeds from one generator, counted."""

    def __init__(self, estimation: Estimation, rng: np.random.Generator, counter: list[int]):
        self.estimation = estimation
        self.rng = rng
        self.counter = counter

    def __call__(
        self, requests: Sequence[tuple[int, dict[str, float]]], replications: int
    ) -> FactRuns:
        seeds = self.rng.integers(0, 2**63, size=(len(requests), replications), dtype=np.uint64)
        self.counter[0] += seeds.size
        return simulate_facts(self.estimation, requests, seeds)


def _requests(m: int, draws: pd.DataFrame) -> list[tuple[int, dict[str, float]]]:
    return [(m, {k: float(v) for k, v in row.items()}) for row in draws.to_dict("records")]


def _resample(posterior: pd.DataFrame, size: int, rng: np.random.Generator) -> pd.DataFrame:
    weights = posterior["weight"].to_numpy(dtype=float)
    rows = rng.choice(len(posterior), size=size, replace=True, p=weights / weights.sum())
    return posterior.drop(columns="weight").iloc[rows].reset_index(drop=True)


def _facts_table(estimation: Estimation, excluded: dict[str, str]) -> pd.DataFrame:
    rows = []
    for name, fact in estimation.observations.facts.items():
        observed: Any = True
        if fact.measured:
            assert fact.delivered is not None
            observed = fact.delivered.value
        rows.append(
            {
                "fact": name,
                "kind": "measured" if fact.measured else fact.kind,
                "date": fact.date.isoformat(),
                "description": fact.description,
                "observed": observed,
                "weight": estimation.settings.weights.get(name, 1.0),
                "used": name not in excluded,
                "note": f"{excluded[name]}: {NOT_EVIDENCE}" if name in excluded else "",
            }
        )
    return pd.DataFrame(rows)


def _summary(estimation: Estimation, draws: pd.DataFrame, posterior: pd.DataFrame) -> pd.DataFrame:
    import arviz as az

    from lsr_sim.inference.particles import kish_ess
    from lsr_sim.scenario.paths import resolve_path

    model = estimation.models[0]
    tree = az.from_dict({"posterior": {c: draws[c].to_numpy()[None, :] for c in draws.columns}})
    stats = az.summary(tree, kind="stats", ci_kind="hdi", ci_prob=HDI_PROB, round_to="none")
    low, high = (c for c in stats.columns if c.startswith("hdi"))
    ess = kish_ess(posterior["weight"].to_numpy())
    weights = posterior["weight"].to_numpy(dtype=float)
    rows = []
    for path in model.parameters:
        values = posterior[path].to_numpy(dtype=float)
        mean = float(np.average(values, weights=weights))
        rows.append(
            {
                "parameter": path,
                "prior": describe_prior(model.priors[path]),
                "scenario_value": resolve_path(model.scenario, path).current,
                "mean": mean,
                "sd": float(np.sqrt(np.average((values - mean) ** 2, weights=weights))),
                "hdi_low": float(stats.loc[path, low]),
                "hdi_high": float(stats.loc[path, high]),
                "ess": ess,
            }
        )
    return pd.DataFrame(rows)


def _shares(
    runs: FactRuns, estimation: Estimation, used: list[str], epsilon: float
) -> dict[str, float]:
    """Each fact's share of runs (the mean of a measured amount), the share meeting every
    yes/no fact used (a measured amount is never exactly met), and the share within the
    final threshold of the distance over all facts used."""
    facts = estimation.observations.facts
    out = {name: float(runs.outcomes[name].astype(float).mean()) for name in facts}
    weights = estimation.settings.weights
    yes_no = [name for name in used if not facts[name].measured]
    if yes_no:
        out["yes/no facts used, jointly"] = float(
            (fact_distances(runs.errors, weights, yes_no) <= 1e-12).mean()
        )
    out["within the final threshold"] = float(
        (fact_distances(runs.errors, weights, used) <= epsilon + 1e-12).mean()
    )
    return out


def estimate(estimation: Estimation) -> EstimationResult:
    """Run the estimation and the model comparison (see the module docstring).

    Parameters
    ----------
    estimation : Estimation
        From :func:`lsr_sim.inference.load_estimation`.

    Raises
    ------
    InputError
        If no fact can discriminate between the models (every fact is left out).
    """
    require_inference_libraries()
    from lsr_sim.inference.smc import run_smc

    started = time.perf_counter()
    settings = estimation.settings
    seq = np.random.SeedSequence(settings.seed)
    prior_seq, smc_seq, global_seq, post_seq, boot_seq = seq.spawn(5)
    counter = [0]
    r = settings.replications
    facts = list(estimation.observations.facts)

    # 1. prior predictive of every model
    prior_rng = np.random.default_rng(prior_seq)
    prior_runs = _Runs(estimation, prior_rng, counter)
    prior: dict[str, FactRuns] = {}
    prior_draws = pd.DataFrame()
    for m, model in enumerate(estimation.models):
        draws = draw_prior(model, settings.predictive_draws, prior_rng)
        fixed: dict[str, float] = {}
        requests = _requests(m, draws) if model.priors else [(m, fixed)] * len(draws)
        prior[model.name] = prior_runs(requests, r)
        if m == 0:
            prior_draws = draws
    excluded = non_discriminating_facts(
        {name: runs.errors for name, runs in prior.items()}, estimation.observations
    )
    used = [name for name in facts if name not in excluded]
    if not used:
        raise InputError(
            estimation.source,
            "calibration.observations",
            "no fact can discriminate between the models ("
            + "; ".join(f"{k}: {v}" for k, v in excluded.items())
            + f"); {NOT_EVIDENCE}: add facts that some model can fail, or other models",
        )
    weights = settings.weights

    # 2. ABC-SMC over the scenario's priors
    smc_runs = _Runs(estimation, np.random.default_rng(smc_seq), counter)

    def simulate(requests: Sequence[tuple[int, dict[str, float]]]) -> list[dict[str, np.ndarray]]:
        d = smc_runs(requests, r).distances(r, weights, used)
        return [{"distance": row} for row in d]

    folder = Path(tempfile.mkdtemp(prefix="lsr-sim-abc-"))
    try:
        database = folder / "abc_history.db"
        smc = run_smc(
            estimation.models[0],
            simulate,
            r,
            population=settings.population,
            generations=settings.generations,
            quantile=settings.quantile,
            min_epsilon=settings.min_epsilon,
            min_acceptance_rate=settings.min_acceptance_rate,
            kernel_scale=settings.kernel_scale,
            seed=int(global_seq.generate_state(1)[0]),
            database=database,
            levels=np.unique(prior[estimation.models[0].name].distances(r, weights, used)).tolist(),
        )
        history_db = database.read_bytes()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    epsilon = smc.epsilon

    # 3. model choice at the common threshold
    boot_rng = np.random.default_rng(boot_seq)
    prior_distances = {name: runs.distances(r, weights, used) for name, runs in prior.items()}
    comparison = model_choice(
        prior_distances,
        common_threshold(prior_distances) if settings.threshold is None else settings.threshold,
        free_parameters={model.name: len(model.priors) for model in estimation.models},
        rng=boot_rng,
    )

    # 4. posterior predictive checks
    post_rng = np.random.default_rng(post_seq)
    posterior_draws = _resample(smc.posterior, max(RESAMPLED_DRAWS, len(smc.posterior)), post_rng)
    predictive_draws = _resample(smc.posterior, settings.predictive_draws, post_rng)
    post_runs = _Runs(estimation, post_rng, counter)(_requests(0, predictive_draws), 1)
    prior_share = _shares(prior[estimation.models[0].name], estimation, used, epsilon)
    post_share = _shares(post_runs, estimation, used, epsilon)
    fact_table = _facts_table(estimation, excluded)
    kinds = dict(zip(fact_table["fact"], fact_table["kind"], strict=True))
    predictive = pd.DataFrame(
        {
            "fact": list(prior_share),
            "kind": [kinds.get(name, "joint") for name in prior_share],
            "used": [name not in excluded for name in prior_share],
            "prior_share": list(prior_share.values()),
            "posterior_share": [post_share[name] for name in prior_share],
        }
    )
    summary = _summary(estimation, posterior_draws, smc.posterior)
    result = EstimationResult(
        estimation=estimation,
        posterior=smc.posterior,
        generations=smc.generations,
        epsilon=epsilon,
        summary=summary,
        facts=fact_table,
        predictive=predictive,
        comparison=comparison,
        excluded=excluded,
        prior_draws=prior_draws,
        posterior_draws=posterior_draws,
        seconds=time.perf_counter() - started,
        simulations=counter[0],
        history_db=history_db,
    )
    return result


def _write_into(
    result: EstimationResult, folder: Path, command: Sequence[str] | None
) -> list[Path]:
    from matplotlib.figure import Figure

    from lsr_sim.inference.plots import (
        plot_generations,
        plot_marginals,
        plot_model_choice,
        plot_pairs,
        plot_predictive,
    )

    written: list[Path] = []
    posterior = result.posterior.copy()
    posterior.insert(0, "particle", np.arange(len(posterior)))
    path = folder / "posterior.parquet"
    posterior.to_parquet(path, index=False)
    written.append(path)
    written += write_csv_tables(
        folder,
        [
            ("summary", result.summary),
            ("generations", result.generations),
            ("facts", result.facts),
            ("predictive", result.predictive),
            ("models", result.comparison),
        ],
    )
    path = folder / "abc_history.db"
    path.write_bytes(result.history_db)
    written.append(path)
    figures = folder / "figures"
    figures.mkdir()
    parameters = result.estimation.models[0].parameters
    made: list[tuple[str, Figure]] = [
        ("marginals", plot_marginals(result.posterior_draws, result.prior_draws)),
        ("generations", _figure(plot_generations(result.generations))),
        ("predictive", _figure(plot_predictive(result.predictive))),
        ("models", _figure(plot_model_choice(result.comparison))),
    ]
    if len(parameters) > 1:
        made.append(("pairs", plot_pairs(result.posterior_draws, result.prior_draws)))
    for name, fig in made:
        path = figures / f"{name}.png"
        fig.savefig(path, format="png", dpi=120, metadata={"Software": None})
        written.append(path)
    est = result.estimation
    manifest = {
        "scenario": est.scenario.name,
        "scenario_file": est.source,
        "scenario_sha256": scenario_hash(est.scenario),
        "command": list(command) if command is not None else None,
        "settings": est.settings.model_dump(),
        "steps": est.steps,
        "models": [
            {
                "name": model.name,
                "description": model.description,
                "overrides": model.overrides,
                "priors": {p: describe_prior(prior) for p, prior in model.priors.items()},
                "scenario_sha256": scenario_hash(model.scenario),
            }
            for model in est.models
        ],
        "facts_used": [f for f in est.observations.facts if f not in result.excluded],
        "facts_left_out": {name: f"{why}: {NOT_EVIDENCE}" for name, why in result.excluded.items()},
        "epsilon": result.epsilon,
        "simulations": result.simulations,
        "seconds": round(result.seconds, 2),
        "environment": {
            **environment(),
            **{name: _version(name) for name in ("pyabc", "arviz", "greenlet", "scipy")},
        },
        "files": {
            str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in written
        },
    }
    path = folder / "manifest.json"
    path.write_text(
        json.dumps(manifest, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8"
    )
    written.append(path)
    return written


def _figure(ax: Any) -> Any:
    return ax.figure


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def write_estimation(
    result: EstimationResult, out: str | Path, *, command: Sequence[str] | None = None
) -> list[Path]:
    """Write the result into `out` atomically; return the files written.

    Files: ``posterior.parquet`` (the last generation's particles and weights),
    ``summary.csv``, ``generations.csv``, ``facts.csv``, ``predictive.csv``, ``models.csv``,
    ``abc_history.db`` (pyabc's history), ``figures/`` (marginals, pairs, generations,
    predictive, models) and ``manifest.json`` (last). Everything is written into a temporary
    folder beside `out` first, then moved in (:func:`lsr_sim.atomic.write_folder_atomic`), so
    an interrupted write leaves no half file.
    """
    return write_folder_atomic(out, lambda staging: _write_into(result, staging, command), command)


def _table(frame: pd.DataFrame, columns: Sequence[str], formats: dict[str, str]) -> str:
    cells = [[str(c) for c in columns]]
    for row in frame[list(columns)].itertuples(index=False):
        line = []
        for column, value in zip(columns, row, strict=True):
            fmt = formats.get(column)
            if (
                fmt
                and isinstance(value, (int, float, np.floating, np.integer))
                and not isinstance(value, bool)
            ):
                line.append("-" if pd.isna(value) else format(value, fmt))
            else:
                line.append(str(value))
        cells.append(line)
    widths = [max(len(r[i]) for r in cells) for i in range(len(columns))]
    return "\n".join(
        "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in cells
    )


def format_estimation(result: EstimationResult) -> str:
    """The text ``lsr-sim calibrate --out`` prints: posterior summary and model comparison."""
    est = result.estimation
    s = est.settings
    gens = result.generations
    lines = [
        f"{est.scenario.name}: ABC-SMC over {len(est.models[0].priors)} input(s), "
        f"{len(gens)} generation(s) of {s.population} particles, {s.replications} run(s) per "
        f"parameter set, seed {s.seed}; final threshold {result.epsilon:.3g} "
        f"(share of facts violated); {result.simulations} runs in {result.seconds:.1f} s",
    ]
    for name, why in result.excluded.items():
        lines.append(f"left out: {name} ({why}): {NOT_EVIDENCE}")
    lines += ["", "posterior (90% HDI; ESS: Kish's, of the last generation's weights)"]
    lines.append(
        _table(
            result.summary,
            ["parameter", "prior", "scenario_value", "mean", "sd", "hdi_low", "hdi_high", "ess"],
            dict.fromkeys(("scenario_value", "mean", "sd", "hdi_low", "hdi_high"), ".4g")
            | {"ess": ".0f"},
        )
    )
    common = float(result.comparison["epsilon"].iloc[0])
    lines += [
        "",
        f"model comparison at threshold {common:.3g} ({s.predictive_draws} prior draws per "
        "model, equal prior odds; 95% bootstrap intervals)",
    ]
    if (result.comparison["within"] == result.comparison["runs"]).all():
        lines.append(
            "note: every prior-predictive run is within this threshold, so the comparison says "
            "nothing; raise --draws (or set calibration.abc.threshold)"
        )
    lines.append(
        _table(
            result.comparison,
            [
                "model",
                "free_parameters",
                "within",
                "runs",
                "probability",
                "probability_low",
                "probability_high",
                "bayes_factor",
                "bayes_factor_low",
                "bayes_factor_high",
            ],
            dict.fromkeys(("probability", "probability_low", "probability_high"), ".3f")
            | dict.fromkeys(("bayes_factor", "bayes_factor_low", "bayes_factor_high"), ".3g"),
        )
    )
    lines += ["", "predictive checks (share of runs in which each fact holds; mean for amounts)"]
    lines.append(
        _table(
            result.predictive,
            ["fact", "used", "prior_share", "posterior_share"],
            {"prior_share": ".3f", "posterior_share": ".3f"},
        )
    )
    return "\n".join(lines)
