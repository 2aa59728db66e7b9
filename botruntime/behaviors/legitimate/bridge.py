"""Bridge users (L8 bridge_roundtrip; victims of A1 replay_attack): value from Alpha to Delta
and back.

A round trip: `bridge_lock` locks AX on Alpha for the bot's own dx address, and the relayer's
claim mints bAX on Delta after the relay delay; `bridge_burn` burns that bAX on Delta for the
bot's own ax address, and the relayer's claim releases AX on Alpha. One transfer in 20 is
marked withheld (SCENARIOS.md L8): the relayer leaves it, it times out and is refunded on its
source chain. `bridge_lock_withheld` locks a transfer the user relays itself: `bridge_claim`
claims it on Delta with the attestation read from the chain. `bridge_read` reads the user's
transfers as a wallet app does.

The shadow ledger: a lock or a burn is spent (amount and fee) when it commits, a claim costs
its signer the fee; what a transfer pays back (the claim's credit, or the refund) is credited
once per transfer id by the fleet's `BridgeBook`.

Counters (chain side, read from `GET /bridge/senders/{a}/transfers`):
  chain.bridge_overdue{direction}   a read found a transfer still pending past its due height
                                    on its source chain: relay delay + 4 blocks (catalogue's
                                    completion bound) when relayed, its timeout when withheld
  chain.bridge_reads{status}        transfers seen by those reads, by status
"""

from __future__ import annotations

from random import Random
from typing import TYPE_CHECKING, Final

from botruntime.behaviors._table import behavior
from botruntime.bots.bot import Bot, ChainName
from botruntime.chain import BridgeTransfer, claim_msg, outbound_msg
from botruntime.identity import ALPHA_HRP, DELTA_HRP
from botruntime.wallet import AX, BAX, DX, Denom

if TYPE_CHECKING:  # the fleet imports the behaviours: at run time they only receive these
    from botruntime.fleet import Chains, Intent

__all__ = [
    "bridge_burn",
    "bridge_claim",
    "bridge_lock",
    "bridge_lock_withheld",
    "bridge_read",
    "overdue",
]

WITHHELD_ONE_IN: Final = 20  # catalogue: 1 transfer in 20 takes the timeout -> refund path
COMPLETION_BLOCKS: Final = 4  # catalogue: completion within relay delay + 4 blocks
_MAX_WHOLE_TOKENS: Final = 50
# a self-relayed claim is sent only this many blocks before its transfer's timeout: later, the
# refund may come first (deadline_exceeded, the defence working, but the claim's fee is lost)
_CLAIM_MARGIN_BLOCKS: Final = 3


def _amount(bot: Bot, chains: Chains, rng: Random, chain: ChainName, denom: Denom) -> int:
    """1-50 whole tokens, never more than a tenth of what is spendable after the fee (a
    reject is then a finding, not an overdraft), nor a fee the bot cannot pay."""
    fee = chains.side(chain).fee
    fee_denom = denom.fee_denom
    if bot.wallet.spendable(fee_denom) < fee:
        return 0
    spare = bot.wallet.spendable(denom) - (fee if fee_denom is denom else 0)
    return min(rng.randint(1, _MAX_WHOLE_TOKENS) * denom.unit, max(0, spare) // 10)


async def _lock(bot: Bot, chains: Chains, rng: Random, rec: Intent, *, withhold: bool) -> None:
    amount = _amount(bot, chains, rng, "alpha", AX)
    if amount == 0:
        await rec.query("balances", chains.alpha.balances(bot.alpha_address))
        return
    chains.bridge.note_sent()
    msg = outbound_msg("bridge.lock", bot.delta_address, DELTA_HRP, amount, withhold)
    await rec.transact(bot, [msg], spend=AX, amount=amount)


@behavior("bridge_lock", group="legitimate", chain="alpha", sends_tx=True)
async def bridge_lock(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """Lock 1-50 AX on Alpha for the bot's own Delta address; 1 in 20 withheld (refund path)."""
    await _lock(bot, chains, rng, rec, withhold=rng.randrange(WITHHELD_ONE_IN) == 0)


@behavior("bridge_lock_withheld", group="legitimate", chain="alpha", sends_tx=True)
async def bridge_lock_withheld(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """Lock 1-50 AX that the relayer leaves alone: the user claims it itself (`bridge_claim`),
    or it times out and is refunded."""
    await _lock(bot, chains, rng, rec, withhold=True)


@behavior("bridge_burn", group="legitimate", chain="delta", sends_tx=True)
async def bridge_burn(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """Burn bAX on Delta for the bot's own Alpha address (the second leg of a round trip);
    1 in 20 withheld. A bot with no bAX yet reads its Delta balances instead."""
    amount = _amount(bot, chains, rng, "delta", BAX)
    if amount == 0:
        await rec.query("balances", chains.delta.balances(bot.delta_address))
        return
    chains.bridge.note_sent()
    withhold = rng.randrange(WITHHELD_ONE_IN) == 0
    msg = outbound_msg("bridge.burn", bot.alpha_address, ALPHA_HRP, amount, withhold)
    await rec.transact(bot, [msg], spend=BAX, amount=amount)


async def _my_transfers(
    bot: Bot, chains: Chains, rec: Intent, chain: ChainName
) -> list[BridgeTransfer] | None:
    """The transfers the bot opened from `chain` (its locks, or its burns), as read."""
    client = chains.side(chain).client_for(bot)
    return await rec.query("bridge_transfers", client.bridge_sent(bot.address(chain)))


async def _relay_delay(chains: Chains, rec: Intent, chain: ChainName, bot: Bot) -> int | None:
    book = chains.bridge
    if book.relay_delay_blocks is None:
        params = await rec.query(
            "bridge_params", chains.side(chain).client_for(bot).bridge_params()
        )
        if params is None:
            return None
        book.relay_delay_blocks = params.integer("relay_delay_blocks")
    return book.relay_delay_blocks


def overdue(transfer: BridgeTransfer, source_height: int, relay_delay_blocks: int) -> bool:
    """Still pending though its source chain is past the height by which it must have ended:
    relay delay + 4 blocks for a relayed transfer, its timeout for a withheld one."""
    if transfer.status != "pending":
        return False
    if transfer.withhold:
        return source_height > transfer.timeout_height
    return source_height > transfer.source_height + relay_delay_blocks + COMPLETION_BLOCKS


@behavior("bridge_read", group="legitimate", chain="alpha")
async def bridge_read(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """Read the bot's own transfers from one chain (its locks or its burns), as a wallet app
    shows them: refunds found are credited, transfers past their due height counted."""
    chain: ChainName = rng.choice(("alpha", "delta"))
    rec.chain = chain
    delay = await _relay_delay(chains, rec, chain, bot)
    # the height first: the transfers read next are at least as new
    height = chains.side(chain).watcher.height
    transfers = await _my_transfers(bot, chains, rec, chain)
    if transfers is None or delay is None:
        return
    chains.bridge.settle(transfers, completed=False)
    for transfer in transfers:
        rec.count("chain.bridge_reads", status=transfer.status)
        if overdue(transfer, height, delay):
            rec.count("chain.bridge_overdue", direction=transfer.direction, tx=transfer.id)


@behavior("bridge_claim", group="legitimate", chain="delta", sends_tx=True)
async def bridge_claim(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """Claim on Delta one of the bot's own withheld locks, attested and not near its timeout:
    a user relaying its own transfer. With none to claim it reads its transfers instead."""
    transfers = await _my_transfers(bot, chains, rec, "alpha")
    if transfers is None:
        return
    height = chains.side("alpha").watcher.height
    ready = [
        t
        for t in transfers
        if t.withhold and t.claimable and height + _CLAIM_MARGIN_BLOCKS < t.timeout_height
    ]
    if not ready or bot.wallet.spendable(DX) < chains.side("delta").fee:
        return
    await rec.transact(bot, [claim_msg(rng.choice(ready))], spend=DX, amount=0)
