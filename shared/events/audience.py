"""Who an event should be told to: the ``audience`` every event that emails someone carries.

``[{"email": ..., "name": ... | null, "relation": ...}]``; the publisher fills it from what it knows
(a staff member's email claim, a public submitter's contact only when they consented, followers,
the team). The notifications service emails each address once per event, with a link made of the
portal's address and the event's ``path``.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

RELATIONS = ("submitter", "follower", "team", "lead", "sponsor", "coach", "approver", "moderator", "author")


class AudienceMember(Schema):
    email = fields.Email(required=True)
    name = fields.String(allow_none=True, load_default=None)
    relation = fields.String(required=True, validate=validate.OneOf(RELATIONS))


def audience_field() -> fields.List:
    """The ``audience`` field of an event schema (may be empty)."""
    return fields.List(fields.Nested(AudienceMember), required=True)
