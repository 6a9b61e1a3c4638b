"""The portal's dashboards, read-only, for any signed-in user like the other metrics GETs.

- ``GET /dashboards/units/<unit>/kpis``: the unit's KPI matrix, one row per KPI with a chart. The unit
  is in the path (a directorate is a unit like any other), so an unknown one is a plain 404. For a
  directorate these are its own, rolled-up, charts. Served from a per-process cache of its bodies
  while the unit's versions are unchanged (``matrix_cache``, migration 0038), with a strong ETag.
- ``GET /dashboards/kpis?directorate=&unit=&kpi=``: one matrix across units, a row per KPI and unit
  charted in the directorate or below it, so a board can compare its wards; ``unit`` and ``kpi``
  narrow it to one unit of the directorate and to one KPI.
- ``GET /kpis/<kpi>/units/<unit>/chart``: one stored chart in full, with its annotations and rebases;
  ``chart.csv`` and ``chart.svg`` give the same chart as a spreadsheet and as an image.

A stored chart is an XmR chart, or a run chart while its series has fewer than 13 months
(``chart_type`` says which): a run chart has a median but no limits, point types or icons.
"""

from __future__ import annotations

import csv
import io
import zlib
from collections.abc import Iterable
from typing import Any, cast

from flask import Response, current_app, request
from werkzeug.wrappers import Response as BaseResponse

from services.metrics import bootstrap
from services.metrics.adapters import catalogue_store, dashboard_store, store
from services.metrics.adapters.chart_json import chart_from_json, expanded
from services.metrics.adapters.svg import render_svg
from services.metrics.bootstrap import utc_today
from services.metrics.domain.charts import RUN
from services.metrics.domain.levels import decimal_places
from services.metrics.entrypoints.dashboard_schemas import (
    BoardReportQuery,
    BoardReportSchema,
    DirectorateMatrixQuery,
    DirectorateMatrixSchema,
    KpiChartSchema,
    KpiMatrixQuery,
    KpiMatrixSchema,
    UnitsMatrixQuery,
    UnitsMatrixSchema,
)
from services.metrics.entrypoints.matrix_cache import BodyCache
from services.metrics.service_layer import board
from shared.db import unit_of_work
from shared.errors import InvalidInput, NotFound
from shared.month import Month, month_text
from shared.pagination import page_by_offset
from shared.web import Blueprint, requires_sign_in

dashboard_api = Blueprint("dashboard_api", __name__, url_prefix="/api/v1",
                          description="Dashboards for the portal: KPI matrices and stored SPC charts (read-only)")

CSV_COLUMNS = ("period", "value", "mean", "lpl", "upl", "point_type", "special_cause_type", "target", "annotations")
RUN_CSV_COLUMNS = ("period", "value", "median", "annotations")
MATRIX_CACHE = "metrics.matrix_cache"
MATRIX_HEADERS = {
    "ETag": {"description": "A strong validator of this page of the matrix: it changes whenever the page would "
                            "(a chart recomputed, a value, a KPI, a target or the unit changed).",
             "schema": {"type": "string"}},
    "Cache-Control": {"description": "private, no-cache: keep it for this caller only and revalidate it with "
                                     "If-None-Match before reuse.", "schema": {"type": "string"}},
}
# Cells a spreadsheet would run as a formula (OWASP's list: = + - @, tab and carriage return).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _uow() -> Any:
    state: bootstrap.Metrics = current_app.extensions["metrics"]
    return unit_of_work(state.pool, bootstrap.SERVICE)


@dashboard_api.route("/dashboards/units/<unit_code>/kpis", methods=["GET"])
@requires_sign_in
@dashboard_api.arguments(KpiMatrixQuery, location="query")
@dashboard_api.response(200, KpiMatrixSchema, headers=MATRIX_HEADERS)
@dashboard_api.alt_response(304, description="Unchanged since the ETag given in If-None-Match.")
@dashboard_api.alt_response(400, description="A cursor this list did not give, or gave for another unit.")
@dashboard_api.alt_response(404, description="No such unit.")
def kpi_matrix(query: dict, unit_code: str) -> Any:
    """The unit's KPI matrix: one row per KPI charted for it, by KPI code, with the newest value and
    month, the target then in force, both Making Data Count icons and a 12-month sparkline; `cqc`
    keeps the KPIs serving one CQC key question. Bounded by design (at most one row per KPI of the
    catalogue), so its cursors carry an offset. Its ETag changes whenever the page would: send it back
    in If-None-Match for a 304."""
    cqc = query.get("cqc")
    cache: BodyCache = current_app.extensions[MATRIX_CACHE]
    key = (unit_code, cqc, query["page_size"], query.get("cursor"))
    with _uow() as uow:
        version = dashboard_store.matrix_version(uow, unit_code)  # before the matrix: see matrix_cache
        kept = cache.get(key, version)
        if kept is None:
            unit = _found(dashboard_store.unit_with_chart_count(uow, unit_code, cqc), f"unit {unit_code}")
            found = page_by_offset(
                "unit-matrix", query, unit.pop("charts"),
                lambda limit, offset: _shown(dashboard_store.kpi_matrix(uow, unit_code, cqc, limit, offset)),
                unit=unit_code, cqc=cqc)
            made = cast(Response, current_app.json.response(KpiMatrixSchema().dump({**vars(found), "unit": unit})))
            kept = cache.put(key, version, made.get_data())
    response = Response(kept.body, mimetype="application/json")
    response.set_etag(kept.etag)
    response.headers["Cache-Control"] = "private, no-cache"
    return response.make_conditional(request)


@dashboard_api.route("/dashboards/kpis", methods=["GET"])
@requires_sign_in
@dashboard_api.arguments(DirectorateMatrixQuery, location="query")
@dashboard_api.response(200, DirectorateMatrixSchema)
def directorate_kpi_matrix(query: dict) -> Any:
    """The KPI matrix across the units of a directorate: one row per KPI and unit charted in the
    directorate or any unit below it, by KPI code, then depth below the directorate, then unit code.
    Each row is a unit matrix row with the unit's code, name and level. A unit keeps one unit's rows
    (the directorate's own or one below it); given alone, it is that unit's rows only; `cqc` keeps the
    KPIs serving one CQC key question. Bounded by design (at most one row per KPI and unit of the
    catalogue), so its cursors carry an offset."""
    top = query.get("directorate") or query["unit"]
    narrowed = dashboard_store.Narrowed(unit=query.get("unit"), kpi=query.get("kpi"), cqc=query.get("cqc"))
    with _uow() as uow:
        _check_filters(uow, top, narrowed.unit, narrowed.kpi)
        return page_by_offset(
            "directorate-matrix", query, dashboard_store.chart_count_below(uow, top, narrowed),
            lambda limit, offset: _shown(dashboard_store.kpi_matrix_below(uow, top, narrowed, limit, offset)),
            top=top, unit=narrowed.unit, kpi=narrowed.kpi, cqc=narrowed.cqc)


@dashboard_api.route("/dashboards/units/<unit_code>/units", methods=["GET"])
@requires_sign_in
@dashboard_api.arguments(UnitsMatrixQuery, location="query")
@dashboard_api.response(200, UnitsMatrixSchema)
@dashboard_api.alt_response(400, description="A cursor this list did not give, or gave for another unit.")
@dashboard_api.alt_response(404, description="No such unit.")
def units_matrix(query: dict, unit_code: str) -> Any:
    """The matrix of a unit's units (a directorate's wards, a division's directorates): a row per unit
    straight below it, by name, and a column per KPI charted for any of them (`kpis`, the same on every
    page); each row's `cells` are its unit-matrix rows. The rows are paged (a directorate may have many
    wards); each page is three statements whatever its size. `cqc` keeps the KPIs serving that CQC key
    question (columns and cells; the rows stay every unit below). Bounded by design (the units below
    one unit), so its cursors carry an offset."""
    cqc = query.get("cqc")
    with _uow() as uow:
        unit = _found(store.unit(uow, unit_code), f"unit {unit_code}")
        columns = _shown(dashboard_store.kpis_charted_below(uow, unit_code, cqc))
        found = page_by_offset("units-matrix", query, dashboard_store.child_unit_count(uow, unit_code),
                               lambda limit, offset: _with_cells(uow, dashboard_store.child_units(uow, unit_code,
                                                                                                 limit, offset), cqc),
                               unit=unit_code, cqc=cqc)
    return {**vars(found), "unit": unit, "kpis": columns}


def _with_cells(uow: Any, units: list[dict[str, Any]], cqc: str | None) -> list[dict[str, Any]]:
    cells: dict[str, list[dict[str, Any]]] = {unit["code"]: [] for unit in units}
    for cell in _shown(dashboard_store.matrix_cells(uow, list(cells), cqc)):
        cells[cell["unit_code"]].append(cell)
    return [{**unit, "cells": cells[unit["code"]]} for unit in units]


@dashboard_api.route("/dashboards/units/<unit_code>/board-report", methods=["GET"])
@requires_sign_in
@dashboard_api.arguments(BoardReportQuery, location="query")
@dashboard_api.response(200, BoardReportSchema)
@dashboard_api.alt_response(400, description="A cursor this list did not give, or gave for another unit or month.")
@dashboard_api.alt_response(404, description="No such unit.")
def board_report(query: dict, unit_code: str) -> Any:
    """A unit's board report for a month: a section per KPI charted for the unit, by KPI code, with the
    chart as it stood at that month (SVG), the month's value and status (judged, provisional, not
    reported), the target then, the icons, the signals not closed and the projects measuring the series.
    The month defaults to last month; a month after this one is a 422. Bounded by design (at most one
    section per KPI of the catalogue), so its cursors carry an offset."""
    this_month = Month.of(utc_today())
    month = query.get("month") or this_month.previous()
    if month > this_month:
        raise InvalidInput(f"{month} has not begun: report on {this_month} or before", field="month",
                           reason="after this month")
    with _uow() as uow:
        unit = _found(store.unit(uow, unit_code), f"unit {unit_code}")
        total = _found(dashboard_store.unit_with_chart_count(uow, unit_code), f"unit {unit_code}")["charts"]
        found = page_by_offset(
            "board-report", query, total,
            lambda limit, offset: board.report_page(uow, unit_code, unit.name, month.first_day, limit, offset),
            unit=unit_code, month=str(month))
    return {**vars(found), "unit": unit, "month": month, "month_is_over": month < this_month}


def _shown(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Matrix rows (or the units matrix's KPI columns) with the decimal places their KPI's values are shown with."""
    return [{**row, "decimal_places": decimal_places(row.pop("kpi_decimal_places"), row["unit_of_measure"])}
            for row in rows]


def _check_filters(uow: Any, top: str, unit: str | None, kpi: str | None) -> None:
    _found(store.unit(uow, top), f"unit {top}")
    if unit and unit != top:
        _found(store.unit(uow, unit), f"unit {unit}")
        if not catalogue_store.is_descendant(uow, unit, top):
            raise InvalidInput(f"unit {unit} is not in directorate {top}", field="unit", reason="not in directorate")
    if kpi:
        _found(store.kpi(uow, kpi), f"KPI {kpi}")


@dashboard_api.route("/kpis/<kpi_code>/units/<unit_code>/chart", methods=["GET"])
@requires_sign_in
@dashboard_api.response(200, KpiChartSchema)
def kpi_chart(kpi_code: str, unit_code: str) -> Any:
    """The stored chart of a KPI for a unit with the KPI's definition, the annotations and the full
    rebase history. `chart_type` says which chart it is: `xmr` in `chart`, every point with its month,
    or, while the series has fewer than 13 months, `run` in `run_chart` (median and Anhøj rules, no
    limits or icons). 404 until a first measure has been charted."""
    with _uow() as uow:
        found = _chart_of(uow, kpi_code, unit_code)
        found["annotations"] = dashboard_store.chart_annotations(uow, kpi_code, unit_code)
        found["rebases"] = dashboard_store.chart_rebases(uow, kpi_code, unit_code)
    kpi = found["kpi"]
    found["kpi"] = {**vars(kpi), "decimal_places": decimal_places(kpi.decimal_places, kpi.unit_of_measure)}
    found["provisional"] = found["chart"].get("provisional", [])
    if found["chart_type"] == RUN:
        return {**found, "chart": None, "run_chart": found["chart"]}
    return {**found, "chart": _with_months(found["chart"]), "run_chart": None}


@dashboard_api.route("/kpis/<kpi_code>/units/<unit_code>/chart.csv", methods=["GET"])
@requires_sign_in
@dashboard_api.response(200, {"type": "string"}, content_type="text/csv",
                        description="One row per month: " + ", ".join(CSV_COLUMNS) + " for an XmR chart; "
                                    + ", ".join(RUN_CSV_COLUMNS) + " for a run chart.")
def kpi_chart_csv(kpi_code: str, unit_code: str) -> Response:
    """The stored chart as CSV for a spreadsheet: an XmR chart's mean, limits and point types, or a run
    chart's median. Text that a spreadsheet would run as a formula is prefixed with a single quote;
    several annotations on a month are joined with "; "."""
    with _uow() as uow:
        found = _chart_of(uow, kpi_code, unit_code)
        notes = dashboard_store.chart_annotations(uow, kpi_code, unit_code)
    body = found["chart"]
    text = run_chart_csv(body, notes) if found["chart_type"] == RUN else chart_csv(_with_months(body)["points"], notes)
    response = Response(text, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{kpi_code}-{unit_code}-chart.csv"'
    return response


@dashboard_api.route("/kpis/<kpi_code>/units/<unit_code>/chart.svg", methods=["GET"])
@requires_sign_in
@dashboard_api.response(200, {"type": "string"}, content_type="image/svg+xml",
                        description="The stored chart as a standalone, accessible SVG image.")
@dashboard_api.alt_response(304, description="Unchanged since the ETag given in If-None-Match.")
def kpi_chart_svg(kpi_code: str, unit_code: str) -> BaseResponse:
    """The stored chart (XmR or run chart) drawn as SVG, titled "KPI name — unit name", with its annotations
    (a PDSA cycle's start, say) marked on their months, to embed in a page or an email. Its ETag changes
    whenever the chart is recomputed, renamed or annotated; send it back in If-None-Match."""
    with _uow() as uow:
        found = _chart_of(uow, kpi_code, unit_code)
        annotations = dashboard_store.chart_annotations(uow, kpi_code, unit_code)
        rebases = [(month_text(row["period"]), row["reason"])
                   for row in dashboard_store.chart_rebases(uow, kpi_code, unit_code) if row["withdrawn_at"] is None]
    kpi = found["kpi"]
    title = f"{kpi.name} — {found['unit'].name}"
    notes = [(month_text(note["period"]), note["text"]) for note in annotations]
    pdsa = {month_text(note["period"]) for note in annotations if note["pdsa_ref"]}
    body = found["chart"]
    provisional = [(month["period"], month["value"]) for month in body.get("provisional", [])]
    places = decimal_places(kpi.decimal_places, kpi.unit_of_measure)
    svg = render_svg(chart_from_json(body), title=title, dates=body["periods_of_points"], annotations=notes,
                     rebases=rebases, pdsa_months=pdsa, provisional=provisional, decimal_places=places)
    response = Response(svg, mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "no-cache"
    drawn = zlib.crc32(repr((title, notes, rebases, places)).encode())
    response.set_etag(f"{found['computed_at'].isoformat()}.{drawn:08x}")
    return response.make_conditional(request)


def _chart_of(uow: Any, kpi_code: str, unit_code: str) -> dict[str, Any]:
    kpi = _found(store.kpi(uow, kpi_code), f"KPI {kpi_code}")
    unit = _found(store.unit(uow, unit_code), f"unit {unit_code}")
    row = _found(dashboard_store.chart(uow, kpi_code, unit_code), f"a chart of {kpi_code} for {unit_code}")
    return {**row, "chart": expanded(row["chart"]), "kpi": kpi, "unit": unit}


def _with_months(body: dict[str, Any]) -> dict[str, Any]:
    """The stored chart with each point's month and each period's first month alongside the indexes."""
    months = body["periods_of_points"]
    return {
        **body,
        "points": [{**point, "period": months[point["x"]]} for point in body["points"]],
        "periods": [{**period, "start_period": months[period["start"]]} for period in body["periods"]],
    }


def chart_csv(points: list[dict[str, Any]], annotations: list[dict[str, Any]]) -> str:
    """An XmR chart's points (each with its month) as CSV_COLUMNS."""
    rows = ((point["period"], (point["y"], point["mean_col"], point["lpl"], point["upl"], point["point_type"],
                               point["special_cause_type"], point["target"])) for point in points)
    return _csv(CSV_COLUMNS, rows, annotations)


def run_chart_csv(body: dict[str, Any], annotations: list[dict[str, Any]]) -> str:
    """A stored run chart as RUN_CSV_COLUMNS: each month's value beside the median."""
    rows = ((month, (value, body["cl"])) for month, value in zip(body["periods_of_points"], body["values"],
                                                                  strict=True))
    return _csv(RUN_CSV_COLUMNS, rows, annotations)


def _csv(columns: tuple[str, ...], rows: Iterable[tuple[str, tuple[Any, ...]]], annotations: list[dict[str, Any]]
         ) -> str:
    """A header, then per (month, cells) row the month, the cells and the month's annotations."""
    notes: dict[str, list[str]] = {}
    for note in annotations:
        notes.setdefault(month_text(note["period"]), []).append(note["text"])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for month, cells in rows:
        writer.writerow(_safe_cell(cell) for cell in (month, *cells, "; ".join(notes.get(month, []))))
    return out.getvalue()


def _safe_cell(cell: Any) -> Any:
    """Numbers as they are; text a spreadsheet would run as a formula, behind a single quote."""
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS) and not _is_number(cell):
        return "'" + cell
    return cell


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _found(row: Any, what: str) -> Any:
    if not row:
        raise NotFound(f"{what} not found")
    return row
