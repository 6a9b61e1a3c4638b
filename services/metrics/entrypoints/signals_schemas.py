"""Request and response schemas of the signals API."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.metrics.domain.signal_life import CLOSED_AS, KINDS, STATES
from shared.events.payloads import CODE
from shared.fields import FreeText, MonthField
from shared.pagination import PageQuery

WHEN = "2026-04-03T08:20:00+00:00"
PROJECT = "0b5f6a52-9d0e-4c47-8d0c-2f1a3e5b7c9d"
CYCLE = "7c1e2d3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f"


class SignalQuery(PageQuery):
    kpi_code = fields.String(data_key="kpi", validate=CODE, metadata={"description": "one KPI's signals",
                                                                      "example": "ALOS"})
    unit_code = fields.String(data_key="unit", validate=CODE, metadata={"description": "one unit's signals",
                                                                        "example": "WARD-7"})
    state = fields.String(validate=validate.OneOf(STATES), metadata={"example": "open"})


class LinkedProjectSchema(Schema):
    project_id = fields.UUID(metadata={"example": PROJECT})
    title = fields.String(metadata={"example": "Home for lunch on Ward 7"})


class SeriesProjectSchema(LinkedProjectSchema):
    stage = fields.String(metadata={"example": "active"})


class PdsaCycleSchema(Schema):
    cycle_id = fields.String(metadata={"example": CYCLE})
    period = MonthField(metadata={"description": "the month the cycle started, YYYY-MM", "example": "2026-02"})
    text = fields.String(metadata={"example": "PDSA 2: Discharge lounge from 10am"})


class SignalSchema(Schema):
    id = fields.Integer(metadata={"example": 41})
    kind = fields.String(metadata={"description": "special_cause: an XmR chart's special-cause episode; "
                                                  "run_chart: non-random variation on a run chart",
                                   "enum": list(KINDS), "example": "special_cause"})
    kpi_code = fields.String(metadata={"example": "ALOS"})
    kpi_name = fields.String(metadata={"example": "Average length of stay"})
    unit_code = fields.String(metadata={"example": "WARD-7"})
    unit_name = fields.String(metadata={"example": "Ward 7"})
    period = MonthField(metadata={"description": "the month the signal was seen in", "example": "2026-03"})
    signal_start = MonthField(metadata={"description": "its first month", "example": "2026-02"})
    point_type = fields.String(allow_none=True, metadata={"example": "special_cause_concern"})
    special_cause_type = fields.String(allow_none=True, metadata={"example": "Above UCL"})
    value = fields.Float(allow_none=True, metadata={"example": 7.9})
    state = fields.String(metadata={"enum": list(STATES), "example": "acknowledged"})
    opened_at = fields.DateTime(metadata={"example": WHEN})
    acknowledged_by = fields.String(allow_none=True, metadata={"example": "alice.owner"})
    acknowledged_at = fields.DateTime(allow_none=True, metadata={"example": WHEN})
    cause = fields.String(allow_none=True, metadata={"example": "Discharge lounge opened (PDSA 2)"})
    pdsa_cycle_id = fields.String(allow_none=True, metadata={"example": None})
    project_id = fields.UUID(allow_none=True, metadata={"example": None})
    action = fields.String(allow_none=True, metadata={"example": None})
    closed_as = fields.String(allow_none=True, metadata={"enum": [*CLOSED_AS, None], "example": None})
    close_reason = fields.String(allow_none=True, metadata={"example": None})
    rebase_id = fields.Integer(allow_none=True, metadata={"example": None})
    reminded_at = fields.DateTime(allow_none=True, metadata={"example": None})
    escalated_at = fields.DateTime(allow_none=True, metadata={"example": None})
    version = fields.Integer(metadata={"description": "also the ETag; send it back as If-Match", "example": 2})


class SignalInFullSchema(SignalSchema):
    projects = fields.List(fields.Nested(LinkedProjectSchema),
                           metadata={"description": "the projects whose teams were told of it"})
    linkable_projects = fields.List(fields.Nested(SeriesProjectSchema),
                                    metadata={"description": "projects measuring this series: what an "
                                                             "explanation or action plan may link"})
    pdsa_cycles = fields.List(fields.Nested(PdsaCycleSchema),
                              metadata={"description": "PDSA cycles noted on this series' chart: what an "
                                                       "explanation may link"})


class SignalHistorySchema(Schema):
    id = fields.Integer(metadata={"example": 7})
    from_state = fields.String(allow_none=True, metadata={"example": "open"})
    to_state = fields.String(metadata={"example": "acknowledged"})
    changed_by = fields.String(metadata={"example": "alice.owner"})
    changed_at = fields.DateTime(metadata={"example": WHEN})
    note = fields.String(allow_none=True, metadata={"example": "Seen; looking into it with the ward manager"})
    details = fields.Dict(metadata={"example": {"acknowledged_by": "alice.owner"}})


class AcknowledgementSchema(Schema):
    note = FreeText(load_default=None, allow_none=True, validate=validate.Length(max=2000),
                    metadata={"example": "Seen; looking into it with the ward manager"})


class ExplanationSchema(Schema):
    cause = FreeText(required=True, validate=validate.Length(min=3, max=2000),
                     metadata={"description": "the known cause", "example": "Discharge lounge opened (PDSA 2)"})
    pdsa_cycle_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=200),
                                  metadata={"description": "a PDSA cycle noted on this series' chart "
                                                           "(else 422)", "example": None})
    project_id = fields.UUID(load_default=None, allow_none=True,
                             metadata={"description": "a QI project metrics knows (else 422)", "example": None})


class ActionPlanSchema(Schema):
    action = FreeText(required=True, validate=validate.Length(min=3, max=2000),
                      metadata={"example": "The Ward 7 flow project tests a discharge checklist"})
    project_id = fields.UUID(required=True, metadata={"description": "the QI project doing it (else 422)",
                                                      "example": PROJECT})


class ClosureSchema(Schema):
    closed_as = fields.String(required=True, validate=validate.OneOf(CLOSED_AS), metadata={
        "description": "returned_to_common_cause: the chart's newest month no longer signals (else 409); "
                       "rebased: the process changed, so the chart is rebased from rebase_from (a special-cause "
                       "signal only, by the KPI's owners or an admin; else 409 or 403)",
        "example": "rebased"})
    reason = FreeText(required=True, validate=validate.Length(min=3, max=2000),
                      metadata={"description": "why; a rebase keeps it as its reason",
                                "example": "Discharge lounge adopted after PDSA 2"})
    rebase_from = MonthField(load_default=None, allow_none=True, metadata={
        "description": "rebased: the first month of the new period, YYYY-MM (default: the signal's first "
                       "month); a month already rebased is 409", "example": "2026-02"})


class WatchedSeriesSchema(Schema):
    kind = fields.String(metadata={"example": "outcome"})
    kpi_code = fields.String(metadata={"example": "ALOS"})
    unit_code = fields.String(metadata={"example": "WARD-7"})
    concerns = fields.List(fields.Integer(), metadata={"description": "signals of concern since completion",
                                                       "example": []})


class SustainmentSchema(Schema):
    project_id = fields.UUID(metadata={"example": PROJECT})
    title = fields.String(metadata={"example": "Criteria-led discharge on Ward 7"})
    completed_on = fields.Date(metadata={"example": "2026-05-14"})
    watched_until = fields.Date(metadata={"description": "WTGR_SUSTAIN_MONTHS after completion",
                                          "example": "2027-05-01"})
    watching = fields.Boolean(metadata={"example": True})
    months_since_completion = fields.Integer(metadata={"description": "months watched so far",
                                                       "example": 6})
    sustained = fields.Boolean(metadata={"description": "no signal of concern on a watched measure since "
                                                        "completion", "example": True})
    series = fields.List(fields.Nested(WatchedSeriesSchema))


class UnitLeadInSchema(Schema):
    email = fields.Email(required=True, metadata={"example": "medicine.lead@trust.example"})
    name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200),
                         metadata={"example": "Dr Morgan Lee"})


class UnitLeadSchema(UnitLeadInSchema):
    unit_code = fields.String(metadata={"example": "DIR-MED"})
    set_by = fields.String(metadata={"example": "admin"})
    set_at = fields.DateTime(metadata={"example": WHEN})
    version = fields.Integer(metadata={"description": "also the ETag; send it back as If-Match", "example": 1})
