"""A run report as a few readable lines: the verdict, the figures that matter, every criterion,
and under each failed one its evidence (the series it read, example tx hashes)."""

from __future__ import annotations

import math

from botruntime.runs.report import RunReport

__all__ = ["summary_lines"]


def _ms(value: float | None) -> str:
    return "-" if value is None or math.isnan(value) else f"{value:.1f} ms"


def _figure(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def summary_lines(report: RunReport) -> list[str]:
    s = report.summary
    switches = f" switches={','.join(report.switches)}" if report.switches else ""
    lines = [
        f"{report.scenario_id} [{report.size}] on {report.target}{switches}: {report.verdict}",
        f"  run {report.run_id}, seed {report.seed}, {s.get('duration_s', 0):.1f} s",
        f"  rate: offered {s.get('offered_rate', 0):.1f}/s, "
        f"achieved {s.get('achieved_rate', 0):.1f}/s, "
        f"committed {s.get('committed_rate', 0):.1f}/s",
        f"  submit: p50 {_ms(s.get('p50_submit_ms'))}  p95 {_ms(s.get('p95_submit_ms'))}  "
        f"p99 {_ms(s.get('p99_submit_ms'))}  max {_ms(s.get('max_submit_ms'))}",
        f"  commit: p50 {_ms(s.get('p50_commit_ms'))}  p95 {_ms(s.get('p95_commit_ms'))}  "
        f"p99 {_ms(s.get('p99_commit_ms'))}  max {_ms(s.get('max_commit_ms'))}",
        f"  intents {int(s.get('intents', 0))}, commits {int(s.get('commits', 0))}, "
        f"dropped {int(s.get('dropped', 0))}, blocked {int(s.get('blocked', 0))} "
        f"({int(s.get('blocked_abandoned', 0))} never placed), lost {int(s.get('n_lost', 0))}, "
        f"ledger mismatch {int(s.get('ledger_mismatch', 0))}",
    ]
    if report.figures:
        shown = ", ".join(f"{name} {_figure(v)}" for name, v in report.figures.items())
        lines.append(f"  figures: {shown}")
    if report.errors_by_code:
        codes = ", ".join(f"{code} {n}" for code, n in sorted(report.errors_by_code.items()))
        lines.append(f"  rejects and errors: {codes}")
    for c in report.criteria:
        mark = {"pass": "ok ", "fail": "FAIL", "n/a": "n/a"}[c.status]
        lines.append(f"  {mark:<4} {c.kind:<4} {c.id}: {c.explanation}")
        lines += [f"       evidence: {e.text()}" for e in c.evidence]
    lines += [f"  note: {note}" for note in report.notes]
    return lines
