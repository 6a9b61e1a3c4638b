"""The projects REST API: QI projects on the Model for Improvement.

Registration and editing, the approval gate, the driver diagram (JSON and SVG), measures, PDSA
cycles planned before they run, and the progress score. Reads are open to every signed-in caller;
changes to a project are for QI leads and, where the service layer allows it, the project's team.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any
from uuid import UUID

from flask import Flask, Response, current_app

from services.projects import bootstrap
from services.projects.adapters import store
from services.projects.adapters.diagram_svg import render_diagram_svg
from services.projects.entrypoints.schemas import (
    ApprovalSchema,
    CompletionOfCycleSchema,
    CompletionSchema,
    CycleSchema,
    DiagramSchema,
    MeasureInSchema,
    MeasureSchema,
    NodeInSchema,
    NodePatchSchema,
    PlanSchema,
    ProgressSchema,
    ProjectDetailSchema,
    ProjectInSchema,
    ProjectPatchSchema,
    ProjectQuery,
    ProjectSchema,
    ScoreInSchema,
    ScoreSchema,
    StartSchema,
    StopSchema,
)
from services.projects.service_layer import cycles, diagram, handlers, measures, progress
from services.projects.service_layer.common import Caller, find_project
from shared.db import unit_of_work
from shared.pagination import PageQuery, page, page_of
from shared.web import (
    Blueprint,
    build_service_app,
    created,
    current_principal,
    if_match_version,
    requires_roles,
    requires_sign_in,
    versioned,
)

api = Blueprint("projects", __name__, url_prefix="/api/v1",
                description="QI projects: registration, approval, driver diagrams, measures, PDSA cycles, progress")
TEAM_WRITE = ("staff", "qi_lead")  # the service layer then allows QI leads, or the project's own team


def _app() -> bootstrap.Projects:
    return current_app.extensions["projects"]


def _uow() -> Any:
    return unit_of_work(_app().pool, bootstrap.SERVICE)


def _caller() -> Caller:
    principal = current_principal()
    return Caller(principal.user, principal.email, principal.name, principal.has_any(("qi_lead",)))


def _run(use_case: Callable[..., Any], *args: Any) -> Any:
    with _uow() as uow:
        return use_case(uow, *args)


def _project_path(project_id: Any) -> str:
    return f"/api/v1/projects/{project_id}"


# -- projects -----------------------------------------------------------------------------------------

@api.route("/projects", methods=["POST"])
@requires_roles(*TEAM_WRITE)
@api.arguments(ProjectInSchema)
@api.response(201, ProjectSchema)
@api.alt_response(409, description="a project already came from this idea")
def create_project(fields: dict) -> Any:
    """Register a project (stage submitted): title, directorate and unit, team, CQC key questions and
    aim. One from an idea names an idea this service knows was accepted (else 422), once (else 409)."""
    project = _run(handlers.create_project, fields, _caller())
    return created(project, _project_path(project["id"]))


@api.route("/projects", methods=["GET"])
@requires_sign_in
@api.arguments(ProjectQuery, location="query")
@api.response(200, page_of(ProjectSchema))
def list_projects(query: dict) -> Any:
    """Projects, newest first; filter by stage, directorate, CQC key question and words (q)."""
    with _uow() as uow:
        return page(uow, store.PROJECTS, query)


@api.route("/projects/<uuid:project_id>", methods=["GET"])
@requires_sign_in
@api.response(200, ProjectDetailSchema)
def get_project(project_id: UUID) -> Any:
    """One project with every stage it has been in, its measures, PDSA cycles and suggested score."""
    return versioned(_run(handlers.project_in_full, str(project_id)))


@api.route("/projects/<uuid:project_id>", methods=["PATCH"])
@requires_roles(*TEAM_WRITE)
@api.arguments(ProjectPatchSchema)
@api.response(200, ProjectSchema)
@api.alt_response(409, description="the project has ended")
@api.alt_response(412, description="If-Match names a version the project is no longer at")
def change_project(changes: dict, project_id: UUID) -> Any:
    """Edit a project until it ends (QI leads, or its lead or coach; else 403). Send If-Match."""
    return versioned(_run(handlers.change_project, str(project_id), changes, _caller(), if_match_version()))


def _move(project_id: UUID, stage: str, said: dict) -> Any:
    return versioned(_run(handlers.move_stage, str(project_id), stage, said, _caller(), if_match_version()))


@api.route("/projects/<uuid:project_id>/approval", methods=["POST"])
@requires_roles("qi_lead")
@api.arguments(ApprovalSchema)
@api.response(200, ProjectSchema)
@api.alt_response(409, description="not submitted, or its aim or lead is missing")
@api.alt_response(412, description="If-Match names a version the project is no longer at")
def approve_project(said: dict, project_id: UUID) -> Any:
    """submitted -> approved, by a QI lead, with the directorate QI forum's decision as the note."""
    return _move(project_id, "approved", said)


@api.route("/projects/<uuid:project_id>/start", methods=["POST"])
@requires_roles(*TEAM_WRITE)
@api.response(200, ProjectSchema)
@api.alt_response(409, description="not approved")
@api.alt_response(412, description="If-Match names a version the project is no longer at")
def start_project(project_id: UUID) -> Any:
    """approved -> active (QI leads or the project's lead)."""
    return _move(project_id, "active", {})


@api.route("/projects/<uuid:project_id>/completion", methods=["POST"])
@requires_roles(*TEAM_WRITE)
@api.arguments(CompletionSchema)
@api.response(200, ProjectSchema)
@api.alt_response(409, description="not active")
@api.alt_response(412, description="If-Match names a version the project is no longer at")
def complete_project(said: dict, project_id: UUID) -> Any:
    """active -> completed, with results and learning (QI leads or the project's lead); announced as
    project.completed v2 to the team and the idea's submitter and followers."""
    return _move(project_id, "completed", said)


@api.route("/projects/<uuid:project_id>/stop", methods=["POST"])
@requires_roles(*TEAM_WRITE)
@api.arguments(StopSchema)
@api.response(200, ProjectSchema)
@api.alt_response(409, description="it has already ended")
@api.alt_response(412, description="If-Match names a version the project is no longer at")
def stop_project(said: dict, project_id: UUID) -> Any:
    """Any stage before the end -> stopped, with the reason (QI leads or the project's lead)."""
    return _move(project_id, "stopped", said)


# -- driver diagram ----------------------------------------------------------------------------------

def _diagram_path(project_id: Any) -> str:
    return f"{_project_path(project_id)}/driver-diagram"


@api.route("/projects/<uuid:project_id>/driver-diagram", methods=["GET"])
@requires_sign_in
@api.response(200, DiagramSchema)
def get_diagram(project_id: UUID) -> Any:
    """The aim, primary drivers, secondary drivers and change ideas as a tree; ETag: the diagram's version."""
    return versioned(_run(diagram.diagram, str(project_id)))


@api.route("/projects/<uuid:project_id>/driver-diagram.svg", methods=["GET"])
@requires_sign_in
@api.response(200, {"type": "string"}, content_type="image/svg+xml",
              description="The driver diagram as a standalone, accessible SVG image.")
def get_diagram_svg(project_id: UUID) -> Response:
    """The same tree drawn as SVG (role="img", title and a description saying the tree in words)."""
    tree = _run(diagram.diagram, str(project_id))
    svg = render_diagram_svg(tree["title"], tree["aim"], tree["drivers"])
    return Response(svg, mimetype="image/svg+xml", headers={"ETag": f'"{tree["version"]}"'})


_DIAGRAM_ERRORS = {409: "the project has ended, or the node has nodes or cycles under it",
                   412: "If-Match names a version the diagram is no longer at"}


@api.route("/projects/<uuid:project_id>/driver-diagram/nodes", methods=["POST"])
@requires_roles(*TEAM_WRITE)
@api.arguments(NodeInSchema)
@api.response(201, DiagramSchema)
@api.alt_response(409, description=_DIAGRAM_ERRORS[409])
@api.alt_response(412, description=_DIAGRAM_ERRORS[412])
def add_node(fields: dict, project_id: UUID) -> Any:
    """Add a driver or change idea (QI leads or the team). Send If-Match with the diagram's ETag;
    answers the whole diagram (Location: the diagram)."""
    tree = _run(diagram.add_node, str(project_id), fields, _caller(), if_match_version())
    return created(tree, _diagram_path(project_id))


@api.route("/projects/<uuid:project_id>/driver-diagram/nodes/<uuid:node_id>", methods=["PATCH"])
@requires_roles(*TEAM_WRITE)
@api.arguments(NodePatchSchema)
@api.response(200, DiagramSchema)
@api.alt_response(409, description=_DIAGRAM_ERRORS[409])
@api.alt_response(412, description=_DIAGRAM_ERRORS[412])
def change_node(changes: dict, project_id: UUID, node_id: UUID) -> Any:
    """Rename and/or move a node (with what hangs from it). Send If-Match with the diagram's ETag."""
    return versioned(_run(diagram.change_node, str(project_id), str(node_id), changes, _caller(),
                          if_match_version()))


@api.route("/projects/<uuid:project_id>/driver-diagram/nodes/<uuid:node_id>", methods=["DELETE"])
@requires_roles(*TEAM_WRITE)
@api.response(200, DiagramSchema)
@api.alt_response(409, description=_DIAGRAM_ERRORS[409])
@api.alt_response(412, description=_DIAGRAM_ERRORS[412])
def delete_node(project_id: UUID, node_id: UUID) -> Any:
    """Delete a node with nothing under it and no PDSA cycle testing it. Send If-Match with the diagram's ETag."""
    return versioned(_run(diagram.delete_node, str(project_id), str(node_id), _caller(), if_match_version()))


# -- measures ------------------------------------------------------------------------------------------

@api.route("/projects/<uuid:project_id>/measures", methods=["GET"])
@requires_sign_in
@api.arguments(PageQuery, location="query")
@api.response(200, page_of(MeasureSchema))
def list_measures(query: dict, project_id: UUID) -> Any:
    """The project's measures, in the order they were linked."""
    with _uow() as uow:
        find_project(uow, str(project_id))
        return page(uow, store.MEASURES, query, project_id=str(project_id))


@api.route("/projects/<uuid:project_id>/measures", methods=["POST"])
@requires_roles(*TEAM_WRITE)
@api.arguments(MeasureInSchema)
@api.response(201, MeasureSchema)
@api.alt_response(409, description="a second outcome measure, the same KPI and unit twice, or the project has ended")
def link_measure(fields: dict, project_id: UUID) -> Any:
    """Link an outcome, process or balancing measure: an existing KPI and unit, or a project measure
    metrics creates (define true). Location: the project's measures."""
    measure = _run(measures.link_measure, str(project_id), fields, _caller())
    return created(measure, f"{_project_path(project_id)}/measures")


# -- PDSA cycles -----------------------------------------------------------------------------------------

def _cycle_path(project_id: Any, cycle_id: Any) -> str:
    return f"{_project_path(project_id)}/pdsa-cycles/{cycle_id}"


@api.route("/projects/<uuid:project_id>/pdsa-cycles", methods=["GET"])
@requires_sign_in
@api.arguments(PageQuery, location="query")
@api.response(200, page_of(CycleSchema))
def list_cycles(query: dict, project_id: UUID) -> Any:
    """The project's PDSA cycles in number order."""
    with _uow() as uow:
        find_project(uow, str(project_id))
        return page(uow, store.CYCLES, query, project_id=str(project_id))


@api.route("/projects/<uuid:project_id>/pdsa-cycles", methods=["POST"])
@requires_roles(*TEAM_WRITE)
@api.arguments(PlanSchema)
@api.response(201, CycleSchema)
@api.alt_response(409, description="the project is not approved or active")
def plan_cycle(plan: dict, project_id: UUID) -> Any:
    """Plan a cycle testing one change idea, before it runs (QI leads or the team)."""
    cycle = _run(cycles.plan_cycle, str(project_id), plan, _caller())
    return created(cycle, _cycle_path(project_id, cycle["id"]))


@api.route("/projects/<uuid:project_id>/pdsa-cycles/<uuid:cycle_id>", methods=["GET"])
@requires_sign_in
@api.response(200, CycleSchema)
def get_cycle(project_id: UUID, cycle_id: UUID) -> Any:
    """One PDSA cycle; ETag: its version."""
    return versioned(_run(cycles.find_cycle, str(project_id), str(cycle_id)))


_CYCLE_ERRORS = {409: "the project is not active, or the cycle is not at the step before",
                 412: "If-Match names a version the cycle is no longer at"}


@api.route("/projects/<uuid:project_id>/pdsa-cycles/<uuid:cycle_id>/start", methods=["POST"])
@requires_roles(*TEAM_WRITE)
@api.arguments(StartSchema)
@api.response(200, CycleSchema)
@api.alt_response(409, description=_CYCLE_ERRORS[409])
@api.alt_response(412, description=_CYCLE_ERRORS[412])
def start_cycle(start: dict, project_id: UUID, cycle_id: UUID) -> Any:
    """planned -> running (do), on an active project; metrics annotates the measures' charts."""
    return versioned(_run(cycles.start_cycle, str(project_id), str(cycle_id), start["started_on"], _caller(),
                          _app().today(), if_match_version()))


@api.route("/projects/<uuid:project_id>/pdsa-cycles/<uuid:cycle_id>/completion", methods=["POST"])
@requires_roles(*TEAM_WRITE)
@api.arguments(CompletionOfCycleSchema)
@api.response(200, CycleSchema)
@api.alt_response(409, description=_CYCLE_ERRORS[409])
@api.alt_response(412, description=_CYCLE_ERRORS[412])
def complete_cycle(outcome: dict, project_id: UUID, cycle_id: UUID) -> Any:
    """running -> completed: do, study (the result against the prediction, the chart's months) and act."""
    return versioned(_run(cycles.complete_cycle, str(project_id), str(cycle_id), outcome, _caller(),
                          _app().today(), if_match_version()))


# -- progress ----------------------------------------------------------------------------------------------

@api.route("/projects/<uuid:project_id>/progress", methods=["GET"])
@requires_sign_in
@api.response(200, ProgressSchema)
def get_progress(project_id: UUID) -> Any:
    """The suggested IHI progress score with its evidence, and the score last confirmed."""
    return _run(progress.progress_of, str(project_id))


@api.route("/projects/<uuid:project_id>/progress-scores", methods=["GET"])
@requires_sign_in
@api.arguments(PageQuery, location="query")
@api.response(200, page_of(ScoreSchema))
def list_scores(query: dict, project_id: UUID) -> Any:
    """Every confirmed score, oldest first, with the suggestion shown at the time."""
    with _uow() as uow:
        find_project(uow, str(project_id))
        return page(uow, store.SCORES, query, project_id=str(project_id))


@api.route("/projects/<uuid:project_id>/progress-scores", methods=["POST"])
@requires_roles(*TEAM_WRITE)
@api.arguments(ScoreInSchema)
@api.response(201, ScoreSchema)
def confirm_score(score: dict, project_id: UUID) -> Any:
    """Confirm the progress score (QI leads or the project's lead). Location: the score history."""
    row = _run(progress.confirm_score, str(project_id), Decimal(str(score["score"])), score.get("note"), _caller())
    return created(row, f"{_project_path(project_id)}/progress-scores")


def create_app(app_state: bootstrap.Projects | None = None) -> Flask:
    return build_service_app(
        app_state or bootstrap.build(),
        title="WTGR projects",
        description="Quality Improvement projects on the Model for Improvement: team, aim, approval, driver "
                    "diagram, measures, PDSA cycles and progress (no patient-identifiable data).",
        blueprints=[api],
    )
