"""Worked examples for Delta's OpenAPI document, computed from the protocol's own rules.

One small story, told with the state machine's functions and `DeltaParams` (never with
figures typed in): a DX/bAX pool at the oracle's initial price, a quote against it, five
feeders publishing a median, a trader short against the house, one funding event, and a
liquidation that feeds the insurance fund. Change a parameter and every example follows.
"""

from __future__ import annotations

from math import isqrt
from typing import Final, cast

from botruntime.chain.tx import JsonValue
from botruntime.identity import Identity
from simnet.delta._funding import funding_payment, funding_rate
from simnet.delta._margin import notional, pnl
from simnet.delta._oracle import median
from simnet.delta._params import BPS, PRICE_SCALE, DeltaParams
from simnet.delta._pool import swap_out

__all__ = ["delta_examples", "delta_msg_examples"]

_SEED: Final = "openapi-example"


def _ceil(num: int, den: int) -> int:
    return -(-num // den)


def delta_examples(p: DeltaParams) -> dict[str, dict[str, JsonValue]]:
    """Response examples by read name (the keys of `simnet.delta._openapi`'s table)."""
    trader, poor, keeper = (Identity.derive(_SEED, i).delta_address for i in range(3))
    feeders = [Identity.derive(f"{_SEED}/feeders", i).delta_address for i in range(p.feeders)]
    market, pair = p.markets[0]
    base, _, quote_denom = pair.partition("/")
    height = 3 * p.funding_every_blocks  # a funding height

    # dex: reserve_b whole bAX priced at the oracle's initial price, in reserve_a DX
    reserve_a = 10**4 * PRICE_SCALE
    reserve_b = reserve_a * PRICE_SCALE // p.initial_price
    shares = isqrt(reserve_a * reserve_b)
    pool: dict[str, JsonValue] = {
        "id": 1,
        "denom_a": quote_denom,
        "denom_b": base,
        "reserve_a": str(reserve_a),
        "reserve_b": str(reserve_b),
        "total_shares": str(shares),
        "locked_shares": str(p.min_liquidity),
        "price_a_in_b": str(reserve_b * PRICE_SCALE // reserve_a),
        "price_b_in_a": str(reserve_a * PRICE_SCALE // reserve_b),
    }
    amount_in = reserve_a // 1_000
    quote: dict[str, JsonValue] = {
        "pool": 1,
        "denom_in": quote_denom,
        "amount_in": str(amount_in),
        "denom_out": base,
        "amount_out": str(swap_out(amount_in, reserve_a, reserve_b, p.swap_fee_bps, False)),
        "fee_bps": p.swap_fee_bps,
        "height": height,
    }
    twap: dict[str, JsonValue] = {
        "pool": 1,
        "window": p.twap_blocks,
        "blocks": p.twap_blocks,
        "price_a_in_b": pool["price_a_in_b"],
        "price_b_in_a": pool["price_b_in_a"],
        "height": height,
    }

    # oracle: each feeder a step of 0.1 % above the last; the median is published
    old = p.initial_price
    submitted = [old + i * old // 1_000 for i in range(p.feeders)]
    index = median(submitted)
    move_bps = _ceil(abs(index - old) * BPS, old)
    window = [old] * (p.twap_blocks - 1) + [index]
    mark = sum(window) // len(window)
    status = "halted" if move_bps > p.max_move_bps else "open"
    price: dict[str, JsonValue] = {
        "pair": pair,
        "median": str(index),
        "twap": str(mark),
        "age": 0,
        "updated_height": height,
        "sources": len(submitted),
        "move_bps": move_bps,
        "status": status,
    }

    # perps: the trader shorts `size` at leverage 3 at the old mark, the house is long
    size, leverage, collateral = 1_000 * PRICE_SCALE, 3, 1_000 * PRICE_SCALE
    rate = funding_rate(mark, index, p.funding_clamp_ppm)
    trader_pays, house_pays = funding_payment(-size, mark, rate), funding_payment(size, mark, rate)
    paid = sum(x for x in (trader_pays, house_pays) if x > 0)
    received = -sum(x for x in (trader_pays, house_pays) if x < 0)
    funding: dict[str, JsonValue] = {
        "height": height,
        "market": market,
        "rate_ppm": rate,
        "mark": str(mark),
        "index": str(index),
        "paid": str(paid),
        "received": str(received),
        "dust": str(paid - received),
    }
    collateral -= trader_pays
    upnl = pnl(-size, old, mark)
    equity = collateral + upnl
    value = notional(size, mark)
    initial = _ceil(value, leverage)
    maintenance = _ceil(value * p.maintenance_margin_bps, BPS)
    position: dict[str, JsonValue] = {
        "market": market,
        "side": "short",
        "size": str(size),
        "entry_price": str(old),
        "mark": str(mark),
        "leverage": leverage,
        "unrealised_pnl": str(upnl),
    }
    account: dict[str, JsonValue] = {
        "address": trader,
        "collateral": str(collateral),
        "unrealised_pnl": str(upnl),
        "equity": str(equity),
        "initial_margin": str(initial),
        "maintenance_margin": str(maintenance),
        "margin_ratio_bps": equity * BPS // maintenance,
        "withdrawable": str(max(min(collateral, equity) - initial, 0)),
        "realised_pnl": "0",
        "funding": str(-trader_pays),
        "liquidatable": equity < maintenance,
        "positions": [position],
    }
    market_wire: dict[str, JsonValue] = {
        "market": market,
        "pair": pair,
        "mark": str(mark),
        "index": str(index),
        "open_interest_long": str(size),
        "open_interest_short": str(size),
        "last_funding": funding,
        "funding_every_blocks": p.funding_every_blocks,
        "status": status,
        "price_age": 0,
    }

    # a second short holding half its maintenance margin: a keeper liquidates it
    thin = maintenance // 2
    thin_equity = thin + upnl
    fee = value * p.liquidation_fee_bps // BPS
    taken = min(fee, max(thin_equity, 0))
    liquidation: dict[str, JsonValue] = {
        "height": height + 1,
        "account": poor,
        "keeper": keeper,
        "notional": str(value),
        "fee": str(taken),
        "keeper_fee": str(taken // 2),
        "deficit": str(max(-(thin_equity - taken), 0)),
        "insurance_cover": str(max(-(thin_equity - taken), 0)),
        "adl_haircut": "0",
    }
    return {
        "pools": {"pools": [pool]},
        "pool": pool,
        "quote": quote,
        "twap": twap,
        "shares": {  # the pool's creator: everything but the locked minimum
            "pool": 1,
            "address": trader,
            "shares": str(shares - p.min_liquidity),
            "total_shares": str(shares),
            "height": height,
        },
        "perps_params": cast(dict[str, JsonValue], p.to_wire()),
        "markets": {"markets": [market_wire]},
        "market": market_wire,
        "funding": {"market": market, "events": [funding]},
        "account": account,
        "positions": {"address": trader, "positions": [position]},
        "liquidatable": {
            "accounts": [
                {
                    "address": poor,
                    "equity": str(thin_equity),
                    "maintenance_margin": str(maintenance),
                    "below_since": height,
                }
            ],
            "height": height,
        },
        "insurance_fund": {
            "balance": str(p.insurance_genesis + paid - received + taken - taken // 2),
            "uncovered_deficit": "0",
            "adl_haircuts": "0",
            "recent_liquidations": [liquidation],
        },
        "prices": {"prices": [price]},
        "price": price,
        "feeders": {"feeders": list[JsonValue](feeders), "min_feeders": p.min_feeders},
    }


def delta_msg_examples(p: DeltaParams) -> dict[str, dict[str, JsonValue]]:
    """One example of each Delta message, continuing the story of `delta_examples`."""
    reads = delta_examples(p)
    pool, quote, account = reads["pool"], reads["quote"], reads["account"]
    total, x, y = (int(str(pool[k])) for k in ("total_shares", "reserve_a", "reserve_b"))
    max_a, max_b = x // 100, y // 100
    shares = min(max_a * total // x, max_b * total // y)  # rounded down: the pool's favour
    market, pair = p.markets[0]
    position = account["positions"]
    assert isinstance(position, list) and isinstance(position[0], dict)
    return {
        "dex.create_pool": {
            "denom_a": pool["denom_a"],
            "denom_b": pool["denom_b"],
            "amount_a": pool["reserve_a"],
            "amount_b": pool["reserve_b"],
        },
        "dex.swap": {
            "pool": 1,
            "denom_in": quote["denom_in"],
            "amount_in": quote["amount_in"],
            "min_out": quote["amount_out"],
            "deadline_height": int(str(quote["height"])) + 2,
        },
        "dex.add_liquidity": {
            "pool": 1,
            "max_a": str(max_a),
            "max_b": str(max_b),
            "min_shares": str(shares),
        },
        "dex.remove_liquidity": {
            "pool": 1,
            "shares": str(shares),
            "min_a": str(shares * x // total),
            "min_b": str(shares * y // total),
        },
        "perps.deposit": {"amount": str(1_000 * PRICE_SCALE)},
        "perps.withdraw": {"amount": account["withdrawable"]},
        "perps.add_margin": {"market": market, "amount": str(100 * PRICE_SCALE)},
        "perps.open": {
            "market": market,
            "side": position[0]["side"],
            "size": position[0]["size"],
            "leverage": position[0]["leverage"],
            "limit_price": "0",
            "reduce_only": False,
        },
        "perps.close": {"market": market},
        "perps.liquidate": {"account": Identity.derive(_SEED, 1).delta_address},
        "oracle.submit_price": {"pair": pair, "price": reads["price"]["median"]},
    }
