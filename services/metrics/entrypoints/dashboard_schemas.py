"""HTTP schemas of the portal's dashboards: a unit's KPI matrix, a directorate's matrix across its units
and one KPI's stored chart (an XmR chart, or a run chart while the series has fewer than 13 months)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.metrics.domain.charts import CHART_TYPES
from services.metrics.domain.spc import SHORT_GROUP_WARNING
from services.metrics.entrypoints.schemas import cqc_filter
from services.metrics.entrypoints.spc_schemas import EXAMPLE_DATES, RunChartSchema, SpcPeriodSchema, SpcPointSchema
from shared.fields import MonthField
from shared.pagination import PageQuery, page_of


def _described(text: str, example: Any = ...) -> dict[str, Any]:
    """A field's OpenAPI description and example, as keyword arguments of the field. Every field
    has an example but a nested schema's, which takes its example from that schema."""
    return {"metadata": {"description": text, **({} if example is ... else {"example": example})}}


class UnitRefSchema(Schema):
    code = fields.String(**_described("The unit's code.", example="WARD-7"))
    name = fields.String(**_described("The unit's name.", example="Ward 7 (acute medicine)"))
    level = fields.String(**_described("trust, division, directorate, specialty, ward or theatre.", example="ward"))


CHART_TYPE_HELP = ("xmr: the Making Data Count XmR chart; run: a run chart (median and Anhøj rules, no process "
                   "limits, point types or icons), drawn while the series has fewer than 13 months.")


class KpiMatrixRowSchema(Schema):
    kpi_code = fields.String(**_described("The KPI's code.", example="ALOS"))
    name = fields.String(**_described("The KPI's name.", example="Average length of stay"))
    unit_of_measure = fields.String(**_described("What the values count: days, percent, count, ...", example="days"))
    improvement_direction = fields.String(**_described("Which way is better: increase, decrease or neutral.",
                                                       example="decrease"))
    chart_type = fields.String(validate=validate.OneOf(CHART_TYPES), **_described(CHART_TYPE_HELP, example="xmr"))
    latest_period = MonthField(attribute="last_period", **_described("The newest month charted, YYYY-MM.",
                                                                     example="2026-03"))
    latest_value = fields.Float(attribute="last_value", **_described("The value of the newest month.", example=5.4))
    target = fields.Float(allow_none=True, **_described(
        "The target in force in the newest month (the latest change effective on or before it); null when none.",
        example=5.5))
    point_type = fields.String(attribute="last_point_type", allow_none=True, **_described(
        "The newest point's type: common_cause, special_cause_improvement, special_cause_concern, "
        "special_cause_neutral_high or special_cause_neutral_low; null for a run chart.", example="common_cause"))
    variation_icon = fields.String(allow_none=True, **_described(
        "The Making Data Count variation icon: common_cause, improvement_high|low, concern_high|low, "
        "neutral_high|low; null for a run chart.", example="common_cause"))
    assurance_icon = fields.String(allow_none=True, **_described(
        "consistent_pass, consistent_fail or inconsistent; null with no target, a neutral direction or a run chart.",
        example="inconsistent"))
    runs_signal = fields.Boolean(allow_none=True, **_described(
        "For a run chart: whether the Anhøj rules signal non-random variation (an unusually long run or too few "
        "crossings of the median); null for an XmR chart.", example=None))
    decimal_places = fields.Integer(**_described(
        "How many decimal places to show values with (the KPI's choice, or its unit of measure's default); values "
        "here are kept in full precision.", example=1))
    cqc = fields.List(fields.String(), **_described("The CQC key questions the KPI serves.", example=["safe"]))
    # Already JSON-ready from the store: a nested schema per point cost more than the query itself.
    sparkline = fields.Raw(metadata={
        "type": "array",
        "items": {"type": "object", "properties": {
            "period": {"type": "string", "description": "The month, YYYY-MM."},
            "value": {"type": "number", "description": "The month's value (measured, or rolled up)."}}},
        "description": "The last 12 monthly values (fewer when the series is shorter), oldest first.",
        "example": [{"period": "2026-02", "value": 5.2}, {"period": "2026-03", "value": 5.4}],
    })


class KpiMatrixSchema(page_of(KpiMatrixRowSchema)):  # type: ignore[misc]
    unit = fields.Nested(UnitRefSchema, **_described("The unit the matrix is for."))


class KpiMatrixQuery(PageQuery):
    cqc = cqc_filter()


class DirectorateMatrixQuery(PageQuery):
    directorate = fields.String(validate=validate.Length(min=1), **_described(
        "A unit's code: rows for it and every unit below it, at any depth. Required unless unit is given.",
        example="DIR-MED"))
    unit = fields.String(validate=validate.Length(min=1), **_described(
        "Only this unit's rows; it must be the directorate or below it when both are given.", example="WARD-7"))
    kpi = fields.String(validate=validate.Length(min=1), **_described("Only this KPI's rows.", example="ALOS"))
    cqc = cqc_filter()

    @validates_schema
    def _needs_a_unit(self, data: dict[str, Any], **kwargs: Any) -> None:
        if "directorate" not in data and "unit" not in data:
            raise ValidationError("give a directorate, a unit or both", field_name="directorate")


class DirectorateMatrixRowSchema(KpiMatrixRowSchema):
    unit_code = fields.String(**_described("The code of the unit the row is for.", example="WARD-7"))
    unit_name = fields.String(**_described("The unit's name.", example="Ward 7 (acute medicine)"))
    unit_level = fields.String(**_described("trust, division, directorate, specialty, ward or theatre.",
                                            example="ward"))


DirectorateMatrixSchema = page_of(DirectorateMatrixRowSchema)


class KpiDefinitionSchema(Schema):
    code = fields.String(**_described("The KPI's code.", example="ALOS"))
    name = fields.String(**_described("The KPI's name.", example="Average length of stay"))
    description = fields.String(**_described("What it measures and why.",
                                             example="Days from admission to discharge, mean of the month."))
    unit_of_measure = fields.String(**_described("What the values count.", example="days"))
    improvement_direction = fields.String(**_described("Which way is better: increase, decrease or neutral.",
                                                       example="decrease"))
    aggregation = fields.String(**_described("How units roll up: mean, sum or ratio.", example="mean"))
    data_source = fields.String(**_described("Where the figures come from.", example="PAS discharges extract"))
    expected_by_day = fields.Integer(**_described("The day of the month by which last month's figure is due.",
                                                  example=15))
    decimal_places = fields.Integer(**_described(
        "How many decimal places to show its values with (values are kept and exported in full).", example=1))
    measured_levels = fields.List(fields.String(), **_described(
        "The levels where the KPI is measured; the others are rolled up.", example=["ward", "theatre"]))
    cqc = fields.List(fields.String(), **_described("The CQC key questions it serves.", example=["safe"]))


class ChartPointSchema(SpcPointSchema):
    class Meta:
        exclude = ("date",)

    period = MonthField(**_described("The point's month, YYYY-MM.", example="2026-03"))


class ChartPeriodSchema(SpcPeriodSchema):
    class Meta:
        exclude = ("start_date",)

    start_period = MonthField(**_described("The month of the period's first point, YYYY-MM.", example="2026-01"))


class StoredChartSchema(Schema):
    points = fields.List(fields.Nested(ChartPointSchema), **_described("One row per month, oldest first."))
    periods = fields.List(fields.Nested(ChartPeriodSchema), **_described(
        "One row per period between rebases, with its mean and process limits."))
    improvement_direction = fields.String(**_described("The KPI's direction when the chart was computed.",
                                                       example="decrease"))
    variation_icon = fields.String(**_described("The variation icon of the newest point.", example="common_cause"))
    assurance_icon = fields.String(allow_none=True, **_described("The assurance icon; null without a target.",
                                                                 example="inconsistent"))
    warnings = fields.List(fields.String(), **_described("The SPC calculation's warnings, word for word.",
                                                         example=[SHORT_GROUP_WARNING]))


class StoredRunChartSchema(RunChartSchema):
    periods_of_points = fields.List(MonthField(), **_described("The month of each value, YYYY-MM, oldest first.",
                                                               example=EXAMPLE_DATES))


class ChartAnnotationSchema(Schema):
    id = fields.Integer(**_described("The annotation's id.", example=31))
    period = MonthField(**_described("The month it is about, YYYY-MM.", example="2026-02"))
    text = fields.String(**_described("What happened, as written.", example="Norovirus closure of 6 beds for 9 days"))
    pdsa_ref = fields.String(allow_none=True, **_described("The PDSA cycle it refers to, if any.", example=None))
    created_by = fields.String(**_described("Who wrote it.", example="qi.lead@trust.example"))
    created_at = fields.DateTime(**_described("When it was written.", example="2026-04-03T08:20:00+00:00"))


class ChartRebaseSchema(Schema):
    id = fields.Integer(**_described("The rebase's id.", example=12))
    period = MonthField(**_described("The month a new period starts, YYYY-MM.", example="2026-01"))
    reason = fields.String(**_described("Why the process changed.",
                                        example="Discharge to assess started on WARD-7 (PDSA cycle 3)"))
    set_by = fields.String(**_described("Who set it.", example="qi.lead@trust.example"))
    set_at = fields.DateTime(**_described("When it was set.", example="2026-04-03T08:20:00+00:00"))
    withdrawn_by = fields.String(allow_none=True, **_described("Who withdrew it; null while it is live.", example=None))
    withdrawn_at = fields.DateTime(allow_none=True, **_described("When it was withdrawn; null while it is live.",
                                                                 example=None))


class ProvisionalMonthSchema(Schema):
    period = MonthField(**_described("The month, YYYY-MM.", example="2026-04"))
    value = fields.Float(**_described("Its value so far (measured, or rolled up from the units that have reported).",
                                      example=3.0))
    reason = fields.String(validate=validate.OneOf(("month_not_over", "awaiting_units")), **_described(
        "month_not_over: the month has not ended; awaiting_units: a unit below expected to report it (open, and "
        "reporting the KPI) has not yet.", example="month_not_over"))
    awaiting = fields.List(fields.String(), **_described(
        "For awaiting_units: the units still to report it (close a unit that has stopped for good).", example=[]))


class KpiChartSchema(Schema):
    kpi = fields.Nested(KpiDefinitionSchema, **_described("The KPI's definition."))
    unit = fields.Nested(UnitRefSchema, **_described("The unit charted."))
    first_period = MonthField(**_described("The oldest month charted, YYYY-MM.", example="2025-01"))
    last_period = MonthField(**_described("The newest month charted, YYYY-MM.", example="2026-03"))
    computed_at = fields.DateTime(**_described("When the chart was last recomputed (its SVG's ETag).",
                                               example="2026-04-03T08:20:00+00:00"))
    chart_type = fields.String(validate=validate.OneOf(CHART_TYPES), **_described(CHART_TYPE_HELP, example="xmr"))
    chart = fields.Nested(StoredChartSchema, allow_none=True, **_described(
        "The stored Making Data Count XmR chart; null for a run chart."))
    run_chart = fields.Nested(StoredRunChartSchema, allow_none=True, **_described(
        "The stored run chart, with qicharts2's names; null for an XmR chart."))
    annotations = fields.List(fields.Nested(ChartAnnotationSchema),
                              **_described("Notes on months, oldest month first."))
    rebases = fields.List(fields.Nested(ChartRebaseSchema), **_described(
        "Every rebase set for the KPI and unit, withdrawn ones included, in the order they were set."))
    provisional = fields.List(fields.Nested(ProvisionalMonthSchema), **_described(
        "The newest months shown beside the chart but not judged (not in `chart` or `run_chart`, never alerted "
        "on), oldest first: a month not yet over, or a rolled-up month some unit has still to report."))


class KpiColumnSchema(Schema):
    code = fields.String(**_described("The KPI's code.", example="ALOS"))
    name = fields.String(**_described("The KPI's name.", example="Average length of stay"))
    unit_of_measure = fields.String(**_described("What the values count.", example="days"))
    improvement_direction = fields.String(**_described("Which way is better: increase, decrease or neutral.",
                                                       example="decrease"))
    decimal_places = fields.Integer(**_described("How many decimal places to show its values with.", example=1))
    cqc = fields.List(fields.String(), **_described("The CQC key questions the KPI serves.", example=["safe"]))


class UnitsMatrixQuery(PageQuery):
    cqc = cqc_filter()


class UnitsMatrixRowSchema(Schema):
    code = fields.String(**_described("The unit's code.", example="WARD-7"))
    name = fields.String(**_described("The unit's name.", example="Ward 7 (acute medicine)"))
    level = fields.String(**_described("trust, division, directorate, specialty, ward or theatre.", example="ward"))
    closed_on = fields.Date(allow_none=True, **_described("The day the unit closed; null while it is open.",
                                                          example=None))
    cells = fields.List(fields.Nested(KpiMatrixRowSchema), **_described(
        "One cell per KPI charted for this unit, by KPI code (a column of `kpis` with no cell has no chart here): "
        "a unit-matrix row."))


class UnitsMatrixSchema(page_of(UnitsMatrixRowSchema)):  # type: ignore[misc]
    unit = fields.Nested(UnitRefSchema, **_described("The unit whose units are the rows."))
    kpis = fields.List(fields.Nested(KpiColumnSchema), **_described(
        "The columns: every KPI charted for any unit straight below, by code, the same on every page."))


class BoardReportQuery(PageQuery):
    month = MonthField(**_described(
        "The month reported, YYYY-MM, not after this month (422); a month not yet over is provisional, never "
        "judged. Default: last month, the newest month that is over.", example="2026-03"))


class BoardSignalSchema(Schema):
    id = fields.Integer(**_described("The signal's id.", example=41))
    kind = fields.String(**_described("special_cause or run_chart.", example="special_cause"))
    state = fields.String(**_described("open, acknowledged, explained or action_planned (closed ones are left out).",
                                       example="acknowledged"))
    period = MonthField(**_described("The month that signalled, YYYY-MM.", example="2026-03"))
    signal_start = MonthField(**_described("The first month of the signal's episode, YYYY-MM.", example="2026-01"))
    point_type = fields.String(allow_none=True, **_described("The signalling point's type.",
                                                             example="special_cause_concern"))
    opened_at = fields.DateTime(**_described("When the signal opened.", example="2026-04-03T08:20:00+00:00"))


class BoardProjectSchema(Schema):
    project_id = fields.UUID(**_described("The QI project's id.", example="0b6f9c1e-3a52-4a0f-9d2e-5d7c1a9e8b41"))
    title = fields.String(**_described("Its title.", example="Home for lunch on Ward 7"))
    stage = fields.String(**_described("Its stage when metrics last heard of it.", example="active"))


BOARD_STATUSES = ("judged", "provisional", "not_reported", "not_charted")


class BoardSectionSchema(Schema):
    kpi = fields.Nested(KpiDefinitionSchema, **_described("The KPI's definition."))
    month = MonthField(**_described("The month reported, YYYY-MM.", example="2026-03"))
    status = fields.String(validate=validate.OneOf(BOARD_STATUSES), **_described(
        "judged: the month is a point of the chart; provisional: it has a value that is not judged yet (the month "
        "is not over, or a unit below has still to report it); not_reported: no value for the month; "
        "not_charted: the month is before the chart's first.", example="judged"))
    value = fields.Float(allow_none=True, **_described("The month's value (full precision); null when none.",
                                                       example=5.4))
    target = fields.Float(allow_none=True, **_described("The target in force in the month; null when none.",
                                                        example=5.5))
    chart_type = fields.String(allow_none=True, validate=validate.OneOf(CHART_TYPES), **_described(
        CHART_TYPE_HELP + " Null when not_charted.", example="xmr"))
    charted_to = MonthField(allow_none=True, **_described(
        "The newest judged month of the chart drawn (the month itself, or the month before it when it is "
        "provisional); null when not_charted.", example="2026-03"))
    point_type = fields.String(allow_none=True, **_described("The month's point type on an XmR chart when judged.",
                                                             example="common_cause"))
    variation_icon = fields.String(allow_none=True, **_described(
        "The chart's variation icon as of charted_to; null for a run chart.", example="common_cause"))
    assurance_icon = fields.String(allow_none=True, **_described(
        "The assurance icon as of charted_to; null with no target or for a run chart.", example="inconsistent"))
    runs_signal = fields.Boolean(allow_none=True, **_described(
        "For a run chart: whether the Anhøj rules signal; null for an XmR chart.", example=None))
    provisional_reason = fields.String(allow_none=True, **_described(
        "For provisional: month_not_over or awaiting_units.", example=None))
    svg = fields.String(allow_none=True, **_described(
        "The chart as it stood at the month (later months left out), as accessible SVG (its title and description "
        "ids are prefixed with chart-<KPI code>, so several can share a page); null when not_charted.",
        example="<svg ...>"))
    open_signals = fields.List(fields.Nested(BoardSignalSchema), **_described(
        "The series' signals that began by the month and are not closed, oldest first."))
    projects = fields.List(fields.Nested(BoardProjectSchema), **_described(
        "The QI projects with a measure on the series (metrics' copy, from the projects service's events), by "
        "title."))


class BoardReportSchema(page_of(BoardSectionSchema)):  # type: ignore[misc]
    unit = fields.Nested(UnitRefSchema, **_described("The unit reported on."))
    month = MonthField(**_described("The month reported, YYYY-MM.", example="2026-03"))
    month_is_over = fields.Boolean(**_described("False for this month: then every value is provisional.",
                                                example=True))
