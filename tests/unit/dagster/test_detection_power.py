"""detection_power over a real store, in process."""

import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import dagster as dg

from botruntime.runs import MutationPair, RunReport, catch_all_pairs
from testbots_dagster.detection import build_detection_power
from testbots_dagster.factory import build_scenario, load_sources
from testbots_dagster.resources import ResultsStoreResource
from testbots_dagster.results_store import ResultsStore

MakeReport = Callable[..., RunReport]
REPO_SCENARIOS = Path(__file__).resolve().parents[3] / "scenarios"


def _failed(report: RunReport, *ids: str) -> RunReport:
    return replace(
        report,
        verdict="FAIL",
        exit_code=1,
        criteria=tuple(replace(c, status="fail") if c.id in ids else c for c in report.criteria),
    )


def test_detection_power_scores_each_pair_by_its_latest_mutant_run(
    tmp_path: Path, make_report: MakeReport
) -> None:
    with ResultsStore.at_home(tmp_path) as store:
        store.append(make_report(switches=("mempool_drop",)))  # older: survived
        store.append(_failed(make_report(switches=("mempool_drop",)), "C4_complete"))  # latest
        store.append(make_report(switches=("fee_leak",)))  # C6_invariants held: survived
        store.append(_failed(make_report(switches=("fee_leak", "mempool_drop")), "C6_invariants"))
        store.append(_failed(make_report(), "C4_complete"))  # no switch: not a mutant
        store.append(make_report(switches=("stale_reads",)))  # a catch-all mutant: survived
    # the two scenarios these runs belong to, whatever else the catalogue holds
    chosen = tmp_path / "scenarios"
    chosen.mkdir()
    for name in ("replay_attack.yaml", "transfer_baseline.yaml"):
        shutil.copy(REPO_SCENARIOS / name, chosen / name)
    built = [build_scenario(source) for source in load_sources(chosen)]
    # transfer_baseline as if tagged catch_all: its catch-all mutants are listed, not scored
    built = [
        replace(b, catch_all=tuple(p for p in _catch_all(chosen) if p.switch == "stale_reads"))
        if b.scenario_id == "transfer_baseline"
        else b
        for b in built
    ]
    result = dg.materialize(
        [build_detection_power(built)],
        resources={"results": ResultsStoreResource(home=str(tmp_path))},
        instance=dg.DagsterInstance.ephemeral(tempdir=str(tmp_path / "dagster")),
    )
    assert result.success
    (event,) = result.get_asset_materialization_events()
    metadata = {k: v.value for k, v in event.materialization.metadata.items()}
    # every (scenario, switch) its criteria name; transfer_baseline's two are the ones run
    named = sum(len(b.pairs) for b in built)
    assert (metadata["pairs_killed"], metadata["pairs_named"]) == (1, named)
    assert metadata["pair_score"] == round(1 / named, 4) and metadata["pairs_survived"] == 1
    assert metadata["pairs_not_shown"] == named - 1  # 1 survived, the others not run
    assert (metadata["switches_killed"], metadata["switches_in_simnet"]) == (1, 34)
    assert isinstance(metadata["switch_score"], float)  # numbers: the UI plots their history
    table = str(metadata["pairs"])
    assert "| transfer_baseline | mempool_drop | C4_completeness, C5_ledger_exact | killed |" in (
        table
    )
    assert "| transfer_baseline | fee_leak | C6_invariants | **survived** | PASS |" in table
    assert "| replay_attack | noncanonical_hash | C3_canonical_identity | **not run** |" in table
    assert f"1/{named} pairs killed ({100 / named:.0f}%)" in str(metadata["score"])
    assert metadata["catch_all_survivors"] == 1
    assert "| transfer_baseline | stale_reads | (catch-all) | **survived** (WARN) | PASS |" in (
        table
    )
    assert "catch-all of transfer_baseline: 0/1" in str(metadata["score"])


def _catch_all(folder: Path) -> list[MutationPair]:
    (source,) = [s for s in load_sources(folder) if s.id == "transfer_baseline"]
    return catch_all_pairs(source.loaded.scenario)
