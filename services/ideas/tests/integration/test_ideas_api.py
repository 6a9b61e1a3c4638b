import pytest

from services.conftest import outbox

pytestmark = pytest.mark.integration

IDEA = {"title": "Discharge lounge open at 8am", "description": "Patients wait on the ward for transport."}


def submit(client, bearer, body=IDEA, user="alice"):
    return client.post("/api/v1/ideas", json=body, headers=bearer("staff", user=user))


def move(client, bearer, idea_id, stage, reason=None, **headers):
    return client.post(f"/api/v1/ideas/{idea_id}/stage", json={"stage": stage, "reason": reason},
                       headers={**bearer("qi_lead", user="lead"), **headers})


def test_a_submitted_idea_is_stored_with_its_submitter_and_announced(ideas_client, ideas_state, bearer):
    response = submit(ideas_client, bearer)
    assert response.status_code == 201
    idea = response.get_json()
    assert (idea["submitted_by"], idea["stage"], idea["channel"], idea["version"]) == ("alice", "submitted", "staff", 1)
    assert idea["follow_token"] is None
    assert response.headers["ETag"] == '"1"'
    [event] = outbox(ideas_state, idea["id"])
    assert (event["event_type"], event["topic"]) == ("idea.submitted", "wtgr.ideas")
    data = event["envelope"]["data"]
    assert (data["submitted_by"], data["channel"], data["path"]) == ("alice", "staff", f"/ideas/{idea['id']}")
    assert data["audience"] == [{"email": "alice@hospital.example", "name": None, "relation": "submitter"}]
    assert event["envelope"]["dataschema"] == "urn:wtgr:event:idea.submitted:2"


def test_accepting_a_reviewed_idea_announces_the_change_and_the_acceptance(ideas_client, ideas_state, bearer):
    idea_id = submit(ideas_client, bearer).get_json()["id"]
    assert move(ideas_client, bearer, idea_id, "under_review").status_code == 200
    accepted = move(ideas_client, bearer, idea_id, "accepted")
    assert accepted.status_code == 200
    assert accepted.get_json()["stage"] == "accepted"
    types = [row["event_type"] for row in outbox(ideas_state, idea_id)]
    # what the running services do next (a project drafted, the idea moving on) may follow
    assert types[:6] == ["idea.submitted", "idea.stage_changed", "idea.status_changed", "idea.stage_changed",
                         "idea.status_changed", "idea.accepted"]


def test_every_stage_an_idea_had_is_kept_in_its_history_with_the_reasons(ideas_client, bearer):
    idea_id = submit(ideas_client, bearer).get_json()["id"]
    move(ideas_client, bearer, idea_id, "under_review")
    move(ideas_client, bearer, idea_id, "declined", reason="Covered by the falls programme")
    idea = ideas_client.get(f"/api/v1/ideas/{idea_id}", headers=bearer("staff")).get_json()
    assert [(h["version"], h["stage"], h["changed_by"], h["reason"]) for h in idea["history"]] == [
        (1, "submitted", "alice", None), (2, "under_review", "lead", None),
        (3, "declined", "lead", "Covered by the falls programme")]


def test_declining_without_a_reason_is_a_422_naming_the_reason(ideas_client, ideas_state, bearer):
    idea_id = submit(ideas_client, bearer).get_json()["id"]
    response = move(ideas_client, bearer, idea_id, "declined")
    assert response.status_code == 422
    assert "reason" in response.get_json()["errors"]
    assert len(outbox(ideas_state, idea_id)) == 1


def test_skipping_the_review_is_a_409_conflict_and_changes_nothing(ideas_client, ideas_state, bearer):
    idea_id = submit(ideas_client, bearer).get_json()["id"]
    response = move(ideas_client, bearer, idea_id, "accepted")
    assert response.status_code == 409
    assert response.mimetype == "application/problem+json"
    assert ideas_client.get(f"/api/v1/ideas/{idea_id}", headers=bearer("staff")).get_json()["stage"] == "submitted"
    assert len(outbox(ideas_state, idea_id)) == 1


def test_a_change_made_on_a_stale_version_is_refused_with_412(ideas_client, ideas_state, bearer):
    idea_id = submit(ideas_client, bearer).get_json()["id"]
    assert move(ideas_client, bearer, idea_id, "under_review", **{"If-Match": '"1"'}).status_code == 200
    stale = move(ideas_client, bearer, idea_id, "accepted", **{"If-Match": '"1"'})
    assert stale.status_code == 412
    assert len(outbox(ideas_state, idea_id)) == 3, "submitted, then stage_changed and status_changed once"
    assert move(ideas_client, bearer, idea_id, "accepted", **{"If-Match": '"2"'}).status_code == 200


def test_an_idea_carrying_an_nhs_number_is_refused_and_nothing_is_stored(ideas_client, bearer):
    body = {**IDEA, "title": f"Unique {id(object())}", "description": "Mr Smith, NHS 943 476 5919, fell"}
    response = submit(ideas_client, bearer, body)
    assert response.status_code == 422
    assert response.get_json()["errors"]["description"] == [
        "appears to contain an NHS number; remove it: this text must not identify a patient"]
    listed = ideas_client.get("/api/v1/ideas?page_size=200", headers=bearer("staff")).get_json()["items"]
    assert body["title"] not in [idea["title"] for idea in listed]


@pytest.mark.parametrize(("body", "field"), [
    ({"description": "no title"}, "title"),
    ({**IDEA, "title": ""}, "title"),
    ({**IDEA, "title": "x" * 201}, "title"),
    ({"title": "no description"}, "description"),
])
def test_a_bad_idea_gets_a_422_problem_naming_the_field(ideas_client, bearer, body, field):
    response = submit(ideas_client, bearer, body)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert field in response.get_json()["errors"]


def test_submitting_needs_a_staff_qi_lead_or_admin_token(ideas_client, bearer):
    assert ideas_client.post("/api/v1/ideas", json=IDEA).status_code == 401
    assert ideas_client.post("/api/v1/ideas", json=IDEA, headers=bearer("trainer")).status_code == 403
    assert ideas_client.post("/api/v1/ideas", json=IDEA, headers=bearer("admin")).status_code == 201


def test_only_a_qi_lead_or_admin_reviews_an_idea(ideas_client, bearer):
    idea_id = submit(ideas_client, bearer).get_json()["id"]
    refused = ideas_client.post(f"/api/v1/ideas/{idea_id}/stage", json={"stage": "under_review"},
                                headers=bearer("staff"))
    assert refused.status_code == 403


def test_ideas_are_listed_by_stage_a_page_at_a_time(ideas_client, bearer):
    for _ in range(3):
        submit(ideas_client, bearer)
    reviewed = submit(ideas_client, bearer).get_json()["id"]
    move(ideas_client, bearer, reviewed, "under_review")
    page = ideas_client.get("/api/v1/ideas?stage=submitted&page_size=2", headers=bearer("staff")).get_json()
    assert len(page["items"]) == 2
    assert page["total"] >= 3
    assert {idea["stage"] for idea in page["items"]} == {"submitted"}
    under_review = ideas_client.get("/api/v1/ideas?stage=under_review&page_size=200",
                                    headers=bearer("staff")).get_json()["items"]
    assert reviewed in [idea["id"] for idea in under_review]
    assert ideas_client.get("/api/v1/ideas?stage=maybe", headers=bearer("staff")).status_code == 422


def first_pages(client, headers, how_many, **query):
    """The first ``how_many`` pages of the ideas list, each reached by the ``next`` of the one before."""
    pages = [client.get("/api/v1/ideas", query_string=query, headers=headers).get_json()]
    while len(pages) < how_many and pages[-1]["next"]:
        pages.append(client.get("/api/v1/ideas", query_string={**query, "cursor": pages[-1]["next"]},
                                headers=headers).get_json())
    return pages


def test_walking_the_list_by_its_cursors_sees_each_idea_once_newest_first(ideas_client, bearer):
    submitted = [submit(ideas_client, bearer).get_json()["id"] for _ in range(5)]
    pages = first_pages(ideas_client, bearer("staff"), 3, page_size=3)
    seen = [idea for body in pages for idea in body["items"]]
    assert len(seen) == 9 and len({idea["id"] for idea in seen}) == 9, "no idea twice"
    assert [idea["id"] for idea in seen[:5]] == submitted[::-1]
    keys = [(idea["submitted_at"], idea["id"]) for idea in seen]
    assert keys == sorted(keys, reverse=True)
    assert pages[0]["previous"] is None and all(body["previous"] for body in pages[1:])
    assert len({(body["total"], body["total_is_exact"]) for body in pages}) == 1, "the total travels in the cursor"
    back = ideas_client.get("/api/v1/ideas", query_string={"page_size": 3, "cursor": pages[1]["previous"]},
                            headers=bearer("staff")).get_json()
    assert back["items"] == pages[0]["items"] and back["previous"] is None


@pytest.mark.parametrize("cursor", ["not-a-cursor", "eyJrIjpbIjIwMjYiXSwiYiI6ZmFsc2V9.AAAA"])
def test_a_forged_or_garbled_cursor_is_a_400_problem(ideas_client, bearer, cursor):
    response = ideas_client.get("/api/v1/ideas", query_string={"cursor": cursor}, headers=bearer("staff"))
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert "cursor" in response.get_json()["errors"]


def test_a_cursor_for_one_stage_is_refused_for_another(ideas_client, bearer):
    for _ in range(2):
        submit(ideas_client, bearer)
    first = ideas_client.get("/api/v1/ideas?stage=submitted&page_size=1", headers=bearer("staff")).get_json()
    response = ideas_client.get("/api/v1/ideas", query_string={"stage": "accepted", "cursor": first["next"]},
                                headers=bearer("staff"))
    assert response.status_code == 400


def test_an_unknown_idea_is_a_404_problem(ideas_client, bearer):
    response = ideas_client.get("/api/v1/ideas/00000000-0000-4000-8000-000000000000", headers=bearer("staff"))
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def test_the_api_documents_that_ideas_must_not_identify_patients(ideas_client):
    spec = ideas_client.get("/openapi.json").get_json()
    assert "patient-identifiable" in spec["info"]["description"]
    described = spec["components"]["schemas"]["StaffIdeaIn"]["properties"]["description"]["description"]
    assert "must not identify a patient" in described
    assert ideas_client.get("/readyz").get_json()["status"] == "ready"
