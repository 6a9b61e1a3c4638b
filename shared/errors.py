"""The refusals every service raises, with no HTTP in them.

Domains and service layers raise these (or their own subclasses of them); ``shared.web`` maps each
base class to one HTTP status in a single table, so no status code lives below the entrypoints.
A refusal is raised before anything commits, so the caller's unit of work rolls back and the
request changes nothing.

``detail`` is safe to show to the caller; ``errors`` says field by field what is wrong with the
input (``{"field": ["why"]}``) when the refusal is about one part of it.
"""

from __future__ import annotations


class Refusal(Exception):
    """Something the caller asked for that the service will not do; the text is for the caller."""

    def __init__(self, detail: str, *, errors: dict[str, list[str]] | None = None):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors


class NotFound(Refusal):
    """What the request names does not exist."""


class Conflict(Refusal):
    """The thing exists but its state does not allow this (already there, wrong stage, no place)."""


class StaleVersion(Refusal):
    """The caller named a version it read (If-Match) and the thing has changed since."""


class InvalidInput(Refusal):
    """The input can never be accepted as given; ``field`` names the part that is wrong."""

    def __init__(self, detail: str, *, field: str | None = None, reason: str | None = None):
        super().__init__(detail, errors={field: [reason or detail]} if field else None)
        self.field = field
        self.reason = reason or detail


class TooLarge(Refusal):
    """What was sent is larger than the service keeps (an uploaded file over its bound)."""


class MalformedRequest(Refusal):
    """The request cannot be read at all (a path part that is not what it must be)."""


class Forbidden(Refusal):
    """The caller is known but may not do this to this thing."""
