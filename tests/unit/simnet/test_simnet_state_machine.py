"""Random valid and invalid transactions against the state machine; every invariant after each
block. Refusals must carry a protocol code and change nothing; nothing else may be raised."""

from __future__ import annotations

import base64
import copy
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from botruntime.chain.tx import TxBody, bank_send, canonical_json, sign_tx
from botruntime.identity import Identity
from simnet import GenesisAccount, Network, Params, SimnetError
from simnet._errors import STATUS

IDS = [Identity.derive("machine", i) for i in range(5)]
FUNDS = 10**10
INVALID = ("forged", "wrong_chain", "dust", "low_fee", "unknown_field", "bad_amount")


class Clock:
    def __init__(self) -> None:
        self.now = 1_764_079_200.0

    def __call__(self) -> float:
        return self.now


class Chains(RuleBasedStateMachine):
    @initialize()
    def start(self) -> None:
        self.clock = Clock()
        self.network = Network(Params(max_block_txs=20), "machine", clock=self.clock)
        funded = [GenesisAccount(i.alpha_address, {"AX": FUNDS, "DX": FUNDS}) for i in IDS[:4]]
        self.network.reset("machine", funded)  # IDS[4] is never funded
        self.committed_wires: list[dict[str, Any]] = []
        self.sent: dict[str, dict[str, Any]] = {}

    @property
    def alpha(self) -> Any:
        return self.network.chains["alpha"]

    def _wire(self, who: int, to: int, nonce: int, amount: int, fee: int) -> dict[str, Any]:
        me, peer = IDS[who], IDS[to]
        body = TxBody(
            "alpha-simnet-1", me.alpha_address, nonce, fee, (bank_send(peer.alpha_address, amount),)
        )
        return copy.deepcopy(sign_tx(me, body).to_wire())

    def _submit(self, wire: Any, node: int) -> str:
        chain = self.alpha
        try:
            entry, status = chain.submit(chain.nodes[node], wire, self.clock())
        except SimnetError as exc:
            assert exc.code in STATUS
            return exc.code
        self.sent[entry.hash] = wire
        return status

    def _state(self) -> tuple[str, list[int]]:
        return self.network.state_hash(), [len(n.mempool) for n in self.alpha.nodes]

    @rule(
        who=st.integers(0, 4),
        to=st.integers(0, 4),
        offset=st.integers(-1, 3),
        amount=st.integers(1_000, 10**9),
        fee=st.integers(1_000, 20_000),
        node=st.integers(0, 3),
    )
    def send(self, who: int, to: int, offset: int, amount: int, fee: int, node: int) -> None:
        nonce = max(0, self.alpha.ledger.nonce(IDS[who].alpha_address) + offset)
        self._submit(self._wire(who, to, nonce, amount, fee), node)

    @rule(kind=st.sampled_from(INVALID), node=st.integers(0, 3))
    def send_invalid(self, kind: str, node: int) -> None:
        nonce = self.alpha.ledger.nonce(IDS[0].alpha_address)
        wire = self._wire(0, 1, nonce, 10**6, 5_000)
        if kind == "forged":
            wire["body"]["msgs"][0]["amount"] = "2000000"
        elif kind == "wrong_chain":
            wire["body"]["chain_id"] = "delta-simnet-1"
        elif kind == "dust":
            wire = self._wire(0, 1, nonce, 999, 5_000)
        elif kind == "low_fee":
            wire = self._wire(0, 1, nonce, 10**6, 10)
        elif kind == "unknown_field":
            wire["body"]["gas"] = 1
        else:
            wire["body"]["msgs"][0]["amount"] = "01000000"
        if kind in ("wrong_chain", "unknown_field", "bad_amount"):
            signed = IDS[0].sign(canonical_json(wire["body"]))
            wire["signature"] = base64.b64encode(signed).decode()
        before = self._state()
        code = self._submit(wire, node)
        expected = {
            "forged": "bad_signature",
            "wrong_chain": "wrong_chain",
            "dust": "below_dust_limit",
            "low_fee": "insufficient_fee",
            "unknown_field": "unknown_field",
            "bad_amount": "invalid_amount",
        }[kind]
        assert code == expected
        assert self._state() == before

    @rule(pick=st.integers(0, 10**6), node=st.integers(0, 3))
    def replay(self, pick: int, node: int) -> None:
        if not self.committed_wires:
            return
        wire = self.committed_wires[pick % len(self.committed_wires)]
        before = self._state()
        assert self._submit(wire, node) in ("duplicate_tx", "bad_nonce")
        assert self._state() == before

    @rule(seconds=st.sampled_from([0.01, 0.05, 0.2]))
    def pass_time(self, seconds: float) -> None:
        self.clock.now += seconds
        self.network.pump()

    @rule(blocks=st.integers(1, 3))
    def blocks(self, blocks: int) -> None:
        for result in self.network.step(blocks):
            for tx_hash in result.block.txs:
                if tx_hash in self.sent:
                    self.committed_wires.append(self.sent[tx_hash])
        for inv in self.network.invariants.values():
            inv.full()
            inv.determinism()
            broken = [f"{v.route}: {v.detail}" for v in inv.report() if not v.ok]
            assert broken == []

    @invariant()
    def balances_never_negative(self) -> None:
        if hasattr(self, "network"):
            for _, account in self.alpha.ledger.iter_accounts():
                assert all(v >= 0 for v in account.balances.values())


TestChains = Chains.TestCase
TestChains.settings = settings(max_examples=25, stateful_step_count=40, deadline=None)
