"""The fields every event that should email someone carries: who to tell, and what the email
links to.

``audience`` is filled by the publisher from what it knows (a staff member's email claim, a public
submitter's contact only when they consented, followers, the project team); notifications emails
each distinct address once per event, with a link to the portal page at ``path``.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

RELATIONS = ("submitter", "follower", "team", "lead", "sponsor", "coach", "approver", "moderator", "author",
             "kpi_owner", "unit_lead", "learner", "data_source_owner")


class Recipient(Schema):
    """Someone the event concerns, and why."""

    email = fields.Email(required=True)
    name = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=200))
    relation = fields.String(required=True, validate=validate.OneOf(RELATIONS))


def audience() -> fields.List:
    """Who to tell (may be empty)."""
    return fields.List(fields.Nested(Recipient), required=True)


def path() -> fields.String:
    """The portal page the event is about, e.g. ``/ideas/<id>``: the email's link."""
    return fields.String(required=True, validate=validate.Regexp(r"^/[^\s]*$", error="must be a path from /"))


def title(**kwargs: Any) -> fields.String:
    return fields.String(required=True, validate=validate.Length(min=1, max=300), **kwargs)
