"""Charts: the geometry of inline SVG line charts (the template draws it; CSS colours it).

Pages share the PWA's CSP, which allows no inline script or style, so a
chart is plain SVG coloured by classes from ``static/hq/hq.css``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from audit.presentation import format_score


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    grid: list[tuple[float, str]]  # (y, label)
    ticks: list[tuple[float, str]]  # (x, label)
    lines: list[dict[str, Any]]  # key, label, paths: list of "x,y x,y", dots: (x, y, text)
    empty: bool
    left: int = 40
    right: int = 704


# viewBox sizes: the SVG scales to its panel, so these fix the text size
# relative to the chart (a half-width panel is ~720 px wide on a laptop).
CHART_W, CHART_H = 720, 260
WIDE_W = 1000
PAD_L, PAD_R, PAD_T, PAD_B = 40, 16, 12, 28


def line_chart(
    labels: Sequence[str],
    series: Sequence[tuple[str, str, Sequence[float | None]]],
    lo: float | None = None,
    height: int = CHART_H,
    width: int = CHART_W,
) -> Chart:
    """Scores by month on a 0-100 axis cut just below the lowest value (NPS: -100 to 100).

    A month without audits breaks the line instead of inventing a value.
    """
    hi = 100.0
    values = [v for _, _, vs in series for v in vs if v is not None]
    if lo is None:
        lowest = min(values, default=50.0)
        lo = max(0.0, min(60.0, (lowest // 10) * 10 - 10))
    step = 50.0 if hi - lo > 100 else (20.0 if hi - lo > 60 else 10.0)
    lo = hi - step * -(-(hi - lo) // step)  # the axis starts on a grid line
    plot_w = width - PAD_L - PAD_R
    plot_h = height - PAD_T - PAD_B
    n = len(labels)

    def x(i: int) -> float:
        return PAD_L + (plot_w * (i + 0.5) / n if n else 0)

    def y(v: float) -> float:
        return PAD_T + plot_h * (hi - v) / (hi - lo)

    grid = []
    level = lo
    while level <= hi + 1e-9:
        grid.append((round(y(level), 1), format_score(level)))
        level += step
    every = max(1, -(-n // 12))
    ticks = [(round(x(i), 1), _month_label(m)) for i, m in enumerate(labels) if i % every == 0]
    lines = []
    for key, label, vs in series:
        paths: list[str] = []
        current: list[str] = []
        dots = []
        for i, v in enumerate(vs):
            if v is None:
                if current:
                    paths.append(" ".join(current))
                current = []
                continue
            px, py = round(x(i), 1), round(y(v), 1)
            current.append(f"{px},{py}")
            dots.append((px, py, f"{label}, {_month_label(labels[i])}: {format_score(v)}"))
        if current:
            paths.append(" ".join(current))
        lines.append({"key": key, "label": label, "paths": paths, "dots": dots})
    return Chart(
        width, height, grid, ticks, lines, empty=not values, left=PAD_L, right=width - PAD_R
    )


def _month_label(month: str) -> str:
    try:
        return datetime.strptime(month, "%Y-%m").strftime("%b %Y")
    except ValueError:
        return month
