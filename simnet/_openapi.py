"""`GET /openapi.json`: the OpenAPI 3.1 document of a node, so the API can be fuzzed from it."""

from __future__ import annotations

from typing import Any, Final

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from simnet._errors import STATUS
from simnet._events import EVENT_SCHEMAS, events_paths
from simnet._http import json_response
from simnet._module_routes import module_paths, module_schemas

__all__ = ["document", "openapi_route"]

_AMOUNT: Final = {"type": "string", "pattern": "^(0|[1-9][0-9]{0,38})$"}
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
_ADDRESS: Final = {"name": "address", "in": "path", "required": True, "schema": {"type": "string"}}
_HEIGHT: Final = {
    "name": "height",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 0},
}
_HASH: Final = {"name": "hash", "in": "path", "required": True, "schema": {"type": "string"}}


def _answer(schema: dict[str, Any], *errors: int) -> dict[str, Any]:
    responses: dict[str, Any] = {
        "200": {"description": "ok", "content": {"application/json": {"schema": schema}}},
        "default": {
            "description": "an error answer",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        },
    }
    for status in errors:
        responses[str(status)] = responses["default"]
    return responses


def _op(summary: str, schema: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"summary": summary, "responses": _answer(schema), **extra}


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


_TX: Final = {
    "type": "object",
    "required": ["body", "pubkey", "signature"],
    "properties": {
        "body": {
            "type": "object",
            "required": ["chain_id", "sender", "nonce", "fee", "msgs", "memo", "timeout_height"],
            "properties": {
                "chain_id": {"type": "string"},
                "sender": {"type": "string"},
                "nonce": {"type": "integer", "minimum": 0},
                "fee": _AMOUNT,
                "msgs": {"type": "array", "items": {"type": "object"}},
                "memo": {"type": "string"},
                "timeout_height": {"type": "integer", "minimum": 0},
                "client_tx_id": {"type": "string"},
            },
        },
        "pubkey": {"type": "string"},
        "signature": {"type": "string"},
    },
}


def _query(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema}


_UINT: Final = {"type": "integer", "minimum": 0}
_CURSOR: Final = _query("cursor", {"type": "string"})
_LIMIT: Final = _query("limit", _UINT)
_SIMNET_BODIES: Final[dict[str, dict[str, Any]]] = {
    "/simnet/vuln": {
        "type": "object",
        "properties": {
            k: {"type": "array", "items": {"type": "string"}} for k in ("enable", "disable", "set")
        },
    },
    "/simnet/faults": {
        "type": "object",
        "properties": {
            "node": {"type": "string"},
            "chain": {"type": "string", "enum": ["alpha", "delta", "both"]},
            "latency_ms": {"type": "number", "minimum": 0},
            "error_rate": {"type": "number", "minimum": 0, "maximum": 1},
            "status": {"type": ["integer", "null"]},
            "refuse": {"type": "boolean"},
            "lag_blocks": _UINT,
            "pause": {"type": "boolean"},
            "partition": {"type": "boolean"},
            "for_s": {"type": "number", "minimum": 0.001, "maximum": 86400},
        },
    },
    "/simnet/clock": {
        "type": "object",
        "properties": {
            "block_time": {"type": "number", "exclusiveMinimum": 0},
            "pause": {"type": "boolean"},
            "step": _UINT,
        },
    },
    "/simnet/reset": {
        "type": "object",
        "properties": {
            "seed": {"type": "string"},
            "profile": {"type": "string", "enum": ["default"]},
            "genesis_accounts": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["address"],
                    "properties": {
                        "address": {"type": "string"},
                        "balances": {"type": "object", "additionalProperties": _AMOUNT},
                    },
                },
            },
        },
    },
    "/simnet/import": {"type": "object"},
}


def _control_paths() -> dict[str, Any]:
    """The control plane: reads, and the writes that change the network (tagged `control`)."""
    paths: dict[str, Any] = {
        "/simnet/invariants": {
            "get": _op(
                "every invariant's verdict",
                {"type": "array"},
                parameters=[_query("full", {"type": "string", "enum": ["0", "1"]})],
            )
        },
        "/simnet/invariants/{route}": {
            "get": _op(
                "one invariant's verdicts",
                {"type": "array"},
                parameters=[
                    {"name": "route", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
            )
        },
        "/simnet/nodes": {"get": _op("nodes, liveness and faults", _OBJECT)},
        "/simnet/nodes/{node_id}/logs": {
            "get": _op(
                "what happened to a node",
                _OBJECT,
                parameters=[
                    {
                        "name": "node_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    },
                    _query("since", {"type": "number"}),
                ],
            )
        },
        "/simnet/nodes/{node_id}/{action}": {
            "post": _op(
                "start, stop, restart, kill, pause or resume a node",
                _OBJECT,
                tags=["control"],
                parameters=[
                    {
                        "name": "node_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    },
                    {
                        "name": "action",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "enum": list(_NODE_ACTIONS)},
                    },
                    _query("chain", {"type": "string", "enum": ["alpha", "delta", "both"]}),
                ],
            )
        },
        "/simnet/network": {"get": _op("chain ids, endpoints, block time", _OBJECT)},
        "/simnet/export": {"get": _op("the whole state, for import", _OBJECT)},
        "/simnet/metrics": {
            "get": {
                "summary": "Prometheus text",
                "responses": {"200": {"description": "ok", "content": {"text/plain": {}}}},
            }
        },
    }
    for path, schema in _SIMNET_BODIES.items():
        method = "put" if path == "/simnet/vuln" else "post"
        paths.setdefault(path, {})[method] = _op(
            f"{method.upper()} {path}", _OBJECT, tags=["control"], requestBody=_body(schema)
        )
    paths["/simnet/vuln"]["get"] = _op("vulnerable-mode switches", _OBJECT)
    paths["/simnet/clock"]["get"] = _op("block time and clock state", _OBJECT)
    paths["/simnet/faults"]["delete"] = _op("remove every fault", _OBJECT, tags=["control"])
    return paths


_NODE_ACTIONS: Final = ("start", "stop", "restart", "kill", "pause", "resume")


def document(chain: str = "alpha") -> dict[str, Any]:
    """The document of a node of `chain`: the core, the control plane and the chain's modules."""
    paths: dict[str, Any] = {
        "/status": {"get": _op("chain id, node id, height, time, catching_up", _OBJECT)},
        "/health": {"get": _op("liveness", _OBJECT)},
        "/params": {"get": _op("consensus, mempool, fee and API parameters", _OBJECT)},
        "/accounts/{address}": {
            "get": _op("nonce, pubkey, balances", _OBJECT, parameters=[_ADDRESS])
        },
        "/accounts/{address}/balances": {"get": _op("balances", _OBJECT, parameters=[_ADDRESS])},
        "/txs": {
            "post": _op(
                "submit a signed tx",
                _OBJECT,
                requestBody=_body(
                    {
                        "type": "object",
                        "required": ["tx"],
                        "properties": {
                            "tx": _TX,
                            "mode": {"type": "string", "enum": ["sync", "async", "commit"]},
                        },
                    }
                ),
            )
        },
        "/txs/{hash}": {"get": _op("a tx's status", _OBJECT, parameters=[_HASH])},
        "/blocks/latest": {"get": _op("the latest block", _OBJECT)},
        "/blocks/{height}": {"get": _op("a block", _OBJECT, parameters=[_HEIGHT])},
        "/blocks/{height}/txs": {"get": _op("a block's txs", _OBJECT, parameters=[_HEIGHT])},
        "/faucet": {
            "post": _op(
                "draw from the faucet (quota per address and per funding source)",
                _OBJECT,
                requestBody=_body(
                    {
                        "type": "object",
                        "required": ["address", "denom", "amount"],
                        "properties": {
                            "address": {"type": "string"},
                            "denom": {"type": "string"},
                            "amount": _AMOUNT,
                        },
                    }
                ),
            )
        },
        "/txs/simulate": {
            "post": _op(
                "every check of POST /txs, nothing admitted",
                _OBJECT,
                requestBody=_body(
                    {"type": "object", "required": ["tx"], "properties": {"tx": _TX}}
                ),
            )
        },
        "/blocks": {
            "get": _op(
                "a range of blocks",
                _OBJECT,
                parameters=[_query("from", _UINT), _query("to", _UINT), _LIMIT],
            )
        },
        "/mempool": {
            "get": _op(
                "pending txs (redacted: hash, sender, nonce, fee, size, status)",
                _OBJECT,
                parameters=[_query("sender", {"type": "string"}), _CURSOR, _LIMIT],
            )
        },
        "/mempool/stats": {"get": _op("mempool size, caps, evictions", _OBJECT)},
        "/supply": {"get": _op("supply of every denom", _OBJECT)},
        "/supply/{denom}": {
            "get": _op(
                "supply of one denom",
                _OBJECT,
                parameters=[
                    {"name": "denom", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
            )
        },
        **_control_paths(),
        **events_paths(),
        **module_paths(chain),
    }
    paths["/txs"]["get"] = _op(
        "committed txs of an address, oldest first, with an opaque stable cursor",
        _OBJECT,
        parameters=[
            {"name": "address", "in": "query", "required": True, "schema": {"type": "string"}},
            _CURSOR,
            _LIMIT,
        ],
    )
    return {
        "openapi": "3.1.0",
        "info": {"title": "simnet node", "version": "1"},
        "paths": paths,
        "components": {
            "schemas": {
                "Error": _ERROR,
                **{f"{kind}_event": schema for kind, schema in EVENT_SCHEMAS.items()},
                **module_schemas(chain),
            }
        },
    }


def openapi_route(chain: str = "alpha") -> Route:
    async def serve(request: Request) -> Response:
        return json_response(document(chain))

    return Route("/openapi.json", serve, include_in_schema=False)
