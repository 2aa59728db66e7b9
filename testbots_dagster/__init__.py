"""Dagster definitions for testbots: scenario jobs, result assets, checks and schedules.

Import the modules themselves (`testbots_dagster.definitions`, `testbots_dagster.results_store`,
…): this package's face stays empty so that reading results (`results_store`, no Dagster in it)
never pulls Dagster in.
"""

__all__: list[str] = []
