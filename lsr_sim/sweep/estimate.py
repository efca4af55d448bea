"""Before a large sweep starts: how many runs, how long, how much disk, from a measured sample.

:func:`announce_plan` runs a short sample of the runs still to do (their results are not
kept), measures the rate and the bytes per run of their Parquet rows, and prints one line
such as::

    sweep big: 240,000 of 240,000 runs to do; about 12 min on 2 workers (a sample of 200
    runs took 1.3 s on one), about 9.6 MB on disk

It is called by :func:`lsr_sim.sweep.run_sweep` (``progress=True``) when at least
:data:`LARGE_SWEEP_RUNS` runs remain. The sample is one task as small as
:data:`SAMPLE_RUNS`: a batch-engine task of thousands of runs runs faster per run, so the time
is an upper estimate.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["LARGE_SWEEP_RUNS", "SAMPLE_RUNS", "announce_plan", "format_duration"]

#: Sweeps with at least this many runs to do are announced before they start.
LARGE_SWEEP_RUNS = 10_000
#: Runs in the measured sample.
SAMPLE_RUNS = 200


def format_duration(seconds: float) -> str:
    """A duration in the largest sensible unit.

    Examples
    --------
    >>> format_duration(42), format_duration(720), format_duration(5400), format_duration(1e6)
    ('42 s', '12 min', '1.5 h', '11.6 days')
    """
    if seconds < 100:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def _megabytes(n: float) -> str:
    return f"{n / 1e6:.1f} MB" if n < 1e9 else f"{n / 1e9:.1f} GB"


def _parquet_bytes(table: Any) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(table, preserve_index=False), buffer)
    return buffer.tell()


def announce_plan(
    name: str,
    planned: int,
    todo: int,
    sample: Iterator[Any],
    execute: Callable[[Any], tuple[Any, Any, Any]],
    workers: int,
    stream: Any,
    *,
    threshold: int | None = None,
) -> str | None:
    """Print (and return) the size, estimated time and disk of a large sweep; else None.

    Parameters
    ----------
    name : str
        The sweep's name.
    planned, todo : int
        Runs in the plan, and runs not yet saved.
    sample : iterator of tasks
        Yields one task of at most :data:`SAMPLE_RUNS` of the runs to do.
    execute : callable
        Runs a task and returns its runs table, trajectories table (or None) and notes, as
        :func:`lsr_sim.sweep.runner.execute_task` does.
    workers : int
        Tasks run at once.
    stream : file
        Where to print.
    threshold : int, optional
        Announce from this many runs to do (default :data:`LARGE_SWEEP_RUNS`).
    """
    if todo < (LARGE_SWEEP_RUNS if threshold is None else threshold):
        return None
    task = next(sample, None)
    if task is None:
        return None
    started = time.perf_counter()
    runs, paths, _ = execute(task)
    seconds = max(time.perf_counter() - started, 1e-6)
    count = max(len(runs), 1)
    size = _parquet_bytes(runs) + (_parquet_bytes(paths) if paths is not None else 0)
    left = seconds / count * todo / max(workers, 1)
    line = (
        f"sweep {name}: {todo:,} of {planned:,} runs to do; about {format_duration(left)} on "
        f"{workers} worker{'s' if workers > 1 else ''} (a sample of {count} runs took "
        f"{seconds:.1f} s on one), about {_megabytes(size / count * todo)} on disk"
    )
    print(line, file=stream, flush=True)
    return line
