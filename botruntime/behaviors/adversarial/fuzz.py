"""Fuzzers (A4 `malformed_fuzz`): malformed transactions and requests, derived from the schema.

Each action is one case (`_fuzz_cases.derive_case`): its seed is drawn from the fleet's seeded
rng, and the case is rebuilt from that seed alone, so the `<family>/<variant>@<seed>` id that a
counter keeps as its example is enough to replay it. The schema is the node's own: its
`GET /params` (chain id, prefix, denoms, limits, fees) and `GET /openapi.json` (the `GET`
endpoints and their parameters), read once per node and kept; the other chain's id and prefix
come from the other side's node when the run has both chains.

What is counted, per case (`action` is `fuzz_alpha` or `fuzz_delta`):
- `adv.fuzz_case{family, code}`: every answer, `code` the reject code, `accepted`, or
  `error` (no usable answer: `n.error` says which, with the case as example);
- `adv.malformed_accepted{family}`: a case that must be refused got a 2xx (example: the case);
- `adv.fuzz_unexpected{family, code}`: a reject that is not a 4xx with one of the role's
  expected codes (the role lists them; they are all codes of PROTOCOL.md's closed set).
The account nonce a case is signed at is the bot's accepted count, which no fuzz case moves:
if the chain took one, the chain's nonce and balance differ from the shadow ledger at the end
(`ledger.mismatch`), which is how a state change shows.
"""

from __future__ import annotations

import asyncio
from random import Random
from typing import TYPE_CHECKING, Final

from botruntime.behaviors._table import behavior
from botruntime.behaviors.adversarial._fuzz_cases import Schema, derive_case, query_routes
from botruntime.bots.bot import Bot, ChainName
from botruntime.chain.errors import ChainError, Rejected
from botruntime.chain.tx import MAX_MEMO_BYTES

if TYPE_CHECKING:  # the fleet imports the behaviours: its types are for annotations only
    from botruntime.fleet import ChainClient, Chains, ChainSide, Intent

__all__ = ["fuzz_alpha", "fuzz_delta", "node_schema"]

_HRP: Final[dict[ChainName, str]] = {"alpha": "ax", "delta": "dx"}
_OTHER: Final[dict[ChainName, ChainName]] = {"alpha": "delta", "delta": "alpha"}
# chain id -> its schema (every node of a chain serves the same): read once per process
_SCHEMAS: dict[str, Schema] = {}


async def node_schema(client: ChainClient, other_chain_id: str, other_hrp: str) -> Schema:
    """The schema of `client`'s node: `GET /params` and `GET /openapi.json`."""
    params = await client.params()
    values = params.values
    denoms = values.get("denoms")
    document = await client.openapi()
    return Schema(
        chain_id=await client.resolve_chain_id(),
        hrp=str(values.get("hrp") or client.hrp),
        native=str(values.get("native_denom") or client.native_denom),
        denoms=tuple(str(d) for d in denoms) if isinstance(denoms, list) else (),
        other_chain_id=other_chain_id,
        other_hrp=other_hrp,
        min_fee_base=params.integer("min_fee_base"),
        min_fee_per_byte=params.integer("min_fee_per_byte"),
        max_tx_bytes=params.integer("max_tx_bytes"),
        max_body_bytes=params.integer("max_body_bytes"),
        max_memo_bytes=MAX_MEMO_BYTES,
        routes=query_routes(document),
    )


async def _schema(chains: Chains, side: ChainSide, node: int, rec: Intent) -> Schema | None:
    client = side.clients[node]
    try:
        key = await client.resolve_chain_id()
    except ChainError as exc:  # recorded; the next action asks again
        rec.error(exc)
        return None
    found = _SCHEMAS.get(key)
    if found is not None:
        return found
    other: ChainName = _OTHER[side.name]
    try:
        other_side = chains.side(other)
    except KeyError:  # a one-chain run: the other chain is named, not asked
        other_id = key.replace(side.name, other, 1)
    else:
        other_id = ""
    try:
        other_id = other_id or await other_side.clients[0].resolve_chain_id()
        schema = await node_schema(client, other_id, _HRP[other])
    except ChainError as exc:  # recorded; the next action asks again
        rec.error(exc)
        return None
    _SCHEMAS[key] = schema
    return schema


async def _fuzz(bot: Bot, chains: Chains, rng: Random, rec: Intent, chain: ChainName) -> None:
    side = chains.side(chain)
    node = rng.randrange(len(side.clients))
    seed = rng.getrandbits(64)  # drawn first: the case stream does not depend on the network
    schema = await _schema(chains, side, node, rec)
    if schema is None:
        return
    # off the event loop: a 2 MiB case takes ~50 ms to build and sign, longer than the
    # loop-lag gate (G2) allows the worker to stall
    case = await asyncio.to_thread(derive_case, seed, schema, bot.identity, bot.accepted(chain))
    client = side.client_for(bot, node=node)
    sent = client.send_raw(case.method, case.path, content=case.body)
    answer = await rec.submit(sent, tx=case.id)
    family = case.family
    if answer is None:  # no usable answer: n.error{kind} holds it, the case as its example
        rec.count("adv.fuzz_case", family=family, code="error", tx=case.id)
        return
    if isinstance(answer, Rejected):
        rec.count("adv.fuzz_case", family=family, code=answer.code, tx=case.id)
        if answer.code not in rec.expected_codes or not 400 <= answer.status < 500:
            rec.count("adv.fuzz_unexpected", family=family, code=answer.code, tx=case.id)
        return
    rec.count("adv.fuzz_case", family=family, code="accepted", tx=case.id)
    if case.must_reject:
        rec.count("adv.malformed_accepted", family=family, tx=case.id)


@behavior("fuzz_alpha", group="adversarial", chain="alpha")
async def fuzz_alpha(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """One malformed tx or query to a random Alpha node; any acceptance is a finding."""
    await _fuzz(bot, chains, rng, rec, "alpha")


@behavior("fuzz_delta", group="adversarial", chain="delta")
async def fuzz_delta(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """One malformed tx or query to a random Delta node; any acceptance is a finding."""
    await _fuzz(bot, chains, rng, rec, "delta")
