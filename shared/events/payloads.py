"""Versioned payload schemas (the ``data`` of the envelope) of the measure, KPI and notification
events: what feeds and services send as measure.recorded, what metrics publishes about KPIs and
overdue measures, and what notifications publishes about emails. The events of ideas, projects and
training have their schemas beside this module (``ideas.py``, ``projects.py``, ``training.py``);
``registry.py`` registers them all.

A breaking change adds a new version beside the old one. Consumers read tolerantly (fields a
schema does not declare are ignored), except measure.recorded, whose published contract refuses
them (see ``registry.REFUSES_UNKNOWN_FIELDS``). A month is ``YYYY-MM`` everywhere (``MonthField``).
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from shared.fields import MonthField


def event_month(**kwargs: Any) -> MonthField:
    """A month in an event's data: checked as ``YYYY-MM``, read as that text."""
    return MonthField(loads_text=True, **kwargs)

CODE = validate.Regexp(
    r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$", error="must be a code of letters, digits, _ . - (at most 64)"
)


class JsonNumber(fields.Float):
    """A JSON number and nothing else: "4.6" (a string) is refused, as the published contract says."""

    def _deserialize(self, value: object, attr: str | None, data: object, **kwargs: object) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.make_error("invalid", input=value)
        return super()._deserialize(value, attr, data, **kwargs)


class MeasureRecordedV1(Schema):
    """One monthly value of a KPI for an organisational unit, from a feed, the API or a service."""

    kpi_code = fields.String(required=True, validate=CODE, metadata={"example": "ALOS"})
    unit_code = fields.String(required=True, validate=CODE, metadata={"example": "WARD-7"})
    period = event_month(required=True, metadata={"description": "the month measured, YYYY-MM"})
    value = JsonNumber(required=True, allow_nan=False, metadata={"example": 5.4})
    numerator = JsonNumber(allow_nan=False, allow_none=True, load_default=None, metadata={"example": None})
    denominator = JsonNumber(allow_nan=False, allow_none=True, load_default=None, metadata={"example": None})
    source = fields.String(required=True, validate=validate.Length(min=1, max=200),
                           metadata={"example": "PAS discharges extract"})
    recorded_by = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=200),
                                metadata={"example": "feed.pas"})
    note = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=2000),
                         metadata={"example": None})

    @validates_schema
    def _ratio_parts_come_together(self, data: dict, **_: object) -> None:
        if (data.get("numerator") is None) != (data.get("denominator") is None):
            raise ValidationError("numerator and denominator come together", "denominator")
        if data.get("denominator") == 0:
            raise ValidationError("must not be zero", "denominator")


class SeriesPoint(Schema):
    """One month of a chart as it stands after the change."""

    period = event_month(required=True)
    value = fields.Float(required=True)
    point_type = fields.String(allow_none=True, load_default=None)


class KpiUpdatedV1(Schema):
    """A KPI's monthly value for a unit changed (a new month or a revision)."""

    kpi_code = fields.String(required=True)
    kpi_name = fields.String(required=True)
    unit_code = fields.String(required=True)
    unit_name = fields.String(required=True)
    period = event_month(required=True)
    value = fields.Float(required=True)
    previous_value = fields.Float(allow_none=True, load_default=None)
    revision = fields.Integer(required=True)
    unit_of_measure = fields.String(required=True)
    owners = fields.List(fields.Email(), required=True)
    source = fields.String(required=True)
    # Added by the KPI aggregator; optional, so earlier producers stay valid.
    cause = fields.String(
        load_default="measure",
        validate=validate.OneOf(["measure", "rollup", "rebase", "target", "definition", "month_ended"]),
        metadata={"description": "measure: this unit's own measure; rollup: a child unit's measure changed it; "
                                 "month_ended: a provisional month ended and is judged"},
    )
    latest_period = event_month(allow_none=True, load_default=None)
    latest_value = fields.Float(allow_none=True, load_default=None)
    mean = fields.Float(allow_none=True, load_default=None)
    lpl = fields.Float(allow_none=True, load_default=None)
    upl = fields.Float(allow_none=True, load_default=None)
    point_type = fields.String(allow_none=True, load_default=None)
    variation_icon = fields.String(allow_none=True, load_default=None)
    assurance_icon = fields.String(allow_none=True, load_default=None)
    # Added with run charts; optional, so earlier producers stay valid (their charts were all XmR).
    chart_type = fields.String(
        load_default="xmr", validate=validate.OneOf(["xmr", "run"]),
        metadata={"description": "xmr: mean, lpl, upl, point_type and the icons describe the newest point; run: "
                                 "a series too short for process limits (fewer than 13 months), those are null "
                                 "and median and runs_signal describe its run chart"},
    )
    median = fields.Float(allow_none=True, load_default=None, metadata={"description": "the run chart's median"})
    runs_signal = fields.Boolean(
        allow_none=True, load_default=None,
        metadata={"description": "the run chart's Anhøj rules signal non-random variation; null for XmR"},
    )
    # Added so a copy of the series stays whole when one recompute covers several months; optional.
    series = fields.List(
        fields.Nested(SeriesPoint), allow_none=True, load_default=None,
        metadata={"description": "every month of the chart after this change, oldest first, with its point "
                                 "type (null on a run chart)"},
    )


class SpecialCauseDetectedV1(Schema):
    """The newest point of a KPI's XmR chart became a new special cause (sent once per signal; a run chart,
    drawn for a series too short for process limits, sends none)."""

    kpi_code = fields.String(required=True)
    kpi_name = fields.String(required=True)
    unit_code = fields.String(required=True)
    unit_name = fields.String(required=True)
    period = event_month(required=True, metadata={"description": "the newest month, where the signal was seen"})
    signal_start = event_month(required=True, metadata={"description": "the first month of the signal"})
    special_cause_type = fields.String(required=True, metadata={"description": "the NHSRplotthedots rule"})
    point_type = fields.String(required=True)
    improvement_direction = fields.String(required=True)
    value = fields.Float(required=True)
    mean = fields.Float(required=True)
    lpl = fields.Float(allow_none=True, load_default=None)
    upl = fields.Float(allow_none=True, load_default=None)
    unit_of_measure = fields.String(required=True)
    owners = fields.List(fields.Email(), required=True)


class MeasureOverdueV1(Schema):
    """A KPI's monthly measure for a unit did not arrive by the KPI's expected day (sent once)."""

    kpi_code = fields.String(required=True)
    kpi_name = fields.String(required=True)
    unit_code = fields.String(required=True)
    unit_name = fields.String(required=True)
    period = event_month(required=True, metadata={"description": "the month whose measure is missing"})
    expected_by = fields.Date(required=True)
    owners = fields.List(fields.Email(), required=True)


class NotificationSentV1(Schema):
    email_id = fields.String(required=True)
    to = fields.List(fields.Email(), required=True)
    subject = fields.String(required=True)
    caused_by = fields.String(required=True, metadata={"description": "id of the event notified"})


class NotificationFailedV1(NotificationSentV1):
    reason = fields.String(required=True)


CATALOGUE: list[tuple[str, int, type[Schema]]] = [
    ("measure.recorded", 1, MeasureRecordedV1),
    ("kpi.updated", 1, KpiUpdatedV1),
    ("kpi.special_cause_detected", 1, SpecialCauseDetectedV1),
    ("measure.overdue", 1, MeasureOverdueV1),
    ("notification.sent", 1, NotificationSentV1),
    ("notification.failed", 1, NotificationFailedV1),
]
