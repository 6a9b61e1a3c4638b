"""Payload schemas of the events the ideas service publishes.

Ideas are free text written by staff and patients; they must not contain patient-identifiable data.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

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


CATALOGUE: list[tuple[str, int, type[Schema]]] = [
    ("idea.submitted", 1, IdeaSubmittedV1),
    ("idea.status_changed", 1, IdeaStatusChangedV1),
    ("idea.accepted", 1, IdeaAcceptedV1),
]
