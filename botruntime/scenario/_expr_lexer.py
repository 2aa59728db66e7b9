"""Tokens of the verdict expression language (grammar in `_expr_parser`).

Labels (`{action=send_ax}`) and invariant groups (`inv[bank/*, auth/unique-tx]`) are read as
single tokens here, because their insides follow their own small rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from ._errors import ExpressionError

__all__ = ["Token", "tokenize"]

MAX_EXPR_CHARS = 2000

TokenKind = Literal["num", "name", "op", "labels", "inv", "end"]

_NUMBER = re.compile(r"(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_UNIT = re.compile(r"(ms|us|µs|s|%)(?![A-Za-z0-9_])")
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)*")
_LABEL_KEY = re.compile(r"[a-z][a-z0-9_]*\Z")
_LABEL_VALUE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.:-]*\Z")
_ROUTE_PATTERN = re.compile(r"(?:\*|[a-z][a-z0-9_-]*/(?:\*|[a-z][a-z0-9_-]*))\Z")
_OPERATORS = ("<=", ">=", "==", "!=", "≤", "≥", "<", ">", "+", "-", "*", "/", "(", ")", ",")
_SPELLING = {"≤": "<=", "≥": ">="}
_UNIT_SCALE = {"ms": (1e-3, True), "us": (1e-6, True), "µs": (1e-6, True), "s": (1.0, True)}


@dataclass(frozen=True, slots=True)
class Token:
    kind: TokenKind
    text: str
    column: int  # 1-based
    value: float = 0.0
    is_duration: bool = False
    labels: tuple[tuple[str, str], ...] = ()
    patterns: tuple[str, ...] = ()


def tokenize(expr: str) -> list[Token]:
    """Split `expr` into tokens; raise ExpressionError at the first character that fits nothing."""
    if len(expr) > MAX_EXPR_CHARS:
        raise ExpressionError(
            f"expression is {len(expr)} characters long",
            expr="",
            column=MAX_EXPR_CHARS,
            fix=f"split it into several criteria of at most {MAX_EXPR_CHARS} characters",
        )
    tokens: list[Token] = []
    i = 0
    while i < len(expr):
        char = expr[i]
        if char.isspace():
            i += 1
            continue
        if number := _NUMBER.match(expr, i):
            token, i = _number(expr, number)
            tokens.append(token)
        elif name := _NAME.match(expr, i):
            if name.group() == "inv" and expr[name.end() :].lstrip().startswith("["):
                token, i = _invariants(expr, i, expr.index("[", name.end()))
            else:
                token, i = Token("name", name.group(), i + 1), name.end()
            tokens.append(token)
        elif char == "{":
            token, i = _labels(expr, i)
            tokens.append(token)
        elif op := next((op for op in _OPERATORS if expr.startswith(op, i)), None):
            tokens.append(Token("op", _SPELLING.get(op, op), i + 1))
            i += len(op)
        else:
            raise _unexpected(expr, i)
    tokens.append(Token("end", "", len(expr) + 1))
    return tokens


def _unexpected(expr: str, i: int) -> ExpressionError:
    char = expr[i]
    if char == "=":
        fix = "compare with '==' (a single '=' only appears inside labels: {action=send_ax})"
    elif char in "_'\"[":
        fix = (
            "names start with a letter (err_rate, lat.commit{action=send_ax}); strings, "
            "indexing and Python calls are not part of the language"
        )
    else:
        fix = (
            "use numbers with units (50ms, 0.5s, 1%), metric names, + - * /, "
            "comparisons and and/or/not"
        )
    return ExpressionError(f"unexpected character {char!r}", expr=expr, column=i + 1, fix=fix)


def _number(expr: str, match: re.Match[str]) -> tuple[Token, int]:
    end = match.end()
    value = float(match.group())
    is_duration = False
    if unit := _UNIT.match(expr, end):
        scale, is_duration = _UNIT_SCALE.get(unit.group(), (0.01, False))
        value *= scale
        end = unit.end()
    elif end < len(expr) and (expr[end].isalpha() or expr[end] == "_"):
        raise ExpressionError(
            f"unknown unit after {match.group()!r}",
            expr=expr,
            column=end + 1,
            fix="write units right after the number: us, ms, s or % (e.g. 250ms, 0.1%)",
        )
    return Token("num", expr[match.start() : end], match.start() + 1, value, is_duration), end


def _closing(expr: str, start: int, opener: str, closer: str, example: str) -> int:
    end = expr.find(closer, start)
    if end < 0:
        raise ExpressionError(
            f"{opener!r} is never closed", expr=expr, column=start + 1, fix=f"close it: {example}"
        )
    return end


def _labels(expr: str, start: int) -> tuple[Token, int]:
    example = "{action=send_ax, chain=alpha}"
    end = _closing(expr, start, "{", "}", example)
    labels: dict[str, str] = {}
    offset = start + 1
    for part in expr[start + 1 : end].split(","):
        column = offset + len(part) - len(part.lstrip()) + 1
        offset += len(part) + 1
        key, equals, value = (piece.strip() for piece in part.partition("="))
        if not equals or not _LABEL_KEY.match(key) or not _LABEL_VALUE.match(value):
            raise ExpressionError(
                f"label {part.strip()!r} is not key=value",
                expr=expr,
                column=column,
                fix=f"write labels as key=value pairs separated by commas, e.g. {example}",
            )
        if key in labels:
            raise ExpressionError(
                f"label {key!r} appears twice", expr=expr, column=column, fix="keep one of them"
            )
        labels[key] = value
    token = Token("labels", expr[start : end + 1], start + 1, labels=tuple(sorted(labels.items())))
    return token, end + 1


def _invariants(expr: str, start: int, bracket: int) -> tuple[Token, int]:
    example = "inv[bank/*, auth/unique-tx] ok"
    end = _closing(expr, bracket, "[", "]", example)
    patterns: list[str] = []
    offset = bracket + 1
    for part in expr[bracket + 1 : end].split(","):
        column = offset + len(part) - len(part.lstrip()) + 1
        offset += len(part) + 1
        pattern = part.strip()
        if not _ROUTE_PATTERN.match(pattern):
            raise ExpressionError(
                f"{pattern!r} is not an invariant route pattern",
                expr=expr,
                column=column,
                fix=f"name routes as module/name or module/* (SCENARIOS.md §7), e.g. {example}",
            )
        patterns.append(pattern)
    token = Token("inv", expr[start : end + 1], start + 1, patterns=tuple(patterns))
    return token, end + 1
