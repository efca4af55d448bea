"""Analysis of a sweep output folder: per-point statistics, sensitivity indices, a report.

The functions read exactly what ``docs/sweeps-contract.md`` describes: ``manifest.json``,
``design.parquet`` and the ``runs/part-*.parquet`` dataset of an output folder. They are
plain functions from tables to tables, meant for notebooks as much as for
``lsr-sim analyze DIR``:

- :func:`read_manifest`, :func:`read_design`, :func:`read_runs`: the folder's contents.
- :func:`point_summary`: per design point, the mean, standard deviation and Student t
  confidence interval of each outcome over the point's successful replications.
- :func:`sobol_indices`, :func:`morris_indices`: SALib's estimators as tidy tables, with
  reproducible bootstrap confidence intervals.
- :func:`analyze`: all of the above for one folder; :func:`write_analysis` saves the tables
  (and figures) under ``analysis/``; :func:`format_report` is the terminal summary.

Failed runs (``error != ""``) never enter a statistic; they are listed in the ``failures``
table with their seed and scenario, so each can be repeated with
``lsr-sim run SCENARIO --seed N``.
"""

from __future__ import annotations

import copy
import io
import json
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lsr_sim.atomic import write_bytes_atomic
from lsr_sim.errors import InputError

__all__ = [
    "analyze",
    "format_report",
    "morris_indices",
    "point_summary",
    "read_design",
    "read_manifest",
    "read_runs",
    "sobol_indices",
    "write_analysis",
]

MANIFEST = "manifest.json"
DESIGN = "design.parquet"
RUNS = "runs"
ANALYSIS = "analysis"

#: Order in which :func:`write_analysis` writes the tables it knows (others follow, sorted).
TABLE_ORDER = ("points", "sobol", "sobol_second", "morris", "failures", "notes")

#: :func:`analyze` notes an outcome whose point means owe more than this share of their
#: variance to replication noise (the mean squared standard error over the variance).
NOISE_NOTE_SHARE = 0.1

_STAT_SUFFIXES = ("n", "mean", "sd", "ci_low", "ci_high")
_NOTE_COLUMNS = ["scenario", "outcome", "note"]
_FAILURE_COLUMNS = ["run", "seed", "scenario", "error"]
_SOBOL_COLUMNS = ["parameter", "S1", "S1_conf", "ST", "ST_conf"]
_SOBOL2_COLUMNS = ["parameter_1", "parameter_2", "S2", "S2_conf"]
_MORRIS_COLUMNS = ["parameter", "mu", "mu_star", "mu_star_conf", "sigma"]


# --------------------------------------------------------------------------- reading


def _sweep_folder(out_dir: str | os.PathLike[str]) -> Path:
    folder = Path(out_dir)
    if not folder.is_dir():
        raise InputError(str(folder), "", "no such folder; give the output folder of a sweep")
    if not (folder / MANIFEST).is_file():
        raise InputError(
            str(folder),
            "",
            f"not a sweep output folder (no {MANIFEST} inside); give the folder a sweep wrote",
        )
    return folder


def read_manifest(out_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """The ``manifest.json`` of a sweep output folder, as a dict.

    Raises
    ------
    InputError
        If the folder does not exist, has no manifest, or the manifest is not a JSON object.
    """
    path = _sweep_folder(out_dir) / MANIFEST
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(str(path), "", f"cannot read the manifest: {exc}") from exc
    if not isinstance(content, dict):
        raise InputError(str(path), "", "the manifest is not a JSON object")
    return content


def read_design(out_dir: str | os.PathLike[str]) -> pd.DataFrame:
    """The design points of a sweep (``design.parquet``), sorted by ``point``.

    Raises
    ------
    InputError
        If the folder is not a sweep output or has no readable ``design.parquet``.
    """
    path = _sweep_folder(out_dir) / DESIGN
    if not path.is_file():
        raise InputError(str(path.parent), "", f"not a complete sweep output folder (no {DESIGN})")
    try:
        design = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several unrelated types for a bad file
        raise InputError(str(path), "", f"cannot read the design: {exc}") from exc
    if "point" not in design.columns:
        raise InputError(str(path), "point", "column missing from the design")
    return design.sort_values("point", kind="stable").reset_index(drop=True)


def read_runs(out_dir: str | os.PathLike[str]) -> pd.DataFrame:
    """Every saved run of a sweep: all ``runs/part-*.parquet`` files, sorted by ``run``.

    Only complete parts (``part-*.parquet``) are read: temporary files of a running or
    interrupted sweep (``.part-*.tmp``), other hidden files and ``quarantine/`` are ignored.
    One row per run key is kept whatever is on disk: if a run was saved more than once (for
    instance retried after a failure, or copied), the successful row is kept, else the one in
    the last part.

    Parameters
    ----------
    out_dir : str or os.PathLike
        The sweep's output folder (holding ``manifest.json`` and ``runs/``).

    Returns
    -------
    pandas.DataFrame
        One row per run with the columns of the contract (``run_key``, ``run``, ``point``,
        ``replication``, ``scenario``, ``seed``, parameters, outcomes, ``error``);
        ``error`` is ``""`` for successful runs. Empty (with the manifest's columns) if no
        part has been written yet.

    Raises
    ------
    InputError
        If the folder is not a sweep output (no ``manifest.json`` or no ``runs/``), or a
        part cannot be read or lacks a required column.
    """
    folder = _sweep_folder(out_dir)
    runs_dir = folder / RUNS
    if not runs_dir.is_dir():
        raise InputError(
            str(folder), "", f"not a sweep output folder (no {RUNS}/ inside); run the sweep first"
        )
    parts = sorted(runs_dir.glob("part-*.parquet"))
    frames = []
    for order, part in enumerate(parts):
        try:
            frame = pd.read_parquet(part)
        except Exception as exc:  # pyarrow raises several unrelated types for a bad file
            raise InputError(str(part), "", f"cannot read this part of the runs: {exc}") from exc
        missing = [c for c in ("run", "point", "scenario", "seed", "error") if c not in frame]
        if missing:
            raise InputError(str(part), missing[0], "column missing from the runs table")
        frames.append(frame.assign(_part=order))
    if not frames:
        return _empty_runs(read_manifest(folder))
    runs = pd.concat(frames, ignore_index=True)
    runs["error"] = runs["error"].fillna("").astype(str)
    runs["_failed"] = runs["error"] != ""
    # Successful rows first, then the latest part: the first row of each run is the keeper.
    runs = runs.sort_values(["run", "_failed", "_part"], ascending=[True, True, False])
    key = "run_key" if "run_key" in runs else "run"
    runs = runs.drop_duplicates(key, keep="first").drop(columns=["_part", "_failed"])
    return runs.reset_index(drop=True)


def _empty_runs(manifest: Mapping[str, Any]) -> pd.DataFrame:
    design = manifest.get("design") or {}
    columns: dict[str, Any] = {
        "run_key": pd.Series([], dtype=str),
        "run": pd.Series([], dtype="int64"),
        "point": pd.Series([], dtype="int64"),
        "replication": pd.Series([], dtype="int64"),
        "scenario": pd.Series([], dtype=str),
        "seed": pd.Series([], dtype="uint64"),
    }
    for name in [*design.get("parameters", []), *manifest.get("outcomes", [])]:
        columns[name] = pd.Series([], dtype="float64")
    columns["error"] = pd.Series([], dtype=str)
    return pd.DataFrame(columns)


# --------------------------------------------------------------------------- statistics


def _check_confidence(confidence: float) -> float:
    if not 0.0 < float(confidence) < 1.0:
        raise ValueError(f"confidence must be between 0 and 1 (exclusive), got {confidence!r}")
    return float(confidence)


def point_summary(
    runs: pd.DataFrame,
    parameters: Sequence[str],
    outcomes: Sequence[str],
    *,
    confidence: float = 0.95,
    design: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Statistics of each outcome per design point, over the point's successful runs.

    Parameters
    ----------
    runs : pandas.DataFrame
        Runs table (see :func:`read_runs`): ``point`` (if absent, points are told apart by
        ``scenario`` and the parameter values), the parameters, the outcomes and ``error``
        (``""`` for a successful run; optional, default all successful).
    parameters : sequence of str
        Parameter columns; their values are reported per point.
    outcomes : sequence of str
        Numeric outcome columns to summarise.
    confidence : float
        Level of the two-sided Student t confidence interval of each mean.
    design : pandas.DataFrame, optional
        Design points (``point``, ``scenario``, parameters). If given, every design point
        gets a row, also those without any saved run (n = 0, statistics NaN).

    Returns
    -------
    pandas.DataFrame
        One row per point, sorted by ``point``: ``point``, ``scenario`` (if known), the
        parameters, ``n`` (successful runs), ``failed`` (failed runs), then for each outcome
        ``<outcome>_n`` (successful runs where the outcome is defined, i.e. not NaN),
        ``<outcome>_mean``, ``<outcome>_sd`` (ddof = 1), ``<outcome>_ci_low`` and
        ``<outcome>_ci_high`` (mean +/- t(df = n - 1) * sd / sqrt(n); NaN when n < 2).

    Raises
    ------
    ValueError
        If a column is missing, an outcome is not numeric, or ``confidence`` is not in (0, 1).

    Examples
    --------
    >>> runs = pd.DataFrame({
    ...     "point": [0, 0, 0, 1, 1],
    ...     "scenario": "base",
    ...     "x": [0.5, 0.5, 0.5, 1.0, 1.0],
    ...     "y": [1.0, 2.0, 3.0, 5.0, np.nan],
    ...     "error": ["", "", "", "", "RuntimeError: boom"],
    ... })
    >>> table = point_summary(runs, ["x"], ["y"])
    >>> table[["point", "x", "n", "failed", "y_mean", "y_sd"]]
       point    x  n  failed  y_mean  y_sd
    0      0  0.5  3       0     2.0   1.0
    1      1  1.0  1       1     5.0   NaN
    >>> round(float(table.loc[0, "y_ci_high"]), 4)  # 2 + 4.3027 * 1 / sqrt(3)
    4.4841
    """
    from scipy import stats

    confidence = _check_confidence(confidence)
    parameters, outcomes = list(parameters), list(outcomes)
    missing = [c for c in [*parameters, *outcomes] if c not in runs.columns]
    if missing:
        raise ValueError(f"runs table is missing column(s): {', '.join(missing)}")
    runs = runs.copy()
    for name in outcomes:
        if not (
            pd.api.types.is_numeric_dtype(runs[name]) or pd.api.types.is_bool_dtype(runs[name])
        ):
            raise ValueError(f"outcome {name!r} is not numeric (dtype {runs[name].dtype})")
        runs[name] = runs[name].astype("float64")
    if "error" in runs.columns:
        failed = runs["error"].fillna("").astype(str) != ""
    else:
        failed = pd.Series(False, index=runs.index)
    runs["_failed"] = failed.astype("int64")

    if "point" in runs.columns:
        keys = ["point"]
        firsts = [c for c in ("scenario", *parameters) if c in runs.columns]
    else:
        keys = [c for c in ("scenario", *parameters) if c in runs.columns]
        firsts = []
    grouped = runs.groupby(keys, sort=True, dropna=False)
    table = grouped[firsts].first() if firsts else pd.DataFrame(index=grouped.size().index)
    table["n"] = grouped.size() - grouped["_failed"].sum()
    table["failed"] = grouped["_failed"].sum()

    good = runs[runs["_failed"] == 0]
    good_grouped = good.groupby(keys, sort=True, dropna=False)
    level = 0.5 + confidence / 2.0
    for name in outcomes:
        count = good_grouped[name].count().reindex(table.index, fill_value=0)
        mean = good_grouped[name].mean().reindex(table.index)
        sd = good_grouped[name].std(ddof=1).reindex(table.index)
        n = count.to_numpy(dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            quantile = np.where(n >= 2, stats.t.ppf(level, np.maximum(n - 1, 1)), np.nan)
            half = quantile * sd.to_numpy(dtype=float) / np.sqrt(n)
        table[f"{name}_n"] = count.astype("int64")
        table[f"{name}_mean"] = mean.astype("float64")
        table[f"{name}_sd"] = sd.astype("float64").where(count >= 2)
        table[f"{name}_ci_low"] = mean.to_numpy(dtype=float) - half
        table[f"{name}_ci_high"] = mean.to_numpy(dtype=float) + half
    table = table.reset_index()

    if design is not None and "point" in keys:
        frame = design[[c for c in ("point", "scenario", *parameters) if c in design.columns]]
        stats_columns = [c for c in table.columns if c not in frame.columns or c == "point"]
        table = frame.merge(table[stats_columns], on="point", how="left", sort=True)
        for name in ["n", "failed", *(f"{o}_n" for o in outcomes)]:
            table[name] = table[name].fillna(0).astype("int64")

    table["n"] = table["n"].astype("int64")
    table["failed"] = table["failed"].astype("int64")
    lead = [c for c in ("point", "scenario") if c in table.columns]
    order = [*lead, *parameters, "n", "failed"]
    order += [f"{o}_{s}" for o in outcomes for s in _STAT_SUFFIXES]
    return table[order].reset_index(drop=True)


# --------------------------------------------------------------------------- sensitivity


def _problem_names(problem: Mapping[str, Any]) -> list[str]:
    try:
        names = [str(n) for n in problem["names"]]
    except (KeyError, TypeError) as exc:
        raise ValueError("problem must be a SALib problem dict with 'names'") from exc
    groups = problem.get("groups")
    # SALib's samplers set groups = names on the problem they get: that is no grouping.
    if groups is not None and [str(g) for g in groups] != names:
        raise ValueError("grouped SALib problems are not supported here")
    return names


def _outputs(Y: Any) -> np.ndarray:
    values = np.asarray(Y, dtype=float).ravel()
    if values.size == 0:
        raise ValueError("Y is empty")
    if not np.all(np.isfinite(values)):
        bad = int((~np.isfinite(values)).sum())
        raise ValueError(f"Y has {bad} NaN or infinite value(s) out of {values.size}")
    return values


def _salib_seed(seed: int) -> int:
    # SALib 1.6's sobol.analyze tests `if seed:` and falls back to numpy's *global* random
    # state for seed 0 (or None). Mixing the seed through a SeedSequence gives every integer,
    # 0 included, its own reproducible, non-zero bootstrap seed.
    state = int(np.random.SeedSequence(int(seed)).generate_state(1, dtype=np.uint32)[0])
    return state or 1


def sobol_indices(
    problem: Mapping[str, Any],
    Y: Any,
    *,
    second_order: bool = False,
    confidence: float = 0.95,
    seed: int = 0,
    num_resamples: int = 1000,
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Sobol' first-order and total indices (and optionally second-order) of one output.

    A thin wrapper around ``SALib.analyze.sobol.analyze`` (Saltelli 2010 estimators, with
    bootstrap confidence intervals) that returns tidy tables and never prints.

    Parameters
    ----------
    problem : mapping
        SALib problem dict (``num_vars``, ``names``, ``bounds``, optional ``dists``). It is
        not modified.
    Y : array-like
        Model outputs in the order of SALib's Sobol' sample (``SALib.sample.sobol.sample``):
        ``N * (D + 2)`` values, or ``N * (2 D + 2)`` with ``second_order``.
    second_order : bool
        Whether the sample was drawn with ``calc_second_order=True``; then second-order
        indices are computed too.
    confidence : float
        Level of the bootstrap confidence intervals (the ``*_conf`` columns are their half
        widths).
    seed : int
        Seed of the bootstrap resampling: the same seed gives the same intervals. (It is
        mixed through :class:`numpy.random.SeedSequence` before reaching SALib, because
        SALib treats a seed of 0 as "no seed".)
    num_resamples : int
        Number of bootstrap resamples.

    Returns
    -------
    first_total : pandas.DataFrame
        One row per parameter (problem order): ``parameter``, ``S1``, ``S1_conf``, ``ST``,
        ``ST_conf``.
    second : pandas.DataFrame or None
        With ``second_order``: one row per pair ``i < j``: ``parameter_1``, ``parameter_2``,
        ``S2``, ``S2_conf``. Otherwise None.

    Raises
    ------
    ValueError
        If ``Y`` has NaN or infinite values, is constant (the indices are then undefined),
        or its length does not fit the number of parameters.
    """
    from SALib.analyze import sobol

    confidence = _check_confidence(confidence)
    names = _problem_names(problem)
    values = _outputs(Y)
    d = len(names)
    block = 2 * d + 2 if second_order else d + 2
    if values.size % block:
        kind = "N * (2D + 2)" if second_order else "N * (D + 2)"
        raise ValueError(
            f"Y has {values.size} values; a Sobol' sample of {d} parameters "
            f"{'with' if second_order else 'without'} second order has {kind} = multiples of "
            f"{block} (was the sample drawn with calc_second_order={not second_order}?)"
        )
    if np.ptp(values) == 0.0:
        raise ValueError("Y is constant: Sobol' indices are undefined (no output variance)")
    result = sobol.analyze(
        copy.deepcopy(dict(problem)),
        values,
        calc_second_order=second_order,
        num_resamples=int(num_resamples),
        conf_level=confidence,
        print_to_console=False,
        seed=_salib_seed(seed),
    )
    first_total = pd.DataFrame(
        {
            "parameter": names,
            "S1": np.asarray(result["S1"], dtype=float),
            "S1_conf": np.asarray(result["S1_conf"], dtype=float),
            "ST": np.asarray(result["ST"], dtype=float),
            "ST_conf": np.asarray(result["ST_conf"], dtype=float),
        }
    )
    if not second_order:
        return first_total, None
    s2 = np.asarray(result["S2"], dtype=float)
    s2_conf = np.asarray(result["S2_conf"], dtype=float)
    rows = [
        (names[i], names[j], s2[i, j], s2_conf[i, j]) for i in range(d) for j in range(i + 1, d)
    ]
    second = pd.DataFrame(rows, columns=_SOBOL2_COLUMNS).astype(
        {"S2": "float64", "S2_conf": "float64"}
    )
    return first_total, second


def morris_indices(
    problem: Mapping[str, Any],
    X: Any,
    Y: Any,
    *,
    levels: int = 4,
    confidence: float = 0.95,
    seed: int = 0,
    num_resamples: int = 1000,
) -> pd.DataFrame:
    """Morris elementary-effects screening measures of one output.

    A wrapper around ``SALib.analyze.morris.analyze`` returning a tidy table.

    Parameters
    ----------
    problem : mapping
        SALib problem dict (not modified).
    X : array-like, shape (n, D)
        The Morris sample (``SALib.sample.morris.sample``), in its order.
    Y : array-like, shape (n,)
        Model outputs for the rows of ``X``.
    levels : int
        Number of grid levels the sample was drawn with.
    confidence : float
        Level of the bootstrap interval of ``mu_star`` (``mu_star_conf`` is its half width).
    seed : int
        Seed of the bootstrap resampling.
    num_resamples : int
        Number of bootstrap resamples.

    Returns
    -------
    pandas.DataFrame
        One row per parameter (problem order): ``parameter``, ``mu`` (mean elementary
        effect), ``mu_star`` (mean absolute effect), ``mu_star_conf``, ``sigma`` (standard
        deviation of the effects: interactions and non-linearity).

    Raises
    ------
    ValueError
        If ``X`` and ``Y`` do not match, or have NaN or infinite values.
    """
    from SALib.analyze import morris

    confidence = _check_confidence(confidence)
    names = _problem_names(problem)
    values = _outputs(Y)
    inputs = np.asarray(X, dtype=float)
    if inputs.ndim != 2 or inputs.shape != (values.size, len(names)):
        raise ValueError(
            f"X must have shape ({values.size}, {len(names)}) to match Y and the problem, "
            f"got {inputs.shape}"
        )
    if not np.all(np.isfinite(inputs)):
        raise ValueError("X has NaN or infinite values")
    if values.size % (len(names) + 1):
        raise ValueError(
            f"Y has {values.size} values; a Morris sample of {len(names)} parameters has "
            f"(D + 1) * trajectories = multiples of {len(names) + 1}"
        )
    result = morris.analyze(
        copy.deepcopy(dict(problem)),
        inputs,
        values,
        num_resamples=int(num_resamples),
        conf_level=confidence,
        print_to_console=False,
        num_levels=int(levels),
        seed=int(seed),
    )
    return pd.DataFrame(
        {
            "parameter": names,
            "mu": np.asarray(result["mu"], dtype=float),
            "mu_star": np.asarray(result["mu_star"], dtype=float),
            "mu_star_conf": np.asarray(result["mu_star_conf"], dtype=float),
            "sigma": np.asarray(result["sigma"], dtype=float),
        }
    )


# --------------------------------------------------------------------------- analyze


def _require(manifest: Mapping[str, Any], source: str, *keys: str) -> Any:
    value: Any = manifest
    for i, key in enumerate(keys):
        if not isinstance(value, Mapping) or key not in value:
            raise InputError(source, ".".join(keys[: i + 1]), "missing from the manifest")
        value = value[key]
    return value


def analyze(
    out_dir: str | os.PathLike[str],
    *,
    confidence: float = 0.95,
    num_resamples: int = 1000,
) -> dict[str, pd.DataFrame]:
    """Analyse a sweep output folder: point statistics, sensitivity indices, failures.

    For sobol and morris designs, the indices of each outcome are computed per scenario from
    Y = the mean over replications of each design point, taken in the design's point order
    (SALib's sample order within a scenario). An outcome is skipped, with a line in
    ``notes``, when a point has no value (all its runs failed, none was saved yet, or the
    outcome is NaN in all of them, e.g. ``weeks_to_agreement_*`` when no agreement
    happened) or when it is the same at every point. ``notes`` also flags outcomes whose
    point means owe more than ``NOISE_NOTE_SHARE`` of their variance to replication noise
    (and sweeps with one run per point, where that noise cannot be gauged), since such
    noise inflates ST. The bootstrap seed is the sweep's master seed, so the analysis of a
    folder is reproducible.

    Parameters
    ----------
    out_dir : str or os.PathLike
        The sweep's output folder.
    confidence : float
        Level of every confidence interval (t intervals of means, bootstrap intervals of
        indices).
    num_resamples : int
        Bootstrap resamples for the indices.

    Returns
    -------
    dict of str to pandas.DataFrame
        ``points`` (see :func:`point_summary`; every design point), ``failures`` (``run``,
        ``seed``, ``scenario``, ``error``), ``notes`` (``scenario``, ``outcome``, ``note``);
        for a sobol design also ``sobol`` (``scenario``, ``outcome``, ``parameter``, ``S1``,
        ``S1_conf``, ``ST``, ``ST_conf``) and, with second order, ``sobol_second``
        (``scenario``, ``outcome``, ``parameter_1``, ``parameter_2``, ``S2``, ``S2_conf``);
        for a morris design ``morris`` (``scenario``, ``outcome``, ``parameter``, ``mu``,
        ``mu_star``, ``mu_star_conf``, ``sigma``).

    Raises
    ------
    InputError
        If the folder is not a sweep output, or the manifest or runs lack what the
        contract promises.
    """
    folder = _sweep_folder(out_dir)
    manifest = read_manifest(folder)
    source = str(folder / MANIFEST)
    parameters = [str(p) for p in _require(manifest, source, "design", "parameters")]
    outcomes = [str(o) for o in _require(manifest, source, "outcomes")]
    design_type = str(_require(manifest, source, "design", "type"))
    design = read_design(folder)
    runs = read_runs(folder)
    for name in [*parameters, *outcomes]:
        if name not in runs.columns:
            raise InputError(str(folder / RUNS), name, "column missing from the runs table")
        if name in parameters and name not in design.columns:
            raise InputError(str(folder / DESIGN), name, "column missing from the design")

    notes: list[dict[str, str]] = []
    points = point_summary(runs, parameters, outcomes, confidence=confidence, design=design)
    failed = runs[runs["error"] != ""]
    failures = failed[_FAILURE_COLUMNS].reset_index(drop=True)
    if len(failures):
        notes.append(
            _note("", "", f"{len(failures)} run(s) failed (see failures.csv); not in statistics")
        )
    total = manifest.get("total_runs")
    if isinstance(total, int) and len(runs) < total:
        notes.append(_note("", "", f"{len(runs)} of {total} runs saved: the sweep is not complete"))
    for name in outcomes:
        partial = points[(points[f"{name}_n"] > 0) & (points[f"{name}_n"] < points["n"])]
        if len(partial):
            notes.append(
                _note(
                    "",
                    name,
                    f"NaN in some successful runs of {len(partial)} point(s): means, sds "
                    "and intervals there are over the runs where it is defined",
                )
            )

    tables: dict[str, pd.DataFrame] = {"points": points}
    if design_type in ("sobol", "morris"):
        tables.update(
            _sensitivity(
                manifest,
                source,
                design,
                points,
                outcomes,
                notes,
                confidence=confidence,
                num_resamples=num_resamples,
            )
        )
    tables["failures"] = failures
    tables["notes"] = pd.DataFrame(notes, columns=_NOTE_COLUMNS).astype(str)
    return tables


def _note(scenario: str, outcome: str, note: str) -> dict[str, str]:
    return {"scenario": scenario, "outcome": outcome, "note": note}


def _sensitivity(
    manifest: Mapping[str, Any],
    source: str,
    design: pd.DataFrame,
    points: pd.DataFrame,
    outcomes: Sequence[str],
    notes: list[dict[str, str]],
    *,
    confidence: float,
    num_resamples: int,
) -> dict[str, pd.DataFrame]:
    info = manifest["design"]
    kind = str(info["type"])
    problem = info.get("problem")
    second_order = bool(info.get("second_order") or False)
    levels = int(info.get("levels") or 4)
    seed = int(manifest.get("seed") or 0)
    first: list[pd.DataFrame] = []
    second: list[pd.DataFrame] = []
    if not isinstance(problem, Mapping):
        raise InputError(source, "design.problem", f"a {kind} design needs its SALib problem")
    names = _problem_names(problem)
    missing = [n for n in names if n not in design.columns]
    if missing:
        raise InputError(source, "design.problem.names", f"not design columns: {missing}")

    scenarios = (
        list(dict.fromkeys(design["scenario"].astype(str))) if "scenario" in design else [""]
    )
    for scenario in scenarios:
        if "scenario" in design:
            rows = points[points["scenario"].astype(str) == scenario]
            X = design.loc[design["scenario"].astype(str) == scenario, names]
        else:
            rows, X = points, design[names]
        for outcome in outcomes:
            Y = rows[f"{outcome}_mean"].to_numpy(dtype=float)
            empty = int(np.isnan(Y).sum())
            if empty:
                notes.append(
                    _note(
                        scenario,
                        outcome,
                        f"{kind} indices skipped: {empty} of {len(Y)} point(s) have no value "
                        "(all runs failed or not saved, or the outcome is undefined)",
                    )
                )
                continue
            if np.ptp(Y) == 0.0:
                notes.append(
                    _note(
                        scenario,
                        outcome,
                        f"{kind} indices skipped: the outcome is {Y[0]:g} at every point",
                    )
                )
                continue
            try:
                if kind == "sobol":
                    table, pairs = sobol_indices(
                        problem,
                        Y,
                        second_order=second_order,
                        confidence=confidence,
                        seed=seed,
                        num_resamples=num_resamples,
                    )
                else:
                    table = morris_indices(
                        problem,
                        X.to_numpy(dtype=float),
                        Y,
                        levels=levels,
                        confidence=confidence,
                        seed=seed,
                        num_resamples=num_resamples,
                    )
                    pairs = None
            except (ValueError, RuntimeError) as exc:
                notes.append(_note(scenario, outcome, f"{kind} indices failed: {exc}"))
                continue
            first.append(table.assign(scenario=scenario, outcome=outcome))
            if pairs is not None:
                second.append(pairs.assign(scenario=scenario, outcome=outcome))
            share = _noise_share(rows, outcome, Y)
            if share is not None and share > NOISE_NOTE_SHARE:
                notes.append(
                    _note(
                        scenario,
                        outcome,
                        f"replication noise is about {share:.0%} of the variance of the point "
                        "means: the indices are less reliable (ST inflated, S1 noisy); "
                        "consider more replications",
                    )
                )

    if first and int(points["n"].max()) < 2:
        notes.append(
            _note(
                "",
                "",
                "one run per point: run-to-run (seed) noise is part of Y, which inflates ST "
                "and makes S1 noisy; replications >= 2 let the analysis gauge it",
            )
        )
    lead = ["scenario", "outcome"]
    columns = _SOBOL_COLUMNS if kind == "sobol" else _MORRIS_COLUMNS
    out = {kind: _stack(first, [*lead, *columns])}
    if kind == "sobol" and second_order:
        out["sobol_second"] = _stack(second, [*lead, *_SOBOL2_COLUMNS])
    return out


def _noise_share(rows: pd.DataFrame, outcome: str, Y: np.ndarray) -> float | None:
    """Mean squared standard error of the point means over their variance (None: unknown).

    The standard errors come from the points with at least two runs.
    """
    n = rows[f"{outcome}_n"].to_numpy(dtype=float)
    sd = rows[f"{outcome}_sd"].to_numpy(dtype=float)
    known = (n >= 2) & np.isfinite(sd)
    if known.sum() < 2 or Y.size < 2:
        return None
    return float(np.mean(sd[known] ** 2 / n[known]) / np.var(Y, ddof=1))


def _stack(frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    if not frames:
        return pd.DataFrame({c: pd.Series([], dtype=_column_dtype(c)) for c in columns})
    return pd.concat(frames, ignore_index=True)[columns]


def _column_dtype(column: str) -> str:
    return (
        "str"
        if column in {"scenario", "outcome", "parameter", "parameter_1", "parameter_2"}
        else "float64"
    )


# --------------------------------------------------------------------------- writing


def _csv_bytes(table: pd.DataFrame) -> bytes:
    buffer = io.StringIO()
    table.to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue().encode("utf-8")


def write_analysis(
    out_dir: str | os.PathLike[str],
    tables: Mapping[str, pd.DataFrame] | None = None,
    *,
    figures: bool = True,
) -> list[Path]:
    """Write the analysis of a sweep under ``<out_dir>/analysis/``.

    Files: ``<table>.csv`` for each table (``points``, ``sobol``, ``sobol_second``,
    ``morris``, ``failures``, ``notes``, as present, then any other table), ``report.txt``
    (:func:`format_report`), and with ``figures`` the PNGs of
    :func:`lsr_sim.sweep.plots.save_sweep_figures` in ``analysis/figures/``. Every file is
    written atomically (temporary file, then rename) and deterministically: the same
    folder gives byte-identical files.

    Parameters
    ----------
    out_dir : str or os.PathLike
        The sweep's output folder.
    tables : mapping of str to pandas.DataFrame, optional
        Tables to write. Default: :func:`analyze` of the folder.
    figures : bool
        Whether to draw the figures too.

    Returns
    -------
    list of pathlib.Path
        The files written: the CSVs, the report, then the figures.
    """
    folder = _sweep_folder(out_dir)
    manifest = read_manifest(folder)
    if tables is None:
        tables = analyze(folder)
    target = folder / ANALYSIS
    target.mkdir(parents=True, exist_ok=True)
    names = [n for n in TABLE_ORDER if n in tables]
    names += sorted(n for n in tables if n not in TABLE_ORDER)
    written = [
        write_bytes_atomic(target / f"{name}.csv", _csv_bytes(tables[name])) for name in names
    ]
    report = format_report(tables, manifest) + "\n"
    written.append(write_bytes_atomic(target / "report.txt", report.encode("utf-8")))
    if figures:
        from lsr_sim.sweep.plots import save_sweep_figures

        written += save_sweep_figures(tables, manifest, target / "figures")
    return written


# --------------------------------------------------------------------------- report


def _fmt(value: float) -> str:
    return "nan" if not math.isfinite(value) else f"{value:.4g}"


def format_report(tables: Mapping[str, pd.DataFrame], manifest: Mapping[str, Any]) -> str:
    """A compact text report of an analysis, for the terminal.

    Lists the design, runs done / failed / missing, the range of the point means of each
    outcome, the sensitivity indices (if any) and the notes.

    Parameters
    ----------
    tables : mapping of str to pandas.DataFrame
        Tables as returned by :func:`analyze` (``points`` is required).
    manifest : mapping
        The sweep's manifest (see :func:`read_manifest`).

    Returns
    -------
    str
        The report, without a trailing newline.
    """
    points = tables["points"]
    design = manifest.get("design") or {}
    outcomes = [o for o in manifest.get("outcomes", []) if f"{o}_mean" in points.columns]
    name = (manifest.get("sweep") or {}).get("name", "sweep")
    n_points = int(design.get("points", len(points)) or len(points))
    reps = manifest.get("replications", "?")
    total = manifest.get("total_runs")
    done, failed = int(points["n"].sum()), int(points["failed"].sum())
    lines = [
        f"Sweep {name}: {design.get('type', '?')} design, {n_points} point(s) x {reps} "
        f"replication(s) = {total if total is not None else '?'} run(s)"
    ]
    runs_line = f"Runs: {done} done, {failed} failed"
    if isinstance(total, int):
        runs_line += f", {max(total - done - failed, 0)} not saved"
    lines.append(runs_line)
    if failed:
        lines.append(
            "  failed runs: see analysis/failures.csv (repeat one: lsr-sim run SCENARIO --seed N)"
        )

    if outcomes:
        multi = "scenario" in points.columns and points["scenario"].nunique() > 1
        groups = list(points.groupby("scenario", sort=False)) if multi else [("", points)]
        width = max(len(o) for o in outcomes)
        lines.append("")
        lines.append("Point means (min .. max over points):")
        for scenario, frame in groups:
            if multi:
                lines.append(f"  scenario {scenario}:")
            for outcome in outcomes:
                means = frame[f"{outcome}_mean"].to_numpy(dtype=float)
                valid = means[np.isfinite(means)]
                indent = "    " if multi else "  "
                if valid.size:
                    text = f"{_fmt(float(valid.min()))} .. {_fmt(float(valid.max()))}"
                    if valid.size < means.size:
                        text += f"  ({means.size - valid.size} point(s) without a value)"
                else:
                    text = "no value at any point"
                lines.append(f"{indent}{outcome:<{width}}  {text}")

    for key, title in (("sobol", "Sobol' indices"), ("morris", "Morris screening")):
        indices = tables.get(key)
        if indices is None or indices.empty:
            continue
        lines.append("")
        lines.append(f"{title} (± is the half width of the bootstrap confidence interval):")
        lines.append(_indices_text(indices, key))
    second = tables.get("sobol_second")
    if second is not None and not second.empty:
        lines.append("")
        lines.append("Sobol' second-order indices:")
        shown = second.assign(
            S2=[f"{s:.3f} ± {c:.3f}" for s, c in zip(second["S2"], second["S2_conf"], strict=True)]
        )
        columns = ["scenario", "outcome", "parameter_1", "parameter_2", "S2"]
        lines.append(_table_text(shown[columns]))

    notes = tables.get("notes")
    if notes is not None and not notes.empty:
        lines.append("")
        lines.append("Notes:")
        for row in notes.itertuples(index=False):
            where = ", ".join(str(v) for v in (row.scenario, row.outcome) if str(v))
            lines.append(f"  - {where + ': ' if where else ''}{row.note}")
    return "\n".join(lines)


def _indices_text(indices: pd.DataFrame, kind: str) -> str:
    frame = indices.copy()
    if kind == "sobol":
        frame["S1"] = [
            f"{s:.3f} ± {c:.3f}" for s, c in zip(frame["S1"], frame["S1_conf"], strict=True)
        ]
        frame["ST"] = [
            f"{s:.3f} ± {c:.3f}" for s, c in zip(frame["ST"], frame["ST_conf"], strict=True)
        ]
        columns = ["scenario", "outcome", "parameter", "S1", "ST"]
    else:
        frame["mu_star"] = [
            f"{s:.4g} ± {c:.2g}"
            for s, c in zip(frame["mu_star"], frame["mu_star_conf"], strict=True)
        ]
        frame["mu"] = [f"{v:.4g}" for v in frame["mu"]]
        frame["sigma"] = [f"{v:.4g}" for v in frame["sigma"]]
        columns = ["scenario", "outcome", "parameter", "mu_star", "mu", "sigma"]
    if frame["scenario"].nunique() <= 1:
        columns.remove("scenario")
    return _table_text(frame[columns])


def _table_text(frame: pd.DataFrame) -> str:
    text = frame.to_string(index=False)
    return "\n".join(f"  {line.rstrip()}" for line in text.splitlines())
