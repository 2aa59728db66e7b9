"""The coverage matrix marks each registry row with the scenarios that cover it, and names gaps.

The registries here are small hand-made ones, so each gap is one the test chose; the scenarios
are the repo's own files.
"""

from __future__ import annotations

import json
from pathlib import Path

from botruntime.coverage import CoverageMatrix, UnmatchedPattern, build_matrix
from botruntime.scenario import Scenario, load_scenario

SCENARIOS = Path(__file__).resolve().parents[3] / "scenarios"


def _matrix() -> CoverageMatrix:
    scenarios = [
        load_scenario(SCENARIOS / f"{name}.yaml").scenario
        for name in ("transfer_baseline", "replay_attack")
    ]
    return build_matrix(
        scenarios,
        behaviours={
            "flood": "adversarial",
            "send_ax": "legitimate",
            "get_tx": "legitimate",
            "replay_same_chain": "adversarial",
        },
        switches=("mempool_drop", "stale_reads", "nonce_not_enforced", "fee_leak"),
        # no blocks/* route: transfer_baseline's C6 names one, so it selects nothing
        routes=(
            "bank/total-supply",
            "auth/unique-tx",
            "auth/nonce-monotonic",
            "fees/conservation",
            "dex/min-out",
            "bridge/once",
            "bridge/escrow-backing",
        ),
    )


def test_rows_keep_the_registry_order_and_columns_are_sorted_scenarios() -> None:
    matrix = _matrix()
    assert matrix.scenarios == ("replay_attack", "transfer_baseline")
    assert list(matrix.switches) == [
        "mempool_drop",
        "stale_reads",
        "nonce_not_enforced",
        "fee_leak",
    ]
    # behaviours by group (legitimate, adversarial, anti-pattern), then by name
    assert list(matrix.behaviours) == ["get_tx", "send_ax", "flood", "replay_same_chain"]


def test_a_cell_names_the_roles_or_criteria_behind_it() -> None:
    matrix = _matrix()
    assert dict(matrix.behaviours["send_ax"]) == {
        "replay_attack": ("general_user",),
        "transfer_baseline": ("general_user",),
    }
    assert dict(matrix.behaviours["replay_same_chain"]) == {"replay_attack": ("replayer",)}
    assert dict(matrix.switches["mempool_drop"]) == {
        "transfer_baseline": ("C4_completeness", "C5_ledger_exact")
    }
    assert dict(matrix.switches["nonce_not_enforced"]) == {
        "replay_attack": ("C1_no_effective_replay",)
    }
    # inv[auth/unique-tx, auth/nonce-monotonic, bank/*] and inv[bank/*, auth/*, fees/*, blocks/*]
    assert dict(matrix.routes["auth/unique-tx"]) == {
        "replay_attack": ("C5_invariants",),
        "transfer_baseline": ("C6_invariants",),
    }
    assert dict(matrix.routes["fees/conservation"]) == {"transfer_baseline": ("C6_invariants",)}


def test_the_gaps_are_the_unmarked_rows() -> None:
    matrix = _matrix()
    assert matrix.switches_without_killer == ("stale_reads",)
    assert matrix.unused_behaviours == ("flood",)
    assert matrix.unchecked_routes == ("dex/min-out",)
    assert matrix.unmatched_patterns == (
        UnmatchedPattern("transfer_baseline", "C6_invariants", "blocks/*"),
    )
    # a role's behaviour the registry does not list is no row (validation refuses it earlier)
    assert "get_balance" not in matrix.behaviours


def test_role_groups_per_scenario() -> None:
    roles = _matrix().roles
    assert dict(roles["replay_attack"]) == {
        "legitimate": ("general_user", "bridge_user"),
        "adversarial": ("replayer",),
        "anti-pattern": (),
    }
    assert roles["transfer_baseline"]["adversarial"] == ()


def test_counts_and_json_carry_the_same_matrix() -> None:
    matrix = _matrix()
    assert matrix.counts() == {
        "scenarios": 2,
        "scenarios_in_catalogue": 24,
        "switches_total": 4,
        "switches_killed": 3,
        "kill_pairs": 3,
        "behaviours_total": 4,
        "behaviours_used": 3,
        "routes_total": 7,
        "routes_checked": 6,
        "unmatched_patterns": 1,
    }
    assert not matrix.complete_catalogue
    document = json.loads(json.dumps(matrix.to_json()))
    assert document["switches"]["mempool_drop"] == {
        "killed_by": {"transfer_baseline": ["C4_completeness", "C5_ledger_exact"]}
    }
    assert document["behaviours"]["flood"] == {"group": "adversarial", "used_by": {}}
    assert document["switches_without_killer"] == ["stale_reads"]
    assert document["unmatched_patterns"] == [
        {"scenario": "transfer_baseline", "criterion": "C6_invariants", "pattern": "blocks/*"}
    ]
    assert document["counts"] == matrix.counts()


def test_a_switch_killed_in_two_scenarios_has_two_cells() -> None:
    base = load_scenario(SCENARIOS / "transfer_baseline.yaml")
    twin = Scenario.model_validate({**base.document, "id": "transfer_twin"})
    matrix = build_matrix(
        [base.scenario, twin], behaviours={}, switches=("mempool_drop",), routes=()
    )
    assert set(matrix.switches["mempool_drop"]) == {"transfer_baseline", "transfer_twin"}
    assert matrix.counts()["kill_pairs"] == 2 and matrix.counts()["switches_killed"] == 1
