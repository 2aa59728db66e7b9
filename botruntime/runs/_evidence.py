"""After the drain: reconcile the shadow ledger, read the invariants, compute the scalars.

These are the figures of SCENARIOS.md §1.3 that are not plain counters or histograms —
err_rate, completeness, ledger.mismatch — the gates' figures of §1.4 (offered_ratio,
dropped_ratio, worker.cpu, worker.lost_beyond_policy, inv.reachable, setup.complete) and the
standard criteria's (chain.blocks_ratio, blocked_ratio), how full the mempools got
(mempool.fill_max), what the network process held open (sim.fds_*, sim.connections_*), for
a stepped load the capacity figures (`_capacity.py`), and what the crews earned, read from
the chain (adv.crew_profit_dx).
`SCALAR_SOURCES` says which counters each is computed from (or, for the ledger, explained
by): a failed criterion shows their series as its evidence.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import httpx

from botruntime.metrics import RunMetrics
from botruntime.runs._capacity import capacity_figures
from botruntime.runs._crew_value import CREW_PROFIT
from botruntime.runs._hold_stages import Figure, chain_advanced, generator_kept_up
from botruntime.runs._mempool_samples import fill_max
from botruntime.runs._server_samples import resource_figures
from botruntime.runs._source import InvariantReading, RunEvidence
from botruntime.runs._values import Execution, RunSetup
from botruntime.scenario import Window

__all__ = ["SCALAR_SOURCES", "gather_evidence", "read_invariants", "status_reachable"]

# scalar -> the counters (name, label filter) it is computed from, as computed below
SCALAR_SOURCES: Final[Mapping[str, tuple[tuple[str, Mapping[str, str]], ...]]] = {
    "err_rate": (("n.reject", {"expected": "no"}), ("n.error", {}), ("gen.action_failed", {})),
    "n.lost": (("n.lost", {}),),
    "completeness": (("n.lost", {}),),
    "dropped_ratio": (("dropped", {}),),
    "blocked_ratio": (("n.blocked", {}),),
    # the shadow ledger keeps an accepted tx spent, so a lost one is also a mismatch
    "ledger.mismatch": (("n.lost", {}),),
}


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


def gather_evidence(
    setup: RunSetup, execution: Execution, metrics: RunMetrics
) -> tuple[RunEvidence, list[str]]:
    """The verdict's figures of a finished run, from the values its stages left (no I/O).

    A gate's input the run never recorded is left out, with the reason in `absent`: the gate
    then cannot be judged and the verdict names both (never a pass by a default of 0)."""
    plan, outcome = setup.plan, execution.outcome
    notes: list[str] = list(outcome.details)
    intents = metrics.count("n.intent")
    # an action that raised (a generator bug) is an error too: it never hides as a success
    unexpected = (
        metrics.count("n.reject", {"expected": "no"})
        + metrics.count("n.error")
        + metrics.count("gen.action_failed")
    )
    offered = metrics.count("gen.offered")
    block_time_s = setup.status.block_time_s or plan.block_time_s
    reachable = execution.reachable and (
        setup.invariants_start is not None or plan.target.control is None
    )
    offered_ratio, dropped_ratio = generator_kept_up(plan, metrics)
    figures: dict[str, Figure] = {
        "offered_ratio": offered_ratio,
        "dropped_ratio": dropped_ratio,
        "worker.cpu": Figure(
            metrics.gauge_max("gen.cpu"), "no worker reported its CPU share (gen.cpu)"
        ),
        "chain.blocks_ratio": chain_advanced(plan, metrics, block_time_s, execution.elapsed_s),
        "blocked_ratio": Figure(
            metrics.count("n.blocked") / offered if offered else None,
            "no intent was offered, so none could be blocked",
        ),
        "mempool.fill_max": fill_max(metrics),
        **resource_figures(plan, metrics),
    }
    scalars: dict[str, float] = {
        "err_rate": unexpected / intents if intents else 0.0,
        "completeness": outcome.committed / outcome.accepted if outcome.accepted else 1.0,
        "n.lost": float(outcome.lost),
        "n.accepted": float(outcome.accepted),
        "ledger.mismatch": float(outcome.mismatched),
        "worker.lost_beyond_policy": float(execution.lost_beyond_policy),
        "inv.reachable": 1.0 if reachable else 0.0,
        "setup.complete": 1.0,  # a run whose setup broke never reaches its report
        "block_time": block_time_s,
    }
    if execution.crew_profit_dx is not None:
        scalars[CREW_PROFIT] = execution.crew_profit_dx
    scalars.update({name: f.value for name, f in figures.items() if f.value is not None})
    absent = {name: f.missing for name, f in figures.items() if f.value is None}
    capacity, capacity_absent = capacity_figures(plan, metrics, block_time_s, execution.elapsed_s)
    scalars.update(capacity)
    absent.update(capacity_absent)
    if not metrics.count("gen.loop_lag"):
        absent["worker.loop_lag"] = "no worker recorded an event-loop lag sample (gen.loop_lag)"
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
        findings={"ledger.mismatch": tuple(outcome.details)} if outcome.details else {},
        absent=absent,
    )
    return evidence, notes
