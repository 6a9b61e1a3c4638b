"""Signals: the list (by state, KPI or unit, or those told to a project's team) and one signal's
page, where its KPI's owners, QI leads and admins acknowledge, explain, plan action and close it."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from portal.auth import current_user
from portal.backend import ServiceError, backend

blueprint = Blueprint("signals", __name__, url_prefix="/signals")
MONTH = Regexp(r"^\d{4}-(0[1-9]|1[0-2])$", message="Enter the month as YYYY-MM, for example 2026-03")
STATES = {"open": "Open", "acknowledged": "Acknowledged", "explained": "Explained",
          "action_planned": "Action planned", "closed": "Closed"}


class AcknowledgeForm(FlaskForm):
    note = TextAreaField("Note (optional)", validators=[Optional(), Length(max=2000)])


class ExplainForm(FlaskForm):
    cause = TextAreaField("The known cause", validators=[DataRequired("Enter the cause"), Length(min=3, max=2000)])
    pdsa_cycle_id = SelectField("PDSA cycle that explains it (optional)", validate_choice=False)
    project_id = SelectField("QI project (optional)", validate_choice=False)


class PlanForm(FlaskForm):
    action = TextAreaField("What will be done", validators=[DataRequired("Enter the action"), Length(min=3, max=2000)])
    project_id = SelectField("The QI project doing it", validate_choice=False,
                             validators=[DataRequired("Choose the project")])


class CloseForm(FlaskForm):
    closed_as = RadioField("Why it closes", choices=[
        ("returned_to_common_cause", "The chart has returned to common cause variation"),
        ("rebased", "The process changed: rebase the chart")],
        validators=[DataRequired("Choose why it closes")])
    reason = TextAreaField("Reason", validators=[DataRequired("Enter the reason"), Length(min=3, max=2000)])
    rebase_from = StringField("Rebase from (for a rebase; optional)", validators=[Optional(), MONTH])


@blueprint.route("/")
def index() -> str:
    state = request.args.get("state") or None
    if state not in STATES:
        state = None
    project = request.args.get("project") or None
    query = {"state": state, "kpi": request.args.get("kpi") or None, "unit": request.args.get("unit") or None}
    if project:
        found = backend().get("metrics", f"/api/v1/projects/{project}/signals", page_size=50,
                              cursor=request.args.get("cursor"))
    else:
        found = backend().get("metrics", "/api/v1/signals", page_size=50, cursor=request.args.get("cursor"), **query)
    others: dict[str, Any] = {k: v for k, v in query.items() if v and k != "state"}
    filters = [("", "All", url_for("signals.index", **others)),
               *[(code, label, url_for("signals.index", state=code, **others)) for code, label in STATES.items()]]
    return render_template("signals/index.html", page=found, states=STATES, state=state, project=project,
                           query={k: v for k, v in query.items() if v}, filters=filters)


FORMS: dict[str, tuple[str, type[FlaskForm]]] = {
    "acknowledge": ("acknowledgement", AcknowledgeForm), "explain": ("explanation", ExplainForm),
    "plan": ("action-plan", PlanForm), "close": ("closure", CloseForm)}
DONE = {"acknowledge": "You acknowledged the signal.", "explain": "The explanation was recorded.",
        "plan": "The action plan was recorded.", "close": "The signal was closed."}


@blueprint.route("/<int:signal_id>", methods=["GET", "POST"])
def signal(signal_id: int) -> Any:
    found = backend().get("metrics", f"/api/v1/signals/{signal_id}")
    forms = {step: form(prefix=step) for step, (_, form) in FORMS.items()}
    _choices(forms, found)
    may_act = _may_act(found)
    if request.method == "POST":
        if not may_act:
            return render_template("error.html", status=403, detail=None), 403
        step = request.form.get("step", "")
        if step in FORMS and forms[step].validate_on_submit():
            done = _send(signal_id, step, forms[step], request.form.get("version"))
            if done:
                flash(DONE[step])
                return redirect(url_for("signals.signal", signal_id=signal_id))
    history = backend().get("metrics", f"/api/v1/signals/{signal_id}/history", page_size=200)["items"]
    return render_template("signals/signal.html", signal=found, history=history, forms=forms, may_act=may_act,
                           states=STATES)


def _choices(forms: dict[str, FlaskForm], found: dict[str, Any]) -> None:
    projects = [(p["project_id"], f"{p['title']} ({p['stage']})") for p in found["linkable_projects"]]
    cycles = [(c["cycle_id"], f"{c['period']}: {c['text']}") for c in found["pdsa_cycles"]]
    forms["explain"].pdsa_cycle_id.choices = [("", "None"), *cycles]
    forms["explain"].project_id.choices = [("", "None"), *projects]
    forms["plan"].project_id.choices = [("", "Choose a project"), *projects]


def _body(step: str, form: Any) -> dict[str, Any]:
    if step == "acknowledge":
        return {"note": form.note.data or None}
    if step == "explain":
        return {"cause": form.cause.data, "pdsa_cycle_id": form.pdsa_cycle_id.data or None,
                "project_id": form.project_id.data or None}
    if step == "plan":
        return {"action": form.action.data, "project_id": form.project_id.data}
    return {"closed_as": form.closed_as.data, "reason": form.reason.data, "rebase_from": form.rebase_from.data or None}


def _send(signal_id: int, step: str, form: Any, version: str | None) -> bool:
    """Send the step; False when the form is to be shown again with the service's objection."""
    path, _ = FORMS[step]
    try:
        backend().post("metrics", f"/api/v1/signals/{signal_id}/{path}", _body(step, form),
                       if_match=version if version and version.isdigit() else None)
    except ServiceError as exc:
        if exc.status in (400, 409, 412, 422):
            first = next(iter(form))
            for name, message in (exc.field_errors() or {first.name: exc.detail}).items():
                field = getattr(form, name, None) or first
                field.errors = [*field.errors, message]
            return False
        raise
    return True


def _may_act(found: dict[str, Any]) -> bool:
    """Owners of the signal's KPI, QI leads and admins see the forms (the service decides again)."""
    user = current_user()
    if user is None:
        return False
    if user.has_any("admin", "qi_lead"):
        return True
    kpi = backend().get("metrics", f"/api/v1/kpis/{found['kpi_code']}")
    return bool(user.email) and user.email in (kpi.get("owners") or [])
