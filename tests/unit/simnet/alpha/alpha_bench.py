"""Alpha's modules in memory: funded identities, one-message txs, blocks on demand.

A module with a name of its own (not `conftest`), so tests import it without clashing with
other directories' conftest modules.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from botruntime.chain.tx import JsonValue, Msg, TxBody, sign_tx
from botruntime.identity import Identity
from simnet import GenesisAccount, Network, Params
from simnet._chain import Chain
from simnet._entry import Entry
from simnet._errors import SimnetError
from simnet.alpha import Distribution, Gov, Staking
from simnet.alpha._campaign import Campaign
from simnet.bridge import Bridge, BridgeModule

FUNDS = 10**12
FEE = 5_000


class Clock:
    def __init__(self) -> None:
        self.now = 1_764_079_200.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Alpha:
    network: Network
    ids: list[Identity]

    @property
    def chain(self) -> Chain:
        return self.network.chains["alpha"]

    @property
    def delta(self) -> Chain:
        return self.network.chains["delta"]

    def module(self, name: str, chain: str = "alpha") -> object:
        module = self.network.chains[chain].modules.get(name)
        assert module is not None, name
        return module

    @property
    def staking(self) -> Staking:
        module = self.module("staking")
        assert isinstance(module, Staking)
        return module

    @property
    def distribution(self) -> Distribution:
        module = self.module("distribution")
        assert isinstance(module, Distribution)
        return module

    @property
    def gov(self) -> Gov:
        module = self.module("gov")
        assert isinstance(module, Gov)
        return module

    @property
    def campaign(self) -> Campaign:
        module = self.module("campaign")
        assert isinstance(module, Campaign)
        return module

    @property
    def bridge(self) -> Bridge:
        module = self.module("bridge")
        assert isinstance(module, BridgeModule)
        return module.bridge

    def operators(self) -> list[str]:
        return sorted(self.staking.validators)

    def operator_identity(self, index: int) -> Identity:
        return Identity.derive(f"simnet/{self.network.seed}/validators", index)

    def wire(
        self, who: Identity, msg: Msg, chain: str = "alpha", nonce: int | None = None
    ) -> dict[str, JsonValue]:
        target = self.network.chains[chain]
        address = who.address(target.spec.hrp)
        if nonce is None:
            queue = target.nodes[0].mempool.senders.get(address)
            nonce = target.ledger.nonce(address) + (0 if queue is None else len(queue))
        body = TxBody(target.spec.chain_id, address, nonce, FEE, (msg,), "tb:unit:0:1")
        return copy.deepcopy(sign_tx(who, body).to_wire())

    def submit(self, who: Identity, msg: Msg, chain: str = "alpha") -> Entry:
        """Admit into node 0 (raises SimnetError on refusal)."""
        target = self.network.chains[chain]
        entry, _ = target.submit(target.nodes[0], self.wire(who, msg, chain), 0.0)
        return entry

    def run(self, who: Identity, msg: Msg, chain: str = "alpha") -> Entry:
        """Admit, then one block: the tx must commit."""
        entry = self.submit(who, msg, chain)
        self.step()
        target = self.network.chains[chain]
        assert entry.hash in target.index, target.failed.get(entry.hash)
        return entry

    def step(self, blocks: int = 1) -> None:
        """`blocks` blocks; then each client whose txs wait behind a failed nonce gives them
        up (as a wallet re-signs), so the next tx it signs takes the account's nonce again."""
        self.network.step(blocks)
        for chain in self.network.chains.values():
            for node in chain.nodes:
                mempool = node.mempool
                for queue in list(mempool.senders.values()):
                    if not queue.ready:
                        for entry in list(queue.future.values()):
                            mempool.remove(entry.hash)

    def broken(self) -> dict[str, str]:
        """Every invariant route that does not hold, on either chain, with its detail."""
        out: dict[str, str] = {}
        for inv in self.network.invariants.values():
            inv.full()
            out.update({v.route: v.detail for v in inv.report() if not v.ok})
        return out

    def refusal(self, who: Identity, msg: Msg, chain: str = "alpha") -> str:
        try:
            self.submit(who, msg, chain)
        except SimnetError as exc:
            return exc.code
        raise AssertionError(f"{msg['type']} was admitted")


def make_alpha(
    vuln: tuple[str, ...] = (), accounts: int = 4, params: Params | None = None
) -> Alpha:
    network = Network(params or Params(), "unit", vuln, clock=Clock())
    ids = [Identity.derive("unit-alpha", i) for i in range(accounts)]
    network.reset(
        "unit",
        [GenesisAccount(i.alpha_address, {"AX": FUNDS, "DX": FUNDS}) for i in ids],
    )
    return Alpha(network, ids)
