"""ABC-SMC through pyabc, with the batch engine as a batched simulator.

pyabc proposes, weighs and accepts one particle at a time; the engine is fast only when it
steps many runs together. :class:`BatchSampler` reconciles the two: it starts each particle
of a batch as a greenlet (a coroutine), runs it until its model asks to simulate, collects
every request of the batch, simulates them in one :func:`~lsr_sim.inference.simulate_facts`
call, then resumes each particle with its data. The particles run one after another in a
fixed order, so a seed gives the same result every time.

pyabc draws its proposals from numpy's global random state; :func:`run_smc` seeds it from
the estimation's seed and restores it afterwards (the only place the library touches it).

This module imports pyabc and greenlet: import it through
:func:`lsr_sim.inference.run.estimate`, which checks they are installed.
"""

from __future__ import annotations

import contextlib
import logging
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import greenlet
import numpy as np
import pandas as pd
import pyabc
from pyabc.acceptor import Acceptor, AcceptorResult
from pyabc.epsilon import Epsilon
from pyabc.sampler import Sampler
from pyabc.weighted_statistics import weighted_quantile

from lsr_sim.inference.particles import from_sampler_scale, kish_ess
from lsr_sim.inference.spec import CandidateModel, scipy_prior

__all__ = [
    "BatchSampler",
    "LevelQuantileEpsilon",
    "ReplicatedAcceptor",
    "SMCResult",
    "run_smc",
    "seeded_global_random_state",
]

#: Particles simulated in one batch at most.
MAX_BATCH = 2048
#: Distances within this of the threshold count as within it (0 + rounding is still 0).
TOLERANCE = 1e-12

Request = tuple[int, dict[str, float]]
BatchSimulator = Callable[[Sequence[Request]], list[dict[str, np.ndarray]]]


class _Proposal(greenlet.greenlet):
    """A particle of a batch, run as a greenlet until its model asks for data."""


class BatchedModel(pyabc.Model):
    """A pyabc model whose simulations are gathered into batches by :class:`BatchSampler`.

    Called inside a batch, :meth:`sample` hands its request to the sampler and waits for the
    batch's data; called outside one, it simulates its request alone.
    """

    def __init__(
        self, index: int, name: str, simulate: BatchSimulator, logged: frozenset[str] = frozenset()
    ) -> None:
        super().__init__(name)
        self.index = index
        self.simulate = simulate
        self.logged = logged

    def sample(self, pars: Any) -> dict[str, np.ndarray]:
        values = {key: float(value) for key, value in pars.items()}
        request: Request = (self.index, from_sampler_scale(values, self.logged))
        current = greenlet.getcurrent()
        if isinstance(current, _Proposal):
            assert current.parent is not None
            data: dict[str, np.ndarray] = current.parent.switch(request)
            return data
        return self.simulate([request])[0]


class BatchSampler(Sampler):
    """A pyabc sampler that simulates the particles of a generation in batches.

    Batches are sized from the last acceptance rate to finish a generation in about one
    batch. Particles are kept in the order they were proposed and the generation stops at the
    n-th accepted one (later ones are dropped, as a sequential sampler would never have run
    them), so the acceptance rate is the sequential sampler's.
    """

    def __init__(self, simulate: BatchSimulator, max_batch: int = MAX_BATCH) -> None:
        super().__init__()
        self.simulate = simulate
        self.max_batch = max_batch
        self.rate = 1.0
        self.batches: list[int] = []

    def _batch(self, simulate_one: Callable[[], Any], size: int) -> list[Any]:
        proposals = [_Proposal(simulate_one) for _ in range(size)]
        results: list[Any] = [None] * size
        waiting: list[int] = []
        requests: list[Request] = []
        for i, proposal in enumerate(proposals):
            out = proposal.switch()
            if proposal.dead:
                results[i] = out
            else:
                waiting.append(i)
                requests.append(out)
        data = self.simulate(requests) if requests else []
        for i, item in zip(waiting, data, strict=True):
            results[i] = proposals[i].switch(item)
            if not proposals[i].dead:
                raise RuntimeError("a particle asked for a second simulation within one batch")
        self.batches.append(len(requests))
        return results

    def sample_until_n_accepted(
        self,
        n: int,
        simulate_one: Callable[[], Any],
        t: int,
        *,
        max_eval: float = np.inf,
        all_accepted: bool = False,
        ana_vars: Any = None,
    ) -> Any:
        sample = self._create_empty_sample()
        done = accepted = 0
        while accepted < n and done < max_eval:
            wanted = n - accepted
            size = wanted if all_accepted else math.ceil(1.2 * wanted / max(self.rate, 1e-3))
            size = int(min(max(size, 1), self.max_batch, max_eval - done))
            for particle in self._batch(simulate_one, size):
                if accepted >= n:
                    break
                sample.append(particle)
                done += 1
                accepted += bool(particle.accepted)
            # The rate so far sizes the next batch (none accepted yet: at most 1 in done + 1).
            self.rate = max(accepted, 1) / (done + 1)
        self.nr_evaluations_ = done
        if sample.n_accepted < n:
            sample.ok = False
        return sample


class ReplicatedAcceptor(Acceptor):
    """Accept a parameter set with the share of its replications within the threshold.

    The summary statistic ``distance`` holds one joint distance per replication. The particle
    is accepted when at least one is within the threshold, with the share within it as its
    acceptance weight: an unbiased estimate of P(distance <= threshold | parameters), so the
    weighted particles target the ABC posterior whatever the number of replications
    (pseudo-marginal importance sampling). Its recorded distance is the smallest one, which
    keeps each generation's quantile threshold at or below the last.
    """

    def __call__(
        self, distance_function: Any, eps: Any, x: dict, x_0: dict, t: int, par: Any
    ) -> AcceptorResult:
        d = np.asarray(x["distance"], dtype=float)
        within = d <= eps(t) + TOLERANCE
        return AcceptorResult(
            distance=float(d.min()), accept=bool(within.any()), weight=float(within.mean())
        )


class LevelQuantileEpsilon(Epsilon):
    """Quantile thresholds that keep falling when distances take few values.

    The distance counts violated facts, so it takes few values and the weighted
    `alpha`-quantile of a generation's distances is often the threshold itself (most
    particles sit on it): the schedule would stall there. This one takes the quantile when it
    is below the last threshold and otherwise the next level down: the largest distance of
    the generation below it or, if no particle is below it, the largest of the known
    `levels` below it (distances seen in the prior predictive, and 0). The first threshold
    is the quantile of a calibration sample from the prior.
    """

    def __init__(self, alpha: float, levels: Sequence[float] = (0.0,)) -> None:
        super().__init__()
        self.alpha = alpha
        self.levels = np.unique(np.append(np.asarray(levels, dtype=float), 0.0))
        self.values: dict[int, float] = {}

    def requires_calibration(self) -> bool:
        return True

    def is_adaptive(self) -> bool:
        return True

    def initialize(
        self,
        t: int,
        get_weighted_distances: Callable[[], pd.DataFrame],
        get_all_records: Callable[[], list[dict]],
        max_nr_populations: int,
        acceptor_config: dict,
    ) -> None:
        self.values[t] = self._next(get_weighted_distances(), np.inf)

    def update(
        self,
        t: int,
        get_weighted_distances: Callable[[], pd.DataFrame],
        get_all_records: Callable[[], list[dict]],
        acceptance_rate: float,
        acceptor_config: dict,
    ) -> None:
        self.values[t] = self._next(get_weighted_distances(), self.values[t - 1])

    def _next(self, table: pd.DataFrame, last: float) -> float:
        d = table["distance"].to_numpy(dtype=float)
        w = table["w"].to_numpy(dtype=float)
        q = float(weighted_quantile(points=d, weights=w / w.sum(), alpha=self.alpha))
        if q < last - TOLERANCE:
            return q
        below = d[d < last - TOLERANCE]
        if not below.size:
            below = self.levels[self.levels < last - TOLERANCE]
        return float(below.max()) if below.size else last

    def __call__(self, t: int) -> float:
        return self.values[t]


def _smallest(x: dict, x_0: dict) -> float:
    return float(np.min(x["distance"]))


@contextlib.contextmanager
def _quiet_pyabc() -> Iterator[None]:
    """pyabc logs every generation at INFO level; the command prints its own summary."""
    loggers = [logging.getLogger(name) for name in ("ABC", "ABC.History", "ABC.Sampler")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


@contextlib.contextmanager
def seeded_global_random_state(seed: int) -> Iterator[None]:
    """Seed numpy's global random state (which pyabc draws from), and restore it after."""
    saved = np.random.get_state()  # noqa: NPY002 - pyabc reads the global state
    np.random.seed(seed % 2**32)  # noqa: NPY002
    try:
        yield
    finally:
        np.random.set_state(saved)  # noqa: NPY002


@dataclass
class SMCResult:
    """What ABC-SMC found.

    Attributes
    ----------
    posterior : DataFrame
        The last generation's particles: one column per parameter and ``weight`` (sums to 1).
    generations : DataFrame
        One row per generation: ``generation``, ``epsilon``, ``simulations`` (parameter sets
        simulated), ``accepted``, ``acceptance_rate``, ``ess`` (Kish's effective sample size
        of the weights).
    epsilon : float
        The last generation's threshold.
    """

    posterior: pd.DataFrame
    generations: pd.DataFrame
    epsilon: float


def run_smc(
    model: CandidateModel,
    simulate: BatchSimulator,
    replications: int,
    *,
    population: int,
    generations: int,
    quantile: float,
    min_epsilon: float,
    min_acceptance_rate: float,
    seed: int,
    kernel_scale: float = 1.0,
    database: Path,
    levels: Sequence[float] = (0.0,),
) -> SMCResult:
    """ABC-SMC over one model's priors with pyabc.

    `simulate` maps (model index, parameter set) requests to ``{"distance": (replications,)}``
    data; the observed data are distances of 0 (every fact met). `levels` are distance
    values the threshold may step down to (see :class:`LevelQuantileEpsilon`);
    `kernel_scale` multiplies the covariance of pyabc's multivariate normal proposal.
    """
    # A log-uniform input is sampled as its log, uniform: the same posterior, but the
    # transition kernel (a multivariate normal) then fits it, where on the natural scale the
    # prior's density varies by the ratio of its bounds and the importance weights collapse.
    logged = frozenset(p for p, prior in model.priors.items() if prior.distribution == "loguniform")
    priors = pyabc.Distribution(
        **{path: pyabc.RV(*_rv(prior)) for path, prior in model.priors.items()}
    )
    sampler = BatchSampler(simulate)
    abc = pyabc.ABCSMC(
        BatchedModel(0, model.name, simulate, logged),
        priors,
        distance_function=pyabc.distance.FunctionDistance(_smallest),
        population_size=population,
        eps=LevelQuantileEpsilon(quantile, levels),
        sampler=sampler,
        acceptor=ReplicatedAcceptor(),
        transitions=pyabc.transition.MultivariateNormalTransition(scaling=kernel_scale),
    )
    with seeded_global_random_state(seed), _quiet_pyabc():
        abc.new(f"sqlite:///{database}", {"distance": np.zeros(replications)})
        history = abc.run(
            minimum_epsilon=min_epsilon,
            max_nr_populations=generations,
            min_acceptance_rate=min_acceptance_rate,
        )
    populations = history.get_all_populations()
    populations = populations[populations["t"] >= 0]
    rows = []
    for row in populations.itertuples():
        _, w = history.get_distribution(m=0, t=int(row.t))
        rows.append(
            {
                "generation": int(row.t),
                "epsilon": float(row.epsilon),
                "simulations": int(row.samples),
                "accepted": int(row.particles),
                "acceptance_rate": float(row.particles) / float(row.samples),
                "ess": kish_ess(w),
            }
        )
    table = pd.DataFrame(rows)
    frame, w = history.get_distribution(m=0, t=history.max_t)
    posterior = frame.reset_index(drop=True)[model.parameters].astype(float)
    for path in logged:
        posterior[path] = np.exp(posterior[path])
    posterior["weight"] = np.asarray(w, dtype=float) / np.sum(w)
    return SMCResult(posterior, table, float(table["epsilon"].iloc[-1]))


def _rv(prior: Any) -> tuple[Any, ...]:
    if prior.distribution == "loguniform":  # sampled as a uniform log (see run_smc)
        lo, hi = prior.support
        return ("uniform", math.log(lo), math.log(hi) - math.log(lo))
    name, args = scipy_prior(prior)
    return (name, *args)
