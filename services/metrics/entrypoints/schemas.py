"""HTTP request and response schemas of the metrics API (separate from the event schemas)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.metrics.domain.measures import IMPROVEMENT_DIRECTIONS, UNITS_OF_MEASURE
from services.metrics.domain.rollup import AGGREGATIONS
from shared.events.payloads import CODE, MeasureRecordedV1
from shared.fields import MonthField

LEVELS = ("trust", "division", "directorate", "specialty", "ward", "theatre")


class KpiSchema(Schema):
    code = fields.String(required=True, validate=CODE)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(load_default="", validate=validate.Length(max=4000))
    unit_of_measure = fields.String(required=True, validate=validate.OneOf(sorted(UNITS_OF_MEASURE)))
    improvement_direction = fields.String(required=True, validate=validate.OneOf(IMPROVEMENT_DIRECTIONS))
    owners = fields.List(fields.Email(), load_default=list, metadata={"description": "emails alerted about it"})
    data_source = fields.String(load_default="", validate=validate.Length(max=200))
    expected_by_day = fields.Integer(load_default=15, validate=validate.Range(1, 28))
    fix_after_n_points = fields.Integer(
        load_default=None, allow_none=True, validate=validate.Range(min=12),
        metadata={"description": "fix each period's limits from its first N points (a baseline); at least 12"},
    )
    screen_outliers = fields.Boolean(
        load_default=True, metadata={"description": "screen moving-range outliers before computing the limits"},
    )
    aggregation = fields.String(
        load_default="mean", validate=validate.OneOf(AGGREGATIONS),
        metadata={"description": "how units roll up: mean of units, sum, or ratio of summed numerators and "
                                 "denominators"},
    )


class UnitSchema(Schema):
    code = fields.String(required=True, validate=CODE)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    level = fields.String(required=True, validate=validate.OneOf(LEVELS))
    parent_code = fields.String(load_default=None, allow_none=True, validate=CODE)
    opened_on = fields.Date(load_default=None, allow_none=True)
    closed_on = fields.Date(load_default=None, allow_none=True,
                            metadata={"description": "no measures are accepted for months after it"})


class VersionedKpiSchema(KpiSchema):
    version = fields.Integer(dump_only=True, metadata={"description": "also the ETag; send it back as If-Match"})


class VersionedUnitSchema(UnitSchema):
    version = fields.Integer(dump_only=True, metadata={"description": "also the ETag; send it back as If-Match"})


class MeasureInSchema(MeasureRecordedV1):
    """The same fields as the measure.recorded event a feed publishes."""


class MeasureOutSchema(Schema):
    kpi_code = fields.String()
    unit_code = fields.String()
    period = MonthField()
    revision = fields.Integer()
    value = fields.Float()
    numerator = fields.Float(allow_none=True)
    denominator = fields.Float(allow_none=True)
    source = fields.String()
    recorded_by = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    recorded_at = fields.DateTime()
    changed = fields.Boolean(metadata={"description": "false when the same figures were already current"})


class RevisionSchema(MeasureOutSchema):
    event_id = fields.String(allow_none=True)


class SeriesPointSchema(Schema):
    period = MonthField()
    value = fields.Float()
    numerator = fields.Float(allow_none=True)
    denominator = fields.Float(allow_none=True)
    revision = fields.Integer()
    source = fields.String()
