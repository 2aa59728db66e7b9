"""A node's OpenAPI document is what its checks are: the messages its chain serves, a tx the
schema admits fits the size limit and decodes, one the schema refuses is refused by the decoder,
and the document is one a fuzzer loads (every path parameter declared)."""

from __future__ import annotations

import copy
import re
from typing import Any

import jsonschema_rs
import pytest
import schemathesis

from botruntime.chain.tx import (
    MAX_AMOUNT,
    MAX_CLIENT_TX_ID,
    MAX_MEMO_BYTES,
    MAX_NONCE,
    MSG_SCHEMAS,
    OUTPUT_SCHEMA,
    JsonValue,
    TxBody,
    TxError,
    bank_send,
    canonical_json,
    decode_tx,
    sign_tx,
)
from botruntime.identity import Identity
from simnet import Network, Params
from simnet._json_schemas import (
    _OTHER_CHAIN,
    MAX_BANK_MSGS,
    MAX_OUTPUTS,
    MAX_TEXT_CHARS,
    chain_msg_types,
)
from simnet._openapi import OpenApi

CHAINS = ("alpha", "delta")
NETWORK = Network(Params(nodes=2), "openapi-unit", chain_suffix=7)
ALICE = Identity.derive("openapi-unit", 0)


def _document(chain: str) -> dict[str, Any]:
    return OpenApi.of(NETWORK, chain).document()


def _tx_validator(chain: str) -> jsonschema_rs.Validator:
    components = _document(chain)["components"]
    schema = {"$ref": "#/components/schemas/Tx", "components": components}
    return jsonschema_rs.validator_for(schema)


@pytest.mark.parametrize("chain", CHAINS)
def test_the_document_lists_exactly_the_messages_the_chain_serves(chain: str) -> None:
    served = set(NETWORK.chains[chain].modules.by_type) | {"bank.send", "bank.multisend"}
    assert set(chain_msg_types(NETWORK.chains[chain].spec)) == served
    assert served <= set(_document(chain)["components"]["schemas"])


@pytest.mark.parametrize("chain", CHAINS)
def test_a_fuzzer_loads_the_document_and_every_path_parameter_is_declared(chain: str) -> None:
    document = _document(chain)
    for path, item in document["paths"].items():
        for method, op in item.items():
            declared = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
            assert declared == set(re.findall(r"{(\w+)}", path)), (method, path)
    operations = [r.ok() for r in schemathesis.openapi.from_dict(document).get_all_operations()]
    assert len(operations) == sum(len(item) for item in document["paths"].values())


def _signed(body: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(sign_tx(ALICE, TxBody(**body)).to_wire())  # type: ignore[arg-type]


@pytest.mark.parametrize("chain", CHAINS)
def test_a_signed_tx_fits_the_schema_and_a_tx_to_another_chain_does_not(chain: str) -> None:
    spec = NETWORK.chains[chain].spec
    me = ALICE.alpha_address if chain == "alpha" else ALICE.delta_address
    body: dict[str, Any] = {"chain_id": spec.chain_id, "sender": me, "nonce": 3, "fee": 10_000}
    body |= {"msgs": (bank_send(me, 10**6, spec.native),), "memo": "tb:r:1:2"}
    validator = _tx_validator(chain)
    assert validator.is_valid(_signed(body))
    other = NETWORK.chains["delta" if chain == "alpha" else "alpha"].spec
    assert not validator.is_valid(_signed({**body, "chain_id": other.chain_id}))


def _widest_txs(chain: str) -> list[dict[str, JsonValue]]:
    """For each shape of `msgs`, the largest tx the chain's schema admits: the longest text in
    4-byte characters (or control characters: six bytes each in canonical JSON), the longest
    numbers, every list at its longest."""
    spec = NETWORK.chains[chain].spec
    other = NETWORK.chains["delta" if chain == "alpha" else "alpha"].spec
    amount, denom = str(MAX_AMOUNT), max(spec.denoms, key=len)
    output = {"to": _address(spec.hrp), "denom": denom, "amount": amount}
    assert set(output) == set(OUTPUT_SCHEMA)
    multisend: JsonValue = {"type": "bank.multisend", "outputs": [output] * MAX_OUTPUTS}
    shapes: list[list[JsonValue]] = [[multisend] * MAX_BANK_MSGS]
    fill: dict[str, JsonValue] = {"denom": denom, "amount": amount, "uint": MAX_NONCE}
    fill |= {"str": "\U0001d11e" * MAX_TEXT_CHARS, "bool": False}
    for kind in chain_msg_types(spec)[2:]:
        msg: dict[str, JsonValue] = {"type": kind}
        for name, field in MSG_SCHEMAS[kind].items():
            hrp = other.hrp if (kind, name) in _OTHER_CHAIN else spec.hrp
            msg[name] = _address(hrp) if field == "address" else fill[field]
        if kind == "perps.open":
            msg["side"] = "short"
        shapes.append([msg])
    body: dict[str, JsonValue] = {
        "chain_id": spec.chain_id,
        "sender": _address(spec.hrp),
        "nonce": MAX_NONCE,
        "fee": amount,
        "memo": "\x00" * MAX_MEMO_BYTES,
        "timeout_height": MAX_NONCE,
        "client_tx_id": "\U0001d11e" * MAX_CLIENT_TX_ID,
    }
    signed = {"pubkey": "A" * 43 + "=", "signature": "A" * 86 + "=="}
    return [{"body": {**body, "msgs": msgs}, **signed} for msgs in shapes]


def _address(hrp: str) -> str:
    return Identity.derive("openapi-unit", 1).alpha_address.replace("ax1", f"{hrp}1", 1)


@pytest.mark.parametrize("chain", CHAINS)
def test_the_largest_tx_the_schema_admits_is_under_max_tx_bytes(chain: str) -> None:
    validator = _tx_validator(chain)
    for tx in _widest_txs(chain):
        kinds = [m["type"] for m in tx["body"]["msgs"]]  # type: ignore[call-overload,index]
        assert validator.is_valid(tx), (kinds, next(validator.iter_errors(tx)))
        assert len(canonical_json(tx)) <= NETWORK.params.max_tx_bytes, kinds


# what a tx may not be, by the schema and by the decoder alike (mutations of a valid tx)
BREAKS = {
    "amount with a sign": ("body.msgs.0.amount", "+5"),
    "amount over 2^128-1": ("body.msgs.0.amount", str(MAX_AMOUNT + 1)),
    "nonce over 2^64-1": ("body.nonce", MAX_NONCE + 1),
    "pubkey of 31 bytes": ("pubkey", "A" * 42 + "=="),
    "signature not canonical": ("signature", "A" * 85 + "B=="),
    "client_tx_id empty": ("body.client_tx_id", ""),
    "an unknown body field": ("body.extra", 1),
    "memo over 256 bytes": ("body.memo", "m" * (MAX_MEMO_BYTES + 1)),
    "an address with a bad checksum": ("body.msgs.0.to", "ax1" + "q" * 38),
    "no message": ("body.msgs", []),
}


def _set(tx: dict[str, Any], where: str, value: object) -> dict[str, Any]:
    out = copy.deepcopy(tx)
    *parents, last = where.split(".")
    node: Any = out
    for key in parents:
        node = node[int(key)] if key.isdigit() else node[key]
    node[last] = value
    return out


@pytest.mark.parametrize("name", sorted(BREAKS))
def test_what_the_decoder_refuses_the_schema_refuses(name: str) -> None:
    me = ALICE.alpha_address
    body: dict[str, Any] = {"chain_id": "alpha-simnet-7", "sender": me, "nonce": 3, "fee": 10_000}
    body |= {"msgs": (bank_send(me, 10**6),), "client_tx_id": "c-1"}
    tx = _set(_signed(body), *BREAKS[name])
    with pytest.raises(TxError):
        decode_tx(tx, "ax")
    checksum_only = name == "an address with a bad checksum"  # `format: bech32` says it
    assert _tx_validator("alpha").is_valid(tx) == checksum_only
