"""The chain clients against simnet served in a subprocess (the `simnet` fixture): a signed
transfer commits, a replay is a DuplicateTx, a stale nonce is a BadNonce naming the expected
nonce, and the faucet pays a fresh account."""

from __future__ import annotations

from typing import Any

import pytest

from botruntime.chain.alpha import AX, HttpAlphaClient
from botruntime.chain.delta import DX, HttpDeltaClient
from botruntime.chain.errors import BadNonce, DuplicateTx
from botruntime.chain.retry import Attempt
from botruntime.identity import Identity

pytestmark = pytest.mark.anyio

FEE = 5_000  # above simnet's min fee (base 500 + 1 per byte of a ~450-byte tx)
AMOUNT = 10**6
RunningSimnet = Any  # tests/integration/conftest.py


async def test_a_signed_transfer_commits(simnet: RunningSimnet) -> None:
    alice, bob = simnet.genesis_identities(2)
    attempts: list[Attempt] = []
    async with HttpAlphaClient(simnet.alpha_url(0), on_attempt=attempts.append) as alpha:
        funds = (await alpha.account(alice.alpha_address)).balance(AX)
        bob_before = (await alpha.account(bob.alpha_address)).balance(AX)
        result = await alpha.send(alice, to=bob.alpha_address, amount=AMOUNT, nonce=0, fee=FEE)
        assert result.code == "ok" and result.status in ("pending", "committed")
        committed = await alpha.wait_for_tx(result.hash, timeout_s=20)
        assert committed.status == "committed" and committed.height is not None
        bob_now = await alpha.account(bob.alpha_address, min_height=committed.height)
        alice_now = await alpha.account(alice.alpha_address, min_height=committed.height)
    assert funds > AMOUNT + FEE
    assert bob_now.balance(AX) == bob_before + AMOUNT
    assert alice_now.nonce == 1
    assert alice_now.balance(AX) == funds - AMOUNT - FEE
    assert alpha.seen_height >= committed.height
    assert [a.operation for a in attempts if a.operation == "broadcast"] == ["broadcast"]


async def test_a_replayed_tx_raises_duplicate_tx(simnet: RunningSimnet) -> None:
    alice, bob = simnet.genesis_identities(2)
    async with HttpAlphaClient(simnet.alpha_url(0), chain_id=simnet.alpha_chain_id) as alpha:
        tx = alpha.sign_send(alice, to=bob.alpha_address, amount=AMOUNT, nonce=0, fee=FEE)
        first = await alpha.broadcast(tx)
        assert first.hash == tx.hash
        with pytest.raises(DuplicateTx) as caught:
            await alpha.broadcast(tx)
        await alpha.wait_for_tx(tx.hash, timeout_s=20)
        with pytest.raises(DuplicateTx):  # still a duplicate once committed
            await alpha.broadcast(tx)
    assert caught.value.code == "duplicate_tx" and caught.value.status >= 400


async def test_a_stale_nonce_raises_bad_nonce_with_the_expected_one(simnet: RunningSimnet) -> None:
    alice, bob = simnet.genesis_identities(2)
    async with HttpAlphaClient(simnet.alpha_url(1), chain_id=simnet.alpha_chain_id) as alpha:
        sent = await alpha.send(alice, to=bob.alpha_address, amount=AMOUNT, nonce=0, fee=FEE)
        await alpha.wait_for_tx(sent.hash, timeout_s=20)
        with pytest.raises(BadNonce) as caught:  # a new tx (other amount) reusing nonce 0
            await alpha.send(alice, to=bob.alpha_address, amount=2 * AMOUNT, nonce=0, fee=FEE)
    assert caught.value.expected == 1


async def test_the_faucet_pays_a_fresh_delta_account(simnet: RunningSimnet) -> None:
    fresh = Identity.derive("chain-clients-faucet", 0)
    async with HttpDeltaClient(simnet.delta_url(0)) as delta:
        drawn = await delta.faucet(fresh.delta_address, 3 * AMOUNT)
        credited = await delta.wait_for_tx(drawn.hash, timeout_s=20)
        assert credited.status == "committed"
        account = await delta.account(fresh.delta_address, min_height=credited.height)
        assert await delta.resolve_chain_id() == simnet.delta_chain_id
    assert account.balance(DX) == 3 * AMOUNT
    assert account.nonce == 0
