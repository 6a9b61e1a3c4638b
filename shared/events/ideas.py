"""Payload schemas of the events the ideas service publishes (topic wtgr.ideas, key idea_id).

Ideas are free text written by staff and patients; they must not contain patient-identifiable data.
v1 events stay as they were for their consumers (metrics counts idea.submitted; projects drafts
from idea.accepted); v2 adds who to tell (``audience``), the portal ``path`` and the ``channel``.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared.events.audience import audience, path

IDEA_STATUSES = ("submitted", "under_review", "accepted", "declined")
IDEA_STAGES = ("moderation", "submitted", "under_review", "accepted", "declined", "merged", "in_progress",
               "implemented")
CHANNELS = ("staff", "anonymous", "public")


class IdeaSubmittedV1(Schema):
    """Someone put forward an improvement idea (``submitted_by`` is "anonymous" or "public" when
    the submitter is not named)."""

    idea_id = fields.UUID(required=True)
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(required=True)
    submitted_by = fields.String(required=True)


class IdeaSubmittedV2(IdeaSubmittedV1):
    """v1 with the channel it came by, its campaign and directorate, who to tell and its path."""

    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    stage = fields.String(allow_none=True, load_default=None, validate=validate.OneOf(IDEA_STAGES))
    campaign_id = fields.UUID(allow_none=True, load_default=None)
    directorate = fields.String(allow_none=True, load_default=None)
    category = fields.String(allow_none=True, load_default=None)
    audience = audience()
    path = path()


class IdeaStatusChangedV1(Schema):
    """A QI lead moved an idea along its review (the history keeps every step). Published for the
    moves between the four v1 statuses only; idea.stage_changed tells every move."""

    idea_id = fields.UUID(required=True)
    title = fields.String(required=True)
    from_status = fields.String(required=True, validate=validate.OneOf(IDEA_STATUSES))
    to_status = fields.String(required=True, validate=validate.OneOf(IDEA_STATUSES))
    changed_by = fields.String(required=True)
    reason = fields.String(allow_none=True, load_default=None)


class IdeaStageChangedV1(Schema):
    """An idea moved to another stage, by a person or because a project began or completed."""

    idea_id = fields.UUID(required=True)
    title = fields.String(required=True)
    from_stage = fields.String(required=True, validate=validate.OneOf(IDEA_STAGES))
    to_stage = fields.String(required=True, validate=validate.OneOf(IDEA_STAGES))
    reason = fields.String(allow_none=True, load_default=None)
    changed_by = fields.String(required=True)
    channel = fields.String(allow_none=True, load_default=None, validate=validate.OneOf(CHANNELS))
    audience = audience()
    path = path()


class IdeaAcceptedV1(Schema):
    """An idea was accepted; projects drafts a QI project from it."""

    idea_id = fields.UUID(required=True)
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(required=True)
    submitted_by = fields.String(required=True)
    accepted_by = fields.String(required=True)


class IdeaAcceptedV2(IdeaAcceptedV1):
    """v1 with who to tell (the submitter with consent, and the followers), the path and channel."""

    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    directorate = fields.String(allow_none=True, load_default=None)
    audience = audience()
    path = path()


class IdeaMergedV1(Schema):
    """An idea was merged into another; its votes and followers moved there."""

    idea_id = fields.UUID(required=True)
    into_idea_id = fields.UUID(required=True)
    title = fields.String(required=True)
    into_title = fields.String(required=True)
    reason = fields.String(allow_none=True, load_default=None)
    changed_by = fields.String(required=True)
    audience = audience()
    path = path()


class IdeaCommentedV1(Schema):
    """Someone commented on an idea; its followers and submitter are told."""

    idea_id = fields.UUID(required=True)
    comment_id = fields.UUID(required=True)
    title = fields.String(required=True)
    author = fields.String(required=True)
    audience = audience()
    path = path()


CATALOGUE: list[tuple[str, int, type[Schema]]] = [
    ("idea.submitted", 1, IdeaSubmittedV1),
    ("idea.submitted", 2, IdeaSubmittedV2),
    ("idea.status_changed", 1, IdeaStatusChangedV1),
    ("idea.stage_changed", 1, IdeaStageChangedV1),
    ("idea.accepted", 1, IdeaAcceptedV1),
    ("idea.accepted", 2, IdeaAcceptedV2),
    ("idea.merged", 1, IdeaMergedV1),
    ("idea.commented", 1, IdeaCommentedV1),
]
