"""Experimental designs: which parameter values each run of a sweep gets.

A grid takes every combination of the listed values. The sampling designs come from SALib:
Latin hypercube (``lhs``), Saltelli's extension of the Sobol' sequence (``sobol``, for Sobol'
indices) and Morris trajectories (``morris``, for elementary effects). Every sampler is seeded,
so the same sweep file always gives the same design.

``build_design(loaded)`` turns a checked sweep (:func:`lsr_sim.sweep.load_sweep`) into a
:class:`Design`: a points table with one row per design point and scenario.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from lsr_sim.sweep.loading import LoadedSweep
    from lsr_sim.sweep.schema import SweepSpec

__all__ = ["Design", "build_design", "grid", "parameter_matrix", "problem_for", "sample"]


@dataclass(frozen=True)
class Design:
    """The points of a sweep.

    Attributes
    ----------
    points : pandas.DataFrame
        Columns ``point`` (0..P-1, int64), ``scenario`` (name) and one float column per
        parameter path, in the order of the sweep file. With several scenarios the parameter
        design is repeated for each, scenario-major. For sobol and morris the rows of one
        scenario are SALib's sample matrix, in SALib's order (see :func:`sample`).
    problem : dict or None
        The SALib problem (``num_vars``, ``names``, ``bounds``, and ``dists`` unless all are
        uniform); None for grids.
    type : str
        ``grid``, ``lhs``, ``sobol`` or ``morris``.
    samples : int or None
        The design's `samples` (None for grids).
    second_order : bool
        Whether a sobol design allows second-order indices (False for other designs).
    levels : int or None
        Morris levels (None for other designs).
    parameters : list of str
        Parameter paths, in column order.
    scenarios : list of str
        Scenario names, in order.
    """

    points: pd.DataFrame
    problem: dict[str, Any] | None
    type: str
    samples: int | None
    second_order: bool
    levels: int | None
    parameters: list[str]
    scenarios: list[str]


def grid(parameters: Mapping[str, Sequence[float]]) -> np.ndarray:
    """Every combination of the values (full factorial), the first parameter varying slowest.

    Parameters
    ----------
    parameters : Mapping[str, Sequence[float]]
        Path -> values, in column order.

    Returns
    -------
    numpy.ndarray
        Shape (product of the lengths, number of parameters), float.

    Examples
    --------
    >>> grid({"a": [1, 2], "b": [10, 20, 30]})
    array([[ 1., 10.],
           [ 1., 20.],
           [ 1., 30.],
           [ 2., 10.],
           [ 2., 20.],
           [ 2., 30.]])
    """
    columns = [list(values) for values in parameters.values()]
    rows = list(itertools.product(*columns))
    return np.array(rows, dtype=float).reshape(len(rows), len(columns))


def sample(
    problem: Mapping[str, Any],
    design_type: str,
    samples: int,
    *,
    seed: int,
    second_order: bool = False,
    levels: int = 4,
) -> np.ndarray:
    """Draw a sampling design with SALib; the same seed gives the same array.

    Parameters
    ----------
    problem : Mapping
        SALib problem: ``num_vars``, ``names``, ``bounds`` and optionally ``dists``
        (``"unif"``, or ``"norm"`` with bounds ``[mean, sd]``; lhs only). Not modified.
    design_type : {"lhs", "sobol", "morris"}
        The sampler.
    samples : int
        Points (lhs), base size N, a power of two (sobol), or trajectories (morris).
    seed : int
        Seed of the sampler (sobol: of its scrambling).
    second_order : bool
        Sobol only: also the rows for second-order indices.
    levels : int
        Morris only: grid levels (even).

    Returns
    -------
    numpy.ndarray
        Shape (runs, k) for k parameters: lhs N rows; sobol N(2k+2) rows, or N(k+2) without
        second order; morris N(k+1) rows. SALib's matrix in SALib's order, with uniform
        columns clipped to their bounds (scaling can overshoot one by a rounding error).

    Examples
    --------
    >>> problem = {"num_vars": 2, "names": ["a", "b"], "bounds": [[0, 1], [10, 20]]}
    >>> sample(problem, "sobol", 8, seed=1).shape
    (32, 2)
    >>> sample(problem, "sobol", 8, seed=1, second_order=True).shape
    (48, 2)
    >>> sample(problem, "morris", 5, seed=1).shape
    (15, 2)
    >>> x = sample(problem, "lhs", 10, seed=1)
    >>> x.shape, bool((x[:, 1] >= 10).all() and (x[:, 1] <= 20).all())
    ((10, 2), True)
    """
    problem = copy.deepcopy(dict(problem))  # SALib adds keys to the problem it is given
    if design_type == "lhs":
        from SALib.sample import latin

        x = latin.sample(problem, samples, seed=seed)
    elif design_type == "sobol":
        from SALib.sample import sobol

        x = sobol.sample(problem, samples, calc_second_order=second_order, scramble=True, seed=seed)
    elif design_type == "morris":
        from SALib.sample import morris

        x = morris.sample(problem, samples, num_levels=levels, seed=seed)
    else:
        raise ValueError(
            f"unknown sampling design {design_type!r}; expected lhs, sobol or morris "
            "(grids come from grid())"
        )
    x = np.asarray(x, dtype=float)
    # Scaling can overshoot a bound by a rounding error (morris levels reach both ends):
    # clip uniform columns, so that no value leaves the bounds the sweep file checked.
    dists = problem.get("dists") or ["unif"] * x.shape[1]
    for j, (dist, (low, high)) in enumerate(zip(dists, problem["bounds"], strict=True)):
        if dist == "unif":
            np.clip(x[:, j], low, high, out=x[:, j])
    return x


def problem_for(spec: SweepSpec) -> dict[str, Any] | None:
    """The SALib problem of a sweep's parameters, or None for a grid.

    Examples
    --------
    >>> from lsr_sim.sweep.schema import SweepSpec
    >>> spec = SweepSpec.model_validate({
    ...     "name": "x", "scenario": "s.yaml", "design": {"type": "lhs", "samples": 4},
    ...     "parameters": {"a.b": {"range": [0, 1]},
    ...                    "c.d": {"distribution": "normal", "mean": 0.3, "sd": 0.1}}})
    >>> problem_for(spec)
    {'num_vars': 2, 'names': ['a.b', 'c.d'], 'bounds': [[0.0, 1.0], [0.3, 0.1]],
     'dists': ['unif', 'norm']}
    """
    if spec.design.type == "grid":
        return None
    pairs = [param.salib() for param in spec.parameters.values()]
    problem: dict[str, Any] = {
        "num_vars": len(pairs),
        "names": list(spec.parameters),
        "bounds": [bounds for bounds, _ in pairs],
    }
    dists = [dist for _, dist in pairs]
    if any(dist != "unif" for dist in dists):
        problem["dists"] = dists
    return problem


def parameter_matrix(spec: SweepSpec) -> tuple[np.ndarray, dict[str, Any] | None]:
    """The design of one scenario (rows: points; columns: parameters) and its SALib problem.

    The samplers are seeded with the sweep's `seed`.
    """
    design = spec.design
    if design.type == "grid":
        values = {path: param.grid_values() for path, param in spec.parameters.items()}
        return grid(values), None
    problem = problem_for(spec)
    assert problem is not None and design.samples is not None
    matrix = sample(
        problem,
        design.type,
        design.samples,
        seed=spec.seed,
        second_order=design.second_order,
        levels=design.levels,
    )
    return matrix, problem


def build_design(loaded: LoadedSweep) -> Design:
    """The design of a checked sweep: the parameter design repeated for each scenario.

    Parameters
    ----------
    loaded : LoadedSweep
        From :func:`lsr_sim.sweep.load_sweep`.

    Returns
    -------
    Design
        Points scenario-major, numbered 0..P-1.

    Examples
    --------
    >>> from lsr_sim.sweep import load_sweep
    >>> design = build_design(load_sweep("scenarios/sweeps/riyadh_trust_grid.yaml"))
    >>> design.points.head(4)
       point  scenario  actors.Riyadh.capability  dynamics.trust_loss_rate
    0      0  baseline                       0.4                       0.1
    1      1  baseline                       0.4                       0.2
    2      2  baseline                       0.4                       0.3
    3      3  baseline                       0.7                       0.1
    """
    spec = loaded.spec
    matrix, problem = parameter_matrix(spec)
    names = list(spec.parameters)
    scenarios = list(loaded.scenarios)
    n = len(matrix)
    frames = []
    for name in scenarios:
        frame = pd.DataFrame(matrix, columns=names, dtype="float64")
        frame.insert(0, "scenario", name)
        frames.append(frame)
    points = pd.concat(frames, ignore_index=True)
    points.insert(0, "point", np.arange(n * len(scenarios), dtype=np.int64))
    kind = spec.design.type
    return Design(
        points=points,
        problem=problem,
        type=kind,
        samples=spec.design.samples,
        second_order=spec.design.second_order if kind == "sobol" else False,
        levels=spec.design.levels if kind == "morris" else None,
        parameters=names,
        scenarios=scenarios,
    )
