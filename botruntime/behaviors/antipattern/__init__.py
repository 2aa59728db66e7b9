"""Anti-patterns: clients badly written on purpose, each next to a disciplined cohort doing the
same work correctly (SCENARIOS.md §5)."""

from botruntime.behaviors.antipattern import hot

__all__ = ["hot"]
