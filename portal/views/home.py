"""Home: KPI highlights (the trust's special causes) and the signed-in person's work."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template

from portal import mdc
from portal.auth import current_user
from portal.backend import backend

blueprint = Blueprint("home", __name__)
TRUST = "TRUST"


@blueprint.route("/")
def index() -> str:
    user = current_user()
    if user is None:
        return render_template("welcome.html", public_stories=current_app.extensions["portal_settings"].public_stories)
    rows = backend().all_items("metrics", "/api/v1/dashboards/kpis", directorate=TRUST)
    highlights = [row for row in rows if mdc.is_special_cause(row.get("point_type"))]
    bookings = backend().get("training", "/api/v1/me/enrolments", page_size=1)["total"]
    return render_template("home.html", highlights=highlights, my_kpis=_kpis_owned(user.email), bookings=bookings)


def _kpis_owned(email: str) -> list[dict[str, Any]]:
    if not email:
        return []
    kpis = backend().all_items("metrics", "/api/v1/kpis")
    return [kpi for kpi in kpis if email in (kpi.get("owners") or [])]
