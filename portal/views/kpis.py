"""KPIs: a unit's summary matrix, a unit's units compared, and a KPI's chart with its data, notes,
rebases and CSV; its owners (and admins) annotate and rebase it. The board's views of a unit are in
``portal.views.board``."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from portal.auth import current_user
from portal.backend import ServiceError, backend
from portal.charts import chart_of, table_rows
from portal.views.projects import CQC

blueprint = Blueprint("kpis", __name__, url_prefix="/kpis")
ROWS_PER_PAGE = 25
MONTH = Regexp(r"^\d{4}-(0[1-9]|1[0-2])$", message="Enter the month as YYYY-MM, for example 2026-03")


class AnnotationForm(FlaskForm):
    period = StringField("Month", validators=[DataRequired("Enter the month"), MONTH])
    text = TextAreaField("What happened", validators=[DataRequired("Enter what happened"), Length(max=2000)])
    pdsa_ref = StringField("PDSA cycle (optional)", validators=[Optional(), Length(max=200)])


class RebaseForm(FlaskForm):
    period = StringField("First month of the new period", validators=[DataRequired("Enter the month"), MONTH])
    reason = TextAreaField("Why the process changed", validators=[DataRequired("Enter why"), Length(min=3, max=2000)])


@blueprint.route("/")
def index() -> str:
    units = backend().all_items("metrics", "/api/v1/units")
    chosen = request.args.get("unit") or "TRUST"
    cqc = chosen_cqc()
    matrix = backend().get("metrics", f"/api/v1/dashboards/units/{chosen}/kpis", page_size=200, cqc=cqc)
    has_units_below = any(unit.get("parent_code") == chosen for unit in units)
    return render_template("kpis/index.html", units=units, chosen=chosen, matrix=matrix,
                           has_units_below=has_units_below, cqc_options=CQC, chosen_cqc=cqc)


def chosen_cqc() -> str | None:
    """The CQC key question the page is filtered by: one of the five, else none."""
    asked = request.args.get("cqc") or None
    return asked if asked in dict(CQC) else None


@blueprint.route("/units/<unit_code>/compare")
def compare(unit_code: str) -> str:
    """The units straight below a directorate (or division, or the trust) as rows, a column per KPI
    (serving the chosen CQC key question, when one is), a page of rows at a time."""
    cqc = chosen_cqc()
    matrix = backend().get("metrics", f"/api/v1/dashboards/units/{unit_code}/units", page_size=ROWS_PER_PAGE,
                           cursor=request.args.get("cursor") or None, cqc=cqc)
    cells = {(row["code"], cell["kpi_code"]): cell for row in matrix["items"] for cell in row["cells"]}
    return render_template("kpis/compare.html", matrix=matrix, unit=matrix["unit"], cells=cells, cqc_options=CQC,
                           chosen_cqc=cqc)


@blueprint.route("/<kpi_code>/units/<unit_code>", methods=["GET", "POST"])
def chart(kpi_code: str, unit_code: str) -> Any:
    annotation, rebase = AnnotationForm(prefix="note"), RebaseForm(prefix="rebase")
    may_edit = _may_edit(kpi_code)
    if request.method == "POST":
        if not may_edit:
            return render_template("error.html", status=403, detail=None), 403
        posted = _post_change(kpi_code, unit_code, annotation, rebase)
        if posted is not None:
            return posted
    found, svg = chart_of(kpi_code, unit_code)
    return render_template("kpis/chart.html", chart=found, svg=svg, may_edit=may_edit, annotation=annotation,
                           rebase=rebase, rows=table_rows(found))


def _post_change(kpi_code: str, unit_code: str, annotation: AnnotationForm, rebase: RebaseForm) -> Any:
    """Send the submitted form's change; None when the form is to be shown again with its errors."""
    path = f"/api/v1/kpis/{kpi_code}/units/{unit_code}"
    if "note-text" in request.form:
        form, body, what = annotation, lambda: {"period": annotation.period.data, "text": annotation.text.data,
                                                 "pdsa_ref": annotation.pdsa_ref.data or None}, "annotations"
    else:
        form, body, what = rebase, lambda: {"period": rebase.period.data, "reason": rebase.reason.data}, "rebases"
    if not form.validate_on_submit():
        return None
    try:
        backend().post("metrics", f"{path}/{what}", body())
    except ServiceError as exc:
        if exc.status in (400, 409, 422):
            for name, message in (exc.field_errors() or {"period": exc.detail}).items():
                field = getattr(form, name, None) or form.period
                field.errors = [*field.errors, message]
            return None
        raise
    flash("Your note was added to the chart." if what == "annotations" else "The chart was rebased.")
    return redirect(url_for("kpis.chart", kpi_code=kpi_code, unit_code=unit_code))


@blueprint.route("/<kpi_code>/units/<unit_code>/chart.csv")
def chart_csv(kpi_code: str, unit_code: str) -> Response:
    found = backend().call("GET", "metrics", f"/api/v1/kpis/{kpi_code}/units/{unit_code}/chart.csv")
    return Response(found.content, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{kpi_code}-{unit_code}-chart.csv"'})


def _may_edit(kpi_code: str) -> bool:
    user = current_user()
    if user is None:
        return False
    if "admin" in user.roles:
        return True
    if "kpi_owner" not in user.roles:
        return False
    kpi = backend().get("metrics", f"/api/v1/kpis/{kpi_code}")
    return user.email in (kpi.get("owners") or [])
