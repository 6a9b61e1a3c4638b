"""Payload schemas of the events the training service publishes (it also publishes measure.recorded)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared.events.payloads import event_month


class TrainingEnrolledV1(Schema):
    """A learner has a place on a session."""

    enrolment_id = fields.UUID(required=True)
    session_id = fields.UUID(required=True)
    course_code = fields.String(required=True)
    user = fields.String(required=True)
    starts_at = fields.AwareDateTime(required=True)


class TrainingWaitlistedV1(TrainingEnrolledV1):
    """The session was full: the learner is on its waitlist, at ``position`` (1 is next)."""

    position = fields.Integer(required=True, validate=validate.Range(min=1))


class TrainingCompletedV1(Schema):
    """A learner attended a session and so completed the course."""

    session_id = fields.UUID(required=True)
    course_code = fields.String(required=True)
    user = fields.String(required=True)
    period = event_month(required=True, metadata={"description": "the month of the session, YYYY-MM"})
    marked_by = fields.String(required=True)


CATALOGUE: list[tuple[str, int, type[Schema]]] = [
    ("training.enrolled", 1, TrainingEnrolledV1),
    ("training.waitlisted", 1, TrainingWaitlistedV1),
    ("training.completed", 1, TrainingCompletedV1),
]
