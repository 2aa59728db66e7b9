"""Verdict computation: gates before criteria, hard vs soft, smoke, regressions, exit codes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from botruntime.scenario import (
    ExitCode,
    Scenario,
    Status,
    compute_verdict,
    load_scenario,
    parse_scenario,
)

SCENARIOS = Path(__file__).resolve().parents[3] / "scenarios"
GATES_OK = {
    "offered_ratio": 0.99,
    "dropped_ratio": 0.0,
    "worker.cpu": 0.4,
    "worker.lost_beyond_policy": 0.0,
    "inv.reachable": 1.0,
    "setup.complete": 1.0,
}
KEY = "p99(lat.commit{action=send_ax})"
Make = Callable[..., Any]


@pytest.fixture(scope="module")
def baseline_scenario() -> Scenario:
    return load_scenario("transfer_baseline", SCENARIOS).scenario


@pytest.fixture(scope="module")
def replay_scenario() -> Scenario:
    return load_scenario("replay_attack", SCENARIOS).scenario


def _healthy(make: Make, *, commit_s: float = 1.2, **values: float) -> Any:
    samples = [("worker.loop_lag", {}, 1.0, 0.002)]
    samples += [("lat.submit", {"action": "send_ax"}, t / 10, 0.02) for t in range(600)]
    samples += [("lat.commit", {"action": "send_ax"}, t / 10, commit_s) for t in range(600)]
    routes = {"bank/total-supply": True, "auth/unique-tx": True, "fees/conservation": True}
    routes |= {"blocks/chain-link": True, "auth/nonce-monotonic": True, "bridge/once": True}
    scalars = {**GATES_OK, "block_time": 1.0, "err_rate": 0.0, "n.lost": 0.0}
    scalars |= {"chain.blocks_ratio": 0.98, "blocked_ratio": 0.0}
    scalars |= {"ledger.mismatch": 0.0, **values}
    return make(values=scalars, samples=samples, routes=routes)


def test_healthy_run_passes_with_every_criterion_explained(
    make_source: Make, baseline_scenario: Scenario
) -> None:
    verdict = compute_verdict(baseline_scenario, "default", _healthy(make_source))
    assert verdict.status is Status.PASS and verdict.exit_code == ExitCode.PASS == 0
    assert [r.effect for r in verdict.gates] == ["ok"] * 5
    effects = {r.id: r.effect for r in verdict.criteria}
    assert effects.pop("W1_commit_regression") == "N/A"  # no baseline run yet
    assert set(effects.values()) == {"ok"}
    c2 = next(r for r in verdict.criteria if r.id == "C2_commit_latency")
    assert c2.outcome.explanation == (
        "p99(lat.commit{action=send_ax}) = 1.2 s ≤ 2.5 s (2 * block_time + 0.5s)"
    )
    assert verdict.killed_switches == frozenset()
    assert verdict.summary()[0] == "transfer_baseline [default]: PASS with 1 warning(s)"


def test_hard_failure_fails_and_names_the_switches_it_kills(
    make_source: Make, baseline_scenario: Scenario
) -> None:
    source = _healthy(make_source, **{"n.lost": 3.0, "ledger.mismatch": 3.0})
    verdict = compute_verdict(baseline_scenario, "default", source)
    assert verdict.status is Status.FAIL and verdict.exit_code == 1
    assert [r.id for r in verdict.failed] == ["C4_completeness", "C5_ledger_exact"]
    assert verdict.killed_switches == {"mempool_drop"}
    assert any("C4_completeness failed: n.lost = 3, needs = 0" in r for r in verdict.reasons)


def test_a_failed_gate_makes_it_inconclusive_even_when_criteria_fail(
    make_source: Make, baseline_scenario: Scenario
) -> None:
    source = _healthy(make_source, offered_ratio=0.7, **{"n.lost": 3.0})
    verdict = compute_verdict(baseline_scenario, "default", source)
    assert verdict.status is Status.INCONCLUSIVE and verdict.exit_code == 3
    assert verdict.reasons[0].startswith("gate G1 failed: offered_ratio = 0.7, needs ≥ 0.95")
    assert verdict.killed_switches == {"mempool_drop"}  # still reported, not a FAIL


@pytest.mark.parametrize(
    ("gate", "missing"),
    [
        ("G1", "offered_ratio"),
        ("G1", "dropped_ratio"),
        ("G2", "worker.cpu"),
        ("G2", "worker.loop_lag"),
        ("G3", "worker.lost_beyond_policy"),
        ("G4", "inv.reachable"),
        ("G5", "setup.complete"),
    ],
)
def test_a_gate_whose_input_was_never_recorded_is_inconclusive_naming_both(
    make_source: Make, baseline_scenario: Scenario, gate: str, missing: str
) -> None:
    """Never a pass by a default of 0: the gate cannot be judged, and the reason says which
    gate and which input (with the source's word on why it is missing)."""
    source = _healthy(make_source)
    if missing in source.values:
        del source.values[missing]
    else:  # a histogram: no sample at all
        source.samples = [sample for sample in source.samples if sample[0] != missing]
    source.why_missing[missing] = f"no {missing} was recorded in this run"
    verdict = compute_verdict(baseline_scenario, "default", source)
    assert verdict.status is Status.INCONCLUSIVE and verdict.exit_code == 3
    assert {r.id: r.effect for r in verdict.gates if r.effect != "ok"} == {gate: "INCONCLUSIVE"}
    (reason,) = verdict.reasons
    assert reason.startswith(f"gate {gate} could not be judged: "), reason
    assert f"{missing}" in reason and f"(no {missing} was recorded in this run)" in reason


def test_a_missing_input_without_a_word_from_the_source_is_still_named(
    make_source: Make, baseline_scenario: Scenario
) -> None:
    source = _healthy(make_source)
    del source.values["worker.cpu"]
    verdict = compute_verdict(baseline_scenario, "default", source)
    assert verdict.reasons == (
        "gate G2 could not be judged: worker.cpu: N/A (worker.cpu is not reported)",
    )


def test_a_chain_that_stalls_fails_on_liveness_never_inconclusive(
    make_source: Make, baseline_scenario: Scenario
) -> None:
    source = _healthy(make_source, **{"chain.blocks_ratio": 0.6})
    verdict = compute_verdict(baseline_scenario, "default", source)
    assert verdict.status is Status.FAIL and [r.effect for r in verdict.gates] == ["ok"] * 5
    assert [r.id for r in verdict.failed] == ["S1"]
    assert verdict.reasons == ("S1 failed: chain.blocks_ratio = 0.6, needs ≥ 0.8",)


def test_intents_blocked_by_the_network_fail_on_back_pressure(
    make_source: Make, baseline_scenario: Scenario
) -> None:
    source = _healthy(make_source, blocked_ratio=0.04)
    verdict = compute_verdict(baseline_scenario, "default", source)
    assert verdict.status is Status.FAIL and [r.id for r in verdict.failed] == ["S2"]
    assert verdict.reasons == ("S2 failed: blocked_ratio = 0.04, needs ≤ 0.01",)


def test_the_standard_criteria_hold_at_smoke_size_too(
    make_source: Make, baseline_scenario: Scenario
) -> None:
    """Liveness and back-pressure are counts, not statistics: a smoke run enforces them."""
    source = _healthy(make_source, blocked_ratio=0.04)
    assert compute_verdict(baseline_scenario, "smoke", source).status is Status.FAIL


def test_a_scenario_that_stops_the_chain_on_purpose_gives_its_own_liveness(
    make_source: Make,
) -> None:
    document = yaml.safe_load((SCENARIOS / "transfer_baseline.yaml").read_text("utf-8"))
    document["verdict"]["chain_stops"] = {
        "reason": "the script pauses the block clock for 20 s of the 50 s hold",
        "expect": "chain.blocks_ratio >= 50%",
    }
    scenario, _ = parse_scenario(yaml.safe_dump(document), "halting.yaml")
    s1 = next(c for c in scenario.verdict.all_criteria if c.id == "S1")
    assert s1.expr == "chain.blocks_ratio >= 50%" and "pauses the block clock" in s1.description
    assert [c.id for c in scenario.verdict.all_criteria][-2:] == ["S1", "S2"]
    source = _healthy(make_source, **{"chain.blocks_ratio": 0.6})
    assert compute_verdict(scenario, "default", source).status is Status.PASS
    source = _healthy(make_source, **{"chain.blocks_ratio": 0.3})
    assert [r.id for r in compute_verdict(scenario, "default", source).failed] == ["S1"]


def test_runner_reasons_make_it_inconclusive(
    make_source: Make, baseline_scenario: Scenario
) -> None:
    verdict = compute_verdict(
        baseline_scenario,
        "default",
        _healthy(make_source),
        invalid_reasons=["worker w2 lost (on_worker_loss: fail)"],
    )
    assert verdict.status is Status.INCONCLUSIVE and verdict.reasons == (
        "worker w2 lost (on_worker_loss: fail)",
    )


def test_smoke_reports_statistical_criteria_without_enforcing_them(
    make_source: Make, baseline_scenario: Scenario
) -> None:
    source = _healthy(make_source, commit_s=4.0, err_rate=0.05)
    smoke = compute_verdict(baseline_scenario, "smoke", source)
    default = compute_verdict(baseline_scenario, "default", source)
    assert smoke.status is Status.PASS and default.status is Status.FAIL
    effects = {r.id: r.effect for r in smoke.criteria}
    assert effects["C2_commit_latency"] == effects["C3_error_rate"] == "WARN"
    assert any("not enforced at this size" in w for w in smoke.warnings)


def test_all_hard_criteria_na_is_inconclusive_not_pass(
    make_source: Make, replay_scenario: Scenario
) -> None:
    source = make_source(values={**GATES_OK}, samples=[("worker.loop_lag", {}, 1.0, 0.001)])
    verdict = compute_verdict(replay_scenario, "default", source)
    assert verdict.status is Status.INCONCLUSIVE
    assert "no enforced hard criterion could be judged" in verdict.reasons[-1]


def test_soft_baseline_criterion_is_a_regression_warning_with_exit_4(
    make_source: Make, baseline_scenario: Scenario
) -> None:
    source = _healthy(make_source, commit_s=1.5)
    source.baselines[KEY] = 1.0
    verdict = compute_verdict(baseline_scenario, "default", source)
    assert verdict.status is Status.PASS
    assert verdict.exit_code == ExitCode.REGRESSION == 4
    w1 = next(r for r in verdict.criteria if r.id == "W1_commit_regression")
    assert w1.effect == "WARN"
    assert any(r.criterion_id == "W1_commit_regression" for r in verdict.regressions)
    # C2 is also 50 % worse than its baseline: the automatic regression signal
    auto = next(r for r in verdict.regressions if r.criterion_id == "C2_commit_latency")
    assert auto.explanation == f"{KEY} = 1.5 s vs baseline 1 s (+50%)"


def test_within_tolerance_of_the_baseline_is_no_regression(
    make_source: Make, baseline_scenario: Scenario
) -> None:
    source = _healthy(make_source, commit_s=1.1)
    source.baselines[KEY] = 1.0
    verdict = compute_verdict(baseline_scenario, "default", source)
    assert verdict.regressions == () and verdict.exit_code == ExitCode.PASS


def test_replay_attack_fails_on_the_criterion_that_names_the_switch(
    make_source: Make, replay_scenario: Scenario
) -> None:
    values = {"adv.replays_effective": 17.0, "adv.replays_unexpected": 17.0}
    values |= {"adv.noncanonical_commits": 0.0}
    source = _healthy(make_source, **values)
    source.samples.append(("n.error", {"kind": "http5xx"}, 2.0, 0.0))
    source.baselines[KEY] = 1.1
    verdict = compute_verdict(replay_scenario, "default", source)
    assert verdict.status is Status.FAIL
    assert [r.id for r in verdict.failed] == ["C1_no_effective_replay", "C2_rejected_as_expected"]
    assert "nonce_not_enforced" in verdict.killed_switches
    assert "noncanonical_hash" not in verdict.killed_switches
    report = verdict.to_dict()
    assert report["status"] == "FAIL" and report["exit_code"] == 1
    assert "chain_id_unsigned" in report["killed_switches"]  # type: ignore[operator]
