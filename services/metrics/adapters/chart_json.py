"""The JSON a KPI's chart is stored as (``spc_charts.chart``), and the chart back from it.

- An XmR chart: ``SpcChart.to_dict()`` (points, periods, icons and warnings, with NHSRplotthedots'
  names) and ``chart_type: "xmr"``.
- A run chart: ``RunChart.to_dict()`` (values, cl, n_obs, n_useful, longest_run, longest_run_max,
  n_crossings, n_crossings_min, runs_signal: qicharts2's names) and ``chart_type: "run"``.

Both carry ``periods_of_points``, the month (YYYY-MM) of each point in order. A chart stored before
run charts existed has no ``chart_type``: it is an XmR chart.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from services.metrics.domain.charts import RUN, XMR, Chart, chart_type_of
from services.metrics.domain.measures import format_period
from services.metrics.domain.runchart import RunChart
from services.metrics.domain.spc import SpcChart, SpcPeriod, SpcPoint


def chart_json(chart: Chart, periods: Sequence[date]) -> dict[str, Any]:
    return {"chart_type": chart_type_of(chart), **chart.to_dict(),
            "periods_of_points": [format_period(period) for period in periods]}


def chart_type_of_json(body: dict[str, Any]) -> str:
    return body.get("chart_type", XMR)


def chart_from_json(body: dict[str, Any]) -> Chart:
    """The domain chart back from ``chart_json``'s output."""
    if chart_type_of_json(body) == RUN:
        return _run_chart(body)
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
    )
