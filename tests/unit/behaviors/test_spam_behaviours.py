"""Flooders, probes and dusters (A3 spam_flood) against a scripted node: what they send, what
they count, and that their shadow ledgers follow only what lands."""

from __future__ import annotations

from random import Random
from typing import Any

import pytest
from fake_alpha_node import FakeAlpha, funded_bot, refuse, stage

from botruntime.behaviors.adversarial.spam import (
    BURST,
    dust_send,
    fat_memo,
    spam_memo,
    spam_probe,
)
from botruntime.chain.tx import MAX_MEMO_BYTES, canonical_json, parse_memo
from botruntime.wallet import AX

pytestmark = pytest.mark.anyio

FUNDS = 10**12


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # the commit watcher's futures are asyncio's


def test_a_fat_memo_is_still_the_intents_memo_at_the_size_asked() -> None:
    memo = "tb:run-1:7:1764079200000000"
    fat = fat_memo(memo, MAX_MEMO_BYTES)
    assert len(fat.encode()) == MAX_MEMO_BYTES
    assert parse_memo(fat) == parse_memo(memo)


async def test_a_burst_stops_at_the_first_refusal_and_hands_that_nonce_back() -> None:
    node = FakeAlpha()
    node.admit = lambda tx: refuse("sender_quota") if len(node.accepted) >= 32 else None
    node.pending = [_pending(n) for n in range(32)]
    st = stage(node)
    bot = funded_bot(ax=FUNDS)
    await spam_memo(bot, st.chains(bot), Random(1), st.intent("spam_memo"))
    assert len(node.accepted) == 32 < BURST
    assert [tx["body"]["nonce"] for tx in node.accepted] == list(range(32))
    assert bot.next_nonce("alpha") == 32  # the refused tx's nonce is free again
    assert st.count("adv.spam_accepted", action="spam_memo") == 32
    assert st.count("adv.sender_over_cap", action="spam_memo") == 0
    for tx in node.accepted:  # fat, and exactly the minimum fee for its size
        body = tx["body"]
        assert len(body["memo"].encode()) == MAX_MEMO_BYTES
        assert int(body["fee"]) == 500 + len(canonical_json(tx))
        assert body["msgs"][0]["to"] == bot.alpha_address


async def test_more_pending_than_the_cap_is_counted() -> None:
    node = FakeAlpha()
    node.pending = [_pending(n) for n in range(33)]
    st = stage(node)
    bot = funded_bot(ax=FUNDS)
    await spam_memo(bot, st.chains(bot), Random(1), st.intent("spam_memo"))
    assert len(node.accepted) == BURST
    assert st.count("adv.sender_over_cap", action="spam_memo") == 1


async def test_fired_txs_settle_when_they_land_and_cost_nothing_otherwise() -> None:
    node = FakeAlpha()
    node.admit = lambda tx: refuse("sender_quota") if len(node.accepted) >= 3 else None
    st = stage(node)
    bot = funded_bot(ax=FUNDS)
    await spam_memo(bot, st.chains(bot), Random(1), st.intent("spam_memo"))
    assert bot.wallet.balance(AX) == FUNDS and bot.wallet.reserved(AX) > 0
    landed, never = node.accepted[:2], node.accepted[2]
    await st.land(1, landed)
    await _settled()
    fees = sum(int(tx["body"]["fee"]) for tx in landed)
    # the self-payment's credit comes from the fleet's receipts; here only the debit shows
    assert bot.wallet.balance(AX) == FUNDS - fees - 2 * AX.unit
    assert bot.accepted("alpha") == 2  # the chain's nonce will be 2: the third never landed
    assert bot.wallet.reserved(AX) == AX.unit + int(never["body"]["fee"])
    assert st.count("n.commit", action="spam_memo") == 2


@pytest.mark.parametrize("probe", ["oversized", "memo", "underpaid"])
async def test_each_probe_is_counted_only_when_accepted(probe: str) -> None:
    for accept in (False, True):
        node = FakeAlpha()
        st = stage(node)
        sent: list[dict[str, Any]] = []

        def admit(tx: dict[str, Any], accept: bool = accept, sent: list[Any] = sent) -> Any:
            sent.append(tx)
            return None if accept else refuse("tx_too_large", 400)

        node.admit = admit
        bot = funded_bot(ax=FUNDS)
        rng = _rng_choosing(probe)
        await spam_probe(bot, st.chains(bot), rng, st.intent("spam_probe"))
        (tx,) = sent
        size = len(canonical_json(tx))
        memo_bytes = len(tx["body"]["memo"].encode())
        fee = int(tx["body"]["fee"])
        if probe == "oversized":
            assert size > 16 * 1024 and memo_bytes <= MAX_MEMO_BYTES
        elif probe == "memo":
            assert memo_bytes > MAX_MEMO_BYTES
        else:
            assert fee == 500 + size - 1
        counted = st.count("adv.probe_accepted", action="spam_probe", probe=probe)
        assert counted == (1 if accept else 0)
        if not accept:
            await _settled()
            assert bot.wallet.reserved(AX) == 0 and bot.next_nonce("alpha") == 0


async def test_below_dust_is_counted_when_accepted() -> None:
    node = FakeAlpha()
    st = stage(node)
    bot = funded_bot(role="duster", ax=FUNDS)
    await dust_send(bot, st.chains(bot), _Below(), st.intent("dust_send"))
    (tx,) = node.accepted
    assert 0 < int(tx["body"]["msgs"][0]["amount"]) < 1000
    assert st.count("adv.below_dust_accepted", action="dust_send") == 1


@pytest.mark.parametrize("creation_fee", [10_000, 0])
async def test_an_at_dust_payment_reserves_the_creation_fee_the_node_names(
    creation_fee: int,
) -> None:
    node = FakeAlpha(creation_fee=creation_fee)
    st = stage(node)
    bot = funded_bot(role="duster", ax=FUNDS)
    await dust_send(bot, st.chains(bot), _AtDust(), st.intent("dust_send"))
    (tx,) = node.accepted
    assert int(tx["body"]["msgs"][0]["amount"]) == 1000
    await st.land(1, [tx])
    await _settled()
    assert bot.wallet.balance(AX) == FUNDS - 1000 - creation_fee - int(tx["body"]["fee"])
    free = st.count("adv.free_accounts", action="dust_send")
    assert free == (1 if creation_fee == 0 else 0)


def _pending(nonce: int) -> dict[str, Any]:
    return {"hash": f"{nonce:064X}", "sender": "ax1x", "nonce": nonce, "status": "pending"}


async def _settled() -> None:
    """Let the landing futures' callbacks run."""
    import asyncio

    for _ in range(3):
        await asyncio.sleep(0)


class _Below(Random):
    """An rng whose first coin says 'below the dust limit'."""

    def random(self) -> float:
        return 0.1


class _AtDust(Random):
    def random(self) -> float:
        return 0.9


def _rng_choosing(probe: str) -> Random:
    class Choosing(Random):
        def choice(self, seq: Any) -> Any:
            return probe if probe in seq else super().choice(seq)

    return Choosing(3)
