"""Admin: the KPI catalogue, the organisation's units, the audit trail of every service and the
outbound email log (admins only)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectMultipleField

from portal.auth import requires_role
from portal.backend import ServiceError, backend
from portal.views.projects import CQC, options
from shared.platform import service_names

blueprint = Blueprint("admin", __name__, url_prefix="/admin")


@blueprint.route("/")
@requires_role("admin")
def index() -> str:
    return render_template("admin/index.html")


@blueprint.route("/kpis")
@requires_role("admin")
def kpis() -> str:
    return render_template("admin/kpis.html", kpis=backend().all_items("metrics", "/api/v1/kpis"))


KPI_CHANGED_ELSEWHERE = ("Someone else changed this KPI since you opened it. Your change was not saved: "
                         "here is the KPI as it is now.")


class KpiForm(FlaskForm):
    """What an admin edits of a KPI here: the CQC key questions it serves."""

    version = HiddenField()
    cqc = SelectMultipleField("CQC key questions", choices=options(CQC))


@blueprint.route("/kpis/<code>", methods=["GET", "POST"])
@requires_role("admin")
def kpi(code: str) -> Any:
    """Edit a KPI's CQC key questions (sent with the version read: someone else's change first is a 412)."""
    found = backend().get("metrics", f"/api/v1/kpis/{code}")
    form = KpiForm()
    if request.method == "GET":
        form.cqc.data, form.version.data = found.get("cqc") or [], str(found["version"])
    elif form.validate_on_submit():
        version = form.version.data
        try:
            backend().patch("metrics", f"/api/v1/kpis/{code}", {"cqc": form.cqc.data or []},
                            if_match=int(version) if version and version.isdigit() else None)
        except ServiceError as exc:
            if exc.status == 412:
                flash(KPI_CHANGED_ELSEWHERE, "error")
                return redirect(url_for("admin.kpi", code=code))
            if exc.status not in (400, 422):
                raise
            form.cqc.errors = [*form.cqc.errors, *(exc.field_errors() or {"cqc": exc.detail}).values()]
        else:
            flash(f"The CQC key questions of {found['name']} are saved.")
            return redirect(url_for("admin.kpis"))
    return render_template("admin/kpi.html", kpi=found, form=form), 400 if request.method == "POST" else 200


@blueprint.route("/units")
@requires_role("admin")
def units() -> str:
    units = backend().all_items("metrics", "/api/v1/units")
    return render_template("admin/units.html", tree=_tree(units))


AUDIT_FILTERS = ("resource_type", "resource_id", "actor", "operation")
AUDIT_PAGE_SIZE = 50


@blueprint.route("/audit")
@requires_role("admin")
def audit() -> str:
    """One service's audit trail, newest first, filtered as its API allows (exact values)."""
    services = service_names()
    asked = request.args.get("service", "")
    service = asked if asked in services else "stories"
    filters = audit_filters(request.args)
    problem = None
    try:
        found = backend().get(service, "/api/v1/audit", page_size=AUDIT_PAGE_SIZE,
                              cursor=request.args.get("cursor") or None, **filters)
    except ServiceError as exc:
        if exc.status != 400:
            raise
        found, problem = {"items": [], "total": 0, "total_is_exact": True, "next": None, "previous": None}, exc.detail
    return render_template("admin/audit.html", services=services, service=service, filters=filters, page=found,
                           problem=problem)


EMAIL_STATUSES = {"failed": "Refused by the mail server", "bounced": "Bounced later", "sent": "Sent",
                  "pending": "Waiting to be sent", "": "All"}
EMAILS_PAGE_SIZE = 50


@blueprint.route("/emails")
@requires_role("admin")
def emails() -> str:
    """The outbound email log, newest first: by default the emails that did not arrive, refused by
    the SMTP server when sent, then those reported later as bounced (or all, or by status)."""
    asked = request.args.get("status", "failed")
    status = asked if asked in EMAIL_STATUSES else "failed"
    found = backend().get("notifications", "/api/v1/emails", page_size=EMAILS_PAGE_SIZE, status=status or None,
                          cursor=request.args.get("cursor") or None)
    return render_template("admin/emails.html", statuses=EMAIL_STATUSES, status=status, page=found)


def audit_filters(args: Any) -> dict[str, str]:
    """The filters asked for, trimmed; empty ones left out (the service takes 1 to 200 characters)."""
    return {name: args.get(name, "").strip()[:200] for name in AUDIT_FILTERS if args.get(name, "").strip()}


def _tree(units: list[dict[str, Any]]) -> list[tuple[int, dict[str, Any]]]:
    """The units in hierarchy order, each with its depth (the trust at 0)."""
    children: dict[str | None, list[dict[str, Any]]] = {}
    for unit in units:
        children.setdefault(unit.get("parent_code"), []).append(unit)
    codes = {unit["code"] for unit in units}
    roots = [unit for unit in units if unit.get("parent_code") not in codes]
    ordered: list[tuple[int, dict[str, Any]]] = []

    def walk(unit: dict[str, Any], depth: int) -> None:
        ordered.append((depth, unit))
        for child in sorted(children.get(unit["code"], []), key=lambda u: u["code"]):
            walk(child, depth + 1)

    for root in sorted(roots, key=lambda u: u["code"]):
        walk(root, 0)
    return ordered
