"""HTTP request and response schemas of the metrics API (separate from the event schemas)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, post_load, validate

from services.metrics.domain.levels import DEFAULT_MEASURED_LEVELS, LEVELS
from services.metrics.domain.measures import (
    CQC_KEY_QUESTIONS,
    IMPROVEMENT_DIRECTIONS,
    UNITS_OF_MEASURE,
    in_cqc_order,
)
from services.metrics.domain.rollup import AGGREGATIONS
from shared.events.payloads import CODE, MeasureRecordedV1
from shared.fields import FreeText, MonthField
from shared.pagination import PageQuery

MEASURED_LEVELS_HELP = ("the levels where the KPI is measured (recorded by feeds or people); every other level is "
                        "rolled up from the units below and refuses a value posted to it (422)")
DECIMAL_PLACES_HELP = ("decimal places its values are shown with on matrices, charts and pages (0-6; null: the unit "
                       "of measure's default: count and minutes 0, percent, days and score 1, others 2); stored "
                       "and exported in full")
RUN_FREEZE_HELP = ("run charts (fewer than 13 months): the median is of the first N months only, a baseline "
                   "(qicharts2's freeze); null: of every month")
RUN_CENTRE_HELP = "run charts: a centre line known in advance, used instead of the median (qicharts2's cl)"
CQC_HELP = ("the CQC key questions it serves (safe, effective, caring, responsive, well-led), any of the five, each "
            "once, kept in that order; empty: not tagged")


def measured_levels_field(**kwargs: Any) -> fields.List:
    return fields.List(fields.String(validate=validate.OneOf(LEVELS)),
                       validate=validate.Length(min=1, max=len(LEVELS)),
                       metadata={"description": MEASURED_LEVELS_HELP, "example": ["ward", "theatre"]}, **kwargs)


def cqc_field(**kwargs: Any) -> fields.List:
    return fields.List(fields.String(validate=validate.OneOf(CQC_KEY_QUESTIONS)),
                       validate=validate.Length(max=len(CQC_KEY_QUESTIONS)),
                       metadata={"description": CQC_HELP, "example": ["safe", "effective"]}, **kwargs)


class InCqcOrder:
    """A schema mixin: the ``cqc`` key questions given are kept once each, in the CQC's order."""

    @post_load
    def _cqc_in_order(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        if "cqc" in data:
            data["cqc"] = in_cqc_order(data["cqc"])
        return data


def decimal_places_field(**kwargs: Any) -> fields.Integer:
    return fields.Integer(allow_none=True, validate=validate.Range(0, 6),
                          metadata={"description": DECIMAL_PLACES_HELP, "example": 1}, **kwargs)


def run_freeze_field(**kwargs: Any) -> fields.Integer:
    return fields.Integer(allow_none=True, validate=validate.Range(min=1, max=12),
                          metadata={"description": RUN_FREEZE_HELP, "example": None}, **kwargs)


def run_centre_line_field(**kwargs: Any) -> fields.Float:
    return fields.Float(allow_none=True, allow_nan=False, validate=validate.Range(-1e15, 1e15),
                        metadata={"description": RUN_CENTRE_HELP, "example": None}, **kwargs)


class KpiSchema(InCqcOrder, Schema):
    code = fields.String(required=True, validate=CODE, metadata={"example": "ALOS"})
    name = FreeText(required=True, validate=validate.Length(min=1, max=200),
                    metadata={"example": "Average length of stay"})
    description = FreeText(load_default="", validate=validate.Length(max=4000),
                           metadata={"example": "Days from admission to discharge, mean of the month."})
    unit_of_measure = fields.String(required=True, validate=validate.OneOf(sorted(UNITS_OF_MEASURE)),
                                    metadata={"example": "days"})
    improvement_direction = fields.String(required=True, validate=validate.OneOf(IMPROVEMENT_DIRECTIONS),
                                          metadata={"example": "decrease"})
    owners = fields.List(fields.Email(), load_default=list, metadata={"description": "emails alerted about it",
                                                                      "example": ["ward7.manager@trust.example"]})
    data_source = FreeText(load_default="", validate=validate.Length(max=200),
                           metadata={"example": "PAS discharges extract"})
    expected_by_day = fields.Integer(load_default=15, validate=validate.Range(1, 28), metadata={"example": 15})
    fix_after_n_points = fields.Integer(
        load_default=None, allow_none=True, validate=validate.Range(min=12),
        metadata={"description": "fix each period's limits from its first N points (a baseline); at least 12",
                  "example": None},
    )
    screen_outliers = fields.Boolean(
        load_default=True, metadata={"description": "screen moving-range outliers before computing the limits",
                                     "example": True},
    )
    aggregation = fields.String(
        load_default="mean", validate=validate.OneOf(AGGREGATIONS),
        metadata={"description": "how units roll up: mean of units, sum, or ratio of summed numerators and "
                                 "denominators", "example": "mean"},
    )
    measured_levels = measured_levels_field(load_default=lambda: list(DEFAULT_MEASURED_LEVELS))
    decimal_places = decimal_places_field(load_default=None)
    run_freeze = run_freeze_field(load_default=None)
    run_centre_line = run_centre_line_field(load_default=None)
    cqc = cqc_field(load_default=list)


def cqc_filter() -> fields.String:
    return fields.String(validate=validate.OneOf(CQC_KEY_QUESTIONS), metadata={
        "description": "only KPIs serving this CQC key question", "example": "safe"})


class KpiListQuery(PageQuery):
    cqc = cqc_filter()


class UnitSchema(Schema):
    code = fields.String(required=True, validate=CODE, metadata={"example": "WARD-7"})
    name = FreeText(required=True, validate=validate.Length(min=1, max=200),
                    metadata={"example": "Ward 7 (acute medicine)"})
    level = fields.String(required=True, validate=validate.OneOf(LEVELS), metadata={"example": "ward"})
    parent_code = fields.String(load_default=None, allow_none=True, validate=CODE, metadata={"example": "DIR-MED"})
    opened_on = fields.Date(load_default=None, allow_none=True, metadata={"example": "2019-04-01"})
    closed_on = fields.Date(load_default=None, allow_none=True,
                            metadata={"description": "no measures are accepted for months after it", "example": None})


class VersionedKpiSchema(KpiSchema):
    version = fields.Integer(dump_only=True, metadata={"description": "also the ETag; send it back as If-Match",
                                                       "example": 3})


class VersionedUnitSchema(UnitSchema):
    version = fields.Integer(dump_only=True, metadata={"description": "also the ETag; send it back as If-Match",
                                                       "example": 2})


class MeasureInSchema(MeasureRecordedV1):
    """The same fields as the measure.recorded event a feed publishes; its note must not identify a patient."""

    note = FreeText(allow_none=True, load_default=None, validate=validate.Length(max=2000),
                    metadata={"description": "why the figure is what it is", "example": None})


class MeasureOutSchema(Schema):
    kpi_code = fields.String(metadata={"example": "ALOS"})
    unit_code = fields.String(metadata={"example": "WARD-7"})
    period = MonthField()
    revision = fields.Integer(metadata={"example": 1})
    value = fields.Float(metadata={"example": 5.4})
    numerator = fields.Float(allow_none=True, metadata={"example": None})
    denominator = fields.Float(allow_none=True, metadata={"example": None})
    source = fields.String(metadata={"example": "PAS discharges extract"})
    recorded_by = fields.String(allow_none=True, metadata={"example": "feed.pas"})
    note = fields.String(allow_none=True, metadata={"example": None})
    recorded_at = fields.DateTime(metadata={"example": "2026-04-03T08:20:00+00:00"})
    changed = fields.Boolean(metadata={"description": "false when the same figures were already current",
                                       "example": True})


class RevisionSchema(MeasureOutSchema):
    event_id = fields.String(allow_none=True, metadata={"example": "e4b82f19-7c3d-4a06-b9e5-2d1f8a6c0b73"})


class SeriesPointSchema(Schema):
    period = MonthField()
    value = fields.Float(metadata={"example": 5.4})
    numerator = fields.Float(allow_none=True, metadata={"example": None})
    denominator = fields.Float(allow_none=True, metadata={"example": None})
    revision = fields.Integer(metadata={"example": 1})
    source = fields.String(metadata={"example": "PAS discharges extract"})
