"""Mutation testing of the scenarios (SCENARIOS.md §1.5): the pairs, the rule, the score.

A criterion's `kills:` names the simnet switches it must detect; each (scenario, switch) so
named is a **pair**, and its mutant is a run of the scenario on simnet with that switch on.

    killed        a criterion naming the switch FAILed (the verdict is then FAIL, unless
                  that criterion is soft or not enforced at the size: the verdict shows it)
    survived      the run was sound and every criterion naming the switch held (or could
                  not be judged)
    inconclusive  the run was INCONCLUSIVE (a broken experiment proves nothing either way),
                  or it could not start or finish
    not_run       no run of the pair yet

One rule, here, for `testbots mutation`, the weekly mutation sweep, the `detection_power`
asset and the `detects_vulnerability` check. Detection power is pairs killed / pairs named,
and switches killed (by any pair) / switches simnet has.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final, Literal

from botruntime.runs.report import RunReport
from botruntime.scenario import VULN_SWITCHES, Scenario

__all__ = [
    "DetectionPower",
    "MutationPair",
    "PairOutcome",
    "PairStatus",
    "failed_to_run",
    "judge_pair",
    "judge_switch",
    "mutation_pairs",
    "select_pairs",
]

PairStatus = Literal["killed", "survived", "inconclusive", "not_run"]
_EXIT_ALL_KILLED, _EXIT_SURVIVED, _EXIT_INCONCLUSIVE = 0, 1, 3
_MARKS: Final[dict[PairStatus, str]] = {
    "killed": "killed",
    "survived": "SURVIVED",
    "inconclusive": "inconclusive",
    "not_run": "not run",
}


@dataclass(frozen=True, slots=True)
class MutationPair:
    """A switch a scenario must detect, and the criteria whose `kills` name it."""

    scenario_id: str
    switch: str
    criteria: tuple[str, ...]

    @property
    def name(self) -> str:
        return f"{self.scenario_id}/{self.switch}"


def mutation_pairs(scenarios: Iterable[Scenario]) -> list[MutationPair]:
    """Every pair named by a criterion, in the order of the scenarios, then of first mention."""
    pairs = []
    for scenario in scenarios:
        naming: dict[str, list[str]] = {}
        for criterion in scenario.verdict.criteria:
            for switch in criterion.kills:
                naming.setdefault(switch, []).append(criterion.id)
        pairs += [MutationPair(scenario.id, s, tuple(ids)) for s, ids in naming.items()]
    return pairs


def select_pairs(
    scenarios: Sequence[Scenario], switches: tuple[str, ...] = ()
) -> list[MutationPair]:
    """The pairs of `scenarios`, only those of `switches` when given; ValueError naming a
    switch no criterion of these scenarios kills."""
    pairs = mutation_pairs(scenarios)
    if not switches:
        return pairs
    named = {p.switch for p in pairs}
    unknown = [s for s in switches if s not in named]
    if unknown:
        raise ValueError(
            f"no criterion of {', '.join(s.id for s in scenarios)} kills "
            f"{', '.join(unknown)}; the pairs are: {', '.join(p.name for p in pairs) or 'none'}"
        )
    return [p for p in pairs if p.switch in switches]


def judge_switch(report: RunReport, switch: str) -> tuple[PairStatus, str]:
    """Whether the run killed the mutant of `switch` (which was on in it), and why."""
    naming = [c for c in report.criteria if switch in c.kills]
    failed = [c.id for c in naming if c.status == "fail"]
    if report.verdict == "INCONCLUSIVE":
        gates = [c.id for c in report.criteria if c.kind == "gate" and c.status == "fail"]
        why = f"gates {', '.join(gates)} failed" if gates else "; ".join(report.notes[:1])
        return "inconclusive", f"the run was INCONCLUSIVE ({why or 'no reason given'})"
    if failed:
        return "killed", f"killed by {', '.join(failed)}"
    if not naming:
        return "survived", f"no criterion names {switch} in its kills"
    held = [c.id if c.status == "pass" else f"{c.id} ({c.status})" for c in naming]
    return "survived", f"{', '.join(held)} held"


@dataclass(frozen=True, slots=True)
class PairOutcome:
    """A pair judged from one run of its mutant (or from none)."""

    pair: MutationPair
    status: PairStatus
    detail: str
    run_id: str | None = None
    verdict: str | None = None
    size: str | None = None
    started_at_s: float | None = None

    @property
    def killed(self) -> bool:
        return self.status == "killed"

    def line(self) -> str:
        run = f" [{self.verdict}, run {self.run_id}]" if self.run_id else ""
        return f"{_MARKS[self.status]:<12} {self.pair.name}: {self.detail}{run}"


def judge_pair(pair: MutationPair, report: RunReport | None) -> PairOutcome:
    """The pair's outcome from the run of its mutant; `None`: not run yet."""
    if report is None:
        return PairOutcome(pair, "not_run", "no run of this mutant yet")
    if report.scenario_id != pair.scenario_id or pair.switch not in report.switches:
        raise ValueError(
            f"run {report.run_id} ({report.scenario_id}, switches "
            f"{list(report.switches)}) is not a mutant of {pair.name}"
        )
    status, detail = judge_switch(report, pair.switch)
    return PairOutcome(
        pair,
        status,
        detail,
        run_id=report.run_id,
        verdict=report.verdict,
        size=report.size,
        started_at_s=report.started_at_s,
    )


def failed_to_run(pair: MutationPair, why: str) -> PairOutcome:
    """A mutant whose run could not start or finish: nothing was shown either way."""
    return PairOutcome(pair, "inconclusive", f"the run could not start or finish: {why}")


@dataclass(frozen=True, slots=True)
class DetectionPower:
    """The score of a sweep: how many named pairs, and how many simnet switches, were killed."""

    outcomes: tuple[PairOutcome, ...]
    switches_in_simnet: int = len(VULN_SWITCHES)

    @property
    def pairs_named(self) -> int:
        return len(self.outcomes)

    @property
    def pairs_killed(self) -> int:
        return sum(o.killed for o in self.outcomes)

    @property
    def switches_killed(self) -> int:
        return len({o.pair.switch for o in self.outcomes if o.killed})

    @property
    def switches_named(self) -> int:
        return len({o.pair.switch for o in self.outcomes})

    @property
    def pair_score(self) -> float:
        return self.pairs_killed / self.pairs_named if self.pairs_named else 0.0

    @property
    def switch_score(self) -> float:
        return self.switches_killed / self.switches_in_simnet if self.switches_in_simnet else 0.0

    def with_status(self, status: PairStatus) -> tuple[PairOutcome, ...]:
        return tuple(o for o in self.outcomes if o.status == status)

    @property
    def exit_code(self) -> int:
        """0 every pair killed, 1 a mutant survived, 3 otherwise (a pair not shown killed)."""
        if self.with_status("survived"):
            return _EXIT_SURVIVED
        if self.pairs_killed < self.pairs_named:
            return _EXIT_INCONCLUSIVE
        return _EXIT_ALL_KILLED

    def score_lines(self) -> list[str]:
        lines = [
            f"detection power: {self.pairs_killed}/{self.pairs_named} pairs killed "
            f"({self.pair_score:.0%}), {self.switches_killed}/{self.switches_in_simnet} "
            f"simnet switches killed ({self.switch_score:.0%})",
        ]
        for status in ("survived", "inconclusive", "not_run"):
            found = self.with_status(status)
            if found:
                names = ", ".join(o.pair.name for o in found)
                lines.append(f"  {_MARKS[status]}: {names}")
        return lines
