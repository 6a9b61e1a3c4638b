"""The JSON a KPI's chart is stored as (``spc_charts.chart``), and the chart back from it.

- An XmR chart: ``SpcChart.to_dict()`` (points, periods, icons and warnings, with NHSRplotthedots'
  names) and ``chart_type: "xmr"``, except that the points are stored by column (``point_columns``:
  each column's name once, with its values in point order), less than half the size of a row per
  point for a chart of years of months; ``expanded`` gives the row-per-point form back.
- A run chart: ``RunChart.to_dict()`` (values, cl, n_obs, n_useful, longest_run, longest_run_max,
  n_crossings, n_crossings_min, runs_signal: qicharts2's names) and ``chart_type: "run"``.

Both carry ``periods_of_points``, the month (YYYY-MM) of each point in order. A chart stored before
run charts existed has no ``chart_type``: it is an XmR chart.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from services.metrics.domain.charts import RUN, XMR, Chart
from services.metrics.domain.runchart import RunChart
from services.metrics.domain.spc import SpcChart, SpcPeriod, SpcPoint
from shared.month import month_text

POINT_COLUMNS = SpcPoint._fields


def chart_json(chart: Chart, periods: Sequence[date]) -> dict[str, Any]:
    months = [month_text(period) for period in periods]
    if isinstance(chart, RunChart):
        return {"chart_type": RUN, **chart.to_dict(), "periods_of_points": months}
    return {
        "chart_type": XMR,
        "point_columns": _columns(chart.points),
        "periods": [period.to_dict() for period in chart.periods],
        "improvement_direction": chart.improvement_direction,
        "variation_icon": chart.variation_icon,
        "assurance_icon": chart.assurance_icon,
        "warnings": list(chart.warnings),
        "periods_of_points": months,
    }


def _columns(points: Sequence[SpcPoint]) -> dict[str, list[Any]]:
    """The points as a list per column, in ``POINT_COLUMNS`` order."""
    if not points:
        return {name: [] for name in POINT_COLUMNS}
    return dict(zip(POINT_COLUMNS, map(list, zip(*points, strict=True)), strict=True))


def expanded(body: dict[str, Any]) -> dict[str, Any]:
    """A stored chart with an XmR chart's points as a row per point (``points``), as the API shows
    them; a run chart, or a chart stored that way already, as it is."""
    columns = body.get("point_columns")
    if columns is None:
        return body
    rest = {key: value for key, value in body.items() if key != "point_columns"}
    names = list(columns)
    return {**rest, "points": [dict(zip(names, row, strict=True)) for row in zip(*columns.values(), strict=True)]}


def chart_type_of_json(body: dict[str, Any]) -> str:
    return body.get("chart_type", XMR)


def chart_from_json(body: dict[str, Any]) -> Chart:
    """The domain chart back from ``chart_json``'s output."""
    if chart_type_of_json(body) == RUN:
        return _run_chart(body)
    body = expanded(body)
    return SpcChart(
        points=tuple(SpcPoint(**point) for point in body["points"]),
        periods=tuple(SpcPeriod(**period) for period in body["periods"]),
        improvement_direction=body["improvement_direction"],
        variation_icon=body["variation_icon"],
        assurance_icon=body["assurance_icon"],
        warnings=tuple(body.get("warnings", ())),
    )


def _run_chart(body: dict[str, Any]) -> RunChart:
    return RunChart(
        values=tuple(body["values"]),
        cl=body["cl"],
        n_obs=body["n_obs"],
        n_useful=body["n_useful"],
        longest_run=body["longest_run"],
        longest_run_max=body["longest_run_max"],
        n_crossings=body["n_crossings"],
        n_crossings_min=body["n_crossings_min"],
        runs_signal=body["runs_signal"],
        freeze=body.get("freeze"),
        cl_given=body.get("cl_given", False),
    )
