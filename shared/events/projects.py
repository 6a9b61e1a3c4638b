"""Payload schemas of the events the projects service publishes."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared.events.stories import audience

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


class OutcomeSeries(Schema):
    kpi_code = fields.String(required=True)
    unit_code = fields.String(required=True)


class TeamMember(Schema):
    subject = fields.String(required=True)
    name = fields.String(allow_none=True, load_default=None)
    email = fields.Email(allow_none=True, load_default=None)
    role = fields.String(required=True)


class ProjectCompletedV2(ProjectCompletedV1):
    """v1 with what a success story needs: the outcome measure's series, the results, what was
    learned, the team, and who to tell (the idea's submitter and followers, the team)."""

    outcome = fields.Nested(OutcomeSeries, allow_none=True, load_default=None)
    results = fields.String(load_default="")
    learning = fields.String(load_default="")
    team = fields.List(fields.Nested(TeamMember), load_default=list)
    directorate = fields.String(allow_none=True, load_default=None)
    cqc = fields.List(fields.String(), load_default=list)
    audience = audience()
    path = fields.String(required=True)


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
    ("project.completed", 2, ProjectCompletedV2),
    ("pdsa.cycle_logged", 1, PdsaCycleLoggedV1),
]
