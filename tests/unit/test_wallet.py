"""botruntime.wallet: the shadow ledger never goes negative and never loses a reservation."""

from __future__ import annotations

import sys
import tracemalloc

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    precondition,
    rule,
)

from botruntime.chain.tx import DENOMS
from botruntime.wallet import (
    AX,
    BAX,
    DX,
    MAX_BALANCE,
    SAX,
    BadAmount,
    BalanceOverflow,
    BalanceUnderflow,
    Denom,
    NotADenom,
    Reservation,
    UnknownReservation,
    Wallet,
    WalletError,
)


def test_denoms_are_the_protocol_denoms_and_fees_go_native() -> None:
    assert {d.value for d in Denom} == DENOMS
    assert [d.fee_denom for d in (AX, SAX, DX, BAX)] == [AX, AX, DX, DX]
    assert AX.unit == 1_000_000


def test_credit_debit_and_spendable() -> None:
    wallet = Wallet()
    assert wallet.balance(AX) == 0 and wallet.balances() == {}
    assert wallet.credit(AX, 5 * AX.unit) == 5_000_000
    assert wallet.debit(AX, 1_000_000) == 4_000_000
    assert wallet.spendable(AX) == 4_000_000
    assert wallet.balances() == {AX: 4_000_000}
    assert "AX=4000000" in repr(wallet)


def test_underflow_names_what_was_needed_and_changes_nothing() -> None:
    wallet = Wallet({AX: 100})
    with pytest.raises(BalanceUnderflow) as info:
        wallet.debit(AX, 101)
    assert (info.value.needed, info.value.available, info.value.denom) == (101, 100, "AX")
    assert "spendable" in str(info.value)
    assert wallet.balance(AX) == 100
    with pytest.raises(BalanceUnderflow):
        Wallet().debit(DX, 1)


def test_overflow_past_2_128_is_refused() -> None:
    wallet = Wallet({DX: MAX_BALANCE - 1})
    assert wallet.credit(DX, 1) == MAX_BALANCE
    with pytest.raises(BalanceOverflow) as info:
        wallet.credit(DX, 1)
    assert (info.value.balance, info.value.amount) == (MAX_BALANCE, 1)
    assert wallet.balance(DX) == MAX_BALANCE


@pytest.mark.parametrize("bad", [-1, MAX_BALANCE + 1, True, 1.5, "10"])
def test_amounts_are_ints_of_base_units(bad: object) -> None:
    with pytest.raises(BadAmount, match="base units"):
        Wallet().credit(AX, bad)  # type: ignore[arg-type]


def test_denoms_are_checked_and_wire_names_accepted() -> None:
    wallet = Wallet()
    assert wallet.credit("sAX", 3) == 3  # type: ignore[arg-type]
    assert wallet.balance(SAX) == 3
    with pytest.raises(NotADenom, match="BTC"):
        wallet.credit("BTC", 1)  # type: ignore[arg-type]
    assert issubclass(NotADenom, WalletError) and issubclass(WalletError, ValueError)


def test_reservation_holds_amount_and_native_fee_until_it_ends() -> None:
    wallet = Wallet({SAX: 1_000, AX: 50})
    hold = wallet.reserve(SAX, 600, fee=20)  # sAX moves, the fee is AX
    assert (wallet.spendable(SAX), wallet.spendable(AX)) == (400, 30)
    assert wallet.reservations == (hold,)
    wallet.release(hold)
    assert (wallet.spendable(SAX), wallet.spendable(AX)) == (1_000, 50)
    settled = wallet.reserve(SAX, 600, fee=20)
    wallet.settle(settled)
    assert wallet.balances() == {SAX: 400, AX: 30}
    assert not wallet.reservations


def test_a_tx_failed_in_its_block_costs_the_fee_only() -> None:
    """Its messages failed at execution: the chain charged the fee, the amount never left."""
    wallet = Wallet({SAX: 1_000, AX: 50})
    hold = wallet.reserve(SAX, 600, fee=20)
    wallet.settle_fee_only(hold)
    assert wallet.balances() == {SAX: 1_000, AX: 30}
    assert (wallet.spendable(SAX), wallet.spendable(AX)) == (1_000, 30)
    assert not wallet.reservations
    with pytest.raises(UnknownReservation, match="already settled or released"):
        wallet.settle_fee_only(hold)
    native = wallet.reserve(AX, 25, fee=5)  # the amount and the fee share a denom
    wallet.settle_fee_only(native)
    assert wallet.balances() == {SAX: 1_000, AX: 25}


def test_settling_a_fee_after_resync_lowered_it_keeps_the_hold() -> None:
    wallet = Wallet({DX: 100})
    hold = wallet.reserve(DX, 10, fee=30)
    wallet.resync({DX: 20})
    with pytest.raises(BalanceUnderflow, match="release") as info:
        wallet.settle_fee_only(hold)
    assert (info.value.needed, info.value.available) == (30, 20)
    assert wallet.reservations == (hold,) and wallet.balance(DX) == 20


def test_a_reservation_ends_once() -> None:
    wallet = Wallet({AX: 100})
    hold = wallet.reserve(AX, 10, fee=1)
    twin = wallet.reserve(AX, 10, fee=1)  # same sums, another hold
    wallet.settle(hold)
    for end in (wallet.settle, wallet.release):
        with pytest.raises(UnknownReservation, match="already settled or released"):
            end(hold)
    with pytest.raises(UnknownReservation):
        Wallet({AX: 100}).release(twin)
    assert wallet.reservations == (twin,) and wallet.balance(AX) == 89


def test_reserve_refuses_what_is_already_held() -> None:
    wallet = Wallet({DX: 10})
    wallet.reserve(DX, 6, fee=2)
    with pytest.raises(BalanceUnderflow) as info:
        wallet.reserve(BAX, 0, fee=3)  # the DX fee no longer fits
    assert info.value.denom == "DX" and info.value.available == 2


def test_resync_lowering_a_balance_under_a_hold_is_recoverable() -> None:
    wallet = Wallet({AX: 100})
    hold = wallet.reserve(AX, 80)
    wallet.resync({AX: 50})  # the chain says otherwise: a finding, not a crash
    assert wallet.spendable(AX) == 0
    with pytest.raises(BalanceUnderflow, match="release"):
        wallet.settle(hold)
    assert wallet.reservations == (hold,)  # not lost by the failed settle
    wallet.release(hold)
    assert wallet.spendable(AX) == 50


def test_an_idle_wallet_is_a_few_words() -> None:
    assert sys.getsizeof(Wallet()) <= 64
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        wallets = [Wallet() for _ in range(1000)]
        per_wallet = (tracemalloc.get_traced_memory()[0] - before) / len(wallets)
    finally:
        tracemalloc.stop()
    assert per_wallet < 120  # slots object plus its list entry; no dicts until first use
    hold = wallets[0]
    hold.credit(AX, 5)
    hold.settle(hold.reserve(AX, 5))
    assert hold.reservations == () and hold.balance(AX) == 0


# ---- state machine: a plain-dict model runs beside the wallet -----------------------------------

denoms = st.sampled_from(list(Denom))
small = st.integers(0, 1_000)  # most operations fit, so holds pile up and interleave
amounts = st.one_of(small, small, st.integers(0, MAX_BALANCE), st.just(MAX_BALANCE))


class WalletMachine(RuleBasedStateMachine):
    holds = Bundle("holds")

    def __init__(self) -> None:
        super().__init__()
        self.wallet = Wallet()
        self.balance = dict.fromkeys(Denom, 0)
        self.held: list[Reservation] = []
        self.gone: list[Reservation] = []

    def reserved(self, denom: Denom) -> int:
        return sum(a for h in self.held for d, a in h.legs() if d is denom)

    def spendable(self, denom: Denom) -> int:
        return max(0, self.balance[denom] - self.reserved(denom))

    @rule(denom=denoms, amount=amounts)
    def credit(self, denom: Denom, amount: int) -> None:
        if self.balance[denom] + amount > MAX_BALANCE:
            with pytest.raises(BalanceOverflow):
                self.wallet.credit(denom, amount)
        else:
            self.balance[denom] += amount
            assert self.wallet.credit(denom, amount) == self.balance[denom]

    @rule(denom=denoms, amount=amounts)
    def debit(self, denom: Denom, amount: int) -> None:
        if amount > self.spendable(denom):
            with pytest.raises(BalanceUnderflow):
                self.wallet.debit(denom, amount)
        else:
            self.balance[denom] -= amount
            assert self.wallet.debit(denom, amount) == self.balance[denom]

    @rule(target=holds, denom=denoms, amount=small, fee=st.integers(0, 50))
    def reserve(self, denom: Denom, amount: int, fee: int) -> Reservation | None:
        want = Reservation(denom, amount, fee)
        if any(a > self.spendable(d) for d, a in want.legs()):
            with pytest.raises(BalanceUnderflow):
                self.wallet.reserve(denom, amount, fee)
            return None
        hold = self.wallet.reserve(denom, amount, fee)
        self.held.append(hold)
        return hold

    @rule(hold=consumes(holds))
    def release(self, hold: Reservation | None) -> None:
        if hold is None:
            return
        self.wallet.release(hold)
        self.held.remove(hold)
        self.gone.append(hold)

    @rule(hold=consumes(holds))
    def settle(self, hold: Reservation | None) -> None:
        if hold is None:
            return
        if any(self.balance[d] < a for d, a in hold.legs()):
            with pytest.raises(BalanceUnderflow):
                self.wallet.settle(hold)
            self.release(hold)  # a failed settle keeps the hold; the way out is a release
            return
        self.wallet.settle(hold)
        for d, a in hold.legs():
            self.balance[d] -= a
        self.held.remove(hold)
        self.gone.append(hold)

    @rule(hold=consumes(holds))
    def settle_fee_only(self, hold: Reservation | None) -> None:
        if hold is None:
            return
        fee_denom = hold.denom.fee_denom
        if self.balance[fee_denom] < hold.fee:
            with pytest.raises(BalanceUnderflow):
                self.wallet.settle_fee_only(hold)
            self.release(hold)
            return
        self.wallet.settle_fee_only(hold)
        self.balance[fee_denom] -= hold.fee
        self.held.remove(hold)
        self.gone.append(hold)

    @precondition(lambda self: self.gone)
    @rule(data=st.data())
    def end_twice(self, data: st.DataObject) -> None:
        hold = data.draw(st.sampled_from(self.gone))
        with pytest.raises(UnknownReservation):
            self.wallet.release(hold)

    @rule(denom=denoms, amount=st.integers(0, 3_000))
    def resync(self, denom: Denom, amount: int) -> None:
        self.balance = dict.fromkeys(Denom, 0) | {denom: amount}
        self.wallet.resync({denom: amount})

    @invariant()
    def agrees_with_the_model(self) -> None:
        assert list(self.wallet.reservations) == self.held  # none lost, none invented
        for denom in Denom:
            assert self.wallet.balance(denom) == self.balance[denom]
            assert self.wallet.reserved(denom) == self.reserved(denom)
            assert 0 <= self.wallet.spendable(denom) == self.spendable(denom)
            assert 0 <= self.wallet.balance(denom) <= MAX_BALANCE


WalletMachine.TestCase.settings = settings(max_examples=60, stateful_step_count=30, deadline=None)
test_wallet_state_machine = WalletMachine.TestCase


def test_what_a_module_message_took_leaves_under_its_own_hold() -> None:
    """A swap holds its input while out; the chain's coin_spent takes it, the hold then ends
    with the fee only, and the output arrives as a credit: exact to the unit."""
    w = Wallet({DX: 1_000})
    hold = w.reserve(DX, 400, 10)
    assert w.spent(DX, 400) == 600  # taken while the hold still covers it
    w.credit(BAX, 397)
    w.settle_fee_only(hold)
    assert w.balances() == {DX: 590, BAX: 397}
    assert w.spendable(DX) == 590
    with pytest.raises(BalanceUnderflow):
        w.spent(BAX, 398)
    assert w.balance(BAX) == 397
