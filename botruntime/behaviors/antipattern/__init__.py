"""Anti-patterns: clients badly written on purpose (SCENARIOS.md §1.1, §5). Each runs beside a
disciplined cohort doing the same work correctly; the scenario proves the network stays fair to
the well-written clients. Importing a module registers its behaviours; one module per line.
"""

from botruntime.behaviors.antipattern import retries  # noqa: F401  (R1 retry_storm_herd)
