"""A unit's board report for a month: per KPI charted for the unit, its chart as it stood once that
month was judged, the month's value, the target then, the Making Data Count icons, the signals not yet
closed and the projects measuring the series.

The chart is the one the board would have seen at the month's end, with today's figures: the stored
chart when the month is its newest judged month (or later: then the months after the chart's end are
provisional, drawn hollow and never judged), else the same series recomputed up to the month, with the
KPI's options, targets and live rebases (as the aggregator draws it). A month before the chart's first
has no chart.

Read-only, and bounded by the page: every read but the recompute (its targets, one query per chart
recomputed) takes the whole page in one statement.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from services.metrics.adapters import dashboard_store, measures, store
from services.metrics.adapters.chart_json import chart_from_json, expanded
from services.metrics.adapters.rows import Kpi
from services.metrics.adapters.svg import render_svg, with_id_prefix
from services.metrics.domain.charts import Chart
from services.metrics.domain.levels import decimal_places
from services.metrics.domain.runchart import RunChart
from services.metrics.service_layer.aggregator import chart_of_series
from shared.db import UnitOfWork
from shared.month import month_text

JUDGED, PROVISIONAL, NOT_REPORTED, NOT_CHARTED = "judged", "provisional", "not_reported", "not_charted"


@dataclass(frozen=True)
class AsOf:
    """A chart as it stood at a month: the chart, its months (YYYY-MM) and the provisional months after it."""

    chart: Chart
    months: list[str]
    provisional: list[dict[str, Any]]


def report_page(uow: UnitOfWork, unit_code: str, unit_name: str, month: date, limit: int, offset: int
                ) -> list[dict[str, Any]]:
    """One section per KPI charted for the unit, by KPI code (a page of them)."""
    rows = dashboard_store.unit_charts(uow, unit_code, limit, offset)
    codes = [row["kpi_code"] for row in rows]
    if not codes:
        return []
    kpis = store.kpis(uow, codes)
    values = dashboard_store.month_values(uow, unit_code, codes, month)
    targets = dashboard_store.targets_at(uow, codes, month)
    notes = dashboard_store.annotations_of(uow, unit_code, codes)
    rebases = dashboard_store.live_rebases_of(uow, unit_code, codes)
    signals = dashboard_store.open_signals_of(uow, unit_code, codes, month)
    projects = dashboard_store.projects_of(uow, unit_code, codes)
    earlier = [(row["kpi_code"], unit_code) for row in rows if row["first_period"] <= month < row["last_period"]]
    series = measures.monthly_values(uow, earlier) if earlier else {}
    sections = []
    for row in rows:
        code = row["kpi_code"]
        kpi = kpis[code]
        as_of = _as_of(uow, row, kpi, month, series.get((code, unit_code)), rebases[code])
        sections.append(_section(kpi, unit_name, month, as_of, values.get(code), targets.get(code), notes[code],
                                 rebases[code], signals[code], projects[code]))
    return sections


def _as_of(uow: UnitOfWork, row: dict[str, Any], kpi: Kpi, month: date, values: Any,
           rebases: list[dict[str, Any]]) -> AsOf | None:
    if month < row["first_period"]:
        return None
    stored = expanded(row["chart"])
    if month >= row["last_period"]:
        shown = [p for p in stored.get("provisional", []) if p["period"] <= month_text(month)]
        return AsOf(chart_from_json(stored), list(stored["periods_of_points"]), shown)
    judged = [value for value in values if value.period <= month]
    periods = [value.period for value in judged]
    chart = chart_of_series(uow, kpi, {rebase["period"] for rebase in rebases}, periods,
                            [value.value for value in judged])
    return AsOf(chart, [month_text(period) for period in periods], [])


def _section(kpi: Kpi, unit_name: str, month: date, as_of: AsOf | None, value: float | None, target: float | None,
             notes: list[dict[str, Any]], rebases: list[dict[str, Any]], signals: list[dict[str, Any]],
             projects: list[dict[str, Any]]) -> dict[str, Any]:
    places = decimal_places(kpi.decimal_places, kpi.unit_of_measure)
    section: dict[str, Any] = {
        "kpi": {**vars(kpi), "decimal_places": places}, "month": month, "value": value, "target": target,
        "status": NOT_CHARTED if as_of is None else _status(as_of, month_text(month), value),
        "chart_type": None, "charted_to": None, "point_type": None, "variation_icon": None, "assurance_icon": None,
        "runs_signal": None, "provisional_reason": None, "svg": None,
        "open_signals": signals, "projects": projects,
    }
    if as_of is None:
        return section
    shown = month_text(month)
    chart = as_of.chart
    if isinstance(chart, RunChart):
        section.update(chart_type="run", runs_signal=chart.runs_signal)
    else:
        section.update(chart_type="xmr", variation_icon=chart.variation_icon, assurance_icon=chart.assurance_icon)
        if shown in as_of.months:
            section["point_type"] = chart.points[as_of.months.index(shown)].point_type
    section["charted_to"] = as_of.months[-1]
    section["provisional_reason"] = next((p["reason"] for p in as_of.provisional if p["period"] == shown), None)
    section["svg"] = _svg(kpi, unit_name, as_of, places, [n for n in notes if month_text(n["period"]) <= shown],
                          [r for r in rebases if month_text(r["period"]) <= shown])
    return section


def _status(as_of: AsOf, month: str, value: float | None) -> str:
    if month in as_of.months:
        return JUDGED
    if value is not None:
        return PROVISIONAL
    return NOT_REPORTED


def _svg(kpi: Kpi, unit_name: str, as_of: AsOf, places: int, notes: list[dict[str, Any]],
         rebases: list[dict[str, Any]]) -> str:
    svg = render_svg(
        as_of.chart, title=f"{kpi.name} — {unit_name}", dates=as_of.months,
        annotations=[(month_text(n["period"]), n["text"]) for n in notes],
        rebases=[(month_text(r["period"]), r["reason"]) for r in rebases],
        pdsa_months={month_text(n["period"]) for n in notes if n["pdsa_ref"]},
        provisional=[(p["period"], p["value"]) for p in as_of.provisional], decimal_places=places)
    return with_id_prefix(svg, f"chart-{kpi.code}")
