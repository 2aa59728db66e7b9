"""How clients retry a payment through an incident (R1 retry_storm_herd, SCENARIOS.md §5).

Three clients pay a peer 1-100 AX, as `send_ax` does, and differ only in what they do when the
network does not take the tx at once:

- `naive_send` (naive_retrier): a 1 s timeout; on a timeout, a 5xx or a 429 it sends again at
  once, without limit and deaf to Retry-After; after every 3 failures it re-signs "with a fresh
  nonce" read from the chain: the same bytes while its tx has not landed, a second payment when
  it has (the classic duplicate payment: the first try timed out but was taken).
- `herd_send` (herd_client): the naive client, which on a refused connection polls `/health`
  every 100 ms and sends again the moment the node answers: every herd client at once.
- `disciplined_send` (disciplined): capped exponential backoff with full jitter (base 100 ms,
  cap 10 s), at most 3 attempts the node answered, Retry-After honoured, a retry budget of
  10 % of its requests, and always the identical signed bytes.

A refused connection reached no node, so no client counts it as an attempt; the naive client
tries again after a fixed 1 s rather than in a hot loop (a refused connect costs the network
nothing, and thousands a second would measure the generator's event loop, not the network),
the herd after its 100 ms /health polls, the disciplined one after a jittered reconnect
backoff (100 ms to 4 s).
Every HTTP submission is counted as `n.attempt{action, answer}` (amplification = attempts /
intents per cohort).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from random import Random
from typing import TYPE_CHECKING, Final

from botruntime.behaviors._table import behavior
from botruntime.bots.bot import Bot
from botruntime.chain.alpha import AlphaClient
from botruntime.chain.errors import (
    ChainError,
    DuplicateTx,
    ProtocolViolation,
    Throttled,
    Unreachable,
)
from botruntime.chain.models import SubmitResult
from botruntime.chain.retry import Attempt, RetryPolicy
from botruntime.chain.tx import SignedTx, bank_send
from botruntime.wallet import AX

if TYPE_CHECKING:  # the fleet imports the behaviours: at run time they only receive these
    from botruntime.fleet import Chains, Intent, Landed

__all__ = [
    "DISCIPLINED",
    "HEALTH_POLL_S",
    "NAIVE_TIMEOUT_S",
    "RESIGN_AFTER",
    "RetryBudget",
    "answer_of",
    "disciplined_send",
    "herd_send",
    "naive_send",
]

NAIVE_TIMEOUT_S: Final = 1.0
HEALTH_POLL_S: Final = 0.1  # the herd's /health poll while refused
NAIVE_RECONNECT_S: Final = 1.0  # the naive client's fixed wait after a refused connection
RESIGN_AFTER: Final = 3  # naive failures before it re-signs with the chain's nonce
MAX_PAYMENTS_PER_INTENT: Final = 3  # duplicates a naive intent may pay (a spend cap, no more)
DISCIPLINED: Final = RetryPolicy(max_attempts=3, base_s=0.1, cap_s=10.0, max_elapsed_s=60.0)
# a refused connection is retried on its own, shorter backoff (full jitter, 100 ms to 4 s), for
# up to 45 s: reconnecting costs the node nothing, and service resumes within 4 s of it
RECONNECT: Final = RetryPolicy(max_attempts=1, base_s=0.1, cap_s=4.0)
DISCIPLINED_WAIT_S: Final = 45.0


@dataclass(slots=True)
class RetryBudget:
    """Retries at most `ratio` of the requests sent, after an allowance of `floor` retries
    (Google SRE's per-client retry budget): one client's share of a storm stays bounded."""

    ratio: float = 0.1
    floor: int = 3
    requests: int = 0
    retries: int = 0

    def sent(self) -> None:
        self.requests += 1

    def take(self) -> bool:
        """Whether one more retry fits the budget; spends it when it does."""
        if self.retries + 1 > self.floor + self.ratio * self.requests:
            return False
        self.retries += 1
        return True


def _refused(exc: ChainError) -> bool:
    """No connection at all (refused, reset): the request never reached a node."""
    return isinstance(exc, Unreachable) and isinstance(exc.__cause__, OSError)


def answer_of(error: ChainError | None) -> str:
    """The `answer` label of one submission (SCENARIOS R1 C1): `ok`; `shed`, a 429 or 503 with
    Retry-After (the network pushing back as it should); `timeout`, no answer in time;
    `http5xx`, any other 5xx (a 503 without Retry-After included); `rejected`, a protocol
    code (duplicate_tx after a lost answer, bad_nonce, ...)."""
    if error is None:
        return "ok"
    if isinstance(error, Throttled | Unreachable) and error.retry_after_s is not None:
        return "shed"
    if isinstance(error, Unreachable):  # an answer says so (error_from_answer), else none came
        return "http5xx" if " answered " in str(error) else "timeout"
    if isinstance(error, ProtocolViolation):
        return "http5xx" if error.status >= 500 else "rejected"
    return "rejected"


def _counting(client: AlphaClient, rec: Intent) -> AlphaClient:
    """`client` counting each submission of the tx as `n.attempt{action, answer}` (a refused
    connection is no submission; the naive client's nonce reads and health polls neither)."""

    def note(attempt: Attempt) -> None:
        if attempt.operation != "broadcast":
            return
        if attempt.error is None or not _refused(attempt.error):
            rec.count("n.attempt", answer=answer_of(attempt.error))

    return client.with_hook(note)


async def _pay(
    bot: Bot,
    chains: Chains,
    rng: Random,
    rec: Intent,
    send: Callable[[SignedTx], Awaitable[SubmitResult]],
) -> Landed | None:
    """Pay a peer 1-100 AX through `send`: the block the tx landed in, or None (nothing was
    spendable, a balance read instead; or the tx did not land, recorded why)."""
    side = chains.side("alpha")
    affordable = max(0, bot.wallet.spendable(AX) - side.fee) // 10
    amount = min(rng.randint(1, 100) * AX.unit, affordable)
    if amount == 0:
        await rec.query("balances", chains.alpha.balances(bot.alpha_address))
        return None
    to = chains.peers.address(chains.peers.choose(rng, exclude=bot.index), "alpha")
    msgs = [bank_send(to, amount, AX.value)]
    return await rec.transact(bot, msgs, spend=AX, amount=amount, send=send)


# ---- naive ------------------------------------------------------------------------------------


class _Naive:
    """One naive intent: sends its tx until taken, and tells its caller to pay again when the
    chain's nonce shows the tx it kept re-sending had landed all along."""

    def __init__(self, bot: Bot, client: AlphaClient, herd: bool) -> None:
        self.bot = bot
        self.client = client
        self.herd = herd
        self.pay_again = False

    async def send(self, tx: SignedTx) -> SubmitResult:
        failures = 0
        client = self.client.with_retry(_ONE_TRY)
        while True:
            try:
                return await client.broadcast(tx, "sync", timeout_s=NAIVE_TIMEOUT_S)
            except DuplicateTx:  # an earlier try was taken: the node knows the tx
                return SubmitResult(hash=tx.hash, code="duplicate_tx", status="pending")
            except (Unreachable, Throttled, ProtocolViolation) as exc:
                failures += 1
                if _refused(exc):
                    await (self._wait_healthy() if self.herd else asyncio.sleep(NAIVE_RECONNECT_S))
            if failures % RESIGN_AFTER == 0 and await self._landed(tx):
                # re-signed with the chain's nonce, which moved past this tx: it had landed
                self.pay_again = True
                return SubmitResult(hash=tx.hash, code="ok", status="committed")

    async def _landed(self, tx: SignedTx) -> bool:
        """The naive client's fresh nonce: the chain's (at once, no backoff). The same nonce
        signs the same bytes again; a higher one means this tx is in a block already."""
        try:
            account = await self.client.with_retry(_ONE_TRY).account(self.bot.alpha_address)
        except ChainError:
            return False
        return account.nonce > tx.body.nonce

    async def _wait_healthy(self) -> None:
        """The herd: `/health` every 100 ms until the node answers, then on at once."""
        while True:
            try:
                await self.client.with_retry(_ONE_TRY).health()
                return
            except ChainError:
                await asyncio.sleep(HEALTH_POLL_S)


_ONE_TRY: Final = RetryPolicy(max_attempts=1)


async def _naive_intent(bot: Bot, chains: Chains, rng: Random, rec: Intent, herd: bool) -> None:
    naive = _Naive(bot, _counting(chains.alpha, rec), herd)
    for payment in range(MAX_PAYMENTS_PER_INTENT):
        naive.pay_again = False
        landed = await _pay(bot, chains, rng, rec, naive.send)
        if payment > 0 and landed is not None and landed.ok:
            rec.count("chain.duplicate_payments")
        if landed is None or not naive.pay_again:
            return


@behavior("naive_send", group="anti-pattern", chain="alpha", sends_tx=True)
async def naive_send(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """Pay a peer 1-100 AX, retrying at once and without limit, re-signing after 3 failures."""
    await _naive_intent(bot, chains, rng, rec, herd=False)


@behavior("herd_send", group="anti-pattern", chain="alpha", sends_tx=True)
async def herd_send(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """The naive payment, polling /health every 100 ms while refused and resuming at once."""
    await _naive_intent(bot, chains, rng, rec, herd=True)


# ---- disciplined ------------------------------------------------------------------------------


class _Disciplined:
    def __init__(self, client: AlphaClient, rng: Random, budget: RetryBudget) -> None:
        self.client = client.with_retry(_ONE_TRY)
        self.rng = rng
        self.budget = budget

    async def send(self, tx: SignedTx) -> SubmitResult:
        """The identical bytes until taken: at most `DISCIPLINED.max_attempts` answered tries
        within the budget, each after a jittered backoff or the node's Retry-After; refused
        connections are waited out with `RECONNECT`'s backoff for up to `DISCIPLINED_WAIT_S`."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        tries = refusals = 0
        while True:
            try:
                result = await self.client.broadcast(tx, "sync")
            except DuplicateTx:  # an earlier try was taken after all
                self.budget.sent()
                return SubmitResult(hash=tx.hash, code="duplicate_tx", status="pending")
            except (Unreachable, Throttled) as exc:
                if _refused(exc):
                    refusals += 1
                    if loop.time() - started > DISCIPLINED_WAIT_S:
                        raise
                    await asyncio.sleep(RECONNECT.backoff_s(refusals, self.rng))
                    continue
                self.budget.sent()
                tries += 1
                if tries >= DISCIPLINED.max_attempts or not self.budget.take():
                    raise
                wait_s = DISCIPLINED.backoff_s(tries, self.rng)
                await asyncio.sleep(max(wait_s, exc.retry_after_s or 0.0))
                continue
            self.budget.sent()
            return result


@behavior("disciplined_send", group="anti-pattern", chain="alpha", sends_tx=True)
async def disciplined_send(bot: Bot, chains: Chains, rng: Random, rec: Intent) -> None:
    """Pay a peer 1-100 AX with capped, jittered backoff, 3 attempts, a 10 % retry budget,
    Retry-After honoured and the same signed bytes every time."""
    if not isinstance(bot.state, RetryBudget):
        bot.state = RetryBudget()
    sender = _Disciplined(_counting(chains.alpha, rec), rng, bot.state)
    await _pay(bot, chains, rng, rec, sender.send)
