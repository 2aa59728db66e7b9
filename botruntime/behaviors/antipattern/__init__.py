"""Anti-patterns: clients written badly on purpose, each next to a disciplined cohort doing the
same work correctly (SCENARIOS.md §5). The network must protect itself from them."""

from botruntime.behaviors.antipattern import churn, hot, nonce_gap, polling, stale

__all__ = ["churn", "hot", "nonce_gap", "polling", "stale"]
