"""The one table `make bench` prints: each figure, its raw baseline from the same run, the ratio,
and the target. Benchmark modules return `Figure`s; nothing here asserts on time."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Figure:
    bench: str  # which benchmark, e.g. "bulk add 10k (sqlite)"
    metric: str  # what was measured, e.g. "API call s"
    value: float
    baseline: float | None = None  # the raw baseline measured in the same run
    target: str = ""  # e.g. "ratio <= 3 and < 2 s"
    higher_is_better: bool = False

    @property
    def ratio(self) -> float | None:
        if self.baseline in (None, 0) or self.value == 0:
            return None
        assert self.baseline is not None
        # Always "how many times worse than the baseline": >= 1 means slower.
        if self.higher_is_better:
            return self.baseline / self.value
        return self.value / self.baseline


def _fmt(value: float | None) -> str:
    if value is None:
        return "-"
    if value >= 1000:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.3f}"


def render(figures: list[Figure]) -> str:
    header = ("benchmark", "metric", "value", "baseline", "ratio", "target")
    rows = [header] + [
        (f.bench, f.metric, _fmt(f.value), _fmt(f.baseline), _fmt(f.ratio), f.target)
        for f in figures
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
