"""The batch engine: many runs of a scenario stepped at once through the kernel.

See :func:`run_batch` and :mod:`lsr_sim.kernel`.
"""

from lsr_sim.batch.engine import HISTORY_NAMES, BatchResult, run_batch, supports

__all__ = ["HISTORY_NAMES", "BatchResult", "run_batch", "supports"]
