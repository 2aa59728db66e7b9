"""A constant-product pool: reserves, LP shares, TWAP accumulators, and the swap formula.

Plain arithmetic with no ledger: `simnet.delta._dex` moves the tokens. Every division names
its rounding direction (`up`), so the module can round in the pool's favour (or, under
`k_leak_rounding`, against it). Prices are scaled by `PRICE_SCALE`.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from botruntime.chain.tx import JsonValue
from simnet._errors import Rejected
from simnet.delta._params import BPS, PRICE_SCALE

__all__ = ["Pool", "div", "pool_from_state", "pool_state", "swap_out"]


def div(num: int, den: int, up: bool) -> int:
    return -(-num // den) if up else num // den


def swap_out(amount_in: int, reserve_in: int, reserve_out: int, fee_bps: int, up: bool) -> int:
    """x·y = k with the fee kept in the pool: out = a·(1-f)·y / (x + a·(1-f))."""
    kept = amount_in * (BPS - fee_bps)
    return div(kept * reserve_out, reserve_in * BPS + kept, up)


@dataclass(slots=True)
class Pool:
    id: int
    denom_a: str
    denom_b: str
    reserve_a: int
    reserve_b: int
    shares: int  # total, locked minimum included
    locked: int
    lp: dict[str, int] = field(default_factory=dict)
    cum_a: int = 0  # Σ price of a in b x blocks (TWAP accumulators, scaled)
    cum_b: int = 0
    last_height: int = 0
    marks: deque[tuple[int, int, int]] = field(default_factory=deque)  # (height, cum_a, cum_b)

    def reserves(self, denom_in: str) -> tuple[int, int, str]:
        if denom_in == self.denom_a:
            return self.reserve_a, self.reserve_b, self.denom_b
        if denom_in == self.denom_b:
            return self.reserve_b, self.reserve_a, self.denom_a
        raise Rejected(
            "unknown_denom",
            f"pool {self.id} trades {self.denom_a} and {self.denom_b}, not {denom_in}",
            {"pool": self.id, "denom": denom_in},
        )

    def price_a(self) -> int:
        return self.reserve_b * PRICE_SCALE // self.reserve_a

    def price_b(self) -> int:
        return self.reserve_a * PRICE_SCALE // self.reserve_b

    def to_wire(self) -> dict[str, JsonValue]:
        return {
            "id": self.id,
            "denom_a": self.denom_a,
            "denom_b": self.denom_b,
            "reserve_a": str(self.reserve_a),
            "reserve_b": str(self.reserve_b),
            "total_shares": str(self.shares),
            "locked_shares": str(self.locked),
            "price_a_in_b": str(self.price_a()),
            "price_b_in_a": str(self.price_b()),
        }


def pool_state(p: Pool) -> dict[str, JsonValue]:
    """Everything of the pool, for export (the reads use `Pool.to_wire`)."""
    return {
        "id": p.id,
        "denoms": [p.denom_a, p.denom_b],
        "reserves": [str(p.reserve_a), str(p.reserve_b)],
        "shares": str(p.shares),
        "locked": str(p.locked),
        "lp": {a: str(v) for a, v in sorted(p.lp.items())},
        "cum": [str(p.cum_a), str(p.cum_b)],
        "last_height": p.last_height,
        "marks": [[h, str(a), str(b)] for h, a, b in p.marks],
    }


def pool_from_state(w: Any) -> Pool:
    """The pool `pool_state` wrote."""
    return Pool(
        int(w["id"]),
        str(w["denoms"][0]),
        str(w["denoms"][1]),
        int(w["reserves"][0]),
        int(w["reserves"][1]),
        int(w["shares"]),
        int(w["locked"]),
        {a: int(v) for a, v in w["lp"].items()},
        int(w["cum"][0]),
        int(w["cum"][1]),
        int(w["last_height"]),
        deque((int(h), int(a), int(b)) for h, a, b in w["marks"]),
    )
