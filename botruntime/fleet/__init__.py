"""The bots of one run in one process: context, intents, commit tracking and executors."""

from botruntime.fleet._commits import CommitWatcher, Landed
from botruntime.fleet._context import Chains, ChainSide, FleetContext, Peers
from botruntime.fleet._fleet import Fleet, FleetSpec, RoleRun
from botruntime.fleet._intent import Intent
from botruntime.fleet._plans import role_bots, role_plan

__all__ = [
    "ChainSide",
    "Chains",
    "CommitWatcher",
    "Fleet",
    "FleetContext",
    "FleetSpec",
    "Intent",
    "Landed",
    "Peers",
    "RoleRun",
    "role_bots",
    "role_plan",
]
