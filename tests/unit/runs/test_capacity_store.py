"""C_tx as the results store keeps it: capacity_ramp's latest result per target and version,
and the typed error a run needing it gets when there is none."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import anyio
import pytest

from botruntime.local import simnet_version
from botruntime.plan import CapacityUnknown, parse_target
from botruntime.runs import CAPACITY_SCENARIO, capacity_of, find_capacity, latest_capacities
from botruntime.runs._capacity_store import network_version, resolve_capacity
from botruntime.runs.report import RunReport

SIMNET = parse_target("simnet")


def _report(
    run_id: str, c_tx: float | None = 140.0, *, started: float = 1.0, **kw: object
) -> RunReport:
    base = RunReport(
        run_id=run_id,
        scenario_id=CAPACITY_SCENARIO,
        scenario_hash="h",
        size="default",
        target="simnet",
        seed="1",
        switches=(),
        git_sha=None,
        started_at_s=started,
        ended_at_s=started + 1,
        verdict="PASS",
        exit_code=0,
        criteria=(),
        summary={} if c_tx is None else {"capacity_c_tx": c_tx},
        network_version="1.0",
    )
    return dataclasses.replace(base, **kw)  # type: ignore[arg-type]


def test_a_valid_capacity_ramp_run_publishes_its_c_tx_for_its_target_and_version() -> None:
    found = capacity_of(_report("r1"))
    assert found is not None
    assert (found.target, found.version, found.c_tx_per_s, found.run_id) == (
        "simnet",
        "1.0",
        140.0,
        "r1",
    )


@pytest.mark.parametrize(
    "changes",
    [
        {"scenario_id": "transfer_baseline"},
        {"verdict": "INCONCLUSIVE"},
        {"switches": ("mempool_unbounded_fifo",)},
        {"summary": {}},
        {"summary": {"capacity_c_tx": 0.0}},
    ],
)
def test_other_runs_publish_no_capacity(changes: dict[str, object]) -> None:
    assert capacity_of(dataclasses.replace(_report("r1"), **changes)) is None  # type: ignore[arg-type]


def test_a_failed_run_still_measured_its_network() -> None:
    assert capacity_of(_report("r1", verdict="FAIL")) is not None


def test_the_newest_run_of_each_target_and_version_wins() -> None:
    reports = [
        _report("old", 100.0, started=1.0),
        _report("new", 140.0, started=2.0),
        _report("other-version", 60.0, started=3.0, network_version="2.0"),
        _report("real", 900.0, started=4.0, target="alpha=http://10.0.0.5:26600"),
    ]
    latest = latest_capacities(reports)
    assert {key: c.run_id for key, c in latest.items()} == {
        ("simnet", "1.0"): "new",
        ("simnet", "2.0"): "other-version",
        ("alpha=http://10.0.0.5:26600", "1.0"): "real",
    }


def test_find_capacity_reads_the_reports_runs_leave(tmp_path: Path) -> None:
    _report("r1", 120.0, started=1.0).write(tmp_path)
    _report("r2", 130.0, started=2.0).write(tmp_path)
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "report.json").write_text("{not json")
    found = find_capacity(tmp_path, "simnet", "1.0")
    assert found is not None and (found.run_id, found.c_tx_per_s) == ("r2", 130.0)
    assert find_capacity(tmp_path, "simnet", "9.9") is None


def test_simnet_s_version_is_known_before_it_starts() -> None:
    assert anyio.run(network_version, SIMNET) == simnet_version() != ""


def test_without_a_stored_c_tx_the_run_is_refused_naming_the_field_target_and_fix(
    tmp_path: Path,
) -> None:
    unknown = CapacityUnknown("needs C_tx", file="s.yaml", path="sizes.full.load.u", fix="x")
    with pytest.raises(CapacityUnknown) as refused:
        anyio.run(resolve_capacity, SIMNET, tmp_path, unknown)
    assert (refused.value.file, refused.value.path) == ("s.yaml", "sizes.full.load.u")
    assert "'simnet'" in str(refused.value) and simnet_version() in str(refused.value)
    assert "run capacity_ramp on this target first" in refused.value.fix


def test_with_a_stored_c_tx_for_this_simnet_the_run_gets_it(tmp_path: Path) -> None:
    _report("r1", 140.0, network_version=simnet_version()).write(tmp_path)
    unknown = CapacityUnknown("needs C_tx", file="s.yaml", path="p", fix="x")
    found = anyio.run(resolve_capacity, SIMNET, tmp_path, unknown)
    assert found.c_tx_per_s == 140.0 and found.run_id == "r1"
