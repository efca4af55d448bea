"""Global sensitivity analysis over every free input of a scenario, measured against a dummy.

The steps, each a plain function (``lsr-sim sensitivity`` calls them in turn):

1. :func:`plan_sensitivity`: the scenario's free inputs and their ranges
   (:func:`lsr_sim.sweep.inputs.free_inputs`), plus dummy parameters the model never reads
   (``dummy.1`` ... ``dummy.<n>``, :mod:`lsr_sim.scenario.derived`), in a Morris or Sobol'
   design;
2. :func:`run_sensitivity`: writes the plan as an ordinary sweep file (``sweep.yaml``) into
   the output folder and runs it with the resumable sweep runner into ``sweep/`` (run the
   same command again and only the missing runs are computed), then
3. :func:`screen`: the sweep's indices (:func:`lsr_sim.sweep.analysis.analyze`: SALib's
   estimators on the means over replications) and, for each input and outcome, whether its
   index is distinguishable from the dummies', by a paired bootstrap (below), and
4. :func:`write_screening`: the tables (CSV), a summary (JSON) and figures.

**Distinguishable from the dummies.** A dummy's index is what the estimator reports for an
input with no effect: replication (seed) noise in the point means plus sampling error. One
dummy is one noisy draw of that floor, shared by every comparison (if its few effects happen
to be small, every input looks above it); the mean of several dummies pools their noise.
An input "does not matter" for an outcome when its index is not significantly above the
dummies' mean: the blocks of the design (Morris trajectories; Sobol' base rows, each with its
k + 2 points) are resampled with replacement, the same blocks for every parameter, and the
input is distinguishable when the share of resamples in which its index (mu*, or ST) does
not exceed the dummies' mean (``p_dummy``) is below ``1 - confidence``. Each dummy is tested
in the same way against the mean of the others: about ``1 - confidence`` of them should pass,
a check of the test on the run itself. The test is one-sided and per input, with no
correction for testing many inputs: a correction would move more inputs into the "does not
matter" list, so the list errs on the short side; among inputs with no effect about
``1 - confidence`` of them are expected to pass as distinguishable by chance.

Morris elementary effects per trajectory come from SALib itself (its ``mu`` for a design of
one trajectory is that trajectory's effects); the Sobol' estimators are SALib's
``first_order`` and ``total_order`` (Saltelli et al. 2010), on resampled rows as SALib's own
bootstrap does.
"""

from __future__ import annotations

import copy
import json
import math
import os
import shutil
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import yaml

from lsr_sim.atomic import write_bytes_atomic
from lsr_sim.errors import InputError
from lsr_sim.limits import MAX_SWEEP_RUNS, calendar_problem
from lsr_sim.messages import did_you_mean
from lsr_sim.scenario import Scenario, load_scenario
from lsr_sim.scenario.derived import dummy_names, is_dummy
from lsr_sim.sweep.inputs import InputSet, RangeRules, free_inputs, load_range_rules

__all__ = [
    "DEFAULT_DUMMIES",
    "DEFAULT_REPLICATIONS",
    "DEFAULT_SAMPLES",
    "METHODS",
    "NEAR_ZERO",
    "SensitivityPlan",
    "SensitivityRun",
    "check_folder",
    "dummy_comparison",
    "main_outcomes",
    "plan_sensitivity",
    "read_screening",
    "run_sensitivity",
    "screen",
    "write_screening",
]

METHODS = ("morris", "sobol")
#: Default trajectories (morris) and base sample size (sobol, a power of two).
DEFAULT_SAMPLES = {"morris": 20, "sobol": 64}
DEFAULT_REPLICATIONS = 4
#: Dummy parameters: their pooled index is the noise floor (one alone is a noisy reference).
DEFAULT_DUMMIES = 10
#: The dummy's index counts as near zero when it is at most this share of the largest one.
NEAR_ZERO = 0.05
#: Outcomes every scenario reports that :func:`main_outcomes` keeps.
CORE_OUTCOMES = ("rapprochement_index", "mean_trust", "agreements", "implemented")

SWEEP_FILE = "sweep.yaml"
SWEEP_DIR = "sweep"
INPUTS_FILE = "inputs.csv"
EXCLUDED_FILE = "excluded.csv"
SUMMARY_FILE = "summary.json"
FIGURES_DIR = "figures"
_TABLES = ("ranking", "dummy", "not_distinguishable", "groups", "notes")
_OWN = (
    SWEEP_FILE,
    INPUTS_FILE,
    EXCLUDED_FILE,
    SUMMARY_FILE,
    FIGURES_DIR,
    SWEEP_DIR,
    *(f"{t}.csv" for t in _TABLES),
)


def main_outcomes(scenario: Scenario) -> list[str]:
    """The outcomes a sensitivity analysis looks at by default.

    The rapprochement index, mean trust, agreements, implemented issues, trust between
    each pair of principals and every delivered quantity (in people). The weeks to an
    agreement are left out: undefined in the runs where none is reached.

    Examples
    --------
    >>> from lsr_sim.scenario import load_scenario
    >>> main_outcomes(load_scenario("scenarios/baseline.yaml"))[:6]
    ['rapprochement_index', 'mean_trust', 'agreements', 'implemented', 'trust_Beirut_Damascus',
     'trust_Damascus_Beirut']
    """
    from lsr_sim.experiment import summary_columns

    columns = summary_columns(scenario)
    kept = [c for c in CORE_OUTCOMES if c in columns]
    kept += [c for c in columns if c.startswith(("trust_", "delivered_"))]
    return kept


# -- the plan ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SensitivityPlan:
    """A sensitivity analysis to run: its inputs, design and outcomes.

    Attributes
    ----------
    scenario_file : Path
        The scenario (absolute).
    scenario : Scenario
        It, validated.
    inputs : InputSet
        The inputs varied (with their ranges) and those left out.
    method : str
        ``morris`` or ``sobol``.
    samples : int
        Morris trajectories r, or Sobol' base sample size N.
    replications : int
        Runs per design point (their mean is the point's outcome).
    levels : int
        Morris grid levels.
    outcomes : tuple of str
        Summary columns analysed.
    seed : int
        Master seed of the sweep (its design and every run's seed).
    steps : int or None
        Steps per run (None: the scenario's ``run.steps``).
    dummies : int
        Dummy parameters (``dummy``, or ``dummy.1`` ... ``dummy.<n>``).
    """

    scenario_file: Path
    scenario: Scenario
    inputs: InputSet
    method: str
    samples: int
    replications: int
    levels: int
    outcomes: tuple[str, ...]
    seed: int
    steps: int | None
    dummies: int = DEFAULT_DUMMIES

    @property
    def parameters(self) -> list[str]:
        """The sweep's parameters: every input, then the dummies."""
        return [*self.inputs.paths, *dummy_names(self.dummies)]

    @property
    def points(self) -> int:
        """Design points: r (k + 1) for Morris, N (k + 2) for Sobol' (k with the dummies)."""
        k = len(self.parameters)
        return self.samples * (k + 1 if self.method == "morris" else k + 2)

    @property
    def runs(self) -> int:
        return self.points * self.replications

    def sweep_content(self, folder: Path) -> dict[str, Any]:
        """The sweep file (as a mapping) for an output `folder`: the scenario path is
        written relative to it where possible."""
        try:
            scenario = os.path.relpath(self.scenario_file, folder.resolve())
        except ValueError:  # another drive (Windows)
            scenario = str(self.scenario_file)
        parameters: dict[str, Any] = {
            i.path: {"range": [i.low, i.high]} for i in self.inputs.inputs
        }
        for name in dummy_names(self.dummies):
            parameters[name] = {"range": [0.0, 1.0]}
        design: dict[str, Any] = {"type": self.method, "samples": self.samples}
        if self.method == "morris":
            design["levels"] = self.levels
        content: dict[str, Any] = {
            "name": f"sensitivity_{self.scenario.name}_{self.method}",
            "description": (
                f"{self.method} screening of every free input of {self.scenario.name} "
                "(written by lsr-sim sensitivity)"
            ),
            "scenario": scenario,
        }
        if self.steps is not None:
            content["steps"] = self.steps
        content.update(
            parameters=parameters,
            design=design,
            replications=self.replications,
            seed=self.seed,
            outcomes=list(self.outcomes),
        )
        return content


def _option(option: str, message: str) -> InputError:
    return InputError("command line", option, message)


def plan_sensitivity(
    scenario_file: str | os.PathLike[str],
    *,
    method: str = "morris",
    samples: int | None = None,
    replications: int = DEFAULT_REPLICATIONS,
    outcomes: Sequence[str] | None = None,
    seed: int | None = None,
    steps: int | None = None,
    levels: int = 4,
    ranges: str | os.PathLike[str] | RangeRules | None = None,
    dummies: int = DEFAULT_DUMMIES,
) -> SensitivityPlan:
    """Plan a sensitivity analysis of a scenario file (nothing runs, nothing is written).

    Parameters
    ----------
    scenario_file : path
        The scenario YAML file.
    method : {"morris", "sobol"}
        Morris elementary effects (r (k + 1) points) or Sobol' indices (N (k + 2) points).
    samples : int, optional
        Morris trajectories, or the Sobol' base sample size (a power of two); default
        :data:`DEFAULT_SAMPLES`.
    replications : int
        Runs per design point.
    outcomes : sequence of str, optional
        Summary columns to analyse; default :func:`main_outcomes`.
    seed : int, optional
        Master seed; default the scenario's ``run.seed``.
    steps : int, optional
        Steps per run; default the scenario's ``run.steps``.
    levels : int
        Morris levels (even, >= 2).
    ranges : path or RangeRules, optional
        A ranges file (:func:`lsr_sim.sweep.inputs.load_range_rules`) or its rules.
    dummies : int
        Dummy parameters; their pooled index is the noise floor.

    Returns
    -------
    SensitivityPlan

    Raises
    ------
    InputError
        A bad scenario or ranges file (naming the file and field), or a bad option (naming
        it: ``--method``, ``--samples``, ``--replications``, ``--outcomes``, ``--steps``;
        a plan of more than :data:`~lsr_sim.limits.MAX_SWEEP_RUNS` runs names ``--samples``).
    """
    if method not in METHODS:
        raise _option(
            "--method", f"is {method!r}{did_you_mean(method, METHODS)}; expected morris or sobol"
        )
    if samples is None:
        samples = DEFAULT_SAMPLES[method]
    if samples < 1 or (method == "morris" and samples < 2):
        raise _option(
            "--samples",
            f"is {samples}; "
            + ("Morris needs at least 2 trajectories" if method == "morris" else "must be >= 1"),
        )
    if method == "sobol" and samples & (samples - 1):
        below = 1 << (samples.bit_length() - 1)
        raise _option(
            "--samples",
            f"is {samples}, not a power of two; Sobol' sampling needs one: try {below} or "
            f"{below * 2}",
        )
    if replications < 1:
        raise _option("--replications", f"is {replications}; must be >= 1")
    if dummies < 1:
        raise _option("--dummies", f"is {dummies}; must be >= 1")
    if steps is not None and steps < 1:
        raise _option("--steps", f"is {steps}; must be >= 1")
    if method == "morris" and (levels < 2 or levels % 2):
        raise _option("--levels", f"is {levels}; Morris levels must be an even number >= 2")
    path = Path(scenario_file)
    scenario = load_scenario(path)
    if steps is not None:
        problem = calendar_problem(scenario.run.start_date, scenario.run.step_days, steps)
        if problem:
            raise _option("--steps", problem)
    if outcomes is None:
        chosen = main_outcomes(scenario)
    else:
        chosen = list(dict.fromkeys(outcomes))
        if not chosen:
            raise _option("--outcomes", "is empty; name summary columns, e.g. mean_trust")
        from lsr_sim.experiment import summary_columns

        numeric = summary_columns(scenario)
        for name in chosen:
            if name not in numeric:
                text = name in summary_columns(scenario, numeric=False)
                why = (
                    "is a text column"
                    if text
                    else f"is not an outcome{did_you_mean(name, numeric)}"
                )
                raise _option(
                    "--outcomes", f"{name!r} {why}; expected summary columns: {', '.join(numeric)}"
                )
    rules = (
        ranges
        if isinstance(ranges, RangeRules)
        else (load_range_rules(ranges) if ranges is not None else None)
    )
    inputs = free_inputs(scenario, rules)
    if not inputs.inputs:
        raise InputError(
            str(path), "", "has no free numeric input to vary (or the ranges file excludes all)"
        )
    plan = SensitivityPlan(
        scenario_file=path.resolve(),
        scenario=scenario,
        inputs=inputs,
        method=method,
        samples=int(samples),
        replications=int(replications),
        levels=int(levels),
        outcomes=tuple(chosen),
        seed=scenario.run.seed if seed is None else int(seed),
        steps=steps,
        dummies=int(dummies),
    )
    if plan.runs > MAX_SWEEP_RUNS:  # refused before the sweep file is written
        raise _option(
            "--samples",
            f"gives {plan.points:,} points x {plan.replications:,} replications = "
            f"{plan.runs:,} runs, above the limit of {MAX_SWEEP_RUNS:,} "
            "(lsr_sim.limits.MAX_SWEEP_RUNS); use fewer --samples or --replications",
        )
    return plan


# -- running -----------------------------------------------------------------------------------


@dataclass
class SensitivityRun:
    """What :func:`run_sensitivity` did."""

    out_dir: Path
    report: Any  # lsr_sim.sweep.runner.SweepReport
    tables: dict[str, pd.DataFrame] | None  # None when interrupted
    written: list[Path]


def _sweep_text(content: Mapping[str, Any]) -> str:
    header = (
        "# Written by lsr-sim sensitivity: every free input of the scenario with its range,\n"
        "# and a dummy parameter applied to nothing. Change the ranges with a ranges file\n"
        "# (lsr-sim sensitivity --ranges FILE), not here: the command rewrites this file.\n"
    )
    return header + yaml.safe_dump(dict(content), sort_keys=False, width=100)


def _first_difference(old: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    for key in dict.fromkeys([*new, *old]):
        if old.get(key) != new.get(key):
            if key == "parameters":
                return "the inputs or their ranges (the scenario or the ranges file changed)"
            return f"{key} ({old.get(key)!r} before, {new.get(key)!r} now)"
    return "the file's text"


def check_folder(
    plan: SensitivityPlan, out_dir: str | os.PathLike[str], *, fresh: bool = False
) -> None:
    """Refuse an output folder the plan cannot use; nothing is written.

    A folder is refused when it is a file, when it is not empty and holds no sensitivity
    analysis, or (unless `fresh`) when it holds one with other settings: another method,
    size, seed, outcome, scenario or ranges (the message names what changed).

    Raises
    ------
    InputError
    """
    out_dir = Path(out_dir)
    content = plan.sweep_content(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise _option("--out", f"{out_dir} is a file; expected a folder (new or existing)")
    existing = out_dir / SWEEP_FILE
    if existing.is_file():
        old_text = existing.read_text(encoding="utf-8")
        if not fresh and old_text != _sweep_text(content):
            from lsr_sim.scenario.yamlfile import parse_yaml
            from lsr_sim.sweep.loading import SWEEP_FILE as SWEEP_KIND

            try:
                old = parse_yaml(old_text, str(existing), SWEEP_KIND) or {}
            except InputError:  # an unreadable old file: say only that the settings differ
                old = {}
            raise InputError(
                str(out_dir),
                "",
                "holds a sensitivity analysis with other settings (changed: "
                f"{_first_difference(old if isinstance(old, dict) else {}, content)}); add "
                "--fresh to start over, or choose another --out",
            )
    elif out_dir.is_dir() and any(out_dir.iterdir()):
        raise InputError(
            str(out_dir),
            "",
            "is not empty and holds no sensitivity analysis; choose another --out",
        )


def _clear(out_dir: Path) -> None:
    for name in _OWN:
        target = out_dir / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()


def _csv(table: pd.DataFrame) -> bytes:
    return table.to_csv(index=False, lineterminator="\n").encode("utf-8")


def run_sensitivity(
    plan: SensitivityPlan,
    out_dir: str | os.PathLike[str],
    *,
    workers: int | None = None,
    fresh: bool = False,
    progress: bool = True,
    command: Sequence[str] | None = None,
    figures: bool = True,
    confidence: float = 0.95,
    num_resamples: int = 1000,
    stream: Any = None,
) -> SensitivityRun:
    """Write the plan's sweep into `out_dir`, run what is missing, screen and write results.

    Files in `out_dir`: ``sweep.yaml`` (the generated sweep file), ``inputs.csv`` and
    ``excluded.csv`` (the inputs with their ranges, the fields left out with reasons),
    ``sweep/`` (the runner's folder: manifest, design, runs, ``analysis/``), the screening
    tables (:func:`write_screening`), ``summary.json`` and ``figures/``.

    Interrupted (Ctrl-C), it returns with ``tables`` None and the runs saved so far; the
    same call resumes. The folder is refused if it holds another analysis (other settings,
    scenario or ranges) unless `fresh`.
    """
    from lsr_sim.sweep.analysis import analyze, write_analysis
    from lsr_sim.sweep.loading import load_sweep
    from lsr_sim.sweep.runner import run_sweep

    out_dir = Path(out_dir)
    content = plan.sweep_content(out_dir)
    text = _sweep_text(content)
    check_folder(plan, out_dir, fresh=fresh)
    if fresh:
        _clear(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(out_dir / SWEEP_FILE, text.encode("utf-8"))
    write_bytes_atomic(out_dir / INPUTS_FILE, _csv(plan.inputs.table()))
    write_bytes_atomic(out_dir / EXCLUDED_FILE, _csv(plan.inputs.excluded_table()))
    loaded = load_sweep(out_dir / SWEEP_FILE)
    report = run_sweep(
        loaded,
        out_dir / SWEEP_DIR,
        workers=workers,
        fresh=fresh,
        progress=progress,
        command=command,
        stream=stream,
    )
    _record_timing(out_dir, report, workers)
    if report.interrupted:
        return SensitivityRun(out_dir, report, None, [])
    sweep_tables = analyze(out_dir / SWEEP_DIR, confidence=confidence, num_resamples=num_resamples)
    write_analysis(out_dir / SWEEP_DIR, sweep_tables, figures=False)
    tables = screen(
        out_dir,
        sweep_tables=sweep_tables,
        confidence=confidence,
        num_resamples=num_resamples,
    )
    written = write_screening(
        out_dir,
        tables,
        command=command,
        figures=figures,
        confidence=confidence,
        rules=plan.inputs.rules,
    )
    return SensitivityRun(out_dir, report, tables, written)


def _record_timing(out_dir: Path, report: Any, workers: int | None) -> None:
    """Add this invocation's runs and seconds to ``sweep/timing.json`` (kept across resumes)."""
    path = out_dir / SWEEP_DIR / "timing.json"
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        entries = []
    if not isinstance(entries, list):
        entries = []
    if report.done_now:
        entries.append(
            {
                "runs": int(report.done_now),
                "seconds": round(float(report.seconds), 3),
                "workers": workers or os.cpu_count() or 1,
            }
        )
    text = json.dumps(entries, indent=2) + "\n"
    write_bytes_atomic(path, text.encode("utf-8"))


# -- screening against the dummy ---------------------------------------------------------------


def _morris_effects(
    problem: Mapping[str, Any], X: np.ndarray, Y: np.ndarray, levels: int
) -> np.ndarray:
    """Elementary effects, shape (k, r): SALib's ``mu`` of each single trajectory."""
    from SALib.analyze import morris

    k = int(problem["num_vars"])
    size = k + 1
    count = Y.size // size
    effects = np.empty((k, count))
    for t in range(count):
        rows = slice(t * size, (t + 1) * size)
        with warnings.catch_warnings():
            # sigma of one effect (ddof = 1) is undefined; only mu is used
            warnings.simplefilter("ignore", RuntimeWarning)
            result = morris.analyze(
                copy.deepcopy(dict(problem)),
                X[rows],
                Y[rows],
                num_resamples=2,
                print_to_console=False,
                num_levels=levels,
                seed=1,
            )
        effects[:, t] = np.asarray(result["mu"], dtype=float)
    return effects


def dummy_comparison(
    method: str,
    problem: Mapping[str, Any],
    X: np.ndarray,
    Y: np.ndarray,
    *,
    levels: int = 4,
    confidence: float = 0.95,
    num_resamples: int = 1000,
    seed: int = 0,
) -> pd.DataFrame:
    """Whether each input's index is above the dummies', by a paired bootstrap over blocks.

    The reference is the mean index of the dummies (the problem's names ``dummy`` or
    ``dummy.<label>``): with one dummy, all inputs are compared with one noisy draw, which
    moves every comparison together; several pool the noise of as many. The blocks of the
    design (Morris trajectories, Sobol' base rows) are resampled with replacement, the same
    for every parameter, and an input is above the dummies when the share of resamples in
    which its index does not exceed the reference (``p_dummy``) is below ``1 - confidence``.
    Each dummy is compared with the mean of the others (with two or more): a check of the
    test, since about ``1 - confidence`` of them should pass by chance.

    Parameters
    ----------
    method : {"morris", "sobol"}
        The design `X` comes from (Sobol' without second order).
    problem : mapping
        The SALib problem; its names include at least one dummy.
    X : numpy.ndarray
        The design (rows in SALib's order); Sobol' needs only its row count.
    Y : numpy.ndarray
        One output per row (for example the mean over replications).
    confidence : float
        One-sided level of the test, and of the reference's interval.
    num_resamples : int
        Bootstrap resamples.
    seed : int
        Seed of the resampling.

    Returns
    -------
    pandas.DataFrame
        One row per parameter (problem order, dummies included): ``parameter``, ``index``
        (mu* or ST on all blocks), ``dummy_index`` (the reference: the mean of the dummies,
        or of the other dummies for a dummy), ``dummy_conf`` (half width of its bootstrap
        interval, normal approximation as SALib's), ``difference_low`` (the
        ``1 - confidence`` quantile of index minus reference over resamples), ``p_dummy``
        and ``above_dummy``.

    Examples
    --------
    Morris on y = 2 x0 + 0.1 x1 with a dummy: x0 and x1 are above it, whose effects are
    exactly 0 here (no noise):

    >>> from SALib.sample import morris as ms
    >>> problem = {"num_vars": 3, "names": ["x0", "x1", "dummy"], "bounds": [[0, 1]] * 3}
    >>> X = ms.sample(problem, 10, num_levels=4, seed=1)
    >>> table = dummy_comparison("morris", problem, X, 2 * X[:, 0] + 0.1 * X[:, 1])
    >>> table[["parameter", "above_dummy"]].to_dict("list")
    {'parameter': ['x0', 'x1', 'dummy'], 'above_dummy': [True, True, False]}
    """
    from scipy.stats import norm

    names = [str(n) for n in problem["names"]]
    dummies = np.array([is_dummy(n) for n in names])
    if not dummies.any():
        raise ValueError("the problem has no dummy parameter (dummy or dummy.<label>)")
    k = len(names)
    rng = np.random.default_rng(np.random.SeedSequence(int(seed)))
    if method == "morris":
        effects = np.abs(
            _morris_effects(problem, np.asarray(X, float), np.asarray(Y, float), levels)
        )
        blocks = effects.shape[1]
        index = effects.mean(axis=1)
        draws = rng.integers(blocks, size=(num_resamples, blocks))
        resampled = effects[:, draws].mean(axis=2)  # (k, resamples)
    elif method == "sobol":
        from SALib.analyze.sobol import separate_output_values, total_order

        values = np.asarray(Y, dtype=float)
        blocks = values.size // (k + 2)
        A, B, AB, _ = separate_output_values(values, k, blocks, False)
        index = np.array([total_order(A, AB[:, j], B) for j in range(k)])
        draws = rng.integers(blocks, size=(num_resamples, blocks))
        resampled = np.array([total_order(A[draws], AB[draws, j], B[draws]) for j in range(k)])
    else:
        raise ValueError(f"method must be morris or sobol, got {method!r}")
    count = int(dummies.sum())
    total, total_resampled = index[dummies].sum(), resampled[dummies].sum(axis=0)
    reference = np.full(k, total / count)
    reference_resampled = np.broadcast_to(total_resampled / count, resampled.shape).copy()
    if count > 1:  # a dummy against the mean of the others
        reference[dummies] = (total - index[dummies]) / (count - 1)
        reference_resampled[dummies] = (total_resampled - resampled[dummies]) / (count - 1)
    difference = resampled - reference_resampled
    alpha = 1.0 - confidence
    p_dummy = (difference <= 0).mean(axis=1)
    above = p_dummy < alpha
    if count == 1:
        above[dummies] = False  # a lone dummy against itself
    z = float(norm.ppf(0.5 + confidence / 2))
    return pd.DataFrame(
        {
            "parameter": names,
            "index": index,
            "dummy_index": reference,
            "dummy_conf": z * reference_resampled.std(axis=1, ddof=1),
            "difference_low": np.quantile(difference, alpha, axis=1),
            "p_dummy": p_dummy,
            "above_dummy": above,
        }
    )


def _groups_of(inputs: pd.DataFrame) -> dict[str, str]:
    return dict(zip(inputs["path"].astype(str), inputs["group"].astype(str), strict=True))


def screen(
    out_dir: str | os.PathLike[str],
    *,
    sweep_tables: Mapping[str, pd.DataFrame] | None = None,
    confidence: float = 0.95,
    num_resamples: int = 1000,
) -> dict[str, pd.DataFrame]:
    """The screening tables of a sensitivity folder written by :func:`run_sensitivity`.

    Returns
    -------
    dict of str to pandas.DataFrame
        ``ranking``: per outcome, every parameter (the dummies included, without a
        ``rank``) in the order of its index (mu* or ST; ``rank`` counts the inputs only),
        with the SALib indices and intervals, its group, ``relative``
        (the index over the outcome's largest input's), and from :func:`dummy_comparison`
        ``dummy_index``, ``dummy_conf``, ``difference_low``, ``p_dummy``, ``above_dummy``;
        ``dummy``: per outcome, the dummies' mean index and its interval, the largest
        input's index and name, their ratio, whether the dummies are near zero (ratio <=
        :data:`NEAR_ZERO`), the inputs above the dummies, how many dummies pass as above
        the others (and how many would by chance), the noise share of the point means and
        the replications that would bring the ratio to :data:`NEAR_ZERO`;
        ``not_distinguishable``: the inputs above the dummy for no analysed outcome;
        ``groups``: per kind of input, how many there are and how many matter for at least
        one outcome; ``notes``: the sweep analysis's notes.
    """
    from lsr_sim.sweep.analysis import analyze, read_design, read_manifest

    folder = Path(out_dir)
    sweep_dir = folder / SWEEP_DIR
    manifest = read_manifest(sweep_dir)
    tables = (
        sweep_tables
        if sweep_tables is not None
        else analyze(sweep_dir, confidence=confidence, num_resamples=num_resamples)
    )
    design_info = manifest["design"]
    method = str(design_info["type"])
    if method not in METHODS:
        raise InputError(
            str(sweep_dir), "manifest.json", f"a {method} design; expected morris or sobol"
        )
    problem = design_info["problem"]
    levels = int(design_info.get("levels") or 4)
    names = [str(n) for n in problem["names"]]
    dummies = [n for n in names if is_dummy(n)]
    if not dummies:
        raise InputError(str(sweep_dir), "manifest.json", "the sweep has no dummy parameter")
    inputs = pd.read_csv(folder / INPUTS_FILE)
    groups = {**_groups_of(inputs), **dict.fromkeys(dummies, "dummy")}
    design = read_design(sweep_dir)
    points = tables["points"]
    X = design[names].to_numpy(dtype=float)
    indices = tables[method]
    key = "mu_star" if method == "morris" else "ST"
    replications = int(manifest.get("replications") or 1)
    seed = int(manifest.get("seed") or 0)
    ranking: list[pd.DataFrame] = []
    dummy_rows: list[dict[str, Any]] = []
    for outcome in manifest["outcomes"]:
        own = indices[indices["outcome"] == outcome]
        if own.empty:
            continue  # skipped by the analysis: its notes say why
        Y = points[f"{outcome}_mean"].to_numpy(dtype=float)
        compared = dummy_comparison(
            method,
            problem,
            X,
            Y,
            levels=levels,
            confidence=confidence,
            num_resamples=num_resamples,
            seed=seed,
        )
        frame = own.drop(columns=["scenario", "outcome"]).merge(
            compared.drop(columns=["index"]), on="parameter"
        )
        frame.insert(0, "outcome", outcome)
        frame.insert(2, "group", frame["parameter"].map(groups).fillna(""))
        is_input = ~frame["parameter"].map(is_dummy)
        top = float(frame.loc[is_input, key].max())
        frame["relative"] = frame[key] / top if top > 0 else np.nan
        frame = frame.sort_values([key, "parameter"], ascending=[False, True], kind="stable")
        # rank among the inputs; the dummies keep their place in the order, without a rank
        order = np.cumsum(~frame["parameter"].map(is_dummy).to_numpy())
        frame.insert(1, "rank", np.where(frame["parameter"].map(is_dummy), np.nan, order))
        ranking.append(frame.reset_index(drop=True))
        real = frame[~frame["parameter"].map(is_dummy)]
        noise_rows = frame[frame["parameter"].map(is_dummy)]
        best = real.iloc[0]
        level = float(real["dummy_index"].iloc[0])  # the mean of every dummy's index
        ratio = level / top if top > 0 else math.nan
        # Morris: the dummies' mu* is seed noise, which falls as 1/sqrt(replications);
        # Sobol: their ST is the noise share of the variance, which falls as 1/reps.
        power = 2.0 if method == "morris" else 1.0
        needed = (
            replications
            if not ratio > NEAR_ZERO
            else math.ceil(replications * (ratio / NEAR_ZERO) ** power)
        )
        sd = points[f"{outcome}_sd"].to_numpy(dtype=float)
        n = points[f"{outcome}_n"].to_numpy(dtype=float)
        known = (n >= 2) & np.isfinite(sd)
        noise = (
            float(np.mean(sd[known] ** 2 / n[known]) / np.var(Y, ddof=1))
            if known.sum() >= 2 and np.var(Y, ddof=1) > 0
            else math.nan
        )
        dummy_rows.append(
            {
                "outcome": outcome,
                "dummy_index": level,
                "dummy_conf": float(real["dummy_conf"].iloc[0]),
                "top_parameter": str(best["parameter"]),
                "top_index": top,
                "ratio": ratio,
                "near_zero": bool(ratio <= NEAR_ZERO),
                "above_dummy": int(real["above_dummy"].sum()),
                "inputs": len(real),
                "dummies": len(noise_rows),
                "dummies_above": int(noise_rows["above_dummy"].sum()),
                "dummies_expected": (1.0 - confidence) * len(noise_rows),
                "noise_share": noise,
                "replications": replications,
                "replications_needed": needed,
            }
        )
    ranked = (
        pd.concat(ranking, ignore_index=True)
        if ranking
        else pd.DataFrame(columns=["outcome", "rank", "parameter", "group", key])
    )
    real = ranked[~ranked["parameter"].map(is_dummy)]
    matters = real.groupby("parameter", sort=False)["above_dummy"].any()
    paths = [p for p in names if not is_dummy(p)]
    inert = [p for p in paths if not bool(matters.get(p, False))]
    best_relative = real.groupby("parameter")["relative"].max() if len(real) else pd.Series()
    not_distinguishable = pd.DataFrame(
        {
            "parameter": inert,
            "group": [groups.get(p, "") for p in inert],
            "largest_relative": [float(best_relative.get(p, math.nan)) for p in inert],
        }
    )
    group_rows = []
    for group in dict.fromkeys(groups[p] for p in paths):
        members = [p for p in paths if groups[p] == group]
        group_rows.append(
            {
                "group": group,
                "inputs": len(members),
                "matter": sum(1 for p in members if p not in inert),
            }
        )
    return {
        "ranking": ranked,
        "dummy": pd.DataFrame(dummy_rows),
        "not_distinguishable": not_distinguishable,
        "groups": pd.DataFrame(group_rows, columns=["group", "inputs", "matter"]),
        "notes": tables["notes"],
    }


# -- writing -----------------------------------------------------------------------------------


def _summary(
    out_dir: Path, command: Sequence[str] | None, confidence: float, rules: RangeRules
) -> dict[str, Any]:
    import datetime as dt

    from lsr_sim.experiment import environment
    from lsr_sim.sweep.analysis import read_manifest

    manifest = read_manifest(out_dir / SWEEP_DIR)
    design = manifest["design"]
    try:
        timing = json.loads((out_dir / SWEEP_DIR / "timing.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        timing = []
    seconds = float(sum(t["seconds"] for t in timing))
    computed = int(sum(t["runs"] for t in timing))
    scenarios = manifest["scenarios"]
    name = next(iter(scenarios))
    return {
        "date": dt.datetime.now(dt.UTC).date().isoformat(),
        "command": list(command) if command is not None else None,
        "scenario": name,
        "scenario_file": scenarios[name]["file"],
        "scenario_sha256": scenarios[name]["sha256"],
        "method": design["type"],
        "samples": design["samples"],
        "levels": design.get("levels"),
        "parameters": len(design["parameters"]),
        "inputs": sum(1 for name in design["parameters"] if not is_dummy(name)),
        "dummies": sum(1 for name in design["parameters"] if is_dummy(name)),
        "points": design["points"],
        "replications": manifest["replications"],
        "runs": manifest["total_runs"],
        "steps": manifest["steps"][name],
        "seed": manifest["seed"],
        "confidence": confidence,
        "near_zero": NEAR_ZERO,
        "computed_runs": computed,
        "seconds": round(seconds, 1),
        "runs_per_second": round(computed / seconds, 1) if seconds > 0 else None,
        "invocations": len(timing),
        "workers": sorted({int(t["workers"]) for t in timing}) or None,
        "outcomes": list(manifest["outcomes"]),
        "relative": rules.relative,
        "zero_share": rules.zero_share,
        "ranges_file": rules.source or None,
        "environment": environment(),
    }


def write_screening(
    out_dir: str | os.PathLike[str],
    tables: Mapping[str, pd.DataFrame],
    *,
    command: Sequence[str] | None = None,
    figures: bool = True,
    confidence: float = 0.95,
    rules: RangeRules | None = None,
) -> list[Path]:
    """Write the screening tables (CSV), ``summary.json`` and the figures, atomically.

    The summary records the design, the run's size and time, the range rules (`rules`,
    default the default rules), the scenario's hash and the command.

    Figures (``figures/``): ``screening_<outcome>.png`` for each outcome (the largest
    indices with their intervals against the dummy's) and ``overview.png`` (the relative
    index of the inputs that matter, across outcomes).
    """
    folder = Path(out_dir)
    written = [
        write_bytes_atomic(folder / f"{name}.csv", _csv(tables[name]))
        for name in _TABLES
        if name in tables
    ]
    summary = _summary(folder, command, confidence, rules or RangeRules())
    text = json.dumps(summary, indent=2, sort_keys=True) + "\n"
    written.append(write_bytes_atomic(folder / SUMMARY_FILE, text.encode("utf-8")))
    if figures:
        method: Literal["morris", "sobol"] = "sobol" if summary["method"] == "sobol" else "morris"
        written += _figures(folder / FIGURES_DIR, tables, method)
    return written


def _figures(
    folder: Path, tables: Mapping[str, pd.DataFrame], method: Literal["morris", "sobol"]
) -> list[Path]:
    from lsr_sim.sweep.plots import plot_screening, plot_screening_overview, save_figure

    ranking = tables["ranking"]
    written = []
    for outcome in dict.fromkeys(ranking["outcome"].astype(str)):
        ax = plot_screening(ranking, outcome, kind=method)
        written.append(save_figure(ax, folder / f"screening_{outcome}.png"))
    if len(ranking):
        ax = plot_screening_overview(ranking, kind=method)
        written.append(save_figure(ax, folder / "overview.png"))
    return written


def read_screening(out_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """The tables, summary and inputs a sensitivity folder holds (for the docs writer).

    Raises
    ------
    InputError
        If the folder holds no complete sensitivity analysis.
    """
    folder = Path(out_dir)
    needed = [SUMMARY_FILE, INPUTS_FILE, EXCLUDED_FILE, *(f"{t}.csv" for t in _TABLES)]
    missing = [name for name in needed if not (folder / name).is_file()]
    if missing:
        raise InputError(
            str(folder),
            "",
            f"holds no complete sensitivity analysis ({missing[0]} is missing); run "
            "lsr-sim sensitivity to the end first",
        )
    out: dict[str, Any] = {
        "summary": json.loads((folder / SUMMARY_FILE).read_text(encoding="utf-8")),
        "inputs": pd.read_csv(folder / INPUTS_FILE),
        "excluded": pd.read_csv(folder / EXCLUDED_FILE),
    }
    for name in _TABLES:
        if name == "notes":  # text only: empty cells stay empty text
            out[name] = pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False)
        else:
            out[name] = pd.read_csv(folder / f"{name}.csv")
    return out
