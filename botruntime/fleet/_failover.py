"""A sender that fails over between nodes with the *same signed bytes* (SCENARIOS.md L10).

A node that does not answer (stopped, killed, paused) is not retried: the tx goes to the next
node as it was signed, so it can commit at most once whatever reached where. An accepted tx
that does not commit within `PROBE_AFTER_S` is looked up on the other nodes; when no node
answering (the one that accepted it included) knows of it, the network has lost a tx one of
its nodes accepted, without a word:

    chain.silent_loss      the node that accepted it stayed up long enough to pass it on
                           (it answered, within `FRESH_S`, a request sent `SPREAD_S` to
                           `SPREAD_S + SPREAD_WINDOW_S` after accepting it), yet no node that
                           answers knows of it
    chain.lost_in_crash    its node went down before it could have passed it on (a hard kill
                           a few milliseconds after accepting it): a real network's risk too

Either way the sender sends the same bytes again to another node (`chain.resubmitted`), so the
intent still commits once and the shadow ledger stays exact. `chain.failovers{from}` counts
broadcasts moved off a node that did not answer.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final, Literal

from botruntime.bots.bot import Bot, ChainName
from botruntime.chain.errors import (
    ChainError,
    DuplicateTx,
    MempoolFull,
    RateLimited,
    SenderQuota,
    Unreachable,
)
from botruntime.chain.models import SubmitResult
from botruntime.chain.retry import RetryPolicy
from botruntime.chain.tx import SignedTx

if TYPE_CHECKING:  # the context holds a NodeLiveness: its types are for annotations only
    from botruntime.fleet._context import ChainSide

__all__ = [
    "FRESH_S",
    "PROBE_AFTER_S",
    "SPREAD_S",
    "NodeLiveness",
    "broadcast_failover",
    "probe_everywhere",
]

# a broadcast waits this long for a node before moving on (a paused node holds requests)
BROADCAST_TIMEOUT_S: Final = 2.0
# an accepted tx not in a block after this is looked up on the other nodes (~3 blocks)
PROBE_AFTER_S: Final = 3.0
# a node up this long after accepting a tx has passed it on (simnet gossips after 50 ms)
SPREAD_S: Final = 0.3
# an answer this quick shows the node live when the request was sent (not held by a pause)
FRESH_S: Final = 0.5
# the window after SPREAD_S in which a quick answer counts as "it stayed up"
SPREAD_WINDOW_S: Final = 1.0
_SEEN_KEPT: Final = 512
# the same node is never retried on no answer: the next node is the retry
_FAILOVER_RETRY: Final = RetryPolicy(retry_on=(RateLimited, MempoolFull, SenderQuota))
_LOOKUP_RETRY: Final = RetryPolicy(max_attempts=1)

Found = Literal["known", "unknown", "no_answer"]


@dataclass(slots=True)
class NodeLiveness:
    """When each node was seen live lately: the send times of its quick answers."""

    _seen: dict[tuple[ChainName, int], deque[float]] = field(default_factory=dict)

    def answered(self, chain: ChainName, node: int, sent_ts: float, done_ts: float) -> None:
        if done_ts - sent_ts <= FRESH_S:
            seen = self._seen.get((chain, node))
            if seen is None:
                seen = self._seen[(chain, node)] = deque(maxlen=_SEEN_KEPT)
            seen.append(sent_ts)

    def live_between(self, chain: ChainName, node: int, start_ts: float, end_ts: float) -> bool:
        """Whether `node` was seen live at some time in [start_ts, end_ts]."""
        return any(start_ts <= ts <= end_ts for ts in self._seen.get((chain, node), ()))

    def spread(self, chain: ChainName, node: int, accepted_ts: float) -> bool:
        """Whether `node`, which accepted a tx at `accepted_ts`, was seen live between
        `SPREAD_S` and `SPREAD_S + SPREAD_WINDOW_S` later: up, without a restart between
        (the script's perturbations are seconds apart), long enough to pass the tx on."""
        start = accepted_ts + SPREAD_S
        return self.live_between(chain, node, start, start + SPREAD_WINDOW_S)


def _order(side: ChainSide, first: int, skip: int | None = None) -> list[int]:
    count = len(side.clients)
    return [(first + i) % count for i in range(count) if (first + i) % count != skip]


async def broadcast_failover(
    side: ChainSide,
    bot: Bot,
    tx: SignedTx,
    liveness: NodeLiveness,
    *,
    first: int,
    skip: int | None = None,
    on_failover: Callable[[int], None] | None = None,
) -> tuple[int, SubmitResult]:
    """Send `tx` to `first`, then to each next node (but `skip`) that does not answer; the
    node that took it and its answer. A node's reject is raised as it came. A `duplicate_tx`
    after a node that did not answer means some node has it: an answer, not an error."""
    tried_unanswered = False
    last: ChainError | None = None
    for node in _order(side, first, skip):
        client = side.client_for(bot, node=node).with_retry(_FAILOVER_RETRY)
        sent = time.perf_counter()
        try:
            result = await client.broadcast(tx, "sync", timeout_s=BROADCAST_TIMEOUT_S)
        except Unreachable as exc:
            last, tried_unanswered = exc, True
            if on_failover is not None:
                on_failover(node)
            continue
        except DuplicateTx:
            liveness.answered(side.name, node, sent, time.perf_counter())
            if not tried_unanswered:
                raise
            return node, SubmitResult(hash=tx.hash, code="duplicate_tx", status="pending")
        liveness.answered(side.name, node, sent, time.perf_counter())
        return node, result
    assert last is not None
    raise last


async def probe_everywhere(
    side: ChainSide, bot: Bot, tx_hash: str, liveness: NodeLiveness
) -> Found:
    """Whether any node knows of `tx_hash` (pending, queued, in a block, or failed with a
    reason); "no_answer" when no node answered at all."""
    answered = False
    for node in range(len(side.clients)):
        client = side.client_for(bot, node=node).with_retry(_LOOKUP_RETRY)
        sent = time.perf_counter()
        try:
            status = await client.get_tx(tx_hash)
        except ChainError:
            continue
        liveness.answered(side.name, node, sent, time.perf_counter())
        answered = True
        if status.status != "unknown":
            return "known"
    return "unknown" if answered else "no_answer"
