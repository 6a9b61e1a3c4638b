"""The audit trail: every privileged change, and every read of a patient's or partner's contact
details, appended to ``audit_log`` in the acting service's own schema.

Guarantees:
- ``record`` writes its row through the caller's unit of work, so the row commits with the change
  it describes or not at all (a refused or rolled-back change leaves no row).
- Rows are append-only: triggers (shared/migrations/0001.audit-log.sql) refuse UPDATE, DELETE and
  TRUNCATE, also by the service's own database role.
- The actor is the authenticated caller of the request in hand (its subject and roles), as the
  web layer reports it through ``use_actor_source``; outside a request (a consumer, a script) it is
  ``SYSTEM``.

Call it from the service layer, next to the change:

    audit.record(uow, "idea.status_changed", "idea", idea_id, before_version=3, after_version=4)

and for a read of contact details (the read's transaction then commits the row):

    audit.record_contact_details_read(uow, "idea_submitter", idea_id)

Admins read the rows through ``GET /api/v1/audit`` (shared.audit_api), newest first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from shared import correlation
from shared.db import UnitOfWork


@dataclass(frozen=True)
class Actor:
    """Who did it: the token's subject and the roles it carried."""

    subject: str
    roles: tuple[str, ...]


SYSTEM = Actor("system", ())
CONTACT_DETAILS_READ = "contact_details.read"


@dataclass(frozen=True)
class AuditEntry:
    """One row of the trail as readers see it."""

    id: int
    occurred_at: datetime
    actor: str
    actor_roles: list[str]
    operation: str
    resource_type: str
    resource_id: str
    before_version: int | None
    after_version: int | None
    correlation_id: str | None


_actor_source: Callable[[], Actor | None] = lambda: None  # noqa: E731


def use_actor_source(source: Callable[[], Actor | None]) -> None:
    """Where ``record`` learns who is acting: the web layer installs one that reads the request's
    authenticated principal (None outside a request, or before authentication)."""
    global _actor_source
    _actor_source = source


def current_actor() -> Actor:
    return _actor_source() or SYSTEM


def record(uow: UnitOfWork, operation: str, resource_type: str, resource_id: object, *,
           before_version: int | None = None, after_version: int | None = None, actor: Actor | None = None) -> None:
    """Append one row for ``operation`` on the resource, in ``uow``'s transaction."""
    who = actor or current_actor()
    uow.execute(
        "INSERT INTO audit_log (actor, actor_roles, operation, resource_type, resource_id, before_version,"
        " after_version, correlation_id) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
        (who.subject, list(who.roles), operation, resource_type, str(resource_id), before_version, after_version,
         correlation.current()),
    )


def record_contact_details_read(uow: UnitOfWork, resource_type: str, resource_id: object) -> None:
    """Append a row saying the current actor read the contact details of a patient or partner
    held on the resource (e.g. ``"idea_submitter"``). Call it in the transaction that reads them."""
    record(uow, CONTACT_DETAILS_READ, resource_type, resource_id)


@dataclass(frozen=True)
class AuditFilter:
    """Which rows to list: each given field must match exactly; ``before`` (an entry id) lists
    only entries older than that one."""

    resource_type: str | None = None
    resource_id: str | None = None
    actor: str | None = None
    operation: str | None = None
    before: int | None = None


def entries(uow: UnitOfWork, where: AuditFilter, limit: int) -> list[AuditEntry]:
    """Up to ``limit`` entries matching ``where``, newest first (by occurred_at, then id)."""
    rows = uow.all(
        "SELECT id, occurred_at, actor, actor_roles, operation, resource_type, resource_id, before_version,"
        " after_version, correlation_id FROM audit_log"
        " WHERE (%(resource_type)s::text IS NULL OR resource_type = %(resource_type)s)"
        " AND (%(resource_id)s::text IS NULL OR resource_id = %(resource_id)s)"
        " AND (%(actor)s::text IS NULL OR actor = %(actor)s)"
        " AND (%(operation)s::text IS NULL OR operation = %(operation)s)"
        " AND (%(before)s::bigint IS NULL OR (occurred_at, id) <"
        "      (SELECT occurred_at, id FROM audit_log WHERE id = %(before)s))"
        " ORDER BY occurred_at DESC, id DESC LIMIT %(limit)s",
        {**where.__dict__, "limit": limit},
    )
    return [AuditEntry(**row) for row in rows]
