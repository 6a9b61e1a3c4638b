"""The projects consumer on real Kafka: its copy of ideas and of improvement signals, and the
relay publishing what the API announced."""

import uuid
from functools import partial

import pytest

from services.conftest import messages_with_key, run_consumer
from services.projects import bootstrap
from services.projects.tests.conftest import PROJECT
from shared import topics
from shared.events import new_event
from shared.relay import OutboxRelay

pytestmark = pytest.mark.integration

consume = partial(run_consumer, bootstrap)
AUDIENCE = [{"email": "pat@example.org", "name": "Pat", "relation": "submitter"}]


def idea_copy(state, idea_id):
    with state.pool.connection() as conn:
        return conn.execute("SELECT title, stage, audience FROM idea_copies WHERE idea_id = %s", (idea_id,)).fetchone()


def send(producer, topic, key, *events):
    for event in events:
        producer.send(topic, key=key.encode(), value=event.to_json()).get(timeout=10)


def idea_event(type, data, version=1):
    return new_event(type, data, source="urn:wtgr:ideas", version=version)


def test_an_accepted_idea_is_kept_with_its_audience_and_drafts_no_project_however_often_delivered(
    projects_state, kafka_bootstrap, producer, scratch_topic, dead_letter_topic
):
    idea_id = str(uuid.uuid4())
    submitted = idea_event("idea.submitted", {"idea_id": idea_id, "title": "Discharge lounge", "description": "At 8",
                                              "submitted_by": "alice"})
    accepted = idea_event("idea.accepted", {"idea_id": idea_id, "title": "Discharge lounge", "description": "At 8",
                                            "submitted_by": "alice", "accepted_by": "lead", "channel": "public",
                                            "audience": AUDIENCE, "path": f"/ideas/{idea_id}"}, version=2)
    send(producer, scratch_topic, idea_id, submitted, accepted, accepted)
    assert consume(projects_state, kafka_bootstrap, producer, scratch_topic, dead_letter_topic, expected=3) == 3
    copy = idea_copy(projects_state, idea_id)
    assert (copy["stage"], copy["audience"]) == ("accepted", AUDIENCE)
    with projects_state.pool.connection() as conn:
        assert conn.execute("SELECT count(*) AS n FROM projects WHERE idea_id = %s", (idea_id,)).fetchone()["n"] == 0


def test_a_declined_idea_cannot_become_a_project(projects_state, projects_client, bearer, kafka_bootstrap, producer,
                                                 scratch_topic, dead_letter_topic):
    idea_id = str(uuid.uuid4())
    send(producer, scratch_topic, idea_id,
         idea_event("idea.submitted", {"idea_id": idea_id, "title": "Quiet hour", "description": "At night",
                                       "submitted_by": "bob"}),
         idea_event("idea.status_changed", {"idea_id": idea_id, "title": "Quiet hour", "from_status": "submitted",
                                            "to_status": "declined", "changed_by": "lead", "reason": "Done already"}))
    consume(projects_state, kafka_bootstrap, producer, scratch_topic, dead_letter_topic, expected=2)
    assert idea_copy(projects_state, idea_id)["stage"] == "declined"
    response = projects_client.post("/api/v1/projects", json={**PROJECT, "idea_id": idea_id},
                                    headers=bearer("qi_lead"))
    assert response.status_code == 422


def test_an_idea_stage_change_of_the_new_contract_moves_the_copy(projects_state, kafka_bootstrap, producer,
                                                                 scratch_topic, dead_letter_topic):
    idea_id = str(uuid.uuid4())
    send(producer, scratch_topic, idea_id, idea_event("idea.stage_changed", {
        "idea_id": idea_id, "title": "Bed sensors", "from_stage": "accepted", "to_stage": "in_progress",
        "reason": None, "changed_by": "lead", "audience": [], "path": f"/ideas/{idea_id}"}))
    consume(projects_state, kafka_bootstrap, producer, scratch_topic, dead_letter_topic, expected=1)
    assert idea_copy(projects_state, idea_id)["stage"] == "in_progress"


def special_cause(kpi, point_type, period="2026-06", start="2026-04"):
    return new_event("kpi.special_cause_detected", {
        "kpi_code": kpi, "kpi_name": "Falls", "unit_code": "WARD-7", "unit_name": "Ward 7", "period": period,
        "signal_start": start, "special_cause_type": "shift", "point_type": point_type,
        "improvement_direction": "decrease", "value": 3.0, "mean": 5.0, "lpl": 1.0, "upl": 9.0,
        "unit_of_measure": "count", "owners": []}, source="urn:wtgr:metrics")


def test_only_signals_of_improvement_are_kept_as_evidence(projects_state, kafka_bootstrap, producer, scratch_topic,
                                                          dead_letter_topic):
    better, worse = f"P-{uuid.uuid4().hex[:8]}-1", f"P-{uuid.uuid4().hex[:8]}-1"
    send(producer, scratch_topic, better, special_cause(better, "special_cause_improvement"),
         special_cause(better, "special_cause_improvement", period="2026-07"),
         special_cause(worse, "special_cause_concern"))
    consume(projects_state, kafka_bootstrap, producer, scratch_topic, dead_letter_topic, expected=3)
    with projects_state.pool.connection() as conn:
        rows = conn.execute("SELECT kpi_code, signal_start::text, latest::text FROM improvement_signals"
                            " WHERE kpi_code IN (%s, %s)", (better, worse)).fetchall()
    assert [tuple(row.values()) for row in rows] == [(better, "2026-04-01", "2026-07-01")]


def kpi_updated(kpi, latest, point_type):
    return new_event("kpi.updated", {
        "kpi_code": kpi, "kpi_name": "Falls", "unit_code": "WARD-7", "unit_name": "Ward 7", "period": latest,
        "value": 3.0, "previous_value": None, "revision": 1, "unit_of_measure": "count", "owners": [],
        "source": "test", "latest_period": latest, "latest_value": 3.0, "point_type": point_type},
        source="urn:wtgr:metrics")


def test_a_signal_announced_once_is_sustained_while_the_newest_point_still_shows_improvement(
    projects_state, kafka_bootstrap, producer, scratch_topic, dead_letter_topic
):
    kpi = f"P-{uuid.uuid4().hex[:8]}-1"
    send(producer, scratch_topic, kpi, special_cause(kpi, "special_cause_improvement", period="2026-04"),
         kpi_updated(kpi, "2026-05", "special_cause_improvement"),
         kpi_updated(kpi, "2026-06", "special_cause_improvement"),
         kpi_updated(kpi, "2026-07", "common_cause"), kpi_updated(kpi, "2026-05", "special_cause_improvement"))
    consume(projects_state, kafka_bootstrap, producer, scratch_topic, dead_letter_topic, expected=5)
    with projects_state.pool.connection() as conn:
        rows = conn.execute("SELECT signal_start::text, latest::text FROM improvement_signals WHERE kpi_code = %s",
                            (kpi,)).fetchall()
    # sustained to June; July's common cause does not extend it, and a late May changes nothing
    assert [tuple(row.values()) for row in rows] == [("2026-04-01", "2026-06-01")]


def test_a_kpi_series_metrics_announces_can_then_be_linked_as_a_measure(
    projects_state, projects_client, bearer, kafka_bootstrap, producer, scratch_topic, dead_letter_topic
):
    kpi = f"K-{uuid.uuid4().hex[:8]}"
    project_id = projects_client.post("/api/v1/projects", json=PROJECT, headers=bearer("qi_lead")).get_json()["id"]
    measure = {"kind": "process", "name": "Checks done", "kpi_code": kpi, "unit_code": "WARD-7"}
    url = f"/api/v1/projects/{project_id}/measures"
    assert projects_client.post(url, json=measure, headers=bearer("qi_lead")).status_code == 422
    send(producer, scratch_topic, f"{kpi}|WARD-7", new_event("kpi.updated", {
        "kpi_code": kpi, "kpi_name": "Checks done", "unit_code": "WARD-7", "unit_name": "Ward 7",
        "period": "2026-06", "value": 41.0, "previous_value": None, "revision": 1, "unit_of_measure": "count",
        "owners": [], "source": "test"}, source="urn:wtgr:metrics"))
    consume(projects_state, kafka_bootstrap, producer, scratch_topic, dead_letter_topic, expected=1)
    assert projects_client.post(url, json=measure, headers=bearer("qi_lead")).status_code == 201


def test_a_registered_project_reaches_the_projects_topic_as_project_created_v2(projects_state, projects_client,
                                                                               bearer, kafka_bootstrap, relay_producer):
    project_id = projects_client.post("/api/v1/projects", json=PROJECT, headers=bearer("staff")).get_json()["id"]
    relay = OutboxRelay("projects", projects_state.pool, relay_producer)
    while relay.publish_batch():
        pass
    [message] = messages_with_key(kafka_bootstrap, topics.PROJECTS, project_id, expected=1)
    assert b'"dataschema":"urn:wtgr:event:project.created:2"' in message.value
    assert b'"team":[' in message.value
