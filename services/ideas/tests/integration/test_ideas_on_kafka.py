import uuid
from functools import partial

import pytest

from services.conftest import messages_with_key, run_consumer
from services.ideas import bootstrap
from shared import topics
from shared.events import new_event
from shared.relay import OutboxRelay

pytestmark = pytest.mark.integration


consume = partial(run_consumer, bootstrap)


def project_created(idea_id, project_id=None):
    return new_event("project.created", {
        "project_id": project_id or str(uuid.uuid4()), "title": "Discharge lounge", "aim": "", "stage": "draft",
        "idea_id": idea_id, "created_by": "projects-service"}, source="urn:wtgr:projects")


def submit(client, bearer):
    return client.post("/api/v1/ideas", json={"title": "Discharge lounge", "description": "Open it at 8am"},
                       headers=bearer("staff")).get_json()["id"]


def test_a_project_created_from_an_idea_is_linked_to_it_once_however_often_delivered(
    ideas_client, ideas_state, bearer, kafka_bootstrap, producer, scratch_topic, dead_letter_topic
):
    idea_id = submit(ideas_client, bearer)
    event = project_created(idea_id)
    for _ in range(2):
        producer.send(scratch_topic, key=event.data["project_id"].encode(), value=event.to_json()).get(timeout=10)
    assert consume(ideas_state, kafka_bootstrap, producer, scratch_topic, dead_letter_topic, expected=2) == 2
    idea = ideas_client.get(f"/api/v1/ideas/{idea_id}", headers=bearer("staff")).get_json()
    assert idea["project_ids"] == [event.data["project_id"]]


def test_a_project_naming_an_unknown_idea_is_dead_lettered(
    ideas_state, kafka_bootstrap, producer, scratch_topic, dead_letter_topic
):
    event = project_created(str(uuid.uuid4()))
    producer.send(scratch_topic, key=b"p", value=event.to_json()).get(timeout=10)
    assert consume(ideas_state, kafka_bootstrap, producer, scratch_topic, dead_letter_topic, expected=1) == 1
    [dead] = messages_with_key(kafka_bootstrap, dead_letter_topic, "p", expected=1)
    assert b"does not exist" in dead.value


def test_the_relay_publishes_a_submitted_idea_to_the_ideas_topic_keyed_by_the_idea(
    ideas_client, ideas_state, bearer, kafka_bootstrap, relay_producer
):
    idea_id = submit(ideas_client, bearer)
    relay = OutboxRelay("ideas", ideas_state.pool, relay_producer)
    while relay.publish_batch():
        pass
    [message] = messages_with_key(kafka_bootstrap, topics.IDEAS, idea_id, expected=1)
    assert b'"type":"idea.submitted"' in message.value
