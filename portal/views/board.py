"""The board's views of a unit: its Making Data Count summary matrix (its KPIs by variation and
assurance, with a unit chooser) and its board report for a month, a page laid out to print and the
same page as a PDF. A unit's units compared is a KPIs page (``kpis.compare``), linked from here."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for

from portal import mdc
from portal.backend import ServiceError, backend
from portal.pdf import pdf_of
from portal.views.signals import STATES

blueprint = Blueprint("board", __name__, url_prefix="/board")
REPORT_SECTIONS_PER_CALL = 50
MONTH_TEXT = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


@blueprint.route("/")
def index() -> str:
    """The chosen unit's (the trust's by default) KPIs in Making Data Count's summary matrix."""
    units = backend().all_items("metrics", "/api/v1/units")
    chosen = request.args.get("unit") or "TRUST"
    rows = backend().all_items("metrics", f"/api/v1/dashboards/units/{chosen}/kpis")
    unit = next((found for found in units if found["code"] == chosen), None) or backend().get(
        "metrics", f"/api/v1/units/{chosen}")
    return render_template("board/index.html", units=units, unit=unit, rows=rows, grid=mdc.summary_grid(rows),
                           variation_bands=mdc.VARIATION_BANDS, assurance_bands=mdc.ASSURANCE_BANDS,
                           has_units_below=any(found.get("parent_code") == chosen for found in units))


@blueprint.route("/units/<unit_code>/report")
def report(unit_code: str) -> Any:
    """A unit's board report for a month, laid out to print: a section per KPI."""
    found = _report(unit_code)
    if found is None:
        return redirect(url_for("board.report", unit_code=unit_code))
    return render_template("board/report.html", **found)


@blueprint.route("/units/<unit_code>/report.pdf")
def report_pdf(unit_code: str) -> Any:
    """The same report as a PDF, drawn from the same page with its print styles."""
    found = _report(unit_code)
    if found is None:
        return redirect(url_for("board.report", unit_code=unit_code))
    pdf = pdf_of(render_template("board/report.html", **{**found, "as_pdf": True}))
    name = f"board-report-{unit_code}-{found['month']}.pdf"
    return Response(pdf, mimetype="application/pdf", headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _report(unit_code: str) -> dict[str, Any] | None:
    """The report's sections (every page of them) and its month; None when the month asked for is not
    one metrics takes (the page then shows the default month, saying why)."""
    month = request.args.get("month") or None
    if month is not None and not MONTH_TEXT.fullmatch(month):
        flash(f"There is no report for {month}: enter the month as YYYY-MM.")
        return None
    path = f"/api/v1/dashboards/units/{unit_code}/board-report"
    try:
        first = backend().get("metrics", path, month=month, page_size=REPORT_SECTIONS_PER_CALL)
    except ServiceError as exc:
        if exc.status in (400, 422):
            flash(f"There is no report for {month}: choose a month that has begun.")
            return None
        raise
    sections, cursor = first["items"], first.get("next")
    while cursor:
        more = backend().get("metrics", path, month=first["month"], page_size=REPORT_SECTIONS_PER_CALL,
                             cursor=cursor)
        sections, cursor = sections + more["items"], more.get("next")
    return {"unit": first["unit"], "month": first["month"], "month_is_over": first["month_is_over"],
            "sections": sections, "states": STATES, "as_pdf": False}
