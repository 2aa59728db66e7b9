"""A fleet: the bots of one run that one process drives, with their executors.

A fleet runs one `PlanPart` of a compiled run plan: a contiguous range of the run's bots and,
per role, the arrivals (open loop) or sessions (closed loop) those bots carry; a
single-process run is `plan.part()`, the whole plan, a cluster worker one slice (DESIGN §6).
`Fleet.run` owns every task it starts: the commit watchers, the generator-health monitor and
one executor per role.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from random import Random

from botruntime.behaviors import BEHAVIORS, Behavior
from botruntime.bots.bot import Bot, ChainName
from botruntime.chain.alpha import HttpAlphaClient
from botruntime.chain.delta import HttpDeltaClient
from botruntime.chain.errors import ChainError, RateLimited, Unreachable
from botruntime.chain.models import Account
from botruntime.chain.retry import RetryPolicy
from botruntime.chain.tx import JsonValue
from botruntime.fleet._commits import CommitWatcher, Events, TxObserver
from botruntime.fleet._context import (
    ChainClient,
    Chains,
    ChainSide,
    ClientIds,
    FleetContext,
    Peers,
    alpha_client,
)
from botruntime.fleet._crews import Crews
from botruntime.fleet._intent import Intent
from botruntime.fleet._receipts import Receipts
from botruntime.fleet._recent import CommitAudit
from botruntime.load import Action, ClosedLoop, LoopReport, OpenLoop, SessionRange
from botruntime.metrics import GeneratorHealth, Recorder
from botruntime.plan import PlanPart, RolePart
from botruntime.wallet import AX, DX, Denom

__all__ = ["Fleet", "FleetOutcome", "RoleRun"]

_log = logging.getLogger("botruntime.fleet")
_NATIVE: Mapping[ChainName, Denom] = {"alpha": AX, "delta": DX}
_DENOMS = frozenset(d.value for d in Denom)
# a bank.send signed by a bot is ~520 canonical bytes; the fee covers 640 with the 2x margin
_TYPICAL_TX_BYTES = 640


@dataclass(frozen=True, slots=True)
class FleetOutcome:
    """What one fleet knows at its end that metrics do not carry: its promises and its ledger."""

    accepted: int = 0  # txs a node answered ok to
    committed: int = 0
    lost: int = 0  # accepted, never seen in a block
    mismatched: int = 0  # bots whose chain state differs from their shadow ledger
    details: tuple[str, ...] = ()

    def counters(self) -> dict[str, int]:
        return {
            "fleet.accepted": self.accepted,
            "fleet.committed": self.committed,
            "fleet.lost": self.lost,
            "ledger.mismatch": self.mismatched,
        }

    @classmethod
    def from_counters(
        cls, counters: Mapping[str, int], details: Sequence[str] = ()
    ) -> FleetOutcome:
        return cls(
            counters.get("fleet.accepted", 0),
            counters.get("fleet.committed", 0),
            counters.get("fleet.lost", 0),
            counters.get("ledger.mismatch", 0),
            tuple(details),
        )

    def __add__(self, other: FleetOutcome) -> FleetOutcome:
        return FleetOutcome(
            self.accepted + other.accepted,
            self.committed + other.committed,
            self.lost + other.lost,
            self.mismatched + other.mismatched,
            (*self.details, *other.details),
        )


@dataclass(slots=True)
class RoleRun:
    """One role as this process runs it: its bots here and its executor."""

    part: RolePart
    bots: list[Bot]  # this process's bots of the role
    behaviours: list[Behavior]

    @property
    def name(self) -> str:
        return self.part.role.name

    def executor(
        self, act: Action, recorder: Recorder, *, max_wait_s: float
    ) -> OpenLoop | ClosedLoop:
        """The role's executor; an open-loop arrival blocked behind busy bots waits for one at
        most `max_wait_s` (the commit timeout: a tx may take that long to free its bot)."""
        load, role = self.part.load, self.part.role
        if isinstance(load, SessionRange):
            return ClosedLoop(load, act, role=role.name, recorder=recorder)
        slots = max(1, len(self.bots) * role.max_in_flight_per_bot)
        return OpenLoop(
            load,
            act,
            role=role.name,
            slots=slots,
            recorder=recorder,
            drain_timeout_s=5.0,
            max_wait_s=max_wait_s,
        )

    def bot_for(self) -> Callable[[int], Bot]:
        """Slot (open loop) or session (closed loop) -> the bot that acts for it."""
        bots, load, role = self.bots, self.part.load, self.part.role
        if isinstance(load, SessionRange):
            held = self.part.bots  # session i plays on its own bot, which is here
            return lambda session: bots[held.index(role.session_bot(session))]
        per_bot = self.part.role.max_in_flight_per_bot
        return lambda slot: bots[(slot // per_bot) % len(bots)]


def _chains_of(roles: Sequence[RoleRun]) -> set[ChainName]:
    return {b.chain for run in roles for b in run.behaviours}


class Fleet:
    """The bots of `part` driven by this process.

    `resync_from_chain`: bots taken over from a lost worker read balances and nonces from the
    chain first. `expected_codes`: reject codes every role counts as the defence working.
    `may_send`: asked right before every tx is signed or sent; while it says False nothing
    goes out (a cluster worker whose lease lapsed: its bots may have a new owner)."""

    def __init__(
        self,
        part: PlanPart,
        recorder: Recorder,
        *,
        resync_from_chain: bool = False,
        expected_codes: frozenset[str] = frozenset(),
        may_send: Callable[[], bool] | None = None,
    ) -> None:
        self.part = part
        self.may_send = may_send
        self.plan = part.plan
        self.recorder = recorder
        self.resync_from_chain = resync_from_chain
        self.expected_codes = expected_codes
        self.bots: list[Bot] = []
        self.roles: list[RoleRun] = []
        self.reports: dict[str, LoopReport] = {}
        self._clients: list[ChainClient] = []
        self._rng = Random(f"{self.plan.seed}/{part.bots.start}")
        # what the chain gave or took from this fleet's bots besides their own spends
        self.receipts = Receipts(self.plan.run_id)
        self.ctx: FleetContext | None = None
        self._loops: list[OpenLoop | ClosedLoop] = []

    # ---- setup ----------------------------------------------------------------------------------

    def _attempt(self, *_: object) -> None:
        self._attempts.add()

    async def setup(self) -> FleetContext:
        """Bots, wallets as funded at genesis, chain clients, fees and commit watchers."""
        plan = self.plan
        self._attempts = self.recorder.counter("n.attempt")
        for role_part in self.part.roles:
            bots = [Bot(plan.seed, i, role_part.role.name) for i in role_part.bots]
            for bot in bots:
                for denom, amount in plan.funding.items():
                    bot.wallet.credit(denom, amount)
                bot.lifecycle.funded("genesis")
            behaviours = [BEHAVIORS[name] for name in role_part.role.behaviours]
            self.roles.append(RoleRun(role_part, bots, behaviours))
            self.bots.extend(bots)
        sides: dict[ChainName, ChainSide] = {}
        for chain in sorted(_chains_of(self.roles)):
            sides[chain] = await self._side(chain)
        ctx = self.ctx = FleetContext(
            run_id=plan.run_id,
            recorder=self.recorder,
            sides=sides,
            peers=Peers(plan.seed, plan.bots, local={bot.index: bot for bot in self.bots}),
            expected_codes=self.expected_codes,
            commit_timeout_s=max(10.0, 10 * plan.block_time_s),
            client_ids=ClientIds.of(plan.run_id, plan.roles),
            crews=Crews(plan, self.bots) if plan.crews else None,
            role_bots={role.name: role.bots for role in plan.roles},
            may_send=self.may_send,
        )
        for bot in self.bots:
            for chain in sides:
                ctx.owners[bot.address(chain)] = bot
        if self.resync_from_chain:
            await self._resync_from_chain(ctx)
        return ctx

    async def _resync_from_chain(self, ctx: FleetContext) -> None:
        """Bots taken over from a lost worker: the chain, not genesis, says what they hold.

        The lost worker's last txs may still be in the mempool; they would land after the
        read and the new shadow ledger would never know them. So first wait (at most a commit
        timeout) until no tx of these bots is pending, then read balances and nonces.
        """
        if not self.bots:
            return
        deadline = time.monotonic() + ctx.commit_timeout_s
        for chain, side in ctx.sides.items():
            waiting = list(self.bots)
            while waiting and time.monotonic() < deadline:
                waiting = [b for b in waiting if await side.client_for(b).pending(b.address(chain))]
                if waiting:
                    await asyncio.sleep(0.25)
            if waiting:
                _log.warning(
                    "%d taken-over bots still had txs pending on %s after %.0f s",
                    len(waiting),
                    chain,
                    ctx.commit_timeout_s,
                )
        balances: dict[int, dict[Denom, int]] = {bot.index: {} for bot in self.bots}
        for chain, side in ctx.sides.items():
            for bot in self.bots:
                with contextlib.suppress(ChainError):  # a chain without a bridge has none
                    ctx.bridge.known(await side.client_for(bot).bridge_sent(bot.address(chain)))
            # the accounts as of one height, and the commit watcher on from that height: a
            # payment to a bot committed meanwhile is in the read or credited, never both
            for _ in range(5):
                height = (await side.client_for(self.bots[0]).latest_block()).height
                accounts = [await side.client_for(b).account(b.address(chain)) for b in self.bots]
                if (await side.client_for(self.bots[0]).latest_block()).height == height:
                    break
            else:
                _log.warning("%s kept moving while taken-over bots were read", chain)
            side.watcher.height = side.watcher.start_height = height
            for bot, account in zip(self.bots, accounts, strict=True):
                bot.resync_nonce(chain, account.nonce)
                bot.set_accepted(chain, account.nonce)
                balances[bot.index].update(
                    {Denom(d): v for d, v in account.balances.items() if d in _DENOMS}
                )
        for bot in self.bots:
            bot.wallet.resync(balances[bot.index])

    async def _side(self, chain: ChainName) -> ChainSide:
        target = self.plan.target
        urls = target.alpha if chain == "alpha" else target.delta
        cls = HttpAlphaClient if chain == "alpha" else HttpDeltaClient
        pool = max(8, min(256, len(self.bots) // max(1, len(urls)) + 4))
        clients: list[ChainClient] = [
            cls(url, client_id=self._client_id, pool_size=pool, on_attempt=self._attempt)
            for url in urls
        ]
        watch_clients: list[ChainClient] = [
            cls(url, client_id=f"{self._client_id}-watch", pool_size=2) for url in urls
        ]
        watch_client = watch_clients[0]
        chain_id = await watch_client.resolve_chain_id()
        per_request: list[ChainClient] = [
            cls(
                url,
                chain_id=chain_id,
                client_id=self._client_id,
                pool_size=pool,
                keep_alive=False,
                on_attempt=self._attempt,
            )
            for url in urls
        ]
        self._clients.extend([*clients, *watch_clients, *per_request])
        for client in clients:
            await client.resolve_chain_id()
        params = await clients[0].params()
        base, per_byte = params.integer("min_fee_base"), params.integer("min_fee_per_byte")
        fee = 2 * (base + per_byte * _TYPICAL_TX_BYTES)
        watcher = CommitWatcher(
            watch_client, on_tx=self._receipts(chain, chain_id), fallbacks=watch_clients[1:]
        )
        await watcher.start()
        return ChainSide(
            chain,
            clients,
            watcher,
            fee,
            _NATIVE[chain],
            min_fee_base=base,
            min_fee_per_byte=per_byte,
            per_request=per_request,
        )

    def _receipts(self, chain: ChainName, chain_id: str) -> TxObserver:
        """Every tx of every block: kept for replayers, audited (`CommitAudit`); a bridge claim
        credits its recipient whoever signed it (`BridgeBook`), and what this run's txs paid or
        took from this fleet's bots goes to their shadow ledgers (`Receipts`)."""
        audit = CommitAudit(self.recorder, self.plan.run_id)
        receipts = self.receipts

        def on_tx(
            tx_hash: str, wire: dict[str, JsonValue], code: str, height: int, events: Events
        ) -> None:
            if self.ctx is None:
                return
            body = wire.get("body")
            if isinstance(body, dict):  # a signed tx (else a faucet credit)
                self.ctx.recent.note_committed(chain, tx_hash, wire)
                audit.check(chain, chain_id, tx_hash, wire)
                listed = body.get("msgs") if code == "ok" else None
                msgs = (
                    [m for m in listed if isinstance(m, dict)] if isinstance(listed, list) else []
                )
                for msg in msgs:  # a claim pays its recipient whoever signed it (a relayer)
                    if msg.get("type") == "bridge.claim":
                        self.ctx.bridge.claimed(chain, msg)
                sender = self.ctx.owners.get(str(body.get("sender")))
                if chain == "alpha" and sender is not None and receipts.ours(body):
                    for msg in msgs:
                        self.ctx.alpha_book.committed(sender, msg, height)
            receipts.apply(self.ctx.owners, wire, code, events)

        return on_tx

    # ---- run ------------------------------------------------------------------------------------

    def in_flight(self) -> dict[str, int]:
        return {loop.role: loop.in_flight for loop in self._loops}

    def bot_states(self) -> dict[str, int]:
        return dict(collections.Counter(str(bot.lifecycle.state) for bot in self.bots))

    async def run(self, start_ts: float | None = None, stop: asyncio.Event | None = None) -> None:
        """Drive every role's plan from `start_ts` (perf_counter; default now) to its end."""
        ctx = self.ctx or await self.setup()
        start = time.perf_counter() if start_ts is None else start_ts
        self._loops = [
            run.executor(self._action(ctx, run), self.recorder, max_wait_s=ctx.commit_timeout_s)
            for run in self.roles
        ]
        for bot in self.bots:
            bot.lifecycle.running()
        health = GeneratorHealth(self.recorder, in_flight=self.in_flight, bots=self.bot_states)
        health.sample_bots()
        async with asyncio.TaskGroup() as tg:
            helpers: list[asyncio.Task[None]] = [
                tg.create_task(side.watcher.run(), name=f"commit-watcher-{side.name}")
                for side in ctx.sides.values()
            ]
            helpers.append(tg.create_task(health.run(), name="generator-health"))
            if stop is not None:
                helpers.append(tg.create_task(self._stop_on(stop), name="stop-listener"))
            try:
                loops = [
                    tg.create_task(loop.run(start), name=f"role-{loop.role}")
                    for loop in self._loops
                ]
                for loop, running in zip(self._loops, loops, strict=True):
                    self.reports[loop.role] = await running
                await self._read_to_tip(ctx)
                if self.part.bots != range(self.plan.bots):  # other workers hold bots too
                    await self._settle(start + self.plan.duration_s, stop)
            finally:
                for helper in helpers:
                    helper.cancel()
        for bot in self.bots:
            bot.lifecycle.stopping("plan ended")
            bot.lifecycle.stopped()
        health.sample_bots()

    async def _read_to_tip(self, ctx: FleetContext) -> None:
        """A fired tx settles when the commit watcher reads its block, and a behaviour that
        learned of the block first (from the event stream, by polling) may have ended the
        plan before then: read every chain up to its current height before stopping."""
        for side in ctx.sides.values():
            try:
                tip = (await side.clients[0].latest_block()).height
            except ChainError:
                continue  # the watcher's own reads say what is wrong
            if not await side.watcher.read_through(tip, timeout_s=ctx.commit_timeout_s):
                _log.warning("%s: blocks up to %d not read before the plan ended", side.name, tip)

    async def _settle(self, plan_end_ts: float, stop: asyncio.Event | None) -> None:
        """Keep watching the chain until the whole plan has ended, drain included: other
        workers' bots may still pay ours, and a payment that commits after we stop watching
        would be missing from our shadow ledgers."""
        wait_s = plan_end_ts - time.perf_counter()
        if wait_s <= 0 or (stop is not None and stop.is_set()):
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(wait_s):
                await (stop.wait() if stop is not None else asyncio.Event().wait())

    async def _stop_on(self, stop: asyncio.Event) -> None:
        await stop.wait()
        for loop in self._loops:
            loop.stop()

    def _action(self, ctx: FleetContext, run: RoleRun) -> Action:
        behaviours = run.behaviours
        weights = list(run.part.role.weights)
        bot_for = run.bot_for()
        rng = self._rng
        expected = ctx.expected_codes | run.part.role.expected_rejects

        async def act(intended_ts: float, slot: int) -> None:
            bot = bot_for(slot)
            behaviour = rng.choices(behaviours, weights)[0]
            intent = Intent(
                ctx, behaviour.name, behaviour.chain, intended_ts, expected_codes=expected
            )
            await behaviour.fn(bot, Chains(ctx, bot), rng, intent)

        return act

    # ---- after the run --------------------------------------------------------------------------

    async def reconcile(self) -> tuple[int, list[str]]:
        """Compare every bot's shadow ledger with the chain: (mismatched bots, first details).

        What Alpha's modules owe the bots (matured unbondings, rewards, refunded deposits) is
        credited first: nothing of this fleet is in flight any more. A bridge transfer may end
        (refund at end-block, a late claim) while its bot is read: its transfers are settled
        before the accounts are read and once more after, and a bot credited in between is
        read again."""
        assert self.ctx is not None
        mismatched, details = 0, await self._settle_alpha()
        for bot in self.bots:
            await self._settle_bridge(bot)
            found = await self._compare(bot)
            for _ in range(3):
                if not await self._settle_bridge(bot):
                    break
                found = await self._compare(bot)
            if found is not None:
                mismatched += 1
                if len(details) < 10:
                    details.append(found)
        return mismatched, details

    async def _settle_alpha(self) -> list[str]:
        """Credit what Alpha's modules owe this fleet's bots; the problems met, as details."""
        assert self.ctx is not None
        alpha = self.ctx.sides.get("alpha")
        if alpha is None:
            return []
        try:
            return await self.ctx.alpha_book.settle(
                lambda bot: alpha_client(alpha, bot),
                self.ctx.owners,
                block_time_s=self.plan.block_time_s,
                wait_s=self.ctx.commit_timeout_s + 30 * self.plan.block_time_s,
                since_height=alpha.watcher.start_height,
            )
        except ChainError as exc:
            return [f"crediting Alpha's staking and governance effects failed ({exc})"]

    async def _compare(self, bot: Bot) -> str | None:
        """Why `bot`'s shadow ledger differs from the chain, or None when it does not."""
        assert self.ctx is not None
        for chain, side in self.ctx.sides.items():
            try:
                account = await _account_seen(side, bot, chain)
            except ChainError as exc:
                return f"bot {bot.index}: {chain} account unreadable ({exc})"
            want = {
                d.value: v for d, v in bot.wallet.balances().items() if d.fee_denom == side.native
            }
            have = {d: v for d, v in account.balances.items() if v}
            if want != have or account.nonce != bot.accepted(chain):
                return (
                    f"bot {bot.index} on {chain}: expected {want} nonce "
                    f"{bot.accepted(chain)}, chain has {have} nonce {account.nonce}"
                )
        return None

    async def _settle_bridge(self, bot: Bot) -> int:
        """Credit `bot`'s bridge transfers that ended unseen (refunds, claims after the
        watchers stopped); 0 at once on a run whose bots never used the bridge."""
        assert self.ctx is not None
        if not self.ctx.bridge.used:
            return 0
        credited = 0
        for chain, side in self.ctx.sides.items():
            try:
                sent = await side.client_for(bot).bridge_sent(bot.address(chain))
            except ChainError:
                continue  # the account read that follows reports the chain unreadable
            credited += self.ctx.bridge.settle(sent, completed=True)
        return credited

    async def outcome(self) -> FleetOutcome:
        """Reconcile every bot with the chain and sum up this fleet's promises."""
        assert self.ctx is not None, "outcome() comes after setup()"
        mismatched, details = await self.reconcile()
        ctx = self.ctx
        return FleetOutcome(ctx.accepted, ctx.committed, ctx.lost, mismatched, tuple(details))

    @property
    def _client_id(self) -> str:
        return f"testbots-{self.plan.run_id}-{self.part.bots.start}"

    async def close(self) -> None:
        if self.ctx is not None and self.ctx.crews is not None:
            self.ctx.crews.close()
        if self.ctx is not None:
            await self.ctx.subscriptions.aclose()
        for client in self._clients:
            try:
                await client.close()
            except Exception:  # closing must not hide the run's own outcome
                _log.debug("closing a chain client failed", exc_info=True)


# a node behind the height asked for is left for the next one, not waited on (it may lag on
# purpose, R6 stale_read_write)
_SEEN_READ = RetryPolicy(retry_on=(Unreachable, RateLimited))


async def _account_seen(side: ChainSide, bot: Bot, chain: ChainName) -> Account:
    """`bot`'s account as of the height the commit watcher has seen (everything the shadow
    ledger holds), from the bot's node or, when that one is behind, the next one that is not."""
    first = bot.index % len(side.clients)
    last_error: ChainError | None = None
    for step in range(len(side.clients)):
        client = side.client_for(bot, node=(first + step) % len(side.clients))
        try:
            return await client.with_retry(_SEEN_READ).account(
                bot.address(chain), min_height=side.watcher.height
            )
        except ChainError as exc:
            last_error = exc
    assert last_error is not None
    raise last_error
