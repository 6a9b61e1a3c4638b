"""SQL for the projects schema. Functions take a unit of work and return rows."""

from __future__ import annotations

from datetime import date
from typing import Any

from psycopg import errors
from psycopg.types.json import Jsonb

from services.projects.domain.projects import IdeaAlreadyHasAProject
from shared.db import UnitOfWork
from shared.pagination import Listing

PROJECT_COLUMNS = ("id, title, aim, aim_measure, aim_baseline, aim_target, aim_by, idea_id, directorate, unit_code,"
                   " team, cqc, stage, version, diagram_version, progress_score, results, learning, created_by,"
                   " created_at")
# Newest first; migrations 0002 and 0003 index (created_at, id) alone and after stage and directorate.
# A CQC key question (five, each project serving one or more) is a member filter along the newest-first
# index that includes cqc (migration 0005).
PROJECTS = Listing("projects", "projects", PROJECT_COLUMNS, "created_at timestamptz, id uuid", descending=True,
                   filters=("stage", "directorate"), members=("cqc",),
                   search="searchable @@ websearch_to_tsquery('english', %s)")
CYCLE_COLUMNS = ('id, project_id, cycle_number, status, change_idea_id, title, question, prediction, who, "where",'
                 ' planned_start, started_on, "do", ended_on, study, months, decision, act, follows_cycle_id,'
                 ' plan, version, logged_by, logged_at')
# A project's cycles in number order: the (project_id, cycle_number) unique index serves it.
CYCLES = Listing("pdsa_cycles", "pdsa_cycles", CYCLE_COLUMNS, "cycle_number integer", scope=("project_id",))
MEASURE_COLUMNS = ("id, project_id, kind, name, kpi_code, unit_code, created, unit_of_measure, direction, description,"
                   " linked_by, linked_at")
MEASURES = Listing("project_measures", "project_measures", MEASURE_COLUMNS, "linked_at timestamptz, id uuid",
                   scope=("project_id",))
SCORE_COLUMNS = "project_id, number, score, suggested, note, confirmed_by, confirmed_at"
SCORES = Listing("progress_scores", "progress_scores", SCORE_COLUMNS, "number integer", scope=("project_id",))
NODE_COLUMNS = "id, project_id, parent_id, kind, title, seq"
EDITABLE = ("title", "aim", "aim_measure", "aim_baseline", "aim_target", "aim_by", "directorate", "unit_code",
            "team", "cqc")


def _stored(name: str, value: Any) -> Any:
    return Jsonb(value) if name == "team" else value


# -- projects ----------------------------------------------------------------------------------------

def add_project(uow: UnitOfWork, project_id: str, fields: dict[str, Any], created_by: str) -> dict[str, Any]:
    """The new project; ``IdeaAlreadyHasAProject`` when another transaction made one from the same
    idea first (the unique index decides the race the service layer's check cannot)."""
    names = ["id", "created_by", *(name for name in EDITABLE if name in fields), "idea_id"]
    values = [project_id, created_by, *(_stored(n, fields[n]) for n in EDITABLE if n in fields), fields.get("idea_id")]
    try:
        row = uow.one(f"INSERT INTO projects ({', '.join(names)}) VALUES ({', '.join(['%s'] * len(names))})"
                      f" RETURNING {PROJECT_COLUMNS}", values)
    except errors.UniqueViolation as exc:
        if exc.diag.constraint_name == "projects_one_per_idea":
            raise IdeaAlreadyHasAProject(f"a project already came from idea {fields.get('idea_id')}") from None
        raise
    assert row is not None
    add_history(uow, project_id, 1, row["stage"], created_by)
    return row


def project(uow: UnitOfWork, project_id: str, *, for_update: bool = False) -> dict[str, Any] | None:
    lock = " FOR UPDATE" if for_update else ""
    return uow.one(f"SELECT {PROJECT_COLUMNS} FROM projects WHERE id = %s{lock}", (project_id,))


def project_from_idea(uow: UnitOfWork, idea_id: str) -> dict[str, Any] | None:
    return uow.one("SELECT id FROM projects WHERE idea_id = %s", (idea_id,))


def change_project(uow: UnitOfWork, project_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    sets = ", ".join(f"{name} = %s" for name in changes)
    row = uow.one(f"UPDATE projects SET {sets}, version = version + 1 WHERE id = %s RETURNING {PROJECT_COLUMNS}",
                  [*(_stored(name, value) for name, value in changes.items()), project_id])
    assert row is not None
    return row


def set_stage(uow: UnitOfWork, project_id: str, stage: str, changed_by: str, said: dict[str, Any]) -> dict[str, Any]:
    row = uow.one(
        f"""UPDATE projects SET stage = %s, version = version + 1, results = coalesce(%s, results),
                   learning = coalesce(%s, learning)
            WHERE id = %s RETURNING {PROJECT_COLUMNS}""",
        (stage, said.get("results"), said.get("learning"), project_id),
    )
    assert row is not None
    add_history(uow, project_id, row["version"], stage, changed_by, said.get("reason"), said.get("note"))
    return row


def add_history(uow: UnitOfWork, project_id: str, version: int, stage: str, changed_by: str,
                reason: str | None = None, note: str | None = None) -> None:
    uow.execute(
        "INSERT INTO project_stage_history (project_id, version, stage, changed_by, reason, note)"
        " VALUES (%s, %s, %s, %s, %s, %s)",
        (project_id, version, stage, changed_by, reason, note),
    )


def history(uow: UnitOfWork, project_id: str) -> list[dict[str, Any]]:
    return uow.all(
        "SELECT version, stage, changed_by, changed_at, reason, note FROM project_stage_history WHERE project_id = %s"
        " ORDER BY version",
        (project_id,),
    )


def bump_diagram(uow: UnitOfWork, project_id: str) -> int:
    row = uow.one("UPDATE projects SET diagram_version = diagram_version + 1 WHERE id = %s RETURNING diagram_version",
                  (project_id,))
    assert row is not None
    return int(row["diagram_version"])


# -- driver diagram -----------------------------------------------------------------------------------

def nodes(uow: UnitOfWork, project_id: str) -> list[dict[str, Any]]:
    return uow.all(f"SELECT {NODE_COLUMNS} FROM driver_nodes WHERE project_id = %s ORDER BY seq", (project_id,))


def node(uow: UnitOfWork, project_id: str, node_id: str | None) -> dict[str, Any] | None:
    if node_id is None:
        return None
    return uow.one(f"SELECT {NODE_COLUMNS} FROM driver_nodes WHERE project_id = %s AND id = %s",
                   (project_id, node_id))


def add_node(uow: UnitOfWork, project_id: str, node_id: str, kind: str, title: str, parent_id: str | None) -> None:
    uow.execute("INSERT INTO driver_nodes (id, project_id, parent_id, kind, title) VALUES (%s, %s, %s, %s, %s)",
                (node_id, project_id, parent_id, kind, title))


def change_node(uow: UnitOfWork, node_id: str, changes: dict[str, Any]) -> None:
    sets = ", ".join(f"{name} = %s" for name in changes)
    uow.execute(f"UPDATE driver_nodes SET {sets} WHERE id = %s", [*changes.values(), node_id])


def delete_node(uow: UnitOfWork, node_id: str) -> None:
    uow.execute("DELETE FROM driver_nodes WHERE id = %s", (node_id,))


def children_of(uow: UnitOfWork, node_id: str) -> int:
    row = uow.one("SELECT count(*) AS n FROM driver_nodes WHERE parent_id = %s", (node_id,))
    return int(row["n"]) if row else 0


def cycles_testing(uow: UnitOfWork, node_id: str) -> int:
    row = uow.one("SELECT count(*) AS n FROM pdsa_cycles WHERE change_idea_id = %s", (node_id,))
    return int(row["n"]) if row else 0


# -- measures -------------------------------------------------------------------------------------------

def measures(uow: UnitOfWork, project_id: str) -> list[dict[str, Any]]:
    return uow.all(f"SELECT {MEASURE_COLUMNS} FROM project_measures WHERE project_id = %s ORDER BY linked_at, id",
                   (project_id,))


def outcome_measure(uow: UnitOfWork, project_id: str) -> dict[str, Any] | None:
    return uow.one(f"SELECT {MEASURE_COLUMNS} FROM project_measures WHERE project_id = %s AND kind = 'outcome'",
                   (project_id,))


def next_measure_number(uow: UnitOfWork, project_id: str) -> int:
    row = uow.one("UPDATE projects SET measure_count = measure_count + 1 WHERE id = %s RETURNING measure_count",
                  (project_id,))
    assert row is not None
    return int(row["measure_count"])


def measure_linked(uow: UnitOfWork, project_id: str, kpi_code: str, unit_code: str) -> bool:
    return uow.one("SELECT 1 AS found FROM project_measures WHERE project_id = %s AND kpi_code = %s AND unit_code = %s",
                   (project_id, kpi_code, unit_code)) is not None


def add_measure(uow: UnitOfWork, measure: dict[str, Any]) -> dict[str, Any]:
    names = [name.strip() for name in MEASURE_COLUMNS.split(",") if name.strip() != "linked_at"]
    row = uow.one(f"INSERT INTO project_measures ({', '.join(names)}) VALUES ({', '.join(f'%({n})s' for n in names)})"
                  f" RETURNING {MEASURE_COLUMNS}", measure)
    assert row is not None
    return row


# -- PDSA cycles ----------------------------------------------------------------------------------------

def count_cycles(uow: UnitOfWork, project_id: str) -> int:
    row = uow.one("SELECT count(*) AS n FROM pdsa_cycles WHERE project_id = %s", (project_id,))
    return int(row["n"]) if row else 0


def add_cycle(uow: UnitOfWork, cycle: dict[str, Any]) -> dict[str, Any]:
    names = ("id", "project_id", "cycle_number", "status", "change_idea_id", "title", "question", "prediction", "who",
             '"where"', "planned_start", "follows_cycle_id", "logged_by")
    keys = [name.strip('"') for name in names]
    row = uow.one(f"INSERT INTO pdsa_cycles ({', '.join(names)}) VALUES ({', '.join(f'%({k})s' for k in keys)})"
                  f" RETURNING {CYCLE_COLUMNS}", {**cycle, "status": "planned"})
    assert row is not None
    return row


def cycle(uow: UnitOfWork, project_id: str, cycle_id: str | None, *, for_update: bool = False
          ) -> dict[str, Any] | None:
    if cycle_id is None:
        return None
    lock = " FOR UPDATE" if for_update else ""
    return uow.one(f"SELECT {CYCLE_COLUMNS} FROM pdsa_cycles WHERE project_id = %s AND id = %s{lock}",
                   (project_id, cycle_id))


def change_cycle(uow: UnitOfWork, cycle_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    sets = ", ".join(f'"{name}" = %s' for name in changes)
    row = uow.one(f"UPDATE pdsa_cycles SET {sets}, version = version + 1 WHERE id = %s RETURNING {CYCLE_COLUMNS}",
                  [*changes.values(), cycle_id])
    assert row is not None
    return row


def cycles(uow: UnitOfWork, project_id: str) -> list[dict[str, Any]]:
    return uow.all(f"SELECT {CYCLE_COLUMNS} FROM pdsa_cycles WHERE project_id = %s ORDER BY cycle_number",
                   (project_id,))


# -- progress --------------------------------------------------------------------------------------------

def add_score(uow: UnitOfWork, project_id: str, score: Any, suggested: Any, note: str | None, by: str
              ) -> dict[str, Any]:
    row = uow.one(
        f"""INSERT INTO progress_scores (project_id, number, score, suggested, note, confirmed_by)
            SELECT %s, coalesce(max(number), 0) + 1, %s, %s, %s, %s FROM progress_scores WHERE project_id = %s
            RETURNING {SCORE_COLUMNS}""",
        (project_id, score, suggested, note, by, project_id))
    assert row is not None
    uow.execute("UPDATE projects SET progress_score = %s WHERE id = %s", (score, project_id))
    return row


def signals_on(uow: UnitOfWork, kpi_code: str, unit_code: str) -> list[dict[str, Any]]:
    return uow.all("SELECT signal_start, latest FROM improvement_signals WHERE kpi_code = %s AND unit_code = %s",
                   (kpi_code, unit_code))


def record_signal(uow: UnitOfWork, kpi_code: str, unit_code: str, start: date, latest: date) -> None:
    uow.execute(
        """INSERT INTO improvement_signals (kpi_code, unit_code, signal_start, latest) VALUES (%s, %s, %s, %s)
           ON CONFLICT (kpi_code, unit_code, signal_start)
           DO UPDATE SET latest = greatest(improvement_signals.latest, excluded.latest)""",
        (kpi_code, unit_code, start, latest))


def sustain_signal(uow: UnitOfWork, kpi_code: str, unit_code: str, month: date) -> None:
    """The series' newest signal of improvement (begun by ``month``) still runs in ``month``."""
    uow.execute(
        """UPDATE improvement_signals SET latest = %(month)s
            WHERE (kpi_code, unit_code, signal_start) = (
                   SELECT kpi_code, unit_code, signal_start FROM improvement_signals
                    WHERE kpi_code = %(kpi)s AND unit_code = %(unit)s AND signal_start <= %(month)s
                    ORDER BY signal_start DESC LIMIT 1)
              AND latest < %(month)s""",
        {"kpi": kpi_code, "unit": unit_code, "month": month})


def series(uow: UnitOfWork, kpi_code: str, unit_code: str) -> dict[str, Any] | None:
    return uow.one("SELECT kpi_code, unit_code, kpi_name, unit_of_measure FROM known_series"
                   " WHERE kpi_code = %s AND unit_code = %s", (kpi_code, unit_code))


def keep_series(uow: UnitOfWork, kpi_code: str, unit_code: str, kpi_name: str, unit_of_measure: str) -> None:
    uow.execute(
        """INSERT INTO known_series (kpi_code, unit_code, kpi_name, unit_of_measure) VALUES (%s, %s, %s, %s)
           ON CONFLICT (kpi_code, unit_code) DO UPDATE
               SET kpi_name = excluded.kpi_name, unit_of_measure = excluded.unit_of_measure
               WHERE (known_series.kpi_name, known_series.unit_of_measure)
                     IS DISTINCT FROM (excluded.kpi_name, excluded.unit_of_measure)""",
        (kpi_code, unit_code, kpi_name, unit_of_measure))


# -- the copy of ideas ------------------------------------------------------------------------------------

def idea(uow: UnitOfWork, idea_id: str) -> dict[str, Any] | None:
    return uow.one("SELECT idea_id, title, stage, audience FROM idea_copies WHERE idea_id = %s", (idea_id,))


def keep_idea(uow: UnitOfWork, idea_id: str, title: str, stage: str | None, audience: list[dict[str, Any]] | None
              ) -> None:
    """Insert or update the copy; a None stage or audience keeps what is known."""
    uow.execute(
        """INSERT INTO idea_copies (idea_id, title, stage, audience) VALUES (%s, %s, coalesce(%s, 'submitted'),
                                                                           coalesce(%s, '[]'::jsonb))
           ON CONFLICT (idea_id) DO UPDATE SET title = excluded.title,
               stage = coalesce(%s, idea_copies.stage),
               audience = coalesce(%s, idea_copies.audience), updated_at = now()""",
        (idea_id, title, stage, _json(audience), stage, _json(audience)))


def _json(value: Any) -> Any:
    return None if value is None else Jsonb(value)
