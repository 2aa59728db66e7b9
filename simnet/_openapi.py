"""`GET /openapi.json`: the OpenAPI 3.1 document of a node, so the API can be fuzzed from it."""

from __future__ import annotations

from typing import Any, Final

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from simnet._errors import STATUS
from simnet._http import json_response

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


def document() -> dict[str, Any]:
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
                "draw from the faucet (quota per address)",
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
        "/simnet/invariants": {"get": _op("every invariant's verdict", {"type": "array"})},
        "/simnet/vuln": {"get": _op("vulnerable-mode switches", _OBJECT)},
        "/simnet/nodes": {"get": _op("nodes, liveness and faults", _OBJECT)},
        "/simnet/clock": {"get": _op("block time and clock state", _OBJECT)},
        "/simnet/network": {"get": _op("chain ids, endpoints, block time", _OBJECT)},
        "/simnet/metrics": {
            "get": {
                "summary": "Prometheus text",
                "responses": {"200": {"description": "ok", "content": {"text/plain": {}}}},
            }
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "simnet node", "version": "1"},
        "paths": paths,
        "components": {"schemas": {"Error": _ERROR}},
    }


async def _serve(request: Request) -> Response:
    return json_response(document())


def openapi_route() -> Route:
    return Route("/openapi.json", _serve, include_in_schema=False)
