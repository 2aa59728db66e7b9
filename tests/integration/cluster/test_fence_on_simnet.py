"""A worker frozen (SIGSTOP) past its lease under `rebalance`, then resumed: one owner per bot.

A coordinator and three `testbots worker --runner scenario` processes run a transfer-only
scenario against the session's simnet (liveness: lost after 1 s, dead-man 3 s). One worker
is frozen for 7 s mid-hold and then resumed while the plan still runs. Its bots move to the
survivors only once it is fenced, and nothing it holds is sent again after it resumes. The
chain shows it: per sender, in nonce order, the old owner's txs all come before the new
owner's, none was intended while the old worker was frozen, no `bad_nonce` was met, and every
committed tx is accounted for by a shadow ledger that matched the chain.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from typing import TYPE_CHECKING

import pytest
from _loss_ledger import account, committed_txs, nonces, plan_clock_origin
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


async def test_a_frozen_worker_never_sends_for_bots_it_no_longer_owns(
    cluster: Cluster, simnet: RunningSimnet
) -> None:
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
    # fenced by its lapsed lease (last heartbeat + dead-man), never at the lost threshold
    assert taken_from_s >= FREEZE_AT_S + cluster.dead_man_s - SLACK_S, takers
    assert taken_from_s < resumed_at_s  # it was frozen still: only the lease could fence it
    frozen.wait_for_line(r"dead-man switch|fenced \(", timeout_s=20)

    origin = plan_clock_origin(end.start_at_unix_s)
    txs = committed_txs(simnet.alpha_url(0), end.run_id, origin)
    chain_nonces = nonces(simnet.alpha_url(0), _bots())
    assert sum(chain_nonces) == len(txs) > 30  # no nonce skipped, none used twice
    for bot in lost:
        mine = sorted((t for t in txs if t.bot_index == bot), key=lambda t: (t.height, t.nonce))
        assert [t.nonce for t in mine] == list(range(len(mine))), (bot, mine)
        intended = [t.intended_offset_s for t in mine]
        frozen_window = [s for s in intended if FREEZE_AT_S + SLACK_S <= s < taken_from_s]
        assert frozen_window == [], f"bot {bot}: sent for while its worker was frozen"
        old = [i for i, s in enumerate(intended) if s < FREEZE_AT_S + SLACK_S]
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
