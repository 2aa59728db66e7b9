"""Perpetual-futures users (L7 `perps_trading`, A7 `liquidation_cascade`): traders who move
margin and open and close positions, and keepers who liquidate accounts below maintenance.

Every action reads what it needs from the chain first (the bot's margin account, the market's
status and mark), so a bot holds no market state between actions. The shadow ledger follows
the bot's DX in the bank, which only the bot's own txs move: a deposit or added margin is
spent like a payment; a withdrawal is credited when it commits (`Fleet` reads it from the
committed message, whose amount the chain pays exactly or fails). Realised PnL and funding
settle into the margin account's collateral, not into the bank, so they never touch the
ledger; a keeper's liquidation fee does, and no tx carries it: the keeper learns it from its
own balance at the liquidation's height (`_learn_keeper_fee`).
"""

from __future__ import annotations

from random import Random
from typing import TYPE_CHECKING, Final, cast

from botruntime.behaviors._table import behavior
from botruntime.bots.bot import Bot
from botruntime.chain import perps as m
from botruntime.chain.perps import MarginAccount as PerpsAccount
from botruntime.chain.perps import Market
from botruntime.wallet import DX

if TYPE_CHECKING:  # the fleet imports the behaviours: at run time they only receive these
    from botruntime.chain.delta import DeltaClient
    from botruntime.fleet import Chains, Intent, Landed

__all__ = [
    "MARKET",
    "delta_of",
    "perps_add_margin",
    "perps_close",
    "perps_deposit",
    "perps_enter",
    "perps_liquidate",
    "perps_open",
    "perps_read_account",
    "perps_withdraw",
    "perps_withdraw_all",
]

MARKET: Final = "bAX-PERP"  # simnet's one perps market (SCENARIOS.md §1.6)
_WHOLE: Final = 1_000_000  # base units per whole DX, and the price of 1.0
_MAX_LEVERAGE: Final = 10  # simnet's initial margin of 10 %


def delta_of(chains: Chains) -> DeltaClient:
    """The bot's Delta client (the fleet gives each chain's side its own client class)."""
    return cast("DeltaClient", chains.delta)


def _leverage(rng: Random) -> int:
    """1-10x, mode 3x (SCENARIOS.md L7)."""
    return max(1, min(_MAX_LEVERAGE, round(rng.triangular(1, _MAX_LEVERAGE, 3))))


async def _account(bot: Bot, chains: Chains, rec: Intent) -> PerpsAccount | None:
    return await rec.query("perps_account", delta_of(chains).perps_account(bot.delta_address))


async def _market(chains: Chains, rec: Intent) -> Market | None:
    return await rec.query("perps_market", delta_of(chains).market(MARKET))


def _size(notional: int, mark: int) -> int:
    """Contract size (base units of bAX) of `notional` DX at `mark`."""
    return notional * _WHOLE // max(mark, 1)


def _deposit_amount(bot: Bot, chains: Chains, rng: Random, low: int, high: int) -> int:
    """`low`-`high` whole DX, never more than a tenth of what is spendable after the fee: a
    reject is then a finding, not an overdraft."""
    fee = chains.side("delta").fee
    return min(rng.randint(low, high) * _WHOLE, max(0, bot.wallet.spendable(DX) - fee) // 10)


async def _deposit(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    amount = _deposit_amount(bot, chains, rng, 50, 200)
    if amount:
        await rec.transact(bot, [m.perps_deposit(amount)], spend=DX, amount=amount)


@behavior("perps_deposit", group="legitimate", chain="delta", sends_tx=True)
async def perps_deposit(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """Move 50-200 DX from the bank into the bot's margin account."""
    await _deposit(bot, chains, rng, rec)


@behavior("perps_open", group="legitimate", chain="delta", sends_tx=True)
async def perps_open(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """Open or add to a position at 1-10x (mode 3x) with 80-98 % of the free margin, long or
    short at even odds; with no free margin, deposit 50-200 DX first (a tx of its own: a
    module message travels alone) and open once it has committed. A market that is not open
    (stale or halted) is only read."""
    market = await _market(chains, rec)
    account = await _account(bot, chains, rec)
    if market is None or account is None or market.status != "open":
        return
    free = account.equity - account.initial_margin
    if free <= 10 * _WHOLE:
        deposit = _deposit_amount(bot, chains, rng, 50, 200)
        landed = None
        if deposit:
            landed = await rec.transact(bot, [m.perps_deposit(deposit)], spend=DX, amount=deposit)
        if landed is None or not landed.ok:
            return
        free += deposit
    leverage = _leverage(rng)
    size = _size(free * leverage * rng.randint(80, 98) // 100, market.mark)
    if size > 0:
        side: m.Side = "long" if rng.random() < 0.5 else "short"
        msg = m.perps_open(MARKET, side, size, leverage, limit_price=0, reduce_only=False)
        await rec.transact(bot, [msg], spend=DX, amount=0)


@behavior("perps_close", group="legitimate", chain="delta", sends_tx=True)
async def perps_close(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """Close the bot's position (its PnL settles into collateral); read only if it has none."""
    account = await _account(bot, chains, rec)
    if account is not None and account.positions:
        await rec.transact(bot, [m.perps_close(MARKET)], spend=DX, amount=0)


@behavior("perps_add_margin", group="legitimate", chain="delta", sends_tx=True)
async def perps_add_margin(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """Top up the margin of an open position with 10-50 DX (a plain deposit without one)."""
    account = await _account(bot, chains, rec)
    if account is None:
        return
    if not account.positions:
        await _deposit(bot, chains, rng, rec)
        return
    amount = _deposit_amount(bot, chains, rng, 10, 50)
    if amount:
        msg = m.perps_add_margin(MARKET, amount)
        await rec.transact(bot, [msg], spend=DX, amount=amount)


@behavior("perps_withdraw", group="legitimate", chain="delta", sends_tx=True)
async def perps_withdraw(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """Withdraw 10-90 % of what the chain says is withdrawable (free of initial margin)."""
    account = await _account(bot, chains, rec)
    if account is None or account.withdrawable <= 0:
        return
    amount = account.withdrawable * rng.randint(10, 90) // 100
    if amount:
        await rec.transact(bot, [m.perps_withdraw(amount)], spend=DX, amount=0)


@behavior("perps_withdraw_all", group="legitimate", chain="delta", sends_tx=True)
async def perps_withdraw_all(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """Ask for what is free plus the initial margin an open position needs (at most 99 % of
    the collateral): the chain must refuse it (`margin_insufficient`). One that commits is
    `mkt.withdraw_beyond_margin` (L7 C4).

    Only an account whose initial margin is over 2 % of its collateral asks, so the ask is
    above what is withdrawable by at least half that margin, 1 % of the collateral: more than
    anything between the read and the block can free (funding moves at most 0.05 % of the
    notional; a liquidation frees the margin only by taking a loss and a fee from the
    collateral). The 1 % left keeps the ask within the collateral under the same moves, so a
    chain without the check lets it through."""
    account = await _account(bot, chains, rec)
    if account is None or not account.positions or account.collateral <= 0:
        return
    if account.initial_margin * 50 <= account.collateral:
        return
    amount = min(account.collateral * 99 // 100, account.withdrawable + account.initial_margin)
    landed = await rec.transact(bot, [m.perps_withdraw(amount)], spend=DX, amount=0)
    if landed is not None and landed.ok:
        rec.count("mkt.withdraw_beyond_margin", tx=bot.last_tx)


@behavior("perps_read_account", group="legitimate", chain="delta")
async def perps_read_account(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """Read the bot's margin account (collateral, equity, margins, positions)."""
    await _account(bot, chains, rec)


# ---- A7: leveraged entries with clustered liquidation prices ---------------------------------

_ENTRY_DX: Final = 100 * _WHOLE


@behavior("perps_enter", group="legitimate", chain="delta", sends_tx=True)
async def perps_enter(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """Deposit 100 DX, then open one position with it: 70 % long at 8-10x, the rest
    short at 5-10x, so the longs' liquidation prices cluster 5-8 % under the entry (A7). A bot
    that already holds a position, or finds the market not open, only reads."""
    account = await _account(bot, chains, rec)
    if account is None or account.positions:
        return
    market = await _market(chains, rec)
    if market is None or market.status != "open":
        return
    fee = chains.side("delta").fee
    deposit = min(_ENTRY_DX, max(0, bot.wallet.spendable(DX) - fee) // 2)
    long = rng.random() < 0.7
    leverage = rng.randint(8, 10) if long else rng.randint(5, 10)
    # 98 % of the margin's reach: the entry's initial margin rounds up, and the mark it fills
    # at may have moved a little since the read
    size = _size((account.collateral + deposit) * leverage * 98 // 100, market.mark)
    if size <= 0:
        return
    landed = await rec.transact(bot, [m.perps_deposit(deposit)], spend=DX, amount=deposit)
    if landed is not None and landed.ok:
        side: m.Side = "long" if long else "short"
        msg = m.perps_open(MARKET, side, size, leverage, 0, False)
        opened = await rec.transact(bot, [msg], spend=DX, amount=0)
        if opened is not None and opened.ok:
            rec.count("mkt.positions_opened", tx=bot.last_tx)


# ---- keepers --------------------------------------------------------------------------------


@behavior("perps_liquidate", group="legitimate", chain="delta", sends_tx=True)
async def perps_liquidate(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """Liquidate one account the chain lists below maintenance, picked at random so that
    competing keepers seldom collide.

    Like dYdX's and Drift's keepers, it acts only on a fresh price: while the market's price
    is stale it waits. Losing the race to another keeper or to the protocol's end-block is
    `not_liquidatable`, which the role expects."""
    market = await _market(chains, rec)
    if market is None or market.status == "stale":
        return
    found = await rec.query("perps_liquidatable", delta_of(chains).liquidatable(limit=50))
    if not found:
        return
    target = rng.choice(found)
    landed = await rec.transact(bot, [m.perps_liquidate(target.address)], spend=DX, amount=0)
    if landed is not None and landed.ok:
        await _learn_keeper_fee(bot, chains, rec, landed)


async def _learn_keeper_fee(bot: Bot, chains: Chains, rec: Intent, landed: Landed) -> None:
    """Credit the keeper's half of the liquidation fee, an amount the chain decides and no tx
    result carries: the keeper's balance at (or after) the liquidation's height, less what its
    shadow ledger holds. A keeper receives DX from nothing else and has no other tx in flight
    (one per bot), so the difference is the fee; a difference below zero is left for the
    reconciliation to report as a mismatch."""
    balances = await rec.query(
        "balances", delta_of(chains).balances(bot.delta_address, min_height=landed.height)
    )
    if balances is None:
        return
    gained = balances.get(DX.value, 0) - bot.wallet.balance(DX)
    if gained > 0:
        bot.wallet.credit(DX, gained)
        rec.count("mkt.keeper_fees")
