"""One run's report as a single self-contained HTML file: summary, criteria, and charts.

The charts are inline SVG drawn here (no script, no CDN, no font downloads): the file opens on
an offline machine and can be attached to a ticket as is. `testbots report --html` and the
Dagster asset both use it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Final

from botruntime.runs.report import CriterionOutcome, IntervalPoint, RunReport

__all__ = ["render_html", "write_html"]

_W: Final = 760
_H: Final = 260
_PAD_L, _PAD_R, _PAD_T, _PAD_B = 60, 16, 34, 40
_VERDICT_COLOURS: Final = {
    "PASS": "#1a7f37",
    "FAIL": "#cf222e",
    "WARN": "#9a6700",
    "INCONCLUSIVE": "#6e7781",
}
_STATUS_COLOURS: Final = {"pass": "#1a7f37", "fail": "#cf222e", "n/a": "#6e7781"}
_CSS: Final = """
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:800px;color:#1f2328}
h1{font-size:20px;margin:0 0 4px} h2{font-size:16px;margin:24px 0 8px}
table{border-collapse:collapse;width:100%} td,th{padding:4px 8px;border-bottom:1px solid #d0d7de;
text-align:left;vertical-align:top} td.n{text-align:right;font-variant-numeric:tabular-nums}
.badge{display:inline-block;color:#fff;border-radius:4px;padding:2px 8px;font-weight:600}
.meta{color:#59636e} svg{display:block;margin:8px 0} code{font-size:12px}
ul.evidence{margin:4px 0 0;padding-left:18px} ul.evidence code{word-break:break-all}
"""


@dataclass(frozen=True, slots=True)
class _Line:
    label: str
    colour: str
    points: tuple[tuple[float, float | None], ...]  # None = no value that second (a gap)


def render_html(report: RunReport) -> str:
    """The whole report as one HTML document."""
    verdict_colour = _VERDICT_COLOURS.get(report.verdict, "#6e7781")
    started = datetime.fromtimestamp(report.started_at_s, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    duration_s = report.ended_at_s - report.started_at_s
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(report.scenario_id)} {escape(report.run_id)}: {report.verdict}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>{escape(report.scenario_id)} "
        f'<span class="badge" style="background:{verdict_colour}">{report.verdict}</span></h1>',
        f'<p class="meta">run <code>{escape(report.run_id)}</code> · size {escape(report.size)}'
        f" · target {escape(report.target)} · seed {escape(report.seed)} · started {started}"
        f" · {duration_s:.1f} s · switches {escape(', '.join(report.switches) or 'none')}"
        f" · git {escape((report.git_sha or 'unknown')[:12])}"
        f" · scenario sha256 {escape(report.scenario_hash[:12])}</p>",
        "<h2>Rate</h2>",
        _chart(
            "requests per second",
            (
                _series(report.series, "offered", "#8250df", lambda p: p.offered_per_s),
                _series(report.series, "achieved", "#0969da", lambda p: p.achieved_per_s),
                _series(report.series, "committed", "#1a7f37", lambda p: p.committed_per_s),
            ),
        ),
        "<h2>Latency</h2>",
        _chart(
            "milliseconds",
            (
                _series(report.series, "p50 submit", "#0969da", lambda p: p.p50_submit_ms),
                _series(report.series, "p99 submit", "#bf8700", lambda p: p.p99_submit_ms),
                _series(report.series, "p99 commit", "#cf222e", lambda p: p.p99_commit_ms),
            ),
        ),
        "<h2>Criteria</h2>",
        _criteria_table(report),
        *(
            ["<h2>Key figures</h2>", _key_value_table(_measured(report.figures))]
            if report.figures
            else []
        ),
        "<h2>Summary</h2>",
        _key_value_table(sorted(report.summary.items())),
    ]
    if report.errors_by_code:
        parts += [
            "<h2>Errors by code</h2>",
            _key_value_table(sorted(report.errors_by_code.items())),
        ]
    if report.notes:
        parts += ["<h2>Notes</h2><ul>", *(f"<li>{escape(n)}</li>" for n in report.notes), "</ul>"]
    parts.append("</body></html>")
    return "\n".join(parts)


def write_html(report: RunReport, directory: Path) -> Path:
    """Write `<directory>/<run_id>/report.html` atomically, next to `report.json`."""
    run_dir = directory / report.run_id
    run_dir.mkdir(parents=True, exist_ok=True)
    final = run_dir / "report.html"
    partial = run_dir / "report.html.partial"
    partial.write_text(render_html(report), encoding="utf-8")
    partial.replace(final)
    return final


def _series(
    points: Sequence[IntervalPoint],
    label: str,
    colour: str,
    value: Callable[[IntervalPoint], float | None],
) -> _Line:
    return _Line(label, colour, tuple((p.t_s, value(p)) for p in points))


def _chart(y_label: str, lines: Sequence[_Line]) -> str:
    xs = [x for line in lines for x, _ in line.points]
    ys = [y for line in lines for _, y in line.points if y is not None and math.isfinite(y)]
    if not xs or not ys:
        return '<p class="meta">no per-second data in this report</p>'
    x_lo, x_hi = min(xs), max(xs)
    if x_hi <= x_lo:
        x_hi = x_lo + 1.0
    y_ticks = _nice_ticks(0.0, max(ys))
    y_hi = y_ticks[-1]
    plot_w, plot_h = _W - _PAD_L - _PAD_R, _H - _PAD_T - _PAD_B

    def sx(x: float) -> float:
        return _PAD_L + (x - x_lo) / (x_hi - x_lo) * plot_w

    def sy(y: float) -> float:
        return _PAD_T + plot_h - (y / y_hi) * plot_h

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_W}" height="{_H}" '
        f'viewBox="0 0 {_W} {_H}" font-family="system-ui,sans-serif" font-size="11" '
        f'role="img" aria-label="{escape(y_label)}">'
    ]
    for tick in y_ticks:
        y = sy(tick)
        out.append(
            f'<line x1="{_PAD_L}" y1="{y:.1f}" x2="{_W - _PAD_R}" y2="{y:.1f}" stroke="#eaeef2"/>'
            f'<text x="{_PAD_L - 6}" y="{y + 4:.1f}" text-anchor="end">{_fmt(tick)}</text>'
        )
    for tick in _nice_ticks(x_lo, x_hi):
        if x_lo <= tick <= x_hi:
            x = sx(tick)
            out.append(
                f'<text x="{x:.1f}" y="{_H - _PAD_B + 16}" text-anchor="middle">{_fmt(tick)}</text>'
            )
    out.append(
        f'<text x="{_PAD_L + plot_w / 2:.0f}" y="{_H - 6}" text-anchor="middle">seconds</text>'
        f'<text x="14" y="{_PAD_T + plot_h / 2:.0f}" text-anchor="middle" '
        f'transform="rotate(-90 14 {_PAD_T + plot_h / 2:.0f})">{escape(y_label)}</text>'
    )
    legend_x = _PAD_L
    for line in lines:
        for run in _runs_without_gaps(line.points):
            coords = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in run)
            out.append(
                f'<polyline fill="none" stroke="{line.colour}" stroke-width="1.8" '
                f'points="{coords}"><title>{escape(line.label)}</title></polyline>'
            )
        out.append(
            f'<rect x="{legend_x}" y="10" width="12" height="4" fill="{line.colour}"/>'
            f'<text x="{legend_x + 16}" y="16">{escape(line.label)}</text>'
        )
        legend_x += 24 + 7 * len(line.label)
    out.append("</svg>")
    return "".join(out)


def _runs_without_gaps(
    points: Sequence[tuple[float, float | None]],
) -> list[list[tuple[float, float]]]:
    runs: list[list[tuple[float, float]]] = [[]]
    for x, y in points:
        if y is None or not math.isfinite(y):
            if runs[-1]:
                runs.append([])
        else:
            runs[-1].append((x, y))
    return [run if len(run) > 1 else run * 2 for run in runs if run]


def _nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values (1, 2 or 5 times a power of ten) covering [lo, hi]."""
    if hi <= lo:
        hi = lo + 1.0
    raw = (hi - lo) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    first = math.floor(lo / step) * step
    ticks = [first]
    while ticks[-1] < hi:
        ticks.append(ticks[-1] + step)
    return ticks


def _fmt(value: float) -> str:
    if value == int(value) and abs(value) < 1e9:
        return str(int(value))
    return f"{value:.3g}"


def _criteria_table(report: RunReport) -> str:
    if not report.criteria:
        return '<p class="meta">no criteria</p>'
    rows = [
        "<table><tr><th>id</th><th>kind</th><th>status</th><th>evidence</th><th>kills</th></tr>"
    ]
    for c in report.criteria:
        colour = _STATUS_COLOURS.get(c.status, "#6e7781")
        rows.append(
            f"<tr><td><code>{escape(c.id)}</code></td><td>{escape(c.kind)}</td>"
            f'<td style="color:{colour};font-weight:600">{escape(c.status)}</td>'
            f"<td>{escape(c.explanation)}<br><code>{escape(c.expr)}</code>{_evidence(c)}</td>"
            f"<td>{escape(', '.join(c.kills))}</td></tr>"
        )
    rows.append("</table>")
    return "".join(rows)


def _evidence(c: CriterionOutcome) -> str:
    """A failed criterion's evidence: each series it read, with example tx hashes."""
    if not c.evidence:
        return ""
    items = "".join(f"<li><code>{escape(e.text())}</code></li>" for e in c.evidence)
    return f'<ul class="evidence">{items}</ul>'


def _measured(figures: dict[str, float | None]) -> list[tuple[str, float]]:
    return [(name, value) for name, value in figures.items() if value is not None]


def _key_value_table(items: Sequence[tuple[str, float] | tuple[str, int]]) -> str:
    rows = "".join(
        f'<tr><td>{escape(k)}</td><td class="n">{_fmt(float(v))}</td></tr>' for k, v in items
    )
    return f"<table>{rows}</table>"
