"""C_tx from a stepped load's steps, the overload figures above it, and the mempool figures.

A run's metrics are built second by second as a fleet would have sent them: each second's
arrivals offered and sent, the commits seen a second later, and the mempool samples the
runner took.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from botruntime.load import SessionPlan
from botruntime.metrics import Recorder, RunMetrics
from botruntime.plan import PlanSource, RunPlan, compile_plan, parse_target
from botruntime.runs._capacity import capacity_figures, judge_steps
from botruntime.runs._mempool_samples import fill_max

SCENARIOS = Path(__file__).resolve().parents[3] / "scenarios"
CEILING = 120  # txs the network commits per second at most


@dataclass(frozen=True)
class Network:
    """How the network answers one second of offered txs: commits, latency, refusals."""

    ceiling: int = CEILING
    refuses_with: str | None = "mempool_full"  # None: accepts everything beyond the ceiling
    mempool_cap: int = 240


def _plan(rates: list[int], step_s: int = 7, drain_s: int = 12) -> RunPlan:
    doc: dict[str, Any] = yaml.safe_load((SCENARIOS / "capacity_ramp.yaml").read_text())
    seconds = step_s * len(rates)
    doc["sizes"]["default"]["load"] = {
        "general_user": {
            "kind": "stepped",
            "step_s": step_s,
            "rates_per_s": rates,
            "drain_s": drain_s,
        },
        "status_reader": {
            "kind": "constant",
            "seconds": seconds,
            "rate_per_s": 1,
            "drain_s": drain_s,
        },
    }
    source = PlanSource(
        yaml.safe_dump(doc), "default", "", parse_target("simnet"), "r", (), "c.yaml"
    )
    return compile_plan(source)


def _per_second(plan: RunPlan) -> dict[int, int]:
    role = plan.role("general_user")
    assert not isinstance(role.load, SessionPlan)
    out: dict[int, int] = {}
    for _, offset in role.load.arrivals():
        out[math.floor(offset)] = out.get(math.floor(offset), 0) + 1
    return out


def _metrics(
    plan: RunPlan, network: Network, tweak: Callable[[int, Recorder], None] | None = None
) -> RunMetrics:
    """Each second the network commits up to its ceiling of what its mempool held (1 s after
    arrival, 3 s once a backlog waits), then takes the second's arrivals: beyond its mempool
    cap it refuses them (typed), or, refusing nothing, queues them all."""
    offered = _per_second(plan)
    metrics = RunMetrics()
    pool = 0
    for i in range(math.ceil(plan.duration_s)):
        fleet, runner = Recorder("worker"), Recorder("runner")
        landed = min(pool, network.ceiling)
        pool -= landed
        fleet.counter("n.commit", action="send_ax").add(landed)
        latency = 1.0 if pool == 0 else 3.0
        commit = fleet.histogram("lat.commit", chain="alpha", action="send_ax", outcome="ok")
        for _ in range(landed):
            commit.record_s(latency)
        sent = offered.get(i, 0)
        fleet.counter("gen.offered", role="general_user").add(sent)
        fleet.counter("n.intent", action="send_ax").add(sent)
        refused = 0
        if network.refuses_with is not None:
            refused = max(pool + sent - network.mempool_cap, 0)
            code = network.refuses_with
            fleet.counter("n.reject", action="send_ax", code=code, expected="yes").add(refused)
        pool += sent - refused
        runner.gauge("mempool.size", chain="alpha", node="0").set(float(pool))
        runner.gauge("mempool.cap", chain="alpha", node="0").set(float(network.mempool_cap))
        if tweak is not None:
            tweak(i, fleet)
        metrics.ingest(fleet.flush(i))
        metrics.ingest(runner.flush(i))
    return metrics


def test_c_tx_is_the_highest_step_the_network_commits_within_the_slo() -> None:
    plan = _plan([40, 80, 100, 180, 220])
    judged = judge_steps(plan, _metrics(plan, Network()), block_time_s=1.0)
    assert judged is not None
    assert [s.passed for s in judged.steps] == [True, True, True, False, False]
    assert judged.c_tx == 100
    assert [s.rate_per_s for s in judged.overload] == [180, 220]


def test_two_failing_steps_in_a_row_end_the_search() -> None:
    plan = _plan([40, 80, 100, 120])

    def slow_middle(i: int, fleet: Recorder) -> None:  # steps 2 and 3 answer late
        if 8 <= i < 22:
            slow = fleet.histogram("lat.commit", chain="alpha", action="send_ax", outcome="ok")
            for _ in range(10):
                slow.record_s(9.0)

    judged = judge_steps(plan, _metrics(plan, Network(), slow_middle), block_time_s=1.0)
    assert judged is not None
    assert [s.passed for s in judged.steps] == [True, False, False, True]
    assert judged.c_tx == 40  # the last step passed after the stop: overload, not capacity


def test_a_run_without_a_stepped_load_has_no_capacity_figures() -> None:
    doc: dict[str, Any] = yaml.safe_load((SCENARIOS / "transfer_baseline.yaml").read_text())
    source = PlanSource(yaml.safe_dump(doc), "smoke", "", parse_target("simnet"), "r", (), "t.yaml")
    plan = compile_plan(source)
    assert judge_steps(plan, RunMetrics(), 1.0) is None
    assert capacity_figures(plan, RunMetrics(), 1.0, 15.0) == ({}, {})


def test_typed_refusals_above_c_tx_bounded_mempool_and_a_fast_drain() -> None:
    plan = _plan([40, 80, 100, 180, 220])
    metrics = _metrics(plan, Network())
    values, missing = capacity_figures(plan, metrics, 1.0, plan.duration_s)
    assert missing == {}
    assert values["capacity.c_tx"] == 100 and values["capacity.overload_steps"] == 2
    assert values["capacity.typed_ratio"] == 1.0 and values["capacity.timeout_ratio"] == 0.0
    assert values["capacity.drain_blocks"] <= 3
    assert fill_max(metrics).value == 1.0


def test_a_network_that_never_refuses_shows_no_pushback_an_overfull_mempool_and_a_slow_drain() -> (
    None
):
    plan = _plan([40, 80, 100, 180, 220, 260])
    metrics = _metrics(plan, Network(refuses_with=None))
    values, _ = capacity_figures(plan, metrics, 1.0, plan.duration_s)
    assert values["capacity.typed_ratio"] == 0.0  # nothing refused while over capacity
    assert values["capacity.drain_blocks"] > 10  # its backlog outlives the 12 s drain
    fill = fill_max(metrics).value
    assert fill is not None and fill > 1.0


def test_untyped_failures_above_c_tx_lower_the_typed_ratio() -> None:
    plan = _plan([40, 80, 100, 180, 220])

    def errors(i: int, fleet: Recorder) -> None:
        if i >= 21:
            fleet.counter("n.error", action="send_ax", kind="timeout").add(50)

    values, _ = capacity_figures(plan, _metrics(plan, Network(), errors), 1.0, plan.duration_s)
    assert 0 < values["capacity.typed_ratio"] < 0.95
    assert values["capacity.timeout_ratio"] > 0.01


def test_no_step_above_c_tx_leaves_the_overload_figures_missing_with_the_reason() -> None:
    plan = _plan([20, 40])
    values, missing = capacity_figures(plan, _metrics(plan, Network()), 1.0, plan.duration_s)
    assert values["capacity.c_tx"] == 40 and values["capacity.overload_steps"] == 0
    assert "no step was offered above C_tx" in missing["capacity.typed_ratio"]


def test_without_mempool_samples_the_figures_are_missing_never_zero() -> None:
    assert fill_max(RunMetrics()).value is None
    plan = _plan([20, 40])
    metrics = RunMetrics()
    fleet = Recorder("worker")
    fleet.counter("gen.offered", role="general_user").add(1)
    metrics.ingest(fleet.flush(0))
    _, missing = capacity_figures(plan, metrics, 1.0, plan.duration_s)
    assert "mempool" in missing["capacity.drain_blocks"]
