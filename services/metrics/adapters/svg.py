"""SPC and run charts drawn as standalone, accessible SVG text (a pure function: no I/O).

Points take the Making Data Count colours of NHSRplotthedots 0.2 (``ptd_spc_colours()``,
standardised with the MDC team's Power BI visuals): grey for common cause, blue for
improvement, orange for concern, purple for neutral special cause. Each marker also carries
its ``point_type`` as a class, so a page's CSS can restyle it. An annotated month gets a dotted
vertical line with its note (a PDSA cycle's start in green, marked ``pdsa``), a rebase a dashed
line with its reason, and the variation and assurance icons are drawn as Making Data Count draws
them (a coloured disc with its letter: H or L for the side of a special cause, P, F or ? for
assurance). Months not yet judged (provisional: not over, or units still to report) follow the
judged points as hollow markers on a dotted line. All of it is named in the description screen
readers read. Values are labelled with the KPI's decimal places. Every piece of text, user titles
and notes included, is escaped.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
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
PDSA_COLOUR = "#007f3b"
REBASE_COLOUR = "#231f20"
PROVISIONAL_FILL = "#ffffff"
# The icons' discs: Making Data Count's blue for improvement or a passing target, orange for
# concern or a failing one, purple for a neutral special cause, grey otherwise.
ICON_COLOURS = {"improvement": "#00b0f0", "concern": "#e46c0a", "neutral": "#490092", "common": "#a6a6a6",
                "consistent_pass": "#00b0f0", "consistent_fail": "#e46c0a", "inconsistent": "#a6a6a6"}
ICON_WORDS = {
    "common_cause": "common cause variation", "improvement_high": "special cause improvement (high)",
    "improvement_low": "special cause improvement (low)", "concern_high": "special cause concern (high)",
    "concern_low": "special cause concern (low)", "neutral_high": "special cause, neither better nor worse (high)",
    "neutral_low": "special cause, neither better nor worse (low)",
    "consistent_pass": "the target is consistently met", "consistent_fail": "the target is consistently missed",
    "inconsistent": "the target may or may not be met",
}
ICON_RADIUS = 12
ANNOTATION_LABEL_CHARS = 40
LABEL_CHAR_WIDTH = 5.6  # an average character of the 10px label font, wide enough for Arial and Frutiger
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 64, 24, 40, 64
MARKER_RADIUS = 3.5
Annotation = tuple[str, str]  # (the month annotated, YYYY-MM; the note)
Rebase = tuple[str, str]  # (the first month of the new period, YYYY-MM; why)
ProvisionalPoint = tuple[str, float]  # (a month not yet judged, YYYY-MM; its value so far)


@dataclass(frozen=True)
class Marks:
    """What is drawn over a chart's points: notes, rebases, months not yet judged, and how values read."""

    dates: Sequence[str] | None = None
    annotations: Sequence[Annotation] = ()
    rebases: Sequence[Rebase] = ()
    pdsa_months: frozenset[str] = frozenset()
    provisional: Sequence[ProvisionalPoint] = ()
    decimal_places: int | None = None

    def number(self, value: float) -> str:
        return _number(value) if self.decimal_places is None else f"{value:.{self.decimal_places}f}"

    def all_dates(self, n: int) -> list[str] | None:
        """The judged points' months followed by the provisional ones (None without dates)."""
        if self.dates is None:
            return None
        return [*self.dates[:n], *(month for month, _ in self.provisional)]


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
               annotations: Sequence[Annotation] = (), rebases: Sequence[Rebase] = (),
               pdsa_months: Iterable[str] = (), provisional: Sequence[ProvisionalPoint] = (),
               decimal_places: int | None = None, width: int = 720, height: int = 320) -> str:
    """Either kind of chart, drawn the way its kind is drawn, with the notes on its months."""
    draw = render_spc_svg if isinstance(chart, SpcChart) else render_run_svg
    return draw(chart, title=title, dates=dates, annotations=annotations, rebases=rebases,  # type: ignore[arg-type]
                pdsa_months=pdsa_months, provisional=provisional, decimal_places=decimal_places, width=width,
                height=height)


def render_spc_svg(chart: SpcChart, *, title: str, dates: Sequence[str] | None = None,
                   annotations: Sequence[Annotation] = (), rebases: Sequence[Rebase] = (),
                   pdsa_months: Iterable[str] = (), provisional: Sequence[ProvisionalPoint] = (),
                   decimal_places: int | None = None, width: int = 720, height: int = 320) -> str:
    """The XmR chart: values joined by a line, coloured markers, each period's mean (solid) and
    process limits (dashed), the target where there is one, and the two icons."""
    marks = Marks(dates, annotations, rebases, frozenset(pdsa_months), provisional, decimal_places)
    points = chart.points
    values = [p.y for p in points]
    frame = _frame(values + [v for _, v in provisional] + _limit_values(chart)
                   + [p.target for p in points if p.target is not None], len(points) + len(provisional), width, height)
    special = sum(p.special_cause_flag for p in points)
    description = (f"XmR chart of {len(points)} points in {len(chart.periods)} period(s); {special} special cause "
                   f"point(s). {_icons_text(chart)}. " + " ".join(chart.warnings)).strip()
    body = [
        *_period_lines(chart, frame),
        *_target_lines(points, frame),
        _series_line(values, frame),
        *(_marker(p.x, p.y, p.point_type, _point_label(p, marks), frame) for p in points),
        *_icons(chart, frame),
    ]
    return _document(title, description, frame, values, marks, body)


def render_run_svg(chart: RunChart, *, title: str, dates: Sequence[str] | None = None,
                   annotations: Sequence[Annotation] = (), rebases: Sequence[Rebase] = (),
                   pdsa_months: Iterable[str] = (), provisional: Sequence[ProvisionalPoint] = (),
                   decimal_places: int | None = None, width: int = 720, height: int = 320) -> str:
    """The run chart: values joined by a line, grey markers and the centre line (the median, of the
    first ``freeze`` points when frozen, or the centre line given) as a solid line."""
    marks = Marks(dates, annotations, rebases, frozenset(pdsa_months), provisional, decimal_places)
    values = list(chart.values)
    frame = _frame(values + [v for _, v in provisional] + [chart.cl], len(values) + len(provisional), width, height)
    signal = "shows a signal of non-random variation" if chart.runs_signal else "shows only random variation"
    description = (f"Run chart of {len(values)} points around {_centre_words(chart)} of {marks.number(chart.cl)}; "
                   f"it {signal}.")
    body = [
        _line(frame.x(0), frame.y(chart.cl), frame.x(len(values) - 1), frame.y(chart.cl), "median", MEAN_COLOUR),
        _series_line(values, frame),
        *(_marker(i, y, "common_cause", _value_label(i, y, marks), frame) for i, y in enumerate(values)),
        _text(MARGIN_LEFT, height - 12, f"Runs signal: {'yes' if chart.runs_signal else 'no'}", "icons"),
    ]
    return _document(title, description, frame, values, marks, body)


def _centre_words(chart: RunChart) -> str:
    if chart.cl_given:
        return "a centre line given"
    if chart.freeze is not None and chart.freeze < chart.n_obs:
        return f"the median of its first {chart.freeze} points"
    return "a median"


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


def _axes(frame: _Frame, values: Sequence[float], marks: Marks) -> list[str]:
    bottom, left, right = frame.height - MARGIN_BOTTOM, MARGIN_LEFT, frame.width - MARGIN_RIGHT
    dates = marks.all_dates(len(values))
    first, last = (dates[0], dates[-1]) if dates else ("0", str(frame.n - 1))
    shown = [*values, *(value for _, value in marks.provisional)]
    return [
        _line(left, bottom, right, bottom, "axis", TEXT_COLOUR),
        _line(left, MARGIN_TOP, left, bottom, "axis", TEXT_COLOUR),
        _text(left, bottom + 16, first, "axis-label", "start"),
        _text(right, bottom + 16, last, "axis-label", "end"),
        _text(left - 6, frame.y(max(shown)) + 4, marks.number(max(shown)), "axis-label", "end"),
        _text(left - 6, frame.y(min(shown)) + 4, marks.number(min(shown)), "axis-label", "end"),
    ]


def _month_index(marks: Marks, n: int) -> dict[str, int]:
    return {month: i for i, month in enumerate(marks.all_dates(n) or ())}


def _annotation_marks(marks: Marks, n: int, frame: _Frame) -> list[str]:
    """A dotted line at each annotated month the chart shows, labelled with its note (shortened;
    the whole note is the line's tooltip); a PDSA cycle's start in green. Months outside the chart
    are left out."""
    index = _month_index(marks, n)
    drawn: list[str] = []
    for month, note in marks.annotations:
        if month not in index:
            continue
        x = frame.x(index[month])
        pdsa = month in marks.pdsa_months and note.upper().startswith("PDSA")
        colour, css = (PDSA_COLOUR, "annotation pdsa") if pdsa else (ANNOTATION_COLOUR, "annotation")
        label = note if len(note) <= ANNOTATION_LABEL_CHARS else note[:ANNOTATION_LABEL_CHARS - 1] + "…"
        drawn.append(
            f'<g class="{css}"><title>{escape(f"{month}: {note}")}</title>'
            f'<line x1="{x:.1f}" y1="{MARGIN_TOP:.1f}" x2="{x:.1f}" y2="{frame.height - MARGIN_BOTTOM:.1f}" '
            f'stroke="{colour}" stroke-width="1" stroke-dasharray="2 3"/>'
            f'{_annotation_label(x, MARGIN_TOP + 10 + 12 * (len(drawn) % 3), label, frame)}</g>')
    return drawn


def _annotation_label(x: float, y: float, label: str, frame: _Frame) -> str:
    """The note to the right of its line, or to the left where it would run off the chart (a note
    on one of the last months)."""
    if x + 3 + len(label) * LABEL_CHAR_WIDTH <= frame.width:
        return _text(x + 3, y, label, "annotation-label", size=10)
    return _text(x - 3, y, label, "annotation-label", "end", size=10)


def _rebase_marks(marks: Marks, n: int, frame: _Frame) -> list[str]:
    """A dashed line where each live rebase starts a new period, labelled "Rebase", its reason the tooltip."""
    index = _month_index(marks, n)
    drawn: list[str] = []
    for month, reason in marks.rebases:
        if month not in index:
            continue
        x = frame.x(index[month]) - 0.5 * (frame.x(1) - frame.x(0) if frame.n > 1 else 0)
        bottom = frame.height - MARGIN_BOTTOM
        drawn.append(
            f'<g class="rebase"><title>{escape(f"Rebased at {month}: {reason}")}</title>'
            f'{_line(x, MARGIN_TOP, x, bottom, "rebase-line", REBASE_COLOUR, dashed=True)}'
            f'{_text(x + 3, bottom - 4, "Rebase", "rebase-label", size=10)}</g>')
    return drawn


def _provisional_marks(values: Sequence[float], marks: Marks, frame: _Frame) -> list[str]:
    """The months not yet judged, after the judged points: hollow markers joined by a dotted line."""
    if not marks.provisional:
        return []
    n = len(values)
    path = ([(n - 1, values[-1])] if values else []) + [(n + i, v) for i, (_, v) in enumerate(marks.provisional)]
    coordinates = " ".join(f"{frame.x(i):.1f},{frame.y(v):.1f}" for i, v in path)
    drawn = [f'<polyline class="series provisional" fill="none" stroke="{LINE_COLOUR}" stroke-width="1.5" '
             f'stroke-dasharray="2 3" points="{coordinates}"/>']
    for i, (month, value) in enumerate(marks.provisional):
        label = f"{month}: {marks.number(value)} (provisional: not yet judged)"
        drawn.append(f'<circle class="point provisional" cx="{frame.x(n + i):.1f}" cy="{frame.y(value):.1f}" '
                     f'r="{MARKER_RADIUS}" fill="{PROVISIONAL_FILL}" stroke="{LINE_COLOUR}" stroke-width="1.5">'
                     f'<title>{escape(label)}</title></circle>')
    return drawn


def _icons(chart: SpcChart, frame: _Frame) -> list[str]:
    """The variation icon and, with a target, the assurance icon, top right, as coloured discs with
    their letter (H/L: the side of a special cause; P, F or ?: the target met, missed or either)."""
    variation = chart.variation_icon
    kind = variation.split("_")[0] if variation != "common_cause" else "common"
    letter = {"high": "H", "low": "L"}.get(variation.rsplit("_", 1)[-1], "")
    drawn = [_icon("variation", variation, ICON_COLOURS[kind], letter, f"Variation: {ICON_WORDS[variation]}",
                   frame.width - MARGIN_RIGHT - ICON_RADIUS - (2 * ICON_RADIUS + 6), frame)]
    if chart.assurance_icon:
        assurance = chart.assurance_icon
        drawn.append(_icon("assurance", assurance, ICON_COLOURS[assurance],
                           {"consistent_pass": "P", "consistent_fail": "F"}.get(assurance, "?"),
                           f"Assurance: {ICON_WORDS[assurance]}", frame.width - MARGIN_RIGHT - ICON_RADIUS, frame))
    return drawn


def _icon(kind: str, name: str, colour: str, letter: str, words: str, x: float, frame: _Frame) -> str:
    y = ICON_RADIUS + 4  # in the title's band, above the plot
    return (f'<g class="icon {kind} {name}"><title>{escape(words)}</title>'
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{ICON_RADIUS}" fill="#ffffff" stroke="{colour}" stroke-width="3"/>'
            f'<text x="{x:.1f}" y="{y + 5:.1f}" text-anchor="middle" font-size="13" font-weight="bold" '
            f'fill="{colour}">{escape(letter)}</text></g>')


def _marks_text(marks: Marks, n: int) -> str:
    shown = set(marks.all_dates(n) or ())
    parts = []
    notes = [f"{month}: {note}" for month, note in marks.annotations if month in shown]
    if notes:
        parts.append(f" Annotations: {'; '.join(notes)}.")
    parts += [f" Rebased at {month}: {reason}." for month, reason in marks.rebases if month in shown]
    if marks.provisional:
        months = "; ".join(f"{month}: {marks.number(value)}" for month, value in marks.provisional)
        parts.append(f" Not yet judged (provisional): {months}.")
    return "".join(parts)


def _document(title: str, description: str, frame: _Frame, values: Sequence[float], marks: Marks,
              body: list[str]) -> str:
    heading = _text(frame.width / 2, 24, title, "chart-title", "middle", size=16)
    description += _marks_text(marks, len(values))
    return "\n".join([
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{frame.width}" height="{frame.height}" '
        f'viewBox="0 0 {frame.width} {frame.height}" role="img" aria-labelledby="chart-title chart-desc" '
        'font-family="Arial, sans-serif">',
        f'<title id="chart-title">{escape(title)}</title>',
        f'<desc id="chart-desc">{escape(description)}</desc>',
        f'<rect width="{frame.width}" height="{frame.height}" fill="#ffffff"/>',
        heading,
        *_axes(frame, values, marks),
        *_rebase_marks(marks, len(values), frame),
        *body,
        *_provisional_marks(values, marks, frame),
        *_annotation_marks(marks, len(values), frame),
        "</svg>",
    ])


def _icons_text(chart: SpcChart) -> str:
    assurance = ICON_WORDS[chart.assurance_icon] if chart.assurance_icon else "none (no target)"
    return f"Variation: {ICON_WORDS[chart.variation_icon]} · Assurance: {assurance}"


def _point_label(point: SpcPoint, marks: Marks) -> str:
    return f"{_value_label(point.x, point.y, marks)}: {point.special_cause_type}"


def _value_label(index: int, value: float, marks: Marks) -> str:
    return f"{marks.dates[index] if marks.dates else f'point {index}'}: {marks.number(value)}"


def _number(value: float) -> str:
    return f"{value:.4g}"


def with_id_prefix(svg: str, prefix: str) -> str:
    """The SVG with its title's and description's ids (and the references to them) made unique by
    ``prefix``, so several charts inlined in one page each keep their own accessible name."""
    return (svg.replace('aria-labelledby="chart-title chart-desc"', f'aria-labelledby="{prefix}-title {prefix}-desc"')
               .replace('<title id="chart-title">', f'<title id="{prefix}-title">')
               .replace('<desc id="chart-desc">', f'<desc id="{prefix}-desc">'))
