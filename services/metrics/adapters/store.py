"""SQL for the metrics schema. Functions take a unit of work (or a connection) and return rows."""

from __future__ import annotations

from datetime import date
from typing import Any

from psycopg.types.json import Jsonb

from services.metrics.domain.measures import Measure
from shared.db import UnitOfWork

KPI_COLUMNS = (
    "code, name, description, unit_of_measure, improvement_direction, owners, data_source, expected_by_day, "
    "aggregation, fix_after_n_points, screen_outliers"
)


def kpi(uow: UnitOfWork, code: str) -> dict[str, Any] | None:
    return uow.memo(("kpi", code), lambda: uow.one(f"SELECT {KPI_COLUMNS} FROM kpis WHERE code = %s", (code,)))


def unit(uow: UnitOfWork, code: str) -> dict[str, Any] | None:
    return uow.memo(("unit", code), lambda: uow.one(
        "SELECT code, name, level, parent_code, opened_on, closed_on FROM units WHERE code = %s", (code,)))


def add_kpi(uow: UnitOfWork, fields: dict[str, Any]) -> dict[str, Any] | None:
    return uow.one(
        f"""INSERT INTO kpis ({KPI_COLUMNS})
            VALUES (%(code)s, %(name)s, %(description)s, %(unit_of_measure)s, %(improvement_direction)s,
                    %(owners)s, %(data_source)s, %(expected_by_day)s, %(aggregation)s, %(fix_after_n_points)s,
                    %(screen_outliers)s)
            ON CONFLICT (code) DO NOTHING RETURNING {KPI_COLUMNS}""",
        fields,
    )


def add_unit(uow: UnitOfWork, fields: dict[str, Any]) -> dict[str, Any] | None:
    return uow.one(
        """INSERT INTO units (code, name, level, parent_code, opened_on, closed_on)
           VALUES (%(code)s, %(name)s, %(level)s, %(parent_code)s, %(opened_on)s, %(closed_on)s)
           ON CONFLICT (code) DO NOTHING RETURNING code, name, level, parent_code, opened_on, closed_on""",
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


# --- the aggregator's tables -------------------------------------------------------------------

def unit_chain(uow: UnitOfWork, unit_code: str) -> list[dict[str, Any]]:
    """The unit and its ancestors, nearest first (ward, directorate, division, trust)."""
    return uow.memo(("chain", unit_code), lambda: uow.all(
        """WITH RECURSIVE chain AS (
               SELECT code, name, parent_code, 0 AS depth FROM units WHERE code = %s
               UNION ALL
               SELECT u.code, u.name, u.parent_code, chain.depth + 1
                 FROM units u JOIN chain ON u.code = chain.parent_code WHERE chain.depth < 20)
           SELECT code, name FROM chain ORDER BY depth""",
        (unit_code,),
    ))


def copy_measured_value(uow: UnitOfWork, kpi_code: str, unit_code: str, period: date) -> None:
    uow.execute(
        """INSERT INTO kpi_values (kpi_code, unit_code, period, value, numerator, denominator, rolled_up)
           SELECT kpi_code, unit_code, period, value, numerator, denominator, false FROM current_measures
            WHERE kpi_code = %s AND unit_code = %s AND period = %s
           ON CONFLICT (kpi_code, unit_code, period) DO UPDATE SET value = excluded.value,
               numerator = excluded.numerator, denominator = excluded.denominator, rolled_up = false,
               updated_at = now()""",
        (kpi_code, unit_code, period),
    )


def lock_month(uow: UnitOfWork, kpi_code: str, unit_code: str, period: date) -> None:
    """Hold one KPI's month for one unit until this transaction ends (a transaction advisory lock)."""
    uow.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (f"metrics|{kpi_code}|{unit_code}|{period}",))


def is_measured(uow: UnitOfWork, kpi_code: str, unit_code: str, period: date) -> bool:
    return uow.one(
        "SELECT 1 AS yes FROM measures WHERE kpi_code = %s AND unit_code = %s AND period = %s LIMIT 1",
        (kpi_code, unit_code, period),
    ) is not None


def children_values(uow: UnitOfWork, kpi_code: str, parent_code: str, period: date) -> list[dict[str, Any]]:
    return uow.all(
        """SELECT v.value, v.numerator, v.denominator FROM kpi_values v JOIN units u ON u.code = v.unit_code
            WHERE v.kpi_code = %s AND u.parent_code = %s AND v.period = %s""",
        (kpi_code, parent_code, period),
    )


def put_rolled_up_value(uow: UnitOfWork, kpi_code: str, unit_code: str, period: date, value: Any) -> None:
    uow.execute(
        """INSERT INTO kpi_values (kpi_code, unit_code, period, value, numerator, denominator, rolled_up)
           VALUES (%s, %s, %s, %s, %s, %s, true)
           ON CONFLICT (kpi_code, unit_code, period) DO UPDATE SET value = excluded.value,
               numerator = excluded.numerator, denominator = excluded.denominator, updated_at = now()""",
        (kpi_code, unit_code, period, value.value, value.numerator, value.denominator),
    )


def monthly_values(uow: UnitOfWork, kpi_code: str, unit_code: str) -> list[dict[str, Any]]:
    return uow.all(
        "SELECT period, value, rolled_up FROM kpi_values WHERE kpi_code = %s AND unit_code = %s ORDER BY period",
        (kpi_code, unit_code),
    )


def units_reporting_below(uow: UnitOfWork, kpi_code: str, unit_code: str, months: tuple[date, date]
                          ) -> tuple[int, int]:
    """How many units anywhere below this one measured the KPI themselves, in each of two months."""
    row = uow.one(
        """WITH RECURSIVE below AS (
               SELECT code, 0 AS depth FROM units WHERE parent_code = %(unit)s
               UNION ALL
               SELECT u.code, below.depth + 1 FROM units u JOIN below ON u.parent_code = below.code
                WHERE below.depth < 20)
           SELECT count(*) FILTER (WHERE v.period = %(first)s) AS first,
                  count(*) FILTER (WHERE v.period = %(second)s) AS second
             FROM kpi_values v JOIN below ON below.code = v.unit_code
            WHERE v.kpi_code = %(kpi)s AND NOT v.rolled_up AND v.period IN (%(first)s, %(second)s)""",
        {"kpi": kpi_code, "unit": unit_code, "first": months[0], "second": months[1]},
    )
    return (row["first"], row["second"]) if row else (0, 0)


def targets(uow: UnitOfWork, kpi_code: str) -> list[dict[str, Any]]:
    """The KPI's target changes, oldest first; the latest setting for a month wins."""
    return uow.memo(("targets", kpi_code), lambda: uow.all(
        """SELECT DISTINCT ON (effective_from) effective_from, target FROM kpi_targets WHERE kpi_code = %s
            ORDER BY effective_from, set_at DESC""",
        (kpi_code,),
    ))


def live_rebases(uow: UnitOfWork, kpi_code: str, unit_code: str) -> list[date]:
    rows = uow.all(
        "SELECT period FROM rebases WHERE kpi_code = %s AND unit_code = %s AND withdrawn_at IS NULL ORDER BY period",
        (kpi_code, unit_code),
    )
    return [row["period"] for row in rows]


def save_chart(uow: UnitOfWork, kpi_code: str, unit_code: str, summary: dict[str, Any]) -> None:
    uow.execute(
        """INSERT INTO spc_charts (kpi_code, unit_code, first_period, last_period, last_value, last_point_type,
                                   variation_icon, assurance_icon, chart)
           VALUES (%(kpi_code)s, %(unit_code)s, %(first_period)s, %(last_period)s, %(last_value)s,
                   %(last_point_type)s, %(variation_icon)s, %(assurance_icon)s, %(chart)s)
           ON CONFLICT (kpi_code, unit_code) DO UPDATE SET first_period = excluded.first_period,
               last_period = excluded.last_period, last_value = excluded.last_value,
               last_point_type = excluded.last_point_type, variation_icon = excluded.variation_icon,
               assurance_icon = excluded.assurance_icon, chart = excluded.chart, computed_at = now()""",
        {**summary, "kpi_code": kpi_code, "unit_code": unit_code, "chart": Jsonb(summary["chart"])},
    )


def latest_episode(uow: UnitOfWork, kpi_code: str, unit_code: str) -> dict[str, Any] | None:
    return uow.one(
        """SELECT id, point_type, started, last_seen FROM signal_episodes WHERE kpi_code = %s AND unit_code = %s
            ORDER BY id DESC LIMIT 1 FOR UPDATE""",
        (kpi_code, unit_code),
    )


def extend_episode(uow: UnitOfWork, episode_id: int, month: date) -> None:
    uow.execute("UPDATE signal_episodes SET last_seen = greatest(last_seen, %s) WHERE id = %s", (month, episode_id))


def start_episode(uow: UnitOfWork, kpi_code: str, unit_code: str, point_type: str, special_cause_type: str,
                  month: date) -> None:
    uow.execute(
        """INSERT INTO signal_episodes (kpi_code, unit_code, point_type, special_cause_type, started, last_seen)
           VALUES (%s, %s, %s, %s, %s, %s)""",
        (kpi_code, unit_code, point_type, special_cause_type, month, month),
    )
