"""After the drain: reconcile the shadow ledger, read the invariants, compute the scalars.

These are the figures of SCENARIOS.md §1.3 that are not plain counters or histograms —
err_rate, completeness, ledger.mismatch — and the gates' figures of §1.4 (offered_ratio,
dropped_ratio, worker.cpu, chain.blocks_ratio, inv.reachable, setup.complete).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx

from botruntime.fleet import FleetOutcome
from botruntime.load import SessionPlan
from botruntime.metrics import RunMetrics
from botruntime.runs._source import InvariantReading, RunEvidence
from botruntime.scenario import Window

if TYPE_CHECKING:
    from botruntime.runs.runner import ScenarioRun

__all__ = ["gather_evidence", "read_invariants"]


async def read_invariants(
    http: httpx.AsyncClient, control: str | None
) -> list[InvariantReading] | None:
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
    return [
        InvariantReading(
            str(r.get("chain", "")),
            str(r["route"]),
            bool(r["ok"]),
            int(r.get("height", 0)),
            str(r.get("detail", "")),
        )
        for r in rows
        if isinstance(r, dict) and "route" in r
    ]


async def _status_reachable(http: httpx.AsyncClient, urls: list[str]) -> bool:
    try:
        for url in urls:
            if (await http.get(f"{url}/status")).status_code != 200:
                return False
    except httpx.HTTPError:
        return False
    return True


def _planned_arrivals(run: ScenarioRun) -> dict[str, int]:
    """Each open-loop role's whole plan, counted (what every worker together should offer)."""
    return {
        role.name: sum(1 for _ in role.load.arrivals())
        for role in run.plan.roles
        if not isinstance(role.load, SessionPlan)
    }


async def gather_evidence(
    run: ScenarioRun,
    outcome: FleetOutcome,
    metrics: RunMetrics,
    invariants_start: list[InvariantReading] | None,
    setup_complete: bool,
) -> tuple[RunEvidence, list[str]]:
    notes: list[str] = list(outcome.details)
    async with httpx.AsyncClient(timeout=30.0) as http:
        invariants_end = await read_invariants(http, run.target.control)
        if run.target.control is None:
            # a real network has no invariant endpoint: G4 then asks whether the public
            # source the framework reads (every chain's /status) answered at start and end
            reachable = await _status_reachable(
                http, [*run.target.alpha[:1], *run.target.delta[:1]]
            )
        else:
            reachable = invariants_start is not None and invariants_end is not None

    intents = metrics.count("n.intent")
    # an action that raised (a generator bug) is an error too: it never hides as a success
    unexpected = (
        metrics.count("n.reject", {"expected": "no"})
        + metrics.count("n.error")
        + metrics.count("gen.action_failed")
    )
    expected = _planned_arrivals(run)
    ratios = [
        metrics.count("gen.offered", {"role": role}) / planned
        for role, planned in expected.items()
        if planned
    ]
    planned_total = sum(expected.values())
    block_time_s = run.status.block_time_s or run.plan.block_time_s
    blocks = [end - start for start, end in run.chain_heights.values()]
    expected_blocks = max(run.heights_span_s / block_time_s - 1.0, 1.0)
    cpu = metrics.gauge_max("gen.cpu")
    scalars: dict[str, float] = {
        "err_rate": unexpected / intents if intents else 0.0,
        "completeness": outcome.committed / outcome.accepted if outcome.accepted else 1.0,
        "n.lost": float(outcome.lost),
        "n.accepted": float(outcome.accepted),
        "ledger.mismatch": float(outcome.mismatched),
        "offered_ratio": min(ratios) if ratios else 0.0,
        "dropped_ratio": metrics.count("dropped") / planned_total if planned_total else 0.0,
        "worker.cpu": cpu if cpu is not None else 0.0,
        "chain.blocks_ratio": min(blocks) / expected_blocks if blocks else 0.0,
        "inv.reachable": 1.0 if reachable else 0.0,
        "setup.complete": 1.0 if setup_complete else 0.0,
        "block_time": block_time_s,
    }
    if invariants_end is not None:
        broken = [r for r in invariants_end if not r.ok]
        notes.extend(
            f"invariant {r.chain}:{r.route} broken at {r.height}: {r.detail}" for r in broken
        )
    evidence = RunEvidence(
        metrics=metrics,
        scalars=scalars,
        invariant_readings=invariants_end,
        window=Window(0.0, max(run.elapsed_s, metrics.interval_s)),
    )
    return evidence, notes
