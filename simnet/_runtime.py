"""One process serving every node: uvicorn per node port, the block clock and the gossip pump.

`Runtime.run` owns every task it starts (one TaskGroup) and returns when `stop` is set: it
prints the start-up line of PROTOCOL.md once every node answers, then closes every port.
"""

from __future__ import annotations

import asyncio
import logging
import resource
import socket
import sys
from collections.abc import Callable
from typing import Final

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp

from simnet._app import NodeApi
from simnet._control import ControlPlane
from simnet._errors import SimnetError
from simnet._events import EventHub, NodeEvents
from simnet._explore import NodeExplorer
from simnet._gate import NodeGate
from simnet._hotpath import HotPath
from simnet._http import bug_response, error_response, http_error_response
from simnet._module_routes import module_routes
from simnet._network import Network
from simnet._openapi import openapi_route
from simnet._transport import AnswersNow, node_protocol
from simnet._waiters import CommitWaiters

__all__ = ["NodeServer", "Runtime", "raise_fd_limit"]

log = logging.getLogger("simnet")

HOST: Final = "127.0.0.1"
DELTA_OFFSET: Final = 50
GOSSIP_TICK_S: Final = 0.01
STOP_WAIT_S: Final = 2.0
UNLIMITED_IDLE_S: Final = 24 * 3600


class NodeServer:
    """One node's port: uvicorn's HTTP protocol on a socket we bind (so port 0 works)."""

    def __init__(
        self,
        app: ASGIApp,
        port: int,
        leaks_half_closed: Callable[[], bool] = lambda: False,
        answers_now: AnswersNow | None = None,
    ) -> None:
        self.port = port
        self.config = uvicorn.Config(
            app,
            host=HOST,
            port=port,
            lifespan="off",
            loop="none",
            http=node_protocol(leaks_half_closed, answers_now),
            log_level="warning",
            access_log=False,
            server_header=False,
            date_header=False,
            # no proxy stands in front of a node: X-Forwarded-For must not rename the peer
            # (the gate keys connections and anonymous clients on it), and skipping the
            # middleware saves its pass over the headers of every request
            proxy_headers=False,
            timeout_graceful_shutdown=1,
        )
        self.config.load()
        self._server: uvicorn.Server | None = None

    @property
    def running(self) -> bool:
        return self._server is not None

    def connections(self) -> int:
        return 0 if self._server is None else len(self._server.server_state.connections)

    async def start(self) -> None:
        if self._server is not None:
            return
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((HOST, self.port))
        self.port = sock.getsockname()[1]  # port 0: the OS chose; keep it for restarts
        server = uvicorn.Server(self.config)
        server.lifespan = self.config.lifespan_class(self.config)
        await server.startup(sockets=[sock])
        self._server = server

    async def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        for listener in server.servers:
            listener.close()
        for connection in list(server.server_state.connections):
            connection.shutdown()
        try:
            async with asyncio.timeout(STOP_WAIT_S):
                for listener in server.servers:
                    await listener.wait_closed()
        except TimeoutError:
            log.warning("port %d: connections still open after %.0f s", self.port, STOP_WAIT_S)


class Runtime:
    def __init__(self, network: Network, port_base: int) -> None:
        self.network = network
        self.waiters = CommitWaiters(network)
        self.control = ControlPlane(network, self)
        self.events = EventHub(network)
        self.servers: dict[tuple[str, int], NodeServer] = {}
        for name, offset in (("alpha", 0), ("delta", DELTA_OFFSET)):
            for i in range(network.params.nodes):
                port = 0 if port_base == 0 else port_base + offset + i
                gate = self._app(name, i)
                self.servers[(name, i)] = NodeServer(
                    gate, port, lambda: network.vulns.on("no_conn_limits"), gate
                )

    def _app(self, chain: str, index: int) -> NodeGate:
        api = NodeApi(self.network, chain, index, self.waiters)
        explorer = NodeExplorer(self.network, chain, index)
        app = Starlette(
            routes=[
                *api.routes(),
                *explorer.routes(),
                *module_routes(self.network, chain),
                *NodeEvents(self.network, self.events, chain, index).routes(),
                *self.control.routes(),
                openapi_route(self.network, chain),
            ],
            exception_handlers={
                SimnetError: _simnet_error,
                HTTPException: _http_error,
                Exception: _bug,
            },
        )
        hot = HotPath(app, {("POST", "/txs"): api.submit}, {("POST", "/txs"): api.submit_now})
        return NodeGate(hot, self.network, chain, index)

    # ---- Ports (for the control plane) ---------------------------------------------------------

    async def close(self, chain: str, index: int) -> None:
        await self.servers[(chain, index)].stop()

    async def open(self, chain: str, index: int) -> None:
        self.configure()
        await self.servers[(chain, index)].start()

    def endpoints(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {"alpha": [], "delta": []}
        for (chain, _), server in sorted(self.servers.items()):
            out[chain].append(f"http://{HOST}:{server.port}")
        return out

    def connections(self) -> int:
        return sum(s.connections() for s in self.servers.values())

    def configure(self) -> None:
        """Connection limits follow the no_conn_limits switch (for connections opened later)."""
        params, vulns = self.network.params, self.network.vulns
        unlimited = vulns.on("no_conn_limits")
        for server in self.servers.values():
            server.config.timeout_keep_alive = (
                UNLIMITED_IDLE_S if unlimited else params.keepalive_idle_s
            )
            server.config.limit_concurrency = None if unlimited else params.max_connections

    # ---- the run -------------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event, announce: Callable[[str], None]) -> None:
        """Serve until `stop` is set; `announce` gets the start-up line."""
        self.configure()
        try:
            async with asyncio.TaskGroup() as tg:
                for server in self.servers.values():
                    await server.start()
                await self._wait_answering()
                endpoints = self.endpoints()
                announce(
                    orjson.dumps(
                        {
                            "alpha": endpoints["alpha"],
                            "delta": endpoints["delta"],
                            "control": endpoints["alpha"][0],
                        }
                    ).decode()
                )
                clock = tg.create_task(self._clock(), name="block-clock")
                pump = tg.create_task(self._gossip(), name="gossip-pump")
                await stop.wait()
                clock.cancel()
                pump.cancel()
        finally:
            for server in self.servers.values():
                await server.stop()

    async def _wait_answering(self) -> None:
        """GET /health on every node over a real socket: the start-up line follows."""
        async with asyncio.timeout(10):
            for server in self.servers.values():
                reader, writer = await asyncio.open_connection(HOST, server.port)
                writer.write(b"GET /health HTTP/1.1\r\nhost: simnet\r\nconnection: close\r\n\r\n")
                await writer.drain()
                answer = await reader.readline()  # the status line: not every switch closes
                writer.close()
                await writer.wait_closed()
                if not answer.startswith(b"HTTP/1.1 200"):
                    raise RuntimeError(f"port {server.port} answered {answer[:40]!r}")

    async def _clock(self) -> None:
        loop = asyncio.get_running_loop()
        network = self.network
        next_at = loop.time() + network.block_time_s
        while True:
            await asyncio.sleep(max(0.0, next_at - loop.time()))
            now = loop.time()
            next_at = max(next_at + network.block_time_s, now)
            if not network.clock_paused:
                network.tick()

    async def _gossip(self) -> None:
        while True:
            await asyncio.sleep(GOSSIP_TICK_S)
            self.network.pump()


async def _simnet_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SimnetError)
    return error_response(exc)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return http_error_response(request, exc)


async def _bug(request: Request, exc: Exception) -> Response:
    log.exception("a bug in simnet answering %s %s", request.method, request.url.path)
    return bug_response(exc)


def raise_fd_limit(connections_per_port: int, ports: int) -> int:
    """Lift the soft descriptor limit towards the hard one, so every port can reach its
    connection limit (and refuse past it with the typed answer) instead of failing accept()
    at a distribution's default soft limit of 1,024. Returns the soft limit in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = connections_per_port * ports * 2 + 1_024  # each port at its limit, and as many over
    if hard != resource.RLIM_INFINITY:
        wanted = min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
        return wanted
    return soft


def print_line(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()
