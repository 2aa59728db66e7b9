"""The incoming side of the shadow ledgers: what this run's committed txs gave or took.

A sender's own spend is its intent's reservation (`Intent.transact`); everything the chain
decided besides is applied here, once, from the block: a `bank.send` or `bank.multisend` output
credits the recipient, a faucet credit its address, a margin withdrawal its sender, and a
module message's events (`coin_received`, `coin_spent`: a swap's output and input, what
an add of liquidity took, what a removal paid) move the balances of the bots they name. Only
txs of this run (a `tb:<run>:` memo) whose messages took effect count (a faucet credit counts
for whoever it pays), and only for bots of this fleet (`owners`): each worker applies its own
bots' share of every block.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from botruntime.bots.bot import Bot
from botruntime.chain.tx import JsonValue, parse_memo
from botruntime.fleet._commits import Events
from botruntime.wallet import DX, Denom, WalletError

__all__ = ["Receipts"]

_log = logging.getLogger("botruntime.fleet")


class Receipts:
    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        self.unapplied = 0  # events a shadow ledger could not take (a mismatch follows)

    def apply(
        self, owners: Mapping[str, Bot], wire: dict[str, JsonValue], code: str, events: Events
    ) -> None:
        if code != "ok":
            return
        faucet = wire.get("faucet")
        if isinstance(faucet, dict):  # a faucet credit in the block, whoever asked for it
            self._move(owners, faucet.get("address"), faucet, credit=True)
            return
        body = wire.get("body")
        if not isinstance(body, dict) or not self.ours(body):
            return
        msgs = body.get("msgs")
        for msg in msgs if isinstance(msgs, list) else ():
            if not isinstance(msg, dict):
                continue
            for out in _received(body, msg):
                self._move(owners, out.get("to"), out, credit=True)
        for event in events:  # amounts a module message moved, decided at execution
            kind = event.get("type")
            if kind in ("coin_received", "coin_spent"):
                self._move(owners, event.get("address"), event, credit=kind == "coin_received")

    def ours(self, body: Mapping[str, JsonValue]) -> bool:
        """Whether a tx body is one of this run's (its `tb:<run>:` memo)."""
        memo = body.get("memo")
        parsed = parse_memo(memo) if isinstance(memo, str) else None
        return parsed is not None and parsed.run_id == self.run_id

    def _move(
        self,
        owners: Mapping[str, Bot],
        address: JsonValue,
        item: Mapping[str, JsonValue],
        *,
        credit: bool,
    ) -> None:
        bot = owners.get(str(address))
        amount, denom = item.get("amount"), item.get("denom")
        if bot is None or not isinstance(amount, str) or not isinstance(denom, str):
            return
        try:
            if credit:
                bot.wallet.credit(Denom(denom), int(amount))
            else:  # its intent settles the fee only (`amounts_on_chain`)
                bot.wallet.spent(Denom(denom), int(amount))
        except (WalletError, ValueError) as exc:
            self.unapplied += 1
            _log.warning("bot %d: the chain moved %s %s: %s", bot.index, amount, denom, exc)


def _received(body: dict[str, JsonValue], msg: dict[str, JsonValue]) -> list[dict[str, JsonValue]]:
    """What a committed message pays into bank balances, as `{to, denom, amount}` outputs.

    Transfers pay their recipients; a margin withdrawal pays its sender the amount it names in
    the perps collateral denom (DX), since the chain either pays exactly that or fails the tx.
    What a module message pays that only the chain decides comes as its events instead.
    """
    kind = msg.get("type")
    if kind == "bank.send":
        return [msg]
    if kind == "perps.withdraw":
        return [{"to": body.get("sender"), "denom": DX.value, "amount": msg.get("amount")}]
    outputs = msg.get("outputs", [])
    return [o for o in outputs if isinstance(o, dict)] if isinstance(outputs, list) else []
