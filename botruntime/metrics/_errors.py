"""Errors raised by the metrics package. Catch the branch you can act on.

MetricsError
├── UnknownMetric      a name outside the vocabulary of SCENARIOS.md §1.3 (.name, .suggestion)
├── MetricKindError    a counter used as a histogram, or the reverse (.name, .kind, .expected)
└── DeltaDecodeError   a transported interval delta is malformed (.field)
"""

from __future__ import annotations

__all__ = ["DeltaDecodeError", "MetricKindError", "MetricsError", "UnknownMetric"]


class MetricsError(Exception):
    """A metric was named, recorded or transported in a way the run cannot use."""


class UnknownMetric(MetricsError):
    def __init__(self, name: str, suggestion: str | None) -> None:
        hint = f"; did you mean {suggestion!r}?" if suggestion else ""
        super().__init__(
            f"unknown metric {name!r}: use a name from SCENARIOS.md §1.3 (lat.submit, n.intent, "
            f"...) or a scenario prefix (adv., mkt., chain., sim.){hint}"
        )
        self.name = name
        self.suggestion = suggestion


class MetricKindError(MetricsError):
    def __init__(self, name: str, *, kind: str, expected: str) -> None:
        super().__init__(
            f"metric {name!r} is a {kind}, not a {expected}: ask for it with the {kind} query"
        )
        self.name = name
        self.kind = kind
        self.expected = expected


class DeltaDecodeError(MetricsError):
    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(f"interval delta field {field!r}: {message}")
        self.field = field
