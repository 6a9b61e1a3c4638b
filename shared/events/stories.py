"""Payload schemas of the events the stories service publishes: success stories and the tools library."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared.events.audience import audience, path


class StoryDraftedV1(Schema):
    """A success story was drafted (from a completed project, or by hand) for its editors to finish."""

    story_id = fields.UUID(required=True)
    project_id = fields.UUID(allow_none=True, load_default=None)
    idea_id = fields.UUID(allow_none=True, load_default=None)
    title = fields.String(required=True, validate=validate.Length(min=1, max=300))
    slug = fields.String(required=True)
    audience = audience()
    path = path()


class StoryPublishedV1(Schema):
    """A success story was published for all staff to read."""

    story_id = fields.UUID(required=True)
    slug = fields.String(required=True)
    title = fields.String(required=True, validate=validate.Length(min=1, max=300))
    summary = fields.String(required=True)
    project_id = fields.UUID(allow_none=True, load_default=None)
    idea_id = fields.UUID(allow_none=True, load_default=None)
    tags = fields.List(fields.String(), required=True)
    audience = audience()
    path = path()


class ResourcePublishedV1(Schema):
    """A resource joined the tools library."""

    resource_id = fields.UUID(required=True)
    title = fields.String(required=True, validate=validate.Length(min=1, max=300))
    kind = fields.String(required=True)
    tags = fields.List(fields.String(), required=True)
    path = path()


CATALOGUE: list[tuple[str, int, type[Schema]]] = [
    ("story.drafted", 1, StoryDraftedV1),
    ("story.published", 1, StoryPublishedV1),
    ("resource.published", 1, ResourcePublishedV1),
]
