"""Random mixes of every Delta message, prices that walk and jump, and blocks; every invariant
Delta registers (core, DEX, perps, oracle, and the bridge's) holds after each block. Admission
refusals carry protocol codes; failures at execution change nothing (the invariants would say)."""

from __future__ import annotations

from delta_bench import Delta, make_delta
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from botruntime.chain.tx import Msg
from simnet import SimnetError
from simnet._errors import STATUS

MARKET = "bAX-PERP"
who = st.integers(0, 3)
amount = st.integers(1, 10**9).map(str)


class DeltaMachine(RuleBasedStateMachine):
    @initialize()
    def start(self) -> None:
        self.d: Delta = make_delta()
        self.price = 1_000_000
        msg = {"type": "dex.create_pool", "denom_a": "DX", "denom_b": "bAX"}
        assert (
            self.d.run(
                self.d.traders[0], {**msg, "amount_a": "4000000000", "amount_b": "4000000000"}
            )
            == "committed"
        )
        self.d.feed(self.price)
        self.d.block()

    def _send(self, trader: int, msg: Msg) -> None:
        try:
            self.d.send(self.d.traders[trader], msg)
        except SimnetError as exc:
            assert exc.code in STATUS

    @rule(trader=who, denom=st.sampled_from(["DX", "bAX"]), size=amount, slack=st.integers(0, 2))
    def swap(self, trader: int, denom: str, size: str, slack: int) -> None:
        pool = self.d.dex.pools[1]
        quote = self.d.dex.quote(pool, denom, int(size))
        msg = {"type": "dex.swap", "pool": 1, "denom_in": denom, "amount_in": size}
        self._send(
            trader, {**msg, "min_out": str(quote + slack - 1 if quote else 0), "deadline_height": 0}
        )

    @rule(trader=who, max_a=amount, max_b=amount)
    def add(self, trader: int, max_a: str, max_b: str) -> None:
        msg = {"type": "dex.add_liquidity", "pool": 1, "max_a": max_a, "max_b": max_b}
        self._send(trader, {**msg, "min_shares": "1"})

    @rule(trader=who, share=st.integers(1, 100))
    def remove(self, trader: int, share: int) -> None:
        held = self.d.dex.pools[1].lp.get(self.d.traders[trader].delta_address, 0)
        msg = {
            "type": "dex.remove_liquidity",
            "pool": 1,
            "shares": str(max(held * share // 100, 1)),
        }
        self._send(trader, {**msg, "min_a": "0", "min_b": "0"})

    @rule(trader=who, size=amount)
    def deposit(self, trader: int, size: str) -> None:
        self._send(trader, {"type": "perps.deposit", "amount": size})

    @rule(trader=who, size=amount)
    def withdraw(self, trader: int, size: str) -> None:
        self._send(trader, {"type": "perps.withdraw", "amount": size})

    @rule(trader=who, size=amount)
    def add_margin(self, trader: int, size: str) -> None:
        self._send(trader, {"type": "perps.add_margin", "market": MARKET, "amount": size})

    @rule(
        trader=who,
        side=st.sampled_from(["long", "short"]),
        size=st.integers(1, 5 * 10**9).map(str),
        leverage=st.integers(0, 12),
        reduce_only=st.booleans(),
    )
    def open(self, trader: int, side: str, size: str, leverage: int, reduce_only: bool) -> None:
        msg = {"type": "perps.open", "market": MARKET, "side": side, "size": size}
        self._send(
            trader, {**msg, "leverage": leverage, "limit_price": "0", "reduce_only": reduce_only}
        )

    @rule(trader=who)
    def close(self, trader: int) -> None:
        self._send(trader, {"type": "perps.close", "market": MARKET})

    @rule(keeper=who, victim=who)
    def liquidate(self, keeper: int, victim: int) -> None:
        self._send(
            keeper, {"type": "perps.liquidate", "account": self.d.traders[victim].delta_address}
        )

    @rule(move_bps=st.integers(-800, 800), feeders=st.integers(0, 5))
    def prices(self, move_bps: int, feeders: int) -> None:
        self.price = max(10_000, self.price * (10_000 + move_bps) // 10_000)
        self.d.feed(self.price, feeders=feeders)

    @rule(blocks=st.integers(1, 3))
    def block(self, blocks: int) -> None:
        for _ in range(blocks):
            self.d.block()
            assert self.d.broken() == {}

    @invariant()
    def books_balance(self) -> None:
        if hasattr(self, "d"):
            perps = self.d.perps
            assert perps.open_interest(MARKET)[0] == perps.open_interest(MARKET)[1]


DeltaMachine.TestCase.settings = settings(max_examples=20, stateful_step_count=30, deadline=None)
TestDeltaMachine = DeltaMachine.TestCase
