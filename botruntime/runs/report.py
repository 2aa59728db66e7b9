"""The report of one run: what was asked, what happened, and the verdict with its evidence.

A `RunReport` is what every consumer of a run reads: `testbots run` prints it and writes it as
JSON under `TESTBOTS_HOME`, the results store keeps it, and Dagster turns it into asset metadata
and checks. It is plain data (JSON round trip exact) so a report written by one version of the
runtime can be read by the next: version 2 added each failed criterion's `evidence`, version 3
the network's version (`network_version`, what a capacity is looked up by); older reports still
read.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

__all__ = [
    "NOT_ENFORCED",
    "REPORT_VERSION",
    "CriterionOutcome",
    "Evidence",
    "IntervalPoint",
    "ReportError",
    "RunReport",
    "VerdictName",
]

REPORT_VERSION: Final = 3
_READABLE_VERSIONS: Final = frozenset({1, 2, REPORT_VERSION})
VerdictName = Literal["PASS", "FAIL", "INCONCLUSIVE", "WARN"]
CriterionKind = Literal["gate", "hard", "soft"]
CriterionStatus = Literal["pass", "fail", "n/a"]
# ends the explanation of a criterion the run's size only reports (statistical at smoke)
NOT_ENFORCED: Final = " (reported, not enforced)"


class ReportError(ValueError):
    """A report file that is not a testbots run report of a version this runtime reads."""


@dataclass(frozen=True, slots=True)
class Evidence:
    """One thing a failed criterion read: a labelled series with its value and a few example
    tx hashes (`n.lost{action=send_ax} = 3`), or a finding with its detail (a broken
    invariant, a bot whose ledger differs)."""

    series: str
    value: float | None = None
    examples: tuple[str, ...] = ()
    detail: str = ""

    def text(self) -> str:
        """`adv.replays_unexpected{action=replay_same_chain, code=accepted} = 1, e.g. tx 3f2a…`"""
        head = self.series if self.value is None else f"{self.series} = {self.value:g}"
        if self.detail:
            head += f": {self.detail}"
        return head + (f", e.g. tx {', '.join(self.examples)}" if self.examples else "")


@dataclass(frozen=True, slots=True)
class CriterionOutcome:
    """One gate or criterion of the scenario, evaluated."""

    id: str
    kind: CriterionKind
    status: CriterionStatus
    expr: str
    explanation: str  # "p99(lat.commit{action=send_ax}) = 1.83 s <= 2.5 s"
    value: float | None = None
    kills: tuple[str, ...] = ()  # the simnet switches this criterion must detect
    evidence: tuple[Evidence, ...] = ()  # of a failed one: what it read, and examples

    @property
    def enforced(self) -> bool:
        """Whether the run's size judged it (a failed one made the verdict FAIL or WARN), or
        only reported it."""
        return not self.explanation.endswith(NOT_ENFORCED)


@dataclass(frozen=True, slots=True)
class IntervalPoint:
    """One second of the run, merged over every worker: what the charts draw."""

    t_s: float  # seconds since the start of the timed window
    offered_per_s: float
    achieved_per_s: float
    committed_per_s: float
    errors: int
    dropped: int
    p50_submit_ms: float | None
    p99_submit_ms: float | None
    p99_commit_ms: float | None


@dataclass(frozen=True, slots=True)
class RunReport:
    run_id: str
    scenario_id: str
    scenario_hash: str  # sha256 of the scenario YAML as run
    size: str
    target: str  # "simnet" or the endpoints of a real network
    seed: str
    switches: tuple[str, ...]  # simnet vulnerable modes that were on
    git_sha: str | None
    started_at_s: float  # epoch seconds
    ended_at_s: float
    verdict: VerdictName
    exit_code: int
    criteria: tuple[CriterionOutcome, ...]
    summary: dict[str, float]  # offered_rate, achieved_rate, p50/p95/p99 latencies (ms), err_rate…
    errors_by_code: dict[str, int] = field(default_factory=dict)
    series: tuple[IntervalPoint, ...] = ()
    histograms: dict[str, str] = field(default_factory=dict)  # metric key -> encoded HDR
    notes: tuple[str, ...] = ()  # what the runner wants a reader to know (gaps, lost workers)
    # value of each `baseline(expr)` expression in this run, by canonical text (a later run's
    # baseline); and the run that served as this run's baseline, if any
    measures: dict[str, float] = field(default_factory=dict)
    baseline_run_id: str | None = None
    # the scenario's own key figures (its `figures:`), by name; None: the run had no data
    figures: dict[str, float | None] = field(default_factory=dict)
    network_version: str | None = None  # what the target's /status said it runs, if it said
    version: int = REPORT_VERSION

    @property
    def failed_criteria(self) -> tuple[CriterionOutcome, ...]:
        return tuple(c for c in self.criteria if c.status == "fail")

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str, *, source: str = "report") -> RunReport:
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ReportError(f"{source}: not JSON ({exc})") from None
        if not isinstance(raw, dict) or raw.get("version") not in _READABLE_VERSIONS:
            raise ReportError(
                f"{source}: not a testbots run report of version "
                f"{' or '.join(map(str, sorted(_READABLE_VERSIONS)))}"
            )
        try:
            return cls(
                **{
                    **raw,
                    "switches": tuple(raw["switches"]),
                    "notes": tuple(raw.get("notes", ())),
                    "criteria": tuple(_criterion(c) for c in raw["criteria"]),
                    "series": tuple(IntervalPoint(**p) for p in raw.get("series", ())),
                }
            )
        except (KeyError, TypeError) as exc:
            raise ReportError(f"{source}: missing or unexpected field ({exc})") from None

    def write(self, directory: Path) -> Path:
        """Write `<directory>/<run_id>/report.json` atomically (a crash leaves no half file)."""
        run_dir = directory / self.run_id
        run_dir.mkdir(parents=True, exist_ok=True)
        final = run_dir / "report.json"
        partial = run_dir / "report.json.partial"
        partial.write_text(self.to_json(), encoding="utf-8")
        partial.replace(final)
        return final

    @classmethod
    def read(cls, path: Path) -> RunReport:
        return cls.from_json(path.read_text(encoding="utf-8"), source=str(path))


def _criterion(raw: dict[str, Any]) -> CriterionOutcome:
    evidence = tuple(
        Evidence(**{**e, "examples": tuple(e.get("examples", ()))}) for e in raw.get("evidence", ())
    )
    return CriterionOutcome(**{**raw, "kills": tuple(raw.get("kills", ())), "evidence": evidence})
