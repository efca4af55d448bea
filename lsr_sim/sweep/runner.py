"""Running a sweep: every run accounted for, streamed to disk, resumable.

The plan (design points x replications, each with a seed derived up front from the master
seed) is fixed before anything runs, so results never depend on how runs are grouped into
tasks, how many workers there are, or which executor runs them. Tasks go to a
``concurrent.futures`` executor: a local process pool by default, a Dask cluster through
``Client.get_executor()``, or any executor the caller passes (``mpi4py.futures``'
``MPIPoolExecutor``, see :mod:`lsr_sim.sweep.mpi`). Each finished task is written as one
Parquet part, atomically (temporary file, flushed, then renamed) and with page checksums; a
run is done exactly when its key is in a part. Running the same command again skips the runs
already saved.

Whatever happens to the disk or the folder, nothing saved is lost and nothing is counted
twice: one sweep writes into a folder at a time (an operating-system lock, released when its
holder dies); on resume every part is read whole and checked, and a part that cannot be read
is moved to ``quarantine/`` and its runs are run again; a full disk stops the sweep with one
line (runs saved, room needed) and no partial part.
"""

from __future__ import annotations

import concurrent.futures as cf
import functools
import hashlib
import itertools
import json
import math
import multiprocessing
import os
import shutil
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from lsr_sim import __version__ as _VERSION  # in every run key: versions never mix
from lsr_sim import interrupts
from lsr_sim.atomic import (
    LOCK_NAME,
    OWNER_NAME,
    atomic_write,
    disk_full,
    folder_writer,
    format_size,
    write_bytes_atomic,
)
from lsr_sim.dynamics.status import STATUS_NAMES
from lsr_sim.errors import InputError, SweepError
from lsr_sim.experiment import derive_seeds, environment, run_many, summary_columns, summary_row
from lsr_sim.results import folder_kind
from lsr_sim.scenario.paths import apply_parameters
from lsr_sim.sweep import estimate
from lsr_sim.sweep.design import Design, build_design
from lsr_sim.sweep.loading import LoadedSweep

__all__ = [
    "RunSpec",
    "SweepReport",
    "Task",
    "execute_task",
    "plan_runs",
    "run_sweep",
]

#: Most runs in one batch-engine task, without and with trajectories (see _sweep_locked).
BATCH_TASK_RUNS = 5000
BATCH_TASK_RUNS_WITH_TRAJECTORIES = 1000
#: The least work in a task cut from a larger plan, in run-steps times actors squared: 1,024
#: runs of the baseline (160 steps, 6 actors), below which its cost per run rises.
BATCH_TASK_WORK_LEAST = 1024 * 160 * 6**2
RUNS, TRAJECTORIES = "runs", "trajectories"
#: Unreadable parts are moved here (never deleted), under runs/ and trajectories/.
QUARANTINE = "quarantine"
_ARTEFACTS = ("manifest.json", "design.parquet", RUNS, TRAJECTORIES, "analysis")


@dataclass(frozen=True)
class RunSpec:
    """One run of the plan."""

    run: int
    point: int
    replication: int
    scenario: str
    seed: int
    params: tuple[tuple[str, float], ...]
    steps: int
    key: str


@dataclass(frozen=True)
class Task:
    """A group of runs sent to one worker, with everything needed to do them."""

    runs: tuple[RunSpec, ...]
    data: Mapping[str, Mapping[str, Any]]  # scenario name -> resolved scenario mapping
    parameters: tuple[str, ...]
    outcomes: tuple[str, ...]
    trajectory_every: int | None
    engine: str = "batch"


@dataclass
class SweepReport:
    """What a call to :func:`run_sweep` did."""

    out_dir: Path
    total: int
    done_before: int
    done_now: int = 0
    failed: int = 0
    interrupted: bool = False
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def saved(self) -> int:
        return self.done_before + self.done_now

    @property
    def complete(self) -> bool:
        return self.saved >= self.total


def run_key(scenario_sha: str, params: Mapping[str, float], seed: int, steps: int) -> str:
    """Identity of a run: scenario content, parameter values, seed, steps, model version.

    Examples
    --------
    >>> run_key("abc", {"x": 0.5}, 7, 10) == run_key("abc", {"x": 0.5}, 7, 10)
    True
    >>> run_key("abc", {"x": 0.5}, 7, 10) == run_key("abc", {"x": 0.5}, 8, 10)
    False
    """
    return _run_keys(scenario_sha, params, [seed], steps)[0]


def _run_keys(
    scenario_sha: str, params: Mapping[str, float], seeds: Sequence[int], steps: int
) -> list[str]:
    """:func:`run_key` of each seed of one point: the JSON text is written once, the seeds
    put in its place (the top-level ``"seed"`` is the last, as the keys are sorted)."""
    blob = json.dumps(
        {
            "scenario": scenario_sha,
            "params": {k: float(v) for k, v in sorted(params.items())},
            "seed": 0,
            "steps": int(steps),
            "version": _VERSION,
        },
        sort_keys=True,
    )
    head, _, tail = blob.rpartition('"seed": 0')
    return [
        hashlib.sha256(f'{head}"seed": {int(seed)}{tail}'.encode()).hexdigest()[:16]
        for seed in seeds
    ]


def plan_runs(loaded: LoadedSweep, design: Design) -> list[RunSpec]:
    """Every run of the sweep, in run order; seeds derived from the master seed up front."""
    replications = loaded.spec.replications
    points = design.points
    total = len(points) * replications
    seeds = derive_seeds(loaded.spec.seed, total)
    names = list(design.parameters)
    values = points[names].to_numpy(dtype=float) if names else np.zeros((len(points), 0))
    plan = []
    for p, (point, scenario) in enumerate(zip(points["point"], points["scenario"], strict=True)):
        params = tuple(zip(names, (float(v) for v in values[p]), strict=True))
        steps = loaded.steps_for(scenario, dict(params))  # run.steps may be varied
        first = int(point) * replications
        point_seeds = seeds[first : first + replications]
        keys = _run_keys(loaded.scenarios[scenario].sha256, dict(params), point_seeds, steps)
        for rep, (seed, key) in enumerate(zip(point_seeds, keys, strict=True)):
            plan.append(RunSpec(first + rep, int(point), rep, scenario, seed, params, steps, key))
    return plan


# -- the work a worker does -----------------------------------------------------------------


def _trajectory_columns(
    data: Mapping[str, Any], c: Any, run_settings: Any, steps: int, every: int
) -> dict[str, np.ndarray]:
    """The state every `every` steps, one array per column, from per-step series (a
    DataCollector's or a batch's)."""
    at = np.arange(0, steps + 1, every)
    start = pd.Timestamp(run_settings.start_date)
    dates = [start + pd.Timedelta(days=int(step) * run_settings.step_days) for step in at]
    trust = np.asarray(data["trust"], dtype=float)[at]
    status = np.asarray(data["status"])[at].astype(int)
    progress = np.asarray(data["progress"], dtype=float)[at]
    columns: dict[str, np.ndarray] = {
        "step": at,
        "date": pd.DatetimeIndex(dates).to_numpy(),
        "rapprochement_index": np.asarray(data["rapprochement"], dtype=float)[at],
        "mean_trust": np.asarray(data["mean_trust"], dtype=float)[at],
    }
    for i, a in enumerate(c.actors):
        for j, b in enumerate(c.actors):
            if i != j:
                columns[f"trust_{a}_{b}"] = trust[:, i, j]
    names = np.array(STATUS_NAMES, dtype=object)
    for k, issue in enumerate(c.issues):
        columns[f"status_{issue}"] = names[status[:, k]]
        columns[f"progress_{issue}"] = progress[:, k]
    if c.quantities:
        delivered = np.asarray(data["delivered"], dtype=float)[at]
        for q, spec in enumerate(c.quantities):
            columns[f"delivered_{c.issues[spec.issue]}_{spec.name}"] = delivered[:, q]
    return columns


def _error_text(exc: BaseException) -> str:
    last = traceback.extract_tb(exc.__traceback__)[-1:] or []
    where = f" (at {last[0].filename.rsplit('/', 1)[-1]}:{last[0].lineno})" if last else ""
    return f"{type(exc).__name__}: {exc}{where}"


def _outcome_value(value: Any) -> float:
    """An outcome as the runs table holds it: a number as float, anything else NaN."""
    return float(value) if isinstance(value, (int, float, np.number)) else np.nan


def _identity(specs: Sequence[RunSpec]) -> pd.DataFrame:
    """The columns of the runs table that say which runs these are: key, run, point,
    replication, scenario, seed and the parameters' values (a sweep's runs share their
    parameters)."""
    frame = pd.DataFrame(
        {
            "run_key": [spec.key for spec in specs],
            "run": np.array([spec.run for spec in specs], dtype=np.int64),
            "point": np.array([spec.point for spec in specs], dtype=np.int64),
            "replication": np.array([spec.replication for spec in specs], dtype=np.int64),
            "scenario": [spec.scenario for spec in specs],
            "seed": np.array([spec.seed for spec in specs], dtype=np.uint64),
        }
    )
    values = np.array([[value for _, value in spec.params] for spec in specs], dtype=float)
    for p, (name, _) in enumerate(specs[0].params):
        frame[name] = values[:, p]
    return frame


class _RunRecorder:
    """Collects the runs rows and trajectory rows of a task, whichever engine ran them.

    Runs of the Mesa model, and runs that fail before they start, are recorded one at a
    time (their outcomes and error); a batch's runs as one block of columns, taken from its
    summary table as it is.
    Says how many runs are done to `progress` as they finish (at most five times a second):
    one by one with the Mesa model, a batch at a time with the batch engine.
    """

    def __init__(self, task: Task, progress: Callable[[int], None] | None = None) -> None:
        self.task = task
        self.rows: dict[int, tuple[RunSpec, dict[str, Any]]] = {}  # run -> spec, outcomes
        self.blocks: list[pd.DataFrame] = []
        self.paths: dict[int, dict[str, np.ndarray]] = {}
        self.layout: tuple[Any, Any] | None = None  # (scenario, its compiled form), the last
        self.progress = progress
        self.unreported = 0
        self.reported_at = 0.0

    def _finished(self, n: int = 1) -> None:
        self.unreported += n
        now = time.monotonic()
        if self.progress is not None and now - self.reported_at >= 0.2:
            self.progress(self.unreported)
            self.unreported, self.reported_at = 0, now

    def done(
        self, spec: RunSpec, summary: Mapping[str, Any], series: Mapping[str, Any], scenario: Any
    ) -> None:
        row = {name: _outcome_value(summary.get(name, np.nan)) for name in self.task.outcomes}
        self.rows[spec.run] = (spec, {**row, "error": ""})
        self._keep_path(spec, series, scenario)
        self._finished()

    def done_together(
        self,
        group: Sequence[tuple[RunSpec, Any]],
        summary: pd.DataFrame,
        history: Mapping[str, np.ndarray] | None,
    ) -> None:
        """Runs of one batch, (spec, scenario) each; row r of `summary` (and of each
        `history` array) is group[r]'s. A row with an error is a failed run: NaN outcomes,
        the error, no trajectory.
        """
        specs = [spec for spec, _ in group]
        block = _identity(specs)
        error = summary["error"].fillna("").astype(str).to_numpy()
        failed = error != ""
        for name in self.task.outcomes:
            if name not in summary:
                column = np.full(len(specs), np.nan)
            elif summary[name].dtype.kind in "biuf":
                column = summary[name].to_numpy(dtype=float, na_value=np.nan, copy=True)
            else:
                column = np.array([_outcome_value(v) for v in summary[name]], dtype=float)
            column[failed] = np.nan
            block[name] = column
        block["error"] = error
        self.blocks.append(block)
        if self.task.trajectory_every:
            for r, (spec, scenario) in enumerate(group):
                if not failed[r]:
                    series = {name: kept[r] for name, kept in (history or {}).items()}
                    self._keep_path(spec, series, scenario)
        self._finished(len(specs))

    def _keep_path(self, spec: RunSpec, series: Mapping[str, Any], scenario: Any) -> None:
        if not self.task.trajectory_every:
            return
        from lsr_sim.model import compile_scenario

        # Replications of a point share their scenario: compile it once.
        if self.layout is None or self.layout[0] is not scenario:
            self.layout = (scenario, compile_scenario(scenario))
        columns = _trajectory_columns(
            series, self.layout[1], scenario.run, spec.steps, self.task.trajectory_every
        )
        size = len(columns["step"])
        ident: dict[str, np.ndarray] = {
            "run_key": np.full(size, spec.key, dtype=object),
            "run": np.full(size, spec.run, dtype=np.int64),
            "point": np.full(size, spec.point, dtype=np.int64),
            "replication": np.full(size, spec.replication, dtype=np.int64),
            "scenario": np.full(size, spec.scenario, dtype=object),
        }
        self.paths[spec.run] = {**ident, **columns}

    def failed(self, spec: RunSpec, exc: BaseException) -> None:
        self.failed_with(spec, _error_text(exc))

    def failed_with(self, spec: RunSpec, error: str) -> None:
        self.rows[spec.run] = (spec, {**dict.fromkeys(self.task.outcomes, np.nan), "error": error})
        self.paths.pop(spec.run, None)
        self._finished()

    def tables(self) -> tuple[pd.DataFrame, pd.DataFrame | None]:
        frames = list(self.blocks)
        if self.rows:
            specs, outcomes = zip(*(self.rows[r] for r in sorted(self.rows)), strict=True)
            single = _identity(specs)
            for name, column in pd.DataFrame(list(outcomes)).items():
                single[name] = column.to_numpy()
            frames.append(single)
        runs = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
        if len(frames) > 1:
            runs = runs.sort_values("run", kind="stable", ignore_index=True)
        if not self.task.trajectory_every:
            return runs, None
        if not self.paths:
            return runs, pd.DataFrame()
        parts = [self.paths[r] for r in sorted(self.paths)]
        names = list(parts[0])
        if any(list(part) != names for part in parts):  # scenarios of different structures
            return runs, pd.concat([pd.DataFrame(part) for part in parts], ignore_index=True)
        return runs, pd.DataFrame(
            {name: np.concatenate([part[name] for part in parts]) for name in names}
        )


def _run_with_mesa(spec: RunSpec, scenario: Any, record: _RunRecorder) -> None:
    from lsr_sim.model import NegotiationModel

    try:
        model = NegotiationModel(scenario, rng=spec.seed)
        for _ in range(spec.steps):
            model.run_for(1)
            interrupts.check()
        summary = summary_row(model, seed=spec.seed, steps=spec.steps)
        record.done(spec, summary, model.datacollector.model_vars, scenario)
    except Exception as exc:  # a failing run is data, not a crash of the sweep
        record.failed(spec, exc)


def _run_with_batch(group: list[tuple[RunSpec, Any]], record: _RunRecorder) -> list[str]:
    """Run a group of runs at once (:func:`lsr_sim.experiment.run_many`); returns its notes.

    Runs of a scenario the batch engine cannot step together go through the Mesa model, and
    a batch that raises is rerun run by run so that each failure is recorded with its seed:
    both are said in the notes, which the sweep keeps in its manifest and prints.
    """
    ensemble = run_many(
        [scenario for _, scenario in group],
        [spec.seed for spec, _ in group],
        [spec.steps for spec, _ in group],
        history=bool(record.task.trajectory_every),
        isolate_failures=True,
    )
    runs = [spec.run for spec, _ in group]
    where = f" (runs {min(runs)} to {max(runs)})"
    notes = [note + where if note.startswith("a batch") else note for note in ensemble.notes]
    record.done_together(group, ensemble.summary, ensemble.history)
    return notes


def execute_task(
    task: Task, progress: Callable[[int], None] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame | None, list[str]]:
    """Do every run of a task; a run that raises is recorded with its error, not re-raised.

    With ``task.engine == "batch"`` the runs are stepped together by the batch engine where
    it can (:func:`lsr_sim.experiment.run_many`: the Mesa model's numbers exactly); with
    ``"mesa"`` one by one through the Mesa model. Returns the runs table, the trajectories
    table if trajectories are kept, and notes on runs that did not go the fast way.
    ``progress(n)``, if given, hears that `n` more runs are done, as they finish.
    """
    from lsr_sim.scenario import scenario_from_dict

    record = _RunRecorder(task, progress)
    batch: list[tuple[RunSpec, Any]] = []
    cache: tuple[tuple[str, tuple[tuple[str, float], ...]], Any] | None = None
    for spec in task.runs:
        try:
            # Replications of a point are consecutive: validate each point's scenario once.
            ident = (spec.scenario, spec.params)
            if cache is None or cache[0] != ident:
                data = apply_parameters(task.data[spec.scenario], dict(spec.params))
                cache = (ident, scenario_from_dict(data, f"sweep run {spec.run}"))
        except Exception as exc:
            record.failed(spec, exc)
            continue
        if task.engine == "batch":
            batch.append((spec, cache[1]))
        else:
            _run_with_mesa(spec, cache[1], record)
    notes = _run_with_batch(batch, record) if batch else []
    return (*record.tables(), notes)


# -- storage ----------------------------------------------------------------------------------


def _runs_schema(parameters: Sequence[str], outcomes: Sequence[str]) -> pa.Schema:
    fields = [
        ("run_key", pa.string()),
        ("run", pa.int64()),
        ("point", pa.int64()),
        ("replication", pa.int64()),
        ("scenario", pa.string()),
        ("seed", pa.uint64()),
    ]
    fields += [(name, pa.float64()) for name in parameters]
    fields += [(name, pa.float64()) for name in outcomes]
    fields += [("error", pa.string())]
    return pa.schema(fields)


def _trajectories_schema(loaded: LoadedSweep) -> pa.Schema:
    """The columns of the sweep's trajectories: those of every scenario's runs (in order of
    first appearance), so that every part has the same schema and a reader sees them all; a
    run's row holds nulls in the columns of actors, issues or quantities its scenario lacks.

    The names and types are those :func:`_trajectory_columns` gives a run of each scenario.
    """
    from lsr_sim.model import compile_scenario

    fields: dict[str, pa.DataType] = {
        "run_key": pa.string(),
        "run": pa.int64(),
        "point": pa.int64(),
        "replication": pa.int64(),
        "scenario": pa.string(),
    }
    for entry in loaded.scenarios.values():
        c = compile_scenario(entry.scenario)
        n, k, q = len(c.actors), len(c.issues), len(c.quantities)
        blank = {  # one step of each series, shaped as a run of this scenario records it
            "trust": np.zeros((1, n, n)),
            "status": np.zeros((1, k), dtype=np.int64),
            "progress": np.zeros((1, k)),
            "rapprochement": np.zeros(1),
            "mean_trust": np.zeros(1),
            "delivered": np.zeros((1, q)),
        }
        columns = _trajectory_columns(blank, c, entry.scenario.run, 0, 1)
        for column in pa.Table.from_pydict(columns).schema:
            fields.setdefault(column.name, column.type)
    return pa.schema(list(fields.items()))


@dataclass(frozen=True)
class _Schemas:
    """The schemas every part of a sweep is written with (trajectories: None if not kept)."""

    runs: pa.Schema
    trajectories: pa.Schema | None


def _table(frame: pd.DataFrame, schema: pa.Schema, missing: Any) -> pa.Table:
    """`frame` as a table of `schema`, its missing columns filled with `missing` (null)."""
    for name in schema.names:
        if name not in frame:
            frame[name] = missing
    return pa.Table.from_pandas(frame[schema.names], schema=schema, preserve_index=False)


def _write_part(folder: Path, table: pa.Table, first_run: int, keys: Sequence[str]) -> Path:
    """Write one Parquet part atomically; its name is unique to the runs it holds.

    The runs part and the trajectories part of a task get the same name.
    """
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256("\n".join(keys).encode()).hexdigest()[:10]
    final = folder / f"part-{first_run:09d}-{digest}.parquet"
    return atomic_write(
        final, lambda handle: pq.write_table(table, handle, write_page_checksum=True)
    )


def _parts(out_dir: Path, sub: str) -> list[Path]:
    folder = out_dir / sub
    return sorted(folder.glob("part-*.parquet")) if folder.is_dir() else []


def saved_keys(out_dir: Path) -> set[str]:
    """Keys of the runs saved in `out_dir`: those in its readable runs parts."""
    keys: set[str] = set()
    for part in _parts(out_dir, RUNS):
        try:
            keys.update(pq.read_table(part, columns=["run_key"]).column(0).to_pylist())
        except Exception:  # pyarrow raises several unrelated types for a bad file
            continue  # not saved: a resume sets the part aside and runs its runs again
    return keys


def _check_part(part: Path, columns: Sequence[str]) -> list[str]:
    """Read a part whole, every page against its checksum; return its run keys.

    Raises whatever pyarrow raises for a truncated, empty or damaged file, or ValueError for a
    part without the columns a sweep writes.
    """
    table = pq.read_table(part, page_checksum_verification=True)
    missing = [name for name in columns if name not in table.column_names]
    if missing:
        raise ValueError(f"column {missing[0]!r} is missing")
    return table.column("run_key").to_pylist()


def _check_saved(out_dir: Path, columns: Sequence[str], trajectories: bool) -> tuple[set[str], str]:
    """Check every part of `out_dir`; set aside the unusable ones; return the saved keys.

    A runs part that cannot be read, a trajectories part that cannot be read (with its runs
    part: the runs must be run again to get their trajectories) and a trajectories part whose
    runs part never arrived (a write cut short) are moved to ``quarantine/``. Returns the keys
    of the runs saved in the parts that remain and a one-line note ("" if nothing was moved).
    """
    keys: dict[str, list[str]] = {}
    bad: dict[str, str] = {}
    for part in _parts(out_dir, RUNS):
        try:
            keys[part.name] = _check_part(part, columns)
        except Exception as exc:  # pyarrow raises several unrelated types for a bad file
            bad[part.name] = f"{RUNS}/{part.name}: {_reason(exc)}"
    if trajectories:
        for part in _parts(out_dir, TRAJECTORIES):
            if part.name in bad:
                continue
            if part.name not in keys:
                bad[part.name] = f"{TRAJECTORIES}/{part.name}: no runs part of the same name"
                continue
            try:
                _check_part(part, ("run_key", "step"))
            except Exception as exc:  # as above
                bad[part.name] = f"{TRAJECTORIES}/{part.name}: {_reason(exc)}"
    for name in bad:
        _set_aside(out_dir, name)
        keys.pop(name, None)
    saved = {key for part_keys in keys.values() for key in part_keys}
    if not bad:
        return saved, ""
    first = next(iter(bad.values()))
    more = f" and {len(bad) - 1} more" if len(bad) > 1 else ""
    note = (
        f"set aside {len(bad)} unreadable part(s) in {out_dir / QUARANTINE} ({first}{more}); "
        "their runs are run again"
    )
    return saved, note


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 120 else text[:117] + "..."


def _set_aside(out_dir: Path, name: str) -> None:
    """Move part `name` (runs and trajectories) into the quarantine folder; never delete it."""
    for sub in (RUNS, TRAJECTORIES):
        source = out_dir / sub / name
        if not source.exists():
            continue
        folder = out_dir / QUARANTINE / sub
        folder.mkdir(parents=True, exist_ok=True)
        target, n = folder / name, 1
        while target.exists():  # set aside before: keep both
            target, n = folder / f"{name}.{n}", n + 1
        source.replace(target)


def _clean_temporaries(out_dir: Path) -> None:
    """Remove the temporary files a killed sweep left (called while holding the folder lock)."""
    for folder, pattern in (
        (out_dir, ".manifest.json.*.tmp"),
        (out_dir, ".design.parquet.*.tmp"),
        (out_dir, f".{OWNER_NAME}.*.tmp"),
        (out_dir / RUNS, ".part-*.tmp"),
        (out_dir / TRAJECTORIES, ".part-*.tmp"),
    ):
        for tmp in folder.glob(pattern):
            tmp.unlink(missing_ok=True)


def _manifest(
    loaded: LoadedSweep,
    design: Design,
    outcomes: Sequence[str],
    total: int,
    command: Sequence[str] | None,
) -> dict[str, Any]:
    spec = loaded.spec
    return {
        "sweep": {
            "name": spec.name,
            "file": str(loaded.path),
            "sha256": loaded.sha256,
            "content": loaded.content,
        },
        "scenarios": {
            name: {"file": str(entry.path), "sha256": entry.sha256}
            for name, entry in loaded.scenarios.items()
        },
        "design": {
            "type": design.type,
            "samples": design.samples,
            "second_order": design.second_order,
            "levels": design.levels,
            "parameters": list(design.parameters),
            "problem": design.problem,
            "points": len(design.points),
        },
        "replications": spec.replications,
        "total_runs": total,
        "seed": spec.seed,
        "steps": dict(loaded.steps),
        "outcomes": list(outcomes),
        "trajectories": (
            {"every": spec.trajectories.every} if spec.trajectories is not None else None
        ),
        "lsr_sim_version": _VERSION,
        "environment": environment(),
        "command": list(command) if command is not None else None,
    }


def _write_json(path: Path, content: Mapping[str, Any]) -> None:
    text = json.dumps(content, indent=2, sort_keys=True, default=str) + "\n"
    write_bytes_atomic(path, text.encode("utf-8"))


def _check_out_dir(out_dir: Path, *, fresh: bool, locked: bool = False) -> None:
    """Refuse an --out that cannot hold this sweep, before anything is written into it.

    Until the folder's lock is held (`locked`), a folder with a lock file is another writer's
    (it may be writing its first files): the lock decides, not what is in it now.
    """
    if out_dir.exists() and not out_dir.is_dir():
        raise SweepError("command line", "--out", f"{out_dir} is a file, not a folder")
    if folder_kind(out_dir) == "run" and not (out_dir / RUNS).is_dir():
        raise SweepError(
            str(out_dir),
            "",
            "holds the results of one run (written by `lsr-sim run`); choose another --out",
        )
    undecided = locked or not (out_dir / LOCK_NAME).exists()
    if undecided and not fresh and _holds_files_but_no_sweep(out_dir):
        raise SweepError(
            str(out_dir), "", "is not empty and holds no sweep results; choose another --out"
        )


def _holds_files_but_no_sweep(out_dir: Path) -> bool:
    if not out_dir.is_dir() or (out_dir / "manifest.json").exists():
        return False
    # The writer's lock and owner files (and an owner file's temporary) are no results.
    return any(not p.name.startswith(".lsr-sim.") for p in out_dir.iterdir())


def _prepare_folder(
    out_dir: Path, manifest: Mapping[str, Any], design: Design, *, fresh: bool
) -> None:
    """Check the output folder again (now holding its lock); refuse results of another sweep."""
    _check_out_dir(out_dir, fresh=fresh, locked=True)
    existing = out_dir / "manifest.json"
    if fresh:
        for name in _ARTEFACTS:
            target = out_dir / name
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()
    elif existing.exists():
        try:
            old = json.loads(existing.read_text())
        except (OSError, json.JSONDecodeError):
            old = {}
        same_sweep = old.get("sweep", {}).get("sha256") == manifest["sweep"]["sha256"]
        same_scenarios = old.get("scenarios") == manifest["scenarios"]
        if not (same_sweep and same_scenarios):
            what = "sweep file" if not same_sweep else "scenario files"
            raise SweepError(
                str(out_dir),
                "",
                f"holds results of a different sweep (the {what} changed since they were "
                "written); add --fresh to start over, or choose another --out",
            )
    _write_json(out_dir / "manifest.json", manifest)
    atomic_write(out_dir / "design.parquet", lambda h: design.points.to_parquet(h, index=False))


# -- progress ---------------------------------------------------------------------------------


class _Progress:
    """A progress bar on a terminal; plain periodic lines otherwise.

    It counts runs done: those saved, plus those the tasks still running have finished (their
    workers say so as runs finish), so it moves with runs, not with tasks.
    """

    def __init__(self, total: int, done: int, *, enabled: bool, stream: Any = None) -> None:
        self.total, self.saved = total, done
        self.start_done = done
        self.running: dict[int, int] = {}  # task id -> runs it has finished, not yet saved
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.started = time.monotonic()
        self.last_line = 0.0
        self.bar = None
        if enabled and self.stream.isatty():
            from tqdm.auto import tqdm

            self.bar = tqdm(
                total=total, initial=done, unit="run", file=self.stream, dynamic_ncols=True
            )

    @property
    def done(self) -> int:
        return self.saved + sum(self.running.values())

    def advance(self, task: int, n: int) -> None:
        """Task `task` has finished `n` more runs."""
        self.running[task] = self.running.get(task, 0) + n
        self._show()

    def saved_task(self, task: int, n: int) -> None:
        """Task `task` is saved, with its `n` runs."""
        self.running.pop(task, None)
        self.saved += n
        self._show()

    def lost(self, tasks: Iterable[int]) -> None:
        """Tasks whose runs will be run again (their worker died)."""
        for task in tasks:
            self.running.pop(task, None)
        self._show()

    def _show(self) -> None:
        if not self.enabled:
            return
        done = min(self.done, self.total)
        if self.bar is not None:
            if done != self.bar.n:
                self.bar.n = done
                self.bar.refresh()
            return
        now = time.monotonic()
        if now - self.last_line >= 10 or done >= self.total:
            self.last_line = now
            rate = (done - self.start_done) / max(now - self.started, 1e-9)
            left = (self.total - done) / rate if rate > 0 else math.inf
            eta = f"about {left:.0f} s left" if math.isfinite(left) else "time left unknown"
            print(
                f"sweep: {done}/{self.total} runs ({100 * done / self.total:.0f}%), "
                f"{rate:.1f} runs/s, {eta}",
                file=self.stream,
                flush=True,
            )

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


# -- executors --------------------------------------------------------------------------------


def _local_executor(workers: int, progress: Any = None) -> cf.Executor:
    """A pool of `workers` processes that tell `progress` (a queue of ``(task id, runs)``) as
    runs finish."""
    # spawn: no forked copies of the parent's threads or locks (progress bar, Dask client)
    return cf.ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_worker,
        initargs=(progress,),
    )


def _start_helpers(pool: cf.Executor, count: int, first: Task) -> set[cf.Future]:
    """Start every worker of `pool` now, each warming up on two runs of `first`; a worker is
    ready (worth a task) once its warm-up is done.

    Until then the sweep's own process computes: a spawned worker spends about as long
    importing and loading the compiled kernel (1.5 s on a 2-core VM) as a small sweep takes.
    """
    warm_up = replace(first, runs=first.runs[:2])
    if threading.current_thread() is not threading.main_thread():
        # signal dispositions can only be changed from the main thread
        return {pool.submit(_warm_up, warm_up) for _ in range(count)}
    # A submit spawns a worker while none is idle; spawn them with SIGINT ignored: a child
    # inherits that disposition through exec and Python then installs no KeyboardInterrupt
    # handler, so a Ctrl-C landing while a worker is still importing (before its initializer
    # runs) prints no traceback. The parent alone handles Ctrl-C.
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        return {pool.submit(_warm_up, warm_up) for _ in range(count)}
    finally:
        signal.signal(signal.SIGINT, previous)


def _warm_up(task: Task) -> None:
    """Run a task and drop its results: the compiled kernel is then loaded in this process."""
    execute_task(task)


def _ignore_sigint() -> None:
    # Ctrl-C is the parent's to handle: it stops cleanly and says how to resume.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


# The progress queue of a pool's worker process, set once as the process starts.
_worker_progress: Any = None


def _start_worker(progress: Any) -> None:
    global _worker_progress
    _ignore_sigint()
    _worker_progress = progress


def _execute_in_worker(
    task_id: int, task: Task
) -> tuple[pd.DataFrame, pd.DataFrame | None, list[str]]:
    queue = _worker_progress
    if queue is None:
        return execute_task(task)
    return execute_task(task, lambda n: queue.put((task_id, n)))


def _execute_here(
    task: Task, progress: Callable[[int], None]
) -> tuple[pd.DataFrame, pd.DataFrame | None, list[str]]:
    with interrupts.deferred():  # Ctrl-C between two steps, never inside numba
        return execute_task(task, progress)


def _tasks(
    plan: Sequence[RunSpec],
    loaded: LoadedSweep,
    design: Design,
    outcomes: Sequence[str],
    sizes: Iterable[int],
    engine: str,
) -> Iterator[Task]:
    """The plan cut into consecutive tasks of `sizes` runs (their sum is ``len(plan)``)."""
    every = loaded.spec.trajectories.every if loaded.spec.trajectories is not None else None
    start = 0
    for size in sizes:
        chunk = tuple(plan[start : start + size])
        start += size
        names = {spec.scenario for spec in chunk}
        yield Task(
            runs=chunk,
            data={name: loaded.scenarios[name].data for name in names},
            parameters=tuple(design.parameters),
            outcomes=tuple(outcomes),
            trajectory_every=every,
            engine=engine,
        )


def _even_sizes(total: int, size: int) -> list[int]:
    """`total` runs in tasks of `size` (the last one smaller).

    Examples
    --------
    >>> _even_sizes(10, 4)
    [4, 4, 2]
    """
    return [min(size, total - start) for start in range(0, total, size)]


def _least_task_runs(loaded: LoadedSweep, todo: Sequence[RunSpec]) -> int:
    """The fewest runs in a local batch task: :data:`BATCH_TASK_WORK_LEAST` over the work
    of the plan's most costly run, taken as its steps times its scenario's actors squared
    (the pairwise trust matrix; the batch engine's cost grows more slowly than that in
    actors, so a large scenario's tasks err on the small side, which costs it little)."""
    actors = max(len(entry.scenario.actors) for entry in loaded.scenarios.values())
    steps = max(spec.steps for spec in todo)
    return max(1, math.ceil(BATCH_TASK_WORK_LEAST / (max(steps, 1) * actors**2)))


def _guided_sizes(total: int, processes: int, smallest: int, largest: int) -> list[int]:
    """Shrinking task sizes: each task takes ``1 / (2 * processes)`` of the runs left, within
    ``[smallest, largest]``, so the first tasks are large (the batch engine's cost per run
    falls with size) and the last are small (the processes finish together). Where a task
    would leave fewer than `smallest` runs, the runs left make two even tasks instead (no
    task of a few runs at the end, none below half of `smallest`); a plan of fewer than
    `smallest` runs is one task.

    Examples
    --------
    >>> _guided_sizes(10_000, 2, 1024, 5_000)
    [2500, 1875, 1407, 1055, 1024, 1024, 558, 557]
    >>> _guided_sizes(3_000, 2, 1024, 5_000)
    [1024, 988, 988]
    >>> _guided_sizes(1_000, 2, 1024, 5_000)
    [1000]
    """
    smallest = min(smallest, largest)
    sizes: list[int] = []
    left = total
    while left:
        size = min(left, max(smallest, min(largest, math.ceil(left / (2 * processes)))))
        if 0 < left - size < smallest:
            size = math.ceil(left / 2)
        sizes.append(size)
        left -= size
    return sizes


def run_sweep(
    loaded: LoadedSweep,
    out_dir: str | Path,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    fresh: bool = False,
    progress: bool = True,
    command: Sequence[str] | None = None,
    runs_per_task: int | None = None,
    stream: Any = None,
    engine: str = "batch",
    executor: cf.Executor | None = None,
) -> SweepReport:
    """Run every run of a sweep that is not yet saved in `out_dir`.

    Parameters
    ----------
    loaded : LoadedSweep
        From :func:`lsr_sim.sweep.load_sweep`.
    out_dir : path
        Results folder (created). Runs already saved there are skipped.
    workers : int, optional
        Local processes computing: this one and ``workers - 1`` helpers, which take tasks
        once they have started (default: every core). Ignored with `scheduler`.
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://host:port``).
    fresh : bool
        Delete the sweep results in `out_dir` first.
    progress : bool
        Show progress on `stream` (default standard error).
    runs_per_task : int, optional
        Runs grouped into one task (default: enough tasks to balance the workers, at most
        100 runs with the Mesa engine and 5,000 with the batch engine, 1,000 with
        trajectories; locally, batch tasks shrink as the sweep goes on, to 1,024 runs of the
        baseline, fewer for a scenario of more steps or actors).
    engine : {"batch", "mesa"}
        The batch engine steps a task's runs together and gives the Mesa model's numbers
        exactly; the runs of a scenario it cannot vectorise (a user's own strategy class, a
        classic protocol) use the Mesa model, with a note saying why.
    executor : concurrent.futures.Executor, optional
        Run the tasks on this executor instead (e.g. ``mpi4py.futures.MPIPoolExecutor``,
        or a Dask ``client.get_executor()``); the caller owns it: it is not shut down.
        `workers` then sets how many tasks to balance over (default: the executor's
        ``num_workers`` if it has one, else every local core).

    Returns
    -------
    SweepReport
    """
    out_dir = Path(out_dir)
    if engine not in ("batch", "mesa"):
        raise InputError("command line", "--engine", f"is {engine!r}; expected batch or mesa")
    design = build_design(loaded)
    outcomes = list(loaded.spec.outcomes or _default_outcomes(loaded))
    plan = plan_runs(loaded, design)
    manifest = _manifest(loaded, design, outcomes, len(plan), command)
    earlier = [] if fresh else _saved_notes(out_dir)
    _check_out_dir(out_dir, fresh=fresh)  # before the lock creates the folder
    report = SweepReport(out_dir, total=len(plan), done_before=0)
    with folder_writer(out_dir, command, "a sweep"):
        try:
            _sweep_locked(
                loaded,
                design,
                outcomes,
                plan,
                manifest,
                report,
                workers=workers,
                scheduler=scheduler,
                fresh=fresh,
                progress=progress,
                runs_per_task=runs_per_task,
                stream=stream,
                engine=engine,
                executor=executor,
                earlier_notes=earlier,
            )
        except KeyboardInterrupt:  # before the runs started (while checking the parts)
            report.interrupted = True
            report.done_before = len(saved_keys(out_dir) & {spec.key for spec in plan})
        except (OSError, _DiskFull) as exc:
            if isinstance(exc, OSError) and not disk_full(exc):
                raise
            raise SweepError(str(out_dir), "", _disk_full_text(out_dir, plan, exc)) from None
    return report


def _sweep_locked(
    loaded: LoadedSweep,
    design: Design,
    outcomes: list[str],
    plan: list[RunSpec],
    manifest: Mapping[str, Any],
    report: SweepReport,
    *,
    workers: int | None,
    scheduler: str | None,
    fresh: bool,
    progress: bool,
    runs_per_task: int | None,
    stream: Any,
    engine: str,
    executor: cf.Executor | None,
    earlier_notes: Sequence[str],
) -> None:
    """The body of :func:`run_sweep`, run while holding the output folder's lock."""
    out_dir = report.out_dir
    _clean_temporaries(out_dir)  # first: a sweep killed while writing its manifest left one
    _prepare_folder(out_dir, manifest, design, fresh=fresh)
    schema = _runs_schema(design.parameters, outcomes)
    kept = loaded.spec.trajectories is not None
    schemas = _Schemas(schema, _trajectories_schema(loaded) if kept else None)
    done, note = _check_saved(out_dir, schema.names, kept)
    if note:
        report.notes.append(note)
    todo = [spec for spec in plan if spec.key not in done]
    report.done_before = len(plan) - len(todo)
    mesa_sized = engine == "mesa"
    if engine == "batch":
        from lsr_sim.batch import supports

        # A scenario whose runs go through the Mesa model (the tasks' notes say why) wants
        # the Mesa model's small tasks for balance.
        mesa_sized = not all(supports(entry.scenario)[0] for entry in loaded.scenarios.values())
    if not todo:
        report.notes.append("every run was already saved; nothing to do")
        return

    client: Any = None
    if executor is not None:
        client = _Borrowed(executor)
        slots = workers or _executor_slots(executor)
    elif scheduler is not None:
        client = _connect(scheduler)
        slots = max(
            sum(w.get("nthreads", 1) for w in client.scheduler_info()["workers"].values()), 1
        )
    else:
        slots = workers or os.cpu_count() or 1
        if slots < 1:
            raise InputError("command line", "--workers", f"must be >= 1, got {slots}")
    # The batch engine's cost per run falls with a task's size up to about 1,000 runs of the
    # baseline, then stays flat (one process, 8,192 runs, whole process, farm-bench medians:
    # tasks of 500 cost 1.14 times tasks of 2,048, tasks of 1,024 0.99 times), so local tasks
    # are no smaller than that (the last two of a plan at least half of it, so that no task
    # of a few runs is left at the end) unless the plan is; a scenario with more steps or actors
    # does more work per run, and its tasks may be smaller (_least_task_runs). Tasks stop at
    # 5,000 runs (about 0.3 GB each); with trajectories, which cost memory per run (5,000
    # runs: about 1 GB), at 1,000. Locally they shrink as the sweep goes on, so that this
    # process and its helpers, which join later, finish together; on a cluster each worker
    # takes one. The Mesa engine takes four tasks per worker for balance, up to 100 runs.
    cap = BATCH_TASK_RUNS_WITH_TRAJECTORIES if kept else BATCH_TASK_RUNS
    if runs_per_task:
        sizes = _even_sizes(len(todo), runs_per_task)
    elif mesa_sized:
        sizes = _even_sizes(len(todo), max(1, min(100, math.ceil(len(todo) / (slots * 4)))))
    elif client is None and slots > 1:
        sizes = _guided_sizes(len(todo), slots, _least_task_runs(loaded, todo), cap)
    else:
        sizes = _even_sizes(len(todo), max(1, min(cap, math.ceil(len(todo) / slots))))
    if progress:  # a large sweep: its size, time and disk, measured on a sample, first
        n = estimate.SAMPLE_RUNS
        sample = _tasks(todo[:n], loaded, design, outcomes, [len(todo[:n])], engine)
        estimate.announce_plan(
            loaded.spec.name,
            len(plan),
            len(todo),
            sample,
            execute_task,
            slots,
            stream or sys.stderr,
        )
    meter = _Progress(len(plan), report.done_before, enabled=progress, stream=stream)
    started = time.monotonic()
    try:
        _drive(
            todo,
            loaded,
            design,
            outcomes,
            sizes,
            slots,
            schemas,
            out_dir,
            report,
            meter,
            client,
            workers=slots,
            engine=engine,
        )
    except KeyboardInterrupt:
        report.interrupted = True
    finally:
        meter.close()
        report.seconds = time.monotonic() - started
        if client is not None:
            client.close()
        notes = list(dict.fromkeys([*earlier_notes, *report.notes]))
        if notes:  # how runs that did not go the fast way ran, kept across resumes
            _write_json(out_dir / "manifest.json", {**manifest, "notes": notes})


class _DiskFull(Exception):
    """A part could not be written for want of space (its runs and in-memory size)."""

    def __init__(self, runs: int, nbytes: int) -> None:
        super().__init__(f"no room for a part of {runs} runs")
        self.runs, self.nbytes = runs, nbytes


def _disk_full_text(out_dir: Path, plan: Sequence[RunSpec], exc: BaseException) -> str:
    """One line: runs saved, room needed for the rest (from the parts so far), room free."""
    saved = len(saved_keys(out_dir) & {spec.key for spec in plan})
    left = len(plan) - saved
    on_disk = sum(p.stat().st_size for sub in (RUNS, TRAJECTORIES) for p in _parts(out_dir, sub))
    if saved:
        per_run = on_disk / saved
    elif isinstance(exc, _DiskFull) and exc.runs:
        per_run = exc.nbytes / exc.runs  # in memory: Parquet on disk takes less
    else:
        per_run = 0.0
    free = shutil.disk_usage(out_dir).free
    need = f"about {format_size(per_run * left)} more" if per_run else "more room"
    return (
        f"disk full: {saved} of {len(plan)} runs are saved (every saved part is whole, no "
        f"partial part was left); the other {left} need {need} ({format_size(free)} free "
        "now): free some space and run the same command again to resume"
    )


def _saved_notes(out_dir: Path) -> list[str]:
    """The notes an earlier invocation kept in the folder's manifest."""
    try:
        notes = json.loads((out_dir / "manifest.json").read_text()).get("notes", [])
    except (OSError, json.JSONDecodeError, AttributeError):
        return []
    return [str(note) for note in notes] if isinstance(notes, list) else []


def _default_outcomes(loaded: LoadedSweep) -> list[str]:
    names: dict[str, None] = {}
    for entry in loaded.scenarios.values():
        names.update(dict.fromkeys(summary_columns(entry.scenario)))
    return list(names)


class _Borrowed:
    """A caller's executor, driven like a Dask client: used as it is, never shut down."""

    def __init__(self, executor: cf.Executor) -> None:
        self.executor = executor

    def get_executor(self) -> cf.Executor:
        return _Unowned(self.executor)

    def close(self) -> None:
        pass


class _Unowned(cf.Executor):
    """Submits to an executor without the right to shut it down (its owner does)."""

    def __init__(self, executor: cf.Executor) -> None:
        self.executor = executor

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> cf.Future:
        return self.executor.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        pass


def _executor_slots(executor: cf.Executor) -> int:
    """How many workers an executor has, if it says (MPIPoolExecutor.num_workers does)."""
    count = getattr(executor, "num_workers", None)
    return count if isinstance(count, int) and count > 0 else os.cpu_count() or 1


def _connect(address: str) -> Any:
    try:
        from distributed import Client
    except ImportError:
        raise InputError(
            "command line",
            "--scheduler",
            "Dask is not installed: pip install 'lsr_sim[dask]'",
        ) from None
    try:
        return Client(address, timeout="10s")
    except (OSError, TimeoutError) as exc:
        raise InputError(
            "command line",
            "--scheduler",
            f"cannot reach a Dask scheduler at {address} ({exc}); start one with "
            "`dask scheduler --host 127.0.0.1` or check the address",
        ) from None


def _drive(
    todo: list[RunSpec],
    loaded: LoadedSweep,
    design: Design,
    outcomes: list[str],
    sizes: Sequence[int],
    slots: int,
    schemas: _Schemas,
    out_dir: Path,
    report: SweepReport,
    meter: _Progress,
    client: Any,
    *,
    workers: int,
    engine: str = "batch",
) -> None:
    """Run the tasks, writing each result as it arrives.

    On a cluster or a caller's executor (`client`), tasks are submitted with a bounded number
    in flight; Dask reschedules the tasks of a lost worker by itself. Locally, this process
    computes too, alongside `workers` - 1 helper processes (see :class:`_Helpers`), so no
    helper's start-up delays the sweep. A broken local pool (a helper killed) is rebuilt and
    its unfinished tasks resubmitted, up to three times.
    """
    pending = list(_tasks(todo, loaded, design, outcomes, sizes, engine))
    pending.reverse()  # pop() from the end keeps run order
    ids = itertools.count()  # a task's id in the progress meter (a resubmitted task gets a new one)
    if client is not None:
        _drive_executor(client, pending, ids, 2 * slots, schemas, out_dir, report, meter)
        return
    rebuilds = 0
    while pending:
        # A helper takes a task only once this process has one: none for a plan of one task.
        count = min(workers - 1, len(pending) - 1)
        helpers = _Helpers(count, pending, ids) if count > 0 else None
        try:
            while True:
                if helpers is not None:
                    helpers.changed.clear()  # before looking: a change after it wakes the wait
                    helpers.save_finished(schemas, out_dir, report, meter)
                taken = helpers.take() if helpers is not None else _take(pending, ids)
                if taken is not None:
                    task_id, task = taken
                    tell = functools.partial(meter.advance, task_id)
                    _save(out_dir, task_id, task, _execute_here(task, tell), schemas, report, meter)
                elif helpers is None or helpers.idle():
                    return
                else:
                    helpers.changed.wait(0.25)
        except BrokenProcessPool:
            assert helpers is not None
            rebuilds += 1
            lost = helpers.stop()
            meter.lost(task_id for task_id, _ in lost)
            pending.extend(task for _, task in lost)
            if rebuilds > 3:
                raise
            report.notes.append("a worker process died; the pool was rebuilt and its tasks rerun")
        finally:
            if helpers is not None:
                helpers.stop()


def _take(pending: list[Task], ids: Iterator[int]) -> tuple[int, Task] | None:
    return (next(ids), pending.pop()) if pending else None


class _Helpers:
    """Helper processes for a local sweep, kept fed by a thread while this process computes.

    A helper is spawned at once and warms up on two runs (imports, compiled kernel): about as
    long as a small sweep takes on a 2-core VM. Once warm it takes tasks one at a time (the
    thread hands it the next as soon as one finishes) from the `pending` list this process
    also takes from, so whoever is free runs the next task, and a sweep that ends before the
    helpers are ready does not wait for them (they are then terminated). This process's main
    thread saves every result, between its own tasks; the thread only submits and watches.
    """

    def __init__(self, count: int, pending: list[Task], ids: Iterator[int]) -> None:
        self.pending, self.ids = pending, ids  # shared with the main thread: use under lock
        self.lock = threading.Lock()
        self.changed = threading.Event()  # set when a task finishes or the pool breaks
        self.queue = multiprocessing.get_context("spawn").SimpleQueue()
        self.pool = _local_executor(count, self.queue)
        self.in_flight: dict[cf.Future, tuple[int, Task]] = {}
        self.finished: dict[cf.Future, tuple[int, Task]] = {}
        self.error: BaseException | None = None
        self._stopping, self._wake = threading.Event(), threading.Event()
        self.warming = _start_helpers(self.pool, count, pending[-1])
        for future in self.warming:
            future.add_done_callback(self._poke)
        self._thread = threading.Thread(target=self._feed, name="lsr-sim helpers", daemon=True)
        self._thread.start()

    def take(self) -> tuple[int, Task] | None:
        """The next task for this process, with its id, if any is left."""
        with self.lock:
            return _take(self.pending, self.ids)

    def idle(self) -> bool:
        """Nothing left to run, to wait for or to save."""
        with self.lock:
            return not (self.pending or self.in_flight or self.finished or self.error)

    def save_finished(
        self, schemas: _Schemas, out_dir: Path, report: SweepReport, meter: _Progress
    ) -> None:
        """Save the helpers' finished tasks; raise what broke the pool, if it broke."""
        queue = self.queue
        while not queue.empty():
            meter.advance(*queue.get())
        with self.lock:
            finished = list(self.finished.items())
        for future, (task_id, task) in finished:
            _save(out_dir, task_id, task, future.result(), schemas, report, meter)
            with self.lock:
                del self.finished[future]
        if self.error is not None:
            raise self.error

    def stop(self) -> list[tuple[int, Task]]:
        """Stop the thread and the pool; return the tasks handed out and not saved."""
        self._stopping.set()
        self._wake.set()
        self._thread.join()
        _stop(self.pool)
        unsaved = [*self.in_flight.values(), *self.finished.values()]
        self.in_flight.clear()
        self.finished.clear()
        return unsaved

    def _feed(self) -> None:
        ready = 0
        try:
            while True:
                self._wake.wait()  # set when a future finishes, or to stop
                self._wake.clear()
                if self._stopping.is_set():
                    return
                with self.lock:
                    for future in [f for f in self.warming if f.done()]:
                        self.warming.discard(future)
                        future.result()  # a helper that died while starting raises here
                        ready += 1
                    for future in [f for f in self.in_flight if f.done()]:
                        self.finished[future] = self.in_flight.pop(future)
                        self.changed.set()
                    while self.pending and len(self.in_flight) < ready:
                        # Taken off `pending` only once submitted: a broken pool refuses
                        # the submit, and the task must not be lost with it.
                        task_id, task = next(self.ids), self.pending[-1]
                        future = self.pool.submit(_execute_in_worker, task_id, task)
                        self.in_flight[future] = (task_id, self.pending.pop())
                        future.add_done_callback(self._poke)
        except BaseException as exc:  # the main thread raises it (BrokenProcessPool, mostly)
            self.error = exc
            self.changed.set()

    def _poke(self, future: cf.Future) -> None:
        # Runs in the pool's own thread as a future finishes: only wake the feeding thread.
        self._wake.set()


def _drive_executor(
    client: Any,
    pending: list[Task],
    ids: Iterator[int],
    room: int,
    schemas: _Schemas,
    out_dir: Path,
    report: SweepReport,
    meter: _Progress,
) -> None:
    """Run the tasks on a cluster's or a caller's executor, at most `room` in flight."""
    executor = client.get_executor()
    in_flight: dict[cf.Future, tuple[int, Task]] = {}
    try:
        while pending or in_flight:
            while pending and len(in_flight) < room:
                future = executor.submit(execute_task, pending[-1])
                in_flight[future] = (next(ids), pending.pop())
            finished, _ = cf.wait(in_flight, timeout=0.25, return_when=cf.FIRST_COMPLETED)
            for future in finished:
                task_id, task = in_flight.pop(future)
                _save(out_dir, task_id, task, future.result(), schemas, report, meter)
                del future  # release the result (Dask keeps results while referenced)
    except KeyboardInterrupt:
        for future in in_flight:
            future.cancel()
        raise
    finally:
        _stop(executor)


def _save(
    out_dir: Path,
    task_id: int,
    task: Task,
    result: tuple[pd.DataFrame, pd.DataFrame | None, list[str]],
    schemas: _Schemas,
    report: SweepReport,
    meter: _Progress,
) -> None:
    """Write a finished task's parts and count its runs."""
    runs, paths, notes = result
    _store(out_dir, task, runs, paths, schemas)
    report.notes.extend(note for note in notes if note not in report.notes)
    report.done_now += len(runs)
    report.failed += int((runs["error"] != "").sum())
    meter.saved_task(task_id, len(runs))


def _stop(executor: cf.Executor) -> None:
    """Stop an executor now, dropping the tasks not yet started.

    Called once no result is awaited (or the sweep is stopping): a local pool's processes
    are terminated rather than waited for, since one may still be starting (importing and
    warming up for a second or more) and holds nothing the sweep needs.
    """
    if not isinstance(executor, cf.ProcessPoolExecutor):
        executor.shutdown(wait=False)
        return
    terminate = getattr(executor, "terminate_workers", None)  # Python >= 3.14
    if terminate is not None:
        terminate()
        return
    # Python 3.12 and 3.13 have no public way to end a pool's processes; 3.14's
    # terminate_workers does what follows.
    processes = list((getattr(executor, "_processes", None) or {}).values())
    executor.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()
    for process in processes:
        process.join()


def _store(
    out_dir: Path, task: Task, runs: pd.DataFrame, paths: pd.DataFrame | None, schemas: _Schemas
) -> None:
    keys = list(runs["run_key"])
    first = int(runs["run"].min())
    table = _table(runs, schemas.runs, np.nan)
    trajectories = None
    if paths is not None and len(paths) and schemas.trajectories is not None:
        trajectories = _table(paths, schemas.trajectories, None)
    try:
        # Trajectories first: a run counts as saved only once its runs row exists.
        written = (
            _write_part(out_dir / TRAJECTORIES, trajectories, first, keys)
            if trajectories is not None
            else None
        )
        try:
            _write_part(out_dir / RUNS, table, first, keys)
        except BaseException:
            if written is not None:  # its runs are not saved: they run again, and write it again
                written.unlink(missing_ok=True)
            raise
    except OSError as exc:
        if disk_full(exc):
            size = table.nbytes + (trajectories.nbytes if trajectories is not None else 0)
            raise _DiskFull(len(runs), size) from exc
        raise
