"""`compile_plan`: the one function that turns a run's inputs into its `RunPlan`.

It validates the scenario document once, checks the size, the switches and the behaviour
names, allocates bots to roles (`Scenario.bot_ranges`, the only rule for it) and builds each
role's arrival plan or closed-loop sessions. Every error is a `ScenarioError` that names the
document, the field and the fix.

PlanInvalid            the inputs do not make a runnable plan (.file, .path, .fix)
└── CapacityUnknown    a load gives rates as fractions of C_tx and the source carries none

A rate given as a fraction of C_tx is that fraction of `source.capacity_tx_per_s`: the run's
setup looks C_tx up (capacity_ramp's latest result for the target and version) and puts it
in the source, so the compiler stays pure and a worker recompiles the same plan.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

from botruntime.behaviors import check_behaviours
from botruntime.load import (
    ArrivalPlan,
    SessionPlan,
    Share,
    Stage,
    ThinkTime,
    TraceError,
    TracePlan,
    poisson_stages,
    ramping,
    rounds,
    trace,
)
from botruntime.plan._plan import CrewPlan, PlanSource, RolePlan, RunPlan
from botruntime.scenario import (
    VULN_SWITCHES,
    ActiveWindow,
    ClosedLoad,
    ConstantLoad,
    PoissonLoad,
    RampingLoad,
    Role,
    RoleLoad,
    RoundsLoad,
    Scenario,
    ScenarioError,
    SteppedLoad,
    TraceLoad,
    parse_scenario,
)
from botruntime.scenario import ThinkTime as ThinkTimeSpec
from botruntime.wallet import Denom

__all__ = ["CapacityUnknown", "PlanInvalid", "compile_plan", "hash_seed"]


class PlanInvalid(ScenarioError):
    """The scenario is valid but these inputs do not make a plan that can run."""


class CapacityUnknown(PlanInvalid):
    """This size's rates are fractions of C_tx, and the run has no C_tx to size them with."""


def compile_plan(source: PlanSource) -> RunPlan:
    """Validate `source` once and decide everything the run does."""
    name = source.scenario_name
    scenario, scenario_hash = parse_scenario(source.scenario_yaml, name)
    check_behaviours(scenario, file=name)
    size = scenario.size(source.size)
    unknown = sorted(set(source.switches) - set(VULN_SWITCHES))
    if unknown:
        raise PlanInvalid(
            f"unknown simnet switch(es) {', '.join(unknown)}",
            file=name,
            path="switches",
            fix=f"use one of: {', '.join(sorted(VULN_SWITCHES))}",
        )
    if source.switches and not source.target.is_simnet:
        raise PlanInvalid(
            "simnet switches exist only on simnet",
            file=name,
            path="switches",
            fix="drop the switches or run against simnet",
        )
    seed = source.seed or str(scenario.seed)
    ranges = scenario.bot_ranges(source.size)
    crews = tuple(
        CrewPlan(block.name, block.roles, block.bots) for block in scenario.crew_blocks(source.size)
    )
    files = hashlib.sha256()  # what the plan reads besides its source: trace files
    roles = tuple(
        _role_plan(scenario, role, ranges[role.name], source, seed=seed, name=name, files=files)
        for role in scenario.roles
    )
    files_digest = files.hexdigest() if any(isinstance(r.load, TracePlan) for r in roles) else ""
    durations = [role.load.duration_s for role in roles]
    return RunPlan(
        source=source,
        fingerprint=source.fingerprint(files_digest),
        scenario=scenario,
        scenario_hash=scenario_hash,
        size=size,
        seed=seed,
        funding=_denoms(scenario.limits.max_spend_per_bot),
        spend_total=_denoms(scenario.limits.max_spend_total),
        roles=roles,
        duration_s=max(durations, default=0.0),
        on_worker_loss=scenario.on_worker_loss,
        block_time_s=scenario.simnet.block_time_s or 1.0,
        files_digest=files_digest,
        crews=crews,
        _by_name=MappingProxyType({role.name: role for role in roles}),
    )


def _denoms(amounts: Mapping[Denom, int]) -> MappingProxyType[Denom, int]:
    return MappingProxyType(dict(amounts))


def _role_plan(
    scenario: Scenario,
    role: Role,
    bots: range,
    source: PlanSource,
    *,
    seed: str,
    name: str,
    files: hashlib._Hash,
) -> RolePlan:
    load = scenario.load(source.size, role.name)
    where = f"sizes.{source.size}.load.{role.name}"
    role_seed = hash_seed(f"{seed}/{role.name}")
    return RolePlan(
        name=role.name,
        group=role.group,
        bots=bots,
        behaviours=tuple(role.behaviours),
        weights=tuple(role.behaviours.values()),
        load=_load(
            load,
            role.active,
            role_seed,
            name=name,
            where=where,
            base_dir=source.base_dir,
            files=files,
            capacity=source.capacity_tx_per_s,
        ),
        max_in_flight_per_bot=role.max_in_flight_per_bot,
        expected_rejects=frozenset(role.expected_rejects),
        shared_client_id=(
            f"{source.run_id}-role-{role.name}" if role.client_id == "shared" else None
        ),
    )


def _load(
    load: RoleLoad,
    role_window: ActiveWindow | None,
    seed: int,
    *,
    name: str,
    where: str,
    base_dir: str,
    files: hashlib._Hash,
    capacity: float | None,
) -> ArrivalPlan | Share | SessionPlan:
    window = load.active if load.active is not None else role_window
    if isinstance(load, ClosedLoad):
        if window is not None:
            raise PlanInvalid(
                "a closed load runs for its `seconds` from the start: an active window is "
                "not applied to it",
                file=name,
                path=f"{where}.active",
                fix="drop `active` (here or on the role) and set `seconds`, or use an open load",
            )
        return SessionPlan(
            load.sessions, _think(load.think_time), load.seconds, seed=seed, drain_s=load.drain_s
        )

    def rate(rate_per_s: float | None, fraction: float | None, path: str) -> float:
        """An absolute rate, or a fraction of C_tx (the one place fractions are resolved)."""
        if fraction is None:
            assert rate_per_s is not None  # the load model asks for one of the two
            return rate_per_s
        if capacity is None:
            raise CapacityUnknown(
                "this size gives rates as a fraction of C_tx, and no C_tx is known for the "
                "target and its version",
                file=name,
                path=path,
                fix="run capacity_ramp on this target first (testbots run capacity_ramp "
                "--target …), or pick a size with rate_per_s",
            )
        return fraction * capacity

    if isinstance(load, ConstantLoad):
        stages = [Stage("hold", load.seconds, rate(load.rate_per_s, load.capacity_fraction, where))]
        if load.drain_s:
            stages.append(Stage("drain", load.drain_s))
        return _window(ramping(stages), window)
    if isinstance(load, RampingLoad | PoissonLoad):
        staged = [
            Stage(stage.kind, stage.seconds)
            if stage.kind == "drain"
            else Stage(
                stage.kind,
                stage.seconds,
                rate(stage.rate_per_s, stage.capacity_fraction, f"{where}.stages[{i}]"),
            )
            for i, stage in enumerate(load.stages)
        ]
        plan = ramping(staged) if isinstance(load, RampingLoad) else poisson_stages(staged, seed)
        return _window(plan, window)
    if isinstance(load, SteppedLoad):
        if load.rates_per_s is not None:
            rates = list(load.rates_per_s)
        else:
            fractions = load.capacity_fractions or ()
            rates = [
                rate(None, f, f"{where}.capacity_fractions[{i}]") for i, f in enumerate(fractions)
            ]
        steps = [Stage("hold", load.step_s, r) for r in rates]
        if load.drain_s:
            steps.append(Stage("drain", load.drain_s))
        return _window(ramping(steps), window)
    if isinstance(load, RoundsLoad):
        barrier = rounds(
            load.every_s, load.rounds, load.per_round, first_s=load.first_s, drain_s=load.drain_s
        )
        return _window(barrier, window)
    assert isinstance(load, TraceLoad)
    path = Path(base_dir) / load.file
    try:
        replay = trace(path, speed=load.speed, drain_s=load.drain_s)
        files.update(path.read_bytes())
    except (TraceError, OSError) as exc:
        raise PlanInvalid(
            f"the trace cannot be replayed: {exc}",
            file=name,
            path=f"{where}.file",
            fix="give a CSV or JSONL file next to the scenario, one row per arrival, in time order",
        ) from None
    return _window(replay, window)


def _think(spec: ThinkTimeSpec) -> ThinkTime:
    if spec.distribution == "uniform":
        assert spec.min_s is not None and spec.max_s is not None
        return ThinkTime((spec.min_s + spec.max_s) / 2, "uniform", low_s=spec.min_s)
    assert spec.mean_s is not None
    return ThinkTime(spec.mean_s, spec.distribution)


def _window(plan: ArrivalPlan, active: ActiveWindow | None) -> ArrivalPlan | Share:
    if active is None:
        return plan
    share = plan.whole().after(active.from_s)
    return share.before(active.until_s) if active.until_s is not None else share


def hash_seed(text: str) -> int:
    """A stable integer seed from text (Python's hash() is salted per process)."""
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")
