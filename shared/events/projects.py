"""Payload schemas of the events the projects service publishes."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from shared.events.audience import audience, path
from shared.events.payloads import CODE

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


PROJECT_STAGES_V2 = ("submitted", "approved", "active", "completed", "stopped")
MEASURE_KINDS = ("outcome", "process", "balancing")
DIRECTIONS = ("higher_is_better", "lower_is_better")


class TeamMember(Schema):
    subject = fields.String(required=True)
    name = fields.String(allow_none=True, load_default=None)
    email = fields.Email(allow_none=True, load_default=None)
    role = fields.String(required=True)


class ProjectCreatedV2(Schema):
    """A QI project was registered, with its team; ``idea_id`` names the idea it came from, if any."""

    project_id = fields.UUID(required=True)
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    idea_id = fields.UUID(allow_none=True, load_default=None)
    directorate = fields.String(allow_none=True, load_default=None)
    unit_code = fields.String(allow_none=True, load_default=None, validate=CODE)
    stage = fields.String(required=True, validate=validate.OneOf(PROJECT_STAGES_V2))
    created_by = fields.String(required=True)
    team = fields.List(fields.Nested(TeamMember), required=True)
    audience = audience()
    path = path()


class ProjectStageChangedV2(Schema):
    """A project passed its approval gate, started, stopped (with a reason) or completed."""

    project_id = fields.UUID(required=True)
    title = fields.String(required=True)
    from_stage = fields.String(required=True, validate=validate.OneOf(PROJECT_STAGES_V2))
    to_stage = fields.String(required=True, validate=validate.OneOf(PROJECT_STAGES_V2))
    reason = fields.String(allow_none=True, load_default=None)
    note = fields.String(allow_none=True, load_default=None)
    changed_by = fields.String(required=True)
    audience = audience()
    path = path()


class ProjectMeasureLinkedV1(Schema):
    """A project measures itself by a series in metrics: an existing KPI and unit, or (``created``)
    a project measure that metrics creates as a KPI owned by the project lead."""

    project_id = fields.UUID(required=True)
    measure_id = fields.UUID(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(MEASURE_KINDS))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kpi_code = fields.String(required=True, validate=CODE)
    unit_code = fields.String(required=True, validate=CODE)
    created = fields.Boolean(required=True)
    unit_of_measure = fields.String(allow_none=True, load_default=None)
    direction = fields.String(allow_none=True, load_default=None, validate=validate.OneOf(DIRECTIONS))
    owner = fields.String(allow_none=True, load_default=None)
    owner_email = fields.Email(allow_none=True, load_default=None)
    description = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=4000))

    @validates_schema
    def _a_created_measure_is_defined(self, data: dict, **_: object) -> None:
        if data.get("created"):
            missing = [name for name in ("unit_of_measure", "direction", "owner") if not data.get(name)]
            if missing:
                raise ValidationError(f"required when created is true: {', '.join(missing)}", "created")


class SeriesRef(Schema):
    kpi_code = fields.String(required=True, validate=CODE)
    unit_code = fields.String(required=True, validate=CODE)


class PdsaCycleV1(Schema):
    """A PDSA cycle, planned before it runs, testing one change idea on the project's measures."""

    project_id = fields.UUID(required=True)
    cycle_id = fields.UUID(required=True)
    cycle_number = fields.Integer(required=True, validate=validate.Range(min=1))
    change_idea = fields.String(required=True)
    title = fields.String(required=True)
    planned_start = fields.Date(required=True)
    started_on = fields.Date(allow_none=True, load_default=None)
    series = fields.List(fields.Nested(SeriesRef), required=True)
    audience = audience()
    path = path()


class ProjectProgressScoredV1(Schema):
    """The lead confirmed the project's progress score (IHI 0.5–5.0), suggested from the evidence."""

    project_id = fields.UUID(required=True)
    title = fields.String(required=True)
    score = fields.Float(required=True, validate=validate.Range(0.5, 5.0))
    suggested = fields.Float(allow_none=True, load_default=None)
    confirmed_by = fields.String(required=True)
    audience = audience()
    path = path()


class OutcomeSeries(SeriesRef):
    pass


class ProjectCompletedV2(ProjectCompletedV1):
    """v1, with what the story is made of and who to tell (the team, the idea's submitter and followers)."""

    outcome = fields.Nested(OutcomeSeries, allow_none=True, load_default=None)
    results = fields.String(required=True)
    learning = fields.String(required=True)
    team = fields.List(fields.Nested(TeamMember), required=True)
    directorate = fields.String(allow_none=True, load_default=None)
    cqc = fields.List(fields.String(), required=True)
    audience = audience()
    path = path()


CATALOGUE: list[tuple[str, int, type[Schema]]] = [
    ("project.created", 1, ProjectCreatedV1),
    ("project.stage_changed", 1, ProjectStageChangedV1),
    ("project.completed", 1, ProjectCompletedV1),
    ("pdsa.cycle_logged", 1, PdsaCycleLoggedV1),
    ("project.created", 2, ProjectCreatedV2),
    ("project.stage_changed", 2, ProjectStageChangedV2),
    ("project.measure_linked", 1, ProjectMeasureLinkedV1),
    ("pdsa.cycle_planned", 1, PdsaCycleV1),
    ("pdsa.cycle_started", 1, PdsaCycleV1),
    ("pdsa.cycle_completed", 1, PdsaCycleV1),
    ("project.progress_scored", 1, ProjectProgressScoredV1),
    ("project.completed", 2, ProjectCompletedV2),
]
