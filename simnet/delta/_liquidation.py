"""Perps liquidations, the insurance fund and auto-deleveraging (ADL).

Liquidation closes every position of an account at the mark; 1 % of the closed notional is the
fee (half to the keeper who sent `perps.liquidate`, the rest to the insurance fund). A
negative balance after that is a deficit: the insurance fund covers it, and what it cannot
cover is auto-deleveraged from the accounts in profit, pro rata (`MarginBook.deleverage`); what
nobody in profit can give stays the account's debt, an uncovered deficit. Accounts still below
maintenance one block after they fell are liquidated by the protocol in end-block, at most
`max_liquidations_per_block` per block (one under `liquidation_throttle`); an account whose
price is stale waits, its lag restarting when the price comes back (a halted market has no
price to liquidate at). An owner's close that leaves the account below zero is a deficit
covered the same way (`cover_deficit`). `no_insurance_no_adl` writes a deficit off instead of
covering it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simnet.delta._margin import PERPS_ACCOUNT, notional
from simnet.delta._params import BPS

if TYPE_CHECKING:
    from simnet.delta._margin import MarginAccount, MarginBook

__all__ = ["cover_deficit", "liquidate", "protocol_liquidations"]


def liquidate(book: MarginBook, address: str, keeper: str | None) -> None:
    """Close every position of `address` at the mark; fee, then deficit cover and ADL."""
    account = book.accounts[address]
    closed = realised = 0
    for market, position in list(account.positions.items()):
        price = book.mark(market)
        closed += notional(position.size, price)
        realised += book.close_at(account, market, price)
    fee = closed * book.params.liquidation_fee_bps // BPS
    taken = min(fee, max(account.collateral, 0))
    account.collateral -= taken
    to_keeper = min(taken // 2, max(book.held(), 0)) if keeper is not None else 0
    book.insurance += taken - to_keeper
    if keeper is not None and to_keeper:
        denom = book.params.collateral_denom
        book.ledger.add_module(PERPS_ACCOUNT, denom, -to_keeper)
        book.ledger.add(keeper, denom, to_keeper)
    deficit, covered, haircut = cover_deficit(book, account, -realised)
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


def cover_deficit(book: MarginBook, account: MarginAccount, booked: int) -> tuple[int, int, int]:
    """Settle a negative collateral: the insurance fund, then ADL; (deficit, covered, haircut).

    `booked` is what the house just booked from closing the account: the house is its
    counterparty, so that gain, unpaid in part, counts among the profits ADL cuts. What the
    haircuts cannot give (nobody, or too little, in profit) stays on the account, so the books
    still add up and the module pays out no more than it holds.
    """
    deficit = max(-account.collateral, 0)
    covered = haircut = 0
    if deficit and not book.vulns.on("no_insurance_no_adl"):
        covered = book.draw_insurance(deficit)
        account.collateral += covered
        if deficit > covered:
            haircut, _ = book.deleverage(deficit - covered, house_realised=max(booked, 0))
            account.collateral += haircut
    elif deficit:
        account.collateral = 0  # written off: nobody covers it
        book.deficit += deficit
    return deficit, covered, haircut


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
