"""A node's port serves its app as given: no proxy middleware re-reads every request."""

from __future__ import annotations

from starlette.types import Receive, Scope, Send

from simnet._runtime import NodeServer


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    raise AssertionError("not called")


def test_x_forwarded_for_cannot_rename_the_peer() -> None:
    server = NodeServer(app, 0)
    # uvicorn's ProxyHeadersMiddleware would take the client address from X-Forwarded-For
    # for loopback peers: the gate keys connections and anonymous clients on that address
    assert server.config.loaded_app is app
