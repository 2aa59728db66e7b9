"""`detection_power`: how many of the mutants the scenarios name are killed (SCENARIOS.md §1.5).

Each (scenario, switch) pair a criterion's `kills` names is judged from its latest run in the
results store with exactly that switch on (the weekly sweep at default size, `make mutation`
at smoke size, or any run with `--simnet-vuln`), by `botruntime.runs.judge_pair`. The scores
are numbers under labels that never change, so the UI plots the detection power over time;
a markdown table gives each pair's outcome and the run it comes from. The catch-all mutants of
the scenarios tagged `catch_all` are judged alike and listed in the table, outside the score;
`catch_all_survivors` counts those that survived (the WARNs).
"""

# No `from __future__ import annotations`: Dagster resolves the asset function's annotations.

from collections.abc import Sequence
from datetime import UTC, datetime

import dagster as dg

from botruntime.runs import DetectionPower, MutationPair, PairOutcome, judge_pair
from testbots_dagster.factory import BuiltScenario
from testbots_dagster.reports import REPORTS_GROUP
from testbots_dagster.resources import ResultsStoreResource
from testbots_dagster.results_store import ResultsStore

__all__ = ["build_detection_power", "latest_outcomes", "outcomes_markdown"]


def build_detection_power(built: Sequence[BuiltScenario]) -> dg.AssetsDefinition:
    pairs = [pair for b in built for pair in (*b.pairs, *b.catch_all)]

    @dg.asset(
        deps=[b.key for b in built],
        group_name=REPORTS_GROUP,
        kinds={"python"},
        description="Mutants killed: every (scenario, switch) pair a criterion's kills names, "
        "judged from its latest run with that switch on; and simnet switches killed.",
    )
    def detection_power(results: ResultsStoreResource) -> dg.MaterializeResult:
        power = DetectionPower(tuple(latest_outcomes(results.store, pairs)))
        return dg.MaterializeResult(
            metadata={
                "pair_score": round(power.pair_score, 4),
                "pairs_killed": power.pairs_killed,
                "pairs_named": power.pairs_named,
                "pairs_survived": len(power.with_status("survived")),
                "pairs_not_shown": power.pairs_named - power.pairs_killed,
                "switch_score": round(power.switch_score, 4),
                "switches_killed": power.switches_killed,
                "switches_in_simnet": power.switches_in_simnet,
                "catch_all_survivors": len(power.survivors),
                "score": dg.MetadataValue.md("\n".join(power.score_lines())),
                "pairs": dg.MetadataValue.md(outcomes_markdown(power.outcomes)),
            }
        )

    return detection_power


def latest_outcomes(store: ResultsStore, pairs: Sequence[MutationPair]) -> list[PairOutcome]:
    """Each pair judged from its newest run with exactly its switch on (not run: none yet)."""
    mutants = {
        scenario_id: store.history(scenario_id, mutant=True, limit=None)
        for scenario_id in {p.scenario_id for p in pairs}
    }
    outcomes = []
    for pair in pairs:
        newest = next((r for r in mutants[pair.scenario_id] if r.switches == (pair.switch,)), None)
        outcomes.append(judge_pair(pair, store.get(newest.run_id) if newest else None))
    return outcomes


def outcomes_markdown(outcomes: Sequence[PairOutcome]) -> str:
    lines = [
        "| scenario | switch | named by | outcome | verdict | size | run | started | why |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for o in outcomes:
        started = (
            datetime.fromtimestamp(o.started_at_s, UTC).strftime("%Y-%m-%d %H:%M")
            if o.started_at_s is not None
            else "-"
        )
        cells = (
            o.pair.scenario_id,
            o.pair.switch,
            "(catch-all)" if o.pair.catch_all else ", ".join(o.pair.criteria),
            o.status.replace("_", " ")
            if o.killed
            else f"**{o.status.replace('_', ' ')}**" + (" (WARN)" if o.warns else ""),
            o.verdict or "-",
            o.size or "-",
            f"`{o.run_id}`" if o.run_id else "-",
            started,
            o.detail.replace("|", "\\|"),
        )
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
