"""sim.{fds,connections}_{max,rise}: what the network held open, against the samples of its
pooled-only stage (R5 connection_churn C3)."""

from __future__ import annotations

from pathlib import Path

from botruntime.metrics import Recorder, RunMetrics
from botruntime.plan import PlanSource, RunPlan, compile_plan, parse_target
from botruntime.runs._server_samples import resource_figures

SCENARIO = Path(__file__).parents[3] / "scenarios" / "connection_churn.yaml"


def _plan() -> RunPlan:
    source = PlanSource(
        SCENARIO.read_text(), "smoke", "", parse_target("simnet"), "r", (), SCENARIO.name
    )
    return compile_plan(source)


def _metrics(fds: list[float], connections: list[float]) -> RunMetrics:
    metrics = RunMetrics()
    for i, (f, c) in enumerate(zip(fds, connections, strict=True)):
        runner = Recorder("runner")
        runner.gauge("sim.fds").set(f)
        runner.gauge("sim.connections").set(c)
        metrics.ingest(runner.flush(i))
    return metrics


def test_a_server_that_closes_what_churners_closed_comes_back_to_its_baseline() -> None:
    # smoke: pooled alone until 3 s, churn from 3 s to 10 s, then the drain
    fds = [30, 37, 38, 60, 80, 90, 95, 90, 85, 70, 40, 39]
    connections = [10, 16, 16, 40, 60, 70, 75, 70, 65, 50, 18, 17]
    figures = resource_figures(_plan(), _metrics(fds, connections))
    assert figures["sim.fds_rise"].value == 39 - 38
    assert figures["sim.connections_rise"].value == 17 - 16
    assert figures["sim.fds_max"].value == 95
    assert figures["sim.connections_max"].value == 75


def test_a_leaking_server_stays_above_its_baseline_by_what_leaked() -> None:
    fds = [30, 37, 38, 90, 140, 190, 240, 290, 330, 360, 362, 362]
    figures = resource_figures(_plan(), _metrics(fds, [f - 20 for f in fds]))
    assert figures["sim.fds_rise"].value == 362 - 38
    assert figures["sim.connections_rise"].value == 362 - 38


def test_without_samples_the_figures_are_missing_never_zero() -> None:
    figures = resource_figures(_plan(), RunMetrics())
    assert all(f.value is None and "never sampled" in f.missing for f in figures.values())


def test_samples_that_end_before_the_churn_judge_no_rise() -> None:
    figures = resource_figures(_plan(), _metrics([30, 31], [10, 11]))
    assert figures["sim.fds_rise"].value is None
    assert figures["sim.fds_max"].value == 31
