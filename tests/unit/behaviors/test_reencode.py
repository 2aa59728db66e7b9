"""The re-encodings of A1 variant (c) and (d): each keeps the signature, and the strict decoder
either sees the same tx (same canonical hash) or names the change."""

import json
from decimal import Decimal

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from botruntime.behaviors.adversarial._reencode import (
    ENCODINGS,
    amount_exponent,
    amount_leading_zero,
    cross_chain,
    exponent_form,
    request_bytes,
    reversed_keys,
    spaced_request_bytes,
    with_unknown_field,
)
from botruntime.chain.tx import (
    BadSignature,
    InvalidAmount,
    JsonValue,
    TxBody,
    UnknownField,
    bank_send,
    decode_tx,
    sign_tx,
    tx_hash,
    verify_tx,
)
from botruntime.identity import Identity

ALICE = Identity.derive("reencode-tests", 0)
BOB = Identity.derive("reencode-tests", 1)


def _wire(amount: int = 100) -> dict[str, JsonValue]:
    body = TxBody(
        chain_id="alpha-simnet-1",
        sender=ALICE.alpha_address,
        nonce=3,
        fee=2000,
        msgs=(bank_send(BOB.alpha_address, amount, "AX"),),
        memo="tb:run:0:1",
    )
    return sign_tx(ALICE, body).to_wire()


def _sent(request: bytes) -> JsonValue:
    tx = orjson.loads(request)["tx"]
    assert isinstance(tx, dict)
    return tx


def test_reordered_keys_are_the_same_tx_in_other_bytes() -> None:
    wire = _wire()
    copy = reversed_keys(wire)
    assert request_bytes(copy) != request_bytes(wire)
    assert list(copy) == ["signature", "pubkey", "body"]  # type: ignore[arg-type]
    assert tx_hash(copy) == tx_hash(wire)
    verify_tx(decode_tx(copy, "ax"), "ax")  # the old signature still holds


def test_spaced_request_is_the_same_tx() -> None:
    wire = _wire()
    request = spaced_request_bytes(wire)
    assert b" :\t" in request and b"\n" in request
    assert tx_hash(_sent(request)) == tx_hash(wire)
    assert json.loads(request)["mode"] == "sync"


@pytest.mark.parametrize("reencode", [amount_leading_zero, amount_exponent])
def test_a_rewritten_amount_is_refused_by_the_decoder(reencode: object) -> None:
    wire = _wire(100)
    assert callable(reencode)
    copy = reencode(wire)
    amount = copy["body"]["msgs"][0]["amount"]
    assert amount in {"0100", "1e2"}
    assert wire["body"]["msgs"][0]["amount"] == "100"  # type: ignore[call-overload,index]
    with pytest.raises(InvalidAmount) as caught:
        decode_tx(copy, "ax")
    assert caught.value.code == "invalid_amount"


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=0, max_value=10**30))
def test_exponent_form_is_the_same_integer(amount: int) -> None:
    text = exponent_form(str(amount))
    assert "e" in text and Decimal(text) == amount
    assert text != str(amount)


def test_exponent_form_examples() -> None:
    assert [exponent_form(a) for a in ("100", "57000000", "57", "0")] == [
        "1e2",
        "57e6",
        "57e0",
        "0e0",
    ]


def test_an_added_field_is_refused_as_unknown() -> None:
    copy = with_unknown_field(_wire())
    with pytest.raises(UnknownField) as caught:
        decode_tx(copy, "ax")
    assert caught.value.code == "unknown_field" and "priority" in str(caught.value)


def test_every_named_encoding_produces_a_request_for_the_same_signature() -> None:
    wire = _wire()
    for name, encode in ENCODINGS.items():
        sent = _sent(encode(wire))
        assert isinstance(sent, dict), name
        assert sent["signature"] == wire["signature"], name


def test_cross_chain_reencodes_addresses_under_the_other_prefix() -> None:
    wire = _wire()
    copy = cross_chain(
        wire,
        src_hrp="ax",
        dst_hrp="dx",
        dst_chain_id="delta-simnet-1",
        addresses=True,
        chain_id=False,
    )
    body = copy["body"]
    assert isinstance(body, dict)
    assert body["sender"] == ALICE.delta_address
    assert body["msgs"][0]["to"] == BOB.delta_address  # type: ignore[index,call-overload]
    assert body["chain_id"] == "alpha-simnet-1"
    assert wire["body"]["sender"] == ALICE.alpha_address  # type: ignore[call-overload,index]
    # a Delta node decodes it, and the signature (over the ax body) does not hold there
    with pytest.raises(BadSignature):
        verify_tx(decode_tx(copy, "dx"), "dx")


def test_cross_chain_can_swap_only_the_chain_id() -> None:
    copy = cross_chain(
        _wire(),
        src_hrp="ax",
        dst_hrp="dx",
        dst_chain_id="delta-simnet-1",
        addresses=False,
        chain_id=True,
    )
    body = copy["body"]
    assert isinstance(body, dict)
    assert body["chain_id"] == "delta-simnet-1" and body["sender"] == ALICE.alpha_address
    unchanged = cross_chain(
        _wire(), src_hrp="ax", dst_hrp="dx", dst_chain_id="x", addresses=False, chain_id=False
    )
    assert unchanged == _wire()
