"""The one place that builds the Definitions of the testbots code location.

Loaded by `workspace.yaml` (`dagster dev -w workspace.yaml`). `defs` is lazy (`@dg.definitions`):
importing this module reads nothing; Dagster calls it when the code location loads, which
reads and validates `scenarios/*.yaml` (a bad file shows as a stand-in asset naming file, field
and fix; the other scenarios load).

Environment, read at load time and only for resources:
- TESTBOTS_SCENARIOS     the scenarios folder (default: the repo's scenarios/)
- TESTBOTS_RESULTS_URL   when set, the results store URL, resolved at run time via EnvVar
                         (a Postgres password never enters the run config); otherwise SQLite
                         under TESTBOTS_HOME
- TESTBOTS_COORDINATOR   when set (HOST:PORT), runs go to that running coordinator and its
                         workers, with the token in TESTBOTS_TOKEN (both read at run time);
                         otherwise each run starts its own (embedded)
"""

# No `from __future__ import annotations`: definitions built here are read by Dagster.

import logging
import os
from pathlib import Path

import dagster as dg

from botruntime.runs import CAPACITY_SCENARIO
from botruntime.scenario import find_scenarios_dir
from testbots_dagster._head_start import COORDINATOR_ENV, HeadStart
from testbots_dagster.factory import (
    FLEET_TAG,
    build_rejected,
    build_scenario,
    read_catalogue,
    read_source,
)
from testbots_dagster.resources import (
    CoordinatorResource,
    ResultsStoreResource,
    TargetResource,
)

__all__ = [
    "COORDINATOR_ENV",
    "RESULTS_URL_ENV",
    "TOKEN_ENV",
    "build_definitions",
    "build_job_definitions",
    "defs",
]

_log = logging.getLogger("testbots_dagster")

RESULTS_URL_ENV = "TESTBOTS_RESULTS_URL"
TOKEN_ENV = "TESTBOTS_TOKEN"


def build_definitions(scenarios_dir: Path) -> dg.Definitions:
    # imported here, not at the top: the reports (pandas), schedules and sensors are the UI's,
    # and `make run` (`build_job_definitions`) starts faster without them (~0.5 s)
    from testbots_dagster.capacity import build_capacity
    from testbots_dagster.coverage import build_coverage
    from testbots_dagster.detection import build_detection_power
    from testbots_dagster.reports import build_reports
    from testbots_dagster.schedules import build_schedules
    from testbots_dagster.sensors import build_sensors

    catalogue = read_catalogue(scenarios_dir)
    sources = catalogue.sources
    for error in catalogue.rejected:
        _log.warning("%s", error)  # also in `dagster dev`'s log as the location loads
    built = [build_scenario(source) for source in sources]
    fleet_job = dg.define_asset_job(
        "all_scenarios",
        selection=dg.AssetSelection.assets(*(b.key for b in built)),
        description="Any scenario asset; the schedules pick one per run (asset_selection).",
        tags={FLEET_TAG: "exclusive"},
    )
    reports = [*build_reports([b.key for b in built]), build_detection_power(built)]
    reports += [build_capacity(b.key) for b in built if b.scenario_id == CAPACITY_SCENARIO]
    reports_job = dg.define_asset_job(
        "refresh_reports", selection=dg.AssetSelection.assets(*reports)
    )
    coverage = build_coverage([source.loaded.scenario for source in sources])
    return dg.Definitions(
        assets=[
            *(b.asset for b in built),
            *map(build_rejected, catalogue.rejected),
            *reports,
            coverage,
        ],
        asset_checks=[check for b in built for check in b.checks],
        jobs=[*(b.job for b in built), fleet_job, reports_job],
        schedules=build_schedules(built, fleet_job),
        sensors=build_sensors(reports_job),
        resources=_resources(),
    )


def build_job_definitions(
    scenarios_dir: Path, scenario_id: str, head_start: HeadStart | None = None
) -> dg.Definitions:
    """What running one scenario's job needs: its asset, checks and job, built as
    `build_definitions` builds them, and the resources. `python -m testbots_dagster` (`make
    run`) loads this: the whole catalogue (every scenario file validated, every asset, the
    reports, schedules and sensors) is the UI's code location, and building it is most of
    what Dagster added to a run. No job when no file has that id. `head_start`: the cluster
    the entry started for its run before Dagster loaded."""
    source = read_source(scenarios_dir, scenario_id)
    if source is None:
        return dg.Definitions(resources=_resources(head_start))
    built = build_scenario(source)
    return dg.Definitions(
        assets=[built.asset],
        asset_checks=list(built.checks),
        jobs=[built.job],
        resources=_resources(head_start),
    )


def _resources(head_start: HeadStart | None = None) -> dict[str, object]:
    results_url = dg.EnvVar(RESULTS_URL_ENV) if os.environ.get(RESULTS_URL_ENV) else ""
    coordinator = (
        CoordinatorResource(
            mode="external", address=dg.EnvVar(COORDINATOR_ENV), token=dg.EnvVar(TOKEN_ENV)
        )
        if os.environ.get(COORDINATOR_ENV)
        else CoordinatorResource()
    )
    return {
        "target": TargetResource(),
        "coordinator": coordinator,
        "results": ResultsStoreResource(url=results_url),
        "head_start": dg.ResourceDefinition.hardcoded_resource(
            head_start or HeadStart(),
            description="the coordinator and workers `make run` started for its run before "
            "Dagster loaded, adopted by setup; none for a run launched here",
        ),
    }


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions(find_scenarios_dir())
