"""Probabilistic forecasts from the state at a date, with the per-run tables to score them.

``forecast(scenario, start, end, runs)`` knows only what happened up to `start`: the
scenario's dated events after it are removed (:func:`cut_at`). Every run is simulated from the
scenario's start date to `end`, optionally with parameter draws (one row per draw, columns
named by dotted path, e.g. posterior samples; run r uses draw ``r % draws``) and optionally
conditioned on facts known at `start` (runs whose state contradicts a yes/no fact dated on or
before `start` are dropped). For each issue and forecast date it tabulates P(agreed by the
date), P(implemented by the date) and P(status = each value), with Monte Carlo (Wilson)
intervals, and quantiles of every quantity delivered; it keeps every run's state from the
cut-off on, so that :mod:`lsr_sim.forecast.scoring` can score any fact later.

Tables of a :class:`Forecast` (docs/forecasting.md gives every column):

- ``probabilities``: step, date, issue, event, runs, count, probability, low, high
- ``quantiles``: step, date, issue, quantity, unit, total, runs, mean, q05, q25, q50, q75, q95
- ``runs``: run, seed, draw, kept, then ``first_agreed.<issue>`` and
  ``first_implemented.<issue>`` (the step, -1 for never)
- ``states``: run, step, date, then ``status.<issue>``, ``progress.<issue>``,
  ``delivered.<issue>.<quantity>``, ``trust.<truster>.<trustee>``: every run's state at every
  step from the cut-off step to the last
- ``classic``: issue, status_quo and the classic models' one-shot forecasts
- ``draws`` (with parameter draws only): the draws, one row each
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from lsr_sim.dynamics.status import IMPLEMENTED, STATUS_NAMES
from lsr_sim.errors import InputError, ScenarioError
from lsr_sim.observations import Observations, check_observations, fact_outcomes, fact_step
from lsr_sim.scenario import Scenario, scenario_from_dict, scenario_hash

__all__ = [
    "EVENTS",
    "QUANTILES",
    "TABLES",
    "WEIGHT",
    "ArgumentError",
    "Forecast",
    "ForecastError",
    "assign_draws",
    "cut_at",
    "forecast",
    "forecast_steps",
    "history_from_states",
    "load_parameters",
    "proportion_interval",
    "read_forecast",
    "scenarios_for_draws",
    "scenarios_per_run",
    "with_steps",
]

#: What the ``probabilities`` table gives for each issue and date, in this order.
EVENTS: tuple[str, ...] = (
    "agreed_by_date",
    "implemented_by_date",
    *(f"status_{name}" for name in STATUS_NAMES),
)

#: The quantiles of every delivered quantity (columns q05 ... q95).
QUANTILES: tuple[float, ...] = (0.05, 0.25, 0.5, 0.75, 0.95)

#: The tables a forecast folder holds (``draws`` only with parameter draws).
TABLES = ("probabilities", "quantiles", "runs", "states", "classic", "draws")


class ForecastError(InputError):
    """A parameter file, an observations file or a forecast folder that cannot be used."""


class ArgumentError(ValueError):
    """An argument of :func:`forecast` or of scoring that cannot be used; ``argument`` names it."""

    def __init__(self, argument: str, message: str) -> None:
        self.argument = argument
        self.message = message
        super().__init__(f"{argument}: {message}")


# -- the cut-off -------------------------------------------------------------------------------
def cut_at(scenario: Scenario, date: dt.date) -> Scenario:
    """The scenario as known at `date`: its dated events after `date` removed.

    Events dated on `date` itself are kept (they are known by then; one dated inside the week
    that ends after `date` still takes effect in that week's step, after the state "at"
    `date`). Nothing else changes: actors, network, random incidents, dynamics, run settings
    and the calibration section stay as they are (a forecast sets its own number of steps;
    the calibration section does not enter a run).

    Examples
    --------
    >>> from lsr_sim.scenario import load_scenario
    >>> baseline = load_scenario("scenarios/baseline.yaml")
    >>> list(cut_at(baseline, dt.date(2025, 6, 1)).events)
    ['assad_falls', 'border_clashes_march', 'saudi_meeting_march']
    >>> list(cut_at(baseline, dt.date(2025, 3, 15)).events)
    ['assad_falls']
    >>> len(baseline.events)
    13
    """
    kept = {name: event for name, event in scenario.events.items() if event.date <= date}
    return scenario.model_copy(update={"events": kept})


def forecast_steps(scenario: Scenario, start: dt.date, end: dt.date) -> tuple[int, int]:
    """The step of the state at `start` (the cut-off) and at `end`: the last step ending on or
    before each date (:func:`lsr_sim.observations.fact_step`).

    Raises
    ------
    ArgumentError
        If `start` is before the scenario's start date, or `end` is not at least one step
        after `start`.

    Examples
    --------
    >>> from lsr_sim.scenario import load_scenario
    >>> baseline = load_scenario("scenarios/baseline.yaml")
    >>> forecast_steps(baseline, dt.date(2025, 6, 1), dt.date(2026, 1, 19))
    (25, 58)
    """
    first_date = scenario.run.start_date
    if start < first_date:
        raise ArgumentError(
            "start", f"{start} is before the scenario starts ({first_date}); pick a later date"
        )
    first, last = fact_step(scenario, start), fact_step(scenario, end)
    if last <= first:
        days = scenario.run.step_days
        raise ArgumentError(
            "end",
            f"{end} gives no step after the cut-off {start} (steps are {days} days); "
            f"pick a date at least {days} days later",
        )
    return first, last


def with_steps(scenario: Scenario, steps: int) -> Scenario:
    """`scenario` with ``run.steps`` at least `steps` (so facts up to then fit its run)."""
    if scenario.run.steps >= steps:
        return scenario
    return scenario.model_copy(update={"run": scenario.run.model_copy(update={"steps": steps})})


# -- parameter draws ---------------------------------------------------------------------------
#: Columns of a parameters table that are not scenario paths: a calibration's
#: ``posterior.parquet`` numbers its particles and weighs them.
WEIGHT, PARTICLE = "weight", "particle"


def load_parameters(path: str | Path) -> pd.DataFrame:
    """Read parameter draws: a CSV or Parquet table, one row per draw, one column per dotted
    path (e.g. ``dynamics.betrayal_weight``), numbers only.

    A ``weight`` column makes the rows weighted draws (a calibration's ``posterior.parquet``
    can be given as it is; its ``particle`` column is dropped): :func:`assign_draws` then
    draws rows in proportion to it. Weights must be finite, non-negative and not all zero.

    Raises
    ------
    ForecastError
        One line naming the file (and the column or row) if it cannot be used.
    """
    path = Path(path)
    source = str(path)
    if path.is_dir():
        raise ForecastError(source, "", "is a folder; give a CSV or Parquet file of draws")
    if not path.is_file():
        raise ForecastError(source, "", "file not found; give a CSV or Parquet table of draws")
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            table = pd.read_csv(path)
        elif suffix in (".parquet", ".pq"):
            table = pd.read_parquet(path)
        else:
            raise ForecastError(
                source, "", f"is a {suffix or 'suffix-less'} file; expected .csv or .parquet"
            )
    except ForecastError:
        raise
    except ImportError:
        raise ForecastError(
            source, "", "reading Parquet needs pyarrow: pip install 'lsr_sim[parquet]'"
        ) from None
    except (ValueError, OSError) as exc:
        raise ForecastError(source, "", f"cannot be read as a table ({exc})") from None
    if table.empty or not len(table.columns):
        raise ForecastError(source, "", "has no draws; give one row per draw")
    for column in table.columns:
        values = pd.to_numeric(table[column], errors="coerce")
        bad = np.flatnonzero(values.isna().to_numpy())
        if bad.size:
            raise ForecastError(
                source,
                f"{column}",
                f"row {bad[0]} is {table[column].iloc[bad[0]]!r}; every draw must be a number",
            )
        table[column] = values.astype(float)
    table = table.drop(columns=[PARTICLE], errors="ignore")
    if WEIGHT in table.columns:
        weights = table[WEIGHT].to_numpy()
        if not np.isfinite(weights).all() or (weights < 0).any() or weights.sum() <= 0:
            raise ForecastError(
                source, WEIGHT, "weights must be finite, non-negative and not all zero"
            )
        if len(table.columns) == 1:
            raise ForecastError(source, "", "has weights but no parameter column")
    return table.reset_index(drop=True)


def assign_draws(parameters: pd.DataFrame, runs: int, seed: int) -> np.ndarray:
    """The row of `parameters` each of `runs` runs uses.

    Unweighted draws are used in turn (run r takes row ``r % rows``); with a ``weight``
    column, rows are drawn with replacement in proportion to it, from a generator of its own
    seeded by `seed` (the master seed), so the same seed gives the same assignment.

    Examples
    --------
    >>> assign_draws(pd.DataFrame({"a": [1.0, 2.0]}), 5, seed=1).tolist()
    [0, 1, 0, 1, 0]
    >>> weighted = pd.DataFrame({"a": [1.0, 2.0, 3.0], "weight": [0.0, 1.0, 0.0]})
    >>> assign_draws(weighted, 4, seed=1).tolist()
    [1, 1, 1, 1]
    """
    if WEIGHT not in parameters.columns:
        return np.arange(runs) % len(parameters)
    weights = parameters[WEIGHT].to_numpy(dtype=float)
    # Its own stream ("draw" in ASCII as the second key): the runs' seeds stay those of an
    # unweighted forecast with the same master seed.
    rng = np.random.default_rng([int(seed), 0x64726177])
    return rng.choice(len(parameters), size=runs, replace=True, p=weights / weights.sum())


def scenarios_for_draws(
    scenario: Scenario, draws: pd.DataFrame, source: str = "<parameters>"
) -> list[Scenario]:
    """One scenario per row of `draws`: `scenario` with each column's dotted path set to the
    row's value (:func:`lsr_sim.sweep.apply_parameters`), validated.

    Raises
    ------
    ForecastError
        Naming `source` and the column (an unknown path) or the row (a value the scenario
        refuses).

    Examples
    --------
    >>> from lsr_sim.scenario import load_scenario
    >>> baseline = load_scenario("scenarios/baseline.yaml")
    >>> draws = pd.DataFrame({"dynamics.talk_weight": [0.05, 0.1]})
    >>> [s.dynamics.talk_weight for s in scenarios_for_draws(baseline, draws)]
    [0.05, 0.1]
    """
    from lsr_sim.scenario.paths import PathError, resolve_path, unread_by_trust_model
    from lsr_sim.sweep import apply_parameters

    for column in draws.columns:
        try:
            resolve_path(scenario, str(column))
        except PathError as exc:
            raise ForecastError(source, str(column), str(exc)) from None
        unread = unread_by_trust_model(scenario, str(column))
        if unread is not None:
            raise ForecastError(source, str(column), unread.replace("varying it", "drawing it"))
    data = scenario.model_dump(mode="json", by_alias=True)
    out = []
    for row, values in enumerate(draws.itertuples(index=False, name=None)):
        params = {str(c): float(v) for c, v in zip(draws.columns, values, strict=True)}
        try:
            out.append(scenario_from_dict(apply_parameters(data, params), source))
        except (ScenarioError, TypeError) as exc:
            what = f"{exc.path}: {exc.message}" if isinstance(exc, ScenarioError) else str(exc)
            raise ForecastError(source, f"row {row}", what) from None
    return out


def scenarios_per_run(
    scenario: Scenario,
    parameters: pd.DataFrame,
    runs: int,
    seed: int,
    source: str = "<parameters>",
) -> tuple[np.ndarray, list[Scenario]]:
    """The draw each of `runs` runs uses (:func:`assign_draws`) and its scenario
    (:func:`scenarios_for_draws`): run r is ``scenarios[r]``, built from row ``draw[r]``.

    Raises
    ------
    ForecastError
        Naming `source`: no draws, an unknown path or a row the scenario refuses.

    Examples
    --------
    >>> from lsr_sim.scenario import load_scenario
    >>> baseline = load_scenario("scenarios/baseline.yaml")
    >>> draws = pd.DataFrame({"dynamics.talk_weight": [0.05, 0.1]})
    >>> draw, per_run = scenarios_per_run(baseline, draws, 3, seed=1)
    >>> draw.tolist(), [s.dynamics.talk_weight for s in per_run]
    ([0, 1, 0], [0.05, 0.1, 0.05])
    """
    if parameters.empty:
        raise ForecastError(source, "", "has no draws")
    parameters = parameters.reset_index(drop=True)
    draw = assign_draws(parameters, runs, seed)
    per_draw = scenarios_for_draws(
        scenario, parameters.drop(columns=[WEIGHT], errors="ignore"), source
    )
    return draw, [per_draw[d] for d in draw]


# -- intervals ---------------------------------------------------------------------------------
def proportion_interval(
    counts: Sequence[int] | np.ndarray, total: int, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score intervals for `counts` successes out of `total` runs (scipy's binomtest).

    Examples
    --------
    >>> low, high = proportion_interval([0, 5, 10], 10)
    >>> low.round(3).tolist(), high.round(3).tolist()
    ([0.0, 0.237, 0.722], [0.278, 0.763, 1.0])
    """
    from scipy.stats import binomtest

    counts = np.asarray(counts, dtype=int)
    low, high = np.empty(counts.shape), np.empty(counts.shape)
    for k in np.unique(counts):  # at most total + 1 distinct counts
        ci = binomtest(int(k), int(total)).proportion_ci(confidence, method="wilson")
        low[counts == k], high[counts == k] = ci.low, ci.high
    return low, high


# -- tables ------------------------------------------------------------------------------------
def _dates(scenario: Scenario, steps: np.ndarray) -> np.ndarray:
    start = np.datetime64(scenario.run.start_date, "D")
    return start + np.asarray(steps, dtype=int) * np.timedelta64(scenario.run.step_days, "D")


def _first_step(mask: np.ndarray) -> np.ndarray:
    """The first step (axis 1) where `mask` holds, -1 where it never does: (R, L, m) -> (R, m)."""
    reached = mask.any(axis=1)
    return np.where(reached, mask.argmax(axis=1), -1)


def _state_columns(c: Any) -> tuple[list[str], list[str], list[str], list[tuple[int, int, str]]]:
    status = [f"status.{issue}" for issue in c.issues]
    progress = [f"progress.{issue}" for issue in c.issues]
    delivered = [f"delivered.{c.issues[q.issue]}.{q.name}" for q in c.quantities]
    trust = [
        (i, j, f"trust.{a}.{b}")
        for i, a in enumerate(c.actors)
        for j, b in enumerate(c.actors)
        if i != j
    ]
    return status, progress, delivered, trust


def _state_table(
    scenario: Scenario, history: Mapping[str, np.ndarray], offset: int
) -> pd.DataFrame:
    from lsr_sim.model import compile_scenario

    c = compile_scenario(scenario)
    runs, length = history["status"].shape[:2]
    steps = offset + np.arange(length)
    out: dict[str, Any] = {
        "run": np.repeat(np.arange(runs), length),
        "step": np.tile(steps, runs),
        "date": np.tile(_dates(scenario, steps), runs),
    }
    status, progress, delivered, trust = _state_columns(c)
    names = np.array(STATUS_NAMES, dtype=object)
    for k, column in enumerate(status):
        out[column] = names[history["status"][:, :, k].ravel()]
    for k, column in enumerate(progress):
        out[column] = history["progress"][:, :, k].ravel()
    for q, column in enumerate(delivered):
        out[column] = history["delivered"][:, :, q].ravel()
    for i, j, column in trust:
        out[column] = history["trust"][:, :, i, j].ravel()
    for k, column in enumerate(_incident_columns(scenario)):
        out[column] = history["incidents"][:, :, k].ravel()
    return pd.DataFrame(out)


def _incident_columns(scenario: Scenario) -> list[str]:
    return [f"incidents.{name}" for name in scenario.incidents]


def history_from_states(
    scenario: Scenario, states: pd.DataFrame, source: str = "states"
) -> tuple[dict[str, np.ndarray], int]:
    """The arrays of a ``states`` table (runs, steps, ...) and the step it starts at: the
    inverse of the table :func:`forecast` writes, in the form
    :func:`lsr_sim.observations.fact_outcomes` reads (with ``offset``)."""
    from lsr_sim.model import compile_scenario

    c = compile_scenario(scenario)
    status, progress, delivered, trust = _state_columns(c)
    incidents = _incident_columns(scenario)
    needed = ["run", "step", *status, *progress, *delivered, *(t[2] for t in trust), *incidents]
    missing = [column for column in needed if column not in states.columns]
    if missing:
        raise ForecastError(source, missing[0], "column missing; rewrite with `lsr-sim forecast`")
    table = states.sort_values(["run", "step"], kind="stable")
    runs = int(table["run"].nunique())
    steps = np.unique(table["step"].to_numpy())
    length = len(steps)
    if len(table) != runs * length or np.any(np.diff(steps) != 1):
        raise ForecastError(source, "step", "is not every step of every run; rewrite the forecast")

    def block(columns: list[str]) -> np.ndarray:
        values = table[columns].to_numpy(dtype=float) if columns else np.zeros((len(table), 0))
        return values.reshape(runs, length, len(columns))

    codes = {name: code for code, name in enumerate(STATUS_NAMES)}
    status_codes = table[status].apply(lambda col: col.map(codes)).to_numpy()
    if pd.isna(status_codes).any():
        raise ForecastError(source, "status", f"holds a value that is not one of {STATUS_NAMES}")
    trust_values = np.full((runs, length, c.n, c.n), np.nan)
    flat = block([t[2] for t in trust])
    for column, (i, j, _) in enumerate(trust):
        trust_values[:, :, i, j] = flat[:, :, column]
    history = {
        "status": status_codes.astype(np.int64).reshape(runs, length, len(status)),
        "progress": block(progress),
        "delivered": block(delivered),
        "trust": trust_values,
        "incidents": block(incidents).astype(np.int64),
    }
    return history, int(steps[0])


def _probability_table(
    scenario: Scenario,
    status: np.ndarray,
    first_agreed: np.ndarray,
    first_implemented: np.ndarray,
    steps: np.ndarray,
    offset: int,
    confidence: float,
) -> pd.DataFrame:
    """P(event) per step, issue and event over the runs given (all of them)."""
    runs = status.shape[0]
    issues = list(scenario.issues)
    rows = []
    for step in steps:
        now = status[:, step - offset]  # (R, m)
        events = [
            (first_agreed >= 0) & (first_agreed <= step),
            (first_implemented >= 0) & (first_implemented <= step),
            *(now == code for code in range(len(STATUS_NAMES))),
        ]
        for name, happened in zip(EVENTS, events, strict=True):
            counts = happened.sum(axis=0)
            for k, issue in enumerate(issues):
                rows.append((step, issue, name, runs, int(counts[k])))
    table = pd.DataFrame(rows, columns=["step", "issue", "event", "runs", "count"])
    table.insert(1, "date", _dates(scenario, table["step"].to_numpy()))
    table["probability"] = table["count"] / runs
    table["low"], table["high"] = proportion_interval(table["count"].to_numpy(), runs, confidence)
    return table


def _quantile_table(
    scenario: Scenario, delivered: np.ndarray, steps: np.ndarray, offset: int
) -> pd.DataFrame:
    from lsr_sim.model import compile_scenario

    c = compile_scenario(scenario)
    rows = []
    for step in steps:
        values = delivered[:, step - offset]  # (R, q)
        quantiles = np.quantile(values, QUANTILES, axis=0) if len(c.quantities) else None
        for q, spec in enumerate(c.quantities):
            assert quantiles is not None
            rows.append(
                (
                    step,
                    c.issues[spec.issue],
                    spec.name,
                    spec.unit,
                    spec.total,
                    len(values),
                    float(values[:, q].mean()),
                    *(float(x) for x in quantiles[:, q]),
                )
            )
    names = [f"q{round(100 * p):02d}" for p in QUANTILES]
    columns = ["step", "issue", "quantity", "unit", "total", "runs", "mean", *names]
    table = pd.DataFrame(rows, columns=columns)
    table.insert(1, "date", _dates(scenario, table["step"].to_numpy(dtype=int)))
    return table


def _classic_table(scenario: Scenario) -> pd.DataFrame:
    from lsr_sim.classic.compare import classic_forecasts
    from lsr_sim.model import compile_scenario

    table = classic_forecasts(scenario)
    table.insert(1, "status_quo", compile_scenario(scenario).status_quo.astype(float))
    return table


# -- conditioning ------------------------------------------------------------------------------
def _condition(
    observations: Observations,
    scenario: Scenario,
    history: Mapping[str, np.ndarray],
    first_agreed: np.ndarray,
    start: dt.date,
    source: str,
) -> tuple[np.ndarray, dict[str, Any]]:
    """Which runs agree with every yes/no fact known at `start`, and what was used."""
    known = {name: f for name, f in observations.facts.items() if f.date <= start}
    yes_no = {name: f for name, f in known.items() if not f.measured}
    if not yes_no:
        raise ForecastError(
            source,
            "facts",
            f"no yes/no fact is dated on or before the cut-off {start}; conditioning needs at "
            "least one (facts dated later are what the forecast is scored against)",
        )
    used = observations.model_copy(update={"facts": yes_no})
    check_observations(used, scenario, source)
    table = fact_outcomes(used, scenario, history, first_agreed)
    kept = table.all(axis=1).to_numpy()
    runs = len(kept)
    if not kept.any():
        share = table.mean(axis=0)
        worst = str(share.idxmin())
        raise ForecastError(
            source,
            f"facts.{worst}",
            f"no run of {runs} agrees with the {len(yes_no)} yes/no fact(s) dated on or before "
            f"{start} (this one holds in {int(table[worst].sum())} of {runs} runs); check the "
            "fact, run more runs, or forecast without --condition-on",
        )
    info = {
        "facts": list(yes_no),
        "not_used": [name for name, f in known.items() if f.measured],
        "held": {name: int(table[name].sum()) for name in yes_no},
        "runs": runs,
        "kept": int(kept.sum()),
        "share_kept": float(kept.mean()),
    }
    return kept, info


# -- the forecast ------------------------------------------------------------------------------
def _sha256_table(table: pd.DataFrame) -> str:
    return hashlib.sha256(table.to_csv(index=False, lineterminator="\n").encode()).hexdigest()


def _file_sha256(path: str) -> str | None:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None


@dataclass
class Forecast:
    """A probabilistic forecast: its tables (see the module docstring), the scenario its runs
    started from (the one given, cut at the cut-off) and a manifest saying when and from what
    it was made."""

    scenario: Scenario
    manifest: dict[str, Any]
    probabilities: pd.DataFrame
    quantiles: pd.DataFrame
    runs: pd.DataFrame
    states: pd.DataFrame
    classic: pd.DataFrame
    draws: pd.DataFrame | None = None
    _arrays: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def start(self) -> dt.date:
        """The cut-off: the forecast knows what happened up to this date."""
        return dt.date.fromisoformat(self.manifest["cutoff"])

    @property
    def end(self) -> dt.date:
        return dt.date.fromisoformat(self.manifest["end"])

    @property
    def first_step(self) -> int:
        """The step of the state at the cut-off (the first step the ``states`` table holds)."""
        return int(self.manifest["first_step"])

    @property
    def last_step(self) -> int:
        return int(self.manifest["last_step"])

    @property
    def kept(self) -> np.ndarray:
        """Which runs the forecast counts (all, unless it was conditioned)."""
        return self.runs["kept"].to_numpy(dtype=bool)

    def first_agreed(self) -> np.ndarray:
        """(runs, issues): the step of each issue's first agreement, -1 for none."""
        return self.runs[[f"first_agreed.{k}" for k in self.scenario.issues]].to_numpy(int)

    def history(self) -> dict[str, np.ndarray]:
        """Every run's state from the cut-off step on, as arrays (runs, steps, ...)."""
        if "history" not in self._arrays:
            history, offset = history_from_states(self.scenario, self.states)
            if offset != self.first_step:
                raise ForecastError("states", "step", "does not start at the cut-off step")
            self._arrays["history"] = history
        return self._arrays["history"]

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables by name (``draws`` only with parameter draws)."""
        out = {name: getattr(self, name) for name in TABLES[:-1]}
        if self.draws is not None:
            out["draws"] = self.draws
        return out

    def write(
        self,
        out_dir: str | Path,
        *,
        fmt: Literal["csv", "parquet"] = "csv",
        figures: bool = True,
        command: Sequence[str] | None = None,
    ) -> list[Path]:
        """Write the tables, ``scenario.json``, figures and ``manifest.json`` into `out_dir`.

        Everything is written into a temporary folder beside `out_dir` first, then moved into
        place (a new folder in one rename), so an interrupted write leaves nothing half-written.
        """
        from lsr_sim.atomic import write_folder_atomic

        if fmt not in ("csv", "parquet"):
            raise ArgumentError("fmt", f"is {fmt!r}; expected csv or parquet")
        return write_folder_atomic(
            out_dir, lambda staging: self._write_into(staging, fmt, figures, command)
        )

    def _write_into(
        self, folder: Path, fmt: str, figures: bool, command: Sequence[str] | None
    ) -> list[Path]:
        from lsr_sim.experiment import environment

        written: list[Path] = []
        (folder / "tables").mkdir()
        for name, table in self.tables().items():
            path = folder / "tables" / f"{name}.{fmt}"
            if fmt == "csv":
                table.to_csv(path, index=False, lineterminator="\n")
            else:
                table.to_parquet(path, index=False)
            written.append(path)
        path = folder / "scenario.json"
        data = self.scenario.model_dump(mode="json", by_alias=True)
        path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        written.append(path)
        if figures:
            from lsr_sim.forecast.plots import save_forecast_figures

            written.extend(save_forecast_figures(self.tables(), folder / "figures"))
        versions = environment()
        for package in ("scipy", "scoringrules"):
            from importlib import metadata

            try:
                versions[package] = metadata.version(package)
            except metadata.PackageNotFoundError:
                versions[package] = "not installed"
        manifest = {
            **self.manifest,
            "format": fmt,
            "command": list(command) if command is not None else None,
            "environment": versions,
            "files": {
                str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in written
            },
        }
        path = folder / "manifest.json"
        path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        written.append(path)
        return written


def forecast(
    scenario: Scenario,
    start: dt.date,
    end: dt.date,
    runs: int,
    *,
    seed: int | None = None,
    parameters: pd.DataFrame | None = None,
    condition_on: Observations | None = None,
    every: int = 1,
    confidence: float = 0.95,
    sources: Mapping[str, str] | None = None,
) -> Forecast:
    """Forecast what happens after `start`, up to `end`, from `runs` runs.

    Parameters
    ----------
    scenario : Scenario
        The scenario; its events after `start` are removed (:func:`cut_at`).
    start, end : datetime.date
        The cut-off and the last forecast date. The forecast's dates are those of the steps
        from the cut-off's (the state at `start`) to `end`'s, every `every` steps (the last
        always included).
    runs : int
        Number of runs (before conditioning).
    seed : int, optional
        Master seed (default ``scenario.run.seed``); the runs' seeds are
        ``derive_seeds(seed, runs)``.
    parameters : DataFrame, optional
        Parameter draws (:func:`load_parameters`); run r uses draw ``r % len(parameters)``,
        or, with a ``weight`` column, draws chosen by weight (:func:`assign_draws`).
    condition_on : Observations, optional
        Keep only the runs whose state agrees with every yes/no fact dated on or before
        `start`; measured amounts are not used (a run rarely matches a number exactly).
    every : int
        Stride of the forecast dates, in steps.
    confidence : float
        Level of the Monte Carlo intervals of the probabilities.
    sources : mapping, optional
        Files the inputs came from (``scenario``, ``parameters``, ``condition_on``: path),
        recorded in the manifest with their SHA-256; names files in error messages.

    Returns
    -------
    Forecast

    Raises
    ------
    ArgumentError
        For dates, runs or every that cannot be used.
    ForecastError
        For draws or facts that do not fit the scenario, or conditioning that keeps no run.
    """
    from lsr_sim.experiment import derive_seeds, run_many

    sources = dict(sources or {})
    first, last = forecast_steps(scenario, start, end)
    if runs < 1:
        raise ArgumentError("runs", f"is {runs}; give at least one run")
    if every < 1:
        raise ArgumentError("every", f"is {every}; give a stride of at least one step")
    if not 0.0 < confidence < 1.0:
        raise ArgumentError("confidence", f"is {confidence}; expected a level in (0, 1)")
    cut = cut_at(scenario, start)
    master = scenario.run.seed if seed is None else int(seed)
    seeds = derive_seeds(master, runs)
    draw = np.full(runs, -1)
    members: Scenario | list[Scenario] = cut
    if parameters is not None:
        parameters = parameters.reset_index(drop=True)
        draw, members = scenarios_per_run(
            cut, parameters, runs, master, sources.get("parameters", "<parameters>")
        )
    ensemble = run_many(members, seeds, last, history=True)
    assert ensemble.history is not None
    history = ensemble.history
    first_agreed = np.asarray(ensemble.final["first_agreed"], dtype=int)
    first_implemented = _first_step(history["status"] == IMPLEMENTED)

    kept = np.ones(runs, dtype=bool)
    conditioning = None
    if condition_on is not None:
        source = sources.get("condition_on", "<observations>")
        kept, conditioning = _condition(
            condition_on, with_steps(cut, last), history, first_agreed, start, source
        )
        conditioning["observations_sha256"] = hashlib.sha256(
            condition_on.model_dump_json(by_alias=True).encode()
        ).hexdigest()

    window = {name: history[name][:, first : last + 1] for name in history}
    steps = np.unique(np.append(np.arange(first, last + 1, every), last))
    probabilities = _probability_table(
        cut,
        window["status"][kept],
        first_agreed[kept],
        first_implemented[kept],
        steps,
        first,
        confidence,
    )
    quantiles = _quantile_table(cut, window["delivered"][kept], steps, first)
    issues = list(cut.issues)
    run_table = pd.DataFrame(
        {
            "run": np.arange(runs),
            "seed": np.array(seeds, dtype=np.uint64),
            "draw": draw,
            "kept": kept,
            **{f"first_agreed.{k}": first_agreed[:, i] for i, k in enumerate(issues)},
            **{f"first_implemented.{k}": first_implemented[:, i] for i, k in enumerate(issues)},
        }
    )
    manifest = {
        "kind": "forecast",
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "scenario": scenario.name,
        "scenario_sha256": scenario_hash(scenario),
        "cut_scenario_sha256": scenario_hash(cut),
        "events_removed": [name for name in scenario.events if name not in cut.events],
        "start_date": str(scenario.run.start_date),
        "step_days": scenario.run.step_days,
        "cutoff": str(start),
        "end": str(end),
        "first_step": first,
        "last_step": last,
        "every": every,
        "runs": runs,
        "kept": int(kept.sum()),
        "master_seed": master,
        "seeds": f"lsr_sim.experiment.derive_seeds({master}, {runs})",
        "confidence": confidence,
        "interval": "wilson",
        "parameters": None
        if parameters is None
        else {
            "draws": len(parameters),
            "columns": [str(c) for c in parameters.columns],
            "sha256": _sha256_table(parameters),
        },
        "conditioning": conditioning,
        "notes": list(ensemble.notes),
        "sources": {
            role: {"path": path, "sha256": _file_sha256(path)} for role, path in sources.items()
        },
    }
    return Forecast(
        scenario=cut,
        manifest=manifest,
        probabilities=probabilities,
        quantiles=quantiles,
        runs=run_table,
        states=_state_table(cut, window, first),
        classic=_classic_table(cut),
        draws=parameters,
    )


# -- reading a forecast folder -----------------------------------------------------------------
def _read_table(folder: Path, name: str, fmt: str) -> pd.DataFrame:
    path = folder / "tables" / f"{name}.{fmt}"
    if not path.is_file():
        raise ForecastError(
            str(folder / "tables"), name, f"table missing ({name}.{fmt}); rewrite the forecast"
        )
    try:
        table = pd.read_parquet(path) if fmt == "parquet" else pd.read_csv(path)
    except (ValueError, OSError, ImportError) as exc:
        raise ForecastError(str(path), "", f"cannot be read ({exc})") from None
    if "date" in table.columns:
        table["date"] = pd.to_datetime(table["date"])
    return table


def read_forecast(folder: str | Path) -> Forecast:
    """A forecast folder written by :meth:`Forecast.write`, read back.

    Raises
    ------
    ForecastError
        If `folder` is not a forecast folder or a file in it is missing or unreadable.
    """
    folder = Path(folder)
    path = folder / "manifest.json"
    if not path.is_file():
        raise ForecastError(
            str(folder),
            "",
            "not a forecast folder (no manifest.json); make one with `lsr-sim forecast`",
        )
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ForecastError(str(path), "", f"cannot be read as JSON ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("kind") != "forecast":
        raise ForecastError(
            str(path),
            "kind",
            "is not a forecast's manifest; give a folder written by `lsr-sim forecast`",
        )
    scenario_path = folder / "scenario.json"
    try:
        data = json.loads(scenario_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ForecastError(str(scenario_path), "", f"cannot be read ({exc})") from None
    scenario = scenario_from_dict(data, str(scenario_path))
    if scenario_hash(scenario) != manifest.get("cut_scenario_sha256"):
        raise ForecastError(
            str(scenario_path),
            "",
            "does not match the manifest's cut_scenario_sha256; the "
            "folder was changed after the forecast: rewrite it with `lsr-sim forecast`",
        )
    # The manifest says which tables were written, and in which format: files left in the
    # folder by an earlier forecast are not read.
    fmt = manifest.get("format", "csv")
    names = [name for name in TABLES if name != "draws" or manifest.get("parameters")]
    tables = {name: _read_table(folder, name, fmt) for name in names}
    states = tables["states"]
    for column in states.columns:
        if column.startswith("status."):
            states[column] = states[column].astype(str)
    return Forecast(
        scenario=scenario,
        manifest=manifest,
        probabilities=tables["probabilities"],
        quantiles=tables["quantiles"],
        runs=tables["runs"],
        states=states,
        classic=tables["classic"],
        draws=tables.get("draws"),
    )
