from datetime import date, timedelta

import pytest

from services.conftest import outbox

pytestmark = pytest.mark.integration

PROJECT = {"title": "Discharge before noon", "aim": "40% of ward 7 discharges before noon by March"}
LAST_WEEK = date.today() - timedelta(days=7)
CYCLE = {"plan": "Pharmacy pre-orders TTOs", "do": "Tried on ward 7 for a week", "study": "Noon discharges 22%->31%",
         "act": "Adopt; extend to ward 8", "started_on": (LAST_WEEK - timedelta(days=7)).isoformat(),
         "ended_on": LAST_WEEK.isoformat()}


def create(client, bearer, body=PROJECT):
    return client.post("/api/v1/projects", json=body, headers=bearer("qi_lead", user="lead"))


def move(client, bearer, project_id, stage):
    return client.post(f"/api/v1/projects/{project_id}/stage", json={"stage": stage}, headers=bearer("qi_lead"))


def active_project(client, bearer):
    project_id = create(client, bearer).get_json()["id"]
    assert move(client, bearer, project_id, "active").status_code == 200
    return project_id


def test_a_new_project_starts_as_a_draft_and_is_announced(projects_client, projects_state, bearer):
    idea_id = "6f1c1a52-1111-4e2b-9a77-2f1b7b5d0c11"
    response = create(projects_client, bearer, {**PROJECT, "idea_id": idea_id})
    assert response.status_code == 201
    project = response.get_json()
    assert (project["stage"], project["created_by"], project["idea_id"]) == ("draft", "lead", idea_id)
    [event] = outbox(projects_state, project["id"])
    assert (event["event_type"], event["topic"]) == ("project.created", "wtgr.projects")
    assert event["envelope"]["data"]["idea_id"] == idea_id


def test_completing_an_active_project_announces_the_stage_change_and_the_completion(
    projects_client, projects_state, bearer
):
    project_id = active_project(projects_client, bearer)
    assert move(projects_client, bearer, project_id, "completed").status_code == 200
    types = [row["event_type"] for row in outbox(projects_state, project_id)]
    assert types == ["project.created", "project.stage_changed", "project.stage_changed", "project.completed"]
    project = projects_client.get(f"/api/v1/projects/{project_id}", headers=bearer("staff")).get_json()
    assert [h["stage"] for h in project["history"]] == ["draft", "active", "completed"]


def test_skipping_a_stage_is_a_409_conflict_and_changes_nothing(projects_client, projects_state, bearer):
    project_id = create(projects_client, bearer).get_json()["id"]
    response = move(projects_client, bearer, project_id, "completed")
    assert response.status_code == 409
    assert response.mimetype == "application/problem+json"
    assert len(outbox(projects_state, project_id)) == 1


def test_pdsa_cycles_are_numbered_in_order_and_announced(projects_client, projects_state, bearer):
    project_id = active_project(projects_client, bearer)
    for number in (1, 2):
        response = projects_client.post(f"/api/v1/projects/{project_id}/pdsa-cycles", json=CYCLE,
                                        headers=bearer("qi_lead"))
        assert response.status_code == 201
        assert response.get_json()["cycle_number"] == number
    logged = [row for row in outbox(projects_state, project_id) if row["event_type"] == "pdsa.cycle_logged"]
    assert [row["envelope"]["data"]["cycle_number"] for row in logged] == [1, 2]
    assert logged[0]["envelope"]["data"]["ended_on"] == CYCLE["ended_on"]
    project = projects_client.get(f"/api/v1/projects/{project_id}", headers=bearer("staff")).get_json()
    assert [c["study"] for c in project["pdsa_cycles"]] == [CYCLE["study"]] * 2


def test_a_pdsa_cycle_on_a_draft_project_is_a_409_conflict(projects_client, bearer):
    project_id = create(projects_client, bearer).get_json()["id"]
    response = projects_client.post(f"/api/v1/projects/{project_id}/pdsa-cycles", json=CYCLE,
                                    headers=bearer("qi_lead"))
    assert response.status_code == 409


@pytest.mark.parametrize(("changes", "field"), [
    ({"ended_on": (LAST_WEEK - timedelta(days=30)).isoformat()}, "ended_on"),
    ({"ended_on": (date.today() + timedelta(days=30)).isoformat()}, "ended_on"),
    ({"started_on": "not a date"}, "started_on"),
    ({"study": ""}, "study"),
])
def test_a_bad_pdsa_cycle_gets_a_422_problem_naming_the_field_and_stores_nothing(
    projects_client, projects_state, bearer, changes, field
):
    project_id = active_project(projects_client, bearer)
    response = projects_client.post(f"/api/v1/projects/{project_id}/pdsa-cycles", json={**CYCLE, **changes},
                                    headers=bearer("qi_lead"))
    assert response.status_code == 422
    assert field in response.get_json()["errors"]
    assert "pdsa.cycle_logged" not in [row["event_type"] for row in outbox(projects_state, project_id)]


@pytest.mark.parametrize(("body", "field"), [
    ({"aim": "no title"}, "title"),
    ({"title": "no aim"}, "aim"),
    ({**PROJECT, "idea_id": "not-a-uuid"}, "idea_id"),
])
def test_a_bad_project_gets_a_422_problem_naming_the_field(projects_client, bearer, body, field):
    response = create(projects_client, bearer, body)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


def test_only_qi_leads_and_admins_create_projects(projects_client, bearer):
    assert projects_client.post("/api/v1/projects", json=PROJECT).status_code == 401
    assert projects_client.post("/api/v1/projects", json=PROJECT, headers=bearer("staff")).status_code == 403
    assert projects_client.post("/api/v1/projects", json=PROJECT, headers=bearer("admin")).status_code == 201


def test_projects_are_listed_by_stage_a_page_at_a_time(projects_client, bearer):
    for _ in range(3):
        create(projects_client, bearer)
    active_id = active_project(projects_client, bearer)
    page = projects_client.get("/api/v1/projects?stage=draft&page_size=2", headers=bearer("staff")).get_json()
    assert len(page["items"]) == 2
    assert page["total"] >= 3
    assert {p["stage"] for p in page["items"]} == {"draft"}
    active = projects_client.get("/api/v1/projects?stage=active&page_size=200", headers=bearer("staff")).get_json()
    assert active_id in [p["id"] for p in active["items"]]


def test_an_unknown_project_is_a_404_problem(projects_client, bearer):
    response = move(projects_client, bearer, "00000000-0000-4000-8000-000000000000", "active")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
