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

from lsr_sim._atomic import folder_writer, move_into, staging_folder, write_bytes_atomic
from lsr_sim.dynamics.status import STATUS_NAMES
from lsr_sim.results import file_hashes, refuse_sweep_folder
from lsr_sim.scenario import Scenario, scenario_hash

if TYPE_CHECKING:
    from lsr_sim.model import NegotiationModel

__all__ = [
    "RunResult",
    "derive_seeds",
    "environment",
    "run",
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
            If the files cannot be written (a full disk: see ``lsr_sim._atomic.write_error``).
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

    Computed from the model's state and logs alone, so sweeps can skip building tables.
    """
    c = model.compiled
    sc = model.spec
    deals = model.deal_log
    events = model.event_log
    row: dict[str, Any] = {
        "scenario": sc.name,
        "seed": seed,
        "steps": steps,
        "end_date": pd.Timestamp(sc.run.date_of(steps)),
        "rapprochement_index": model.rapprochement_index,
        "mean_trust": model.mean_trust,
        # Deals can package several issues: count deals once, implementations per issue.
        "agreements": len({d["deal"] for d in deals if d["outcome"] == "agreed"}),
        "implemented": sum(d["outcome"] == "implemented" for d in deals),
        "collapsed": sum(d["outcome"] == "collapsed" for d in deals),
        "incidents": sum(e["origin"] == "incident" for e in events),
        "vetoes": sum(e["kind"] == "veto" for e in events),
    }
    principals = [i for i, role in enumerate(c.roles) if role == "principal"]
    for i in principals:
        for j in principals:
            if i != j:
                row[f"trust_{c.actors[i]}_{c.actors[j]}"] = float(model.trust[i, j])
    for k, issue in enumerate(c.issues):
        steps_agreed = [
            d["step"] for d in deals if d["outcome"] == "agreed" and d["issue"] == issue
        ]
        row[f"weeks_to_agreement_{issue}"] = (
            min(steps_agreed) * sc.run.step_days / 7 if steps_agreed else np.nan
        )
        row[f"status_{issue}"] = STATUS_NAMES[model.status[k]]
    for q, spec in enumerate(c.quantities):
        row[f"delivered_{c.issues[spec.issue]}_{spec.name}"] = float(model.delivered[q])
    return row


def summary_columns(scenario: Scenario, *, numeric: bool = True) -> list[str]:
    """Names of the summary indicators a run of `scenario` reports (numeric ones by default).

    They depend on the scenario (one column per issue, quantity and pair of principals).
    """
    summary = run(scenario, steps=1).summary
    if numeric:
        summary = summary.select_dtypes(include="number")
    return [c for c in summary.columns if c not in ("seed", "steps")]


def date_step(scenario: Scenario, date: dt.date) -> int:
    """The last step whose date is on or before `date` (0 is the start date)."""
    return (date - scenario.run.start_date).days // scenario.run.step_days
