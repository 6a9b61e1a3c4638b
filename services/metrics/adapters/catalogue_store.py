"""SQL for managing the KPI catalogue and organisational units, with their history."""

from __future__ import annotations

from datetime import date
from typing import Any

from psycopg.types.json import Jsonb

from services.metrics.adapters.store import KPI_COLUMNS
from services.metrics.domain.placements import Placement
from shared.db import Rows, UnitOfWork
from shared.month import Month, month_text

UNIT_COLUMNS = "code, name, level, parent_code, opened_on, closed_on, version"


def kpi_for_update(uow: UnitOfWork, code: str) -> dict[str, Any] | None:
    """The KPI with its version, its row locked until the transaction ends (step 2 of ``locks``)."""
    return uow.one(f"SELECT {KPI_COLUMNS}, version FROM kpis WHERE code = %s FOR UPDATE", (code,))


def update_kpi(uow: UnitOfWork, code: str, changes: dict[str, Any], changed_by: str, before: dict[str, Any]
               ) -> dict[str, Any]:
    assignments = ", ".join(f"{column} = %({column})s" for column in changes)
    after = uow.one(
        f"UPDATE kpis SET {assignments}, version = version + 1, updated_at = now() WHERE code = %(code)s"
        f" RETURNING {KPI_COLUMNS}, version",
        {**changes, "code": code},
    )
    assert after is not None
    uow.execute("INSERT INTO kpi_history (kpi_code, changed_by, before, after) VALUES (%s, %s, %s, %s)",
                (code, changed_by, Jsonb(_jsonable(before)), Jsonb(_jsonable(after))))
    return after


def kpi_history(uow: UnitOfWork, code: str) -> list[dict[str, Any]]:
    return uow.all("SELECT changed_by, changed_at, before, after FROM kpi_history WHERE kpi_code = %s ORDER BY id",
                   (code,))


def add_target(uow: UnitOfWork, code: str, effective_from: date, target: float | None, set_by: str) -> None:
    uow.execute("INSERT INTO kpi_targets (kpi_code, effective_from, target, set_by) VALUES (%s, %s, %s, %s)",
                (code, effective_from, target, set_by))


def target_history(uow: UnitOfWork, code: str) -> list[dict[str, Any]]:
    return uow.all("SELECT effective_from, target, set_by, set_at FROM kpi_targets WHERE kpi_code = %s"
                   " ORDER BY effective_from, set_at", (code,))


def units_with_values(uow: UnitOfWork, kpi_code: str) -> list[str]:
    """The codes of the units that have a value of the KPI for some month."""
    rows = uow.all("SELECT DISTINCT unit_code FROM kpi_values WHERE kpi_code = %s ORDER BY unit_code", (kpi_code,))
    return [row["unit_code"] for row in rows]


def rolled_up_months(uow: UnitOfWork, kpi_code: str) -> list[dict[str, Any]]:
    """Every month of a KPI rolled up from the units below (the aggregator orders the work)."""
    return uow.all("SELECT unit_code, period FROM kpi_values WHERE kpi_code = %s AND rolled_up", (kpi_code,))


def unit_for_update(uow: UnitOfWork, code: str) -> dict[str, Any] | None:
    """The unit with its version, its row locked until the transaction ends (step 2 of ``locks``)."""
    return uow.one(f"SELECT {UNIT_COLUMNS} FROM units WHERE code = %s FOR UPDATE", (code,))


def kpi_with_version(uow: UnitOfWork, code: str) -> dict[str, Any] | None:
    return uow.one(f"SELECT {KPI_COLUMNS}, version FROM kpis WHERE code = %s", (code,))


def unit_with_version(uow: UnitOfWork, code: str) -> dict[str, Any] | None:
    return uow.one(f"SELECT {UNIT_COLUMNS} FROM units WHERE code = %s", (code,))


def is_descendant(uow: UnitOfWork, candidate: str, ancestor: str) -> bool:
    """Is ``candidate`` the unit ``ancestor`` or a unit below it, at any depth, as units sit now
    (by each unit's current ``parent_code``, not its placements in past months)?"""
    row = uow.one(
        """WITH RECURSIVE below AS (SELECT code FROM units WHERE code = %s
               UNION SELECT u.code FROM units u JOIN below ON u.parent_code = below.code)
           SELECT 1 AS yes FROM below WHERE code = %s""",
        (ancestor, candidate),
    )
    return row is not None


def update_unit(uow: UnitOfWork, code: str, changes: dict[str, Any], changed_by: str, before: dict[str, Any],
                also: dict[str, Any] | None = None) -> dict[str, Any]:
    """Change the unit's row and keep what it was and became in its history (with ``also``: more
    that changed with it, such as its placements)."""
    assignments = "".join(f"{column} = %({column})s, " for column in changes)
    after = uow.one(f"UPDATE units SET {assignments}version = version + 1 WHERE code = %(code)s"
                    f" RETURNING {UNIT_COLUMNS}", {**changes, "code": code})
    assert after is not None
    uow.execute("INSERT INTO unit_history (unit_code, changed_by, before, after) VALUES (%s, %s, %s, %s)",
                (code, changed_by, Jsonb(_jsonable(before)), Jsonb(_jsonable({**after, **(also or {})}))))
    return after


PLACEMENTS = Rows("p", "parent_code text, effective_from date, effective_to date")


def put_placements(uow: UnitOfWork, unit_code: str, placements: list[Placement], placed_by: str) -> None:
    """Make ``placements`` (oldest first) the unit's: the others go, a placement that changes is
    recorded as placed by ``placed_by`` now. The rows are written oldest first, so the placement
    that held until now is cut short before the one that holds from now on is added."""
    uow.execute("DELETE FROM unit_placements WHERE unit_code = %s AND NOT effective_from = ANY(%s)",
                (unit_code, [p.effective_from for p in placements]))
    uow.execute(
        f"""INSERT INTO unit_placements (unit_code, parent_code, effective_from, effective_to, placed_by)
            SELECT %s, parent_code, effective_from, effective_to, %s FROM {PLACEMENTS.sql}
            ON CONFLICT (unit_code, effective_from) DO UPDATE SET parent_code = excluded.parent_code,
                effective_to = excluded.effective_to, placed_by = excluded.placed_by, placed_at = now()
            WHERE (unit_placements.parent_code, unit_placements.effective_to)
                  IS DISTINCT FROM (excluded.parent_code, excluded.effective_to)""",
        (unit_code, placed_by, PLACEMENTS.param((p.parent_code, p.effective_from, p.effective_to) for p in placements)),
    )


def months_of_unit(uow: UnitOfWork, unit_code: str, since: date) -> list[tuple[str, date]]:
    """(KPI, month) of every value the unit has from ``since`` on, measured or rolled up."""
    rows = uow.all("SELECT kpi_code, period FROM kpi_values WHERE unit_code = %s AND period >= %s"
                   " ORDER BY kpi_code, period", (unit_code, since))
    return [(row["kpi_code"], row["period"]) for row in rows]


def unit_history(uow: UnitOfWork, code: str) -> list[dict[str, Any]]:
    return uow.all("SELECT changed_by, changed_at, before, after FROM unit_history WHERE unit_code = %s ORDER BY id",
                   (code,))


def add_rebase(uow: UnitOfWork, kpi_code: str, unit_code: str, period: date, reason: str, set_by: str
               ) -> dict[str, Any] | None:
    return uow.one(
        """INSERT INTO rebases (kpi_code, unit_code, period, reason, set_by) VALUES (%s, %s, %s, %s, %s)
           ON CONFLICT (kpi_code, unit_code, period) WHERE withdrawn_at IS NULL DO NOTHING
           RETURNING id, period, reason, set_by, set_at, withdrawn_by, withdrawn_at""",
        (kpi_code, unit_code, period, reason, set_by),
    )


def withdraw_rebase(uow: UnitOfWork, rebase_id: int, kpi_code: str, unit_code: str, by: str) -> dict[str, Any] | None:
    return uow.one(
        """UPDATE rebases SET withdrawn_by = %s, withdrawn_at = now()
            WHERE id = %s AND kpi_code = %s AND unit_code = %s AND withdrawn_at IS NULL
           RETURNING id, period, reason, set_by, set_at, withdrawn_by, withdrawn_at""",
        (by, rebase_id, kpi_code, unit_code),
    )


def add_annotation(uow: UnitOfWork, kpi_code: str, unit_code: str, fields: dict[str, Any], by: str
                   ) -> dict[str, Any]:
    row = uow.one(
        """INSERT INTO annotations (kpi_code, unit_code, period, text, pdsa_ref, created_by)
           VALUES (%s, %s, %s, %s, %s, %s) RETURNING id, period, text, pdsa_ref, created_by, created_at""",
        (kpi_code, unit_code, fields["period"], fields["text"], fields.get("pdsa_ref"), by),
    )
    assert row is not None
    return row


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    return {key: _json_value(value) for key, value in row.items()}


def _json_value(value: Any) -> Any:
    if isinstance(value, Month):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Placement):
        return {"parent_code": value.parent_code, "effective_from": month_text(value.effective_from),
                "effective_to": month_text(value.effective_to) if value.effective_to else None}
    if isinstance(value, list):
        return [_json_value(item) for item in value]
    return value
