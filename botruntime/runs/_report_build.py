"""Turn a judged run into its `RunReport`: the verdict with evidence, summary, series, HDRs."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Sequence

from botruntime.metrics import RunMetrics
from botruntime.runs._findings import criterion_evidence
from botruntime.runs._source import RunEvidence
from botruntime.runs._values import Execution, RunSetup
from botruntime.runs.report import (
    NOT_ENFORCED,
    CriterionOutcome,
    Evidence,
    IntervalPoint,
    RunReport,
    VerdictName,
)
from botruntime.scenario import (
    CriterionResult,
    Expr,
    Scenario,
    Status,
    Verdict,
    compute_verdict,
    evaluate_number,
)

__all__ = ["build_report", "git_sha"]

_PHASES = ("submit", "commit")


def git_sha() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def _ms(value: float | None) -> float:
    return float("nan") if value is None else round(value * 1000, 3)


def _outcome(result: CriterionResult, evidence: tuple[Evidence, ...]) -> CriterionOutcome:
    status = result.outcome.status
    return CriterionOutcome(
        id=result.id,
        kind=result.kind,
        status=status,
        expr=result.expr,
        explanation=result.outcome.explanation
        + ("" if result.enforced or result.kind == "gate" else NOT_ENFORCED),
        value=result.outcome.observed,
        kills=result.kills,
        evidence=evidence,
    )


def _summary(metrics: RunMetrics, evidence: RunEvidence, elapsed_s: float) -> dict[str, float]:
    seconds = max(elapsed_s, 1e-9)
    out: dict[str, float] = {
        "duration_s": round(elapsed_s, 3),
        "intents": float(metrics.count("n.intent")),
        "offered_rate": metrics.count("gen.offered") / seconds,
        "achieved_rate": metrics.count("n.intent") / seconds,
        "committed_rate": metrics.count("n.commit") / seconds,
        "commits": float(metrics.count("n.commit")),
        "dropped": float(metrics.count("dropped")),
        "blocked": float(metrics.count("n.blocked")),
        "blocked_abandoned": float(metrics.count("n.blocked_abandoned")),
        "errors": float(metrics.count("n.error")),
        "rejects": float(metrics.count("n.reject")),
    }
    for phase in _PHASES:
        qs = metrics.quantiles_s(f"lat.{phase}", {"outcome": "ok"}, (0.5, 0.95, 0.99, 1.0))
        for q, name in ((0.5, "p50"), (0.95, "p95"), (0.99, "p99"), (1.0, "max")):
            out[f"{name}_{phase}_ms"] = _ms(qs.get(q))
    for name in (
        "err_rate",
        "completeness",
        "ledger.mismatch",
        "n.lost",
        "offered_ratio",
        "blocked_ratio",
        "chain.blocks_ratio",
        "mempool.fill_max",
        "capacity.c_tx",
    ):
        if name in evidence.scalars:
            out[name.replace(".", "_")] = evidence.scalars[name]
    # per action, as a scrape of the run's /metrics counts them: `intents{action=send_ax}`
    actions = {a for key in metrics.keys("n.intent") if (a := key.label_dict().get("action"))}
    for action in sorted(actions):
        out[f"intents{{action={action}}}"] = float(metrics.count("n.intent", {"action": action}))
    return out


def _series(metrics: RunMetrics) -> tuple[IntervalPoint, ...]:
    points = []
    for interval in metrics.intervals:
        one = range(interval, interval + 1)
        submit = metrics.quantiles_s("lat.submit", {"outcome": "ok"}, (0.5, 0.99), one)
        commit = metrics.quantile_s("lat.commit", {"outcome": "ok"}, 0.99, one)
        points.append(
            IntervalPoint(
                t_s=interval * metrics.interval_s,
                offered_per_s=metrics.rate_per_s("gen.offered", None, one),
                achieved_per_s=metrics.rate_per_s("n.intent", None, one),
                committed_per_s=metrics.rate_per_s("n.commit", None, one),
                errors=metrics.count("n.error", None, one) + metrics.count("n.reject", None, one),
                dropped=metrics.count("dropped", None, one),
                p50_submit_ms=None if 0.5 not in submit else submit[0.5] * 1000,
                p99_submit_ms=None if 0.99 not in submit else submit[0.99] * 1000,
                p99_commit_ms=None if commit is None else commit * 1000,
            )
        )
    return tuple(points)


def _errors_by_code(metrics: RunMetrics) -> dict[str, int]:
    out: dict[str, int] = {}
    for key in metrics.keys("n.reject"):
        code = key.label_dict().get("code", "?")
        out[code] = out.get(code, 0) + metrics.count("n.reject", key.label_dict())
    for key in metrics.keys("n.error"):
        kind = f"error:{key.label_dict().get('kind', '?')}"
        out[kind] = out.get(kind, 0) + metrics.count("n.error", key.label_dict())
    return out


def _figures(scenario: Scenario, evidence: RunEvidence) -> dict[str, float | None]:
    """The scenario's own key figures by name; None where the run has no data."""
    return {name: evaluate_number(f.tree, evidence) for name, f in scenario.figures.items()}


def unmeasured_on_simnet(verdict: Verdict) -> list[str]:
    """Why a simnet run's experiment broke, if it did: simnet measures everything a criterion
    can name, so an enforced hard criterion with no data (nothing was sent, every action
    failed) is a broken experiment, and the run is INCONCLUSIVE rather than PASS.

    A run that already FAILed on evidence stays FAIL: a network so degraded that simnet's own
    samples went unanswered (a per-tx leak slowing every read) is the finding, not a broken
    experiment; the unjudged criteria stay listed as N/A in its notes.
    """
    if verdict.status is Status.FAIL:
        return []
    return [
        f"{r.id} could not be judged on simnet: {r.outcome.explanation}"
        for r in verdict.criteria
        if r.kind == "hard"
        and r.enforced
        and r.outcome.status == "n/a"
        and "baseline" not in r.expr
    ]


def build_report(
    setup: RunSetup,
    execution: Execution,
    evidence: RunEvidence,
    notes: list[str],
    *,
    invalid_reasons: Sequence[str] = (),
) -> RunReport:
    plan = setup.plan
    metrics = evidence.metrics
    verdict = compute_verdict(
        plan.scenario, plan.size_name, evidence, invalid_reasons=invalid_reasons
    )
    if plan.target.is_simnet:
        unjudged = unmeasured_on_simnet(verdict)
        if unjudged:
            verdict = compute_verdict(
                plan.scenario,
                plan.size_name,
                evidence,
                invalid_reasons=[*invalid_reasons, *unjudged],
            )
    spec = plan.scenario.verdict
    trees: dict[str, Expr] = {j.id: j.tree for j in (*spec.gates, *spec.criteria)}
    criteria = tuple(
        _outcome(
            r,
            criterion_evidence(trees[r.id], evidence)
            if r.outcome.status == "fail" and r.id in trees
            else (),
        )
        for r in (*verdict.gates, *verdict.criteria)
    )
    status: VerdictName = verdict.status.value
    histograms = {
        f"lat.{phase}": metrics.histogram(f"lat.{phase}", {"outcome": "ok"})
        .encode()
        .decode("ascii")
        for phase in _PHASES
        if metrics.keys(f"lat.{phase}")
    }
    return RunReport(
        run_id=plan.run_id,
        scenario_id=plan.scenario.id,
        scenario_hash=plan.scenario_hash,
        size=plan.size_name,
        target=plan.target.describe(),
        seed=plan.seed,
        network_version=setup.status.version,
        switches=plan.switches,
        git_sha=git_sha(),
        started_at_s=setup.started_at_s,
        ended_at_s=time.time(),
        verdict=status,
        exit_code=int(verdict.exit_code),
        criteria=criteria,
        summary=_summary(metrics, evidence, execution.elapsed_s),
        errors_by_code=_errors_by_code(metrics),
        series=_series(metrics),
        histograms=histograms,
        notes=(*verdict.reasons, *verdict.warnings, *notes),
        figures=_figures(plan.scenario, evidence),
    )
