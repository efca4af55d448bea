"""The vectorised batch engine: many runs of a scenario stepped at once.

>>> from lsr_sim.batch import run_batch, supports

See :func:`run_batch`; a run in a batch reproduces the Mesa model's run with the same
scenario and seed (:class:`lsr_sim.model.NegotiationModel`).
"""

from lsr_sim.batch.engine import HISTORY_NAMES, BatchResult, check_structure, run_batch, supports

__all__ = ["HISTORY_NAMES", "BatchResult", "check_structure", "run_batch", "supports"]
