"""Delta's perpetual futures as a chain module: its messages, its end-block and its invariants.

The book (`_margin`: accounts, the house, equity and margins, the one `trade` primitive) is
shared with funding (`_funding`) and liquidation, insurance and ADL (`_liquidation`); this
module checks and executes `perps.*` messages, runs funding then protocol liquidations at the
end of each block (after the oracle's, so against the price that block published), names the
§7 routes and carries the state for export and import.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

from botruntime.chain.tx import JsonValue, Msg, decode_amount
from botruntime.identity import AddressError, parse_address
from simnet._entry import Entry
from simnet._errors import Rejected
from simnet._module import Check, Module
from simnet.delta._funding import FundingEvent, settle_funding
from simnet.delta._liquidation import cover_deficit, liquidate, protocol_liquidations
from simnet.delta._margin import (
    PERPS_ACCOUNT,
    MarginAccount,
    MarginBook,
    account_from,
    account_state,
)
from simnet.delta._oracle import Feed, Oracle
from simnet.delta._params import DeltaParams

if TYPE_CHECKING:
    from simnet._chain import Chain

__all__ = ["Perps"]

_SIDES: Final = {"long": 1, "short": -1}


class Perps(MarginBook, Module):
    name = "perps"
    msg_types = frozenset(
        {
            "perps.deposit",
            "perps.withdraw",
            "perps.add_margin",
            "perps.open",
            "perps.close",
            "perps.liquidate",
        }
    )

    def __init__(self, params: DeltaParams, chain: Chain, oracle: Oracle) -> None:
        super().__init__(params, chain, oracle)
        chain.ledger.mint_module(
            PERPS_ACCOUNT, params.collateral_denom, params.house_collateral + self.insurance
        )

    def liquidate(self, address: str, keeper: str | None) -> None:
        liquidate(self, address, keeper)

    # ---- messages ------------------------------------------------------------------------------

    def check(self, entry: Entry, msg: Msg, height: int) -> None:
        kind = msg["type"]
        if kind in ("perps.open", "perps.close", "perps.add_margin"):
            self.feed(str(msg["market"]))
        if kind == "perps.open" and str(msg["side"]) not in _SIDES:
            raise Rejected("malformed", "body.msgs[0].side is 'long' or 'short'")
        if kind == "perps.liquidate":
            self._liquidation_target(str(msg["account"]))

    def execute(self, entry: Entry, msg: Msg, height: int, reserved: int) -> None:
        sender, kind = entry.sender, msg["type"]
        if kind == "perps.deposit":
            self._deposit(sender, decode_amount(msg["amount"]), reserved)
        elif kind == "perps.add_margin":
            account = self.accounts.get(sender)
            market = str(msg["market"])
            self.feed(market)
            if account is None or market not in account.positions:
                raise Rejected(
                    "malformed",
                    f"{sender} has no position on {market}; deposit with perps.deposit",
                    {"market": market},
                )
            self._deposit(sender, decode_amount(msg["amount"]), reserved)
        elif kind == "perps.withdraw":
            self._withdraw(sender, decode_amount(msg["amount"]))
        elif kind == "perps.open":
            self._open(sender, msg)
        elif kind == "perps.close":
            self._close(sender, str(msg["market"]))
        else:
            target = self._liquidation_target(str(msg["account"]))
            account = self.accounts.get(target)
            if account is None or not self.liquidatable(account):
                raise Rejected(
                    "not_liquidatable",
                    f"{target} is at or above maintenance margin (or has no position)",
                    {"account": target},
                )
            liquidate(self, target, keeper=sender)

    def _liquidation_target(self, address: str) -> str:
        try:
            parse_address(address, self.chain.spec.hrp)
        except AddressError as exc:
            raise Rejected(
                "invalid_address", f"body.msgs[0].account is not a Delta address: {exc}"
            ) from None
        return address

    def _deposit(self, sender: str, amount: int, reserved: int) -> None:
        denom = self.params.collateral_denom
        spendable = self.ledger.balance(sender, denom) - (
            reserved if denom == self.chain.spec.native else 0
        )
        if amount == 0 or amount > spendable:
            raise Rejected(
                "insufficient_funds",
                f"{sender} may deposit 1 .. {max(spendable, 0)} {denom} besides the fee, "
                f"not {amount}",
                {"denom": denom, "available": str(max(spendable, 0))},
            )
        self.ledger.add(sender, denom, -amount)
        self.ledger.add_module(PERPS_ACCOUNT, denom, amount)
        self.accounts.setdefault(sender, MarginAccount()).collateral += amount

    def _withdraw(self, sender: str, amount: int) -> None:
        account = self.accounts.get(sender, MarginAccount())
        free = self.withdrawable(account)
        if self.vulns.on("withdraw_unchecked"):
            free = account.collateral
        free = min(free, self.held())  # the module never pays out more than it holds
        if amount == 0 or amount > free:
            raise Rejected(
                "margin_insufficient",
                f"{sender} may withdraw up to {max(free, 0)} DX and keep its initial margin "
                f"(the perps module holds {self.held()} DX); asked {amount} (> 0)",
                {"withdrawable": str(max(free, 0))},
            )
        account.collateral -= amount
        denom = self.params.collateral_denom
        self.ledger.add_module(PERPS_ACCOUNT, denom, -amount)
        self.ledger.add(sender, denom, amount)

    def _tradable(self, market: str, opening: bool) -> Feed:
        feed = self.feed(market)
        if feed.stale:
            age = self.oracle.age(feed)
            raise Rejected(
                "oracle_stale",
                f"{market}: the oracle price is {age} blocks old (limit "
                f"{self.params.max_age_blocks}); wait for the feeders",
                {"market": market, "age": age},
            )
        if opening and feed.deviation_halt:
            raise Rejected(
                "market_halted",
                f"{market} is halted: its price moved {feed.move_bps} bps in one block "
                f"(limit {self.params.max_move_bps}); reduce-only orders still execute",
                {"market": market},
            )
        return feed

    def _open(self, sender: str, msg: Msg) -> None:
        market, side = str(msg["market"]), str(msg["side"])
        size, limit = decode_amount(msg["size"]), decode_amount(msg["limit_price"])
        leverage, reduce_only = int(str(msg["leverage"])), bool(msg["reduce_only"])
        if side not in _SIDES:
            raise Rejected("malformed", "body.msgs[0].side is 'long' or 'short'")
        if size == 0:
            raise Rejected("invalid_amount", "body.msgs[0].size is above 0")
        if not 1 <= leverage <= self.params.max_leverage:
            raise Rejected(
                "margin_insufficient",
                f"leverage is 1 .. {self.params.max_leverage}, got {leverage}",
                {"max_leverage": self.params.max_leverage},
            )
        account = self.accounts.get(sender)
        current = None if account is None else account.positions.get(market)
        delta = size * _SIDES[side]
        held = 0 if current is None else current.size
        reducing = held != 0 and (held > 0) != (delta > 0) and size <= abs(held)
        if reduce_only and not reducing:
            raise Rejected(
                "reduce_only_violation",
                f"{sender} holds {held} on {market}; a reduce-only {side} of {size} would "
                "open or flip a position",
                {"position": str(held)},
            )
        feed = self._tradable(market, opening=not reducing)
        price = feed.mark
        if limit and (price > limit if delta > 0 else price < limit):
            raise Rejected(
                "slippage_exceeded",
                f"the mark {price} is beyond limit_price {limit} for a {side}",
                {"mark": str(price), "limit_price": str(limit)},
            )
        if account is None:
            raise Rejected("margin_insufficient", f"{sender} has no margin; perps.deposit first")
        saved = (account.collateral, account.realised, dict(account.positions))
        book = (self.house.collateral, self.insurance, self.deficit, self.haircuts)
        # a flip realises a profit first, which ADL may take from other accounts' collateral
        flips = held != 0 and (held > 0) != (delta > 0) and not reducing
        others = [(a, a.collateral) for a in self.accounts.values()] if flips else []
        realised = self.trade(account, market, delta, price, leverage)
        equity, needed = self.equity(account), self.initial(account)
        if not reducing and equity < needed:
            for other, collateral in others:
                other.collateral = collateral
            account.collateral, account.realised, account.positions = saved
            self.house.collateral, self.insurance, self.deficit, self.haircuts = book
            raise Rejected(
                "margin_insufficient",
                f"{sender} would hold equity {equity} DX against an initial margin of {needed} "
                f"(notional / {leverage}x; at most {self.params.max_leverage}x): deposit more",
                {"equity": str(equity), "initial_margin": str(needed)},
            )
        self.trade(self.house, market, -delta, price, self.params.max_leverage, mirror=True)
        self._settle_bad_debt(account, realised)

    def _settle_bad_debt(self, account: MarginAccount, realised: int) -> None:
        """An account its owner closed out below zero (the mark moved past its margin before a
        liquidation) at a `realised` loss: its debt is a deficit, covered like a
        liquidation's."""
        if not account.positions and account.collateral < 0:
            cover_deficit(self, account, -realised)

    def _close(self, sender: str, market: str) -> None:
        account = self.accounts.get(sender)
        position = None if account is None else account.positions.get(market)
        if account is None or position is None:
            raise Rejected("malformed", f"{sender} has no position on {market} to close")
        realised = self.close_at(account, market, self._tradable(market, opening=False).mark)
        self._settle_bad_debt(account, realised)

    # ---- blocks --------------------------------------------------------------------------------

    def begin_block(self, height: int) -> None:
        self.height = height

    def end_block(self, height: int, taken: Sequence[Entry]) -> None:
        """After the oracle's end-block: funding (the insurance fund, then auto-deleveraging,
        make whole a house it left below zero), then protocol liquidations."""
        if height % self.params.funding_every_blocks == 0:
            for market in self.markets:
                settle_funding(self, market, height)
            self.cover_house()
        protocol_liquidations(self, height)

    # ---- invariants ----------------------------------------------------------------------------

    def invariants(self) -> Mapping[str, Check]:
        return {
            "perps/margin-accounting": self._margin_accounting,
            "perps/open-interest": self._open_interest,
            "perps/funding-zero-sum": lambda: self.broken.get("perps/funding-zero-sum"),
            "perps/liquidation-lag": self._liquidation_lag,
            "perps/insurance-nonnegative": self._insurance,
            "perps/deficit-accounted": self._deficit,
        }

    def _margin_accounting(self) -> str | None:
        held = self.held()
        owed = sum(a.collateral for a in self.accounts.values())
        owed += self.house.collateral + self.insurance
        if held != owed:
            return f"perps holds {held} DX; collateral + house + insurance is {owed}"
        return None

    def _open_interest(self) -> str | None:
        for market in self.markets:
            long, short = self.open_interest(market)
            if long != short:
                return f"{market}: long {long} != short {short}"
        return None

    def _liquidation_lag(self) -> str | None:
        limit = self.params.liquidation_lag_blocks
        for address, account in self.accounts.items():
            since = account.below_since
            if since is not None and self.height - since > limit:
                return f"{address} below maintenance since height {since}"
        return None

    def _insurance(self) -> str | None:
        return None if self.insurance >= 0 else f"insurance fund at {self.insurance}"

    def _deficit(self) -> str | None:
        if self.deficit != self.haircuts:
            return (
                f"uncovered deficit {self.deficit - self.haircuts} DX: deficits beyond the "
                f"insurance fund {self.deficit} != Σ ADL haircuts {self.haircuts}"
            )
        return None

    def to_wire(self) -> JsonValue:
        return {
            "height": self.height,
            "insurance": str(self.insurance),
            "deficit": str(self.deficit),
            "haircuts": str(self.haircuts),
            "broken": dict(sorted(self.broken.items())),
            "house": account_state(self.house),
            "accounts": {a: account_state(x) for a, x in sorted(self.accounts.items())},
            "funding_events": [e.to_wire() for e in self.funding_events],
            "liquidations": list(self.liquidations),
        }

    def load_wire(self, wire: JsonValue) -> None:
        data: Any = wire  # what to_wire wrote
        self.height = int(data["height"])
        self.insurance, self.deficit = int(data["insurance"]), int(data["deficit"])
        self.haircuts = int(data["haircuts"])
        self.broken = {str(k): str(v) for k, v in data["broken"].items()}
        self.house = account_from(data["house"])
        self.accounts = {str(a): account_from(w) for a, w in data["accounts"].items()}
        self.funding_events.clear()
        self.funding_events.extend(FundingEvent.from_wire(e) for e in data["funding_events"])
        self.liquidations.clear()
        self.liquidations.extend(data["liquidations"])
