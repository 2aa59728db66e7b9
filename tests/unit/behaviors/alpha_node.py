"""A scripted Alpha node for the staking and governance behaviours, over `MockTransport`
(the `fleetlet` fixture of this folder's conftest puts a bot on it).

`AlphaNode` answers the reads those behaviours make from plain state the test sets, and puts
every broadcast tx in a block of its own at the next height, so a behaviour runs through a
real `Intent` (reserve, sign, broadcast, commit) and the fleet's commit watcher.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from random import Random
from typing import Any

import orjson

from botruntime.behaviors import BehaviorFn
from botruntime.bots.bot import Bot
from botruntime.chain.testing import MockTransport, Request, answer, error_answer
from botruntime.chain.transport import Answer
from botruntime.chain.tx import JsonValue, Msg, SignedTx, decode_tx
from botruntime.fleet import Chains, FleetContext, Intent
from botruntime.identity import Identity

FEE = 2_000
RUN_SEED = "seed"
# simnet's genesis validators of a network started with the run's seed (their operators' keys)
OPERATORS = [Identity.simnet_validator(RUN_SEED, i) for i in range(3)]
VALIDATORS = [operator.alpha_address for operator in OPERATORS]


@dataclass
class AlphaNode:
    """Alpha as the behaviours see it. `rejects` maps a message type to the code the node
    answers a broadcast of it with (the tx is then not in any block)."""

    height: int = 10
    blocks: dict[int, list[JsonValue]] = field(default_factory=dict)
    delegations: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    redelegations: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    rewards: dict[str, dict[str, Any]] = field(default_factory=dict)
    proposals: list[dict[str, Any]] = field(default_factory=list)
    votes: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    validator_delegations: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    tallies: dict[int, dict[str, Any]] = field(default_factory=dict)
    params: dict[str, JsonValue] = field(
        default_factory=lambda: {"min_fee_base": 500, "min_fee_per_byte": 1}
    )
    rejects: dict[str, str] = field(default_factory=dict)
    sent: list[Msg] = field(default_factory=list)
    signed: list[SignedTx] = field(default_factory=list)
    commission_accrued: str = "0"

    def __call__(self, request: Request) -> Answer:
        path = request.path.split("?")[0]
        parts = path.strip("/").split("/")
        if request.method == "POST" and path == "/txs":
            return self._broadcast(request)
        if path == "/blocks/latest":
            return answer(_block(self.height))
        if parts[0] == "blocks" and parts[-1] == "txs":
            height = int(parts[1])
            return answer({"height": height, "txs": self.blocks.get(height, [])})
        if path == "/validators":
            accrued = self.commission_accrued
            return answer({"validators": [_validator(v, accrued) for v in VALIDATORS]})
        if parts[0] == "validators" and len(parts) == 2:
            return answer(_validator(parts[1], self.commission_accrued))
        if parts[0] == "accounts":
            return answer({"address": parts[1], "nonce": 3, "pubkey": None, "balances": {}})
        if parts[0] == "validators" and parts[-1] == "delegations":
            return answer({"delegations": self.validator_delegations.get(parts[1], [])})
        if parts[0] == "delegators":
            address, what = parts[1], parts[2]
            if what == "delegations":
                return answer({"delegations": self.delegations.get(address, [])})
            if what == "redelegations":
                return answer({"redelegations": self.redelegations.get(address, [])})
            if what == "unbonding":
                return answer({"unbonding": []})
            found = self.rewards.get(address, {"rewards": [], "total": "0", "withdrawn": "0"})
            return answer({"delegator": address, **found})
        if path == "/gov/proposals":
            return answer({"proposals": self.proposals})
        if parts[:2] == ["gov", "proposals"] and parts[-1] == "votes":
            return answer({"votes": self.votes.get(int(parts[2]), [])})
        if parts[:2] == ["gov", "proposals"] and parts[-1] == "tally":
            return answer(self.tallies[int(parts[2])])
        if path == "/gov/params":
            return answer({"min_deposit": "10000000", "min_initial_deposit": "2000000"})
        if path == "/params":
            return answer(self.params)
        if path == "/staking/params":
            return answer(
                {
                    "unbonding_blocks": 5,
                    "max_commission_ppm": 200_000,
                    "max_commission_change_ppm": 50_000,
                }
            )
        if path == "/campaign/payouts":
            return error_answer(404, "not_found")
        raise AssertionError(f"the fake node has no answer for {request.method} {path}")

    def _broadcast(self, request: Request) -> Answer:
        assert request.body is not None
        wire = orjson.loads(request.body)["tx"]
        tx = decode_tx(wire)
        (msg,) = tx.body.msgs
        self.sent.append(msg)
        self.signed.append(tx)
        code = self.rejects.get(str(msg["type"]))
        if code is not None:
            return error_answer(400, code)
        self.height += 1
        self.blocks[self.height] = [{"hash": tx.hash, "index": 0, "tx": wire, "code": "ok"}]
        return answer({"hash": tx.hash, "code": "ok", "status": "pending"}, height=self.height)


def _block(height: int) -> dict[str, JsonValue]:
    return {
        "height": height,
        "time": "2026-01-01T00:00:00.000000Z",
        "hash": f"H{height}",
        "prev_hash": f"H{height - 1}",
        "txs": [],
    }


def _validator(operator: str, accrued: str) -> dict[str, JsonValue]:
    return {
        "operator": operator,
        "moniker": operator[-4:],
        "tokens": "100000000000",
        "shares": "100000000000",
        "power": 100000,
        "commission_ppm": 50000,
        "jailed": False,
        "status": "bonded",
        "missed_blocks": 0,
        "commission_accrued": accrued,
    }


@dataclass
class Fleetlet:
    """One bot of run `run-1`, its fleet context on `node`, and a way to run its behaviours."""

    node: AlphaNode
    transport: MockTransport  # every request the behaviours made
    ctx: FleetContext
    bot: Bot

    async def act(self, behaviour: BehaviorFn, seed: int = 1) -> None:
        intent = Intent(self.ctx, "act", "alpha", 0.0)
        await behaviour(self.bot, Chains(self.ctx, self.bot), Random(seed), intent)

    def count(self, name: str, **labels: str) -> int:
        """A counter the behaviours bumped (they label it with the intent's action, `act`)."""
        return self.ctx.recorder.counter(name, action="act", **labels).value
