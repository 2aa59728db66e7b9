"""The evidence of a failed criterion: what it read, broken down by label, with example txs.

A criterion reads counters, histograms, scalars and invariants (`botruntime.scenario.
references`). Each counter it reads is shown series by series from the merged metrics
(`adv.replays_unexpected{action=replay_pending_other_node, code=accepted} = 1`) with the
first tx hashes the series kept; a quantile per series; a scalar through the counters it is
computed from (`SCALAR_SOURCES`), plus what the run found about it (the bots whose ledger
differs); invariants by the routes that broke. Bounded: the largest `MAX_SERIES` series.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final

from botruntime.metrics import MetricKey, RunMetrics
from botruntime.runs._evidence import SCALAR_SOURCES
from botruntime.runs._source import RunEvidence, recorded_name
from botruntime.runs.report import Evidence
from botruntime.scenario import Expr, Reference, references, route_matches

__all__ = ["MAX_SERIES", "criterion_evidence", "series_name"]

MAX_SERIES: Final = 8  # per criterion: the largest series, then the findings
_MAX_FINDINGS: Final = 5


def series_name(key: MetricKey) -> str:
    """`n.lost{action=send_ax}`: the metric as a criterion would name it."""
    inside = ", ".join(f"{k}={v}" for k, v in key.labels)
    return f"{key.name}{{{inside}}}" if inside else key.name


def criterion_evidence(tree: Expr, evidence: RunEvidence) -> tuple[Evidence, ...]:
    """What the expression read in this run, series by series (nonzero ones only)."""
    counted: dict[MetricKey, Evidence] = {}
    quantiles: list[Evidence] = []
    findings: list[Evidence] = []
    for ref in references(tree):
        if ref.kind == "count":
            counted.update(_counted(evidence.metrics, ref.name, dict(ref.labels)))
        elif ref.kind == "quantile":
            quantiles += _quantiles(evidence.metrics, ref)
        elif ref.kind == "invariants":
            findings += _broken_invariants(evidence, ref.patterns)
        else:
            for name, labels in SCALAR_SOURCES.get(ref.name, ((ref.name, {}),)):
                counted.update(_counted(evidence.metrics, name, labels))
            findings += [
                Evidence(ref.name, detail=line)
                for line in evidence.findings.get(ref.name, ())[:_MAX_FINDINGS]
            ]
    largest = sorted(counted.values(), key=lambda e: -(e.value or 0.0))
    return (*largest, *quantiles)[:MAX_SERIES] + tuple(findings)


def _counted(
    metrics: RunMetrics, name: str, labels: Mapping[str, str]
) -> dict[MetricKey, Evidence]:
    if not metrics.keys(name):
        return {}
    examples = metrics.examples(name, labels)
    out = {}
    for key in metrics.keys(name):
        if not key.matches(name, tuple(sorted(labels.items()))):
            continue
        value = metrics.count(name, key.label_dict())
        if value:
            out[key] = Evidence(series_name(key), float(value), examples.get(key, ()))
    return out


def _quantiles(metrics: RunMetrics, ref: Reference) -> list[Evidence]:
    name = recorded_name(ref.name)
    if not metrics.keys(name) or metrics.kind(name) != "histogram":
        return []
    want = tuple(sorted(ref.labels))
    out = []
    for key in metrics.keys(name):
        if not key.matches(name, want):
            continue
        value_s = metrics.quantile_s(name, key.label_dict(), ref.q)
        if value_s is not None:
            n = metrics.count(name, key.label_dict())
            detail = f"{ref.function} {value_s:.3g} s over {n} values"
            out.append(Evidence(series_name(key), detail=detail))
    return out


def _broken_invariants(evidence: RunEvidence, patterns: Iterable[str]) -> list[Evidence]:
    readings = evidence.invariant_readings or ()
    wanted = tuple(patterns)
    return [
        Evidence(f"inv {r.chain}:{r.route}", detail=f"broken at height {r.height}: {r.detail}")
        for r in readings
        if not r.ok and any(route_matches(r.route, p) for p in wanted)
    ][:_MAX_FINDINGS]
