"""Wire dicts become models at the edge; anything else names the endpoint and the field."""

import pytest

from botruntime.chain.errors import ProtocolViolation
from botruntime.chain.models import (
    Account,
    Block,
    BlockTx,
    Params,
    Status,
    SubmitResult,
    TxStatus,
    balances_from_wire,
)

STATUS = {
    "chain_id": "alpha-simnet-1",
    "node_id": "alpha-0",
    "height": 3,
    "time": "2025-11-25T12:00:00Z",
    "catching_up": False,
    "block_time_ms": 1000,
}


def test_status_round_trip() -> None:
    status = Status.from_wire(STATUS)
    assert (status.chain_id, status.height, status.catching_up, status.block_time_ms) == (
        "alpha-simnet-1",
        3,
        False,
        1000,
    )


@pytest.mark.parametrize(
    ("model", "wire", "field"),
    [
        (Status, {**STATUS, "height": "3"}, "height"),
        (Status, {**STATUS, "catching_up": 0}, "catching_up"),
        (Account, {"address": "ax1", "nonce": 0, "pubkey": None, "balances": {"AX": 5}}, "AX"),
        (Account, {"address": "ax1", "nonce": True, "pubkey": None, "balances": {}}, "nonce"),
        (Account, {"address": "ax1", "nonce": 0, "pubkey": 7, "balances": {}}, "pubkey"),
        (Block, {"height": 1, "time": "t", "hash": "h", "prev_hash": "p", "txs": [1]}, "txs"),
        (TxStatus, {"hash": "H", "status": "lost"}, "status"),
        (SubmitResult, {"hash": "H", "code": "ok"}, "status"),
        (SubmitResult, [], "object"),
    ],
)
def test_shapes_outside_the_protocol_name_the_field(model: type, wire: object, field: str) -> None:
    with pytest.raises(ProtocolViolation, match=field):
        model.from_wire(wire)


def test_amounts_are_ints_and_leading_zeros_are_refused() -> None:
    account = Account.from_wire(
        {"address": "ax1", "nonce": 2, "pubkey": "AAAA", "balances": {"AX": "0", "sAX": "12"}}
    )
    assert account.balances == {"AX": 0, "sAX": 12}
    with pytest.raises(ProtocolViolation, match=r"balances\.AX"):
        balances_from_wire({"AX": "012"})
    assert balances_from_wire({"balances": {"DX": "7"}}) == {"DX": 7}
    assert balances_from_wire({"DX": "7"}) == {"DX": 7}


def test_params_read_integers_and_name_the_known_ones() -> None:
    params = Params.from_wire({"min_fee": "2000", "max_txs": 500, "name": "x"})
    assert params.integer("min_fee") == 2000 and params.integer("max_txs") == 500
    with pytest.raises(KeyError, match="min_fee"):
        params.integer("name")


def test_a_tx_failed_in_its_block_is_included_a_dropped_one_is_not() -> None:
    failed = {"hash": "H", "status": "failed", "height": 7, "code": "slippage_exceeded"}
    in_block = TxStatus.from_wire(failed)
    assert (in_block.final, in_block.included, in_block.code) == (True, True, "slippage_exceeded")
    dropped = TxStatus.from_wire({"hash": "H", "status": "failed", "code": "bad_nonce"})
    assert (dropped.final, dropped.included) == (True, False)
    assert TxStatus.from_wire({"hash": "H", "status": "committed", "height": 7}).included
    assert not TxStatus.from_wire({"hash": "H", "status": "pending"}).included


def test_block_txs_carry_their_outcome() -> None:
    tx = {"body": {"nonce": 0}, "pubkey": "P", "signature": "S"}
    entry = BlockTx.from_wire({"hash": "H", "index": 2, "tx": tx, "code": "margin_insufficient"})
    assert (entry.hash, entry.index, entry.tx, entry.ok) == ("H", 2, tx, False)
    assert BlockTx.from_wire({"hash": "H", "index": 0, "tx": tx}).ok  # no code: took effect
    with pytest.raises(ProtocolViolation, match="'code'"):
        BlockTx.from_wire({"hash": "H", "index": 0, "tx": tx, "code": 1})
    with pytest.raises(ProtocolViolation, match="'tx'"):
        BlockTx.from_wire({"hash": "H", "index": 0, "tx": "raw"})
