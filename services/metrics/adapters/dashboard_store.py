"""Read-only SQL for the portal's dashboards: the KPI matrix of a unit, the matrix of a directorate
and every unit below it, and one stored chart in full.

Nothing here writes. Both matrices build their rows the same way (``_matrix_rows``): a page is one
statement whatever its size (each row's target and sparkline are lateral index scans) and its total
one more, so a unit with fifty KPIs costs the same round trips as a unit with one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.db import UnitOfWork

SPARKLINE_POINTS = 12
# What a matrix row needs from a stored chart (``spc_charts c``); a run chart's JSON is small, and
# only a run chart's is read.
CHART_COLUMNS = ("c.kpi_code, c.unit_code, c.chart_type, c.last_period, c.last_value, c.last_point_type,"
                 " c.variation_icon, c.assurance_icon,"
                 " CASE WHEN c.chart_type = 'run' THEN (c.chart ->> 'runs_signal')::boolean END AS runs_signal")
# A chart whose KPI serves the CQC key question %(cqc)s (any KPI when it is null): the KPI's row by its
# primary key, whose index holds cqc (migration 0022).
SERVES_CQC = ("(%(cqc)s::text IS NULL OR EXISTS (SELECT 1 FROM kpis kq WHERE kq.code = c.kpi_code"
              " AND %(cqc)s = ANY(kq.cqc)))")


@dataclass(frozen=True)
class Narrowed:
    """What a directorate's matrix is narrowed to: one unit, one KPI, one CQC key question (None: all)."""

    unit: str | None = None
    kpi: str | None = None
    cqc: str | None = None


def unit_with_chart_count(uow: UnitOfWork, unit_code: str, cqc: str | None = None) -> dict[str, Any] | None:
    """The unit (code, name, level) and how many KPIs (serving ``cqc``, when given) have a chart for it;
    None for an unknown unit."""
    return uow.one(
        f"""SELECT u.code, u.name, u.level,
                  (SELECT count(*) FROM spc_charts c WHERE c.unit_code = u.code AND {SERVES_CQC}) AS charts
             FROM units u WHERE u.code = %(unit)s""",
        {"unit": unit_code, "cqc": cqc},
    )


def kpi_matrix(uow: UnitOfWork, unit_code: str, cqc: str | None, limit: int, offset: int) -> list[dict[str, Any]]:
    """One row per KPI charted for the unit (serving ``cqc``, when given), by KPI code (see
    ``_matrix_rows`` for what a row holds)."""
    return _matrix_rows(uow, f"SELECT {CHART_COLUMNS} FROM spc_charts c WHERE c.unit_code = %(unit)s AND {SERVES_CQC}",
                        "kpi_code", {"unit": unit_code, "cqc": cqc, "limit": limit, "offset": offset})


# The charts of a unit and of every unit below it at any depth, each with its unit's name, level and
# depth below the top unit (which is 0); narrowed to one unit and to one KPI when those are given.
CHARTS_BELOW = f"""
    WITH RECURSIVE below AS (
        SELECT code, name, level, 0 AS depth FROM units WHERE code = %(top)s
        UNION ALL
        SELECT u.code, u.name, u.level, below.depth + 1 FROM units u JOIN below ON u.parent_code = below.code
         WHERE below.depth < 20)
    SELECT {CHART_COLUMNS}, b.name AS unit_name, b.level AS unit_level, b.depth AS unit_depth
      FROM below b JOIN spc_charts c ON c.unit_code = b.code
     WHERE (%(unit)s::text IS NULL OR c.unit_code = %(unit)s) AND (%(kpi)s::text IS NULL OR c.kpi_code = %(kpi)s)
       AND {SERVES_CQC}"""


def chart_count_below(uow: UnitOfWork, top: str, narrowed: Narrowed) -> int:
    """How many charts ``kpi_matrix_below`` pages through."""
    row = uow.one(f"SELECT count(*) AS charts FROM ({CHARTS_BELOW}) charts", {"top": top, **vars(narrowed)})
    return row["charts"] if row else 0


def kpi_matrix_below(uow: UnitOfWork, top: str, narrowed: Narrowed, limit: int, offset: int) -> list[dict[str, Any]]:
    """One row per chart of the ``top`` unit and every unit below it (only ``unit``'s, ``kpi``'s, and
    KPIs serving ``cqc``, when given), by KPI code, then depth below the top, then unit code; each row
    is a ``kpi_matrix`` row with the unit's code, name and level."""
    return _matrix_rows(uow, CHARTS_BELOW, "kpi_code, unit_depth, unit_code",
                        {"top": top, **vars(narrowed), "limit": limit, "offset": offset})


def _matrix_rows(uow: UnitOfWork, charts: str, order_by: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """The page (``limit``, ``offset`` in ``params``) of the ``charts`` query, ordered by ``order_by``, as
    matrix rows: every column ``charts`` selects (at least ``CHART_COLUMNS``) with the KPI's name, unit of
    measure and direction, the target in force at the latest month (the newest change effective on or
    before it, null when none) and the last twelve monthly values, oldest first.

    One statement whatever the page size: the target and the sparkline are lateral index scans per row.
    """
    rows = uow.all(
        f"""WITH page AS ({charts} ORDER BY {order_by} LIMIT %(limit)s OFFSET %(offset)s)
           SELECT p.*, k.name, k.unit_of_measure, k.improvement_direction, k.decimal_places AS kpi_decimal_places,
                  k.cqc, t.target,
                  s.sparkline_periods, s.sparkline_values
             FROM page p
             JOIN kpis k ON k.code = p.kpi_code
             LEFT JOIN LATERAL (
                  SELECT target FROM kpi_targets
                   WHERE kpi_code = p.kpi_code AND effective_from <= p.last_period
                   ORDER BY effective_from DESC, set_at DESC LIMIT 1) t ON true
             CROSS JOIN LATERAL (
                  SELECT array_agg(to_char(period, 'YYYY-MM') ORDER BY period) AS sparkline_periods,
                         array_agg(value ORDER BY period) AS sparkline_values
                    FROM (SELECT period, value FROM kpi_values
                           WHERE kpi_code = p.kpi_code AND unit_code = p.unit_code
                           ORDER BY period DESC LIMIT %(sparkline)s) newest) s
            ORDER BY {order_by}""",
        {**params, "sparkline": SPARKLINE_POINTS},
    )
    return [_with_sparkline(row) for row in rows]


def _with_sparkline(row: dict[str, Any]) -> dict[str, Any]:
    periods, values = row.pop("sparkline_periods") or [], row.pop("sparkline_values") or []
    return {**row, "sparkline": [{"period": p, "value": v} for p, v in zip(periods, values, strict=True)]}


def chart(uow: UnitOfWork, kpi_code: str, unit_code: str) -> dict[str, Any] | None:
    """The stored chart row: its type (xmr or run), first and last period, computed_at and the chart JSON
    (see ``chart_json``)."""
    return uow.one(
        """SELECT chart_type, first_period, last_period, computed_at, chart FROM spc_charts
            WHERE kpi_code = %s AND unit_code = %s""",
        (kpi_code, unit_code),
    )


def chart_annotations(uow: UnitOfWork, kpi_code: str, unit_code: str) -> list[dict[str, Any]]:
    return uow.all(
        """SELECT id, period, text, pdsa_ref, created_by, created_at FROM annotations
            WHERE kpi_code = %s AND unit_code = %s ORDER BY period, created_at, id""",
        (kpi_code, unit_code),
    )


def chart_rebases(uow: UnitOfWork, kpi_code: str, unit_code: str) -> list[dict[str, Any]]:
    """Every rebase ever set, withdrawn ones included, in the order they were set."""
    return uow.all(
        """SELECT id, period, reason, set_by, set_at, withdrawn_by, withdrawn_at FROM rebases
            WHERE kpi_code = %s AND unit_code = %s ORDER BY set_at, id""",
        (kpi_code, unit_code),
    )

