"""Soak: a long sweep of summary runs, SIGKILLed at random moments, resumed each time.

Usage::

    .venv/bin/python benchmarks/soak_sweep.py [--runs 1000000] [--workers 2] [--kills 5]
        [--runs-per-task N] [--seed 1] [--out DIR] [--keep]

Runs ``lsr-sim sweep`` (batch engine) over the baseline, a grid of 10 values of
``dynamics.trust_loss_rate`` with ``runs / 10`` replications each, in its own process group.
Each of the ``--kills`` attempts is killed with SIGKILL (the sweep and its workers, without
warning) once the saved runs pass a threshold drawn at random over the plan, plus a random
delay of up to a few seconds, so kills land while tasks compute, while parts are written and
while a resumed sweep starts; the last attempt runs to the end. The memory of the sweep's
process tree (the sweep and its workers, summed) is sampled every 0.2 s.

Prints, side by side: the time over the whole sweep (restarts included), the peak summed
memory, runs per second over the sweep, the rows and unique run keys saved at the end, and
whether the saved keys are exactly the planned ones; then one line per attempt. Exits 1 if the
final set is not the planned set. The 1,000,000-run default takes about half an hour on two
cores; ``--runs 20000 --runs-per-task 2000`` shows it in about two minutes. Needs psutil
(installed with the ``dask`` extra, as ``make setup`` does).
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import pyarrow.parquet as pq
import yaml

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
POINTS = 10


@dataclass
class Attempt:
    """One start of the sweep: until it was killed or ended."""

    saved_at_start: int
    seconds: float = 0.0
    saved_at_end: int = 0
    killed: bool = False
    peak_mb: float = 0.0
    returncode: int | None = None
    notes: list[str] = field(default_factory=list)


class TreeMemory:
    """The summed resident memory of a process and its descendants, sampled in a thread."""

    def __init__(self, pid: int, every: float = 0.2) -> None:
        self.pid, self.every = pid, every
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        try:
            root = psutil.Process(self.pid)
        except psutil.NoSuchProcess:
            return
        while not self._stop.is_set():
            total = 0
            try:
                processes = [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                return
            for process in processes:
                try:
                    total += process.memory_info().rss
                except psutil.NoSuchProcess:
                    continue
            self.peak = max(self.peak, total)
            self._stop.wait(self.every)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak / 2**20


class SavedRuns:
    """Runs saved in an output folder, from the row counts in its parts' footers (cached)."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.rows: dict[str, int] = {}

    def count(self) -> int:
        folder = self.out / "runs"
        names = {p.name for p in folder.glob("part-*.parquet")} if folder.is_dir() else set()
        for name in names - set(self.rows):
            try:
                self.rows[name] = pq.read_metadata(folder / name).num_rows
            except (OSError, ValueError):
                continue  # a part is only ever renamed into place whole; retry next time
        for name in set(self.rows) - names:
            del self.rows[name]
        return sum(self.rows.values())


def write_sweep(folder: Path, runs: int, seed: int) -> tuple[Path, int]:
    replications = -(-runs // POINTS)
    path = folder / "soak.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "name": "soak",
                "scenario": str(BASELINE),
                "parameters": {
                    "dynamics.trust_loss_rate": {
                        "values": [round(0.1 + 0.03 * i, 2) for i in range(POINTS)]
                    }
                },
                "replications": replications,
                "seed": seed,
                "outcomes": ["rapprochement_index", "mean_trust", "agreements", "vetoes"],
            }
        )
    )
    return path, replications * POINTS


def run_attempt(
    command: list[str], out: Path, saved: SavedRuns, kill_at: int | None, draw: random.Random
) -> Attempt:
    attempt = Attempt(saved_at_start=saved.count())
    started = time.monotonic()
    proc = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    memory = TreeMemory(proc.pid)
    killed_after: float | None = None
    while proc.poll() is None:
        if kill_at is not None and killed_after is None and saved.count() >= kill_at:
            killed_after = time.monotonic() + draw.uniform(0.0, 3.0)
        if killed_after is not None and time.monotonic() >= killed_after:
            os.killpg(proc.pid, signal.SIGKILL)  # the sweep and its workers, without warning
            attempt.killed = True
            break
        time.sleep(0.05)
    _, stderr = proc.communicate()
    attempt.returncode = proc.returncode
    attempt.peak_mb = memory.stop()
    attempt.seconds = time.monotonic() - started
    attempt.saved_at_end = saved.count()
    if not attempt.killed:
        attempt.notes = [line for line in stderr.splitlines() if line.strip()][-3:]
    with_children_gone(proc.pid)
    return attempt


def with_children_gone(pgid: int) -> None:
    """Wait until no process of the killed group is left (workers die with their pipes)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)


def check(out: Path, sweep: Path) -> dict[str, object]:
    from lsr_sim.sweep import load_sweep
    from lsr_sim.sweep.design import build_design
    from lsr_sim.sweep.runner import plan_runs

    keys = pq.read_table(out / "runs", columns=["run_key"]).column(0).to_pylist()
    loaded = load_sweep(sweep)
    planned = {spec.key for spec in plan_runs(loaded, build_design(loaded))}
    left = [p for p in out.rglob("*") if p.name.endswith(".tmp")]
    quarantined = list((out / "quarantine").rglob("*.parquet*"))
    return {
        "rows": len(keys),
        "unique": len(set(keys)),
        "planned": len(planned),
        "exact": set(keys) == planned and len(keys) == len(planned),
        "temporaries": len(left),
        "quarantined": len(quarantined),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1_000_000, help="runs planned (default 1e6)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--kills", type=int, default=5, help="SIGKILLs before the last attempt")
    parser.add_argument("--runs-per-task", type=int, help="default: the runner's own choice")
    parser.add_argument("--seed", type=int, default=1, help="seed of the sweep and of the kills")
    parser.add_argument("--out", type=Path, help="output folder (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="lsr_sim_soak_"))
    out = args.out or work / "out"
    sweep, planned = write_sweep(work, args.runs, args.seed)
    command = [sys.executable, "-m", "lsr_sim", "sweep", str(sweep), "--out", str(out)]
    command += ["--workers", str(args.workers), "--quiet"]
    if args.runs_per_task:
        command += ["--runs-per-task", str(args.runs_per_task)]
    draw = random.Random(args.seed)
    # Kill points over the first 90% of the plan, so the sweep is still running at each.
    thresholds = sorted(draw.randrange(1, max(2, planned * 9 // 10)) for _ in range(args.kills))
    saved = SavedRuns(out)
    attempts: list[Attempt] = []
    started = time.monotonic()
    for kill_at in [*thresholds, None]:
        attempt = run_attempt(command, out, saved, kill_at, draw)
        attempts.append(attempt)
        print(
            f"attempt {len(attempts)}: {attempt.saved_at_start} -> {attempt.saved_at_end} runs "
            f"saved in {attempt.seconds:.1f} s, "
            + ("SIGKILL" if attempt.killed else f"ended with status {attempt.returncode}"),
            file=sys.stderr,
            flush=True,
        )
        if not attempt.killed:
            break
    seconds = time.monotonic() - started
    final = attempts[-1]
    result = check(out, sweep)
    peak = max(a.peak_mb for a in attempts)
    kills = sum(a.killed for a in attempts)

    print(
        f"soak: {planned} summary runs of the baseline (batch engine, {args.workers} workers), "
        f"{kills} SIGKILLs at random moments, resumed each time"
    )
    print(
        f"{'seconds':>9} {'peak MB':>8} {'runs/s':>8} {'rows':>9} {'unique keys':>12} "
        f"{'planned':>9} {'exactly the plan':>17}"
    )
    print(
        f"{seconds:>9.1f} {peak:>8.0f} {planned / seconds:>8.1f} {result['rows']:>9} "
        f"{result['unique']:>12} {result['planned']:>9} {'yes' if result['exact'] else 'NO':>17}"
    )
    print(
        f"left behind: {result['temporaries']} temporary file(s), "
        f"{result['quarantined']} quarantined part(s)"
    )
    print(
        f"{'attempt':>7} {'saved at start':>15} {'saved at end':>13} {'seconds':>8} "
        f"{'peak MB':>8}  end"
    )
    for i, a in enumerate(attempts, 1):
        end = "SIGKILL" if a.killed else f"exit {a.returncode}"
        print(
            f"{i:>7} {a.saved_at_start:>15} {a.saved_at_end:>13} {a.seconds:>8.1f} "
            f"{a.peak_mb:>8.0f}  {end}"
        )
    if final.notes:
        print("last attempt said: " + " | ".join(final.notes))
    if args.out is None and not args.keep:
        import shutil

        shutil.rmtree(work, ignore_errors=True)
    else:
        print(f"results kept in {out}")
    return 0 if result["exact"] and final.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
