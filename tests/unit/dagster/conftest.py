"""Hand-built run reports for the one-class tests of the results store, checks and HTML."""

import itertools
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from botruntime.runs import CriterionOutcome, IntervalPoint, RunReport

MakeReport = Callable[..., RunReport]


def _criteria() -> tuple[CriterionOutcome, ...]:
    return (
        CriterionOutcome(
            "G1_offered", "gate", "pass", "offered_ratio >= 0.95", "0.99 >= 0.95", 0.99
        ),
        CriterionOutcome(
            "C2_commit_p99", "hard", "pass", "p99(lat.commit) <= 2.5s", "1.8 s <= 2.5 s", 1800.0
        ),
        CriterionOutcome(
            "C4_complete",
            "hard",
            "pass",
            "n.lost == 0",
            "0 lost",
            0.0,
            kills=("mempool_drop",),
        ),
        CriterionOutcome(
            "C6_invariants", "hard", "pass", "inv[bank/*] ok", "all ok", None, kills=("fee_leak",)
        ),
        CriterionOutcome("W1_p99_vs_median", "soft", "n/a", "p99 <= 1.2x", "no baseline", None),
    )


def _series(n: int) -> tuple[IntervalPoint, ...]:
    return tuple(
        IntervalPoint(
            t_s=float(t),
            offered_per_s=50.0,
            achieved_per_s=49.0 + (t % 3) * 0.5,
            committed_per_s=48.0,
            errors=t % 2,
            dropped=0,
            p50_submit_ms=8.0 + t * 0.1,
            p99_submit_ms=40.0 + t,
            p99_commit_ms=None if t == 0 else 1500.0 + 10 * t,
        )
        for t in range(n)
    )


@pytest.fixture
def make_report() -> MakeReport:
    """Reports with unique run ids and increasing start times; override any field."""
    counter = itertools.count(1)

    def make(**overrides: Any) -> RunReport:
        n = next(counter)
        base = RunReport(
            run_id=f"run-{n:04d}",
            scenario_id="transfer_baseline",
            scenario_hash="a" * 64,
            size="smoke",
            target="simnet",
            seed="testbots",
            switches=(),
            git_sha="0123456789abcdef0123456789abcdef01234567",
            started_at_s=1_700_000_000.0 + 100 * n,
            ended_at_s=1_700_000_000.0 + 100 * n + 12.5,
            verdict="PASS",
            exit_code=0,
            criteria=_criteria(),
            summary={
                "offered_rate": 50.0,
                "achieved_rate": 49.5,
                "p50_submit_ms": 8.0,
                "p95_submit_ms": 30.0,
                "p99_submit_ms": 45.0,
                "p50_commit_ms": 900.0,
                "p95_commit_ms": 1400.0,
                "p99_commit_ms": 1800.0,
                "err_rate": 0.0,
                "dropped": 0.0,
                "ledger_mismatch": 0.0,
            },
            errors_by_code={"timeout": 1},
            series=_series(10),
            histograms={"lat.commit{action=send_ax}": "HISTFAkAAAA=", "lat.submit": "HISTFBBB"},
            notes=("one note",),
        )
        return replace(base, **overrides)

    return make
