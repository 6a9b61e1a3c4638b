"""Payload schemas of the events the training service publishes (it also publishes measure.recorded)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared.events.audience import audience, path, title
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


class Told(Schema):
    """What every training event that emails someone carries: who (``audience``, each a learner),
    the email's subject line (``title``: the course) and the portal page it links to (``path``)."""

    audience = audience()
    title = title(metadata={"description": "the course's title"})
    path = path()


class BookingV2(Told):
    """A booking's state changed; ``when`` is the session's start, ``where`` its venue or link."""

    enrolment_id = fields.UUID(required=True)
    session_id = fields.UUID(required=True)
    course_code = fields.String(required=True)
    user = fields.String(required=True)
    starts_at = fields.AwareDateTime(required=True)
    when = fields.String(required=True, metadata={"description": "the start in the trust's time, for people"})
    where = fields.String(required=True)
    booked_by = fields.String(required=True)


class TrainingEnrolledV2(BookingV2):
    """The learner has a confirmed place on the session."""


class TrainingWaitlistedV2(BookingV2):
    """The session was full: the learner is on its waitlist, at ``position`` (1 is next)."""

    position = fields.Integer(required=True, validate=validate.Range(min=1))


class TrainingPromotedV1(BookingV2):
    """A booked learner cancelled and the first on the waitlist now has their place."""


class TrainingBookingCancelledV1(BookingV2):
    """The learner's booking (a place or a waitlist position) is cancelled."""

    cancelled_by = fields.String(required=True)


class TrainingReminderV1(BookingV2):
    """The session is ``days_before`` days away (7 or 1): a reminder to each confirmed learner."""

    days_before = fields.Integer(required=True, validate=validate.OneOf([7, 1]))


class SessionChangeV1(Told):
    """A session everyone booked on (places and waitlist) is told about."""

    session_id = fields.UUID(required=True)
    course_code = fields.String(required=True)
    starts_at = fields.AwareDateTime(required=True)
    when = fields.String(required=True, metadata={"description": "the start in the trust's time, for people"})
    where = fields.String(required=True)
    changed_by = fields.String(required=True)


class TrainingSessionRescheduledV1(SessionChangeV1):
    """The session moved (time, venue or link); ``was_starts_at`` is when it used to start."""

    was_starts_at = fields.AwareDateTime(required=True)
    was_when = fields.String(required=True)


class TrainingSessionCancelledV1(SessionChangeV1):
    """The session will not take place; every booking on it is cancelled."""

    reason = fields.String(required=True)


class TrainingCertificateIssuedV1(Told):
    """The learner completed the course; their certificate can be checked by ``certificate_code``."""

    certificate_code = fields.String(required=True)
    session_id = fields.UUID(required=True)
    course_code = fields.String(required=True)
    user = fields.String(required=True)
    completed_on = fields.Date(required=True)


class TrainingQiLevelReachedV1(Schema):
    """A person's QI-trained level rose (keyed by the person): projects show which leads and team
    members are trained, and can suggest training to a lead who is not."""

    user = fields.String(required=True)
    name = fields.String(allow_none=True, load_default=None)
    email = fields.Email(allow_none=True, load_default=None)
    level_code = fields.String(required=True)
    level_title = fields.String(required=True)
    level_rank = fields.Integer(required=True, validate=validate.Range(min=1))
    course_code = fields.String(required=True)
    reached_on = fields.Date(required=True)


CATALOGUE: list[tuple[str, int, type[Schema]]] = [
    ("training.enrolled", 1, TrainingEnrolledV1),
    ("training.waitlisted", 1, TrainingWaitlistedV1),
    ("training.completed", 1, TrainingCompletedV1),
    ("training.enrolled", 2, TrainingEnrolledV2),
    ("training.waitlisted", 2, TrainingWaitlistedV2),
    ("training.promoted", 1, TrainingPromotedV1),
    ("training.booking_cancelled", 1, TrainingBookingCancelledV1),
    ("training.reminder", 1, TrainingReminderV1),
    ("training.session_rescheduled", 1, TrainingSessionRescheduledV1),
    ("training.session_cancelled", 1, TrainingSessionCancelledV1),
    ("training.certificate_issued", 1, TrainingCertificateIssuedV1),
    ("training.qi_level_reached", 1, TrainingQiLevelReachedV1),
]
