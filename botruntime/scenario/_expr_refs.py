"""What an expression reads from a run: its metrics, scalars and invariant routes.

The evidence of a failed criterion starts here: each thing it read is then looked up in the
run's metrics by label. What a `baseline(...)` reads belongs to another run and is left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ._expr_ast import Baseline, Expr, Invariants, Metric, Quantile, Scalar, walk

__all__ = ["Reference", "references"]


@dataclass(frozen=True, slots=True)
class Reference:
    """One thing read: a counter or histogram count (`count`), a quantile of a histogram, a
    scalar by name, or invariant routes."""

    kind: Literal["count", "quantile", "scalar", "invariants"]
    name: str = ""  # the metric or scalar; "" for invariants
    labels: tuple[tuple[str, str], ...] = ()
    function: str = ""  # of a quantile: "p99", "max"
    q: float = 0.0  # of a quantile
    patterns: tuple[str, ...] = ()  # of invariants


def references(tree: Expr) -> tuple[Reference, ...]:
    """Everything `tree` reads from the run, in reading order, each once."""
    nodes = list(walk(tree))
    # a baseline's subtree is another run's; a quantile's metric is read as the quantile
    skipped = {id(n) for b in nodes if isinstance(b, Baseline) for n in walk(b)}
    skipped |= {id(q.metric) for q in nodes if isinstance(q, Quantile)}
    found: list[Reference] = []
    for node in nodes:
        if id(node) in skipped:
            continue
        match node:
            case Metric(name=name, labels=labels):
                found.append(Reference("count", name, labels))
            case Quantile(function=function, q=q, metric=metric):
                found.append(Reference("quantile", metric.name, metric.labels, function, q))
            case Scalar(name=name):
                found.append(Reference("scalar", name))
            case Invariants(patterns=patterns):
                found.append(Reference("invariants", patterns=patterns))
    return tuple(dict.fromkeys(found))
