"""Every Alpha message type (and the bridge's on both chains), mixed at random; after each
block every invariant of both chains holds, the cross-chain bridge ones included. A refusal
must carry a protocol code; nothing else may be raised."""

from __future__ import annotations

from alpha_bench import Alpha, make_alpha
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from botruntime.chain.tx import JsonValue, Msg, bank_send
from simnet._errors import STATUS, SimnetError
from simnet.alpha import parse_option

# a few amounts that add up, so undelegations and burns often match what is held
AMOUNTS = st.sampled_from([10**6, 3 * 10**6, 10**7, 10**10]) | st.integers(1, 5 * 10**9)
WHO = st.integers(min_value=0, max_value=3)
OPTIONS = st.sampled_from(["yes", "no", "abstain", "no_with_veto", "yes:600000,no:400000"])


class AlphaMachine(RuleBasedStateMachine):
    @initialize()
    def start(self) -> None:
        self.alpha: Alpha = make_alpha()
        for i in range(len(self.alpha.operators())):  # operators pay fees for their edits
            operator = self.alpha.operator_identity(i)
            self.alpha.chain.ledger.mint(operator.alpha_address, "AX", 10**10)
        self.codes: set[str] = set()

    def send(self, who: int, msg: Msg, chain: str = "alpha") -> None:
        identity = self.alpha.ids[who] if who >= 0 else self.alpha.operator_identity(-who - 1)
        try:
            self.alpha.submit(identity, msg, chain)
        except SimnetError as exc:
            assert exc.code in STATUS
            self.codes.add(exc.code)

    def op(self, index: int) -> str:
        return self.alpha.operators()[index % len(self.alpha.operators())]

    @rule(who=WHO, v=WHO, amount=AMOUNTS)
    def delegate(self, who: int, v: int, amount: int) -> None:
        self.send(who, {"type": "staking.delegate", "validator": self.op(v), "amount": str(amount)})

    @rule(who=WHO, v=WHO, amount=AMOUNTS)
    def undelegate(self, who: int, v: int, amount: int) -> None:
        msg = {"type": "staking.undelegate", "validator": self.op(v), "amount": str(amount)}
        self.send(who, msg)

    @rule(who=WHO, v=WHO, w=WHO, amount=AMOUNTS)
    def redelegate(self, who: int, v: int, w: int, amount: int) -> None:
        msg: Msg = {
            "type": "staking.redelegate",
            "src_validator": self.op(v),
            "dst_validator": self.op(w),
            "amount": str(amount),
        }
        self.send(who, msg)

    @rule(who=WHO, v=WHO)
    def withdraw_rewards(self, who: int, v: int) -> None:
        self.send(who, {"type": "distribution.withdraw_rewards", "validator": self.op(v)})

    @rule(v=WHO, rate=st.integers(min_value=0, max_value=300_000))
    def operator_moves(self, v: int, rate: int) -> None:
        self.send(-v - 1, {"type": "validator.edit", "commission_ppm": rate})
        self.send(-v - 1, {"type": "distribution.withdraw_commission"})

    @rule(who=WHO, to=WHO, amount=AMOUNTS)
    def move_sax(self, who: int, to: int, amount: int) -> None:
        self.send(who, bank_send(self.alpha.ids[to].alpha_address, amount, "sAX"))

    @rule(who=WHO, deposit=AMOUNTS, param=st.sampled_from(["", "min_fee_base", "quorum_ppm"]))
    def propose(self, who: int, deposit: int, param: str) -> None:
        msg: Msg = {
            "type": "gov.submit_proposal",
            "title": "t",
            "param": param,
            "value": "600" if param else "",
            "deposit": str(deposit % (2 * self.alpha.gov.params.min_deposit)),
        }
        self.send(who, msg)

    @rule(who=WHO, pid=st.integers(min_value=1, max_value=4), amount=AMOUNTS)
    def deposit(self, who: int, pid: int, amount: int) -> None:
        self.send(who, {"type": "gov.deposit", "proposal_id": pid, "amount": str(amount)})

    @rule(who=WHO, pid=st.integers(min_value=1, max_value=4), option=OPTIONS)
    def vote(self, who: int, pid: int, option: str) -> None:
        parse_option(option)
        self.send(who, {"type": "gov.vote", "proposal_id": pid, "option": option})

    @rule(who=WHO, amount=AMOUNTS, withhold=st.booleans())
    def lock(self, who: int, amount: int, withhold: bool) -> None:
        me = self.alpha.ids[who]
        msg: Msg = {
            "type": "bridge.lock",
            "to": me.delta_address,
            "amount": str(amount),
            "withhold": withhold,
        }
        self.send(who, msg)

    @rule(who=WHO, amount=AMOUNTS, withhold=st.booleans())
    def burn(self, who: int, amount: int, withhold: bool) -> None:
        me = self.alpha.ids[who]
        held = self.alpha.delta.ledger.balance(me.delta_address, "bAX")
        msg: Msg = {
            "type": "bridge.burn",
            "to": me.alpha_address,
            "amount": str(min(amount, held) or amount),
            "withhold": withhold,
        }
        self.send(who, msg, "delta")

    @rule(who=WHO, index=st.integers(min_value=0, max_value=50))
    def replay_claim(self, who: int, index: int) -> None:
        transfers = list(self.alpha.bridge.transfers.values())
        if not transfers:
            return
        transfer = transfers[index % len(transfers)]
        attestation = self.alpha.bridge.attestation(transfer)
        if attestation is None:
            return
        msg: dict[str, JsonValue] = {
            "type": "bridge.claim",
            "transfer_id": transfer.id,
            "recipient": transfer.recipient,
            "amount": str(transfer.amount),
            "attestation": attestation,
        }
        self.send(who, msg, "delta" if transfer.direction == "a2d" else "alpha")

    @rule(blocks=st.integers(min_value=1, max_value=12))
    def blocks(self, blocks: int) -> None:
        self.alpha.step(blocks)

    @invariant()
    def every_invariant_holds(self) -> None:
        if hasattr(self, "alpha"):
            assert self.alpha.broken() == {}


AlphaMachine.TestCase.settings = settings(max_examples=25, stateful_step_count=50, deadline=None)
TestAlphaMachine = AlphaMachine.TestCase
