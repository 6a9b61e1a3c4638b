import json
import threading
import time
import uuid

import psycopg
import pytest
from confluent_kafka import KafkaException

from shared import correlation
from shared.db import unit_of_work
from shared.kafka_clients import AcknowledgedProducer
from shared.relay import OutboxRelay
from shared.tests.integration.conftest import read_all

pytestmark = pytest.mark.integration

MEASURE = {"kpi_code": "ALOS", "unit_code": "WARD-7", "period": "2026-09", "value": 4.2, "source": "test"}


def unpublished(pool) -> int:
    with pool.connection() as conn:
        return conn.execute("SELECT count(*) AS n FROM outbox WHERE published_at IS NULL").fetchone()["n"]


def test_an_event_emitted_in_a_rolled_back_transaction_never_exists(pool, scratch_topic):
    with pytest.raises(RuntimeError), unit_of_work(pool, "platform_test") as uow:
        uow.emit("measure.recorded", MEASURE, topic=scratch_topic, key="ALOS|WARD-7")
        raise RuntimeError("the business change failed")
    assert unpublished(pool) == 0


def test_the_relay_publishes_committed_events_with_their_ids_keys_and_correlation(
    pool, relay_producer, scratch_topic, kafka_bootstrap
):
    token = correlation.use("corr-123")
    try:
        with unit_of_work(pool, "platform_test") as uow:
            first = uow.emit("measure.recorded", MEASURE, topic=scratch_topic, key="ALOS|WARD-7")
            second = uow.emit("measure.recorded", {**MEASURE, "period": "2026-10"}, topic=scratch_topic,
                              key="ALOS|WARD-7")
    finally:
        correlation.reset(token)

    assert OutboxRelay("platform_test", pool, relay_producer).publish_batch() == 2

    messages = read_all(kafka_bootstrap, scratch_topic, expected=2)
    bodies = [json.loads(m.value) for m in messages]
    assert [b["id"] for b in bodies] == [first.id, second.id]  # same key, same partition, in order
    assert {m.key for m in messages} == {b"ALOS|WARD-7"}
    assert {b["correlationid"] for b in bodies} == {"corr-123"}
    assert unpublished(pool) == 0


class RelayKilledBeforeMarking(OutboxRelay):
    def _send_and_wait(self, rows):
        super()._send_and_wait(rows)
        raise SystemExit("killed between publish and mark")


def test_a_relay_killed_between_publish_and_mark_loses_nothing_and_resends_the_same_id(
    pool, relay_producer, scratch_topic, kafka_bootstrap
):
    with unit_of_work(pool, "platform_test") as uow:
        event = uow.emit("measure.recorded", MEASURE, topic=scratch_topic, key="ALOS|WARD-7")

    with pytest.raises(SystemExit):
        RelayKilledBeforeMarking("platform_test", pool, relay_producer).publish_batch()
    assert unpublished(pool) == 1, "the row must still be waiting after the crash"

    assert OutboxRelay("platform_test", pool, relay_producer).publish_batch() == 1
    ids = [json.loads(m.value)["id"] for m in read_all(kafka_bootstrap, scratch_topic, expected=2)]
    assert ids == [event.id, event.id]
    assert unpublished(pool) == 0


def test_a_batch_kafka_does_not_acknowledge_raises_and_stays_unpublished(pool, kafka_bootstrap):
    with unit_of_work(pool, "platform_test") as uow:
        uow.emit("measure.recorded", MEASURE, topic=f"no.such.topic.{uuid.uuid4().hex[:8]}", key="ALOS|WARD-7")
    producer = AcknowledgedProducer(kafka_bootstrap, "tests-relay-unacknowledged", send_timeout=2.0)
    try:
        with pytest.raises(KafkaException):
            OutboxRelay("platform_test", pool, producer).publish_batch()
    finally:
        producer.close(timeout=1)
    assert unpublished(pool) == 1, "nothing is marked sent that Kafka did not acknowledge"


def test_two_relays_never_claim_the_same_rows(pool, relay_producer, scratch_topic, kafka_bootstrap):
    with unit_of_work(pool, "platform_test") as uow:
        for month in range(1, 10):
            uow.emit("measure.recorded", {**MEASURE, "period": f"2026-0{month}"}, topic=scratch_topic, key=f"k{month}")
    first, second = OutboxRelay("platform_test", pool, relay_producer, batch_size=5), OutboxRelay(
        "platform_test", pool, relay_producer, batch_size=5
    )
    with pool.connection() as holder, holder.transaction():
        held = holder.execute(
            "SELECT position FROM outbox WHERE published_at IS NULL ORDER BY position LIMIT 5 FOR UPDATE SKIP LOCKED"
        ).fetchall()
        assert len(held) == 5
        assert second.publish_batch() == 4  # skips the five rows another relay holds
    assert first.publish_batch() == 5
    assert len(read_all(kafka_bootstrap, scratch_topic, expected=9)) == 9


ALERT = {"kpi_code": "ALOS", "kpi_name": "Length of stay", "unit_code": "WARD-7", "unit_name": "Ward 7",
         "period": "2026-09", "signal_start": "2026-02", "special_cause_type": "shift",
         "point_type": "special_cause_concern", "improvement_direction": "decrease", "value": 4.2, "mean": 3.0,
         "lpl": 1.0, "upl": 5.0, "unit_of_measure": "days", "owners": []}


def test_an_urgent_event_goes_ahead_of_the_backlog_with_the_rows_of_its_key_written_before_it(
    pool, relay_producer, scratch_topic, kafka_bootstrap
):
    with unit_of_work(pool, "platform_test") as uow:
        backlog = [uow.emit("measure.recorded", {**MEASURE, "unit_code": f"WARD-{n}"}, topic=scratch_topic,
                            key=f"ALOS|WARD-{n}") for n in range(10, 16)]
        before = uow.emit("measure.recorded", MEASURE, topic=scratch_topic, key="ALOS|WARD-7")
        behind = [uow.emit("measure.recorded", {**MEASURE, "unit_code": f"WARD-{n}"}, topic=scratch_topic,
                           key=f"ALOS|WARD-{n}") for n in range(20, 23)]
        alert = uow.emit("kpi.special_cause_detected", ALERT, topic=scratch_topic, key="ALOS|WARD-7")
        after = uow.emit("measure.recorded", {**MEASURE, "period": "2026-10"}, topic=scratch_topic,
                         key="ALOS|WARD-7")
    relay = OutboxRelay("platform_test", pool, relay_producer, urgent=frozenset({"kpi.special_cause_detected"}))

    assert relay.publish_batch() == 2, "the alert and the one row of its key before it, nothing else"
    first = [json.loads(m.value)["id"] for m in read_all(kafka_bootstrap, scratch_topic, expected=2)]
    assert first == [before.id, alert.id]

    assert relay.publish_batch() == 10, "then the backlog"
    messages = read_all(kafka_bootstrap, scratch_topic, expected=12)
    assert {json.loads(m.value)["id"] for m in messages} - set(first) == {e.id for e in backlog + behind + [after]}
    of_the_key = [json.loads(m.value)["id"] for m in messages if m.key == b"ALOS|WARD-7"]
    assert of_the_key == [before.id, alert.id, after.id], "the key's order holds"
    assert unpublished(pool) == 0


def test_a_relay_with_no_urgent_events_publishes_in_outbox_order(pool, relay_producer, scratch_topic, kafka_bootstrap):
    with unit_of_work(pool, "platform_test") as uow:
        first = uow.emit("measure.recorded", {**MEASURE, "unit_code": "WARD-1"}, topic=scratch_topic, key="ALOS|WARD-1")
        uow.emit("kpi.special_cause_detected", ALERT, topic=scratch_topic, key="ALOS|WARD-7")
    assert OutboxRelay("platform_test", pool, relay_producer, batch_size=1).publish_batch() == 1
    assert [json.loads(m.value)["id"] for m in read_all(kafka_bootstrap, scratch_topic, expected=1)] == [first.id]


def test_a_committed_event_wakes_the_relay_at_once(pool, platform_test_schema, scratch_topic):
    with psycopg.connect(platform_test_schema, autocommit=True) as listener:
        listener.execute("LISTEN outbox_platform_test")
        with unit_of_work(pool, "platform_test") as uow:
            uow.emit("measure.recorded", MEASURE, topic=scratch_topic, key="ALOS|WARD-7")
        woken = [note.channel for note in listener.notifies(timeout=2.0, stop_after=1)]
    assert woken == ["outbox_platform_test"]


def wait_until(check, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return False


def test_a_second_relay_stands_by_while_another_holds_the_lock_and_takes_over_when_it_ends(
    pool, relay_producer, scratch_topic, kafka_bootstrap, platform_test_schema
):
    relay = OutboxRelay("platform_test", pool, relay_producer)
    holder = psycopg.connect(platform_test_schema, autocommit=True)
    assert relay.take_lock(holder), "the first relay's connection takes the lock"
    stop = threading.Event()
    standby = threading.Thread(target=relay.run_forever, args=(platform_test_schema, "platform_test", stop))
    standby.start()
    try:
        with unit_of_work(pool, "platform_test") as uow:
            event = uow.emit("measure.recorded", MEASURE, topic=scratch_topic, key="ALOS|WARD-7")
        time.sleep(2.5)  # the standby asks for the lock every second
        assert unpublished(pool) == 1, "a relay without the lock publishes nothing"

        holder.close()  # the first relay's connection ends: its lock goes with it
        assert wait_until(lambda: unpublished(pool) == 0), "the standby took over and published"
    finally:
        stop.set()
        standby.join(timeout=10)
        holder.close()
    assert [json.loads(m.value)["id"] for m in read_all(kafka_bootstrap, scratch_topic, expected=1)] == [event.id]


def test_the_relay_lock_is_one_per_service(platform_test_schema):
    with psycopg.connect(platform_test_schema, autocommit=True) as first, \
            psycopg.connect(platform_test_schema, autocommit=True) as second:
        # services of the test's own: the stack's running relays hold their real services' locks
        one, other = OutboxRelay("lock-test-one", None, None), OutboxRelay("lock-test-other", None, None)
        assert one.take_lock(first)
        assert not one.take_lock(second)
        assert other.take_lock(second), "another service's relay is not held back"
