"""Payload schemas of the events metrics publishes about signals (on ``wtgr.kpis``, keyed by KPI
and unit): a signal opened, each step people took on it, and the reminders when nobody did."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared.events.audience import audience, path, title
from shared.events.payloads import CODE, event_month

SIGNAL_KINDS = ("special_cause", "run_chart")
SIGNAL_STATES = ("open", "acknowledged", "explained", "action_planned", "closed")


class SignalProject(Schema):
    project_id = fields.UUID(required=True)
    title = fields.String(required=True)


class SustainedProject(SignalProject):
    completed_on = fields.Date(required=True)


class SignalOpenedV1(Schema):
    """A KPI's chart for a unit shows a new signal: a special-cause episode of its XmR chart, or
    non-random variation on its run chart. Told once per signal to the KPI's owners and the teams
    of active projects measuring that series."""

    signal_id = fields.Integer(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(SIGNAL_KINDS))
    kpi_code = fields.String(required=True, validate=CODE)
    kpi_name = fields.String(required=True)
    unit_code = fields.String(required=True, validate=CODE)
    unit_name = fields.String(required=True)
    period = event_month(required=True, metadata={"description": "the month the signal was seen in"})
    signal_start = event_month(required=True)
    point_type = fields.String(allow_none=True, load_default=None)
    special_cause_type = fields.String(allow_none=True, load_default=None)
    value = fields.Float(allow_none=True, load_default=None)
    projects = fields.List(fields.Nested(SignalProject), required=True)
    sustainment = fields.List(fields.Nested(SustainedProject), load_default=list, metadata={
        "description": "completed projects whose outcome or balancing measure this is, still watched: a signal "
                       "of concern may mean their improvement is not holding (their lead and QI lead are told)"})
    audience = audience()
    title = title()
    path = path()


class SignalStepV1(Schema):
    """Someone acknowledged, explained, planned action on or closed a signal."""

    signal_id = fields.Integer(required=True)
    kpi_code = fields.String(required=True, validate=CODE)
    unit_code = fields.String(required=True, validate=CODE)
    from_state = fields.String(required=True, validate=validate.OneOf(SIGNAL_STATES))
    state = fields.String(required=True, validate=validate.OneOf(SIGNAL_STATES))
    by = fields.String(required=True)
    note = fields.String(allow_none=True, load_default=None)
    cause = fields.String(allow_none=True, load_default=None)
    pdsa_cycle_id = fields.String(allow_none=True, load_default=None)
    project_id = fields.UUID(allow_none=True, load_default=None)
    closed_as = fields.String(allow_none=True, load_default=None)
    audience = audience()
    title = title()
    path = path()


class SignalChasedV1(Schema):
    """Nobody acknowledged a signal within so many working days: a reminder to its KPI's owners, or
    an escalation to the lead of its unit's directorate."""

    signal_id = fields.Integer(required=True)
    kpi_code = fields.String(required=True, validate=CODE)
    kpi_name = fields.String(required=True)
    unit_code = fields.String(required=True, validate=CODE)
    unit_name = fields.String(required=True)
    opened_on = fields.Date(required=True)
    working_days = fields.Integer(required=True)
    audience = audience()
    title = title()
    path = path()


CATALOGUE: list[tuple[str, int, type[Schema]]] = [
    ("signal.opened", 1, SignalOpenedV1),
    ("signal.acknowledged", 1, SignalStepV1),
    ("signal.explained", 1, SignalStepV1),
    ("signal.action_planned", 1, SignalStepV1),
    ("signal.closed", 1, SignalStepV1),
    ("signal.reminder", 1, SignalChasedV1),
    ("signal.escalated", 1, SignalChasedV1),
]
