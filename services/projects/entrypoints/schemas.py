"""HTTP request and response schemas of the projects API (separate from the event schemas).

Every free-text field is a ``FreeText``: text that appears to identify a patient is refused with a
422 naming the field (shared/pid_guard.py).
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, pre_dump, validate, validates_schema

from services.projects.domain.diagram import KINDS as NODE_KINDS
from services.projects.domain.measures import DIRECTIONS
from services.projects.domain.measures import KINDS as MEASURE_KINDS
from services.projects.domain.pdsa import DECISIONS, STATUSES
from services.projects.domain.projects import CQC_KEY_QUESTIONS, ROLES, STAGES
from shared.fields import FreeText, MonthField
from shared.pagination import PageQuery
from shared.web import PatchSchema

TEXT = validate.Length(min=1, max=4000)
SHORT = validate.Length(min=1, max=200)
CODE = validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$",
                       error="must be a code of letters, digits, _ . - (at most 64)")
TITLE = "Fewer falls at night on WARD-7"
PROJECT_ID = "9b2e4d71-0c3a-4f8e-b6d5-1a7c3e9f2b40"
IDEA_ID = "3f6c2a9e-8b1d-4c57-9a0e-5d2b7f41c8a3"
NODE_ID = "5a0d7c2e-64b1-4f3a-9e8d-2c1b0a9f8e7d"
CYCLE_ID = "c8d15e3a-27f4-4b90-8e61-f03a9d2c7b15"
LEAD = {"subject": "lee.lead", "name": "Lee Lead", "email": "lee.lead@trust.example", "role": "lead"}
AIM = {"statement": "Reduce inpatient falls on WARD-7 at night", "measure": "falls per 1,000 bed days",
       "baseline": 8.0, "target": 4.0, "by": "2026-09-30"}
AIM_PARTS = {"statement": "aim", "measure": "aim_measure", "baseline": "aim_baseline", "target": "aim_target",
             "by": "aim_by"}
WHO = "qi.lead@trust.example"
WHEN = "2026-03-04T09:15:00+00:00"


class TeamMemberSchema(Schema):
    subject = fields.String(required=True, validate=SHORT,
                            metadata={"description": "the person's sign-in subject", "example": "lee.lead"})
    name = FreeText(required=True, validate=SHORT, metadata={"example": "Lee Lead"})
    email = fields.Email(required=True, metadata={"example": "lee.lead@trust.example"})
    role = fields.String(required=True, validate=validate.OneOf(ROLES), metadata={"example": "lead"})


class AimSchema(Schema):
    statement = FreeText(required=True, validate=TEXT, metadata={"description": "what will improve",
                                                                 "example": AIM["statement"]})
    measure = FreeText(required=True, validate=SHORT, metadata={"description": "how it is measured",
                                                                "example": AIM["measure"]})
    baseline = fields.Float(required=True, allow_nan=False, metadata={"description": "where it is now",
                                                                      "example": 8.0})
    target = fields.Float(required=True, allow_nan=False,
                          metadata={"description": "where it will be (differs from the baseline)", "example": 4.0})
    by = fields.Date(required=True, metadata={"description": "by when", "example": AIM["by"]})


class AimOutSchema(Schema):
    """The aim as stored; parts are null on projects registered before aims had parts."""

    statement = fields.String(metadata={"example": AIM["statement"]})
    measure = fields.String(allow_none=True, metadata={"example": AIM["measure"]})
    baseline = fields.Float(allow_none=True, metadata={"example": 8.0})
    target = fields.Float(allow_none=True, metadata={"example": 4.0})
    by = fields.Date(allow_none=True, metadata={"example": AIM["by"]})


def _team(**kwargs: Any) -> fields.List:
    return fields.List(fields.Nested(TeamMemberSchema), validate=validate.Length(min=1, max=50), **kwargs, metadata={
        "description": "exactly one lead, at most one sponsor, each person once (else 422 on team)",
        "example": [LEAD]})


def _cqc(**kwargs: Any) -> fields.List:
    return fields.List(fields.String(validate=validate.OneOf(CQC_KEY_QUESTIONS)),
                       validate=validate.Length(min=1, max=len(CQC_KEY_QUESTIONS)), **kwargs,
                       metadata={"description": "the CQC key questions it serves", "example": ["safe", "effective"]})


def _flat_aim(data: dict[str, Any]) -> dict[str, Any]:
    aim = data.pop("aim", None)
    if aim is not None:
        data.update({AIM_PARTS[part]: value for part, value in aim.items()})
    if "cqc" in data:
        data["cqc"] = sorted(set(data["cqc"]), key=CQC_KEY_QUESTIONS.index)
    return data


class ProjectInSchema(Schema):
    title = FreeText(required=True, validate=SHORT, metadata={"example": TITLE})
    directorate = fields.String(required=True, validate=CODE,
                                metadata={"description": "the directorate's unit code", "example": "DIR-ACUTE"})
    unit_code = fields.String(load_default=None, allow_none=True, validate=CODE,
                              metadata={"description": "the ward or theatre, if one", "example": "WARD-7"})
    team = _team(required=True)
    cqc = _cqc(required=True)
    aim = fields.Nested(AimSchema, required=True)
    idea_id = fields.UUID(load_default=None, allow_none=True, metadata={
        "description": "the idea it came from: an idea this service knows was accepted (else 422) and no other "
                       "project came from (else 409)", "example": IDEA_ID})

    @post_load
    def _columns(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        return _flat_aim(data)


class ProjectPatchSchema(PatchSchema):
    title = FreeText(validate=SHORT, metadata={"example": TITLE})
    directorate = fields.String(validate=CODE, metadata={"example": "DIR-ACUTE"})
    unit_code = fields.String(allow_none=True, validate=CODE, metadata={"example": "WARD-7"})
    team = _team()
    cqc = _cqc()
    aim = fields.Nested(AimSchema, metadata={"description": "the whole aim, every part"})

    @post_load
    def _columns(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        return _flat_aim(data)


class ProjectSchema(Schema):
    id = fields.UUID(metadata={"example": PROJECT_ID})
    title = fields.String(metadata={"example": TITLE})
    directorate = fields.String(metadata={"example": "DIR-ACUTE"})
    unit_code = fields.String(allow_none=True, metadata={"example": "WARD-7"})
    team = fields.List(fields.Nested(TeamMemberSchema), metadata={"example": [LEAD]})
    cqc = fields.List(fields.String(), metadata={"example": ["safe"]})
    aim = fields.Nested(AimOutSchema)
    idea_id = fields.UUID(allow_none=True, metadata={"example": IDEA_ID})
    stage = fields.String(validate=validate.OneOf(STAGES), metadata={"example": "active"})
    version = fields.Integer(metadata={"description": "the project's ETag", "example": 2})
    diagram_version = fields.Integer(metadata={"description": "the driver diagram's ETag", "example": 4})
    progress_score = fields.Float(allow_none=True, metadata={"description": "the score the lead last confirmed",
                                                             "example": 2.5})
    results = fields.String(allow_none=True, metadata={"example": None})
    learning = fields.String(allow_none=True, metadata={"example": None})
    created_by = fields.String(metadata={"example": WHO})
    created_at = fields.DateTime(metadata={"example": WHEN})

    @pre_dump
    def _nested_aim(self, row: dict[str, Any], **_: Any) -> dict[str, Any]:
        if "aim" in row and not isinstance(row["aim"], dict):
            return {**row, "aim": {part: row[column] for part, column in AIM_PARTS.items()}}
        return row


class StageHistorySchema(Schema):
    version = fields.Integer(metadata={"example": 2})
    stage = fields.String(metadata={"example": "approved"})
    changed_by = fields.String(metadata={"example": WHO})
    changed_at = fields.DateTime(metadata={"example": WHEN})
    reason = fields.String(allow_none=True, metadata={"description": "why it stopped", "example": None})
    note = fields.String(allow_none=True, metadata={"description": "the QI forum's decision",
                                                    "example": "Approved by the Acute Medicine QI forum, March"})


class MeasureInSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(MEASURE_KINDS), metadata={
        "description": "one outcome measure per project (a second is 409)", "example": "outcome"})
    name = FreeText(required=True, validate=SHORT, metadata={"example": "Falls per 1,000 bed days at night"})
    define = fields.Boolean(load_default=False, metadata={
        "description": "true: metrics creates a project measure (code P-<8 hex>-<n>) owned by the project's lead; "
                       "then unit_of_measure and direction are required. false: link kpi_code and unit_code",
        "example": False})
    kpi_code = fields.String(validate=CODE, metadata={"description": "with define false: an existing KPI",
                                                      "example": "FALLS_1000"})
    unit_code = fields.String(validate=CODE, metadata={"description": "with define false: its unit",
                                                       "example": "WARD-7"})
    unit_of_measure = fields.String(validate=validate.Length(min=1, max=50),
                                    metadata={"description": "with define true", "example": "count"})
    direction = fields.String(validate=validate.OneOf(DIRECTIONS),
                              metadata={"description": "with define true", "example": "lower_is_better"})
    description = FreeText(validate=TEXT, metadata={"example": "Falls between 22:00 and 07:00."})

    @validates_schema
    def _defined_or_linked(self, data: dict[str, Any], **_: Any) -> None:
        needed = ("unit_of_measure", "direction") if data.get("define") else ("kpi_code", "unit_code")
        missing = {name: ["required with define " + str(bool(data.get("define"))).lower()]
                   for name in needed if not data.get(name)}
        if missing:
            raise ValidationError(missing)


class MeasureSchema(Schema):
    id = fields.UUID(metadata={"example": "1d2c3b4a-5e6f-4a7b-8c9d-0e1f2a3b4c5d"})
    project_id = fields.UUID(metadata={"example": PROJECT_ID})
    kind = fields.String(metadata={"example": "outcome"})
    name = fields.String(metadata={"example": "Falls per 1,000 bed days at night"})
    kpi_code = fields.String(metadata={"example": "P-9b2e4d71-1"})
    unit_code = fields.String(metadata={"example": "WARD-7"})
    created = fields.Boolean(metadata={"description": "a project measure metrics creates", "example": True})
    unit_of_measure = fields.String(allow_none=True, metadata={"example": "count"})
    direction = fields.String(allow_none=True, metadata={"example": "lower_is_better"})
    description = fields.String(allow_none=True, metadata={"example": None})
    linked_by = fields.String(metadata={"example": WHO})
    linked_at = fields.DateTime(metadata={"example": WHEN})


class PlanSchema(Schema):
    change_idea_id = fields.UUID(required=True, metadata={
        "description": "the change idea of the driver diagram it tests (else 422)", "example": NODE_ID})
    title = FreeText(required=True, validate=SHORT, metadata={"example": "Falls check at evening handover"})
    question = FreeText(required=True, validate=TEXT,
                        metadata={"example": "Will a 4-minute falls check at handover cut night falls?"})
    prediction = FreeText(required=True, validate=TEXT, metadata={"example": "Night falls halve within a month."})
    who = FreeText(required=True, validate=SHORT, metadata={"example": "Night staff nurses"})
    where = FreeText(required=True, validate=SHORT, metadata={"example": "WARD-7, bays A and B"})
    planned_start = fields.Date(required=True, metadata={"example": "2026-03-02"})
    follows_cycle_id = fields.UUID(load_default=None, allow_none=True, metadata={
        "description": "the completed cycle of the same change idea this one follows (else 422)", "example": None})


class StartSchema(Schema):
    started_on = fields.Date(required=True, metadata={"description": "not after today (else 422)",
                                                      "example": "2026-03-02"})


class CompletionOfCycleSchema(Schema):
    ended_on = fields.Date(required=True, metadata={"description": "from started_on up to today (else 422)",
                                                    "example": "2026-03-15"})
    do = FreeText(required=True, validate=TEXT, metadata={"description": "what happened",
                                                          "example": "Used on 41 of 46 evenings."})
    study = FreeText(required=True, validate=TEXT, metadata={"description": "the result against the prediction",
                                                             "example": "Night falls fell from 3 to 1."})
    months = fields.List(MonthField(), load_default=list, validate=validate.Length(max=36),
                         metadata={"description": "the chart's months studied", "example": ["2026-03"]})
    decision = fields.String(required=True, validate=validate.OneOf(DECISIONS), metadata={"example": "adapt"})
    act = FreeText(required=True, validate=TEXT, metadata={"description": "what next",
                                                           "example": "Test on WARD-9 with a shorter check."})


class CycleSchema(Schema):
    id = fields.UUID(metadata={"example": CYCLE_ID})
    project_id = fields.UUID(metadata={"example": PROJECT_ID})
    cycle_number = fields.Integer(metadata={"example": 1})
    status = fields.String(validate=validate.OneOf(STATUSES), metadata={"example": "running"})
    change_idea_id = fields.UUID(allow_none=True, metadata={"example": NODE_ID})
    title = fields.String(allow_none=True, metadata={"example": "Falls check at evening handover"})
    question = fields.String(allow_none=True, metadata={"example": "Will a falls check at handover cut night falls?"})
    prediction = fields.String(allow_none=True, metadata={"example": "Night falls halve within a month."})
    who = fields.String(allow_none=True, metadata={"example": "Night staff nurses"})
    where = fields.String(allow_none=True, metadata={"example": "WARD-7"})
    planned_start = fields.Date(allow_none=True, metadata={"example": "2026-03-02"})
    started_on = fields.Date(allow_none=True, metadata={"example": "2026-03-02"})
    do = fields.String(allow_none=True, metadata={"example": None})
    ended_on = fields.Date(allow_none=True, metadata={"example": None})
    study = fields.String(allow_none=True, metadata={"example": None})
    months = fields.List(fields.String(), metadata={"example": []})
    decision = fields.String(allow_none=True, metadata={"example": None})
    act = fields.String(allow_none=True, metadata={"example": None})
    follows_cycle_id = fields.UUID(allow_none=True, metadata={"example": None})
    plan = fields.String(allow_none=True, metadata={"description": "cycles logged after the fact before planning "
                                                                   "existed keep their plan here", "example": None})
    version = fields.Integer(metadata={"example": 2})
    logged_by = fields.String(metadata={"example": WHO})
    logged_at = fields.DateTime(metadata={"example": WHEN})


class ProjectDetailSchema(ProjectSchema):
    history = fields.List(fields.Nested(StageHistorySchema), metadata={"description": "every stage, oldest first"})
    measures = fields.List(fields.Nested(MeasureSchema))
    pdsa_cycles = fields.List(fields.Nested(CycleSchema))
    suggested_score = fields.Float(metadata={"description": "GET .../progress says why", "example": 2.5})


class ApprovalSchema(Schema):
    note = FreeText(required=True, validate=TEXT, metadata={
        "description": "the directorate QI forum's decision (not blank, else 422)",
        "example": "Approved by the Acute Medicine QI forum on 2026-03-10."})


class CompletionSchema(Schema):
    results = FreeText(required=True, validate=TEXT, metadata={"example": "Night falls fell from 8 to 3.5."})
    learning = FreeText(required=True, validate=TEXT, metadata={"example": "Handover is the moment to act."})


class StopSchema(Schema):
    reason = FreeText(required=True, validate=TEXT, metadata={"example": "The ward closed for refurbishment."})


class NodeInSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(NODE_KINDS), metadata={"example": "primary"})
    title = FreeText(required=True, validate=SHORT, metadata={"example": "Reliable falls risk assessment"})
    parent_id = fields.UUID(load_default=None, allow_none=True, metadata={
        "description": "none for a primary driver; a primary driver for a secondary one; a secondary driver for a "
                       "change idea (else 422)", "example": None})


class NodePatchSchema(PatchSchema):
    title = FreeText(validate=SHORT, metadata={"example": "Reliable falls risk assessment"})
    parent_id = fields.UUID(allow_none=True, metadata={
        "description": "move it (with what hangs from it) under another node of the kind above it",
        "example": NODE_ID})


class DriverNodeSchema(Schema):
    id = fields.UUID(metadata={"example": NODE_ID})
    kind = fields.String(metadata={"example": "primary"})
    title = fields.String(metadata={"example": "Reliable falls risk assessment"})
    parent_id = fields.UUID(allow_none=True, metadata={"example": None})
    children = fields.List(fields.Nested(lambda: DriverNodeSchema()), metadata={"example": []})


class DiagramSchema(Schema):
    project_id = fields.UUID(metadata={"example": PROJECT_ID})
    title = fields.String(metadata={"example": TITLE})
    aim = fields.String(metadata={"example": AIM["statement"]})
    version = fields.Integer(metadata={"description": "the diagram's ETag", "example": 4})
    drivers = fields.List(fields.Nested(DriverNodeSchema), metadata={"description": "the primary drivers"})


class ScoreInSchema(Schema):
    score = fields.Float(required=True, allow_nan=False, validate=validate.Range(0.5, 5.0), metadata={
        "description": "IHI scale, a step of 0.5 (else 422)", "example": 2.5, "multipleOf": 0.5})
    note = FreeText(load_default=None, allow_none=True, validate=TEXT, metadata={"example": "Two cycles run."})


class ScoreSchema(Schema):
    number = fields.Integer(metadata={"example": 1})
    score = fields.Float(metadata={"example": 2.5})
    suggested = fields.Float(metadata={"example": 2.5})
    note = fields.String(allow_none=True, metadata={"example": None})
    confirmed_by = fields.String(metadata={"example": "lee.lead"})
    confirmed_at = fields.DateTime(metadata={"example": WHEN})


class EvidenceSchema(Schema):
    approved = fields.Boolean(metadata={"example": True})
    outcome_measure = fields.Boolean(metadata={"example": True})
    change_ideas = fields.Integer(metadata={"example": 2})
    cycles_started = fields.Integer(metadata={"example": 2})
    cycles_completed = fields.Integer(metadata={"example": 1})
    changes_adopted = fields.Integer(metadata={"example": 0})
    first_cycle_started = fields.Date(allow_none=True, metadata={"example": "2026-03-02"})
    improvement_months = fields.Integer(metadata={
        "description": "months the outcome measure's improvement signal is sustained, counted from a signal "
                       "that began no earlier than the first cycle's month", "example": 0})
    sustained_months_needed = fields.Integer(metadata={"example": 3})


class ProgressSchema(Schema):
    project_id = fields.UUID(metadata={"example": PROJECT_ID})
    suggested = fields.Float(metadata={"description": "docs/projects.md states the rule", "example": 2.5})
    score = fields.Float(allow_none=True, metadata={"description": "last confirmed", "example": 2.0})
    evidence = fields.Nested(EvidenceSchema)


class ProjectQuery(PageQuery):
    stage = fields.String(validate=validate.OneOf(STAGES), metadata={"example": "active"})
    directorate = fields.String(validate=CODE, metadata={"example": "DIR-ACUTE"})
    cqc = fields.String(validate=validate.OneOf(CQC_KEY_QUESTIONS), metadata={
        "description": "projects serving this CQC key question", "example": "safe"})
    q = fields.String(validate=validate.Length(min=1, max=200), metadata={
        "description": "words in the title, aim or directorate (web search syntax)", "example": "falls"})
