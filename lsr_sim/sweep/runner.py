"""Running a sweep: every run accounted for, streamed to disk, resumable.

The plan (design points x replications, each with a seed derived up front from the master
seed) is fixed before anything runs, so results never depend on how runs are grouped into
tasks, how many workers there are, or which executor runs them. Tasks go to a
``concurrent.futures`` executor: a local process pool by default, or a Dask cluster through
``Client.get_executor()``. Each finished task is written as one Parquet part, atomically
(temporary file, then rename); a run is done exactly when its key is in a part. Running the
same command again skips the runs already saved.
"""

from __future__ import annotations

import concurrent.futures as cf
import hashlib
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
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from lsr_sim import __version__ as _VERSION  # in every run key: versions never mix
from lsr_sim._atomic import atomic_write, write_bytes_atomic
from lsr_sim.dynamics.status import STATUS_NAMES
from lsr_sim.errors import InputError, SweepError
from lsr_sim.experiment import derive_seeds, environment, summary_columns, summary_row
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

#: Most runs in one batch-engine task, without and with trajectories (see run_sweep).
BATCH_TASK_RUNS = 5000
BATCH_TASK_RUNS_WITH_TRAJECTORIES = 1000
RUNS, TRAJECTORIES = "runs", "trajectories"
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
    blob = json.dumps(
        {
            "scenario": scenario_sha,
            "params": {k: float(v) for k, v in sorted(params.items())},
            "seed": int(seed),
            "steps": int(steps),
            "version": _VERSION,
        },
        sort_keys=True,
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


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
        entry = loaded.scenarios[scenario]
        for rep in range(replications):
            r = int(point) * replications + rep
            seed = seeds[r]
            steps = loaded.steps_for(scenario, dict(params))  # run.steps may be varied
            key = run_key(entry.sha256, dict(params), seed, steps)
            plan.append(RunSpec(r, int(point), rep, scenario, seed, params, steps, key))
    return plan


# -- the work a worker does -----------------------------------------------------------------


def _trajectory_rows(
    data: Mapping[str, Any], c: Any, run_settings: Any, steps: int, every: int
) -> list[dict[str, Any]]:
    """The state every `every` steps, from per-step series (a DataCollector's or a batch's)."""
    start = pd.Timestamp(run_settings.start_date)
    step_days = run_settings.step_days
    rows = []
    for step in range(0, steps + 1, every):
        row: dict[str, Any] = {
            "step": step,
            "date": start + pd.Timedelta(days=step * step_days),
            "rapprochement_index": float(data["rapprochement"][step]),
            "mean_trust": float(data["mean_trust"][step]),
        }
        trust = data["trust"][step]
        for i, a in enumerate(c.actors):
            for j, b in enumerate(c.actors):
                if i != j:
                    row[f"trust_{a}_{b}"] = float(trust[i, j])
        for k, issue in enumerate(c.issues):
            row[f"status_{issue}"] = STATUS_NAMES[int(data["status"][step][k])]
            row[f"progress_{issue}"] = float(data["progress"][step][k])
        for q, spec in enumerate(c.quantities):
            row[f"delivered_{c.issues[spec.issue]}_{spec.name}"] = float(data["delivered"][step][q])
        rows.append(row)
    return rows


def _error_text(exc: BaseException) -> str:
    last = traceback.extract_tb(exc.__traceback__)[-1:] or []
    where = f" (at {last[0].filename.rsplit('/', 1)[-1]}:{last[0].lineno})" if last else ""
    return f"{type(exc).__name__}: {exc}{where}"


class _RunRecorder:
    """Collects the runs rows and trajectory rows of a task, whichever engine ran them."""

    def __init__(self, task: Task) -> None:
        self.task = task
        self.rows: dict[int, dict[str, Any]] = {}
        self.paths: dict[int, list[dict[str, Any]]] = {}

    def start(self, spec: RunSpec) -> dict[str, Any]:
        row = {
            "run_key": spec.key,
            "run": spec.run,
            "point": spec.point,
            "replication": spec.replication,
            "scenario": spec.scenario,
            "seed": spec.seed,
            **dict(spec.params),
        }
        self.rows[spec.run] = row
        return row

    def done(
        self, spec: RunSpec, summary: Mapping[str, Any], series: Mapping[str, Any], scenario: Any
    ) -> None:
        row = self.rows[spec.run]
        for name in self.task.outcomes:
            value = summary.get(name, np.nan)
            row[name] = float(value) if isinstance(value, (int, float, np.number)) else np.nan
        row["error"] = ""
        if self.task.trajectory_every:
            from lsr_sim.model import compile_scenario

            ident = {k: row[k] for k in ("run_key", "run", "point", "replication")}
            rows = _trajectory_rows(
                series,
                compile_scenario(scenario),
                scenario.run,
                spec.steps,
                self.task.trajectory_every,
            )
            self.paths[spec.run] = [{**ident, "scenario": spec.scenario, **r} for r in rows]

    def failed(self, spec: RunSpec, exc: BaseException) -> None:
        row = self.rows[spec.run]
        for name in self.task.outcomes:
            row[name] = np.nan
        row["error"] = _error_text(exc)
        self.paths.pop(spec.run, None)

    def tables(self) -> tuple[pd.DataFrame, pd.DataFrame | None]:
        runs = pd.DataFrame([self.rows[r] for r in sorted(self.rows)])
        if not self.task.trajectory_every:
            return runs, None
        paths = [row for r in sorted(self.paths) for row in self.paths[r]]
        return runs, pd.DataFrame(paths)


def _run_with_mesa(spec: RunSpec, scenario: Any, record: _RunRecorder) -> None:
    from lsr_sim.model import NegotiationModel

    try:
        model = NegotiationModel(scenario, rng=spec.seed)
        model.run_for(spec.steps)
        summary = summary_row(model, seed=spec.seed, steps=spec.steps)
        record.done(spec, summary, model.datacollector.model_vars, scenario)
    except Exception as exc:  # a failing run is data, not a crash of the sweep
        record.failed(spec, exc)


def _run_with_batch(group: list[tuple[RunSpec, Any]], record: _RunRecorder) -> None:
    """Run a group of runs of one scenario at once; on any error, run them one by one."""
    from lsr_sim.batch import run_batch

    try:
        result = run_batch(
            [scenario for _, scenario in group],
            [spec.seed for spec, _ in group],
            [spec.steps for spec, _ in group],
            keep_history=bool(record.task.trajectory_every),
        )
    except Exception:  # find which run fails, and record each run's own outcome
        for spec, scenario in group:
            _run_with_mesa(spec, scenario, record)
        return
    for r, (spec, scenario) in enumerate(group):
        series = (
            {name: values[r] for name, values in result.history.items()}
            if result.history is not None
            else {}
        )
        record.done(spec, result.rows[r], series, scenario)


def execute_task(task: Task) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Do every run of a task; a run that raises is recorded with its error, not re-raised.

    With ``task.engine == "batch"`` the runs of each scenario are stepped together by the
    batch engine (which gives the Mesa model's numbers exactly); with ``"mesa"`` one by one.
    Returns the runs table and, if trajectories are kept, the trajectories table.
    """
    from lsr_sim.scenario import scenario_from_dict

    record = _RunRecorder(task)
    groups: dict[str, list[tuple[RunSpec, Any]]] = {}
    cache: tuple[tuple[str, tuple[tuple[str, float], ...]], Any] | None = None
    for spec in task.runs:
        record.start(spec)
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
            groups.setdefault(spec.scenario, []).append((spec, cache[1]))
        else:
            _run_with_mesa(spec, cache[1], record)
    from lsr_sim.batch import supports

    for group in groups.values():
        if supports(group[0][1])[0]:  # parameters change numbers, never strategy classes
            _run_with_batch(group, record)
        else:
            for spec, scenario in group:
                _run_with_mesa(spec, scenario, record)
    return record.tables()


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


def _write_part(folder: Path, table: pa.Table, first_run: int, keys: Sequence[str]) -> Path:
    """Write one Parquet part atomically; its name is unique to the runs it holds."""
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256("\n".join(keys).encode()).hexdigest()[:10]
    final = folder / f"part-{first_run:09d}-{digest}.parquet"
    return atomic_write(final, lambda handle: pq.write_table(table, handle))


def saved_keys(out_dir: Path) -> set[str]:
    """Keys of the runs already saved in `out_dir` (only complete parts count)."""
    folder = out_dir / RUNS
    keys: set[str] = set()
    if folder.is_dir():
        for part in sorted(folder.glob("part-*.parquet")):
            keys.update(pq.read_table(part, columns=["run_key"]).column(0).to_pylist())
    return keys


def _clean_temporaries(out_dir: Path) -> None:
    for sub in (RUNS, TRAJECTORIES):
        for tmp in (out_dir / sub).glob(".part-*.tmp"):  # left by a killed sweep
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


def _prepare_folder(
    out_dir: Path, manifest: Mapping[str, Any], design: Design, *, fresh: bool
) -> None:
    """Create or check the output folder; refuse results of a different sweep."""
    if out_dir.exists() and not out_dir.is_dir():
        raise SweepError("command line", "--out", f"{out_dir} is a file, not a folder")
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
    elif out_dir.is_dir() and any(out_dir.iterdir()):
        raise SweepError(
            str(out_dir), "", "is not empty and holds no sweep results; choose another --out"
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    _write_json(out_dir / "manifest.json", manifest)
    atomic_write(out_dir / "design.parquet", lambda h: design.points.to_parquet(h, index=False))


# -- progress ---------------------------------------------------------------------------------


class _Progress:
    """A progress bar on a terminal; plain periodic lines otherwise."""

    def __init__(self, total: int, done: int, *, enabled: bool, stream: Any = None) -> None:
        self.total, self.done = total, done
        self.start_done = done
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

    def update(self, n: int) -> None:
        self.done += n
        if not self.enabled:
            return
        if self.bar is not None:
            self.bar.update(n)
            return
        now = time.monotonic()
        if now - self.last_line >= 10 or self.done >= self.total:
            self.last_line = now
            rate = (self.done - self.start_done) / max(now - self.started, 1e-9)
            left = (self.total - self.done) / rate if rate > 0 else math.inf
            eta = f"about {left:.0f} s left" if math.isfinite(left) else "time left unknown"
            print(
                f"sweep: {self.done}/{self.total} runs ({100 * self.done / self.total:.0f}%), "
                f"{rate:.1f} runs/s, {eta}",
                file=self.stream,
                flush=True,
            )

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


# -- executors --------------------------------------------------------------------------------


class _InProcess(cf.Executor):
    """Runs tasks in this process (one worker): no start-up cost, same results."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> cf.Future:
        future: cf.Future = cf.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # KeyboardInterrupt must reach the caller
            if isinstance(exc, KeyboardInterrupt):
                raise
            future.set_exception(exc)
        return future


def _local_executor(workers: int) -> cf.Executor:
    if workers == 1:
        return _InProcess()
    # spawn: no forked copies of the parent's threads or locks (progress bar, Dask client)
    pool = cf.ProcessPoolExecutor(
        workers, mp_context=multiprocessing.get_context("spawn"), initializer=_ignore_sigint
    )
    if threading.current_thread() is not threading.main_thread():
        return pool  # signal dispositions can only be changed from the main thread
    # Start every worker now (a submit spawns one while none is idle) with SIGINT ignored: a
    # child inherits that disposition through exec and Python then installs no
    # KeyboardInterrupt handler, so a Ctrl-C landing while a worker is still importing (before
    # its initializer runs) prints no traceback. The parent alone handles Ctrl-C.
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        for _ in range(workers):
            pool.submit(_ignore_sigint)
    finally:
        signal.signal(signal.SIGINT, previous)
    return pool


def _ignore_sigint() -> None:
    # Ctrl-C is the parent's to handle: it stops cleanly and says how to resume.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _tasks(
    plan: Sequence[RunSpec],
    loaded: LoadedSweep,
    design: Design,
    outcomes: Sequence[str],
    size: int,
    engine: str,
) -> Iterator[Task]:
    every = loaded.spec.trajectories.every if loaded.spec.trajectories is not None else None
    for start in range(0, len(plan), size):
        chunk = tuple(plan[start : start + size])
        names = {spec.scenario for spec in chunk}
        yield Task(
            runs=chunk,
            data={name: loaded.scenarios[name].data for name in names},
            parameters=tuple(design.parameters),
            outcomes=tuple(outcomes),
            trajectory_every=every,
            engine=engine,
        )


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
) -> SweepReport:
    """Run every run of a sweep that is not yet saved in `out_dir`.

    Parameters
    ----------
    loaded : LoadedSweep
        From :func:`lsr_sim.sweep.load_sweep`.
    out_dir : path
        Results folder (created). Runs already saved there are skipped.
    workers : int, optional
        Local processes (default: every core). Ignored with `scheduler`.
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://host:port``).
    fresh : bool
        Delete the sweep results in `out_dir` first.
    progress : bool
        Show progress on `stream` (default standard error).
    runs_per_task : int, optional
        Runs grouped into one task (default: enough tasks to balance the workers, at most
        100 runs with the Mesa engine and 5,000 with the batch engine, 1,000 with
        trajectories).
    engine : {"batch", "mesa"}
        The batch engine steps a task's runs together and gives the Mesa model's numbers
        exactly; the runs of a scenario it cannot vectorise (a user's own strategy class, a
        classic protocol) use the Mesa model, with a note saying why.

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
    _prepare_folder(out_dir, manifest, design, fresh=fresh)
    _clean_temporaries(out_dir)
    done = saved_keys(out_dir)
    todo = [spec for spec in plan if spec.key not in done]
    report = SweepReport(out_dir, total=len(plan), done_before=len(plan) - len(todo))
    mesa_sized = engine == "mesa"
    if engine == "batch":
        from lsr_sim.batch import supports

        reasons = {name: supports(entry.scenario) for name, entry in loaded.scenarios.items()}
        for name, (ok, reason) in reasons.items():
            if not ok:
                report.notes.append(
                    f"batch engine cannot run scenario {name!r} ({reason}); "
                    "its runs use the Mesa model"
                )
        if not any(ok for ok, _ in reasons.values()):
            engine = "mesa"
        # A scenario run by the Mesa model wants the Mesa model's small tasks for balance.
        mesa_sized = not all(ok for ok, _ in reasons.values())
    if not todo:
        report.notes.append("every run was already saved; nothing to do")
        return report

    client = None
    if scheduler is not None:
        client = _connect(scheduler)
        slots = max(
            sum(w.get("nthreads", 1) for w in client.scheduler_info()["workers"].values()), 1
        )
    else:
        slots = workers or os.cpu_count() or 1
        if slots < 1:
            raise InputError("command line", "--workers", f"must be >= 1, got {slots}")
    # The batch engine gains from large tasks (numpy's per-call cost is shared by the runs:
    # 170 baseline runs/s in batches of 1,000, 380 in batches of 4,000, 410 of 8,000), so it
    # takes one task per worker up to 5,000 runs (about 0.3 GB each). Trajectories cost
    # memory per run (5,000 runs: about 1 GB per worker), so with them tasks stop at 1,000.
    # The Mesa engine takes four tasks per worker for balance, up to 100 runs.
    if not mesa_sized:
        kept = loaded.spec.trajectories is not None
        cap = BATCH_TASK_RUNS_WITH_TRAJECTORIES if kept else BATCH_TASK_RUNS
        size = runs_per_task or max(1, min(cap, math.ceil(len(todo) / slots)))
    else:
        size = runs_per_task or max(1, min(100, math.ceil(len(todo) / (slots * 4))))
    schema = _runs_schema(design.parameters, outcomes)
    if progress:  # a large sweep: its size, time and disk, measured on a sample, first
        n = estimate.SAMPLE_RUNS
        sample = _tasks(todo[:n], loaded, design, outcomes, n, engine)
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
            size,
            slots,
            schema,
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
    return report


def _default_outcomes(loaded: LoadedSweep) -> list[str]:
    names: dict[str, None] = {}
    for entry in loaded.scenarios.values():
        names.update(dict.fromkeys(summary_columns(entry.scenario)))
    return list(names)


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
    size: int,
    slots: int,
    schema: pa.Schema,
    out_dir: Path,
    report: SweepReport,
    meter: _Progress,
    client: Any,
    *,
    workers: int,
    engine: str = "batch",
) -> None:
    """Submit tasks with a bounded number in flight; write each result as it arrives.

    A broken local pool (a worker killed) is rebuilt and its unfinished tasks resubmitted,
    up to three times; Dask reschedules the tasks of a lost worker by itself.
    """
    pending = list(_tasks(todo, loaded, design, outcomes, size, engine))
    pending.reverse()  # pop() from the end keeps run order
    rebuilds = 0
    while pending:
        executor = client.get_executor() if client is not None else _local_executor(workers)
        in_flight: dict[cf.Future, Task] = {}
        try:
            while pending or in_flight:
                while pending and len(in_flight) < 2 * slots:
                    task = pending.pop()
                    in_flight[executor.submit(execute_task, task)] = task
                finished, _ = cf.wait(in_flight, return_when=cf.FIRST_COMPLETED)
                for future in finished:
                    task = in_flight[future]
                    runs, paths = future.result()  # a broken pool raises here
                    _store(out_dir, task, runs, paths, schema)
                    del in_flight[future]
                    report.done_now += len(runs)
                    report.failed += int((runs["error"] != "").sum())
                    meter.update(len(runs))
                    del future  # release the result (Dask keeps results while referenced)
        except cf.process.BrokenProcessPool:
            rebuilds += 1
            pending.extend(in_flight.values())
            if rebuilds > 3:
                raise
            report.notes.append("a worker process died; the pool was rebuilt and its tasks rerun")
        except KeyboardInterrupt:
            for future in in_flight:
                future.cancel()
            _stop(executor)
            raise
        else:
            executor.shutdown(wait=True)
            return
        finally:
            if pending or in_flight:
                _stop(executor)


def _stop(executor: cf.Executor) -> None:
    """Stop an executor now, dropping the tasks not yet started."""
    if isinstance(executor, cf.ProcessPoolExecutor):
        executor.shutdown(wait=False, cancel_futures=True)
    else:
        executor.shutdown(wait=False)


def _store(
    out_dir: Path, task: Task, runs: pd.DataFrame, paths: pd.DataFrame | None, schema: pa.Schema
) -> None:
    keys = list(runs["run_key"])
    first = int(runs["run"].min())
    if paths is not None and len(paths):
        # Trajectories first: a run counts as saved only once its runs row exists.
        table = pa.Table.from_pandas(paths, preserve_index=False)
        _write_part(out_dir / TRAJECTORIES, table, first, keys)
    for name in schema.names:
        if name not in runs:
            runs[name] = np.nan
    table = pa.Table.from_pandas(runs[schema.names], schema=schema, preserve_index=False)
    _write_part(out_dir / RUNS, table, first, keys)
