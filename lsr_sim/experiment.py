"""Running the model: one run in, tidy tables out.

``run(scenario, seed=..., steps=...)`` is a function from inputs to named outputs: a
:class:`RunResult` holding pandas tables (trust, issues, quantities, events, deals, summary).
``RunResult.write`` saves them, with figures and a manifest, atomically.
"""

from __future__ import annotations

import datetime as dt
import json
import platform
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from lsr_sim import interrupts
from lsr_sim.atomic import folder_writer, move_into, staging_folder, write_bytes_atomic
from lsr_sim.dynamics.status import STATUS_NAMES
from lsr_sim.results import file_hashes, refuse_sweep_folder
from lsr_sim.scenario import Scenario, scenario_hash

if TYPE_CHECKING:
    from lsr_sim.model import NegotiationModel

__all__ = [
    "Ensemble",
    "RunResult",
    "derive_seeds",
    "environment",
    "run",
    "run_many",
    "summary_columns",
    "summary_row",
    "write_atomic",
]

TABLE_NAMES = ("trust", "issues", "quantities", "events", "deals", "summary")


def derive_seeds(master: int, count: int) -> list[int]:
    """Independent seeds for `count` runs, derived up front from a master seed.

    Each is a plain integer, so any run can be repeated on its own with ``--seed``.

    Examples
    --------
    >>> derive_seeds(1, 3) == derive_seeds(1, 3)
    True
    >>> len(set(derive_seeds(1, 100)))
    100
    """
    # 64-bit seeds: collisions stay negligible even for millions of runs.
    children = np.random.SeedSequence(master).spawn(count)
    return [int(child.generate_state(1, dtype=np.uint64)[0]) for child in children]


@dataclass
class RunResult:
    """The tables of one run (see docs/ODD.md, "Outputs", for every column)."""

    scenario: Scenario
    seed: int
    steps: int
    trust: pd.DataFrame
    issues: pd.DataFrame
    quantities: pd.DataFrame
    events: pd.DataFrame
    deals: pd.DataFrame
    summary: pd.DataFrame
    links: pd.DataFrame = field(repr=False)
    actors: pd.DataFrame = field(repr=False)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The result tables by name (plus ``links`` and ``actors`` for figures)."""
        out = {name: getattr(self, name) for name in TABLE_NAMES}
        out["links"] = self.links
        out["actors"] = self.actors
        return out

    def write(
        self,
        out_dir: str | Path,
        *,
        fmt: Literal["csv", "parquet"] = "csv",
        figures: bool = True,
        command: Sequence[str] | None = None,
        network_dates: Sequence[dt.date] | None = None,
    ) -> list[Path]:
        """Write tables (and figures) with ``manifest.json`` into `out_dir`, atomically.

        Everything is first written to a hidden staging folder beside `out_dir`, then moved into
        place file by file, the manifest last (the old one goes first), so a full disk or a
        SIGKILL never leaves a half-written file: `out_dir` keeps its old files whole, or gets
        the new ones. One process writes into `out_dir` at a time; staging folders that a killed
        writer left beside it are removed.

        Raises
        ------
        InputError
            If another process is writing into `out_dir`, or it holds the results of a sweep.
        OSError
            If the files cannot be written (a full disk: see ``lsr_sim.atomic.write_error``).
        """
        out_dir = Path(out_dir)
        refuse_sweep_folder(out_dir)
        with folder_writer(out_dir, command), staging_folder(out_dir) as staging:
            written = self._write_into(
                staging, fmt=fmt, figures=figures, command=command, network_dates=network_dates
            )
            (out_dir / "manifest.json").unlink(missing_ok=True)  # no stale manifest over a mix
            return move_into(staging, out_dir, written)

    def _write_into(
        self,
        folder: Path,
        *,
        fmt: str,
        figures: bool,
        command: Sequence[str] | None,
        network_dates: Sequence[dt.date] | None = None,
    ) -> list[Path]:
        written: list[Path] = []
        (folder / "tables").mkdir()
        for name in TABLE_NAMES:
            path = folder / "tables" / f"{name}.{fmt}"
            table = getattr(self, name)
            if fmt == "csv":
                table.to_csv(path, index=False, lineterminator="\n")
            else:
                table.to_parquet(path, index=False)
            written.append(path)
        if figures:
            from lsr_sim.plotting import save_figures

            written.extend(save_figures(self.tables(), folder / "figures", dates=network_dates))
        manifest = {
            "scenario": self.scenario.name,
            "scenario_sha256": scenario_hash(self.scenario),
            "seed": self.seed,
            "steps": self.steps,
            "start_date": str(self.scenario.run.start_date),
            "end_date": str(self.scenario.run.date_of(self.steps)),
            "format": fmt,
            "command": list(command) if command is not None else None,
            "environment": environment(),
            "files": file_hashes(folder, written),
        }
        path = folder / "manifest.json"
        path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        written.append(path)
        return written


def environment() -> dict[str, str]:
    """Versions of Python, lsr_sim and the libraries a result depends on."""
    versions = {"python": platform.python_version(), "platform": sys.platform}
    for package in ("lsr_sim", "mesa", "numpy", "pandas", "networkx", "pydantic", "matplotlib"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return versions


def write_atomic(path: Path, data: bytes) -> None:
    """Write bytes to `path` through a temporary file and a rename."""
    write_bytes_atomic(path, data)


def run(scenario: Scenario, *, seed: int | None = None, steps: int | None = None) -> RunResult:
    """Run a scenario once and return its tables.

    Parameters
    ----------
    scenario : Scenario
        A validated scenario (:func:`lsr_sim.load_scenario`).
    seed : int, optional
        Seed of the run's random generator; default ``scenario.run.seed``.
    steps : int, optional
        Number of steps; default ``scenario.run.steps``.

    Returns
    -------
    RunResult
        Tidy tables; the same scenario and seed always give identical tables.
    """
    seed = scenario.run.seed if seed is None else int(seed)
    steps = scenario.run.steps if steps is None else int(steps)
    if steps <= 0:
        raise ValueError(f"steps must be a positive number of steps, got {steps}")
    if seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed}")
    from lsr_sim.model import NegotiationModel  # Mesa loads here, not on import

    model = NegotiationModel(scenario, rng=seed)
    model.run_for(steps)
    return collect_tables(model, seed=seed, steps=steps)


@dataclass
class Ensemble:
    """Many runs: what :func:`run_many` returns.

    Attributes
    ----------
    summary : DataFrame
        One row per run, in the order asked: ``run`` (its position), the summary indicators
        (:func:`summary_columns`, ``numeric=False``), ``engine`` (``"batch"`` or ``"mesa"``)
        and ``error`` (empty for a run that finished; a failed run's indicators are NaN).
    final : dict of arrays
        The final state with a leading run axis (see :class:`lsr_sim.batch.BatchResult`).
        Runs of scenarios with different actors, issues or quantities are padded to the
        largest in each axis (NaN, or -1 for integers): run r's actor i is index i of its
        own scenario.
    history : dict of arrays or None
        With ``history=True``, the state after every step (see ``BatchResult.history``),
        padded after a run's last step (NaN, or -1 for ``status``) and in the other axes as
        ``final`` is.
    notes : list of str
        One line per group of runs that did not go the fast way, saying why (a strategy that
        decides one run at a time; a batch that raised and was rerun run by run).
    """

    summary: pd.DataFrame
    final: dict[str, np.ndarray]
    history: dict[str, np.ndarray] | None
    notes: list[str] = field(default_factory=list)


@dataclass
class _Outcome:
    """One run's results inside :func:`run_many`."""

    row: dict[str, Any]
    final: dict[str, np.ndarray]
    history: dict[str, np.ndarray]


def run_many(
    scenarios: Scenario | Sequence[Scenario],
    seeds: Sequence[int],
    steps: int | Sequence[int] | None = None,
    *,
    history: bool = False,
    isolate_failures: bool = False,
) -> Ensemble:
    """Run an ensemble: run r is ``scenarios[r]`` (or the one scenario) with ``seeds[r]``.

    Runs whose scenarios share their structure (they may differ in any numeric value) are
    stepped together by the batch engine; a scenario whose strategies decide one run at a time
    runs through the Mesa model, one run after another, and a note says so. Either way a
    run's numbers are the Mesa model's for its scenario and seed.

    Parameters
    ----------
    scenarios : Scenario or sequence of Scenario
        One scenario for every run, or one per run.
    seeds : sequence of int
        One seed per run (for example from :func:`derive_seeds`).
    steps : int or sequence of int, optional
        Steps of every run, or of each; default each scenario's ``run.steps``.
    history : bool
        Keep the state after every step.
    isolate_failures : bool
        If a batch raises, rerun its runs one at a time in the Mesa model and record each
        failing run's error (and a note) instead of raising.

    Examples
    --------
    >>> from lsr_sim.scenario import load_scenario
    >>> baseline = load_scenario("scenarios/baseline.yaml")
    >>> ensemble = run_many(baseline, derive_seeds(1, 20), steps=60)
    >>> len(ensemble.summary), set(ensemble.summary["engine"]), ensemble.notes
    (20, {'batch'}, [])
    """
    from lsr_sim.batch import supports
    from lsr_sim.batch.engine import FINAL_NAMES, HISTORY_NAMES, step_counts

    seeds = [int(seed) for seed in seeds]
    if isinstance(scenarios, Scenario):
        scenarios = [scenarios] * len(seeds)
    scenarios = list(scenarios)
    if len(scenarios) != len(seeds):
        raise ValueError(f"{len(scenarios)} scenarios but {len(seeds)} seeds")
    if not seeds:
        raise ValueError("run_many needs at least one run")
    step_list = step_counts(steps, scenarios)

    outcomes: list[_Outcome | None] = [None] * len(seeds)
    notes: list[str] = []
    for members in _structure_groups(scenarios):
        group = [scenarios[r] for r in members]
        together, reason = supports(group[0])
        if not together:
            notes.append(f"runs of {group[0].name!r} use the Mesa model, one at a time: {reason}")
        args = [(scenarios[r], seeds[r], step_list[r]) for r in members]
        try:
            if together:
                done = _run_together(args, history)
            else:
                done = [_run_mesa(*a, history) for a in args]
        except Exception as exc:
            if not isolate_failures:
                raise
            notes.append(
                f"a batch of runs of {group[0].name!r} raised {type(exc).__name__}: {exc}; "
                "its runs were rerun one at a time in the Mesa model"
            )
            done = [_run_one(*a, history) for a in args]
        for r, outcome in zip(members, done, strict=True):
            outcome.row = {"run": r, **outcome.row}
            outcomes[r] = outcome
    finished = [o for o in outcomes if o is not None]
    final = _stack([o.final for o in finished], FINAL_NAMES, None)
    kept = _stack([o.history for o in finished], HISTORY_NAMES, max(step_list) + 1)
    return Ensemble(
        pd.DataFrame([o.row for o in finished]), final, kept if history else None, notes
    )


def _structure_groups(scenarios: Sequence[Scenario]) -> list[list[int]]:
    """Run indices grouped by the structure of their scenarios (each object compiled once)."""
    from lsr_sim.kernel.records import structure_key
    from lsr_sim.model import compile_scenario

    keys: dict[int, str] = {}
    groups: dict[str, list[int]] = {}
    for r, sc in enumerate(scenarios):
        if id(sc) not in keys:
            keys[id(sc)] = repr(structure_key(sc, compile_scenario(sc)))
        groups.setdefault(keys[id(sc)], []).append(r)
    return list(groups.values())


def _run_together(args: list[tuple[Scenario, int, int]], history: bool) -> list[_Outcome]:
    from lsr_sim.batch import run_batch

    scenarios, seeds, steps = (list(column) for column in zip(*args, strict=True))
    result = run_batch(scenarios, seeds, steps, keep_history=history)
    out = []
    for g in range(len(args)):
        final = {name: value[g] for name, value in result.final.items()}
        kept = {name: value[g] for name, value in (result.history or {}).items()}
        out.append(_Outcome({**result.rows[g], "engine": "batch", "error": ""}, final, kept))
    return out


def _run_mesa(scenario: Scenario, seed: int, steps: int, history: bool) -> _Outcome:
    from lsr_sim.batch.engine import FINAL_NAMES, HISTORY_NAMES
    from lsr_sim.model import NegotiationModel

    model = NegotiationModel(scenario, rng=seed)
    for _ in range(steps):
        model.run_for(1)
        interrupts.check()
    final = {name: getattr(model.kernel.state, name)[0].copy() for name in FINAL_NAMES}
    kept = (
        {name: np.array(model.datacollector.model_vars[name]) for name in HISTORY_NAMES}
        if history
        else {}
    )
    return _Outcome(
        {**summary_row(model, seed=seed, steps=steps), "engine": "mesa", "error": ""}, final, kept
    )


def _run_one(scenario: Scenario, seed: int, steps: int, history: bool) -> _Outcome:
    """One run on its own, in the Mesa model; if it raises, its error is recorded instead."""
    try:
        return _run_mesa(scenario, seed, steps, history)
    except Exception as exc:  # a failing run is data, not a crash of the ensemble
        error = f"{type(exc).__name__}: {exc}"
        row = {
            "scenario": scenario.name,
            "seed": seed,
            "steps": steps,
            "engine": "",
            "error": error,
        }
        return _Outcome(row, {}, {})


def _stack(
    per_run: list[dict[str, np.ndarray]], names: Sequence[str], length: int | None
) -> dict[str, np.ndarray]:
    """Per-run arrays stacked on a run axis; failed runs NaN (-1 for integers); histories
    padded to `length` steps the same way, and runs of scenarios with fewer actors, issues or
    quantities than the largest padded the same way in those axes."""
    out: dict[str, np.ndarray] = {}
    for name in names:
        arrays = [values[name] for values in per_run if name in values]
        if not arrays:
            continue
        shape = tuple(max(sizes) for sizes in zip(*(a.shape for a in arrays), strict=True))
        if length is not None:
            shape = (length, *shape[1:])
        fill: Any = -1 if arrays[0].dtype.kind in "iu" else np.nan
        array = np.full((len(per_run), *shape), fill, dtype=arrays[0].dtype)
        for r, values in enumerate(per_run):
            if name in values:
                region: tuple[Any, ...] = (r, *(slice(0, n) for n in values[name].shape))
                array[region] = values[name]
        out[name] = array
    return out


def _dates(scenario: Scenario, steps: np.ndarray) -> pd.Series:
    start = pd.Timestamp(scenario.run.start_date)
    return start + pd.to_timedelta(steps * scenario.run.step_days, unit="D")


def collect_tables(model: NegotiationModel, *, seed: int, steps: int) -> RunResult:
    """Build the tidy tables of a finished model run from its DataCollector."""
    sc = model.spec
    c = model.compiled
    data: dict[str, list[Any]] = model.datacollector.model_vars
    n_steps = len(data["trust"])
    step_ix = np.arange(n_steps)
    dates = _dates(sc, step_ix)

    trust = np.stack(data["trust"])  # (steps+1, n, n)
    rows, cols = np.nonzero(~np.eye(c.n, dtype=bool))
    trust_df = pd.DataFrame(
        {
            "step": np.repeat(step_ix, len(rows)),
            "date": np.repeat(dates.to_numpy(), len(rows)),
            "truster": np.tile(np.array(c.actors, dtype=object)[rows], n_steps),
            "trustee": np.tile(np.array(c.actors, dtype=object)[cols], n_steps),
            "trust": trust[:, rows, cols].ravel(),
        }
    )

    status = np.stack(data["status"])
    issues_df = pd.DataFrame(
        {
            "step": np.repeat(step_ix, c.m),
            "date": np.repeat(dates.to_numpy(), c.m),
            "issue": np.tile(np.array(c.issues, dtype=object), n_steps),
            "status": np.array(STATUS_NAMES, dtype=object)[status.ravel()],
            "position": np.stack(data["position"]).ravel(),
            "progress": np.stack(data["progress"]).ravel(),
        }
    )

    specs = c.quantities
    delivered = np.stack(data["delivered"]) if specs else np.zeros((n_steps, 0))
    quantities_df = pd.DataFrame(
        {
            "step": np.repeat(step_ix, len(specs)),
            "date": np.repeat(dates.to_numpy(), len(specs)),
            "issue": np.tile(np.array([c.issues[q.issue] for q in specs], dtype=object), n_steps),
            "quantity": np.tile(np.array([q.name for q in specs], dtype=object), n_steps),
            "unit": np.tile(np.array([q.unit for q in specs], dtype=object), n_steps),
            "total": np.tile(np.array([q.total for q in specs], dtype=float), n_steps),
            "delivered": delivered.ravel(),
        }
    )

    event_cols = ["step", "date", "event", "kind", "origin", "description", "actors", "issues"]
    events_df = pd.DataFrame(model.event_log, columns=[c_ for c_ in event_cols if c_ != "date"])
    events_df.insert(1, "date", _dates(sc, events_df["step"].to_numpy(dtype=int)))
    events_df = events_df.astype({"step": int})

    deal_cols = ["deal", "step", "date", "issue", "terms", "parties", "mediator", "package"]
    deal_cols += ["origin", "outcome"]
    deals_df = pd.DataFrame(model.deal_log, columns=deal_cols)
    deals_df["date"] = _dates(sc, deals_df["step"].to_numpy(dtype=int))
    deals_df = deals_df.astype({"step": int, "terms": float, "package": bool})

    summary = pd.DataFrame([summary_row(model, seed=seed, steps=steps)])
    links = pd.DataFrame(
        [
            {"source": s, "target": t, "type": kind, "weight": w}
            for kind, sources in sc.network.items()
            for s, targets in sources.items()
            for t, w in targets.items()
        ],
        columns=["source", "target", "type", "weight"],
    )
    actors = pd.DataFrame(
        {
            "name": list(c.actors),
            "role": list(c.roles),
            "capability": c.capability,
            "strategy": [s.name for s in c.strategies],
        }
    )
    return RunResult(
        scenario=sc,
        seed=seed,
        steps=steps,
        trust=trust_df,
        issues=issues_df,
        quantities=quantities_df,
        events=events_df,
        deals=deals_df,
        summary=summary,
        links=links,
        actors=actors,
    )


def summary_row(model: NegotiationModel, *, seed: int, steps: int) -> dict[str, Any]:
    """Summary indicators of a finished run, as a mapping (see docs/ODD.md, "Outputs").

    Computed from the model's final state (its kernel's), by the same function as the batch
    engine's summaries (:func:`lsr_sim.kernel.summary_rows`).
    """
    from lsr_sim.kernel import summary_rows

    return summary_rows(model.kernel, [model.spec], [seed], steps)[0]


def summary_columns(scenario: Scenario, *, numeric: bool = True) -> list[str]:
    """Names of the summary indicators a run of `scenario` reports (numeric ones by default).

    They depend on the scenario (one column per issue, quantity and pair of principals) and
    are derived from it without running a step (:func:`lsr_sim.kernel.summary_columns`).
    """
    from lsr_sim.kernel import summary_columns as columns
    from lsr_sim.model import compile_scenario

    return columns(compile_scenario(scenario), numeric=numeric)


def date_step(scenario: Scenario, date: dt.date) -> int:
    """The last step whose date is on or before `date` (0 is the start date)."""
    return (date - scenario.run.start_date).days // scenario.run.step_days
