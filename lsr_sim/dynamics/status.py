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

# ALLOWED[a, b]: an issue may go from status a to status b in one step (staying is allowed).
# open -> on_table -> agreed -> implementing -> implemented; talks lapse (on_table -> open);
# implementation collapses (implementing -> collapsed) and collapsed issues reopen. A recorded
# agreement (a scheduled event) may settle an issue that is open or on the table, and a
# convened meeting may take a collapsed issue back to the table.
ALLOWED = np.eye(6, dtype=bool)
for _a, _b in [
    (OPEN, ON_TABLE),
    (OPEN, AGREED),
    (ON_TABLE, OPEN),
    (ON_TABLE, AGREED),
    (AGREED, IMPLEMENTING),
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
