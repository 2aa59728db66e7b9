"""Real workers (`--runner scenario`) against simnet lose a worker, or their coordinator.

A coordinator and three `testbots worker` processes run a small transfer-only scenario (40 bots,
~14 s) against the session's simnet; one worker is killed with SIGKILL mid-run under each
`on_worker_loss` policy. The run must end as the policy says, name the gap, and every tx the
chain committed must be accounted for by some bot's shadow ledger or the coordinator's record
(`_loss_ledger.py` says exactly what that means). Killing the coordinator instead must stop
every worker's load within 10 s, measured at simnet.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
import yaml
from _loss_ledger import account, audit_client, plan_clock_origin, settled
from _requests import distribute_request

from botruntime.cluster import ControlClient, RunView
from botruntime.identity import Identity, derive_batch
from botruntime.plan import Target

if TYPE_CHECKING:
    from conftest import Cluster, Proc

    from tests.integration.conftest import RunningSimnet

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

BOTS = 40
SEED = "4242"
FUNDS = 10_000_000_000
KILL_AT_S = 5.0  # plan offset of the kill: mid-hold


def _scenario(policy: str, hold_s: float = 10.0) -> str:
    doc = yaml.safe_load(
        (Path(__file__).parents[3] / "scenarios/transfer_baseline.yaml").read_text()
    )
    doc["id"] = "loss_on_simnet"
    doc["seed"] = int(SEED)
    doc["roles"][0]["behaviours"] = {"send_ax": 100}
    smoke = doc["sizes"]["smoke"]
    smoke["bots"] = BOTS
    smoke["load"]["general_user"]["stages"] = [
        {"kind": "ramp", "seconds": 1, "rate_per_s": 15},
        {"kind": "hold", "seconds": hold_s, "rate_per_s": 15},
        {"kind": "drain", "seconds": 3},
    ]
    doc["on_worker_loss"] = policy
    return yaml.safe_dump(doc)


def _bots() -> list[Identity]:
    return list(derive_batch(SEED, 0, BOTS))


def _start_workers(cluster: Cluster, n: int) -> list[Proc]:
    return [
        cluster._start(
            f"worker{i}",
            "worker",
            f"--coordinator={cluster.address}",
            "--capacity=100",
            f"--name=worker{i}",
            "--runner=scenario",
        )
        for i in range(n)
    ]


async def _distribute(
    client: ControlClient, simnet: RunningSimnet, policy: str, hold_s: float = 10.0
) -> RunView:
    simnet.reset([(b.alpha_address, {"AX": FUNDS}) for b in _bots()])
    await client.wait_for_workers(3, timeout_s=30)
    request = distribute_request(
        _scenario(policy, hold_s),
        target=Target(alpha=(simnet.alpha_url(0),)),
        seed=SEED,
        start_delay_s=3.0,
        finish_grace_s=20.0,
    )
    run = await client.distribute(request)
    assert len(run.placements) == 3
    return run


async def _watch_to_end(client: ControlClient, run_id: str, timeout_s: float) -> RunView:
    last = None
    async with asyncio.timeout(timeout_s):
        async for view in client.watch(run_id, interval_s=0.5):
            last = view
    assert last is not None and last.terminal, last
    return last


async def _sleep_until_plan(start_at_unix_s: float, offset_s: float) -> None:
    await asyncio.sleep(max(0.0, start_at_unix_s + offset_s - time.time()))


@pytest.mark.parametrize("policy", ["fail", "rebalance", "continue"])
async def test_a_killed_worker_leaves_no_committed_tx_unaccounted(
    cluster: Cluster, simnet: RunningSimnet, policy: str
) -> None:
    workers = _start_workers(cluster, 3)
    async with ControlClient(cluster.address, cluster.token) as client:
        run = await _distribute(client, simnet, policy)
        names = {w.worker_id: w.name for w in (await client.cluster()).workers}
        victim = run.placements[1]
        await _sleep_until_plan(run.start_at_unix_s, KILL_AT_S)
        next(w for w in workers if w.name == names[victim.worker_id]).kill()
        end = await _watch_to_end(client, run.run_id, timeout_s=60)
    lost = range(victim.bot_first, victim.bot_first + victim.bot_count)
    [gap] = [g for g in end.gaps if g.worker_id == victim.worker_id]
    assert (gap.bot_first, gap.bot_count, gap.policy) == (lost.start, len(lost), policy)
    assert gap.from_s <= KILL_AT_S + 0.5 and gap.to_s > gap.from_s
    if policy == "fail":
        assert (end.state, end.forced_verdict) == ("aborted", "INCONCLUSIVE"), end
    elif policy == "rebalance":
        assert end.state == "completed", end
        takers = [p for p in end.placements if p.plan_from_s > 0]
        assert sorted(b for p in takers for b in range(p.bot_first, p.bot_first + p.bot_count))
        assert {b for p in takers for b in range(p.bot_first, p.bot_first + p.bot_count)} == set(
            lost
        )
        assert victim.worker_id not in {p.worker_id for p in takers}
    else:
        assert (end.state, end.degraded) == ("completed", True), end
        assert gap.to_s == pytest.approx(14.0)

    origin = plan_clock_origin(end.start_at_unix_s)
    txs, chain_nonces = settled(simnet.alpha_url(0), end.run_id, origin, _bots())
    assert sum(chain_nonces) == len(txs) > 30  # every committed tx of a bot is one of the run
    books = account(end, txs, killed_at_s=KILL_AT_S)
    assert books.unaccounted == [], books
    if policy == "rebalance":
        assert books.by_coordinator == 0 and books.by_ledgers == len(txs)
    else:
        lost_txs = sum(chain_nonces[b] for b in lost)
        assert books.by_coordinator == lost_txs > 0


async def _run_txs(http: httpx.AsyncClient, alpha: str, bots: list[Identity], round_: int) -> int:
    """Txs committed by the run's bots so far: the sum of their nonces."""
    answers = await asyncio.gather(
        *(
            http.get(
                f"{alpha}/accounts/{b.alpha_address}",
                headers=audit_client(round_ * len(bots) + i),
            )
            for i, b in enumerate(bots)
        )
    )
    for answer in answers:
        assert answer.status_code == 200, answer.text
    return sum(int(a.json()["nonce"]) for a in answers)


async def test_a_killed_coordinator_stops_every_worker_within_10_s(
    cluster: Cluster, simnet: RunningSimnet
) -> None:
    _start_workers(cluster, 3)
    async with ControlClient(cluster.address, cluster.token) as client:
        run = await _distribute(client, simnet, "fail", hold_s=25.0)  # outlasts the test
    await _sleep_until_plan(run.start_at_unix_s, 3.0)
    assert cluster.coordinator is not None
    cluster.coordinator.kill()
    killed = time.monotonic()
    alpha, bots = simnet.alpha_url(0), _bots()
    async with httpx.AsyncClient(timeout=10.0) as http:
        seen, last_change = await _run_txs(http, alpha, bots, 0), killed
        for round_ in itertools.count(1):
            if time.monotonic() - last_change >= 4.0:  # quiet for 4 s: stopped
                break
            await asyncio.sleep(0.25)
            now = await _run_txs(http, alpha, bots, round_)
            if now != seen:
                seen, last_change = now, time.monotonic()
            assert time.monotonic() - killed < 20.0, "the load never stopped"
    assert seen > 0
    assert last_change - killed < 10.0, f"txs kept committing {last_change - killed:.1f} s on"
