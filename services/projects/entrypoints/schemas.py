"""HTTP request and response schemas of the projects API (separate from the event schemas)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.projects.domain.projects import STAGES
from shared.pagination import PageQuery

TEXT = validate.Length(min=1, max=10_000)
TITLE = "Fewer falls at night on WARD-7"
AIM = "Reduce inpatient falls on WARD-7 from 8 to 4 per 1,000 bed days by 2026-09."
PROJECT_ID = "9b2e4d71-0c3a-4f8e-b6d5-1a7c3e9f2b40"
IDEA_ID = "3f6c2a9e-8b1d-4c57-9a0e-5d2b7f41c8a3"


class ProjectInSchema(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200), metadata={"example": TITLE})
    aim = fields.String(required=True, validate=TEXT,
                        metadata={"description": "what will improve, by how much, by when", "example": AIM})
    idea_id = fields.UUID(load_default=None, allow_none=True,
                          metadata={"description": "the idea it came from", "example": IDEA_ID})


class ProjectSchema(Schema):
    id = fields.UUID(metadata={"example": PROJECT_ID})
    title = fields.String(metadata={"example": TITLE})
    aim = fields.String(metadata={"example": AIM})
    idea_id = fields.UUID(allow_none=True, metadata={"example": IDEA_ID})
    stage = fields.String(validate=validate.OneOf(STAGES), metadata={"example": STAGES[1]})
    version = fields.Integer(metadata={"example": 2})
    created_by = fields.String(metadata={"example": "qi.lead@trust.example"})
    created_at = fields.DateTime(metadata={"example": "2026-03-04T09:15:00+00:00"})


class StageHistorySchema(Schema):
    version = fields.Integer(metadata={"example": 2})
    stage = fields.String(metadata={"example": STAGES[1]})
    changed_by = fields.String(metadata={"example": "qi.lead@trust.example"})
    changed_at = fields.DateTime(metadata={"example": "2026-03-18T10:30:00+00:00"})


class PdsaCycleInSchema(Schema):
    plan = fields.String(required=True, validate=TEXT,
                         metadata={"example": "Try a falls risk check at the evening handover for two weeks."})
    do = fields.String(required=True, validate=TEXT,
                       metadata={"example": "Night staff used the check on 41 of 46 evenings."})
    study = fields.String(required=True, validate=TEXT,
                          metadata={"example": "Falls at night fell from 3 to 1; the check takes 4 minutes."})
    act = fields.String(required=True, validate=TEXT,
                        metadata={"example": "Adopt on WARD-7; test on WARD-9 next."})
    started_on = fields.Date(required=True, metadata={"example": "2026-03-02"})
    ended_on = fields.Date(required=True, metadata={"example": "2026-03-15"})


class PdsaCycleSchema(PdsaCycleInSchema):
    id = fields.UUID(metadata={"example": "c8d15e3a-27f4-4b90-8e61-f03a9d2c7b15"})
    project_id = fields.UUID(metadata={"example": PROJECT_ID})
    cycle_number = fields.Integer(metadata={"example": 1})
    logged_by = fields.String(metadata={"example": "qi.lead@trust.example"})
    logged_at = fields.DateTime(metadata={"example": "2026-03-16T08:45:00+00:00"})


class ProjectDetailSchema(ProjectSchema):
    history = fields.List(fields.Nested(StageHistorySchema), metadata={"description": "every stage, oldest first"})
    pdsa_cycles = fields.List(fields.Nested(PdsaCycleSchema))


class StageMoveSchema(Schema):
    stage = fields.String(required=True, validate=validate.OneOf(STAGES[1:]), metadata={"example": STAGES[1]})


class ProjectQuery(PageQuery):
    stage = fields.String(validate=validate.OneOf(STAGES))
