"""What a committed message pays into bank balances: the outputs the fleet credits to the
recipients' shadow ledgers (`Receipts`)."""

from botruntime.chain.perps import perps_deposit, perps_open, perps_withdraw
from botruntime.chain.tx import bank_multisend, bank_send
from botruntime.fleet._receipts import _received

BODY = {"sender": "dx1sender", "msgs": []}


def test_a_transfer_pays_its_recipient_and_a_multisend_each_output() -> None:
    assert _received(BODY, bank_send("dx1to", 5, "DX")) == [
        {"type": "bank.send", "to": "dx1to", "denom": "DX", "amount": "5"}
    ]
    assert _received(BODY, bank_multisend([("dx1a", "DX", 1), ("dx1b", "DX", 2)])) == [
        {"to": "dx1a", "denom": "DX", "amount": "1"},
        {"to": "dx1b", "denom": "DX", "amount": "2"},
    ]


def test_a_margin_withdrawal_pays_its_sender_the_amount_it_names_in_dx() -> None:
    assert _received(BODY, perps_withdraw(7_000_000)) == [
        {"to": "dx1sender", "denom": "DX", "amount": "7000000"}
    ]


def test_deposits_and_orders_pay_nobody() -> None:
    assert _received(BODY, perps_deposit(5)) == []
    assert _received(BODY, perps_open("bAX-PERP", "long", 5, 2, 0, False)) == []
