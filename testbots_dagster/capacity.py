"""The asset `capacity`: C_tx per target and network version, downstream of capacity_ramp.

Its values are the ones every run is sized from: `botruntime.runs.stored_capacities` over the
reports under TESTBOTS_HOME (`testbots run` and every Dagster run write them), the same rule
`setup` uses to resolve a size given as fractions of C_tx. One metadata entry per target and
version (`c_tx/<target>@<version>`, tx/s) plots how each network's capacity moves; the table
says which run measured it.
"""

# No `from __future__ import annotations`: Dagster resolves the asset function's annotations.

from collections.abc import Mapping
from datetime import UTC, datetime

import dagster as dg

from botruntime.runs import CAPACITY_SCENARIO, Capacity, stored_capacities
from testbots_dagster.reports import REPORTS_GROUP
from testbots_dagster.resources import testbots_home

__all__ = ["build_capacity", "capacity_metadata"]

_COLUMNS = (
    dg.TableColumn("target", "string"),
    dg.TableColumn("version", "string"),
    dg.TableColumn("c_tx_per_s", "float"),
    dg.TableColumn("run_id", "string"),
    dg.TableColumn("size", "string"),
    dg.TableColumn("measured", "string"),
)


def build_capacity(scenario_key: dg.AssetKey) -> dg.AssetsDefinition:
    """`capacity`, downstream of the capacity_ramp scenario asset `scenario_key`."""

    @dg.asset(
        name="capacity",
        deps=[scenario_key],
        group_name=REPORTS_GROUP,
        kinds={"python"},
        description=f"C_tx per target and network version: the latest {CAPACITY_SCENARIO} "
        "result of each, which sizes every run whose rates are fractions of C_tx.",
    )
    def capacity() -> dg.MaterializeResult:
        return dg.MaterializeResult(
            metadata=capacity_metadata(stored_capacities(testbots_home() / "runs"))
        )

    return capacity


def capacity_metadata(
    found: Mapping[tuple[str, str], Capacity],
) -> "dict[str, dg.RawMetadataValue]":
    rows = [
        dg.TableRecord(
            {
                "target": c.target,
                "version": c.version or "(none given)",
                "c_tx_per_s": c.c_tx_per_s,
                "run_id": c.run_id,
                "size": c.size,
                "measured": datetime.fromtimestamp(c.measured_at_s, UTC).strftime(
                    "%Y-%m-%d %H:%M:%S"
                ),
            }
        )
        for _, c in sorted(found.items())
    ]
    return {
        "capacities": dg.MetadataValue.table(rows, schema=dg.TableSchema(list(_COLUMNS))),
        "targets": len(found),
        **{
            f"c_tx/{target}@{version or 'unversioned'}": c.c_tx_per_s
            for (target, version), c in sorted(found.items())
        },
    }
