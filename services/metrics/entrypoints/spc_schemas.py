"""HTTP schemas of the SPC calculator: a series and its options in, a chart out.

Loading a request gives an ``SpcRequest`` whose options are already the domain's
``SpcOptions`` (rebase dates turned into indexes), so the view only has to draw.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from services.metrics.domain.spc import (
    IMPROVEMENT_DIRECTIONS,
    MAX_ABS_VALUE,
    MIN_FIX_AFTER_N_POINTS,
    SHORT_GROUP_WARNING,
    SpcOptions,
)

MAX_VALUES = 1000
MAX_MAGNITUDE = MAX_ABS_VALUE  # see spc.MAX_ABS_VALUE
CHART_TYPES = ("xmr", "run", "auto")
DATE_PATTERN = re.compile(r"\d{4}-\d{2}(-\d{2})?")
DATE_HELP = "an ISO date (YYYY-MM-DD) or a month (YYYY-MM)"
# The OpenAPI examples: 15 months of a ward's average length of stay, days, with a rebase in 2026-01.
EXAMPLE_VALUES = [6.4, 6.1, 6.6, 6.2, 5.9, 6.3, 6.0, 6.5, 6.2, 6.1, 6.4, 6.0, 5.5, 5.2, 5.4]
EXAMPLE_DATES = [f"2025-{month:02}" for month in range(1, 13)] + ["2026-01", "2026-02", "2026-03"]


@dataclass(frozen=True)
class SpcRequest:
    """A loaded request: the series, its dates as given, how to draw it."""

    values: list[float]
    dates: list[str] | None
    options: SpcOptions
    chart_type: str
    freeze: int | None = None
    cl: float | None = None
    title: str = "SPC chart"
    width: int = 720
    height: int = 320


def parse_period_date(text: str) -> date:
    """A day from YYYY-MM-DD, or the first of the month from YYYY-MM."""
    if not DATE_PATTERN.fullmatch(text):
        raise ValueError(f"must be {DATE_HELP}")
    return date.fromisoformat(text if len(text) == 10 else f"{text}-01")


def _finite_number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValidationError("must be a finite number")
    if abs(value) > MAX_MAGNITUDE:
        raise ValidationError(f"must be between -{MAX_MAGNITUDE:g} and {MAX_MAGNITUDE:g}")
    return float(value)


class TargetField(fields.Field):
    """One target for every point, or one per point (null where a point has none)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> float | list[float | None]:
        if isinstance(value, list):
            return [None if item is None else _finite_number(item) for item in value]
        return _finite_number(value)


class RebasePointField(fields.Field):
    """The index of a point (an integer), or one of the request's dates."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int | date:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str):
            try:
                return parse_period_date(value)
            except ValueError as exc:
                raise ValidationError(f"must be a point's index or {DATE_HELP}") from exc
        raise ValidationError(f"must be a point's index or {DATE_HELP}")


class SpcRequestSchema(Schema):
    values = fields.List(
        fields.Float(allow_nan=False, validate=validate.Range(-MAX_MAGNITUDE, MAX_MAGNITUDE)),
        required=True,
        validate=validate.Length(1, MAX_VALUES, error=f"give between 1 and {MAX_VALUES} values"),
        metadata={"description": "The measurements in time order, oldest first: 1 to 1000 finite numbers, each "
                                 f"within ±{MAX_MAGNITUDE:g}.", "example": EXAMPLE_VALUES},
    )
    dates = fields.List(
        fields.String(),
        load_default=None,
        metadata={"description": f"Optional: the date of each value, {DATE_HELP}, strictly increasing, one per "
                                 "value. Echoed in the response and usable in rebase_at.", "example": EXAMPLE_DATES},
    )
    improvement_direction = fields.String(
        load_default="neutral",
        validate=validate.OneOf(IMPROVEMENT_DIRECTIONS),
        metadata={"description": "Which way is better: increase, decrease or neutral (no better side).",
                  "example": "decrease"},
    )
    target = TargetField(
        load_default=None,
        metadata={
            "description": "Optional: one target for every point, or a list with one target (or null) per value. "
                           "The latest point's target sets the assurance icon.",
            "oneOf": [{"type": "number"}, {"type": "array", "items": {"type": "number", "nullable": True}}],
            "example": 5.5,
        },
    )
    rebase_at = fields.List(
        RebasePointField(metadata={"oneOf": [{"type": "integer"}, {"type": "string"}]}),
        load_default=list,
        metadata={"description": "Where a new period starts (the process changed): indexes of values (0-based) "
                                 "or dates from `dates`. Each must be inside the series and not its first point.",
                                 "example": ["2026-01"]},
    )
    fix_after_n_points = fields.Integer(
        strict=True,
        load_default=None,
        validate=validate.Range(
            min=MIN_FIX_AFTER_N_POINTS,
            error=f"must be at least {MIN_FIX_AFTER_N_POINTS}: NHSRplotthedots refuses to fix limits on fewer "
                  "points",
        ),
        metadata={"description": "Optional: compute each period's mean and limits from its first n points only "
                                 f"(n ≥ {MIN_FIX_AFTER_N_POINTS}).", "example": None},
    )
    screen_outliers = fields.Boolean(
        load_default=True,
        metadata={"description": "Leave moving ranges of 3.267 × the mean moving range or more out of the limits.",
                  "example": True},
    )
    freeze = fields.Integer(
        strict=True,
        load_default=None,
        validate=validate.Range(min=1, max=MAX_VALUES),
        metadata={"description": "Run charts (qicharts2's `freeze`): the median is taken of the first n points only, "
                                 "a baseline (a freeze past the last point takes every point); the runs analysis "
                                 "still covers every point. Not used by an XmR chart (see fix_after_n_points).",
                  "example": None},
    )
    cl = fields.Float(
        load_default=None,
        allow_none=True,
        allow_nan=False,
        validate=validate.Range(-MAX_MAGNITUDE, MAX_MAGNITUDE),
        metadata={"description": "Run charts (qicharts2's `cl`): a centre line known in advance, used instead of the "
                                 "median (even with freeze). Not used by an XmR chart.", "example": None},
    )
    chart_type = fields.String(
        load_default="xmr",
        validate=validate.OneOf(CHART_TYPES),
        metadata={"description": "xmr (the Making Data Count chart), run (median and Anhøj rules), or auto: a run "
                                 "chart when the series has too few points for anything but trial limits.",
                                 "example": "xmr"},
    )

    @validates_schema
    def _check_lengths_and_rebases(self, data: dict[str, Any], **kwargs: Any) -> None:
        n = len(data["values"])
        errors: dict[str, list[str]] = {}
        dates = _checked_dates(data["dates"], n, errors)
        target = data["target"]
        if isinstance(target, list) and len(target) != n:
            errors["target"] = [f"a list of targets needs one per value ({n}), not {len(target)}"]
        rebase_problem = _rebase_problem(data["rebase_at"], n, dates)
        if rebase_problem:
            errors["rebase_at"] = [rebase_problem]
        if errors:
            raise ValidationError(errors)

    @post_load
    def _to_request(self, data: dict[str, Any], **kwargs: Any) -> SpcRequest:
        dates = data["dates"]
        options = SpcOptions(
            improvement_direction=data["improvement_direction"],
            target=data["target"],
            rebase_at=_rebase_indexes(data["rebase_at"], dates),
            fix_after_n_points=data["fix_after_n_points"],
            screen_outliers=data["screen_outliers"],
        )
        extras = {name: data[name] for name in ("title", "width", "height") if name in data}
        return SpcRequest(values=data["values"], dates=dates, options=options, chart_type=data["chart_type"],
                          freeze=data["freeze"], cl=data["cl"], **extras)


class SpcSvgRequestSchema(SpcRequestSchema):
    title = fields.String(
        load_default="SPC chart",
        validate=validate.Length(1, 200),
        metadata={"description": "The chart's title, also read out by screen readers.", "example": "ALOS, WARD-7"},
    )
    width = fields.Integer(strict=True, load_default=720, validate=validate.Range(320, 2400),
                           metadata={"description": "Width in pixels.", "example": 720})
    height = fields.Integer(strict=True, load_default=320, validate=validate.Range(200, 1600),
                            metadata={"description": "Height in pixels.", "example": 320})


def _checked_dates(texts: list[str] | None, n: int, errors: dict[str, list[str]]) -> list[date] | None:
    if texts is None:
        return None
    if len(texts) != n:
        errors["dates"] = [f"give one date per value ({n}), not {len(texts)}"]
        return None
    try:
        days = [parse_period_date(text) for text in texts]
    except ValueError:
        errors["dates"] = [f"each date must be {DATE_HELP}"]
        return None
    if any(later <= earlier for earlier, later in zip(days, days[1:], strict=False)):
        errors["dates"] = ["dates must be strictly increasing, one per value"]
        return None
    return days


def _rebase_problem(points: Sequence[int | date], n: int, dates: list[date] | None) -> str | None:
    for point in points:
        if isinstance(point, date):
            if dates is None:
                return "a rebase date needs `dates` (with no errors) to find its point"
            if point not in dates:
                return f"{point.isoformat()} is not one of the dates"
            point = dates.index(point)
        if point == 0:
            return "the first point already starts a period: rebase at a later point"
        if not 0 < point < n:
            return f"{point} is outside the series (indexes 1 to {n - 1})"
    return None


def _rebase_indexes(points: Sequence[int | date], texts: list[str] | None) -> tuple[int, ...]:
    days = [parse_period_date(text) for text in texts] if texts else []
    indexes = {days.index(point) if isinstance(point, date) else point for point in points}
    return tuple(sorted(indexes))


# --- responses ----------------------------------------------------------------------------------


class SpcPointSchema(Schema):
    x = fields.Integer(metadata={"description": "The point's index in the series (0-based).", "example": 14})
    date = fields.String(allow_none=True, metadata={"description": "The point's date as given, when dates were.",
                                                    "example": "2026-03"})
    y = fields.Float(metadata={"description": "The value.", "example": 5.4})
    rebase_group = fields.Integer(metadata={"description": "The period the point belongs to, counting rebases.",
                                            "example": 1})
    short_group_warning = fields.Boolean(
        metadata={"description": "Its period has fewer than 13 points: the limits are trial limits.", "example": True})
    fix_y = fields.Float(allow_none=True,
                         metadata={"description": "The value when it helps set the limits (null after the fix).",
                                   "example": 5.4})
    mean_col = fields.Float(metadata={"description": "The period's centre line (mean).", "example": 5.37})
    lpl = fields.Float(allow_none=True, metadata={"description": "Lower process limit; null where undefined.",
                                                  "example": 4.7})
    upl = fields.Float(allow_none=True, metadata={"description": "Upper process limit; null where undefined.",
                                                  "example": 6.03})
    outside_limits = fields.Boolean(metadata={"description": "Beyond a process limit.", "example": False})
    relative_to_mean = fields.Integer(metadata={"description": "1 above the mean, -1 below, 0 on it.", "example": 1})
    close_to_limits = fields.Boolean(metadata={"description": "Beyond 2 sigma but within the limits.",
                                               "example": False})
    part_of_seven_point_trend = fields.Boolean(metadata={"description": "In a run of 7 rising or falling points.",
                                                         "example": False})
    part_of_two_in_three = fields.Boolean(
        metadata={"description": "One of 2 of 3 points close to a limit on one side.", "example": False})
    part_of_seven_point_one_side_mean = fields.Boolean(
        metadata={"description": "In a run of 7 points on one side of the mean.", "example": False})
    special_cause_type = fields.String(
        metadata={"description": "The package's label: Common Cause, Above UCL, Below LCL, 7 Point Trend "
                                 "(Increasing|Decreasing), 2 in 3 Above|Below CL, 7 Points Above|Below CL.",
                                 "example": "Common Cause"})
    special_cause_flag = fields.Boolean(metadata={"description": "Any special cause.", "example": False})
    point_type = fields.String(
        metadata={"description": "common_cause, special_cause_improvement, special_cause_concern, "
                                 "special_cause_neutral_high or special_cause_neutral_low.", "example": "common_cause"})
    target = fields.Float(allow_none=True, metadata={"description": "The point's target, if any.", "example": 5.5})


class SpcPeriodSchema(Schema):
    rebase_group = fields.Integer(metadata={"description": "The period's number, as on its points.", "example": 1})
    start = fields.Integer(metadata={"description": "Index of its first point.", "example": 12})
    start_date = fields.String(allow_none=True, metadata={"description": "Date of its first point, when given.",
                                                          "example": "2026-01"})
    n = fields.Integer(metadata={"description": "How many points it has.", "example": 3})
    mean_col = fields.Float(metadata={"description": "Its centre line.", "example": 5.37})
    lpl = fields.Float(allow_none=True, metadata={"description": "Its lower process limit.", "example": 4.7})
    upl = fields.Float(allow_none=True, metadata={"description": "Its upper process limit.", "example": 6.03})
    common_cause = fields.Integer(metadata={"description": "Points with no special cause.", "example": 3})
    special_cause_improvement = fields.Integer(metadata={"description": "Points of special cause improvement.",
                                                         "example": 0})
    special_cause_concern = fields.Integer(metadata={"description": "Points of special cause concern.", "example": 0})
    variation_type = fields.String(metadata={"description": "The point_type of its last point.",
                                             "example": "common_cause"})
    assurance_type = fields.String(
        allow_none=True, metadata={"description": "consistent_pass, consistent_fail or inconsistent (last period "
                                                  "with a target and a direction only).", "example": "inconsistent"})


class XmrChartSchema(Schema):
    points = fields.List(fields.Nested(SpcPointSchema), metadata={"description": "One row per value."})
    periods = fields.List(fields.Nested(SpcPeriodSchema), metadata={"description": "One row per period."})
    improvement_direction = fields.String(metadata={"description": "As requested.", "example": "decrease"})
    variation_icon = fields.String(
        metadata={"description": "The Making Data Count variation icon of the latest point: common_cause, "
                                 "improvement_high|low, concern_high|low, neutral_high|low.",
                                 "example": "common_cause"})
    assurance_icon = fields.String(
        allow_none=True,
        metadata={"description": "consistent_pass, consistent_fail or inconsistent; null with no target or a "
                                 "neutral direction.", "example": "inconsistent"})
    warnings = fields.List(fields.String(), metadata={"description": "The package's warnings, word for word.",
                                                      "example": [SHORT_GROUP_WARNING]})


class RunChartSchema(Schema):
    values = fields.List(fields.Float(), metadata={"description": "The values, in order.", "example": EXAMPLE_VALUES})
    cl = fields.Float(metadata={"description": "The centre line: the median.", "example": 6.1})
    n_obs = fields.Integer(metadata={"description": "Number of values.", "example": 15})
    n_useful = fields.Integer(metadata={"description": "Values not on the median.", "example": 13})
    longest_run = fields.Integer(allow_none=True, metadata={"description": "Longest run on one side of the median.",
                                                            "example": 4})
    longest_run_max = fields.Integer(allow_none=True,
                                     metadata={"description": "Longer runs than this signal a shift.", "example": 7})
    n_crossings = fields.Integer(allow_none=True, metadata={"description": "Times the median is crossed.",
                                                            "example": 6})
    n_crossings_min = fields.Integer(allow_none=True,
                                     metadata={"description": "Fewer crossings than this signal a shift.",
                                               "example": 4})
    runs_signal = fields.Boolean(metadata={"description": "Either Anhøj rule signals non-random variation.",
                                           "example": False})
    freeze = fields.Integer(allow_none=True, metadata={"description": "The median is of the first `freeze` points "
                                                                      "(null: of every point).", "example": None})
    cl_given = fields.Boolean(metadata={"description": "The centre line was given (`cl`), not computed.",
                                        "example": False})


class SpcResultSchema(Schema):
    chart_type = fields.String(metadata={"description": "The chart drawn: xmr or run (auto resolves to one).",
                                         "example": "xmr"})
    dates = fields.List(fields.String(), allow_none=True,
                        metadata={"description": "The dates as given, one per point; null without dates.",
                                  "example": EXAMPLE_DATES})
    notes = fields.List(fields.String(), metadata={"description": "Why auto chose a chart; options a run chart "
                                                                 "does not use.", "example": []})
    xmr = fields.Nested(XmrChartSchema, allow_none=True, metadata={"description": "The XmR chart, or null."})
    run = fields.Nested(RunChartSchema, allow_none=True, metadata={"description": "The run chart, or null.",
                                                                   "example": None})
