"""The steps of ideas, projects and stories, read from Kafka, queue one email per person and event."""

import uuid
from functools import partial

import pytest

from services.conftest import messages_with_key, run_consumer
from services.notifications import bootstrap
from shared.events import new_event

pytestmark = pytest.mark.integration

consume = partial(run_consumer, bootstrap)


def declined(audience):
    idea_id = str(uuid.uuid4())
    return new_event("idea.stage_changed", {
        "idea_id": idea_id, "title": "Quieter nights on Ward 7", "from_stage": "under_review", "to_stage": "declined",
        "reason": "The ward already dims its lights at 22:00", "changed_by": "qi-lead-1", "audience": audience,
        "path": f"/ideas/{idea_id}"}, source="urn:wtgr:ideas", subject=idea_id)


def emails_caused_by(state, event_id):
    with state.pool.connection() as conn:
        return conn.execute("SELECT recipients, subject, body FROM emails WHERE caused_by = %s ORDER BY recipients",
                            (event_id,)).fetchall()


def notified_by(state, event_id):
    with state.pool.connection() as conn:
        return [(row["person"], row["email_cadence"]) for row in conn.execute(
            "SELECT person, email_cadence FROM notifications WHERE event_id = %s ORDER BY person",
            (event_id,)).fetchall()]


def test_a_redelivered_event_emails_each_person_once(notifications_state, kafka_bootstrap, producer, scratch_topic,
                                                      dead_letter_topic):
    pat, sam = (f"{who}-{uuid.uuid4().hex[:8]}@example.org" for who in ("pat", "sam"))
    event = declined([{"email": pat, "name": "Pat", "relation": "submitter"},
                      {"email": sam, "name": None, "relation": "follower"},
                      {"email": pat.upper(), "name": None, "relation": "follower"}])
    for _ in range(2):
        producer.send(scratch_topic, key=b"idea", value=event.to_json()).get(timeout=10)
    assert consume(notifications_state, kafka_bootstrap, producer, scratch_topic, dead_letter_topic, expected=2) == 2
    told = notified_by(notifications_state, event.id)
    assert told == [(pat.lower(), "immediately"), (sam.lower(), "weekly")]  # a follower's updates: weekly digest
    [email] = emails_caused_by(notifications_state, event.id)
    assert email["recipients"] == [pat.lower()]
    assert email["subject"] == "[WTGR] Idea declined: Quieter nights on Ward 7"
    assert "Reason: The ward already dims its lights at 22:00" in email["body"]
    link = f"{notifications_state.settings.portal_url}/ideas/{event.data['idea_id']}"
    assert link in email["body"]


def test_an_unknown_event_is_skipped_and_a_malformed_known_one_dead_lettered(
        notifications_state, kafka_bootstrap, producer, scratch_topic, dead_letter_topic):
    unknown = new_event("idea.voted", {"idea_id": str(uuid.uuid4())}, source="urn:wtgr:ideas")
    malformed = declined([{"email": "not an address", "name": None, "relation": "submitter"}])
    producer.send(scratch_topic, key=b"unknown", value=unknown.to_json()).get(timeout=10)
    producer.send(scratch_topic, key=b"malformed", value=malformed.to_json()).get(timeout=10)
    assert consume(notifications_state, kafka_bootstrap, producer, scratch_topic, dead_letter_topic, expected=2) == 2
    [dead] = messages_with_key(kafka_bootstrap, dead_letter_topic, "malformed", expected=1)
    assert b"audience" in dead.value
    assert messages_with_key(kafka_bootstrap, dead_letter_topic, "unknown", expected=1, timeout_ms=2000) == []
    assert emails_caused_by(notifications_state, malformed.id) == []
