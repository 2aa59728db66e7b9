"""Delta's DEX: constant-product pools with a 0.3 % fee and locked minimum liquidity.

Reserves sit in the `dex` module account; LP shares are book entries of the pool (there is no
share denom). Every division rounds in the pool's favour: swap output and withdrawn amounts
down, amounts taken on add up, shares minted down, so √(x·y)/shares never falls. The
`k_leak_rounding` switch rounds swap output and minted shares up instead; `min_out_ignored`
skips the slippage check. Prices for quotes and the TWAP are scaled by `PRICE_SCALE`.

Each executed message writes its result on its tx (`Entry.events`, shown with the block's
txs): `coin_spent` and `coin_received` for every amount that left or reached the sender (a
wallet learns what the chain decided, such as a swap's output, as a Cosmos client reads the
bank events of a tx result), then one `dex.<message>` event with the pool's figures.
"""

from __future__ import annotations

from collections.abc import Mapping
from math import isqrt
from typing import TYPE_CHECKING, Any, Final

from botruntime.chain.tx import JsonValue, Msg, decode_amount
from simnet._entry import Entry
from simnet._errors import Rejected
from simnet._ledger import Ledger
from simnet._module import Check, Module
from simnet.delta._params import DeltaParams
from simnet.delta._pool import Pool, div, pool_from_state, pool_state, swap_out

if TYPE_CHECKING:
    from simnet._chain import Chain

__all__ = ["DEX_ACCOUNT", "Dex"]

DEX_ACCOUNT: Final = "dex"


class Dex(Module):
    name = "dex"
    msg_types = frozenset(
        {"dex.create_pool", "dex.swap", "dex.add_liquidity", "dex.remove_liquidity"}
    )

    def __init__(self, params: DeltaParams, chain: Chain) -> None:
        self.params = params
        self.chain = chain
        self.vulns = chain.vulns
        self.spec = chain.spec
        self.pools: dict[int, Pool] = {}
        self.height = 0
        self.swaps = 0
        self.broken: dict[str, str] = {}  # route -> the first violation seen at execution
        self._moved: list[dict[str, JsonValue]] = []  # the executing message's coin events

    @property
    def ledger(self) -> Ledger:
        return self.chain.ledger  # import replaces the chain's ledger object

    # ---- reads ---------------------------------------------------------------------------------

    def pool(self, pool_id: int) -> Pool:
        pool = self.pools.get(pool_id)
        if pool is None:
            raise Rejected(
                "not_found", f"no pool {pool_id}; GET /dex/pools lists them", {"pool": pool_id}
            )
        return pool

    def quote(self, pool: Pool, denom_in: str, amount_in: int) -> int:
        reserve_in, reserve_out, _ = pool.reserves(denom_in)
        up = self.vulns.on("k_leak_rounding")
        return swap_out(amount_in, reserve_in, reserve_out, self.params.swap_fee_bps, up)

    def twap(self, pool: Pool, window: int) -> tuple[int, int, int]:
        """(price of a in b, price of b in a, blocks covered) over the last `window` blocks."""
        now = (self.height, *self._cumulative(pool, self.height))
        start = now
        for mark in reversed(pool.marks):
            start = mark
            if mark[0] <= self.height - window:
                break
        blocks = now[0] - start[0]
        if blocks == 0:
            return pool.price_a(), pool.price_b(), 0
        return (now[1] - start[1]) // blocks, (now[2] - start[2]) // blocks, blocks

    def spot(self, pair: str) -> int | None:
        """Price of the pair's base in its quote in the thinnest pool (oracle_spot_unguarded)."""
        base, _, quote = pair.partition("/")
        found: tuple[int, int] | None = None
        for pool in self.pools.values():
            if {pool.denom_a, pool.denom_b} == {base, quote}:
                depth = pool.reserve_a if pool.denom_a == quote else pool.reserve_b
                price = pool.price_a() if pool.denom_a == base else pool.price_b()
                if found is None or depth < found[0]:
                    found = (depth, price)
        return None if found is None else found[1]

    # ---- messages ------------------------------------------------------------------------------

    def check(self, entry: Entry, msg: Msg, height: int) -> None:
        kind = msg["type"]
        if kind == "dex.create_pool":
            self._pair(msg)
        else:
            pool = self.pool(_uint(msg["pool"]))
            if kind == "dex.swap":
                pool.reserves(str(msg["denom_in"]))
                deadline = _uint(msg["deadline_height"])
                if deadline and deadline <= height:
                    raise Rejected(
                        "deadline_exceeded",
                        f"body.msgs[0].deadline_height {deadline} is not above the height {height}",
                        {"height": height},
                    )

    def execute(self, entry: Entry, msg: Msg, height: int, reserved: int) -> None:
        kind = msg["type"]
        self._moved = []
        if kind == "dex.swap":
            result = self._swap(entry.sender, msg, height, reserved)
        elif kind == "dex.add_liquidity":
            result = self._add(entry.sender, msg, reserved)
        elif kind == "dex.remove_liquidity":
            result = self._remove(entry.sender, msg)
        else:
            result = self._create(entry.sender, msg, reserved)
        # written only once the message took effect: a refused one leaves no result
        entry.events = [*(entry.events or ()), *self._moved, {"type": kind, **result}]
        self._moved = []

    def _pair(self, msg: Msg) -> tuple[str, str]:
        denom_a, denom_b = str(msg["denom_a"]), str(msg["denom_b"])
        for denom in (denom_a, denom_b):
            if denom not in self.spec.denoms:
                raise Rejected(
                    "unknown_denom",
                    f"{denom} is not a denom of {self.spec.chain_id}; one of "
                    f"{sorted(self.spec.denoms)}",
                    {"denom": denom},
                )
        if denom_a == denom_b:
            raise Rejected("malformed", "body.msgs[0]: denom_a and denom_b must differ")
        return denom_a, denom_b

    def _take(self, sender: str, denom: str, amount: int, reserved: int) -> None:
        """Check `sender` can pay `amount` of `denom` besides the fee (`reserved` native)."""
        held = self.ledger.balance(sender, denom)
        spendable = held - (reserved if denom == self.spec.native else 0)
        if amount > spendable:
            raise Rejected(
                "insufficient_funds",
                f"{sender} needs {amount} {denom} besides the fee but has {max(spendable, 0)}",
                {"denom": denom, "needed": str(amount), "available": str(max(spendable, 0))},
            )

    def _move_in(self, sender: str, denom: str, amount: int) -> None:
        self.ledger.add(sender, denom, -amount)
        self.ledger.add_module(DEX_ACCOUNT, denom, amount)
        self._moved.append(_coin("coin_spent", sender, denom, amount))

    def _move_out(self, sender: str, denom: str, amount: int) -> None:
        self.ledger.add_module(DEX_ACCOUNT, denom, -amount)
        self.ledger.add(sender, denom, amount)
        self._moved.append(_coin("coin_received", sender, denom, amount))

    def _create(self, sender: str, msg: Msg, reserved: int) -> dict[str, JsonValue]:
        denom_a, denom_b = self._pair(msg)
        amount_a, amount_b = decode_amount(msg["amount_a"]), decode_amount(msg["amount_b"])
        shares = isqrt(amount_a * amount_b)
        locked = self.params.min_liquidity
        if shares <= locked:
            raise Rejected(
                "invalid_amount",
                f"√(amount_a·amount_b) is {shares}; a pool needs more than the {locked} "
                "shares locked at creation",
                {"shares": str(shares), "locked": str(locked)},
            )
        for denom, amount in ((denom_a, amount_a), (denom_b, amount_b)):
            self._take(sender, denom, amount, reserved)
        pool_id = len(self.pools) + 1
        pool = Pool(pool_id, denom_a, denom_b, amount_a, amount_b, shares, locked)
        pool.lp[sender] = shares - locked
        pool.last_height = self.height
        pool.marks.append((self.height, 0, 0))
        self._move_in(sender, denom_a, amount_a)
        self._move_in(sender, denom_b, amount_b)
        self.pools[pool_id] = pool
        return {"pool": pool_id, "shares": str(shares - locked)}

    def _swap(self, sender: str, msg: Msg, height: int, reserved: int) -> dict[str, JsonValue]:
        pool = self.pool(_uint(msg["pool"]))
        denom_in = str(msg["denom_in"])
        reserve_in, reserve_out, denom_out = pool.reserves(denom_in)
        deadline = _uint(msg["deadline_height"])
        if deadline and height > deadline:
            raise Rejected(
                "deadline_exceeded",
                f"deadline_height {deadline} passed: executed at {height}",
                {"height": height},
            )
        amount_in, min_out = decode_amount(msg["amount_in"]), decode_amount(msg["min_out"])
        if amount_in == 0:
            raise Rejected("invalid_amount", "body.msgs[0].amount_in is above 0")
        self._take(sender, denom_in, amount_in, reserved)
        out = self.quote(pool, denom_in, amount_in)
        if out < min_out and not self.vulns.on("min_out_ignored"):
            raise Rejected(
                "slippage_exceeded",
                f"the swap pays {out} {denom_out}, below min_out {min_out}",
                {"amount_out": str(out), "min_out": str(min_out)},
            )
        if out == 0 or out >= reserve_out:
            raise Rejected(
                "slippage_exceeded",
                f"the swap would pay {out} {denom_out} of a reserve of {reserve_out}",
                {"amount_out": str(out)},
            )
        before = _value(pool)
        self._move_in(sender, denom_in, amount_in)
        self._move_out(sender, denom_out, out)
        if denom_in == pool.denom_a:
            pool.reserve_a, pool.reserve_b = reserve_in + amount_in, reserve_out - out
        else:
            pool.reserve_b, pool.reserve_a = reserve_in + amount_in, reserve_out - out
        self.swaps += 1
        if out < min_out:
            self._broken("dex/min-out", f"pool {pool.id}: swap paid {out} < min_out {min_out}")
        self._share_value(pool, before)
        return {
            "pool": pool.id,
            "denom_in": denom_in,
            "amount_in": str(amount_in),
            "denom_out": denom_out,
            "amount_out": str(out),
        }

    def _add(self, sender: str, msg: Msg, reserved: int) -> dict[str, JsonValue]:
        pool = self.pool(_uint(msg["pool"]))
        max_a, max_b = decode_amount(msg["max_a"]), decode_amount(msg["max_b"])
        min_shares = decode_amount(msg["min_shares"])
        x, y, total = pool.reserve_a, pool.reserve_b, pool.shares
        up = self.vulns.on("k_leak_rounding")
        shares = min(div(max_a * total, x, up), div(max_b * total, y, up))
        # the pool takes the amounts behind the shares, rounded up (down when leaking)
        amount_a = min(div(shares * x, total, not up), max_a)
        amount_b = min(div(shares * y, total, not up), max_b)
        if shares == 0 or shares < min_shares:
            raise Rejected(
                "slippage_exceeded",
                f"max_a {max_a} and max_b {max_b} buy {shares} shares, below min_shares "
                f"{max(min_shares, 1)}",
                {"shares": str(shares), "min_shares": str(min_shares)},
            )
        self._take(sender, pool.denom_a, amount_a, reserved)
        self._take(sender, pool.denom_b, amount_b, reserved)
        before = _value(pool)
        self._move_in(sender, pool.denom_a, amount_a)
        self._move_in(sender, pool.denom_b, amount_b)
        pool.reserve_a, pool.reserve_b = x + amount_a, y + amount_b
        pool.shares += shares
        pool.lp[sender] = pool.lp.get(sender, 0) + shares
        if amount_a > max_a or amount_b > max_b or shares < min_shares:
            self._broken("dex/min-out", f"pool {pool.id}: add took more than its bounds")
        self._share_value(pool, before)
        return _lp_result(pool.id, amount_a, amount_b, shares)

    def _remove(self, sender: str, msg: Msg) -> dict[str, JsonValue]:
        pool = self.pool(_uint(msg["pool"]))
        shares = decode_amount(msg["shares"])
        min_a, min_b = decode_amount(msg["min_a"]), decode_amount(msg["min_b"])
        held = pool.lp.get(sender, 0)
        if shares == 0 or shares > held:
            raise Rejected(
                "insufficient_funds",
                f"{sender} holds {held} shares of pool {pool.id}; asked to remove {shares} (> 0)",
                {"held": str(held), "shares": str(shares)},
            )
        amount_a = shares * pool.reserve_a // pool.shares
        amount_b = shares * pool.reserve_b // pool.shares
        if amount_a < min_a or amount_b < min_b:
            raise Rejected(
                "slippage_exceeded",
                f"{shares} shares pay {amount_a} {pool.denom_a} and {amount_b} {pool.denom_b}, "
                f"below min_a {min_a} or min_b {min_b}",
                {"amount_a": str(amount_a), "amount_b": str(amount_b)},
            )
        before = _value(pool)
        self._move_out(sender, pool.denom_a, amount_a)
        self._move_out(sender, pool.denom_b, amount_b)
        pool.reserve_a -= amount_a
        pool.reserve_b -= amount_b
        pool.shares -= shares
        pool.lp[sender] = held - shares
        if not pool.lp[sender]:
            del pool.lp[sender]
        self._share_value(pool, before)
        return _lp_result(pool.id, amount_a, amount_b, shares)

    # ---- blocks --------------------------------------------------------------------------------

    def begin_block(self, height: int) -> None:
        """Accumulate each pool's prices as they stood before this block (Uniswap V2 style)."""
        self.height = height
        keep = self.params.twap_history_blocks
        for pool in self.pools.values():
            pool.cum_a, pool.cum_b = self._cumulative(pool, height)
            pool.last_height = height
            pool.marks.append((height, pool.cum_a, pool.cum_b))
            while len(pool.marks) > keep:
                pool.marks.popleft()

    def _cumulative(self, pool: Pool, height: int) -> tuple[int, int]:
        elapsed = height - pool.last_height
        return pool.cum_a + pool.price_a() * elapsed, pool.cum_b + pool.price_b() * elapsed

    # ---- invariants ----------------------------------------------------------------------------

    def _broken(self, route: str, detail: str) -> None:
        self.broken.setdefault(route, f"height {self.height}: {detail}")

    def _share_value(self, pool: Pool, before: tuple[int, int, int]) -> None:
        x0, y0, s0 = before
        x1, y1, s1 = _value(pool)
        # √(x1·y1)/s1 >= √(x0·y0)/s0, squared and cross-multiplied: exact in integers
        if x1 * y1 * s0 * s0 < x0 * y0 * s1 * s1:
            self._broken("dex/share-value", f"pool {pool.id}: √(x·y)/shares fell")

    def invariants(self) -> Mapping[str, Check]:
        return {
            "dex/pool-reserves": self._reserves,
            "dex/share-value": lambda: self.broken.get("dex/share-value"),
            "dex/lp-shares": self._lp_shares,
            "dex/min-out": lambda: self.broken.get("dex/min-out"),
        }

    def _reserves(self) -> str | None:
        total: dict[str, int] = {}
        for pool in self.pools.values():
            total[pool.denom_a] = total.get(pool.denom_a, 0) + pool.reserve_a
            total[pool.denom_b] = total.get(pool.denom_b, 0) + pool.reserve_b
        held = self.ledger.modules.get(DEX_ACCOUNT, {})
        for denom in sorted(set(total) | set(held)):
            if total.get(denom, 0) != held.get(denom, 0):
                return f"{denom}: pools record {total.get(denom, 0)}, dex holds {held.get(denom)}"
        return None

    def _lp_shares(self) -> str | None:
        for pool in self.pools.values():
            if sum(pool.lp.values()) + pool.locked != pool.shares:
                return f"pool {pool.id}: LP shares + locked != total {pool.shares}"
            if (pool.shares > 0) != (pool.reserve_a > 0 and pool.reserve_b > 0):
                return f"pool {pool.id}: shares {pool.shares} but reserves {pool.reserve_a}"
            if pool.locked != self.params.min_liquidity:
                return f"pool {pool.id}: {pool.locked} shares locked"
        return None

    def to_wire(self) -> JsonValue:
        return {
            "height": self.height,
            "swaps": self.swaps,
            "broken": dict(sorted(self.broken.items())),
            "pools": [pool_state(p) for p in self.pools.values()],
        }

    def load_wire(self, wire: JsonValue) -> None:
        data: Any = wire  # what to_wire wrote
        self.height, self.swaps = int(data["height"]), int(data["swaps"])
        self.broken = {str(k): str(v) for k, v in data["broken"].items()}
        self.pools = {}
        for w in data["pools"]:
            pool = pool_from_state(w)
            self.pools[pool.id] = pool


def _coin(kind: str, address: str, denom: str, amount: int) -> dict[str, JsonValue]:
    return {"type": kind, "address": address, "denom": denom, "amount": str(amount)}


def _lp_result(pool: int, amount_a: int, amount_b: int, shares: int) -> dict[str, JsonValue]:
    return {
        "pool": pool,
        "amount_a": str(amount_a),
        "amount_b": str(amount_b),
        "shares": str(shares),
    }


def _value(pool: Pool) -> tuple[int, int, int]:
    return pool.reserve_a, pool.reserve_b, pool.shares


def _uint(value: JsonValue) -> int:
    assert isinstance(value, int)
    return value
