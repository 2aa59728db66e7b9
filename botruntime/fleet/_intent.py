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

`fire` is `transact` for spam: it does not wait for the block. An attacker's tx is no promise
to anyone (a flood is shed by design), so it is settled only if the commit watcher sees it land,
and one that never does leaves the shadow ledger as it was, exactly as the chain does.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from botruntime.bots.bot import Bot, ChainName
from botruntime.chain.errors import BadNonce, ChainError, ProtocolViolation, Rejected, Unreachable
from botruntime.chain.models import SubmitResult
from botruntime.chain.tx import Msg, SignedTx, format_memo
from botruntime.fleet._commits import Landed
from botruntime.fleet._context import FleetContext
from botruntime.fleet._failover import PROBE_AFTER_S, broadcast_failover, probe_everywhere
from botruntime.wallet import BalanceUnderflow, Denom, Reservation

__all__ = ["Intent"]

T = TypeVar("T")

JUDGED_AFTER_BLOCKS = 3  # blocks the watcher must read before a tx out that long is lost
BLIND_WAITS = 4  # commit timeouts waited at most while the watcher cannot read the chain


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

    def _fenced(self) -> bool:
        """True (counted as reject `fenced`) when this process may not act for its bots now."""
        may_send = self._ctx.may_send
        if may_send is None or may_send():
            return False
        self.reject("fenced")
        return True

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

    def count(self, name: str, *, tx: str | None = None, by: int = 1, **labels: str) -> None:
        """Add `by` (default 1) to a scenario counter (`adv.*`, `mkt.*`) for this intent's
        action; `tx` is the hash of the tx it is about, kept as an example."""
        self._ctx.recorder.counter(name, action=self.action, **labels).add(by, example=tx)

    def notified(self, committed_wall_s: float) -> None:
        """Record `lat.notify{action}`: from the commit (its block's time, a wall-clock instant
        the chain wrote) to now, when the client learned of it (SCENARIOS.md §1.3)."""
        now = time.perf_counter()
        committed = now - max(0.0, time.time() - committed_wall_s)
        self._ctx.recorder.observe(
            "notify", self.chain, self.action, "ok", committed, committed, now
        )

    def measure_s(self, name: str, seconds: float, **labels: str) -> None:
        """Record a duration into a scenario histogram whose name ends in `_s` (`adv.*_s`),
        for this intent's action."""
        self._ctx.recorder.histogram(name, action=self.action, **labels).record_s(max(seconds, 0.0))

    def sample(self, name: str, value: int, **labels: str) -> None:
        """Record `value`, a count (a queue's depth, a lag in blocks), in the scenario
        histogram `name` for this intent's action: `max(name)` reads back the largest."""
        self._ctx.recorder.histogram(name, action=self.action, **labels).record_s(float(value))

    async def submit(self, call: Awaitable[T], *, tx: str | None = None) -> T | Rejected | None:
        """Send something that is not this bot's own tx (a replay, a fuzzed body; `tx` the
        hash or case id it is known by) and record it as `lat.submit{action}`: the node's
        answer, the reject, or None (no answer, or not sent: `fenced`)."""
        if self._fenced():
            if inspect.iscoroutine(call):
                call.close()
            return None
        return await self._measured("submit", self.action, call, tx)

    async def transact(
        self,
        bot: Bot,
        msgs: Sequence[Msg],
        *,
        spend: Denom,
        amount: int,
        failover: bool = False,
        amounts_on_chain: bool = False,
        fee: int | None = None,
        pipelined: bool = False,
        keep_alive: bool = True,
        nonce: int | None = None,
        send: Callable[[SignedTx], Awaitable[SubmitResult]] | None = None,
    ) -> Landed | None:
        """Sign, send and follow one tx; the block it landed in, or None (recorded why).

        A tx can land and fail: `Landed.ok` is False and `Landed.code` says why. With
        `failover`, a node that does not answer is left for the next one, and a tx no node
        knows of any more is sent again, always as the same signed bytes (`_failover.py`).
        `amounts_on_chain`: the chain decides what the messages move (a swap's output, what an
        add of liquidity takes): `amount` of `spend` is only held while the tx is out, the fee
        is settled, and the amounts come from the tx's events (`Fleet`'s receipts).
        `fee`: pay this instead of the chain's usual fee (a tx that bids for its place in the
        block, as a front-runner does).
        `pipelined`: the bot sequences its own nonces: the nonce is taken at signing, so the
        bot's next action signs the next one while this tx is still out (several actions of
        one bot in flight, each at a consecutive nonce: a hot wallet's sequencer).
        `keep_alive=False`: broadcast on a connection of its own that closes after the answer
        (`ChainSide.client_for`); the block is followed as usual. `nonce`: sign at this nonce
        instead of the bot's next (a client that read its nonce from a stale node, R6); a
        `bad_nonce` answer resyncs the bot to the nonce the chain wants.
        `send`: how the signed tx reaches the network instead of one broadcast to the bot's
        node (a client's own retry discipline, R1); it answers as `broadcast` does, or raises."""
        signed = self._reserve_and_sign(bot, msgs, spend, amount, fee, nonce=nonce)
        if signed is None:
            return None
        tx, hold = signed
        if pipelined:
            bot.nonce_used(self.chain, tx.body.nonce)
        return await self._send(bot, tx, hold, failover, amounts_on_chain, keep_alive, send)

    def _reserve_and_sign(
        self,
        bot: Bot,
        msgs: Sequence[Msg],
        spend: Denom,
        amount: int,
        fee: int | None,
        memo: str | None = None,
        timeout_height: int = 0,
        client_tx_id: str | None = None,
        nonce: int | None = None,
    ) -> tuple[SignedTx, Reservation] | None:
        """Hold `amount` + fee on the shadow ledger and sign at the bot's next nonce (or at
        `nonce`); None (counted) when the ledger cannot cover it or the process may not act
        (`fenced`)."""
        if self._fenced():
            return None
        ctx = self._ctx
        side = ctx.sides[self.chain]
        fee = side.fee if fee is None else fee
        try:
            hold = bot.wallet.reserve(spend, amount, fee)
        except BalanceUnderflow:
            # the behaviour should have sized the amount from spendable(): a generator bug
            ctx.recorder.counter("n.reject", action=self.action, code="local_funds", expected="no")
            return None
        nonce = bot.next_nonce(self.chain) if nonce is None else nonce
        memo = self.memo(bot) if memo is None else memo
        tx = side.client_for(bot).sign(
            bot.identity,
            msgs,
            nonce=nonce,
            fee=fee,
            memo=memo,
            timeout_height=timeout_height,
            client_tx_id=client_tx_id,
        )
        return tx, hold

    async def fire(
        self,
        bot: Bot,
        msgs: Sequence[Msg],
        *,
        spend: Denom,
        amount: int,
        fee: int | None = None,
        memo: str | None = None,
        nonce: int | None = None,
        timeout_height: int = 0,
        client_tx_id: str | None = None,
    ) -> SubmitResult | Rejected | None:
        """Sign and send one tx without waiting for its block (a flood: the next arrival does
        not wait on this one); the node's answer, its reject, or None (no answer, recorded).

        The shadow ledger holds `amount` + `fee` (default: the side's fee) until the commit
        watcher sees the tx in a block, and settles it then (`n.commit`, `lat.commit`); a tx
        the chain never took into a block (refused, evicted, expired) costs nothing, so its
        hold simply ends with the run. The bot's nonce moves on at once: the role must not
        run two actions of one bot at a time (max_in_flight_per_bot: 1); a refused tx hands
        its nonce back. `memo` defaults to the intent's memo; `timeout_height` (a deadline:
        not in a block by then, never) and `client_tx_id` (an idempotency key) go in the body.
        `nonce`: sign at this nonce, not the bot's local one (a client that asks the chain for
        its nonce before every tx, so several of its actions may be in flight at once: they
        race for the nonce as such a client's workers do)."""
        sent = await self._fire(
            bot, msgs, spend, amount, fee, memo, nonce, None, timeout_height, client_tx_id
        )
        if sent is None:
            return None
        answer, nonce = sent[0], sent[1]
        if not isinstance(answer, SubmitResult):
            # refused, or no answer (then a copy that did arrive still settles when it lands)
            bot.resync_nonce(self.chain, answer.expected if isinstance(answer, BadNonce) else nonce)
        return answer

    async def fire_at(
        self,
        bot: Bot,
        msgs: Sequence[Msg],
        *,
        nonce: int,
        spend: Denom,
        amount: int,
        fee: int | None = None,
        memo: str | None = None,
        node: int | None = None,
    ) -> tuple[SubmitResult | Rejected | None, asyncio.Future[Landed] | None]:
        """`fire` at a nonce the behaviour chose, to node `node` (default: the bot's own), for
        a client that keeps its nonces itself: the bot's counter only moves forward past
        `nonce` and a refusal hands nothing back (R3 nonce_gap: a refused tx leaves a gap).
        Also the future of the tx's landing, None when it was refused; await it through
        `asyncio.shield` (cancelling it would end the shadow ledger's hold as if the tx never
        landed)."""
        sent = await self._fire(bot, msgs, spend, amount, fee, memo, nonce, node)
        if sent is None:
            return None, None
        answer, _, landing = sent
        return answer, None if isinstance(answer, Rejected) else landing

    async def _fire(
        self,
        bot: Bot,
        msgs: Sequence[Msg],
        spend: Denom,
        amount: int,
        fee: int | None,
        memo: str | None,
        nonce: int | None,
        node: int | None,
        timeout_height: int = 0,
        client_tx_id: str | None = None,
    ) -> tuple[SubmitResult | Rejected | None, int, asyncio.Future[Landed]] | None:
        """Reserve, sign, register the landing and send: the answer, the nonce signed with and
        the landing (cancelled when refused); None when the ledger could not cover it."""
        signed = self._reserve_and_sign(
            bot, msgs, spend, amount, fee, memo, timeout_height, client_tx_id, nonce
        )
        if signed is None:
            return None
        tx, hold = signed
        side = self._ctx.sides[self.chain]
        client = side.client_for(bot, node=node)
        nonce = tx.body.nonce
        bot.nonce_used(self.chain, nonce)
        landing = side.watcher.expect(tx.hash)
        landing.add_done_callback(self._settle_when_landed(bot, nonce, hold, time.perf_counter()))
        answer = await self.submit(client.broadcast(tx, "sync"), tx=tx.hash)
        if isinstance(answer, Rejected):
            side.watcher.forget(tx.hash)  # cancels the landing: the hold ends
        return answer, nonce, landing

    def follow_up(self, action: str) -> Intent:
        """A new intent of the same bot's client, intended now: what a client does on its
        own initiative while following this one (filling a nonce gap it found, R3)."""
        return Intent(
            self._ctx,
            action,
            self.chain,
            time.perf_counter(),
            expected_codes=self.expected_codes,
        )

    def _settle_when_landed(
        self, bot: Bot, nonce: int, hold: Reservation, sent: float
    ) -> Callable[[asyncio.Future[Landed]], None]:
        """What settles a fired tx: run by its landing future, on the loop, once."""
        ctx = self._ctx
        chain, action, intended_ts = self.chain, self.action, self.intended_ts

        def settle(landing: asyncio.Future[Landed]) -> None:
            if landing.cancelled():
                bot.wallet.release(hold)
                return
            landed = landing.result()
            ctx.accepted += 1
            bot.note_accepted(chain, nonce)
            if not landed.ok:
                bot.wallet.settle_fee_only(hold)
                self.reject(landed.code)
                ctx.recorder.counter("n.failed", action=action, code=landed.code).add()
                return
            ctx.committed += 1
            bot.wallet.settle(hold)
            ctx.recorder.counter("n.commit", action=action).add()
            ctx.recorder.observe("commit", chain, action, "ok", intended_ts, sent, landed.seen_ts)

        return settle

    async def _send(
        self,
        bot: Bot,
        tx: SignedTx,
        hold: Reservation,
        failover: bool = False,
        amounts_on_chain: bool = False,
        keep_alive: bool = True,
        send: Callable[[SignedTx], Awaitable[SubmitResult]] | None = None,
    ) -> Landed | None:
        ctx = self._ctx
        side = ctx.sides[self.chain]
        rec = ctx.recorder
        landing = side.watcher.expect(tx.hash)
        sent = time.perf_counter()
        holder = bot.index % len(side.clients)
        try:
            if failover:
                holder, _ = await broadcast_failover(
                    side, bot, tx, ctx.liveness, first=holder, on_failover=self._failed_over(tx)
                )
            elif send is not None:
                await send(tx)
            else:
                await side.client_for(bot, keep_alive=keep_alive).broadcast(tx, "sync")
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
        ctx.recent.note_submitted(self.chain, tx, holder)
        ctx.accepted += 1
        bot.note_accepted(self.chain, tx.body.nonce)
        bot.last_tx = tx.hash
        return await self._follow(
            bot,
            tx,
            hold,
            landing,
            sent,
            promised=True,
            holder=holder if failover else None,
            on_chain=amounts_on_chain,
        )

    def _failed_over(self, tx: SignedTx) -> Callable[[int], None]:
        def note(node: int) -> None:
            self.count("chain.failovers", tx=tx.hash, node=f"v{node + 1}")

        return note

    async def _landing(
        self, bot: Bot, tx: SignedTx, landing: asyncio.Future[Landed], holder: int | None
    ) -> Landed:
        """The block `tx` lands in, within the commit timeout (TimeoutError after it). With a
        `holder` (the node that accepted it), a tx still out after `PROBE_AFTER_S` is looked
        up on every node; when none knows of it, it is counted lost and sent again.

        The timeout judges blocks read, not time alone: a wait during which the commit
        watcher read fewer than `JUDGED_AFTER_BLOCKS` blocks (every node refused it, R1's
        outage) is waited again, up to `BLIND_WAITS` times, so a tx the watcher could not
        see land is not called lost."""
        ctx = self._ctx
        if holder is None:
            watcher = ctx.sides[self.chain].watcher
            for _ in range(BLIND_WAITS):
                seen = watcher.blocks_seen
                try:
                    async with asyncio.timeout(ctx.commit_timeout_s):
                        return await asyncio.shield(landing)
                except TimeoutError:
                    if watcher.blocks_seen - seen >= JUDGED_AFTER_BLOCKS:
                        raise
            raise TimeoutError
        accepted_ts = time.perf_counter()
        deadline = accepted_ts + ctx.commit_timeout_s
        while True:
            wait_s = min(PROBE_AFTER_S, deadline - time.perf_counter())
            if wait_s <= 0:
                raise TimeoutError
            try:
                async with asyncio.timeout(wait_s):
                    return await asyncio.shield(landing)
            except TimeoutError:
                if time.perf_counter() >= deadline:
                    raise
            holder, accepted_ts = await self._rescue(bot, tx, holder, accepted_ts)

    async def _rescue(
        self, bot: Bot, tx: SignedTx, holder: int, accepted_ts: float
    ) -> tuple[int, float]:
        """Look `tx` up on every node; when none knows of it, count the loss and send the same
        bytes to another node. The node holding it now, and since when."""
        side = self._ctx.sides[self.chain]
        liveness = self._ctx.liveness
        if await probe_everywhere(side, bot, tx.hash, liveness) != "unknown":
            return holder, accepted_ts
        spread = liveness.spread(self.chain, holder, accepted_ts)
        name = "chain.silent_loss" if spread else "chain.lost_in_crash"
        self.count(name, tx=tx.hash, node=f"v{holder + 1}")
        if self._fenced():
            return holder, accepted_ts  # not this process's to send again any more
        try:
            node, _ = await broadcast_failover(
                side, bot, tx, liveness, first=holder + 1, skip=holder
            )
        except ChainError:
            return holder, accepted_ts  # looked up again after the next wait
        self.count("chain.resubmitted", tx=tx.hash)
        return node, time.perf_counter()

    async def _follow(
        self,
        bot: Bot,
        tx: SignedTx,
        hold: Reservation,
        landing: asyncio.Future[Landed],
        sent: float,
        *,
        promised: bool,
        holder: int | None = None,
        on_chain: bool = False,
    ) -> Landed | None:
        ctx = self._ctx
        side = ctx.sides[self.chain]
        try:
            landed = await self._landing(bot, tx, landing, holder)
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
