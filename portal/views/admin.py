"""Admin: the KPI catalogue, the organisation's units, the audit trail of every service and the
outbound email log (admins only)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request

from portal.auth import requires_role
from portal.backend import ServiceError, backend
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
