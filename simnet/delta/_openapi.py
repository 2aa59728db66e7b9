"""OpenAPI paths of Delta's market reads (SCENARIOS.md §6 "Delta"), with typed answers.

Each read names its parameters, the JSON schema of its answer (amounts are decimal strings,
signed where a loss can show) and a worked example from `simnet.delta._examples`, so the
fuzzer reaches every route and a client can check its models against the document. Delta's
messages (`dex.*`, `perps.*`, `oracle.submit_price`) travel in `POST /txs`; their shapes are
`components.schemas` built from the decoder's own table (`MSG_SCHEMAS`).
"""

from __future__ import annotations

from typing import Any, Final

from botruntime.chain.tx import MSG_SCHEMAS
from simnet._json_schemas import AMOUNT, PARAM_UINT, address, denom, msg_schema
from simnet._params import ALPHA, DELTA
from simnet.delta._examples import delta_examples, delta_msg_examples
from simnet.delta._params import DeltaParams

__all__ = ["DELTA_MSG_PREFIXES", "delta_msg_schemas", "delta_paths", "delta_schemas"]

DELTA_MSG_PREFIXES: Final = ("dex.", "perps.", "oracle.")

_STR: Final = {"type": "string"}
_INT: Final = {"type": "integer"}
_UINT: Final = {"type": "integer", "minimum": 0}
_BOOL: Final = {"type": "boolean"}
_AMOUNT: Final = AMOUNT
_SIGNED: Final = {"type": "string", "pattern": "^(0|-?[1-9][0-9]*)$"}  # PnL, equity, funding
_STATUS: Final = {"type": "string", "enum": ["open", "halted", "stale"]}
_ERROR_REF: Final = {"$ref": "#/components/schemas/Error"}


def _obj(**props: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": sorted(props), "properties": props}


def _list(item: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": item}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


_POOL: Final = _obj(
    id=_UINT,
    denom_a=_STR,
    denom_b=_STR,
    reserve_a=_AMOUNT,
    reserve_b=_AMOUNT,
    total_shares=_AMOUNT,
    locked_shares=_AMOUNT,
    price_a_in_b=_AMOUNT,
    price_b_in_a=_AMOUNT,
)
_FUNDING_EVENT: Final = _obj(
    height=_UINT,
    market=_STR,
    rate_ppm=_INT,
    mark=_AMOUNT,
    index=_AMOUNT,
    paid=_AMOUNT,
    received=_AMOUNT,
    dust=_AMOUNT,
)
_MARKET: Final = _obj(
    market=_STR,
    pair=_STR,
    mark=_AMOUNT,
    index=_AMOUNT,
    open_interest_long=_AMOUNT,
    open_interest_short=_AMOUNT,
    last_funding=_nullable(_FUNDING_EVENT),
    funding_every_blocks=_UINT,
    status=_STATUS,
    price_age=_UINT,
)
_POSITION: Final = _obj(
    market=_STR,
    side={"type": "string", "enum": ["long", "short"]},
    size=_AMOUNT,
    entry_price=_AMOUNT,
    mark=_AMOUNT,
    leverage=_UINT,
    unrealised_pnl=_SIGNED,
)
_LIQUIDATION: Final = _obj(
    height=_UINT,
    account=_STR,
    keeper=_nullable(_STR),
    notional=_AMOUNT,
    fee=_AMOUNT,
    keeper_fee=_AMOUNT,
    deficit=_AMOUNT,
    insurance_cover=_AMOUNT,
    adl_haircut=_AMOUNT,
)
_PRICE: Final = _obj(
    pair=_STR,
    median=_AMOUNT,
    twap=_AMOUNT,
    age=_UINT,
    updated_height=_UINT,
    sources=_UINT,
    move_bps=_UINT,
    status=_STATUS,
)
_PERPS_PARAMS: Final = {
    "type": "object",
    "required": ["max_leverage", "initial_margin_bps", "maintenance_margin_bps"],
    "properties": {"max_leverage": _UINT, "markets": _list(_list(_STR)), "pairs": _list(_STR)},
    "additionalProperties": {"anyOf": [_INT, _STR, {"type": "array"}]},
}

# read name -> (path, summary, answer schema)
_READS: Final[dict[str, tuple[str, str, dict[str, Any]]]] = {
    "pools": ("/dex/pools", "every pool", _obj(pools=_list(_POOL))),
    "pool": ("/dex/pools/{pool}", "one pool: reserves, shares, spot prices", _POOL),
    "quote": (
        "/dex/pools/{pool}/quote",
        "what a swap would pay now (fee kept, rounded down)",
        _obj(
            pool=_UINT,
            denom_in=_STR,
            amount_in=_AMOUNT,
            denom_out=_STR,
            amount_out=_AMOUNT,
            fee_bps=_UINT,
            height=_UINT,
        ),
    ),
    "twap": (
        "/dex/pools/{pool}/twap",
        "time-weighted prices over the last `window` blocks",
        _obj(
            pool=_UINT,
            window=_UINT,
            blocks=_UINT,
            price_a_in_b=_AMOUNT,
            price_b_in_a=_AMOUNT,
            height=_UINT,
        ),
    ),
    "shares": (
        "/dex/pools/{pool}/shares/{address}",
        "the LP shares an address holds in the pool",
        _obj(pool=_UINT, address=_STR, shares=_AMOUNT, total_shares=_AMOUNT, height=_UINT),
    ),
    "perps_params": ("/perps/params", "perps, oracle and DEX parameters", _PERPS_PARAMS),
    "markets": ("/perps/markets", "every perps market", _obj(markets=_list(_MARKET))),
    "market": ("/perps/markets/{market}", "mark, index, open interest, funding, status", _MARKET),
    "funding": (
        "/perps/markets/{market}/funding",
        "a market's recent funding events",
        _obj(market=_STR, events=_list(_FUNDING_EVENT)),
    ),
    "account": (
        "/perps/accounts/{address}",
        "collateral, equity, margins and positions of an account",
        _obj(
            address=_STR,
            collateral=_SIGNED,
            unrealised_pnl=_SIGNED,
            equity=_SIGNED,
            initial_margin=_AMOUNT,
            maintenance_margin=_AMOUNT,
            margin_ratio_bps=_nullable(_INT),
            withdrawable=_AMOUNT,
            realised_pnl=_SIGNED,
            funding=_SIGNED,
            liquidatable=_BOOL,
            positions=_list(_POSITION),
        ),
    ),
    "positions": (
        "/perps/positions/{address}",
        "an account's open positions",
        _obj(address=_STR, positions=_list(_POSITION)),
    ),
    "liquidatable": (
        "/perps/liquidatable",
        "accounts below maintenance margin now",
        _obj(
            accounts=_list(
                _obj(
                    address=_STR,
                    equity=_SIGNED,
                    maintenance_margin=_AMOUNT,
                    below_since=_nullable(_UINT),
                )
            ),
            height=_UINT,
        ),
    ),
    "insurance_fund": (
        "/perps/insurance_fund",
        "the insurance fund, uncovered deficits, ADL haircuts, recent liquidations",
        _obj(
            balance=_SIGNED,
            uncovered_deficit=_AMOUNT,
            adl_haircuts=_AMOUNT,
            recent_liquidations=_list(_LIQUIDATION),
        ),
    ),
    "prices": ("/oracle/prices", "every oracle pair", _obj(prices=_list(_PRICE))),
    "price": (
        "/oracle/prices/{base}/{quote}",
        "median, TWAP, age, sources and status of the pair base/quote",
        _PRICE,
    ),
    "feeders": (
        "/oracle/feeders",
        "the feeder set",
        _obj(feeders=_list(_STR), min_feeders=_UINT),
    ),
}


def _path(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": schema}


def _query(name: str, schema: dict[str, Any], required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "schema": schema}


def _parameters(path: str, params: DeltaParams) -> list[dict[str, Any]]:
    """Each parameter as the handler checks it: an unknown pool, market or pair is a 404, a
    `window` or `limit` over its maximum is clamped to it, so neither bounds the schema."""
    found: list[dict[str, Any]] = []
    if "{pool}" in path:
        found.append(_path("pool", PARAM_UINT))
    if "{market}" in path:
        markets = sorted(market for market, _ in params.markets)
        found.append(_path("market", {"type": "string", "enum": markets}))
    if "{address}" in path:
        found.append(_path("address", address(DELTA)))
    if "{base}/{quote}" in path:  # a pair is base/quote, e.g. bAX/DX
        bases, quotes = zip(*(pair.split("/") for pair in params.pairs), strict=True)
        found.append(_path("base", {"type": "string", "enum": sorted(set(bases))}))
        found.append(_path("quote", {"type": "string", "enum": sorted(set(quotes))}))
    if path.endswith("/quote"):
        in_denom = {**denom(DELTA), "description": "one of the pool's two denoms"}
        found += [_query("denom_in", in_denom, True), _query("amount_in", AMOUNT, True)]
    if path.endswith("/twap"):
        window = f"blocks, at most twap_history_blocks ({params.twap_history_blocks}) counted"
        found.append(_query("window", {**PARAM_UINT, "description": window}))
    if path.endswith("/liquidatable"):
        found.append(_query("limit", PARAM_UINT))
    return found


def delta_schemas() -> dict[str, dict[str, Any]]:
    """The answer schema of each read, by read name (clients check their models against it)."""
    return {name: schema for name, (_, _, schema) in _READS.items()}


def delta_paths(params: DeltaParams | None = None) -> dict[str, Any]:
    params = params or DeltaParams()
    examples = delta_examples(params)
    paths: dict[str, Any] = {}
    for name, (path, summary, schema) in _READS.items():
        op: dict[str, Any] = {
            "summary": summary,
            "operationId": f"delta_{name}",
            "responses": {
                "200": {
                    "description": "ok",
                    "content": {"application/json": {"schema": schema, "example": examples[name]}},
                },
                "default": {
                    "description": "an error answer",
                    "content": {"application/json": {"schema": _ERROR_REF}},
                },
            },
        }
        parameters = _parameters(path, params)
        if parameters:
            op["parameters"] = parameters
        paths[path] = {"get": op}
    return paths


def delta_msg_schemas(params: DeltaParams | None = None) -> dict[str, dict[str, Any]]:
    """`components.schemas` for Delta's messages, as a tx to Delta carries them (the shapes of
    `simnet._json_schemas`), each with a worked example."""
    examples = delta_msg_examples(params or DeltaParams())
    out: dict[str, dict[str, Any]] = {}
    for kind in MSG_SCHEMAS:
        if kind.startswith(DELTA_MSG_PREFIXES):
            example = {"type": kind, **examples[kind]}
            out[kind] = {**msg_schema(kind, DELTA, ALPHA), "examples": [example]}
    return out
