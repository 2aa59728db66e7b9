"""The verdict's figures of a finished run: per hold stage, and missing (never 0) without data.

A run's metrics are built here interval by interval, as its workers and its runner would have
sent them: the generator's own counters and health, and the chain heights the runner read.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from botruntime.fleet import FleetOutcome
from botruntime.load import SessionPlan
from botruntime.metrics import Recorder, RunMetrics
from botruntime.plan import PlanSource, RunPlan, compile_plan, parse_target
from botruntime.runs._evidence import gather_evidence
from botruntime.runs._source import RunEvidence
from botruntime.runs._stack import Stack
from botruntime.runs._values import Execution, RunSetup, TargetStatus
from botruntime.scenario import Status, compute_verdict

SCENARIOS = Path(__file__).resolve().parents[3] / "scenarios"
Tweak = Callable[[int, Recorder], None]
Heights = Callable[[int], float | None]


def _one_block_a_second(i: int) -> float | None:
    return 100.0 + i


def _plan(stages: list[dict[str, object]] | None = None) -> RunPlan:
    document = yaml.safe_load((SCENARIOS / "transfer_baseline.yaml").read_text("utf-8"))
    if stages is not None:
        document["sizes"]["default"]["load"]["general_user"]["stages"] = stages
    source = PlanSource(
        scenario_yaml=yaml.safe_dump(document, sort_keys=False),
        size="default",
        seed="",
        target=parse_target("simnet"),
        run_id="evidence-test",
        scenario_name="transfer_baseline.yaml",
    )
    return compile_plan(source)


def _metrics(
    plan: RunPlan,
    *,
    until_s: float | None = None,
    tweak: Tweak | None = None,
    health: bool = True,
    heights: Heights | None = _one_block_a_second,
) -> RunMetrics:
    """Interval by interval: every planned arrival offered on time, one block per second."""
    planned: dict[int, int] = {}
    for role in plan.roles:
        assert not isinstance(role.load, SessionPlan)
        for _, offset in role.load.arrivals():
            planned[math.floor(offset)] = planned.get(math.floor(offset), 0) + 1
    metrics = RunMetrics()
    for i in range(math.ceil(until_s if until_s is not None else plan.duration_s)):
        fleet, runner = Recorder("worker"), Recorder("runner")
        fleet.counter("gen.offered", role="general_user").add(planned.get(i, 0))
        fleet.counter("n.intent", action="send_ax").add(planned.get(i, 0))
        if health:
            fleet.histogram("gen.loop_lag").record_s(0.002)
            fleet.gauge("gen.cpu").set(0.3)
        height = None if heights is None else heights(i)
        if height is not None:
            runner.gauge("chain.height", chain="alpha").set(height)
            runner.gauge("mempool.size", chain="alpha", node="0").set(10.0)
            runner.gauge("mempool.cap", chain="alpha", node="0").set(5000.0)
        if tweak is not None:
            tweak(i, fleet)
        metrics.ingest(fleet.flush(i))
        metrics.ingest(runner.flush(i))
    return metrics


def _evidence(
    plan: RunPlan,
    metrics: RunMetrics,
    lost_beyond_policy: int = 0,
    elapsed_s: float | None = None,
) -> RunEvidence:
    setup = RunSetup(
        plan=plan,
        home=Path("/nonexistent"),
        status=TargetStatus("alpha-simnet-x", None, 1.0),
        invariants_start=(),
        stack=Stack(),
        workers=0,
        external="",
        started_at_s=0.0,
    )
    execution = Execution(
        metrics_file=Path("/nonexistent/metrics.bin"),
        outcome=FleetOutcome(),
        notes=(),
        invalid_reasons=(),
        elapsed_s=plan.duration_s if elapsed_s is None else elapsed_s,
        invariants_end=(),
        reachable=True,
        stopped_early=False,
        lost_beyond_policy=lost_beyond_policy,
    )
    evidence, _ = gather_evidence(setup, execution, metrics)
    return evidence


def _gate(evidence: RunEvidence, plan: RunPlan, gate: str) -> tuple[str, str]:
    verdict = compute_verdict(plan.scenario, plan.size_name, evidence)
    result = next(r for r in (*verdict.gates, *verdict.criteria) if r.id == gate)
    return result.effect, result.outcome.explanation


def test_a_run_that_kept_up_on_a_live_chain_has_every_figure() -> None:
    plan = _plan()
    evidence = _evidence(plan, _metrics(plan))
    scalars = evidence.scalars
    assert scalars["offered_ratio"] == 1.0 and scalars["dropped_ratio"] == 0.0
    assert scalars["worker.cpu"] == 0.3 and scalars["worker.lost_beyond_policy"] == 0.0
    assert scalars["blocked_ratio"] == 0.0
    # hold 5..55 s: 50 blocks against 50 - 1 expected
    assert scalars["chain.blocks_ratio"] == pytest.approx(50 / 49)
    assert evidence.absent == {}
    for gate in ("G1", "G2", "G3", "G4", "G5", "S1", "S2"):
        assert _gate(evidence, plan, gate)[0] == "ok", gate


def test_g1_is_judged_per_hold_stage_not_over_the_run() -> None:
    """The generator fell behind in the short second hold only: over the whole run it offered
    98 % of the plan, in that stage half of it."""
    stages = [
        {"kind": "hold", "seconds": 50, "rate_per_s": 50},
        {"kind": "hold", "seconds": 10, "rate_per_s": 10},
    ]
    plan = _plan(stages)

    def behind(i: int, rec: Recorder) -> None:
        if 50 <= i < 60:
            rec.counter("gen.offered", role="general_user").add(-5)
            rec.counter("dropped", role="general_user").add(5)

    evidence = _evidence(plan, _metrics(plan, tweak=behind))
    assert evidence.scalars["offered_ratio"] == pytest.approx(0.5)
    assert evidence.scalars["dropped_ratio"] == pytest.approx(0.5)
    effect, why = _gate(evidence, plan, "G1")
    assert effect == "INCONCLUSIVE" and why.startswith("offered_ratio = 0.5, needs ≥ 0.95")


def test_an_arrival_counted_in_the_interval_before_its_stage_still_counts_for_it() -> None:
    """A worker's count lands in the interval it flushed: the first arrival of a 16-arrival
    stage, due on its first instant, counted just before the flush of the interval before.
    The neighbour holds one offered beyond its own plan, so the stage kept up; a stage short
    of one arrival with no such excess beside it still fails."""
    stages = [
        {"kind": "hold", "seconds": 10, "rate_per_s": 10},
        {"kind": "hold", "seconds": 4, "rate_per_s": 4},
    ]
    plan = _plan(stages)

    def early(i: int, rec: Recorder) -> None:
        rec.counter("gen.offered", role="general_user").add({9: 1, 10: -1}.get(i, 0))

    def short(i: int, rec: Recorder) -> None:
        rec.counter("gen.offered", role="general_user").add({10: -1}.get(i, 0))

    evidence = _evidence(plan, _metrics(plan, tweak=early))
    assert evidence.scalars["offered_ratio"] == 1.0
    assert _gate(evidence, plan, "G1")[0] == "ok"
    evidence = _evidence(plan, _metrics(plan, tweak=short))
    assert evidence.scalars["offered_ratio"] == pytest.approx(15 / 16)
    assert _gate(evidence, plan, "G1")[0] == "INCONCLUSIVE"


def test_s1_is_judged_per_hold_stage_and_a_stalled_chain_fails() -> None:
    plan = _plan()

    def stalled(i: int) -> float:  # no block from 20 s to 40 s
        return 100.0 + min(i, 20) + max(i - 40, 0)

    evidence = _evidence(plan, _metrics(plan, heights=stalled))
    assert evidence.scalars["chain.blocks_ratio"] == pytest.approx(30 / 49)
    effect, why = _gate(evidence, plan, "S1")
    assert effect == "FAIL" and why == "chain.blocks_ratio = 0.6122, needs ≥ 0.8"
    assert _gate(evidence, plan, "G1")[0] == "ok"  # the generator is not to blame


def test_a_chain_whose_status_stops_answering_counts_as_stopped() -> None:
    plan = _plan()

    def until_30_s(i: int) -> float | None:
        return 100.0 + i if i < 30 else None

    evidence = _evidence(plan, _metrics(plan, heights=until_30_s))
    assert evidence.scalars["chain.blocks_ratio"] == pytest.approx(24 / 49)


def test_a_run_stopped_early_is_judged_on_liveness_up_to_where_it_ended() -> None:
    """An aborted run (its worker lost) has no heights after its end: the chain is judged
    up to there, and a run that ended before its hold stage has no liveness figure."""
    plan = _plan()
    metrics = _metrics(plan, until_s=31)
    stopped = _evidence(plan, metrics, elapsed_s=30.4)
    assert stopped.scalars["chain.blocks_ratio"] == pytest.approx(25 / 24)  # 5..30 s
    early = _evidence(plan, _metrics(plan, until_s=4), elapsed_s=4.0)
    assert early.absent["chain.blocks_ratio"] == "the run ended before its first hold stage"


def test_intents_blocked_by_the_network_are_its_back_pressure() -> None:
    plan = _plan()

    def busy(i: int, rec: Recorder) -> None:
        if 20 <= i < 25:
            rec.counter("n.blocked", role="general_user").add(20)

    evidence = _evidence(plan, _metrics(plan, tweak=busy))
    assert evidence.scalars["blocked_ratio"] == pytest.approx(100 / 2625)
    assert _gate(evidence, plan, "S2")[0] == "FAIL"
    assert _gate(evidence, plan, "G1")[0] == "ok"


def test_a_worker_lost_beyond_the_policy_fails_g3() -> None:
    plan = _plan()
    evidence = _evidence(plan, _metrics(plan), lost_beyond_policy=1)
    effect, why = _gate(evidence, plan, "G3")
    assert effect == "INCONCLUSIVE" and why == "worker.lost_beyond_policy = 1, needs = 0"


# ---- each gate's (and S1's) "no data" path: missing, never a default of 0 -------------------


def test_no_cpu_gauge_leaves_g2_unjudged_naming_it() -> None:
    plan = _plan()

    def loop_lag_only(i: int, rec: Recorder) -> None:
        rec.histogram("gen.loop_lag").record_s(0.002)

    evidence = _evidence(plan, _metrics(plan, health=False, tweak=loop_lag_only))
    assert "worker.cpu" not in evidence.scalars
    effect, why = _gate(evidence, plan, "G2")
    assert effect == "INCONCLUSIVE"
    assert why == "worker.cpu: N/A (no worker reported its CPU share (gen.cpu))"


def test_no_loop_lag_sample_leaves_g2_unjudged_naming_it() -> None:
    plan = _plan()

    def cpu_only(i: int, rec: Recorder) -> None:
        rec.gauge("gen.cpu").set(0.3)

    evidence = _evidence(plan, _metrics(plan, health=False, tweak=cpu_only))
    effect, why = _gate(evidence, plan, "G2")
    assert effect == "INCONCLUSIVE"
    assert why == (
        "p99(worker.loop_lag): N/A (no worker recorded an event-loop lag sample (gen.loop_lag))"
    )


def test_no_metrics_in_a_hold_stage_leaves_g1_unjudged_naming_the_stage() -> None:
    plan = _plan()
    evidence = _evidence(plan, _metrics(plan, until_s=4))  # the run never reached its hold
    assert "offered_ratio" not in evidence.scalars and "dropped_ratio" not in evidence.scalars
    effect, why = _gate(evidence, plan, "G1")
    assert effect == "INCONCLUSIVE"
    assert "no metrics were recorded in the hold stage 5..55 s of role general_user" in why


def test_no_height_sample_leaves_s1_unjudged_naming_it() -> None:
    plan = _plan()
    evidence = _evidence(plan, _metrics(plan, heights=None))
    effect, why = _gate(evidence, plan, "S1")
    assert effect == "N/A"
    assert why == (
        "chain.blocks_ratio: N/A (no chain height was sampled during the run (chain.height))"
    )


def test_nothing_offered_leaves_s2_unjudged() -> None:
    plan = _plan()
    metrics = RunMetrics()
    metrics.ingest(Recorder("worker").flush(0))
    evidence = _evidence(plan, metrics)
    assert _gate(evidence, plan, "S2")[0] == "N/A"
    assert compute_verdict(plan.scenario, "default", evidence).status is Status.INCONCLUSIVE
