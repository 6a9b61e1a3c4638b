"""Projects: the register of QI projects, a project's page (aim, team, approval, driver diagram, PDSA
log, its measures' charts with the cycles marked, progress) and the forms that move it along.

Every change is the projects service's to allow: the page shows a form to those the service lets
do it (QI leads; the project's lead or coach to edit; its lead to move it; its team to plan cycles
and draw the diagram), and each change sends the version the person read, so a change made by
someone else in between is told, not overwritten.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import UUID

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import DecimalField, FloatField, HiddenField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from portal.auth import User, current_user, requires_role
from portal.backend import ServiceError, backend
from portal.charts import chart_of, table_rows

blueprint = Blueprint("projects", __name__, url_prefix="/projects")

STAGES = ("submitted", "approved", "active", "completed", "stopped")
ENDED = ("completed", "stopped")
CQC = (("safe", "Safe"), ("effective", "Effective"), ("caring", "Caring"), ("responsive", "Responsive"),
       ("well-led", "Well-led"))
NODE_KINDS = (("primary", "Primary driver"), ("secondary", "Secondary driver"), ("change_idea", "Change idea"))
PARENT_KIND = {"secondary": "primary", "change_idea": "secondary"}
MEASURE_KINDS = (("outcome", "Outcome"), ("process", "Process"), ("balancing", "Balancing"))
DECISIONS = (("adopt", "Adopt"), ("adapt", "Adapt"), ("abandon", "Abandon"))
PAGE_SIZE = 20


def options(pairs: Any) -> list[SelectChoice]:
    """(value, label) pairs as a select's choices."""
    return [SelectChoice(str(value), label) for value, label in pairs]
CHANGED_ELSEWHERE = ("Someone else changed this project since you opened it. Your change was not saved: "
                     "check the project as it is now and try again.")


def day_of(text: str) -> date:
    """A day written day/month/year ("15/1/2027"); ValueError when it is not a real day."""
    day, month, year = (int(part) for part in text.strip().split("/"))
    return date(year, month, day)


def a_day(form: FlaskForm, field: StringField) -> None:
    if field.data:
        try:
            day_of(field.data)
        except ValueError:
            raise ValidationError("Enter a real date as day/month/year, for example 15/01/2027") from None


# -- forms --------------------------------------------------------------------------------------------

class ProjectForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired("Enter the project's title"), Length(max=200)])
    directorate = SelectField("Directorate", validators=[DataRequired("Choose the directorate")])
    unit_code = SelectField("Ward or theatre (optional)", validators=[Optional()])
    cqc = SelectMultipleField("CQC key questions", choices=options(CQC),
                              validators=[DataRequired("Choose at least one CQC key question")])
    aim = TextAreaField("Aim: what will improve", validators=[DataRequired("Enter the aim"), Length(max=4000)])
    aim_measure = StringField("Measure: how you will know", validators=[DataRequired("Enter the measure"),
                                                                         Length(max=200)])
    aim_baseline = FloatField("Baseline: where it is now", validators=[InputRequired("Enter the baseline as a number")])
    aim_target = FloatField("Target: where it will be", validators=[InputRequired("Enter the target as a number")])
    aim_by = StringField("By when", validators=[DataRequired("Enter the date"), a_day])
    version = HiddenField()

    def with_places(self, units: list[dict[str, Any]]) -> ProjectForm:
        directorates = [u for u in units if u.get("level") == "directorate"]
        places = [u for u in units if u.get("level") in ("ward", "theatre")]
        self.directorate.choices = options([("", "Choose a directorate")]
                                           + [(u["code"], u["name"]) for u in directorates])
        self.unit_code.choices = options([("", "None")] + [(u["code"], u["name"]) for u in places])
        return self

    def validate_aim_target(self, field: FloatField) -> None:
        if field.data is not None and field.data == self.aim_baseline.data:
            raise ValidationError("Enter a target that differs from the baseline: an aim says by how much")

    def fields_for_the_service(self) -> dict[str, Any]:
        return {"title": self.title.data, "directorate": self.directorate.data,
                "unit_code": self.unit_code.data or None, "cqc": self.cqc.data, "aim": {
                    "statement": self.aim.data, "measure": self.aim_measure.data, "baseline": self.aim_baseline.data,
                    "target": self.aim_target.data, "by": day_of(self.aim_by.data).isoformat()}}

    def fill_from(self, project: dict[str, Any]) -> None:
        aim = project["aim"]
        self.title.data, self.directorate.data = project["title"], project["directorate"]
        self.unit_code.data, self.cqc.data = project.get("unit_code") or "", project["cqc"]
        self.aim.data, self.aim_measure.data = aim.get("statement"), aim.get("measure")
        self.aim_baseline.data, self.aim_target.data = aim.get("baseline"), aim.get("target")
        self.aim_by.data = _dmy(aim.get("by"))
        self.version.data = str(project["version"])


class ApprovalForm(FlaskForm):
    version = HiddenField()
    note = TextAreaField("The QI forum's decision", validators=[DataRequired("Enter the QI forum's decision"),
                                                               Length(max=4000)])


class StopForm(FlaskForm):
    version = HiddenField()
    reason = TextAreaField("Why it stops", validators=[DataRequired("Enter why the project stops"), Length(max=4000)])


class CompletionForm(FlaskForm):
    version = HiddenField()
    results = TextAreaField("Results", validators=[DataRequired("Enter the results"), Length(max=4000)])
    learning = TextAreaField("Learning", validators=[DataRequired("Enter what was learned"), Length(max=4000)])


class StartForm(FlaskForm):
    version = HiddenField()


class NodeForm(FlaskForm):
    version = HiddenField()
    kind = SelectField("What it is", choices=options(NODE_KINDS))
    title = StringField("Title", validators=[DataRequired("Enter the title"), Length(max=200)])
    parent_id = SelectField("Under", validators=[Optional()])

    def validate_parent_id(self, field: SelectField) -> None:
        if self.kind.data in PARENT_KIND and not field.data:
            raise ValidationError(f"Choose the {PARENT_KIND[self.kind.data].replace('_', ' ')} driver it hangs from")


class MeasureForm(FlaskForm):
    kind = SelectField("Kind of measure", choices=options(MEASURE_KINDS))
    name = StringField("Name", validators=[DataRequired("Enter the measure's name"), Length(max=200)])
    series = SelectField("The KPI and unit it charts", validators=[DataRequired("Choose a KPI and unit")])


class PlanForm(FlaskForm):
    change_idea_id = SelectField("Change idea it tests", validators=[DataRequired("Choose the change idea")])
    title = StringField("Title", validators=[DataRequired("Enter the cycle's title"), Length(max=200)])
    question = TextAreaField("Question: what do you want to find out", validators=[
        DataRequired("Enter the question"), Length(max=4000)])
    prediction = TextAreaField("Prediction: what you think will happen", validators=[
        DataRequired("Enter the prediction"), Length(max=4000)])
    who = StringField("Who", validators=[DataRequired("Enter who"), Length(max=200)])
    where = StringField("Where", validators=[DataRequired("Enter where"), Length(max=200)])
    planned_start = StringField("Planned start", validators=[DataRequired("Enter the date"), a_day])


class CycleStartForm(FlaskForm):
    version = HiddenField()
    started_on = StringField("Started on", validators=[DataRequired("Enter the date"), a_day])


class CycleCompletionForm(FlaskForm):
    version = HiddenField()
    ended_on = StringField("Ended on", validators=[DataRequired("Enter the date"), a_day])
    do = TextAreaField("Do: what happened", validators=[DataRequired("Enter what happened"), Length(max=4000)])
    study = TextAreaField("Study: the result against the prediction", validators=[
        DataRequired("Enter the result"), Length(max=4000)])
    decision = SelectField("Decision", choices=options(DECISIONS))
    act = TextAreaField("Act: what next", validators=[DataRequired("Enter what next"), Length(max=4000)])


class ScoreForm(FlaskForm):
    score = DecimalField("Progress score", places=1, validators=[
        InputRequired("Enter a score from 0.5 to 5"), NumberRange(0.5, 5, "Enter a score from 0.5 to 5")])
    note = TextAreaField("Why (optional)", validators=[Optional(), Length(max=4000)])

    def validate_score(self, field: DecimalField) -> None:
        if field.data is not None and (field.data * 2) % 1:
            raise ValidationError("Enter a score in steps of 0.5, for example 2.5")


# -- the register ---------------------------------------------------------------------------------------

@blueprint.route("/")
def index() -> str:
    chosen = {name: request.args.get(name) or None for name in ("directorate", "stage", "cqc", "q")}
    if chosen["stage"] not in (None, *STAGES):
        chosen["stage"] = None
    if chosen["cqc"] not in (None, *dict(CQC)):
        chosen["cqc"] = None
    found = backend().get("projects", "/api/v1/projects", page_size=PAGE_SIZE,
                          cursor=request.args.get("cursor") or None, **chosen)
    units = backend().all_items("metrics", "/api/v1/units")
    user = current_user()
    return render_template("projects/index.html", page=found, chosen=chosen, stages=STAGES, cqc=CQC,
                           filters={name: value for name, value in chosen.items() if value},
                           directorates=[u for u in units if u.get("level") == "directorate"],
                           unit_names={u["code"]: u["name"] for u in units},
                           may_register=bool(user and user.has_any("staff", "qi_lead")))


# -- registering and editing -------------------------------------------------------------------------------

@blueprint.route("/new", methods=["GET", "POST"])
@requires_role("staff", "qi_lead")
def register() -> Any:
    """Register a project: the person registering it leads it."""
    user = _user()
    form = ProjectForm().with_places(backend().all_items("metrics", "/api/v1/units"))
    if form.validate_on_submit():
        body = {**form.fields_for_the_service(),
                "team": [{"subject": user.sub, "name": user.name, "email": user.email, "role": "lead"}]}
        created = _send(form, lambda: backend().post("projects", "/api/v1/projects", body))
        if created is not None:
            flash("Your project is registered. A QI lead will take it to the directorate's QI forum for approval.")
            return redirect(url_for("projects.project", project_id=created["id"]))
    return render_template("projects/form.html", form=form, project=None), 400 if request.method == "POST" else 200


@blueprint.route("/<uuid:project_id>/edit", methods=["GET", "POST"])
def edit(project_id: UUID) -> Any:
    found = backend().get("projects", f"/api/v1/projects/{project_id}")
    if not may(_user(), found)["edit"]:
        return render_template("error.html", status=403, detail=None), 403
    form = ProjectForm().with_places(backend().all_items("metrics", "/api/v1/units"))
    if request.method == "GET":
        form.fill_from(found)
    elif form.validate_on_submit():
        changed = _send(form, lambda: backend().patch("projects", f"/api/v1/projects/{project_id}",
                                                      form.fields_for_the_service(),
                                                      if_match=_version(form)))
        if changed is not None:
            flash("Your changes are saved.")
            return redirect(url_for("projects.project", project_id=project_id))
    return render_template("projects/form.html", form=form, project=found), 400 if request.method == "POST" else 200


# -- a project's page ------------------------------------------------------------------------------------

@blueprint.route("/<uuid:project_id>")
def project(project_id: UUID) -> str:
    return _project_page(project_id)


def _project_page(project_id: UUID, **forms: Any) -> str:
    path = f"/api/v1/projects/{project_id}"
    found = backend().get("projects", path)
    tree = backend().get("projects", path + "/driver-diagram")
    allowed = may(_user(), found)
    cycle_marks = cycle_starts(found["pdsa_cycles"])
    unit_names = _unit_names([found["directorate"], found.get("unit_code"),
                              *(measure["unit_code"] for measure in found["measures"])])
    charts = [_measure_chart(measure, cycle_marks) for measure in found["measures"]]
    page_forms = _forms(found, tree, allowed, forms)
    return render_template(
        "projects/project.html", project=found, tree=tree, unit_names=unit_names,
        diagram_svg=backend().call("GET", "projects", path + "/driver-diagram.svg").text,
        progress=backend().get("projects", path + "/progress"), charts=charts, may=allowed,
        nodes_by_id={node["id"]: node for node in flatten(tree["drivers"])}, form_of=page_forms,
        decisions=dict(DECISIONS), kinds=dict(NODE_KINDS))


def _forms(found: dict[str, Any], tree: dict[str, Any], allowed: dict[str, bool], given: dict[str, Any]
           ) -> dict[str, Any]:
    """Every form the page may show, each new unless ``given`` holds it with its errors; a cycle's
    next step (start, or study and act) is one form per cycle, in ``steps`` by cycle id."""
    forms: dict[str, Any] = {
        "approve": ApprovalForm(prefix="approve"), "stop": StopForm(prefix="stop"), "start": StartForm(prefix="start"),
        "complete": CompletionForm(prefix="complete"), "node": NodeForm(prefix="node"),
        "measure": MeasureForm(prefix="measure"), "plan": PlanForm(prefix="plan"), "score": ScoreForm(prefix="score")}
    forms.update({name: form for name, form in given.items() if name != "step"})
    for name in ("approve", "stop", "start", "complete"):
        forms[name].version.data = forms[name].version.data or str(found["version"])
    forms["node"].version.data = forms["node"].version.data or str(tree["version"])
    _node_choices(forms["node"], tree)
    _change_idea_choices(forms["plan"], tree)
    if allowed["link_measure"] and not forms["measure"].series.choices:
        forms["measure"].series.choices = _series_choices(found)
    forms["steps"] = {cycle["id"]: _step_form(cycle) for cycle in found["pdsa_cycles"]
                      if cycle["status"] in ("planned", "running")}
    if "step" in given:
        forms["steps"][given["step"][0]] = given["step"][1]
    return forms


def _step_form(cycle: dict[str, Any]) -> FlaskForm:
    """The form of a cycle's next step, its fields' ids unique to the cycle."""
    form = (CycleStartForm if cycle["status"] == "planned" else CycleCompletionForm)(prefix=_step_prefix(cycle["id"]))
    form.version.data = str(cycle["version"])
    return form


def _step_prefix(cycle_id: Any) -> str:
    return f"cycle-{str(cycle_id)[:8]}"


def _change_idea_choices(form: PlanForm, tree: dict[str, Any]) -> None:
    form.change_idea_id.choices = options([("", "Choose a change idea")] + [
        (node["id"], node["title"]) for node in flatten(tree["drivers"]) if node["kind"] == "change_idea"])


def _node_choices(form: NodeForm, tree: dict[str, Any]) -> None:
    drivers = [node for node in flatten(tree["drivers"]) if node["kind"] in ("primary", "secondary")]
    form.parent_id.choices = options([("", "Nothing: it is a primary driver")] + [
        (node["id"], f"{dict(NODE_KINDS)[node['kind']]}: {node['title']}") for node in drivers])


def _unit_names(codes: list[str | None]) -> dict[str, str]:
    """The names of the units a page names, each asked for by its code (not the whole hierarchy,
    which a trust counts in thousands); a unit metrics does not know keeps its code."""
    names = {}
    for code in dict.fromkeys(code for code in codes if code):
        try:
            names[code] = backend().get("metrics", f"/api/v1/units/{code}")["name"]
        except ServiceError:
            names[code] = code
    return names


def _series_choices(project: dict[str, Any]) -> list[tuple[str, str]]:
    """Each KPI of the catalogue on the project's own ward or theatre and on its directorate: the
    series a project measures (a list of every KPI on every unit would run to thousands)."""
    kpis = backend().all_items("metrics", "/api/v1/kpis")
    units = _unit_names([project.get("unit_code"), project["directorate"]])
    return options([("", "Choose a KPI and unit")] + [
        (f"{kpi['code']}|{code}", f"{kpi['name']} — {name}") for kpi in kpis for code, name in units.items()])


def _measure_chart(measure: dict[str, Any], marks: dict[str, list[str]]) -> dict[str, Any]:
    """A linked measure with metrics' chart of it, or none while metrics holds no value for it."""
    try:
        found, svg = chart_of(measure["kpi_code"], measure["unit_code"])
    except ServiceError as exc:
        if exc.status != 404:
            raise
        return {"measure": measure, "chart": None}
    return {"measure": measure, "chart": found, "svg": svg, "rows": table_rows(found, marks)}


def cycle_starts(cycles: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Each month a cycle started in (YYYY-MM) with the cycles started then, as "PDSA 2: title"."""
    marks: dict[str, list[str]] = {}
    for cycle in cycles:
        if cycle.get("started_on"):
            marks.setdefault(cycle["started_on"][:7], []).append(
                f"PDSA {cycle['cycle_number']}: {cycle.get('title') or 'cycle'}")
    return marks


def flatten(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The diagram's nodes, each before what hangs from it."""
    return [found for node in nodes for found in (node, *flatten(node.get("children") or []))]


def may(user: User, project: dict[str, Any]) -> dict[str, bool]:
    """What the person may do to the project, as the projects service decides it (the service checks
    again): QI leads everything; the lead moves it and confirms its score; the lead or coach edits
    it; the team draws the diagram, links measures and runs cycles; nothing once it has ended."""
    role = next((member["role"] for member in project["team"] if member["subject"] == user.sub), None)
    qi_lead = "qi_lead" in user.roles
    open_ = project["stage"] not in ENDED
    stage = project["stage"]
    lead = qi_lead or role == "lead"
    team = qi_lead or role in ("lead", "coach", "member")
    return {
        "edit": open_ and (qi_lead or role in ("lead", "coach")),
        "approve": qi_lead and stage == "submitted",
        "start": lead and stage == "approved",
        "complete": lead and stage == "active",
        "stop": lead and open_,
        "draw": team and open_,
        "link_measure": team and open_,
        "plan": team and stage in ("approved", "active"),
        "run": team and stage == "active",
        "score": lead and open_,
    }


# -- changes -----------------------------------------------------------------------------------------------

@blueprint.route("/<uuid:project_id>/approval", methods=["POST"])
def approve(project_id: UUID) -> Any:
    form = ApprovalForm(prefix="approve")
    return _change(project_id, form, "approve", lambda: backend().post(
        "projects", f"/api/v1/projects/{project_id}/approval", {"note": form.note.data}, if_match=_version(form)),
        "The project is approved.")


@blueprint.route("/<uuid:project_id>/start", methods=["POST"])
def start(project_id: UUID) -> Any:
    form = StartForm(prefix="start")
    return _change(project_id, form, "start", lambda: backend().post(
        "projects", f"/api/v1/projects/{project_id}/start", None, if_match=_version(form)),
        "The project has started: plan and run its PDSA cycles.")


@blueprint.route("/<uuid:project_id>/completion", methods=["POST"])
def complete(project_id: UUID) -> Any:
    form = CompletionForm(prefix="complete")
    return _change(project_id, form, "complete", lambda: backend().post(
        "projects", f"/api/v1/projects/{project_id}/completion",
        {"results": form.results.data, "learning": form.learning.data}, if_match=_version(form)),
        "The project is completed. Its team and the people who followed its idea are told.")


@blueprint.route("/<uuid:project_id>/stop", methods=["POST"])
def stop(project_id: UUID) -> Any:
    form = StopForm(prefix="stop")
    return _change(project_id, form, "stop", lambda: backend().post(
        "projects", f"/api/v1/projects/{project_id}/stop", {"reason": form.reason.data}, if_match=_version(form)),
        "The project is stopped.")


@blueprint.route("/<uuid:project_id>/driver-diagram", methods=["POST"])
def add_node(project_id: UUID) -> Any:
    form = NodeForm(prefix="node")
    _node_choices(form, backend().get("projects", f"/api/v1/projects/{project_id}/driver-diagram"))
    return _change(project_id, form, "node", lambda: backend().post(
        "projects", f"/api/v1/projects/{project_id}/driver-diagram/nodes",
        {"kind": form.kind.data, "title": form.title.data,
         "parent_id": form.parent_id.data if form.kind.data in PARENT_KIND else None}, if_match=_version(form)),
        "Added to the driver diagram.", anchor="driver-diagram")


@blueprint.route("/<uuid:project_id>/measures", methods=["POST"])
def link_measure(project_id: UUID) -> Any:
    form = MeasureForm(prefix="measure")
    form.series.choices = _series_choices(backend().get("projects", f"/api/v1/projects/{project_id}"))

    def send() -> Any:
        kpi_code, unit_code = form.series.data.split("|", 1)
        return backend().post("projects", f"/api/v1/projects/{project_id}/measures", {
            "kind": form.kind.data, "name": form.name.data, "kpi_code": kpi_code, "unit_code": unit_code})

    return _change(project_id, form, "measure", send, "The measure is linked.", anchor="measures",
                   field_names={"kpi_code": "series", "unit_code": "series"})


@blueprint.route("/<uuid:project_id>/pdsa-cycles", methods=["POST"])
def plan_cycle(project_id: UUID) -> Any:
    form = PlanForm(prefix="plan")
    _change_idea_choices(form, backend().get("projects", f"/api/v1/projects/{project_id}/driver-diagram"))
    return _change(project_id, form, "plan", lambda: backend().post(
        "projects", f"/api/v1/projects/{project_id}/pdsa-cycles", {
            "change_idea_id": form.change_idea_id.data, "title": form.title.data, "question": form.question.data,
            "prediction": form.prediction.data, "who": form.who.data, "where": form.where.data,
            "planned_start": day_of(form.planned_start.data).isoformat()}),
        "The PDSA cycle is planned.", anchor="pdsa-log")


@blueprint.route("/<uuid:project_id>/pdsa-cycles/<uuid:cycle_id>/start", methods=["POST"])
def start_cycle(project_id: UUID, cycle_id: UUID) -> Any:
    form = CycleStartForm(prefix=_step_prefix(cycle_id))
    return _change(project_id, form, ("step", str(cycle_id)), lambda: backend().post(
        "projects", f"/api/v1/projects/{project_id}/pdsa-cycles/{cycle_id}/start",
        {"started_on": day_of(form.started_on.data).isoformat()}, if_match=_version(form)),
        "The PDSA cycle is running. Its start is marked on the project's charts.", anchor="pdsa-log")


@blueprint.route("/<uuid:project_id>/pdsa-cycles/<uuid:cycle_id>/completion", methods=["POST"])
def complete_cycle(project_id: UUID, cycle_id: UUID) -> Any:
    form = CycleCompletionForm(prefix=_step_prefix(cycle_id))
    return _change(project_id, form, ("step", str(cycle_id)), lambda: backend().post(
        "projects", f"/api/v1/projects/{project_id}/pdsa-cycles/{cycle_id}/completion", {
            "ended_on": day_of(form.ended_on.data).isoformat(), "do": form.do.data, "study": form.study.data,
            "decision": form.decision.data, "act": form.act.data,
            "months": [day_of(form.ended_on.data).strftime("%Y-%m")]}, if_match=_version(form)),
        "The PDSA cycle is completed.", anchor="pdsa-log")


@blueprint.route("/<uuid:project_id>/progress-scores", methods=["POST"])
def confirm_score(project_id: UUID) -> Any:
    form = ScoreForm(prefix="score")
    return _change(project_id, form, "score", lambda: backend().post(
        "projects", f"/api/v1/projects/{project_id}/progress-scores",
        {"score": float(form.score.data), "note": form.note.data or None}),
        "The progress score is confirmed.", anchor="progress")


def _change(project_id: UUID, form: FlaskForm, name: str | tuple[str, str], send: Callable[[], Any], done: str, *,
            anchor: str | None = None, field_names: dict[str, str] | None = None) -> Any:
    """Send the form's change; on a problem show the project page again with the form open and the
    problem beside it (400), or, when someone else changed it first, say so."""
    if form.validate_on_submit() and _send(form, send, field_names) is not None:
        flash(done)
        return redirect(url_for("projects.project", project_id=project_id, _anchor=anchor))
    if isinstance(name, tuple):  # a cycle's step: which cycle, and its form
        return _project_page(project_id, step=(name[1], form)), 400
    return _project_page(project_id, **{name: form}), 400


def _send(form: FlaskForm, send: Callable[[], Any], field_names: dict[str, str] | None = None) -> Any:
    """The service's answer, or None with the problem put on the form's fields."""
    try:
        return send()
    except ServiceError as exc:
        if exc.status == 412:
            flash(CHANGED_ELSEWHERE, "error")
            return None
        if exc.status not in (400, 409, 422):
            raise
        for name, message in (exc.field_errors() or {"": exc.detail}).items():
            _error_on(form, (field_names or {}).get(name, name), message)
        return None


def _error_on(form: FlaskForm, name: str | None, message: str) -> None:
    """Put ``message`` on the field ``name`` (the aim's parts, say, as aim.target), else on the form's
    first visible field, so the error summary links to it; a form of buttons alone has it shown at
    the top of the page."""
    name = (name or "").replace("aim.statement", "aim").replace("aim.", "aim_")
    visible = [f for f in form if f.type not in ("HiddenField", "CSRFTokenField")]
    field = form._fields.get(name) if name in form._fields and name != "version" else None
    field = field or (visible[0] if visible else None)
    if field is None:
        flash(message, "error")
        return
    field.errors = [*field.errors, message]


def _version(form: FlaskForm) -> int | None:
    version = form.version.data
    return int(version) if version and str(version).isdigit() else None


def _user() -> User:
    user = current_user()
    assert user is not None  # every page of the portal needs a signed-in person
    return user


def _dmy(iso: str | None) -> str | None:
    if not iso:
        return None
    found = date.fromisoformat(iso)
    return f"{found.day:02d}/{found.month:02d}/{found.year}"

