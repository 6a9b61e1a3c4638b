import uuid
from functools import partial

import pytest

from services.conftest import messages_with_key, run_consumer
from services.projects import bootstrap
from shared import topics
from shared.events import new_event
from shared.relay import OutboxRelay

pytestmark = pytest.mark.integration


consume = partial(run_consumer, bootstrap)


def drafts_from(state, idea_id):
    with state.pool.connection() as conn:
        return conn.execute("SELECT id, title, aim, stage, created_by FROM projects WHERE idea_id = %s",
                            (idea_id,)).fetchall()


def test_an_accepted_idea_becomes_one_draft_project_however_often_delivered(
    projects_state, kafka_bootstrap, producer, scratch_topic, dead_letter_topic
):
    idea_id = str(uuid.uuid4())
    event = new_event("idea.accepted", {"idea_id": idea_id, "title": "Discharge lounge", "description": "Open at 8",
                                        "submitted_by": "alice", "accepted_by": "lead"}, source="urn:wtgr:ideas")
    for _ in range(2):
        producer.send(scratch_topic, key=idea_id.encode(), value=event.to_json()).get(timeout=10)
    assert consume(projects_state, kafka_bootstrap, producer, scratch_topic, dead_letter_topic, expected=2) == 2
    [draft] = drafts_from(projects_state, idea_id)
    assert (draft["title"], draft["stage"], draft["created_by"]) == ("Discharge lounge", "draft", "lead")


def test_the_draft_from_an_idea_is_announced_on_the_projects_topic_naming_the_idea(
    projects_state, kafka_bootstrap, producer, scratch_topic, dead_letter_topic
):
    idea_id = str(uuid.uuid4())
    event = new_event("idea.accepted", {"idea_id": idea_id, "title": "Quiet hour", "description": "At night",
                                        "submitted_by": "bob", "accepted_by": "lead"}, source="urn:wtgr:ideas")
    producer.send(scratch_topic, key=idea_id.encode(), value=event.to_json()).get(timeout=10)
    consume(projects_state, kafka_bootstrap, producer, scratch_topic, dead_letter_topic, expected=1)
    [draft] = drafts_from(projects_state, idea_id)
    relay = OutboxRelay("projects", projects_state.pool, producer)
    while relay.publish_batch():
        pass
    [message] = messages_with_key(kafka_bootstrap, topics.PROJECTS, str(draft["id"]), expected=1)
    assert f'"idea_id":"{idea_id}"'.encode() in message.value
