"""Clients badly written on purpose, each run beside a disciplined cohort doing the same work
correctly (SCENARIOS.md §5): the network must protect itself and its disciplined clients."""

from botruntime.behaviors.antipattern import churn, stale

__all__ = ["churn", "stale"]
