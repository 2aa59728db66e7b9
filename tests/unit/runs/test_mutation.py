"""The mutation sweep's pairs, its rule for a killed mutant, and its score, on hand-built runs."""

from dataclasses import replace
from typing import Literal

import pytest

from botruntime.runs import (
    NOT_ENFORCED,
    CriterionOutcome,
    DetectionPower,
    MutationPair,
    RunReport,
    VerdictName,
    catch_all_pairs,
    failed_to_run,
    judge_pair,
    mutation_pairs,
    select_catch_all,
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


# ---- the catch-all (SCENARIOS.md L9): every switch no criterion names ------------------------

SOAK_NAMED = ("fee_leak", "mempool_drop", "leak_index")  # what mixed_soak's criteria name


def _soak_mutant(switch: str, verdict: VerdictName, failed: tuple[str, ...] = ()) -> RunReport:
    """A run of mixed_soak with `switch` on; `failed` the criteria that failed."""

    def status(cid: str) -> Status:
        return "fail" if cid in failed else "pass"

    return replace(
        _mutant(verdict),
        scenario_id="mixed_soak",
        switches=(switch,),
        criteria=(
            CriterionOutcome("G1", "gate", status("G1"), "offered_ratio >= 0.95", "", None),
            CriterionOutcome(
                "C1_invariants", "hard", status("C1_invariants"), "inv ok", "", None, ("fee_leak",)
            ),
            # statistical: smoke only reports it
            CriterionOutcome(
                "C2_point_query",
                "hard",
                status("C2_point_query"),
                "p99",
                f"p99 = 0.2 s{NOT_ENFORCED}",
                0.2,
                ("leak_index",),
            ),
            CriterionOutcome(
                "C4_complete",
                "hard",
                status("C4_complete"),
                "n.lost == 0",
                "",
                0.0,
                ("mempool_drop",),
            ),
            CriterionOutcome(
                "C5_determinism", "hard", status("C5_determinism"), "inv ok", "", None
            ),
        ),
    )


def test_the_catch_all_is_every_switch_no_criterion_of_the_scenario_names() -> None:
    soak = load_scenario("mixed_soak").scenario
    pairs = catch_all_pairs(soak)
    assert [p.switch for p in pairs] == [s for s in VULN_SWITCHES if s not in SOAK_NAMED]
    assert all(p.catch_all and p.criteria == () for p in pairs)
    assert not any(p.catch_all for p in mutation_pairs([soak]))
    chosen = select_catch_all([soak], ("stale_reads", "no_rate_limit"))
    assert [p.name for p in chosen] == ["mixed_soak/stale_reads", "mixed_soak/no_rate_limit"]
    with pytest.raises(ValueError, match="names fee_leak: its own pair tests it"):
        select_catch_all([soak], ("fee_leak",))
    with pytest.raises(ValueError, match="no_such_switch: not a simnet switch"):
        select_catch_all([soak], ("no_such_switch",))


def test_a_catch_all_mutant_is_killed_by_a_fail_and_survives_as_a_warn() -> None:
    pair = MutationPair("mixed_soak", "bridge_no_once", (), catch_all=True)
    killed = judge_pair(pair, _soak_mutant("bridge_no_once", "FAIL", ("C1_invariants",)))
    assert killed.killed and not killed.warns
    assert killed.detail == "no criterion names bridge_no_once; verdict FAIL, failed: C1_invariants"
    # what smoke only reports is named apart: it did not make the run FAIL
    both = judge_pair(
        pair, _soak_mutant("bridge_no_once", "FAIL", ("C4_complete", "C2_point_query"))
    )
    assert both.detail == (
        "no criterion names bridge_no_once; verdict FAIL, failed: C4_complete; "
        "failed without failing the run: C2_point_query"
    )

    # a statistical criterion failing where smoke does not enforce it leaves the verdict WARN:
    # nothing this size judges caught the switch
    quiet = judge_pair(pair, _soak_mutant("bridge_no_once", "WARN", ("C2_point_query",)))
    assert quiet.status == "survived" and quiet.warns
    assert quiet.detail.endswith(
        "every criterion this size enforces held "
        "(verdict WARN; failed without failing the run: C2_point_query)"
    )
    assert quiet.line().startswith("WARN         mixed_soak/bridge_no_once: no criterion names")

    broken = judge_pair(pair, _soak_mutant("bridge_no_once", "INCONCLUSIVE", ("G1",)))
    assert broken.status == "inconclusive" and not broken.warns
    assert "gates G1 failed" in broken.detail

    named = MutationPair("mixed_soak", "fee_leak", (), catch_all=True)
    with pytest.raises(ValueError, match="a criterion names fee_leak"):
        judge_pair(named, _soak_mutant("fee_leak", "FAIL", ("C1_invariants",)))


def test_catch_all_survivors_warn_apart_from_the_detection_power() -> None:
    def catch(switch: str) -> MutationPair:
        return MutationPair("mixed_soak", switch, (), catch_all=True)

    killed = judge_pair(
        catch("bridge_no_once"), _soak_mutant("bridge_no_once", "FAIL", ("C4_complete",))
    )
    survived = judge_pair(catch("stale_reads"), _soak_mutant("stale_reads", "PASS"))
    named = judge_pair(BASELINE, _mutant("FAIL", c4="fail"))
    power = DetectionPower((named, killed, survived))
    # the score counts the pairs a criterion names, and nothing else
    assert (power.pairs_killed, power.pairs_named, power.switches_killed) == (1, 1, 1)
    assert power.survivors == (survived,) and power.with_status("survived") == ()
    assert power.exit_code == 0  # a catch-all survivor is a WARN, not a failure
    assert power.score_lines()[1:] == [
        "catch-all of mixed_soak: 1/2 switches no criterion names made it FAIL",
        "  WARN survived: stale_reads",
    ]
    alone = DetectionPower((killed, survived))
    assert alone.score_lines()[0].startswith("catch-all of mixed_soak: 1/2")
    assert alone.exit_code == 0
    unsure = DetectionPower((killed, failed_to_run(catch("no_rate_limit"), "boom")))
    assert unsure.exit_code == 3  # a mutant shown neither way
    assert "  inconclusive: no_rate_limit" in unsure.score_lines()
