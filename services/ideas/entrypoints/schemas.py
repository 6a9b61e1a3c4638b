"""HTTP request and response schemas of the ideas API (separate from the event schemas)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.ideas.domain.ideas import STATUSES
from shared.pagination import PageQuery

NO_PATIENT_DATA = "Free text from staff and patients: it must not contain patient-identifiable data " \
                  "(names, NHS numbers, dates of birth, addresses). Text carrying an NHS number is refused."
TITLE = "Bed-side falls risk checklist"
DESCRIPTION = "Add a falls risk check to the evening handover on WARD-7, so that high-risk patients get a " \
              "low bed and a sensor mat before night."


class IdeaInSchema(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200),
                          metadata={"description": NO_PATIENT_DATA, "example": TITLE})
    description = fields.String(required=True, validate=validate.Length(min=1, max=10_000),
                                metadata={"description": NO_PATIENT_DATA, "example": DESCRIPTION})


class IdeaSchema(Schema):
    id = fields.UUID(metadata={"example": "3f6c2a9e-8b1d-4c57-9a0e-5d2b7f41c8a3"})
    title = fields.String(metadata={"example": TITLE})
    description = fields.String(metadata={"example": DESCRIPTION})
    submitted_by = fields.String(metadata={"example": "nurse.ward7@trust.example"})
    status = fields.String(validate=validate.OneOf(STATUSES), metadata={"example": STATUSES[1]})
    version = fields.Integer(metadata={"description": "also sent as the ETag; send it back as If-Match", "example": 2})
    submitted_at = fields.DateTime(metadata={"example": "2026-03-04T09:15:00+00:00"})


class StatusHistorySchema(Schema):
    version = fields.Integer(metadata={"example": 2})
    status = fields.String(metadata={"example": STATUSES[1]})
    changed_by = fields.String(metadata={"example": "qi.lead@trust.example"})
    reason = fields.String(allow_none=True, metadata={"example": "Fits the falls prevention programme"})
    changed_at = fields.DateTime(metadata={"example": "2026-03-11T14:02:00+00:00"})


class IdeaDetailSchema(IdeaSchema):
    history = fields.List(fields.Nested(StatusHistorySchema), metadata={"description": "every status, oldest first"})
    project_ids = fields.List(fields.UUID(), metadata={"description": "projects that came of this idea",
                                                       "example": ["9b2e4d71-0c3a-4f8e-b6d5-1a7c3e9f2b40"]})


class StatusChangeSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(STATUSES[1:]), metadata={"example": STATUSES[1]})
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000),
                           metadata={"description": NO_PATIENT_DATA, "example": "Fits the falls prevention programme"})


class IdeaQuery(PageQuery):
    status = fields.String(validate=validate.OneOf(STATUSES))
