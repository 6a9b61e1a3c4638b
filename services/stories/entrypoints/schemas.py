"""HTTP request and response schemas of the stories API (separate from the event schemas)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.stories.domain.before_after import AFTER, BEFORE
from services.stories.domain.resources import CONTENT_TYPES, KINDS
from services.stories.domain.stories import MAX_TAG, MAX_TAGS, STATES
from shared.fields import FreeText
from shared.pagination import PageQuery

STORY_ID = "5d0b8e52-3c1f-4a7e-9b26-8f4d1e6a2c90"
PROJECT_ID = "9b2e4d71-0c3a-4f8e-b6d5-1a7c3e9f2b40"
IDEA_ID = "3f6c2a9e-8b1d-4c57-9a0e-5d2b7f41c8a3"
TITLE = "Falls on WARD-7 down by a third"
SLUG = "falls-on-ward-7-down-by-a-third"
SUMMARY = ("The aim: reduce inpatient falls on WARD-7 from 8 to 5 a month by March 2026.\n\n"
           "What happened: a falls risk check at the evening handover, low beds and sensor mats.")
TAGS = ["safe", "falls", "medicine"]
TAG_RULE = f"lower-case letters, digits and hyphens; at most {MAX_TAGS} tags of at most {MAX_TAG} characters"


def _tags(**kwargs: object) -> fields.List:
    return fields.List(fields.String(validate=validate.Length(min=1, max=MAX_TAG)), validate=validate.Length(
        max=MAX_TAGS), metadata={"description": TAG_RULE, "example": TAGS}, **kwargs)  # type: ignore[arg-type]


class TeamMemberSchema(Schema):
    name = FreeText(required=True, validate=validate.Length(min=1, max=200),
                    metadata={"description": "a member of staff, as the story credits them", "example": "Sam Okafor"})
    role = fields.String(required=True, validate=validate.Length(min=1, max=40), metadata={"example": "lead"})


class ChartRowSchema(Schema):
    period = fields.String(metadata={"description": "the month, YYYY-MM", "example": "2025-09"})
    value = fields.Float(metadata={"example": 7.0})
    phase = fields.String(validate=validate.OneOf([BEFORE, AFTER]), metadata={"example": BEFORE})


class ChartSchema(Schema):
    """The before/after figures of the project's outcome measure, captured when it completed."""

    kpi_code = fields.String(metadata={"example": "FALLS"})
    unit_code = fields.String(metadata={"example": "WARD-7"})
    name = fields.String(metadata={"example": "Inpatient falls, Ward 7"})
    unit_of_measure = fields.String(metadata={"example": "count"})
    started = fields.String(allow_none=True, metadata={
        "description": "the month the project started (before is earlier); null when it is not known",
        "example": "2025-10"})
    before_mean = fields.Float(allow_none=True, metadata={"example": 8.2})
    after_mean = fields.Float(allow_none=True, metadata={"example": 5.4})
    change = fields.Float(allow_none=True, metadata={"description": "after_mean - before_mean", "example": -2.8})
    description = fields.String(metadata={"description": "the chart in words (its SVG's desc)",
                                          "example": "Inpatient falls, Ward 7 from 2024-10 to 2026-03: ..."})
    rows = fields.List(fields.Nested(ChartRowSchema), metadata={"description": "the chart's data, oldest first"})


class StoryInSchema(Schema):
    """A story written by hand (an improvement made before the platform, say)."""

    title = FreeText(required=True, validate=validate.Length(min=1, max=200), metadata={"example": TITLE})
    summary = FreeText(required=True, validate=validate.Length(min=1, max=4000), metadata={"example": SUMMARY})
    body = FreeText(load_default="", validate=validate.Length(max=20_000), metadata={
        "description": "the story itself", "example": "It began with a question at a safety huddle..."})
    learning = FreeText(load_default="", validate=validate.Length(max=10_000),
                        metadata={"description": "what was learned", "example": "Start small: one bay, one week."})
    team = fields.List(fields.Nested(TeamMemberSchema), load_default=list, validate=validate.Length(max=50))
    tags = _tags(load_default=list)
    idea_id = fields.UUID(load_default=None, allow_none=True, metadata={
        "description": "the idea it answered, if any", "example": IDEA_ID})


class StoryEditSchema(Schema):
    """The fields to change; leave out what stays. The permalink (slug) never changes."""

    title = FreeText(validate=validate.Length(min=1, max=200), metadata={"example": TITLE})
    summary = FreeText(validate=validate.Length(min=1, max=4000), metadata={"example": SUMMARY})
    body = FreeText(validate=validate.Length(max=20_000), metadata={"example": "It began with a question..."})
    learning = FreeText(validate=validate.Length(max=10_000), metadata={"example": "Start small: one bay."})
    team = fields.List(fields.Nested(TeamMemberSchema), validate=validate.Length(max=50))
    tags = _tags()


class StorySummarySchema(Schema):
    id = fields.UUID(metadata={"example": STORY_ID})
    slug = fields.String(metadata={"description": "the permalink: /stories/<slug> on the portal", "example": SLUG})
    title = fields.String(metadata={"example": TITLE})
    summary = fields.String(metadata={"example": SUMMARY})
    tags = fields.List(fields.String(), metadata={"example": TAGS})
    project_id = fields.UUID(allow_none=True, metadata={"example": PROJECT_ID})
    idea_id = fields.UUID(allow_none=True, metadata={"example": IDEA_ID})
    version = fields.Integer(metadata={"description": "also sent as the ETag; send it back as If-Match", "example": 3})
    created_at = fields.DateTime(metadata={"example": "2026-04-02T10:00:00+00:00"})
    published_at = fields.DateTime(allow_none=True, metadata={"example": "2026-04-09T15:30:00+00:00"})


class EditorStorySummarySchema(StorySummarySchema):
    state = fields.String(validate=validate.OneOf(STATES), metadata={"example": "draft"})


class SustainmentSchema(Schema):
    completed_on = fields.Date(metadata={"description": "when the project completed", "example": "2026-03-20"})
    sustained = fields.Boolean(metadata={
        "description": "no signal of concern on the project's outcome or balancing measures since it completed "
                       "(metrics watches them for WTGR_SUSTAIN_MONTHS)", "example": True})
    months = fields.Integer(metadata={
        "description": "months of the outcome measure charted after the completion month (before the month it "
                       "slipped, when it did): 'sustained for N months'", "example": 7})
    slipped_in = fields.String(allow_none=True, metadata={
        "description": "YYYY-MM: the month of the first signal of concern since completion; null while sustained",
        "example": None})
    slipped_on = fields.String(allow_none=True, metadata={"description": "the measure it slipped on",
                                                          "example": None})


class StorySchema(EditorStorySummarySchema):
    body = fields.String(metadata={"example": "It began with a question at a safety huddle..."})
    learning = fields.String(metadata={"example": "Start small: one bay, one week."})
    team = fields.List(fields.Nested(TeamMemberSchema))
    origin = fields.String(validate=validate.OneOf(["project", "by_hand"]), metadata={
        "description": "project: drafted when its project completed; by_hand: written by an editor",
        "example": "project"})
    chart = fields.Nested(ChartSchema, allow_none=True, metadata={
        "description": "the outcome measure before and after, as a table; null when the project named none. "
                       "The same figures drawn: GET /api/v1/stories/{story_id}/chart.svg"})
    has_chart_svg = fields.Boolean(metadata={"example": True})
    sustainment = fields.Nested(SustainmentSchema, allow_none=True, metadata={
        "description": "whether the project's improvement has been sustained since it completed, kept current from "
                       "metrics' events; null for a story of no project, or of one completed before it was kept"})
    published_by = fields.String(allow_none=True, metadata={"example": "comms.editor@hospital.example"})


def _words(where: str) -> fields.String:
    return fields.String(validate=validate.Length(min=1, max=200), metadata={
        "description": f"words in {where} (web search syntax: `falls -theatre`, `\"length of stay\"`)",
        "example": "falls"})


class StoryQuery(PageQuery):
    tag = fields.String(validate=validate.Length(min=1, max=MAX_TAG), metadata={
        "description": "only the stories with this tag (a directorate, a CQC key question, a topic)",
        "example": "falls"})
    q = _words("the title, summary, story or learning")


class EditorStoryQuery(PageQuery):
    state = fields.String(validate=validate.OneOf(STATES), metadata={"example": "draft"})
    q = _words("the title, summary, story or learning")


class IdeaStoryQuery(PageQuery):
    pass


RESOURCE_ID = "c1a8e0d4-6f2b-4b39-8e57-2d9f4a1b7c63"
KIND_RULE = "template, guide, video_link or course; a video link and a course are links and hold no file"


class ResourceInSchema(Schema):
    title = FreeText(required=True, validate=validate.Length(min=1, max=200), metadata={"example": "PDSA template"})
    summary = FreeText(required=True, validate=validate.Length(min=1, max=4000), metadata={
        "example": "Plan, Do, Study, Act: one page per cycle, with the prediction written before you start."})
    body = FreeText(load_default="", validate=validate.Length(max=50_000), metadata={
        "description": "the resource's own text, as Markdown", "example": "## Plan\n\nWhat change are you testing?"})
    kind = fields.String(required=True, validate=validate.OneOf(KINDS), metadata={"description": KIND_RULE,
                                                                                  "example": "template"})
    tags = _tags(load_default=list)
    link = fields.Url(load_default=None, allow_none=True, schemes={"https", "http"}, validate=validate.Length(max=2000),
                      metadata={"description": "required for a video link and a course",
                                "example": "https://www.england.nhs.uk/making-data-count/"})


class ResourceEditSchema(Schema):
    title = FreeText(validate=validate.Length(min=1, max=200), metadata={"example": "PDSA template"})
    summary = FreeText(validate=validate.Length(min=1, max=4000), metadata={"example": "One page per cycle."})
    body = FreeText(validate=validate.Length(max=50_000), metadata={"example": "## Plan"})
    tags = _tags()
    link = fields.Url(allow_none=True, schemes={"https", "http"}, validate=validate.Length(max=2000),
                      metadata={"example": "https://www.england.nhs.uk/making-data-count/"})


class ResourceSummarySchema(Schema):
    id = fields.UUID(metadata={"example": RESOURCE_ID})
    slug = fields.String(metadata={"example": "pdsa-template"})
    title = fields.String(metadata={"example": "PDSA template"})
    summary = fields.String(metadata={"example": "One page per cycle."})
    kind = fields.String(validate=validate.OneOf(KINDS), metadata={"example": "template"})
    tags = fields.List(fields.String(), metadata={"example": ["pdsa", "model-for-improvement"]})
    link = fields.String(allow_none=True, metadata={"example": None})
    file_name = fields.String(allow_none=True, metadata={
        "description": "the uploaded file's name; GET /api/v1/resources/{resource_id}/file downloads it",
        "example": "pdsa-template.docx"})
    content_type = fields.String(allow_none=True, validate=validate.OneOf(list(CONTENT_TYPES)),
                                 metadata={"example": "text/markdown"})
    size_bytes = fields.Integer(allow_none=True, metadata={"example": 18_432})
    version = fields.Integer(metadata={"description": "also sent as the ETag; send it back as If-Match", "example": 1})


class ResourceSchema(ResourceSummarySchema):
    body = fields.String(metadata={"example": "## Plan\n\nWhat change are you testing?"})
    sha256 = fields.String(allow_none=True, metadata={
        "example": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"})
    created_by = fields.String(metadata={"example": "quinn.lead"})
    created_at = fields.DateTime(metadata={"example": "2026-01-05T09:00:00+00:00"})


class ResourceQuery(PageQuery):
    kind = fields.String(validate=validate.OneOf(KINDS), metadata={"example": "guide"})
    tag = fields.String(validate=validate.Length(min=1, max=MAX_TAG), metadata={"example": "spc"})
    q = _words("the title, summary or text")
