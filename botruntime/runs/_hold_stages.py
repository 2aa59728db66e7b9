"""What happened in each hold stage: did the generator keep up (G1), did the chain advance (S1).

SCENARIOS §1.4 judges both per hold stage, so a generator that fell behind, or a chain that
stalled, for ten seconds of a fifty-second hold cannot hide in the run's totals. A stage is
read in whole metric intervals (interval i covers plan offsets [i, i+1) s). A figure with no
data behind it is missing, with the reason, never a default that passes.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import NamedTuple

from botruntime.load import ArrivalPlan, SessionPlan, Share, Span
from botruntime.metrics import RunMetrics
from botruntime.plan import RunPlan

__all__ = ["Figure", "chain_advanced", "generator_kept_up", "hold_stages", "stage_intervals"]


class Figure(NamedTuple):
    """A scalar of the verdict, or why the run has none."""

    value: float | None
    missing: str = ""


def hold_stages(plan: RunPlan) -> list[Span]:
    """Every role's hold stages (a closed loop's whole session time), each once, in order."""
    spans: set[Span] = set()
    for role in plan.roles:
        if isinstance(role.load, SessionPlan):
            spans.add((0.0, role.load.seconds))
        else:
            spans.update(role.load.hold_windows())
    return sorted(spans)


def stage_intervals(span: Span, step_s: float) -> range:
    """The whole metric intervals a stage covers."""
    first = math.floor(span[0] / step_s + 1e-9)
    return range(first, max(math.ceil(span[1] / step_s - 1e-9), first + 1))


def _open_loop_stages(plan: RunPlan) -> Iterator[tuple[str, ArrivalPlan | Share, Span]]:
    for role in plan.roles:
        if not isinstance(role.load, SessionPlan):
            for span in role.load.hold_windows():
                yield role.name, role.load, span


def generator_kept_up(plan: RunPlan, metrics: RunMetrics) -> tuple[Figure, Figure]:
    """(offered_ratio, dropped_ratio): the lowest offered/planned and the highest
    dropped/planned over every open-loop role's hold stages (the offered ones counted with
    those an edge's neighbouring interval holds beyond its own plan).

    A closed loop sets no rate to keep up with (its throughput is an output): with no
    open-loop arrival planned in a hold stage there is nothing the generator could fall
    behind on, so the figures are 1 and 0."""
    step_s = metrics.interval_s
    recorded = metrics.intervals
    offered_ratios: list[float] = []
    dropped_ratios: list[float] = []
    for role, load, span in _open_loop_stages(plan):
        window = stage_intervals(span, step_s)
        lo, hi = window.start * step_s, window.stop * step_s
        before, planned, after = 0, 0, 0
        for _, offset in load.arrivals():
            if lo - step_s <= offset < hi + step_s:
                if offset < lo:
                    before += 1
                elif offset < hi:
                    planned += 1
                else:
                    after += 1
        if not planned:
            continue
        if max(window.start, recorded.start) >= min(window.stop, recorded.stop):
            why = (
                f"no metrics were recorded in the hold stage {span[0]:g}..{span[1]:g} s of "
                f"role {role}"
            )
            return Figure(None, why), Figure(None, why)
        labels = {"role": role}
        offered = metrics.count("gen.offered", labels, window)
        # a count lands in the interval its worker flushed, which can be one either side of
        # the arrival's own (an arrival due on a stage's first instant, counted just before
        # the flush of the interval before): what an edge's neighbour counted beyond its own
        # plan was offered for this stage
        for neighbour, own in ((window.start - 1, before), (window.stop, after)):
            if neighbour in recorded:
                extra = metrics.count("gen.offered", labels, range(neighbour, neighbour + 1))
                offered += max(0, extra - own)
        offered_ratios.append(offered / planned)
        dropped_ratios.append(metrics.count("dropped", labels, window) / planned)
    if not offered_ratios:
        return Figure(1.0), Figure(0.0)
    return Figure(min(offered_ratios)), Figure(max(dropped_ratios))


def chain_advanced(
    plan: RunPlan, metrics: RunMetrics, block_time_s: float, until_s: float
) -> Figure:
    """chain.blocks_ratio: blocks produced / blocks expected, the lowest over every chain and
    hold stage, from the heights the runner sampled each second (`chain.height{chain}`), up
    to `until_s` (where the run ended: a run stopped early is judged up to there).

    A stage's blocks run from the last height read at or before its start to the last read
    at or before its end, against the blocks expected from that first read to the stage's
    end (one block of slack for where in its block time each read fell): a chain whose
    status stopped answering mid-stage counts as not advancing."""
    step_s = metrics.interval_s
    chains = sorted({key.label_dict().get("chain", "") for key in metrics.keys("chain.height")})
    if not chains:
        return Figure(None, "no chain height was sampled during the run (chain.height)")
    ratios: list[float] = []
    for span in hold_stages(plan):
        window = stage_intervals(span, step_s)
        stop = min(window.stop, math.floor(until_s / step_s + 1e-9))
        if stop <= window.start:
            continue  # the run ended before this stage began
        for chain in chains:
            heights = metrics.series("chain.height", {"chain": chain})
            before = [(i, h) for i, h in heights if i <= window.start]
            inside = [(i, h) for i, h in heights if window.start < i <= stop]
            first = before[-1] if before else (inside[0] if inside else None)
            last = inside[-1] if inside else first
            if first is None or last is None or first[0] >= stop:
                return Figure(
                    None,
                    f"no height of chain {chain} was sampled in the hold stage "
                    f"{span[0]:g}..{span[1]:g} s",
                )
            expected = max((stop - first[0]) * step_s / block_time_s - 1.0, 1.0)
            ratios.append((last[1] - first[1]) / expected)
    if not ratios:
        return Figure(None, "the run ended before its first hold stage")
    return Figure(min(ratios))
