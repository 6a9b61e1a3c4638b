"""HTTP request and response schemas of the training API (separate from the event schemas)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.training.domain.training import ENROLLED, WAITLISTED
from shared.events.payloads import CODE
from shared.fields import MonthField


class CourseSchema(Schema):
    code = fields.String(required=True, validate=CODE)
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(load_default="", validate=validate.Length(max=4000))
    created_by = fields.String(dump_only=True)
    created_at = fields.DateTime(dump_only=True)


class SessionInSchema(Schema):
    starts_at = fields.AwareDateTime(required=True, metadata={"description": "with its UTC offset"})
    capacity = fields.Integer(required=True, validate=validate.Range(min=1, max=1000))
    location = fields.String(load_default="", validate=validate.Length(max=200))


class SessionSchema(SessionInSchema):
    id = fields.UUID()
    course_code = fields.String()
    trainer = fields.String()
    created_at = fields.DateTime()


class EnrolmentSchema(Schema):
    id = fields.UUID()
    session_id = fields.UUID()
    user_id = fields.String()
    status = fields.String(validate=validate.OneOf([ENROLLED, WAITLISTED]))
    position = fields.Integer(allow_none=True, metadata={"description": "place on the waitlist, 1 is next"})
    enrolled_at = fields.DateTime()


class AttendanceInSchema(Schema):
    user = fields.String(required=True, validate=validate.Length(min=1, max=200),
                         metadata={"description": "the learner who attended"})


class AttendanceSchema(Schema):
    session_id = fields.UUID()
    user_id = fields.String()
    period = MonthField(metadata={"description": "the month of the session, YYYY-MM"})
    marked_by = fields.String()
    marked_at = fields.DateTime()
