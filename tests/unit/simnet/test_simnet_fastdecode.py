"""The cached fast path never accepts what `decode_tx` refuses, and builds the same tx."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from botruntime.chain.tx import TxBody, TxError, bank_multisend, bank_send, decode_tx, sign_tx
from botruntime.identity import Identity
from simnet._fastdecode import FastDecoder

ME, PEER = Identity.derive("fast", 0), Identity.derive("fast", 1)

MUTATIONS: list[tuple[str, Any]] = [
    ("body.nonce", -1),
    ("body.nonce", 2**64),
    ("body.nonce", True),
    ("body.nonce", 1.0),
    ("body.fee", "0100"),
    ("body.fee", "1e3"),
    ("body.fee", 100),
    ("body.fee", str(2**128)),
    ("body.memo", "é" * 200),
    ("body.memo", "\ud800"),
    ("body.memo", "x" * 257),
    ("body.memo", None),
    ("body.chain_id", 7),
    ("body.client_tx_id", ""),
    ("body.client_tx_id", "x" * 65),
    ("body.client_tx_id", None),
    ("body.extra", 1),
    ("body.sender", PEER.delta_address),
    ("body.sender", ME.alpha_address.upper()),
    ("body.msgs", []),
    ("body.msgs", "bank.send"),
    ("msg.type", "bank.burn"),
    ("msg.amount", "-1"),
    ("msg.amount", 5),
    ("msg.denom", "XYZ"),
    ("msg.to", ME.alpha_address[:-1] + "q"),
    ("msg.extra", "x"),
    ("pubkey", "A" * 43 + "="),
    ("pubkey", "not base64!"),
    ("signature", "AAAA"),
    ("extra", 1),
    ("body", []),
]


def _wire(nonce: int, fee: int, memo: str, client_tx_id: str | None, multi: bool) -> dict[str, Any]:
    msg = (
        bank_multisend([(PEER.alpha_address, "AX", 10**6), (ME.alpha_address, "sAX", 1)])
        if multi
        else bank_send(PEER.alpha_address, 10**6)
    )
    body = TxBody("alpha-simnet-1", ME.alpha_address, nonce, fee, (msg,), memo, 0, client_tx_id)
    return copy.deepcopy(sign_tx(ME, body).to_wire())


def _strict(raw: object) -> Any:
    try:
        return decode_tx(raw)
    except TxError:
        return None


def _same(a: Any, b: Any) -> bool:
    return (a.body, a.pubkey, a.signature) == (b.body, b.pubkey, b.signature)


def _mutate(wire: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    where, _, name = path.rpartition(".")
    target = {"": wire, "body": wire["body"], "msg": wire["body"]["msgs"][0]}[where]
    target[name] = value
    return wire


@settings(max_examples=150, deadline=None)
@given(
    nonce=st.integers(0, 2**64 - 1),
    fee=st.integers(0, 2**128 - 1),
    memo=st.text(max_size=20),
    client_tx_id=st.none() | st.text(min_size=1, max_size=64),
    multi=st.booleans(),
    mutation=st.none() | st.sampled_from(MUTATIONS),
)
def test_fast_and_strict_decoding_agree(
    nonce: int,
    fee: int,
    memo: str,
    client_tx_id: str | None,
    multi: bool,
    mutation: tuple[str, Any] | None,
) -> None:
    fast = FastDecoder()
    fast.learn(decode_tx(_wire(0, 1, "", None, multi)))  # the addresses are known
    wire = _wire(nonce, fee, memo, client_tx_id, multi)
    if mutation is not None:
        wire = _mutate(wire, *mutation)
    strict, quick = _strict(wire), fast.decode(wire)
    assert quick is None or (strict is not None and _same(quick, strict))
    if mutation is None and memo.isascii() and (client_tx_id or "a").isascii():
        assert quick is not None and _same(quick, strict)


def test_unknown_addresses_go_to_the_strict_decoder() -> None:
    assert FastDecoder().decode(_wire(0, 1, "", None, False)) is None
