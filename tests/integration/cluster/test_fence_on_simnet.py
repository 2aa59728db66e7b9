"""A worker frozen (SIGSTOP) for 7 s under `rebalance`, then resumed: one owner per bot.

A coordinator and three `testbots worker --runner scenario` processes run a transfer-only
scenario against the session's simnet (lost after 1 s). One worker is frozen for 7 s
mid-hold and then resumed while the plan still runs, with two dead-man intervals:
- 3 s: the freeze outlasts its lease; the coordinator fences it by time, while it is frozen,
  and once resumed it sends nothing (the fleet asks the lapsed lease first);
- 10 s: its lease still holds when it resumes; the coordinator waits for it to read the
  Abort, stop and report (the acknowledgement) before its bots move.
The chain shows one owner per bot: per sender, in nonce order, the old owner's txs all come
before the new owner's, none was intended while the old worker was frozen, no `bad_nonce`
was met, and every committed tx is accounted for by a shadow ledger that matched the chain.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from typing import TYPE_CHECKING

import pytest
from _loss_ledger import account, plan_clock_origin, settled
from test_loss_on_simnet import (
    _bots,
    _distribute,
    _sleep_until_plan,
    _start_workers,
    _watch_to_end,
)

from botruntime.cluster import ControlClient

if TYPE_CHECKING:
    from conftest import Cluster

    from tests.integration.conftest import RunningSimnet

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

FREEZE_AT_S = 4.0  # plan offset: mid-hold
FREEZE_S = 7.0
HOLD_S = 13.0  # the plan runs on for a while after the frozen worker resumes (at 11 s)
SLACK_S = 1.0  # how late a tx may have been intended before the freeze took hold


@pytest.fixture(params=[3.0, 10.0], ids=["lease-lapses", "stop-acknowledged"])
def fenced_cluster(request: pytest.FixtureRequest, cluster: Cluster) -> Cluster:
    """The cluster fixture's, its coordinator started again with this dead-man interval."""
    if request.param != cluster.dead_man_s:
        assert cluster.coordinator is not None
        cluster.coordinator.kill()
        cluster.dead_man_s = request.param
        cluster.start_coordinator()
    return cluster


async def test_a_frozen_worker_never_sends_for_bots_it_no_longer_owns(
    fenced_cluster: Cluster, simnet: RunningSimnet
) -> None:
    cluster = fenced_cluster
    workers = _start_workers(cluster, 3)
    async with ControlClient(cluster.address, cluster.token) as client:
        run = await _distribute(client, simnet, "rebalance", hold_s=HOLD_S)
        names = {w.worker_id: w.name for w in (await client.cluster()).workers}
        victim = run.placements[1]
        frozen = next(w for w in workers if w.name == names[victim.worker_id])
        await _sleep_until_plan(run.start_at_unix_s, FREEZE_AT_S)
        os.kill(frozen.pid, signal.SIGSTOP)
        try:
            await asyncio.sleep(FREEZE_S)
        finally:
            os.kill(frozen.pid, signal.SIGCONT)
        resumed_at_s = time.time() - run.start_at_unix_s
        end = await _watch_to_end(client, run.run_id, timeout_s=90)
        merged = await client.run_metrics(run.run_id)
    assert end.state == "completed", end
    lost = range(victim.bot_first, victim.bot_first + victim.bot_count)
    takers = [p for p in end.placements if p.plan_from_s > 0]
    assert {b for p in takers for b in range(p.bot_first, p.bot_first + p.bot_count)} == set(lost)
    assert victim.worker_id not in {p.worker_id for p in takers}
    taken_from_s = min(p.plan_from_s for p in takers)
    fenced_by_time = cluster.dead_man_s < FREEZE_S
    if fenced_by_time:  # its last heartbeat + dead-man: while it was frozen still
        assert FREEZE_AT_S + cluster.dead_man_s - SLACK_S <= taken_from_s < resumed_at_s, takers
    else:  # fenced by its word, read only once it resumed: never at the lost threshold
        assert taken_from_s >= resumed_at_s, takers
        frozen.wait_for_line(r"fenced \(", timeout_s=20)

    origin = plan_clock_origin(end.start_at_unix_s)
    txs, chain_nonces = settled(simnet.alpha_url(0), end.run_id, origin, _bots())
    assert sum(chain_nonces) == len(txs) > 30  # no nonce skipped, none used twice
    for bot in lost:
        mine = sorted((t for t in txs if t.bot_index == bot), key=lambda t: (t.height, t.nonce))
        assert [t.nonce for t in mine] == list(range(len(mine))), (bot, mine)
        intended = [t.intended_offset_s for t in mine]
        # the old owner's last arrivals: before the freeze, or (its lease held) up to its stop
        old_until_s = FREEZE_AT_S + SLACK_S if fenced_by_time else taken_from_s
        between = [s for s in intended if old_until_s <= s < taken_from_s]
        assert between == [], f"bot {bot}: sent for while its worker was frozen and fenced"
        old = [i for i, s in enumerate(intended) if s < old_until_s]
        new = [i for i, s in enumerate(intended) if s >= taken_from_s]
        assert not old or not new or max(old) < min(new), f"bot {bot}: two owners {mine}"
    bad_nonce = [k for k in merged.keys("n.reject") if k.label_dict().get("code") == "bad_nonce"]
    assert bad_nonce == [] or merged.count("n.reject", {"code": "bad_nonce"}) == 0
    books = account(end, txs, killed_at_s=FREEZE_AT_S)
    assert books.unaccounted == [], books
    assert books.by_coordinator == 0 and books.by_ledgers == len(txs)
    for p in end.placements:
        if str(p.outcome) != "lost":
            assert p.counters.get("ledger.mismatch", -1) == 0, p
