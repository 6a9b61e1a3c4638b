"""Payload schemas of the events the ideas service publishes.

Ideas are free text written by staff and patients; they must not contain patient-identifiable data.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared.events.audience import audience, path

IDEA_STATUSES = ("submitted", "under_review", "accepted", "declined")


class IdeaSubmittedV1(Schema):
    """Someone put forward an improvement idea."""

    idea_id = fields.UUID(required=True)
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(required=True)
    submitted_by = fields.String(required=True)


class IdeaStatusChangedV1(Schema):
    """A QI lead moved an idea along its review (the history keeps every step)."""

    idea_id = fields.UUID(required=True)
    title = fields.String(required=True)
    from_status = fields.String(required=True, validate=validate.OneOf(IDEA_STATUSES))
    to_status = fields.String(required=True, validate=validate.OneOf(IDEA_STATUSES))
    changed_by = fields.String(required=True)
    reason = fields.String(allow_none=True, load_default=None)


class IdeaAcceptedV1(Schema):
    """An idea was accepted; projects drafts a QI project from it."""

    idea_id = fields.UUID(required=True)
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(required=True)
    submitted_by = fields.String(required=True)
    accepted_by = fields.String(required=True)


IDEA_STAGES = ("moderation", "submitted", "under_review", "accepted", "declined", "merged", "in_progress",
               "implemented")
CHANNELS = ("staff", "anonymous", "public")


class IdeaSubmittedV2(IdeaSubmittedV1):
    """v1, with how it came in and who to tell (the submitter, if they can be reached)."""

    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    campaign_id = fields.UUID(allow_none=True, load_default=None)
    directorate = fields.String(allow_none=True, load_default=None)
    audience = audience()
    path = path()


class IdeaStageChangedV1(Schema):
    """An idea moved along its stages (the history keeps every step); a decline has its reason."""

    idea_id = fields.UUID(required=True)
    title = fields.String(required=True)
    from_stage = fields.String(allow_none=True, load_default=None, validate=validate.OneOf(IDEA_STAGES))
    to_stage = fields.String(required=True, validate=validate.OneOf(IDEA_STAGES))
    reason = fields.String(allow_none=True, load_default=None)
    changed_by = fields.String(required=True)
    audience = audience()
    path = path()


class IdeaAcceptedV2(IdeaAcceptedV1):
    """v1, with who to tell: projects keeps this audience for the story the project may become."""

    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    audience = audience()
    path = path()


class IdeaMergedV1(Schema):
    """An idea was merged into another; its votes and followers carry over."""

    idea_id = fields.UUID(required=True)
    into_idea_id = fields.UUID(required=True)
    title = fields.String(required=True)
    changed_by = fields.String(required=True)
    audience = audience()
    path = path()


class IdeaCommentedV1(Schema):
    """Someone commented on an idea."""

    idea_id = fields.UUID(required=True)
    comment_id = fields.UUID(required=True)
    title = fields.String(required=True)
    author = fields.String(required=True)
    audience = audience()
    path = path()


CATALOGUE: list[tuple[str, int, type[Schema]]] = [
    ("idea.submitted", 1, IdeaSubmittedV1),
    ("idea.status_changed", 1, IdeaStatusChangedV1),
    ("idea.accepted", 1, IdeaAcceptedV1),
    ("idea.submitted", 2, IdeaSubmittedV2),
    ("idea.stage_changed", 1, IdeaStageChangedV1),
    ("idea.accepted", 2, IdeaAcceptedV2),
    ("idea.merged", 1, IdeaMergedV1),
    ("idea.commented", 1, IdeaCommentedV1),
]
