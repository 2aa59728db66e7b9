"""Cheap spam (A3 `spam_flood`): valid txs at the minimum fee that try to crowd out honest
users, probes past the size limits, and dust that tries to grow state for free.

- `spam_memo`: a burst of self-payments, each with the largest memo allowed and exactly the
  minimum fee for its size (the Cosmos Hub "BananaKing" spam), sent as fast as the node takes
  them and never waited on: the burst ends at the first refusal (`sender_quota`,
  `mempool_full`, `rate_limited`: the defence working). Then the flooder reads its own pending
  txs on its node (`GET /mempool?sender`): more than the chain's `max_pending_per_sender` is
  `adv.sender_over_cap`, a mempool that let one sender queue without bound.
- `spam_probe`: one tx past a limit: over `max_tx_bytes`, a memo over 256 bytes, or one base
  unit under the minimum fee. Each must be refused (`tx_too_large`, `insufficient_fee`); an
  accepted one is `adv.probe_accepted{probe}`.
- `dust_send`: a payment to a fresh random address, below the dust limit (it must be refused
  `below_dust_limit`; accepted is `adv.below_dust_accepted`) or exactly at it. An at-dust
  payment creates an account: the node's own simulation of it says what creating it costs,
  and a fresh account for free is `adv.free_accounts` (state growth nobody paid for).

Every tx pays from the sender's shadow ledger through `Intent.fire`: held until the tx is
seen in a block, and never spent if it is not. Spam pays itself (self-payments), so only fees
and account creation leave the attackers' accounts.
"""

from __future__ import annotations

from random import Random
from typing import TYPE_CHECKING, Final

from botruntime.behaviors._fees import min_fee_for
from botruntime.behaviors._table import behavior
from botruntime.bots.bot import Bot
from botruntime.chain.models import SubmitResult
from botruntime.chain.tx import (
    MAX_MEMO_BYTES,
    Msg,
    bank_multisend,
    bank_send,
)
from botruntime.identity import ALPHA_HRP, address_from_pubkey
from botruntime.wallet import AX

if TYPE_CHECKING:  # the fleet imports the behaviours: its types are for annotations only
    from botruntime.fleet import ChainClient, Chains, Intent

__all__ = ["dust_send", "spam_memo", "spam_probe"]

# txs per flood burst: three times simnet's 32 pending per sender, so a burst meets the cap
BURST: Final = 96
_SPAM_AMOUNT: Final = AX.unit  # paid to itself: above any dust limit, costs nothing
_MULTISEND_OUTPUT_BYTES: Final = 70  # a self-output in canonical JSON, a little under
_PROBES: Final = ("oversized", "memo", "underpaid")


def fat_memo(memo: str, size: int) -> str:
    """`memo` (a testbots memo, `tb:<run>:<bot>:<ts>`) padded to `size` bytes with zeros in
    front of its timestamp: still a testbots memo of the same intent, as fat as asked."""
    head, _, stamp = memo.rpartition(":")
    return f"{head}:{stamp.rjust(max(len(stamp), size - len(head) - 1), '0')}"


async def _over_cap(bot: Bot, client: ChainClient, rec: Intent) -> None:
    """Read this sender's txs in its node's mempool and the chain's cap on them."""
    pending = await rec.query("mempool", client.pending(bot.alpha_address))
    params = await rec.query("params", client.params())
    if pending is None or params is None:
        return
    cap = params.integer("max_pending_per_sender")
    if len(pending) > cap:
        rec.count("adv.sender_over_cap", tx=pending[-1].hash)


@behavior("spam_memo", group="adversarial", chain="alpha", sends_tx=True)
async def spam_memo(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """A burst of fat-memo self-payments at the minimum fee, not waited on."""
    side = chains.side("alpha")
    client = side.client_for(bot)
    chain_id = await client.resolve_chain_id()
    memo = fat_memo(rec.memo(bot), MAX_MEMO_BYTES)
    msgs = [bank_send(bot.alpha_address, _SPAM_AMOUNT, AX.value)]
    accepted = 0
    for _ in range(BURST):
        fee = min_fee_for(side, chain_id, bot, msgs, memo)
        answer = await rec.fire(bot, msgs, spend=AX, amount=_SPAM_AMOUNT, fee=fee, memo=memo)
        if not isinstance(answer, SubmitResult):
            break
        accepted += 1
    rec.count("adv.spam_accepted", by=accepted)
    await _over_cap(bot, client, rec)


@behavior("spam_probe", group="adversarial", chain="alpha", sends_tx=True)
async def spam_probe(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """One tx past a limit (size, memo, fee); it must be refused."""
    side = chains.side("alpha")
    client = side.client_for(bot)
    chain_id = await client.resolve_chain_id()
    probe = rng.choice(_PROBES)
    memo = rec.memo(bot)
    amount = _SPAM_AMOUNT
    msgs: list[Msg] = [bank_send(bot.alpha_address, amount, AX.value)]
    if probe == "oversized":  # many self-outputs: past 16 KiB with a valid memo
        outputs = 16 * 1024 // _MULTISEND_OUTPUT_BYTES + 16
        msgs = [bank_multisend([(bot.alpha_address, AX.value, AX.unit)] * outputs)]
        amount = outputs * AX.unit
    elif probe == "memo":
        memo = fat_memo(memo, MAX_MEMO_BYTES + rng.randint(1, 768))
    fee = min_fee_for(side, chain_id, bot, msgs, memo)
    if probe == "underpaid":
        fee -= 1
    answer = await rec.fire(bot, msgs, spend=AX, amount=amount, fee=fee, memo=memo)
    if isinstance(answer, SubmitResult):
        rec.count("adv.probe_accepted", probe=probe, tx=answer.hash)


@behavior("dust_send", group="adversarial", chain="alpha", sends_tx=True)
async def dust_send(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """Pay a fresh random address below the dust limit or exactly at it."""
    side = chains.side("alpha")
    client = side.client_for(bot)
    await client.resolve_chain_id()
    params = await rec.query("params", client.params())
    if params is None:
        return
    dust = params.integer("dust_limit")
    fresh = address_from_pubkey(rng.randbytes(32), ALPHA_HRP)
    if rng.random() < 0.5 and dust > 1:
        amount = rng.randint(1, dust - 1)
        answer = await rec.fire(bot, [bank_send(fresh, amount, AX.value)], spend=AX, amount=amount)
        if isinstance(answer, SubmitResult):
            rec.count("adv.below_dust_accepted", tx=answer.hash)
        return
    amount = max(dust, 1)
    msgs = [bank_send(fresh, amount, AX.value)]
    tx = client.sign(
        bot.identity, msgs, nonce=bot.next_nonce("alpha"), fee=side.fee, memo=rec.memo(bot)
    )
    simulated = await rec.query("simulate", client.simulate(tx))
    if simulated is None or simulated.code != "ok":
        return  # the node would refuse it now (a full mempool, the sender's cap): not sent
    creation = int(str(simulated.details.get("account_creation_fee", "0")))
    if creation == 0:
        rec.count("adv.free_accounts", tx=tx.hash)
    await rec.fire(bot, msgs, spend=AX, amount=amount + creation)
