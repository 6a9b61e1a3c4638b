import json
import uuid

import psycopg
import pytest

from shared.consumer import BatchHandler, ConsumerRunner, RejectEvent
from shared.events import new_event
from shared.kafka_clients import manual_commit_consumer
from shared.tests.integration.conftest import read_all

pytestmark = pytest.mark.integration

MEASURE = {"kpi_code": "ALOS", "unit_code": "WARD-7", "period": "2026-09", "value": 4.2, "source": "test"}


def record_effect(uow, event, payload):
    uow.execute("INSERT INTO test_effects (event_id, note) VALUES (%s, %s)", (event.id, payload["source"]))


def effects(pool, event_id) -> int:
    with pool.connection() as conn:
        return conn.execute("SELECT count(*) AS n FROM test_effects WHERE event_id = %s", (event_id,)).fetchone()["n"]


@pytest.fixture
def topics(kafka_admin, scratch_topic):
    from kafka.admin import NewTopic

    dead_letters = f"{scratch_topic}.deadletter"
    kafka_admin.create_topics([NewTopic(dead_letters, 1, 1)])
    yield scratch_topic, dead_letters
    kafka_admin.delete_topics([dead_letters])


def make_runner(pool, producer, kafka_bootstrap, topics, handlers=None, **options):
    source, dead_letters = topics
    consumer = manual_commit_consumer(kafka_bootstrap, f"test-{uuid.uuid4().hex[:8]}", [source])
    runner = ConsumerRunner(
        "platform_test", pool, consumer, producer, dead_letters,
        handlers or {"measure.recorded": record_effect}, sleep=lambda _: None, **options,
    )
    return runner


def run_until(runner, count, polls=30):
    seen = 0
    for _ in range(polls):
        seen += runner.poll_once(timeout_ms=500)
        if seen >= count:
            return seen
    return seen


def send(producer, topic, value: bytes, key=b"ALOS|WARD-7"):
    producer.send(topic, key=key, value=value).get(timeout=10)


def test_a_redelivered_event_changes_nothing(pool, producer, kafka_bootstrap, topics):
    event = new_event("measure.recorded", MEASURE, source="urn:test")
    send(producer, topics[0], event.to_json())
    send(producer, topics[0], event.to_json())
    runner = make_runner(pool, producer, kafka_bootstrap, topics)
    assert run_until(runner, 2) == 2
    assert effects(pool, event.id) == 1
    runner.consumer.close()


def test_offsets_are_committed_only_after_the_handlers_transaction(pool, producer, kafka_bootstrap, topics):
    event = new_event("measure.recorded", MEASURE, source="urn:test")
    send(producer, topics[0], event.to_json())
    runner = make_runner(pool, producer, kafka_bootstrap, topics)
    assert run_until(runner, 1) == 1
    partitions = runner.consumer.assignment()
    committed = {tp: runner.consumer.committed(tp) for tp in partitions}
    assert sum(offset or 0 for offset in committed.values()) == 1
    assert effects(pool, event.id) == 1
    runner.consumer.close()


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (b"this is not json", "not JSON"),
        (json.dumps({"hello": "world"}).encode(), "missing CloudEvents attributes"),
        (new_event("measure.recorded", {**MEASURE, "value": "many"}, source="t").to_json(), "data is invalid"),
        (new_event("measure.recorded", {**MEASURE, "source": "x" * 150_000}, source="t").to_json(), "too large"),
    ],
)
def test_a_poison_message_is_dead_lettered_with_its_reason_and_the_consumer_carries_on(
    pool, producer, kafka_bootstrap, topics, value, reason
):
    good = new_event("measure.recorded", MEASURE, source="urn:test")
    send(producer, topics[0], value)
    send(producer, topics[0], good.to_json())
    runner = make_runner(pool, producer, kafka_bootstrap, topics, max_event_bytes=100_000)
    assert run_until(runner, 2) == 2
    assert effects(pool, good.id) == 1, "the good message after the poison one is handled"
    [dead] = read_all(kafka_bootstrap, topics[1], expected=1)
    record = json.loads(dead.value)
    assert reason in record["reason"]
    assert record["original_topic"] == topics[0]
    assert record["original_offset"] == 0
    assert isinstance(record["original_partition"], int)
    runner.consumer.close()


def test_an_event_its_handler_rejects_is_dead_lettered_and_leaves_no_effect(pool, producer, kafka_bootstrap, topics):
    def reject(uow, event, payload):
        record_effect(uow, event, payload)
        raise RejectEvent("unknown KPI ALOS")

    event = new_event("measure.recorded", MEASURE, source="urn:test")
    send(producer, topics[0], event.to_json())
    runner = make_runner(pool, producer, kafka_bootstrap, topics, {"measure.recorded": reject})
    run_until(runner, 1)
    assert effects(pool, event.id) == 0
    [dead] = read_all(kafka_bootstrap, topics[1], expected=1)
    assert json.loads(dead.value)["reason"] == "rejected: unknown KPI ALOS"
    runner.consumer.close()


def test_a_handler_that_keeps_failing_is_retried_a_bounded_number_of_times_then_dead_lettered(
    pool, producer, kafka_bootstrap, topics
):
    attempts = []

    def flaky(uow, event, payload):
        attempts.append(event.id)
        raise ValueError("bug in handler")

    send(producer, topics[0], new_event("measure.recorded", MEASURE, source="urn:test").to_json())
    runner = make_runner(pool, producer, kafka_bootstrap, topics, {"measure.recorded": flaky}, max_attempts=3)
    run_until(runner, 1)
    assert len(attempts) == 3
    [dead] = read_all(kafka_bootstrap, topics[1], expected=1)
    assert "kept failing after 3 attempts" in json.loads(dead.value)["reason"]
    runner.consumer.close()


def test_a_transient_failure_is_retried_and_then_succeeds(pool, producer, kafka_bootstrap, topics):
    calls = []

    def once_then_fine(uow, event, payload):
        calls.append(1)
        if len(calls) == 1:
            raise psycopg.OperationalError("connection reset")
        record_effect(uow, event, payload)

    event = new_event("measure.recorded", MEASURE, source="urn:test")
    send(producer, topics[0], event.to_json())
    runner = make_runner(pool, producer, kafka_bootstrap, topics, {"measure.recorded": once_then_fine})
    run_until(runner, 1)
    assert effects(pool, event.id) == 1
    assert read_all(kafka_bootstrap, topics[1], expected=1, timeout_ms=1500) == []
    runner.consumer.close()


def test_when_the_database_stays_down_the_consumer_stops_without_committing(pool, producer, kafka_bootstrap, topics):
    def database_down(uow, event, payload):
        raise psycopg.OperationalError("could not connect to server")

    send(producer, topics[0], new_event("measure.recorded", MEASURE, source="urn:test").to_json())
    runner = make_runner(pool, producer, kafka_bootstrap, topics, {"measure.recorded": database_down}, max_attempts=2)
    with pytest.raises(psycopg.OperationalError):
        run_until(runner, 1)
    assert all(runner.consumer.committed(tp) in (None, 0) for tp in runner.consumer.assignment())
    assert read_all(kafka_bootstrap, topics[1], expected=1, timeout_ms=1500) == []
    runner.consumer.close()


def test_unknown_event_types_are_skipped_not_dead_lettered(pool, producer, kafka_bootstrap, topics):
    other = new_event("kpi.updated", {"anything": 1}, source="urn:test")
    send(producer, topics[0], other.to_json())
    runner = make_runner(pool, producer, kafka_bootstrap, topics)
    assert runner.process(next(iter(_poll_one(runner)))).status == "skipped"
    runner.consumer.close()


def _poll_one(runner):
    for _ in range(30):
        batches = runner.consumer.poll(timeout_ms=500)
        for messages in batches.values():
            return messages
    return []




def test_work_deferred_by_a_batch_of_events_is_done_once_before_the_batch_commits(
    pool, producer, kafka_bootstrap, topics
):
    refreshed = []

    def record_and_defer(uow, event, payload):
        record_effect(uow, event, payload)
        uow.defer(("refresh", payload["kpi_code"]), lambda: refreshed.append(payload["period"]))

    events = [new_event("measure.recorded", {**MEASURE, "period": f"2026-0{m}"}, source="t") for m in (1, 2, 3)]
    for event in events:
        send(producer, topics[0], event.to_json())
    runner = make_runner(pool, producer, kafka_bootstrap, topics, {"measure.recorded": record_and_defer})
    messages = _poll_until(runner, 3)
    outcomes = runner.process_batch(messages)
    assert [o.status for o in outcomes] == ["handled"] * 3
    assert refreshed == ["2026-03"], "once, with the latest event's work"
    assert all(effects(pool, event.id) == 1 for event in events)
    runner.consumer.close()


def test_a_rejected_event_in_a_batch_leaves_no_effect_and_no_deferred_work_while_the_rest_commit(
    pool, producer, kafka_bootstrap, topics
):
    deferred = []

    def reject_february(uow, event, payload):
        record_effect(uow, event, payload)
        uow.defer(("work", payload["period"]), lambda: deferred.append(payload["period"]))
        if payload["period"] == "2026-02":
            raise RejectEvent("February is closed")

    events = [new_event("measure.recorded", {**MEASURE, "period": f"2026-0{m}"}, source="t") for m in (1, 2, 3)]
    for event in events:
        send(producer, topics[0], event.to_json())
    runner = make_runner(pool, producer, kafka_bootstrap, topics, {"measure.recorded": reject_february})
    outcomes = runner.process_batch(_poll_until(runner, 3))
    assert [o.status for o in outcomes] == ["handled", "dead_lettered", "handled"]
    assert [effects(pool, event.id) for event in events] == [1, 0, 1]
    assert sorted(deferred) == ["2026-01", "2026-03"]
    runner.consumer.close()


def test_when_a_batch_fails_its_messages_are_handled_one_at_a_time(pool, producer, kafka_bootstrap, topics):
    def broken_for_march(uow, event, payload):
        if payload["period"] == "2026-03":
            raise ValueError("a bug that only March meets")
        record_effect(uow, event, payload)

    events = [new_event("measure.recorded", {**MEASURE, "period": f"2026-0{m}"}, source="t") for m in (1, 2, 3)]
    for event in events:
        send(producer, topics[0], event.to_json())
    runner = make_runner(pool, producer, kafka_bootstrap, topics, {"measure.recorded": broken_for_march},
                         max_attempts=2)
    outcomes = runner.process_batch(_poll_until(runner, 3))
    assert [o.status for o in outcomes] == ["handled", "handled", "dead_lettered"]
    assert [effects(pool, event.id) for event in events] == [1, 1, 0]
    runner.consumer.close()


def handled_ids(pool, event_ids) -> set[str]:
    with pool.connection() as conn:
        rows = conn.execute("SELECT event_id FROM handled_events WHERE event_id = ANY(%s)", (list(event_ids),))
        return {row["event_id"] for row in rows}


def test_a_batch_handler_gets_its_events_at_once_duplicates_left_out_and_rejects_dead_lettered(
    pool, producer, kafka_bootstrap, topics
):
    calls = []

    def handle_many(uow, events):
        calls.append([event.id for event, _ in events])
        for event, payload in events:
            record_effect(uow, event, payload)
        return ["February is closed" if payload["period"] == "2026-02" else None for _, payload in events]

    events = [new_event("measure.recorded", {**MEASURE, "period": f"2026-0{m}"}, source="t") for m in (1, 2, 3)]
    for event in [*events, events[0]]:  # the first one twice: a redelivery inside the batch
        send(producer, topics[0], event.to_json())
    runner = make_runner(pool, producer, kafka_bootstrap, topics, {"measure.recorded": BatchHandler(handle_many)})
    outcomes = runner.process_batch(_poll_until(runner, 4))
    assert calls == [[event.id for event in events]], "one call, each event once, in partition order"
    assert [o.status for o in outcomes] == ["handled", "dead_lettered", "handled", "duplicate"]
    assert "February is closed" in outcomes[1].reason
    assert handled_ids(pool, [e.id for e in events]) == {events[0].id, events[2].id}, \
        "a rejected event is not recorded as handled"
    [dead] = read_all(kafka_bootstrap, topics[1], 1)
    assert json.loads(dead.value)["reason"] == "rejected: February is closed"
    runner.consumer.close()


def test_a_batch_handler_given_one_event_rejects_it_as_an_ordinary_handler_would(
    pool, producer, kafka_bootstrap, topics
):
    handler = BatchHandler(lambda uow, events: ["no such ward" for _ in events])
    event = new_event("measure.recorded", MEASURE, source="t")
    send(producer, topics[0], event.to_json())
    runner = make_runner(pool, producer, kafka_bootstrap, topics, {"measure.recorded": handler})
    [outcome] = runner.process_batch(_poll_until(runner, 1))
    assert outcome.status == "dead_lettered"
    assert "no such ward" in outcome.reason
    assert handled_ids(pool, [event.id]) == set()
    runner.consumer.close()


def _poll_until(runner, count):
    messages = []
    for _ in range(30):
        for batch in runner.consumer.poll(timeout_ms=500).values():
            messages.extend(batch)
        if len(messages) >= count:
            return messages
    return messages
