"""SQL for the ideas schema. Functions take a unit of work and return rows."""

from __future__ import annotations

from typing import Any

from shared.db import UnitOfWork
from shared.pagination import Listing

IDEA_COLUMNS = "id, title, description, submitted_by, status, version, submitted_at"
# Newest first; migration 0002 indexes (submitted_at, id) alone and after status.
IDEAS = Listing("ideas", "ideas", IDEA_COLUMNS, "submitted_at timestamptz, id uuid", descending=True,
                filters=("status",))


def add_idea(uow: UnitOfWork, idea_id: str, title: str, description: str, submitted_by: str) -> dict[str, Any]:
    row = uow.one(
        f"""INSERT INTO ideas (id, title, description, submitted_by) VALUES (%s, %s, %s, %s)
            RETURNING {IDEA_COLUMNS}""",
        (idea_id, title, description, submitted_by),
    )
    assert row is not None
    add_history(uow, idea_id, 1, row["status"], submitted_by, None)
    return row


def idea(uow: UnitOfWork, idea_id: str, *, for_update: bool = False) -> dict[str, Any] | None:
    lock = " FOR UPDATE" if for_update else ""
    return uow.one(f"SELECT {IDEA_COLUMNS} FROM ideas WHERE id = %s{lock}", (idea_id,))


def set_status(uow: UnitOfWork, idea_id: str, status: str, changed_by: str, reason: str | None) -> dict[str, Any]:
    row = uow.one(
        f"UPDATE ideas SET status = %s, version = version + 1 WHERE id = %s RETURNING {IDEA_COLUMNS}",
        (status, idea_id),
    )
    assert row is not None
    add_history(uow, idea_id, row["version"], status, changed_by, reason)
    return row


def add_history(uow: UnitOfWork, idea_id: str, version: int, status: str, by: str, reason: str | None) -> None:
    uow.execute(
        "INSERT INTO idea_status_history (idea_id, version, status, changed_by, reason) VALUES (%s, %s, %s, %s, %s)",
        (idea_id, version, status, by, reason),
    )


def history(uow: UnitOfWork, idea_id: str) -> list[dict[str, Any]]:
    return uow.all(
        "SELECT version, status, changed_by, reason, changed_at FROM idea_status_history"
        " WHERE idea_id = %s ORDER BY version",
        (idea_id,),
    )


def project_ids(uow: UnitOfWork, idea_id: str) -> list[str]:
    rows = uow.all("SELECT project_id FROM idea_projects WHERE idea_id = %s ORDER BY linked_at", (idea_id,))
    return [str(row["project_id"]) for row in rows]


def link_project(uow: UnitOfWork, idea_id: str, project_id: str, title: str) -> None:
    uow.execute(
        "INSERT INTO idea_projects (idea_id, project_id, title) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
        (idea_id, project_id, title),
    )
