"""SQL for KPI definitions and units by code, their creation, and the generic page of a table.

The rest of the schema has a module per aggregate: ``measures`` (revisions and monthly values),
``hierarchy`` (where units sit, month by month), ``charts`` (stored charts, targets, rebases),
``episodes`` (signal episodes), ``queues`` (the aggregator's work); ``locks`` holds the lock order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from services.metrics.adapters.rows import Kpi, Unit
from services.metrics.domain.placements import EARLIEST
from shared.db import UnitOfWork

KPI_COLUMNS = (
    "code, name, description, unit_of_measure, improvement_direction, owners, data_source, expected_by_day, "
    "aggregation, fix_after_n_points, screen_outliers, measured_levels, decimal_places, run_freeze, run_centre_line, "
    "cqc"
)
UNIT_COLUMNS = "code, name, level, parent_code, opened_on, closed_on"
Row = TypeVar("Row", Kpi, Unit)


def kpi(uow: UnitOfWork, code: str) -> Kpi | None:
    return kpis(uow, [code]).get(code)


def unit(uow: UnitOfWork, code: str) -> Unit | None:
    return units(uow, [code]).get(code)


def add_kpi(uow: UnitOfWork, fields: dict[str, Any]) -> Kpi | None:
    """The new KPI; None if the code is taken."""
    row = uow.one(
        f"""INSERT INTO kpis ({KPI_COLUMNS})
            VALUES (%(code)s, %(name)s, %(description)s, %(unit_of_measure)s, %(improvement_direction)s,
                    %(owners)s, %(data_source)s, %(expected_by_day)s, %(aggregation)s, %(fix_after_n_points)s,
                    %(screen_outliers)s, %(measured_levels)s, %(decimal_places)s, %(run_freeze)s,
                    %(run_centre_line)s, %(cqc)s)
            ON CONFLICT (code) DO NOTHING RETURNING {KPI_COLUMNS}""",
        fields,
    )
    return Kpi.from_row(row) if row else None


def add_unit(uow: UnitOfWork, fields: dict[str, Any], created_by: str) -> Unit | None:
    """A new unit, placed under its parent for every month; None if the code is taken."""
    row = uow.one(
        f"""WITH added AS (
               INSERT INTO units ({UNIT_COLUMNS})
               VALUES (%(code)s, %(name)s, %(level)s, %(parent_code)s, %(opened_on)s, %(closed_on)s)
               ON CONFLICT (code) DO NOTHING RETURNING {UNIT_COLUMNS}),
           placed AS (
               INSERT INTO unit_placements (unit_code, parent_code, effective_from, placed_by)
               SELECT code, parent_code, %(earliest)s, %(by)s FROM added)
           SELECT * FROM added""",
        {**fields, "earliest": EARLIEST, "by": created_by},
    )
    return Unit(**row) if row else None


def kpis(uow: UnitOfWork, codes: Iterable[str]) -> dict[str, Kpi]:
    """The KPIs among ``codes`` that exist, by code (read once per transaction each)."""
    return _memo_many(uow, "kpi", codes, lambda missing: [Kpi.from_row(row) for row in uow.all(
        f"SELECT {KPI_COLUMNS} FROM kpis WHERE code = ANY(%s)", (missing,))])


def units(uow: UnitOfWork, codes: Iterable[str]) -> dict[str, Unit]:
    """The units among ``codes`` that exist, by code (read once per transaction each)."""
    return _memo_many(uow, "unit", codes, lambda missing: [Unit(**row) for row in uow.all(
        f"SELECT {UNIT_COLUMNS} FROM units WHERE code = ANY(%s)", (missing,))])


def _memo_many(uow: UnitOfWork, kind: str, codes: Iterable[str], read: Callable[[list[str]], list[Row]]
               ) -> dict[str, Row]:
    cached: dict[str, Row | None] = uow.memo((kind, "by code"), dict)
    wanted = set(codes)
    missing = sorted(wanted - cached.keys())
    if missing:
        found = {row.code: row for row in read(missing)}
        cached.update({code: found.get(code) for code in missing})
    return {code: row for code in wanted if (row := cached[code]) is not None}
