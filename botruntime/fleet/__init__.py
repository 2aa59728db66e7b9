"""The bots of one run in one process: context, intents, commit tracking and executors."""

from botruntime.fleet._commits import CommitWatcher, Landed
from botruntime.fleet._context import ChainClient, Chains, ChainSide, ClientIds, FleetContext, Peers
from botruntime.fleet._crews import CrewNote, Crews, CrewView
from botruntime.fleet._fleet import Fleet, FleetOutcome, RoleRun
from botruntime.fleet._intent import Intent
from botruntime.fleet._reads import ReadMemory
from botruntime.fleet._recent import CommitAudit, RecentTx, RecentTxs
from botruntime.fleet._streams import StreamCheck, StreamFindings, Subscription, Subscriptions

__all__ = [
    "ChainClient",
    "ChainSide",
    "Chains",
    "ClientIds",
    "CommitAudit",
    "CommitWatcher",
    "CrewNote",
    "CrewView",
    "Crews",
    "Fleet",
    "FleetContext",
    "FleetOutcome",
    "Intent",
    "Landed",
    "Peers",
    "ReadMemory",
    "RecentTx",
    "RecentTxs",
    "RoleRun",
    "StreamCheck",
    "StreamFindings",
    "Subscription",
    "Subscriptions",
]
