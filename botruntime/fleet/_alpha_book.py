"""What Alpha's staking, distribution and governance owe the fleet's bots beyond what a tx's
own reservation says, kept in their shadow ledgers.

A committed tx settles its reservation (the amount and the fee leave the balance, `Intent`),
and bank messages credit their recipients (`Fleet._receipts`). Alpha's modules move funds in
ways a reservation cannot say, and the book keeps them:

- `staking.delegate` mints the delegated amount of sAX to the delegator, in its block;
- `staking.undelegate` burns the sAX (its reservation) and pays the AX back exactly once,
  `unbonding_blocks` after the block it landed in (SCENARIOS.md L3 C2): the book credits it
  once the chain is past that height, never earlier;
- claiming rewards, and every stake move (rewards are settled before shares change), pays
  the delegation's rewards, an amount fixed by the block it lands in: the chain keeps each
  delegator's total of rewards paid (`GET /delegators/{a}/rewards`, `withdrawn`), and the
  book credits what that total gained since it last looked;
- a proposal's deposits come back when it closes passed or rejected and burn when it is
  vetoed or expires;
- simnet's reward campaign (A8) pays an address active in two modules for long enough a
  reward each epoch, listed in `GET /campaign/payouts` (a network without the campaign has
  nothing to credit).

Delegations and deposits are learnt from the committed txs of this run (the observer that
credits bank receipts); what fell due is credited in `settle`, when the run reconciles and
nothing of its own is in flight. Until then a bot's shadow AX is at most what the chain holds,
so a behaviour never overspends. The book also watches the claimable rewards each bot reads
between its own stake moves: they never decrease (SCENARIOS.md L3 C3).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from botruntime.bots.bot import Bot
from botruntime.chain.alpha import AlphaClient
from botruntime.chain.errors import Rejected
from botruntime.chain.tx import JsonValue
from botruntime.wallet import AX, SAX

__all__ = ["AlphaBook"]

# a proposal's deposits come back in these outcomes and burn in the others (vetoed, expired)
REFUNDED = frozenset({"passed", "rejected"})
_STAKE_MOVES = frozenset(
    {
        "staking.delegate",
        "staking.undelegate",
        "staking.redelegate",
        "distribution.withdraw_rewards",
    }
)


@dataclass(slots=True)
class _Deposit:
    bot: Bot
    amount: int
    proposal_id: int | None  # None: the deposit that opened a proposal, found by its height
    height: int


@dataclass(slots=True)
class AlphaBook:
    """The Alpha effects owed to one fleet's bots; one per fleet, fed by its commit watcher."""

    # (bot, amount, landed height) of every undelegation of this fleet's bots
    unbondings: list[tuple[Bot, int, int]] = field(default_factory=list)
    deposits: list[_Deposit] = field(default_factory=list)
    rewards_credited: dict[int, int] = field(default_factory=dict)  # bot index -> withdrawn seen
    claimable: dict[int, int] = field(default_factory=dict)  # bot index -> last claimable read
    stakers: dict[int, Bot] = field(default_factory=dict)  # bots that ever moved stake
    payouts_credited: set[tuple[int, str]] = field(default_factory=set)  # (epoch, address)

    # ---- learnt from committed txs -------------------------------------------------------------

    def committed(self, bot: Bot, msg: dict[str, JsonValue], height: int) -> None:
        """A message of `bot`'s tx took effect in block `height`."""
        kind = msg.get("type")
        if kind in _STAKE_MOVES:
            self.stakers[bot.index] = bot
            self.claimable.pop(bot.index, None)  # its rewards were just paid out
        if kind == "staking.delegate":
            bot.wallet.credit(SAX, _amount(msg, "amount"))
        elif kind == "staking.undelegate":
            self.unbondings.append((bot, _amount(msg, "amount"), height))
        elif kind == "gov.submit_proposal":
            self.deposits.append(_Deposit(bot, _amount(msg, "deposit"), None, height))
        elif kind == "gov.deposit":
            pid = msg.get("proposal_id")
            if isinstance(pid, int):
                self.deposits.append(_Deposit(bot, _amount(msg, "amount"), pid, height))

    def rewards_read(self, bot: Bot, claimable: int) -> bool:
        """`bot` read its claimable rewards; False when they fell since its last read with no
        stake move or claim of its own in between (a finding: rewards only accrue)."""
        before = self.claimable.get(bot.index)
        self.claimable[bot.index] = claimable
        return before is None or claimable >= before

    # ---- credited when the run reconciles ------------------------------------------------------

    async def settle(
        self,
        client_for: Callable[[Bot], AlphaClient],
        owners: Mapping[str, Bot],
        *,
        block_time_s: float,
        wait_s: float,
        since_height: int | None = None,
    ) -> list[str]:
        """Credit everything that fell due to the bots (`owners`: address -> bot); the
        problems met (a maturity the chain did not reach within `wait_s`, a deposit into a
        proposal still open), for the reconciliation's details."""
        if not owners:
            return []
        problems: list[str] = []
        client = client_for(next(iter(owners.values())))
        if self.unbondings:
            unbonding_blocks = (await client.staking_params()).integer("unbonding_blocks")
            due = max(height for _, _, height in self.unbondings) + unbonding_blocks
            reached = await _wait_for_height(client, due, wait_s, block_time_s)
            for bot, amount, height in self.unbondings:
                if height + unbonding_blocks <= reached:
                    bot.wallet.credit(AX, amount)
                else:
                    problems.append(
                        f"bot {bot.index}: unbonding of {amount} from height {height} not due "
                        f"by height {reached} (completes at {height + unbonding_blocks})"
                    )
            self.unbondings.clear()
        if self.deposits:
            problems.extend(await self._refunds(client))
        for bot in self.stakers.values():
            withdrawn = (await client_for(bot).rewards(bot.alpha_address)).withdrawn
            gained = withdrawn - self.rewards_credited.get(bot.index, 0)
            if gained > 0:
                bot.wallet.credit(AX, gained)
                self.rewards_credited[bot.index] = withdrawn
        await self._campaign_payouts(client, owners, since_height)
        return problems

    async def _campaign_payouts(
        self, client: AlphaClient, owners: Mapping[str, Bot], since_height: int | None
    ) -> None:
        """Payouts after `since_height` (the run's first block): an earlier one, to the same
        address on a reused network, is in the balance the run was funded from."""
        try:
            payouts = await client.payouts()
        except Rejected:  # no reward campaign on this network (it is simnet's, A8)
            return
        for payout in payouts:
            bot = owners.get(payout.address)
            key = (payout.epoch, payout.address)
            if since_height is not None and payout.height <= since_height:
                continue
            if bot is not None and key not in self.payouts_credited:
                bot.wallet.credit(AX, payout.amount)
                self.payouts_credited.add(key)

    async def _refunds(self, client: AlphaClient) -> list[str]:
        proposals = await client.proposals()
        by_id = {p.id: p for p in proposals}
        opened = {(p.proposer, p.submit_height): p for p in proposals}
        problems: list[str] = []
        for deposit in self.deposits:
            if deposit.proposal_id is None:
                found = opened.get((deposit.bot.alpha_address, deposit.height))
            else:
                found = by_id.get(deposit.proposal_id)
            if found is None:
                problems.append(f"bot {deposit.bot.index}: deposited into a proposal not listed")
            elif found.status in REFUNDED:
                deposit.bot.wallet.credit(AX, deposit.amount)
            elif found.open:  # still held by gov, as the chain's balance shows too
                problems.append(f"proposal {found.id} still open: its deposits are held")
        self.deposits.clear()
        return problems


async def _wait_for_height(
    client: AlphaClient, height: int, wait_s: float, block_time_s: float
) -> int:
    """The chain's height once it reached `height`, or what it reached within `wait_s`."""
    deadline = time.monotonic() + wait_s
    while True:
        latest = (await client.latest_block()).height
        if latest >= height or time.monotonic() >= deadline:
            return latest
        await asyncio.sleep(min(block_time_s / 2, 0.5))


def _amount(msg: dict[str, JsonValue], name: str) -> int:
    value = msg.get(name)
    return int(value) if isinstance(value, str) and value.isdigit() else 0
