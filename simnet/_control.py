"""The simnet control plane, `/simnet/*` on every node, acting on the whole network.

Routes: invariants, vuln, faults, nodes (stop/start/restart/kill/pause/resume), clock, reset,
export/import, metrics and network info. `Ports` is what the runtime lends it to close and
reopen a node's REST port (stop, kill, the `refuse` fault).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from typing import Final, Protocol

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from botruntime.chain.tx import JsonValue
from simnet._errors import Rejected
from simnet._http import json_body, json_object, json_response
from simnet._metrics import render_metrics
from simnet._network import Network
from simnet._node import Faults, Node
from simnet._vuln import SWITCHES, UnknownSwitch

__all__ = ["CHAINS", "FULL", "NODE_ACTIONS", "RANGES", "ControlPlane", "Ports"]

_FAULT_FIELDS: Final = frozenset(
    {
        "node",
        "chain",
        "latency_ms",
        "error_rate",
        "status",
        "refuse",
        "lag_blocks",
        "pause",
        "partition",
        "for_s",
    }
)
# what each fault field goes back to when a fault given `for_s` lifts itself
_LIFTED: Final[dict[str, JsonValue]] = {
    "latency_ms": 0,
    "error_rate": 0,
    "status": None,
    "refuse": False,
    "lag_blocks": 0,
    "pause": False,
    "partition": False,
}
CHAINS: Final = ("alpha", "delta", "both", "all")  # a fault's or action's `chain`: both = all
FULL: Final = {"0": False, "1": True, "false": False, "true": True}  # ?full= of invariants
NODE_ACTIONS: Final = ("start", "stop", "restart", "kill", "pause", "resume")
# the numbers a fault or clock request may set: field -> (lowest, highest)
RANGES: Final[dict[str, tuple[float, float]]] = {
    "latency_ms": (0, 60_000),
    "error_rate": (0, 1),
    "lag_blocks": (0, 1_000),
    "for_s": (0.001, 86_400),
    "block_time": (0.001, 3_600),
    "step": (0, 10_000),
}
_LIMIT: Final = 64 * 1024 * 1024


class Ports(Protocol):
    """The runtime's hold on node ports and endpoints."""

    async def close(self, chain: str, index: int) -> None: ...

    async def open(self, chain: str, index: int) -> None: ...

    def endpoints(self) -> dict[str, list[str]]: ...

    def connections(self) -> int: ...

    def configure(self) -> None: ...


class ControlPlane:
    def __init__(self, network: Network, ports: Ports) -> None:
        self.network = network
        self.ports = ports
        # faults given `for_s` lift themselves: one task each, dropped when done or healed
        self._lifts: set[asyncio.Task[None]] = set()

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/simnet/invariants", self.invariants),
            Route("/simnet/invariants/{group}/{name}", self.invariant),  # bank/total-supply
            Route("/simnet/vuln", self.vuln, methods=["GET", "PUT"]),
            Route("/simnet/faults", self.faults, methods=["POST", "DELETE"]),
            Route("/simnet/nodes", self.nodes),
            Route("/simnet/nodes/{node_id}/logs", self.node_logs),
            *(
                Route(f"/simnet/nodes/{{node_id}}/{a}", self._node_action(a), methods=["POST"])
                for a in NODE_ACTIONS
            ),
            Route("/simnet/clock", self.clock, methods=["GET", "POST"]),
            Route("/simnet/reset", self.reset, methods=["POST"]),
            Route("/simnet/export", self.export),
            Route("/simnet/import", self.import_, methods=["POST"]),
            Route("/simnet/metrics", self.metrics),
            Route("/metrics", self.metrics),  # where a Prometheus scrape looks by default
            Route("/simnet/network", self.info),
        ]

    # ---- invariants ----------------------------------------------------------------------------

    def _verdicts(self, request: Request) -> list[JsonValue]:
        network = self.network
        full = request.query_params.get("full", "0")
        if full not in FULL:
            raise Rejected("malformed", f"?full= is one of {list(FULL)}, got {full!r}")
        if FULL[full]:
            for inv in network.invariants.values():
                inv.full()
                inv.determinism()
        return [v.to_wire(name) for name, inv in network.invariants.items() for v in inv.report()]

    async def invariants(self, request: Request) -> Response:
        return json_response(self._verdicts(request))

    async def invariant(self, request: Request) -> Response:
        route = f"{request.path_params['group']}/{request.path_params['name']}"
        known = {r for inv in self.network.invariants.values() for r in inv.verdicts}
        if route not in known:
            raise Rejected("not_found", f"no invariant {route!r}; one of {sorted(known)}")
        return json_response([v for v in self._verdicts(request) if v["route"] == route])  # type: ignore[index,call-overload]

    # ---- vulnerable modes ----------------------------------------------------------------------

    async def vuln(self, request: Request) -> Response:
        vulns = self.network.vulns
        if request.method == "PUT":
            wire = json_object(
                await json_body(request, 65536), frozenset({"enable", "disable", "set"}), "vuln"
            )
            try:
                if "set" in wire:
                    vulns.set_exactly(_names(wire["set"], "set"))
                vulns.enable(_names(wire.get("enable", []), "enable"))
                vulns.disable(_names(wire.get("disable", []), "disable"))
            except UnknownSwitch as exc:
                raise Rejected("malformed", str(exc)) from None
            self.ports.configure()
        return json_response({"active": vulns.active, "available": dict(SWITCHES)})

    # ---- faults and nodes ----------------------------------------------------------------------

    def _targets(self, wire: dict[str, JsonValue]) -> list[tuple[str, Node]]:
        chains = _chain_names(wire.get("chain", "both"))
        node_id = wire.get("node", "all")
        targets = [
            (name, node)
            for name in chains
            for node in self.network.chains[name].nodes
            if node_id in ("all", node.node_id)
        ]
        if not targets:
            ids = [n.node_id for n in self.network.chains["alpha"].nodes]
            raise Rejected("not_found", f"no node {node_id!r}; one of {ids} or 'all'")
        return targets

    async def faults(self, request: Request) -> Response:
        if request.method == "DELETE":
            for lift in list(self._lifts):
                lift.cancel()
            for name, chain in self.network.chains.items():
                for node in chain.nodes:
                    await self._heal_all(name, node)
            return json_response(self._nodes_wire())
        wire = json_object(await json_body(request, 65536), _FAULT_FIELDS, "faults")
        targets = self._targets(wire)
        for_s = _number(wire, "for_s") if "for_s" in wire else None
        for name, node in targets:
            await self._apply(name, node, wire)
        if for_s is not None:
            lifted = {k: v for k, v in _LIFTED.items() if k in wire}
            lift = asyncio.create_task(self._lift(targets, lifted, for_s), name="fault-lift")
            self._lifts.add(lift)
            lift.add_done_callback(self._lifts.discard)
        return json_response(self._nodes_wire())

    async def _lift(
        self, targets: list[tuple[str, Node]], lifted: dict[str, JsonValue], after_s: float
    ) -> None:
        """After `after_s`, put the faults a `for_s` request set back (an incident of a known
        length, whatever the delay of the command that ends it would have been)."""
        await asyncio.sleep(after_s)
        for name, node in targets:
            if any(n is node for n in self.network.chains[name].nodes):  # not a reset's leftover
                await self._apply(name, node, lifted)

    async def _apply(self, chain_name: str, node: Node, wire: dict[str, JsonValue]) -> None:
        faults = node.faults
        chain = self.network.chains[chain_name]
        if "latency_ms" in wire:
            faults.latency_ms = _number(wire, "latency_ms")
        if "error_rate" in wire:
            faults.error_rate = _number(wire, "error_rate")
        if "status" in wire:
            status = wire["status"]
            if status is not None and not (isinstance(status, int) and 400 <= status <= 599):
                raise Rejected("malformed", f"status is null or 400 .. 599, got {status!r}")
            faults.status = status
        if "lag_blocks" in wire:
            node.lag_blocks = int(_number(wire, "lag_blocks"))
        was_live = node.live
        if "pause" in wire:
            node.paused = _bool(wire["pause"], "pause")
        if "partition" in wire:
            cut = _bool(wire["partition"], "partition")
            if cut and not node.partitioned:
                node.frozen_height = chain.height
            node.partitioned = cut
        if "refuse" in wire:
            refuse = _bool(wire["refuse"], "refuse")
            if refuse != faults.refuse:
                faults.refuse = refuse
                if refuse:
                    await self.ports.close(chain_name, node.index)
                elif node.up:
                    await self.ports.open(chain_name, node.index)
        if node.live and not was_live:
            self._offer_mempool(chain_name)

    async def _heal_all(self, chain_name: str, node: Node) -> None:
        refused = node.faults.refuse
        node.faults = Faults()
        node.lag_blocks = 0
        was_live = node.live
        node.paused = node.partitioned = False
        if refused or not node.up:
            node.up = True
            await self.ports.open(chain_name, node.index)
        if not was_live:
            self._offer_mempool(chain_name)

    def _offer_mempool(self, chain_name: str) -> None:
        """A node back to life (resumed, started, healed) passes on what it holds, as a real
        node's gossip does: what it accepted while it could not gossip reaches the others."""
        self.network.chains[chain_name].regossip(self.network.clock())

    async def nodes(self, request: Request) -> Response:
        return json_response(self._nodes_wire())

    def _node_action(self, action: str) -> Callable[[Request], Awaitable[Response]]:
        """One route per action, so `POST .../logs` is a 405 (logs are read with GET)."""

        async def endpoint(request: Request) -> Response:
            return await self.node_action(request, action)

        return endpoint

    async def node_action(self, request: Request, action: str) -> Response:
        wire: dict[str, JsonValue] = {"node": request.path_params["node_id"]}
        chain = request.query_params.get("chain")
        if chain is not None:
            wire["chain"] = chain
        for name, node in self._targets(wire):
            node.log(f"{action} (control plane)")
            if action == "pause":
                node.paused = True
            elif action == "resume" and node.paused:
                node.paused = False
                self._offer_mempool(name)
            elif action in ("stop", "kill") and node.up:
                node.up = False
                if action == "kill":
                    node.forget_state()
                await self.ports.close(name, node.index)
            elif action == "start" and not node.up:
                node.up = True
                await self.ports.open(name, node.index)
                self._offer_mempool(name)
            elif action == "restart":
                if node.up:
                    await self.ports.close(name, node.index)
                node.forget_state()
                node.up = True
                await self.ports.open(name, node.index)
        return json_response(self._nodes_wire())

    async def node_logs(self, request: Request) -> Response:
        wire: dict[str, JsonValue] = {"node": request.path_params["node_id"]}
        wire["chain"] = request.query_params.get("chain", "both")
        since_text = request.query_params.get("since", "0")
        try:
            since = float(since_text)
        except ValueError:
            raise Rejected("malformed", f"?since= is unix seconds, got {since_text!r}") from None
        events = sorted(
            (at, name, node.node_id, message)
            for name, node in self._targets(wire)
            for at, message in node.events
            if at >= since
        )
        lines = [{"time": t, "chain": c, "node_id": n, "message": m} for t, c, n, m in events]
        return json_response({"logs": lines})

    def _nodes_wire(self) -> dict[str, JsonValue]:
        endpoints = self.ports.endpoints()
        return {
            name: [{**node.liveness(), "url": endpoints[name][node.index]} for node in chain.nodes]
            for name, chain in self.network.chains.items()
        }

    # ---- clock, reset, export/import -----------------------------------------------------------

    async def clock(self, request: Request) -> Response:
        network = self.network
        if request.method == "POST":
            wire = json_object(
                await json_body(request, 4096), frozenset({"block_time", "pause", "step"}), "clock"
            )
            if "block_time" in wire:
                network.block_time_s = _number(wire, "block_time")
            if "pause" in wire:
                network.clock_paused = _bool(wire["pause"], "pause")
            if "step" in wire:
                network.step(int(_number(wire, "step")))
        return json_response(
            {
                "block_time": network.block_time_s,
                "paused": network.clock_paused,
                "heights": {name: c.height for name, c in network.chains.items()},
            }
        )

    async def reset(self, request: Request) -> Response:
        wire = json_object(
            await json_body(request, _LIMIT),
            frozenset({"seed", "profile", "genesis_accounts"}),
            "reset",
        )
        seed = wire.get("seed", self.network.seed)
        if not isinstance(seed, str):
            raise Rejected("malformed", f"seed is a string, got {seed!r}")
        profile = wire.get("profile", "default")
        if profile != "default":
            raise Rejected("malformed", f"profile is 'default' (the only one), got {profile!r}")
        genesis = self.network.parse_genesis(wire.get("genesis_accounts", []))
        for name, chain in self.network.chains.items():
            for node in chain.nodes:
                await self._heal_all(name, node)
        self.network.reset(seed, genesis)
        return json_response(
            {
                "seed": seed,
                "genesis_accounts": len(genesis),
                "state_hash": self.network.state_hash(),
            }
        )

    async def export(self, request: Request) -> Response:
        return json_response(self.network.export())

    async def import_(self, request: Request) -> Response:
        wire = await json_body(request, None)
        if not isinstance(wire, dict):
            raise Rejected("malformed", "an import is the JSON object GET /simnet/export gave")
        self.network.import_(wire)
        return json_response({"state_hash": self.network.state_hash()})

    async def metrics(self, request: Request) -> Response:
        return Response(
            render_metrics(self.network, self.ports.connections()),
            media_type="text/plain; version=0.0.4",
        )

    async def info(self, request: Request) -> Response:
        network = self.network
        return json_response(
            {
                "chains": {
                    name: {"chain_id": c.spec.chain_id, "height": c.height}
                    for name, c in network.chains.items()
                },
                "endpoints": self.ports.endpoints(),
                "block_time": network.block_time_s,
                "nodes": [n.node_id for n in network.chains["alpha"].nodes],
                "vuln": network.vulns.active,
                "seed": network.seed,
            }
        )


def _names(value: JsonValue, field: str) -> Iterable[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise Rejected("malformed", f"{field} is a list of switch names")
    return [str(v) for v in value]


def _chain_names(value: JsonValue) -> list[str]:
    if value not in CHAINS:
        raise Rejected("malformed", f"chain is 'alpha', 'delta' or 'both', got {value!r}")
    return [str(value)] if value in ("alpha", "delta") else ["alpha", "delta"]


def _number(wire: dict[str, JsonValue], field: str) -> float:
    value = wire[field]
    low, high = RANGES[field]
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise Rejected("malformed", f"{field} is a number in {low} .. {high}, got {value!r}")
    return float(value)


def _bool(value: JsonValue, field: str) -> bool:
    if not isinstance(value, bool):
        raise Rejected("malformed", f"{field} is true or false, got {value!r}")
    return value
