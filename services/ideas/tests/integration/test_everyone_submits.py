"""Public and anonymous ideas, moderation, the rate limit, votes, follows, merges, comments, campaigns,
the similar-ideas search and the list's filters, on the real database."""

import random
import uuid
from datetime import date, timedelta

import pytest

from services.conftest import outbox
from services.ideas.service_layer import handlers
from shared.db import unit_of_work

pytestmark = pytest.mark.integration

IDEA = {"title": "Quieter wards at night", "description": "Dim the corridor lights on WARD-7 after 11pm."}


def client_address():
    return {"REMOTE_ADDR": f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}"}


def submit_public(client, body=None, address=None):
    return client.post("/api/v1/public/ideas", json=body or {**IDEA, "title": f"Idea {uuid.uuid4().hex[:6]}"},
                       environ_base=address or client_address())


def submit(client, bearer, user="alice", **body):
    response = client.post("/api/v1/ideas", json={**IDEA, **body}, headers=bearer("staff", user=user))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def move(client, bearer, idea_id, stage, reason=None):
    response = client.post(f"/api/v1/ideas/{idea_id}/stage", json={"stage": stage, "reason": reason},
                           headers=bearer("qi_lead", user="lead"))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def idea_of(client, bearer, idea_id, *roles, user="reader"):
    return client.get(f"/api/v1/ideas/{idea_id}", headers=bearer(*(roles or ("staff",)), user=user))


# -- the public and anonymous staff -----------------------------------------------------------------

def test_a_public_idea_is_seen_by_moderators_only_until_it_is_let_through(ideas_client, ideas_state, bearer):
    response = submit_public(ideas_client, {**IDEA, "name": "A. Carer", "email": "carer@example.org", "consent": True})
    assert response.status_code == 201
    idea = response.get_json()
    assert (idea["stage"], idea["channel"], idea["submitted_by"]) == ("moderation", "public", None)
    assert response.headers["Location"] == f"/api/v1/followed-ideas/{idea['follow_token']}"
    assert idea_of(ideas_client, bearer, idea["id"]).status_code == 404
    listed = ideas_client.get("/api/v1/ideas?stage=moderation&page_size=200", headers=bearer("staff")).get_json()
    assert idea["id"] not in [item["id"] for item in listed["items"]]
    moderated = idea_of(ideas_client, bearer, idea["id"], "moderator").get_json()
    assert moderated["contact"] == {"name": "A. Carer", "email": "carer@example.org", "phone": None, "consent": True}
    move(ideas_client, bearer, idea["id"], "submitted")
    seen = idea_of(ideas_client, bearer, idea["id"]).get_json()
    assert seen["stage"] == "submitted" and seen["contact"] is None
    [submitted] = [row for row in outbox(ideas_state, idea["id"], "idea.submitted")]
    assert submitted["envelope"]["data"]["audience"] == [
        {"email": "carer@example.org", "name": "A. Carer", "relation": "submitter"}]


def test_a_public_submitters_contact_without_consent_is_refused(ideas_client):
    response = submit_public(ideas_client, {**IDEA, "email": "carer@example.org"})
    assert response.status_code == 422
    assert "consent" in response.get_json()["errors"]


def test_the_follow_token_shows_the_idea_and_its_stages_without_names(ideas_client, bearer):
    idea = submit_public(ideas_client).get_json()
    move(ideas_client, bearer, idea["id"], "submitted")
    followed = ideas_client.get(f"/api/v1/followed-ideas/{idea['follow_token']}")
    assert followed.status_code == 200
    body = followed.get_json()
    assert [(h["stage"], h["changed_by"]) for h in body["history"]] == [("moderation", None), ("submitted", None)]
    assert ideas_client.get("/api/v1/followed-ideas/not-a-token").status_code == 404


def test_an_anonymous_staff_idea_keeps_the_submitters_name_nowhere(ideas_client, ideas_state, bearer):
    user = f"shy-{uuid.uuid4().hex[:8]}"
    idea = submit(ideas_client, bearer, user=user, anonymous=True)
    assert (idea["channel"], idea["submitted_by"], idea["stage"]) == ("anonymous", None, "submitted")
    assert idea["follow_token"]
    with ideas_state.pool.connection() as conn:
        rows = conn.execute("SELECT to_jsonb(i)::text AS row FROM ideas i WHERE id = %s UNION ALL "
                            "SELECT to_jsonb(h)::text FROM idea_stage_history h WHERE idea_id = %s UNION ALL "
                            "SELECT envelope::text FROM outbox WHERE key = %s UNION ALL "
                            "SELECT to_jsonb(a)::text FROM audit_log a WHERE resource_id = %s::text",
                            (idea["id"], idea["id"], idea["id"], idea["id"])).fetchall()
    assert rows and not [row for row in rows if user in row["row"]]


def test_the_public_form_is_rate_limited_per_client_with_retry_after(ideas_client):
    address = client_address()
    answers = [submit_public(ideas_client, address=address).status_code for _ in range(6)]
    assert answers == [201] * 5 + [429]
    refused = submit_public(ideas_client, address=address)
    assert refused.status_code == 429
    assert refused.mimetype == "application/problem+json"
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert submit_public(ideas_client, address=client_address()).status_code == 201, "another client is not limited"


@pytest.mark.parametrize(("body", "field"), [
    ({"title": "x" * 201, "description": "d"}, "title"),
    ({"title": "t", "description": "d" * 10_001}, "description"),
    ({"title": "t", "description": "my mum, DOB 12/03/1961, waited"}, "description"),
])
def test_the_public_form_bounds_sizes_and_refuses_patient_data(ideas_client, body, field):
    response = submit_public(ideas_client, body)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


# -- stages and merging ---------------------------------------------------------------------------

def test_moderators_may_decline_a_public_idea_with_a_reason_and_it_stays_hidden(ideas_client, bearer):
    idea = submit_public(ideas_client).get_json()
    declined = ideas_client.post(f"/api/v1/ideas/{idea['id']}/stage", headers=bearer("moderator"),
                                 json={"stage": "declined", "reason": "Spam"})
    assert declined.status_code == 200
    assert idea_of(ideas_client, bearer, idea["id"]).status_code == 404


def test_a_moderator_lets_a_public_idea_through_but_only_a_qi_lead_reviews_it(ideas_client, bearer):
    idea = submit_public(ideas_client).get_json()
    as_moderator = idea_of(ideas_client, bearer, idea["id"], "moderator").get_json()
    assert as_moderator["next_stages"] == ["declined", "submitted"]
    through = ideas_client.post(f"/api/v1/ideas/{idea['id']}/stage", headers=bearer("moderator"),
                                json={"stage": "submitted"})
    assert through.status_code == 200
    assert idea_of(ideas_client, bearer, idea["id"], "moderator").get_json()["next_stages"] == []
    assert idea_of(ideas_client, bearer, idea["id"], "qi_lead").get_json()["next_stages"] == [
        "declined", "under_review"]
    assert idea_of(ideas_client, bearer, idea["id"]).get_json()["next_stages"] == []
    refused = ideas_client.post(f"/api/v1/ideas/{idea['id']}/stage", headers=bearer("moderator"),
                                json={"stage": "under_review"})
    assert refused.status_code == 403
    assert idea_of(ideas_client, bearer, idea["id"]).get_json()["stage"] == "submitted"


def test_merging_carries_votes_and_followers_over_once_per_person(ideas_client, ideas_state, bearer):
    source, target = submit(ideas_client, bearer)["id"], submit(ideas_client, bearer)["id"]
    for user in ("ann", "bob"):
        ideas_client.put(f"/api/v1/ideas/{source}/vote", headers=bearer("staff", user=user))
        ideas_client.put(f"/api/v1/ideas/{source}/follow", headers=bearer("staff", user=user))
    ideas_client.put(f"/api/v1/ideas/{target}/vote", headers=bearer("staff", user="ann"))
    merged = ideas_client.post(f"/api/v1/ideas/{source}/merge", headers=bearer("qi_lead", user="lead"),
                               json={"into_idea_id": target, "reason": "Same idea"})
    assert merged.status_code == 200
    assert (merged.get_json()["stage"], merged.get_json()["merged_into"]) == ("merged", target)
    into = idea_of(ideas_client, bearer, target, user="bob").get_json()
    assert (into["vote_count"], into["followers"], into["voted"], into["following"]) == (2, 2, True, True)
    [event] = outbox(ideas_state, source, "idea.merged")
    assert {member["email"] for member in event["envelope"]["data"]["audience"]} == {
        "alice@hospital.example", "ann@hospital.example", "bob@hospital.example"}
    again = ideas_client.post(f"/api/v1/ideas/{source}/merge", headers=bearer("qi_lead"), json={"into_idea_id": target})
    assert again.status_code == 409


def test_a_project_moves_an_accepted_idea_to_in_progress_and_its_completion_to_implemented(
        ideas_client, ideas_state, bearer):
    idea_id = submit(ideas_client, bearer)["id"]
    move(ideas_client, bearer, idea_id, "under_review")
    move(ideas_client, bearer, idea_id, "accepted")
    project = {"project_id": str(uuid.uuid4()), "title": "Quiet nights", "aim": "Fewer disturbances",
               "stage": "submitted", "idea_id": idea_id, "created_by": "lead"}
    with unit_of_work(ideas_state.pool, "ideas") as uow:
        handlers.on_project_created(uow, None, project)
    assert idea_of(ideas_client, bearer, idea_id).get_json()["stage"] == "in_progress"
    with unit_of_work(ideas_state.pool, "ideas") as uow:
        handlers.on_project_completed(uow, None, {**project, "completed_by": "lead"})
    idea = idea_of(ideas_client, bearer, idea_id).get_json()
    assert [h["stage"] for h in idea["history"]][-2:] == ["in_progress", "implemented"]
    stages = [row["envelope"]["data"]["to_stage"] for row in outbox(ideas_state, idea_id, "idea.stage_changed")]
    assert stages[-2:] == ["in_progress", "implemented"]


def test_the_idea_shows_what_it_became_its_project_with_its_stage_and_the_projects_story(
        ideas_client, ideas_state, bearer):
    idea_id = submit(ideas_client, bearer)["id"]
    move(ideas_client, bearer, idea_id, "under_review")
    move(ideas_client, bearer, idea_id, "accepted")
    project = {"project_id": str(uuid.uuid4()), "title": "Quiet nights", "aim": "Fewer disturbances",
               "stage": "submitted", "idea_id": idea_id, "created_by": "lead"}
    story = {"story_id": str(uuid.uuid4()), "slug": f"quiet-{uuid.uuid4().hex[:6]}", "title": "Quieter nights",
             "summary": "Fewer calls after 11pm.", "project_id": project["project_id"], "idea_id": None}
    with unit_of_work(ideas_state.pool, "ideas") as uow:
        handlers.on_project_created(uow, None, project)
        handlers.on_project_stage_changed(uow, None, {**project, "to_stage": "active"})
        handlers.on_story_published(uow, None, story)
    idea = idea_of(ideas_client, bearer, idea_id).get_json()
    assert idea["projects"] == [{"project_id": project["project_id"], "title": "Quiet nights", "stage": "active"}]
    assert [(found["slug"], found["title"]) for found in idea["stories"]] == [(story["slug"], "Quieter nights")]
    assert idea["project_ids"] == [project["project_id"]]


# -- votes, follows and comments ------------------------------------------------------------------

def test_a_person_votes_once_and_may_withdraw_the_vote(ideas_client, bearer):
    idea_id = submit(ideas_client, bearer)["id"]
    votes = [ideas_client.put(f"/api/v1/ideas/{idea_id}/vote", headers=bearer("staff", user="ann")).get_json()["votes"]
             for _ in range(2)]
    assert votes == [1, 1]
    assert ideas_client.put(f"/api/v1/ideas/{idea_id}/vote", headers=bearer("staff", user="bob")).get_json()[
        "votes"] == 2
    withdrawn = ideas_client.delete(f"/api/v1/ideas/{idea_id}/vote", headers=bearer("staff", user="ann")).get_json()
    assert (withdrawn["votes"], withdrawn["voted"]) == (1, False)


def test_an_idea_in_moderation_takes_no_votes_from_anyone_who_cannot_see_it(ideas_client, bearer):
    idea = submit_public(ideas_client).get_json()
    assert ideas_client.put(f"/api/v1/ideas/{idea['id']}/vote", headers=bearer("staff")).status_code == 404
    assert ideas_client.put(f"/api/v1/ideas/{idea['id']}/vote", headers=bearer("moderator")).status_code == 409


def test_a_comment_tells_the_followers_is_edited_by_its_author_and_hidden_with_a_reason(
        ideas_client, ideas_state, bearer):
    idea_id = submit(ideas_client, bearer)["id"]
    ideas_client.put(f"/api/v1/ideas/{idea_id}/follow", headers=bearer("staff", user="fay"))
    posted = ideas_client.post(f"/api/v1/ideas/{idea_id}/comments", json={"body": "Tried on WARD-3"},
                               headers=bearer("staff", user="cat"))
    assert posted.status_code == 201
    comment = posted.get_json()
    [event] = outbox(ideas_state, idea_id, "idea.commented")
    assert {m["email"] for m in event["envelope"]["data"]["audience"]} == {"alice@hospital.example",
                                                                           "fay@hospital.example"}
    path = f"/api/v1/ideas/{idea_id}/comments/{comment['id']}"
    assert ideas_client.patch(path, json={"body": "mine now"}, headers=bearer("staff", user="eve")).status_code == 403
    edited = ideas_client.patch(path, json={"body": "Tried on WARD-3 and WARD-4"}, headers={
        **bearer("staff", user="cat"), "If-Match": '"1"'})
    assert edited.status_code == 200 and edited.get_json()["edited_at"]
    assert ideas_client.post(f"{path}/hide", json={"reason": "x"}, headers=bearer("staff")).status_code == 403
    hidden = ideas_client.post(f"{path}/hide", json={"reason": "Names a colleague"}, headers=bearer("moderator"))
    assert hidden.status_code == 200
    listed = ideas_client.get(f"/api/v1/ideas/{idea_id}/comments", headers=bearer("staff")).get_json()["items"]
    assert [(c["body"], c["hidden_reason"]) for c in listed] == [(None, "Names a colleague")]
    assert ideas_client.get(f"/api/v1/ideas/{idea_id}/comments", headers=bearer("qi_lead")).get_json()[
        "items"][0]["body"] == "Tried on WARD-3 and WARD-4"


def test_a_comment_cannot_be_edited_after_fifteen_minutes(ideas_client, ideas_state, bearer):
    idea_id = submit(ideas_client, bearer)["id"]
    comment = ideas_client.post(f"/api/v1/ideas/{idea_id}/comments", json={"body": "First thought"},
                                headers=bearer("staff", user="cat")).get_json()
    with ideas_state.pool.connection() as conn:
        conn.execute("UPDATE idea_comments SET created_at = now() - interval '16 minutes' WHERE id = %s",
                     (comment["id"],))
    late = ideas_client.patch(f"/api/v1/ideas/{idea_id}/comments/{comment['id']}", json={"body": "Second thought"},
                              headers=bearer("staff", user="cat"))
    assert late.status_code == 403
    assert "15 minutes" in late.get_json()["detail"]


def test_a_comment_with_an_nhs_number_is_a_422_naming_the_body(ideas_client, bearer):
    idea_id = submit(ideas_client, bearer)["id"]
    response = ideas_client.post(f"/api/v1/ideas/{idea_id}/comments", json={"body": "Bed 4, 401 023 2137"},
                                 headers=bearer("staff"))
    assert response.status_code == 422
    assert response.get_json()["errors"]["body"][0].startswith("appears to contain an NHS number")


# -- campaigns, lists and the similar-ideas search -------------------------------------------------

def campaign(client, bearer, opens_on, closes_on, directorate="DIR-SURG"):
    response = client.post("/api/v1/campaigns", headers=bearer("qi_lead"), json={
        "theme": "Safer nights", "sponsor": "Chief Nurse", "directorate": directorate,
        "opens_on": opens_on.isoformat(), "closes_on": closes_on.isoformat()})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def test_an_idea_answers_an_open_campaign_only_and_takes_its_directorate(ideas_client, bearer):
    today = date.today()
    open_one = campaign(ideas_client, bearer, today - timedelta(days=1), today + timedelta(days=30))
    closed = campaign(ideas_client, bearer, today - timedelta(days=30), today - timedelta(days=1))
    idea = submit(ideas_client, bearer, campaign_id=open_one, category="patient-safety")
    assert (idea["campaign_id"], idea["directorate"], idea["category"]) == (open_one, "DIR-SURG", "patient-safety")
    late = ideas_client.post("/api/v1/ideas", json={**IDEA, "campaign_id": closed}, headers=bearer("staff"))
    assert late.status_code == 409
    unknown = ideas_client.post("/api/v1/ideas", json={**IDEA, "category": "no-such"}, headers=bearer("staff"))
    assert unknown.status_code == 422 and "category" in unknown.get_json()["errors"]
    listed = ideas_client.get("/api/v1/ideas", query_string={"campaign_id": open_one}, headers=bearer("staff"))
    assert [item["id"] for item in listed.get_json()["items"]] == [idea["id"]]


def test_the_list_searches_words_filters_and_sorts_by_votes(ideas_client, bearer):
    directorate = f"DIR-{uuid.uuid4().hex[:6].upper()}"
    word = f"zebra{uuid.uuid4().hex[:6]}"
    few = submit(ideas_client, bearer, title=f"Crossing {word}", directorate=directorate)["id"]
    many = submit(ideas_client, bearer, title="Painted crossing", description=f"A {word} crossing outside A&E",
                  directorate=directorate)["id"]
    other = submit(ideas_client, bearer, title="Bike shelter", directorate=directorate)["id"]
    for user in ("ann", "bob"):
        ideas_client.put(f"/api/v1/ideas/{many}/vote", headers=bearer("staff", user=user))
    by_votes = ideas_client.get("/api/v1/ideas", query_string={"directorate": directorate, "sort": "votes"},
                                headers=bearer("staff")).get_json()
    assert [item["id"] for item in by_votes["items"]] == [many, other, few]
    found = ideas_client.get("/api/v1/ideas", query_string={"directorate": directorate, "q": word},
                             headers=bearer("staff")).get_json()
    assert {item["id"] for item in found["items"]} == {few, many} and found["total"] == 2


def test_similar_ideas_projects_and_stories_are_ranked_best_first(ideas_client, ideas_state, bearer):
    tag = uuid.uuid4().hex[:6]
    close = submit(ideas_client, bearer, title=f"Falls sensor mats {tag}",
                   description="Sensor mats for high-risk patients at night")["id"]
    loose = submit(ideas_client, bearer, title=f"Night staffing {tag}", description="More falls cover at night")["id"]
    project_id, story_id = str(uuid.uuid4()), str(uuid.uuid4())
    with unit_of_work(ideas_state.pool, "ideas") as uow:
        handlers.on_project_created(uow, None, {"project_id": project_id, "title": f"Falls sensor mats {tag}",
                                                "aim": "Halve falls at night", "stage": "active", "idea_id": None})
        handlers.on_story_published(uow, None, {"story_id": story_id, "slug": f"mats-{tag}",
                                                "title": f"Sensor mats cut falls {tag}",
                                                "summary": "Falls fell by a third", "project_id": project_id})
    response = ideas_client.post("/api/v1/ideas/similar", headers=bearer("staff"), json={
        "title": f"Falls sensor mats {tag}", "description": "sensor mats at night"})
    assert response.status_code == 200
    body = response.get_json()
    ideas = [item["id"] for item in body["ideas"]]
    assert ideas[0] == close and loose in ideas
    assert [item["score"] for item in body["ideas"]] == sorted([item["score"] for item in body["ideas"]], reverse=True)
    assert body["projects"][0]["project_id"] == project_id
    assert body["stories"][0]["story_id"] == story_id
