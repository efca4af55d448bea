"""Issue statuses and the transitions allowed between them."""

from __future__ import annotations

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
    "is_allowed",
]

OPEN, ON_TABLE, AGREED, IMPLEMENTING, IMPLEMENTED, COLLAPSED = range(6)
STATUS_NAMES = ("open", "on_table", "agreed", "implementing", "implemented", "collapsed")

# ALLOWED[a, b]: an issue may go from status a to status b between two recorded steps
# (staying is allowed). open -> on_table -> agreed -> implementing -> implemented; talks lapse
# (on_table -> open); a deal collapses (agreed or implementing -> collapsed) and collapsed
# issues reopen. A recorded agreement (a scheduled event) may settle an issue that is open,
# on the table or collapsed; a convened meeting may take a collapsed issue back to the table;
# a deal whose implementation_rate is 1 can be implemented in the step it starts.
ALLOWED = np.eye(6, dtype=bool)
for _a, _b in [
    (OPEN, ON_TABLE),
    (OPEN, AGREED),
    (ON_TABLE, OPEN),
    (ON_TABLE, AGREED),
    (AGREED, IMPLEMENTING),
    (AGREED, IMPLEMENTED),
    (COLLAPSED, AGREED),
    (AGREED, COLLAPSED),
    (IMPLEMENTING, IMPLEMENTED),
    (IMPLEMENTING, COLLAPSED),
    (COLLAPSED, OPEN),
    (COLLAPSED, ON_TABLE),
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
