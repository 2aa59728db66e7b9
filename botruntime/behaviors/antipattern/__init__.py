"""Anti-patterns: clients badly written on purpose, each next to a disciplined cohort doing
the same work correctly (SCENARIOS.md §5)."""

from botruntime.behaviors.antipattern import nonce_gap

__all__ = ["nonce_gap"]
