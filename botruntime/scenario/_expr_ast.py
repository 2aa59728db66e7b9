"""The verdict expression tree, and its canonical text (used as the key of baseline lookups).

Nodes are plain frozen dataclasses; nothing here runs code. `column` (1-based) points into the
source text so that errors found after parsing can still say where.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "Arith",
    "Baseline",
    "BoolOp",
    "Compare",
    "Count",
    "Expr",
    "Invariants",
    "Metric",
    "Neg",
    "Not",
    "Number",
    "Quantile",
    "Rate",
    "Scalar",
    "WindowAgg",
    "render",
    "walk",
]

CompareOp = Literal["<", "<=", ">", ">=", "==", "!="]
ArithOp = Literal["+", "-", "*", "/"]


@dataclass(frozen=True, slots=True)
class Number:
    """A literal, already in base units (seconds for durations, a fraction for %)."""

    value: float
    is_duration: bool
    text: str
    column: int


@dataclass(frozen=True, slots=True)
class Metric:
    """`lat.commit{action=send_ax}`: a metric name with labels, sorted by key."""

    name: str
    labels: tuple[tuple[str, str], ...]
    column: int


@dataclass(frozen=True, slots=True)
class Scalar:
    """A bare name (`err_rate`, `n.lost`, `block_time`): the source's value(name)."""

    name: str
    column: int


@dataclass(frozen=True, slots=True)
class Quantile:
    """`p99(lat.commit{...})`, `max(...)`: a quantile of a histogram metric."""

    function: str
    q: float
    metric: Metric
    column: int


@dataclass(frozen=True, slots=True)
class Count:
    """`count(n.reject{code=bad_nonce})` or the shorthand `n.reject{code=bad_nonce}`."""

    metric: Metric
    column: int


@dataclass(frozen=True, slots=True)
class Rate:
    """`rate(n.commit{action=send_ax})`: count per second over the window."""

    metric: Metric
    column: int


@dataclass(frozen=True, slots=True)
class WindowAgg:
    """`max_window(p99(lat.commit{...}), 10s)`: worst value over sliding windows."""

    function: Literal["max_window", "min_window"]
    inner: Expr
    width_s: float
    step_s: float
    column: int


@dataclass(frozen=True, slots=True)
class Baseline:
    """`baseline(p99(...))`: the value of the same expression in the baseline run."""

    inner: Expr
    column: int


@dataclass(frozen=True, slots=True)
class Neg:
    operand: Expr
    column: int


@dataclass(frozen=True, slots=True)
class Arith:
    op: ArithOp
    left: Expr
    right: Expr
    column: int


@dataclass(frozen=True, slots=True)
class Compare:
    op: CompareOp
    left: Expr
    right: Expr
    column: int


@dataclass(frozen=True, slots=True)
class BoolOp:
    op: Literal["and", "or"]
    left: Expr
    right: Expr
    column: int


@dataclass(frozen=True, slots=True)
class Not:
    operand: Expr
    column: int


@dataclass(frozen=True, slots=True)
class Invariants:
    """`inv[bank/*, auth/unique-tx] ok`: every matching invariant route holds."""

    patterns: tuple[str, ...]
    column: int


Expr = (
    Number
    | Metric
    | Scalar
    | Quantile
    | Count
    | Rate
    | WindowAgg
    | Baseline
    | Neg
    | Arith
    | Compare
    | BoolOp
    | Not
    | Invariants
)


def walk(tree: Expr) -> Iterator[Expr]:
    """Every node of `tree`, parents before children, left before right."""
    yield tree
    for name in ("metric", "left", "right", "operand", "inner"):
        child = getattr(tree, name, None)
        if child is not None:
            yield from walk(child)


_PRECEDENCE = {"or": 1, "and": 2, "not": 3, "compare": 4, "+": 5, "-": 5, "*": 6, "/": 6}


def _seconds_text(value: float) -> str:
    return f"{value:g}s"


def render(node: Expr, parent: int = 0) -> str:
    """Canonical text of `node`: one spelling per meaning, so it can key a baseline lookup."""
    text, level = _render(node)
    return f"({text})" if level < parent else text


def _render(node: Expr) -> tuple[str, int]:
    atom = 99
    match node:
        case Number(text=text):
            return text, atom
        case Metric(name=name, labels=labels):
            inside = ", ".join(f"{key}={value}" for key, value in labels)
            return (f"{name}{{{inside}}}" if labels else name), atom
        case Scalar(name=name):
            return name, atom
        case Quantile(function=function, metric=metric):
            return f"{function}({render(metric)})", atom
        case Count(metric=metric):
            return f"count({render(metric)})", atom
        case Rate(metric=metric):
            return f"rate({render(metric)})", atom
        case WindowAgg(function=function, inner=inner, width_s=width, step_s=step):
            step_text = "" if step == 1.0 else f", {_seconds_text(step)}"
            return f"{function}({render(inner)}, {_seconds_text(width)}{step_text})", atom
        case Baseline(inner=inner):
            return f"baseline({render(inner)})", atom
        case Neg(operand=operand):
            return f"-{render(operand, atom)}", 7
        case Arith(op=op, left=left, right=right):
            level = _PRECEDENCE[op]
            # left-associative: the right operand of - and / needs parentheses at equal level
            return f"{render(left, level)} {op} {render(right, level + 1)}", level
        case Compare(op=op, left=left, right=right):
            level = _PRECEDENCE["compare"]
            return f"{render(left, level + 1)} {op} {render(right, level + 1)}", level
        case BoolOp(op=op, left=left, right=right):
            level = _PRECEDENCE[op]
            return f"{render(left, level)} {op} {render(right, level + 1)}", level
        case Not(operand=operand):
            level = _PRECEDENCE["not"]
            return f"not {render(operand, level)}", level
        case Invariants(patterns=patterns):
            return f"inv[{', '.join(patterns)}] ok", atom
