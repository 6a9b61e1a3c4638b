"""Read-only SQL for the portal's dashboards: the KPI matrix of a unit and one stored chart in full.

Nothing here writes. The matrix is two statements whatever the page size (the unit with its count
of charts, then the page with each row's target and sparkline as lateral index scans), so a unit
with fifty KPIs costs the same round trips as a unit with one.
"""

from __future__ import annotations

from typing import Any

from services.metrics.domain.spc import SpcChart, SpcPeriod, SpcPoint
from shared.db import UnitOfWork

SPARKLINE_POINTS = 12


def unit_with_chart_count(uow: UnitOfWork, unit_code: str) -> dict[str, Any] | None:
    """The unit (code, name, level) and how many KPIs have a chart for it; None for an unknown unit."""
    return uow.one(
        """SELECT u.code, u.name, u.level,
                  (SELECT count(*) FROM spc_charts c WHERE c.unit_code = u.code) AS charts
             FROM units u WHERE u.code = %s""",
        (unit_code,),
    )


def kpi_matrix(uow: UnitOfWork, unit_code: str, limit: int, offset: int) -> list[dict[str, Any]]:
    """One row per KPI charted for the unit, by KPI code: its latest point, icons, the target in force
    at the latest month (the newest change effective on or before it, null when none) and the last
    twelve monthly values, oldest first."""
    rows = uow.all(
        """WITH page AS (
               SELECT kpi_code, unit_code, last_period, last_value, last_point_type, variation_icon,
                      assurance_icon
                 FROM spc_charts WHERE unit_code = %(unit)s
                ORDER BY kpi_code LIMIT %(limit)s OFFSET %(offset)s)
           SELECT p.kpi_code, k.name, k.unit_of_measure, k.improvement_direction, p.last_period,
                  p.last_value, p.last_point_type, p.variation_icon, p.assurance_icon, t.target,
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
            ORDER BY p.kpi_code""",
        {"unit": unit_code, "limit": limit, "offset": offset, "sparkline": SPARKLINE_POINTS},
    )
    return [_with_sparkline(row) for row in rows]


def _with_sparkline(row: dict[str, Any]) -> dict[str, Any]:
    periods, values = row.pop("sparkline_periods") or [], row.pop("sparkline_values") or []
    return {**row, "sparkline": [{"period": p, "value": v} for p, v in zip(periods, values, strict=True)]}


def chart(uow: UnitOfWork, kpi_code: str, unit_code: str) -> dict[str, Any] | None:
    """The stored chart row: first and last period, computed_at and the chart JSON."""
    return uow.one(
        """SELECT first_period, last_period, computed_at, chart FROM spc_charts
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


def stored_chart(body: dict[str, Any]) -> SpcChart:
    """The domain chart back from its stored JSON (``SpcChart.to_dict()`` plus ``periods_of_points``)."""
    return SpcChart(
        points=tuple(SpcPoint(**point) for point in body["points"]),
        periods=tuple(SpcPeriod(**period) for period in body["periods"]),
        improvement_direction=body["improvement_direction"],
        variation_icon=body["variation_icon"],
        assurance_icon=body["assurance_icon"],
        warnings=tuple(body.get("warnings", ())),
    )
