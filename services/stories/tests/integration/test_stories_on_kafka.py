"""A completed project, published to Kafka, becomes a drafted story with its before/after chart;
an editor publishes it and story.published tells the people its project named."""

import uuid
from datetime import datetime
from functools import partial

import pytest

from services.conftest import messages_with_key, outbox, run_consumer
from services.stories import bootstrap
from shared import topics
from shared.events import new_event
from shared.relay import OutboxRelay

pytestmark = pytest.mark.integration

consume = partial(run_consumer, bootstrap)
FALLS = [("2025-06", 9.0), ("2025-07", 8.0), ("2025-08", 9.0), ("2025-09", 8.0), ("2025-10", 6.0),
         ("2025-11", 5.0), ("2025-12", 5.0)]


def kpi_updated(kpi_code, period, value, revision=1, series=None):
    return new_event("kpi.updated", {
        "kpi_code": kpi_code, "kpi_name": "Inpatient falls", "unit_code": "WARD-7", "unit_name": "Ward 7",
        "period": period, "value": value, "revision": revision, "unit_of_measure": "count",
        "owners": ["alice.owner@hospital.example"], "source": "datix", "series": series}, source="urn:wtgr:metrics",
        subject=f"{kpi_code}|WARD-7")


def project_started(project_id, month):
    return new_event("project.stage_changed", {
        "project_id": project_id, "title": "Fewer falls", "from_stage": "draft", "to_stage": "active",
        "changed_by": "quinn.lead"}, source="urn:wtgr:projects",
        now=datetime.fromisoformat(f"{month}-03T09:00:00+00:00"))


def cycle_started(project_id, day):
    return new_event("pdsa.cycle_started", {
        "project_id": project_id, "cycle_id": str(uuid.uuid4()), "cycle_number": 1, "title": "Cycle 1",
        "change_idea": "Falls check at handover", "planned_start": day, "started_on": day, "series": [],
        "audience": [], "path": f"/projects/{project_id}"}, source="urn:wtgr:projects")


def project_completed_v2(project_id, idea_id, kpi_code):
    return new_event("project.completed", {
        "project_id": project_id, "title": "Fewer falls on Ward 7", "aim": "Cut falls from 8 to 5 a month by March",
        "idea_id": idea_id, "completed_by": "quinn.lead", "outcome": {"kpi_code": kpi_code, "unit_code": "WARD-7"},
        "results": "Falls fell to 5 a month and stayed there.", "learning": "Test on one bay first.",
        "team": [{"subject": "quinn.lead", "name": "Quinn Lead", "email": "quinn.lead@hospital.example",
                  "role": "lead"},
                 {"subject": "sam.nurse", "name": "Sam Nurse", "email": "sam.nurse@hospital.example",
                  "role": "member"}],
        "directorate": "Medicine", "cqc": ["safe"],
        "audience": [{"email": "patient@example.org", "name": None, "relation": "submitter"},
                     {"email": "sam.nurse@hospital.example", "name": "Sam Nurse", "relation": "team"}],
        "path": f"/projects/{project_id}"}, source="urn:wtgr:projects", version=2)


def chart_points(*months):
    """A kpi.updated's series: (period, value) pairs as its points."""
    return [{"period": period, "value": value, "point_type": None} for period, value in months]


def kept_months(stories_state, kpi_code):
    """The KPI's months stories keeps, as (period, value), oldest first."""
    with stories_state.pool.connection() as conn:
        rows = conn.execute("SELECT period, value FROM kpi_series WHERE kpi_code = %s ORDER BY period",
                            (kpi_code,)).fetchall()
    return [(row["period"], row["value"]) for row in rows]


def send(producer, topic, *events):
    for event in events:
        producer.send(topic, key=(event.subject or "k").encode(), value=event.to_json()).get(timeout=10)


def test_a_completed_project_on_kafka_drafts_its_story_once_with_the_before_after_chart_of_its_outcome(
    stories_client, stories_state, bearer, kafka_bootstrap, producer, scratch_topic, dead_letter_topic
):
    project_id, idea_id, kpi = str(uuid.uuid4()), str(uuid.uuid4()), f"FALLS-{uuid.uuid4().hex[:6]}"
    # The months reach the read model long before the project completes (two topics: no order between them).
    send(producer, scratch_topic, *(kpi_updated(kpi, period, value) for period, value in FALLS),
         project_started(project_id, "2025-10"))
    assert consume(stories_state, kafka_bootstrap, producer, scratch_topic, dead_letter_topic,
                   expected=len(FALLS) + 1) == len(FALLS) + 1
    completed = project_completed_v2(project_id, idea_id, kpi)
    send(producer, scratch_topic, completed, completed)
    total = len(FALLS) + 3  # a new consumer group reads the topic from the start; the earlier ones are duplicates
    assert consume(stories_state, kafka_bootstrap, producer, scratch_topic, dead_letter_topic, expected=total) == total

    story = stories_client.get(f"/api/v1/projects/{project_id}/story", headers=bearer("qi_lead")).get_json()
    assert (story["state"], story["origin"], story["idea_id"]) == ("draft", "project", idea_id)
    assert story["summary"].startswith("The aim: Cut falls from 8 to 5")
    assert story["learning"] == "Test on one bay first."
    assert story["team"] == [{"name": "Quinn Lead", "role": "lead"}, {"name": "Sam Nurse", "role": "member"}]
    assert story["tags"] == ["safe", "medicine"]
    assert (story["chart"]["before_mean"], story["chart"]["after_mean"], story["chart"]["started"]) == (
        8.5, 5.3333, "2025-10")
    assert len(story["chart"]["rows"]) == len(FALLS)
    svg = stories_client.get(f"/api/v1/stories/{story['id']}/chart.svg", headers=bearer("qi_lead"))
    assert svg.mimetype == "image/svg+xml" and b'role="img"' in svg.data and b"<desc" in svg.data
    [drafted] = outbox(stories_state, story["id"], "story.drafted")
    assert drafted["envelope"]["data"]["audience"] == [
        {"email": "quinn.lead@hospital.example", "name": "Quinn Lead", "relation": "lead"}]
    assert stories_client.get(f"/api/v1/projects/{project_id}/story", headers=bearer("staff")).status_code == 404


def test_a_version_1_completion_drafts_a_story_from_its_aim_without_a_chart(
    stories_client, stories_state, bearer, kafka_bootstrap, producer, scratch_topic, dead_letter_topic
):
    project_id = str(uuid.uuid4())
    event = new_event("project.completed", {"project_id": project_id, "title": "Discharge lounge", "aim": "Earlier",
                                            "idea_id": None, "completed_by": "quinn.lead"}, source="urn:wtgr:projects")
    send(producer, scratch_topic, event)
    assert consume(stories_state, kafka_bootstrap, producer, scratch_topic, dead_letter_topic, expected=1) == 1
    story = stories_client.get(f"/api/v1/projects/{project_id}/story", headers=bearer("comms_editor")).get_json()
    assert (story["chart"], story["has_chart_svg"], story["summary"]) == (None, False, "The aim: Earlier")


def test_an_editor_publishes_the_story_at_its_permalink_and_story_published_tells_the_audience_it_copied(
    stories_client, stories_state, bearer, kafka_bootstrap, producer, scratch_topic, dead_letter_topic
):
    project_id, idea_id, kpi = str(uuid.uuid4()), str(uuid.uuid4()), f"FALLS-{uuid.uuid4().hex[:6]}"
    send(producer, scratch_topic, project_completed_v2(project_id, idea_id, kpi))
    consume(stories_state, kafka_bootstrap, producer, scratch_topic, dead_letter_topic, expected=1)
    draft = stories_client.get(f"/api/v1/projects/{project_id}/story", headers=bearer("qi_lead"))
    story_id, etag = draft.get_json()["id"], draft.headers["ETag"]

    stale = stories_client.post(f"/api/v1/stories/{story_id}/publication", headers={**bearer("comms_editor"),
                                                                                    "If-Match": '"99"'})
    assert stale.status_code == 412
    assert stories_client.post(f"/api/v1/stories/{story_id}/publication", headers=bearer("staff")).status_code == 403
    published = stories_client.post(f"/api/v1/stories/{story_id}/publication",
                                    headers={**bearer("comms_editor"), "If-Match": etag})
    assert published.status_code == 200 and published.get_json()["state"] == "published"
    again = stories_client.post(f"/api/v1/stories/{story_id}/publication", headers=bearer("comms_editor"))
    assert again.status_code == 409 and again.mimetype == "application/problem+json"

    slug = published.get_json()["slug"]
    assert slug.startswith("fewer-falls-on-ward-7")
    read = stories_client.get(f"/api/v1/stories/by-slug/{slug}", headers=bearer("staff"))
    assert read.status_code == 200 and read.get_json()["id"] == story_id
    [event] = outbox(stories_state, story_id, "story.published")
    data = event["envelope"]["data"]
    assert data["path"] == f"/stories/{slug}" and data["idea_id"] == idea_id
    assert {member["relation"] for member in data["audience"]} == {"submitter", "team"}
    lineage = stories_client.get(f"/api/v1/ideas/{idea_id}/stories", headers=bearer("staff")).get_json()
    assert [item["id"] for item in lineage["items"]] == [story_id]


def test_the_relay_publishes_a_drafted_story_to_the_stories_topic_keyed_by_the_story(
    stories_client, stories_state, bearer, kafka_bootstrap, relay_producer
):
    story = stories_client.post("/api/v1/stories", json={"title": "Ward 9 huddles", "summary": "Daily huddles."},
                                headers=bearer("comms_editor")).get_json()
    relay = OutboxRelay("stories", stories_state.pool, relay_producer)
    while relay.publish_batch():
        pass
    [message] = messages_with_key(kafka_bootstrap, topics.STORIES, story["id"], expected=1)
    assert b'"type":"story.drafted"' in message.value


def test_a_kpi_revision_replaces_its_month_and_an_older_one_arriving_late_changes_nothing(
    stories_client, stories_state, bearer, kafka_bootstrap, producer, scratch_topic, dead_letter_topic
):
    kpi = f"LOS-{uuid.uuid4().hex[:6]}"
    send(producer, scratch_topic, kpi_updated(kpi, "2025-01", 5.0, 2), kpi_updated(kpi, "2025-01", 9.0, 1))
    consume(stories_state, kafka_bootstrap, producer, scratch_topic, dead_letter_topic, expected=2)
    with stories_state.pool.connection() as conn:
        row = conn.execute("SELECT value, revision FROM kpi_series WHERE kpi_code = %s", (kpi,)).fetchone()
    assert (row["value"], row["revision"]) == (5.0, 2)


def test_every_month_of_the_chart_a_kpi_update_carries_is_kept_not_only_the_month_it_names(
    stories_state, kafka_bootstrap, producer, scratch_topic, dead_letter_topic
):
    kpi = f"LOS-{uuid.uuid4().hex[:6]}"
    # one recompute took in three months and names the newest; a late older revision changes nothing
    series = chart_points(("2025-01", 5.0), ("2025-02", 6.0), ("2025-03", 7.0))
    stale = chart_points(("2025-01", 1.0))
    send(producer, scratch_topic, kpi_updated(kpi, "2025-03", 7.0, 1, series),
         kpi_updated(kpi, "2025-03", 2.0, 0, stale))
    consume(stories_state, kafka_bootstrap, producer, scratch_topic, dead_letter_topic, expected=2)
    assert kept_months(stories_state, kpi) == [("2025-01", 5.0), ("2025-02", 6.0), ("2025-03", 7.0)]


def test_a_later_chart_replaces_the_months_it_revised_and_keeps_the_rest(
    stories_state, kafka_bootstrap, producer, scratch_topic, dead_letter_topic
):
    kpi = f"LOS-{uuid.uuid4().hex[:6]}"
    first = chart_points(("2025-01", 5.0), ("2025-02", 6.0))
    later = chart_points(("2025-01", 5.0), ("2025-02", 6.5), ("2025-03", 7.0))
    send(producer, scratch_topic, kpi_updated(kpi, "2025-02", 6.0, 1, first),
         kpi_updated(kpi, "2025-03", 7.0, 1, later))
    consume(stories_state, kafka_bootstrap, producer, scratch_topic, dead_letter_topic, expected=2)
    assert kept_months(stories_state, kpi) == [("2025-01", 5.0), ("2025-02", 6.5), ("2025-03", 7.0)]


def test_a_change_tested_before_the_project_became_active_starts_the_after_months(
    stories_client, stories_state, bearer, kafka_bootstrap, producer, scratch_topic, dead_letter_topic
):
    project_id, kpi = str(uuid.uuid4()), f"FALLS-{uuid.uuid4().hex[:6]}"
    # registered late: active in 2025-12, but its first cycle ran from 2025-10 (a later cycle changes nothing)
    send(producer, scratch_topic, *(kpi_updated(kpi, period, value) for period, value in FALLS),
         project_started(project_id, "2025-12"), cycle_started(project_id, "2025-10-06"),
         cycle_started(project_id, "2025-11-03"))
    consume(stories_state, kafka_bootstrap, producer, scratch_topic, dead_letter_topic, expected=len(FALLS) + 3)
    send(producer, scratch_topic, project_completed_v2(project_id, None, kpi))
    consume(stories_state, kafka_bootstrap, producer, scratch_topic, dead_letter_topic, expected=len(FALLS) + 4)
    story = stories_client.get(f"/api/v1/projects/{project_id}/story", headers=bearer("qi_lead")).get_json()
    assert (story["chart"]["started"], story["chart"]["before_mean"], story["chart"]["after_mean"]) == (
        "2025-10", 8.5, 5.3333)
