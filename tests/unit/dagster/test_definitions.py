"""The code location: one asset, job and four checks per scenario file; bad files fail the load."""

import datetime as dt
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
import yaml

from botruntime.scenario import VULN_SWITCHES
from testbots_dagster.checks import CHECK_NAMES
from testbots_dagster.definitions import build_definitions, build_job_definitions, defs
from testbots_dagster.factory import (
    FLEET_TAG,
    LOAD_ERROR_TAG,
    ScenarioLoadError,
    build_scenario,
    load_sources,
)

REPO_SCENARIOS = Path(__file__).resolve().parents[3] / "scenarios"
SCENARIO_IDS = sorted(p.stem for p in REPO_SCENARIOS.glob("*.yaml"))


@pytest.fixture(scope="module")
def definitions() -> dg.Definitions:
    return build_definitions(REPO_SCENARIOS)


@pytest.fixture
def scenarios_dir(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "scenarios"
    shutil.copytree(REPO_SCENARIOS, folder)
    yield folder


def _document(scenario_id: str) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((REPO_SCENARIOS / f"{scenario_id}.yaml").read_text())
    return document


def test_the_lazy_defs_load_the_repo_scenarios() -> None:
    loaded = defs()
    dg.Definitions.validate_loadable(loaded)
    assert {f"scenario_{i}" for i in SCENARIO_IDS} <= {j.name for j in loaded.jobs or []}


def test_one_asset_job_and_four_checks_per_scenario_file(definitions: dg.Definitions) -> None:
    assert {"replay_attack", "transfer_baseline"} <= set(SCENARIO_IDS)
    graph = definitions.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert keys == {
        *(f"scenarios/{i}" for i in SCENARIO_IDS),
        "run_history",
        "regression_report",
        "detection_power",
        "coverage",
        "capacity",
    }
    for scenario_id in SCENARIO_IDS:
        key = dg.AssetKey(["scenarios", scenario_id])
        checks = {c.name for c in graph.asset_check_keys if c.asset_key == key}
        assert checks == set(CHECK_NAMES)
        job = definitions.resolve_job_def(f"scenario_{scenario_id}")
        assert job.tags[FLEET_TAG] == "exclusive"
        assert job.executor_def.name == "multi_or_in_process_executor"  # any executor works
        assert key in job.asset_layer.asset_graph.get_all_asset_keys()
    upstream = graph.get(dg.AssetKey("run_history")).parent_keys
    assert upstream == {dg.AssetKey(["scenarios", i]) for i in SCENARIO_IDS}
    assert {s.name for s in definitions.schedules or []} == {
        "nightly_regression",
        "weekly_mutation_sweep",
    }
    assert {s.name for s in definitions.sensors or []} == {
        "scenario_failure_report",
        "stack_reaper",
        "false_alarm_report",
        "refresh_reports",
    }


def test_the_launchpad_preset_is_the_scenario_file(definitions: dg.Definitions) -> None:
    job = definitions.resolve_job_def("scenario_transfer_baseline")
    config = job.run_config["ops"]["scenarios__transfer_baseline"]["config"]
    on_disk = yaml.safe_load((REPO_SCENARIOS / "transfer_baseline.yaml").read_text())
    assert config == {
        "size": "default",
        "seed": None,
        "switches": [],
        "target": "",
        "scenario": on_disk,
    }
    # what a user changes most comes first, then the document in the file's own key order
    assert list(config) == ["size", "seed", "switches", "target", "scenario"]
    assert list(config["scenario"]) == list(on_disk)


def test_one_scenarios_job_alone_is_the_catalogues_job(definitions: dg.Definitions) -> None:
    """What `make run` loads (one scenario) runs the same job as the whole code location."""
    alone = build_job_definitions(REPO_SCENARIOS, "transfer_baseline")
    (job,) = [j for j in alone.resolve_all_job_defs() if not j.name.startswith("__")]
    whole = definitions.resolve_job_def("scenario_transfer_baseline")
    assert job.name == whole.name and job.run_config == whole.run_config
    assert job.tags == whole.tags
    key = dg.AssetKey(["scenarios", "transfer_baseline"])
    assert alone.resolve_assets_def(key).node_def.name == "scenarios__transfer_baseline"
    checks = {c.name for c in alone.resolve_asset_graph().asset_check_keys if c.asset_key == key}
    assert checks == set(CHECK_NAMES)
    assert job.executor_def.name == whole.executor_def.name
    assert set(alone.resources or {}) == set(definitions.resources or {})


def test_one_scenarios_job_alone_refuses_a_bad_file_and_has_none_for_no_file(
    scenarios_dir: Path,
) -> None:
    path = scenarios_dir / "transfer_baseline.yaml"
    path.write_text(re.sub(r"bots: \d+", "bots: -3", path.read_text(), count=1))
    with pytest.raises(ScenarioLoadError, match=r"sizes\.smoke\.bots"):
        build_job_definitions(scenarios_dir, "transfer_baseline")
    alone = build_job_definitions(scenarios_dir, "no_such_scenario")
    assert not [j for j in alone.resolve_all_job_defs() if not j.name.startswith("__")]


def test_primary_switch_and_nightly_come_from_the_yaml(scenarios_dir: Path) -> None:
    built = {b.scenario_id: b for b in map(build_scenario, load_sources(scenarios_dir))}
    assert built["transfer_baseline"].primary_switch == "mempool_drop"
    assert built["replay_attack"].primary_switch == "nonce_not_enforced"
    assert built["transfer_baseline"].nightly and built["replay_attack"].nightly


def test_a_bad_scenario_file_shows_its_error_and_the_others_load(scenarios_dir: Path) -> None:
    path = scenarios_dir / "transfer_baseline.yaml"
    path.write_text(re.sub(r"bots: \d+", "bots: -3", path.read_text(), count=1))
    defs = build_definitions(scenarios_dir)
    jobs = {job.name for job in defs.resolve_all_job_defs()}
    others = [s for s in SCENARIO_IDS if s != "transfer_baseline"]
    assert {f"scenario_{s}" for s in others} <= jobs and "scenario_transfer_baseline" not in jobs
    stand_in = defs.resolve_assets_def(dg.AssetKey(["scenarios", "transfer_baseline"]))
    spec = next(iter(stand_in.specs))
    assert not stand_in.is_executable and LOAD_ERROR_TAG in spec.tags
    description = spec.description or ""
    assert str(path) in description and "sizes.smoke.bots" in description
    assert "Fix:" in description
    assert spec.metadata["scenario_file"] == dg.MetadataValue.path(str(path))
    with pytest.raises(ScenarioLoadError) as caught:  # the strict reading still refuses
        load_sources(scenarios_dir)
    assert caught.value.file == str(path) and caught.value.stem == "transfer_baseline"


def test_a_file_whose_id_differs_from_its_name_fails_the_load(scenarios_dir: Path) -> None:
    shutil.copy(scenarios_dir / "replay_attack.yaml", scenarios_dir / "replay_copy.yaml")
    with pytest.raises(ScenarioLoadError, match=r"replay_copy.yaml: id: 'replay_attack' differs"):
        load_sources(scenarios_dir)


def test_an_empty_scenarios_folder_fails_the_load(tmp_path: Path) -> None:
    with pytest.raises(ScenarioLoadError, match="no scenario files"):
        load_sources(tmp_path)


def test_nightly_schedule_requests_one_run_per_nightly_scenario_keyed_by_date(
    definitions: dg.Definitions,
) -> None:
    schedule = definitions.resolve_schedule_def("nightly_regression")

    def tick(day: int) -> list[dg.RunRequest]:
        when = dt.datetime(2026, 1, day, 2, 0, tzinfo=dt.UTC)
        context = dg.build_schedule_context(scheduled_execution_time=when)
        return list(schedule.evaluate_tick(context).run_requests or [])

    first = [r for r in tick(2) if r.tags["testbots/trigger"] == "nightly"]
    nightly = [i for i in SCENARIO_IDS if "nightly" in _document(i).get("tags", [])]
    assert {"replay_attack", "transfer_baseline"} <= set(nightly)
    assert sorted(r.run_key or "" for r in first) == [f"nightly-2026-01-02-{i}" for i in nightly]
    assert sorted(tuple(r.asset_selection or ()) for r in first) == [
        (dg.AssetKey(["scenarios", i]),) for i in nightly
    ]
    assert [r.run_key for r in tick(2)][: len(first)] == [r.run_key for r in first]  # same keys
    assert {r.run_key for r in tick(3)}.isdisjoint({r.run_key for r in tick(2)})


def test_the_nightly_regression_runs_by_default_and_the_mutation_sweep_is_opt_in(
    definitions: dg.Definitions,
) -> None:
    """Once the daemon runs, nightly regression needs no click; turning defences off does."""
    nightly = definitions.resolve_schedule_def("nightly_regression")
    sweep = definitions.resolve_schedule_def("weekly_mutation_sweep")
    assert nightly.default_status is dg.DefaultScheduleStatus.RUNNING
    assert sweep.default_status is dg.DefaultScheduleStatus.STOPPED


def test_every_night_each_scenario_runs_at_smoke_size_with_three_seeds_on_default_simnet(
    definitions: dg.Definitions,
) -> None:
    schedule = definitions.resolve_schedule_def("nightly_regression")
    when = dt.datetime(2026, 1, 2, 2, 0, tzinfo=dt.UTC)
    requests = schedule.evaluate_tick(dg.build_schedule_context(scheduled_execution_time=when))
    probes = [
        r for r in requests.run_requests or [] if r.tags["testbots/trigger"] == "false_alarm_probe"
    ]
    assert len(probes) == 3 * len(SCENARIO_IDS)
    configs = {}
    for r in probes:
        scenario_id = r.tags["testbots/scenario"]
        config = r.run_config["ops"][f"scenarios__{scenario_id}"]["config"]
        assert (config["size"], config["switches"], config["target"]) == ("smoke", [], "simnet")
        assert r.tags["testbots/seed"] == config["seed"]
        assert r.asset_selection == [dg.AssetKey(["scenarios", scenario_id])]
        configs.setdefault(scenario_id, []).append(config["seed"])
    assert configs["transfer_baseline"] == [f"nightly-2026-01-02-{i}" for i in (1, 2, 3)]
    assert sorted(configs) == SCENARIO_IDS
    assert len({r.run_key for r in probes}) == len(probes)


def test_weekly_mutation_sweep_runs_every_named_pair_once_a_week(
    definitions: dg.Definitions,
) -> None:
    schedule = definitions.resolve_schedule_def("weekly_mutation_sweep")

    def tick(day: int) -> list[dg.RunRequest]:
        when = dt.datetime(2026, 1, day, 4, 0, tzinfo=dt.UTC)
        context = dg.build_schedule_context(scheduled_execution_time=when)
        return list(schedule.evaluate_tick(context).run_requests or [])

    everything = tick(3)
    requests = [r for r in everything if r.tags["testbots/trigger"] == "mutation"]
    pairs = []
    for r in requests:
        scenario_id = r.tags["testbots/scenario"]
        config = r.run_config["ops"][f"scenarios__{scenario_id}"]["config"]
        assert (config["size"], config["target"]) == ("default", "simnet")
        assert config["switches"] == [r.tags["testbots/switch"]]
        pairs.append(f"{scenario_id}/{config['switches'][0]}")
    # every scenario's pairs, scenarios in order, switches in the order their criteria name them
    assert pairs == [
        f"{i}/{switch}"
        for i in SCENARIO_IDS
        for switch in dict.fromkeys(
            k for c in _document(i)["verdict"]["criteria"] for k in c.get("kills", [])
        )
    ]
    assert [p for p in pairs if p.startswith("transfer_baseline/")] == [
        "transfer_baseline/mempool_drop",
        "transfer_baseline/fee_leak",
    ]
    first_pair = pairs[0].replace("/", "-")
    assert requests[0].run_key == f"mutation-2026-W01-{first_pair}"
    assert [r.run_key for r in tick(3)] == [r.run_key for r in everything]  # one run per week
    assert {r.run_key for r in tick(10)}.isdisjoint({r.run_key for r in everything})

    # and the catch-all of each scenario tagged catch_all: every switch none of its criteria
    # names, at smoke size
    catch_all = [r for r in everything if r.tags["testbots/trigger"] == "catch_all"]
    assert len(catch_all) + len(requests) == len(everything)
    tagged = [i for i in SCENARIO_IDS if "catch_all" in _document(i).get("tags", [])]
    assert "mixed_soak" in tagged
    expected = []
    for i in tagged:
        named = {k for c in _document(i)["verdict"]["criteria"] for k in c.get("kills", [])}
        expected += [f"{i}/{s}" for s in VULN_SWITCHES if s not in named]
    seen = []
    for r in catch_all:
        scenario_id = r.tags["testbots/scenario"]
        config = r.run_config["ops"][f"scenarios__{scenario_id}"]["config"]
        assert (config["size"], config["target"]) == ("smoke", "simnet")
        assert config["switches"] == [r.tags["testbots/switch"]]
        seen.append(f"{scenario_id}/{config['switches'][0]}")
    assert seen == expected
    assert catch_all[0].run_key == f"catch-all-2026-W01-{expected[0].replace('/', '-')}"


def test_the_instance_template_limits_fleet_runs_to_one(tmp_path: Path) -> None:
    shutil.copy(REPO_SCENARIOS.parent / "dagster.yaml", tmp_path / "dagster.yaml")
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        limits = instance.get_concurrency_config().run_queue_config.tag_concurrency_limits
    assert {"key": "testbots/fleet", "value": "exclusive", "limit": 1} in limits
