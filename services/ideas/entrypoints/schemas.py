"""HTTP request and response schemas of the ideas API (separate from the event schemas)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.ideas.domain.ideas import STATUSES
from shared.pagination import PageQuery

NO_PATIENT_DATA = "Free text from staff and patients: it must not contain patient-identifiable data " \
                  "(names, NHS numbers, dates of birth, addresses). Text carrying an NHS number is refused."


class IdeaInSchema(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200),
                          metadata={"description": NO_PATIENT_DATA})
    description = fields.String(required=True, validate=validate.Length(min=1, max=10_000),
                                metadata={"description": NO_PATIENT_DATA})


class IdeaSchema(Schema):
    id = fields.UUID()
    title = fields.String()
    description = fields.String()
    submitted_by = fields.String()
    status = fields.String(validate=validate.OneOf(STATUSES))
    version = fields.Integer(metadata={"description": "also sent as the ETag; send it back as If-Match"})
    submitted_at = fields.DateTime()


class StatusHistorySchema(Schema):
    version = fields.Integer()
    status = fields.String()
    changed_by = fields.String()
    reason = fields.String(allow_none=True)
    changed_at = fields.DateTime()


class IdeaDetailSchema(IdeaSchema):
    history = fields.List(fields.Nested(StatusHistorySchema), metadata={"description": "every status, oldest first"})
    project_ids = fields.List(fields.UUID(), metadata={"description": "projects that came of this idea"})


class StatusChangeSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(STATUSES[1:]))
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000),
                           metadata={"description": NO_PATIENT_DATA})


class IdeaQuery(PageQuery):
    status = fields.String(validate=validate.OneOf(STATUSES))
