"""The kernel: one state with a run axis and one function per phase of the step.

Both engines run on it. The batch engine (:func:`lsr_sim.batch.run_batch`) steps R runs at once
through :func:`step`; the Mesa model (:class:`lsr_sim.model.NegotiationModel`) holds a kernel
of one run, and its agents' verbs call the same phases for their own index. Agreement between
the two engines is therefore a property of the design, not of two codes kept in step.

The phases' arithmetic is compiled with numba (:mod:`lsr_sim.jit`): each run's numbers go
through the same compiled code whether it is stepped alone or with thousands of others.
Importing this package imports numba; ``import lsr_sim`` does not.
"""

from lsr_sim.kernel.core import Journal, Kernel, step
from lsr_sim.kernel.records import Params, State, Structure
from lsr_sim.kernel.summary import summary_columns, summary_rows

__all__ = [
    "Journal",
    "Kernel",
    "Params",
    "State",
    "Structure",
    "step",
    "summary_columns",
    "summary_rows",
]
