"""The Grafana dashboard in deploy/grafana/ as the metrics and labels its queries use.

Each query reads one testbots metric (a rule the tests keep), so a query is a `Query`: that
metric, the label matchers of its selector, and the labels it groups by or draws in its legend.
`job` and `instance` are Prometheus' target labels, added at scrape time, never on a page.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DASHBOARD = Path(__file__).resolve().parents[3] / "deploy" / "grafana" / "testbots.json"
TARGET_LABELS = frozenset({"job", "instance"})
# what Grafana puts in place of the dashboard's variables when it sends a query
VARIABLES = {"$__rate_interval": "1m", "$job": ".*"}

_METRIC = re.compile(r"\btestbots_[a-z0-9_]+\b")
_SELECTOR = re.compile(r"\{([^}]*)\}")
_MATCHER = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"([^"]*)"')
_GROUPING = re.compile(r"\b(?:by|without)\s*\(([^)]*)\)")
_LEGEND = re.compile(r"\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}")


@dataclass(frozen=True)
class Query:
    panel: str
    expr: str  # as Grafana sends it: the variables replaced
    metric: str
    equal: dict[str, str]  # label = "value" matchers (target labels left out)
    grouped: frozenset[str]  # by (...) and {{legend}} labels (target labels left out)


def panels() -> list[dict[str, Any]]:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return [p for p in dashboard["panels"] if p["type"] != "row"]


def queries() -> list[Query]:
    out = []
    for panel in panels():
        for target in panel["targets"]:
            expr = target["expr"]
            for name, value in VARIABLES.items():
                expr = expr.replace(name, value)
            metrics = set(_METRIC.findall(expr))
            assert len(metrics) == 1, f"{panel['title']}: one metric per query, got {metrics}"
            matchers = [m for sel in _SELECTOR.findall(expr) for m in _MATCHER.findall(sel)]
            equal = {n: v for n, op, v in matchers if op == "=" and n not in TARGET_LABELS}
            grouped = {
                label.strip()
                for group in _GROUPING.findall(expr)
                for label in group.split(",")
                if label.strip()
            }
            grouped |= set(_LEGEND.findall(target.get("legendFormat", "")))
            out.append(
                Query(
                    panel["title"], expr, metrics.pop(), equal, frozenset(grouped - TARGET_LABELS)
                )
            )
    return out
