"""Delta's markets in memory: funded traders, the seed's feeders, one-message txs, blocks."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from botruntime.chain.tx import JsonValue, Msg, TxBody, sign_tx
from botruntime.identity import Identity
from simnet import GenesisAccount, Network, Params
from simnet._chain import Chain
from simnet._errors import SimnetError
from simnet.delta import DeltaParams, Dex, Oracle, Perps, feeder_identity

FUNDS = 10**12
FEE = 10_000
SEED = "delta-unit"


class Clock:
    def __init__(self) -> None:
        self.now = 1_764_079_200.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Delta:
    network: Network
    traders: list[Identity]
    feeders: list[Identity]
    nonces: dict[str, int] = field(default_factory=dict)

    @property
    def chain(self) -> Chain:
        return self.network.chains["delta"]

    def _module(self, name: str) -> object:
        module = self.chain.modules.get(name)
        assert module is not None, name
        return module

    @property
    def dex(self) -> Dex:
        module = self._module("dex")
        assert isinstance(module, Dex)
        return module

    @property
    def perps(self) -> Perps:
        module = self._module("perps")
        assert isinstance(module, Perps)
        return module

    @property
    def oracle(self) -> Oracle:
        module = self._module("oracle")
        assert isinstance(module, Oracle)
        return module

    def wire(self, who: Identity, msg: Msg, nonce: int | None = None) -> dict[str, JsonValue]:
        address = who.delta_address
        if nonce is None:
            nonce = self.nonces.get(address, self.chain.ledger.nonce(address))
        body = TxBody(self.chain.spec.chain_id, address, nonce, FEE, (msg,), "tb:unit:0:1", 0)
        return copy.deepcopy(sign_tx(who, body).to_wire())

    def send(self, who: Identity, msg: Msg) -> str:
        """Admit a one-message tx into node 0 (raises the refusal); the next block runs it."""
        entry, _ = self.chain.submit(self.chain.nodes[0], self.wire(who, msg), 0.0)
        self.nonces[who.delta_address] = entry.nonce + 1
        return entry.hash

    def refusal(self, who: Identity, msg: Msg) -> str:
        """The code admission answers with."""
        try:
            self.send(who, msg)
        except SimnetError as exc:
            return exc.code
        raise AssertionError(f"{msg['type']} was admitted")

    def block(self, n: int = 1) -> None:
        self.network.step(n)
        self.nonces.clear()

    def outcome(self, tx_hash: str) -> str:
        """'committed' or the failure code of a tx after its block."""
        status, extra = self.chain.tx_status(self.chain.nodes[0], tx_hash)
        return str(extra.get("code", status))

    def run(self, who: Identity, msg: Msg) -> str:
        """Send, make one block, return the outcome."""
        tx_hash = self.send(who, msg)
        self.block()
        return self.outcome(tx_hash)

    def feed(self, price: int, feeders: int | None = None, pair: str = "bAX/DX") -> None:
        """Every feeder (or the first `feeders`) submits `price`; no block is made."""
        for feeder in self.feeders[: feeders if feeders is not None else len(self.feeders)]:
            self.send(feeder, {"type": "oracle.submit_price", "pair": pair, "price": str(price)})

    def broken(self) -> dict[str, str]:
        """Delta's routes that do not hold right now (checked on demand)."""
        invariants = self.network.invariants["delta"]
        invariants.full()
        return {v.route: v.detail for v in invariants.report() if not v.ok}

    def balance(self, who: Identity, denom: str) -> int:
        return self.chain.ledger.balance(who.delta_address, denom)


def make_delta(
    vulns: tuple[str, ...] = (), traders: int = 4, params: Params | None = None
) -> Delta:
    network = Network(params or Params(), SEED, vulns, clock=Clock())
    ids = [Identity.derive(SEED, i) for i in range(traders)]
    feeders = [feeder_identity(SEED, i) for i in range(5)]
    genesis = [GenesisAccount(i.delta_address, {"DX": FUNDS, "bAX": FUNDS}) for i in ids]
    genesis += [GenesisAccount(f.delta_address, {"DX": FUNDS}) for f in feeders]
    network.reset(SEED, genesis)
    return Delta(network, ids, feeders)


PERP_MARKET = "bAX-PERP"


def perps_order(side: str, size: int, leverage: int = 10, **extra: object) -> dict[str, object]:
    """A perps.open market order on PERP_MARKET."""
    return {
        "type": "perps.open",
        "market": PERP_MARKET,
        "side": side,
        "size": str(size),
        "leverage": leverage,
        "limit_price": "0",
        "reduce_only": False,
        **extra,
    }


def walk(d: Delta, target: int) -> None:
    """Feed prices toward `target` (4 % a block at most), then hold it until the mark is it."""
    price = d.oracle.feeds["bAX/DX"].price
    while price != target:
        step = price * 4 // 100
        price = min(target, price + step) if target > price else max(target, price - step)
        d.feed(price)
        d.block()
    for _ in range(DeltaParams().twap_blocks):
        d.feed(target)
        d.block()
    assert d.perps.mark(PERP_MARKET) == target
