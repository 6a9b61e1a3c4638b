"""HTTP schemas of the portal's dashboards: a unit's KPI matrix, a directorate's matrix across its units
and one KPI's stored chart (an XmR chart, or a run chart while the series has fewer than 13 months)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.metrics.domain.charts import CHART_TYPES
from services.metrics.entrypoints.spc_schemas import RunChartSchema, SpcPeriodSchema, SpcPointSchema
from shared.fields import MonthField
from shared.pagination import PageQuery, page_of


def _described(text: str, **extra: Any) -> dict[str, Any]:
    return {"metadata": {"description": text}, **extra}


class UnitRefSchema(Schema):
    code = fields.String(**_described("The unit's code."))
    name = fields.String(**_described("The unit's name."))
    level = fields.String(**_described("trust, division, directorate, specialty, ward or theatre."))


CHART_TYPE_HELP = ("xmr: the Making Data Count XmR chart; run: a run chart (median and Anhøj rules, no process "
                   "limits, point types or icons), drawn while the series has fewer than 13 months.")


class KpiMatrixRowSchema(Schema):
    kpi_code = fields.String(**_described("The KPI's code."))
    name = fields.String(**_described("The KPI's name."))
    unit_of_measure = fields.String(**_described("What the values count: days, percent, count, ..."))
    improvement_direction = fields.String(**_described("Which way is better: increase, decrease or neutral."))
    chart_type = fields.String(validate=validate.OneOf(CHART_TYPES), **_described(CHART_TYPE_HELP))
    latest_period = MonthField(attribute="last_period", **_described("The newest month charted, YYYY-MM."))
    latest_value = fields.Float(attribute="last_value", **_described("The value of the newest month."))
    target = fields.Float(allow_none=True, **_described(
        "The target in force in the newest month (the latest change effective on or before it); null when none."))
    point_type = fields.String(attribute="last_point_type", allow_none=True, **_described(
        "The newest point's type: common_cause, special_cause_improvement, special_cause_concern, "
        "special_cause_neutral_high or special_cause_neutral_low; null for a run chart."))
    variation_icon = fields.String(allow_none=True, **_described(
        "The Making Data Count variation icon: common_cause, improvement_high|low, concern_high|low, "
        "neutral_high|low; null for a run chart."))
    assurance_icon = fields.String(allow_none=True, **_described(
        "consistent_pass, consistent_fail or inconsistent; null with no target, a neutral direction or a run chart."))
    runs_signal = fields.Boolean(allow_none=True, **_described(
        "For a run chart: whether the Anhøj rules signal non-random variation (an unusually long run or too few "
        "crossings of the median); null for an XmR chart."))
    # Already JSON-ready from the store: a nested schema per point cost more than the query itself.
    sparkline = fields.Raw(metadata={
        "type": "array",
        "items": {"type": "object", "properties": {
            "period": {"type": "string", "description": "The month, YYYY-MM."},
            "value": {"type": "number", "description": "The month's value (measured, or rolled up)."}}},
        "description": "The last 12 monthly values (fewer when the series is shorter), oldest first.",
    })


class KpiMatrixSchema(page_of(KpiMatrixRowSchema)):  # type: ignore[misc]
    unit = fields.Nested(UnitRefSchema, **_described("The unit the matrix is for."))


class DirectorateMatrixQuery(PageQuery):
    directorate = fields.String(validate=validate.Length(min=1), **_described(
        "A unit's code: rows for it and every unit below it, at any depth. Required unless unit is given."))
    unit = fields.String(validate=validate.Length(min=1), **_described(
        "Only this unit's rows; it must be the directorate or below it when both are given."))
    kpi = fields.String(validate=validate.Length(min=1), **_described("Only this KPI's rows."))

    @validates_schema
    def _needs_a_unit(self, data: dict[str, Any], **kwargs: Any) -> None:
        if "directorate" not in data and "unit" not in data:
            raise ValidationError("give a directorate, a unit or both", field_name="directorate")


class DirectorateMatrixRowSchema(KpiMatrixRowSchema):
    unit_code = fields.String(**_described("The code of the unit the row is for."))
    unit_name = fields.String(**_described("The unit's name."))
    unit_level = fields.String(**_described("trust, division, directorate, specialty, ward or theatre."))


DirectorateMatrixSchema = page_of(DirectorateMatrixRowSchema)


class KpiDefinitionSchema(Schema):
    code = fields.String(**_described("The KPI's code."))
    name = fields.String(**_described("The KPI's name."))
    description = fields.String(**_described("What it measures and why."))
    unit_of_measure = fields.String(**_described("What the values count."))
    improvement_direction = fields.String(**_described("Which way is better: increase, decrease or neutral."))
    aggregation = fields.String(**_described("How units roll up: mean, sum or ratio."))
    data_source = fields.String(**_described("Where the figures come from."))
    expected_by_day = fields.Integer(**_described("The day of the month by which last month's figure is due."))


class ChartPointSchema(SpcPointSchema):
    class Meta:
        exclude = ("date",)

    period = MonthField(**_described("The point's month, YYYY-MM."))


class ChartPeriodSchema(SpcPeriodSchema):
    class Meta:
        exclude = ("start_date",)

    start_period = MonthField(**_described("The month of the period's first point, YYYY-MM."))


class StoredChartSchema(Schema):
    points = fields.List(fields.Nested(ChartPointSchema), **_described("One row per month, oldest first."))
    periods = fields.List(fields.Nested(ChartPeriodSchema), **_described(
        "One row per period between rebases, with its mean and process limits."))
    improvement_direction = fields.String(**_described("The KPI's direction when the chart was computed."))
    variation_icon = fields.String(**_described("The variation icon of the newest point."))
    assurance_icon = fields.String(allow_none=True, **_described("The assurance icon; null without a target."))
    warnings = fields.List(fields.String(), **_described("The SPC calculation's warnings, word for word."))


class StoredRunChartSchema(RunChartSchema):
    periods_of_points = fields.List(MonthField(), **_described("The month of each value, YYYY-MM, oldest first."))


class ChartAnnotationSchema(Schema):
    id = fields.Integer(**_described("The annotation's id."))
    period = MonthField(**_described("The month it is about, YYYY-MM."))
    text = fields.String(**_described("What happened, as written."))
    pdsa_ref = fields.String(allow_none=True, **_described("The PDSA cycle it refers to, if any."))
    created_by = fields.String(**_described("Who wrote it."))
    created_at = fields.DateTime(**_described("When it was written."))


class ChartRebaseSchema(Schema):
    id = fields.Integer(**_described("The rebase's id."))
    period = MonthField(**_described("The month a new period starts, YYYY-MM."))
    reason = fields.String(**_described("Why the process changed."))
    set_by = fields.String(**_described("Who set it."))
    set_at = fields.DateTime(**_described("When it was set."))
    withdrawn_by = fields.String(allow_none=True, **_described("Who withdrew it; null while it is live."))
    withdrawn_at = fields.DateTime(allow_none=True, **_described("When it was withdrawn; null while it is live."))


class KpiChartSchema(Schema):
    kpi = fields.Nested(KpiDefinitionSchema, **_described("The KPI's definition."))
    unit = fields.Nested(UnitRefSchema, **_described("The unit charted."))
    first_period = MonthField(**_described("The oldest month charted, YYYY-MM."))
    last_period = MonthField(**_described("The newest month charted, YYYY-MM."))
    computed_at = fields.DateTime(**_described("When the chart was last recomputed (its SVG's ETag)."))
    chart_type = fields.String(validate=validate.OneOf(CHART_TYPES), **_described(CHART_TYPE_HELP))
    chart = fields.Nested(StoredChartSchema, allow_none=True, **_described(
        "The stored Making Data Count XmR chart; null for a run chart."))
    run_chart = fields.Nested(StoredRunChartSchema, allow_none=True, **_described(
        "The stored run chart, with qicharts2's names; null for an XmR chart."))
    annotations = fields.List(fields.Nested(ChartAnnotationSchema),
                              **_described("Notes on months, oldest month first."))
    rebases = fields.List(fields.Nested(ChartRebaseSchema), **_described(
        "Every rebase set for the KPI and unit, withdrawn ones included, in the order they were set."))
