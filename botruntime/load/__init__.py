"""Load: *when* each action happens. Behaviours decide *what* (DESIGN §5, STYLE).

Open loop (independent users): an arrival plan — `constant`, `ramping`, `poisson`, `rounds`,
`trace` —
run by `OpenLoop`, which calls `action(intended_ts, slot)` at each arrival's time; latency is
measured from `intended_ts`. Closed loop (human-paced): `SessionPlan` run by `ClosedLoop`.
Plans and session plans `split(weights)` into shares whose union is exactly the plan, so a
coordinator can hand them to workers and split a lost worker's remainder over the others:

    shares = plan.split([2, 1, 1])              # three workers, the first twice as big
    lost = shares[1]                            # worker 1 lost at t = 30 s
    extra = lost.after(30.0).split([2, 1])      # its remainder, to workers 0 and 2
    worker0 = MergedShares((shares[0], extra[0]))
"""

from botruntime.load._closed_loop import (
    ClosedLoop,
    SessionPlan,
    SessionRange,
    SessionShare,
    ThinkTime,
)
from botruntime.load._errors import LoadError, PlanError, TraceError
from botruntime.load._open_loop import OpenLoop
from botruntime.load._plans import (
    ArrivalPlan,
    Arrivals,
    MergedShares,
    PoissonPlan,
    ProfilePlan,
    RoundsPlan,
    Share,
    constant,
    poisson,
    poisson_stages,
    ramping,
    rounds,
)
from botruntime.load._profile import RateProfile, Span, Stage
from botruntime.load._tally import Action, LoopReport
from botruntime.load._trace import TracePlan, trace

__all__ = [
    "Action",
    "ArrivalPlan",
    "Arrivals",
    "ClosedLoop",
    "LoadError",
    "LoopReport",
    "MergedShares",
    "OpenLoop",
    "PlanError",
    "PoissonPlan",
    "ProfilePlan",
    "RateProfile",
    "RoundsPlan",
    "SessionPlan",
    "SessionRange",
    "SessionShare",
    "Share",
    "Span",
    "Stage",
    "ThinkTime",
    "TraceError",
    "TracePlan",
    "constant",
    "poisson",
    "poisson_stages",
    "ramping",
    "rounds",
    "trace",
]
