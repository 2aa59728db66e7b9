"""Whether a scenario names only registered behaviours: checked when a scenario is validated or
loaded (`testbots scenarios validate`, the Dagster code location), never first at run time.

The rule and its message live with the scenario loader (`validate_behaviours`); this binds it to
the registry, so every caller asks the same question of the same names.
"""

from __future__ import annotations

from botruntime.behaviors._table import BEHAVIORS
from botruntime.scenario import Scenario, validate_behaviours

__all__ = ["check_behaviours"]


def check_behaviours(scenario: Scenario, *, file: str = "") -> None:
    """Raise UnknownBehaviours (a ScenarioError) naming `file` (default `<id>.yaml`), the path
    of each unknown name (`roles[0].behaviours.sned_ax`), its close match and the known names."""
    validate_behaviours(scenario, set(BEHAVIORS), file)
