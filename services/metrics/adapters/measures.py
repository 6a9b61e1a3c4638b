"""SQL for measures (every revision of every month) and each unit's monthly values (``kpi_values``:
the current measure, or the roll-up of the units below)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from services.metrics.adapters.rows import MonthKey, MonthValue, SeriesKey
from services.metrics.domain.measures import Measure
from shared.db import Rows, Staging, UnitOfWork, copy_rows

MONTHS = Rows("k", "kpi_code text, unit_code text, period date")
SERIES = Rows("k", "kpi_code text, unit_code text")
STAGED_VALUES = Staging("staged_kpi_values", "kpi_code text, unit_code text, period date, value double precision, "
                                             "numerator double precision, denominator double precision")
NEW_MEASURES = Rows("r", "kpi_code text, unit_code text, period date, revision integer, value double precision, "
                        "numerator double precision, denominator double precision, source text, "
                        "recorded_by text, note text, event_id text")

NEW_MEASURE_TYPES = ["text", "text", "date", "integer", "double precision", "double precision", "double precision",
                     "text", "text", "text", "text"]


def latest_measures(uow: UnitOfWork, keys: Iterable[MonthKey]) -> dict[MonthKey, dict[str, Any]]:
    """The latest revision of each month that has one (hold ``locks.lock_measures`` to rely on it)."""
    rows = uow.all(
        f"""SELECT DISTINCT ON (m.kpi_code, m.unit_code, m.period) m.*
              FROM {MONTHS.sql} JOIN measures m USING (kpi_code, unit_code, period)
             ORDER BY m.kpi_code, m.unit_code, m.period, m.revision DESC""",
        (MONTHS.param(keys),),
    )
    return {(row["kpi_code"], row["unit_code"], row["period"]): row for row in rows}


def add_revisions(uow: UnitOfWork, revisions: list[tuple[Measure, int, str | None]], *, returning: bool = False
                  ) -> list[dict[str, Any]]:
    """Store new revisions in one statement (a binary ``COPY``: revisions are only ever appended);
    with ``returning``, an ``INSERT`` that gives the stored rows back in the order given."""
    if not revisions:
        return []
    rows = [(m.kpi_code, m.unit_code, m.period, revision, m.value, m.numerator, m.denominator, m.source,
             m.recorded_by, m.note, event_id) for m, revision, event_id in revisions]
    if not returning:
        copy_rows(uow, "measures", NEW_MEASURES.names, NEW_MEASURE_TYPES, rows)
        return []
    columns = ", ".join(NEW_MEASURES.names)
    sql = f"INSERT INTO measures ({columns}) SELECT {columns} FROM {NEW_MEASURES.sql}"
    stored = uow.all(sql + " RETURNING *", (NEW_MEASURES.param(rows),))
    by_key = {(r["kpi_code"], r["unit_code"], r["period"], r["revision"]): r for r in stored}
    return [by_key[row[:4]] for row in rows]


def put_measured_values(uow: UnitOfWork, values: list[MonthValue]) -> None:
    """Each month's current measure becomes the unit's value for the month."""
    _put_values(uow, values, rolled_up=False)


def put_rolled_up_values(uow: UnitOfWork, values: list[MonthValue]) -> None:
    """Store roll-ups; a month the unit measured itself keeps its own value (it wins)."""
    _put_values(uow, values, rolled_up=True)


def _put_values(uow: UnitOfWork, values: list[MonthValue], *, rolled_up: bool) -> None:
    """Copied into a staging table, then merged in one statement (which empties the staging table)."""
    if values:
        STAGED_VALUES.fill(uow, ((v.kpi_code, v.unit_code, v.period, v.value, v.numerator, v.denominator)
                                 for v in values))
        uow.execute(
            f"""WITH staged AS {STAGED_VALUES.taken}
               INSERT INTO kpi_values (kpi_code, unit_code, period, value, numerator, denominator, rolled_up)
               SELECT kpi_code, unit_code, period, value, numerator, denominator, %s FROM staged
               ON CONFLICT (kpi_code, unit_code, period) DO UPDATE SET value = excluded.value,
                   numerator = excluded.numerator, denominator = excluded.denominator,
                   rolled_up = excluded.rolled_up, updated_at = now()
               WHERE NOT excluded.rolled_up OR kpi_values.rolled_up""",
            (rolled_up,),
        )


def drop_rolled_up_values(uow: UnitOfWork, months: list[MonthKey]) -> None:
    """Forget roll-ups no unit below has a value for any more; a month measured itself stays."""
    if months:
        uow.execute(f"DELETE FROM kpi_values v USING {MONTHS.sql} WHERE v.kpi_code = k.kpi_code"
                    f" AND v.unit_code = k.unit_code AND v.period = k.period AND v.rolled_up", (MONTHS.param(months),))


def children_values(uow: UnitOfWork, months: list[MonthKey]) -> dict[MonthKey, list[MonthValue]]:
    """The values of each month's child units (those placed under it that month), for each (KPI,
    parent unit, month)."""
    found: dict[MonthKey, list[MonthValue]] = {month: [] for month in months}
    for row in uow.all(
        f"""SELECT k.kpi_code, k.unit_code, k.period, v.value, v.numerator, v.denominator
              FROM {MONTHS.sql}
              JOIN unit_placements p ON p.parent_code = k.unit_code AND p.effective_from <= k.period
                                    AND (p.effective_to IS NULL OR k.period < p.effective_to)
              JOIN kpi_values v ON v.kpi_code = k.kpi_code AND v.unit_code = p.unit_code AND v.period = k.period""",
        (MONTHS.param(months),),
    ):
        found[(row["kpi_code"], row["unit_code"], row["period"])].append(MonthValue(**row))
    return found


def monthly_values(uow: UnitOfWork, series: list[SeriesKey]) -> dict[SeriesKey, list[MonthValue]]:
    """Each series' months, oldest first."""
    found: dict[SeriesKey, list[MonthValue]] = {key: [] for key in series}
    for row in uow.all(
        f"""SELECT v.kpi_code, v.unit_code, v.period, v.value, v.rolled_up
              FROM {SERIES.sql} JOIN kpi_values v USING (kpi_code, unit_code)
             ORDER BY v.kpi_code, v.unit_code, v.period""",
        (SERIES.param(series),),
    ):
        found[(row["kpi_code"], row["unit_code"])].append(MonthValue(**row))
    return found


def awaited_units(uow: UnitOfWork, kpi_code: str, unit_code: str, months: list[date]) -> dict[date, list[str]]:
    """For each of ``months`` of a rolled-up unit, the units below it (as placed that month, at any
    depth) expected to report the KPI that month that have not: open that month and measuring the
    KPI themselves since that month or earlier, with no value of their own for it. A roll-up of the
    month, of this unit or one below, still waiting in the queue (its measure committed after this
    transaction read the values below) is awaited too, under the unit it waits to roll up into."""
    found: dict[date, list[str]] = {month: [] for month in months}
    if not months:
        return found
    for row in uow.all(
        """WITH RECURSIVE wanted AS (SELECT unnest(%(months)s::date[]) AS period),
           placed AS (
               SELECT w.period, p.unit_code, p.parent_code FROM wanted w JOIN unit_placements p
                   ON p.effective_from <= w.period AND (p.effective_to IS NULL OR w.period < p.effective_to)),
           below AS (
               SELECT period, unit_code AS code, 0 AS depth FROM placed WHERE parent_code = %(unit)s
               UNION ALL
               SELECT p.period, p.unit_code, below.depth + 1 FROM placed p
                 JOIN below ON p.parent_code = below.code AND p.period = below.period
                WHERE below.depth < 20)
           SELECT b.period, b.code FROM below b JOIN units u ON u.code = b.code
            WHERE (u.opened_on IS NULL OR u.opened_on < (b.period + interval '1 month')::date)
              AND (u.closed_on IS NULL OR u.closed_on >= b.period)
              AND EXISTS (SELECT 1 FROM kpi_values f WHERE f.kpi_code = %(kpi)s AND f.unit_code = b.code
                             AND NOT f.rolled_up AND f.period <= b.period)
              AND NOT EXISTS (SELECT 1 FROM kpi_values v WHERE v.kpi_code = %(kpi)s AND v.unit_code = b.code
                                 AND NOT v.rolled_up AND v.period = b.period)
           UNION
           SELECT q.period, q.unit_code FROM rollup_queue q JOIN wanted w ON w.period = q.period
            WHERE q.kpi_code = %(kpi)s
              AND (q.unit_code = %(unit)s OR q.unit_code IN (SELECT code FROM below WHERE below.period = q.period))
           ORDER BY 1, 2""",
        {"kpi": kpi_code, "unit": unit_code, "months": months},
    ):
        found[row["period"]].append(row["code"])
    return found
