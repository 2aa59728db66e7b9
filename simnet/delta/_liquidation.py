"""Perps liquidations, the insurance fund and auto-deleveraging (ADL).

Liquidation closes every position of an account at the mark; 1 % of the closed notional is the
fee (half to the keeper who sent `perps.liquidate`, the rest to the insurance fund). A
negative balance after that is a deficit: the insurance fund covers it, and what it cannot
cover is auto-deleveraged from the accounts in profit, pro rata. Accounts still below
maintenance one block after they fell are liquidated by the protocol in end-block, at most
`max_liquidations_per_block` per block (one under `liquidation_throttle`); an account whose
price is stale waits, its lag restarting when the price comes back (a halted market has no
price to liquidate at). An owner's close that leaves the account below zero is a deficit
covered the same way (`cover_deficit`). `no_insurance_no_adl` writes a deficit off instead of
covering it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simnet.delta._margin import HOUSE, PERPS_ACCOUNT, notional
from simnet.delta._params import BPS

if TYPE_CHECKING:
    from simnet.delta._margin import MarginAccount, MarginBook

__all__ = ["cover_deficit", "deleverage", "liquidate", "protocol_liquidations"]


def liquidate(book: MarginBook, address: str, keeper: str | None) -> None:
    """Close every position of `address` at the mark; fee, then deficit cover and ADL."""
    account = book.accounts[address]
    closed = 0
    for market, position in list(account.positions.items()):
        price = book.mark(market)
        closed += notional(position.size, price)
        book.close_at(account, market, price)
    fee = closed * book.params.liquidation_fee_bps // BPS
    taken = min(fee, max(account.collateral, 0))
    account.collateral -= taken
    to_keeper = min(taken // 2, max(book.held(), 0)) if keeper is not None else 0
    book.insurance += taken - to_keeper
    if keeper is not None and to_keeper:
        denom = book.params.collateral_denom
        book.ledger.add_module(PERPS_ACCOUNT, denom, -to_keeper)
        book.ledger.add(keeper, denom, to_keeper)
    deficit, covered, haircut = cover_deficit(book, account)
    account.below_since = None
    book.liquidations.append(
        {
            "height": book.height,
            "account": address,
            "keeper": keeper,
            "notional": str(closed),
            "fee": str(taken),
            "keeper_fee": str(to_keeper),
            "deficit": str(deficit),
            "insurance_cover": str(covered),
            "adl_haircut": str(haircut),
        }
    )


def cover_deficit(book: MarginBook, account: MarginAccount) -> tuple[int, int, int]:
    """Settle a negative collateral: the insurance fund, then ADL; (deficit, covered, haircut)."""
    deficit = max(-account.collateral, 0)
    covered = haircut = 0
    if deficit and not book.vulns.on("no_insurance_no_adl"):
        account.collateral = 0
        covered = book.draw_insurance(deficit)
        uncovered = deficit - covered
        if uncovered:
            book.deficit += uncovered
            haircut = deleverage(book, uncovered)
            book.haircuts += haircut
    elif deficit:
        account.collateral = 0  # written off: nobody covers it
        book.deficit += deficit
    return deficit, covered, haircut


def deleverage(book: MarginBook, amount: int) -> int:
    """Take `amount` from the accounts in profit, pro rata to their profit; exact sum."""
    profits: list[tuple[int, str]] = []
    for address, account in sorted(book.accounts.items()):
        gain = book.unrealised(account)
        if gain > 0 and account.positions:
            profits.append((gain, address))
    house_gain = -sum(book.unrealised(a) for a in book.accounts.values())
    if house_gain > 0:
        profits.append((house_gain, HOUSE))
    if not profits:
        book.house.collateral -= amount  # nobody in profit: the house absorbs it
        return amount
    total = sum(g for g, _ in profits)
    cuts = [(amount * g // total, a) for g, a in profits]
    rest = amount - sum(c for c, _ in cuts)
    taken = 0
    for i, (cut, address) in enumerate(cuts):
        cut += 1 if i < rest else 0
        target = book.house if address == HOUSE else book.accounts[address]
        target.collateral -= cut
        taken += cut
    return taken


def protocol_liquidations(book: MarginBook, height: int) -> None:
    """End-block: note who fell below maintenance; liquidate those a block late, oldest first."""
    cap = book.params.max_liquidations_per_block
    if book.vulns.on("liquidation_throttle"):
        cap = 1
    due: list[tuple[int, str]] = []
    for address, account in book.accounts.items():
        if not account.positions:  # closed by its owner since it fell: nothing left to lag
            account.below_since = None
            continue
        if any(book.feed(m).stale for m in account.positions):
            # a halted market has no price to liquidate at: its lag restarts with the price
            account.below_since = None
            continue
        if book.liquidatable(account):
            if account.below_since is None:
                account.below_since = height  # keepers get the first block
            elif account.below_since < height:
                due.append((account.below_since, address))
        else:
            account.below_since = None
    for _, address in sorted(due)[:cap]:
        liquidate(book, address, keeper=None)
