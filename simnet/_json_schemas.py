"""JSON Schemas of the values simnet's checks accept: what its OpenAPI documents are built of.

Each schema is derived from the check it describes, whose module owns the rule: amounts, base64
and message shapes in `botruntime.chain.tx`, addresses in `botruntime.identity`, integers in a
path or query in `simnet._http`, cursors in `simnet._explore`. So a client generated from
`/openapi.json` refuses what a node refuses. Two rules no JSON Schema can state are named
instead: an address's bech32 checksum (`format: bech32`; the repository's `schemathesis.toml`
draws real addresses for it) and a tx's size in canonical JSON (`max_tx_bytes`): the bounds on
list lengths and free text here keep every tx the schema admits under it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

from botruntime.chain.tx import (
    AMOUNT_PATTERN,
    BODY_REQUIRED,
    MAX_CLIENT_TX_ID,
    MAX_MEMO_BYTES,
    MAX_NONCE,
    MSG_SCHEMAS,
    OUTPUT_SCHEMA,
    TX_FIELDS,
    FieldKind,
    base64_pattern,
)
from botruntime.identity import address_pattern
from simnet._http import MAX_PARAM_INT
from simnet._params import ChainSpec

__all__ = [
    "AMOUNT",
    "BECH32",
    "BOOL",
    "MAX_BANK_MSGS",
    "MAX_OUTPUTS",
    "MAX_TEXT_CHARS",
    "PARAM_UINT",
    "TX_HASH",
    "UINT64",
    "address",
    "chain_msg_types",
    "closed",
    "denom",
    "msg_schema",
    "msg_schemas",
    "tx_schema",
]

BECH32: Final = "bech32"
# bounds that keep the largest tx the schema admits under max_tx_bytes (16 KiB; a unit test
# builds that tx): 8 bank messages of up to 12 outputs, free text of up to 256 characters
MAX_BANK_MSGS: Final = 8
MAX_OUTPUTS: Final = 12
MAX_TEXT_CHARS: Final = 256

AMOUNT: Final = {"type": "string", "pattern": AMOUNT_PATTERN}
UINT64: Final = {
    "type": "integer",
    "minimum": 0,
    "maximum": MAX_NONCE,
    "description": "written as an integer: 2, not 2.0 (a tx's signature covers its JSON as sent)",
}
PARAM_UINT: Final = {"type": "integer", "minimum": 0, "maximum": MAX_PARAM_INT}
TX_HASH: Final = {"type": "string", "pattern": "^[0-9A-Fa-f]{64}$"}
BOOL: Final = {"type": "boolean"}
_TEXT: Final = {"type": "string", "maxLength": MAX_TEXT_CHARS}
_MEMO: Final = {
    "type": "string",
    "maxLength": MAX_MEMO_BYTES,
    "pattern": "^[\\x00-\\x7F]*$",
    "description": f"at most {MAX_MEMO_BYTES} bytes of UTF-8; the pattern admits the ASCII ones",
}

_BANK: Final = ("bank.send", "bank.multisend")
# message types each chain serves besides bank (its modules' `msg_types`; a unit test ties them)
_MODULE_PREFIXES: Final = {
    "alpha": ("staking.", "distribution.", "validator.", "gov.", "bridge.lock", "bridge.claim"),
    "delta": ("dex.", "perps.", "oracle.", "bridge.burn", "bridge.claim"),
}
# the address fields of a message that name an account of the other chain (the recipient of
# what crosses the bridge); every other address field names one of this chain
_OTHER_CHAIN: Final = frozenset({("bridge.lock", "to"), ("bridge.burn", "to")})


def address(*specs: ChainSpec) -> dict[str, Any]:
    """An address of one of `specs`' chains (checksum included, as `format: bech32` says)."""
    return {"type": "string", "format": BECH32, "pattern": address_pattern(*_hrps(specs))}


def _hrps(specs: Iterable[ChainSpec]) -> list[str]:
    return [spec.hrp for spec in specs]


def denom(spec: ChainSpec) -> dict[str, Any]:
    return {"type": "string", "enum": sorted(spec.denoms)}


def chain_msg_types(spec: ChainSpec) -> list[str]:
    """The message types a tx to `spec`'s chain may carry: bank's, then its modules'."""
    modules = _MODULE_PREFIXES[spec.name]
    return [*_BANK, *(kind for kind in MSG_SCHEMAS if kind.startswith(modules))]


def _field(
    kind: str, name: str, field: FieldKind, spec: ChainSpec, other: ChainSpec
) -> dict[str, Any]:
    if field == "address":
        return address(other if (kind, name) in _OTHER_CHAIN else spec)
    if field == "denom":
        return denom(spec)
    if field == "amount":
        return AMOUNT
    if field == "uint":
        return UINT64
    if field == "bool":
        return BOOL
    if field == "str":
        return _TEXT
    output = closed(
        {n: _field(kind, n, f, spec, other) for n, f in OUTPUT_SCHEMA.items()}, OUTPUT_SCHEMA
    )
    return {"type": "array", "minItems": 1, "maxItems": MAX_OUTPUTS, "items": output}


def closed(properties: dict[str, Any], required: Iterable[str]) -> dict[str, Any]:
    """An object of exactly these properties: simnet refuses an unknown field (unknown_field)."""
    return {
        "type": "object",
        "required": sorted(required),
        "properties": properties,
        "additionalProperties": False,
    }


def msg_schema(kind: str, spec: ChainSpec, other: ChainSpec) -> dict[str, Any]:
    """One message of `kind` in a tx to `spec`'s chain (`other`: the chain across the bridge)."""
    fields = MSG_SCHEMAS[kind]
    props = {"type": {"type": "string", "const": kind}}
    props |= {name: _field(kind, name, f, spec, other) for name, f in fields.items()}
    return closed(props, props)


def msg_schemas(spec: ChainSpec, other: ChainSpec) -> dict[str, dict[str, Any]]:
    """Every message a tx to `spec`'s chain may carry, by type (`components.schemas`)."""
    return {kind: msg_schema(kind, spec, other) for kind in chain_msg_types(spec)}


def tx_schema(spec: ChainSpec, msg_ref: str = "#/components/schemas/") -> dict[str, Any]:
    """A signed tx to `spec`'s chain as `POST /txs` decodes it, up to what no schema can check
    (the signature, then the account's state): so a tx the schema admits and the node refuses
    is refused for its signature (401), its nonce, funds or fee (400 after the signature), or
    the module's state (409)."""
    bank = [{"$ref": f"{msg_ref}{kind}"} for kind in _BANK]
    modules = [{"$ref": f"{msg_ref}{kind}"} for kind in chain_msg_types(spec)[len(_BANK) :]]
    msgs = {
        "description": "bank messages, or one module message alone",
        "anyOf": [
            {"type": "array", "minItems": 1, "maxItems": MAX_BANK_MSGS, "items": {"anyOf": bank}},
            {"type": "array", "minItems": 1, "maxItems": 1, "items": {"anyOf": modules}},
        ],
    }
    body = closed(
        {
            "chain_id": {"type": "string", "const": spec.chain_id},
            "sender": address(spec),
            "nonce": UINT64,
            "fee": AMOUNT,
            "msgs": msgs,
            "memo": _MEMO,
            "timeout_height": UINT64,
            "client_tx_id": {"type": "string", "minLength": 1, "maxLength": MAX_CLIENT_TX_ID},
        },
        BODY_REQUIRED,
    )
    pubkey = {"type": "string", "pattern": base64_pattern(32)}
    signature = {"type": "string", "pattern": base64_pattern(64)}
    return closed({"body": body, "pubkey": pubkey, "signature": signature}, TX_FIELDS)
