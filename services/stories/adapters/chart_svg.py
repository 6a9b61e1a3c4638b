"""The before/after chart of an outcome measure as standalone, accessible SVG (a pure function).

The monthly values joined by a line, each phase's mean as a horizontal line over its months, and
a dashed line where the project started. ``role="img"`` with a ``<title>`` and a ``<desc>`` that
says what the chart shows in words; every piece of text is escaped. The same figures are given
as a table next to it (``chart_table``) for those who cannot see the chart.
"""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape, quoteattr

from services.stories.domain.before_after import AFTER, BEFORE, BeforeAfter

WIDTH, HEIGHT = 720, 320
LEFT, RIGHT, TOP, BOTTOM = 64, 24, 40, 56
COLOURS = {BEFORE: "#768692", AFTER: "#005eb8"}  # NHS mid grey, NHS blue
TEXT = "#231f20"


def render_before_after_svg(chart: BeforeAfter, *, title: str) -> str:
    values = [p.value for p in chart.points]
    low, high = _range(values)
    n = len(values)

    def x(i: float) -> float:
        return LEFT + ((WIDTH - LEFT - RIGHT) / 2 if n <= 1 else (WIDTH - LEFT - RIGHT) * i / (n - 1))

    def y(v: float) -> float:
        return HEIGHT - BOTTOM - (HEIGHT - TOP - BOTTOM) * (v - low) / (high - low)

    body: list[str] = [
        f'<line class="axis" x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - RIGHT}" y2="{HEIGHT - BOTTOM}" '
        f'stroke="{TEXT}"/>',
        _text(8, y(high) + 4, f"{high:.4g}", "axis-label"),
        _text(8, y(low) + 4, f"{low:.4g}", "axis-label"),
    ]
    if n:
        path = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
        body.append(f'<polyline class="series" points="{path}" fill="none" stroke="{COLOURS[AFTER]}" '
                    f'stroke-width="1.5"/>')
        for phase, mean in ((BEFORE, chart.before_mean), (AFTER, chart.after_mean)):
            indexes = [i for i, p in enumerate(chart.points) if p.phase == phase]
            if mean is not None and indexes:
                body.append(f'<line class="mean {phase}" x1="{x(indexes[0]):.1f}" y1="{y(mean):.1f}" '
                            f'x2="{x(indexes[-1]):.1f}" y2="{y(mean):.1f}" stroke="{COLOURS[phase]}" '
                            f'stroke-width="3"/>')
                body.append(_text(x(indexes[0]), y(mean) - 6, f"{phase} mean {mean:.4g}", f"mean-label {phase}"))
        for i, point in enumerate(chart.points):
            label = f"{point.period}: {point.value:.4g} {chart.unit_of_measure} ({point.phase})"
            body.append(f'<circle class="point {point.phase}" cx="{x(i):.1f}" cy="{y(point.value):.1f}" r="3.5" '
                        f'fill="{COLOURS[point.phase]}"><title>{escape(label)}</title></circle>')
        starts = [i for i, p in enumerate(chart.points) if p.phase == AFTER]
        if chart.before and starts:
            at = (x(starts[0] - 1) + x(starts[0])) / 2
            body.append(f'<line class="start" x1="{at:.1f}" y1="{TOP}" x2="{at:.1f}" y2="{HEIGHT - BOTTOM}" '
                        f'stroke="{TEXT}" stroke-dasharray="4 4"/>')
            body.append(_text(at + 4, TOP + 12, f"project started {chart.started}", "start-label"))
        body.append(_text(LEFT, HEIGHT - 20, chart.points[0].period, "period-label"))
        body.append(_text(WIDTH - RIGHT - 56, HEIGHT - 20, chart.points[-1].period, "period-label"))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="chart-title chart-desc" '
            f'viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" font-family="Arial, sans-serif" '
            f'font-size="12">'
            f'<title id="chart-title">{escape(title)}</title><desc id="chart-desc">{escape(chart.describe())}</desc>'
            f'{"".join(body)}</svg>')


def chart_table(chart: BeforeAfter) -> dict[str, Any]:
    """The chart's figures, as JSON a page shows as a table (and a screen reader reads)."""
    return {
        "kpi_code": chart.kpi_code,
        "unit_code": chart.unit_code,
        "name": chart.name,
        "unit_of_measure": chart.unit_of_measure,
        "started": chart.started,
        "before_mean": chart.before_mean,
        "after_mean": chart.after_mean,
        "change": chart.change,
        "description": chart.describe(),
        "rows": [{"period": p.period, "value": p.value, "phase": p.phase} for p in chart.points],
    }


def _range(values: list[float]) -> tuple[float, float]:
    if not values:
        return 0.0, 1.0
    low, high = min(values), max(values)
    pad = (high - low) * 0.1 or abs(high) * 0.1 or 1.0
    return low - pad, high + pad


def _text(x: float, y: float, text: str, css_class: str) -> str:
    return f'<text class={quoteattr(css_class)} x="{x:.1f}" y="{y:.1f}" fill="{TEXT}">{escape(text)}</text>'
