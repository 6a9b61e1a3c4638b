from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from kafka import KafkaConsumer, KafkaProducer
from psycopg_pool import ConnectionPool

from shared import db
from shared.kafka_clients import AcknowledgedProducer, reliable_producer

pytestmark = pytest.mark.integration


@pytest.fixture
def pool(platform_test_schema: str) -> Iterator[ConnectionPool]:
    pool = db.make_pool(platform_test_schema, max_size=4, name="platform-test")
    with pool.connection() as conn:
        conn.execute("DELETE FROM outbox")
        conn.execute(
            "CREATE TABLE IF NOT EXISTS test_effects (event_id text NOT NULL, note text NOT NULL)"
        )
    yield pool
    pool.close()


@pytest.fixture
def producer(kafka_bootstrap: str) -> Iterator[KafkaProducer]:
    producer = reliable_producer(kafka_bootstrap, "tests")
    yield producer
    producer.close(timeout=5)


def read_all(bootstrap: str, topic: str, expected: int, timeout_ms: int = 10_000) -> list:
    """Every message on ``topic`` from the start, stopping once ``expected`` have arrived."""
    consumer = KafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=f"reader-{uuid.uuid4().hex}",
        auto_offset_reset="earliest", enable_auto_commit=False, consumer_timeout_ms=timeout_ms,
    )
    messages = []
    for message in consumer:
        messages.append(message)
        if len(messages) >= expected:
            break
    consumer.close()
    return messages


@pytest.fixture
def relay_producer(kafka_bootstrap: str) -> Iterator[AcknowledgedProducer]:
    """The outbox relay's producer (shared.kafka_clients.AcknowledgedProducer)."""
    producer = AcknowledgedProducer(kafka_bootstrap, "tests-relay")
    yield producer
    producer.close(timeout=5)
