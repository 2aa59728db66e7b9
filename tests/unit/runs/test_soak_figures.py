"""A soak's leak and drift figures (mixed_soak C3) from the samples the runner records.

The metrics are built second by second over mixed_soak's smoke plan (warm-up 5 s, the trough
ending at 22.5 s, the last hold stage ending at 30 s and the feeders at 35 s): the stretches
compared are seconds 5-7 and 32-34.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from botruntime.metrics import Recorder, RunMetrics
from botruntime.plan import PlanSource, RunPlan, compile_plan, parse_target
from botruntime.runs._soak import soak_figures
from botruntime.scenario import ScenarioError

SCENARIOS = Path(__file__).resolve().parents[3] / "scenarios"
SECONDS = 36

Sampler = Callable[[int, Recorder], None]


def _plan(soak: dict[str, float] | None = None, *, keep: bool = True) -> RunPlan:
    doc: dict[str, Any] = yaml.safe_load((SCENARIOS / "mixed_soak.yaml").read_text())
    if not keep:
        doc["sizes"]["smoke"].pop("soak")
    elif soak is not None:
        doc["sizes"]["smoke"]["soak"] = soak
    source = PlanSource(yaml.safe_dump(doc), "smoke", "", parse_target("simnet"), "r", (), "s.yaml")
    return compile_plan(source)


def _metrics(*samplers: Sampler) -> RunMetrics:
    metrics = RunMetrics()
    for i in range(SECONDS):
        runner = Recorder("runner")
        for sample in samplers:
            sample(i, runner)
        metrics.ingest(runner.flush(i))
    return metrics


def _process(name: str, rss: Callable[[int], float], fds: Callable[[int], float]) -> Sampler:
    def sample(i: int, rec: Recorder) -> None:
        rec.gauge("fleet.rss_bytes", process=name).set(rss(i))
        rec.gauge("fleet.fds", process=name).set(fds(i))

    return sample


def _simnet(rss_per_tx: float, txs_per_s: int = 10, fds: int = 40) -> Sampler:
    def sample(i: int, rec: Recorder) -> None:
        rec.gauge("sim.committed_txs").set(float(txs_per_s * i))
        rec.gauge("sim.rss").set(100e6 + rss_per_tx * txs_per_s * i)
        rec.gauge("sim.fds").set(float(fds))

    return sample


def test_flat_processes_show_no_growth_and_simnet_its_memory_per_tx() -> None:
    flat = _process("worker-0", lambda i: 80e6, lambda i: 30)
    figures, absent = soak_figures(_plan(), _metrics(flat, _simnet(2048.0)), 1.0)
    assert figures["fleet.rss_growth"] == 0.0
    assert figures["fleet.fds_growth"] == 0.0
    assert figures["sim.fds_growth"] == 0.0
    assert figures["sim.bytes_per_tx"] == pytest.approx(2048.0)
    assert "fleet.rss_growth" not in absent


def test_the_worst_process_is_the_figure_and_breathing_is_not_a_leak() -> None:
    breathing = _process("coordinator", lambda i: 80e6 * (1.1 if i % 2 else 0.9), lambda i: 20)
    leaking = _process("worker-0", lambda i: 80e6 * (1 + 0.01 * i), lambda i: 30 + i)
    figures, _ = soak_figures(_plan(), _metrics(breathing, leaking, _simnet(0.0)), 1.0)
    # the leak: lowest of 32-34 (1.32) over highest of 5-7 (1.07)
    assert figures["fleet.rss_growth"] == pytest.approx(1.32 / 1.07 - 1)
    assert figures["fleet.rss_growth"] > 0.05
    assert figures["fleet.fds_growth"] == 32 - 7


def test_commit_drift_compares_the_last_hold_stage_with_the_first_after_warm_up() -> None:
    def commits(i: int, rec: Recorder) -> None:
        latency_s = 1.0 if i < 20 else 3.0  # slower from second 20 on
        rec.histogram("lat.commit", action="send_ax").record_s(latency_s)
        rec.histogram("lat.query", endpoint="txs_of").record_s(0.01 * (1 + i))

    figures, _ = soak_figures(_plan(), _metrics(commits), 1.0)
    assert figures["chain.commit_p99_drift"] == pytest.approx(3.0, rel=0.01)
    # the median page of seconds 23-29 (second 26's, 0.27 s) over that of seconds 5-12
    # (the lower middle one, second 8's: 0.09 s)
    assert figures["chain.history_p50_drift"] == pytest.approx(27 / 9, rel=0.01)


def test_the_trough_backlog_is_what_the_mempool_holds_beyond_one_block() -> None:
    def mempool(i: int, rec: Recorder) -> None:
        rec.gauge("mempool.size", chain="alpha", node="0").set(8.0)
        rec.gauge("mempool.size", chain="delta", node="0").set(30.0 if i == 22 else 5.0)

    figures, _ = soak_figures(_plan(), _metrics(mempool, _simnet(0.0, txs_per_s=12)), 1.0)
    assert figures["mempool.trough_backlog"] == pytest.approx(30.0 - 12.0)
    drained, _ = soak_figures(_plan({"warmup_s": 5, "trough_end_s": 20}), _metrics(mempool), 1.0)
    assert "mempool.trough_backlog" not in drained  # no commits sampled: no block's worth


def test_figures_never_sampled_are_missing_with_a_reason() -> None:
    figures, absent = soak_figures(_plan(), _metrics(), 1.0)
    assert figures == {}
    assert set(absent) == {
        "fleet.rss_growth",
        "fleet.fds_growth",
        "sim.fds_growth",
        "sim.bytes_per_tx",
        "chain.commit_p99_drift",
        "chain.history_p50_drift",
        "mempool.trough_backlog",
    }
    assert "not sampled" in absent["fleet.rss_growth"] or "no fleet" in absent["fleet.rss_growth"]


def test_a_warm_up_too_close_to_the_end_leaves_nothing_to_compare() -> None:
    flat = _process("worker-0", lambda i: 80e6, lambda i: 30)
    figures, absent = soak_figures(_plan({"warmup_s": 31}), _metrics(flat), 1.0)
    assert "fleet.rss_growth" not in figures
    assert "too soon after the warm-up" in absent["fleet.rss_growth"]


def test_a_size_without_soak_windows_has_no_soak_figures() -> None:
    assert soak_figures(_plan(keep=False), _metrics(), 1.0) == ({}, {})


def test_a_trough_ending_before_the_warm_up_is_refused_naming_the_fix() -> None:
    with pytest.raises(ScenarioError, match="trough_end_s"):
        _plan({"warmup_s": 10, "trough_end_s": 5})
