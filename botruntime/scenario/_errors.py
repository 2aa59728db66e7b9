"""Errors raised while reading scenario files and their verdict expressions.

Every message names the file, the path inside it and the fix, so a user never needs a traceback.

ScenarioError              a scenario cannot be used (.file, .path, .fix)
├── ScenarioNotFound       no scenario file with that id or path
├── ScenarioSyntaxError    not valid YAML (.line, .column, 1-based)
│   └── ScenarioUnsafe     YAML beyond the loader's bounds: size, depth, alias expansion, tags
├── ScenarioInvalid        valid YAML that breaks the schema (.problems: every problem found)
├── UnknownBehaviours      behaviour names the registry does not know (.unknown)
└── SizeNotDefined         the scenario has no such size (smoke, default, full)

FieldProblem               raised by schema validators (a ValueError pydantic wraps); carries
                           the fix and, for cross-field checks, the path it is about

ExpressionError            a verdict expression does not parse (.column, 1-based; .fix);
                           a ValueError, so the schema turns it into a ScenarioInvalid problem
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "ExpressionError",
    "FieldProblem",
    "FieldProblems",
    "Problem",
    "ScenarioError",
    "ScenarioInvalid",
    "ScenarioNotFound",
    "ScenarioSyntaxError",
    "ScenarioUnsafe",
    "SizeNotDefined",
    "UnknownBehaviours",
]


class ScenarioError(Exception):
    """A scenario file or id that cannot be used; the message says where and how to fix it."""

    def __init__(self, message: str, *, file: str = "", path: str = "", fix: str = "") -> None:
        if fix and "Fix:" not in message:
            message = f"{message}. Fix: {fix}"
        super().__init__(message)
        self.file = file
        self.path = path
        self.fix = fix


class ScenarioNotFound(ScenarioError):
    """No scenario with that id in the scenarios directory, or no such file."""


class ScenarioSyntaxError(ScenarioError):
    """The file is not valid YAML (or not a mapping at its top level)."""

    def __init__(self, message: str, *, file: str, line: int, column: int, fix: str) -> None:
        super().__init__(message, file=file, fix=fix)
        self.line = line
        self.column = column


class ScenarioUnsafe(ScenarioSyntaxError):
    """YAML the loader refuses to build: too large, too deep, too many nodes once its aliases
    are expanded, binary, or a tag that would build objects (scenario files are untrusted)."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One schema problem: where (`roles[0].behaviours`), what, and how to fix it."""

    path: str
    message: str
    fix: str
    detail: str = ""  # e.g. the expression with a caret under the column

    def render(self, file: str) -> str:
        where = f"{file}: {self.path}" if self.path else file
        fix = f" Fix: {self.fix}" if self.fix else ""
        detail = f"\n{self.detail}" if self.detail else ""
        return f"{where}: {self.message}.{fix}{detail}"


class ScenarioInvalid(ScenarioError):
    """Valid YAML that breaks the scenario schema; `.problems` lists every problem found."""

    def __init__(self, file: str, problems: Sequence[Problem]) -> None:
        lines = [problem.render(file) for problem in problems]
        first = problems[0] if problems else Problem("", "invalid scenario", "")
        super().__init__("\n".join(lines), file=file, path=first.path, fix=first.fix)
        self.problems = tuple(problems)


class UnknownBehaviours(ScenarioError):
    """The scenario names behaviours that no registered behaviour implements."""

    def __init__(self, message: str, *, file: str, path: str, fix: str, unknown: Sequence[str]):
        super().__init__(message, file=file, path=path, fix=fix)
        self.unknown = tuple(unknown)


class SizeNotDefined(ScenarioError):
    """The scenario does not define the requested size."""


class ExpressionError(ValueError):
    """A verdict expression that does not parse or mixes units; `.column` is 1-based."""

    def __init__(self, message: str, *, expr: str, column: int, fix: str) -> None:
        pointer = f"\n    {expr}\n    {' ' * (column - 1)}^" if expr else ""
        super().__init__(f"column {column}: {message}. Fix: {fix}{pointer}")
        self.reason = message
        self.expr = expr
        self.column = column
        self.fix = fix


class FieldProblem(ValueError):
    """A schema rule broken; `path` (relative to the model that raised) names the field."""

    def __init__(self, message: str, fix: str, *, path: str = "") -> None:
        super().__init__(f"{message}. Fix: {fix}")
        self.reason = message
        self.fix = fix
        self.path = path


class FieldProblems(ValueError):
    """Several cross-field problems found at once by a model validator."""

    def __init__(self, problems: Sequence[FieldProblem]) -> None:
        super().__init__("; ".join(str(problem) for problem in problems))
        self.problems = tuple(problems)
