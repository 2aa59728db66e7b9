"""The hot route of a node (`POST /txs`) straight to its endpoint, past Starlette's stack.

Starlette sends every request through two middlewares (server errors, then exception
handlers, which builds a `Request` for each) and its router before the endpoint runs. For a
tx submission that is ~10 µs of simnet CPU (in process, bench/simnet_capacity.py's shape),
at 10,000 tx/s a tenth of a core. `HotPath` sits behind the gate (faults, limits and heights
still apply to every request) and in front of the app: a request whose method and path are
in its table goes to that endpoint, and a refusal gets the answer the app would give it
(`error_response`, or the 500 of a bug); any other request goes to the app. The route stays
in the app's table too, so the app alone serves the same API.

A route may also be answered without ASGI at all (`now`): the HTTP protocol hands the gate the
whole body once it has parsed the request (simnet/_transport.py), and the endpoint's `now`
function either takes it (returns the call that answers) or leaves it to the ASGI path (None,
before it did anything), for a request that must await.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Receive, Scope, Send

from simnet._errors import SimnetError
from simnet._http import Answer, answer_of, bug_response, error_response

__all__ = ["HotPath", "NowRoute"]

log = logging.getLogger("simnet")

# (scope, whole body) -> the call that answers, or None: the request takes the ASGI path
NowRoute = Callable[[Scope, bytes], Callable[[], Answer] | None]


class HotPath:
    def __init__(
        self,
        app: ASGIApp,
        routes: Mapping[tuple[str, str], ASGIApp],
        now: Mapping[tuple[str, str], NowRoute] | None = None,
    ) -> None:
        self.app = app
        self.routes = dict(routes)  # (method, path) -> endpoint
        self.now = dict(now or {})  # (method, path) -> the same endpoint, answered at once

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        endpoint = None
        if scope["type"] == "http":
            endpoint = self.routes.get((scope["method"], scope["path"]))
        if endpoint is None:
            await self.app(scope, receive, send)
            return
        try:
            await endpoint(scope, receive, send)
        except SimnetError as exc:
            await error_response(exc)(scope, receive, send)
        except ClientDisconnect:
            return  # nobody to answer
        except Exception as exc:
            log.exception("a bug in simnet answering %s %s", scope["method"], scope["path"])
            await bug_response(exc)(scope, receive, send)

    def takes_now(self, method: str, path: str) -> bool:
        """Whether requests to the route may be answered at once (given their whole body)."""
        return (method, path) in self.now

    def prepare(self, scope: Scope, body: bytes) -> Callable[[], Answer] | None:
        """The call that answers the request at once, or None: it takes the ASGI path."""
        route = self.now.get((scope["method"], scope["path"]))
        return None if route is None else route(scope, body)

    def answer(self, scope: Scope, run: Callable[[], Answer]) -> Answer:
        """`run`'s answer, a refusal answered as `__call__` answers it."""
        try:
            return run()
        except SimnetError as exc:
            return answer_of(error_response(exc))
        except Exception as exc:
            log.exception("a bug in simnet answering %s %s", scope["method"], scope["path"])
            return answer_of(bug_response(exc))
