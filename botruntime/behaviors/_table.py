"""The one registry every built-in behaviour registers into."""

from typing import Final

from botruntime.behaviors._registry import BehaviorRegistry

__all__ = ["BEHAVIORS", "behavior"]

BEHAVIORS: Final = BehaviorRegistry()
behavior: Final = BEHAVIORS.register
