"""HTTP request and response schemas of the projects API (separate from the event schemas)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.projects.domain.projects import STAGES
from shared.pagination import PageQuery

TEXT = validate.Length(min=1, max=10_000)


class ProjectInSchema(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    aim = fields.String(required=True, validate=TEXT,
                        metadata={"description": "what will improve, by how much, by when"})
    idea_id = fields.UUID(load_default=None, allow_none=True, metadata={"description": "the idea it came from"})


class ProjectSchema(Schema):
    id = fields.UUID()
    title = fields.String()
    aim = fields.String()
    idea_id = fields.UUID(allow_none=True)
    stage = fields.String(validate=validate.OneOf(STAGES))
    version = fields.Integer()
    created_by = fields.String()
    created_at = fields.DateTime()


class StageHistorySchema(Schema):
    version = fields.Integer()
    stage = fields.String()
    changed_by = fields.String()
    changed_at = fields.DateTime()


class PdsaCycleInSchema(Schema):
    plan = fields.String(required=True, validate=TEXT)
    do = fields.String(required=True, validate=TEXT)
    study = fields.String(required=True, validate=TEXT)
    act = fields.String(required=True, validate=TEXT)
    started_on = fields.Date(required=True)
    ended_on = fields.Date(required=True)


class PdsaCycleSchema(PdsaCycleInSchema):
    id = fields.UUID()
    project_id = fields.UUID()
    cycle_number = fields.Integer()
    logged_by = fields.String()
    logged_at = fields.DateTime()


class ProjectDetailSchema(ProjectSchema):
    history = fields.List(fields.Nested(StageHistorySchema), metadata={"description": "every stage, oldest first"})
    pdsa_cycles = fields.List(fields.Nested(PdsaCycleSchema))


class StageMoveSchema(Schema):
    stage = fields.String(required=True, validate=validate.OneOf(STAGES[1:]))


class ProjectQuery(PageQuery):
    stage = fields.String(validate=validate.OneOf(STAGES))
