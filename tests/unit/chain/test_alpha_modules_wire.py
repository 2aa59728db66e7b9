"""The typed Alpha and bridge calls over a scripted fake transport: the exact message each call
signs (decoded by the protocol's own strict decoder), the paths the reads ask, and the models'
refusal of answers that break the protocol. The same calls against simnet live in
tests/integration/chain/test_alpha_modules_client.py."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from random import Random
from typing import Any

import pytest
from test_alpha import ALICE, BOB, echo_hash, sent_tx

from botruntime.chain.alpha import HttpAlphaClient
from botruntime.chain.bridge_models import BridgeTransfer
from botruntime.chain.delta import HttpDeltaClient
from botruntime.chain.errors import ProtocolViolation
from botruntime.chain.testing import Handler, MockTransport, Request, answer, replies
from botruntime.chain.tx import Msg, decode_tx, verify_tx
from botruntime.identity import AddressError, Identity

pytestmark = pytest.mark.anyio

OPERATOR = Identity.derive("unit", 7)
V = OPERATOR.alpha_address


def alpha(handler: Handler = echo_hash) -> tuple[HttpAlphaClient, MockTransport]:
    transport = MockTransport(handler)
    return HttpAlphaClient(transport=transport, chain_id="alpha-simnet-1", rng=Random(1)), transport


def signed_msg(transport: MockTransport, hrp: str = "ax") -> tuple[Msg, int, int, str]:
    """The one message of the tx sent, decoded strictly and verified, with nonce, fee, mode."""
    request = transport.requests[-1]
    assert (request.method, request.path) == ("POST", "/txs")
    sent = sent_tx(request)
    tx = decode_tx(sent["tx"])  # any prefix: a bridge message names the other chain's address
    verify_tx(tx, hrp)
    (msg,) = tx.body.msgs
    return msg, tx.body.nonce, tx.body.fee, sent["mode"]


CALLS: list[tuple[Callable[[HttpAlphaClient], Awaitable[Any]], Msg]] = [
    (
        lambda c: c.delegate(ALICE, V, 5 * 10**6, nonce=3, fee=5_000),
        {"type": "staking.delegate", "validator": V, "amount": "5000000"},
    ),
    (
        lambda c: c.undelegate(ALICE, V, 7, nonce=3, fee=5_000),
        {"type": "staking.undelegate", "validator": V, "amount": "7"},
    ),
    (
        lambda c: c.redelegate(ALICE, V, BOB.alpha_address, 9, nonce=3, fee=5_000),
        {
            "type": "staking.redelegate",
            "src_validator": V,
            "dst_validator": BOB.alpha_address,
            "amount": "9",
        },
    ),
    (
        lambda c: c.withdraw_rewards(ALICE, V, nonce=3, fee=5_000),
        {"type": "distribution.withdraw_rewards", "validator": V},
    ),
    (
        lambda c: c.withdraw_commission(ALICE, nonce=3, fee=5_000),
        {"type": "distribution.withdraw_commission"},
    ),
    (
        lambda c: c.edit_validator(ALICE, 60_000, nonce=3, fee=5_000),
        {"type": "validator.edit", "commission_ppm": 60_000},
    ),
    (
        lambda c: c.submit_proposal(ALICE, "fees", 10, "min_fee_base", 600, nonce=3, fee=5_000),
        {
            "type": "gov.submit_proposal",
            "title": "fees",
            "param": "min_fee_base",
            "value": "600",
            "deposit": "10",
        },
    ),
    (
        lambda c: c.submit_proposal(ALICE, "text", 10, nonce=3, fee=5_000),
        {"type": "gov.submit_proposal", "title": "text", "param": "", "value": "", "deposit": "10"},
    ),
    (
        lambda c: c.deposit(ALICE, 2, 11, nonce=3, fee=5_000),
        {"type": "gov.deposit", "proposal_id": 2, "amount": "11"},
    ),
    (
        lambda c: c.vote(ALICE, 2, {"yes": 700_000, "no": 300_000}, nonce=3, fee=5_000),
        {"type": "gov.vote", "proposal_id": 2, "option": "yes:700000,no:300000"},
    ),
    (
        lambda c: c.bridge_lock(ALICE, BOB.delta_address, 12, withhold=True, nonce=3, fee=5_000),
        {"type": "bridge.lock", "to": BOB.delta_address, "amount": "12", "withhold": True},
    ),
]


@pytest.mark.parametrize(("call", "expected"), CALLS, ids=[str(m["type"]) for _, m in CALLS])
async def test_each_call_signs_exactly_its_message(
    call: Callable[[HttpAlphaClient], Awaitable[Any]], expected: Msg
) -> None:
    client, transport = alpha()
    result = await call(client)
    msg, nonce, fee, mode = signed_msg(transport)
    assert msg == expected
    assert (nonce, fee, mode, result.code) == (3, 5_000, "sync", "ok")


async def test_commit_mode_and_a_timeout_height_reach_the_node() -> None:
    client, transport = alpha()
    await client.delegate(ALICE, V, 1, nonce=0, fee=5_000, mode="commit", timeout_height=40)
    tx = decode_tx(sent_tx(transport.requests[-1])["tx"])
    assert tx.body.timeout_height == 40
    assert signed_msg(transport)[3] == "commit"


async def test_bad_arguments_are_refused_before_any_request() -> None:
    client, transport = alpha(replies())
    with pytest.raises(AddressError):
        await client.delegate(ALICE, BOB.delta_address, 1, nonce=0, fee=5_000)
    with pytest.raises(AddressError):  # a lock pays a Delta address
        await client.bridge_lock(ALICE, BOB.alpha_address, 1, nonce=0, fee=5_000)
    with pytest.raises(ValueError, match="proposal_id"):
        await client.vote(ALICE, -1, "yes", nonce=0, fee=5_000)
    assert transport.requests == []


def transfer_wire(attestation: str | None) -> dict[str, Any]:
    return {
        "id": "ax-4",
        "direction": "a2d",
        "sender": ALICE.alpha_address,
        "recipient": BOB.delta_address,
        "amount": "12",
        "source_height": 5,
        "timeout_height": 55,
        "withhold": True,
        "status": "pending",
        "mints": 0,
        "refunds": 0,
        "claim_height": 0,
        "refund_height": 0,
        "source_chain": "alpha-simnet-1",
        "destination_chain": "delta-simnet-1",
        "attestation": attestation,
    }


async def test_a_claim_carries_the_transfer_read_on_delta() -> None:
    def node(request: Request) -> Any:
        return answer(transfer_wire("0:c2ln")) if request.method == "GET" else echo_hash(request)

    transport = MockTransport(node)
    delta = HttpDeltaClient(transport=transport, chain_id="delta-simnet-1")
    transfer = await delta.bridge_transfer("ax-4")
    assert transfer.claimable and transfer.amount == 12
    await delta.bridge_claim(ALICE, transfer, nonce=1, fee=5_000)
    msg = signed_msg(transport, hrp="dx")[0]
    assert transport.requests[0].path == "/bridge/transfers/ax-4"
    assert msg == {
        "type": "bridge.claim",
        "transfer_id": "ax-4",
        "recipient": BOB.delta_address,
        "amount": "12",
        "attestation": "0:c2ln",
    }


async def test_a_claim_without_attestation_and_a_burn_to_delta_are_refused_locally() -> None:
    transport = MockTransport(replies())
    delta = HttpDeltaClient(transport=transport, chain_id="delta-simnet-1")
    unsigned = BridgeTransfer.from_wire(transfer_wire(None), "test")
    with pytest.raises(ValueError, match="no attestation yet"):
        await delta.bridge_claim(ALICE, unsigned, nonce=1, fee=5_000)
    with pytest.raises(AddressError):
        await delta.bridge_burn(ALICE, BOB.delta_address, 1, nonce=1, fee=5_000)
    assert transport.requests == []


async def test_delegations_name_both_ends_and_amounts_parse() -> None:
    wire = {
        "delegator": ALICE.alpha_address,
        "delegations": [{"validator": V, "shares": "5", "tokens": "6"}],
    }
    client, transport = alpha(replies(answer(wire)))
    (delegation,) = await client.delegations(ALICE.alpha_address, min_height=8)
    assert (delegation.delegator, delegation.validator) == (ALICE.alpha_address, V)
    assert (delegation.shares, delegation.tokens) == (5, 6)
    (request,) = transport.requests
    assert (request.method, request.path, request.min_height) == (
        "GET",
        f"/delegators/{ALICE.alpha_address}/delegations",
        8,
    )


async def test_an_answer_breaking_the_protocol_names_the_endpoint_and_field() -> None:
    proposal = {
        "id": 1,
        "proposer": ALICE.alpha_address,
        "title": "t",
        "param": "",
        "value": "0",
        "status": "voting_period",
        "submit_height": 1,
        "deposit_end": 11,
        "voting_start": 2,
        "voting_end": 17,
        "total_deposit": 10_000_000,  # a number, not the decimal string PROTOCOL.md asks
        "executed_height": 0,
    }
    client, _ = alpha(replies(answer(proposal)))
    with pytest.raises(ProtocolViolation) as caught:
        await client.proposal(1)
    assert "GET /gov/proposals/{id}" in str(caught.value)
    assert "total_deposit" in str(caught.value)


async def test_a_user_reads_the_transfers_it_opened() -> None:
    transport = MockTransport(replies(answer({"transfers": [transfer_wire("0:c2ln")]})))
    delta = HttpDeltaClient(transport=transport, chain_id="delta-simnet-1")
    (mine,) = await delta.bridge_sent(ALICE.alpha_address)
    assert (mine.id, mine.claimable, mine.withhold) == ("ax-4", True, True)
    assert transport.requests[0].path == f"/bridge/senders/{ALICE.alpha_address}/transfers"
    with pytest.raises(ProtocolViolation, match="transfers"):
        await HttpDeltaClient(
            transport=MockTransport(replies(answer({"transfers": [{"id": "ax-4"}]}))),
            chain_id="delta-simnet-1",
        ).bridge_sent(ALICE.alpha_address)
