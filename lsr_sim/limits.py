"""The limits every input is held to, in one place (documented in docs/limits.md).

Each input file, field and command-line argument is refused in one line beyond these, so
that bad or hostile input costs little time and memory. Nothing here imports the rest of
the library (the command line reads these before anything heavy is loaded).
"""

from __future__ import annotations

import datetime as dt

__all__ = [
    "MAX_CALIBRATION_RUNS",
    "MAX_DEPTH",
    "MAX_DUMMIES",
    "MAX_EXTENDS",
    "MAX_FILE_BYTES",
    "MAX_LEVELS",
    "MAX_QUANTITY",
    "MAX_ROUNDS",
    "MAX_SCALE",
    "MAX_SEED",
    "MAX_STEPS",
    "MAX_SWEEP_RUNS",
    "MAX_VALUES",
    "MAX_WORKERS",
    "calendar_problem",
]

#: Largest input file read (2 MiB; the shipped scenarios are below 20 KB).
MAX_FILE_BYTES = 2 * 1024 * 1024
#: Deepest nesting of lists and mappings in a YAML file (a scenario needs six levels).
MAX_DEPTH = 64
#: Most values a YAML file may hold once its aliases are expanded ("billion laughs").
MAX_VALUES = 1_000_000
#: Longest chain of files a scenario may extend, itself included.
MAX_EXTENDS = 32

#: Longest run, in steps (scenario files, sweep files and ``--steps``).
MAX_STEPS = 100_000
#: Largest seed: 64 bits, as derived sweep seeds are, and as Parquet tables store them.
MAX_SEED = 2**64 - 1
#: Upper bound of the dynamics' scale factors that have no natural one (rates, strengths).
MAX_SCALE = 1_000.0
#: Largest real-world quantity (people, kilometres, ...): 10**12.
MAX_QUANTITY = 1e12

#: Most runs one sweep may plan (design points x replications x scenarios): a sweep is
#: planned and checked in memory before it runs. Split a larger study into several sweeps.
MAX_SWEEP_RUNS = 1_000_000
#: Most runs of one calibration, or of one protocol in ``lsr-sim compare``.
MAX_CALIBRATION_RUNS = 100_000
#: Most local worker processes of a sweep.
MAX_WORKERS = 256
#: Most levels of a Morris design (a sweep file's ``design.levels``, ``sensitivity --levels``).
MAX_LEVELS = 1000
#: Most dummy parameters of a sensitivity analysis (``sensitivity --dummies``).
MAX_DUMMIES = 1000
#: Most rounds of a classic model (``lsr-sim classic``).
MAX_ROUNDS = 10_000


def calendar_problem(start: dt.date, step_days: int, steps: int) -> str | None:
    """Why a run of `steps` steps of `step_days` days from `start` cannot be dated, or None.

    Examples
    --------
    >>> calendar_problem(dt.date(2025, 1, 1), 7, 160) is None
    True
    >>> calendar_problem(dt.date(9999, 12, 1), 7, 160)
    '160 steps of 7 days from 9999-12-01 end after 9999-12-31, the last date a run can have; \
start earlier, or use fewer or shorter steps'
    """
    if start.toordinal() + step_days * steps <= dt.date.max.toordinal():
        return None
    return (
        f"{steps} steps of {step_days} days from {start} end after {dt.date.max}, the last "
        "date a run can have; start earlier, or use fewer or shorter steps"
    )
