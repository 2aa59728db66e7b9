"""The mutation sweep's pairs, its rule for a killed mutant, and its score, on hand-built runs."""

from dataclasses import replace
from typing import Literal

import pytest

from botruntime.runs import (
    CriterionOutcome,
    DetectionPower,
    MutationPair,
    RunReport,
    VerdictName,
    failed_to_run,
    judge_pair,
    mutation_pairs,
    select_pairs,
)
from botruntime.scenario import VULN_SWITCHES, load_scenario

Status = Literal["pass", "fail", "n/a"]
BASELINE = MutationPair("transfer_baseline", "mempool_drop", ("C4_completeness", "C5_ledger"))


def _mutant(
    verdict: VerdictName, c4: Status = "pass", c5: Status = "pass", gate: Status = "pass"
) -> RunReport:
    kills = ("mempool_drop",)
    return RunReport(
        run_id="r1",
        scenario_id="transfer_baseline",
        scenario_hash="h",
        size="smoke",
        target="simnet",
        seed="1",
        switches=("mempool_drop",),
        git_sha=None,
        started_at_s=1.0,
        ended_at_s=2.0,
        verdict=verdict,
        exit_code=0,
        criteria=(
            CriterionOutcome("G1", "gate", gate, "offered_ratio >= 0.95", "", None),
            CriterionOutcome("C4_completeness", "hard", c4, "n.lost == 0", "", 0.0, kills),
            CriterionOutcome("C5_ledger", "hard", c5, "ledger.mismatch == 0", "", 0.0, kills),
            CriterionOutcome("C6_inv", "hard", "pass", "inv[bank/*] ok", "", None, ("fee_leak",)),
        ),
        summary={},
    )


def test_every_switch_a_criterion_names_is_a_pair_once_per_scenario() -> None:
    scenarios = [load_scenario(i).scenario for i in ("replay_attack", "transfer_baseline")]
    pairs = mutation_pairs(scenarios)
    assert [p.name for p in pairs] == [
        "replay_attack/nonce_not_enforced",
        "replay_attack/chain_id_unsigned",
        "replay_attack/bridge_no_once",
        "replay_attack/noncanonical_hash",
        "transfer_baseline/mempool_drop",
        "transfer_baseline/fee_leak",
    ]
    # mempool_drop is named by two criteria: one pair, both criteria can kill it
    assert pairs[4].criteria == ("C4_completeness", "C5_ledger_exact")
    # bridge_no_once is named by C1 and C5: one pair
    assert pairs[2].criteria == ("C1_no_effective_replay", "C5_invariants")
    assert [p.name for p in select_pairs(scenarios, ("fee_leak",))] == [
        "transfer_baseline/fee_leak"
    ]
    with pytest.raises(ValueError, match="kills stale_reads"):
        select_pairs(scenarios, ("stale_reads",))


def test_a_mutant_is_killed_when_a_criterion_naming_its_switch_fails() -> None:
    killed = judge_pair(BASELINE, _mutant("FAIL", c5="fail"))
    assert killed.killed and killed.detail == "killed by C5_ledger"
    assert (killed.run_id, killed.verdict, killed.size) == ("r1", "FAIL", "smoke")
    assert killed.line().startswith("killed       transfer_baseline/mempool_drop: killed by")

    survived = judge_pair(BASELINE, _mutant("PASS"))
    assert survived.status == "survived"
    assert survived.detail == "C4_completeness, C5_ledger held"
    assert "SURVIVED" in survived.line()


def test_an_inconclusive_run_proves_nothing_either_way() -> None:
    broken = judge_pair(BASELINE, _mutant("INCONCLUSIVE", c4="fail", gate="fail"))
    assert broken.status == "inconclusive" and not broken.killed
    assert "gates G1 failed" in broken.detail
    crashed = failed_to_run(BASELINE, "simnet did not start")
    assert crashed.status == "inconclusive" and "simnet did not start" in crashed.detail
    assert judge_pair(BASELINE, None).status == "not_run"


def test_a_run_of_another_mutant_is_refused() -> None:
    with pytest.raises(ValueError, match="not a mutant of transfer_baseline/fee_leak"):
        judge_pair(replace(BASELINE, switch="fee_leak"), _mutant("FAIL", c4="fail"))


def test_detection_power_counts_pairs_and_switches() -> None:
    other = MutationPair("replay_attack", "mempool_drop", ("C9",))
    fee = MutationPair("transfer_baseline", "fee_leak", ("C6_inv",))
    outcomes = (
        judge_pair(BASELINE, _mutant("FAIL", c4="fail")),
        judge_pair(other, None),
        failed_to_run(fee, "boom"),
    )
    power = DetectionPower(outcomes)
    assert (power.pairs_killed, power.pairs_named) == (1, 3)
    # two pairs of mempool_drop, one killed: the switch is killed
    assert (power.switches_killed, power.switches_named) == (1, 2)
    assert power.switches_in_simnet == len(VULN_SWITCHES)
    assert power.pair_score == pytest.approx(1 / 3)
    assert power.exit_code == 3  # nothing survived, but not every pair was shown killed
    lines = power.score_lines()
    assert lines[0] == (
        f"detection power: 1/3 pairs killed (33%), 1/{len(VULN_SWITCHES)} simnet switches "
        f"killed ({1 / len(VULN_SWITCHES):.0%})"
    )
    assert "  not run: replay_attack/mempool_drop" in lines

    survived = DetectionPower((judge_pair(BASELINE, _mutant("PASS")),))
    assert survived.exit_code == 1
    assert DetectionPower((outcomes[0],)).exit_code == 0
    assert DetectionPower(()).pair_score == 0.0
