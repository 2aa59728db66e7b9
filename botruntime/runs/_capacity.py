"""C_tx, the sustainable capacity, and how the network behaves above it (SCENARIOS.md L2).

A stepped load (`kind: stepped`) holds each of a rising list of rates; each step is judged on
its own: a step passes iff commit TPS >= 95 % of the offered rate (commits counted one block
time later than the arrivals, with one block of slack: commits are seen a block at a time, so
a one-second window's edge can cut a block off), and, after `SETTLE_BLOCKS` block times in
which the previous step's txs are still landing, p99 commit <= SLO_commit (2 block times +
0.5 s) and errors (every reject and transport error) <= 0.1 % of intents. Walking up
the steps, two failing in a row end the search (the catalogue's early stop: an open-loop
generator keeps offering, later steps just no longer count); C_tx is the highest rate that
passed before that. The steps above C_tx are the overload, where the figures of back-pressure
are read:

- `capacity.c_tx`              tx/s of the highest passing step (0 when none passed)
- `capacity.overload_steps`    steps offered above C_tx (0: no overload, the rest is N/A)
- `capacity.typed_ratio`       typed back-pressure (mempool_full, rate_limited, sender_quota,
                               503 with Retry-After) / every refusal in the overload; 0 when
                               nothing was refused: above C_tx a network that never pushes back
                               hides its backlog in queues and in every user's latency
- `capacity.timeout_ratio`     timeouts / intents in the overload
- `capacity.drain_blocks`      block times from the end of the last step until every node's
                               mempool holds at most `DRAINED_TXS` (one more than observed when
                               it never did)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from botruntime.load import ArrivalPlan, SessionPlan, Share
from botruntime.metrics import RunMetrics
from botruntime.plan import RolePlan, RunPlan
from botruntime.runs._hold_stages import Figure
from botruntime.runs._mempool_samples import drained_after
from botruntime.scenario import SteppedLoad

__all__ = [
    "DRAINED_TXS",
    "TYPED_CODES",
    "CapacitySteps",
    "StepResult",
    "capacity_figures",
    "judge_steps",
]

SETTLE_BLOCKS: Final = 2.5  # SLO_commit in block times (at 1 s): the last step's txs landing
COMMIT_SHARE: Final = 0.95
MAX_ERROR_RATE: Final = 0.001
FAILS_TO_STOP: Final = 2
DRAINED_TXS: Final = 10
TYPED_CODES: Final = ("mempool_full", "rate_limited", "sender_quota")


@dataclass(frozen=True, slots=True)
class StepResult:
    start_s: float
    end_s: float
    rate_per_s: float  # planned arrivals of the stepped roles per second
    offered_per_s: float
    committed_per_s: float
    p99_commit_s: float | None
    error_rate: float
    passed: bool


@dataclass(frozen=True, slots=True)
class CapacitySteps:
    steps: tuple[StepResult, ...]
    c_tx: float
    overload: tuple[StepResult, ...]  # the steps offered above C_tx


def _stepped_roles(plan: RunPlan) -> list[tuple[RolePlan, ArrivalPlan | Share]]:
    return [
        (role, role.load)
        for role in plan.roles
        if isinstance(plan.scenario.load(plan.size_name, role.name), SteppedLoad)
        and not isinstance(role.load, SessionPlan)
    ]


def _by_actions(metrics: RunMetrics, name: str, actions: tuple[str, ...], window: range) -> int:
    return sum(metrics.count(name, {"action": a}, window) for a in actions)


def judge_steps(plan: RunPlan, metrics: RunMetrics, block_time_s: float) -> CapacitySteps | None:
    """Each step of the run's stepped roles, judged; None when the plan has no stepped load."""
    roles = _stepped_roles(plan)
    if not roles:
        return None
    step_s = metrics.interval_s
    slo_s = 2 * block_time_s + 0.5
    actions = tuple(sorted({b for role, _ in roles for b in role.behaviours}))
    windows = sorted({span for _, load in roles for span in load.hold_windows()})
    results: list[StepResult] = []
    shift = max(1, round(block_time_s / step_s))  # a tx offered now commits a block later
    for start_s, end_s in windows:
        planned = sum(
            sum(1 for _, offset in load.arrivals() if start_s <= offset < end_s)
            for _, load in roles
        )
        whole = range(
            math.ceil(start_s / step_s - 1e-9),
            max(math.floor(end_s / step_s + 1e-9), math.ceil(start_s / step_s - 1e-9) + 1),
        )
        first = math.ceil((start_s + SETTLE_BLOCKS * block_time_s) / step_s - 1e-9)
        settled = range(min(first, whole.stop - 1), whole.stop)  # at least the last second
        landing = range(whole.start + shift, whole.stop + shift)
        seconds = len(whole) * step_s
        offered = sum(metrics.count("gen.offered", {"role": r.name}, whole) for r, _ in roles)
        per_second = [_by_actions(metrics, "n.commit", actions, range(i, i + 1)) for i in landing]
        # commits are seen a block at a time: a window's edge may cut one block off
        one_block = max(per_second, default=0)
        intents = _by_actions(metrics, "n.intent", actions, settled)
        failed = _by_actions(metrics, "n.reject", actions, settled) + _by_actions(
            metrics, "n.error", actions, settled
        )
        # the commits of the step's settled arrivals land up to a block after it ends
        p99 = metrics.quantile_s(
            "lat.commit", {"outcome": "ok"}, 0.99, range(settled.start, landing.stop)
        )
        error_rate = failed / intents if intents else 1.0
        results.append(
            StepResult(
                start_s=start_s,
                end_s=end_s,
                rate_per_s=planned / (end_s - start_s),
                offered_per_s=offered / seconds,
                committed_per_s=sum(per_second) / seconds,
                p99_commit_s=p99,
                error_rate=error_rate,
                passed=offered > 0
                and sum(per_second) + one_block >= COMMIT_SHARE * offered
                and p99 is not None
                and p99 <= slo_s
                and error_rate <= MAX_ERROR_RATE,
            )
        )
    c_tx, fails = 0.0, 0
    for step in results:
        if step.passed:
            c_tx, fails = step.rate_per_s, 0
        else:
            fails += 1
            if fails == FAILS_TO_STOP:
                break
    overload = tuple(s for s in results if s.rate_per_s > c_tx + 1e-9)
    return CapacitySteps(tuple(results), c_tx, overload)


def capacity_figures(
    plan: RunPlan, metrics: RunMetrics, block_time_s: float, until_s: float
) -> tuple[dict[str, float], dict[str, str]]:
    """The `capacity.*` scalars of a run with a stepped load, and why any is missing."""
    judged = judge_steps(plan, metrics, block_time_s)
    if judged is None:
        return {}, {}
    figures: dict[str, Figure] = {"capacity.c_tx": Figure(judged.c_tx)}
    figures["capacity.overload_steps"] = Figure(float(len(judged.overload)))
    figures.update(_overload(metrics, judged, plan, until_s))
    last_end = judged.steps[-1].end_s
    drained_s, sampled = drained_after(metrics, last_end, until_s, at_most=DRAINED_TXS)
    if not sampled:
        figures["capacity.drain_blocks"] = Figure(
            None, "no mempool was sampled after the last step (mempool.size)"
        )
    elif drained_s is None:
        observed = (sampled[-1] + 1) * metrics.interval_s - last_end
        figures["capacity.drain_blocks"] = Figure(observed / block_time_s + 1)
    else:
        figures["capacity.drain_blocks"] = Figure(max(drained_s - last_end, 0.0) / block_time_s)
    values = {name: f.value for name, f in figures.items() if f.value is not None}
    missing = {name: f.missing for name, f in figures.items() if f.value is None}
    return values, missing


def _overload(
    metrics: RunMetrics, judged: CapacitySteps, plan: RunPlan, until_s: float
) -> Mapping[str, Figure]:
    """Back-pressure from the first step above C_tx to the end of the run: an arrival blocked
    in the overload is sent later, and its answer still belongs to the overload."""
    if not judged.overload:
        why = "no step was offered above C_tx: the overload could not be judged"
        return {
            "capacity.typed_ratio": Figure(None, why),
            "capacity.timeout_ratio": Figure(None, why),
        }
    step_s = metrics.interval_s
    start = math.floor(judged.overload[0].start_s / step_s + 1e-9)
    end_s = max(until_s, judged.overload[-1].end_s)
    window = range(start, max(math.ceil(end_s / step_s - 1e-9), start + 1))
    actions = tuple(sorted({b for role, _ in _stepped_roles(plan) for b in role.behaviours}))
    typed = sum(
        metrics.count("n.reject", {"action": a, "code": code}, window)
        for a in actions
        for code in TYPED_CODES
    ) + sum(metrics.count("n.error", {"action": a, "kind": "http503"}, window) for a in actions)
    refused = _by_actions(metrics, "n.reject", actions, window) + _by_actions(
        metrics, "n.error", actions, window
    )
    timeouts = sum(
        metrics.count("n.error", {"action": a, "kind": "timeout"}, window) for a in actions
    )
    intents = _by_actions(metrics, "n.intent", actions, window)
    return {
        "capacity.typed_ratio": Figure(typed / refused if refused else 0.0),
        "capacity.timeout_ratio": Figure(
            timeouts / intents if intents else None, "no intent was made above C_tx"
        ),
    }
