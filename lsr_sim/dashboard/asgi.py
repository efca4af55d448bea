"""The dashboard's web server: Solara's app behind a loopback guard, served on 127.0.0.1.

Binding 127.0.0.1 keeps other computers out, but not other web pages: a page the student
visits can open a WebSocket to ``ws://127.0.0.1:<port>`` (browsers allow cross-site
WebSockets) and drive the kernel (cross-site WebSocket hijacking), or reach the server
through a name of its own that resolves to 127.0.0.1 (DNS rebinding). :class:`LoopbackGuard`
refuses, before Solara sees them:

- any request whose ``Host`` header is not a loopback name with the port in use
  (``127.0.0.1:<port>``, ``localhost:<port>``, ``[::1]:<port>``): HTTP 403;
- any WebSocket upgrade whose ``Origin`` is not one of those (or is missing): closed before
  it is accepted, which the server answers with HTTP 403, never 101;
- any other request that carries a foreign ``Origin`` (a cross-site ``fetch`` or form).

``python -m lsr_sim.dashboard.asgi --port N`` is what ``lsr-sim dashboard`` starts (see
:mod:`lsr_sim.dashboard.server`); it imports Solara, so nothing else imports it.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from typing import Any

__all__ = ["LoopbackGuard", "allowed_hosts", "allowed_origins", "main"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: The names a browser on this computer uses for the server.
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


def allowed_hosts(port: int) -> frozenset[str]:
    """The ``Host`` headers the server answers: a loopback name with `port`.

    Examples
    --------
    >>> sorted(allowed_hosts(8765))
    ['127.0.0.1:8765', '[::1]:8765', 'localhost:8765']
    """
    return frozenset(f"{name}:{int(port)}" for name in LOOPBACK_NAMES)


def allowed_origins(port: int) -> frozenset[str]:
    """The ``Origin`` headers of the dashboard's own page.

    Examples
    --------
    >>> "http://localhost:8765" in allowed_origins(8765)
    True
    """
    return frozenset(f"http://{host}" for host in allowed_hosts(port))


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value).decode("latin-1").strip().lower()
    return None


class LoopbackGuard:
    """ASGI middleware: pass a request to `app` only if its Host (and Origin) are ours.

    Parameters
    ----------
    app : ASGI application
        Solara's Starlette app.
    port : int
        The port the server listens on.
    """

    def __init__(self, app: ASGIApp, port: int) -> None:
        self.app = app
        self.hosts = allowed_hosts(port)
        self.origins = allowed_origins(port)

    def refusal(self, scope: Scope) -> str | None:
        """Why `scope` is refused, or None to let it through."""
        host = _header(scope, b"host")
        if host not in self.hosts:
            return f"Host {host!r} is not this dashboard (use http://127.0.0.1 and its port)"
        origin = _header(scope, b"origin")
        if scope["type"] == "websocket" and origin not in self.origins:
            return f"WebSocket from Origin {origin!r}: only the dashboard's own page may connect"
        if origin is not None and origin not in self.origins:
            return f"request from Origin {origin!r}: only the dashboard's own page may send it"
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):  # lifespan
            await self.app(scope, receive, send)
            return
        reason = self.refusal(scope)
        if reason is None:
            await self.app(scope, receive, send)
        elif scope["type"] == "websocket":
            await receive()  # websocket.connect
            # Closing before accepting: the server answers the upgrade with HTTP 403.
            await send({"type": "websocket.close", "code": 1008, "reason": reason[:120]})
        else:
            body = f"refused: {reason}\n".encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 403,
                    "headers": [
                        (b"content-type", b"text/plain; charset=utf-8"),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})


def main(argv: Sequence[str] | None = None) -> None:
    """Serve the dashboard on ``127.0.0.1:<port>`` until SIGTERM or Ctrl-C."""
    from lsr_sim.dashboard.server import APP_MODULE, HOST

    parser = argparse.ArgumentParser(prog="python -m lsr_sim.dashboard.asgi")
    parser.add_argument("--port", type=int, required=True)
    port = parser.parse_args(argv).port
    # Solara reads the page's module from SOLARA_APP when its server module is imported.
    os.environ["SOLARA_APP"] = APP_MODULE
    import uvicorn
    from solara.server.starlette import app

    uvicorn.run(
        LoopbackGuard(app, port),
        host=HOST,
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="on",
    )


if __name__ == "__main__":
    main()
