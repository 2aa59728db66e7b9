"""After the drain: reconcile the shadow ledger, read the invariants, compute the scalars.

These are the figures of SCENARIOS.md §1.3 that are not plain counters or histograms —
err_rate, completeness, ledger.mismatch — and the gates' figures of §1.4 (offered_ratio,
dropped_ratio, worker.cpu, chain.blocks_ratio, inv.reachable, setup.complete).
"""

from __future__ import annotations

import httpx

from botruntime.load import SessionPlan
from botruntime.metrics import RunMetrics
from botruntime.plan import RunPlan
from botruntime.runs._source import InvariantReading, RunEvidence
from botruntime.runs._values import Execution, RunSetup
from botruntime.scenario import Window

__all__ = ["gather_evidence", "read_invariants", "status_reachable"]


async def read_invariants(
    http: httpx.AsyncClient, control: str | None
) -> tuple[InvariantReading, ...] | None:
    """simnet's invariant verdicts (broken ones are sticky); None when there is no source."""
    if control is None:
        return None
    try:
        answer = await http.get(f"{control}/simnet/invariants")
        rows = answer.json()
    except (httpx.HTTPError, ValueError):
        return None
    if isinstance(rows, dict):
        rows = rows.get("invariants", [])
    if not isinstance(rows, list):
        return None
    return tuple(
        InvariantReading(
            str(r.get("chain", "")),
            str(r["route"]),
            bool(r["ok"]),
            int(r.get("height", 0)),
            str(r.get("detail", "")),
        )
        for r in rows
        if isinstance(r, dict) and "route" in r
    )


async def status_reachable(http: httpx.AsyncClient, urls: list[str]) -> bool:
    """Every chain's /status answers: what a real network offers as its public source."""
    try:
        for url in urls:
            if (await http.get(f"{url}/status")).status_code != 200:
                return False
    except httpx.HTTPError:
        return False
    return True


def _planned_arrivals(plan: RunPlan) -> dict[str, int]:
    """Each open-loop role's whole plan, counted (what every worker together should offer)."""
    return {
        role.name: sum(1 for _ in role.load.arrivals())
        for role in plan.roles
        if not isinstance(role.load, SessionPlan)
    }


def gather_evidence(
    setup: RunSetup, execution: Execution, metrics: RunMetrics
) -> tuple[RunEvidence, list[str]]:
    """The verdict's figures of a finished run, from the values its stages left (no I/O)."""
    plan, outcome = setup.plan, execution.outcome
    notes: list[str] = list(outcome.details)
    intents = metrics.count("n.intent")
    # an action that raised (a generator bug) is an error too: it never hides as a success
    unexpected = (
        metrics.count("n.reject", {"expected": "no"})
        + metrics.count("n.error")
        + metrics.count("gen.action_failed")
    )
    expected = _planned_arrivals(plan)
    ratios = [
        metrics.count("gen.offered", {"role": role}) / planned
        for role, planned in expected.items()
        if planned
    ]
    planned_total = sum(expected.values())
    block_time_s = setup.status.block_time_s or plan.block_time_s
    blocks = [end - start for start, end in execution.heights.values()]
    expected_blocks = max(execution.heights_span_s / block_time_s - 1.0, 1.0)
    cpu = metrics.gauge_max("gen.cpu")
    offered = metrics.count("gen.offered")
    reachable = execution.reachable and (
        setup.invariants_start is not None or plan.target.control is None
    )
    scalars: dict[str, float] = {
        "err_rate": unexpected / intents if intents else 0.0,
        "completeness": outcome.committed / outcome.accepted if outcome.accepted else 1.0,
        "n.lost": float(outcome.lost),
        "n.accepted": float(outcome.accepted),
        "ledger.mismatch": float(outcome.mismatched),
        # a closed loop sets no rate to keep up with (its throughput is an output): with no
        # open-loop role there is nothing the generator could fall behind on
        "offered_ratio": min(ratios) if ratios else (0.0 if planned_total else 1.0),
        "dropped_ratio": metrics.count("dropped") / planned_total if planned_total else 0.0,
        "worker.cpu": cpu if cpu is not None else 0.0,
        "chain.blocks_ratio": min(blocks) / expected_blocks if blocks else 0.0,
        "blocked_ratio": metrics.count("n.blocked") / offered if offered else 0.0,
        "worker.lost_beyond_policy": float(execution.lost_beyond_policy),
        "inv.reachable": 1.0 if reachable else 0.0,
        "setup.complete": 1.0,  # a run whose setup broke never reaches its report
        "block_time": block_time_s,
    }
    invariants_end = execution.invariants_end
    if invariants_end is not None:
        broken = [r for r in invariants_end if not r.ok]
        notes.extend(
            f"invariant {r.chain}:{r.route} broken at {r.height}: {r.detail}" for r in broken
        )
    evidence = RunEvidence(
        metrics=metrics,
        scalars=scalars,
        invariant_readings=invariants_end,
        window=Window(0.0, max(execution.elapsed_s, metrics.interval_s)),
    )
    return evidence, notes
