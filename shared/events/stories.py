"""Payload schemas of the events the stories service publishes: success stories and the tools library.

Stories are free text written by staff; they must not contain patient-identifiable data.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared.events.audience import audience, path

RESOURCE_KINDS = ("template", "guide", "video_link", "course")


class StoryDraftedV1(Schema):
    """A success story was drafted (from a completed project, or by hand); its editors are told."""

    story_id = fields.UUID(required=True)
    project_id = fields.UUID(allow_none=True, load_default=None)
    idea_id = fields.UUID(allow_none=True, load_default=None)
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    slug = fields.String(required=True)
    audience = audience()
    path = path()


class StoryPublishedV1(Schema):
    """A success story is published: the idea's submitter, the team and followers are told."""

    story_id = fields.UUID(required=True)
    slug = fields.String(required=True)
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    summary = fields.String(required=True)
    project_id = fields.UUID(allow_none=True, load_default=None)
    idea_id = fields.UUID(allow_none=True, load_default=None)
    tags = fields.List(fields.String(), load_default=list)
    audience = audience()
    path = path()


class ResourcePublishedV1(Schema):
    """A resource joined the tools library (a template, a guide, a video link or a course)."""

    resource_id = fields.UUID(required=True)
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(required=True, validate=validate.OneOf(RESOURCE_KINDS))
    tags = fields.List(fields.String(), load_default=list)
    path = path()


CATALOGUE: list[tuple[str, int, type[Schema]]] = [
    ("story.drafted", 1, StoryDraftedV1),
    ("story.published", 1, StoryPublishedV1),
    ("resource.published", 1, ResourcePublishedV1),
]
