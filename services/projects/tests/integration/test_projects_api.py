"""The projects API on the real database: registration, editing, the approval gate and completion."""

from __future__ import annotations

import uuid

import pytest

from services.conftest import outbox
from services.projects.tests.conftest import AIM, PROJECT

pytestmark = pytest.mark.integration

NHS_NUMBER = "943 476 5919"  # a valid check digit


def register(client, bearer, body=PROJECT, user="lee.lead", role="staff"):
    return client.post("/api/v1/projects", json=body, headers=bearer(role, user=user))


def move(client, bearer, project_id, step, body=None, user="quinn.qi", role="qi_lead", etag=None):
    headers = {**bearer(role, user=user), **({"If-Match": etag} if etag else {})}
    return client.post(f"/api/v1/projects/{project_id}/{step}", json=body, headers=headers)


def approved(client, bearer, body=PROJECT):
    project_id = register(client, bearer, body).get_json()["id"]
    assert move(client, bearer, project_id, "approval", {"note": "Acute QI forum: go"}).status_code == 200
    return project_id


def active(client, bearer, body=PROJECT):
    project_id = approved(client, bearer, body)
    assert move(client, bearer, project_id, "start").status_code == 200
    return project_id


def events_of(state, project_id, event_type=None):
    return [row["envelope"] for row in outbox(state, project_id, event_type)]


def test_a_registered_project_is_submitted_with_its_team_aim_and_cqc_and_announced_to_the_team(
    projects_client, projects_state, bearer
):
    response = register(projects_client, bearer)
    assert response.status_code == 201
    project = response.get_json()
    assert (project["stage"], project["directorate"]) == ("submitted", "DIR-ACUTE")
    assert project["cqc"] == ["safe", "effective"]
    assert project["aim"] == AIM
    assert response.headers["ETag"] == '"1"' and response.headers["Location"].endswith(project["id"])
    [event] = events_of(projects_state, project["id"])
    assert (event["type"], event["dataschema"]) == ("project.created", "urn:wtgr:event:project.created:2")
    assert event["data"]["path"] == f"/projects/{project['id']}"
    assert {(r["email"], r["relation"]) for r in event["data"]["audience"]} == {
        ("lee.lead@trust.example", "lead"), ("cat.coach@trust.example", "coach"), ("sid@trust.example", "sponsor"),
        ("mo@trust.example", "team")}


@pytest.mark.parametrize(("changes", "field"), [
    ({"title": f"Falls of patient {NHS_NUMBER}"}, "title"),
    ({"aim": {**AIM, "statement": "Mrs Jones of LS1 4AP fell twice"}}, "aim"),
    ({"team": [PROJECT["team"][0], {**PROJECT["team"][0], "subject": "other"}]}, "team"),
    ({"team": [PROJECT["team"][1]]}, "team"),
    ({"aim": {**AIM, "target": AIM["baseline"]}}, "aim"),
    ({"aim": {key: value for key, value in AIM.items() if key != "by"}}, "aim"),
    ({"cqc": ["safe", "kind"]}, "cqc"),
    ({"cqc": []}, "cqc"),
    ({"directorate": "not a code"}, "directorate"),
])
def test_a_bad_registration_is_a_422_naming_the_field_and_stores_nothing(projects_client, bearer, changes, field):
    title = f"Refused {uuid.uuid4()}"
    body = {**PROJECT, "title": title, **changes}
    response = register(projects_client, bearer, body)
    assert response.status_code == 422, response.get_json()
    assert response.mimetype == "application/problem+json"
    assert field in response.get_json()["errors"]
    listed = projects_client.get("/api/v1/projects?q=Refused&page_size=200", headers=bearer("staff")).get_json()
    assert title not in [p["title"] for p in listed["items"]]


def test_a_project_from_an_accepted_idea_is_made_once(projects_client, projects_state, bearer, accepted_idea):
    idea_id = accepted_idea()
    first = register(projects_client, bearer, {**PROJECT, "idea_id": idea_id}, role="qi_lead")
    assert first.status_code == 201
    assert events_of(projects_state, first.get_json()["id"])[0]["data"]["idea_id"] == idea_id
    second = register(projects_client, bearer, {**PROJECT, "idea_id": idea_id}, role="qi_lead")
    assert second.status_code == 409
    assert second.mimetype == "application/problem+json"


@pytest.mark.parametrize("idea", ["unknown", "declined", "submitted"])
def test_a_project_from_an_unknown_or_unaccepted_idea_is_a_422_on_idea_id(projects_client, bearer, accepted_idea,
                                                                          idea):
    idea_id = str(uuid.uuid4()) if idea == "unknown" else accepted_idea(stage=idea)
    response = register(projects_client, bearer, {**PROJECT, "idea_id": idea_id}, role="qi_lead")
    assert response.status_code == 422
    assert "idea_id" in response.get_json()["errors"]


def test_the_aim_is_edited_with_if_match_and_a_stale_version_is_a_412(projects_client, bearer):
    project_id = register(projects_client, bearer).get_json()["id"]
    url = f"/api/v1/projects/{project_id}"
    new_aim = {**AIM, "target": 3.0}
    edited = projects_client.patch(url, json={"aim": new_aim}, headers={**bearer("staff", user="lee.lead"),
                                                                        "If-Match": '"1"'})
    assert edited.status_code == 200
    assert (edited.get_json()["aim"]["target"], edited.headers["ETag"]) == (3.0, '"2"')
    stale = projects_client.patch(url, json={"title": "Late"}, headers={**bearer("qi_lead"), "If-Match": '"1"'})
    assert stale.status_code == 412
    assert projects_client.get(url, headers=bearer("staff")).get_json()["title"] == PROJECT["title"]


def test_an_empty_patch_is_a_422_and_the_openapi_document_says_a_patch_is_not_empty(projects_client, bearer):
    project_id = register(projects_client, bearer).get_json()["id"]
    response = projects_client.patch(f"/api/v1/projects/{project_id}", json={}, headers=bearer("qi_lead"))
    assert response.status_code == 422
    schemas = projects_client.get("/openapi.json").get_json()["components"]["schemas"]
    assert schemas["ProjectPatch"]["minProperties"] == 1 and schemas["NodePatch"]["minProperties"] == 1


def test_only_qi_leads_and_the_projects_lead_or_coach_edit_it(projects_client, bearer):
    project_id = register(projects_client, bearer).get_json()["id"]
    url = f"/api/v1/projects/{project_id}"
    for user, status in (("someone.else", 403), ("mo.member", 403), ("sid.sponsor", 403), ("cat.coach", 200)):
        response = projects_client.patch(url, json={"title": f"By {user}"}, headers=bearer("staff", user=user))
        assert response.status_code == status, user
    assert projects_client.patch(url, json={"title": "By QI"}, headers=bearer("qi_lead", user="q")).status_code == 200
    assert projects_client.patch(url, json={"title": "x"}).status_code == 401


def test_approval_is_a_qi_leads_with_the_forums_note_and_tells_the_approver_and_team(
    projects_client, projects_state, bearer
):
    project_id = register(projects_client, bearer).get_json()["id"]
    assert move(projects_client, bearer, project_id, "approval", {"note": "yes"}, user="lee.lead",
                role="staff").status_code == 403
    assert move(projects_client, bearer, project_id, "approval", {"note": "  "}).status_code == 422
    assert move(projects_client, bearer, project_id, "approval", {}).status_code == 422
    response = move(projects_client, bearer, project_id, "approval", {"note": "Acute QI forum, 10 March"},
                    etag='"1"')
    assert (response.status_code, response.get_json()["stage"]) == (200, "approved")
    detail = projects_client.get(f"/api/v1/projects/{project_id}", headers=bearer("staff")).get_json()
    assert [(h["stage"], h["note"]) for h in detail["history"]] == [
        ("submitted", None), ("approved", "Acute QI forum, 10 March")]
    [changed] = events_of(projects_state, project_id, "project.stage_changed")
    assert (changed["data"]["from_stage"], changed["data"]["to_stage"]) == ("submitted", "approved")
    assert changed["data"]["note"] == "Acute QI forum, 10 March"
    assert changed["data"]["audience"][0] == {"email": "quinn.qi@hospital.example", "name": None,
                                              "relation": "approver"}


def test_a_project_cannot_start_before_approval_nor_complete_before_it_is_active(projects_client, bearer):
    project_id = register(projects_client, bearer).get_json()["id"]
    assert move(projects_client, bearer, project_id, "start").status_code == 409
    body = {"results": "r", "learning": "l"}
    assert move(projects_client, bearer, project_id, "completion", body).status_code == 409
    approved_id = approved(projects_client, bearer)
    assert move(projects_client, bearer, approved_id, "completion", body).status_code == 409


def test_a_legacy_project_without_a_complete_aim_cannot_be_approved_until_edited(projects_client, projects_state,
                                                                                 bearer):
    project_id = str(uuid.uuid4())
    with projects_state.pool.connection() as conn:
        conn.execute("INSERT INTO projects (id, title, created_by) VALUES (%s, 'Old draft from an idea', 'lead')",
                     (project_id,))
        conn.execute("INSERT INTO project_stage_history (project_id, version, stage, changed_by)"
                     " VALUES (%s, 1, 'submitted', 'lead')", (project_id,))
    assert move(projects_client, bearer, project_id, "approval", {"note": "go"}).status_code == 409
    edited = projects_client.patch(f"/api/v1/projects/{project_id}", headers=bearer("qi_lead"),
                                   json={"aim": AIM, "team": PROJECT["team"], "directorate": "DIR-ACUTE"})
    assert edited.status_code == 200, edited.get_json()
    assert move(projects_client, bearer, project_id, "approval", {"note": "go"}).status_code == 200


def test_stopping_needs_a_reason_and_a_stopped_project_can_no_longer_be_edited(projects_client, bearer):
    project_id = approved(projects_client, bearer)
    assert move(projects_client, bearer, project_id, "stop", {}).status_code == 422
    assert move(projects_client, bearer, project_id, "stop", {"reason": "Ward closed"}, user="lee.lead",
                role="staff").status_code == 200
    response = projects_client.patch(f"/api/v1/projects/{project_id}", json={"title": "Again"},
                                     headers=bearer("qi_lead"))
    assert response.status_code == 409
    assert move(projects_client, bearer, project_id, "start").status_code == 409


def test_completion_needs_results_and_learning_and_tells_the_team_and_the_ideas_submitter_and_followers(
    projects_client, projects_state, bearer, accepted_idea
):
    idea_id = accepted_idea(audience=[{"email": "pat@example.org", "name": "Pat", "relation": "submitter"},
                                      {"email": "fay@trust.example", "name": None, "relation": "follower"},
                                      {"email": "lee.lead@trust.example", "name": None, "relation": "follower"}])
    project_id = active(projects_client, bearer, {**PROJECT, "idea_id": idea_id})
    outcome = {"kind": "outcome", "name": "Night falls", "kpi_code": "FALLS_1000", "unit_code": "WARD-7"}
    assert projects_client.post(f"/api/v1/projects/{project_id}/measures", json=outcome,
                                headers=bearer("qi_lead")).status_code == 201
    assert move(projects_client, bearer, project_id, "completion", {"results": "Halved"}).status_code == 422
    done = move(projects_client, bearer, project_id, "completion",
                {"results": "Night falls fell from 8 to 3.5", "learning": "Handover is the moment"},
                user="lee.lead", role="staff")
    assert (done.status_code, done.get_json()["stage"]) == (200, "completed")
    [completed] = events_of(projects_state, project_id, "project.completed")
    data = completed["data"]
    assert completed["dataschema"] == "urn:wtgr:event:project.completed:2"
    assert data["outcome"] == {"kpi_code": "FALLS_1000", "unit_code": "WARD-7"}
    assert (data["results"], data["learning"], data["cqc"]) == ("Night falls fell from 8 to 3.5",
                                                                "Handover is the moment", ["safe", "effective"])
    assert [(r["email"], r["relation"]) for r in data["audience"]] == [
        ("pat@example.org", "submitter"), ("fay@trust.example", "follower"), ("lee.lead@trust.example", "follower"),
        ("cat.coach@trust.example", "coach"), ("sid@trust.example", "sponsor"), ("mo@trust.example", "team")]
    assert {m["role"] for m in data["team"]} == {"lead", "coach", "sponsor", "member"}


def test_projects_are_listed_by_stage_directorate_and_words_a_page_at_a_time(projects_client, bearer):
    marker = uuid.uuid4().hex[:10]
    for _ in range(3):
        register(projects_client, bearer, {**PROJECT, "title": f"Theatre list {marker}", "directorate": "DIR-THEATRES"})
    active_id = active(projects_client, bearer, {**PROJECT, "title": f"Discharge {marker}"})
    page = projects_client.get(f"/api/v1/projects?q={marker}&directorate=DIR-THEATRES&page_size=2",
                               headers=bearer("staff")).get_json()
    assert (len(page["items"]), page["total"]) == (2, 3)
    rest = projects_client.get(f"/api/v1/projects?q={marker}&directorate=DIR-THEATRES&page_size=2"
                               f"&cursor={page['next']}", headers=bearer("staff")).get_json()
    assert len(rest["items"]) == 1 and rest["next"] is None
    found = projects_client.get(f"/api/v1/projects?q={marker}&stage=active", headers=bearer("staff")).get_json()
    assert [p["id"] for p in found["items"]] == [active_id]
    other = projects_client.get(f"/api/v1/projects?q={marker}&stage=active&directorate=DIR-THEATRES&cursor="
                                f"{page['next']}", headers=bearer("staff"))
    assert other.status_code == 400


def test_projects_are_listed_by_the_cqc_key_question_they_serve(projects_client, bearer):
    marker = uuid.uuid4().hex[:10]
    safe_id = register(projects_client, bearer, {**PROJECT, "title": f"Safer nights {marker}",
                                                 "cqc": ["safe"]}).get_json()["id"]
    both_id = register(projects_client, bearer, {**PROJECT, "title": f"Kinder nights {marker}",
                                                 "cqc": ["caring", "safe"]}).get_json()["id"]
    register(projects_client, bearer, {**PROJECT, "title": f"Led nights {marker}", "cqc": ["well-led"]})

    def listed(cqc: str) -> list[str]:
        found = projects_client.get(f"/api/v1/projects?q={marker}&cqc={cqc}", headers=bearer("staff")).get_json()
        return [p["id"] for p in found["items"]]

    assert (listed("safe"), listed("caring"), listed("responsive")) == ([both_id, safe_id], [both_id], [])
    unknown = projects_client.get("/api/v1/projects?cqc=kind", headers=bearer("staff"))
    assert unknown.status_code == 422 and "cqc" in unknown.get_json()["errors"]


def test_an_unknown_project_is_a_404_problem(projects_client, bearer):
    unknown = "00000000-0000-4000-8000-000000000000"
    for response in (move(projects_client, bearer, unknown, "start"),
                     projects_client.get(f"/api/v1/projects/{unknown}/driver-diagram", headers=bearer("staff")),
                     projects_client.get(f"/api/v1/projects/{unknown}/pdsa-cycles", headers=bearer("staff"))):
        assert response.status_code == 404
        assert response.mimetype == "application/problem+json"


def test_two_projects_made_from_one_idea_at_once_are_one_project_and_one_409(projects_state, accepted_idea):
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    from services.projects.entrypoints.schemas import ProjectInSchema
    from services.projects.service_layer import handlers
    from services.projects.service_layer.common import Caller
    from shared.db import unit_of_work
    from shared.errors import Conflict

    idea_id = accepted_idea()
    fields = ProjectInSchema().load({**PROJECT, "idea_id": idea_id})
    both_checked = Barrier(2)

    def register_after_the_check() -> str:
        with unit_of_work(projects_state.pool, "projects") as uow:
            uow.execute("SELECT 1")
            both_checked.wait(timeout=10)
            try:
                handlers.create_project(uow, dict(fields), Caller("lee.lead", is_qi_lead=True))
            except Conflict:
                return "409"
        return "201"

    with ThreadPoolExecutor(2) as pool:
        answers = sorted(pool.map(lambda _: register_after_the_check(), range(2)))
    assert answers == ["201", "409"]
