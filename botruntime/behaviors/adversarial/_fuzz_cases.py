"""Malformed requests derived from the wire schema (A4 `malformed_fuzz`), one per case seed.

A case is a pure function of its 64-bit seed and the `Schema` of the node it goes to (chain id,
prefix, denoms, limits and fees from `GET /params`; the `GET` endpoints and their parameters
from `GET /openapi.json`; the message shapes from `MSG_SCHEMAS`), the signing key and the
account's nonce: `derive_case(seed, schema, signer, nonce)` gives the same bytes again, so a
case named in a report (`FuzzCase.id`, e.g. `numeric/negative@3f2a9c0d11e4b7a2`) is replayed
by its seed. Seeds come from the fleet's seeded rng.

Every transaction case is signed by the fuzzer's own key over the body it sends (unless the
signature is what is broken): the decoder, not the signature check, must refuse it. A tx case
goes to `POST /txs`, or one in five to `POST /txs/simulate`. Families
and their weights follow SCENARIOS.md A4; the inputs that test size limits (memo, tx and body
size, nesting depth) form their own `size` family so that criterion C4 reads them apart:

- `signature` 20: bit flip, another key's signature or public key, empty, truncated, signed
  over the other chain's sign-doc;
- `encoding` 15: truncated JSON, duplicate keys, unknown fields (body, message, envelope),
  invalid UTF-8, a raw NUL byte, a JSON number where a string goes;
- `numeric` 15: amounts -1, 0, 2^256, "1.5", "1e6", "+5", " 5", "05", "NaN", empty; fee -1
  and 2^256; nonce -1, 2^64 and "0";
- `address` 10: the other chain's prefix, bad checksum, mixed case, empty, 1 KB long, a
  sender that is not the signer's;
- `semantic` 15: unknown denom, zero and negative fee, a fee denominated ("2000AX"),
  nonce 2^64 - 1, a timeout height already past, another chain id;
- `message` 10: unknown type, no messages, another chain's message, a message of
  `MSG_SCHEMAS` with a field missing, a field of the wrong kind, or an extra field;
- `size` 5: memo one byte over the limit, a tx over `max_tx_bytes`, a body over
  `max_body_bytes` (2 MiB), 10,000-deep nesting;
- `query` 10: each `GET` endpoint of the OpenAPI document with parameters, a malformed value
  per parameter kind (negative, huge, fractional or non-numeric integers; garbage cursors,
  path traversal, homoglyph and 1 KB strings).

Left out, because PROTOCOL.md allows them (a node accepting them is right): a wrong
`Content-Type` on a valid body, a self-send, a NUL written as the JSON escape `\\u0000`.
"""

from __future__ import annotations

import base64
import copy
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Literal
from urllib.parse import quote

from botruntime.behaviors.adversarial._reencode import exponent_form, request_bytes
from botruntime.chain.tx import MSG_SCHEMAS, JsonValue, canonical_json
from botruntime.identity import Identity, address_from_pubkey, parse_address

__all__ = [
    "FAMILIES",
    "FuzzCase",
    "QueryParam",
    "QueryRoute",
    "Schema",
    "derive_case",
    "query_routes",
    "variants",
]

Family = Literal[
    "signature", "encoding", "numeric", "address", "semantic", "message", "size", "query"
]
FAMILIES: Final[Mapping[Family, int]] = {
    "signature": 20,
    "encoding": 15,
    "numeric": 15,
    "address": 10,
    "semantic": 15,
    "message": 10,
    "size": 5,
    "query": 10,
}
"""Family -> weight (SCENARIOS.md A4; `size` is taken out of encoding 20 and semantic 15)."""

# where a tx case goes: mostly POST /txs, one in five to POST /txs/simulate (the same checks,
# nothing admitted: a 2xx there says the node would have taken it)
_TX_PATHS: Final = ("/txs", "/txs", "/txs", "/txs", "/txs/simulate")
_PAYMENT: Final = 1_000_000  # 1 whole token: above the dust limit, far below any funding
_DEEP: Final = 10_000
_BIG_BODY: Final = 2 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class QueryParam:
    name: str
    where: Literal["path", "query"]
    kind: Literal["integer", "string"]


@dataclass(frozen=True, slots=True)
class QueryRoute:
    """One `GET` endpoint of the OpenAPI document that takes parameters."""

    path: str  # the template, e.g. /blocks/{height}
    params: tuple[QueryParam, ...]


@dataclass(frozen=True, slots=True)
class Schema:
    """What cases are derived from: one node's chain as `GET /params` and `/openapi.json`
    describe it, and the other chain's id and prefix (for cross-chain cases)."""

    chain_id: str
    hrp: str
    native: str
    denoms: tuple[str, ...]
    other_chain_id: str
    other_hrp: str
    min_fee_base: int
    min_fee_per_byte: int
    max_tx_bytes: int
    max_body_bytes: int
    max_memo_bytes: int
    routes: tuple[QueryRoute, ...] = ()

    def fee(self, size: int) -> int:
        """Twice the minimum fee of a `size`-byte tx: a case is never refused for its fee
        alone unless the fee is what the case breaks."""
        return 2 * (self.min_fee_base + self.min_fee_per_byte * size)


@dataclass(frozen=True, slots=True)
class FuzzCase:
    """One malformed request. `must_reject`: any 2xx answer is a finding (False only for
    boundary queries a node may answer, e.g. a limit it clamps)."""

    family: Family
    variant: str
    seed: int
    method: Literal["GET", "POST"]
    path: str
    body: bytes | None
    must_reject: bool = True

    @property
    def id(self) -> str:
        """`<family>/<variant>@<seed hex>`: names the case in evidence and replays it."""
        return f"{self.family}/{self.variant}@{self.seed:016x}"


def query_routes(document: Mapping[str, JsonValue]) -> tuple[QueryRoute, ...]:
    """The `GET` endpoints of an OpenAPI document that take parameters, outside the simnet
    control plane (`/simnet/*`, absent on real networks) and the event stream (it holds the
    connection open by design)."""
    paths = document.get("paths")
    routes: list[QueryRoute] = []
    for path, item in sorted(paths.items()) if isinstance(paths, dict) else ():
        if path.startswith(("/simnet/", "/events/")) or not isinstance(item, dict):
            continue
        op = item.get("get")
        raw = op.get("parameters") if isinstance(op, dict) else None
        params: list[QueryParam] = []
        for p in raw if isinstance(raw, list) else ():
            if not isinstance(p, dict) or p.get("in") not in ("path", "query"):
                continue
            schema = p.get("schema")
            kind = schema.get("type") if isinstance(schema, dict) else None
            params.append(
                QueryParam(
                    str(p.get("name")),
                    "path" if p.get("in") == "path" else "query",
                    "integer" if kind == "integer" else "string",
                )
            )
        if params:
            routes.append(QueryRoute(path, tuple(params)))
    return tuple(routes)


# ---- building blocks ------------------------------------------------------------------------


class _Build:
    """The valid tx a case starts from, and the ways to finish it as bytes."""

    def __init__(self, rng: random.Random, schema: Schema, signer: Identity, nonce: int) -> None:
        self.rng = rng
        self.schema = schema
        self.signer = signer
        # a fresh payee derived from the case: a case never pays another bot of the run
        self.payee = address_from_pubkey(rng.randbytes(32), schema.hrp)
        self.body: dict[str, JsonValue] = {
            "chain_id": schema.chain_id,
            "sender": signer.address(schema.hrp),
            "nonce": nonce,
            "fee": str(schema.fee(640)),
            "msgs": [
                {
                    "type": "bank.send",
                    "to": self.payee,
                    "denom": schema.native,
                    "amount": str(_PAYMENT),
                }
            ],
            "memo": "tb-fuzz",
            "timeout_height": 0,
        }

    @property
    def msg(self) -> dict[str, JsonValue]:
        msgs = self.body["msgs"]
        assert isinstance(msgs, list) and isinstance(msgs[0], dict)
        return msgs[0]

    def tx(self, signed_body: JsonValue | None = None) -> dict[str, JsonValue]:
        """The tx with `body`, signed over `signed_body` (default: the body itself)."""
        sign_over = self.body if signed_body is None else signed_body
        return {
            "body": self.body,
            "pubkey": _b64(self.signer.public_key),
            "signature": _b64(self.signer.sign(canonical_json(sign_over))),
        }

    def request(self, tx: JsonValue | None = None) -> bytes:
        return request_bytes(self.tx() if tx is None else tx)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _other_key(rng: random.Random) -> Identity:
    return Identity.from_seed(rng.randbytes(32))


def _bad_checksum(address: str) -> str:
    last = address[-1]
    return address[:-1] + ("q" if last != "q" else "p")


Variant = Callable[[_Build], bytes]


# ---- signature ------------------------------------------------------------------------------


def _sig_bitflip(b: _Build) -> bytes:
    tx = b.tx()
    raw = bytearray(base64.b64decode(str(tx["signature"])))
    bit = b.rng.randrange(len(raw) * 8)
    raw[bit // 8] ^= 1 << (bit % 8)
    tx["signature"] = _b64(bytes(raw))
    return b.request(tx)


def _sig_other_key(b: _Build) -> bytes:
    tx = b.tx()
    tx["signature"] = _b64(_other_key(b.rng).sign(canonical_json(b.body)))
    return b.request(tx)


def _sig_other_pubkey(b: _Build) -> bytes:
    tx = b.tx()
    tx["pubkey"] = _b64(_other_key(b.rng).public_key)
    return b.request(tx)


def _sig_empty(b: _Build) -> bytes:
    tx = b.tx()
    tx["signature"] = ""
    return b.request(tx)


def _sig_truncated(b: _Build) -> bytes:
    tx = b.tx()
    tx["signature"] = _b64(base64.b64decode(str(tx["signature"]))[: b.rng.randrange(1, 64)])
    return b.request(tx)


def _sig_other_chain(b: _Build) -> bytes:
    doc = copy.deepcopy(b.body)
    doc["chain_id"] = b.schema.other_chain_id
    return b.request(b.tx(signed_body=doc))


# ---- encoding -------------------------------------------------------------------------------


def _enc_truncated(b: _Build) -> bytes:
    raw = b.request()
    return raw[: b.rng.randrange(1, len(raw) - 1)]


def _enc_duplicate_key(b: _Build) -> bytes:
    """The signed amount, then the same key again with ten times it: a decoder that keeps
    the last value reads a body that was never signed."""
    raw = b.request()
    signed = f'"amount":"{_PAYMENT}"'.encode()
    return raw.replace(signed, signed + f',"amount":"{_PAYMENT * 10}"'.encode(), 1)


def _enc_unknown_body_field(b: _Build) -> bytes:
    b.body[b.rng.choice(("priority", "gas", "Fee", "chain_id_"))] = b.rng.choice((1, "1", True))
    return b.request()


def _enc_unknown_msg_field(b: _Build) -> bytes:
    b.msg[b.rng.choice(("from", "memo", "Amount", "extra"))] = "1"
    return b.request()


def _enc_unknown_envelope_field(b: _Build) -> bytes:
    tx = b.tx()
    tx["signatures"] = [tx["signature"]]
    return b.request(tx)


def _enc_invalid_utf8(b: _Build) -> bytes:
    return b.request().replace(b'"tb-fuzz"', b'"tb-\xff\xfe"', 1)


def _enc_nul_byte(b: _Build) -> bytes:
    return b.request().replace(b'"tb-fuzz"', b'"tb-\x00"', 1)


def _enc_number_not_string(b: _Build) -> bytes:
    b.msg["amount"] = _PAYMENT
    return b.request()


# ---- numeric --------------------------------------------------------------------------------

_BAD_AMOUNTS: Final[Mapping[str, str]] = {
    "negative": "-1000000",
    "zero": "0",
    "2^256": str(2**256),
    "fraction": "1000000.5",
    "exponent": exponent_form(str(_PAYMENT)),  # the same integer: "1e6"
    "plus": "+1000000",
    "space": " 1000000",
    "leading_zero": "01000000",
    "nan": "NaN",
    "empty": "",
}


def _numeric_amount(name: str) -> Variant:
    def variant(b: _Build) -> bytes:
        b.msg["amount"] = _BAD_AMOUNTS[name]
        return b.request()

    return variant


def _numeric_field(field: str, value: JsonValue) -> Variant:
    def variant(b: _Build) -> bytes:
        b.body[field] = value
        return b.request()

    return variant


# ---- address --------------------------------------------------------------------------------


def _addr_to(make: Callable[[_Build], str]) -> Variant:
    def variant(b: _Build) -> bytes:
        b.msg["to"] = make(b)
        return b.request()

    return variant


def _other_prefix(b: _Build) -> str:
    return parse_address(b.payee, b.schema.hrp).encode(b.schema.other_hrp)


def _mixed_case(b: _Build) -> str:
    chars = list(b.payee)
    i = b.rng.randrange(len(b.schema.hrp) + 1, len(chars))
    while not chars[i].isalpha():
        i = (i + 1) % len(chars)
    chars[i] = chars[i].upper()
    return "".join(chars)


def _addr_foreign_sender(b: _Build) -> bytes:
    b.body["sender"] = address_from_pubkey(b.rng.randbytes(32), b.schema.hrp)
    return b.request()


# ---- semantic -------------------------------------------------------------------------------


def _sem_unknown_denom(b: _Build) -> bytes:
    b.msg["denom"] = b.rng.choice(("ZZ", "ax", "uAX", "AX ", "bAXX"))
    return b.request()


def _sem_past_timeout(b: _Build) -> bytes:
    b.body["timeout_height"] = 1
    return b.request()


def _sem_wrong_chain(b: _Build) -> bytes:
    b.body["chain_id"] = b.rng.choice((b.schema.other_chain_id, b.schema.chain_id + "x", ""))
    return b.request()


# ---- message --------------------------------------------------------------------------------


def _msg_unknown_type(b: _Build) -> bytes:
    b.msg["type"] = b.rng.choice(("bank.mint", "bank.Send", "bank", ""))
    return b.request()


def _msg_empty(b: _Build) -> bytes:
    b.body["msgs"] = []
    return b.request()


def _msg_other_chain(b: _Build) -> bytes:
    """A message of the other chain's modules (e.g. a DEX swap sent to Alpha)."""
    theirs = "dex.swap" if b.schema.hrp == "ax" else "staking.delegate"
    b.body["msgs"] = [_valid_msg(theirs, b)]
    return b.request()


_KIND_VALUES: Final[Mapping[str, JsonValue]] = {
    "address": "",
    "denom": 7,
    "amount": 1000000,
    "uint": "1",
    "str": 1,
    "bool": "true",
    "outputs": {},
}


def _valid_msg(kind: str, b: _Build) -> dict[str, JsonValue]:
    sample: Mapping[str, JsonValue] = {
        "address": b.payee,
        "denom": b.schema.native,
        "amount": str(_PAYMENT),
        "uint": 1,
        "str": "x",
        "bool": False,
        "outputs": [{"to": b.payee, "denom": b.schema.native, "amount": str(_PAYMENT)}],
    }
    msg: dict[str, JsonValue] = {"type": kind}
    for field, field_kind in MSG_SCHEMAS[kind].items():
        msg[field] = sample[field_kind]
    return msg


def _schema_msg(how: Literal["missing", "wrong_kind", "extra"]) -> Variant:
    """A message of `MSG_SCHEMAS` broken in one field: the decoder checks every type's shape."""

    def variant(b: _Build) -> bytes:
        kinds = [k for k, fields in sorted(MSG_SCHEMAS.items()) if fields or how == "extra"]
        kind = b.rng.choice(kinds)
        msg = _valid_msg(kind, b)
        fields = sorted(MSG_SCHEMAS[kind])
        if how == "extra":
            msg["x_" + b.rng.choice(("note", "from", "priority"))] = "1"
        else:
            field = b.rng.choice(fields)
            if how == "missing":
                del msg[field]
            else:
                msg[field] = _KIND_VALUES[MSG_SCHEMAS[kind][field]]
        b.body["msgs"] = [msg]
        return b.request()

    return variant


# ---- size -----------------------------------------------------------------------------------


def _size_memo(b: _Build) -> bytes:
    b.body["memo"] = "m" * (b.schema.max_memo_bytes + 1)
    b.body["fee"] = str(b.schema.fee(1024))
    return b.request()


def _size_tx(b: _Build) -> bytes:
    """A multisend whose canonical tx is just over `max_tx_bytes`, paying the fee its size
    needs: only the size limit can refuse it."""
    output: JsonValue = {"to": b.payee, "denom": b.schema.native, "amount": str(_PAYMENT)}
    outputs = b.schema.max_tx_bytes // (len(canonical_json(output)) + 1) + 1
    b.body["msgs"] = [{"type": "bank.multisend", "outputs": [output] * outputs}]
    b.body["fee"] = str(b.schema.fee(len(canonical_json(b.body)) + 256))
    return b.request()


def _size_body(b: _Build) -> bytes:
    """A signed tx whose memo makes the request 2 MiB (twice simnet's body limit)."""
    size = max(_BIG_BODY, b.schema.max_body_bytes + 1)
    b.body["memo"] = "m" * size
    b.body["fee"] = str(b.schema.fee(size + 1024))
    return b.request()


def _size_deep(b: _Build) -> bytes:
    raw = b.request()
    deep = b"[" * _DEEP + b"]" * _DEEP
    return raw.replace(b'"tb-fuzz"', deep, 1)


# ---- query ----------------------------------------------------------------------------------

_BAD_INTEGERS: Final[Sequence[tuple[str, str, bool]]] = (
    ("negative", "-1", True),
    ("fraction", "1.5", True),
    ("word", "ten", True),
    ("huge", "9" * 40, True),
    ("1e9", "1000000000", False),  # a boundary, not malformed: a node may clamp a limit
)
_BAD_STRINGS: Final[Sequence[tuple[str, str, bool]]] = (
    ("garbage", "!!@@##", True),
    ("traversal", "../../simnet/vuln", True),
    ("homoglyph", "\u0430x1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq", True),  # Cyrillic a
    ("long", "q" * 1024, True),
    ("nul", "\x00", True),
)


def _query_case(rng: random.Random, schema: Schema, seed: int) -> FuzzCase:
    route = rng.choice(schema.routes)
    param = rng.choice(route.params)
    table = _BAD_INTEGERS if param.kind == "integer" else _BAD_STRINGS
    name, value, must_reject = rng.choice(table)
    path = route.path
    query = ""
    for p in route.params:
        if p.where == "path":
            filled = value if p is param else ("1" if p.kind == "integer" else "x")
            path = path.replace("{" + p.name + "}", quote(filled, safe=""))
    if param.where == "query":
        query = f"?{param.name}={quote(value, safe='')}"
    return FuzzCase("query", f"{param.kind}_{name}", seed, "GET", path + query, None, must_reject)


# ---- the table ------------------------------------------------------------------------------

_TX_VARIANTS: Final[Mapping[Family, Mapping[str, Variant]]] = {
    "signature": {
        "bit_flip": _sig_bitflip,
        "other_key": _sig_other_key,
        "other_pubkey": _sig_other_pubkey,
        "empty": _sig_empty,
        "truncated": _sig_truncated,
        "other_chain_doc": _sig_other_chain,
    },
    "encoding": {
        "truncated_json": _enc_truncated,
        "duplicate_key": _enc_duplicate_key,
        "unknown_body_field": _enc_unknown_body_field,
        "unknown_msg_field": _enc_unknown_msg_field,
        "unknown_envelope_field": _enc_unknown_envelope_field,
        "invalid_utf8": _enc_invalid_utf8,
        "nul_byte": _enc_nul_byte,
        "number_for_string": _enc_number_not_string,
    },
    "numeric": {
        **{f"amount_{name}": _numeric_amount(name) for name in _BAD_AMOUNTS},
        "fee_negative": _numeric_field("fee", "-1"),
        "fee_2^256": _numeric_field("fee", str(2**256)),
        "nonce_negative": _numeric_field("nonce", -1),
        "nonce_2^64": _numeric_field("nonce", 2**64),
        "nonce_string": _numeric_field("nonce", "0"),
    },
    "address": {
        "other_prefix": _addr_to(_other_prefix),
        "bad_checksum": _addr_to(lambda b: _bad_checksum(b.payee)),
        "mixed_case": _addr_to(_mixed_case),
        "empty": _addr_to(lambda b: ""),
        "long": _addr_to(lambda b: b.schema.hrp + "1" + "q" * 1021),
        "foreign_sender": _addr_foreign_sender,
    },
    "semantic": {
        "unknown_denom": _sem_unknown_denom,
        "fee_zero": _numeric_field("fee", "0"),
        "fee_with_denom": _numeric_field("fee", "2000AX"),
        "nonce_max": _numeric_field("nonce", 2**64 - 1),
        "past_timeout": _sem_past_timeout,
        "wrong_chain": _sem_wrong_chain,
    },
    "message": {
        "unknown_type": _msg_unknown_type,
        "empty_list": _msg_empty,
        "other_chain_msg": _msg_other_chain,
        "field_missing": _schema_msg("missing"),
        "field_wrong_kind": _schema_msg("wrong_kind"),
        "field_extra": _schema_msg("extra"),
    },
    "size": {
        "memo_over_limit": _size_memo,
        "tx_over_limit": _size_tx,
        "body_2mib": _size_body,
        "deep_nesting": _size_deep,
    },
}


def variants(family: Family) -> tuple[str, ...]:
    """The variant names of a transaction family (for tests and reports)."""
    return tuple(_TX_VARIANTS[family])


def derive_case(seed: int, schema: Schema, signer: Identity, nonce: int) -> FuzzCase:
    """The case of `seed` against the node `schema` describes, signed by `signer` at `nonce`
    (the account's next nonce, so that only the malformation can be refused)."""
    rng = random.Random(seed)
    families = [f for f in FAMILIES if f != "query" or schema.routes]
    family = rng.choices(families, [FAMILIES[f] for f in families])[0]
    if family == "query":
        return _query_case(rng, schema, seed)
    table = _TX_VARIANTS[family]
    name = rng.choice(sorted(table))
    path = rng.choice(_TX_PATHS)
    body = table[name](_Build(rng, schema, signer, nonce))
    return FuzzCase(family, name, seed, "POST", path, body)
