"""Payload schemas of the events the projects service publishes."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

PROJECT_STAGES = ("draft", "active", "completed")


class ProjectCreatedV1(Schema):
    """A QI project exists; ``idea_id`` names the idea it came from, if any."""

    project_id = fields.UUID(required=True)
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    aim = fields.String(required=True)
    stage = fields.String(required=True, validate=validate.OneOf(PROJECT_STAGES))
    idea_id = fields.UUID(allow_none=True, load_default=None)
    created_by = fields.String(required=True)


class ProjectStageChangedV1(Schema):
    project_id = fields.UUID(required=True)
    title = fields.String(required=True)
    from_stage = fields.String(required=True, validate=validate.OneOf(PROJECT_STAGES))
    to_stage = fields.String(required=True, validate=validate.OneOf(PROJECT_STAGES))
    changed_by = fields.String(required=True)


class ProjectCompletedV1(Schema):
    """A project finished; projects drafts its success story from this."""

    project_id = fields.UUID(required=True)
    title = fields.String(required=True)
    aim = fields.String(required=True)
    idea_id = fields.UUID(allow_none=True, load_default=None)
    completed_by = fields.String(required=True)


class PdsaCycleLoggedV1(Schema):
    """One Plan-Do-Study-Act cycle of a project, numbered from 1."""

    project_id = fields.UUID(required=True)
    cycle_id = fields.UUID(required=True)
    cycle_number = fields.Integer(required=True, validate=validate.Range(min=1))
    plan = fields.String(required=True)
    do = fields.String(required=True)
    study = fields.String(required=True)
    act = fields.String(required=True)
    started_on = fields.Date(required=True)
    ended_on = fields.Date(required=True)
    logged_by = fields.String(required=True)


CATALOGUE: list[tuple[str, int, type[Schema]]] = [
    ("project.created", 1, ProjectCreatedV1),
    ("project.stage_changed", 1, ProjectStageChangedV1),
    ("project.completed", 1, ProjectCompletedV1),
    ("pdsa.cycle_logged", 1, PdsaCycleLoggedV1),
]
