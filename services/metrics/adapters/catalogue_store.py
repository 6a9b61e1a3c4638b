"""SQL for managing the KPI catalogue and organisational units, with their history."""

from __future__ import annotations

from datetime import date
from typing import Any

from psycopg.types.json import Jsonb

from services.metrics.adapters.store import KPI_COLUMNS
from shared.db import UnitOfWork

UNIT_COLUMNS = "code, name, level, parent_code, opened_on, closed_on, version"


def kpi_for_update(uow: UnitOfWork, code: str) -> dict[str, Any] | None:
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
    return uow.one(f"SELECT {UNIT_COLUMNS} FROM units WHERE code = %s FOR UPDATE", (code,))


def is_descendant(uow: UnitOfWork, candidate: str, ancestor: str) -> bool:
    """Would making ``ancestor`` a child of ``candidate`` close a loop?"""
    row = uow.one(
        """WITH RECURSIVE below AS (SELECT code FROM units WHERE code = %s
               UNION SELECT u.code FROM units u JOIN below ON u.parent_code = below.code)
           SELECT 1 AS yes FROM below WHERE code = %s""",
        (ancestor, candidate),
    )
    return row is not None


def update_unit(uow: UnitOfWork, code: str, changes: dict[str, Any], changed_by: str, before: dict[str, Any]
                ) -> dict[str, Any]:
    assignments = ", ".join(f"{column} = %({column})s" for column in changes)
    after = uow.one(f"UPDATE units SET {assignments}, version = version + 1 WHERE code = %(code)s"
                    f" RETURNING {UNIT_COLUMNS}", {**changes, "code": code})
    assert after is not None
    uow.execute("INSERT INTO unit_history (unit_code, changed_by, before, after) VALUES (%s, %s, %s, %s)",
                (code, changed_by, Jsonb(_jsonable(before)), Jsonb(_jsonable(after))))
    return after


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
    return {key: value.isoformat() if isinstance(value, date) else value for key, value in row.items()}
