"""What a person reads about one latency series: count, rate, percentiles, max, outcomes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from hdrh.histogram import HdrHistogram

__all__ = ["SUMMARY_QUANTILES", "Summary", "quantiles_us", "summarize"]

SUMMARY_QUANTILES: Final = (0.5, 0.9, 0.95, 0.99, 0.999)


@dataclass(frozen=True, slots=True)
class Summary:
    metric: str
    labels: dict[str, str]
    count: int
    rate_per_s: float
    quantiles_s: dict[float, float]  # q in (0, 1] -> seconds
    max_s: float
    outcomes: dict[str, int] = field(default_factory=dict)  # outcome/code -> count

    @property
    def error_rate(self) -> float:
        """Share of samples whose outcome is not "ok" (0.0 with no outcome label)."""
        if not self.outcomes or not self.count:
            return 0.0
        return (self.count - self.outcomes.get("ok", 0)) / self.count

    def error_rate_by_code(self) -> dict[str, float]:
        if not self.count:
            return {}
        return {code: n / self.count for code, n in self.outcomes.items() if code != "ok"}

    def to_json(self) -> dict[str, object]:
        return {
            "metric": self.metric,
            "labels": self.labels,
            "count": self.count,
            "rate_per_s": self.rate_per_s,
            **{f"p{_pct(q)}_s": v for q, v in self.quantiles_s.items()},
            "max_s": self.max_s,
            "outcomes": self.outcomes,
            "error_rate": self.error_rate,
        }


def quantiles_us(hist: HdrHistogram, qs: tuple[float, ...]) -> dict[float, int]:
    """Values (µs) at quantiles in [0, 1], from one walk over the counts."""
    for q in qs:
        if not 0.0 <= q <= 1.0:
            raise ValueError(f"a quantile is in [0, 1] (0.99 for p99), got {q}")
    by_percentile = hist.get_percentile_to_value_dict([q * 100.0 for q in qs])
    return {q: int(by_percentile[q * 100.0]) for q in qs}


def summarize(
    metric: str,
    labels: dict[str, str],
    hist: HdrHistogram,
    *,
    seconds: float,
    outcomes: dict[str, int],
) -> Summary:
    count = hist.get_total_count()
    qs = quantiles_us(hist, SUMMARY_QUANTILES) if count else {}
    return Summary(
        metric=metric,
        labels=labels,
        count=count,
        rate_per_s=count / seconds if seconds > 0 else 0.0,
        quantiles_s={q: v / 1e6 for q, v in qs.items()},
        max_s=hist.get_max_value() / 1e6 if count else 0.0,
        outcomes=outcomes,
    )


def _pct(q: float) -> str:
    return f"{q * 100:g}".replace(".", "_")
