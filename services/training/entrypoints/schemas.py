"""HTTP request and response schemas of the training API (separate from the event schemas)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.training.domain.training import CANCELLED, ENROLLED, WAITLISTED
from shared.events.payloads import CODE
from shared.fields import FreeText, MonthField
from shared.web import PatchSchema

SESSION_ID = "5e0b9c47-3a1d-4f62-8b7e-2c9d4a6f1e83"
CERTIFICATE_CODE = "7KQ2-M9XD-4TPA"
USER = validate.Length(min=1, max=200)
CERTIFICATE = validate.Regexp(r"^[A-Za-z0-9]{4}-[A-Za-z0-9]{4}-[A-Za-z0-9]{4}$",
                              error="a certificate code looks like 7KQ2-M9XD-4TPA")


class LevelSchema(Schema):
    code = fields.String(required=True, validate=CODE, metadata={"example": "PRACTITIONER"})
    title = FreeText(required=True, validate=validate.Length(min=1, max=100), metadata={"example": "Practitioner"})
    rank = fields.Integer(required=True, validate=validate.Range(min=1, max=100), metadata={
        "description": "orders the levels; a higher rank is further along (unique)", "example": 2})
    created_at = fields.DateTime(dump_only=True, metadata={"example": "2026-02-10T11:00:00+00:00"})


class CourseSchema(Schema):
    code = fields.String(required=True, validate=CODE, metadata={"example": "QI-101"})
    title = FreeText(required=True, validate=validate.Length(min=1, max=200),
                     metadata={"example": "Quality improvement foundations"})
    description = FreeText(load_default="", validate=validate.Length(max=4000),
                           metadata={"example": "PDSA cycles, run charts and SPC for ward teams."})
    level_code = fields.String(load_default="INTRODUCTORY", validate=CODE, metadata={
        "description": "one of the levels (GET /levels); 422 when there is no such level", "example": "INTRODUCTORY"})
    learning_outcomes = fields.List(FreeText(validate=validate.Length(min=1, max=300)), load_default=list,
                                    validate=validate.Length(max=20), metadata={
                                        "example": ["Write an aim statement", "Plan a PDSA cycle"]})
    prerequisite_code = fields.String(load_default=None, allow_none=True, validate=CODE, metadata={
        "description": "a course to complete before booking this one (422 when there is no such course)",
        "example": None})
    duration_minutes = fields.Integer(load_default=180, validate=validate.Range(min=15, max=2880),
                                      metadata={"example": 180})
    audience = fields.String(load_default="staff", validate=validate.OneOf(["staff", "everyone"]), metadata={
        "description": "staff only, or everyone: staff, patients and partners", "example": "staff"})
    created_by = fields.String(dump_only=True, metadata={"example": "trainer@trust.example"})
    created_at = fields.DateTime(dump_only=True, metadata={"example": "2026-02-10T11:00:00+00:00"})


ONLINE_URL = validate.Regexp(r"^(https://[^\s]+)?$", error="must be an https:// address (or empty)")


class SessionInSchema(Schema):
    starts_at = fields.AwareDateTime(required=True, metadata={
        "description": "with its UTC offset; in the future (422 otherwise)", "example": "2031-04-14T09:30:00+01:00"})
    capacity = fields.Integer(required=True, validate=validate.Range(min=1, max=1000), metadata={"example": 20})
    location = FreeText(load_default="", validate=validate.Length(max=200),
                        metadata={"example": "Education centre, room 2"})
    online_url = fields.String(load_default="", validate=[validate.Length(max=500), ONLINE_URL], metadata={
        "description": "the link to join online, if it is held online (https)", "example": ""})
    trainers = fields.List(fields.String(validate=USER), load_default=list, validate=validate.Length(max=10),
                           metadata={"description": "co-trainers besides the caller", "example": ["tom.trainer"]})


class SessionSchema(SessionInSchema):
    id = fields.UUID(metadata={"example": SESSION_ID})
    course_code = fields.String(metadata={"example": "QI-101"})
    trainer = fields.String(metadata={"description": "who scheduled it", "example": "tara.trainer"})
    trainers = fields.List(fields.String(), metadata={"example": ["tara.trainer", "tom.trainer"]})
    status = fields.String(validate=validate.OneOf(["scheduled", "cancelled"]), metadata={"example": "scheduled"})
    cancel_reason = fields.String(metadata={"example": ""})
    version = fields.Integer(metadata={"description": "also the ETag", "example": 1})
    created_at = fields.DateTime(metadata={"example": "2026-02-10T11:05:00+00:00"})
    places_left = fields.Integer(metadata={"description": "places not yet taken by a confirmed learner (0 when "
                                                          "full: a booking then joins the waitlist)", "example": 7})
    waitlisted = fields.Integer(metadata={"description": "how many are on the waitlist", "example": 0})


class SessionPatchSchema(PatchSchema):
    starts_at = fields.AwareDateTime(metadata={"description": "in the future (422 otherwise)",
                                               "example": "2031-04-21T09:30:00+01:00"})
    location = FreeText(validate=validate.Length(max=200), metadata={"example": "Education centre, room 3"})
    online_url = fields.String(validate=[validate.Length(max=500), ONLINE_URL],
                               metadata={"example": "https://meet.trust.example/qi-101"})


class SessionCancelSchema(Schema):
    reason = FreeText(required=True, validate=validate.Length(min=1, max=500),
                      metadata={"example": "The trainer is unwell; please book another date."})


class EnrolmentInSchema(Schema):
    user = fields.String(load_default=None, validate=USER, metadata={
        "description": "whom the place is for; leave it out to book yourself. Booking for someone else "
                       "needs the trainer or admin role (403 otherwise)", "example": "sam.nurse"})
    name = fields.String(load_default=None, validate=validate.Length(min=1, max=200),
                         metadata={"description": "the learner's name, for the certificate", "example": "Sam Nurse"})
    email = fields.Email(load_default=None, metadata={
        "description": "where the learner is emailed about the booking", "example": "sam.nurse@hospital.example"})
    directorate = fields.String(load_default=None, validate=CODE, metadata={
        "description": "the learner's directorate (unit code), for the staff-trained KPI", "example": "DIR-ELDER"})


class EnrolmentSchema(Schema):
    id = fields.UUID(metadata={"example": "a71f3c08-d52e-4b96-9c14-6e8b0f2d5a37"})
    session_id = fields.UUID(metadata={"example": SESSION_ID})
    user_id = fields.String(metadata={"example": "staff.nurse@trust.example"})
    status = fields.String(validate=validate.OneOf([ENROLLED, WAITLISTED, CANCELLED]), metadata={
        "description": "enrolled: a confirmed place", "example": WAITLISTED})
    position = fields.Integer(allow_none=True,
                              metadata={"description": "place on the waitlist, 1 is next", "example": 3})
    enrolled_at = fields.DateTime(metadata={"example": "2026-03-20T15:12:00+00:00"})
    booked_by = fields.String(metadata={"example": "tara.trainer"})
    name = fields.String(allow_none=True, metadata={"example": "Sam Nurse"})
    directorate = fields.String(allow_none=True, metadata={"example": "DIR-ELDER"})


class RegisterLineSchema(EnrolmentSchema):
    attended = fields.Boolean(metadata={"example": False})
    certificate_code = fields.String(allow_none=True, metadata={"example": None})


class AttendanceInSchema(Schema):
    user = fields.String(required=True, validate=USER,
                         metadata={"description": "the learner who attended", "example": "staff.nurse@trust.example"})


class AttendanceSchema(Schema):
    session_id = fields.UUID(metadata={"example": SESSION_ID})
    user_id = fields.String(metadata={"example": "staff.nurse@trust.example"})
    period = MonthField(metadata={"description": "the month of the session, YYYY-MM", "example": "2026-04"})
    marked_by = fields.String(metadata={"example": "trainer@trust.example"})
    marked_at = fields.DateTime(metadata={"example": "2026-04-14T12:40:00+01:00"})
    certificate_code = fields.String(metadata={"example": CERTIFICATE_CODE})


class RegisterInSchema(Schema):
    attended = fields.List(fields.String(validate=USER), required=True, validate=validate.Length(min=1, max=1000),
                           metadata={"description": "everyone who attended; each must hold a confirmed place (409 "
                                                    "otherwise, and nobody is marked)", "example": ["sam.nurse"]})


class RegisterResultSchema(Schema):
    marked = fields.List(fields.Nested(AttendanceSchema), metadata={
        "description": "those newly marked attended (already marked ones are left as they were)"})


class RecordLineSchema(RegisterLineSchema):
    course_code = fields.String(metadata={"example": "QI-101"})
    course_title = fields.String(metadata={"example": "Quality improvement foundations"})
    level_title = fields.String(metadata={"example": "Introductory"})
    starts_at = fields.DateTime(metadata={"example": "2026-04-14T09:30:00+01:00"})
    session_status = fields.String(validate=validate.OneOf(["scheduled", "cancelled"]),
                                   metadata={"example": "scheduled"})
    session_cancel_reason = fields.String(metadata={"description": "why the session was cancelled, when it was",
                                                    "example": ""})
    session_moved = fields.Boolean(metadata={"description": "the session was moved (a new time, venue or link) "
                                                            "after it was scheduled", "example": False})
    venue = fields.String(metadata={"example": "Education centre, room 2"})


class CertificateSchema(Schema):
    code = fields.String(metadata={"description": "the verification code", "example": CERTIFICATE_CODE})
    session_id = fields.UUID(metadata={"example": SESSION_ID})
    user_id = fields.String(metadata={"example": "sam.nurse"})
    name = fields.String(metadata={"example": "Sam Nurse"})
    course_code = fields.String(metadata={"example": "QI-101"})
    course_title = fields.String(metadata={"example": "Quality improvement foundations"})
    level_title = fields.String(metadata={"example": "Introductory"})
    completed_on = fields.Date(metadata={"example": "2026-04-14"})
    issued_at = fields.DateTime(metadata={"example": "2026-04-14T12:40:00+01:00"})


class PublicCertificateSchema(Schema):
    code = fields.String(metadata={"example": CERTIFICATE_CODE})
    valid = fields.Boolean(metadata={"description": "always true: an unknown code is a 404", "example": True})
    name = fields.String(metadata={"example": "Sam Nurse"})
    course_title = fields.String(metadata={"example": "Quality improvement foundations"})
    level_title = fields.String(metadata={"example": "Introductory"})
    completed_on = fields.Date(metadata={"example": "2026-04-14"})
    issued_by = fields.String(metadata={"example": "Work Together, Get Results (WTGR)"})


class CertificateCodeSchema(Schema):
    code = fields.String(required=True, validate=CERTIFICATE, metadata={"example": CERTIFICATE_CODE})
