"""SQL for the metrics schema. Functions take a unit of work (or a connection) and return rows."""

from __future__ import annotations

from datetime import date
from typing import Any

from services.metrics.domain.measures import Measure
from shared.db import UnitOfWork

KPI_COLUMNS = "code, name, description, unit_of_measure, improvement_direction, owners, data_source, expected_by_day"


def kpi(uow: UnitOfWork, code: str) -> dict[str, Any] | None:
    return uow.one(f"SELECT {KPI_COLUMNS} FROM kpis WHERE code = %s", (code,))


def unit(uow: UnitOfWork, code: str) -> dict[str, Any] | None:
    return uow.one("SELECT code, name, level, parent_code FROM units WHERE code = %s", (code,))


def add_kpi(uow: UnitOfWork, fields: dict[str, Any]) -> dict[str, Any] | None:
    return uow.one(
        f"""INSERT INTO kpis ({KPI_COLUMNS})
            VALUES (%(code)s, %(name)s, %(description)s, %(unit_of_measure)s, %(improvement_direction)s,
                    %(owners)s, %(data_source)s, %(expected_by_day)s)
            ON CONFLICT (code) DO NOTHING RETURNING {KPI_COLUMNS}""",
        fields,
    )


def add_unit(uow: UnitOfWork, fields: dict[str, Any]) -> dict[str, Any] | None:
    return uow.one(
        """INSERT INTO units (code, name, level, parent_code) VALUES (%(code)s, %(name)s, %(level)s, %(parent_code)s)
           ON CONFLICT (code) DO NOTHING RETURNING code, name, level, parent_code""",
        fields,
    )


def page(uow: UnitOfWork, table: str, columns: str, order: str, limit: int, offset: int) -> tuple[list, int]:
    rows = uow.all(f"SELECT {columns} FROM {table} ORDER BY {order} LIMIT %s OFFSET %s", (limit, offset))
    total = uow.one(f"SELECT count(*) AS n FROM {table}")
    return rows, int(total["n"]) if total else 0


def latest_measure(uow: UnitOfWork, kpi_code: str, unit_code: str, period: date) -> dict[str, Any] | None:
    return uow.one(
        """SELECT * FROM measures WHERE kpi_code = %s AND unit_code = %s AND period = %s
           ORDER BY revision DESC LIMIT 1 FOR UPDATE""",
        (kpi_code, unit_code, period),
    )


def add_revision(uow: UnitOfWork, measure: Measure, revision: int, event_id: str | None) -> dict[str, Any]:
    row = uow.one(
        """INSERT INTO measures (kpi_code, unit_code, period, revision, value, numerator, denominator,
                                 source, recorded_by, note, event_id)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING *""",
        (measure.kpi_code, measure.unit_code, measure.period, revision, measure.value, measure.numerator,
         measure.denominator, measure.source, measure.recorded_by, measure.note, event_id),
    )
    assert row is not None
    return row


def series(uow: UnitOfWork, kpi_code: str, unit_code: str) -> list[dict[str, Any]]:
    return uow.all(
        """SELECT period, value, numerator, denominator, revision, source, recorded_at
             FROM current_measures WHERE kpi_code = %s AND unit_code = %s ORDER BY period""",
        (kpi_code, unit_code),
    )


def revisions(uow: UnitOfWork, kpi_code: str, unit_code: str, period: date) -> list[dict[str, Any]]:
    return uow.all(
        """SELECT revision, value, numerator, denominator, source, recorded_by, note, event_id, recorded_at
             FROM measures WHERE kpi_code = %s AND unit_code = %s AND period = %s ORDER BY revision""",
        (kpi_code, unit_code, period),
    )
