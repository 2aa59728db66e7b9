"""A run report as the scenario asset's materialization metadata.

The UI plots every int/float label of an asset over its materializations, so the headline
numbers go in as floats under labels that never change; everything else is text, a markdown
summary, the evidence of every failed criterion (the series it read, example tx hashes), and
the path of the self-contained HTML report.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from botruntime.runs import RunReport
from testbots_dagster._headline import HEADLINE, headline

__all__ = ["evidence_markdown", "figure_metadata", "report_metadata", "summary_markdown"]


def report_metadata(report: RunReport, html_report: Path) -> dict[str, dg.RawMetadataValue]:
    return {
        "run_id": report.run_id,  # the checks and the results store find the run by it
        "verdict": report.verdict,
        "size": report.size,
        "target": report.target,
        "seed": report.seed,
        "switches": ", ".join(report.switches) or "none",
        "git_sha": report.git_sha or "unknown",
        "scenario_hash": report.scenario_hash,
        "duration_s": round(report.ended_at_s - report.started_at_s, 3),
        **headline(report.summary),
        **figure_metadata(report),
        "failed_criteria": len(report.failed_criteria),
        "summary": dg.MetadataValue.md(summary_markdown(report)),
        "evidence": dg.MetadataValue.md(evidence_markdown(report)),
        "html_report": dg.MetadataValue.path(str(html_report)),
    }


def figure_metadata(report: RunReport) -> dict[str, float]:
    """`figure.<name>`: the scenario's own key figures, as numbers the UI plots over runs."""
    return {f"figure.{name}": float(v) for name, v in report.figures.items() if v is not None}


def summary_markdown(report: RunReport) -> str:
    switches = ", ".join(report.switches) or "none"
    lines = [
        f"**{report.verdict}**: `{report.scenario_id}` at size {report.size} against "
        f"{report.target}, {report.ended_at_s - report.started_at_s:.1f} s, "
        f"seed {report.seed}, switches {switches}",
        "",
        "| metric | value |",
        "|---|---|",
    ]
    values = headline(report.summary)
    lines += [f"| {m.label} | {values[m.label]:g} |" for m in HEADLINE if m.label in values]
    lines += [
        f"| {name} | {'no data' if v is None else f'{v:g}'} |" for name, v in report.figures.items()
    ]
    lines += ["", "| criterion | kind | status | evidence |", "|---|---|---|---|"]
    lines += [
        f"| {c.id} | {c.kind} | {c.status} | {_cell(c.explanation)} |" for c in report.criteria
    ]
    if report.failed_criteria:
        lines += ["", evidence_markdown(report)]
    if report.notes:
        lines += ["", *(f"- {_cell(note)}" for note in report.notes)]
    return "\n".join(lines)


def evidence_markdown(report: RunReport) -> str:
    """Under each failed criterion, what it read: series, values, example tx hashes."""
    failed = report.failed_criteria
    if not failed:
        return "no criterion failed"
    lines = []
    for c in failed:
        lines.append(f"**{c.id}** failed: {_cell(c.explanation)}")
        lines += [f"- `{e.text()}`" for e in c.evidence] or ["- no series behind it"]
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
