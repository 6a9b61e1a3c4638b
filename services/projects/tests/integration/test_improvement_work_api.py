"""A project's improvement work on the real database: the driver diagram, measures, PDSA cycles and
the progress score."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from services.conftest import outbox
from services.projects.service_layer import events
from services.projects.tests.conftest import ANY_EVENT, PROJECT
from services.projects.tests.integration.test_projects_api import active, approved, move, register
from shared.db import unit_of_work
from shared.month import Month

pytestmark = pytest.mark.integration

TODAY = date.today()


def diagram_url(project_id):
    return f"/api/v1/projects/{project_id}/driver-diagram"


def add_node(client, bearer, project_id, kind, title, parent_id=None, etag=None, user="cat.coach"):
    headers = {**bearer("staff", user=user), **({"If-Match": etag} if etag else {})}
    return client.post(f"{diagram_url(project_id)}/nodes", json={"kind": kind, "title": title, "parent_id": parent_id},
                       headers=headers)


def change_idea(client, bearer, project_id):
    """A primary driver, a secondary driver and a change idea; the change idea's id."""
    primary = add_node(client, bearer, project_id, "primary", "Reliable risk assessment").get_json()["drivers"][-1]
    secondary = add_node(client, bearer, project_id, "secondary", "Handover routine", primary["id"])
    idea = add_node(client, bearer, project_id, "change_idea", "Falls check at handover",
                    secondary.get_json()["drivers"][-1]["children"][0]["id"])
    return idea.get_json()["drivers"][-1]["children"][0]["children"][0]["id"]


def plan(client, bearer, project_id, idea_id, **changes):
    body = {"change_idea_id": idea_id, "title": "Handover check", "question": "Will it cut night falls?",
            "prediction": "Halve them in a month", "who": "Night nurses", "where": "WARD-7",
            "planned_start": TODAY.isoformat(), **changes}
    return client.post(f"/api/v1/projects/{project_id}/pdsa-cycles", json=body,
                       headers=bearer("staff", user="mo.member"))


def step(client, bearer, project_id, cycle_id, name, body, etag=None):
    headers = {**bearer("staff", user="mo.member"), **({"If-Match": etag} if etag else {})}
    return client.post(f"/api/v1/projects/{project_id}/pdsa-cycles/{cycle_id}/{name}", json=body, headers=headers)


COMPLETION = {"ended_on": TODAY.isoformat(), "do": "Used on 41 of 46 evenings", "study": "Night falls 3 -> 1",
              "months": [str(Month.of(TODAY))], "decision": "adapt", "act": "Try on WARD-9"}


def test_the_driver_diagram_is_edited_as_a_tree_under_if_match(projects_client, bearer):
    project_id = register(projects_client, bearer).get_json()["id"]
    empty = projects_client.get(diagram_url(project_id), headers=bearer("staff"))
    assert (empty.get_json()["drivers"], empty.headers["ETag"]) == ([], '"1"')
    first = add_node(projects_client, bearer, project_id, "primary", "Reliable risk assessment", etag='"1"')
    assert (first.status_code, first.headers["ETag"]) == (201, '"2"')
    assert first.headers["Location"].endswith(f"/projects/{project_id}/driver-diagram")
    primary_id = first.get_json()["drivers"][0]["id"]
    assert add_node(projects_client, bearer, project_id, "primary", "Safe wards", etag='"1"').status_code == 412
    other = add_node(projects_client, bearer, project_id, "primary", "Safe environment").get_json()["drivers"][1]
    secondary = add_node(projects_client, bearer, project_id, "secondary", "Handover routine", primary_id)
    secondary_id = secondary.get_json()["drivers"][0]["children"][0]["id"]
    add_node(projects_client, bearer, project_id, "change_idea", "Falls check at handover", secondary_id)
    moved = projects_client.patch(f"{diagram_url(project_id)}/nodes/{secondary_id}",
                                  json={"parent_id": other["id"], "title": "Evening handover"},
                                  headers=bearer("staff", user="lee.lead"))
    assert moved.status_code == 200
    drivers = moved.get_json()["drivers"]
    assert drivers[0]["children"] == []
    assert drivers[1]["children"][0]["title"] == "Evening handover"
    assert drivers[1]["children"][0]["children"][0]["title"] == "Falls check at handover"
    busy = projects_client.delete(f"{diagram_url(project_id)}/nodes/{secondary_id}", headers=bearer("qi_lead"))
    assert busy.status_code == 409
    gone = projects_client.delete(f"{diagram_url(project_id)}/nodes/{primary_id}", headers=bearer("qi_lead"))
    assert (gone.status_code, [d["title"] for d in gone.get_json()["drivers"]]) == (200, ["Safe environment"])


@pytest.mark.parametrize(("kind", "parent"), [("secondary", None), ("change_idea", "primary"),
                                              ("primary", "primary"), ("secondary", "unknown")])
def test_a_node_under_the_wrong_kind_of_parent_is_a_422_on_parent_id(projects_client, bearer, kind, parent):
    project_id = register(projects_client, bearer).get_json()["id"]
    primary_id = add_node(projects_client, bearer, project_id, "primary", "Driver").get_json()["drivers"][0]["id"]
    parent_id = {"primary": primary_id, "unknown": "00000000-0000-4000-8000-000000000000", None: None}[parent]
    response = add_node(projects_client, bearer, project_id, kind, "Misplaced", parent_id)
    assert response.status_code == 422
    assert "parent_id" in response.get_json()["errors"]


def test_only_qi_leads_and_the_team_edit_the_diagram(projects_client, bearer):
    project_id = register(projects_client, bearer).get_json()["id"]
    assert add_node(projects_client, bearer, project_id, "primary", "X", user="stranger").status_code == 403
    assert add_node(projects_client, bearer, project_id, "primary", "X", user="sid.sponsor").status_code == 403
    assert add_node(projects_client, bearer, project_id, "primary", "X", user="mo.member").status_code == 201


def test_the_driver_diagram_is_also_an_accessible_svg(projects_client, bearer):
    project_id = register(projects_client, bearer).get_json()["id"]
    change_idea(projects_client, bearer, project_id)
    response = projects_client.get(f"{diagram_url(project_id)}.svg", headers=bearer("staff"))
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    svg = response.get_data(as_text=True)
    assert 'role="img"' in svg and "<desc id=\"diagram-desc\">Aim: Halve inpatient falls" in svg
    assert "change idea: Falls check at handover" in svg


def test_a_linked_kpi_and_a_defined_project_measure_are_announced_for_metrics(projects_client, projects_state,
                                                                              bearer):
    project_id = register(projects_client, bearer).get_json()["id"]
    url = f"/api/v1/projects/{project_id}/measures"
    linked = projects_client.post(url, json={"kind": "balancing", "name": "Length of stay", "kpi_code": "ALOS",
                                             "unit_code": "WARD-7"}, headers=bearer("staff", user="lee.lead"))
    assert linked.status_code == 201
    defined = projects_client.post(url, json={"kind": "outcome", "name": "Night falls", "define": True,
                                              "unit_of_measure": "count", "direction": "lower_is_better"},
                                   headers=bearer("staff", user="lee.lead"))
    assert defined.status_code == 201
    code = f"P-{project_id.replace('-', '')[:8]}-1"
    assert (defined.get_json()["kpi_code"], defined.get_json()["unit_code"]) == (code, "WARD-7")
    sent = [row["envelope"]["data"] for row in outbox(projects_state, project_id, "project.measure_linked")]
    assert [(d["kpi_code"], d["created"]) for d in sent] == [("ALOS", False), (code, True)]
    assert (sent[1]["owner"], sent[1]["owner_email"], sent[1]["direction"]) == (
        "lee.lead", "lee.lead@trust.example", "lower_is_better")
    page = projects_client.get(url, headers=bearer("staff")).get_json()
    assert [m["kind"] for m in page["items"]] == ["balancing", "outcome"]


@pytest.mark.parametrize(("body", "status"), [
    ({"kind": "outcome", "name": "Second outcome", "kpi_code": "ALOS", "unit_code": "WARD-7"}, 409),
    ({"kind": "process", "name": "Twice", "kpi_code": "FALLS_1000", "unit_code": "WARD-7"}, 409),
    ({"kind": "process", "name": "No unit", "kpi_code": "ALOS"}, 422),
    ({"kind": "process", "name": "Unknown KPI", "kpi_code": "NO_SUCH_KPI", "unit_code": "WARD-7"}, 422),
    ({"kind": "process", "name": "Unknown unit", "kpi_code": "ALOS", "unit_code": "WARD-99"}, 422),
    ({"kind": "process", "name": "Undefined", "define": True, "unit_of_measure": "count"}, 422),
    ({"kind": "process", "name": "NHS 943 476 5919", "kpi_code": "ALOS", "unit_code": "WARD-9"}, 422),
])
def test_one_outcome_measure_each_series_once_and_a_measure_says_what_it_is(projects_client, bearer, body, status):
    project_id = register(projects_client, bearer).get_json()["id"]
    url = f"/api/v1/projects/{project_id}/measures"
    first = {"kind": "outcome", "name": "Falls", "kpi_code": "FALLS_1000", "unit_code": "WARD-7"}
    assert projects_client.post(url, json=first, headers=bearer("qi_lead")).status_code == 201
    assert projects_client.post(url, json=body, headers=bearer("qi_lead")).status_code == status


def test_a_pdsa_cycle_is_planned_started_and_completed_announcing_each_step_with_the_series(
    projects_client, projects_state, bearer
):
    project_id = active(projects_client, bearer)
    idea_id = change_idea(projects_client, bearer, project_id)
    projects_client.post(f"/api/v1/projects/{project_id}/measures", headers=bearer("qi_lead"), json={
        "kind": "outcome", "name": "Falls", "kpi_code": "FALLS_1000", "unit_code": "WARD-7"})
    planned = plan(projects_client, bearer, project_id, idea_id)
    assert planned.status_code == 201
    cycle = planned.get_json()
    assert (cycle["status"], cycle["cycle_number"], planned.headers["ETag"]) == ("planned", 1, '"1"')
    assert step(projects_client, bearer, project_id, cycle["id"], "completion", COMPLETION).status_code == 409
    started = step(projects_client, bearer, project_id, cycle["id"], "start", {"started_on": TODAY.isoformat()},
                   etag='"1"')
    assert (started.status_code, started.get_json()["status"]) == (200, "running")
    assert step(projects_client, bearer, project_id, cycle["id"], "completion", COMPLETION, etag='"1"'
                ).status_code == 412
    done = step(projects_client, bearer, project_id, cycle["id"], "completion", COMPLETION)
    assert (done.status_code, done.get_json()["decision"], done.get_json()["months"]) == (
        200, "adapt", COMPLETION["months"])
    sent = [row["envelope"] for row in outbox(projects_state, project_id) if row["event_type"].startswith("pdsa.")]
    assert [e["type"] for e in sent] == ["pdsa.cycle_planned", "pdsa.cycle_started", "pdsa.cycle_completed"]
    assert sent[1]["data"]["started_on"] == TODAY.isoformat()
    assert sent[1]["data"]["series"] == [{"kpi_code": "FALLS_1000", "unit_code": "WARD-7"}]
    assert sent[1]["data"]["change_idea"] == "Falls check at handover"
    following = plan(projects_client, bearer, project_id, idea_id, follows_cycle_id=cycle["id"])
    assert (following.status_code, following.get_json()["cycle_number"]) == (201, 2)
    listed = projects_client.get(f"/api/v1/projects/{project_id}/pdsa-cycles", headers=bearer("staff")).get_json()
    assert [c["status"] for c in listed["items"]] == ["completed", "planned"]
    tested = projects_client.delete(f"{diagram_url(project_id)}/nodes/{idea_id}", headers=bearer("qi_lead"))
    assert tested.status_code == 409


def test_cycles_are_planned_once_approved_but_run_only_on_active_projects(projects_client, bearer):
    submitted_id = register(projects_client, bearer).get_json()["id"]
    idea_id = change_idea(projects_client, bearer, submitted_id)
    assert plan(projects_client, bearer, submitted_id, idea_id).status_code == 409
    approved_id = approved(projects_client, bearer)
    idea_id = change_idea(projects_client, bearer, approved_id)
    cycle = plan(projects_client, bearer, approved_id, idea_id).get_json()
    response = step(projects_client, bearer, approved_id, cycle["id"], "start", {"started_on": TODAY.isoformat()})
    assert response.status_code == 409


@pytest.mark.parametrize(("what", "field"), [("not a change idea", "change_idea_id"),
                                             ("unknown follows", "follows_cycle_id"),
                                             ("started tomorrow", "started_on"),
                                             ("ended before it started", "ended_on"),
                                             ("patient data", "question")])
def test_a_bad_cycle_is_a_422_naming_the_field(projects_client, bearer, what, field):
    project_id = active(projects_client, bearer)
    idea_id = change_idea(projects_client, bearer, project_id)
    diagram = projects_client.get(diagram_url(project_id), headers=bearer("staff")).get_json()
    if what == "not a change idea":
        response = plan(projects_client, bearer, project_id, diagram["drivers"][0]["id"])
    elif what == "unknown follows":
        response = plan(projects_client, bearer, project_id, idea_id,
                        follows_cycle_id="00000000-0000-4000-8000-000000000000")
    elif what == "patient data":
        response = plan(projects_client, bearer, project_id, idea_id, question="Did Mr Smith DOB 12/03/1961 fall?")
    else:
        cycle = plan(projects_client, bearer, project_id, idea_id).get_json()
        if what == "started tomorrow":
            response = step(projects_client, bearer, project_id, cycle["id"], "start",
                            {"started_on": (TODAY + timedelta(days=1)).isoformat()})
        else:
            step(projects_client, bearer, project_id, cycle["id"], "start", {"started_on": TODAY.isoformat()})
            response = step(projects_client, bearer, project_id, cycle["id"], "completion",
                            {**COMPLETION, "ended_on": (TODAY - timedelta(days=1)).isoformat()})
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


def signal(projects_state, kpi, unit, start: Month, latest: Month):
    with unit_of_work(projects_state.pool, "projects") as uow:
        events.on_special_cause(uow, ANY_EVENT, {"kpi_code": kpi, "unit_code": unit, "period": str(latest),
                                            "signal_start": str(start), "point_type": "special_cause_improvement"})


def test_a_project_stopped_before_approval_was_never_approved(projects_client, bearer):
    project_id = register(projects_client, bearer).get_json()["id"]
    move(projects_client, bearer, project_id, "stop", {"reason": "Merged with the Ward 9 project"})
    progress = projects_client.get(f"/api/v1/projects/{project_id}/progress", headers=bearer("staff")).get_json()
    assert (progress["suggested"], progress["evidence"]["approved"]) == (0.5, False)


def test_the_suggested_score_rises_with_the_evidence_and_the_lead_confirms_it(projects_client, projects_state, bearer):
    project_id = register(projects_client, bearer).get_json()["id"]
    progress_url = f"/api/v1/projects/{project_id}/progress"

    def suggested():
        return projects_client.get(progress_url, headers=bearer("staff")).get_json()["suggested"]

    assert suggested() == 0.5
    move(projects_client, bearer, project_id, "approval", {"note": "go"})
    assert suggested() == 1.0
    idea_id = change_idea(projects_client, bearer, project_id)
    kpi = f"P-{project_id[:8]}-1"
    projects_client.post(f"/api/v1/projects/{project_id}/measures", headers=bearer("qi_lead"), json={
        "kind": "outcome", "name": "Night falls", "define": True, "unit_of_measure": "count",
        "direction": "lower_is_better"})
    assert suggested() == 1.5
    move(projects_client, bearer, project_id, "start")
    cycle = plan(projects_client, bearer, project_id, idea_id).get_json()
    step(projects_client, bearer, project_id, cycle["id"], "start", {"started_on": TODAY.isoformat()})
    assert suggested() == 2.0
    step(projects_client, bearer, project_id, cycle["id"], "completion", COMPLETION)
    assert suggested() == 2.5
    this_month = Month.of(TODAY)
    signal(projects_state, kpi, "WARD-7", this_month - 1, this_month)  # began before the first cycle: not evidence
    assert suggested() == 2.5
    signal(projects_state, kpi, "WARD-7", this_month, this_month)
    assert suggested() == 3.0
    signal(projects_state, kpi, "WARD-7", this_month, this_month + 2)
    progress = projects_client.get(progress_url, headers=bearer("staff")).get_json()
    assert (progress["suggested"], progress["evidence"]["improvement_months"]) == (3.5, 3)

    scores_url = f"/api/v1/projects/{project_id}/progress-scores"
    assert projects_client.post(scores_url, json={"score": 3.5}, headers=bearer("staff", user="mo.member")
                                ).status_code == 403
    assert projects_client.post(scores_url, json={"score": 3.3}, headers=bearer("staff", user="lee.lead")
                                ).status_code == 422
    for score in (3.0, 3.5):
        response = projects_client.post(scores_url, json={"score": score, "note": "agreed at huddle"},
                                        headers=bearer("staff", user="lee.lead"))
        assert response.status_code == 201
    history = projects_client.get(scores_url, headers=bearer("staff")).get_json()["items"]
    assert [(s["number"], s["score"], s["suggested"]) for s in history] == [(1, 3.0, 3.5), (2, 3.5, 3.5)]
    assert projects_client.get(progress_url, headers=bearer("staff")).get_json()["score"] == 3.5
    scored = [row["envelope"]["data"] for row in outbox(projects_state, project_id, "project.progress_scored")]
    assert [(d["score"], d["suggested"], d["confirmed_by"]) for d in scored] == [(3.0, 3.5, "lee.lead"),
                                                                                 (3.5, 3.5, "lee.lead")]


@pytest.mark.parametrize(("url", "body", "field"), [
    ("approval", {"note": "Approved for Mr Smith, NHS number 943 476 5919"}, "note"),
    ("stop", {"reason": "Mrs Jones of LS1 4AP moved ward"}, "reason"),
])
def test_notes_and_reasons_refuse_patient_data_too(projects_client, bearer, url, body, field):
    project_id = register(projects_client, bearer).get_json()["id"]
    response = projects_client.post(f"/api/v1/projects/{project_id}/{url}", json=body, headers=bearer("qi_lead"))
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


def test_a_team_members_name_refuses_patient_data(projects_client, bearer):
    team = [{**PROJECT["team"][0], "name": "Mrs Jones LS1 4AP"}]
    response = register(projects_client, bearer, {**PROJECT, "team": team})
    assert response.status_code == 422
    assert "team" in response.get_json()["errors"]
