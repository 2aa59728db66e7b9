"""One intent (a logical user action) in flight, and how it is measured (SCENARIOS.md §1.3).

A behaviour decides what to do; `Intent` does it and records it: `query` for reads
(`lat.query{endpoint}`), `transact` for a signed tx through its whole life — reserve in the
shadow ledger, sign with the bot's local nonce, broadcast (`lat.submit`), wait for the block
that includes it (`lat.commit`), then settle. A node's "ok" is a promise: the shadow ledger
keeps an accepted tx as spent even if it never commits, so a lost tx shows up both as
`n.lost` and as a ledger mismatch at reconciliation. A tx whose messages failed at execution
(e.g. `slippage_exceeded`) is in its block all the same: its nonce is spent and its fee
charged, so the shadow ledger settles the fee only, and it counts as `n.reject{code}` and
`n.failed{code}`, not as a commit. A counter about one tx keeps its hash as an example, the
evidence a failing criterion names.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Sequence
from typing import TypeVar

from botruntime.bots.bot import Bot, ChainName
from botruntime.chain.errors import BadNonce, ChainError, ProtocolViolation, Rejected, Unreachable
from botruntime.chain.models import SubmitResult
from botruntime.chain.tx import Msg, SignedTx, format_memo
from botruntime.fleet._commits import Landed
from botruntime.fleet._context import FleetContext
from botruntime.wallet import BalanceUnderflow, Denom, Reservation

__all__ = ["Intent"]

T = TypeVar("T")


def error_kind(exc: ChainError) -> str:
    """The `n.error{kind}` label of a failure that is not a protocol reject."""
    if isinstance(exc, Unreachable):
        if exc.retry_after_s is not None:
            return "http503"
        return "timeout" if "timed out" in str(exc).lower() else "conn"
    if isinstance(exc, ProtocolViolation):
        return "http5xx" if exc.status >= 500 else "decode"
    return "other"


class Intent:
    __slots__ = ("_ctx", "action", "chain", "expected_codes", "intended_ts")

    def __init__(
        self,
        ctx: FleetContext,
        action: str,
        chain: ChainName,
        intended_ts: float,
        *,
        expected_codes: frozenset[str] | None = None,
    ) -> None:
        self._ctx = ctx
        self.action = action
        self.chain = chain
        self.intended_ts = intended_ts
        # the role's expected codes when it names some, else the scenario's
        self.expected_codes = ctx.expected_codes if expected_codes is None else expected_codes
        ctx.recorder.counter("n.intent", action=action).add()

    @property
    def run_id(self) -> str:
        return self._ctx.run_id

    def memo(self, bot: Bot) -> str:
        """`tb:<run>:<bot>:<intended_ts_us>`, the intent's trace on chain."""
        return format_memo(self.run_id, bot.index, int(self.intended_ts * 1_000_000))

    def reject(self, code: str, tx: str | None = None) -> None:
        """Count a protocol reject (of tx `tx`, a hash); codes the scenario expects are the
        defence working."""
        expected = "yes" if code in self.expected_codes else "no"
        self._ctx.recorder.counter(
            "n.reject", action=self.action, code=code, expected=expected
        ).add(example=tx)

    def error(self, exc: ChainError, tx: str | None = None) -> None:
        self._ctx.recorder.counter("n.error", action=self.action, kind=error_kind(exc)).add(
            example=tx
        )

    async def _measured(
        self, phase: str, name: str, call: Awaitable[T], tx: str | None = None
    ) -> T | Rejected | None:
        """Await `call` and record it under `lat.<phase>{name}` with its outcome: the answer,
        the node's reject, or None when no usable answer came (counted as `n.error`)."""
        sent = time.perf_counter()
        outcome = "ok"
        try:
            return await call
        except Rejected as exc:
            outcome = exc.code
            self.reject(exc.code, tx)
            return exc
        except ChainError as exc:
            outcome = error_kind(exc)
            self.error(exc, tx)
            return None
        finally:
            self._ctx.recorder.observe(
                phase, self.chain, name, outcome, self.intended_ts, sent, time.perf_counter()
            )

    async def query(self, endpoint: str, call: Awaitable[T]) -> T | None:
        """Run a read and record it as `lat.query{endpoint}`; None when it failed (recorded)."""
        result = await self._measured("query", endpoint, call)
        return None if isinstance(result, Rejected) else result

    def count(self, name: str, *, tx: str | None = None, n: int = 1, **labels: str) -> None:
        """Add `n` to a scenario counter (`adv.*`, `mkt.*`) for this intent's action; `tx` is
        the hash of the tx it is about, kept as an example."""
        self._ctx.recorder.counter(name, action=self.action, **labels).add(n, example=tx)

    async def submit(
        self, call: Awaitable[SubmitResult], *, tx: str | None = None
    ) -> SubmitResult | Rejected | None:
        """Send something that is not this bot's own tx (a replay, a fuzzed body; `tx` the
        hash it is known by) and record it as `lat.submit{action}`: the node's answer, the
        reject, or None (no answer)."""
        return await self._measured("submit", self.action, call, tx)

    async def transact(
        self,
        bot: Bot,
        msgs: Sequence[Msg],
        *,
        spend: Denom,
        amount: int,
        amounts_on_chain: bool = False,
        fee: int | None = None,
    ) -> Landed | None:
        """Sign, send and follow one tx; the block it landed in, or None (recorded why).

        A tx can land and fail: `Landed.ok` is False and `Landed.code` says why.
        `amounts_on_chain`: the chain decides what the messages move (a swap's output, what an
        add of liquidity takes): `amount` of `spend` is only held while the tx is out, the fee
        is settled, and the amounts come from the tx's events (`Fleet`'s receipts).
        `fee`: pay this instead of the chain's usual fee (a tx that bids for its place in the
        block, as a front-runner does)."""
        ctx = self._ctx
        side = ctx.sides[self.chain]
        fee = side.fee if fee is None else fee
        try:
            hold = bot.wallet.reserve(spend, amount, fee)
        except BalanceUnderflow:
            # the behaviour should have sized the amount from spendable(): a generator bug
            ctx.recorder.counter("n.reject", action=self.action, code="local_funds", expected="no")
            return None
        client = side.client_for(bot)
        nonce = bot.next_nonce(self.chain)
        tx = client.sign(bot.identity, msgs, nonce=nonce, fee=fee, memo=self.memo(bot))
        return await self._send(bot, tx, hold, amounts_on_chain)

    async def _send(
        self, bot: Bot, tx: SignedTx, hold: Reservation, amounts_on_chain: bool = False
    ) -> Landed | None:
        ctx = self._ctx
        side = ctx.sides[self.chain]
        rec = ctx.recorder
        landing = side.watcher.expect(tx.hash)
        sent = time.perf_counter()
        try:
            await side.client_for(bot).broadcast(tx, "sync")
        except Rejected as exc:
            rec.observe("submit", self.chain, self.action, exc.code, self.intended_ts, sent, _now())
            side.watcher.forget(tx.hash)
            bot.wallet.release(hold)
            self.reject(exc.code, tx.hash)
            if isinstance(exc, BadNonce):
                bot.resync_nonce(self.chain, exc.expected)
            return None
        except ChainError as exc:
            # no answer: the tx may or may not have reached the node; follow it like an
            # accepted one, but do not count it as a promise if it never lands
            rec.observe(
                "submit", self.chain, self.action, error_kind(exc), self.intended_ts, sent, _now()
            )
            self.error(exc, tx.hash)
            return await self._follow(
                bot, tx, hold, landing, sent, promised=False, on_chain=amounts_on_chain
            )
        rec.observe("submit", self.chain, self.action, "ok", self.intended_ts, sent, _now())
        ctx.recent.note_submitted(self.chain, tx, bot.index % len(side.clients))
        ctx.accepted += 1
        bot.note_accepted(self.chain, tx.body.nonce)
        bot.last_tx = tx.hash
        return await self._follow(
            bot, tx, hold, landing, sent, promised=True, on_chain=amounts_on_chain
        )

    async def _follow(
        self,
        bot: Bot,
        tx: SignedTx,
        hold: Reservation,
        landing: asyncio.Future[Landed],
        sent: float,
        *,
        promised: bool,
        on_chain: bool = False,
    ) -> Landed | None:
        ctx = self._ctx
        side = ctx.sides[self.chain]
        try:
            async with asyncio.timeout(ctx.commit_timeout_s):
                landed = await asyncio.shield(landing)
        except TimeoutError:
            side.watcher.forget(tx.hash)
            self._not_landed(bot, tx, hold, promised)
            await self._resync_nonce(bot)
            return None
        except asyncio.CancelledError:  # the drain ended with this tx still out
            side.watcher.forget(tx.hash)
            self._not_landed(bot, tx, hold, promised)
            raise
        if not promised:  # it did reach the node after all
            ctx.accepted += 1
            bot.note_accepted(self.chain, tx.body.nonce)
        if not landed.ok:  # in the block, nonce spent, fee charged, messages undone
            bot.wallet.settle_fee_only(hold)
            self.reject(landed.code, tx.hash)
            ctx.recorder.counter("n.failed", action=self.action, code=landed.code).add(
                example=tx.hash
            )
            return landed
        ctx.committed += 1
        if on_chain:  # the tx's events moved the amounts (Fleet's receipts, already applied)
            bot.wallet.settle_fee_only(hold)
        else:
            bot.wallet.settle(hold)
        ctx.recorder.counter("n.commit", action=self.action).add()
        ctx.recorder.observe(
            "commit", self.chain, self.action, "ok", self.intended_ts, sent, landed.seen_ts
        )
        return landed

    def _not_landed(self, bot: Bot, tx: SignedTx, hold: Reservation, promised: bool) -> None:
        if promised:  # the node said ok: the shadow ledger keeps it spent (a finding)
            self._ctx.lost += 1
            self._ctx.recorder.counter("n.lost", action=self.action).add(example=tx.hash)
            bot.wallet.settle(hold)
        else:
            bot.wallet.release(hold)

    async def _resync_nonce(self, bot: Bot) -> None:
        """After a lost tx, learn the chain's nonce so the bot's next txs are not all stuck."""
        client = self._ctx.sides[self.chain].client_for(bot)
        account = await self.query("account", client.account(bot.address(self.chain)))
        if account is not None:
            bot.resync_nonce(self.chain, account.nonce)


def _now() -> float:
    return time.perf_counter()
