"""Coordinator + worker processes on loopback run a synthetic plan, and survive a lost worker.

The workers run `SyntheticRunner`: botruntime.load's OpenLoop over their share of the plan,
recording into botruntime.metrics, each action an awaited sleep. Nothing is faked across the
process boundary: gRPC over real sockets, workers killed with SIGKILL.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import httpx
import pytest
from _requests import distribute_request
from prometheus_client.parser import text_string_to_metric_families

from botruntime.cluster import ControlClient, CoordinatorUnavailable, RunView
from botruntime.load import Share
from botruntime.plan import RolePlan, compile_plan

if TYPE_CHECKING:
    from conftest import Cluster

pytestmark = pytest.mark.anyio

RATE = 120.0


async def _watch_to_end(client: ControlClient, run_id: str, timeout_s: float) -> RunView:
    last: RunView | None = None
    async with asyncio.timeout(timeout_s):
        async for view in client.watch(run_id, interval_s=0.5):
            last = view
    assert last is not None and last.terminal, last
    return last


async def _start(
    cluster: Cluster,
    client: ControlClient,
    workers: int,
    worker_metrics: str | None = None,
    **request: object,
) -> str:
    for i in range(workers):
        cluster.start_worker(metrics_listen=worker_metrics if i == 0 else None)
    await client.wait_for_workers(workers, timeout_s=20)
    text = cluster.scenario(
        hold_s=float(request.pop("hold_s", 4.0)),  # type: ignore[arg-type]
        rate_per_s=RATE,
        on_worker_loss=str(request.pop("on_worker_loss", "fail")),
    )
    run = await client.distribute(
        distribute_request(text, start_delay_s=1.0, finish_grace_s=10.0, **request)
    )
    assert len(run.placements) == workers
    return run.run_id


def _intents(page: str) -> float:
    return sum(
        s.value
        for family in text_string_to_metric_families(page)
        for s in family.samples
        if s.name == "testbots_intents_total"
    )


async def test_three_workers_merge_exactly_what_they_counted(
    cluster: Cluster, promtool: Callable[[str], str]
) -> None:
    worker_metrics = f"127.0.0.1:{cluster.free_port()}"
    async with ControlClient(cluster.address, cluster.token) as client:
        run_id = await _start(cluster, client, 3, worker_metrics=worker_metrics)
        await asyncio.sleep(2.0)
        # one bot's place, a probe bot spawned next to the plan, and a refused partial stop
        worker_id, state = await client.bot(run_id, 12)
        assert state == "running" and worker_id.startswith("w")
        assert (await client.bot(run_id, 30, "spawn"))[1] in ("running", "pending")
        with pytest.raises(CoordinatorUnavailable, match="stop the run"):
            await client.bot(run_id, 12, "stop")
        # live Prometheus figures: the cluster's and the run's merged ones on the
        # coordinator, one worker's health and share on that worker
        async with httpx.AsyncClient() as http:
            page = (await http.get(f"http://{cluster.metrics_address}/metrics")).text
            mine = (await http.get(f"http://{worker_metrics}/metrics")).text
        assert 'testbots_workers{state="alive"} 3.0' in page
        assert _intents(page) > 0 and _intents(mine) > 0
        assert promtool(page) == "" and promtool(mine) == ""
        end = await _watch_to_end(client, run_id, timeout_s=30)
        async with httpx.AsyncClient() as http:
            mine = (await http.get(f"http://{worker_metrics}/metrics")).text
        merged = await client.run_metrics(run_id)
        status = await client.cluster()
    assert end.state == "completed" and not end.degraded and end.gaps == ()
    assert {str(p.outcome) for p in end.placements} == {"completed"}
    spawned = [p for p in end.placements if p.bot_first == 30]
    assert [(p.bot_count, p.counters["n.intent"]) for p in spawned] == [(1, 0)]  # no share
    planned_parts = [p for p in end.placements if p.bot_first < 30]
    # contiguous bot ranges covering every bot once, one per worker
    ranges = sorted((p.bot_first, p.bot_first + p.bot_count) for p in planned_parts)
    assert ranges[0][0] == 0 and ranges[-1][1] == 30
    assert all(a[1] == b[0] for a, b in itertools.pairwise(ranges))
    assert len({p.worker_id for p in planned_parts}) == 3 == len(status.alive())
    # each worker counted its own intents apart from its recorder; the exact merge of the
    # deltas equals their sum, and the plan: nothing lost, nothing counted twice
    own = [p.counters["n.intent"] for p in planned_parts]
    assert all(n > 0 for n in own)
    planned = _planned(cluster, 4.0)
    assert merged.count("n.intent") == sum(own) == planned
    assert end.counters["n.intent"] == planned
    # the worker's own page ends with exactly what it counted for its share
    (me,) = {
        s.labels["worker"]
        for family in text_string_to_metric_families(mine)
        for s in family.samples
        if s.name == "testbots_worker_cpu_ratio"
    }
    assert _intents(mine) == sum(
        p.counters["n.intent"] for p in end.placements if p.worker_id == me
    )
    assert merged.count("gen.offered") == planned
    assert merged.count("lat.submit") == planned  # one latency value per action


async def _kill_mid_run(cluster: Cluster, client: ControlClient, run_id: str) -> float:
    """SIGKILL worker 1 two seconds into the plan; return the plan offset of the kill."""
    view = await client.run_status(run_id)
    await asyncio.sleep(max(view.start_at_unix_s + 2.0 - time.time(), 0.0))
    cluster.workers[1].kill()
    return time.time() - view.start_at_unix_s


def _planned(cluster: Cluster, hold_s: float) -> int:
    return sum(1 for _ in _role(cluster, hold_s).load.arrivals())  # type: ignore[union-attr]


def _role(cluster: Cluster, hold_s: float) -> RolePlan:
    text = cluster.scenario(hold_s=hold_s, rate_per_s=RATE)
    return compile_plan(distribute_request(text).source).role("general_user")


async def test_fail_policy_ends_inconclusive_when_a_worker_is_killed(cluster: Cluster) -> None:
    async with ControlClient(cluster.address, cluster.token) as client:
        run_id = await _start(cluster, client, 3, on_worker_loss="fail", hold_s=6.0)
        killed_at = await _kill_mid_run(cluster, client, run_id)
        end = await _watch_to_end(client, run_id, timeout_s=15)
    ended_at = time.time() - end.start_at_unix_s
    assert end.state == "aborted" and end.forced_verdict == "INCONCLUSIVE"
    assert "on_worker_loss is fail" in end.reason
    assert len(end.gaps) == 1 and end.gaps[0].policy == "fail"
    # lost after 1 s of silence, then every other bot stopped within the 2 s stop grace
    assert ended_at - killed_at <= cluster.lost_after_s + 3.0
    assert {str(p.outcome) for p in end.placements} == {"lost", "stopped"}


async def test_rebalance_moves_the_lost_bots_and_records_the_gap(cluster: Cluster) -> None:
    hold_s = 5.0
    async with ControlClient(cluster.address, cluster.token) as client:
        run_id = await _start(cluster, client, 3, on_worker_loss="rebalance", hold_s=hold_s)
        killed_at = await _kill_mid_run(cluster, client, run_id)
        end = await _watch_to_end(client, run_id, timeout_s=20)
        merged = await client.run_metrics(run_id)
    assert end.state == "completed" and end.forced_verdict == "" and not end.degraded
    lost = [p for p in end.placements if str(p.outcome) == "lost"]
    moved = [p for p in end.placements if p.plan_from_s > 0]
    assert len(lost) == 1 and len(moved) == 2
    # the survivors took exactly the lost bot range, re-derived by index
    assert sorted((p.bot_first, p.bot_count) for p in moved)[0][0] == lost[0].bot_first
    assert sum(p.bot_count for p in moved) == lost[0].bot_count
    assert {p.worker_id for p in moved}.isdisjoint({lost[0].worker_id})
    (gap,) = end.gaps
    assert gap.policy == "rebalance" and gap.from_s <= killed_at <= gap.to_s
    # from its last delta (at most one 1 s interval before the kill) to the takeover, which
    # waits for the fence: a killed worker acknowledges nothing, so its last heartbeat + dead-man
    assert gap.to_s - gap.from_s <= 1.0 + cluster.dead_man_s + 1.0
    # every planned arrival is either in the merged metrics or in the gap, exactly once
    role = _role(cluster, hold_s)
    lost_part = role.share_of(30, gap.share, gap.from_s)
    assert isinstance(lost_part, Share)
    in_gap = sum(1 for _ in lost_part.before(gap.to_s).arrivals())
    assert in_gap > 0
    assert merged.count("gen.offered") + in_gap == _planned(cluster, hold_s)


async def test_continue_policy_runs_on_degraded(cluster: Cluster) -> None:
    async with ControlClient(cluster.address, cluster.token) as client:
        run_id = await _start(cluster, client, 3, on_worker_loss="continue", hold_s=4.0)
        killed_at = await _kill_mid_run(cluster, client, run_id)
        end = await _watch_to_end(client, run_id, timeout_s=20)
    assert end.state == "completed" and end.degraded and end.forced_verdict == ""
    (gap,) = end.gaps
    assert gap.policy == "continue" and gap.from_s <= killed_at
    assert gap.to_s == pytest.approx(4.0 + 2.0)  # to the end of the plan: nobody took it over
    assert sorted(str(p.outcome) for p in end.placements) == ["completed", "completed", "lost"]
