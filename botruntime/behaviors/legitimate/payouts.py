"""Hot-account payments done right (R2 `hot_account`): an exchange's hot wallet paying its
users out from one key, and users paying one merchant.

- `payout_sequenced`: one payout per tx from a wallet that sequences its own nonces: the nonce
  is taken when the tx is signed, so the wallet's next payout signs the next one while this
  one is still out (pipelined nonces; the role caps how many are in flight,
  `max_in_flight_per_bot`, within the chain's future-nonce window).
- `payout_batch`: 20 payouts in one `bank.multisend`, sequenced the same way, paying the fee
  its size needs.
- `payout_sharded`: `payout_sequenced` from one of several hot keys (the role has one bot per
  shard; the executor spreads payouts over them).
- the payers pay the run's merchant with `pay_merchant` (transfers.py, shared with A2).

Payouts go to the run's users, the bots of role `payer`, so the merchant's balance is only
what its payers paid it. Every payout is sent through `Intent.transact`: the shadow ledgers
of the wallet and of the recipients follow only what the chain committed.
"""

from __future__ import annotations

from random import Random
from typing import TYPE_CHECKING, Final

from botruntime.behaviors._table import behavior
from botruntime.behaviors.adversarial.spam import min_fee_for
from botruntime.bots.bot import Bot
from botruntime.chain.tx import Msg, bank_multisend, bank_send
from botruntime.wallet import AX

if TYPE_CHECKING:  # the fleet imports the behaviours: at run time they only receive these
    from botruntime.fleet import Chains, Intent

__all__ = [
    "BATCH_PAYOUTS",
    "PAYEE_ROLE",
    "payout_batch",
    "payout_sequenced",
    "payout_sharded",
    "payout_to",
]

PAYEE_ROLE: Final = "payer"
BATCH_PAYOUTS: Final = 20  # payouts per multisend (SCENARIOS.md R2)
_MAX_PAYOUT_AX: Final = 10


def _one_of(chains: Chains, role: str, what: str) -> range:
    found = chains.bots_of(role)
    if not found:
        raise LookupError(f"{what} needs a role named {role!r} in the scenario")
    return found


def payout_to(chains: Chains, rng: Random) -> tuple[str, int]:
    """A user to pay (a bot of role `payer`) and 1-10 AX."""
    payees = _one_of(chains, PAYEE_ROLE, "a payout")
    to = chains.peers.address(payees[rng.randrange(len(payees))], "alpha")
    return to, rng.randint(1, _MAX_PAYOUT_AX) * AX.unit


async def _pay_out(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    to, amount = payout_to(chains, rng)
    await rec.transact(
        bot, [bank_send(to, amount, AX.value)], spend=AX, amount=amount, pipelined=True
    )


@behavior("payout_sequenced", group="legitimate", chain="alpha", sends_tx=True)
async def payout_sequenced(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """Pay a user 1-10 AX from the hot wallet at the wallet's next nonce, pipelined."""
    await _pay_out(bot, chains, rng, rec)


@behavior("payout_sharded", group="legitimate", chain="alpha", sends_tx=True)
async def payout_sharded(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """Pay a user 1-10 AX from one of several hot keys, pipelined on that key."""
    await _pay_out(bot, chains, rng, rec)


@behavior("payout_batch", group="legitimate", chain="alpha", sends_tx=True)
async def payout_batch(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """Pay 20 users 1-10 AX each in one multisend at the wallet's next nonce, pipelined."""
    outputs = [payout_to(chains, rng) for _ in range(BATCH_PAYOUTS)]
    msgs: list[Msg] = [bank_multisend([(to, AX.value, amount) for to, amount in outputs])]
    side = chains.side("alpha")
    chain_id = await chains.alpha.resolve_chain_id()
    # the usual fee covers a one-output tx; a batch pays twice the least fee for its size
    fee = max(side.fee, 2 * min_fee_for(side, chain_id, bot, msgs, rec.memo(bot)))
    total = sum(amount for _, amount in outputs)
    await rec.transact(bot, msgs, spend=AX, amount=total, fee=fee, pipelined=True)
