"""Sweeps on an MPI cluster: the runner's tasks on the workers of an ``mpi4py.futures`` pool.

Launch the command under MPI with ``mpi4py.futures`` as the entry point::

    mpirun -n N python -m mpi4py.futures -m lsr_sim sweep FILE --out DIR --executor mpi

Rank 0 runs ``lsr-sim sweep``: it plans the runs, sends tasks and writes every Parquet part
(one per task, so the output folder needs to be reachable from rank 0 only); ranks 1 to N - 1
form ``mpi4py.futures``' shared pool of workers and run :func:`lsr_sim.sweep.runner.execute_task`.
Results are those of a local run, run for run, whatever N.
"""

from __future__ import annotations

import concurrent.futures as cf
import sys

from lsr_sim.errors import InputError

__all__ = ["LAUNCH", "mpi_executor"]

#: How to start a sweep on MPI (the message of a refusal says it too).
LAUNCH = "mpirun -n N python -m mpi4py.futures -m lsr_sim sweep FILE --out DIR --executor mpi"


def mpi_executor() -> cf.Executor:
    """An ``MPIPoolExecutor`` over the workers ``python -m mpi4py.futures`` set up.

    Raises
    ------
    InputError
        If mpi4py or an MPI library is missing, or this process was not started as rank 0
        of an ``mpirun ... python -m mpi4py.futures`` job with at least one worker.
    """
    try:
        from mpi4py import MPI
        from mpi4py.futures import MPIPoolExecutor
    except (ImportError, RuntimeError, OSError) as exc:  # no mpi4py, or no MPI library
        raise InputError(
            "command line",
            "--executor",
            f"mpi needs mpi4py and an MPI library ({exc}): pip install 'lsr_sim[mpi]' and an "
            "MPI such as Open MPI (Debian: apt-get install openmpi-bin)",
        ) from None
    world = MPI.COMM_WORLD
    size, rank = world.Get_size(), world.Get_rank()
    # Only `python -m mpi4py.futures` turns ranks 1..N-1 into workers; under plain mpirun
    # every rank would run the sweep (and MPIPoolExecutor would try to spawn more).
    argv = list(sys.orig_argv)
    pooled = any(argv[i : i + 2] == ["-m", "mpi4py.futures"] for i in range(len(argv) - 1))
    if size < 2 or rank != 0 or not pooled:
        where = (
            "without workers"
            if size < 2
            else f"as rank {rank} of {size} without mpi4py.futures"
            if not pooled
            else f"as rank {rank} of {size}"
        )
        raise InputError(
            "command line",
            "--executor",
            f"mpi needs the workers of mpi4py.futures, but this process runs {where}; "
            f"start it as `{LAUNCH}` (N - 1 workers)",
        )
    # main=False: workers import lsr_sim's task function, never the launching __main__.
    return MPIPoolExecutor(main=False)
