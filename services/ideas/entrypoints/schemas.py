"""HTTP request and response schemas of the ideas API (separate from the event schemas)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate, validates_schema
from marshmallow.exceptions import ValidationError

from services.ideas.domain.ideas import CHANNELS, MANUAL_TARGETS, STAGES
from shared.fields import FreeText
from shared.pagination import PageQuery

NO_PATIENT_DATA = "Free text from staff and patients: it must not contain patient-identifiable data " \
                  "(names, NHS numbers, dates of birth, addresses)."
IDEA_ID = "3f6c2a9e-8b1d-4c57-9a0e-5d2b7f41c8a3"
OTHER_IDEA_ID = "7d1e0b35-2f4a-4c86-9e17-0a5b3c2d8f64"
CAMPAIGN_ID = "c0a8f7d2-5b3e-4f19-8e6a-2d4c1b9e7f30"
COMMENT_ID = "e2b7c1d9-4a6f-4e38-b5c0-9d1f3a7e2b84"
TITLE = "Bed-side falls risk checklist"
DESCRIPTION = "Add a falls risk check to the evening handover on WARD-7, so that high-risk patients get a " \
              "low bed and a sensor mat before night."
CATEGORY = validate.Regexp(r"^[a-z][a-z0-9-]{1,39}$", error="a category code: lower-case letters, digits, hyphens")


class IdeaInSchema(Schema):
    title = FreeText(required=True, validate=validate.Length(min=1, max=200), metadata={"example": TITLE})
    description = FreeText(required=True, validate=validate.Length(min=1, max=10_000),
                           metadata={"example": DESCRIPTION})
    campaign_id = fields.UUID(load_default=None, allow_none=True, metadata={
        "description": "the campaign the idea answers; it must be open today", "example": CAMPAIGN_ID})
    category = fields.String(load_default=None, allow_none=True, validate=CATEGORY,
                             metadata={"description": "a code from GET /categories", "example": "patient-safety"})
    directorate = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=40),
                                metadata={"description": "default: the campaign's", "example": "DIR-MED"})


class StaffIdeaInSchema(IdeaInSchema):
    anonymous = fields.Boolean(load_default=False, metadata={
        "description": "true: your name is stored nowhere; you get a private follow token instead", "example": False})


class PublicIdeaInSchema(IdeaInSchema):
    name = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=200),
                         metadata={"description": "optional; kept only with consent, seen only by moderators",
                                   "example": "A. Carer"})
    email = fields.Email(load_default=None, allow_none=True, validate=validate.Length(max=254), metadata={
        "description": "optional; with consent we email you what becomes of the idea", "example": "carer@example.org"})
    phone = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(r"^\+?[0-9 ()-]{6,20}$"),
                          metadata={"description": "optional; kept only with consent", "example": "01632 960 001"})
    consent = fields.Boolean(load_default=False, metadata={
        "description": "true: you agree that the trust keeps your name and contact to reply about this idea. "
                       "Without it, any name and contact sent are refused.", "example": True})

    @validates_schema
    def _contact_needs_consent(self, data: dict, **_: object) -> None:
        given = [name for name in ("name", "email", "phone") if data.get(name)]
        if given and not data.get("consent"):
            raise ValidationError("a name or contact is kept only with your consent: send consent true, "
                                  "or leave them out", field_name="consent")


class IdeaSchema(Schema):
    id = fields.UUID(metadata={"example": IDEA_ID})
    title = fields.String(metadata={"example": TITLE})
    description = fields.String(metadata={"example": DESCRIPTION})
    submitted_by = fields.String(allow_none=True, metadata={
        "description": "null for anonymous and public ideas", "example": "nurse.ward7"})
    stage = fields.String(validate=validate.OneOf(STAGES), metadata={"example": "under_review"})
    channel = fields.String(validate=validate.OneOf(CHANNELS), metadata={"example": "staff"})
    campaign_id = fields.UUID(allow_none=True, metadata={"example": CAMPAIGN_ID})
    category = fields.String(allow_none=True, metadata={"example": "patient-safety"})
    directorate = fields.String(allow_none=True, metadata={"example": "DIR-MED"})
    merged_into = fields.UUID(allow_none=True, metadata={"description": "set once merged", "example": None})
    vote_count = fields.Integer(metadata={"example": 12})
    version = fields.Integer(metadata={"description": "also sent as the ETag; send it back as If-Match", "example": 2})
    submitted_at = fields.DateTime(metadata={"example": "2026-03-04T09:15:00+00:00"})


class SubmittedIdeaSchema(IdeaSchema):
    follow_token = fields.String(allow_none=True, metadata={
        "description": "anonymous and public ideas: your private link is /api/v1/followed-ideas/<follow_token>. "
                       "It is shown once; keep it", "example": "q3VnYh8c0pN2xT7rK4mW1sZ9bE6dL5aF"})


class StageHistorySchema(Schema):
    version = fields.Integer(metadata={"example": 2})
    stage = fields.String(metadata={"example": "under_review"})
    changed_by = fields.String(allow_none=True, metadata={"example": "qi.lead"})
    reason = fields.String(allow_none=True, metadata={"example": "Fits the falls prevention programme"})
    changed_at = fields.DateTime(metadata={"example": "2026-03-11T14:02:00+00:00"})


class ContactSchema(Schema):
    name = fields.String(allow_none=True, metadata={"example": "A. Carer"})
    email = fields.String(allow_none=True, metadata={"example": "carer@example.org"})
    phone = fields.String(allow_none=True, metadata={"example": None})
    consent = fields.Boolean(metadata={"example": True})


class FollowedIdeaSchema(IdeaSchema):
    history = fields.List(fields.Nested(StageHistorySchema), metadata={"description": "every stage, oldest first"})
    project_ids = fields.List(fields.UUID(), metadata={"example": ["9b2e4d71-0c3a-4f8e-b6d5-1a7c3e9f2b40"]})


class IdeaProjectSchema(Schema):
    project_id = fields.UUID(metadata={"example": "9b2e4d71-0c3a-4f8e-b6d5-1a7c3e9f2b40"})
    title = fields.String(metadata={"example": "Falls prevention on WARD-7"})
    stage = fields.String(allow_none=True, metadata={
        "description": "the project's stage as last announced; null until the projects service says",
        "example": "active"})


class IdeaStorySchema(Schema):
    story_id = fields.UUID(metadata={"example": "5a3d9e21-7b4c-4f06-a8e2-3c1b0d9f6e57"})
    slug = fields.String(metadata={"example": "fewer-falls-on-ward-7"})
    title = fields.String(metadata={"example": "Fewer falls on WARD-7"})
    summary = fields.String(metadata={"example": "Falls fell by a third after the evening check."})


class IdeaDetailSchema(FollowedIdeaSchema):
    projects = fields.List(fields.Nested(IdeaProjectSchema), metadata={
        "description": "what the idea became: the projects made from it, first linked first"})
    stories = fields.List(fields.Nested(IdeaStorySchema), metadata={
        "description": "the published success stories of the idea or of its projects"})
    followers = fields.Integer(metadata={"example": 4})
    voted = fields.Boolean(metadata={"description": "whether you voted for it", "example": False})
    following = fields.Boolean(metadata={"description": "whether you follow it", "example": True})
    next_stages = fields.List(fields.String(validate=validate.OneOf(MANUAL_TARGETS)), metadata={
        "description": "the stages you may move it to now (POST .../stage): QI leads review and decide, a "
                       "moderator only lets ideas in moderation through or declines them; empty for others",
        "example": ["accepted", "declined"]})
    contact = fields.Nested(ContactSchema, allow_none=True, metadata={
        "description": "a public submitter's name and contact, given with consent: moderators only (audited)"})


class StageChangeSchema(Schema):
    stage = fields.String(required=True, validate=validate.OneOf(MANUAL_TARGETS), metadata={
        "description": "moderation -> submitted | declined; submitted -> under_review | declined; under_review -> "
                       "accepted | declined. in_progress and implemented follow the projects made from it.",
        "example": "under_review"})
    reason = FreeText(load_default=None, allow_none=True, validate=validate.Length(max=2000),
                      metadata={"description": "required when declining", "example": "Fits the falls programme"})


class MergeSchema(Schema):
    into_idea_id = fields.UUID(required=True, metadata={"example": OTHER_IDEA_ID})
    reason = FreeText(load_default=None, allow_none=True, validate=validate.Length(max=2000),
                      metadata={"example": "The same checklist was proposed for every ward"})


class IdeaQuery(PageQuery):
    q = fields.String(validate=validate.Length(min=1, max=200),
                      metadata={"description": "words to look for in titles and descriptions", "example": "falls"})
    stage = fields.String(validate=validate.OneOf(STAGES), metadata={"example": "under_review"})
    campaign_id = fields.UUID(metadata={"example": CAMPAIGN_ID})
    directorate = fields.String(validate=validate.Length(min=1, max=40), metadata={"example": "DIR-MED"})
    category = fields.String(validate=CATEGORY, metadata={"example": "patient-safety"})
    sort = fields.String(load_default="newest", validate=validate.OneOf(["newest", "votes"]),
                         metadata={"description": "newest first, or most votes first", "example": "votes"})


class DraftSchema(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200), metadata={"example": TITLE})
    description = fields.String(load_default="", validate=validate.Length(max=10_000),
                                metadata={"example": DESCRIPTION})
    limit = fields.Integer(load_default=5, validate=validate.Range(min=1, max=20), metadata={"example": 5})


class SimilarIdeaSchema(Schema):
    id = fields.UUID(metadata={"example": IDEA_ID})
    title = fields.String(metadata={"example": TITLE})
    stage = fields.String(metadata={"example": "accepted"})
    vote_count = fields.Integer(metadata={"example": 12})
    score = fields.Float(metadata={"description": "0 to 1, higher is more alike", "example": 0.62})


class SimilarProjectSchema(Schema):
    project_id = fields.UUID(metadata={"example": "9b2e4d71-0c3a-4f8e-b6d5-1a7c3e9f2b40"})
    title = fields.String(metadata={"example": "Falls prevention on WARD-7"})
    stage = fields.String(metadata={"example": "active"})
    idea_id = fields.UUID(allow_none=True, metadata={"example": IDEA_ID})
    score = fields.Float(metadata={"example": 0.48})


class SimilarStorySchema(Schema):
    story_id = fields.UUID(metadata={"example": "5a3d9e21-7b4c-4f06-a8e2-3c1b0d9f6e57"})
    slug = fields.String(metadata={"example": "fewer-falls-on-ward-7"})
    title = fields.String(metadata={"example": "Fewer falls on WARD-7"})
    summary = fields.String(metadata={"example": "Falls fell by a third after the evening check."})
    score = fields.Float(metadata={"example": 0.41})


class SimilarSchema(Schema):
    ideas = fields.List(fields.Nested(SimilarIdeaSchema))
    projects = fields.List(fields.Nested(SimilarProjectSchema))
    stories = fields.List(fields.Nested(SimilarStorySchema))


class VoteSchema(Schema):
    idea_id = fields.UUID(metadata={"example": IDEA_ID})
    votes = fields.Integer(metadata={"example": 13})
    voted = fields.Boolean(metadata={"example": True})


class FollowSchema(Schema):
    idea_id = fields.UUID(metadata={"example": IDEA_ID})
    followers = fields.Integer(metadata={"example": 5})
    following = fields.Boolean(metadata={"example": True})


class CommentInSchema(Schema):
    body = FreeText(required=True, validate=validate.Length(min=1, max=4000),
                    metadata={"example": "We tried this on WARD-3: the sensor mats need a spare charger."})


class HideSchema(Schema):
    reason = FreeText(required=True, validate=validate.Length(min=1, max=2000),
                      metadata={"example": "Named a colleague; please raise it with the ward manager"})


class CommentSchema(Schema):
    id = fields.UUID(metadata={"example": COMMENT_ID})
    idea_id = fields.UUID(metadata={"example": IDEA_ID})
    author = fields.String(metadata={"example": "nurse.ward3"})
    body = fields.String(allow_none=True, metadata={"description": "null when hidden (moderators still see it)",
                                                    "example": "We tried this on WARD-3."})
    created_at = fields.DateTime(metadata={"example": "2026-03-05T10:00:00+00:00"})
    edited_at = fields.DateTime(allow_none=True, metadata={"example": None})
    hidden_at = fields.DateTime(allow_none=True, metadata={"example": None})
    hidden_by = fields.String(allow_none=True, metadata={"example": None})
    hidden_reason = fields.String(allow_none=True, metadata={"example": None})
    version = fields.Integer(metadata={"example": 1})


class CampaignInSchema(Schema):
    theme = FreeText(required=True, validate=validate.Length(min=1, max=200),
                     metadata={"example": "Safer nights: fewer falls after dark"})
    description = FreeText(load_default="", validate=validate.Length(max=4000),
                           metadata={"example": "Ideas to prevent falls between 8pm and 8am."})
    sponsor = FreeText(required=True, validate=validate.Length(min=1, max=200),
                       metadata={"example": "Chief Nurse"})
    directorate = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=40),
                                metadata={"description": "null: trust-wide", "example": "DIR-MED"})
    opens_on = fields.Date(required=True, metadata={"example": "2026-03-01"})
    closes_on = fields.Date(required=True, metadata={"description": "on or after opens_on", "example": "2026-05-31"})


class CampaignSchema(CampaignInSchema):
    id = fields.UUID(metadata={"example": CAMPAIGN_ID})
    created_by = fields.String(metadata={"example": "qi.lead"})
    created_at = fields.DateTime(metadata={"example": "2026-02-20T09:00:00+00:00"})
    version = fields.Integer(metadata={"example": 1})


class CategorySchema(Schema):
    code = fields.String(required=True, validate=CATEGORY, metadata={"example": "patient-safety"})
    name = FreeText(required=True, validate=validate.Length(min=1, max=100), metadata={"example": "Patient safety"})


class CategoriesSchema(Schema):
    items = fields.List(fields.Nested(CategorySchema))
