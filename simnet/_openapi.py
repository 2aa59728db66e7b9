"""`GET /openapi.json`: the OpenAPI 3.1 document of a node, exact enough to fuzz the node from.

Every parameter and body says what the node's checks accept (the value schemas come from
`simnet._json_schemas`), so a request the document calls valid is refused only for what no
schema can know: a signature, an account's state, a resource that does not exist (401, 404,
409, 429), and a request it calls invalid is refused. `OpenApi` builds the document from the
running network (chain ids, node ids, invariant routes), so it fits the node that serves it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from simnet._control import CHAINS, FULL, NODE_ACTIONS, RANGES
from simnet._errors import STATUS
from simnet._events import EVENT_SCHEMAS, events_paths
from simnet._explore import cursor_pattern
from simnet._http import json_response
from simnet._json_schemas import (
    AMOUNT,
    BOOL,
    PARAM_UINT,
    TX_HASH,
    address,
    closed,
    denom,
    msg_schemas,
    tx_schema,
)
from simnet._module_routes import module_paths, module_schemas
from simnet._network import EXPORT_VERSION, Network
from simnet._params import ALPHA, DELTA, ChainSpec
from simnet._vuln import SWITCHES

__all__ = ["OpenApi", "openapi_route"]

_ERROR: Final = {
    "type": "object",
    "required": ["code", "codespace", "message", "details"],
    "properties": {
        "code": {"type": "string", "enum": sorted(STATUS)},
        "codespace": {"type": "string"},
        "message": {"type": "string"},
        "details": {"type": "object"},
    },
}
_OBJECT: Final = {"type": "object"}
_NUMBER: Final = {"type": "number"}


def _answer(schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "200": {"description": "ok", "content": {"application/json": {"schema": schema}}},
        "default": {
            "description": "an error answer",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        },
    }


def _op(summary: str, schema: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"summary": summary, "responses": _answer(schema), **extra}


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _path(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": schema}


def _query(name: str, schema: dict[str, Any], required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "schema": schema}


def _range(field: str) -> dict[str, Any]:
    low, high = RANGES[field]
    return {"type": "number", "minimum": low, "maximum": high}


_LIMIT: Final = _query("limit", PARAM_UINT)
_FULL: Final = _query("full", {"type": "string", "enum": list(FULL)})


@dataclass(frozen=True, slots=True)
class OpenApi:
    """What a node's document depends on besides its chain: the running network's shape."""

    spec: ChainSpec
    other: ChainSpec
    node_ids: tuple[str, ...]
    invariant_routes: tuple[str, ...]

    @classmethod
    def of(cls, network: Network, chain: str) -> OpenApi:
        spec = network.chains[chain].spec
        other = next(c.spec for name, c in network.chains.items() if name != chain)
        nodes = tuple(n.node_id for n in network.chains[chain].nodes)
        routes = sorted({r for inv in network.invariants.values() for r in inv.verdicts})
        return cls(spec, other, nodes, tuple(routes))

    def document(self) -> dict[str, Any]:
        """The core, the control plane, the event stream and the chain's modules."""
        spec = self.spec
        return {
            "openapi": "3.1.0",
            "info": {"title": "simnet node", "version": "1"},
            "paths": {
                **self._core_paths(),
                **self._control_paths(),
                **events_paths(),
                **module_paths(spec.name),
            },
            "components": {
                "schemas": {
                    "Error": _ERROR,
                    "Tx": tx_schema(spec),
                    **{f"{kind}_event": schema for kind, schema in EVENT_SCHEMAS.items()},
                    **msg_schemas(spec, self.other),
                    **module_schemas(spec.name),
                }
            },
        }

    def _core_paths(self) -> dict[str, Any]:
        spec = self.spec
        account = [_path("address", address(spec))]
        height = [_path("height", PARAM_UINT)]
        tx = {"$ref": "#/components/schemas/Tx"}
        submit = closed(
            {"tx": tx, "mode": {"type": "string", "enum": ["sync", "async", "commit"]}}, ["tx"]
        )
        faucet_fields = {"address": address(spec), "denom": denom(spec), "amount": AMOUNT}
        faucet = closed(faucet_fields, faucet_fields)
        return {
            "/status": {"get": _op("chain id, node id, height, time, catching_up", _OBJECT)},
            "/health": {"get": _op("liveness", _OBJECT)},
            "/params": {"get": _op("consensus, mempool, fee and API parameters", _OBJECT)},
            "/accounts/{address}": {
                "get": _op("nonce, pubkey, balances", _OBJECT, parameters=account)
            },
            "/accounts/{address}/balances": {"get": _op("balances", _OBJECT, parameters=account)},
            "/txs": {
                "post": _op("submit a signed tx", _OBJECT, requestBody=_body(submit)),
                "get": _op(
                    "committed txs of an address, oldest first, with an opaque stable cursor",
                    _OBJECT,
                    parameters=[
                        _query("address", address(spec), required=True),
                        _query("cursor", {"type": "string", "pattern": cursor_pattern(2)}),
                        _LIMIT,
                    ],
                ),
            },
            "/txs/{hash}": {
                "get": _op("a tx's status", _OBJECT, parameters=[_path("hash", TX_HASH)])
            },
            "/blocks/latest": {"get": _op("the latest block", _OBJECT)},
            "/blocks/{height}": {"get": _op("a block", _OBJECT, parameters=height)},
            "/blocks/{height}/txs": {"get": _op("a block's txs", _OBJECT, parameters=height)},
            "/faucet": {
                "post": _op(
                    "draw from the faucet (quota per address and per funding source)",
                    _OBJECT,
                    requestBody=_body(faucet),
                )
            },
            "/txs/simulate": {
                "post": _op(
                    "every check of POST /txs, nothing admitted",
                    _OBJECT,
                    requestBody=_body(closed({"tx": tx}, ["tx"])),
                )
            },
            "/blocks": {
                "get": _op(
                    "a range of blocks",
                    _OBJECT,
                    parameters=[_query("from", PARAM_UINT), _query("to", PARAM_UINT), _LIMIT],
                )
            },
            "/mempool": {
                "get": _op(
                    "pending txs (redacted: hash, sender, nonce, fee, size, status)",
                    _OBJECT,
                    parameters=[
                        _query("sender", address(spec)),
                        _query("cursor", {"type": "string", "pattern": cursor_pattern(1)}),
                        _LIMIT,
                    ],
                )
            },
            "/mempool/stats": {"get": _op("mempool size, caps, evictions", _OBJECT)},
            "/supply": {"get": _op("supply of every denom", _OBJECT)},
            "/supply/{denom}": {
                "get": _op("supply of one denom", _OBJECT, parameters=[_path("denom", denom(spec))])
            },
        }

    def _control_paths(self) -> dict[str, Any]:
        """The control plane: reads, and the writes that change the network (tagged `control`)."""
        nodes = {"type": "string", "enum": ["all", *self.node_ids]}
        groups = {route.split("/")[0] for route in self.invariant_routes}
        names = {route.split("/")[1] for route in self.invariant_routes}
        chain = {"type": "string", "enum": list(CHAINS)}
        switches = {"type": "array", "items": {"type": "string", "enum": sorted(SWITCHES)}}
        genesis_account = closed(
            {
                "address": address(ALPHA, DELTA),
                "balances": {
                    "type": "object",
                    "propertyNames": {"enum": sorted(ALPHA.denoms | DELTA.denoms)},
                    "additionalProperties": AMOUNT,
                },
            },
            ["address"],
        )
        bodies: dict[tuple[str, str], dict[str, Any]] = {
            ("put", "/simnet/vuln"): closed(
                {k: switches for k in ("enable", "disable", "set")}, ()
            ),
            ("post", "/simnet/faults"): closed(
                {
                    "node": nodes,
                    "chain": chain,
                    "latency_ms": _range("latency_ms"),
                    "error_rate": _range("error_rate"),
                    "status": {
                        "anyOf": [
                            {"type": "integer", "minimum": 400, "maximum": 599},
                            {"type": "null"},
                        ]
                    },
                    "refuse": BOOL,
                    "lag_blocks": _range("lag_blocks"),
                    "pause": BOOL,
                    "partition": BOOL,
                    "for_s": _range("for_s"),
                },
                (),
            ),
            ("post", "/simnet/clock"): closed(
                {"block_time": _range("block_time"), "pause": BOOL, "step": _range("step")}, ()
            ),
            ("post", "/simnet/reset"): closed(
                {
                    "seed": {"type": "string"},
                    "profile": {"type": "string", "enum": ["default"]},
                    "genesis_accounts": {"type": "array", "items": genesis_account},
                },
                (),
            ),
            ("post", "/simnet/import"): {
                **closed(
                    {
                        "version": {"const": EXPORT_VERSION},
                        "seed": {"type": "string"},
                        "chains": closed({"alpha": _OBJECT, "delta": _OBJECT}, ["alpha", "delta"]),
                    },
                    ["version", "seed", "chains"],
                ),
                "additionalProperties": True,
                "description": "what GET /simnet/export gave (each chain's state must load)",
            },
        }
        paths: dict[str, Any] = {
            "/simnet/invariants": {
                "get": _op("every invariant's verdict", {"type": "array"}, parameters=[_FULL])
            },
            "/simnet/invariants/{group}/{name}": {
                "get": _op(
                    "one invariant's verdicts (the route group/name, e.g. bank/total-supply)",
                    {"type": "array"},
                    parameters=[
                        _path("group", {"type": "string", "enum": sorted(groups)}),
                        _path("name", {"type": "string", "enum": sorted(names)}),
                        _FULL,
                    ],
                )
            },
            "/simnet/nodes": {"get": _op("nodes, liveness and faults", _OBJECT)},
            "/simnet/nodes/{node_id}/logs": {
                "get": _op(
                    "what happened to a node",
                    _OBJECT,
                    parameters=[
                        _path("node_id", nodes),
                        _query("chain", chain),
                        _query("since", _NUMBER),
                    ],
                )
            },
            **{
                f"/simnet/nodes/{{node_id}}/{action}": {
                    "post": _op(
                        f"{action} a node (or every node: `all`)",
                        _OBJECT,
                        tags=["control"],
                        parameters=[_path("node_id", nodes), _query("chain", chain)],
                    )
                }
                for action in NODE_ACTIONS
            },
            "/simnet/network": {"get": _op("chain ids, endpoints, block time", _OBJECT)},
            "/simnet/export": {"get": _op("the whole state, for import", _OBJECT)},
            "/simnet/metrics": {
                "get": {
                    "summary": "Prometheus text",
                    "responses": {
                        **_answer(_OBJECT),
                        "200": {"description": "ok", "content": {"text/plain": {}}},
                    },
                }
            },
            "/simnet/vuln": {"get": _op("vulnerable-mode switches", _OBJECT)},
            "/simnet/clock": {"get": _op("block time and clock state", _OBJECT)},
            "/simnet/faults": {
                "delete": _op("remove every fault", _OBJECT, tags=["control"]),
            },
        }
        for (method, path), schema in bodies.items():
            paths.setdefault(path, {})[method] = _op(
                f"{method.upper()} {path}", _OBJECT, tags=["control"], requestBody=_body(schema)
            )
        return paths


def openapi_route(network: Network, chain: str) -> Route:
    async def serve(request: Request) -> Response:
        return json_response(OpenApi.of(network, chain).document())

    return Route("/openapi.json", serve, include_in_schema=False)
