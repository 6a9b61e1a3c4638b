import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.conftest import messages_matching, outbox
from services.training.service_layer import schedule
from shared import topics
from shared.db import unit_of_work
from shared.relay import OutboxRelay

pytestmark = pytest.mark.integration


def find_event(bootstrap: str, topic: str, event_id: str, timeout_ms: int = 15_000):
    wanted = messages_matching(bootstrap, topic, lambda message: event_id.encode() in message.value, 1, timeout_ms)
    return next(iter(wanted), None)


def test_a_months_staff_trained_reaches_the_measures_topic_keyed_by_kpi_and_unit(
    training_client, training_state, bearer, clock, kafka_bootstrap, relay_producer
):
    code = f"QI-{uuid.uuid4().hex[:8].upper()}"
    training_client.post("/api/v1/courses", json={"code": code, "title": "QI"}, headers=bearer("trainer"))
    starts_at = datetime(2024, 6, 3, 10, 0, tzinfo=UTC)
    clock.at = starts_at - timedelta(days=2)
    session_id = training_client.post(f"/api/v1/courses/{code}/sessions", headers=bearer("trainer"), json={
        "starts_at": starts_at.isoformat(), "capacity": 4}).get_json()["id"]
    training_client.post(f"/api/v1/sessions/{session_id}/enrolments", json={}, headers=bearer("staff", user="ann"))
    clock.at = starts_at + timedelta(hours=2)
    assert training_client.post(f"/api/v1/sessions/{session_id}/attendance", json={"user": "ann"},
                                headers=bearer("trainer")).status_code == 201
    with unit_of_work(training_state.pool, "training") as uow:  # June is over: the month is published
        schedule.publish_staff_trained(uow, datetime(2024, 7, 1, 9, 0, tzinfo=UTC))
    measure_id = next(e["envelope"]["id"] for e in reversed(outbox(training_state, "STAFF_TRAINED_QI|TRUST"))
                      if e["envelope"]["data"]["period"] == "2024-06")
    relay = OutboxRelay("training", training_state.pool, relay_producer)
    while relay.publish_batch():
        pass
    message = find_event(kafka_bootstrap, topics.MEASURES, measure_id)
    assert message is not None
    assert message.key == b"STAFF_TRAINED_QI|TRUST"
