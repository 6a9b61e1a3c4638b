"""Flag the monthly measures that have not arrived by their KPI's expected day (measure.overdue).

A KPI and unit is expected to report when it has reported before. Each missing month is flagged
once (expected_measures), so a check that runs every hour, or twice, alerts once. The same rule,
``overdue_now``, tells how many units of each KPI are overdue today (metrics' /metrics reads it).
"""

from __future__ import annotations

from datetime import date

from services.metrics.domain.deadlines import deadline, owed_month
from shared import topics
from shared.db import Rows, UnitOfWork
from shared.month import month_text

OWED = Rows("owed", "day int, month date")
MISSING = f"""
    SELECT k.code AS kpi_code, k.name AS kpi_name, k.owners, k.expected_by_day, u.code AS unit_code,
           u.name AS unit_name, owed.month
      FROM kpis k
      JOIN {OWED.sql} ON owed.day = k.expected_by_day
      JOIN (SELECT DISTINCT kpi_code, unit_code FROM measures) reported ON reported.kpi_code = k.code
      JOIN units u ON u.code = reported.unit_code
     WHERE k.expects_feed
       AND (u.closed_on IS NULL OR u.closed_on >= owed.month)
       AND NOT EXISTS (SELECT 1 FROM measures m WHERE m.kpi_code = k.code AND m.unit_code = u.code
                          AND m.period = owed.month)
     ORDER BY k.code, u.code
"""


def missing(uow: UnitOfWork, today: date) -> list[dict]:
    """Every KPI and unit whose owed month is missing past its deadline today, with that month."""
    owed = [(day, month) for day in range(1, 29) if (month := owed_month(today, day)) is not None]
    return uow.all(MISSING, (OWED.param(owed),)) if owed else []


def flag_overdue(uow: UnitOfWork, today: date) -> int:
    """Emit measure.overdue for every missing month past its deadline, once each; returns how many."""
    flagged = 0
    for row in missing(uow, today):
        if _first_time(uow, row["kpi_code"], row["unit_code"], row["month"]):
            _announce(uow, row, row["month"])
            flagged += 1
    return flagged


def overdue_now(uow: UnitOfWork, today: date) -> dict[str, int]:
    """How many units of each KPI owe a month past its deadline today (KPIs with none left out)."""
    found: dict[str, int] = {}
    for row in missing(uow, today):
        found[row["kpi_code"]] = found.get(row["kpi_code"], 0) + 1
    return found


def _first_time(uow: UnitOfWork, kpi_code: str, unit_code: str, month: date) -> bool:
    return uow.one(
        "INSERT INTO expected_measures (kpi_code, unit_code, period) VALUES (%s, %s, %s)"
        " ON CONFLICT DO NOTHING RETURNING 1 AS new",
        (kpi_code, unit_code, month),
    ) is not None


def _announce(uow: UnitOfWork, row: dict, month: date) -> None:
    uow.emit("measure.overdue", {
        "kpi_code": row["kpi_code"], "kpi_name": row["kpi_name"], "unit_code": row["unit_code"],
        "unit_name": row["unit_name"], "period": month_text(month),
        "expected_by": deadline(month, row["expected_by_day"]), "owners": list(row["owners"]),
    }, topic=topics.KPIS, key=f"{row['kpi_code']}|{row['unit_code']}")
