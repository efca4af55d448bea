"""Issue statuses and the transitions allowed between them."""

from __future__ import annotations

from enum import IntEnum

import numpy as np

__all__ = [
    "AGREED",
    "ALLOWED",
    "COLLAPSED",
    "IMPLEMENTED",
    "IMPLEMENTING",
    "ON_TABLE",
    "OPEN",
    "STATUS_NAMES",
    "Status",
    "is_allowed",
]


class Status(IntEnum):
    """Where an issue stands. The values are the codes stored in the state's ``status`` array.

    Examples
    --------
    >>> Status.IMPLEMENTING, int(Status.IMPLEMENTING), Status(1).label
    (<Status.IMPLEMENTING: 3>, 3, 'on_table')
    """

    OPEN = 0
    ON_TABLE = 1
    AGREED = 2
    IMPLEMENTING = 3
    IMPLEMENTED = 4
    COLLAPSED = 5

    @property
    def label(self) -> str:
        """The name used in tables and scenario files (``"on_table"``)."""
        return self.name.lower()


# Plain ints for array code (numba compiles them as constants).
OPEN, ON_TABLE, AGREED, IMPLEMENTING, IMPLEMENTED, COLLAPSED = (int(s) for s in Status)
STATUS_NAMES: tuple[str, ...] = tuple(s.label for s in Status)

# ALLOWED[a, b]: an issue may go from status a to status b between two recorded steps
# (staying is allowed). open -> on_table -> agreed -> implementing -> implemented; talks lapse
# (on_table -> open); a deal collapses (agreed or implementing -> collapsed) and collapsed
# issues reopen. A recorded agreement (a scheduled event) may settle an issue that is open,
# on the table or collapsed; a convened meeting may take a collapsed issue back to the table;
# a deal whose implementation_rate is 1 can be implemented in the step it starts.
ALLOWED = np.eye(len(Status), dtype=bool)
for _a, _b in [
    (Status.OPEN, Status.ON_TABLE),
    (Status.OPEN, Status.AGREED),
    (Status.ON_TABLE, Status.OPEN),
    (Status.ON_TABLE, Status.AGREED),
    (Status.AGREED, Status.IMPLEMENTING),
    (Status.AGREED, Status.IMPLEMENTED),
    (Status.COLLAPSED, Status.AGREED),
    (Status.AGREED, Status.COLLAPSED),
    (Status.IMPLEMENTING, Status.IMPLEMENTED),
    (Status.IMPLEMENTING, Status.COLLAPSED),
    (Status.COLLAPSED, Status.OPEN),
    (Status.COLLAPSED, Status.ON_TABLE),
]:
    ALLOWED[_a, _b] = True


def is_allowed(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """Whether each status change is an allowed transition.

    Examples
    --------
    >>> is_allowed(np.array([OPEN, OPEN]), np.array([ON_TABLE, IMPLEMENTED]))
    array([ True, False])
    """
    return ALLOWED[before, after]
