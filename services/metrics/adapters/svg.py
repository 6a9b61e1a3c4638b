"""SPC and run charts drawn as standalone, accessible SVG text (a pure function: no I/O).

Points take the Making Data Count colours of NHSRplotthedots 0.2 (``ptd_spc_colours()``,
standardised with the MDC team's Power BI visuals): grey for common cause, blue for
improvement, orange for concern, purple for neutral special cause. Each marker also carries
its ``point_type`` as a class, so a page's CSS can restyle it. An annotated month (a PDSA
cycle's start, say) gets a dotted vertical line with its note, also named in the description for
screen readers. Every piece of text, user titles and notes included, is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from services.metrics.domain.runchart import RunChart
from services.metrics.domain.spc import SpcChart, SpcPoint

POINT_COLOURS = {
    "common_cause": "#a6a6a6",
    "special_cause_improvement": "#00b0f0",
    "special_cause_concern": "#e46c0a",
    "special_cause_neutral_high": "#490092",
    "special_cause_neutral_low": "#490092",
}
LINE_COLOUR = "#a6a6a6"
MEAN_COLOUR = "#000000"
LIMIT_COLOUR = "#a6a6a6"
TARGET_COLOUR = "#de1b1b"
TEXT_COLOUR = "#231f20"
ANNOTATION_COLOUR = "#005eb8"
ANNOTATION_LABEL_CHARS = 40
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 64, 24, 40, 64
MARKER_RADIUS = 3.5
Annotation = tuple[str, str]  # (the month annotated, YYYY-MM; the note)


@dataclass(frozen=True)
class _Frame:
    """Maps point indexes and values to pixels inside the plot area."""

    n: int
    low: float
    high: float
    width: int
    height: int

    def x(self, index: float) -> float:
        span = self.width - MARGIN_LEFT - MARGIN_RIGHT
        return MARGIN_LEFT + (span / 2 if self.n == 1 else span * index / (self.n - 1))

    def y(self, value: float) -> float:
        span = self.height - MARGIN_TOP - MARGIN_BOTTOM
        return self.height - MARGIN_BOTTOM - span * (value - self.low) / (self.high - self.low)


def render_svg(chart: SpcChart | RunChart, *, title: str, dates: Sequence[str] | None = None,
               annotations: Sequence[Annotation] = (), width: int = 720, height: int = 320) -> str:
    """Either kind of chart, drawn the way its kind is drawn, with the notes on its months."""
    if isinstance(chart, SpcChart):
        return render_spc_svg(chart, title=title, dates=dates, annotations=annotations, width=width, height=height)
    return render_run_svg(chart, title=title, dates=dates, annotations=annotations, width=width, height=height)


def render_spc_svg(chart: SpcChart, *, title: str, dates: Sequence[str] | None = None,
                   annotations: Sequence[Annotation] = (), width: int = 720, height: int = 320) -> str:
    """The XmR chart: values joined by a line, coloured markers, each period's mean (solid) and
    process limits (dashed), the target where there is one, and the two icon names as text."""
    points = chart.points
    frame = _frame([p.y for p in points] + _limit_values(chart) + [p.target for p in points if p.target is not None],
                   len(points), width, height)
    special = sum(p.special_cause_flag for p in points)
    description = (f"XmR chart of {len(points)} points in {len(chart.periods)} period(s); {special} special cause "
                   f"point(s). {_icons_text(chart)}. " + " ".join(chart.warnings)).strip()
    body = [
        *_period_lines(chart, frame),
        *_target_lines(points, frame),
        _series_line([p.y for p in points], frame),
        *(_marker(p.x, p.y, p.point_type, _point_label(p, dates), frame) for p in points),
        _text(MARGIN_LEFT, height - 12, _icons_text(chart), "icons"),
    ]
    return _document(title, description, frame, [p.y for p in points], dates, body, annotations)


def render_run_svg(chart: RunChart, *, title: str, dates: Sequence[str] | None = None,
                   annotations: Sequence[Annotation] = (), width: int = 720, height: int = 320) -> str:
    """The run chart: values joined by a line, grey markers and the median as a solid line."""
    values = list(chart.values)
    frame = _frame(values, len(values), width, height)
    signal = "shows a signal of non-random variation" if chart.runs_signal else "shows only random variation"
    description = f"Run chart of {len(values)} points around a median of {_number(chart.cl)}; it {signal}."
    body = [
        _line(frame.x(0), frame.y(chart.cl), frame.x(len(values) - 1), frame.y(chart.cl), "median", MEAN_COLOUR),
        _series_line(values, frame),
        *(_marker(i, y, "common_cause", _value_label(i, y, dates), frame) for i, y in enumerate(values)),
        _text(MARGIN_LEFT, height - 12, f"Runs signal: {'yes' if chart.runs_signal else 'no'}", "icons"),
    ]
    return _document(title, description, frame, values, dates, body, annotations)


def _frame(values: Sequence[float], n: int, width: int, height: int) -> _Frame:
    low, high = min(values), max(values)
    pad = (high - low) * 0.05 or max(abs(high) * 0.05, 1.0)
    return _Frame(n=n, low=low - pad, high=high + pad, width=width, height=height)


def _limit_values(chart: SpcChart) -> list[float]:
    return [limit for period in chart.periods for limit in (period.lpl, period.upl) if limit is not None]


def _period_lines(chart: SpcChart, frame: _Frame) -> list[str]:
    lines = []
    for period in chart.periods:
        x1, x2 = frame.x(period.start), frame.x(period.start + period.n - 1)
        lines.append(_line(x1, frame.y(period.mean_col), x2, frame.y(period.mean_col), "mean", MEAN_COLOUR))
        for name, limit in (("limit lpl", period.lpl), ("limit upl", period.upl)):
            if limit is not None:
                lines.append(_line(x1, frame.y(limit), x2, frame.y(limit), name, LIMIT_COLOUR, dashed=True))
    return lines


def _target_lines(points: Sequence[SpcPoint], frame: _Frame) -> list[str]:
    """One segment for each run of consecutive points sharing a target."""
    lines, start = [], 0
    for i in range(1, len(points) + 1):
        if i == len(points) or points[i].target != points[start].target:
            target = points[start].target
            if target is not None:
                lines.append(_line(frame.x(start), frame.y(target), frame.x(i - 1), frame.y(target), "target",
                                   TARGET_COLOUR))
            start = i
    return lines


def _series_line(values: Sequence[float], frame: _Frame) -> str:
    coordinates = " ".join(f"{frame.x(i):.1f},{frame.y(y):.1f}" for i, y in enumerate(values))
    return f'<polyline class="series" fill="none" stroke="{LINE_COLOUR}" stroke-width="1.5" points="{coordinates}"/>'


def _marker(index: int, value: float, point_type: str, label: str, frame: _Frame) -> str:
    colour = POINT_COLOURS.get(point_type, POINT_COLOURS["common_cause"])
    return (f'<circle class={quoteattr("point " + point_type)} cx="{frame.x(index):.1f}" cy="{frame.y(value):.1f}" '
            f'r="{MARKER_RADIUS}" fill="{colour}"><title>{escape(label)}</title></circle>')


def _line(x1: float, y1: float, x2: float, y2: float, css_class: str, colour: str, *, dashed: bool = False) -> str:
    dash = ' stroke-dasharray="6 4"' if dashed else ""
    return (f'<line class="{css_class}" x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
            f'stroke="{colour}" stroke-width="1.5"{dash}/>')


def _text(x: float, y: float, content: str, css_class: str, anchor: str = "start", size: int = 12) -> str:
    return (f'<text class="{css_class}" x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" '
            f'fill="{TEXT_COLOUR}">{escape(content)}</text>')


def _axes(frame: _Frame, values: Sequence[float], dates: Sequence[str] | None) -> list[str]:
    bottom, left, right = frame.height - MARGIN_BOTTOM, MARGIN_LEFT, frame.width - MARGIN_RIGHT
    first, last = (dates[0], dates[-1]) if dates else ("0", str(len(values) - 1))
    return [
        _line(left, bottom, right, bottom, "axis", TEXT_COLOUR),
        _line(left, MARGIN_TOP, left, bottom, "axis", TEXT_COLOUR),
        _text(left, bottom + 16, first, "axis-label", "start"),
        _text(right, bottom + 16, last, "axis-label", "end"),
        _text(left - 6, frame.y(max(values)) + 4, _number(max(values)), "axis-label", "end"),
        _text(left - 6, frame.y(min(values)) + 4, _number(min(values)), "axis-label", "end"),
    ]


def _annotation_marks(annotations: Sequence[Annotation], dates: Sequence[str] | None, frame: _Frame) -> list[str]:
    """A dotted line at each annotated month the chart shows, labelled with its note (shortened;
    the whole note is the line's tooltip). Months outside the chart are left out."""
    index = {month: i for i, month in enumerate(dates or ())}
    marks: list[str] = []
    for month, note in annotations:
        if month not in index:
            continue
        x = frame.x(index[month])
        label = note if len(note) <= ANNOTATION_LABEL_CHARS else note[:ANNOTATION_LABEL_CHARS - 1] + "…"
        marks.append(
            f'<g class="annotation"><title>{escape(f"{month}: {note}")}</title>'
            f'<line x1="{x:.1f}" y1="{MARGIN_TOP:.1f}" x2="{x:.1f}" y2="{frame.height - MARGIN_BOTTOM:.1f}" '
            f'stroke="{ANNOTATION_COLOUR}" stroke-width="1" stroke-dasharray="2 3"/>'
            f'{_text(x + 3, MARGIN_TOP + 10 + 12 * (len(marks) % 3), label, "annotation-label", size=10)}</g>')
    return marks


def _annotations_text(annotations: Sequence[Annotation], dates: Sequence[str] | None) -> str:
    shown = [f"{month}: {note}" for month, note in annotations if month in set(dates or ())]
    return f" Annotations: {'; '.join(shown)}." if shown else ""


def _document(title: str, description: str, frame: _Frame, values: Sequence[float], dates: Sequence[str] | None,
              body: list[str], annotations: Sequence[Annotation] = ()) -> str:
    heading = _text(frame.width / 2, 24, title, "chart-title", "middle", size=16)
    description += _annotations_text(annotations, dates)
    return "\n".join([
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{frame.width}" height="{frame.height}" '
        f'viewBox="0 0 {frame.width} {frame.height}" role="img" aria-labelledby="chart-title chart-desc" '
        'font-family="Arial, sans-serif">',
        f'<title id="chart-title">{escape(title)}</title>',
        f'<desc id="chart-desc">{escape(description)}</desc>',
        f'<rect width="{frame.width}" height="{frame.height}" fill="#ffffff"/>',
        heading,
        *_axes(frame, values, dates),
        *body,
        *_annotation_marks(annotations, dates, frame),
        "</svg>",
    ])


def _icons_text(chart: SpcChart) -> str:
    return f"Variation: {chart.variation_icon} · Assurance: {chart.assurance_icon or 'none'}"


def _point_label(point: SpcPoint, dates: Sequence[str] | None) -> str:
    return f"{_value_label(point.x, point.y, dates)}: {point.special_cause_type}"


def _value_label(index: int, value: float, dates: Sequence[str] | None) -> str:
    return f"{dates[index] if dates else f'point {index}'}: {_number(value)}"


def _number(value: float) -> str:
    return f"{value:.4g}"
