"""HTTP request and response schemas of the training API (separate from the event schemas)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.training.domain.training import ENROLLED, WAITLISTED
from shared.events.payloads import CODE
from shared.fields import FreeText, MonthField

SESSION_ID = "5e0b9c47-3a1d-4f62-8b7e-2c9d4a6f1e83"


class CourseSchema(Schema):
    code = fields.String(required=True, validate=CODE, metadata={"example": "QI-101"})
    title = FreeText(required=True, validate=validate.Length(min=1, max=200),
                     metadata={"example": "Quality improvement foundations"})
    description = FreeText(load_default="", validate=validate.Length(max=4000),
                           metadata={"example": "PDSA cycles, run charts and SPC for ward teams."})
    created_by = fields.String(dump_only=True, metadata={"example": "trainer@trust.example"})
    created_at = fields.DateTime(dump_only=True, metadata={"example": "2026-02-10T11:00:00+00:00"})


class SessionInSchema(Schema):
    starts_at = fields.AwareDateTime(required=True, metadata={"description": "with its UTC offset",
                                                              "example": "2026-04-14T09:30:00+01:00"})
    capacity = fields.Integer(required=True, validate=validate.Range(min=1, max=1000), metadata={"example": 20})
    location = FreeText(load_default="", validate=validate.Length(max=200),
                        metadata={"example": "Education centre, room 2"})


class SessionSchema(SessionInSchema):
    id = fields.UUID(metadata={"example": SESSION_ID})
    course_code = fields.String(metadata={"example": "QI-101"})
    trainer = fields.String(metadata={"example": "trainer@trust.example"})
    created_at = fields.DateTime(metadata={"example": "2026-02-10T11:05:00+00:00"})
    places_left = fields.Integer(metadata={"description": "places not yet taken by an enrolled learner (0 when "
                                                          "full: a booking then joins the waitlist)", "example": 7})


class EnrolmentSchema(Schema):
    id = fields.UUID(metadata={"example": "a71f3c08-d52e-4b96-9c14-6e8b0f2d5a37"})
    session_id = fields.UUID(metadata={"example": SESSION_ID})
    user_id = fields.String(metadata={"example": "staff.nurse@trust.example"})
    status = fields.String(validate=validate.OneOf([ENROLLED, WAITLISTED]), metadata={"example": WAITLISTED})
    position = fields.Integer(allow_none=True,
                              metadata={"description": "place on the waitlist, 1 is next", "example": 3})
    enrolled_at = fields.DateTime(metadata={"example": "2026-03-20T15:12:00+00:00"})


class AttendanceInSchema(Schema):
    user = fields.String(required=True, validate=validate.Length(min=1, max=200),
                         metadata={"description": "the learner who attended", "example": "staff.nurse@trust.example"})


class AttendanceSchema(Schema):
    session_id = fields.UUID(metadata={"example": SESSION_ID})
    user_id = fields.String(metadata={"example": "staff.nurse@trust.example"})
    period = MonthField(metadata={"description": "the month of the session, YYYY-MM", "example": "2026-04"})
    marked_by = fields.String(metadata={"example": "trainer@trust.example"})
    marked_at = fields.DateTime(metadata={"example": "2026-04-14T12:40:00+01:00"})
