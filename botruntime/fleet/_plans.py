"""From a scenario's roles and sizes to what the executors run: bots per role, arrival plans."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from botruntime.load import ArrivalPlan, Share, Stage, poisson_stages, ramping, trace
from botruntime.scenario import (
    ActiveWindow,
    ConstantLoad,
    PoissonLoad,
    RampingLoad,
    Role,
    RoleLoad,
    TraceLoad,
)

__all__ = ["role_bots", "role_plan"]


def role_bots(roles: Sequence[Role], bots: int) -> dict[str, range]:
    """Contiguous bot indices per role, in proportion to each role's share (largest remainder),
    every role at least one bot."""
    if bots < len(roles):
        raise ValueError(f"{bots} bots cannot play {len(roles)} roles: give at least one each")
    total = sum(role.share for role in roles)
    exact = [bots * role.share / total for role in roles]
    counts = [max(1, int(x)) for x in exact]
    by_remainder = sorted(range(len(roles)), key=lambda i: exact[i] - int(exact[i]), reverse=True)
    i = 0
    while sum(counts) < bots:
        counts[by_remainder[i % len(roles)]] += 1
        i += 1
    while sum(counts) > bots:
        biggest = max(range(len(roles)), key=lambda k: counts[k])
        counts[biggest] -= 1
    out: dict[str, range] = {}
    start = 0
    for role, count in zip(roles, counts, strict=True):
        out[role.name] = range(start, start + count)
        start += count
    return out


def _stages(load: RampingLoad | PoissonLoad) -> list[Stage]:
    stages = []
    for stage in load.stages:
        if stage.capacity_fraction is not None:
            raise ValueError(
                "this size gives rates as a fraction of C_tx, which is not measured for this "
                "target yet: run capacity_ramp first, or pick a size with rate_per_s"
            )
        stages.append(Stage(stage.kind, stage.seconds, stage.rate_per_s))
    return stages


def _window(plan: ArrivalPlan, active: ActiveWindow | None) -> ArrivalPlan | Share:
    if active is None:
        return plan
    share = plan.whole().after(active.from_s)
    return share.before(active.until_s) if active.until_s is not None else share


def role_plan(load: RoleLoad, *, seed: str, base_dir: str = ".") -> ArrivalPlan | Share:
    """The arrival plan of one role at one size."""
    if isinstance(load, ConstantLoad):
        if load.rate_per_s is None:
            raise ValueError("constant load given as a fraction of C_tx: run capacity_ramp first")
        stages = [Stage("hold", load.seconds, load.rate_per_s)]
        if load.drain_s:
            stages.append(Stage("drain", load.drain_s))
        return _window(ramping(stages), load.active)
    if isinstance(load, RampingLoad):
        return _window(ramping(_stages(load)), load.active)
    if isinstance(load, PoissonLoad):
        return _window(poisson_stages(_stages(load), seed=hash_seed(seed)), load.active)
    if isinstance(load, TraceLoad):
        return _window(trace(f"{base_dir}/{load.file}", speed=load.speed), load.active)
    raise ValueError(f"load kind {load.kind!r} is a closed loop: not run by an arrival plan")


def hash_seed(text: str) -> int:
    """A stable integer seed from text (Python's hash() is salted per process)."""
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")
