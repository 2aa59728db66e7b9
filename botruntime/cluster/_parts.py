"""From an assignment to the worker's part of the run's plan, compiling each run once.

A worker receives a run as its `PlanSource` and the coordinator's fingerprint of it. It
compiles the plan once per run (`compile_plan`, the one place bots and rates are decided),
checks that it got the plan the coordinator compiled, and takes its part of it.
"""

from __future__ import annotations

from collections import OrderedDict

from botruntime.cluster._errors import ProtocolViolation
from botruntime.cluster._types import Assignment
from botruntime.plan import PlanPart, RunPlan, compile_plan

__all__ = ["PlanCache"]


class PlanCache:
    """The plans of the last few runs this worker took part in, by run id."""

    def __init__(self, keep: int = 8) -> None:
        self._plans: OrderedDict[str, RunPlan] = OrderedDict()
        self._keep = keep

    def plan(self, assignment: Assignment) -> RunPlan:
        plan = self._plans.get(assignment.run_id)
        if plan is None or plan.fingerprint != assignment.plan_fingerprint:
            plan = compile_plan(assignment.source)
            if plan.fingerprint != assignment.plan_fingerprint:
                raise ProtocolViolation(
                    f"run {assignment.run_id}: this worker compiled plan {plan.fingerprint[:12]}, "
                    f"the coordinator {assignment.plan_fingerprint[:12]}: they disagree about "
                    "the run (different testbots versions?)"
                )
            self._plans[assignment.run_id] = plan
            while len(self._plans) > self._keep:
                self._plans.popitem(last=False)
        return plan

    def part(self, assignment: Assignment) -> PlanPart:
        """The assignment's bots and its share of the plan (none for a spawned bot)."""
        part = self.plan(assignment).part(
            assignment.bot_indices, assignment.share, assignment.plan_from_s
        )
        return part if assignment.share else part.idle()
