"""botruntime.chain.tx: PROTOCOL.md's signed transaction, byte for byte, and its strict decoder."""

from __future__ import annotations

import base64
import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from botruntime.chain.tx import (
    MAX_AMOUNT,
    MAX_MEMO_BYTES,
    BadSignature,
    InvalidAddress,
    InvalidAmount,
    JsonValue,
    Malformed,
    Memo,
    SignedTx,
    TxBody,
    TxError,
    TxTooLarge,
    UnknownDenom,
    UnknownField,
    bank_multisend,
    bank_send,
    canonical_json,
    decode_amount,
    decode_tx,
    encode_amount,
    format_memo,
    parse_memo,
    sign_tx,
    tx_hash,
    verify_tx,
)
from botruntime.identity import Identity

VECTORS: list[dict[str, Any]] = json.loads(
    (Path(__file__).parents[2] / "vectors" / "wire_v1.json").read_text(encoding="utf-8")
)["vectors"]

ALICE = Identity.derive("test-tx", 0)
BOB = Identity.derive("test-tx", 1)


def _signed(**overrides: Any) -> SignedTx:
    fields: dict[str, Any] = {
        "chain_id": "alpha-simnet-1",
        "sender": ALICE.alpha_address,
        "nonce": 0,
        "fee": 2000,
        "msgs": (bank_send(BOB.alpha_address, 10**6),),
        "memo": format_memo("run42", 17, 1764079200000000),
    }
    return sign_tx(ALICE, TxBody(**(fields | overrides)))


def _wire() -> dict[str, Any]:
    return copy.deepcopy(_signed().to_wire())


# ---- golden vectors -----------------------------------------------------------------------------


@pytest.mark.parametrize("vec", VECTORS, ids=lambda v: f"{v['run_seed']}/{v['bot_index']}")
def test_code_reproduces_the_golden_vector(vec: dict[str, Any]) -> None:
    decoded = decode_tx(vec["tx"], vec["hrp"])
    assert decoded.body.sign_bytes().hex() == vec["sign_bytes_hex"]
    resigned = sign_tx(Identity.derive(vec["run_seed"], vec["bot_index"]), decoded.body)
    assert base64.b64encode(resigned.signature).decode() == vec["signature_b64"]
    assert resigned.to_wire() == vec["tx"]
    assert resigned.hash == vec["tx_hash"] == tx_hash(vec["tx"])
    verify_tx(resigned, vec["hrp"])


def test_a_body_built_in_code_signs_to_the_first_vector() -> None:
    vec = VECTORS[0]
    wire_body = vec["tx"]["body"]
    msg = wire_body["msgs"][0]
    body = TxBody(
        chain_id="alpha-simnet-1",
        sender=vec["alpha_address"],
        nonce=wire_body["nonce"],
        fee=2000,
        msgs=(bank_send(msg["to"], 1_000_000, "AX"),),
        memo=format_memo("run42", 0, 1764079200000000),
    )
    assert body.sign_bytes().hex() == vec["sign_bytes_hex"]
    assert sign_tx(Identity.derive("run42", 0), body).hash == vec["tx_hash"]


def test_canonical_json_sorts_keys_drops_spaces_and_keeps_utf8() -> None:
    assert canonical_json({"b": 1, "a": ["é", None]}) == '{"a":["é",null],"b":1}'.encode()


# ---- amounts and memos --------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["0", "1", "1000000", str(MAX_AMOUNT)])
def test_canonical_amounts_round_trip(text: str) -> None:
    assert encode_amount(decode_amount(text)) == text


@pytest.mark.parametrize(
    "bad", ["", "01", "-1", "+1", "1e6", "1.0", " 1", "1\n", "\u0661", str(MAX_AMOUNT + 1), 5, None]
)
def test_non_canonical_amounts_are_invalid_amount(bad: object) -> None:
    with pytest.raises(InvalidAmount, match=r"body\.fee") as info:
        decode_amount(bad, "body.fee")
    assert info.value.code == "invalid_amount"


@pytest.mark.parametrize("bad", [-1, MAX_AMOUNT + 1, True, 1.0])
def test_encode_amount_refuses_what_the_wire_cannot_carry(bad: Any) -> None:
    with pytest.raises(InvalidAmount):
        encode_amount(bad)


def test_memo_round_trip_and_foreign_memos() -> None:
    text = format_memo("run42", 17, 1764079200000000)
    assert text == "tb:run42:17:1764079200000000"
    assert parse_memo(text) == Memo("run42", 17, 1764079200000000)
    for foreign in ["", "hello", "tb:run:1", "tb::1:2", "tb:r:x:2", "xx:r:1:2", "tb:r:\u00b2:1"]:
        assert parse_memo(foreign) is None


def test_format_memo_refuses_what_parse_memo_could_not_read() -> None:
    for run_id, index, ts in [("", 0, 0), ("a:b", 0, 0), ("r", -1, 0), ("r", 0, -5)]:
        with pytest.raises(ValueError):
            format_memo(run_id, index, ts)
    with pytest.raises(TxTooLarge):
        format_memo("r" * MAX_MEMO_BYTES, 0, 0)


# ---- verification -------------------------------------------------------------------------------


def test_verify_accepts_the_signer_and_refuses_everyone_else() -> None:
    tx = _signed()
    verify_tx(tx, "ax")
    assert tx.hash == tx_hash(tx.to_wire())
    with pytest.raises(BadSignature, match=r"body\.sender"):
        verify_tx(tx, "dx")  # the sender is not the pubkey's Delta address
    with pytest.raises(BadSignature, match=r"body\.sender"):
        verify_tx(SignedTx(tx.body, BOB.public_key, tx.signature), "ax")
    forged = SignedTx(tx.body, tx.pubkey, BOB.sign(tx.body.sign_bytes()))
    with pytest.raises(BadSignature, match="signature") as info:
        verify_tx(forged, "ax")
    assert info.value.code == "bad_signature"
    with pytest.raises(BadSignature, match="32 bytes"):
        verify_tx(SignedTx(tx.body, tx.pubkey[:31], tx.signature), "ax")


def test_multisend_and_client_tx_id_survive_the_wire() -> None:
    msg = bank_multisend([(BOB.alpha_address, "AX", 1), (ALICE.alpha_address, "sAX", 2)])
    tx = _signed(msgs=(msg,), client_tx_id="idem-1")
    again = decode_tx(json.loads(json.dumps(tx.to_wire())), "ax")
    assert again.to_wire() == tx.to_wire() and again.hash == tx.hash
    verify_tx(again, "ax")


# ---- strict decoding: one case per branch -------------------------------------------------------


def _set(path: tuple[str | int, ...], value: object) -> dict[str, Any]:
    wire: Any = _wire()
    target = wire
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return wire  # type: ignore[no-any-return]


def _drop(path: tuple[str | int, ...]) -> dict[str, Any]:
    wire: Any = _wire()
    target = wire
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return wire  # type: ignore[no-any-return]


REJECTS: list[tuple[str, object, type[TxError], str]] = [
    ("not an object", [], Malformed, "tx"),
    ("extra top field", _set(("extra",), 1), UnknownField, "tx"),
    ("extra body field", _set(("body", "gas"), 1), UnknownField, "body"),
    ("extra msg field", _set(("body", "msgs", 0, "note"), "x"), UnknownField, "body.msgs[0]"),
    ("mixed-type keys", _set(("extra",), 1) | {2: 3}, UnknownField, "tx"),
    ("missing pubkey", _drop(("pubkey",)), Malformed, "tx"),
    ("missing nonce", _drop(("body", "nonce")), Malformed, "body"),
    ("missing amount", _drop(("body", "msgs", 0, "amount")), Malformed, "body.msgs[0]"),
    ("float nonce", _set(("body", "nonce"), 1.0), Malformed, "body.nonce"),
    ("bool nonce", _set(("body", "nonce"), True), Malformed, "body.nonce"),
    ("negative height", _set(("body", "timeout_height"), -1), Malformed, "body.timeout_height"),
    ("empty msgs", _set(("body", "msgs"), []), Malformed, "body.msgs"),
    ("unknown msg", _set(("body", "msgs", 0, "type"), "bank.burn"), Malformed, "body.msgs[0]"),
    ("int fee", _set(("body", "fee"), 2000), InvalidAmount, "body.fee"),
    ("padded amount", _set(("body", "msgs", 0, "amount"), "007"), InvalidAmount, "amount"),
    ("unknown denom", _set(("body", "msgs", 0, "denom"), "BTC"), UnknownDenom, "denom"),
    ("bad to", _set(("body", "msgs", 0, "to"), "ax1nope"), InvalidAddress, "body.msgs[0].to"),
    ("delta sender", _set(("body", "sender"), ALICE.delta_address), InvalidAddress, "sender"),
    ("long memo", _set(("body", "memo"), "é" * 129), TxTooLarge, "body.memo"),
    ("surrogate memo", _set(("body", "memo"), "\ud800"), Malformed, "body.memo"),
    ("null client id", _set(("body", "client_tx_id"), None), Malformed, "client_tx_id"),
    ("long client id", _set(("body", "client_tx_id"), "x" * 65), Malformed, "client_tx_id"),
    ("b64 junk", _set(("pubkey",), "not base64!"), Malformed, "pubkey"),
    ("b64 short", _set(("signature",), base64.b64encode(b"x" * 63).decode()), Malformed, "sig"),
    (
        "b64 urlsafe",
        _set(("pubkey",), base64.urlsafe_b64encode(b"\xff" * 32).decode()),
        Malformed,
        "pubkey",
    ),
]


@pytest.mark.parametrize(
    ("wire", "branch", "where"), [r[1:] for r in REJECTS], ids=[r[0] for r in REJECTS]
)
def test_decode_rejects_with_the_branch_and_path(
    wire: object, branch: type[TxError], where: str
) -> None:
    with pytest.raises(branch) as info:
        decode_tx(wire, "ax")
    assert type(info.value) is branch
    assert where in str(info.value)
    assert info.value.code == branch.code


# ---- properties ---------------------------------------------------------------------------------

utf8_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)

bodies = st.builds(
    lambda seed, nonce, fee, amount, memo, cid, height: (
        Identity.from_seed(seed),
        nonce,
        fee,
        amount,
        memo,
        cid,
        height,
    ),
    st.binary(min_size=32, max_size=32),
    st.integers(0, 2**64 - 1),
    st.integers(0, MAX_AMOUNT),
    st.integers(0, MAX_AMOUNT),
    utf8_text,
    st.none() | st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=64),
    st.integers(0, 2**64 - 1),
)


def _tx_of(drawn: tuple[Identity, int, int, int, str, str | None, int]) -> SignedTx:
    ident, nonce, fee, amount, memo, cid, height = drawn
    body = TxBody(
        chain_id="delta-simnet-1",
        sender=ident.delta_address,
        nonce=nonce,
        fee=fee,
        msgs=(bank_send(BOB.delta_address, amount, "bAX"),),
        memo=memo,
        timeout_height=height,
        client_tx_id=cid,
    )
    return sign_tx(ident, body)


@settings(max_examples=60, deadline=None)
@given(drawn=bodies)
def test_sign_verify_and_wire_round_trip(drawn: Any) -> None:
    tx = _tx_of(drawn)
    verify_tx(tx, "dx")
    again = decode_tx(json.loads(json.dumps(tx.to_wire())), "dx")
    assert again.body == tx.body and again.hash == tx.hash
    verify_tx(again, "dx")


@settings(max_examples=60, deadline=None)
@given(drawn=bodies, data=st.data())
def test_any_changed_byte_of_sign_bytes_or_signature_fails(drawn: Any, data: Any) -> None:
    tx = _tx_of(drawn)
    sign_bytes = tx.body.sign_bytes()
    xor = data.draw(st.integers(1, 255), label="xor")
    i = data.draw(st.integers(0, len(sign_bytes) - 1), label="body byte")
    changed = sign_bytes[:i] + bytes([sign_bytes[i] ^ xor]) + sign_bytes[i + 1 :]
    assert not drawn[0].verify(changed, tx.signature)
    j = data.draw(st.integers(0, 63), label="signature byte")
    bad = tx.signature[:j] + bytes([tx.signature[j] ^ xor]) + tx.signature[j + 1 :]
    with pytest.raises(BadSignature):
        verify_tx(SignedTx(tx.body, tx.pubkey, bad), "dx")
    bumped = TxBody(**{**_fields(tx.body), "nonce": (tx.body.nonce + 1) % 2**64})
    with pytest.raises(BadSignature):
        verify_tx(SignedTx(bumped, tx.pubkey, tx.signature), "dx")


def _fields(body: TxBody) -> dict[str, Any]:
    return {name: getattr(body, name) for name in TxBody.__slots__}


json_like = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=20)
    | st.sampled_from(["\ud800", "ok\udfff"]),  # json.loads makes lone surrogates
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)


def _paths(value: JsonValue, prefix: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, child in value.items():
            out += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            out += _paths(child, (*prefix, index))
    return out


@settings(max_examples=300, deadline=None)
@given(junk=json_like, data=st.data(), hrp=st.sampled_from([None, "ax", "dx"]))
def test_decode_raises_only_tx_errors(junk: JsonValue, data: Any, hrp: str | None) -> None:
    """Pure junk, and a valid tx with one value anywhere replaced by junk."""
    wire = _wire()
    path = data.draw(st.sampled_from(_paths(wire)), label="path")
    target: Any = wire
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = junk
    for candidate in (junk, wire):
        try:
            tx = decode_tx(candidate, hrp)
        except TxError as exc:
            assert exc.code in {
                "malformed",
                "unknown_field",
                "invalid_amount",
                "invalid_address",
                "unknown_denom",
                "tx_too_large",
            }
        else:
            assert tx.to_wire() == candidate  # whatever decodes re-encodes to the same JSON


@pytest.mark.parametrize("memo", ["", "tb:run:3:17", "zahlung für café ☕", 'quote " and \\ back'])
def test_a_signed_txs_hash_and_wire_are_those_of_its_whole_encoded_again(memo: str) -> None:
    """sign_tx reuses the sign bytes for the hash and the body's wire form: same results as
    encoding the whole tx from scratch."""
    me, to = Identity.derive("hash-reuse", 0), Identity.derive("hash-reuse", 1)
    msgs = (bank_send(to.alpha_address, 5),)
    body = TxBody("alpha-simnet-1", me.alpha_address, 7, 2000, msgs, memo=memo)
    signed = sign_tx(me, body)
    again = SignedTx(body, signed.pubkey, signed.signature)  # nothing handed over
    assert signed.to_wire() == again.to_wire()
    assert signed.hash == again.hash == tx_hash(again.to_wire())


def _protocol_bytes(value: object) -> bytes:
    """PROTOCOL.md's definition of the sign bytes, word for word."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)))
_LEAF = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | _TEXT
)
_JSON = st.recursive(
    _LEAF,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(_TEXT, inner, max_size=4)
    ),
    max_leaves=16,
)


@settings(max_examples=2000, deadline=None)
@given(_JSON)
def test_canonical_json_is_the_protocols_encoding_byte_for_byte(value: Any) -> None:
    """The fast path (orjson) and the fallback together give exactly json.dumps' bytes:
    floats (other text in orjson), integers beyond 64 bits and any text included."""
    assert canonical_json(value) == _protocol_bytes(value)


def test_canonical_json_of_what_orjson_would_write_otherwise_is_json_dumps() -> None:
    class Label(str):
        pass

    for value in ({"a": 1e16, "b": float("nan")}, {1: "x"}, [Label("y")], {"n": 2**64}):
        assert canonical_json(value) == _protocol_bytes(value)  # type: ignore[arg-type]
    with pytest.raises(UnicodeEncodeError):  # a lone surrogate is no UTF-8, as before
        canonical_json({"k": "\ud800"})
