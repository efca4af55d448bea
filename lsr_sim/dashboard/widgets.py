"""A widget that tells the server when the browser has shown a frame: the page's back-pressure.

Without it, a play loop that draws faster than the browser can paint queues frames in the
WebSocket: the page falls further and further behind the model and keeps drawing old weeks
after Pause. With it, the loop sends a frame, waits for the browser to have painted it
(:meth:`FrameClock.shown`), and meanwhile the model keeps to the clock: the next frame then
shows every week due by then. Frames per second adapt to the browser; weeks per second do
not.
"""

from __future__ import annotations

import threading
from typing import Any

import ipyvue
import traitlets

__all__ = ["FrameClock"]

# The browser answers a ping after two animation frames: the updates sent before the ping
# have been applied and painted by then (messages are handled in the order they were sent).
_TEMPLATE = """
<template><span class="lsr-frame-clock" style="display: none"></span></template>
<script>
module.exports = {
  methods: {
    jupyter_ping(frame) {
      requestAnimationFrame(() => requestAnimationFrame(() => this.pong(frame)));
    },
  },
};
</script>
"""


class FrameClock(ipyvue.VueTemplate):
    """An invisible widget; :meth:`ping` after a frame's updates, :meth:`shown` to wait."""

    template = traitlets.Unicode(_TEMPLATE).tag(sync=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._sent = 0
        self._shown = 0
        self._changed = threading.Condition()

    def ping(self) -> int:
        """Ask the browser to answer once it has painted what was sent so far."""
        with self._changed:
            self._sent += 1
            frame = self._sent
        self.send({"method": "ping", "args": [frame]})
        return frame

    def vue_pong(self, frame: Any, *args: Any) -> None:
        """The browser's answer (called by ipyvue)."""
        with self._changed:
            self._shown = max(self._shown, int(frame))
            self._changed.notify_all()

    def shown(self, frame: int, timeout: float) -> bool:
        """Wait until the browser has painted `frame`; False after `timeout` seconds (a page
        that is closed, hidden or very slow must not stop the loop for good)."""
        with self._changed:
            return self._changed.wait_for(lambda: self._shown >= frame, timeout=timeout)
