"""SQL for stored charts (``spc_charts``) and what shapes them: a KPI's targets, a series' rebases."""

from __future__ import annotations

from dataclasses import fields
from datetime import date
from typing import Any

from services.metrics.adapters.measures import SERIES
from services.metrics.adapters.rows import ChartSummary, SeriesKey, TargetChange
from shared.db import Rows, UnitOfWork

CHARTS = Rows("s", "kpi_code text, unit_code text, first_period date, last_period date, last_value double precision, "
                  "last_point_type text, variation_icon text, assurance_icon text, chart_type text, chart jsonb, "
                  "provisional_through date")


def targets(uow: UnitOfWork, kpi_code: str) -> list[TargetChange]:
    """The KPI's target changes, oldest first; the latest setting for a month wins."""
    return uow.memo(("targets", kpi_code), lambda: [TargetChange(**row) for row in uow.all(
        """SELECT DISTINCT ON (effective_from) effective_from, target FROM kpi_targets WHERE kpi_code = %s
            ORDER BY effective_from, set_at DESC""",
        (kpi_code,),
    )])


def live_rebases(uow: UnitOfWork, series: list[SeriesKey]) -> dict[SeriesKey, set[date]]:
    """The months where each series starts a new period (rebases not withdrawn)."""
    found: dict[SeriesKey, set[date]] = {key: set() for key in series}
    for row in uow.all(
        f"""SELECT r.kpi_code, r.unit_code, r.period
              FROM {SERIES.sql} JOIN rebases r USING (kpi_code, unit_code) WHERE r.withdrawn_at IS NULL""",
        (SERIES.param(series),),
    ):
        found[(row["kpi_code"], row["unit_code"])].add(row["period"])
    return found


def save_charts(uow: UnitOfWork, summaries: list[ChartSummary]) -> None:
    if summaries:
        columns = ", ".join(CHARTS.names)
        uow.execute(
            f"""INSERT INTO spc_charts ({columns}) SELECT {columns} FROM {CHARTS.sql}
               ON CONFLICT (kpi_code, unit_code) DO UPDATE SET first_period = excluded.first_period,
                   last_period = excluded.last_period, last_value = excluded.last_value,
                   last_point_type = excluded.last_point_type, variation_icon = excluded.variation_icon,
                   assurance_icon = excluded.assurance_icon, chart_type = excluded.chart_type,
                   chart = excluded.chart, provisional_through = excluded.provisional_through,
                   computed_at = now()""",
            (CHARTS.param(_shallow_tuple(summary) for summary in summaries),),
        )


def _shallow_tuple(summary: ChartSummary) -> tuple[Any, ...]:
    """``dataclasses.astuple`` without its deep copy of the chart's JSON (most of a pass's time)."""
    return tuple(getattr(summary, field.name) for field in fields(summary))


def charts_whose_month_ended(uow: UnitOfWork, this_month: date) -> list[SeriesKey]:
    """Series holding back a month that has now ended: a stored chart with a provisional month before
    ``this_month``, or a series of a measured unit with no chart yet whose newest month is last month."""
    rows = uow.all(
        """SELECT kpi_code, unit_code FROM spc_charts WHERE provisional_through < %(month)s
           UNION
           SELECT v.kpi_code, v.unit_code FROM kpi_values v
            WHERE v.period = (%(month)s::date - interval '1 month')::date
              AND NOT EXISTS (SELECT 1 FROM spc_charts c WHERE c.kpi_code = v.kpi_code AND c.unit_code = v.unit_code)
           ORDER BY 1, 2""",
        {"month": this_month},
    )
    return [(row["kpi_code"], row["unit_code"]) for row in rows]


def drop_charts(uow: UnitOfWork, series: list[SeriesKey]) -> None:
    """Forget the charts of series that have no month left."""
    if series:
        uow.execute(f"DELETE FROM spc_charts c USING {SERIES.sql} WHERE c.kpi_code = k.kpi_code"
                    f" AND c.unit_code = k.unit_code", (SERIES.param(series),))
