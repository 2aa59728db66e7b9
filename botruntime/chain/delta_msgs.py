"""Delta's messages as the decoder expects them (`tx.MSG_SCHEMAS`): pure builders, no I/O.

Amounts go out as canonical decimal strings, ids and heights as integers. A bad side or
leverage is refused here, before signing, with the field and the fix named.
"""

from __future__ import annotations

from typing import Literal

from botruntime.chain.tx import Msg, encode_amount

__all__ = [
    "Side",
    "dex_add_liquidity",
    "dex_create_pool",
    "dex_remove_liquidity",
    "dex_swap",
    "oracle_submit_price",
    "perps_add_margin",
    "perps_close",
    "perps_deposit",
    "perps_liquidate",
    "perps_open",
    "perps_withdraw",
]

Side = Literal["long", "short"]


def dex_create_pool(denom_a: str, denom_b: str, amount_a: int, amount_b: int) -> Msg:
    return {
        "type": "dex.create_pool",
        "denom_a": denom_a,
        "denom_b": denom_b,
        "amount_a": encode_amount(amount_a),
        "amount_b": encode_amount(amount_b),
    }


def dex_swap(pool: int, denom_in: str, amount_in: int, min_out: int, deadline_height: int) -> Msg:
    """`deadline_height` 0 means none; otherwise the swap fails in a later block."""
    return {
        "type": "dex.swap",
        "pool": pool,
        "denom_in": denom_in,
        "amount_in": encode_amount(amount_in),
        "min_out": encode_amount(min_out),
        "deadline_height": deadline_height,
    }


def dex_add_liquidity(pool: int, max_a: int, max_b: int, min_shares: int) -> Msg:
    return {
        "type": "dex.add_liquidity",
        "pool": pool,
        "max_a": encode_amount(max_a),
        "max_b": encode_amount(max_b),
        "min_shares": encode_amount(min_shares),
    }


def dex_remove_liquidity(pool: int, shares: int, min_a: int, min_b: int) -> Msg:
    return {
        "type": "dex.remove_liquidity",
        "pool": pool,
        "shares": encode_amount(shares),
        "min_a": encode_amount(min_a),
        "min_b": encode_amount(min_b),
    }


def perps_deposit(amount: int) -> Msg:
    return {"type": "perps.deposit", "amount": encode_amount(amount)}


def perps_withdraw(amount: int) -> Msg:
    return {"type": "perps.withdraw", "amount": encode_amount(amount)}


def perps_add_margin(market: str, amount: int) -> Msg:
    return {"type": "perps.add_margin", "market": market, "amount": encode_amount(amount)}


def perps_open(
    market: str, side: Side, size: int, leverage: int, limit_price: int, reduce_only: bool
) -> Msg:
    """`limit_price` 0 means any price; otherwise a long fails above it, a short below it."""
    if side not in ("long", "short"):
        raise ValueError(f"side is 'long' or 'short', got {side!r}")
    if leverage < 1:
        raise ValueError(f"leverage is at least 1 (1x), got {leverage}")
    return {
        "type": "perps.open",
        "market": market,
        "side": side,
        "size": encode_amount(size),
        "leverage": leverage,
        "limit_price": encode_amount(limit_price),
        "reduce_only": reduce_only,
    }


def perps_close(market: str) -> Msg:
    return {"type": "perps.close", "market": market}


def perps_liquidate(account: str) -> Msg:
    return {"type": "perps.liquidate", "account": account}


def oracle_submit_price(pair: str, price: int) -> Msg:
    return {"type": "oracle.submit_price", "pair": pair, "price": encode_amount(price)}
