"""Before the board pack: each month's board pack date, the feeds it is still missing and the rows
the feeds sent that were not accepted; admins set a month's date and the data sources' owners."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import Optional, Regexp

from portal.auth import current_user, requires_role
from portal.backend import ServiceError, backend

blueprint = Blueprint("board_packs", __name__, url_prefix="/kpis/board-packs")
admin_blueprint = Blueprint("data_sources", __name__, url_prefix="/admin/data-sources")
MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"


class BoardPackDateForm(FlaskForm):
    due_on = StringField("Board pack date", validators=[Optional(), Regexp(
        r"^\d{1,2}/\d{1,2}/\d{4}$", message="Enter the date as day/month/year, for example 16/12/2026")])


class OwnersForm(FlaskForm):
    version = HiddenField()
    owners = TextAreaField("Owners' email addresses")


@blueprint.route("/")
def index() -> str:
    packs = backend().get("metrics", "/api/v1/board-packs", page_size=24, months=12)
    return render_template("board_packs/index.html", packs=packs["items"])


@blueprint.route("/<month>", methods=["GET", "POST"])
def month(month: str) -> Any:
    if not re.match(MONTH_PATTERN, month):
        return render_template("error.html", status=404, detail=None), 404
    user = current_user()
    is_admin = bool(user and "admin" in user.roles)
    form = BoardPackDateForm()
    if request.method == "POST":
        if not is_admin:
            return render_template("error.html", status=403, detail=None), 403
        if form.validate_on_submit():
            sent = _set_date(month, form)
            if sent:
                return redirect(url_for("board_packs.month", month=month))
    missing = backend().get("metrics", f"/api/v1/board-packs/{month}/missing-feeds", page_size=200)
    rows_not_accepted = None
    if user and user.has_any("kpi_owner"):
        rows_not_accepted = backend().get("metrics", "/api/v1/feed-dead-letters", page_size=50)
    return render_template("board_packs/month.html", month=month, pack=missing["board_pack"], missing=missing,
                           rows_not_accepted=rows_not_accepted, form=form, is_admin=is_admin), \
        400 if request.method == "POST" else 200


def _set_date(month: str, form: BoardPackDateForm) -> bool:
    due_on = None
    if form.due_on.data:
        day, month_number, year = (int(part) for part in form.due_on.data.split("/"))
        due_on = f"{year:04d}-{month_number:02d}-{day:02d}"
    try:
        backend().call("PUT", "metrics", f"/api/v1/board-packs/{month}", body={"due_on": due_on})
    except ServiceError as exc:
        if exc.status not in (400, 422):
            raise
        form.due_on.errors = [*form.due_on.errors, *(exc.field_errors() or {"due_on": exc.detail}).values()]
        return False
    flash("The board pack's date is saved." if due_on else "The board pack's date follows the rule again.")
    return True


@admin_blueprint.route("/")
@requires_role("admin")
def data_sources() -> str:
    found = backend().all_items("metrics", "/api/v1/data-sources")
    return render_template("board_packs/data_sources.html", sources=found)


@admin_blueprint.route("/<path:name>", methods=["GET", "POST"])
@requires_role("admin")
def data_source(name: str) -> Any:
    found = next((row for row in backend().all_items("metrics", "/api/v1/data-sources") if row["name"] == name), None)
    if found is None:
        return render_template("error.html", status=404, detail=None), 404
    form = OwnersForm()
    if request.method == "GET":
        form.owners.data, form.version.data = "\n".join(found["owners"]), str(found["version"])
    elif form.validate_on_submit():
        owners = [line.strip() for line in (form.owners.data or "").replace(",", "\n").splitlines() if line.strip()]
        version = form.version.data
        try:
            backend().call("PUT", "metrics", f"/api/v1/data-sources/{quote(name, safe='')}", body={"owners": owners},
                           if_match=int(version) if version and version.isdigit() and int(version) else None)
        except ServiceError as exc:
            if exc.status == 412:
                flash("Someone else changed this data source's owners since you opened it. Your change was not "
                      "saved: here they are as they are now.", "error")
                return redirect(url_for("data_sources.data_source", name=name))
            if exc.status not in (400, 422):
                raise
            form.owners.errors = [*form.owners.errors, "Enter email addresses, one a line, for example "
                                                       "theatre.systems@hospital.example"]
        else:
            flash(f"The owners of {name} are saved.")
            return redirect(url_for("data_sources.data_sources"))
    return render_template("board_packs/data_source.html", source=found, form=form), \
        400 if request.method == "POST" else 200
