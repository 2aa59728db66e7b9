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

A scenario's **catch-all** (SCENARIOS.md L9 "Vulnerable mode") runs it once with each switch
none of its criteria names: any switch of §8 should make *some* criterion fail, so a
catch-all mutant is killed when its run's verdict is FAIL (an enforced hard criterion failed),
inconclusive as above, and otherwise survived, which is reported as a WARN, not a failure:
nothing promised that criterion to catch that switch.

One rule, here, for `testbots mutation`, the weekly mutation sweep, the `detection_power`
asset and the `detects_vulnerability` check. Detection power is pairs killed / pairs named,
and switches killed (by any pair) / switches simnet has; catch-all mutants are counted apart.
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
    "catch_all_pairs",
    "failed_to_run",
    "is_catch_all",
    "judge_pair",
    "judge_switch",
    "mutation_pairs",
    "select_catch_all",
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
    """A switch a scenario must detect, and the criteria whose `kills` name it; or, in its
    catch-all (`catch_all`), a switch none of them names, which any criterion may catch."""

    scenario_id: str
    switch: str
    criteria: tuple[str, ...]
    catch_all: bool = False

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


def catch_all_pairs(scenario: Scenario) -> list[MutationPair]:
    """The catch-all mutants of `scenario`: every simnet switch (§8 order) no criterion names."""
    named = {pair.switch for pair in mutation_pairs([scenario])}
    return [
        MutationPair(scenario.id, switch, (), catch_all=True)
        for switch in VULN_SWITCHES
        if switch not in named
    ]


def select_catch_all(
    scenarios: Sequence[Scenario], switches: tuple[str, ...] = ()
) -> list[MutationPair]:
    """The catch-all mutants of `scenarios`, only those of `switches` when given; ValueError
    naming a switch a criterion of one of them names (its own pair tests it) or no switch."""
    pairs = [pair for scenario in scenarios for pair in catch_all_pairs(scenario)]
    if not switches:
        return pairs
    unknown = [s for s in switches if s not in VULN_SWITCHES]
    if unknown:
        raise ValueError(
            f"{', '.join(unknown)}: not a simnet switch; the switches are: "
            f"{', '.join(VULN_SWITCHES)}"
        )
    left = {p.switch for p in pairs}
    named = [s for s in switches if s not in left]
    if named:
        raise ValueError(
            f"a criterion of {', '.join(s.id for s in scenarios)} names {', '.join(named)}: "
            "its own pair tests it (testbots mutation --scenario), not the catch-all"
        )
    return [p for p in pairs if p.switch in switches]


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
    """Whether the run killed the mutant of `switch` (which was on in it), and why; a switch
    no criterion names is judged by the catch-all rule (`is_catch_all`)."""
    naming = [c for c in report.criteria if switch in c.kills]
    failed = [c.id for c in naming if c.status == "fail"]
    if report.verdict == "INCONCLUSIVE":
        gates = [c.id for c in report.criteria if c.kind == "gate" and c.status == "fail"]
        why = f"gates {', '.join(gates)} failed" if gates else "; ".join(report.notes[:1])
        return "inconclusive", f"the run was INCONCLUSIVE ({why or 'no reason given'})"
    if not naming:
        return _judge_catch_all(report, switch)
    if failed:
        return "killed", f"killed by {', '.join(failed)}"
    held = [c.id if c.status == "pass" else f"{c.id} ({c.status})" for c in naming]
    return "survived", f"{', '.join(held)} held"


def is_catch_all(report: RunReport, switch: str) -> bool:
    """Whether `switch` is a catch-all mutant of the report's scenario: no criterion names it."""
    return not any(switch in c.kills for c in report.criteria)


def _judge_catch_all(report: RunReport, switch: str) -> tuple[PairStatus, str]:
    """Killed when the verdict is FAIL (some enforced hard criterion failed), else survived;
    a criterion the size only reports (statistical at smoke) kills nothing."""
    failed = [c for c in report.criteria if c.kind != "gate" and c.status == "fail"]
    judged = ", ".join(c.id for c in failed if c.kind == "hard" and c.enforced)
    reported = ", ".join(c.id for c in failed if not (c.kind == "hard" and c.enforced))
    also = f"; failed without failing the run: {reported}" if reported else ""
    if report.verdict == "FAIL":
        return "killed", f"no criterion names {switch}; verdict FAIL, failed: {judged}{also}"
    return (
        "survived",
        f"no criterion names {switch}, and every criterion this size enforces held "
        f"(verdict {report.verdict}{also})",
    )


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

    @property
    def warns(self) -> bool:
        """A catch-all mutant survived: reported as a WARN, not as a failure."""
        return self.pair.catch_all and self.status == "survived"

    def line(self) -> str:
        run = f" [{self.verdict}, run {self.run_id}]" if self.run_id else ""
        mark = "WARN" if self.warns else _MARKS[self.status]
        return f"{mark:<12} {self.pair.name}: {self.detail}{run}"


def judge_pair(pair: MutationPair, report: RunReport | None) -> PairOutcome:
    """The pair's outcome from the run of its mutant; `None`: not run yet."""
    if report is None:
        return PairOutcome(pair, "not_run", "no run of this mutant yet")
    if report.scenario_id != pair.scenario_id or pair.switch not in report.switches:
        raise ValueError(
            f"run {report.run_id} ({report.scenario_id}, switches "
            f"{list(report.switches)}) is not a mutant of {pair.name}"
        )
    if pair.catch_all and not is_catch_all(report, pair.switch):
        raise ValueError(
            f"run {report.run_id}: a criterion names {pair.switch}, so its mutant is no "
            f"catch-all of {pair.scenario_id}"
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
    """The score of a sweep: how many named pairs, and how many simnet switches, were killed;
    and apart from them, what each scenario's catch-all mutants did."""

    outcomes: tuple[PairOutcome, ...]
    switches_in_simnet: int = len(VULN_SWITCHES)

    @property
    def named(self) -> tuple[PairOutcome, ...]:
        """The outcomes of the pairs a criterion names (the score's)."""
        return tuple(o for o in self.outcomes if not o.pair.catch_all)

    @property
    def catch_all(self) -> tuple[PairOutcome, ...]:
        return tuple(o for o in self.outcomes if o.pair.catch_all)

    @property
    def pairs_named(self) -> int:
        return len(self.named)

    @property
    def pairs_killed(self) -> int:
        return sum(o.killed for o in self.named)

    @property
    def switches_killed(self) -> int:
        return len({o.pair.switch for o in self.named if o.killed})

    @property
    def switches_named(self) -> int:
        return len({o.pair.switch for o in self.named})

    @property
    def pair_score(self) -> float:
        return self.pairs_killed / self.pairs_named if self.pairs_named else 0.0

    @property
    def switch_score(self) -> float:
        return self.switches_killed / self.switches_in_simnet if self.switches_in_simnet else 0.0

    def with_status(self, status: PairStatus) -> tuple[PairOutcome, ...]:
        """The named pairs of `status`."""
        return tuple(o for o in self.named if o.status == status)

    @property
    def survivors(self) -> tuple[PairOutcome, ...]:
        """The catch-all mutants that survived (WARN)."""
        return tuple(o for o in self.catch_all if o.warns)

    @property
    def exit_code(self) -> int:
        """0 every named pair killed and every catch-all mutant judged (a survivor is a WARN),
        1 a named pair's mutant survived, 3 otherwise (a mutant not shown either way)."""
        if self.with_status("survived"):
            return _EXIT_SURVIVED
        if self.pairs_killed < self.pairs_named:
            return _EXIT_INCONCLUSIVE
        if any(o.status in ("inconclusive", "not_run") for o in self.catch_all):
            return _EXIT_INCONCLUSIVE
        return _EXIT_ALL_KILLED

    def score_lines(self) -> list[str]:
        lines = []
        if self.named or not self.catch_all:
            lines.append(
                f"detection power: {self.pairs_killed}/{self.pairs_named} pairs killed "
                f"({self.pair_score:.0%}), {self.switches_killed}/{self.switches_in_simnet} "
                f"simnet switches killed ({self.switch_score:.0%})"
            )
            for status in ("survived", "inconclusive", "not_run"):
                found = self.with_status(status)
                if found:
                    names = ", ".join(o.pair.name for o in found)
                    lines.append(f"  {_MARKS[status]}: {names}")
        for scenario_id in dict.fromkeys(o.pair.scenario_id for o in self.catch_all):
            mine = [o for o in self.catch_all if o.pair.scenario_id == scenario_id]
            killed = sum(o.killed for o in mine)
            lines.append(
                f"catch-all of {scenario_id}: {killed}/{len(mine)} switches no criterion "
                "names made it FAIL"
            )
            for label, those in (
                ("WARN survived", [o for o in mine if o.warns]),
                ("inconclusive", [o for o in mine if o.status == "inconclusive"]),
                ("not run", [o for o in mine if o.status == "not_run"]),
            ):
                if those:
                    lines.append(f"  {label}: {', '.join(o.pair.switch for o in those)}")
        return lines
