"""A run's plan, compiled once from its inputs and read by everything downstream (DESIGN §5).

source = PlanSource(scenario_yaml, "default", seed="", target=target, run_id=run_id)
plan = compile_plan(source)            # validates once; ScenarioError names file and fix
part = plan.part(range(0, 40), [ShareLevel(0, (40, 60))])   # a worker's bots and share
"""

from botruntime.plan._compile import CapacityUnknown, PlanInvalid, compile_plan, hash_seed
from botruntime.plan._plan import (
    CrewPlan,
    PlanPart,
    PlanSource,
    RolePart,
    RolePlan,
    RoleShare,
    RunPlan,
    Segment,
    ShareLevel,
    WorkerLossPolicy,
)
from botruntime.plan._target import Target, TargetInvalid, parse_target

__all__ = [
    "CapacityUnknown",
    "CrewPlan",
    "PlanInvalid",
    "PlanPart",
    "PlanSource",
    "RolePart",
    "RolePlan",
    "RoleShare",
    "RunPlan",
    "Segment",
    "ShareLevel",
    "Target",
    "TargetInvalid",
    "WorkerLossPolicy",
    "compile_plan",
    "hash_seed",
    "parse_target",
]
