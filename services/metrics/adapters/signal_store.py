"""SQL for signals (migration 0020): the signal rows and their history, the projects told of each,
metrics' copy of QI projects, and units' leads. Lock a signal (``signal_for_update``) before
changing it."""

from __future__ import annotations

from datetime import date
from typing import Any

from psycopg.types.json import Jsonb

from shared.db import UnitOfWork
from shared.pagination import Listing

SIGNAL_COLUMNS = ("id, kind, kpi_code, unit_code, period, signal_start, point_type, special_cause_type, value, "
                  "state, opened_at, acknowledged_by, acknowledged_at, cause, pdsa_cycle_id, project_id, action, "
                  "closed_as, close_reason, rebase_id, reminded_at, escalated_at, version")

# Newest first, by KPI, unit or state (migration 0020 holds an index for each).
SIGNALS = Listing("signals", "signals", SIGNAL_COLUMNS, "id bigint", descending=True,
                  filters=("kpi_code", "unit_code", "state"))
# What happened to one signal, oldest first.
SIGNAL_HISTORY = Listing("signal-history", "signal_history",
                         "id, from_state, to_state, changed_by, changed_at, note, details", "id bigint",
                         scope=("signal_id",))
# The signals a project's team was told of, newest first.
PROJECT_SIGNALS = Listing("project-signals", "signal_projects", "signal_id", "signal_id bigint", descending=True,
                          scope=("project_id",))

ACTIVE_STAGES = ("approved", "active")


def open_signal(uow: UnitOfWork, fields: dict[str, Any]) -> dict[str, Any] | None:
    """A new signal; None when the event that opens it was handled already, or (a run chart) the
    series has a run-chart signal nobody closed yet."""
    return uow.one(
        f"""INSERT INTO signals (kind, kpi_code, unit_code, period, signal_start, point_type, special_cause_type,
                                value, source_event_id)
           VALUES (%(kind)s, %(kpi_code)s, %(unit_code)s, %(period)s, %(signal_start)s, %(point_type)s,
                   %(special_cause_type)s, %(value)s, %(source_event_id)s)
           ON CONFLICT DO NOTHING RETURNING {SIGNAL_COLUMNS}""",
        fields,
    )


def add_history(uow: UnitOfWork, signal_id: int, from_state: str | None, to_state: str, by: str,
                note: str | None = None, details: dict[str, Any] | None = None) -> None:
    uow.execute(
        """INSERT INTO signal_history (signal_id, from_state, to_state, changed_by, note, details)
           VALUES (%s, %s, %s, %s, %s, %s)""",
        (signal_id, from_state, to_state, by, note, Jsonb(details or {})),
    )


def signal_for_update(uow: UnitOfWork, signal_id: int) -> dict[str, Any] | None:
    return uow.one(f"SELECT {SIGNAL_COLUMNS} FROM signals WHERE id = %s FOR UPDATE", (signal_id,))


def signals_by_id(uow: UnitOfWork, ids: list[int]) -> dict[int, dict[str, Any]]:
    """Signals with their KPI's name and owners and their unit's name."""
    rows = uow.all(
        f"""SELECT {', '.join('s.' + c.strip() for c in SIGNAL_COLUMNS.split(','))},
                   k.name AS kpi_name, k.owners, u.name AS unit_name
              FROM signals s JOIN kpis k ON k.code = s.kpi_code JOIN units u ON u.code = s.unit_code
             WHERE s.id = ANY(%s)""",
        (ids,),
    )
    return {row["id"]: row for row in rows}


def update_signal(uow: UnitOfWork, signal_id: int, changes: dict[str, Any]) -> None:
    assignments = ", ".join(f"{name} = %({name})s" for name in changes)
    uow.execute(f"UPDATE signals SET {assignments}, version = version + 1 WHERE id = %(id)s",
                {**changes, "id": signal_id})


def live_run_chart_signal(uow: UnitOfWork, kpi_code: str, unit_code: str) -> bool:
    return uow.one("SELECT 1 AS live FROM signals WHERE kpi_code = %s AND unit_code = %s AND kind = 'run_chart'"
                   " AND state <> 'closed'", (kpi_code, unit_code)) is not None


def names(uow: UnitOfWork, kpi_code: str, unit_code: str) -> dict[str, Any] | None:
    return uow.one("SELECT k.name AS kpi_name, k.owners, u.name AS unit_name FROM kpis k, units u"
                   " WHERE k.code = %s AND u.code = %s", (kpi_code, unit_code))


def chart_still_signals(uow: UnitOfWork, kpi_code: str, unit_code: str) -> bool:
    """Does the series' stored chart signal at its newest month (a special cause, or a run chart's
    non-random variation)?"""
    row = uow.one(
        """SELECT CASE WHEN chart_type = 'run' THEN coalesce((chart ->> 'runs_signal')::boolean, false)
                       ELSE coalesce(last_point_type LIKE 'special_cause%%', false) END AS signals
             FROM spc_charts WHERE kpi_code = %s AND unit_code = %s""",
        (kpi_code, unit_code),
    )
    return bool(row and row["signals"])


# -- projects -------------------------------------------------------------------------------------

def projects_measuring(uow: UnitOfWork, kpi_code: str, unit_code: str) -> list[dict[str, Any]]:
    """Approved and active projects with a measure on the series, each once, with their teams."""
    return uow.all(
        """SELECT DISTINCT p.project_id, p.title, p.stage, p.team
             FROM project_measures m JOIN project_copies p USING (project_id)
            WHERE m.kpi_code = %s AND m.unit_code = %s AND p.stage = ANY(%s)
            ORDER BY p.title, p.project_id""",
        (kpi_code, unit_code, list(ACTIVE_STAGES)),
    )


def projects_of_series(uow: UnitOfWork, kpi_code: str, unit_code: str) -> list[dict[str, Any]]:
    """Every project metrics knows with a measure on the series (any stage)."""
    return uow.all(
        """SELECT DISTINCT p.project_id, p.title, p.stage
             FROM project_measures m JOIN project_copies p USING (project_id)
            WHERE m.kpi_code = %s AND m.unit_code = %s ORDER BY p.title, p.project_id""",
        (kpi_code, unit_code),
    )


def projects_sustaining(uow: UnitOfWork, kpi_code: str, unit_code: str, completed_since: date
                        ) -> list[dict[str, Any]]:
    """Projects completed on or after ``completed_since`` whose outcome or balancing measure is the
    series: their improvement is still being watched."""
    return uow.all(
        """SELECT DISTINCT p.project_id, p.title, p.team, p.qi_lead, p.completed_on
             FROM project_measures m JOIN project_copies p USING (project_id)
            WHERE m.kpi_code = %s AND m.unit_code = %s AND m.kind IN ('outcome', 'balancing')
              AND p.stage = 'completed' AND p.completed_on >= %s
            ORDER BY p.completed_on, p.project_id""",
        (kpi_code, unit_code, completed_since),
    )


def watched_series(uow: UnitOfWork, project_id: str) -> list[dict[str, Any]]:
    """The project's outcome and balancing series, with the signals of concern opened on each
    since the project completed."""
    return uow.all(
        """SELECT m.kind, m.kpi_code, m.unit_code,
                  coalesce(array_agg(s.id ORDER BY s.id) FILTER (WHERE s.id IS NOT NULL), '{}') AS concerns
             FROM project_measures m JOIN project_copies p USING (project_id)
             LEFT JOIN signals s ON s.kpi_code = m.kpi_code AND s.unit_code = m.unit_code
                  AND s.point_type = 'special_cause_concern' AND s.opened_at::date >= p.completed_on
            WHERE m.project_id = %s AND m.kind IN ('outcome', 'balancing')
            GROUP BY m.kind, m.kpi_code, m.unit_code ORDER BY m.kind DESC, m.kpi_code, m.unit_code""",
        (project_id,),
    )


def completed_project(uow: UnitOfWork, project_id: str) -> dict[str, Any] | None:
    return uow.one("SELECT project_id, title, completed_on FROM project_copies WHERE project_id = %s"
                   " AND stage = 'completed'", (project_id,))


def keep_qi_lead(uow: UnitOfWork, project_id: str, qi_lead: dict[str, Any]) -> None:
    uow.execute("UPDATE project_copies SET qi_lead = %s WHERE project_id = %s", (Jsonb(qi_lead), project_id))


def project(uow: UnitOfWork, project_id: str) -> dict[str, Any] | None:
    return uow.one("SELECT project_id, title, stage FROM project_copies WHERE project_id = %s", (project_id,))


def add_signal_projects(uow: UnitOfWork, signal_id: int, projects: list[dict[str, Any]]) -> None:
    for item in projects:
        uow.execute("INSERT INTO signal_projects (signal_id, project_id, title) VALUES (%s, %s, %s)"
                    " ON CONFLICT DO NOTHING", (signal_id, item["project_id"], item["title"]))


def signal_projects(uow: UnitOfWork, signal_id: int) -> list[dict[str, Any]]:
    return uow.all("SELECT project_id, title FROM signal_projects WHERE signal_id = %s ORDER BY title",
                   (signal_id,))


def pdsa_cycles_of_series(uow: UnitOfWork, kpi_code: str, unit_code: str) -> list[dict[str, Any]]:
    """The PDSA cycles noted on the series' chart (by the projects service), oldest first."""
    return uow.all(
        """SELECT pdsa_ref AS cycle_id, period, text FROM annotations
            WHERE kpi_code = %s AND unit_code = %s AND pdsa_ref IS NOT NULL ORDER BY period, id""",
        (kpi_code, unit_code),
    )


def keep_project(uow: UnitOfWork, project_id: str, title: str, stage: str | None,
                 team: list[dict[str, Any]] | None, completed_on: date | None = None) -> None:
    """Create or bring up to date metrics' copy of a project (what is None is left as it was)."""
    uow.execute(
        """INSERT INTO project_copies (project_id, title, stage, team, completed_on)
           VALUES (%(id)s, %(title)s, coalesce(%(stage)s, 'submitted'), coalesce(%(team)s, '[]'::jsonb), %(done)s)
           ON CONFLICT (project_id) DO UPDATE SET title = excluded.title,
               stage = coalesce(%(stage)s, project_copies.stage),
               team = coalesce(%(team)s, project_copies.team),
               completed_on = coalesce(%(done)s, project_copies.completed_on), updated_at = now()""",
        {"id": project_id, "title": title, "stage": stage, "team": Jsonb(team) if team is not None else None,
         "done": completed_on},
    )


# -- chasing --------------------------------------------------------------------------------------

def waiting(uow: UnitOfWork) -> list[dict[str, Any]]:
    """Signals nobody has acknowledged yet and not yet both reminded and escalated, locked (skipping
    any another check holds)."""
    return uow.all(
        """SELECT s.id, s.kpi_code, s.unit_code, s.opened_at, s.reminded_at, s.escalated_at, k.name AS kpi_name,
                  k.owners, u.name AS unit_name
             FROM signals s JOIN kpis k ON k.code = s.kpi_code JOIN units u ON u.code = s.unit_code
            WHERE s.state = 'open' AND (s.reminded_at IS NULL OR s.escalated_at IS NULL)
            ORDER BY s.id FOR UPDATE OF s SKIP LOCKED""",
    )


def mark_chased(uow: UnitOfWork, signal_id: int, column: str) -> None:
    assert column in ("reminded_at", "escalated_at")
    uow.execute(f"UPDATE signals SET {column} = now() WHERE id = %s", (signal_id,))


def lead_above(uow: UnitOfWork, unit_code: str) -> dict[str, Any] | None:
    """The lead of the unit's directorate: the nearest unit at or above it (in today's tree) with a
    lead, a directorate's before any other level's."""
    return uow.one(
        """WITH RECURSIVE up (code, level, depth) AS (
               SELECT code, level, 0 FROM units WHERE code = %s
               UNION ALL
               SELECT p.code, p.level, up.depth + 1 FROM up JOIN units c ON c.code = up.code
                 JOIN units p ON p.code = c.parent_code WHERE up.depth < 20)
           SELECT l.unit_code, l.email, l.name FROM up JOIN unit_leads l ON l.unit_code = up.code
            ORDER BY (up.level = 'directorate') DESC, up.depth LIMIT 1""",
        (unit_code,),
    )


def unit_lead(uow: UnitOfWork, unit_code: str) -> dict[str, Any] | None:
    return uow.one("SELECT unit_code, email, name, set_by, set_at, version FROM unit_leads WHERE unit_code = %s",
                   (unit_code,))


def set_unit_lead(uow: UnitOfWork, unit_code: str, email: str, name: str | None, by: str) -> dict[str, Any]:
    row = uow.one(
        """INSERT INTO unit_leads (unit_code, email, name, set_by) VALUES (%s, %s, %s, %s)
           ON CONFLICT (unit_code) DO UPDATE SET email = excluded.email, name = excluded.name,
               set_by = excluded.set_by, set_at = now(), version = unit_leads.version + 1
           RETURNING unit_code, email, name, set_by, set_at, version""",
        (unit_code, email, name, by),
    )
    assert row is not None
    return row


def names_unit(uow: UnitOfWork, unit_code: str) -> dict[str, Any] | None:
    return uow.one("SELECT code, name FROM units WHERE code = %s", (unit_code,))
