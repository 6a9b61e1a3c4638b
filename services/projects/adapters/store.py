"""SQL for the projects schema. Functions take a unit of work and return rows."""

from __future__ import annotations

from typing import Any

from shared.db import UnitOfWork
from shared.pagination import Listing

PROJECT_COLUMNS = "id, title, aim, idea_id, stage, version, created_by, created_at"
# Newest first; migration 0002 indexes (created_at, id) alone and after stage.
PROJECTS = Listing("projects", "projects", PROJECT_COLUMNS, "created_at timestamptz, id uuid", descending=True,
                   filters=("stage",))
CYCLE_COLUMNS = 'id, project_id, cycle_number, plan, "do", study, act, started_on, ended_on, logged_by, logged_at'


def add_project(uow: UnitOfWork, project_id: str, fields: dict[str, Any], created_by: str) -> dict[str, Any]:
    row = uow.one(
        f"""INSERT INTO projects (id, title, aim, idea_id, created_by) VALUES (%s, %s, %s, %s, %s)
            RETURNING {PROJECT_COLUMNS}""",
        (project_id, fields["title"], fields["aim"], fields.get("idea_id"), created_by),
    )
    assert row is not None
    add_history(uow, project_id, 1, row["stage"], created_by)
    return row


def project(uow: UnitOfWork, project_id: str, *, for_update: bool = False) -> dict[str, Any] | None:
    lock = " FOR UPDATE" if for_update else ""
    return uow.one(f"SELECT {PROJECT_COLUMNS} FROM projects WHERE id = %s{lock}", (project_id,))


def set_stage(uow: UnitOfWork, project_id: str, stage: str, changed_by: str) -> dict[str, Any]:
    row = uow.one(
        f"UPDATE projects SET stage = %s, version = version + 1 WHERE id = %s RETURNING {PROJECT_COLUMNS}",
        (stage, project_id),
    )
    assert row is not None
    add_history(uow, project_id, row["version"], stage, changed_by)
    return row


def add_history(uow: UnitOfWork, project_id: str, version: int, stage: str, changed_by: str) -> None:
    uow.execute(
        "INSERT INTO project_stage_history (project_id, version, stage, changed_by) VALUES (%s, %s, %s, %s)",
        (project_id, version, stage, changed_by),
    )


def history(uow: UnitOfWork, project_id: str) -> list[dict[str, Any]]:
    return uow.all(
        "SELECT version, stage, changed_by, changed_at FROM project_stage_history WHERE project_id = %s"
        " ORDER BY version",
        (project_id,),
    )


def count_cycles(uow: UnitOfWork, project_id: str) -> int:
    row = uow.one("SELECT count(*) AS n FROM pdsa_cycles WHERE project_id = %s", (project_id,))
    return int(row["n"]) if row else 0


def add_cycle(uow: UnitOfWork, cycle: dict[str, Any]) -> dict[str, Any]:
    row = uow.one(
        f"""INSERT INTO pdsa_cycles (id, project_id, cycle_number, plan, "do", study, act, started_on, ended_on,
                                     logged_by)
            VALUES (%(id)s, %(project_id)s, %(cycle_number)s, %(plan)s, %(do)s, %(study)s, %(act)s,
                    %(started_on)s, %(ended_on)s, %(logged_by)s)
            RETURNING {CYCLE_COLUMNS}""",
        cycle,
    )
    assert row is not None
    return row


def cycles(uow: UnitOfWork, project_id: str) -> list[dict[str, Any]]:
    return uow.all(f"SELECT {CYCLE_COLUMNS} FROM pdsa_cycles WHERE project_id = %s ORDER BY cycle_number",
                   (project_id,))
