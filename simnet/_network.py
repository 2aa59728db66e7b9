"""The whole reference network: Alpha and Delta, their nodes, the clock, reset, export/import.

`Network` is what the HTTP layer and the tests drive. It is synchronous: the block clock and
the gossip pump (simnet._runtime) call `tick` and `pump`; tests call `step` instead.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

import orjson

from botruntime.chain.tx import DENOMS, Denom, JsonValue, decode_amount
from botruntime.identity import AddressError, Identity, parse_address
from simnet._blocks import Block, TxRecord
from simnet._chain import Chain
from simnet._errors import Rejected, Throttled
from simnet._install import install_modules
from simnet._invariants import Invariants
from simnet._ledger import Ledger
from simnet._params import ChainSpec, Params, chain_specs
from simnet._producer import BlockResult, faucet_hash, produce_block
from simnet._vuln import Vulns
from simnet.bridge import ESCROW

BAX: Final = Denom.BAX.value

__all__ = ["EXPORT_VERSION", "GenesisAccount", "Network"]

VALIDATOR_FUNDS: Final = 10**12
EXPORT_VERSION: Final = 1


@dataclass(frozen=True, slots=True)
class GenesisAccount:
    """An address funded at genesis (either prefix); each denom lands on the chain that has it."""

    address: str
    balances: Mapping[str, int]


class Network:
    def __init__(
        self,
        params: Params,
        seed: str,
        vulns: Iterable[str] = (),
        chain_suffix: int = 1,
        clock: Callable[[], float] | None = None,
        alpha_params: Mapping[str, int] | None = None,
    ) -> None:
        self.params = params
        self.alpha_params = dict(alpha_params or {})  # overrides of Alpha's module parameters
        self.vulns = Vulns(vulns)
        self.specs: tuple[ChainSpec, ChainSpec] = chain_specs(chain_suffix)
        self.clock = clock or time.time
        self.block_time_s = params.block_time_s
        self.clock_paused = False
        self.listeners: list[Callable[[str, BlockResult], None]] = []
        self.reset(seed, ())

    # ---- genesis -------------------------------------------------------------------------------

    def reset(self, seed: str, genesis: Sequence[GenesisAccount]) -> None:
        """A fresh genesis: validators funded from `seed`, plus every genesis account."""
        alpha_spec, delta_spec = self.specs
        now_us = int(self.clock() * 1_000_000)
        self.seed = seed
        self.chains: dict[str, Chain] = {
            "alpha": Chain(alpha_spec, delta_spec, self.params, self.vulns, seed, now_us),
            "delta": Chain(delta_spec, alpha_spec, self.params, self.vulns, seed, now_us),
        }
        install_modules(self.chains, seed, self.alpha_params)
        self.invariants = {
            name: Invariants(chain, self._roundtrip_of(name)) for name, chain in self.chains.items()
        }
        for chain in self.chains.values():
            chain.ledger.begin_block(0)
            for i in range(self.params.nodes):
                validator = Identity.simnet_validator(seed, i)
                chain.ledger.mint(
                    validator.address(chain.spec.hrp), chain.spec.native, VALIDATOR_FUNDS
                )
        for account in genesis:
            for denom, amount in account.balances.items():
                chain = self.chain_of_denom(denom)
                address = parse_address(account.address).encode(chain.spec.hrp)
                chain.ledger.mint(address, denom, amount)
                if denom == BAX:  # a genesis voucher is backed like a bridged one
                    self.chains["alpha"].ledger.mint_module(ESCROW, "AX", amount)
        for chain in self.chains.values():
            chain.ledger.end_block()
        for invariants in self.invariants.values():
            invariants.full()  # genesis itself is checked: verdicts mean something at once

    def chain_of_denom(self, denom: str) -> Chain:
        for chain in self.chains.values():
            if denom in chain.spec.denoms:
                return chain
        raise Rejected("unknown_denom", f"unknown denom {denom!r}; one of {sorted(DENOMS)}")

    @staticmethod
    def parse_genesis(wire: object) -> list[GenesisAccount]:
        """`[{address, balances: {denom: amount}}]` from JSON, or Rejected naming the field."""
        if not isinstance(wire, list):
            raise Rejected("malformed", "genesis_accounts is a list of {address, balances}")
        out: list[GenesisAccount] = []
        for i, item in enumerate(wire):
            path = f"genesis_accounts[{i}]"
            if not isinstance(item, dict) or set(item) - {"address", "balances"}:
                raise Rejected("malformed", f"{path} is an object with address and balances")
            address, balances = item.get("address"), item.get("balances", {})
            try:
                parse_address(address)  # type: ignore[arg-type]
            except AddressError as exc:
                raise Rejected("invalid_address", f"{path}.address: {exc}") from None
            if not isinstance(balances, dict):
                raise Rejected("malformed", f"{path}.balances is an object {{denom: amount}}")
            parsed: dict[str, int] = {}
            for denom, amount in balances.items():
                if denom not in DENOMS:
                    raise Rejected("unknown_denom", f"{path}.balances: unknown denom {denom!r}")
                try:
                    parsed[denom] = decode_amount(amount, f"{path}.balances.{denom}")
                except ValueError as exc:
                    raise Rejected("invalid_amount", str(exc)) from None
            out.append(GenesisAccount(str(address), parsed))
        return out

    # ---- blocks and gossip ---------------------------------------------------------------------

    def pump(self, now_s: float | None = None) -> None:
        """Deliver the gossip that is due."""
        now = self.clock() if now_s is None else now_s
        for chain in self.chains.values():
            chain.deliver_gossip(now)

    def tick(self) -> list[BlockResult]:
        """One block on each chain, at the current time."""
        self.pump()
        now_us = int(self.clock() * 1_000_000)
        return [r for c in self.chains.values() if (r := self._produce(c, now_us)) is not None]

    def step(self, blocks: int) -> list[BlockResult]:
        """Stepped mode: deliver all gossip, then make `blocks` blocks on each chain (with 0,
        only the gossip)."""
        results: list[BlockResult] = []
        if blocks == 0:
            self.pump(float("inf"))
        for _ in range(blocks):
            self.pump(float("inf"))
            for chain in self.chains.values():
                now_us = max(
                    int(self.clock() * 1_000_000),
                    chain.latest.time_us + int(self.block_time_s * 1_000_000),
                )
                result = self._produce(chain, now_us)
                if result is not None:
                    results.append(result)
        return results

    def _produce(self, chain: Chain, now_us: int) -> BlockResult | None:
        result = produce_block(chain, now_us)
        if result is None:
            return None
        name = chain.spec.name
        self.invariants[name].after_block(result)
        for listener in self.listeners:
            listener(name, result)
        return result

    # ---- faucet --------------------------------------------------------------------------------

    def faucet(self, chain: Chain, address: object, denom: object, amount: object) -> str:
        """Queue a faucet credit for the next block; raise on a bad request or spent quota."""
        if not isinstance(address, str):
            raise Rejected("malformed", "address is a string, e.g. an 'ax1…' address")
        try:
            parse_address(address, chain.spec.hrp)
        except AddressError as exc:
            raise Rejected("invalid_address", f"address: {exc}") from None
        if not isinstance(denom, str) or denom not in chain.spec.denoms:
            raise Rejected(
                "unknown_denom",
                f"denom {denom!r} is not one of {sorted(chain.spec.denoms)} "
                f"on {chain.spec.chain_id}",
            )
        try:
            value = decode_amount(amount, "amount")
        except ValueError as exc:
            raise Rejected("invalid_amount", str(exc)) from None
        key = (address, denom)
        drawn = chain.faucet_drawn.get(key, 0)
        quota = self.params.faucet_quota
        if value == 0 or drawn + value > quota:
            raise Throttled(
                "quota_exceeded",
                f"{address} may draw {quota - drawn} more {denom} from the faucet (quota {quota})",
                {"remaining": str(quota - drawn), "quota": str(quota)},
                retry_after_s=3600.0,
            )
        source = (chain.faucet_source(address), denom)
        from_source = chain.faucet_source_drawn.get(source, 0)
        source_quota = self.params.faucet_source_quota
        per_address_only = self.vulns.on("sybil_per_address_only")
        if from_source + value > source_quota and not per_address_only:
            raise Throttled(
                "quota_exceeded",
                f"{address} is funded by {source[0]}, whose addresses may draw "
                f"{source_quota - from_source} more {denom} from the faucet together "
                f"(quota per funding source {source_quota})",
                {
                    "remaining": str(source_quota - from_source),
                    "quota": str(source_quota),
                    "source": source[0],
                },
                retry_after_s=3600.0,
            )
        chain.faucet_drawn[key] = drawn + value
        chain.faucet_source_drawn[source] = from_source + value
        serial = len(chain.faucet_queue) + len(chain.index)
        tx_hash = faucet_hash(chain.spec.chain_id, address, denom, value, serial)
        chain.faucet_queue.append((tx_hash, address, denom, value))
        return tx_hash

    # ---- state hash, export, import ------------------------------------------------------------

    def state_hash(self) -> str:
        return hashlib.sha256(
            orjson.dumps(
                {name: _consensus_state(c) for name, c in self.chains.items()},
                option=orjson.OPT_SORT_KEYS,
            )
        ).hexdigest()

    def export(self) -> dict[str, JsonValue]:
        return {
            "version": EXPORT_VERSION,
            "seed": self.seed,
            "state_hash": self.state_hash(),
            "chains": {
                name: {
                    "ledger": chain.ledger.to_wire(),  # type: ignore[dict-item]
                    "blocks": [b.export() for b in chain.blocks],
                    "faucet_drawn": [[a, d, str(v)] for (a, d), v in chain.faucet_drawn.items()],
                    "faucet_source_drawn": [
                        [a, d, str(v)] for (a, d), v in chain.faucet_source_drawn.items()
                    ],
                    "modules": chain.modules.to_wire(),
                }
                for name, chain in self.chains.items()
            },
        }

    def import_(self, wire: Mapping[str, object]) -> None:
        """Replace the state with an export; mempools start empty."""
        if wire.get("version") != EXPORT_VERSION:
            raise Rejected("malformed", f"an export has version {EXPORT_VERSION}")
        chains = wire.get("chains")
        seed = wire.get("seed")
        if (
            not isinstance(chains, dict)
            or set(chains) != set(self.chains)
            or not isinstance(seed, str)
        ):
            raise Rejected("malformed", "an export has 'seed' and 'chains' {alpha, delta}")
        try:
            self.reset(seed, ())
            for name, chain in self.chains.items():
                state = chains[name]
                chain.blocks = [Block.from_export(b) for b in state["blocks"]]
                chain.ledger = Ledger.from_wire(
                    state["ledger"], chain.height, self.params.history_blocks
                )
                chain.faucet_drawn = {(a, d): int(v) for a, d, v in state["faucet_drawn"]}
                chain.faucet_source_drawn = {
                    (a, d): int(v) for a, d, v in state.get("faucet_source_drawn", [])
                }
                chain.modules.load_wire(state.get("modules", {}))
                _reindex(chain)
        except (KeyError, TypeError, ValueError, AssertionError) as exc:
            self.reset(self.seed, ())
            raise Rejected("malformed", f"the export does not load: {exc!r}") from None

    def _roundtrip_of(self, name: str) -> Callable[[], str]:
        def roundtrip() -> str:
            chain = self.chains[name]
            before = _consensus_state(chain)
            wire = orjson.loads(orjson.dumps(chain.ledger.to_wire()))
            copy = Ledger.from_wire(wire, chain.height, 1)
            after = {
                "height": chain.height,
                "last": chain.latest.hash,
                "ledger": copy.to_wire(),
                "modules": chain.modules.to_wire(),
            }
            return "" if before == after else "export/import changed the state"

        return roundtrip


def _consensus_state(chain: Chain) -> dict[str, object]:
    return {
        "height": chain.height,
        "last": chain.latest.hash,
        "ledger": chain.ledger.to_wire(),
        "modules": chain.modules.to_wire(),
    }


def _reindex(chain: Chain) -> None:
    for block in chain.blocks[1:]:
        for i, tx_hash in enumerate(block.txs):
            body = block.body(i)
            inner = body.get("body")
            code = block.code(i)
            if isinstance(inner, dict):
                sender, nonce = str(inner["sender"]), int(inner["nonce"])  # type: ignore[arg-type]
                chain.committed_keys.add((sender, nonce))
                touched = {sender, *(_recipients(inner) if code == "ok" else ())}
            else:
                faucet = body.get("faucet")
                assert isinstance(faucet, dict)
                sender, nonce, touched = "faucet", -1, {str(faucet["address"])}
            chain.index[tx_hash] = TxRecord(block.height, i, sender, nonce, tx_hash, code)
            for address in sorted(touched):
                chain.index_address(address, block.height, i)


def _recipients(body: dict[str, JsonValue]) -> list[str]:
    out: list[str] = []
    msgs = body.get("msgs")
    for msg in msgs if isinstance(msgs, list) else []:
        if isinstance(msg, dict):
            outputs = msg.get("outputs")
            for item in [msg, *(outputs if isinstance(outputs, list) else [])]:
                if isinstance(item, dict) and isinstance(item.get("to"), str):
                    out.append(str(item["to"]))
    return out
