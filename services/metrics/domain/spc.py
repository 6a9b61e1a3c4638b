"""Statistical process control for KPIs: the NHS "Making Data Count" XmR chart.

The rules, their precedence and their edge cases follow the NHS-R Community's
NHSRplotthedots package, version 0.2.2, so that an analyst who knows its
``ptd_spc()`` output recognises every name here: ``mean_col``, ``lpl``, ``upl``,
``outside_limits``, ``relative_to_mean``, ``close_to_limits``,
``special_cause_type``, ``point_type`` and so on.

In short, for each period (the series is cut into periods at rebase points):

* the centre line is the mean of the period's points (of its first
  ``fix_after_n_points`` points, when the limits are fixed);
* the process limits are the mean ± 2.66 × the mean moving range, after moving
  ranges of 3.267 × the mean moving range or more have been screened out;
* the near limits, used by the "two in three" rule, are ± 2/3 of that distance;
* each point gets at most one special cause, in this order of precedence:
  outside the limits, part of a trend of 7 points going one way, two of three
  points close to a limit on the same side, part of a run of 7 points on one
  side of the mean.

Where the package leaves a value undefined (``NaN``: a period of one point, or a
constant period whose moving ranges are all screened out) the limits here are
``None`` and the point is not outside or close to them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any, NamedTuple

from shared.errors import InvalidInput

LIMIT_SIGMAS = 2.66
NEAR_LIMIT_SIGMAS = 2 * (LIMIT_SIGMAS / 3)
MOVING_RANGE_OUTLIER_FACTOR = 3.267
RULE_RUN_LENGTH = 7
SHORT_GROUP_THRESHOLD = 13
MIN_FIX_AFTER_N_POINTS = 12
IMPROVEMENT_DIRECTIONS = ("increase", "decrease", "neutral")
# The largest magnitude of any value, measured or charted: far beyond any KPI, and small enough
# that sums, moving ranges and limits of a thousand such values stay finite, exact-enough floats
# (near the float maximum the sums overflow). Measures, the calculator's schema and the charts
# all use this one figure.
MAX_ABS_VALUE = 1e15

# The package's own wording. Its threshold is 13 points although the text says 12.
SHORT_GROUP_WARNING = (
    "Some groups have 'n < 12' observations. These have trial limits, which will be revised "
    "with each additional observation until 'n = fix_after_n_points' has been reached."
)

COMMON_CAUSE = "Common Cause"


class SpcInputRefused(InvalidInput, ValueError):
    """The series or an option can never be charted; ``field`` names which (values or an option)."""

    def __init__(self, field: str, reason: str):
        super().__init__(reason, field=field)


@dataclass(frozen=True)
class SpcOptions:
    """How to draw the chart: the arguments of ``ptd_spc()`` for one series."""

    improvement_direction: str = "neutral"  # "increase" | "decrease" | "neutral"
    target: float | Sequence[float | None] | None = None
    rebase_at: Sequence[int] = ()  # indexes of points that start a new period
    fix_after_n_points: int | None = None
    screen_outliers: bool = True


class SpcPoint(NamedTuple):
    """One point of the chart, with the package's column names (``x`` is the index). A named
    tuple: a chart pass makes a point per month of every chart, and a frozen dataclass of 18
    fields took several times as long to make."""

    x: int
    y: float
    rebase_group: int
    short_group_warning: bool
    fix_y: float | None
    mean_col: float
    lpl: float | None
    upl: float | None
    outside_limits: bool
    relative_to_mean: int
    close_to_limits: bool
    part_of_seven_point_trend: bool
    part_of_two_in_three: bool
    part_of_seven_point_one_side_mean: bool
    special_cause_type: str
    special_cause_flag: bool
    point_type: str
    target: float | None

    @property
    def mean(self) -> float:
        return self.mean_col

    def to_dict(self) -> dict[str, Any]:
        return self._asdict()


@dataclass(frozen=True)
class SpcPeriod:
    """One period between rebase points: a row of the package's ``summary()``."""

    rebase_group: int
    start: int
    n: int
    mean_col: float
    lpl: float | None
    upl: float | None
    common_cause: int
    special_cause_improvement: int
    special_cause_concern: int
    variation_type: str
    assurance_type: str | None

    def to_dict(self) -> dict[str, Any]:
        return _shallow_dict(self)


@dataclass(frozen=True)
class SpcChart:
    """The whole chart: points, periods, the two icons and any warnings."""

    points: tuple[SpcPoint, ...]
    periods: tuple[SpcPeriod, ...]
    improvement_direction: str
    variation_icon: str
    assurance_icon: str | None
    warnings: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {
            "points": [point.to_dict() for point in self.points],
            "periods": [period.to_dict() for period in self.periods],
            "improvement_direction": self.improvement_direction,
            "variation_icon": self.variation_icon,
            "assurance_icon": self.assurance_icon,
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True)
class PeriodLimits:
    mean_col: float
    lpl: float | None
    upl: float | None
    near_lpl: float | None
    near_upl: float | None


def xmr_chart(values: Sequence[float], options: SpcOptions = SpcOptions()) -> SpcChart:
    """The XmR chart of ``values`` (in time order), as ``ptd_spc()`` computes it."""
    ys = _validated_values(values)
    _validate_options(options, len(ys))
    targets = _targets_per_point(options.target, len(ys))
    first_group = _first_rebase_group(options.rebase_at)
    points: list[SpcPoint] = []
    for group, (start, stop) in enumerate(period_bounds(len(ys), options.rebase_at)):
        points.extend(_period_points(ys[start:stop], start, first_group + group, targets, options))
    return _assemble_chart(tuple(points), options)


def period_bounds(n: int, rebase_at: Sequence[int]) -> list[tuple[int, int]]:
    """[start, stop) index pairs of the periods, cut at each rebase point."""
    cuts = sorted({0, *rebase_at, n})
    return [(start, stop) for start, stop in zip(cuts, cuts[1:], strict=False) if start < stop]


def _first_rebase_group(rebase_at: Sequence[int]) -> int:
    # The package numbers periods by the count of rebase points so far: a rebase
    # at the very first point makes the first period number 1, not 0.
    return 1 if 0 in rebase_at else 0


def _validated_values(values: Sequence[float]) -> list[float]:
    ys = [float(value) for value in values]
    if not ys:
        raise SpcInputRefused("values", "an SPC chart needs at least one value")
    if not all(math.isfinite(y) for y in ys):
        raise SpcInputRefused("values", "every value must be a finite number")
    if any(abs(y) > MAX_ABS_VALUE for y in ys):
        # Sums of values near the float maximum overflow; no KPI comes anywhere close.
        raise SpcInputRefused("values", f"every value must be within ±{MAX_ABS_VALUE:g}")
    return ys


def _validate_options(options: SpcOptions, n: int) -> None:
    if options.improvement_direction not in IMPROVEMENT_DIRECTIONS:
        raise SpcInputRefused("improvement_direction", f"improvement_direction must be one of {IMPROVEMENT_DIRECTIONS}")
    if any(not 0 <= index < n for index in options.rebase_at):
        raise SpcInputRefused("rebase_at", "every rebase_at index must point at a value")
    fix = options.fix_after_n_points
    if fix is not None and fix < MIN_FIX_AFTER_N_POINTS:
        raise SpcInputRefused("fix_after_n_points", f"fix_after_n_points must be at least {MIN_FIX_AFTER_N_POINTS}")


def _targets_per_point(target: float | Sequence[float | None] | None, n: int) -> list[float | None]:
    if target is None or isinstance(target, int | float):
        return [None if target is None else float(target)] * n
    targets = [None if value is None else float(value) for value in target]
    if len(targets) != n:
        raise SpcInputRefused("target", "a target per point needs exactly one target for each value")
    return targets


def _period_points(
    ys: list[float],
    start: int,
    rebase_group: int,
    targets: list[float | None],
    options: SpcOptions,
) -> list[SpcPoint]:
    fixed = _fixed_values(ys, options.fix_after_n_points)
    limits = period_limits(fixed, options.screen_outliers)
    relative = [relative_to_mean(y, limits.mean_col) for y in ys]
    outside = [is_outside_limits(y, limits) for y in ys]
    close = [
        is_close_to_limits(y, limits) and not beyond for y, beyond in zip(ys, outside, strict=True)
    ]
    trend = part_of_run(seven_point_trend(ys))
    two_in_three = part_of_two_in_three(two_in_three_windows(close, relative), close)
    one_side = part_of_run(seven_points_one_side_of_mean(relative))
    labels = special_cause_types(ys, relative, outside, trend, two_in_three, one_side)
    short = len(ys) < SHORT_GROUP_THRESHOLD
    return [
        SpcPoint(
            x=start + i,
            y=ys[i],
            rebase_group=rebase_group,
            short_group_warning=short,
            fix_y=fixed[i] if i < len(fixed) else None,
            mean_col=limits.mean_col,
            lpl=limits.lpl,
            upl=limits.upl,
            outside_limits=outside[i],
            relative_to_mean=relative[i],
            close_to_limits=close[i],
            part_of_seven_point_trend=trend[i],
            part_of_two_in_three=two_in_three[i],
            part_of_seven_point_one_side_mean=one_side[i],
            special_cause_type=labels[i],
            special_cause_flag=labels[i] != COMMON_CAUSE,
            point_type=point_type(labels[i], options.improvement_direction),
            target=targets[start + i],
        )
        for i in range(len(ys))
    ]


def _fixed_values(ys: list[float], fix_after_n_points: int | None) -> list[float]:
    return ys if fix_after_n_points is None else ys[:fix_after_n_points]


# --- limits -------------------------------------------------------------------------------


def period_limits(ys: Sequence[float], screen_outliers: bool = True) -> PeriodLimits:
    """Centre line, process limits and near limits from the points that set them."""
    centre = r_mean(ys)
    sigma_unit = mean_moving_range(ys, screen_outliers)
    if sigma_unit is None:
        return PeriodLimits(centre, None, None, None, None)
    return PeriodLimits(
        mean_col=centre,
        lpl=centre - LIMIT_SIGMAS * sigma_unit,
        upl=centre + LIMIT_SIGMAS * sigma_unit,
        near_lpl=centre - NEAR_LIMIT_SIGMAS * sigma_unit,
        near_upl=centre + NEAR_LIMIT_SIGMAS * sigma_unit,
    )


def moving_ranges(ys: Sequence[float]) -> list[float]:
    return [abs(later - earlier) for earlier, later in zip(ys, ys[1:], strict=False)]


def mean_moving_range(ys: Sequence[float], screen_outliers: bool = True) -> float | None:
    """Mean moving range; with screening, recomputed without the outlying ranges.

    None where the package gets NaN: fewer than two points, or screening that
    leaves no range (a constant series: no range is below 3.267 × 0).
    """
    ranges = moving_ranges(ys)
    if not ranges:
        return None
    if screen_outliers:
        ceiling = MOVING_RANGE_OUTLIER_FACTOR * r_mean(ranges)
        ranges = [moving_range for moving_range in ranges if moving_range < ceiling]
    return r_mean(ranges) if ranges else None


def r_mean(values: Sequence[float]) -> float:
    """Arithmetic mean refined by a second pass, as R's mean() does."""
    first = math.fsum(values) / len(values)
    return first + math.fsum(value - first for value in values) / len(values)


def relative_to_mean(y: float, mean_col: float) -> int:
    difference = y - mean_col
    return (difference > 0) - (difference < 0)


def is_outside_limits(y: float, limits: PeriodLimits) -> bool:
    if limits.lpl is None or limits.upl is None:
        return False
    return y > limits.upl or y < limits.lpl


def is_close_to_limits(y: float, limits: PeriodLimits) -> bool:
    if limits.near_lpl is None or limits.near_upl is None:
        return False
    return y < limits.near_lpl or y > limits.near_upl


# --- rules ---------------------------------------------------------------------------------


def seven_point_trend(ys: Sequence[float]) -> list[int]:
    """+1 / -1 at a point that ends 7 points each strictly above / below the one before.

    One pass: the length of the run of equal, non-zero steps ending at each point."""
    ends = [0] * len(ys)
    steps_in_run, previous_step = 0, 0
    for i in range(1, len(ys)):
        step = _sign(ys[i] - ys[i - 1])
        steps_in_run = 0 if step == 0 else (steps_in_run + 1 if step == previous_step else 1)
        previous_step = step
        if steps_in_run >= RULE_RUN_LENGTH - 1:
            ends[i] = step
    return ends


def seven_points_one_side_of_mean(relative: Sequence[int]) -> list[int]:
    """The side (+1 / -1) at a point that ends 7 points on the same side of the mean (one pass:
    the length of the run of equal sides ending at each point)."""
    ends = [0] * len(relative)
    run = 0
    for i, side in enumerate(relative):
        run = run + 1 if i > 0 and side == relative[i - 1] else 1
        if run >= RULE_RUN_LENGTH and side != 0:
            ends[i] = side
    return ends


def part_of_run(ends: Sequence[int]) -> list[bool]:
    """Whether a point lies in a run of 7 that ends at it or at one of the next 6 points (one pass
    from the newest point: how far the next run's end is)."""
    flags = [False] * len(ends)
    next_end = None
    for i in range(len(ends) - 1, -1, -1):
        if ends[i]:
            next_end = i
        flags[i] = next_end is not None and next_end - i < RULE_RUN_LENGTH
    return flags


def two_in_three_windows(close: Sequence[bool], relative: Sequence[int]) -> list[bool]:
    """Whether a point lies in a window of 3 points, all on one side of the mean, with
    at least 2 of them close to (beyond 2 sigma, within) a limit. Each window is judged once."""
    n = len(close)
    signals = [close[first] + close[first + 1] + close[first + 2] >= 2
               and abs(relative[first] + relative[first + 1] + relative[first + 2]) == 3
               for first in range(n - 2)]
    return [any(signals[first] for first in range(max(0, i - 2), min(i + 1, n - 2))) for i in range(n)]


def part_of_two_in_three(windows: Sequence[bool], close: Sequence[bool]) -> list[bool]:
    """Only the close points of a signalling window are flagged, not the third point."""
    return [in_window and is_close for in_window, is_close in zip(windows, close, strict=True)]


def special_cause_types(
    ys: Sequence[float],
    relative: Sequence[int],
    outside: Sequence[bool],
    trend: Sequence[bool],
    two_in_three: Sequence[bool],
    one_side: Sequence[bool],
) -> list[str]:
    """The package's label per point, the first rule that holds winning."""
    labels = []
    for i in range(len(ys)):
        side = "Above" if relative[i] > 0 else "Below"
        if outside[i]:
            labels.append("Above UCL" if relative[i] == 1 else "Below LCL")
        elif trend[i]:
            direction = "In" if trend_direction(ys, trend, i) == 1 else "De"
            labels.append(f"7 Point Trend ({direction}creasing)")
        elif two_in_three[i]:
            labels.append(f"2 in 3 {side} CL")
        elif one_side[i]:
            labels.append(f"7 Points {side} CL")
        else:
            labels.append(COMMON_CAUSE)
    return labels


def trend_direction(ys: Sequence[float], trend: Sequence[bool], i: int) -> int:
    """A trend point takes the direction of the step after it when that next point is in a
    trend too, else of the step before it (so a peak shared by two trends goes with the
    later one)."""
    if trend[i] and i + 1 < len(ys) and trend[i + 1]:
        return _sign(ys[i + 1] - ys[i])
    return _sign(ys[i] - ys[i - 1]) if i > 0 else 0


def point_type(special_cause_type: str, improvement_direction: str) -> str:
    side = _side_of_special_cause(special_cause_type)
    if side == 0:
        return "common_cause"
    if improvement_direction == "neutral":
        return "special_cause_neutral_high" if side > 0 else "special_cause_neutral_low"
    oriented = side * (1 if improvement_direction == "increase" else -1)
    return "special_cause_improvement" if oriented > 0 else "special_cause_concern"


def _side_of_special_cause(special_cause_type: str) -> int:
    if "Above" in special_cause_type or "Increasing" in special_cause_type:
        return 1
    if "Below" in special_cause_type or "Decreasing" in special_cause_type:
        return -1
    return 0


def _sign(value: float) -> int:
    return (value > 0) - (value < 0)


# --- icons and periods ---------------------------------------------------------------------


def variation_icon(point_type_of_last_point: str, improvement_direction: str) -> str:
    """The package's variation icon name (its svg file name) for the latest point."""
    if point_type_of_last_point == "special_cause_concern":
        return "concern_low" if improvement_direction == "increase" else "concern_high"
    if point_type_of_last_point == "special_cause_improvement":
        return "improvement_high" if improvement_direction == "increase" else "improvement_low"
    return point_type_of_last_point.removeprefix("special_cause_")


def assurance_type(last_point: SpcPoint, improvement_direction: str) -> str | None:
    """Whether the process will consistently pass or fail the latest point's target.

    None with no target or a neutral direction. Undefined limits give
    "inconsistent", as in the package.
    """
    target = last_point.target
    if target is None or improvement_direction == "neutral":
        return None
    increasing = improvement_direction == "increase"
    if last_point.upl is not None and target > last_point.upl:
        return "consistent_fail" if increasing else "consistent_pass"
    if last_point.lpl is not None and target < last_point.lpl:
        return "consistent_pass" if increasing else "consistent_fail"
    return "inconsistent"


def _assemble_chart(points: tuple[SpcPoint, ...], options: SpcOptions) -> SpcChart:
    direction = options.improvement_direction
    assurance = assurance_type(points[-1], direction)
    periods = tuple(
        _summarise_period(list(group_points), assurance if is_last else None)
        for group_points, is_last in _points_by_period(points)
    )
    short = any(point.short_group_warning for point in points)
    return SpcChart(
        points=points,
        periods=periods,
        improvement_direction=direction,
        variation_icon=variation_icon(points[-1].point_type, direction),
        assurance_icon=assurance,
        warnings=(SHORT_GROUP_WARNING,) if short else (),
    )


def _points_by_period(
    points: tuple[SpcPoint, ...],
) -> list[tuple[tuple[SpcPoint, ...], bool]]:
    groups = sorted({point.rebase_group for point in points})
    return [
        (tuple(p for p in points if p.rebase_group == group), group == groups[-1])
        for group in groups
    ]


def _summarise_period(points: list[SpcPoint], assurance: str | None) -> SpcPeriod:
    first, last = points[0], points[-1]
    types = [point.point_type for point in points]
    return SpcPeriod(
        rebase_group=first.rebase_group,
        start=first.x,
        n=len(points),
        mean_col=first.mean_col,
        lpl=first.lpl,
        upl=first.upl,
        common_cause=sum(not point.special_cause_flag for point in points),
        special_cause_improvement=types.count("special_cause_improvement"),
        special_cause_concern=types.count("special_cause_concern"),
        variation_type=last.point_type,
        assurance_type=assurance,
    )


def _shallow_dict(row: Any) -> dict[str, Any]:
    """``dataclasses.asdict`` for a flat row, without its deep copies (charts are built often)."""
    return {f.name: getattr(row, f.name) for f in fields(row)}
